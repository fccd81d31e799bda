"""The shape every post format has: what a post says (``PostContent``), a post read back
(``PostText``), and the interface a format module implements (``PostFormat``)."""

from __future__ import annotations

import re
from collections.abc import Callable
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
    slug: str = ""  # the post's ASCII slug (its file name's), "" when the title gives none
    written: str = ""  # when the article was written (ISO 8601, UTC), "" when unknown


@dataclass
class PostText:
    """A post read back from its file (whether it is a draft may also depend on where the file
    is: ``PostFormat.is_draft``)."""

    front: dict[str, Any]
    body: str
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
    default_layout: str  # the ``layout`` its posts get when ``front_matter.layout`` is unset ("": none)

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

    # ``name`` below is a post's path inside the posts folder, with ``/`` (``source/_drafts/x.md``):
    # the posts folder is laid out as the generator's site is (Eleventy: its posts folder; the
    # others: the site's root), so a format whose drafts have a place of their own knows a draft
    # by where it is.

    def is_draft(self, name: str, text: str) -> bool:
        """Whether the post at ``name`` holding ``text`` is still a draft (``status`` asks it of
        every post: cheap)."""
        ...

    def file_name(self, date: str, slug: str, video_id: str) -> str:
        """A new draft's ``name`` inside the posts folder, in the generator's draft place
        (``date`` YYYY-MM-DD or "", ``slug`` ASCII or "")."""
        ...

    def beside(self, file_name: str, kind: str) -> str:
        """The file name of a file kept beside the post ``file_name`` for the reviewer
        (``regenerated``, ``bak-<time>``, ``conflict-<time>``), one the generator neither builds
        nor publishes."""
        ...

    def approve(self, name: str, text: str) -> tuple[str, str]:
        """The approved post's name and text: the text no longer a draft, nothing else in it
        changed; the name where the generator keeps published posts (``name`` itself for a
        format whose drafts are marked in the text; the approval then moves the file)."""
        ...


def hidden_beside(file_name: str, kind: str) -> str:
    """``.<name>.<kind>``: Hugo publishes any other file beside a post, Jekyll one of ``_posts``
    named by a date; none of the generators reads a file whose name starts with a dot."""
    return f".{file_name}.{kind}"


def layout_of(post_format: PostFormat, config: Config) -> str:
    """The ``layout`` of the posts: ``front_matter.layout`` when set, else the format's own."""
    layout = config.front_matter.layout
    return post_format.default_layout if layout is None else layout


def seed_params(content: PostContent, config: Config) -> dict[str, Any]:
    """The seed's fields that a generator has no name of its own for: its own fields of the post
    (source, speaker, guest, insight, names) and the ``front_matter`` defaults, for a generator's
    custom parameters."""
    from pipeline.slugs import slugify

    defaults = config.front_matter
    return {
        "source": content.source,
        "speaker": content.speaker,
        "guest": content.guest,
        "insight": content.insight,
        "companies_orgs": list(content.companies_orgs),
        "products_models": list(content.products_models),
        "media_books": [slug] if (slug := slugify(content.speaker)) else [],
        "status": defaults.status,
        "project": list(defaults.project),
        "series": defaults.series,
    }


SEED_PARAMS = ("source", "speaker", "guest", "insight", "companies_orgs", "products_models", "media_books",
               "status", "project", "series")
SEED_LISTS = frozenset({"companies_orgs", "products_models", "media_books", "project"})
SEED_SLUGS = frozenset({"companies_orgs", "products_models", "media_books"})
SOURCE_NOT_SETTABLE = {"source": "it is the video's address, which identifies the post"}


def categories(content: PostContent) -> list[str]:
    """``area`` then ``category``: the generators' ``categories`` (Hexo reads the list as a
    hierarchy, the category inside its area)."""
    return [value for value in (content.area, content.category) if value]


# A code span: backticks, then the next run of as many, on the same line.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)[^\n]+?(?<!`)\1(?!`)")


def outside_code(body: str, prose: Callable[[str], str], code: Callable[[str], str] = str) -> str:
    """``body`` with ``prose`` applied to its Markdown text and ``code`` to its code (fenced and
    indented blocks, code spans): a generator's Markdown shows code exactly as written, so an
    entity that keeps its syntax inert in prose would show in code as the entity. Only what every
    generator's Markdown reads as code counts (else text taken for code would not be made inert):
    blocks at the top level (not in a list or a quote) after a blank line, a fence closed and
    with at most one word after it (kramdown's), a code span on one line."""
    from markdown_it import MarkdownIt

    lines = re.split(r"(?<=\n)", body)  # markdown-it's lines (splitlines() also breaks at \f, \x1c …)
    blocks = [token.map for token in MarkdownIt("commonmark").parse(body)
              if token.map and token.level == 0 and _plain_block(lines, *token.map, token.type, token.markup)]
    out, line = [], 0
    for start, end in blocks:
        out += [_spans("".join(lines[line:start]), prose, code), code("".join(lines[start:end]))]
        line = end
    return "".join([*out, _spans("".join(lines[line:]), prose, code)])


def _plain_block(lines: list[str], start: int, end: int, kind: str, markup: str) -> bool:
    """Whether ``lines[start:end]`` is code to every generator: an indented block, or a fence with
    one word (or none) after it that is closed, either with a blank line (or nothing) above."""
    if start > 0 and lines[start - 1].strip():
        return False
    if kind == "code_block":
        return True
    info = lines[start].strip()[len(markup):].split()
    closing = lines[end - 1].strip() if end - start >= 2 else ""
    return kind == "fence" and len(info) <= 1 and closing.startswith(markup) and set(closing) == {markup[0]}


def _spans(text: str, prose: Callable[[str], str], code: Callable[[str], str]) -> str:
    out, last = [], 0
    for match in _CODE_SPAN.finditer(text):
        out += [prose(text[last:match.start()]), code(match.group(0))]
        last = match.end()
    return "".join([*out, prose(text[last:])])


def replaced(pairs: tuple[tuple[str, str], ...], *, back: bool = False) -> Callable[[str], str]:
    """A function replacing each pair's first text by its second (``back``: the second by the first)."""
    def replace(text: str) -> str:
        for syntax, inert in pairs:
            text = text.replace(inert, syntax) if back else text.replace(syntax, inert)
        return text
    return replace


def read_back(front: dict[str, Any], body: str, source_field: str = "source") -> PostText:
    """A post's front matter and body as ``PostText`` (its title, source and tags where it has them)."""
    tags = front.get("tags")
    return PostText(front=front, body=body, title=str(front.get("title") or ""),
                    source=str(front.get(source_field) or ""),
                    tags=[str(tag) for tag in tags] if isinstance(tags, list) else [])


def with_fields(front: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The front matter with ``new``'s values for the fields it has (the others are not added)."""
    return {key: new.get(key, value) for key, value in front.items()}
