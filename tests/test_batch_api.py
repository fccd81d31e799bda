"""Backfills through the Batch API stand-in: rounds, failures, expiry, kills, limits."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.many_videos import make_videos
from tests.conftest import ROOT, run_in_process
from tests.fakebatch import Script, batch_api
from tests.fakellm import FakeLLM, Reply, default_answer
from tests.long_transcripts import info_json, three_hours, write_srt

TITLE = re.compile(r"Wheelie challenge number (\d+)")
FAST = "  batch:\n    poll_interval: 0.01\n    poll_max_interval: 0.05\n"


def video_of(body: dict) -> str | None:
    match = TITLE.search(body["messages"][-1]["content"])
    return f"batch{int(match.group(1)):06d}" if match else None


def batch_config(tmp_path: Path, extra: str = "") -> None:
    (tmp_path / "config.yaml").write_text("llm:\n  mode: batch\n" + FAST + extra)


def long_videos(folder: Path, ids: list[str]) -> None:
    """Videos too long for one call: their words are a real 3.5-hour podcast transcript beside them."""
    segments = three_hours()
    for video_id in ids:
        info_json(folder, video_id, f"Andrej Karpathy interview {video_id}", segments[-1].end)
        write_srt(segments, folder / f"{video_id}.en.srt")


def articles(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in (out / "videos").glob("*/article.json")}


def posts(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (out / "posts").glob("*.md")}


def canonical(body: dict) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False)


def test_forty_video_backfill_matches_a_live_run_at_half_price(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 38)
    long_videos(tmp_path / "videos", ["cdiD-9MMpb0", "longvideo02"])
    live = cli("run", "videos", "--out", "live")
    assert live.code == 0, live.stderr
    live_bodies = sorted(canonical(b) for b in fake_llm.requests)
    fake_llm.reset()

    batch_config(tmp_path)
    batched = cli("run", "videos", "--out", "batched")
    assert batched.code == 0, batched.stderr
    assert "40 video(s): 40 done, 0 skipped, 0 failed" in batched.stdout
    assert fake_llm.calls == 0  # not one live call
    api = batch_api(fake_llm)
    # Round 1: every short video and every part of the long ones; round 2: the two overviews.
    rounds = sorted(api.batches.values(), key=lambda b: b["seq"])
    assert len(rounds) == 2 and len(rounds[1]["lines"]) == 2
    assert all(b["history"] == ["validating", "in_progress", "finalizing", "completed"] for b in rounds)
    assert all(line["body"]["response_format"]["json_schema"]["name"] == "article_overview"
               for line in rounds[1]["lines"])
    # The very requests a live run sends, each once.
    assert sorted(canonical(line["body"]) for line in api.lines) == live_bodies
    assert len({line["custom_id"] for line in api.lines}) == len(api.lines)

    assert posts(tmp_path / "batched") == posts(tmp_path / "live")
    live_articles, batch_articles = articles(tmp_path / "live"), articles(tmp_path / "batched")
    assert set(batch_articles) == set(live_articles) and len(batch_articles) == 40
    for video_id, article in batch_articles.items():
        other = live_articles[video_id]
        for key in article:
            if key not in ("usage", "usage_total", "created_at"):
                assert article[key] == other[key], (video_id, key)
        assert article["usage_total"]["prompt_tokens"] == other["usage_total"]["prompt_tokens"]
        assert article["usage_total"]["cost_usd"] == pytest.approx(other["usage_total"]["cost_usd"] / 2, abs=2e-6)
    assert batch_articles["cdiD-9MMpb0"]["parts"] >= 2

    fake_llm.reset()
    again = cli("run", "videos", "--out", "batched")
    assert again.code == 0 and "40 skipped" in again.stdout
    assert len(api.batches) == 2  # nothing sent again


def test_failed_lines_go_into_the_next_batch(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 4)
    batch_config(tmp_path)
    failed_once: list[str] = []

    def responder(body: dict):
        if video_of(body) == "batch000002" and not failed_once:
            failed_once.append("x")
            return Reply(status=500, error={"error": {"message": "upstream overloaded", "type": "server_error"}})
        return default_answer(body)

    fake_llm.responder = responder
    result = cli("run", "videos")
    assert result.code == 0, result.stderr
    api = batch_api(fake_llm)
    assert len(api.batches) == 2 and len(api.lines) == 5
    assert [line["custom_id"].rsplit(".", 1)[1] for line in api.lines[4:]] == ["2"]  # attempt 2
    record = json.loads((tmp_path / "output" / "videos" / "batch000002" / "batch.json").read_text())
    (request,) = record["requests"].values()
    assert request["state"] == "answered" and "upstream overloaded" in request["errors"][0]["message"]
    assert len(posts(tmp_path / "output")) == 4


def test_failed_lines_retried_live_by_setting(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 3)
    batch_config(tmp_path, "    retry: live\n")
    bad: list[str] = []
    fake_llm.responder = lambda body: (bad.append("x") or Reply(status=500) if video_of(body) == "batch000001"
                                       and not bad else default_answer(body))
    result = cli("run", "videos")
    assert result.code == 0, result.stderr
    assert len(batch_api(fake_llm).batches) == 1
    assert fake_llm.calls == 1 and video_of(fake_llm.requests[0]) == "batch000001"
    article = json.loads((tmp_path / "output" / "videos" / "batch000001" / "article.json").read_text())
    other = json.loads((tmp_path / "output" / "videos" / "batch000000" / "article.json").read_text())
    # The live retry is billed at the live price, the batch answers at half.
    assert article["usage_total"]["cost_usd"] == pytest.approx(2 * other["usage_total"]["cost_usd"], abs=3e-6)


def test_a_request_that_keeps_failing_fails_its_video_only(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 3)
    batch_config(tmp_path, "    max_attempts: 2\n")
    fake_llm.responder = lambda body: (Reply(status=400, error={"error": {"message": "bad schema", "type": "x"}})
                                       if video_of(body) == "batch000000" else default_answer(body))
    result = cli("run", "videos")
    assert result.code == 1
    assert "3 video(s): 2 done, 0 skipped, 1 failed (llm_request: 1)" in result.stdout
    assert re.search(r"error: batch000000: a batch request \(article\) failed 2 time\(s\); last: HTTP 400: bad schema",
                     result.stderr)
    status = json.loads((tmp_path / "output" / "videos" / "batch000000" / "status.json").read_text())
    assert status["error"]["stage"] == "summarize" and status["error"]["cause"] == "llm_request"
    assert len(batch_api(fake_llm).lines) == 4

    fake_llm.responder = None  # the provider is fixed: a later run tries again
    retried = cli("run", "--retry-failed")
    assert retried.code == 0, retried.stderr
    assert "1 video(s): 1 done" in retried.stdout and len(batch_api(fake_llm).lines) == 5


def test_an_expired_batch_keeps_its_finished_work_and_resubmits_the_rest(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 4)
    batch_config(tmp_path)
    api = batch_api(fake_llm)
    api.script(Script(("validating", "in_progress", "expired"), done=2))
    result = cli("run", "videos")
    assert result.code == 0, result.stderr
    first, second = sorted(api.batches.values(), key=lambda b: b["seq"])
    assert first["history"] == ["validating", "in_progress", "expired"]
    assert len(first["lines"]) == 4 and len(second["lines"]) == 2
    answered_first = {line["custom_id"].split(".")[0] for line in first["lines"][:2]}
    assert not answered_first & {line["custom_id"].split(".")[0] for line in second["lines"]}
    assert len(posts(tmp_path / "output")) == 4


def test_requests_are_split_under_the_file_limits(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 7)
    batch_config(tmp_path, "    max_requests: 3\n")
    assert cli("run", "videos").code == 0
    sizes = sorted(len(b["lines"]) for b in batch_api(fake_llm).batches.values())
    assert sizes == [1, 3, 3]
    (tmp_path / "config.yaml").write_text("llm:\n  mode: batch\n" + FAST + "    max_file_mb: 0.015\n")
    make_videos(tmp_path / "more", 2)
    for path in (tmp_path / "more").glob("*.info.json"):  # new ids: the same requests are not resent
        data = json.loads(path.read_text())
        data.update(id=data["id"].replace("batch", "bonus"), title=data["title"] + " bonus")
        path.with_name(data["id"] + ".info.json").write_text(json.dumps(data))
        path.unlink()
    assert cli("run", "more").code == 0
    assert len(batch_api(fake_llm).batches) == 5  # each ~10 kB request alone in a 15 kB file


def test_a_kill_while_batches_are_pending_sends_nothing_twice(tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 6)
    long_videos(tmp_path / "videos", ["cdiD-9MMpb0"])
    batch_config(tmp_path)
    with FakeLLM() as server:
        api = batch_api(server)
        api.hold = True
        env = dict(os.environ, OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test", PYTHONPATH=str(ROOT))
        first = subprocess.Popen([sys.executable, "-m", "pipeline", "run", "videos"], cwd=tmp_path, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and api.retrieves < 5:
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.communicate()
        assert len(api.batches) == 1 and api.retrieves >= 5
        submitted = len(api.lines)
        assert not list((tmp_path / "output" / "posts").glob("*.md"))

        api.hold = False  # the provider finishes the batch while nothing is running
        second = run_in_process(tmp_path, server, "run", "videos")  # the run after the kill: in process
        assert second.code == 0, second.stderr
        assert "7 video(s): 7 done" in second.stdout
        assert len(api.batches) == 2  # the pending one, picked up; then the long video's overview
        assert len(api.lines) == submitted + 1
        assert len({line["custom_id"] for line in api.lines}) == len(api.lines)
        assert len({canonical(line["body"]) for line in api.lines}) == len(api.lines)
        assert server.calls == 0


def run_elsewhere(api, requests: Path, results: Path) -> int:
    """What ``vllm run-batch -i requests -o results`` does: one result line per request line."""
    out = []
    for line in requests.read_text().splitlines():
        request = json.loads(line)
        assert request["method"] == "POST" and request["url"] == "/v1/chat/completions"
        status, body = api._answer(request["body"])
        out.append(json.dumps({"id": "vllm-x", "custom_id": request["custom_id"],
                               "response": {"status_code": status, "request_id": "r", "body": body}, "error": None}))
    results.write_text("\n".join(reversed(out)) + "\n")
    return len(out)


def test_export_and_import_for_a_self_hosted_engine(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 3)
    long_videos(tmp_path / "videos", ["cdiD-9MMpb0"])
    api = batch_api(fake_llm)
    first = cli("run", "videos", "--batch-export", "round1")
    assert first.code == 0, first.stderr
    assert "4 video(s) wait for answers: requests in round1/requests-001.jsonl" in first.stdout
    assert "vllm run-batch" in first.stdout
    assert fake_llm.calls == 0 and not api.batches
    count = run_elsewhere(api, tmp_path / "round1" / "requests-001.jsonl", tmp_path / "results1.jsonl")
    assert count >= 5  # three videos, and the parts of the long one

    second = cli("run", "videos", "--batch-import", "results1.jsonl", "--batch-export", "round2")
    assert second.code == 0, second.stderr
    assert "3 done" in second.stdout and "1 video(s) wait for answers" in second.stdout
    assert len(posts(tmp_path / "output")) == 3
    assert run_elsewhere(api, tmp_path / "round2" / "requests-001.jsonl", tmp_path / "results2.jsonl") == 1

    # An engine's error line (vLLM writes the message as a plain string) fails that request, once.
    results2 = (tmp_path / "results2.jsonl").read_text()
    (overview,) = [json.loads(line) for line in results2.splitlines()]
    failing = dict(overview, response={"status_code": 400, "request_id": "r", "body": None},
                   error="maximum context length exceeded")
    (tmp_path / "failed2.jsonl").write_text(json.dumps(failing) + "\n")
    failed = cli("run", "videos", "--batch-import", "failed2.jsonl", "--batch-export", "round3")
    assert failed.code == 0 and "1 video(s) wait for answers" in failed.stdout
    record = json.loads((tmp_path / "output" / "videos" / "cdiD-9MMpb0" / "batch.json").read_text())
    errors = [e["message"] for r in record["requests"].values() for e in r["errors"]]
    assert errors == ["maximum context length exceeded"]
    retried = json.loads((tmp_path / "round3" / "requests-001.jsonl").read_text())
    assert retried["custom_id"] == overview["custom_id"][:-1] + "2"  # the second attempt
    run_elsewhere(api, tmp_path / "round3" / "requests-001.jsonl", tmp_path / "results2.jsonl")

    third = cli("run", "videos", "--batch-import", "results2.jsonl")
    assert third.code == 0, third.stderr
    assert len(posts(tmp_path / "output")) == 4 and fake_llm.calls == 0 and not api.batches
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    broken = cli("run", "videos", "--batch-import", "bad.jsonl")
    assert broken.code == 2  # before any work: not one fetch line
    assert broken.stderr.strip().splitlines()[-1].startswith("error: bad.jsonl:1: not a JSON line")
    assert "fetch " not in broken.stderr


def test_pending_batches_are_listed_and_cancelled(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 2)
    batch_config(tmp_path, "    max_attempts: 1\n")
    api = batch_api(fake_llm)
    api.hold = True
    env = dict(os.environ, OPENAI_BASE_URL=fake_llm.base_url, OPENAI_API_KEY="sk-test", PYTHONPATH=str(ROOT))
    running = subprocess.Popen([sys.executable, "-m", "pipeline", "run", "videos"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and api.retrieves < 3:
            time.sleep(0.02)
        listed = cli("batches")
        assert listed.code == 0
        assert re.match(r"batch batch_\w+: in_progress, 0/2 done, 0 failed \(2 request\(s\) of 2 video\(s\)\)",
                        listed.stdout)
        in_status = cli("status")
        assert "pending batches: 1" in in_status.stdout and "in_progress, 0/2 done" in in_status.stdout
        cancelled = cli("batches", "cancel")
        assert cancelled.code == 0 and cancelled.stdout.startswith("cancelled 1 batch(es): batch_")
        out, err = running.communicate(timeout=60)
    finally:
        running.kill()
    assert running.returncode == 1
    assert "2 failed (llm_request: 2)" in out and "batch_cancelled" in err
    assert cli("batches").stdout.strip() == "no pending batches in output"
    assert "pending batches" not in cli("status").stdout


def test_dry_run_shows_the_live_and_the_batch_price(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 2)
    dry = cli("run", "videos", "--dry-run")
    assert dry.code == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert lines[0].split("\t")[-2:] == ["est_cost", "batch_api_cost"]
    for line in lines[1:3]:
        live, batch = (float(v.lstrip("$")) for v in line.split("\t")[4:6])
        assert live > 0 and batch == pytest.approx(live / 2, abs=1e-4)
    assert re.search(r"\$[\d.]+ live, \$[\d.]+ through the Batch API \(dry run: nothing spent\)", lines[-1])
    assert fake_llm.calls == 0 and not batch_api(fake_llm).batches


class Killed(BaseException):
    """The process dying at that very line (a KeyboardInterrupt would be as abrupt)."""


class _DiesAfter:
    """The real client's ``attr`` namespace, dying right after its ``method`` has reached the server."""

    def __init__(self, inner, method: str) -> None:
        self.inner, self.method = inner, method

    def __getattr__(self, name: str):
        real = getattr(self.inner, name)
        if name != self.method:
            return real

        def dying(*args, **kwargs):
            real(*args, **kwargs)
            raise Killed

        return dying


