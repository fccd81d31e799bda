"""Video metadata through yt-dlp, for any site it reads: from a local ``.info.json`` or online.

Only this module and the sites' own modules import yt-dlp. Its errors arrive as text; each
site's module matches them to the causes of ``pipeline.errors`` (``classify``).
"""

from __future__ import annotations

import json
import logging
import math
import re
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from pipeline import redact
from pipeline.artifacts import shape_problem
from pipeline.config import browser_cookies
from pipeline.errors import (ConfigError, FetchError, IpBlocked, LiveOrUpcoming, NetworkError, VideoPrivate,
                             VideoUnavailable, os_reason)
from pipeline.shapes import Chapter, Metadata
from pipeline.words.transcripts import SUBTITLE_EXTS

if TYPE_CHECKING:
    from pipeline.config import SiteConfig

# A site's reading of yt-dlp's error text for one video (or listing): (message, id) -> the cause.
Classify = Callable[[str, str], FetchError]

log = logging.getLogger(__name__)

# What a yt-dlp extractor's key is made of (``Vimeo``, ``TedTalk``, ``BiliBiliBangumi``): it
# names a site and so a folder, so a key of anything else (``../x``) names none.
EXTRACTOR_KEY = re.compile(r"[A-Za-z0-9]{1,40}")
METADATA_FIELDS = (
    "id", "title", "channel", "uploader", "upload_date", "release_date", "duration", "description", "tags",
    "language", "webpage_url", "channel_id", "channel_url", "live_status", "availability",
)


class YtDlpLogger:
    """Routes yt-dlp's messages to ``logging``: ``quiet`` alone still prints warnings to stderr.
    Keeps the warnings, which a site may read (Bilibili's "subtitles are only available when
    logged in")."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def debug(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def info(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def warning(self, msg: str) -> None:
        self.warnings.append(msg)
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
    duration = data.get("duration")
    if isinstance(duration, (int, float)) and not (math.isfinite(duration) and duration >= 0):
        del data["duration"]  # NaN, Infinity (Python's json reads them) or negative: no length, and no JSON
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
            # ``data``: the text itself, where a site's extractor gives it so (Bilibili's subtitles).
            kept = [{k: f.get(k) for k in ("ext", "url", "name", "data") if f.get(k)} for f in formats
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
    key = info.get("extractor_key")
    if key is not None and not EXTRACTOR_KEY.fullmatch(str(key)):
        raise FetchError(f"{info_path or 'yt-dlp'}: extractor_key {str(key)[:60]!r} is not a yt-dlp extractor's name")
    try:
        return Metadata.model_validate(data)
    except ValidationError as exc:
        raise FetchError(f"{info_path or 'yt-dlp'}: not a yt-dlp info.json: {shape_problem(exc)}") from None


def load_info_json(path: Path, languages: list[str] | None = None, max_mb: float | None = None) -> Metadata:
    from pipeline.words.textfiles import read_input

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
        params["cookiefile"] = _netscape_cookies(cookies_file)
    if cookies_from_browser:
        params["cookiesfrombrowser"] = browser_cookies(cookies_from_browser)
    return params


def _netscape_cookies(path: str) -> str:
    """``path`` when it is a Netscape cookies.txt; a ``ConfigError`` otherwise (also a missing
    file, a folder, a device, a huge file). yt-dlp prints
    each line it cannot read, cookie values and all, straight to stderr (past every mask): a
    Cookie header pasted in place of the file must never reach it."""
    from pipeline.redact import cookie_file_lines

    try:
        lines = cookie_file_lines(Path(path).expanduser())
    except OSError as exc:  # yt-dlp reads a missing file as no cookies, silently (and makes it)
        raise ConfigError(f"{path}: {exc.args[0] if exc.args else exc}; cookies_file must name a Netscape "
                          "cookies.txt") from None
    for number, line in enumerate(lines, 1):
        comment = line.startswith("#") and not line.startswith("#HttpOnly_")
        if line.strip() and not comment and len(line.split("\t")) < 7:
            raise ConfigError(f"{path}: line {number} is not a cookie of a Netscape cookies.txt (7 tab-separated "
                              "fields); export the cookies in that format (a Cookie header copied from the browser "
                              "is not one)")
    return path


def section_params(section: SiteConfig) -> dict[str, Any]:
    """yt-dlp's options for a site: the proxy, cookies and timeout of its settings section."""
    return ytdlp_params(section.proxy, section.cookies_file, section.cookies_from_browser, section.timeout)


