"""Every other site yt-dlp reads (Vimeo, TED, about 1,800 more): one ``Site`` per yt-dlp
extractor, made on demand, for any http(s) URL no site module owns.

A site's name is its yt-dlp extractor key in lower case (``Vimeo`` → ``vimeo``, ``TedTalk`` →
``tedtalk``, ``Generic`` for a page yt-dlp reads without an extractor of its own), so its
videos are ``videos/<name>-<id>/``. The id is the one yt-dlp reads from the video's URL without
a request (``vimeo.com/76979871`` → ``76979871``; a URL whose id only its page says, or an id
that cannot be a folder's name or would name a site module's video, is named by a hash of the
URL); an info.json's is taken from its ``webpage_url`` the same way, so a URL and its info.json
are one video. Which URLs are one video and which a list is what the extractor says of it
(``is_single_video``): an extractor that may return either is asked at listing time. A video's
one URL is its page (yt-dlp's ``webpage_url``); no link to a second is made (sites write it in
different ways).
The settings are ``other_sites:``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from pipeline.config import Config
    from pipeline.errors import FetchError
    from pipeline.sites.session import YtDlpSession

_SAFE_ID = re.compile(r"[A-Za-z0-9_-]+")
_STORE_ID_LENGTH = 64  # the store's longest folder name


def _extractors() -> list[Any]:
    from yt_dlp.extractor import gen_extractor_classes

    return gen_extractor_classes()


def extractor_of(url: str) -> Any | None:
    """The yt-dlp extractor (class) that reads ``url``, found without a request; None for
    anything but an http(s) URL."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return next((ie for ie in _extractors() if ie.suitable(url.strip())), None)


def names() -> dict[str, str]:
    """Each extractor's site name → its key."""
    return {ie.ie_key().lower(): ie.ie_key() for ie in _extractors()}


def _safe(video_id: str, name: str, claimed: Callable[[str], bool]) -> bool:
    """Whether ``<name>-<video_id>`` can be a folder's name in the store: one that no site
    module reads as its own video's (``claimed``: an extractor this yt-dlp lacks, ``podcast-abc``,
    would be a YouTube id's form)."""
    folder = f"{name}-{video_id}"
    return bool(_SAFE_ID.fullmatch(video_id)) and len(folder) <= _STORE_ID_LENGTH and not claimed(folder)


def _hashed(text: str) -> str:
    return "u" + hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:12]


def _url_id(ie: Any, url: str, claimed: Callable[[str], bool]) -> str:
    """The id yt-dlp reads from the URL, or a hash of the URL when it reads none that can name a folder."""
    try:
        found = str(ie.get_temp_id(url.strip()) or "")
    except Exception:  # noqa: BLE001 - an extractor's URL pattern without an id group
        found = ""
    return found if found and _safe(found, ie.ie_key().lower(), claimed) else _hashed(url)


class OtherSite:
    """The videos of one yt-dlp extractor."""

    extractor = ""  # no prefix of its own: every other extractor's keys

    def __init__(self, key: str, claimed: Callable[[str], bool] = lambda folder: False) -> None:
        self.key = key
        self._claimed = claimed  # whether a site module reads a folder name as its video's (the registry's)
        self.name = key.lower()
        self.label = key

    def _mine(self, text: str) -> Any | None:
        ie = extractor_of(text)
        return ie if ie is not None and ie.ie_key() == self.key else None

    def video_id(self, text: str) -> str | None:
        ie = self._mine(text)
        if ie is None or ie.is_single_video(text) is not True:
            return None
        return _url_id(ie, text, self._claimed)

    def id_of_info(self, info: dict[str, Any]) -> str:
        """An info.json's video: the id its page's URL has, else its own (a hash when it cannot name a folder)."""
        page = str(info.get("webpage_url") or "")
        ie = self._mine(page)
        if ie is not None:
            return _url_id(ie, page, self._claimed)
        own = str(info.get("id") or "")
        return own if own and _safe(own, self.name, self._claimed) else _hashed(page or own)

    def is_collection(self, text: str) -> bool:
        ie = self._mine(text)
        return ie is not None and ie.is_single_video(text) is not True  # None: resolved when listed

    def collection_url(self, url: str) -> str:
        return url

    def canonical_url(self, video_id: str) -> str | None:
        return None  # only the page yt-dlp gave (``webpage_url``) is the video's URL

    def link_at(self, url: str, seconds: float | None) -> str | None:
        return None

    def list(self, url: str, config: Config) -> dict[str, Any]:
        from pipeline.sites.ytdlp import extract_flat, section_params

        return extract_flat(url, section_params(config.other_sites), self.classify_error)

    def session(self, config: Config) -> YtDlpSession:
        from pipeline.sites.session import YtDlpSession

        return YtDlpSession(config.other_sites, label=self.label, classify=self.classify_error,
                            extra_params={"writesubtitles": True, "writeautomaticsub": True, "noplaylist": True})

    def classify_error(self, message: str, video_id: str) -> FetchError:
        from pipeline.sites.ytdlp import classify_any

        return classify_any(message, video_id, self.label, "other_sites")