class _Client:
    def __init__(self, client, files=None, batches=None) -> None:
        self.files = files or client.files
        self.batches = batches or client.batches


@pytest.mark.parametrize("dies_in", ["batches.create", "files.create"])
def test_a_kill_inside_submission_neither_loses_nor_doubles_a_batch(fake_llm, tmp_path: Path, dies_in: str) -> None:
    import openai

    from pipeline.batchapi.jobs import BatchJobs
    from pipeline.batchapi.records import VideoBatch
    from pipeline.config import LLMConfig
    from pipeline.store import Store

    store = Store(tmp_path / "out")
    config = LLMConfig(base_url=fake_llm.base_url)
    record = VideoBatch(store, "vid00000001")
    record.reset("inputs", [])
    record.add("k" * 20, {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}, "article")
    record.save()
    client = openai.OpenAI(base_url=fake_llm.base_url, api_key="sk-test")
    namespace, method = dies_in.split(".")
    dying = _Client(client, **{namespace: _DiesAfter(getattr(client, namespace), method)})
    with pytest.raises(Killed):
        BatchJobs(config, store, client=dying).submit({"vid00000001": record})
    api = batch_api(fake_llm)
    assert len(api.batches) == (1 if namespace == "batches" else 0)

    again = VideoBatch(store, "vid00000001")
    assert again.in_state("submitting")  # the intent was on disk before anything was sent
    jobs = BatchJobs(config, store, client=client)
    jobs.recover({"vid00000001": again})
    jobs.submit({"vid00000001": again})
    assert len(api.batches) == 1 and len(api.lines) == 1
    (request,) = VideoBatch(store, "vid00000001").requests.values()
    assert request["state"] == "submitted" and request["batch_id"] == next(iter(api.batches))


