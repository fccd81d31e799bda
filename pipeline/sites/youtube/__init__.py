"""YouTube: the first site. Its URL forms (``urls``), its causes in its own words (``errors``),
and its online session (``session``: yt-dlp and youtube-transcript-api behind one limiter), with
the settings of the ``youtube:`` section."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from pipeline.sites.youtube import urls

if TYPE_CHECKING:
    from pipeline.config import Config
    from pipeline.errors import FetchError
    from pipeline.sites.youtube.session import YouTubeSession


class YouTube:
    name = "youtube"
    label = "YouTube"
    extractor = "youtube"  # yt-dlp's Youtube, YoutubeTab, …

    def video_id(self, text: str) -> str | None:
        return urls.video_id_from_url(text)

    def is_collection(self, text: str) -> bool:
        return urls.is_collection_url(text)

    def collection_url(self, url: str) -> str:
        return urls.channel_videos_url(url)

    def canonical_url(self, video_id: str) -> str:
        return urls.canonical_url(video_id)

    def link_at(self, url: str, seconds: float | None) -> str | None:
        """A watch page over http(s), with ``&t=Ns``; parsed, not searched:
        ``javascript:alert(1)//youtube.com/watch?v=`` is no watch page."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme.lower() not in ("http", "https") or not (host == "youtube.com" or host.endswith(".youtube.com")):
            return None
        if parts.path != "/watch" or not parse_qs(parts.query).get("v"):
            return None
        return url if seconds is None else f"{url}&t={int(seconds)}s"

    def list(self, url: str, config: Config) -> dict[str, Any]:
        from pipeline.sites.youtube.errors import classify_ytdlp_error
        from pipeline.sites.ytdlp import extract_flat

        return extract_flat(self.collection_url(url), self.ytdlp_params(config), classify_ytdlp_error,
                            {"youtubetab": {"approximate_date": [""]}})

    @staticmethod
    def ytdlp_params(config: Config) -> dict[str, Any]:
        """yt-dlp's options for YouTube: the proxy, cookies and timeout of ``youtube:``."""
        from pipeline.sites.ytdlp import section_params

        return section_params(config.youtube)

    def session(self, config: Config) -> YouTubeSession:
        from pipeline.sites.youtube.session import YouTubeSession

        return YouTubeSession(config.youtube)

    def classify_error(self, message: str, video_id: str) -> FetchError:
        from pipeline.sites.youtube.errors import classify_ytdlp_error

        return classify_ytdlp_error(message, video_id)
