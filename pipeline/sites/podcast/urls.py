"""Which SOURCE arguments name a podcast feed, without asking the network.

A feed URL has no form of its own, so these count: a URL whose host or path says it is a feed
(``feeds.…``, ``rss.…``, a ``/feed``, ``/rss`` or ``/atom`` segment, a name ending ``.xml``,
``.rss`` or ``.atom``, WordPress's ``?feed=``), any URL as ``feed:URL`` (or podcast apps'
``feed://``, ``itpc://``, ``pcast://``, ``podcast://``), any URL with ``#episode=``, an Apple
Podcasts link, and a saved feed file (``.xml``, ``.rss``, ``.atom``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from pipeline.errors import UsageError

FILE_SUFFIXES = (".xml", ".rss", ".atom")
_APP_SCHEMES = ("feed", "itpc", "pcast", "podcast")
_FEED_HOSTS = ("feeds", "feed", "rss", "podcastfeeds")
_FEED_SEGMENTS = frozenset({"feed", "feeds", "rss", "atom"})


# One episode of a feed: the feed, "#episode=", and the item's guid or enclosure URL
# (percent-encoded where it holds "#" or "&"). A fragment is never sent to the server.
EPISODE_FRAGMENT = "#episode="
_APPLE_HOSTS = ("podcasts.apple.com", "itunes.apple.com")
_SHOW_ID = re.compile(r"/id(\d{1,15})(?:/|$)")


def split_episode_ref(source: str) -> tuple[str, str | None]:
    """``FEED#episode=KEY`` as (``FEED``, ``KEY``); a source without it as (source, None)."""
    feed, marker, key = source.partition(EPISODE_FRAGMENT)
    return (feed, unquote(key).strip() or None) if marker else (source, None)


@dataclass(frozen=True)
class AppleLink:
    show_id: int
    episode_id: int | None = None  # the ``?i=`` track id of an episode link


def is_apple_url(url: str) -> bool:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return host in _APPLE_HOSTS


def parse_apple_url(url: str) -> AppleLink:
    """The show id (and the episode's track id) of an Apple Podcasts URL; ``UsageError`` for one
    without an ``id<N>``."""
    parts = urlsplit(url.strip())
    match = _SHOW_ID.search(parts.path)
    if not is_apple_url(url) or not match:
        raise UsageError(f"{url}: not an Apple Podcasts show or episode URL (podcasts.apple.com/…/id<N>)")
    episode = parse_qs(parts.query).get("i", [""])[0]
    return AppleLink(int(match.group(1)), int(episode) if episode.isdigit() else None)


def _is_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def feed_location(source: str) -> str:
    """Where the feed a source names is read from: an http(s) URL (``feed:`` forms unwrapped)
    or a saved file's absolute path."""
    feed = split_episode_ref(source)[0].strip()
    scheme, _, rest = feed.partition(":")
    if scheme.lower() in _APP_SCHEMES and rest:
        inner = rest[2:] if rest.startswith("//") else rest
        return inner if _is_http(inner) else f"http://{inner}"
    if _is_http(feed):
        return feed
    return str(Path(feed).expanduser().resolve())


def _looks_like_feed(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    segments = [segment.lower() for segment in parts.path.split("/") if segment]
    return (host.split(".", 1)[0] in _FEED_HOSTS or any(s in _FEED_SEGMENTS for s in segments)
            or bool(segments and segments[-1].endswith(FILE_SUFFIXES)) or "feed" in parse_qs(parts.query))


def is_feed_source(text: str) -> bool:
    """Whether ``text`` names a podcast feed (or one episode of one)."""
    feed = split_episode_ref(text)[0].strip()
    if not feed:
        return False
    if is_apple_url(feed):
        try:
            parse_apple_url(feed)
        except UsageError:
            return False
        return True
    scheme = feed.partition(":")[0].lower()
    if scheme in _APP_SCHEMES and feed != scheme:
        return True
    if _is_http(feed):
        return EPISODE_FRAGMENT in text or _looks_like_feed(feed)
    if "://" in feed:
        return False
    path = Path(feed).expanduser()
    try:
        return path.suffix.lower() in FILE_SUFFIXES and path.is_file()
    except OSError:  # a name too long to be a file
        return False


def shown(source: str) -> str:
    """The feed as a message shows it: without its credentials."""
    from pipeline.sites.podcast.fetching import masked_url  # requests: only when a message names a feed

    return masked_url(source) if "://" in source else source
