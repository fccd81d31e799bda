"""The interface every site module implements (yt-dlp's extractors are the model): which URLs
and ids it owns, its canonical URL, a link to a second, how to list a collection, its online
session (metadata, its own transcripts, caption and audio downloads), and how to read its errors."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pipeline.config import Config
    from pipeline.errors import FetchError
    from pipeline.shapes import Metadata, Transcript, VideoRef


class SiteSession(Protocol):
    """What the fetch stage asks of one site online: one per run, shared by its workers, its
    requests paced by the site's own limiter."""

    transcripts_name: str  # what the site's own transcripts are called in messages

    def metadata(self, video: VideoRef, languages: list[str] | None = None) -> Metadata: ...

    def transcript(self, meta: Metadata, languages: list[str], config: Config) -> Transcript | None:
        """The site's own transcript service, tried before the caption tracks; None: none.
        ``NoTranscript``: it has some, none could be read (the message says why; the next way
        to words is tried and its transcript notes the cause)."""
        ...

    def download_subtitle(self, url: str, max_mb: float) -> bytes:
        """A caption file's bytes, as the site serves them (the words layer finds their
        encoding, as for a file on disk); at most ``max_mb`` MB and a byte more: a longer
        answer is not read further, and its reader refuses it."""
        ...

    def download_audio(self, video: VideoRef, dest_dir: Path) -> Path: ...


class Site(Protocol):
    name: str  # the site's name: ``videos/<name>-<id>/`` (the default site's videos keep ``videos/<id>/``)
    label: str  # how people write the site's name, for messages
    extractor: str  # yt-dlp's extractor keys of the site, in lower case, begin so ("": none of yt-dlp's)

    def video_id(self, text: str) -> str | None:
        """The site's id of the video a URL of this site names (or of a bare id of its form)."""
        ...

    def is_collection(self, text: str) -> bool:
        """Whether ``text`` is one of the site's playlists, channels or feeds (not one video)."""
        ...

    def collection_url(self, url: str) -> str:
        """The URL that lists a collection's videos (a channel's root: its uploads)."""
        ...

    def canonical_url(self, video_id: str) -> str | None:
        """The video's one URL from its id alone; None (or "") when only its page says it
        (yt-dlp's ``webpage_url``; a podcast episode, reached through its feed)."""
        ...

    def link_at(self, url: str, seconds: float | None) -> str | None:
        """A link to second ``seconds`` (None: the page itself) of the video at ``url``; None when
        ``url`` is no video page of this site (then no link is made: a ``javascript:`` URL never
        becomes one)."""
        ...

    def list(self, url: str, config: Config) -> dict[str, Any]:
        """A collection's entries, as yt-dlp's flat extraction gives them (``entries``)."""
        ...

    def session(self, config: Config) -> SiteSession: ...

    def classify_error(self, message: str, video_id: str) -> FetchError:
        """yt-dlp's (or the site's) error text as one of the causes of ``pipeline.errors``."""
        ...
