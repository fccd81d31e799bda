"""The summarize stage's calls through the Batch API: an executor the runner is given.

The runner runs its stages as in a live run. Each round tries every waiting video's summarize
stage against what the batches have answered so far: a short video needs one request, so round
1 finishes it; a long one needs its parts (round 1) before its overview (round 2). All requests
of a round, of all videos, go out together; between rounds the executor polls until those
batches end and applies their results, and the runner starts the next round. Posts are written
as videos finish. Everything is recorded in the videos' ``batch.json`` and ``batches/``, so a
rerun of the same command picks up where a kill left off, and sends no request twice.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.batchapi.jobs import BatchJobs, apply_results, line_problem, request_line, split_lines
from pipeline.batchapi.llm import BatchLLM
from pipeline.batchapi.records import TERMINAL, VideoBatch, error_time
from pipeline.config import Config
from pipeline.errors import BudgetExceeded, LLMRequestFailed, UsageError, Yt2PostError
from pipeline.llm.client import LLMClient
from pipeline.context import ModelCalls, Reporter, RunOptions, RunOverview
from pipeline.shapes import VideoRef
from pipeline.store import Store
from pipeline.llm.summarize import SummaryInputs, estimate

log = logging.getLogger(__name__)


class BatchApiExecutor:
    """The summarize stage's calls through the Batch API (``--batch-api``, ``llm.mode: batch``,
    ``--batch-export``, ``--batch-import``), given to the runner like the live client is. Each
    round the runner runs every waiting video's summarize stage against what the batches have
    answered so far; between rounds this sends the new requests, polls until their batches end
    and applies their results."""

    def __init__(self, config: Config, store: Store, options: RunOptions, reporter: Reporter, live: LLMClient,
                 jobs: BatchJobs | None = None) -> None:
        self.config = config
        self.store = store
        self.options = options
        self.reporter = reporter
        self.live = live
        self.jobs = jobs or BatchJobs(config.llm, store)
        self.export_dir = options.batch_export
        self.import_files = options.batch_import
        # Bad result files stop the run before any work.
        self.imported = [line for path in self.import_files for line in read_jsonl(path)]
        self.exported: list[Path] = []
        self.waiting: list[str] = []  # videos left waiting for answers (export, import, not waiting)
        self.started = error_time()  # failures since then are this run's
        self._forced: set[str] = set()  # videos whose old answers --force has set aside in this run
        self._seen: dict[str, tuple[Any, ...]] = {}  # batch id -> last status logged
        self._records: dict[str, VideoBatch] = {}
        self._lock = threading.Lock()
        self._planned = 0.0  # --max-cost: what the videos started in this run cost at the Batch API price
        self._last_pass = False  # llm.batch.wait: false, and batches are still running

    def prepare(self, videos: list[VideoRef]) -> None:
        if self.imported:
            apply_results(self.store, self.imported)
        if self.export_dir is None:
            found = {v.video_id: VideoBatch(self.store, v.video_id) for v in videos if self.store.has_video(v.video_id)}
            self.jobs.recover({video_id: r for video_id, r in found.items() if r.exists()})
            self.jobs.release_unanswered({video_id: r for video_id, r in found.items() if r.exists()})

    def _record(self, video_id: str) -> VideoBatch:
        with self._lock:
            record = self._records.get(video_id)
            if record is None:
                record = self._records[video_id] = VideoBatch(self.store, video_id)
            return record

    @contextmanager
    def calls(self, video_id: str, inputs: SummaryInputs, tags: list[str]) -> Iterator[ModelCalls]:
        """One round of one video's summarize stage: answered requests are answers, the others
        are recorded and ``Deferred`` ends the stage until the next round."""
        record = self._record(video_id)
        if record.fingerprint != inputs.fingerprint or (self.options.force and record.used
                                                        and video_id not in self._forced):
            if self.options.max_cost is not None:
                self._reserve(video_id, inputs, tags)
            record.reset(inputs.fingerprint, tags)
            self._forced.add(video_id)
        llm = BatchLLM(self.config.llm, record, self.live, run_started=self.started)
        try:
            # The tags of its first round: every round's prompts, and so their requests, stay the same.
            yield ModelCalls(llm, record.site_tags, None)
            record.used = True
        finally:
            record.save()

    def _reserve(self, video_id: str, inputs: SummaryInputs, tags: list[str]) -> None:
        """``--max-cost`` at the Batch API price: a video under way goes on (its requests are
        sent); a new one starts while its estimated cost fits."""
        limit = self.options.max_cost or 0.0
        cost = estimate(video_id, self.config, self.store, force=self.options.force, prompts=inputs.prompts,
                        tags=tags, inputs=inputs).batch_cost_usd or 0.0
        with self._lock:
            if self._planned + cost > limit:
                raise BudgetExceeded(
                    f"budget reached: the run would pass --max-cost ${limit:.4f} at the Batch API price "
                    f"(planned ${self._planned:.4f}, the next video needs about ${cost:.4f})", video_id=video_id)
            self._planned += cost

    def between_rounds(self, waiting: list[VideoRef]) -> tuple[list[VideoRef], list[tuple[VideoRef, Yt2PostError]]]:
        records = {v.video_id: self._record(v.video_id) for v in waiting}
        if self.export_dir is not None or self.import_files:
            # Answers come from elsewhere: hand out what is still needed, and stop here.
            self.waiting = [v.video_id for v in waiting]
            if self.export_dir is not None:
                self.exported = export_requests(self.config, list(records.values()), self.export_dir)
            return [], []
        self.jobs.submit(records)
        if not self.jobs.registry.unfinished():  # nothing out there can answer them: do not spin
            return [], [(video, LLMRequestFailed(f"{video.video_id}: waiting for batch answers, but no batch is "
                                                 "running for it")) for video in waiting]
        if self._last_pass:  # what finished is applied and the next requests are sent: leave the rest running
            self.waiting = [v.video_id for v in waiting]
            return [], []
        polled = self.jobs.wait(on_poll=self._log_progress, once=not self.config.llm.batch.wait,
                                on_sleep=self._next_check)
        self.jobs.apply_finished(polled)
        self._last_pass = any(r["status"] not in TERMINAL for r in polled)
        with self._lock:  # the results went into batch.json on disk
            for video in waiting:
                self._records[video.video_id] = VideoBatch(self.store, video.video_id)
        self.jobs.release_unanswered({v.video_id: self._record(v.video_id) for v in waiting})
        return waiting, []

    def note(self) -> str | None:
        if not self.waiting:
            return None
        if self.exported:
            files = " ".join(str(p) for p in self.exported)
            return (f"{len(self.waiting)} video(s) wait for answers: requests in {files}; run them (for example "
                    f"vllm run-batch -i FILE -o RESULTS --model {self.config.llm.model}) and rerun with "
                    "--batch-import RESULTS")
        if self.import_files:
            return (f"{len(self.waiting)} video(s) need another round of requests: rerun with --batch-export DIR "
                    "(or without --batch-import to send them to the Batch API)")
        return (f"{len(self.waiting)} video(s) wait for batches still running at the provider; run the same "
                "command again later to apply their results")

    def _log_progress(self, records: list[dict[str, Any]]) -> None:
        if isinstance(self.reporter, RunOverview):
            self.reporter.batches_polled(records)
        for record in records:
            counts = record.get("request_counts") or {}
            seen = (record.get("status"), counts.get("completed"), counts.get("failed"))
            if self._seen.get(record["id"]) != seen:
                self._seen[record["id"]] = seen
                log.info("batch %s: %s, %s/%s done, %s failed", record["id"], record.get("status"),
                         counts.get("completed", 0), counts.get("total", "?"), counts.get("failed", 0))

    def _next_check(self, seconds: float) -> None:
        if isinstance(self.reporter, RunOverview):
            self.reporter.next_batch_check(seconds)


def export_requests(config: Config, records: list[VideoBatch], folder: Path) -> list[Path]:
    """``--batch-export DIR``: the requests still unanswered, as JSONL files another engine can run."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for record in records:
        for request in record.in_state("pending", "exported"):
            request["state"] = "exported"
            lines.append(request_line(request))
        record.save()
    paths = []
    max_bytes = int(config.llm.batch.max_file_mb * 1024 * 1024)
    from pipeline.files import atomic_write_text

    for index, chunk in enumerate(split_lines(lines, config.llm.batch.max_requests, max_bytes), 1):
        path = folder / f"requests-{index:03d}.jsonl"
        atomic_write_text(path, "\n".join(chunk) + "\n")
        paths.append(path)
    return paths


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """A result file (the provider's output or error file, or ``vllm run-batch -o``)."""
    lines = []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the batch result file: {exc}") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise UsageError(f"{path}:{number}: not a JSON line: {exc}") from None
        problem = line_problem(item)
        if problem is not None:
            raise UsageError(f"{path}:{number}: not a batch result line ({problem})")
        lines.append(item)
    return lines
