"""One pydantic model per artifact file in ``output/videos/<video_id>/``.

Each model names its file (``FILE``) and carries ``schema_version``, written into the JSON. What
happens to a file written by another version is decided here, in ``Artifact``, and nowhere else:

- a file without ``schema_version`` (everything written before versions existed) is version 0,
  which has the same shape as version 1: it is read as it is;
- a file of an older version is brought up to date by the model's ``MIGRATIONS``, one step per
  version, before validation;
- keys the model does not know (a hand edit, a newer version's additions) are ignored, never an
  error.

``Store.load``/``load_optional``/``save`` (``pipeline/store.py``) are the only readers and writers.
"""

from __future__ import annotations

import hashlib

from pathlib import Path
from typing import Any, Callable, ClassVar, Self

from pydantic import Field, JsonValue, PrivateAttr, ValidationError, field_validator, model_validator

from pipeline.shapes import ArticleSection, Lenient, Metadata, Transcript, Usage
from pipeline.slugs import unique_slugs

Migration = Callable[[dict[str, Any]], dict[str, Any]]


def shape_problem(exc: ValidationError) -> str:
    """The first few things wrong with a file, on one line: ``sections: Input should be a valid list``."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or '(file)'}: {e['msg']}" for e in exc.errors()[:3])


class Artifact(Lenient):
    """The base of every artifact file: its name, its version, and tolerant reading."""

    FILE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    # MIGRATIONS[n] turns a version-n dict into a version-(n + 1) dict. Version 0 (no
    # ``schema_version``) is today's shape, so the step 0 -> 1 changes nothing.
    MIGRATIONS: ClassVar[dict[int, Migration]] = {}

    schema_version: int = 1
    # The file as read (set by ``Store.load``): downstream fingerprints hash what is in the file,
    # so that reading it through a model (defaults filled in, numbers made floats) redoes nothing.
    _stored: dict[str, Any] | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _migrate(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        version = data.get("schema_version", 0)
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValueError(f"schema_version {version!r} is not a whole number")
        # ``data`` is also kept as the file as read (``stored``): a migration works on a copy and
        # builds new containers for what it changes, never changing one in place.
        for step in range(version, cls.VERSION):
            migrate = cls.MIGRATIONS.get(step)
            if migrate is not None:
                data = migrate(dict(data))
        # A newer file than this program knows is read as far as it can be (Store.save will not
        # write over it).
        return {**data, "schema_version": cls.VERSION}

    def stored(self) -> dict[str, Any]:
        """The artifact as its file has it: the dict read (only to look at), else what ``save``
        would write."""
        return self._stored if self._stored is not None else self.to_json_dict()

    @property
    def file_as_read(self) -> dict[str, Any] | None:
        """The dict of the file this object stands for or will replace; None for a new one."""
        return self._stored

    def replacing(self, file_as_read: dict[str, Any] | None) -> Self:
        """Record the file this object will replace (read once), for ``Store.save``'s check
        that it never writes over a newer program's file."""
        self._stored = file_as_read
        return self

    def to_json_dict(self) -> dict[str, Any]:
        """What is written to the file: ``schema_version`` first, then the fields in order."""
        data = self.model_dump(mode="json")
        return {"schema_version": data.pop("schema_version"), **data}


class MetadataFile(Artifact, Metadata):
    """``metadata.json`` (fetch): the video's facts, stamped with the fetch fingerprint."""

    FILE: ClassVar[str] = "metadata"

    fingerprint: str | None = None
    fetched_at: str | None = None


class TranscriptFile(Artifact, Transcript):
    """``transcript.json`` (fetch): the words with their times, stamped like metadata.json."""

    FILE: ClassVar[str] = "transcript"

    fingerprint: str | None = None
    fetched_at: str | None = None


class UsageTotal(Lenient):

    calls: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None