def test_force_asks_the_batch_api_again(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 2)
    batch_config(tmp_path)
    assert cli("run", "videos").code == 0
    api = batch_api(fake_llm)
    assert len(api.batches) == 1
    assert "2 skipped" in cli("run", "videos").stdout and len(api.batches) == 1
    forced = cli("run", "videos", "--force")
    assert forced.code == 0 and "2 done" in forced.stdout
    assert len(api.batches) == 2 and len(api.lines) == 4


def test_a_failed_batch_is_resubmitted(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 2)
    batch_config(tmp_path)
    api = batch_api(fake_llm)
    api.script(Script(("validating", "failed")))
    result = cli("run", "videos")
    assert result.code == 0, result.stderr
    first, second = sorted(api.batches.values(), key=lambda b: b["seq"])
    assert first["history"] == ["validating", "failed"] and len(second["lines"]) == 2
    record = json.loads((tmp_path / "output" / "videos" / "batch000000" / "batch.json").read_text())
    (request,) = record["requests"].values()
    assert "ended failed" in request["errors"][0]["message"]


def test_a_server_without_a_batch_api_is_one_line(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 1)
    batch_api(fake_llm).unsupported = True
    result = cli("run", "videos", "--batch-api")
    assert result.code == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"error: the model server at {fake_llm.base_url} has no Batch API (HTTP 404 while uploading")
    assert "Traceback" not in result.stderr


