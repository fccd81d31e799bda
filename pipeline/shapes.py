"""The shapes inside the per-video artifacts (``pipeline/artifacts.py`` makes a file of each), a
video of a run (``VideoRef``) and a stage's outcome (``StageResult``).

Every stage reads and writes these as plain JSON under ``output/videos/<video_id>/``.
The models are tolerant readers (unknown keys are ignored) so that a hand-edited
artifact or one written by a newer version still loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, JsonValue



@dataclass(frozen=True)
class VideoRef:
    """One video of a run: its store id (the folder under ``videos/``), the site it is from
    (``pipeline.sites``), how to reach it, and what a listing told of it."""

    video_id: str
    url: str
    info_path: Path | None = None
    media_path: Path | None = None
    title: str | None = None
    upload_date: str | None = None  # YYYYMMDD when known
    duration: float | None = None
    availability: str | None = None
    live_status: str | None = None
    site: str = "youtube"  # the default site, whose videos keep videos/<id>/ (``pipeline.sites``)


class Lenient(BaseModel):
    """The one place unknown keys are handled: ignored, so files written by older or newer
    versions still load (an artifact model's migrations handle renamed or reshaped keys)."""

    model_config = ConfigDict(extra="ignore")

class Chapter(Lenient):
    """A chapter as yt-dlp gives it (field names kept, so metadata.json reads like yt-dlp's)."""

    start_time: float
    end_time: float | None = None
    title: str

    @property
    def start(self) -> float:
        return self.start_time


class Segment(Lenient):
    """One cleaned caption cue (or ASR segment): text with its time span in seconds."""

    start: float
    end: float
    text: str
    # True where the captions marked a change of speaker (">>" or a leading "- ").
    speaker_change: bool = False
    # Who speaks, where the source names them (a podcast transcript's VTT voice, JSON speaker,
    # HTML <cite>); None where it does not (YouTube captions keep a name in the text). Left out
    # of the file when None, so a video's transcript.json (and its content hash) is as before.
    speaker: str | None = Field(default=None, exclude_if=lambda value: value is None)


class Paragraph(Lenient):
    """A run of segments joined into readable text; ``chapter`` is the chapter it falls in."""

    start: float
    end: float
    text: str
    chapter: str | None = None
    # Who speaks in it, where the transcript names them (left out when None, as in Segment).
    speaker: str | None = Field(default=None, exclude_if=lambda value: value is None)


class Metadata(Lenient):
    """What ``metadata.json`` holds: the video's facts as yt-dlp reports them."""

    id: str
    title: str = ""
    channel: str = ""
    uploader: str = ""
    upload_date: str = ""  # YYYYMMDD as yt-dlp gives it; may be empty
    release_date: str = ""  # YYYYMMDD; the post's date when upload_date is missing
    duration: float | None = None
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    chapters: list[Chapter] = Field(default_factory=list)
    # The guests a podcast feed names (<podcast:person role="guest">); empty for a video, and
    # then left out of the file, so a video's metadata.json (and its content hash) is as before.
    guests: list[str] = Field(default_factory=list, exclude_if=lambda value: not value)
    language: str | None = None
    webpage_url: str = ""
    channel_id: str = ""
    channel_url: str = ""
    live_status: str | None = None
    availability: str | None = None
    # Subtitle tracks yt-dlp lists: language -> list of {ext, url, name, data?, path?}.
    subtitles: dict[str, list[dict[str, JsonValue]]] = Field(default_factory=dict)
    automatic_captions: dict[str, list[dict[str, JsonValue]]] = Field(default_factory=dict)
    # Where the metadata came from: "yt-dlp" (network) or "info.json" (a local file).
    origin: str = "yt-dlp"
    info_path: str | None = None


class Transcript(Lenient):
    """What ``transcript.json`` holds."""

    video_id: str
    # Which step of the fallback chain produced the words, e.g. "youtube-transcript-api",
    # "yt-dlp-subtitles", "yt-dlp-automatic-captions", "asr-endpoint", "asr-local",
    # "user-subtitles", "description".
    source: str
    language: str | None = None
    is_generated: bool = False
    track: str | None = None  # file name or track name the words came from
    # The text encoding a caption file was read in ("utf-8", "utf-16", "cp1251"), when read from a file.
    encoding: str | None = None
    segments: list[Segment] = Field(default_factory=list)
    paragraphs: list[Paragraph] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def text(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)


class ArticleSection(Lenient):
    """A section of ``article.json``; ``start`` and ``end`` (seconds) are the stretch of the video
    it was written from, None where the model gave no usable time (see ``pipeline/llm/timing.py``)."""

    heading: str
    body: str
    start: float | None = None
    end: float | None = None


class Usage(Lenient):
    """Token usage of one LLM call."""

    purpose: str = "article"
    model: str = ""
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None


@dataclass
class StageResult:
    """What running one stage for one video did: "done", "skipped" or "failed"."""

    video_id: str
    stage: str
    outcome: str
    detail: str = ""
    tokens: int = 0  # LLM tokens this stage spent (prompt + completion)
    cost_usd: float | None = None