@contextmanager
def opened(params: dict[str, Any]) -> Iterator[Any]:
    """yt-dlp with ``params``; the cookies it reads from a browser are masked from then on, like
    a cookies file's (read here, when a site first needs them, not by every command)."""
    import yt_dlp

    with yt_dlp.YoutubeDL(params) as ydl:
        if params.get("cookiesfrombrowser"):
            redact.remember(cookie.value for cookie in ydl.cookiejar if cookie.value)
        yield ydl


def extract_metadata(url: str, video_id: str, params: dict[str, Any], classify: Classify,
                     languages: list[str] | None = None) -> Metadata:
    """Fetch one video's metadata (no download); ``classify`` reads yt-dlp's errors."""
    from yt_dlp.utils import DownloadError

    try:
        with opened(params) as ydl:
            info = ydl.extract_info(url, download=False)
    except DownloadError as exc:
        raise classify(str(exc), video_id) from None
    if not isinstance(info, dict):
        raise FetchError(f"{video_id}: yt-dlp returned no metadata", video_id=video_id)
    live = info.get("live_status")
    if live in {"is_live", "is_upcoming", "post_live"}:
        raise LiveOrUpcoming(f"{video_id}: the video is {live.replace('_', ' ')}; rerun after it airs "
                             "and its captions are processed", video_id=video_id)
    return metadata_from_info(info, origin="yt-dlp", languages=languages)


def extract_flat(url: str, params: dict[str, Any], classify: Classify,
                 extractor_args: dict[str, Any] | None = None) -> dict[str, Any]:
    """A playlist's or channel's entries in one request per page (``params``: the site's proxy
    and cookies, from :func:`ytdlp_params`)."""
    import yt_dlp

    options: dict[str, Any] = {
        "skip_download": True, "quiet": True, "no_warnings": True, "logger": YtDlpLogger(), **params,
        "extract_flat": "in_playlist", "extractor_args": extractor_args or {},
    }
    try:
        with opened(options) as ydl:
            info = ydl.extract_info(url, download=False)
    except yt_dlp.utils.DownloadError as exc:
        raise classify(str(exc), url) from None
    except Exception as exc:  # noqa: BLE001 - an extractor's own fault (a page it did not expect)
        raise FetchError(f"{url}: yt-dlp failed: {type(exc).__name__}: {exc}") from None
    return info or {}


# --- yt-dlp's errors, for any site ----------------------------------------------------------

NETWORK = re.compile(r"unable to download|timed out|connection|name or service not known|temporary failure"
                     r"|network is unreachable|\[errno")
_PREFIX = re.compile(r"^(?:ERROR:\s*)?(?:\[[^\]]+\]\s*[^:\s]+:\s*)?")
_BLOCKED = re.compile(r"http error 429|too many requests|http error 403: forbidden")
_PRIVATE = re.compile(r"\bprivate\b")
_UNAVAILABLE = re.compile(r"not available|unavailable|has been removed|does not exist|http error 404|deleted"
                          r"|geo.restrict")


def detail_of(message: str) -> str:
    """yt-dlp's words without its ``ERROR: [Extractor] <id>: `` and ``(caused by …)`` wrapping,
    its login hint (a link to yt-dlp's FAQ about command-line options) and excess length."""
    plain = _PREFIX.sub("", message.split("(caused by", 1)[0].strip())
    plain = re.split(r"\.? Use --cookies|; please report this issue", plain, maxsplit=1)[0]
    return textwrap.shorten(" ".join(plain.split()), 200, placeholder=" …")


def network_cause(message: str, video_id: str, *, what: str, section: str) -> FetchError:
    """A connection that failed, in one line: the operating system's words when there are some."""
    reason = os_reason(message) or detail_of(message)
    return NetworkError.of(video_id, reason, what=what,
                           way_out=f"check the network (and {section}.proxy), or run on files yt-dlp wrote "
                                   "elsewhere (see Offline in the README)")


def classify_any(message: str, video_id: str, label: str, section: str) -> FetchError:
    """yt-dlp's error text for a site without a module of its own, as one cause."""
    text = message.lower()
    detail = detail_of(message)
    if _BLOCKED.search(text):
        return IpBlocked.of(video_id, detail, what=f"{label} is refusing this IP's requests; wait and rerun, or set "
                                                   f"{section}.proxy and/or {section}.cookies_file")
    if "unsupported url" in text:
        return FetchError(f"{video_id}: yt-dlp reads no video on this page: {detail}", video_id=video_id)
    if _PRIVATE.search(text):
        return VideoPrivate.of(video_id, detail)
    if _UNAVAILABLE.search(text):
        return VideoUnavailable.of(video_id, detail)
    if NETWORK.search(text):
        return network_cause(message, video_id, what=f"network error talking to {label}", section=section)
    return FetchError(f"{video_id}: yt-dlp failed: {detail}", video_id=video_id)
