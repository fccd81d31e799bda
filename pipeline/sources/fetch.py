"""Stage 1, fetch: a video reference in, ``metadata.json`` and ``transcript.json`` out.

Local sources (a yt-dlp ``.info.json`` with its caption files beside it) need no network.
Online sources go through yt-dlp for metadata and the transcript fallback chain for words.
A video without words fails with its reason; it is never summarized from its description
unless the user asks for that (``allow_description``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.config import Config
from pipeline.errors import FetchError, NoTranscript, TranscriptionPlanned, TranscriptsUnreachable
from pipeline.shapes import Metadata, StageResult, Transcript, VideoRef
from pipeline.sources.listing import title_from_media_name
from pipeline.words.siblings import files_beside, info_stem
from pipeline.artifacts import MetadataFile, TranscriptFile
from pipeline.store import Store, fingerprint, now_iso
from pipeline.words.transcripts import from_subtitle_file, from_subtitle_tracks, preferred_languages
from pipeline.sites.ytdlp import load_info_json

AUDIO_DIR = ".audio"  # in a video's folder: speech recognition's download, while it is unfinished

if TYPE_CHECKING:
    from pipeline.sites import SiteSession


@dataclass(frozen=True)
class FetchOptions:
    subtitles: Path | None = None  # ``--subtitles FILE`` for one video
    allow_description: bool = False
    plan_only: bool = False  # ``--dry-run``: speech recognition is not run but planned (``TranscriptionPlanned``)


def _file_stamp(path: Path | None) -> list[object] | None:
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return [str(path)]
    return [str(path.resolve()), stat.st_size, int(stat.st_mtime)]


def _sibling_stamps(info_path: Path | None) -> list[object]:
    """Caption and audio files beside an info.json: adding or replacing one refetches."""
    if info_path is None:
        return []
    return [_file_stamp(p) for p in files_beside(info_path)]


def fetch_fingerprint(video: VideoRef, config: Config, options: FetchOptions) -> str:
    return fingerprint(
        "fetch/1",
        video.video_id,
        _file_stamp(video.info_path),
        _sibling_stamps(video.info_path),
        _file_stamp(video.media_path),
        _file_stamp(options.subtitles),
        options.allow_description,
        config.transcript.model_dump(),
    )


def media_metadata(video: VideoRef) -> Metadata:
    """A local audio/video file has no metadata but its name; ``--set`` supplies the rest."""
    assert video.media_path is not None
    title = title_from_media_name(video.media_path)
    try:
        stamp = datetime.fromtimestamp(video.media_path.stat().st_mtime, tz=timezone.utc).strftime("%Y%m%d")
    except OSError:
        raise FetchError(f"{video.video_id}: cannot read {video.media_path}", video_id=video.video_id) from None
    return Metadata(id=video.video_id, title=title, upload_date=stamp, webpage_url=video.url, origin="file")


def load_metadata(video: VideoRef, config: Config, session: "SiteSession | None" = None) -> Metadata:
    if video.info_path is not None:
        return load_info_json(video.info_path, config.transcript.languages, config.max_input_mb)
    if video.media_path is not None:
        return media_metadata(video)
    return (session or _session(video, config)).metadata(video, config.transcript.languages)


def _session(video: VideoRef, config: Config) -> SiteSession:
    """A session of the video's site for this one video (a run shares one: ``RunContext.session``)."""
    from pipeline.sites import get_site

    return get_site(video.site).session(config)


def description_transcript(meta: Metadata) -> Transcript:
    from pipeline.shapes import Paragraph

    text = meta.description.strip()
    return Transcript(
        video_id=meta.id, source="description", language=None, is_generated=False, track=None,
        paragraphs=[Paragraph(start=0.0, end=float(meta.duration or 0), text=text)],
        notes=["no transcript: summarized from the video description because --allow-description was given"],
    )


