"""YAML front matter, as every format here writes it: python-frontmatter's ``---`` blocks, read
back as python-frontmatter splits them (CRLF files too), with the safe YAML loader."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_BOUNDARY = re.compile(r"^-{3,}\s*$", re.MULTILINE)  # python-frontmatter's
_DRAFT_LINE = re.compile(r"^draft:[^\r\n]*", re.MULTILINE)


def split(text: str) -> tuple[str | None, str]:
    """The front matter's YAML (None without one) and the body, as python-frontmatter splits them."""
    if not _BOUNDARY.match(text):
        return None, text.strip()
    parts = _BOUNDARY.split(text, 2)
    if len(parts) < 3:
        return None, text.strip()
    return parts[1], parts[2].strip()


def load(text: str) -> tuple[dict[str, Any], str]:
    """The front matter and the body; ValueError when the front matter is not a YAML mapping."""
    import yaml  # here: ``status`` reads draft states only (30 ms of start-up)

    head, body = split(text.replace("\r\n", "\n"))  # python-frontmatter reads CRLF files so too
    try:
        front = yaml.load(head, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) if head is not None else {}
    except yaml.YAMLError as exc:
        raise ValueError(f"its front matter is not YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(front, dict):
        raise ValueError("its front matter is not a mapping of fields")
    return front, body


def dump(front: dict[str, Any], body: str, *, sort_keys: bool = True) -> str:
    """The file's text: the front matter as python-frontmatter dumps it, then the body."""
    import frontmatter

    # width: never fold long strings, so a summary stays one line a reviewer can edit and grep.
    return frontmatter.dumps(frontmatter.Post(body, **front), width=1_000_000, sort_keys=sort_keys) + "\n"


def is_draft(text: str, *, unmarked: bool = True) -> bool:
    """A ``draft:`` field's state (no field, or no front matter: ``unmarked``, as the generator
    reads such a post), without parsing the front matter for the usual ``draft: true`` and
    ``draft: false`` (``status`` asks it of every post); any other spelling as YAML reads it."""
    head, _body = split(text)
    line = _DRAFT_LINE.search(head) if head is not None else None
    if line is None:
        return unmarked
    value = line.group(0)[len("draft:"):].strip()
    if value in ("true", "false"):
        return value == "true"
    try:
        return load(text)[0].get("draft") is not False
    except ValueError:
        return True


def approve_draft(text: str, dumps: Callable[[dict[str, Any], str], str],
                  loads: Callable[[str], tuple[dict[str, Any], str]]) -> str:
    """The text with ``draft: false``: only the header's draft line changes (a header without
    one is written again by ``dumps`` from what ``loads`` reads)."""
    head, _body = split(text)
    if head is not None and _DRAFT_LINE.search(head):
        start = text.index(head)  # the header's own text: only its draft line changes
        return text[:start] + _DRAFT_LINE.sub("draft: false", head, count=1) + text[start + len(head):]
    front, body = loads(text)
    return dumps(dict(front, draft=False), body)
