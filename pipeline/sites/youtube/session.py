"""All network access to YouTube, shared by the workers of a run and paced politely.

Every request (yt-dlp metadata, subtitle and audio downloads, and each of the three requests
of a youtube-transcript-api fetch) waits its turn at one limiter: a minimum interval between
request starts, plus jitter. When YouTube blocks the IP, the limiter pauses all YouTube work
of the run, while work that needs no YouTube (the model) goes on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from pipeline.config import Config, YouTubeConfig
from pipeline.errors import (AgeRestricted, FetchError, IpBlocked, LiveOrUpcoming, MembersOnly, NetworkError,
                             PoTokenRequired, VideoPrivate, VideoUnavailable)
from pipeline.shapes import Metadata, Transcript, VideoRef
from pipeline.sites.youtube.errors import WHAT, cause, classify_ytdlp_error, network_error, network_reason
from pipeline.sites.limiter import Limiter, PacedSession
from pipeline.words.transcripts import from_snippets
from pipeline.sites.ytdlp import extract_metadata, ytdlp_params

log = logging.getLogger(__name__)
T = TypeVar("T")



def classify_transcript_error(exc: BaseException, video_id: str) -> FetchError | None:
    """youtube-transcript-api's exceptions as causes; None means "no transcript here, go on"."""
    from youtube_transcript_api import _errors as yta

    if isinstance(exc, (yta.TranscriptsDisabled, yta.NoTranscriptFound)):
        return None
    if isinstance(exc, yta.RequestBlocked):  # IpBlocked is a subclass
        return cause(IpBlocked, video_id)
    if isinstance(exc, yta.AgeRestricted):
        return cause(AgeRestricted, video_id)
    if isinstance(exc, yta.PoTokenRequired):
        return cause(PoTokenRequired, video_id)
    if isinstance(exc, yta.VideoUnplayable):
        detail = " ".join([str(exc.reason or "")] + [str(s) for s in exc.sub_reasons]).strip()
        text = detail.lower()
        if "private" in text:
            return cause(VideoPrivate, video_id)
        if "member" in text or "join this channel" in text:
            return cause(MembersOnly, video_id)
        if "live" in text or "premiere" in text or "scheduled" in text:
            return cause(LiveOrUpcoming, video_id)
        return cause(VideoUnavailable, video_id, " / ".join(detail.split("\n")))
    if isinstance(exc, (yta.VideoUnavailable, yta.InvalidVideoId)):
        return cause(VideoUnavailable, video_id)
    if isinstance(exc, yta.YouTubeRequestFailed):  # its text is a page of advice; the reason is the HTTP error
        return network_error(exc.reason, video_id)
    if isinstance(exc, requests.RequestException):
        return network_error(str(exc) or type(exc).__name__, video_id)
    if isinstance(exc, yta.CouldNotRetrieveTranscript):
        return FetchError(f"{video_id}: youtube-transcript-api failed: {type(exc).__name__}", video_id=video_id)
    return None