def get_transcript(meta: Metadata, video: VideoRef, config: Config, options: FetchOptions,
                   session: "SiteSession | None", audio_dir: Path) -> Transcript:
    """The video's words; ``audio_dir`` is where speech recognition downloads its audio."""
    if options.subtitles is not None:
        return from_subtitle_file(options.subtitles, meta, config)
    online = video.info_path is None and video.media_path is None
    reasons: list[str] = []
    passed_over: list[str] = []  # why the site's own transcripts were not used: noted in the words found instead
    failure: type[NoTranscript] = NoTranscript  # TranscriptsUnreachable: the site's could not be had for now
    if online:
        session = session or _session(video, config)
        try:
            transcript = session.transcript(meta, preferred_languages(meta, config), config)
        except NoTranscript as exc:  # it has some, none could be read: the next way is tried
            transcript = None
            passed_over.append(f"{session.transcripts_name} not used: {exc.message.removeprefix(f'{meta.id}: ')}")
            failure = type(exc) if isinstance(exc, TranscriptsUnreachable) else NoTranscript
        if transcript is not None:
            return transcript
        if passed_over:
            reasons.append(passed_over[0])
        elif session.transcripts_name:  # a site whose tracks are all in its metadata has no service apart
            reasons.append(f"{session.transcripts_name} found none")
    unreadable: list[str] = []  # each caption file that was there but could not be read, and why
    transcript = from_subtitle_tracks(meta, config, online=online, problems=unreadable,
                                      download=session.download_subtitle if online and session else None)
    if transcript is not None:
        transcript.notes[:0] = passed_over
        return transcript
    reasons.append("no readable subtitle track" + (f": {'; '.join(unreadable)}" if unreadable else ""))
    from pipeline.sources.asr import transcribe_video

    if options.plan_only and config.asr.backend is not None:
        raise TranscriptionPlanned(meta)
    try:
        transcript = transcribe_video(meta, video, config, session, audio_dir)
    except FetchError as exc:
        if not passed_over or exc.transient:
            raise
        # The audio could not be had either (a podcast item without one): both causes, in one line.
        raise type(exc)(f"{exc.message} ({passed_over[0]})", video_id=meta.id) from None
    if transcript is not None:
        transcript.notes[:0] = passed_over
        return transcript
    if options.allow_description and meta.description.strip():
        return description_transcript(meta)
    raise failure(f"{meta.id}: no transcript ({'; '.join(reasons)}); {_asr_hint(meta, video, config)}, or pass "
                  "--subtitles FILE or --allow-description", video_id=meta.id)


def _asr_hint(meta: Metadata, video: VideoRef, config: Config) -> str:
    """What speech recognition could do about a video without words: be set up, have the audio
    beside the info.json (a local source downloads none), or it ran and found none."""
    from pipeline.sources.asr import find_local_audio

    if config.asr.backend is None:
        return "enable speech recognition with asr.backend in config.yaml (endpoint or local)"
    if video.info_path is not None and find_local_audio(video, meta) is None:
        info = Path(video.info_path)
        return (f"speech recognition needs the audio: put it beside {info.name} as {info_stem(info)}.m4a "
                "(or .mp3, .wav …)")
    return "speech recognition found no words"


def _listed_tracks(meta: Metadata) -> dict[str, dict[str, list[dict[str, object]]]]:
    """The caption tracks as ``metadata.json`` lists them: a track an info.json carried inline
    is marked ``inline`` without its text, which is in ``transcript.json`` (or was not chosen),
    so that a backfill's metadata stays a few kilobytes rather than tens."""
    return {key: {lang: [{k: v for k, v in fmt.items() if k != "data"} | ({"inline": True} if "data" in fmt else {})
                         for fmt in formats]
                  for lang, formats in getattr(meta, key).items()}
            for key in ("subtitles", "automatic_captions")}


def fetch(video: VideoRef, config: Config, store: Store, *, force: bool = False,
          options: FetchOptions | None = None, session: "SiteSession | None" = None) -> StageResult:
    """Write ``metadata.json`` and ``transcript.json`` for one video, unless they are current."""
    options = options or FetchOptions()
    expected = fetch_fingerprint(video, config, options)
    if not force and store.is_current(video.video_id, "metadata", expected) and store.is_current(
        video.video_id, "transcript", expected
    ):
        return StageResult(video.video_id, "fetch", "skipped")
    meta = load_metadata(video, config, session)
    if meta.id != video.video_id:
        meta = meta.model_copy(update={"id": video.video_id})
    # The audio for speech recognition, in the video's folder: a broken-off download resumes there.
    transcript = get_transcript(meta, video, config, options, session, store.video_dir(video.video_id) / AUDIO_DIR)
    stamp = {"fingerprint": expected, "fetched_at": now_iso()}
    # dict(model): the fields as they are, so the segments are not dumped and validated again.
    store.save(video.video_id, MetadataFile.model_validate(dict(meta) | _listed_tracks(meta) | stamp))
    store.save(video.video_id, TranscriptFile.model_validate(dict(transcript) | stamp))
    return StageResult(video.video_id, "fetch", "done",
                       detail=f"transcript from {transcript.source} ({transcript.language or '?'})")

