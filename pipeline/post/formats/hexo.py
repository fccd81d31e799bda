"""Hexo posts: a draft is ``source/_drafts/<slug>.md``, moved to ``source/_posts/<slug>.md`` on
approval as ``hexo publish`` does (Hexo builds drafts only with ``--draft``). YAML front matter
with Hexo's fields: ``title``, ``date`` and ``updated`` (``YYYY-MM-DD HH:mm:ss``, UTC: the upload
day, and when the article was written), ``tags``, ``categories`` (a list is a hierarchy to Hexo:
the area, then the category inside it), ``excerpt`` (the summary), ``layout``; the seed's other
fields as custom ones (``page.speaker`` …), the video's URL as ``video`` (Hexo's own ``source``
is the post's file).

Hexo renders a post through Nunjucks before Markdown (``{% unknown %}`` fails the build,
``{{ config.title }}`` is evaluated): every post carries ``disableNunjucks: true``, which Hexo
honours per post, so its ``{{ }}``, ``{% %}`` and ``{# #}`` stay text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.config import Config
from pipeline.post.formats.base import (SEED_LISTS, SEED_PARAMS, SEED_SLUGS, SOURCE_NOT_SETTABLE, PostContent,
                                        categories, layout_of, seed_params)
from pipeline.post.formats.placed import PlacedDrafts


class Hexo(PlacedDrafts):
    name = "hexo"
    drafts, posts, guard = "source/_drafts/", "source/_posts/", "disableNunjucks"
    source_field = "video"  # Hexo's own ``source`` is the post's file
    fields = ("title", "date", "updated", "tags", "categories", "excerpt", "layout", "draft", "video",
              *(name for name in SEED_PARAMS if name != "source"))
    list_fields = frozenset({"tags", "categories", *SEED_LISTS})
    bool_fields: frozenset[str] = frozenset()
    slug_fields = frozenset({"tags", "categories", *SEED_SLUGS})
    required_fields = frozenset({"title", "layout"})
    not_settable = {source_field: SOURCE_NOT_SETTABLE["source"],
                    "draft": "a Hexo draft is a file in source/_drafts/: approve it to move it to source/_posts/"}
    default_layout = "post"

    def front_matter(self, content: PostContent, config: Config) -> dict[str, Any]:
        front: dict[str, Any] = {"title": content.title}
        if content.date:
            front["date"] = f"{content.date} 00:00:00"
        if updated := _hexo_time(content.written):
            front["updated"] = updated
        front.update(tags=list(content.tags), categories=categories(content), excerpt=content.summary,
                     layout=layout_of(self, config))
        return {**front, **{self.source_field if key == "source" else key: value
                            for key, value in seed_params(content, config).items()}}


def _hexo_time(iso: str) -> str:
    """An ISO 8601 time as Hexo writes dates (``YYYY-MM-DD HH:mm:ss``, UTC); "" when it is none."""
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S") if iso else ""
    except ValueError:
        return ""