def test_max_cost_counts_the_batch_price(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 4)
    batch_config(tmp_path, "  prices:\n    gpt-4o-mini: {input: 100.0, output: 100.0}\n")  # costs with many digits
    dry = cli("run", "videos", "--dry-run")
    per_video = max(float(line.split("\t")[5].lstrip("$")) for line in dry.stdout.splitlines()[1:5])
    live_per_video = max(float(line.split("\t")[4].lstrip("$")) for line in dry.stdout.splitlines()[1:5])
    budget = 2.5 * per_video  # two videos at the batch price; not even two at the live price
    assert budget < 2 * live_per_video
    result = cli("run", "videos", "--max-cost", f"{budget:.6f}")
    assert result.code == 0, result.stderr
    assert "4 video(s): 2 done, 0 skipped, 0 failed, 2 not started" in result.stdout
    assert "budget reached: 2 video(s) not started" in result.stdout
    assert len(batch_api(fake_llm).lines) == 2


def test_a_queue_cap_sends_requests_a_slice_at_a_time(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 5)
    batch_config(tmp_path, "    max_enqueued_tokens: 6000\n")  # two ~2,400-token requests at a time
    result = cli("run", "videos")
    assert result.code == 0, result.stderr
    assert "5 video(s): 5 done" in result.stdout
    api = batch_api(fake_llm)
    assert [len(b["lines"]) for b in sorted(api.batches.values(), key=lambda b: b["seq"])] == [2, 2, 1]
    assert len({line["custom_id"] for line in api.lines}) == 5


