"""Links to a second of a video, for its site's video pages only (``pipeline.sites``)."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from pipeline.sites import link_at


def safe_video_url(url: str, seconds: float | None = None) -> str | None:
    """``url`` (at second ``seconds``) when it is a video page of a known site over http(s), the
    one kind of link a time is added to; None for anything else. Parsed, not searched (the site
    decides: ``javascript:alert(1)//`` followed by a watch page's address contains what a watch
    link contains).
    The URL also goes into Markdown links: nothing that could end one (spaces, brackets, quotes)
    may be in it."""
    if any(ch.isspace() or ch in "()<>[]\"'`\\" or unicodedata.category(ch)[0] == "C" for ch in url):
        return None
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018  # raises on a malformed port
    except ValueError:  # a malformed port or IPv6 address
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return link_at(url, seconds)
