"""A run whose summarize calls go through the Batch API, in rounds.

Fetch runs as usual. Then each round tries every waiting video's summarize stage against what
the batches have answered so far: a short video needs one request, so round 1 finishes it; a
long one needs its parts (round 1) before its overview (round 2). All requests of a round, of
all videos, go out together; the run polls until those batches end, applies their results and
starts the next round. Posts are written as videos finish. Everything is recorded in the
videos' ``batch.json`` and ``batches/``, so a rerun of the same command picks up where a kill
left off, and sends no request twice.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.batchapi.jobs import BatchJobs, apply_results, line_problem, request_line, split_lines
from pipeline.batchapi.llm import BatchLLM, Deferred
from pipeline.batchapi.records import TERMINAL, VideoBatch, error_time
from pipeline.config import Config
from pipeline.errors import BudgetExceeded, LLMRequestFailed, UsageError, Yt2PostError
from pipeline.llm.client import LLMClient
from pipeline.llm.prompts import Prompts
from pipeline.context import RunOptions
from pipeline.runner import Failure, Reporter, RunOverview, Runner, RunSummary
from pipeline.models import VideoRef
from pipeline.store import Store
from pipeline.llm.summarize import SummaryInputs, estimate, site_tags, summarize

log = logging.getLogger(__name__)


class BatchRun:
    """``yt2post run --batch-api``: fetch, summarize through batches round by round, write."""

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
        self.summary = RunSummary()
        self.exported: list[Path] = []
        self.waiting: list[str] = []  # videos left waiting for answers (export, import, not waiting)
        self.started = error_time()  # failures since then are this run's
        self._forced: set[str] = set()  # videos whose old answers --force has set aside in this run
        self._seen: dict[str, tuple[Any, ...]] = {}  # batch id -> last status logged

    def run(self, videos: list[VideoRef]) -> RunSummary:
        self.summary.videos = len(videos)
        self.summary.final_stage = self.options.stages[-1]  # a video is finished after the run's last stage
        if not videos:
            return self.summary
        imported = [line for path in self.import_files for line in read_jsonl(path)]  # bad files stop before work
        ready = videos
        if "fetch" in self.options.stages:
            ready = self._stage_runner(videos, ("fetch",))
        if "summarize" not in self.options.stages:
            return self.summary
        if imported:
            apply_results(self.store, imported)
        prompts = Prompts(self.config)
        tags = site_tags(self.store.posts_dir, self.config.reuse_tags)
        records = {v.video_id: VideoBatch(self.store, v.video_id) for v in ready}
        if self.export_dir is None:
            self.jobs.recover({vid: r for vid, r in records.items() if r.exists()})
        if self.options.max_cost is not None:
            ready = self._within_budget(ready, records, prompts, tags)
        finished = self._rounds(ready, records, prompts, tags)
        if "write" in self.options.stages and finished:
            self._stage_runner(finished, ("write",))
        self.summary.batch_note = self._note()  # printed by the CLI after its summary line
        return self.summary

    def _rounds(self, waiting: list[VideoRef], records: dict[str, VideoBatch], prompts: Prompts,
                tags: list[str]) -> list[VideoRef]:
        """Summarize round by round until no video waits; returns the videos whose article is done."""
        finished: list[VideoRef] = []
        last_pass = False  # llm.batch.wait: false, and batches are still running
        while waiting:
            self.jobs.release_unanswered({v.video_id: records[v.video_id] for v in waiting})
            deferred = []
            for video in waiting:
                outcome = self._attempt(video.video_id, records[video.video_id], prompts, tags)
                if outcome == "deferred":
                    deferred.append(video)
                elif outcome == "done":
                    finished.append(video)
            if not deferred:
                break
            if self.export_dir is not None or self.import_files:
                # Answers come from elsewhere: hand out what is still needed, and stop here.
                self.waiting = [v.video_id for v in deferred]
                if self.export_dir is not None:
                    self.exported = export_requests(self.config, [records[v.video_id] for v in deferred],
                                                    self.export_dir)
                break
            self.jobs.submit({v.video_id: records[v.video_id] for v in deferred})
            if not self.jobs.registry.unfinished():  # nothing out there can answer them: do not spin
                for video in deferred:
                    self._fail(video.video_id, LLMRequestFailed(
                        f"{video.video_id}: waiting for batch answers, but no batch is running for it"))
                break
            if last_pass:  # what finished is applied and the next requests are sent: leave the rest running
                self.waiting = [v.video_id for v in deferred]
                break
            polled = self.jobs.wait(on_poll=self._log_progress, once=not self.config.llm.batch.wait,
                                    on_sleep=self._next_check)
            self.jobs.apply_finished(polled)
            last_pass = any(r["status"] not in TERMINAL for r in polled)
            waiting = deferred
            for video in waiting:  # the results went into batch.json on disk
                records[video.video_id] = VideoBatch(self.store, video.video_id)
        return finished

    def _note(self) -> str | None:
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

    def _within_budget(self, videos: list[VideoRef], records: dict[str, VideoBatch], prompts: Prompts,
                       tags: list[str]) -> list[VideoRef]:
        """``--max-cost`` at the Batch API price: videos already under way go on (their requests are
        sent); new ones start, in order, while their estimated cost fits."""
        limit = self.options.max_cost or 0.0
        planned = 0.0
        kept = []
        for video in videos:
            record = records[video.video_id]
            if record.requests and not (self.options.force and record.used):
                kept.append(video)
                continue
            try:
                cost = estimate(video.video_id, self.config, self.store, force=self.options.force, prompts=prompts,
                                tags=tags).batch_cost_usd or 0.0
            except Yt2PostError as exc:
                self._fail(video.video_id, exc)
                continue
            if planned + cost > limit:
                self.summary.stopped_by = BudgetExceeded(
                    f"budget reached: the batch would pass --max-cost ${limit:.4f} at the Batch API price "
                    f"(planned ${planned:.4f}, the next video needs about ${cost:.4f})", video_id=video.video_id)
                break
            planned += cost
            kept.append(video)
        return kept

    def _stage_runner(self, videos: list[VideoRef], stages: tuple[str, ...]) -> list[VideoRef]:
        """A stage that needs no model: the ordinary runner. Returns the videos that passed."""
        runner = Runner(self.config, self.store, replace(self.options, stages=stages), self.reporter, llm=self.live)
        result = runner.run(videos)
        self.summary.results.extend(result.results)
        self.summary.failures.extend(result.failures)
        failed = {f.video_id for f in result.failures}
        return [v for v in videos if v.video_id not in failed]

    def _attempt(self, video_id: str, record: VideoBatch, prompts: Prompts, tags: list[str]) -> str:
        """One round of one video's summarize stage: "done", "deferred" or "failed"."""
        try:
            inputs = SummaryInputs.load(video_id, self.config, self.store, prompts)
            expected = inputs.fingerprint
            if record.fingerprint != expected or (self.options.force and record.used and video_id not in self._forced):
                record.reset(expected, tags)
                self._forced.add(video_id)
            self.reporter.stage_started(video_id, "summarize")
            llm = BatchLLM(self.config.llm, record, self.live, run_started=self.started)
            try:
                result = summarize(video_id, self.config, self.store, llm=llm, force=self.options.force,
                                   prompts=prompts, tags=record.site_tags, inputs=inputs)
            finally:
                record.save()
        except Deferred:
            return "deferred"
        except Yt2PostError as exc:
            self._fail(video_id, exc)
            return "failed"
        if result.outcome == "done":
            record.used = True
            record.save()
        self.store.mark_stage(video_id, "summarize", result.outcome, tokens=result.tokens, cost_usd=result.cost_usd)
        self.summary.results.append(result)
        self.reporter.stage_finished(result)
        return "done"

    def _fail(self, video_id: str, exc: Yt2PostError) -> None:
        message = str(exc) if video_id in str(exc) else f"{video_id}: {exc}"
        self.store.record_error(video_id, "summarize", exc)
        self.summary.failures.append(Failure(video_id, "summarize", exc.cause, message))
        self.reporter.video_failed(video_id, "summarize", exc)


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
