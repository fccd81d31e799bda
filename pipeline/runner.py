"""Runs the stages over many videos: concurrently, resumably, recording every failure.

Fetching and writing (local or YouTube-bound, paced by the YouTube limiter) and summarizing
(LLM-bound, bounded by ``llm.concurrency``) run in separate worker pools, so a video stuck on
YouTube never holds up the model, and a slow model call never holds up fetching. Each video's
stages run in order; a failure is recorded in that video's status and the others go on.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pipeline.config import Config
from pipeline.errors import BudgetExceeded, DiskFull, LLMSetupError, Yt2PostError
from pipeline.sources.fetch import FetchOptions, fetch
from pipeline.models import StageResult
from pipeline.llm.prompts import Prompts
from pipeline.redact import redact
from pipeline.sources.listing import VideoRef
from pipeline.store import STAGES, Store
from pipeline.llm.summarize import Estimate, estimate, site_tags, summarize
from pipeline.post.write import write

log = logging.getLogger(__name__)


@dataclass
class RunOptions:
    stages: tuple[str, ...] = STAGES
    force: bool = False
    overrides: dict[str, Any] = field(default_factory=dict)
    overwrite_edited: bool = False
    subtitles: Path | None = None
    allow_description: bool = False
    verbose: bool = False
    max_cost: float | None = None  # USD: stop starting new videos once the batch would pass it
    batch_api: bool = False  # summarize through the provider's Batch API (also ``llm.mode: batch``)
    batch_export: Path | None = None  # write the Batch API requests to this folder instead of sending them
    batch_import: tuple[Path, ...] = ()  # Batch API result files to apply first


class Budget:
    """``--max-cost``: reserves each video's estimated cost before its first LLM call."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.spent = 0.0
        self.reserved = 0.0
        self.stopped = False
        self._lock = threading.Lock()

    def reserve(self, video_id: str, cost: float) -> None:
        with self._lock:
            if self.stopped or self.spent + self.reserved + cost > self.limit:
                self.stopped = True
                raise BudgetExceeded(
                    f"budget reached: the batch would pass --max-cost ${self.limit:.4f} "
                    f"(spent ${self.spent:.4f}, the next video needs about ${cost:.4f})", video_id=video_id)
            self.reserved += cost

    def settle(self, reserved: float, actual: float | None) -> None:
        with self._lock:
            self.reserved -= reserved
            self.spent += actual if actual is not None else reserved


class Reporter(Protocol):
    def stage_started(self, video_id: str, stage: str) -> None: ...
    def stage_finished(self, result: StageResult) -> None: ...
    def video_failed(self, video_id: str, stage: str, exc: BaseException) -> None: ...


@dataclass
class Failure:
    video_id: str
    stage: str
    cause: str
    message: str


@dataclass
class RunSummary:
    results: list[StageResult] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    videos: int = 0
    final_stage: str = "write"  # a video is finished when this stage has run for it
    # What stopped the run early: an error every video would hit, or the --max-cost budget.
    stopped_by: Yt2PostError | None = None
    batch_note: str | None = None  # what a Batch API export or import left to do (``pipeline.batchapi``)

    def _finished(self) -> dict[str, str]:
        failed = {f.video_id for f in self.failures}
        return {r.video_id: r.outcome for r in self.results
                if r.stage == self.final_stage and r.video_id not in failed}

    def count(self, outcome: str) -> int:
        """Finished videos whose last stage ended with ``outcome`` ("done", "skipped", "kept")."""
        return sum(1 for out in self._finished().values() if out == outcome)

    @property
    def failed(self) -> int:
        return len({f.video_id for f in self.failures})

    @property
    def not_started(self) -> int:
        """Videos neither finished nor failed: stopped early (Ctrl-C, budget, a setup error);
        the next run picks them up where they are."""
        return self.videos - len(self._finished()) - self.failed

    def failures_by_cause(self) -> Counter[str]:
        return Counter(f.cause for f in self.failures)


