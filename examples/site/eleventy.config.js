// A default Eleventy 3 site (Liquid pre-processing of Markdown, raw HTML allowed): the tests
// check that yt2post's drafts are safe on exactly such a site.
// Posts are the Markdown files in ./posts (copy yt2post's output/posts there).
// Drafts (draft: true) stay out of the collection unless YT2POST_SHOW_DRAFTS=1.
module.exports = function (eleventyConfig) {
  const showDrafts = process.env.YT2POST_SHOW_DRAFTS === "1";

  eleventyConfig.addCollection("posts", (api) =>
    api
      .getFilteredByGlob("posts/*.md")
      .filter((item) => showDrafts || item.data.draft !== true)
      .sort((a, b) => String(b.data.date).localeCompare(String(a.data.date)))
  );

  // Drafts are not even written out unless asked: a draft must not be published by accident.
  eleventyConfig.addGlobalData("eleventyComputed", {
    permalink: (data) => (data.draft === true && !showDrafts ? false : data.permalink),
  });

  return {
    dir: { input: ".", includes: "_includes", output: "_site" },
  };
};
