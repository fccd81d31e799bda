"""Batches: concurrent, resumable after a kill, failures recorded and retried, plain logs."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.many_videos import make_videos
from tests.conftest import ROOT, run_in_process
from tests.fakellm import FakeLLM, Reply, default_answer
from tests.processes import Hold

TITLE = re.compile(r"Wheelie challenge number (\d+)")


def video_of(body: dict) -> str:
    match = TITLE.search(body["messages"][-1]["content"])
    assert match
    return f"batch{int(match.group(1)):06d}"


def start(args: list[str], cwd: Path, server: FakeLLM) -> subprocess.Popen:
    env = dict(os.environ, OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test",
               PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_forty_videos_interrupted_and_resumed(tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 40)
    (tmp_path / "config.yaml").write_text("llm:\n  concurrency: 8\n")
    posts = tmp_path / "output" / "posts"
    # 16 calls are answered, the next 8 held: the kill surely lands mid-batch with 8 in flight.
    hold = Hold(free=16)
    with FakeLLM(latency=0.05, responder=hold) as server:
        first = start(["run", "videos"], tmp_path, server)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and (len(list(posts.glob("*.md"))) < 16 or server.max_in_flight < 8):
                time.sleep(0.02)
            first.send_signal(signal.SIGKILL)  # no chance to tidy up: atomic writes must hold
            first.wait()
        finally:
            hold.release()
        assert server.max_in_flight == 8
        finished_before = {p.parent.name for p in (tmp_path / "output" / "videos").glob("*/article.json")}
        assert 16 <= len(finished_before) < 40
        for path in (tmp_path / "output").rglob("*.json"):
            json.loads(path.read_text())  # every artifact on disk is whole
        calls_before = len(server.requests)
        server.responder = None

        second = run_in_process(tmp_path, server, "run", "videos")  # resuming is not about the process
        out, err = second.stdout, second.stderr
        assert second.code == 0, err
        assert len(list(posts.glob("*.md"))) == 40
        later = Counter(video_of(body) for body in server.requests[calls_before:])
        assert not set(later) & finished_before  # no LLM call made twice for a finished video
        assert "40 video(s):" in out and "0 failed" in out
        assert not list((tmp_path / "output").rglob("*.tmp"))


def test_ctrl_c_stops_and_a_rerun_finishes(tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 12)
    (tmp_path / "config.yaml").write_text("llm:\n  concurrency: 2\n")
    # The third call and every later one wait for the test: the Ctrl-C surely meets a run with
    # work left. (With a fixed latency a starved test process once sent it after the run had
    # finished, and the run rightly exited 0.)
    hold = Hold(free=2)
    with FakeLLM(responder=hold) as server:
        first = start(["run", "videos"], tmp_path, server)
        try:
            hold.wait_held()
            first.send_signal(signal.SIGINT)
        finally:
            hold.release()  # the calls in flight finish their writes
        out, err = first.communicate(timeout=60)
        assert first.returncode == 130, (first.returncode, err)
        assert "interrupted" in err and "Traceback" not in err
        assert len(server.requests) < 12
        assert len(list((tmp_path / "output" / "posts").glob("*.md"))) < 12
        for path in (tmp_path / "output").rglob("*.json"):
            json.loads(path.read_text())  # every artifact on disk is whole
        server.responder = None
        second = run_in_process(tmp_path, server, "run", "videos")
        assert second.code == 0, second.stderr
        assert len(list((tmp_path / "output" / "posts").glob("*.md"))) == 12


def test_failures_are_recorded_and_retried(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 4)
    bad = {"batch000001", "batch000003"}
    fake_llm.responder = lambda body: (Reply(status=400, error={"error": {"message": "bad request", "type": "x"}})
                                       if video_of(body) in bad else default_answer(body))
    result = cli("run", "videos")
    assert result.code == 1
    assert "4 video(s): 2 done, 0 skipped, 2 failed (llm_request: 2)" in result.stdout
    status = json.loads((tmp_path / "output" / "videos" / "batch000001" / "status.json").read_text())
    assert status["error"]["stage"] == "summarize" and status["error"]["cause"] == "llm_request"
    assert status["error"]["error_class"] == "LLMRequestFailed" and status["error"]["time"]
    assert "llm_request: 2" in cli("status").stdout

    fake_llm.responder = None
    fake_llm.reset()
    retried = cli("run", "--retry-failed")
    assert retried.code == 0, retried.stderr
    assert {video_of(b) for b in fake_llm.requests} == bad
    assert "2 video(s): 2 done" in retried.stdout
    assert json.loads((tmp_path / "output" / "videos" / "batch000001" / "status.json").read_text())["error"] is None
    assert cli("run", "--retry-failed").stdout.startswith("no failed videos")


def test_plain_log_lines_when_not_on_a_terminal(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 3)
    result = cli("run", "videos")
    assert result.code == 0
    assert "\x1b" not in result.stderr and "\r" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 9 and all(re.match(r"^(fetch|summarize|write) batch\d{6}: done", line) for line in lines)


def test_limit_since_and_reverse_select_before_work(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 6)
    result = cli("run", "videos", "--limit", "2", "--reverse")
    assert result.code == 0
    assert "2 video(s)" in result.stdout
    result = cli("fetch", "videos", "--since", "2021-05-01")
    assert result.code == 0 and "2 video(s)" in result.stdout  # 2021-05-05 and 2021-06-06
