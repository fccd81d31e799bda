"""Bilibili: its URL forms (``urls``), its causes in its own words (``errors``) and its online
session (``session``: yt-dlp's Bilibili extractors behind their own limiter), with the settings
of the ``bilibili:`` section."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline.sites.bilibili import urls

if TYPE_CHECKING:
    from pipeline.config import Config
    from pipeline.errors import FetchError
    from pipeline.sites.bilibili.session import BilibiliSession


class Bilibili:
    name = "bilibili"
    label = "Bilibili"
    extractor = "bilibili"  # yt-dlp's BiliBili, BiliBiliBangumi, BilibiliCheese, BilibiliSpaceVideo, …

    def video_id(self, text: str) -> str | None:
        return urls.video_id(text)

    def is_collection(self, text: str) -> bool:
        """Its list forms (``urls``), and any other page yt-dlp's Bilibili extractors read."""
        if urls.is_collection(text):
            return True
        if "bilibili" not in text.lower() or urls.video_id(text):
            return False
        from pipeline.sites.other import extractor_of

        ie = extractor_of(text)
        return ie is not None and ie.ie_key().lower().startswith(self.extractor)

    def collection_url(self, url: str) -> str:
        return url

    def canonical_url(self, video_id: str) -> str:
        return urls.canonical_url(video_id)

    def link_at(self, url: str, seconds: float | None) -> str | None:
        return urls.link_at(url, seconds)

    def list(self, url: str, config: Config) -> dict[str, Any]:
        from pipeline.sites.bilibili.errors import classify_bilibili_error
        from pipeline.sites.ytdlp import extract_flat, section_params

        return extract_flat(url, section_params(config.bilibili), classify_bilibili_error)

    def session(self, config: Config) -> BilibiliSession:
        from pipeline.sites.bilibili.session import BilibiliSession

        return BilibiliSession(config.bilibili)

    def classify_error(self, message: str, video_id: str) -> FetchError:
        from pipeline.sites.bilibili.errors import classify_bilibili_error

        return classify_bilibili_error(message, video_id)
