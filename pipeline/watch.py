"""Watching sources: which videos of a playlist or channel are new since the last look.

Each source keeps a record in the output folder, ``sources/<hash>.json``: the source as given,
when it was first and last looked at, and every video id seen in it with when it was first
seen. ``yt2post run SOURCE… --new`` processes only the videos not in the record; a video that
disappears from the listing stays in the record (and its post stays where it is).

A video counts as seen once its run succeeded, or was skipped with ``--mark-seen``. A video
that failed stays unseen so the next scheduled run retries it (new uploads often have no
captions for a while), up to ``MAX_TRIES`` runs; after that it is marked seen, its failure
stays in its ``status.json`` and ``yt2post run --retry-failed`` retries it on demand.

A record is an artifact (``WatchedSource``), read and written by the store
(``Store.load_file``/``save_file``): a record a newer yt2post wrote is refused before any work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.artifacts import WatchedSource
from pipeline.errors import ArtifactError, UsageError
from pipeline.redact import redact
from pipeline.shapes import VideoRef
from pipeline.sources.listing import expand_sources, select_refs
from pipeline.store import Store, now_iso, refuse_newer

SOURCES_DIR = "sources"
MAX_TRIES = 3  # scheduled runs a failing new video is retried in before it counts as seen


class OutputBusy(UsageError):
    """Another yt2post run holds the output folder (a scheduled run that overlaps the last one)."""

    cause = "busy"


@contextmanager
def output_lock(root: Path) -> Iterator[None]:
    """The output folder's one lock (``pipeline.lock``, the one every writing command takes),
    without waiting: an overlapping scheduled run stops at once instead of piling up."""
    from pipeline.lock import OutputLocked
    from pipeline.lock import output_lock as folder_lock

    with ExitStack() as stack:
        try:
            stack.enter_context(folder_lock(root, wait=False))
        except OutputLocked as exc:
            raise OutputBusy(str(exc).split(";")[0] + "; try again when it ends") from None
        yield


def source_key(source: str) -> str:
    """The same source however it is spelled on the command line: a path is made absolute."""
    path = Path(source).expanduser()
    if path.exists():
        return str(path.resolve())
    return source.strip()


def record_path(root: Path, source: str) -> Path:
    digest = hashlib.sha256(source_key(source).encode("utf-8")).hexdigest()[:16]
    return Path(root) / SOURCES_DIR / f"{digest}.json"


@dataclass
class SourceRecord:
    """What has been seen of one source, and when it was looked at."""

    path: Path
    source: str
    first_looked_at: str | None = None
    last_looked_at: str | None = None
    seen: dict[str, str] = field(default_factory=dict)  # video id -> when first seen
    tries: dict[str, int] = field(default_factory=dict)  # video id -> failed runs so far
    stored: WatchedSource | None = None  # the file as read: ``save`` never writes over a newer one

    @property
    def label(self) -> str:
        return f"{self.path} (the record of source {self.source})"

    @classmethod
    def load(cls, root: Path, source: str) -> SourceRecord:
        path = record_path(root, source)
        record = cls(path=path, source=source_key(source))
        stored = Store(root).load_file(path, WatchedSource, record.label)
        if stored is not None:
            record.stored = stored
            record.first_looked_at, record.last_looked_at = stored.first_looked_at, stored.last_looked_at
            record.seen, record.tries = stored.seen, stored.tries
        return record

    def check_writable(self) -> None:
        """Before any work: a record this version cannot update would make every run draft
        the same "new" videos again."""
        if self.stored is not None:
            try:
                refuse_newer(self.stored.stored(), WatchedSource, self.label)
            except ArtifactError as exc:
                raise UsageError(str(exc)) from None

    def save(self) -> None:
        # A private feed's URL holds its credential: the record names the source without it.
        artifact = WatchedSource(source=redact(self.source), first_looked_at=self.first_looked_at,
                                 last_looked_at=self.last_looked_at, seen=self.seen, tries=self.tries)
        artifact.replacing(self.stored.stored() if self.stored is not None else None)
        Store(self.path.parents[1]).save_file(self.path, artifact, self.label)
        self.stored = artifact

    def mark_seen(self, video_ids: Iterable[str], when: str) -> None:
        for video_id in video_ids:
            self.seen.setdefault(video_id, when)
            self.tries.pop(video_id, None)


@dataclass
class Selection:
    """The new videos of one run, and what to remember about each source afterwards."""

    videos: list[VideoRef]  # to process now
    records: list[SourceRecord]
    listed: dict[str, list[str]]  # record path -> video ids the source lists now
    marked: list[str]  # new videos marked seen without processing (--mark-seen)
    looked_at: str


def select_new(root: Path, sources: Iterable[str], *, limit: int | None = None, since: str | None = None,
               reverse: bool = False, mark_seen: bool = False, problems: list[str] | None = None,
               expand: Callable[..., list[VideoRef]] = expand_sources) -> Selection:
    """The videos of ``sources`` not seen before, filtered by ``since``/``reverse``/``limit``.

    With ``mark_seen`` the new videos the filters leave out are recorded as seen, so a first
    run on a channel with 2,000 old videos drafts only the newest few. A bad line of a list
    file goes to ``problems`` and the other lines still count.
    """
    records: list[SourceRecord] = []
    listed: dict[str, list[str]] = {}
    fresh: dict[str, VideoRef] = {}
    for source in sources:
        record = SourceRecord.load(Path(root), source)
        record.check_writable()
        videos = expand([source], problems=problems)
        records.append(record)
        listed[str(record.path)] = [v.video_id for v in videos]
        for video in videos:
            if video.video_id not in record.seen:
                fresh.setdefault(video.video_id, video)
    candidates = list(fresh.values())
    chosen = select_refs(candidates, since=since, reverse=reverse, limit=limit)  # a plain run's filters, on the new ones
    chosen_ids = {v.video_id for v in chosen}
    marked = [v.video_id for v in candidates if v.video_id not in chosen_ids] if mark_seen else []
    return Selection(videos=chosen, records=records, listed=listed, marked=marked, looked_at=now_iso())


def remember(selection: Selection, succeeded: Iterable[str], failed: Iterable[str]) -> None:
    """After the run: record the videos that are done (or marked) as seen, count failed tries,
    and when each source was looked at. Each record is written atomically."""
    done = set(succeeded) | set(selection.marked)
    failed = set(failed)
    when = selection.looked_at
    for record in selection.records:
        mine = set(selection.listed.get(str(record.path), []))
        record.mark_seen(sorted(mine & done), when)
        for video_id in sorted(mine & failed):
            record.tries[video_id] = record.tries.get(video_id, 0) + 1
            if record.tries[video_id] >= MAX_TRIES:
                record.mark_seen([video_id], when)
        record.first_looked_at = record.first_looked_at or when
        record.last_looked_at = when
        record.save()
