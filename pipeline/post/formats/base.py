"""The shape every post format has: what a post says (``PostContent``), a post read back
(``PostText``), and the interface a format module implements (``PostFormat``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from pipeline.config import Config


@dataclass(frozen=True)
class PostContent:
    """What a post says, whatever the generator: built by the write stage from the article and
    the video's metadata, every text already made safe (``pipeline.sanitize``)."""

    title: str
    summary: str
    date: str  # YYYY-MM-DD, or "" when unknown
    source: str  # the video's canonical URL
    speaker: str  # the channel or show
    tags: list[str]
    area: str
    category: str
    companies_orgs: list[str]
    products_models: list[str]
    guest: str
    insight: str
    body: str  # Markdown: the sections as ``### heading`` blocks


@dataclass
class PostText:
    """A post read back from its file."""

    front: dict[str, Any]
    body: str
    draft: bool
    title: str
    source: str  # the video's URL, which identifies the post ("" when it has none)
    tags: list[str]


class PostFormat(Protocol):
    name: str
    # Front-matter fields ``--set`` may give a value, and which of them are lists or booleans.
    fields: tuple[str, ...]
    list_fields: frozenset[str]
    bool_fields: frozenset[str]
    slug_fields: frozenset[str]  # list fields whose items are slugs (the desk's edit form makes them so)
    required_fields: frozenset[str]  # text fields ``--set`` may not empty
    not_settable: dict[str, str]  # fields ``--set`` may not change, and why

    def front_matter(self, content: PostContent, config: Config) -> dict[str, Any]:
        """The post's front matter for ``content``, before ``--set`` values."""
        ...

    def dumps(self, front: dict[str, Any], body: str) -> str:
        """The file's text: the generator's shape, its template syntax in the text kept inert."""
        ...

    def loads(self, text: str) -> PostText:
        """A post's text read back; raises ValueError when it is not a post of this format."""
        ...

    def with_article(self, front: dict[str, Any], *, title: str, summary: str, tags: list[str]) -> dict[str, Any]:
        """The front matter with a regenerated article's title, summary and tags."""
        ...

    def is_draft(self, text: str) -> bool:
        """Whether the post's text is still a draft (``status`` asks it of every post: cheap)."""
        ...

    def file_name(self, date: str, slug: str, video_id: str) -> str:
        """A new draft's file name inside the posts folder (``date`` YYYY-MM-DD or "", ``slug``
        ASCII or "")."""
        ...

    def approve(self, text: str) -> str:
        """The text with the post approved (no longer a draft), nothing else in it changed."""
        ...
