"""Runs the stages over many videos: concurrently, resumably, recording every failure.

Fetching and writing (local or bound to a site, paced by the site's limiter) and summarizing
(LLM-bound, bounded by ``llm.concurrency``) run in separate worker pools, so a video stuck on
a site never holds up the model, and a slow model call never holds up fetching. Each video's
stages run in order; a failure is recorded in that video's status and the others go on.
"""

from __future__ import annotations

import itertools
import logging
import threading
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.config import Config
from pipeline.context import Executor, Reporter, RunContext, RunOptions
from pipeline.errors import (ArtifactMissing, BudgetExceeded, ConfigError, Deferred, DiskFull, EarlierStageFailed,
                             LLMSetupError, RunStopping, TranscriptionPlanned, Yt2PostError)
from pipeline.shapes import StageResult, VideoRef
from pipeline.redact import redact
from pipeline.sanitize import sanitize_inline
from pipeline.sites import DEFAULT, get_site
from pipeline.stages import ALL, BY_NAME, NAMES, Stage
from pipeline.store import Store

if TYPE_CHECKING:
    from pipeline.llm.summarize import Estimate

log = logging.getLogger(__name__)


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
    final_stage: str = NAMES[-1]  # a video is finished when this stage has run for it
    # What stopped the run early: an error every video would hit, or the --max-cost budget.
    stopped_by: Yt2PostError | None = None
    batch_note: str | None = None  # what the Batch API left to do: batches running, an export, an import

    def finished(self) -> dict[str, str]:
        """Videos whose final stage ran without a failure, with that stage's outcome."""
        failed = {f.video_id for f in self.failures}
        return {r.video_id: r.outcome for r in self.results
                if r.stage == self.final_stage and r.video_id not in failed}

    def count(self, outcome: str) -> int:
        """Finished videos whose last stage ended with ``outcome`` ("done", "skipped", "kept")."""
        return sum(1 for out in self.finished().values() if out == outcome)

    @property
    def failed(self) -> int:
        return len({f.video_id for f in self.failures})

    @property
    def not_started(self) -> int:
        """Videos neither finished nor failed: stopped early (Ctrl-C, budget, a setup error);
        the next run picks them up where they are."""
        return self.videos - len(self.finished()) - self.failed

    def failures_by_cause(self) -> Counter[str]:
        return Counter(f.cause for f in self.failures)


