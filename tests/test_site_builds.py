"""Posts in each generator's own format, built by the real Eleventy, Hugo, Hexo and Jekyll: drafts in the
generator's draft place and left out of its build, approved posts (``yt2post approve``, the
review desk) in its place for published posts and in the built site, the hostile video's post
inert in the built HTML, posts in Traditional Chinese and in English built."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_in_process, video_dir_with
from tests.fakellm import FakeLLM
from tests.hostile import Tags, assert_inert
from tests.site_posts import ENGLISH, HANT, HANT_ARTICLE, HOSTILE, SEED, TITLES, SitePosts, make_site_posts
from tests.sites import GENERATORS

# Where each format puts the four posts (the English one is a draft, the others approved).
_SLUGS = {SEED: "trying-to-wheelie-without-the-rear-brake", HOSTILE: "etc-x-7-7", HANT: "rear-brake-zh-hant",
          ENGLISH: "rear-brake-english"}
PLACES = {
    "eleventy": {SEED: f"2021-07-20-{_SLUGS[SEED]}.md", HOSTILE: f"2022-08-05-{_SLUGS[HOSTILE]}.md",
                 HANT: f"2021-07-20-{_SLUGS[HANT]}.md", ENGLISH: f"2021-07-20-{_SLUGS[ENGLISH]}.md"},
    "hugo": {video: f"content/posts/{slug}.md" for video, slug in _SLUGS.items()},
    "hexo": {**{video: f"source/_posts/{slug}.md" for video, slug in _SLUGS.items()},
             ENGLISH: f"source/_drafts/{_SLUGS[ENGLISH]}.md"},
    "jekyll": {SEED: f"_posts/2021-07-20-{_SLUGS[SEED]}.md", HOSTILE: f"_posts/2022-08-05-{_SLUGS[HOSTILE]}.md",
               HANT: f"_posts/2021-07-20-{_SLUGS[HANT]}.md", ENGLISH: f"_drafts/{_SLUGS[ENGLISH]}.md"},
}


@pytest.fixture(scope="module", params=sorted(GENERATORS))
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, SitePosts]:
    generator = GENERATORS[request.param]
    # Fail, never skip: a silent skip would hide that the posts are no longer built.
    assert generator.available() is None, generator.available()
    return request.param, make_site_posts(generator, tmp_path_factory.mktemp(request.param))


def test_drafts_and_approved_posts_are_in_the_generators_places(site: tuple[str, SitePosts]) -> None:
    name, built = site
    assert built.statuses == {SEED: "approved", HOSTILE: "approved", HANT: "approved", ENGLISH: "draft"}
    assert built.paths == PLACES[name]
    posts_dir = built.out / "posts"
    assert sorted(p.relative_to(posts_dir).as_posix() for p in posts_dir.rglob("*.md")) == sorted(built.paths.values())
    # review.site_dir: the approved posts, copied at their place in the site.
    copies = sorted(p.relative_to(built.site_dir).as_posix() for p in built.site_dir.rglob("*.md"))
    assert copies == sorted(built.paths[v] for v in (SEED, HOSTILE, HANT))
    for relative in copies:
        assert (built.site_dir / relative).read_bytes() == (posts_dir / relative).read_bytes()


def test_approved_posts_appear_and_drafts_do_not(site: tuple[str, SitePosts]) -> None:
    _name, built = site
    plain = "\n".join(built.built(built.plain).values())
    for video_id in (SEED, HANT):
        assert TITLES[video_id] in plain, video_id
    assert TITLES[ENGLISH] not in plain and "without the rear brake, a rider" not in plain.lower()
    with_drafts = "\n".join(built.built(built.with_drafts).values())
    assert TITLES[ENGLISH] in with_drafts


def test_posts_in_traditional_chinese_and_in_english_build(site: tuple[str, SitePosts]) -> None:
    _name, built = site
    pages = built.built(built.with_drafts)
    hant = [text for text in pages.values() if "騎士在翹孤輪時依靠後輪煞車來控制角度" in text]
    english = [text for text in pages.values() if "Without the rear brake, a rider who leans back too far falls." in text]
    assert hant and english
    assert "<h3" in hant[0] and "練習的方法" in hant[0] and "How to practise" in english[0]


def test_the_hostile_post_builds_inert(site: tuple[str, SitePosts]) -> None:
    _name, built = site
    pages = built.built(built.plain)
    page = next(text for text in pages.values() if "普通的中文段落，没有任何问题。" in text)
    assert "{{ 7*7 }}" in page and "49" not in page  # Liquid and Nunjucks did not run
    assert "{{< youtube abc >}}" in page.replace("&lt;", "<").replace("&gt;", ">")  # nor did Hugo's shortcodes
    assert "{% if true %}x{% endif %}" in page
    assert 'href="https://example.com' in page  # (Hexo adds a slash)
    assert "alert(3)" not in page  # a script block goes with its content
    assert_inert(pages)
    # The title's path went into no file name: every page is inside the built site.
    assert all(path.resolve().is_relative_to(built.plain.resolve()) for path in pages)


def test_files_kept_beside_a_post_are_not_built(site: tuple[str, SitePosts], tmp_path: Path) -> None:
    from tests.sites import GENERATORS as generators

    name, built = site
    posts_dir = built.out / "posts"
    post = posts_dir / built.paths[ENGLISH]
    from pipeline.post.formats import get_format

    beside = [post.with_name(get_format(name).beside(post.name, kind)) for kind in ("regenerated", "bak-1", "conflict-1")]
    for path in beside:
        path.write_text(post.read_text(encoding="utf-8").replace(TITLES[ENGLISH], "NOT TO BE BUILT"), encoding="utf-8")
    try:
        out = generators[name].build(posts_dir, tmp_path, drafts=True)
    finally:
        for path in beside:
            path.unlink()
    assert not any("NOT TO BE BUILT" in p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*") if p.is_file())


def approved_and_built(name: str, tmp_path: Path, article: dict, video_id: str = SEED) -> Path:
    """The video's post in format ``name`` (the model answering ``article``), approved, built by the
    real generator; returns the built site. Before approving, the draft is built too (with
    drafts) and must show the article's title."""
    generator = GENERATORS[name]
    assert generator.available() is None, generator.available()
    videos = tmp_path / "videos"
    with FakeLLM() as fake:
        fake.responder = lambda body: article
        assert run_in_process(tmp_path, fake, "run", "--format", name, str(videos / f"{video_id}.info.json")).code == 0
        drafts = generator.build(tmp_path / "output" / "posts", tmp_path / "drafts", drafts=True)
        assert any(article["title"] in path.read_text(encoding="utf-8") for path in drafts.rglob("*.html"))
        assert run_in_process(tmp_path, fake, "approve", "--", video_id).code == 0
    return generator.build(tmp_path / "output" / "posts", tmp_path / "plain")


