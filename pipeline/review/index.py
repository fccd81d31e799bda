"""The desk's index: one row per video, kept current cheaply.

Reading every artifact of 5,000 videos takes seconds; the desk must answer in well under half a
second. A row is rebuilt only when its video changed: every artifact is written by a rename
inside the video's folder, which changes the folder's mtime, and a reviewer's edit changes the
post file's. So a refresh costs two ``stat`` calls per video. Rows are also kept in a cache file
beside the videos, so a restart over a large output folder does not read everything again.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


from pipeline.artifacts import MetadataFile, PostRecord
from pipeline.errors import StorageError
from pipeline.post.write import iso_date
from pipeline.stages import ALL
from pipeline.status import video_status
from pipeline.files import atomic_write_text
from pipeline.post.formats import get_format
from pipeline.store import Store

# A video's state: failed, the state of the furthest stage done before the last (whose outcome
# is the post, with its own review state), the post's review state, or ignored.
STATES = ("failed", *(stage.state for stage in ALL[:-1]), "draft", "edited", "approved", "ignored")
CACHE_NAME = ".review-index.json"
CACHE_VERSION = 3
PER_PAGE = 50
RACY_NS = 2_000_000_000


@dataclass
class Row:
    video_id: str
    title: str
    post_title: str  # the draft's own (Chinese) title
    channel: str
    date: str  # YYYY-MM-DD, or "" when unknown
    state: str
    cause: str  # a failed video's cause
    error: str  # a failed video's message
    flags: int
    cost_usd: float | None
    tokens: int
    post: str | None  # relative to the output folder
    signature: list[int]

    @property
    def haystack(self) -> str:
        return f"{self.title}\n{self.post_title}\n{self.channel}\n{self.video_id}".casefold()


def _mtime(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def _mtime_size(path: Path) -> list[int]:
    try:
        info = os.stat(path)
    except OSError:
        return [0, 0]
    return [info.st_mtime_ns, info.st_size]


def state_of(stages: dict[str, str], review: str, error: dict[str, Any] | None, ignored: bool) -> str:
    if ignored:
        return "ignored"
    if error:
        return "failed"
    if review in ("draft", "edited", "approved"):
        return review
    for stage in reversed(ALL[:-1]):
        if stages.get(stage.name):
            return stage.state
    return ALL[0].state


def build_row(store: Store, video_id: str) -> Row:
    vs = video_status(store, video_id)
    meta = store.load_readable(video_id, MetadataFile) or MetadataFile(id=video_id)
    date = iso_date(meta.upload_date)
    error = vs.error or {}
    post_title = ""
    if vs.post and vs.review != "missing":
        record = store.load_readable(video_id, PostRecord) or PostRecord()
        try:
            post_title = get_format(record.format).loads(store.resolve(vs.post).read_text(encoding="utf-8")).title
        except (OSError, UnicodeDecodeError, ValueError):
            post_title = ""  # a post broken by hand still has a row; its page says what is wrong
    return Row(
        video_id=video_id,
        title=vs.title or meta.title,
        post_title=post_title,
        channel=meta.channel or meta.uploader,
        date=date,
        state=state_of(vs.stages, vs.review, vs.error, vs.ignored),
        cause=str(error.get("cause") or ""),
        error=str(error.get("message") or ""),
        flags=len(vs.flags),
        cost_usd=vs.cost_usd,
        tokens=vs.tokens,
        post=vs.post,
        signature=[],  # the index signs the row (Index._build)
    )


@dataclass
class Page:
    rows: list[Row]
    total: int  # rows matching the filter
    page: int
    pages: int
    counts: dict[str, int]  # every state's count over all videos


class DeskIndex:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.cache_path = store.root / CACHE_NAME
        self._rows: dict[str, Row] = {}
        self._order: list[Row] = []
        self._lock = threading.Lock()
        self._load_cache()

    def _load_cache(self) -> None:
        try:
            data = json.loads(self.cache_path.read_text(encoding="utf-8"))
            if data.get("version") == CACHE_VERSION:
                self._rows = {r["video_id"]: Row(**r) for r in data["rows"]}
        except (OSError, ValueError, TypeError, KeyError):
            self._rows = {}  # a missing or stale cache only costs one full read

    def _save_cache(self) -> None:
        rows = [asdict(r) for r in self._rows.values()]
        try:
            atomic_write_text(self.cache_path, json.dumps({"version": CACHE_VERSION, "rows": rows},
                                                          ensure_ascii=False))
        except (OSError, StorageError):  # atomic_write_text raises StorageError (DiskFull too)
            pass  # a read-only output folder still gets a working desk, just a slower start

    def _signature(self, folder: Path, post: str | None) -> list[int]:
        return [_mtime(folder), *(_mtime_size(self.store.resolve(post)) if post else [0, 0])]

    @staticmethod
    def _current(known: Row | None, signature: list[int], racy_before: int) -> bool:
        """File times advance in steps of a few milliseconds: a change made in the same step as
        the last look would leave the time as it was. Rows whose files changed in the last two
        seconds are therefore read again (git's "racy" rule)."""
        return (known is not None and known.signature == signature
                and signature[0] < racy_before and signature[1] < racy_before)

    def _build(self, video_id: str, folder: Path) -> Row:
        # The folder is signed before reading, so a change made meanwhile shows next time.
        folder_mtime = _mtime(folder)
        row = build_row(self.store, video_id)
        row.signature = [folder_mtime, *self._signature(folder, row.post)[1:]]
        return row

    def refresh(self) -> list[Row]:
        """Rebuild the rows of videos that changed since the last look; the rows in desk order,
        as they were under the lock (a video page's ``row`` may clear the order right after)."""
        with self._lock:
            changed = False
            seen = set()
            racy_before = time.time_ns() - RACY_NS
            try:
                entries = [e for e in os.scandir(self.store.videos_dir) if e.is_dir() and not e.name.startswith(".")]
            except FileNotFoundError:
                entries = []
            for entry in entries:
                video_id = entry.name
                seen.add(video_id)
                known = self._rows.get(video_id)
                folder = Path(entry.path)
                if self._current(known, self._signature(folder, known.post if known else None), racy_before):
                    continue
                self._rows[video_id] = self._build(video_id, folder)
                changed = True
            for gone in set(self._rows) - seen:
                del self._rows[gone]
                changed = True
            if changed or len(self._order) != len(self._rows) or not self._order:
                self._order = sorted(self._rows.values(), key=lambda r: (r.date, r.video_id), reverse=True)
                self._save_cache()
            return self._order

    def forget(self, video_id: str) -> None:
        """After the desk itself changed a video: rebuild its row at the next refresh."""
        with self._lock:
            row = self._rows.get(video_id)
            if row is not None:
                row.signature = [-1, -1, -1]

    def row(self, video_id: str) -> Row | None:
        """One video's row, made current (a video page needs no look at the others)."""
        folder = self.store.videos_dir / video_id
        if not folder.is_dir():
            return None
        with self._lock:
            known = self._rows.get(video_id)
            signature = self._signature(folder, known.post if known else None)
            if not self._current(known, signature, time.time_ns() - RACY_NS):
                self._rows[video_id] = self._build(video_id, folder)
                self._order = []  # resorted at the next refresh
            return self._rows[video_id]

    def query(self, state: str = "", search: str = "", page: int = 1, per_page: int = PER_PAGE) -> Page:
        order = self.refresh()
        counts = dict.fromkeys(STATES, 0)
        for row in order:
            counts[row.state] = counts.get(row.state, 0) + 1
        needle = search.casefold().strip()
        matching = [r for r in order if (not state or r.state == state) and (not needle or needle in r.haystack)]
        pages = max(1, -(-len(matching) // per_page))
        page = min(max(1, page), pages)
        start = (page - 1) * per_page
        return Page(matching[start:start + per_page], len(matching), page, pages, counts)
