"""``status.json`` records every stage as it ends, with what it spent and how the video was
reached: a stop, a failure or a stage run alone loses no mark."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline import RunOptions, RunRequest, run
from pipeline.config import Config
from pipeline.store import Store
from tests.many_videos import make_videos
from tests.fakellm import FakeLLM, Reply


def _config(fake_llm: FakeLLM) -> Config:
    return Config.model_validate({"llm": {"base_url": fake_llm.base_url, "concurrency": 2, "max_attempts": 1}})


def _status(out: Path, video_id: str) -> dict:
    return json.loads((out / "videos" / video_id / "status.json").read_text(encoding="utf-8"))


def test_a_finished_video_has_every_mark_its_reference_and_its_spend(tmp_path: Path, fake_llm: FakeLLM) -> None:
    ids = make_videos(tmp_path / "videos", 3)
    report = run(RunRequest(sources=[str(tmp_path / "videos")]), _config(fake_llm), tmp_path / "out")
    assert not report.summary.failures
    status = _status(tmp_path / "out", ids[0])
    assert set(status["stages"]) == {"fetch", "summarize", "write"}
    assert status["ref"]["info_path"].endswith(f"{ids[0]}.info.json") and status["spent"]["runs"] == 1


def test_a_run_stopped_before_summarize_still_marks_the_fetch(tmp_path: Path, fake_llm: FakeLLM) -> None:
    """A bad key stops the run after the videos were fetched: their marks and references are
    written when it ends, and an old fetch error is cleared."""
    ids = make_videos(tmp_path / "videos", 2)
    out = tmp_path / "out"
    Store(out).record_error(ids[0], "fetch", RuntimeError("an earlier failure"))
    # The refusal comes late enough for both fetches (one local worker) to be done first.
    fake_llm.queue(*[Reply(status=401, delay=2.0)] * 4)
    report = run(RunRequest(sources=[str(tmp_path / "videos")]), _config(fake_llm), out)
    assert report.summary.stopped_by is not None
    for video_id in ids:
        status = _status(out, video_id)
        assert status["stages"]["fetch"]["outcome"] == "done" and "summarize" not in status["stages"]
        assert status["ref"]["info_path"] and status["error"] is None


def test_a_failed_summarize_records_the_fetch_with_the_error(tmp_path: Path, fake_llm: FakeLLM) -> None:
    ids = make_videos(tmp_path / "videos", 1)
    fake_llm.queue(Reply(content="not json"), Reply(content="still not json"))
    report = run(RunRequest(sources=[str(tmp_path / "videos")]), _config(fake_llm), tmp_path / "out")
    assert [f.stage for f in report.summary.failures] == ["summarize"]
    status = _status(tmp_path / "out", ids[0])
    assert status["stages"]["fetch"]["outcome"] == "done" and status["error"]["stage"] == "summarize"


def test_a_later_stage_alone_keeps_the_reference_of_the_fetch(tmp_path: Path, fake_llm: FakeLLM) -> None:
    ids = make_videos(tmp_path / "videos", 1)
    out = tmp_path / "out"
    run(RunRequest(sources=[str(tmp_path / "videos")]), _config(fake_llm), out)
    run(RunRequest(sources=[ids[0]], options=RunOptions(stages=("write",))), _config(fake_llm), out)
    assert _status(out, ids[0])["ref"]["info_path"].endswith(f"{ids[0]}.info.json")
