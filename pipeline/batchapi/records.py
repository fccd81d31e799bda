"""What the Batch API path keeps on disk, so a rerun after a kill never asks twice.

Per video, ``videos/<id>/batch.json``: every request its summarize stage needed (keyed by a hash
of the request body), the custom_id it was sent under, the batch it went into, and the answer or
errors that came back. Per batch, ``batches/<batch_id>.json`` in the output folder: the batch as
last polled, which file of requests it holds and whether its results have been applied.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from pipeline.artifacts import BatchFile, BatchRecordFile
from pipeline.store import Store, fingerprint, now_iso

BATCH_ARTIFACT = BatchFile.FILE
BATCHES_DIR = "batches"
# The provider's final statuses, and "lost": ours for a batch it answered 404 for, GIVE_UP_AFTER times.
TERMINAL = frozenset({"completed", "expired", "failed", "cancelled", "lost"})
# A batch or result file the provider answers HTTP 404 for (purged, or llm.base_url now names
# another provider) is looked at this many times in a row, across runs, before its unanswered
# requests are given up on: they fail, and are asked again like any failed request.
GIVE_UP_AFTER = 3

# Request states: "pending" (known, not sent), "submitting" (in a file being sent: its batch id is
# not recorded yet), "submitted", "answered", "failed" (this attempt failed; see "errors").


def error_time() -> str:
    """When a request failed, to the microsecond: a run counts only the failures since it
    started, and a rerun can start within the same second as the run before it."""
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat()


def request_key(body: dict[str, Any]) -> str:
    return fingerprint(body)[:20]


def custom_id(video_id: str, key: str, attempt: int) -> str:
    return f"{video_id}.{key}.{attempt}"


def parse_custom_id(value: str) -> tuple[str, str, int] | None:
    """``video.key.attempt``; None for an id this program did not make."""
    parts = value.split(".")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[0], parts[1], int(parts[2])


class VideoBatch:
    """One video's ``batch.json``; methods are thread-safe (a video's parts are planned concurrently)."""

    def __init__(self, store: Store, video_id: str) -> None:
        self.store = store
        self.video_id = video_id
        self.lock = threading.RLock()
        # A damaged batch.json only loses answers not yet used: they are asked for again.
        data = store.load_readable(video_id, BatchFile) or BatchFile(video_id=video_id)
        self.site_tags: list[str] | None = data.site_tags
        self.fingerprint: str | None = data.fingerprint
        self.requests: dict[str, dict[str, Any]] = data.requests
        # An article was written from these answers: ``--force`` asks for new ones, not these again.
        self.used: bool = data.used

    def exists(self) -> bool:
        return self.store.exists(self.video_id, BATCH_ARTIFACT)

    def save(self) -> None:
        with self.lock:
            self.store.save(self.video_id, BatchFile(video_id=self.video_id, fingerprint=self.fingerprint,
                                                     site_tags=self.site_tags, used=self.used, requests=self.requests,
                                                     updated_at=now_iso()))

    def reset(self, expected_fingerprint: str, site_tags: list[str]) -> None:
        """Inputs changed (a new transcript, prompt or model): earlier requests no longer apply."""
        with self.lock:
            self.fingerprint = expected_fingerprint
            self.site_tags = list(site_tags)
            self.requests = {}
            self.used = False

    def get(self, key: str) -> dict[str, Any] | None:
        with self.lock:
            return self.requests.get(key)

    def add(self, key: str, body: dict[str, Any], purpose: str) -> dict[str, Any]:
        with self.lock:
            request = self.requests.get(key)
            if request is None:
                request = {"custom_id": custom_id(self.video_id, key, 1), "attempt": 1, "purpose": purpose,
                           "state": "pending", "batch_id": None, "file_key": None, "body": body,
                           "answer": None, "errors": [], "via": None, "added_at": now_iso()}
                self.requests[key] = request
            return request

    def retry(self, key: str) -> None:
        with self.lock:
            request = self.requests[key]
            request["attempt"] += 1
            request.update(custom_id=custom_id(self.video_id, key, request["attempt"]), state="pending",
                           batch_id=None, file_key=None)

    def release(self, batch_id: str, message: str) -> int:
        """The requests still waiting on ``batch_id``, which will answer no more: failed with
        ``message``, so they are asked again. Returns how many."""
        with self.lock:
            waiting = [r for r in self.requests.values() if r.get("batch_id") == batch_id and r["state"] == "submitted"]
            for request in waiting:
                self.fail(request, message)
            return len(waiting)

    def fail(self, request: dict[str, Any], message: str) -> None:
        """This attempt at ``request`` failed (``message`` says why): asked again, up to
        ``llm.batch.max_attempts`` times in a run."""
        with self.lock:
            request["state"] = "failed"
            request["errors"].append({"message": message, "at": error_time(), "batch_id": request.get("batch_id")})

    def in_state(self, *states: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests.values() if r["state"] in states]


class Registry:
    """``batches/<id>.json``: every batch this output folder sent, as last seen. Read and written
    by the store through ``BatchRecordFile`` like every artifact: older versions migrated, and a
    record a newer yt2post wrote read as far as it goes but never written over."""

    def __init__(self, root: Path) -> None:
        self.store = Store(root)
        self.folder = Path(root) / BATCHES_DIR

    def path(self, batch_id: str) -> Path:
        safe = "".join(ch for ch in batch_id if ch.isalnum() or ch in "-_")
        return self.folder / f"{safe}.json"

    def save(self, record: dict[str, Any]) -> None:
        """Write ``record`` through its model: a field of the wrong type is a bug, caught here."""
        record["updated_at"] = now_iso()
        path = self.path(record["id"])
        self.store.save_file(path, BatchRecordFile.model_validate(record), str(path))

    def load(self, batch_id: str) -> dict[str, Any] | None:
        return self._read(self.path(batch_id))

    def _read(self, path: Path) -> dict[str, Any] | None:
        """The record as its model reads it, handed on as a dict: the Batch API code updates
        records field by field."""
        record = self.store.load_file(path, BatchRecordFile, str(path))
        return None if record is None else record.to_json_dict()

    def all(self) -> list[dict[str, Any]]:
        if not self.folder.is_dir():
            return []
        records = [r for r in map(self._read, sorted(self.folder.glob("*.json"))) if r is not None]
        return sorted(records, key=lambda r: (r.get("created_at") or 0, r["id"]))

    def unfinished(self) -> list[dict[str, Any]]:
        """Batches whose results have not been applied yet (still running, or finished unread)."""
        return [r for r in self.all() if not r.get("applied")]