class ArticleContent(Lenient):
    """The article itself, cleaned the one way both summarize and write rely on: the title,
    guest and insight trimmed, the summary on one line, tags and names as unique slugs."""

    title: str = ""
    summary: str = ""
    tags: list[str] = Field(default_factory=list)
    area: str = ""
    category: str = ""
    companies_orgs: list[str] = Field(default_factory=list)
    products_models: list[str] = Field(default_factory=list)
    guest: str = ""
    insight: str = ""
    sections: list[ArticleSection] = Field(default_factory=list)

    @field_validator("title", "guest", "insight", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("summary", mode="before")
    @classmethod
    def _one_line(cls, value: Any) -> Any:
        return " ".join(value.split()) if isinstance(value, str) else value

    @field_validator("tags", "companies_orgs", "products_models", mode="before")
    @classmethod
    def _slugs(cls, value: Any) -> Any:
        if value is None:
            return []
        return unique_slugs([str(v) for v in value]) if isinstance(value, (list, tuple)) else value


class ArticleFile(Artifact, ArticleContent):
    """``article.json`` (summarize): the article and how it was made."""

    FILE: ClassVar[str] = "article"

    fingerprint: str | None = None
    model: str = ""
    parts: int = 1
    transcript_source: str = ""
    warnings: list[str] = Field(default_factory=list)
    usage: list[Usage] = Field(default_factory=list)
    usage_total: UsageTotal = Field(default_factory=UsageTotal)
    created_at: str | None = None


class PartSection(Lenient):
    """A section as the model wrote it for one part (``start`` still its ``[12:34]`` marker)."""

    heading: str = ""
    start: str = ""
    body: str = ""


class PartAnswer(Lenient):
    """One part's answer and the calls it took (a redo, a truncated answer and its halves)."""

    sections: list[PartSection] = Field(default_factory=list)
    usage: list[Usage] = Field(default_factory=list)
    answered_at: str | None = None


class PartsFile(Artifact):
    """``parts.json`` (summarize, long videos only): each part's answer as it arrived, under the
    fingerprint of that part's input, so that a kill, a full disk or a failed overview loses no
    answer already paid for. ``fingerprint`` is the summarize fingerprint the answers belong to;
    the file is removed once ``article.json`` is written."""

    FILE: ClassVar[str] = "parts"

    fingerprint: str | None = None
    parts: dict[str, PartAnswer] = Field(default_factory=dict)  # the part's input fingerprint -> answer
    updated_at: str | None = None


class PostRecord(Artifact):
    """``post.json`` (write): where the post is and the hash of what the pipeline wrote, so a
    reviewer's edit is told from ours. ``pending_sha256`` is the hash of a write under way."""

    FILE: ClassVar[str] = "post"

    path: str | None = None
    source: str | None = None
    sha256: str | None = None
    pending_sha256: str | None = None
    fingerprint: str | None = None
    written_at: str | None = None
    warnings: list[str] = Field(default_factory=list)
    edited: bool = False
    regenerated: str | None = None
    # The post format that wrote it (``pipeline.post.formats``), which reads it back. A file from
    # before formats existed holds an Eleventy post.
    format: str = "eleventy"

    def reviewers(self, path: Path, data: bytes) -> bool:
        """Whether the post at ``path`` (holding ``data``) is the reviewer's: anything the
        pipeline did not write itself (the pending hash is that of a write a kill interrupted),
        and any post they made read-only."""
        return hashlib.sha256(data).hexdigest() not in {self.sha256, self.pending_sha256} - {None} or read_only(path)


def read_only(path: Path) -> bool:
    # The mode, not os.access: as root everything is writable.
    return not path.stat().st_mode & 0o222


class Flag(Lenient):
    """One item of the reviewer's checklist: a number or name the transcript does not support."""

    kind: str = ""
    text: str = ""
    section: str = ""
    reason: str = ""


class FlagsFile(Artifact):
    """``flags.json`` (write)."""

    FILE: ClassVar[str] = "flags"

    flags: list[Flag] = Field(default_factory=list)
    fingerprint: str | None = None
    created_at: str | None = None


class StageMark(Lenient):
    """A stage that ended for the video: "done", "skipped" (current) or "kept" (a reviewer's post)."""

    outcome: str
    at: str | None = None


class ErrorRecord(Lenient):
    """The last failure: its stage, its cause (see ``pipeline/errors.py``) and message."""

    stage: str = ""
    cause: str = "error"
    error_class: str = ""
    message: str = ""
    time: str | None = None


class Spent(Lenient):
    """What every run (and the review desk) spent on this video, added up."""

    tokens: int = 0
    cost_usd: float | None = None
    runs: int = 0


class StatusFile(Artifact):
    """``status.json``: the stages done, the last error, how the video was named (``ref``, for
    ``--retry-failed``), the ``--set`` overrides kept, the spending and the reviewer's ignore."""

    FILE: ClassVar[str] = "status"

    video_id: str = ""
    stages: dict[str, StageMark] = Field(default_factory=dict)
    error: ErrorRecord | None = None
    ref: dict[str, JsonValue] | None = None
    overrides: dict[str, JsonValue] | None = None
    spent: Spent | None = None
    ignored: bool = False


class BatchFile(Artifact):
    """``batch.json`` (``pipeline/batchapi/``): the video's Batch API requests and answers."""

    FILE: ClassVar[str] = "batch"

    video_id: str
    fingerprint: str | None = None
    site_tags: list[str] | None = None
    used: bool = False
    requests: dict[str, dict[str, JsonValue]] = Field(default_factory=dict)
    updated_at: str | None = None


class BatchCounts(Lenient):
    total: int = 0
    completed: int = 0
    failed: int = 0


class BatchRecordFile(Artifact):
    """``batches/<batch_id>.json`` in the output folder (``pipeline/batchapi/``): one batch at the
    provider as last polled, the file of requests it holds and whether its results were applied."""

    FILE: ClassVar[str] = "batches/<batch_id>"  # one per batch, beside videos/, not in a video's folder

    id: str
    status: str | None = None
    created_at: int | float | str | None = None  # as the provider gives it (OpenAI: Unix seconds)
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    request_counts: BatchCounts | None = None
    errors: list[str] = Field(default_factory=list)
    file_key: str | None = None
    applied: bool = False
    requests: int | None = None
    tokens: int | None = None
    videos: list[str] = Field(default_factory=list)
    # HTTP 404s in a row for the batch or its result files; at ``GIVE_UP_AFTER`` (records.py) the
    # requests it has not answered are given up on, and ``gave_up`` says why.
    not_found: int = 0
    gave_up: str | None = None
    updated_at: str | None = None


class CandidateArticle(ArticleContent):
    warnings: list[str] = Field(default_factory=list)


class CandidateFile(Artifact):
    """``candidate.json`` (the review desk): a regenerated article or section waiting for the
    reviewer's accept or discard, or the failure of that regeneration."""

    FILE: ClassVar[str] = "candidate"

    kind: str  # "article", "section"
    state: str = "done"  # "done" or "failed"
    error: str | None = None
    section: int | None = None  # the section's number, for kind "section"
    instruction: str = ""
    article: CandidateArticle | None = None  # kind "article"
    replaces: ArticleSection | None = None  # kind "section": the section as it was
    new: ArticleSection | None = None  # kind "section": its new text and times
    warnings: list[str] = Field(default_factory=list)
    model: str = ""
    usage_total: UsageTotal | None = None
    finished_at: str | None = None


class WatchedSource(Artifact):
    """``sources/<hash>.json`` (``pipeline/watch.py``): one watched source, not one video: the
    videos seen in it and when, and the failed runs of each so far."""

    FILE: ClassVar[str] = "sources"  # a folder of the output, not a file of a video's

    source: str = ""
    first_looked_at: str | None = None
    last_looked_at: str | None = None
    seen: dict[str, str] = Field(default_factory=dict)  # video id -> when first seen
    tries: dict[str, int] = Field(default_factory=dict)  # video id -> failed runs so far


# The files of a video's folder, each read and written by ``Store.load``/``Store.save``.
ARTIFACTS: tuple[type[Artifact], ...] = (MetadataFile, TranscriptFile, ArticleFile, PartsFile, PostRecord,
                                         FlagsFile, StatusFile, BatchFile, CandidateFile)
