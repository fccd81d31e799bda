"""All network access to YouTube, shared by the workers of a run and paced politely.

Every request (yt-dlp metadata, subtitle and audio downloads, and each of the three requests
of a youtube-transcript-api fetch) waits its turn at one limiter: a minimum interval between
request starts, plus jitter. When YouTube blocks the IP, the limiter pauses all YouTube work
of the run, while work that needs no YouTube (the model) goes on.
"""

from __future__ import annotations

import threading
from typing import Any

import requests

from pipeline.config import Config, YouTubeConfig
from pipeline.errors import (AgeRestricted, FetchError, IpBlocked, LiveOrUpcoming, MembersOnly, PoTokenRequired,
                             VideoPrivate, VideoUnavailable)
from pipeline.shapes import Metadata, Transcript
from pipeline.sites.limiter import Limiter, PacedSession
from pipeline.sites.session import YtDlpSession
from pipeline.sites.youtube.errors import cause, classify_ytdlp_error, network_error, network_reason
from pipeline.words.transcripts import from_snippets


def classify_transcript_error(exc: BaseException, video_id: str) -> FetchError | None:
    """youtube-transcript-api's exceptions as causes; None means "no transcript here, go on"."""
    import youtube_transcript_api as yta

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


class YouTubeSession(YtDlpSession):
    """What the fetch stage asks of YouTube; one per run, safe to share between threads."""

    transcripts_name = "youtube-transcript-api"

    def __init__(self, config: YouTubeConfig, *, transport: requests.adapters.BaseAdapter | None = None,
                 limiter: Limiter | None = None) -> None:
        super().__init__(config, label="YouTube", classify=classify_ytdlp_error, limiter=limiter)
        self._transport = transport
        self._local = threading.local()

    def subtitle_failure(self, message: str) -> str:
        return network_reason(message)[0]

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
    import youtube_transcript_api as yta

    return isinstance(exc, yta.CouldNotRetrieveTranscript)


def _choose(listing: Any, languages: list[str]) -> Any | None:
    import youtube_transcript_api as yta

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