class YouTubeSession:
    """What the fetch stage asks of YouTube; one per run, safe to share between threads."""

    transcripts_name = "youtube-transcript-api"

    def __init__(self, config: YouTubeConfig, *, transport: requests.adapters.BaseAdapter | None = None,
                 limiter: Limiter | None = None) -> None:
        self.config = config
        self.limiter = limiter or Limiter(config.min_interval, config.jitter)
        self._transport = transport
        self._local = threading.local()
        self._params = ytdlp_params(config.proxy, config.cookies_file, config.cookies_from_browser, config.timeout)

    # --- retries -------------------------------------------------------------------------

    def _with_retries(self, video_id: str, action: Callable[[], T]) -> T:
        def note_block(exc: BaseException) -> bool:
            if isinstance(exc, IpBlocked):
                if not self.limiter.paused:
                    log.warning("%s. Pausing YouTube requests for %.0f s.", WHAT[IpBlocked], self.config.block_pause)
                self.limiter.pause(self.config.block_pause)
            return isinstance(exc, FetchError) and exc.transient

        retrying = Retrying(
            retry=retry_if_exception(note_block),
            wait=wait_exponential_jitter(multiplier=self.config.retry_wait, max=60.0, jitter=self.config.retry_wait),
            stop=stop_after_attempt(self.config.max_attempts),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                return action()
        raise AssertionError("unreachable")  # pragma: no cover

    # --- yt-dlp --------------------------------------------------------------------------

    def metadata(self, video: VideoRef, languages: list[str] | None = None) -> Metadata:
        def once() -> Metadata:
            self.limiter.wait()
            return extract_metadata(video.url, video.video_id, self._params, classify_ytdlp_error, languages)

        return self._with_retries(video.video_id, once)

    def download_subtitle(self, url: str) -> str:
        import yt_dlp
        from yt_dlp.utils import DownloadError

        self.limiter.wait()
        try:
            # yt-dlp's own opener: subtitle URLs may need its browser impersonation.
            with yt_dlp.YoutubeDL(self._params) as ydl:
                return ydl.urlopen(url).read().decode("utf-8")
        except (DownloadError, OSError) as exc:
            raise NetworkError(f"subtitle download failed: {network_reason(str(exc))[0]}") from None

    def download_audio(self, video: VideoRef, dest_dir: Path) -> Path:
        import yt_dlp
        from yt_dlp.utils import DownloadError

        params = dict(self._params, skip_download=False, format="worstaudio/bestaudio/worst",
                      outtmpl=str(dest_dir / "%(id)s.%(ext)s"), noplaylist=True)

        def once() -> Path:
            self.limiter.wait()
            try:
                with yt_dlp.YoutubeDL(params) as ydl:
                    ydl.download([video.url])
            except DownloadError as exc:
                raise classify_ytdlp_error(str(exc), video.video_id) from None
            files = [p for p in dest_dir.iterdir() if p.is_file() and not p.name.endswith(".part")]
            if not files:
                raise FetchError(f"{video.video_id}: yt-dlp downloaded no audio", video_id=video.video_id)
            return files[0]

        return self._with_retries(video.video_id, once)

    # --- youtube-transcript-api ------------------------------------------------------------

    def _api(self) -> Any:
        """One API instance per thread: the library's instances are not thread-safe."""
        api = getattr(self._local, "api", None)
        if api is None:
            from youtube_transcript_api import YouTubeTranscriptApi
            from youtube_transcript_api.proxies import GenericProxyConfig

            session = PacedSession(self.limiter, self.config.timeout)
            if self._transport is not None:
                session.mount("https://", self._transport)
                session.mount("http://", self._transport)
            proxy = GenericProxyConfig(http_url=self.config.proxy, https_url=self.config.proxy) \
                if self.config.proxy else None
            api = YouTubeTranscriptApi(proxy_config=proxy, http_client=session)
            self._local.api = api
        return api

    def transcript(self, meta: Metadata, languages: list[str], config: Config) -> Transcript | None:
        """Step 1: manual in a preferred language, then auto-generated, then any manual one."""
        video_id = meta.id

        def once() -> Transcript | None:
            try:
                listing = self._api().list(video_id)
                chosen = _choose(listing, languages)
                if chosen is None:
                    return None
                fetched = chosen.fetch()
            except Exception as exc:
                mapped = classify_transcript_error(exc, video_id)
                if mapped is None and not _is_library_error(exc):
                    raise
                if mapped is None:
                    return None
                raise mapped from None
            snippets = [(s.text, float(s.start), float(s.duration)) for s in fetched]
            return from_snippets(meta, config, snippets, source="youtube-transcript-api",
                                 language=chosen.language_code, is_generated=bool(chosen.is_generated),
                                 track=f"{chosen.language} ({'auto-generated' if chosen.is_generated else 'manual'})")

        return self._with_retries(video_id, once)


def _is_library_error(exc: BaseException) -> bool:
    from youtube_transcript_api import _errors as yta

    return isinstance(exc, yta.CouldNotRetrieveTranscript)


def _choose(listing: Any, languages: list[str]) -> Any | None:
    from youtube_transcript_api import _errors as yta

    codes = _expand_codes(languages, [t.language_code for t in listing])
    for finder in (listing.find_manually_created_transcript, listing.find_generated_transcript):
        try:
            return finder(codes)
        except yta.NoTranscriptFound:
            continue
    manual = [t for t in listing if not t.is_generated]
    return manual[0] if manual else None


def _expand_codes(languages: list[str], available: list[str]) -> list[str]:
    """``en`` also accepts ``en-US`` and ``en-GB``, after the exact code."""
    codes: list[str] = []
    for lang in languages:
        codes.append(lang)
        codes.extend(code for code in available if code.split("-")[0] == lang and code != lang)
    return list(dict.fromkeys(codes))
