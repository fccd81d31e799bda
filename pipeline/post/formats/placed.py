"""What Hexo and Jekyll share: a draft is a file in the site's drafts folder, a published post
one in its posts folder, and approving a draft moves it there; the text itself says nothing of
the state. Both read Markdown with YAML front matter and run a template engine over it (one
front-matter field turns that off per post: the format's ``guard``, always written)."""

from __future__ import annotations

from typing import Any

from pipeline.post.formats import yamlfront
from pipeline.post.formats.base import PostText, hidden_beside, outside_code, read_back, replaced, with_fields


class PlacedDrafts:
    """The shared half of a format whose drafts are a place: ``drafts`` and ``posts`` are the
    folders (in the posts folder, which is laid out as the site's root), ``guard`` the field
    that keeps the generator's template engine off the post's text, ``inert`` pairs of syntax
    the generator's Markdown would act on and the same text written inertly, ``source_field``
    the field of the video's URL."""

    drafts: str
    posts: str
    guard: str
    inert: tuple[tuple[str, str], ...] = ()
    source_field = "source"  # the field of the video's URL, which identifies the post

    def dumps(self, front: dict[str, Any], body: str) -> str:
        body = outside_code(body, replaced(self.inert))  # code is shown as written, never acted on
        return yamlfront.dump({**{k: v for k, v in front.items() if k != self.guard}, self.guard: _GUARDS[self.guard]},
                              body, sort_keys=False)

    def loads(self, text: str) -> PostText:
        front, body = yamlfront.load(text)
        front.pop(self.guard, None)  # the format's own, always written back by dumps
        body = outside_code(body, replaced(self.inert, back=True))
        return read_back(front, body, self.source_field)

    def is_draft(self, name: str, text: str) -> bool:
        return not name.startswith(self.posts)

    def with_article(self, front: dict[str, Any], *, title: str, summary: str, tags: list[str]) -> dict[str, Any]:
        return with_fields(front, {"title": title, self.summary_field: summary, "tags": tags})

    summary_field = "excerpt"

    def file_name(self, date: str, slug: str, video_id: str) -> str:
        name = slug or video_id
        # Both generators skip a file whose name starts with "_" in their drafts and posts
        # folders, and a video's id may start so (a title that gives no slug names a post so).
        return f"{self.drafts}{'post' if name.startswith('_') else ''}{name}.md"

    beside = staticmethod(hidden_beside)

    def approve(self, name: str, text: str) -> tuple[str, str]:
        if not self.is_draft(name, text):
            return name, text
        return self.posts + self.published_name(name.rsplit("/", 1)[-1], text), text

    def published_name(self, draft_name: str, text: str) -> str:
        """The file name of the published post of the draft ``draft_name``."""
        return draft_name


_GUARDS = {"disableNunjucks": True, "render_with_liquid": False}