def test_without_waiting_each_run_moves_the_backfill_on(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 2)
    long_videos(tmp_path / "videos", ["cdiD-9MMpb0"])
    batch_config(tmp_path, "    wait: false\n")
    api = batch_api(fake_llm)
    api.hold = True
    first = cli("run", "videos")
    assert first.code == 0, first.stderr
    assert "3 video(s): 0 done, 0 skipped, 0 failed, 3 not started" in first.stdout
    assert "3 video(s) wait for batches still running at the provider" in first.stdout
    assert len(api.batches) == 1 and not posts(tmp_path / "output")
    assert "pending batches: 1" in cli("status").stdout

    api.hold = False
    api.finish_all()
    second = cli("run", "videos")  # round 1 applied; the long video's overview sent
    assert "2 done" in second.stdout and "1 video(s) wait for batches" in second.stdout
    api.finish_all()
    third = cli("run", "videos")
    assert "1 done, 2 skipped" in third.stdout and third.stdout.count("\n") == 1
    assert len(posts(tmp_path / "output")) == 3 and len(api.batches) == 2
    assert len({line["custom_id"] for line in api.lines}) == len(api.lines)


def test_batch_spend_is_added_up_and_foreign_result_lines_are_passed_over(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 2)
    assert cli("run", "videos").code == 0  # live first
    live = {v: a["usage_total"]["prompt_tokens"] + a["usage_total"]["completion_tokens"]
            for v, a in articles(tmp_path / "output").items()}
    batch_config(tmp_path)
    api = batch_api(fake_llm)
    assert cli("run", "videos", "--force").code == 0  # then the same articles again, through the Batch API
    status = {r["video_id"]: r for r in map(json.loads, cli("status", "--json").stdout.splitlines())}
    for video_id, article in articles(tmp_path / "output").items():
        total = article["usage_total"]
        assert status[video_id]["tokens"] == live[video_id] + total["prompt_tokens"] + total["completion_tokens"]
    # Result lines of another tool (an id that names no video here, or cannot be a folder).
    foreign = [{"custom_id": custom_id, "response": {"status_code": 200, "body": {}}, "error": None}
               for custom_id in ("a/b.article.1", "nosuchvideo.article.1")]
    (tmp_path / "foreign.jsonl").write_text("".join(json.dumps(line) + "\n" for line in foreign))
    result = cli("run", "videos", "--batch-import", "foreign.jsonl")
    assert result.code == 0, result.stderr
    assert "2 skipped" in result.stdout and len(api.batches) == 1


