"""A site's online session through yt-dlp: metadata, subtitle and audio downloads, every
request paced by the site's limiter, transient causes retried, and a block pausing all of the
run's work with the site (``IpBlocked``, and ``RateLimited``, which is one).

Each site's module gives its settings section, its label and how its errors read
(``classify``); YouTube's session adds youtube-transcript-api on top (``transcript``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from pipeline.config import Config, SiteConfig
from pipeline.errors import FetchError, IpBlocked, NetworkError
from pipeline.shapes import Metadata, Transcript, VideoRef
from pipeline.sites.limiter import Limiter
from pipeline.sites.ytdlp import Classify, YtDlpLogger, extract_metadata, opened, section_params

log = logging.getLogger(__name__)
T = TypeVar("T")


class YtDlpSession:
    """What the fetch stage asks of one site through yt-dlp; one per run, safe to share."""

    transcripts_name = ""  # yt-dlp lists every track in the metadata: no transcript service apart

    def __init__(self, config: SiteConfig, *, label: str, classify: Classify, limiter: Limiter | None = None,
                 extra_params: dict[str, Any] | None = None) -> None:
        self.config = config
        self.label = label
        self.classify = classify
        self.limiter = limiter or Limiter(config.min_interval, config.jitter)
        self._params = section_params(config) | (extra_params or {})

    # --- retries -------------------------------------------------------------------------

    def _with_retries(self, video_id: str, action: Callable[[], T]) -> T:
        def note_block(exc: BaseException) -> bool:
            if isinstance(exc, IpBlocked):
                if not self.limiter.paused:
                    log.warning("%s. Pausing %s requests for %.0f s.", exc.message, self.label,
                                self.config.block_pause)
                self.limiter.pause(self.config.block_pause)
            return isinstance(exc, FetchError) and exc.transient

        retrying = Retrying(
            retry=retry_if_exception(note_block),
            wait=wait_exponential_jitter(multiplier=self.config.retry_wait, max=60.0, jitter=self.config.retry_wait),
            stop=stop_after_attempt(self.config.max_attempts),
            reraise=True,
        )
        return retrying(action)

    # --- yt-dlp --------------------------------------------------------------------------

    def extract(self, video: VideoRef, languages: list[str] | None, logger: YtDlpLogger) -> Metadata:
        """One metadata request (no retry), yt-dlp's messages to ``logger``."""
        self.limiter.wait()
        return extract_metadata(video.url, video.video_id, dict(self._params, logger=logger), self.classify,
                                languages)

    def metadata(self, video: VideoRef, languages: list[str] | None = None) -> Metadata:
        return self._with_retries(video.video_id, lambda: self.extract(video, languages, YtDlpLogger()))

    def transcript(self, meta: Metadata, languages: list[str], config: Config) -> Transcript | None:
        """yt-dlp lists every subtitle track in the metadata: no transcript service of its own."""
        return None

    def subtitle_failure(self, message: str) -> str:
        """What failed in a subtitle download, short."""
        return self.classify(message, "subtitle").message.removeprefix("subtitle: ")

    def download_subtitle(self, url: str, max_mb: float) -> bytes:
        from yt_dlp.utils import DownloadError

        self.limiter.wait()
        try:
            # yt-dlp's own opener: subtitle URLs may need its browser impersonation.
            with opened(self._params) as ydl:
                response = ydl.urlopen(url)
                try:
                    return response.read(int(max_mb * 1_000_000) + 1)
                finally:
                    response.close()
        except (DownloadError, OSError) as exc:
            raise NetworkError(f"subtitle download failed: {self.subtitle_failure(str(exc))}") from None

    def download_audio(self, video: VideoRef, dest_dir: Path) -> Path:
        from yt_dlp.utils import DownloadError

        # The audio alone: the subtitles were read with the metadata (a site's danmaku is no file to fetch).
        params = dict(self._params, skip_download=False, format="worstaudio/bestaudio/worst",
                      outtmpl=str(dest_dir / "%(id)s.%(ext)s"), noplaylist=True, writesubtitles=False,
                      writeautomaticsub=False)

        def once() -> Path:
            self.limiter.wait()
            try:
                with opened(params) as ydl:
                    ydl.download([video.url])
            except DownloadError as exc:
                raise self.classify(str(exc), video.video_id) from None
            # Not what yt-dlp keeps of an unfinished download (which a later run resumes).
            files = [p for p in dest_dir.iterdir() if p.is_file() and not _unfinished(p.name)]
            if not files:
                raise FetchError(f"{video.video_id}: yt-dlp downloaded no audio", video_id=video.video_id)
            return files[0]

        return self._with_retries(video.video_id, once)


def _unfinished(name: str) -> bool:
    """A file yt-dlp writes while downloading: ``X.part``, ``X.ytdl``, ``X.part-Frag3``."""
    return name.endswith((".part", ".ytdl")) or ".part-Frag" in name
