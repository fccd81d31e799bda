"""Video metadata through yt-dlp: from a local ``.info.json`` or, online, from YouTube.

Only this module imports yt-dlp for metadata. Its errors arrive as text, so they are matched
to a small set of causes (see ``pipeline.errors``) by substring.
"""

from __future__ import annotations

import json
import logging
import re
import textwrap
from pathlib import Path
from typing import Any

from pipeline.errors import (AgeRestricted, FetchError, IpBlocked, LiveOrUpcoming, MembersOnly, NetworkError,
                             VideoPrivate, VideoUnavailable)
from pipeline.models import Chapter, Metadata

log = logging.getLogger(__name__)

METADATA_FIELDS = (
    "id", "title", "channel", "uploader", "upload_date", "release_date", "duration", "description", "tags",
    "language", "webpage_url", "channel_id", "channel_url", "live_status", "availability",
)
SUBTITLE_EXTS = ("json3", "vtt", "srv3", "srt", "ttml", "srv1", "srv2")


class YtDlpLogger:
    """Routes yt-dlp's messages to ``logging``: ``quiet`` alone still prints warnings to stderr."""

    def debug(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def info(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def warning(self, msg: str) -> None:
        log.info("yt-dlp: %s", msg)

    def error(self, msg: str) -> None:
        log.info("yt-dlp: %s", msg)


def _wanted(lang: str, keep: set[str] | None) -> bool:
    return keep is None or lang.endswith("-orig") or lang.split("-")[0].lower() in keep


def metadata_from_info(info: dict[str, Any], *, origin: str, info_path: Path | None = None,
                       languages: list[str] | None = None) -> Metadata:
    """Keep the fields later stages use; drop formats, thumbnails and the rest.

    Automatic captions list a machine translation into every language YouTube knows (hundreds
    of entries); only the original speech and the wanted ``languages`` (plus the video's own
    and English) are kept. Uploaded subtitles are all kept: any of them is a real fallback.
    """
    keep = None
    if languages is not None:
        keep = {lang.split("-")[0].lower() for lang in [*languages, str(info.get("language") or ""), "en"] if lang}
    data: dict[str, Any] = {key: info.get(key) for key in METADATA_FIELDS if info.get(key) is not None}
    data["id"] = str(info.get("id") or info.get("display_id") or "")
    if not data["id"]:
        raise FetchError(f"{info_path or 'yt-dlp'}: the metadata has no video id")
    data["tags"] = [str(t) for t in info.get("tags") or []]
    data["chapters"] = [
        Chapter(start_time=float(c.get("start_time") or 0), end_time=c.get("end_time"), title=str(c.get("title") or ""))
        for c in info.get("chapters") or []
    ]
    requested = info.get("requested_subtitles") or {}
    for key in ("subtitles", "automatic_captions"):
        tracks: dict[str, list[dict[str, Any]]] = {}
        for lang, formats in (info.get(key) or {}).items():
            if lang == "live_chat" or not isinstance(formats, list):
                continue
            if key == "automatic_captions" and not _wanted(lang, keep):
                continue
            kept = [{k: f.get(k) for k in ("ext", "url", "name") if f.get(k)} for f in formats
                    if isinstance(f, dict) and f.get("ext") in SUBTITLE_EXTS]
            if kept:
                tracks[lang] = kept
        data[key] = tracks
    # Subtitles yt-dlp already downloaded may be inline in the info.json.
    inline = {lang: sub for lang, sub in requested.items() if isinstance(sub, dict) and sub.get("data")}
    for lang, sub in inline.items():
        bucket = "subtitles" if lang in data["subtitles"] else "automatic_captions"
        data[bucket].setdefault(lang, []).insert(0, {"ext": sub.get("ext") or "vtt", "data": sub["data"]})
    data["origin"] = origin
    data["info_path"] = str(info_path) if info_path else None
    return Metadata.model_validate(data)


def load_info_json(path: Path, languages: list[str] | None = None, max_mb: float | None = None) -> Metadata:
    from pipeline.sources.listing import read_input

    if not path.exists():
        raise FetchError(f"{path}: no such info.json file")
    try:
        info = json.loads(read_input(path, max_mb))
    except ValueError as exc:
        raise FetchError(f"{path}: not a readable yt-dlp info.json: {exc}") from None
    if not isinstance(info, dict):
        raise FetchError(f"{path}: not a yt-dlp info.json (expected a JSON object)")
    return metadata_from_info(info, origin="info.json", info_path=path, languages=languages)


def ytdlp_params(proxy: str | None, cookies_file: str | None, cookies_from_browser: str | None,
                 timeout: float) -> dict[str, Any]:
    params: dict[str, Any] = {
        "quiet": True,
        "no_warnings": True,
        "logger": YtDlpLogger(),
        "skip_download": True,
        # A video without playable formats (members-only, DRM) still yields its metadata.
        "ignore_no_formats_error": True,
        "socket_timeout": timeout,
    }
    if proxy:
        params["proxy"] = proxy
    if cookies_file:
        params["cookiefile"] = cookies_file
    if cookies_from_browser:
        params["cookiesfrombrowser"] = (cookies_from_browser,)
    return params


# "[Errno 111] Connection refused": the operating system's words, the heart of a network error.
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\"()\]>]+)")


def network_reason(message: str) -> tuple[str, bool]:
    """What failed in a connection (yt-dlp's text, or requests' through youtube-transcript-api),
    whole and short, and whether it was the proxy."""
    text = message.lower()
    proxy = "proxy" in text or "socks" in text
    errno = _ERRNO.search(message)
    why = errno.group(1).strip().lower() if errno else ""
    if proxy:
        return f"cannot connect to the proxy ({why or 'no answer'})", True
    if "resolve" in text or "name resolution" in text or "name or service" in text:
        return f"cannot resolve www.youtube.com ({why or 'no DNS answer'})", False
    if "timed out" in text:
        return "no answer within youtube.timeout", False
    # The library's words, without its "ERROR: [youtube] <id>: " and "(caused by …)" wrapping.
    plain = message.split("(caused by", 1)[0].removeprefix("ERROR:").strip()
    plain = re.sub(r"^\[[^\]]+\] [^:]+: ", "", plain)
    return why or textwrap.shorten(" ".join(plain.split()), 160, placeholder=" …"), False


def network_error(message: str, video_id: str) -> FetchError:
    """A failed connection as one line: what failed, and the setting or the offline way around it."""
    detail, proxy = network_reason(message)
    return NetworkError.of(video_id, detail, proxy=proxy)


def classify_ytdlp_error(message: str, video_id: str) -> FetchError:
    """Map yt-dlp's error text to one cause with a message that says what to do."""
    text = message.lower().replace("’", "'")
    detail = message.strip()[:200]
    if "confirm you're not a bot" in text or "http error 429" in text or "try again later" in text:
        return IpBlocked.of(video_id)
    if "private video" in text:
        return VideoPrivate.of(video_id)
    if "confirm your age" in text or "age-restricted" in text or "inappropriate for some users" in text:
        return AgeRestricted.of(video_id)
    if "members-only" in text or "join this channel" in text or "members only" in text:
        return MembersOnly.of(video_id)
    if "premieres in" in text or "live event will begin" in text or "is upcoming" in text or "is live" in text:
        return LiveOrUpcoming.of(video_id)
    if any(s in text for s in ("unable to download", "timed out", "connection", "name or service not known",
                                "temporary failure", "network is unreachable")):
        return network_error(message, video_id)
    if any(s in text for s in ("video unavailable", "not available", "has been removed", "copyright",
                                "does not exist", "terminated")):
        return VideoUnavailable.of(video_id, detail)
    return FetchError(f"{video_id}: yt-dlp failed: {detail}", video_id=video_id)


def extract_metadata(url: str, video_id: str, params: dict[str, Any], languages: list[str] | None = None) -> Metadata:
    """Fetch one video's metadata from YouTube (no download)."""
    import yt_dlp
    from yt_dlp.utils import DownloadError

    try:
        with yt_dlp.YoutubeDL(params) as ydl:
            info = ydl.extract_info(url, download=False)
    except DownloadError as exc:
        raise classify_ytdlp_error(str(exc), video_id) from None
    if not isinstance(info, dict):
        raise FetchError(f"{video_id}: yt-dlp returned no metadata", video_id=video_id)
    live = info.get("live_status")
    if live in {"is_live", "is_upcoming", "post_live"}:
        raise LiveOrUpcoming(f"{video_id}: the video is {live.replace('_', ' ')}; rerun after it airs "
                             "and its captions are processed", video_id=video_id)
    return metadata_from_info(info, origin="yt-dlp", languages=languages)
