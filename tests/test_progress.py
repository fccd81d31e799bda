"""Progress reporting: a live display on a terminal, plain lines elsewhere."""

from __future__ import annotations

import io

from rich.console import Console

from pipeline.errors import NoTranscript
from pipeline.models import StageResult
from pipeline.progress import LiveReporter, PlainReporter


def test_live_display_counts_stages_tokens_and_cost() -> None:
    screen = io.StringIO()
    reporter = LiveReporter(Console(file=screen, force_terminal=True, width=100))
    reporter.stage_started("aaaaaaaaaaa", "fetch")
    reporter.stage_finished(StageResult("aaaaaaaaaaa", "fetch", "done"))
    reporter.stage_started("aaaaaaaaaaa", "summarize")
    reporter.stage_finished(StageResult("aaaaaaaaaaa", "summarize", "done", tokens=1234, cost_usd=0.0021))
    reporter.video_failed("bbbbbbbbbbb", "fetch", NoTranscript("bbbbbbbbbbb: no transcript"))
    reporter.close()
    text = screen.getvalue()
    assert "tokens 1,234" in text and "est. cost $0.0021" in text
    assert "bbbbbbbbbbb: failed [no_transcript]" in text
    assert "\x1b[" in text  # a real terminal display


def test_plain_lines_have_no_control_characters() -> None:
    log = io.StringIO()
    reporter = PlainReporter(log)
    reporter.stage_finished(StageResult("aaaaaaaaaaa", "write", "done", detail="posts/x\x1b[31m.md"))
    reporter.video_failed("bbbbbbbbbbb", "fetch", NoTranscript("x"))
    assert log.getvalue() == "write aaaaaaaaaaa: done (posts/x [31m.md)\nfetch bbbbbbbbbbb: failed [no_transcript]\n"
