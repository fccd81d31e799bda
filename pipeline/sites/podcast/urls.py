"""Which SOURCE arguments name a podcast feed, without asking the network.

A feed URL has no form of its own, so these count: a URL whose host or path says it is a feed
(``feeds.…``, ``rss.…``, a ``/feed``, ``/rss`` or ``/atom`` segment, a name ending ``.xml``,
``.rss`` or ``.atom``, WordPress's ``?feed=``), any URL as ``feed:URL`` (or podcast apps'
``feed://``, ``itpc://``, ``pcast://``, ``podcast://``), any URL with ``#episode=``, an Apple
Podcasts link, and a saved feed file (``.xml``, ``.rss``, ``.atom``).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from pipeline.sites.podcast.apple import is_apple_url, parse_apple_url
from pipeline.sites.podcast.feed import EPISODE_FRAGMENT, split_episode_ref
from pipeline.sites.podcast.fetching import masked_url
from pipeline.errors import UsageError

FILE_SUFFIXES = (".xml", ".rss", ".atom")
_APP_SCHEMES = ("feed", "itpc", "pcast", "podcast")
_FEED_HOSTS = ("feeds", "feed", "rss", "podcastfeeds")
_FEED_SEGMENTS = frozenset({"feed", "feeds", "rss", "atom"})


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
    return masked_url(source) if "://" in source else source
