"""The runner's rounds with an executor (the Batch API's way of making the summarize stage's
calls): a deferred video runs again from the stage that waited; a budget stop keeps new
videos out while the ones under way go on; a full disk ends the rounds for good."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.context import RunOptions, SilentReporter
from pipeline.errors import BudgetExceeded, Deferred, DiskFull
from pipeline.runner import Runner
from pipeline.shapes import StageResult, VideoRef
from pipeline.stages import BY_NAME, NAMES
from pipeline.store import Store

NEW, WAITS, WAITS_LONGER = "AAAAAAAAAAA", "BBBBBBBBBBB", "DDDDDDDDDDD"


class Rounds:
    """An executor whose answers come in rounds: every waiting video runs again."""

    def __init__(self) -> None:
        self.round = 1

    def prepare(self, videos: list[VideoRef]) -> None: ...

    def between_rounds(self, waiting: list[VideoRef]) -> tuple[list[VideoRef], list]:
        self.round += 1
        return waiting, []

    def note(self) -> str | None:
        return None


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, disk_full_at: str | None) -> list[tuple[int, str, str]]:
    rounds, ran = Rounds(), []

    def stage(name: str):  # the stages' own work, as the executor's answers arrive in rounds
        def run(ctx, video: VideoRef) -> StageResult:
            ran.append((rounds.round, name, video.video_id))
            if name == "summarize":
                if video.video_id == NEW:
                    raise BudgetExceeded("budget reached", video_id=NEW)
                if video.video_id == WAITS and rounds.round < 2 or video.video_id == WAITS_LONGER and rounds.round < 3:
                    raise Deferred("not answered yet")
            if name == "write" and video.video_id == disk_full_at:
                raise DiskFull("disk full", video_id=video.video_id)
            return StageResult(video_id=video.video_id, stage=name, outcome="done")
        return run

    for name in NAMES:
        monkeypatch.setattr(BY_NAME[name], "run", stage(name))
    videos = [VideoRef(video_id=v, url="", info_path=Path("x.info.json")) for v in (WAITS, WAITS_LONGER, NEW)]
    runner = Runner(Config(), Store(tmp_path), RunOptions(stages=NAMES), SilentReporter(), executor=rounds)
    summary = runner.run(videos)
    assert isinstance(summary.stopped_by, BudgetExceeded)
    return ran


def test_a_budget_stop_keeps_new_videos_out_and_lets_the_waiting_ones_finish(tmp_path, monkeypatch) -> None:
    ran = _run(tmp_path, monkeypatch, disk_full_at=None)
    assert (2, "write", WAITS) in ran and (3, "write", WAITS_LONGER) in ran
    assert not any(stage == "write" and video == NEW for _, stage, video in ran)


def test_a_full_disk_ends_the_rounds_even_after_a_budget_stop(tmp_path, monkeypatch) -> None:
    ran = _run(tmp_path, monkeypatch, disk_full_at=WAITS)
    assert (2, "write", WAITS) in ran
    assert not any(round_ == 3 for round_, _, _ in ran)  # no round after the disk filled
