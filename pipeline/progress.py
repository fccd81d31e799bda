"""Progress reporting for a batch: a live display on a terminal, plain lines elsewhere.

Not on a terminal (CI, cron, a pipe) the output is one line per event with no control
characters, so logs stay greppable. On a terminal the live display redraws itself; anything
else the run prints meanwhile (a warning, a failed video) goes above it, through ``sys.stderr``,
which the display replaces while it runs.

The time left is estimated per worker pool: the stage runs still to come (a video that failed
runs none of its later stages) × the mean observed duration of a run of that stage ÷ the
pool's workers. The pools work side by side, so the slower one sets the time left. Until every
stage with work left has been timed once there is no estimate ("—"); with the Batch API the
provider decides when answers come, so there is none at all.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from statistics import fmean
from typing import Any, TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from pipeline.shapes import StageResult
from pipeline.redact import redact
from pipeline.stages import BY_NAME, NAMES


def duration(seconds: float) -> str:
    """``1:05`` or ``1:02:03``."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Tally:
    """Counts shared by both reporters, and what the time left is estimated from."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.lock = threading.Lock()
        self.clock = clock
        self.started = clock()
        self.outcomes: dict[str, Counter[str]] = {stage: Counter() for stage in NAMES}
        self.current: dict[str, str] = {}  # video id -> stage running now
        self.tokens = 0
        self.cost = 0.0
        # Told by ``run_started``; until then neither the total nor the time left is known.
        self.videos = 0
        self.stages: tuple[str, ...] = NAMES
        self.workers: dict[str, int] = {}  # pool name -> workers
        self.through: set[str] = set()  # videos the run is done with: last stage finished, or failed
        self.began: dict[tuple[str, str], float] = {}  # (video id, stage) -> when it started
        self.durations: dict[str, list[float]] = {stage: [] for stage in NAMES}
        self.batches: dict[str, dict[str, Any]] = {}  # batch id -> its record as last polled
        self.next_check: float | None = None  # wall-clock time of the next look at the batches

    def elapsed(self) -> str:
        return duration(self.clock() - self.started)

    # Called with ``lock`` held.

    def plan(self, videos: int, stages: tuple[str, ...], workers: dict[str, int]) -> None:
        self.videos, self.stages, self.workers = videos, stages, dict(workers)

    def start(self, video_id: str, stage: str) -> None:
        self.current[video_id] = stage
        self.began[(video_id, stage)] = self.clock()

    def finish(self, result: StageResult) -> None:
        self.outcomes[result.stage][result.outcome] += 1
        self.tokens += result.tokens
        self.cost += result.cost_usd or 0.0
        self.current.pop(result.video_id, None)
        began = self.began.pop((result.video_id, result.stage), None)
        if began is not None:
            self.durations[result.stage].append(self.clock() - began)
        if result.stage == self.stages[-1]:
            self.through.add(result.video_id)

    def fail(self, video_id: str, stage: str) -> None:
        self.outcomes[stage]["failed"] += 1
        self.current.pop(video_id, None)
        self.began.pop((video_id, stage), None)
        self.through.add(video_id)

    def remaining(self, stage: str) -> int:
        """Runs of ``stage`` still to come (or under way)."""
        earlier = self.stages[:self.stages.index(stage)]
        left = self.videos - sum(self.outcomes[stage].values()) - sum(self.outcomes[s]["failed"] for s in earlier)
        return max(0, left)

    def estimable(self) -> bool:
        """Every stage of the run runs in a pool of ours (not so for the Batch API's summarize)."""
        return bool(self.videos) and all(BY_NAME[stage].pool in self.workers for stage in self.stages)

    def time_left(self) -> float | None:
        """Seconds, by the slower pool (see the module's docstring); None until it can be told."""
        if not self.estimable():
            return None
        work: dict[str, float] = {}  # pool -> seconds of work left for each of its workers
        for stage in self.stages:
            left = self.remaining(stage)
            if not left:
                continue
            if not self.durations[stage]:
                return None
            pool = BY_NAME[stage].pool
            work[pool] = work.get(pool, 0.0) + left * fmean(self.durations[stage]) / max(1, self.workers[pool])
        return max(work.values(), default=0.0)


STOPPING = "stopping: no new work starts; the model calls and writes in flight finish and are kept"


class PlainReporter:
    """One line per event: fit for logs, pipes and CI."""

    def __init__(self, stream: TextIO | None = None, verbose: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.verbose = verbose
        self.tally = Tally()

    def _line(self, text: str) -> None:
        # Text from videos could carry escape sequences; keep the log plain.
        clean = "".join(ch if ch.isprintable() else " " for ch in redact(text))
        with self.tally.lock:
            print(clean, file=self.stream, flush=True)

    def run_started(self, videos: int, stages: tuple[str, ...], workers: dict[str, int]) -> None:
        with self.tally.lock:
            self.tally.plan(videos, stages, workers)

    def stage_started(self, video_id: str, stage: str) -> None:
        with self.tally.lock:
            self.tally.start(video_id, stage)
        if self.verbose:
            self._line(f"{stage} {video_id}: started")

    def stage_finished(self, result: StageResult) -> None:
        with self.tally.lock:
            self.tally.finish(result)
        detail = f" ({result.detail})" if result.detail else ""
        self._line(f"{result.stage} {result.video_id}: {result.outcome}{detail}")

    def video_failed(self, video_id: str, stage: str, exc: BaseException) -> None:
        with self.tally.lock:
            self.tally.fail(video_id, stage)
        self._line(f"{stage} {video_id}: failed [{getattr(exc, 'cause', type(exc).__name__)}]")

    def batches_polled(self, batches: list[dict[str, Any]]) -> None:
        """Each batch of the Batch API as just polled: its state and request counts."""
        with self.tally.lock:
            self.tally.batches.update((record["id"], record) for record in batches)
            self.tally.next_check = None

    def next_batch_check(self, seconds: float) -> None:
        """The batches are looked at again in ``seconds``."""
        with self.tally.lock:
            self.tally.next_check = time.time() + seconds

    def stopping(self) -> None:
        self._line(STOPPING)

    def close(self) -> None:
        pass


def batch_line(record: dict[str, Any]) -> str:
    counts = record.get("request_counts") or {}
    return (f"batch {record['id']}: {record.get('status')}, {counts.get('completed', 0)}/{counts.get('total', '?')} "
            f"done, {counts.get('failed', 0)} failed")


class LiveReporter(PlainReporter):
    """A live rich display: counts per stage, videos done of the run's, current videos, elapsed
    and left time, tokens and cost, the Batch API's batches."""

    def __init__(self, console: Console | None = None, verbose: bool = False) -> None:
        super().__init__(verbose=verbose)
        self.console = console or Console(stderr=True)
        # Rendered anew on every refresh, so the clocks move while nothing happens (a batch wait).
        self._live = Live(console=self.console, get_renderable=self._render, refresh_per_second=4,
                          transient=False)
        self._live.start()

    def _render(self) -> Group:
        tally = self.tally
        with tally.lock:
            table = Table(box=None, show_header=True, header_style="bold")
            for column in ("stage", "done", "skipped", "failed"):
                table.add_column(column)
            for stage in NAMES:
                counts = tally.outcomes[stage]
                table.add_row(stage, str(counts["done"] + counts["kept"]), str(counts["skipped"]),
                              str(counts["failed"]))
            status = []
            if tally.videos:
                status.append(f"{len(tally.through)} of {tally.videos} videos")
            status.append(f"elapsed {tally.elapsed()}")
            if tally.estimable() and len(tally.through) < tally.videos:
                left = tally.time_left()
                # Rounded up: the last half second left is not "0:00".
                status.append(f"left ~{duration(math.ceil(left))}" if left is not None else "left —")
            status += [f"tokens {tally.tokens:,}", f"est. cost ${tally.cost:.4f}"]
            lines = [Text(batch_line(record)) for record in list(tally.batches.values())[-6:]]
            if tally.next_check is not None:
                at = datetime.fromtimestamp(tally.next_check).strftime("%H:%M:%S")
                lines.append(Text(f"next check of the batches at {at} "
                                  f"(in {duration(max(0.0, tally.next_check - time.time()))})"))
            running = ", ".join(f"{vid} ({stage})" for vid, stage in list(tally.current.items())[:6])
        return Group(table, Text("  ".join(status)), *lines, Text(f"now: {running}" if running else "now: -"))

    def _refresh(self) -> None:
        self._live.refresh()

    def stage_started(self, video_id: str, stage: str) -> None:
        with self.tally.lock:
            self.tally.start(video_id, stage)
        self._refresh()

    def stage_finished(self, result: StageResult) -> None:
        with self.tally.lock:
            self.tally.finish(result)
        self._refresh()

    def video_failed(self, video_id: str, stage: str, exc: BaseException) -> None:
        with self.tally.lock:
            self.tally.fail(video_id, stage)
        cause = getattr(exc, "cause", type(exc).__name__)
        self.console.print(Text(f"{stage} {video_id}: failed [{cause}]", style="red"))
        self._refresh()

    def batches_polled(self, batches: list[dict[str, Any]]) -> None:
        super().batches_polled(batches)
        self._refresh()

    def next_batch_check(self, seconds: float) -> None:
        super().next_batch_check(seconds)
        self._refresh()

    def stopping(self) -> None:
        self.console.print(Text(STOPPING, style="yellow"))

    def close(self) -> None:
        self._refresh()
        self._live.stop()


def make_reporter(verbose: bool, stream: Any = None) -> PlainReporter:
    stream = stream or sys.stderr
    if stream.isatty():
        return LiveReporter(verbose=verbose)
    return PlainReporter(stream, verbose=verbose)
