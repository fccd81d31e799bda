"""The artifact store: one folder of JSON files per video, and the posts folder.

Layout under the output directory::

    videos/<video_id>/metadata.json    fetch
    videos/<video_id>/transcript.json  fetch
    videos/<video_id>/article.json     summarize
    videos/<video_id>/parts.json       summarize: a long video's part answers until its article is written
    videos/<video_id>/post.json        write (path and hash of the post as written)
    videos/<video_id>/flags.json       write (the reviewer's checklist)
    videos/<video_id>/status.json      stages done, last error
    videos/<video_id>/batch.json       the Batch API's requests and answers
    videos/<video_id>/candidate.json   the review desk's regenerated text
    posts/<file>.md                    the draft posts

Each file has its model in ``pipeline/artifacts.py``; ``load``/``save`` read and write them
through it (``read``/``write`` are the untyped layer beneath); ``load_file``/``save_file`` do
the same for the typed files of the output folder that belong to no video (``sources/``).

Every file is written to a temporary name and renamed into place, so an interrupted
run never leaves half an artifact behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from pipeline.artifacts import Artifact, ErrorRecord, Spent, StageMark, StatusFile, shape_problem
from pipeline.errors import ArtifactError, ArtifactMissing, DiskFull
from pipeline.files import atomic_write_text, ensure_inside, exclusive, remove_stale_temp_files, storage_error
from pipeline.redact import redact

# Keys that describe how an artifact was made rather than what it says: they do not take
# part in the content hash that downstream fingerprints are built from.
BOOKKEEPING_KEYS = frozenset({"fingerprint", "usage", "usage_total", "created_at", "fetched_at",
                              "schema_version"})
_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
A = TypeVar("A", bound=Artifact)


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def fingerprint(*parts: Any) -> str:
    """A stable hash of JSON-serialisable inputs."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def content_hash(data: dict[str, Any]) -> str:
    return fingerprint({k: v for k, v in data.items() if k not in BOOKKEEPING_KEYS})


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dumps_artifact(data: dict[str, Any]) -> str:
    """JSON a person can read and edit: one key per line, and one line per item of a list of
    objects (a transcript paragraph, a section)."""
    def one(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = []
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            items = ",\n    ".join(map(one, value))
            lines.append(f"  {one(key)}: [\n    {items}\n  ]")
        else:
            lines.append(f"  {one(key)}: {one(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


class Store:
    """Reads and writes the artifacts of every video under one output directory."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.videos_dir = self.root / "videos"
        self.posts_dir = self.root / "posts"
        self._real_root = self.root.resolve()  # for ``relative``: the output folder is not moved meanwhile
        # Links followed (``posts`` may be a link into the site): resolved once, as the root is.
        self.real_posts_dir = self.posts_dir.resolve()

    # --- paths -------------------------------------------------------------------------

    def video_dir(self, video_id: str) -> Path:
        # Video ids become folder names: refuse anything that could leave the folder.
        if not _VIDEO_ID.fullmatch(video_id):
            raise ArtifactError(f"{video_id!r} is not a valid video id", video_id=video_id)
        return self.videos_dir / video_id

    def has_video(self, video_id: str) -> bool:
        """Whether the output folder has this video (an id that cannot be a folder name: no)."""
        return bool(_VIDEO_ID.fullmatch(video_id)) and (self.videos_dir / video_id).is_dir()

    def path(self, video_id: str, name: str) -> Path:
        """The artifact's path; every read and every write checks that it stays inside the
        output folder, links followed."""
        return self.video_dir(video_id) / f"{name}.json"

    def relative(self, path: Path) -> str:
        """A path as recorded in artifacts: relative to the output folder, so it can move."""
        root, resolved = self._real_root, path.resolve()
        return str(resolved.relative_to(root)) if resolved.is_relative_to(root) else str(resolved)

    def resolve(self, recorded: str) -> Path:
        path = Path(recorded)
        return path if path.is_absolute() else self.root / path

    # --- artifacts ---------------------------------------------------------------------

    def exists(self, video_id: str, name: str) -> bool:
        return self.path(video_id, name).is_file()

    def read(self, video_id: str, name: str) -> dict[str, Any]:
        """The artifact file's JSON object, as the file holds it now."""
        path = self.path(video_id, name)
        data = self._read_json(path, self.videos_dir, f"{video_id}: {path}", video_id)
        if data is None:
            raise ArtifactMissing(f"{video_id}: {path.name} is missing (run the earlier stage first)",
                                  video_id=video_id)
        return data

    def _read_json(self, path: Path, inside: Path, label: str, video_id: str | None = None) -> dict[str, Any] | None:
        """The JSON object of the file at ``path`` (which must resolve inside ``inside``); None when
        it is missing, and an error naming ``label`` when it is not one."""
        try:
            data = json.loads(ensure_inside(path, inside, doing="read").read_bytes().decode("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ArtifactError(f"{label} is not valid JSON: {exc}", video_id=video_id) from None
        if not isinstance(data, dict):
            raise ArtifactError(f"{label} must hold a JSON object", video_id=video_id)
        return data

    def read_optional(self, video_id: str, name: str) -> dict[str, Any] | None:
        try:
            return self.read(video_id, name)
        except ArtifactError:
            return None

    def write(self, video_id: str, name: str, data: dict[str, Any]) -> Path:
        path = ensure_inside(self.path(video_id, name), self.videos_dir)
        atomic_write_text(path, dumps_artifact(data))
        return path

    # --- typed artifacts (``pipeline/artifacts.py``) -----------------------------------

    def load(self, video_id: str, model: type[A]) -> A:
        """The artifact ``model`` names, validated (and migrated from an older version); a
        missing or malformed file is an ArtifactError naming the video and the file."""
        return _validated(model, self.read(video_id, model.FILE), f"{video_id}: {model.FILE}.json", video_id)

    def load_optional(self, video_id: str, model: type[A]) -> A | None:
        """None where the file is missing; a malformed one is still an error."""
        try:
            return self.load(video_id, model)
        except ArtifactMissing:
            return None

    def load_readable(self, video_id: str, model: type[A]) -> A | None:
        """None where the file is missing or damaged: for reports and pages that show what can
        be read (the stage that needs the file reports the damage)."""
        try:
            return self.load_optional(video_id, model)
        except ArtifactError:
            return None

    def save(self, video_id: str, artifact: Artifact) -> Path:
        """Write ``artifact``; never over a file a newer yt2post wrote: this program would drop
        the fields it does not know (reading one is fine, as far as it goes)."""
        # A freshly built object (not loaded) is checked against the file it would replace.
        stored = artifact.file_as_read
        if stored is None:
            stored = self.read_optional(video_id, artifact.FILE) or {}
        refuse_newer(stored, type(artifact), f"{video_id}: {artifact.FILE}.json", video_id)
        return self.write(video_id, artifact.FILE, artifact.to_json_dict())

    # --- typed files of the output folder that belong to no video (``sources/<hash>.json``) --

    def load_file(self, path: Path, model: type[A], label: str) -> A | None:
        """The artifact at ``path`` (inside the output folder), validated and migrated like a
        video's; None when missing. ``label`` names the file in errors."""
        data = self._read_json(path, self.root, label)
        return None if data is None else _validated(model, data, label)

    def save_file(self, path: Path, artifact: Artifact, label: str) -> Path:
        """Write ``artifact`` at ``path`` as ``save`` writes a video's, never over a newer file."""
        stored = artifact.file_as_read
        if stored is None:  # a freshly built object is checked against the file it would replace
            try:
                stored = self._read_json(path, self.root, label) or {}
            except ArtifactError:
                stored = {}
        refuse_newer(stored, type(artifact), label)
        atomic_write_text(ensure_inside(path, self.root), dumps_artifact(artifact.to_json_dict()))
        return path

    def remove(self, video_id: str, model: type[Artifact]) -> None:
        """Delete the artifact file, if it is there (one that served its purpose: ``parts.json``)."""
        path = ensure_inside(self.path(video_id, model.FILE), self.videos_dir)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise storage_error(path, exc) from None

    def is_current(self, video_id: str, name: str, expected_fingerprint: str) -> bool:
        data = self.read_optional(video_id, name)
        return data is not None and data.get("fingerprint") == expected_fingerprint

    # --- status ------------------------------------------------------------------------

    def load_status(self, video_id: str) -> StatusFile:
        # A status.json that cannot be read only loses the record of earlier runs: start afresh.
        return self.load_readable(video_id, StatusFile) or StatusFile(video_id=video_id)

    def status(self, video_id: str) -> dict[str, Any]:
        """``status.json`` as a dict of ``StatusFile``'s shape (an empty one for a new video)."""
        return self.load_status(video_id).model_dump(mode="json")

    def update_status(self, video_id: str, **changes: Any) -> dict[str, Any]:
        """Set top-level fields of ``status.json`` (``ref``, ``overrides``, ``spent``, ``ignored``…);
        a name ``StatusFile`` does not have is a programming error, not a silent key."""
        unknown = set(changes) - set(StatusFile.model_fields)
        if unknown:
            raise TypeError(f"status.json has no field {', '.join(sorted(unknown))}")
        loaded = self.load_status(video_id)
        status = StatusFile.model_validate(loaded.model_dump() | changes)
        status.replacing(loaded.file_as_read)  # read once
        self.save(video_id, status)
        return status.model_dump(mode="json")

    def mark_stage(self, video_id: str, stage: str, outcome: str, *, tokens: int = 0, cost_usd: float | None = None,
                   ref: dict[str, Any] | None = None, keep_error: bool = False) -> None:
        """Record that ``stage`` finished (``outcome`` is "done", "skipped" or "kept"), clear its
        error (unless ``keep_error``: a dry run's, which plans the retry of that failure), add
        what was spent, and remember how the video was reached: one write, none when a skipped
        stage would change nothing (the desk then need not look at the video again)."""
        status = self.load_status(video_id)
        unchanged = stage in status.stages and not tokens and ref in (None, status.ref) \
            and (status.error is None or status.error.stage != stage)
        if outcome == "skipped" and unchanged:
            return  # a stage that found its work done changes nothing: a no-op rerun writes no file
        status.stages[stage] = StageMark(outcome=outcome, at=now_iso())
        if status.error is not None and status.error.stage == stage and not keep_error:
            status.error = None
        _add_spend(status, tokens, cost_usd)
        if ref is not None:
            status.ref = ref
        self.save(video_id, status)

    def record_error(self, video_id: str, stage: str, exc: BaseException, *, ref: dict[str, Any] | None = None) -> None:
        status = self.load_status(video_id)
        status.error = ErrorRecord(stage=stage, cause=getattr(exc, "cause", "error"),
                                   error_class=type(exc).__name__, message=redact(str(exc)), time=now_iso())
        if ref is not None:
            status.ref = ref  # so that ``--retry-failed`` needs no SOURCE
        self.save(video_id, status)

    def add_spend(self, video_id: str, tokens: int, cost_usd: float | None) -> None:
        """Model calls made outside a stage (the review desk's regenerations) add to the spend."""
        if tokens:
            status = self.load_status(video_id)
            _add_spend(status, tokens, cost_usd)
            self.save(video_id, status)

    def ensure_room(self, video_id: str, needed: int = 1_000_000) -> None:
        """Raise DiskFull when the output folder's disk has less than ``needed`` bytes free:
        checked before a model call, so that no answer is paid for that cannot be saved."""
        try:
            info = os.statvfs(self.root if self.root.exists() else self.root.parent)
        except OSError:
            return  # cannot tell; the write itself will say
        if info.f_bavail * info.f_frsize < needed:
            raise DiskFull(f"{video_id}: disk full: less than {needed // 1_000_000} MB free under {self.root}; "
                           "the model was not called", video_id=video_id)

    def remove_stale_temp_files(self, older_than: float = 60.0) -> int:
        """Temporary files a killed run left behind (never an artifact: those are renamed whole).
        Only ones older than ``older_than`` seconds: a fresh one may be a write under way in the
        review desk, which saves posts while runs come and go."""
        return remove_stale_temp_files([self.videos_dir, self.posts_dir], self.root, older_than)

    @contextmanager
    def video_lock(self, video_id: str) -> Iterator[None]:
        """One writer of a video's post at a time: the write stage's look-then-write and the
        review desk's save exclude each other, so neither replaces what the other just wrote."""
        with exclusive(ensure_inside(self.video_dir(video_id) / ".post.lock", self.videos_dir)):
            yield

    def video_ids(self) -> list[str]:
        if not self.videos_dir.is_dir():
            return []
        return sorted(p.name for p in self.videos_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def _validated(model: type[A], data: dict[str, Any], label: str, video_id: str | None = None) -> A:
    """``data`` read through ``model``; a file that does not fit it is one line naming it."""
    try:
        artifact = model.model_validate(data)
    except ValidationError as exc:
        raise ArtifactError(f"{label} does not have the expected shape: {shape_problem(exc)}",
                            video_id=video_id) from None
    return artifact.replacing(data)


def refuse_newer(stored: dict[str, Any], model: type[Artifact], label: str, video_id: str | None = None) -> None:
    """A file a newer yt2post wrote is never written over: this program would drop the fields
    it does not know (reading one is fine, as far as it goes)."""
    version = stored.get("schema_version", 0)
    if isinstance(version, int) and version > model.VERSION:
        raise ArtifactError(f"{label} was written by a newer yt2post (version {version} of the file; this one "
                            f"knows {model.VERSION}): upgrade yt2post to change it", video_id=video_id)


def _add_spend(status: StatusFile, tokens: int, cost_usd: float | None) -> None:
    """What each run's model calls cost adds up per video, across reruns (a redone article
    keeps what the first one cost)."""
    if not tokens:
        return
    spent = status.spent or Spent()
    spent.tokens += tokens
    spent.cost_usd = round((spent.cost_usd or 0.0) + (cost_usd or 0.0), 6)
    spent.runs += 1
    status.spent = spent
