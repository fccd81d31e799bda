"""Eleventy posts, in exactly the shape of the site's real ones (``tests/fixtures/seed-post.md``):
YAML front matter as python-frontmatter dumps it (keys sorted, block lists, the date a quoted
string, long strings never folded), then the body; ``draft: true`` until approved. The posts
folder is the site's posts folder: ``<date>-<slug>.md``.

Eleventy runs a post's Markdown through Liquid first, so a post whose text holds template
syntax also gets ``templateEngineOverride: md``: its ``{{ }}`` and ``{% %}`` stay text.
"""

from __future__ import annotations

from typing import Any

from pipeline.config import Config
from pipeline.post.formats import yamlfront
from pipeline.post.formats.base import PostContent, PostText, layout_of, read_back, with_fields
from pipeline.sanitize import has_template_syntax
from pipeline.slugs import slugify

_GUARD = "templateEngineOverride"


class Eleventy:
    name = "eleventy"
    fields = ("area", "category", "companies_orgs", "date", "draft", "guest", "insight", "layout",
              "media_books", "products_models", "project", "series", "source", "speaker", "status",
              "summary", "tags", "title")
    list_fields = frozenset({"project", "tags", "media_books", "companies_orgs", "products_models"})
    bool_fields = frozenset({"draft"})
    slug_fields = frozenset({"tags", "companies_orgs", "products_models", "media_books"})
    required_fields = frozenset({"layout", "title", "date"})
    not_settable = {"source": "it is the video's address, which identifies the post"}
    default_layout = "post.njk"

    def front_matter(self, content: PostContent, config: Config) -> dict[str, Any]:
        defaults = config.front_matter
        return {
            "layout": layout_of(self, config),
            "status": defaults.status,
            "draft": defaults.draft,
            "project": list(defaults.project),
            "series": defaults.series,
            "source": content.source,
            "date": content.date,
            "speaker": content.speaker,
            "media_books": [slug] if (slug := slugify(content.speaker)) else [],
            "tags": list(content.tags),
            "area": content.area,
            "category": content.category,
            "companies_orgs": list(content.companies_orgs),
            "products_models": list(content.products_models),
            "title": content.title,
            "summary": content.summary,
            "guest": content.guest,
            "insight": content.insight,
        }

    def dumps(self, front: dict[str, Any], body: str) -> str:
        return yamlfront.dump(_guard_liquid(front, body), body)

    def loads(self, text: str) -> PostText:
        front, body = yamlfront.load(text)
        front.pop(_GUARD, None)  # the format's own guard, put back by dumps when it is needed
        return read_back(front, body)

    def is_draft(self, name: str, text: str) -> bool:
        return yamlfront.is_draft(text)

    def with_article(self, front: dict[str, Any], *, title: str, summary: str, tags: list[str]) -> dict[str, Any]:
        """The front matter with a regenerated article's title, summary and tags (where the post has them)."""
        return with_fields(front, {"title": title, "summary": summary, "tags": tags})

    def file_name(self, date: str, slug: str, video_id: str) -> str:
        return f"{date or 'undated'}-{slug or video_id}.md"

    def beside(self, file_name: str, kind: str) -> str:
        return f"{file_name}.{kind}"  # not Markdown to Eleventy, which builds only *.md

    def approve(self, name: str, text: str) -> tuple[str, str]:
        return name, yamlfront.approve_draft(text, self.dumps, yamlfront.load)


def _guard_liquid(front: dict[str, Any], body: str) -> dict[str, Any]:
    """The front matter, with ``templateEngineOverride: md`` exactly when the post's text holds
    template syntax: Eleventy runs Markdown through Liquid first, where it would execute."""
    front = {k: v for k, v in front.items() if k != _GUARD}
    texts = [body, *(str(v) for v in front.values() if isinstance(v, str))]
    texts += [str(item) for v in front.values() if isinstance(v, list) for item in v]
    if any(has_template_syntax(text) for text in texts):
        front[_GUARD] = "md"
    return front
