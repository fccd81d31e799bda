"""Progress reporting: a live display on a terminal, plain lines elsewhere."""

from __future__ import annotations

import io
import re
from pathlib import Path

from rich.console import Console

from pipeline.errors import NoTranscript
from pipeline.shapes import StageResult
from pipeline.progress import LiveReporter, PlainReporter, Tally
from tests.many_videos import make_videos
from tests.conftest import load_json, video_dir_with
from tests.fakellm import FakeLLM, without_section_times
from tests.terminal import run_on_terminal


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


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_time_left_is_the_slower_pools_remaining_work_by_the_observed_durations() -> None:
    clock = FakeClock()
    tally = Tally(clock)
    tally.plan(4, ("fetch", "summarize", "write"), {"local": 1, "llm": 2})
    assert tally.time_left() is None  # nothing timed yet

    def stage(video_id: str, name: str, seconds: float) -> None:
        tally.start(video_id, name)
        clock.now += seconds
        tally.finish(StageResult(video_id, name, "done"))

    stage("a", "fetch", 2)
    stage("b", "fetch", 4)
    assert tally.time_left() is None  # the model's stage has not been timed
    stage("a", "summarize", 10)
    tally.start("c", "fetch")
    tally.fail("c", "fetch")  # c runs neither summarize nor write
    assert tally.time_left() is None  # no write timed yet
    stage("a", "write", 1)
    # local pool: d's fetch × 3 s (the mean) + the writes of b and d × 1 s = 5 s (c's never comes);
    # llm pool: the summaries of b and d × 10 s ÷ 2 workers = 10 s. The slower pool sets the time.
    assert tally.remaining("summarize") == 2 and tally.remaining("write") == 2
    assert tally.time_left() == 10
    stage("b", "summarize", 30)  # mean 20 s: d's one call ÷ 2 workers
    assert tally.time_left() == 10
    stage("d", "fetch", 3)
    stage("d", "summarize", 20)
    stage("b", "write", 1)
    stage("d", "write", 1)
    assert tally.time_left() == 0 and tally.through == {"a", "b", "c", "d"}


def test_no_time_left_is_told_when_the_batch_api_answers() -> None:
    tally = Tally(FakeClock())
    tally.plan(2, ("fetch", "summarize", "write"), {"local": 1})  # no model pool: the provider answers
    assert not tally.estimable() and tally.time_left() is None
    tally.plan(2, ("fetch",), {"local": 1})
    assert tally.estimable()


# --- on a real terminal -------------------------------------------------------------------

REAL = ("bwRHIkYqYJo", "JjQDik3yNhA")
LIVE_REGION = ("stage", "fetch ", "summarize ", "write ", "elapsed", "now:")


def test_warnings_print_above_the_live_display_one_line_per_video_and_kind(tmp_path: Path) -> None:
    video_dir_with(tmp_path, *REAL)
    ids = [*REAL, *make_videos(tmp_path / "videos", 2)]
    (tmp_path / "config.yaml").write_text("llm:\n  concurrency: 1\n")
    with FakeLLM(latency=0.2, responder=without_section_times) as server:
        run = run_on_terminal(["run", "videos"], tmp_path, server)
    assert run.code == 0, "\n".join(run.last)
    lines = run.lines()
    warned = [line for line in lines if "warning" in line]
    # Never inside a line of the live region: each warning is a line of its own, above it.
    assert warned and all(line.startswith("warning: ") for line in warned), warned
    assert not [line for line in warned if any(word in line for word in LIVE_REGION)]
    # One line per video and kind; the per-section detail is in article.json.
    final = [line.rstrip() for line in run.last if "warning" in line]
    assert sorted(final) == sorted(f"warning: {vid}: 2 sections have no start time; times dropped" for vid in ids)
    assert not [line for line in lines if "section 1 (" in line]
    article = load_json(tmp_path / "output" / "videos" / REAL[0] / "article.json")
    assert len(article["warnings"]) == 2 and "section 1 (" in article["warnings"][0]


def test_the_display_shows_videos_done_of_the_total_and_the_time_left(tmp_path: Path) -> None:
    video_dir_with(tmp_path, *REAL)
    make_videos(tmp_path / "videos", 3)
    (tmp_path / "config.yaml").write_text("llm:\n  concurrency: 1\n")
    with FakeLLM(latency=0.4) as server:
        run = run_on_terminal(["run", "videos"], tmp_path, server)
    assert run.code == 0, "\n".join(run.last)
    text = "\n".join(run.lines())
    counts = {(int(n), int(m)) for n, m in re.findall(r"\b(\d+) of (\d+) videos\b", text)}
    assert (0, 5) in counts and (5, 5) in counts and any(0 < n < 5 for n, _ in counts), counts
    assert "left —" in text  # before a summarize call has been timed, no guess
    left = [int(m) * 60 + int(s) for m, s in re.findall(r"left ~(\d+):(\d\d)", text)]
    assert left and max(left) >= 1, left  # four calls of 0.4 s still to make, one at a time


def test_the_plain_log_has_one_warning_line_per_video_and_kind_and_verbose_the_detail(cli, fake_llm,
                                                                                     tmp_path: Path) -> None:
    def two_kinds(body: dict) -> dict | str:
        answer = without_section_times(body)
        if isinstance(answer, dict):
            answer["sections"] = [*answer["sections"], {**answer["sections"][0], "start": "soon"}]
        return answer

    fake_llm.responder = two_kinds
    videos = video_dir_with(tmp_path, REAL[0])
    result = cli("run", str(videos))
    assert result.code == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if "warning" in line] == [
        f"warning: {REAL[0]}: 2 sections have no start time; times dropped",
        f"warning: {REAL[0]}: 1 section has a start that is not a time like 12:34; time dropped"]
    article = load_json(tmp_path / "output" / "videos" / REAL[0] / "article.json")
    assert len(article["warnings"]) == 3 and "section 3 (" in article["warnings"][2]

    verbose = cli("summarize", REAL[0], "--force", "--verbose")
    assert verbose.code == 0, verbose.stderr
    assert "2 sections have no start time; times dropped" in verbose.stderr
    assert f"{REAL[0]}: section 3 (" in verbose.stderr and "'soon' is not a time like 12:34" in verbose.stderr


def test_while_batches_run_the_display_shows_each_batch_and_the_next_check(tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, *REAL)
    (tmp_path / "config.yaml").write_text("llm:\n  mode: batch\n  batch:\n    poll_interval: 2\n"
                                          "    poll_max_interval: 2\n")
    with FakeLLM() as server:
        run = run_on_terminal(["run", str(videos)], tmp_path, server)
    assert run.code == 0, "\n".join(run.last)
    waiting = [screen for screen in run.screens if any("next check of the batches at" in line for line in screen)]
    assert waiting, "\n".join(run.lines())
    text = "\n".join(run.lines())
    assert re.search(r"^batch batch_\w+: in_progress, 0/2 done, 0 failed$", text, re.MULTILINE), text
    assert re.search(r"^batch batch_\w+: completed, 2/2 done, 0 failed$", text, re.MULTILINE), text
    assert re.search(r"^next check of the batches at \d\d:\d\d:\d\d \(in 0:0[0-2]\)$", text, re.MULTILINE), text
    # The clock runs while nothing but the batches happens.
    elapsed = {match for screen in waiting for line in screen for match in re.findall(r"elapsed (\d+:\d\d)", line)}
    assert len(elapsed) >= 2, elapsed
    assert not re.search(r"left [~—]", text)  # the provider decides when the answers come
    assert "2 of 2 videos" in text