# Code in a post: a code span and a fenced block holding each generator's template and
# attribute syntax must show that text exactly, in every generator (no entity a reader sees).
CODE_TEXTS = ["{{< youtube abc >}}", "{{% notice %}}", "{: onclick=\"x\"}", "{{ 7*7 }}", "{% if a %}"]
CODE_ARTICLE = {
    **HANT_ARTICLE, "title": "代码里的模板语法",
    "sections": [{"heading": "代码", "body": "行内 `{{< youtube abc >}}` 和 `{: onclick=\"x\"}`\n\n"
                                            "```\n{{< youtube abc >}} {{% notice %}}\n{: onclick=\"x\"}\n"
                                            "{{ 7*7 }} {% if a %}\n```"}]}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_template_syntax_in_code_shows_as_written(name: str, tmp_path: Path) -> None:
    import html
    import re

    video_dir_with(tmp_path, SEED)
    built = approved_and_built(name, tmp_path, CODE_ARTICLE)
    page = next(text for path in built.rglob("*.html")
                if "代码里的模板语法" in (text := path.read_text(encoding="utf-8")) and "<code" in text)
    # Each code element's text, as a reader sees it (Hexo's highlighter makes a block a <pre> of spans).
    code = [html.unescape(re.sub(r"<[^>]+>", "", inner))
            for _tag, inner in re.findall(r"<(code|pre)\b[^>]*>(.*?)</\1>", page, re.DOTALL)]
    assert "{{< youtube abc >}}" in code and "{: onclick=\"x\"}" in code, code
    block = next(text for text in code if "notice" in text)
    assert all(text in block for text in CODE_TEXTS), block


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_a_post_named_after_an_id_starting_with_an_underscore_is_built(name: str, tmp_path: Path) -> None:
    """Hexo and Jekyll skip a file whose name starts with ``_`` in their posts' folders: a
    post of a title that gives no slug is named after its video's id, which may start so."""
    import json

    videos = video_dir_with(tmp_path, SEED)
    seed = json.loads((videos / f"{SEED}.info.json").read_text(encoding="utf-8"))
    video_id = "_nd3rsc0re1"
    info = dict(seed, id=video_id, display_id=video_id, title="？！…", fulltitle="？！…",
                webpage_url=f"https://www.youtube.com/watch?v={video_id}")
    (videos / f"{video_id}.info.json").write_text(json.dumps(info), encoding="utf-8")
    built = approved_and_built(name, tmp_path, HANT_ARTICLE, video_id)
    assert any(HANT_ARTICLE["title"] in path.read_text(encoding="utf-8") for path in built.rglob("*.html"))


# Script links whose title is in single quotes or parentheses (CommonMark's other two forms), or
# whose text holds brackets, or whose scheme's colon is backslash-escaped (Markdown unescapes it).
LINKS_ARTICLE = {
    **HANT_ARTICLE, "title": "链接的标题",
    "sections": [{"heading": "链接", "body": "[a](javascript:alert%281%29 'x') [b](javascript:alert%282%29 (y)) "
                                            "[c](vbscript:msgbox%283%29 'z') [d]( <javascript:alert%284%29> 'w')\n\n"
                                            "[e][ref] [[f]](javascript:alert%286%29) [g [h] i](javascript:alert%287%29) "
                                            "[j](javascript\\:alert%288%29)\n\n"
                                            "[ref]: javascript:alert%285%29 'v'"}]}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_script_links_with_any_title_are_not_links(name: str, tmp_path: Path) -> None:
    video_dir_with(tmp_path, SEED)
    built = approved_and_built(name, tmp_path, LINKS_ARTICLE)
    pages = {path: text for path in built.rglob("*.html") if "链接的标题" in (text := path.read_text(encoding="utf-8"))}
    assert pages
    assert_inert(pages)
    for text in pages.values():
        tags = Tags()
        tags.feed(text)
        assert not any((value or "").strip().lower().startswith("vbscript:") for _, attrs in tags.seen for _, value in attrs)



