"""All network access to Bilibili: yt-dlp's Bilibili extractors, paced by the ``bilibili:``
limiter, risk control (HTTP 412, codes -352/-412) paused and retried as YouTube's blocks are.

yt-dlp lists a Bilibili video's subtitles with their text (the uploader's CC subtitles and the
AI ones, ``ai-zh``, …, as SRT) only when asked for subtitles, and the AI ones only to a
logged-in account: without the ``SESSDATA`` cookie it warns "Subtitles are only available when
logged in", and a video whose only words are AI subtitles then fails with that cause (or goes
to speech recognition when it is set up).
"""

from __future__ import annotations

import logging
import re
import threading

from pipeline.config import Config, SiteConfig
from pipeline.errors import FetchError, LoginRequired
from pipeline.shapes import Metadata, Transcript, VideoRef
from pipeline.sites.bilibili.errors import SUBTITLES_NEED_LOGIN, classify_bilibili_error, subtitles_need_login
from pipeline.sites.bilibili.urls import canonical_url
from pipeline.sites.limiter import Limiter
from pipeline.sites.session import YtDlpSession
from pipeline.sites.ytdlp import YtDlpLogger

log = logging.getLogger(__name__)
_PART = re.compile(r"_p\d+$")  # a part's id, as yt-dlp names it: <id>_p<N>


class BilibiliSession(YtDlpSession):
    def __init__(self, config: SiteConfig, *, limiter: Limiter | None = None) -> None:
        # A video URL without ?p= of a multi-part video is listed part by part before: here it is one video.
        super().__init__(config, label="Bilibili", classify=classify_bilibili_error, limiter=limiter,
                         extra_params={"writesubtitles": True, "subtitleslangs": ["all"], "noplaylist": True})
        self._login_walled: set[str] = set()  # videos whose subtitles yt-dlp said need a login
        self._lock = threading.Lock()

    def extract(self, video: VideoRef, languages: list[str] | None, logger: YtDlpLogger) -> Metadata:
        meta = super().extract(video, languages, logger)
        own = video.video_id.removeprefix("bilibili-")
        if not _PART.search(own) and _PART.search(meta.id):
            # yt-dlp read its first part (``<id>_p1``): drafted as the whole video it would lose
            # the other parts, and meet part 1 again under its own id.
            raise FetchError(f"{video.video_id}: a multi-part video (分P): each part is a video of its own; give "
                             f"its URL {canonical_url(own)} to take every part (or ?p=N for one)",
                             video_id=video.video_id)
        if any(subtitles_need_login(warning) for warning in logger.warnings):
            with self._lock:
                self._login_walled.add(video.video_id)
        return meta

    def transcript(self, meta: Metadata, languages: list[str], config: Config) -> Transcript | None:
        """None (the tracks come next), except for a video whose subtitles want a login and
        that lists none: that cause, unless speech recognition can get the words."""
        with self._lock:
            walled = meta.id in self._login_walled
        if not walled or any(lang != "danmaku" for lang in meta.subtitles):
            return None
        if config.asr.backend is None:
            raise LoginRequired.of(meta.id, what=SUBTITLES_NEED_LOGIN)
        log.warning("%s: %s; trying speech recognition", meta.id, SUBTITLES_NEED_LOGIN)
        return None
