"""What the fetch stage asks of a podcast feed online: one session per run, shared by its
workers. Each feed is read once a run, however many of its episodes the run has; an episode's
metadata comes from its item, its words from its ``podcast:transcript`` tags (``transcripts``),
and its audio, for speech recognition, is the enclosure, downloaded within
``podcast.max_audio_mb`` and resumed where a broken download stopped."""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import urlsplit


from pipeline.config import Config
from pipeline.errors import FetchError, NoTranscript, VideoUnavailable
from pipeline.redact import MASK, remember, url_secrets
from pipeline.shapes import Metadata, Transcript, VideoRef
from pipeline.sites.podcast import urls
from pipeline.sites.podcast.feed import (Episode, Feed, episode_metadata, fetch_chapters, find_episode, load_feed,
                                         split_episode_ref)
from pipeline.sites.podcast.fetching import asked_again, download, fetch
from pipeline.sites.podcast.transcripts import fetch_transcript, paragraphs_of
from pipeline.words.transcripts import in_chosen_script

_AUDIO_ATTEMPTS = 4  # a download that breaks off resumes from where it stopped, this many times in all
_AUDIO_EXTS = {"audio/mpeg": ".mp3", "audio/mp3": ".mp3", "audio/x-m4a": ".m4a", "audio/mp4": ".m4a",
               "audio/aac": ".aac", "audio/ogg": ".ogg", "audio/opus": ".opus", "audio/wav": ".wav",
               "audio/x-wav": ".wav", "audio/flac": ".flac", "video/mp4": ".mp4"}


def load(source: str, config: Config) -> Feed:
    """The feed at ``source`` (a URL, a ``feed:`` URL or a saved file), its credentials
    (a password, a token) remembered as secrets no message or file shows."""
    location = urls.feed_location(source)
    remember(url_secrets(location))
    return load_feed(location, max_mb=config.max_input_mb, timeout=config.podcast.timeout,
                     attempts=config.podcast.max_attempts, retry_wait=config.podcast.retry_wait)


class PodcastSession:
    transcripts_name = "the feed's transcripts"

    def __init__(self, config: Config) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._feeds: dict[str, tuple[threading.Lock, list[Feed]]] = {}
        self._episodes: dict[str, tuple[Episode, str | None]] = {}  # store id -> its item, why no chapters

    def _feed(self, source: str) -> Feed:
        """The feed at ``source``, read once a run (each feed's first reader reads it; the others wait)."""
        with self._lock:
            lock, found = self._feeds.setdefault(source, (threading.Lock(), []))
        with lock:
            if not found:
                found.append(load(source, self.config))
            return found[0]

    def _episode(self, video: VideoRef) -> tuple[Episode, Feed]:
        source, key = split_episode_ref(video.url)
        if key is None:
            raise FetchError(f"{video.video_id}: an episode is reached through its feed: give the feed, or "
                             "FEED#episode=GUID", video_id=video.video_id)
        if MASK in source:
            raise FetchError(f"{video.video_id}: the private feed's credential is not kept; give the feed's URL "
                             "again as the SOURCE (yt2post run --retry-failed FEED_URL)", video_id=video.video_id)
        feed = self._feed(source)
        episode = find_episode(feed, key)
        if episode is None:
            raise VideoUnavailable.of(video.video_id, f"the episode is no longer in the feed {urls.shown(source)}",
                                      what="the episode is unavailable")
        if episode.error:
            raise FetchError(f"{video.video_id}: {episode.error}", video_id=video.video_id)
        return episode, feed

    def metadata(self, video: VideoRef, languages: list[str] | None = None) -> Metadata:
        episode, feed = self._episode(video)
        chapters, why = fetch_chapters(episode, max_mb=self.config.max_input_mb, timeout=self.config.podcast.timeout,
                                       attempts=self.config.podcast.max_attempts,
                                       retry_wait=self.config.podcast.retry_wait)
        with self._lock:
            self._episodes[video.video_id] = (episode, why)
        return episode_metadata(episode, feed, video.video_id, chapters=chapters)

    def _known(self, video_id: str) -> tuple[Episode, str | None]:
        with self._lock:
            found = self._episodes.get(video_id)
        if found is None:  # the fetch stage asks for the metadata first
            raise FetchError(f"{video_id}: the episode's metadata was not read first", video_id=video_id)
        return found

    def transcript(self, meta: Metadata, languages: list[str], config: Config) -> Transcript | None:
        """The best of the episode's ``podcast:transcript`` files; None when it has none.
        Raises ``NoTranscript`` naming each one and why it was not used."""
        episode, no_chapters = self._known(meta.id)
        refused = [note for note in episode.notes if note.startswith("transcript URL")]
        if not episode.transcripts and refused:  # a file:// transcript: the feed's cause, not "none"
            raise NoTranscript.of(meta.id, "; ".join(refused))
        if not episode.transcripts:
            return None
        transcript = fetch_transcript(episode, meta.id, max_mb=config.max_input_mb, timeout=config.podcast.timeout,
                                      languages=languages, chapters=meta.chapters,
                                      paragraph_seconds=config.transcript.paragraph_seconds,
                                      attempts=config.podcast.max_attempts, retry_wait=config.podcast.retry_wait)
        if no_chapters:
            transcript.notes.append(f"chapters not used: {no_chapters}")
        segments, language, converted = in_chosen_script(transcript.segments, transcript.language, config)
        if not converted:
            return transcript
        return transcript.model_copy(update={
            "segments": segments, "language": language, "notes": [*transcript.notes, *converted],
            "paragraphs": paragraphs_of(segments, meta.chapters, config.transcript.paragraph_seconds)})

    def download_subtitle(self, url: str, max_mb: float) -> bytes:
        return fetch(url, max_mb=max_mb, what="subtitle", timeout=self.config.podcast.timeout).data

    def download_audio(self, video: VideoRef, dest_dir: Path) -> Path:
        """The episode's enclosure, within ``podcast.max_audio_mb``; a download that breaks off
        is resumed from the bytes it has."""
        episode, _ = self._known(video.video_id)
        if episode.enclosure is None:
            raise NoTranscript.of(video.video_id, "the episode has no audio enclosure to transcribe")
        enclosure = episode.enclosure
        ext = _AUDIO_EXTS.get(enclosure.type) or Path(urlsplit(enclosure.url).path).suffix.lower() or ".mp3"
        dest = dest_dir / f"audio{ext if ext.isascii() and len(ext) <= 6 else '.mp3'}"
        return asked_again(_AUDIO_ATTEMPTS, self.config.podcast.retry_wait)(
            download, enclosure.url, dest, max_mb=self.config.podcast.max_audio_mb,
            timeout=self.config.podcast.timeout, setting="podcast.max_audio_mb")