def batches_left_running(cli, fake_llm, tmp_path: Path, extra: str = ""):
    """Two videos whose requests were sent by a run that did not wait: their batches still run."""
    make_videos(tmp_path / "videos", 2)
    batch_config(tmp_path, "    wait: false\n" + extra)
    api = batch_api(fake_llm)
    api.hold = True
    assert cli("run", "videos").code == 0
    return api


def test_a_batch_record_of_a_newer_yt2post_is_read_but_never_written_over(cli, fake_llm, tmp_path: Path) -> None:
    api = batches_left_running(cli, fake_llm, tmp_path)
    (path,) = (tmp_path / "output" / "batches").glob("*.json")
    newer = json.loads(path.read_text()) | {"schema_version": 99, "shards": ["a later version's field"]}
    path.write_text(json.dumps(newer))
    before = path.read_bytes()
    listed = cli("batches")  # reading is fine, as far as it goes
    assert listed.code == 0 and "in_progress" in listed.stdout

    api.hold = False
    api.finish_all()
    result = cli("run", "videos")  # the poll would rewrite the record: refused, in one line
    assert result.code == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: {Path('output') / 'batches' / path.name} was written by a newer yt2post (version 99 of the file; "
        "this one knows 1): upgrade yt2post to change it")
    assert cli("batches", "cancel").code == 1
    assert path.read_bytes() == before


