"""Jekyll posts: a draft is ``_drafts/<slug>.md``, moved to ``_posts/YYYY-MM-DD-<slug>.md`` on
approval (Jekyll builds drafts only with ``--drafts``). YAML front matter with Jekyll's fields:
``layout``, ``title``, ``date`` (``YYYY-MM-DD HH:MM:SS +0000``), ``categories`` (the area, then
the category: Jekyll's default permalinks put both in the URL), ``tags``, ``excerpt`` (the
summary); the seed's other fields as custom ones (``page.source`` …).

Jekyll runs Liquid over a post's content: every post carries ``render_with_liquid: false``
(Jekyll 4), so its ``{{ }}`` and ``{% %}`` stay text. Its Markdown, kramdown, reads ``{:`` as an
attribute list or an extension (``{: onclick=…}`` would give an element an attribute): written
``{&#58;``, which kramdown shows as ``{:``.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from pipeline.config import Config
from pipeline.post.formats import yamlfront
from pipeline.post.formats.base import (SEED_LISTS, SEED_PARAMS, SEED_SLUGS, SOURCE_NOT_SETTABLE, PostContent,
                                        categories, layout_of, seed_params)
from pipeline.post.formats.placed import PlacedDrafts

_DATED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}-")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Jekyll(PlacedDrafts):
    name = "jekyll"
    drafts, posts, guard = "_drafts/", "_posts/", "render_with_liquid"
    inert = (("{:", "{&#58;"),)
    fields = ("layout", "title", "date", "categories", "tags", "excerpt", "draft", *SEED_PARAMS)
    list_fields = frozenset({"tags", "categories", *SEED_LISTS})
    bool_fields: frozenset[str] = frozenset()
    slug_fields = frozenset({"tags", "categories", *SEED_SLUGS})
    required_fields = frozenset({"title", "layout"})
    not_settable = {**SOURCE_NOT_SETTABLE,
                    "draft": "a Jekyll draft is a file in _drafts/: approve it to move it to _posts/"}
    default_layout = "post"

    def front_matter(self, content: PostContent, config: Config) -> dict[str, Any]:
        front: dict[str, Any] = {"layout": layout_of(self, config), "title": content.title}
        if content.date:
            front["date"] = f"{content.date} 00:00:00 +0000"
        front.update(categories=categories(content), tags=list(content.tags), excerpt=content.summary)
        return {**front, **seed_params(content, config)}

    def published_name(self, draft_name: str, text: str) -> str:
        """``YYYY-MM-DD-<name>``: the post's date (today's, UTC, when it has none), as Jekyll
        names posts."""
        if _DATED.match(draft_name):
            return draft_name
        try:
            date = str(yamlfront.load(text)[0].get("date") or "")
        except ValueError:
            date = ""
        day = _DAY.match(date)
        return f"{day.group(0) if day else datetime.now(timezone.utc).strftime('%Y-%m-%d')}-{draft_name}"
