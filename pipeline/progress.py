"""Progress reporting for a batch: a live display on a terminal, plain lines elsewhere.

Not on a terminal (CI, cron, a pipe) the output is one line per event with no control
characters, so logs stay greppable.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from typing import Any, TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from pipeline.models import StageResult
from pipeline.redact import redact
from pipeline.store import STAGES


class Tally:
    """Counts shared by both reporters."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.outcomes: dict[str, Counter[str]] = {stage: Counter() for stage in STAGES}
        self.current: dict[str, str] = {}  # video id -> stage running now
        self.tokens = 0
        self.cost = 0.0
        self.failed = 0

    def elapsed(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"{seconds // 60}:{seconds % 60:02d}"


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

    def stage_started(self, video_id: str, stage: str) -> None:
        if self.verbose:
            self._line(f"{stage} {video_id}: started")

    def stage_finished(self, result: StageResult) -> None:
        with self.tally.lock:
            self.tally.outcomes[result.stage][result.outcome] += 1
            self.tally.tokens += result.tokens
            self.tally.cost += result.cost_usd or 0.0
        detail = f" ({result.detail})" if result.detail else ""
        self._line(f"{result.stage} {result.video_id}: {result.outcome}{detail}")

    def video_failed(self, video_id: str, stage: str, exc: BaseException) -> None:
        with self.tally.lock:
            self.tally.failed += 1
        self._line(f"{stage} {video_id}: failed [{getattr(exc, 'cause', type(exc).__name__)}]")

    def stopping(self) -> None:
        self._line(STOPPING)

    def close(self) -> None:
        pass


class LiveReporter(PlainReporter):
    """A live rich display: counts per stage, current videos, elapsed time, tokens and cost."""

    def __init__(self, console: Console | None = None, verbose: bool = False) -> None:
        super().__init__(verbose=verbose)
        self.console = console or Console(stderr=True)
        self._live = Live(self._render(), console=self.console, refresh_per_second=4, transient=False)
        self._live.start()

    def _render(self) -> Group:
        tally = self.tally
        table = Table(box=None, show_header=True, header_style="bold")
        for column in ("stage", "done", "skipped", "failed"):
            table.add_column(column)
        for stage in STAGES:
            counts = tally.outcomes[stage]
            table.add_row(stage, str(counts["done"] + counts["kept"]), str(counts["skipped"]), str(counts["failed"]))
        running = ", ".join(f"{vid} ({stage})" for vid, stage in list(tally.current.items())[:6])
        status = Text(f"elapsed {tally.elapsed()}  tokens {tally.tokens:,}  est. cost ${tally.cost:.4f}")
        return Group(table, status, Text(f"now: {running}" if running else "now: -"))

    def _refresh(self) -> None:
        self._live.update(self._render())

    def stage_started(self, video_id: str, stage: str) -> None:
        with self.tally.lock:
            self.tally.current[video_id] = stage
        self._refresh()

    def stage_finished(self, result: StageResult) -> None:
        with self.tally.lock:
            self.tally.outcomes[result.stage][result.outcome] += 1
            self.tally.tokens += result.tokens
            self.tally.cost += result.cost_usd or 0.0
            self.tally.current.pop(result.video_id, None)
        self._refresh()

    def video_failed(self, video_id: str, stage: str, exc: BaseException) -> None:
        with self.tally.lock:
            self.tally.failed += 1
            self.tally.outcomes[stage]["failed"] += 1
            self.tally.current.pop(video_id, None)
        cause = getattr(exc, "cause", type(exc).__name__)
        self.console.print(Text(f"{stage} {video_id}: failed [{cause}]", style="red"))
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
