"""Eleventy posts, in exactly the shape of the site's real ones (``tests/fixtures/seed-post.md``):
YAML front matter as python-frontmatter dumps it (keys sorted, block lists, the date a quoted
string, long strings never folded), then the body; ``draft: true`` until approved.

Eleventy runs a post's Markdown through Liquid first, so a post whose text holds template
syntax also gets ``templateEngineOverride: md``: its ``{{ }}`` and ``{% %}`` stay text.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.config import Config
from pipeline.post.formats.base import PostContent, PostText
from pipeline.sanitize import has_template_syntax
from pipeline.slugs import slugify

_DRAFT_LINE = re.compile(r"^draft:[^\r\n]*", re.MULTILINE)
_BOUNDARY = re.compile(r"^-{3,}\s*$", re.MULTILINE)  # python-frontmatter's
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

    def front_matter(self, content: PostContent, config: Config) -> dict[str, Any]:
        defaults = config.front_matter
        return {
            "layout": defaults.layout,
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
        import frontmatter  # here, as yaml in loads: ``status`` reads draft states only (30 ms of start-up)

        # width: never fold long strings, so a summary stays one line a reviewer can edit and grep.
        return frontmatter.dumps(frontmatter.Post(body, **_guard_liquid(front, body)), width=1_000_000) + "\n"

    def loads(self, text: str) -> PostText:
        import yaml

        head, body = _split(text.replace("\r\n", "\n"))  # python-frontmatter reads CRLF files so too
        try:
            front = yaml.load(head, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) if head is not None else {}
        except yaml.YAMLError as exc:
            raise ValueError(f"its front matter is not YAML: {str(exc).splitlines()[0]}") from None
        if not isinstance(front, dict):
            raise ValueError("its front matter is not a mapping of fields")
        front.pop(_GUARD, None)  # the format's own guard, put back by dumps when it is needed
        tags = front.get("tags")
        return PostText(front=front, body=body, draft=front.get("draft") is not False,
                        title=str(front.get("title") or ""), source=str(front.get("source") or ""),
                        tags=[str(tag) for tag in tags] if isinstance(tags, list) else [])

    def is_draft(self, text: str) -> bool:
        """The draft state, without parsing the front matter for the usual ``draft: true`` and
        ``draft: false`` (``status`` asks it of every post); any other spelling as YAML reads it."""
        head, _body = _split(text)
        line = _DRAFT_LINE.search(head) if head is not None else None
        if line is None:
            return True
        value = line.group(0)[len("draft:"):].strip()
        if value in ("true", "false"):
            return value == "true"
        try:
            return self.loads(text).draft
        except ValueError:
            return True

    def with_article(self, front: dict[str, Any], *, title: str, summary: str, tags: list[str]) -> dict[str, Any]:
        """The front matter with a regenerated article's title, summary and tags (where the post has them)."""
        new = {"title": title, "summary": summary, "tags": tags}
        return {key: new.get(key, value) for key, value in front.items()}

    def file_name(self, date: str, slug: str, video_id: str) -> str:
        return f"{date or 'undated'}-{slug or video_id}.md"

    def approve(self, text: str) -> str:
        head, _body = _split(text)
        if head is not None and _DRAFT_LINE.search(head):
            start = text.index(head)  # the header's own text: only its draft line changes
            return text[:start] + _DRAFT_LINE.sub("draft: false", head, count=1) + text[start + len(head):]
        post = self.loads(text)
        return self.dumps(dict(post.front, draft=False), post.body)


def _split(text: str) -> tuple[str | None, str]:
    """The front matter's YAML (None without one) and the body, as python-frontmatter splits them."""
    if not _BOUNDARY.match(text):
        return None, text.strip()
    parts = _BOUNDARY.split(text, 2)
    if len(parts) < 3:
        return None, text.strip()
    return parts[1], parts[2].strip()


def _guard_liquid(front: dict[str, Any], body: str) -> dict[str, Any]:
    """The front matter, with ``templateEngineOverride: md`` exactly when the post's text holds
    template syntax: Eleventy runs Markdown through Liquid first, where it would execute."""
    front = {k: v for k, v in front.items() if k != _GUARD}
    texts = [body, *(str(v) for v in front.values() if isinstance(v, str))]
    texts += [str(item) for v in front.values() if isinstance(v, list) for item in v]
    if any(has_template_syntax(text) for text in texts):
        front[_GUARD] = "md"
    return front