def batch_records(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / "batches").glob("*.json"))]


@pytest.mark.parametrize("how", ["malformed", "truncated", "not_object", "string_response", "garbage"])
def test_a_spoiled_result_line_fails_only_its_request_which_is_sent_again(cli, fake_llm, tmp_path: Path,
                                                                         how: str) -> None:
    make_videos(tmp_path / "videos", 3)
    batch_config(tmp_path)
    api = batch_api(fake_llm)
    api.script(Script(corrupt={1: how}))  # the second request's result line
    result = cli("run", "videos")
    assert result.code == 0, result.stderr
    assert "3 video(s): 3 done" in result.stdout and "Traceback" not in result.stderr
    first, second = sorted(api.batches.values(), key=lambda b: b["seq"])
    spoiled = first["lines"][1]["custom_id"]
    assert [line["custom_id"] for line in second["lines"]] == [spoiled[:-1] + "2"]  # only it, once more
    # The output file has the lines in reverse: the spoiled one is line 2 of 3.
    assert re.search(rf"warning: batch {first['id']}: line 2 of its output file is not a result line", result.stderr)
    record = json.loads((tmp_path / "output" / "videos" / spoiled.split(".")[0] / "batch.json").read_text())
    (request,) = record["requests"].values()
    assert request["state"] == "answered" and f"batch {first['id']}" in request["errors"][0]["message"]
    assert len(posts(tmp_path / "output")) == 3
    assert all(r["applied"] for r in batch_records(tmp_path / "output"))


def test_an_imported_line_whose_response_is_a_string_is_one_line_naming_it(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 2)
    api = batch_api(fake_llm)
    assert cli("run", "videos", "--batch-export", "round1").code == 0
    run_elsewhere(api, tmp_path / "round1" / "requests-001.jsonl", tmp_path / "results.jsonl")
    good = (tmp_path / "results.jsonl").read_text()
    lines = [json.loads(line) for line in good.splitlines()]
    lines[1]["response"] = "upstream answered 502"
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = cli("run", "videos", "--batch-import", "results.jsonl")
    assert result.code == 2 and "Traceback" not in result.stderr and "fetch " not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: results.jsonl:2: not a batch result line (its response is a JSON string, not an object)")
    (tmp_path / "results.jsonl").write_text(good)  # nothing was lost: the mended file applies
    mended = cli("run", "videos", "--batch-import", "results.jsonl")
    assert mended.code == 0 and "2 done" in mended.stdout


def test_an_output_file_that_answers_404_is_given_up_after_three_tries(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 2)
    batch_config(tmp_path)
    api = batch_api(fake_llm)
    api.script(Script(output_missing=True))
    result = cli("run", "videos")
    assert result.code == 0, result.stderr
    assert "2 video(s): 2 done" in result.stdout and "no Batch API" not in result.stderr
    first, second = sorted(api.batches.values(), key=lambda b: b["seq"])
    assert len(second["lines"]) == 2  # both requests again, as attempt 2
    assert re.search(rf"warning: batch {first['id']}: HTTP 404 for its output file file-\w+ \(1 of 3\)", result.stderr)
    assert re.search(rf"warning: batch {first['id']}: HTTP 404 for its output file file-\w+ \(3 of 3\); "
                     "given up: the requests it did not answer are retried", result.stderr)
    (lost,) = [r for r in batch_records(tmp_path / "output") if r["id"] == first["id"]]
    assert lost["applied"] and lost["not_found"] == 3
    assert len(posts(tmp_path / "output")) == 2