class Runner:
    def __init__(self, config: Config, store: Store, options: RunOptions, reporter: Reporter,
                 llm: Any | None = None, youtube: Any | None = None) -> None:
        self.config = config
        self.store = store
        self.options = options
        self.reporter = reporter
        self._llm = llm
        self._youtube = youtube
        self._lock = threading.Lock()
        self._build_lock = threading.RLock()  # for the shared clients, built on first use
        self.summary = RunSummary()
        self.budget = Budget(options.max_cost) if options.max_cost is not None else None
        self._stop = threading.Event()
        self._shared: dict[str, Any] | None = None

    # Built on first use: a fetch-only run needs no API key, a local run no YouTube session.
    @property
    def llm(self) -> Any:
        with self._build_lock:
            if self._llm is None:
                from pipeline.llm.client import LLMClient

                self._llm = LLMClient(self.config.llm)
            return self._llm

    @property
    def youtube(self) -> Any:
        """One paced YouTube session for the whole batch, so its limiter is shared."""
        with self._build_lock:
            if self._youtube is None:
                from pipeline.sources.youtube_session import YouTubeSession

                self._youtube = YouTubeSession(self.config.youtube)
            return self._youtube

    def _stage(self, video: VideoRef, stage: str) -> StageResult:
        self.reporter.stage_started(video.video_id, stage)
        opts = self.options
        if stage == "fetch":
            result = fetch(video, self.config, self.store, force=opts.force, youtube=self.youtube,
                           options=FetchOptions(subtitles=opts.subtitles, allow_description=opts.allow_description))
        elif stage == "summarize":
            result = self._summarize(video.video_id)
            self._add_spend(result)
        else:
            result = write(video.video_id, self.config, self.store, force=opts.force,
                           overwrite_edited=opts.overwrite_edited, overrides=self._overrides(video.video_id))
        self.store.mark_stage(video.video_id, stage, result.outcome)
        with self._lock:
            self.summary.results.append(result)
        self.reporter.stage_finished(result)
        return result

    def _overrides(self, video_id: str) -> dict[str, Any]:
        """``--set`` values stay with the video's post until set again: a plain rerun must not
        turn ``draft: false`` back into the default."""
        kept = self.store.status(video_id).get("overrides") or {}
        merged = {**kept, **self.options.overrides}
        if merged != kept:
            self.store.update_status(video_id, overrides=merged)
        return merged

    def _add_spend(self, result: StageResult) -> None:
        """What each run's calls cost adds up per video, across reruns."""
        if result.outcome != "done" or not result.tokens:
            return
        status = self.store.status(result.video_id)
        spent = dict(status.get("spent") or {"tokens": 0, "cost_usd": 0.0, "runs": 0})
        spent["tokens"] = int(spent.get("tokens", 0)) + result.tokens
        spent["cost_usd"] = round(float(spent.get("cost_usd") or 0.0) + (result.cost_usd or 0.0), 6)
        spent["runs"] = int(spent.get("runs", 0)) + 1
        self.store.update_status(result.video_id, spent=spent)

    @property
    def shared(self) -> dict[str, Any]:
        """What every summarize call of the run shares: the prompts, and the site's most used tags
        (read once per run: reading every post for every video would grow with the square)."""
        with self._build_lock:
            if self._shared is None:
                self._shared = {"prompts": Prompts(self.config),
                                "tags": site_tags(self.store.posts_dir, self.config.reuse_tags)}
            return self._shared

    def _summarize(self, video_id: str) -> StageResult:
        self.store.ensure_room(video_id)
        shared = self.shared
        if self.budget is None:
            return summarize(video_id, self.config, self.store, llm=self.llm, force=self.options.force, **shared)
        planned = estimate(video_id, self.config, self.store, force=self.options.force, **shared)
        if planned.skipped:
            return summarize(video_id, self.config, self.store, llm=self.llm, force=self.options.force, **shared)
        reserved = planned.cost_usd or 0.0
        self.budget.reserve(video_id, reserved)
        actual: float | None = None
        try:
            result = summarize(video_id, self.config, self.store, llm=self.llm, force=self.options.force, **shared)
            actual = result.cost_usd
            return result
        finally:
            self.budget.settle(reserved, actual)

    def plan(self, videos: list[VideoRef]) -> list[Estimate]:
        """``--dry-run``: fetch what is missing (free), then estimate every video's LLM calls."""
        estimates = []
        for video in videos:
            if "fetch" in self.options.stages and not self._run_stages(video, ("fetch",)):
                continue
            try:
                estimates.append(estimate(video.video_id, self.config, self.store, force=self.options.force,
                                          **self.shared))
            except Yt2PostError as exc:
                self._fail(video, "summarize", exc)
        return estimates

    def _run_stages(self, video: VideoRef, stages: tuple[str, ...]) -> bool:
        for stage in stages:
            if self._stop.is_set():
                return False
            try:
                self._stage(video, stage)
            except (BudgetExceeded, LLMSetupError) as exc:
                self._stop_run(exc)
                return False
            except DiskFull as exc:
                # The video failed; every later write would too, so start nothing new rather
                # than pay for answers there is no room to save.
                self._fail(video, stage, exc)
                self._stop.set()
                return False
            except Yt2PostError as exc:
                self._fail(video, stage, exc)
                return False
            except Exception as exc:  # a bug or an unexpected library error: record it, keep going
                if self.options.verbose:
                    log.error("%s", redact("".join(traceback.format_exception(exc))))
                self._fail(video, stage, exc)
                return False
        return True

    def _stop_run(self, exc: Yt2PostError) -> None:
        """Not the video's fault: every video would hit it. Start nothing new; the video keeps
        its artifacts and counts as not started, so the next run simply picks it up."""
        self._stop.set()
        with self._lock:
            if self.summary.stopped_by is None:
                self.summary.stopped_by = exc

    def _fail(self, video: VideoRef, stage: str, exc: BaseException) -> None:
        message = redact(str(exc) or type(exc).__name__)
        if video.video_id not in message:
            message = f"{video.video_id}: {message}"
        try:
            self.store.record_error(video.video_id, stage, exc)
        except Yt2PostError:
            pass  # an id that cannot be a folder has nowhere to record; the summary still says it
        with self._lock:
            self.summary.failures.append(
                Failure(video.video_id, stage, getattr(exc, "cause", type(exc).__name__), message))
        self.reporter.video_failed(video.video_id, stage, exc)

    def _remember_source(self, video: VideoRef) -> None:
        """Keep how to reach the video again, so ``--retry-failed`` needs no SOURCE."""
        ref = {"url": video.url, "info_path": str(video.info_path) if video.info_path else None,
               "media_path": str(video.media_path) if video.media_path else None}
        try:
            if self.store.status(video.video_id).get("ref") != ref:
                self.store.update_status(video.video_id, ref=ref)
        except Yt2PostError:
            pass

    def run(self, videos: list[VideoRef]) -> RunSummary:
        """Every stage for every video; Ctrl-C stops starting new work and keeps what is done.

        Each stage runs in the pool for its kind of work: fetch and write in the local pool
        (YouTube requests are paced by their own limiter), summarize in the LLM pool, whose
        size is ``llm.concurrency``. A video moves to the next pool when a stage succeeds, so
        an LLM worker never waits on disk or YouTube work between two calls.
        """
        if "summarize" in self.options.stages and self._batch_mode():
            return self._run_batch(videos)
        self.summary.videos = len(videos)
        self.summary.final_stage = self.options.stages[-1]
        if not videos:
            return self.summary
        self.store.remove_stale_temp_files()
        stages = self.options.stages
        if "summarize" in stages:
            # Build the client and templates while the first videos are fetched.
            threading.Thread(target=self._warm_up, name="warm-up", daemon=True).start()
        self._outstanding = len(videos)
        self._all_done = threading.Event()
        self._pools = {
            "local": ThreadPoolExecutor(max_workers=2, thread_name_prefix="local"),
            "llm": ThreadPoolExecutor(max_workers=max(1, self.config.llm.concurrency), thread_name_prefix="llm"),
        }
        try:
            for video in videos:
                self._submit(video, stages)
            # A timed wait, so that Ctrl-C reaches this thread.
            while not self._all_done.wait(0.2):
                pass
        except KeyboardInterrupt:
            self._stop.set()
            for pool in self._pools.values():
                pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            for pool in self._pools.values():
                pool.shutdown(wait=True)
        return self.summary

    def _batch_mode(self) -> bool:
        opts = self.options
        return self.config.llm.mode == "batch" or opts.batch_api or opts.batch_export is not None \
            or bool(opts.batch_import)

    def _run_batch(self, videos: list[VideoRef]) -> RunSummary:
        """Summarize calls through the provider's Batch API, in rounds (``pipeline.batchapi``)."""
        from pipeline.batchapi.run import BatchRun

        self.summary = BatchRun(self.config, self.store, self.options, self.reporter, live=self.llm).run(videos)
        return self.summary

    def _warm_up(self) -> None:
        """Build the client and templates before the first video needs them."""
        try:
            self.llm, self.shared  # noqa: B018 - built for their side effect
        except Yt2PostError:
            pass  # reported by the first video that needs them, with its id

    def _submit(self, video: VideoRef, stages: tuple[str, ...]) -> None:
        pool = self._pools["llm" if stages[0] == "summarize" else "local"]
        pool.submit(self._task, video, stages)

    def _task(self, video: VideoRef, stages: tuple[str, ...]) -> None:
        """Run the first of ``stages``; on success hand the video on for the rest."""
        handed_on = False
        try:
            if self._stop.is_set():
                return
            if stages[0] == "fetch":
                self._remember_source(video)
            if self._run_stages(video, stages[:1]) and len(stages) > 1 and not self._stop.is_set():
                try:
                    self._submit(video, stages[1:])
                    handed_on = True
                except RuntimeError:  # the pools are shutting down after Ctrl-C
                    pass
        finally:
            if not handed_on:
                with self._lock:
                    self._outstanding -= 1
                    if self._outstanding == 0:
                        self._all_done.set()


def failed_videos(store: Store) -> list[VideoRef]:
    """Videos whose last run recorded an error, rebuilt from what their status remembers."""
    videos = []
    for video_id in store.video_ids():
        status = store.status(video_id)
        if not status.get("error"):
            continue
        ref = status.get("ref") or {}
        videos.append(VideoRef(
            video_id=video_id,
            url=ref.get("url") or f"https://www.youtube.com/watch?v={video_id}",
            info_path=Path(ref["info_path"]) if ref.get("info_path") else None,
            media_path=Path(ref["media_path"]) if ref.get("media_path") else None,
        ))
    return videos
