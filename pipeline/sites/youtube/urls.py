"""YouTube's URL forms: a video's id in any of them, its one canonical URL, and whether a URL
names a collection (a playlist or a channel) rather than one video."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

# A video id: 11 characters of this alphabet (the other patterns are built on it).
VIDEO_ID = r"[A-Za-z0-9_-]{11}"
_HOST = r"(?:www\.|m\.|music\.)?(?:youtube\.com|youtube-nocookie\.com)"
_ID = re.compile(VIDEO_ID)
_YT_HOST = re.compile(rf"^{_HOST}$")
_SCHEMELESS = re.compile(rf"^(?:{_HOST}|youtu\.be)/")
_PATH_ID = re.compile(rf"^/(?:shorts|embed|live|v|e)/({VIDEO_ID})(?:[/?#].*)?$")
_CHANNEL_PATH = re.compile(r"^/(?:@[^/]+|channel/UC[A-Za-z0-9_-]+|c/[^/]+|user/[^/]+)"
                           r"(?:/(videos|shorts|streams|featured|playlists|live))?/?$")


def canonical_url(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


def is_video_id(text: str) -> bool:
    """A YouTube video id: 11 characters of ``[A-Za-z0-9_-]``."""
    return bool(_ID.fullmatch(text))


def _split(text: str) -> Any:
    text = text.strip()
    if "://" not in text and _SCHEMELESS.match(text):
        text = "https://" + text
    return urlsplit(text)


def video_id_from_url(text: str) -> str | None:
    """The video id in any common URL form, or a bare id; None for anything else."""
    text = text.strip()
    if _ID.fullmatch(text):
        return text
    parts = _split(text)
    if parts.scheme not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower()
    if host == "youtu.be":
        candidate = parts.path.strip("/").split("/")[0]
        return candidate if _ID.fullmatch(candidate) else None
    if not _YT_HOST.match(host):
        return None
    if parts.path in ("/watch", "/watch/"):
        values = parse_qs(parts.query).get("v", [])
        return values[0] if values and _ID.fullmatch(values[0]) else None
    match = _PATH_ID.fullmatch(parts.path)
    return match.group(1) if match else None


def _feed_listing(parts: Any) -> str | None:
    """What a channel's or playlist's own feed (``/feeds/videos.xml?channel_id=UC…``,
    ``?playlist_id=PL…``, ``?user=NAME``) lists, as the URL yt-dlp lists it from; None for any
    other URL."""
    if parts.path != "/feeds/videos.xml":
        return None
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    if re.fullmatch(r"UC[A-Za-z0-9_-]+", query.get("channel_id", "")):
        return f"https://www.youtube.com/channel/{query['channel_id']}/videos"
    if re.fullmatch(r"[A-Za-z0-9_-]+", query.get("playlist_id", "")):
        return f"https://www.youtube.com/playlist?list={query['playlist_id']}"
    if re.fullmatch(r"[A-Za-z0-9_.-]+", query.get("user", "")):
        return f"https://www.youtube.com/user/{query['user']}/videos"
    return None


def is_collection_url(text: str) -> bool:
    """A playlist or channel URL (or its feed's). ``watch?v=ID&list=…`` is the video, not its playlist."""
    parts = _split(text)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not _YT_HOST.match(host):
        return False
    if parts.path.rstrip("/") == "/playlist":
        return "list" in parse_qs(parts.query)
    return bool(_CHANNEL_PATH.match(parts.path)) or _feed_listing(parts) is not None


def channel_videos_url(url: str) -> str:
    """A channel's root URL lists one playlist per tab; its uploads are the /videos tab. A
    channel's or playlist's feed lists what the channel's uploads or the playlist do."""
    parts = _split(url)
    if (listing := _feed_listing(parts)) is not None:
        return listing
    match = _CHANNEL_PATH.match(parts.path)
    if match and match.group(1) is None:
        return f"https://www.youtube.com{parts.path.rstrip('/')}/videos"
    return url
