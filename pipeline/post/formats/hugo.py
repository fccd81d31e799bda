"""Hugo posts: ``content/posts/<slug>.md`` (a page of the ``posts`` section, not a page bundle),
YAML front matter with Hugo's own fields (``title``, ``date`` in RFC 3339, ``draft``,
``slug``, ``summary``, ``tags``, ``categories``: the area then the category) and the seed's
other fields as custom parameters (``.Params``); ``draft: true`` until approved, in place.

Hugo runs the shortcodes it finds in content, code included, and an unknown one fails the whole
site build: ``{{<`` and ``{{%`` in the text are written with an entity for their third
character, which Markdown shows as the character, so they reach the page as text (and read back
as written). Code shows no entity, so there a whole shortcode is written as Hugo's own escape,
``{{</* x */>}}``, which Hugo shows as ``{{< x >}}`` (one left open keeps the entity: Hugo fails
on an open escape).
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.config import Config
from pipeline.post.formats import yamlfront
from pipeline.post.formats.base import (SEED_LISTS, SEED_PARAMS, SEED_SLUGS, SOURCE_NOT_SETTABLE, PostContent,
                                        PostText, categories, hidden_beside, layout_of, outside_code, read_back,
                                        replaced, seed_params, with_fields)

_SHORTCODES = (("{{<", "{{&lt;"), ("{{%", "{{&#37;"))
_WHOLE = re.compile(r"\{\{<(.*?)>\}\}|\{\{%(.*?)%\}\}", re.DOTALL)  # {{< x >}}, {{% x %}}
_ESCAPED = re.compile(r"\{\{</\*(.*?)\*/>\}\}|\{\{%/\*(.*?)\*/%\}\}", re.DOTALL)  # {{</* x */>}}, {{%/* x */%}}


def _code(text: str) -> str:
    """Code's shortcodes: a whole one as Hugo's escape, the rest of its ``{{<`` and ``{{%`` as in prose."""
    out, last = [], 0
    for match in _WHOLE.finditer(text):
        angle = match.group(1) is not None
        inner = match.group(1) if angle else match.group(2)
        out += [replaced(_SHORTCODES)(text[last:match.start()]), "{{</*%s*/>}}" % inner if angle else "{{%%/*%s*/%%}}" % inner]
        last = match.end()
    return "".join([*out, replaced(_SHORTCODES)(text[last:])])


def _code_back(text: str) -> str:
    text = replaced(_SHORTCODES, back=True)(text)
    return _ESCAPED.sub(lambda m: "{{<%s>}}" % m[1] if m[1] is not None else "{{%%%s%%}}" % m[2], text)


class Hugo:
    name = "hugo"
    fields = ("title", "date", "draft", "slug", "summary", "tags", "categories", "layout", *SEED_PARAMS)
    list_fields = frozenset({"tags", "categories", *SEED_LISTS})
    bool_fields = frozenset({"draft"})
    slug_fields = frozenset({"tags", "categories", *SEED_SLUGS})
    required_fields = frozenset({"title"})
    not_settable = SOURCE_NOT_SETTABLE
    default_layout = ""

    def front_matter(self, content: PostContent, config: Config) -> dict[str, Any]:
        front: dict[str, Any] = {"title": content.title}
        if content.date:
            front["date"] = f"{content.date}T00:00:00Z"
        front["draft"] = config.front_matter.draft
        if content.slug:
            front["slug"] = content.slug
        front.update(summary=content.summary, tags=list(content.tags), categories=categories(content))
        if layout := layout_of(self, config):
            front["layout"] = layout
        return {**front, **seed_params(content, config)}

    def dumps(self, front: dict[str, Any], body: str) -> str:
        body = outside_code(body, replaced(_SHORTCODES), _code)
        return yamlfront.dump(front, body, sort_keys=False)

    def loads(self, text: str) -> PostText:
        front, body = yamlfront.load(text)
        return read_back(front, outside_code(body, replaced(_SHORTCODES, back=True), _code_back))

    def is_draft(self, name: str, text: str) -> bool:
        return yamlfront.is_draft(text, unmarked=False)  # Hugo publishes a page without ``draft:``

    def with_article(self, front: dict[str, Any], *, title: str, summary: str, tags: list[str]) -> dict[str, Any]:
        return with_fields(front, {"title": title, "summary": summary, "tags": tags})

    def file_name(self, date: str, slug: str, video_id: str) -> str:
        return f"content/posts/{slug or video_id}.md"

    beside = staticmethod(hidden_beside)

    def approve(self, name: str, text: str) -> tuple[str, str]:
        return name, yamlfront.approve_draft(text, self.dumps, self._loaded)

    def _loaded(self, text: str) -> tuple[dict[str, Any], str]:
        post = self.loads(text)
        return post.front, post.body