class Runner:
    """The stages of ``options.stages`` over many videos; what happened is in ``summary``."""

    def __init__(self, config: Config, store: Store, options: RunOptions, reporter: Reporter,
                 llm: Any | None = None, prompts: Any | None = None, executor: Executor | None = None) -> None:
        self.config = config
        self.store = store
        self.options = options
        self.reporter = reporter
        # How the summarize stage's calls are made when not live (the Batch API): in rounds.
        self.executor = executor if any(BY_NAME[name].pool == "llm" for name in options.stages) else None
        self.context = RunContext(config, store, options, llm=llm, prompts=prompts, executor=self.executor)
        self.stages: tuple[Stage, ...] = tuple(BY_NAME[name] for name in options.stages)
        self._lock = threading.Lock()
        self.summary = RunSummary()
        self._stop = threading.Event()
        self._stop_for_good = threading.Event()  # a full disk, an error every video would hit: no more rounds
        self._waiting: list[tuple[VideoRef, tuple[Stage, ...]]] = []  # deferred: each with the stages left

    def _stage(self, video: VideoRef, stage: Stage) -> StageResult:
        """Run one stage and mark it in ``status.json``, with what it spent. A dry run keeps the
        failure it found recorded: the plan of ``--retry-failed`` must leave its retry to do."""
        self.reporter.stage_started(video.video_id, stage.name)
        result = stage.run(self.context, video)
        self.store.mark_stage(video.video_id, stage.name, result.outcome, tokens=result.tokens,
                              cost_usd=result.cost_usd, ref=_ref(video) if "network" in stage.needs else None,
                              keep_error=self.options.dry_run)
        with self._lock:
            self.summary.results.append(result)
        self.reporter.stage_finished(result)
        return result

    def plan(self, videos: list[VideoRef]) -> list[Estimate]:
        """``--dry-run``: fetch what is missing (free), then estimate every video's LLM calls."""
        from pipeline.llm.summarize import estimate, estimate_transcribed

        estimates = []
        # The stages before the first that calls the model cost nothing: they run (fetch).
        free = tuple(itertools.takewhile(lambda stage: "model" not in stage.needs, self.stages))
        paid = next((stage for stage in ALL if "model" in stage.needs), None)
        for video in videos:
            try:
                if free and not self._run_stages(video, free):
                    continue
            except TranscriptionPlanned as planned:  # its words would come from speech recognition
                estimates.append(estimate_transcribed(planned.meta, self.config, prompts=self.context.prompts,
                                                      tags=self.context.site_tags))
                continue
            try:
                estimates.append(estimate(video.video_id, self.config, self.store, force=self.options.force,
                                          prompts=self.context.prompts, tags=self.context.site_tags))
            except Yt2PostError as exc:
                self._fail(video, paid.name if paid else self.stages[-1].name, exc)
        return estimates

    def _run_stages(self, video: VideoRef, stages: tuple[Stage, ...]) -> bool:
        """``stages`` in turn, until one fails or the run stops."""
        for stage in stages:
            if self._stop.is_set():
                return False
            try:
                self._stage(video, stage)
            except (BudgetExceeded, LLMSetupError, ConfigError) as exc:
                if isinstance(exc, (LLMSetupError, ConfigError)):
                    self._stop_for_good.set()
                self._stop_run(exc)
                return False
            except RunStopping:
                return False  # not started: what it had is kept for the rerun
            except TranscriptionPlanned:
                raise  # --dry-run: what speech recognition would cost is the plan's to count
            except Deferred:
                # Waiting for the executor's answers: not failed, run again in the next round.
                with self._lock:
                    self._waiting.append((video, self.stages[self.stages.index(stage):]))
                return False
            except DiskFull as exc:
                # The video failed; every later write would too, so start nothing new rather
                # than pay for answers there is no room to save.
                self._fail(video, stage.name, exc)
                self._stop.set()
                self._stop_for_good.set()
                return False
            except Yt2PostError as exc:
                self._fail(video, stage.name, exc)
                return False
            except Exception as exc:  # a bug or an unexpected library error: record it, keep going
                if self.options.verbose:
                    log.error("%s", redact("".join(traceback.format_exception(exc))))
                self._fail(video, stage.name, exc)
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
        earlier = self._earlier_failure(video.video_id, stage, exc)
        exc = earlier or exc
        message = redact(str(exc) or type(exc).__name__)
        if video.video_id not in message:
            message = f"{video.video_id}: {message}"
        try:
            if earlier is None:  # else the earlier stage's failure stays the recorded one
                self.store.record_error(video.video_id, stage, exc, ref=_ref(video))
        except Yt2PostError:
            pass  # an id that cannot be a folder has nowhere to record; the summary still says it
        with self._lock:
            self.summary.failures.append(
                Failure(video.video_id, stage, getattr(exc, "cause", type(exc).__name__), message))
        self.reporter.video_failed(video.video_id, stage, exc)

    def _earlier_failure(self, video_id: str, stage: str, exc: BaseException) -> EarlierStageFailed | None:
        """The failure of an earlier stage that left ``stage`` without its input (``yt2post
        write ID`` after the fetch failed), so that its cause is not replaced by "missing"."""
        if not isinstance(exc, ArtifactMissing):
            return None
        try:
            error = self.store.load_status(video_id).error
        except Yt2PostError:
            return None
        if error is None or error.stage not in NAMES or NAMES.index(error.stage) >= NAMES.index(stage):
            return None
        reason = error.message.removeprefix(f"{video_id}: ")
        return EarlierStageFailed(f"{video_id}: cannot {stage}: its {error.stage} failed: {reason}",
                                  cause=error.cause, video_id=video_id)

    def run(self, videos: list[VideoRef]) -> RunSummary:
        """Every stage for every video; Ctrl-C stops starting new work and keeps what is done.

        Each stage runs in the pool for its kind of work: fetch and write in the local pool
        (a site's requests are paced by its own limiter), summarize in the LLM pool, whose
        size is ``llm.concurrency``. A video moves to the next pool when a stage succeeds, so
        an LLM worker never waits on disk or network work between two calls. With an executor
        (the Batch API), the videos it deferred run again, from the stage that waited, in
        rounds until it has nothing more to answer.
        """
        self.summary.videos = len(videos)
        self.summary.final_stage = self.stages[-1].name
        if not videos:
            return self.summary
        self.store.remove_stale_temp_files()
        if any(stage.pool == "llm" for stage in self.stages) and self.executor is None:
            # Build the client and templates while the first videos are fetched.
            threading.Thread(target=self._warm_up, name="warm-up", daemon=True).start()
        if self.executor is not None:
            self.executor.prepare(videos)
        waiting = self._round([(video, self.stages) for video in videos], videos)
        while waiting and self.executor is not None and not self._stopped_for_good():
            again, failed = self.executor.between_rounds([video for video, _ in waiting])
            left = {video.video_id: stages for video, stages in waiting}
            for video, exc in failed:
                self._fail(video, left[video.video_id][0].name, exc)
            if self._stop.is_set() and not self._stop_for_good.is_set():
                self._stop.clear()  # the budget: no new video starts, but the ones under way go on
            waiting = self._round([(video, left[video.video_id]) for video in again], videos)
        if self.executor is not None:
            self.summary.batch_note = self.executor.note()  # printed by the CLI after its summary line
        return self.summary

    def _stopped_for_good(self) -> bool:
        """Stopped by something other than the budget (which only keeps new videos out)."""
        return self._stop_for_good.is_set()

    def _round(self, work: list[tuple[VideoRef, tuple[Stage, ...]]],
               videos: list[VideoRef]) -> list[tuple[VideoRef, tuple[Stage, ...]]]:
        """Each video's stages, in their pools; returns the videos the executor deferred."""
        self._waiting = []
        if not work:
            return []
        self._outstanding = len(work)
        self._all_done = threading.Event()
        self._pools = {pool: ThreadPoolExecutor(max_workers=size, thread_name_prefix=pool)
                       for pool, size in self.workers(videos).items()}
        try:
            for video, stages in work:
                self._submit(video, stages)
            # A timed wait, so that Ctrl-C reaches this thread.
            while not self._all_done.wait(0.2):
                pass
        except KeyboardInterrupt:
            self._stop.set()
            self.context.call_slots.stopping.set()
            for pool in self._pools.values():
                pool.shutdown(wait=False, cancel_futures=True)
            self.reporter.stopping()
            raise
        finally:
            for pool in self._pools.values():
                pool.shutdown(wait=True)
        return list(self._waiting)

    def workers(self, videos: list[VideoRef]) -> dict[str, int]:
        """Each worker pool's size for ``videos``; no model pool when an executor answers (its
        rounds run in the local pool: they make no network call)."""
        sizes = {"local": _local_workers(videos, self.config), "llm": max(1, self.config.llm.concurrency)}
        if self.executor is not None:
            del sizes["llm"]
        return sizes

    def _warm_up(self) -> None:
        """Build the client and templates before the first video needs them."""
        try:
            self.context.llm, self.context.prompts, self.context.site_tags  # noqa: B018 - built for their side effect
        except Yt2PostError:
            pass  # reported by the first video that needs them, with its id

    def _submit(self, video: VideoRef, stages: tuple[Stage, ...]) -> None:
        pool = self._pools.get(stages[0].pool) or self._pools["local"]
        pool.submit(self._task, video, stages)

    def _task(self, video: VideoRef, stages: tuple[Stage, ...]) -> None:
        """Run the first of ``stages``; on success hand the video on for the rest."""
        handed_on = False
        try:
            if self._stop.is_set():
                return
            if self._run_stages(video, stages[:1]) and len(stages) > 1 \
                    and not self._stop.is_set():
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