# Script links the simple forms above do not cover: a definition in a quote or a list, its address
# on the next line, its label across lines; link text with brackets nested deeper, a code span or
# an escaped bracket; an address in angle brackets with a space or a tab; a link across a quote's lines.
HIDDEN_LINKS_ARTICLE = {
    **HANT_ARTICLE, "title": "藏起来的链接",
    "sections": [{"heading": "链接", "body": "[a][r1] [b][r2] [c][r3]\n\n> [r1]: javascript:alert(1)\n\n"
                                            "- [r2]: javascript:alert(2)\n\n[r3]:\n  javascript:alert(3)\n\n"
                                            "[[[x]]](javascript:alert(5)) [`]`](javascript:alert(6)) "
                                            "[a\\]](javascript:alert(7)) [b](<javascript:alert%288%29 x>) "
                                            "[c](<java\tscript:alert(9)>)\n\n> [d](\n> javascript:alert(10))\n\n"
                                            "[r\n5]: javascript:alert(11)\n\n[e][r 5] 链接之后的文字"}]}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_script_links_in_any_markdown_form_are_not_links(name: str, tmp_path: Path) -> None:
    video_dir_with(tmp_path, SEED)
    built = approved_and_built(name, tmp_path, HIDDEN_LINKS_ARTICLE)
    pages = {path: text for path in built.rglob("*.html") if "链接之后的文字" in (text := path.read_text(encoding="utf-8"))}
    assert pages
    assert_inert(pages)

# Text a generator's Markdown may read as prose though CommonMark reads it as code: a fence never
# closed, a fence right under a paragraph line or with words after it (kramdown's fence takes one),
# a code span across lines.
OPEN_CODE_ARTICLE = {
    **HANT_ARTICLE, "title": "没有合上的代码块",
    "sections": [{"heading": "代码", "body": "一段\n```\n{: onclick=\"alert(1)\"}\n```\n\n行内 `x\n{: onclick=\"alert(2)\"}\n` y\n\n"
                                            "```js two words\n{: onclick=\"alert(4)\"}\n```\n\n"
                                            "```\n段落 {{< youtube abc >}}\n{: onclick=\"alert(3)\"}"}]}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_code_a_generator_may_read_as_prose_stays_inert(name: str, tmp_path: Path) -> None:
    video_dir_with(tmp_path, SEED)
    built = approved_and_built(name, tmp_path, OPEN_CODE_ARTICLE)
    pages = {path: text for path in built.rglob("*.html") if "没有合上的代码块" in (text := path.read_text(encoding="utf-8"))}
    assert pages
    assert_inert(pages)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_a_page_address_with_quotes_breaks_out_of_no_attribute(name: str, tmp_path: Path) -> None:
    """Another site's video is known by its page (``source``, which themes put in an ``href``):
    a hostile info.json's page with quotes, spaces or angle brackets must reach the built page as
    one attribute's value, never as attributes of its own."""
    import json
    import shutil

    from tests.conftest import FIXTURES

    generator = GENERATORS[name]
    assert generator.available() is None, generator.available()
    videos = tmp_path / "videos"
    videos.mkdir()
    info_name = "Steam Machine Models, Pricing Listed on Steam Store - IGN News [x2iuewm].info.json"
    shutil.copyfile(FIXTURES / "othersites" / info_name, videos / info_name)
    info = json.loads((videos / info_name).read_text(encoding="utf-8"))
    info["webpage_url"] = info["original_url"] = \
        "https://www.dailymotion.com/video/x2iuewm\"onmouseover=\"alert(1)\" x='y' <b>"
    (videos / info_name).write_text(json.dumps(info), encoding="utf-8")
    with FakeLLM() as fake:
        fake.responder = lambda body: HANT_ARTICLE
        assert run_in_process(tmp_path, fake, "run", "--format", name, "--allow-description", str(videos)).code == 0
        [video_id] = [row["video_id"] for line in run_in_process(tmp_path, fake, "status", "--json").stdout.splitlines()
                      if (row := json.loads(line))["post"]]
        assert run_in_process(tmp_path, fake, "approve", video_id).code == 0
    built = generator.build(tmp_path / "output" / "posts", tmp_path / "plain")
    pages = {path: text for path in built.rglob("*.html") if HANT_ARTICLE["title"] in (text := path.read_text(encoding="utf-8"))}
    assert pages
    assert_inert(pages)
    for text in pages.values():
        tags = Tags()
        tags.feed(text)
        assert not any(key in ("x", "<b") for _, attrs in tags.seen for key, _ in attrs)