def test_a_batch_the_provider_no_longer_knows_is_given_up_and_sent_again(cli, fake_llm, tmp_path: Path) -> None:
    api = batches_left_running(cli, fake_llm, tmp_path)
    (gone,) = api.batches
    api.purge()  # purged at the provider, or llm.base_url now points at another one
    api.hold = False
    batch_config(tmp_path)
    result = cli("run", "videos")
    assert result.code == 0, result.stderr
    assert "2 video(s): 2 done" in result.stdout and "no Batch API" not in result.stderr
    assert re.search(rf"warning: batch {gone}: HTTP 404 while checking it \(3 of 3\); given up: the requests it "
                     "did not answer are retried", result.stderr)
    assert len(api.batches) == 1 and len(api.lines) == 4
    assert cli("batches").stdout.strip() == "no pending batches in output"
    assert len(posts(tmp_path / "output")) == 2


def test_cancel_goes_past_a_batch_the_provider_no_longer_knows(cli, fake_llm, tmp_path: Path) -> None:
    api = batches_left_running(cli, fake_llm, tmp_path, "    max_requests: 1\n")
    gone, known = sorted(api.batches, key=lambda b: api.batches[b]["seq"])
    api.purge(gone)
    cancelled = cli("batches", "cancel")
    assert cancelled.code == 0, cancelled.stderr
    assert cancelled.stdout.strip() == f"cancelled 1 batch(es): {known}"
    assert re.search(rf"warning: batch {gone}: HTTP 404 while cancelling it \(1 of 3\)", cancelled.stderr)


def test_a_batch_adopted_after_a_kill_that_then_fails_releases_its_requests(cli, fake_llm, tmp_path: Path) -> None:
    """A kill between creating a batch and recording it: the next run adopts the batch, which
    fails at the provider; its requests are sent again instead of waiting forever."""
    import openai

    from pipeline.batchapi.jobs import BatchJobs
    from pipeline.batchapi.records import VideoBatch
    from pipeline.config import LLMConfig
    from pipeline.store import Store

    make_videos(tmp_path / "videos", 2)
    assert cli("run", "videos", "--batch-export", "unused").code == 0  # the requests, on disk
    store = Store(tmp_path / "output")
    records = {v: VideoBatch(store, v) for v in ("batch000000", "batch000001")}
    api = batch_api(fake_llm)
    api.script(Script(("validating", "failed")))
    client = openai.OpenAI(base_url=fake_llm.base_url, api_key="sk-test")
    with pytest.raises(Killed):
        BatchJobs(LLMConfig(base_url=fake_llm.base_url), store,
                  client=_Client(client, batches=_DiesAfter(client.batches, "create"))).submit(records)
    assert len(api.batches) == 1 and not (tmp_path / "output" / "batches").exists()

    batch_config(tmp_path)
    result = cli("run", "videos")
    assert result.code == 0, result.stderr
    assert "2 video(s): 2 done" in result.stdout
    first, second = sorted(api.batches.values(), key=lambda b: b["seq"])
    assert first["history"] == ["validating", "failed"] and len(second["lines"]) == 2
    (adopted,) = [r for r in batch_records(tmp_path / "output") if r["id"] == first["id"]]
    assert adopted["videos"] == ["batch000000", "batch000001"] and adopted["requests"] == 2
    assert len(posts(tmp_path / "output")) == 2


@pytest.mark.parametrize("record", ["without_videos", "deleted"])
def test_a_request_waiting_on_a_finished_or_unrecorded_batch_is_sent_again(cli, fake_llm, tmp_path: Path,
                                                                           record: str) -> None:
    """Whatever made the batch's record (an older version's, without ``videos``) or removed it
    (by hand), a request still waiting on a batch that is over is released and asked again."""
    api = batches_left_running(cli, fake_llm, tmp_path)
    (path,) = (tmp_path / "output" / "batches").glob("*.json")
    if record == "deleted":
        path.unlink()
    else:  # cancelled while nothing ran, and recorded without its videos
        data = json.loads(path.read_text())
        path.write_text(json.dumps({k: v for k, v in data.items() if k != "videos"} | {"status": "cancelled"}))
    api.hold = False
    batch_config(tmp_path)
    result = cli("run", "videos")
    assert result.code == 0, result.stderr
    assert "2 video(s): 2 done" in result.stdout and len(api.batches) == 2
    assert len(posts(tmp_path / "output")) == 2