def _local_workers(videos: list[VideoRef], config: Config) -> int:
    """Reading info.json files and writing posts is CPU work, which Python threads cannot share:
    a second worker only adds contention for the interpreter (about a tenth of the per-video
    time in ``benchmarks/runs.py``). A video fetched over the network (from its site) or through
    speech recognition (any video without captions, once it is on) waits instead, so then two
    workers keep each other going."""
    local = config.asr.backend is None and all(video.info_path is not None for video in videos)
    return 1 if local else 2


def _ref(video: VideoRef) -> dict[str, str | None]:
    """How to reach the video again, kept in its status, so ``--retry-failed`` needs no SOURCE
    (a private feed's credential is not kept: its SOURCE is given again)."""
    ref = {"url": redact(video.url), "info_path": str(video.info_path) if video.info_path else None,
           "media_path": str(video.media_path) if video.media_path else None}
    # The default site's videos keep the reference they had before sites existed. Another
    # site's keeps the title its listing gave: a podcast episode's id is a hash, and ``status``
    # names a video that failed before its metadata was written by that title.
    if video.site == DEFAULT:
        return ref
    return {**ref, "site": video.site, **({"title": sanitize_inline(str(video.title))[:300]} if video.title else {})}


def failed_videos(store: Store) -> list[VideoRef]:
    """Videos whose last run recorded an error, rebuilt from what their status remembers."""
    videos = []
    for video_id in store.video_ids():
        status = store.load_status(video_id)
        if status.error is None:
            continue
        ref = status.ref or {}
        site = str(ref.get("site") or DEFAULT)  # a reference from before sites: the default site's video
        videos.append(VideoRef(
            video_id=video_id,
            url=ref.get("url") or get_site(site).canonical_url(video_id) or "",
            info_path=Path(ref["info_path"]) if ref.get("info_path") else None,
            media_path=Path(ref["media_path"]) if ref.get("media_path") else None,
            site=site,
        ))
    return videos
