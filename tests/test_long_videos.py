"""Long videos: split along chapters or paragraphs, written part by part, reduced once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import frontmatter

from pipeline.llm.chunking import split_part, split_transcript
from pipeline.words.captions import build_paragraphs
from pipeline.shapes import Chapter
from pipeline.llm.tokens import estimate_tokens
from tests.fakellm import Reply, default_answer
from tests.long_transcripts import info_json, three_hours, ten_hours, write_srt

PART = re.compile(r"第 (\d+) 部分（共 (\d+) 部分")


def part_of(body: dict) -> int | None:
    match = PART.search(body["messages"][-1]["content"])
    return int(match.group(1)) if match else None


def sent_chars(requests: list[dict]) -> int:
    return sum(len(str(m.get("content") or "")) for r in requests for m in r["messages"])


def run_long(cli, tmp_path: Path, segments, video_id: str, *extra: str):
    srt = write_srt(segments, tmp_path / f"{video_id}.srt")
    info = info_json(tmp_path, video_id, "Andrej Karpathy: Tesla AI, Self-Driving, Optimus, Aliens, and AGI",
                     segments[-1].end)
    return cli("run", str(info), "--subtitles", str(srt), *extra)


def test_three_hour_transcript_is_written_part_by_part_within_the_token_ratio(cli, fake_llm, tmp_path: Path) -> None:
    result = run_long(cli, tmp_path, three_hours(), "cdiD-9MMpb0")
    assert result.code == 0, result.stderr
    article = json.loads((tmp_path / "output" / "videos" / "cdiD-9MMpb0" / "article.json").read_text())
    transcript = json.loads((tmp_path / "output" / "videos" / "cdiD-9MMpb0" / "transcript.json").read_text())
    parts = article["parts"]
    assert parts >= 2 and fake_llm.calls == parts + 1
    # Every part was asked for, and the reduce call saw sections, not the transcript.
    assert sorted(part_of(r) for r in fake_llm.requests[:-1]) == list(range(1, parts + 1))
    assert fake_llm.requests[-1]["response_format"]["json_schema"]["name"] == "article_overview"
    assert len(article["sections"]) >= parts
    transcript_chars = sum(len(p["text"]) for p in transcript["paragraphs"])
    ratio = sent_chars(fake_llm.requests) / transcript_chars
    assert ratio <= 1.15, ratio
    # Neighbouring parts are named so the article reads as one piece.
    second = next(r for r in fake_llm.requests if part_of(r) == 2)["messages"][-1]["content"]
    assert "上一部分讲的是" in second
    post = frontmatter.load(next((tmp_path / "output" / "posts").glob("*.md")))
    assert post.content.count("### ") == len(article["sections"])


def test_ten_hour_transcript_completes(cli, fake_llm, tmp_path: Path) -> None:
    segments = ten_hours()
    assert segments[-1].end > 10 * 3600
    result = run_long(cli, tmp_path, segments, "longlongvid")
    assert result.code == 0, result.stderr
    article = json.loads((tmp_path / "output" / "videos" / "longlongvid" / "article.json").read_text())
    assert article["parts"] >= 8 and fake_llm.calls == article["parts"] + 1
    assert article["usage_total"]["calls"] == fake_llm.calls


def test_truncated_part_is_split_and_redone(cli, fake_llm, tmp_path: Path) -> None:
    truncated: list[int] = []

    def responder(body: dict):
        number = part_of(body)
        if number == 2 and not truncated:
            truncated.append(number)
            return Reply(content='{"sections": [{"heading": "cut', finish_reason="length")
        return default_answer(body)

    fake_llm.responder = responder
    result = run_long(cli, tmp_path, three_hours(), "cdiD-9MMpb0")
    assert result.code == 0, result.stderr
    article = json.loads((tmp_path / "output" / "videos" / "cdiD-9MMpb0" / "article.json").read_text())
    # Part 2 was answered again as two halves: one truncated call and two more.
    assert fake_llm.calls == article["parts"] + 1 + 2
    assert article["usage_total"]["calls"] == fake_llm.calls  # the cut-off answer was billed too
    assert all("cut" not in s["heading"] for s in article["sections"])


def test_part_without_sections_is_redone_once_then_reported(cli, fake_llm, tmp_path: Path) -> None:
    empty = {"sections": []}
    seen: list[int] = []

    def once_empty(body: dict):
        if part_of(body) == 2 and not seen:
            seen.append(2)
            return empty
        return default_answer(body)

    fake_llm.responder = once_empty
    assert run_long(cli, tmp_path, three_hours(), "cdiD-9MMpb0").code == 0
    fake_llm.reset()
    fake_llm.responder = lambda body: empty if part_of(body) == 2 else default_answer(body)
    result = run_long(cli, tmp_path, three_hours(), "cdiD-9MMpb0", "--force")
    assert result.code == 1
    assert "part 2 of" in result.stderr and "produced no sections, even after a redo" in result.stderr
    assert sum(1 for r in fake_llm.requests if part_of(r) == 2) == 2


def test_refusal_is_reported_clearly(cli, fake_llm, tmp_path: Path) -> None:
    fake_llm.responder = lambda body: Reply(refusal="I cannot help with this request.")
    result = run_long(cli, tmp_path, three_hours()[:200], "shortvideo1")
    assert result.code == 1
    assert "error: shortvideo1: the model refused: I cannot help with this request." in result.stderr


def test_dry_run_spends_nothing_and_max_cost_stops_new_videos(cli, fake_llm, tmp_path: Path) -> None:
    srt = write_srt(three_hours(), tmp_path / "long.srt")
    info = info_json(tmp_path, "cdiD-9MMpb0", "Karpathy", 12500)
    dry = cli("run", str(info), "--subtitles", str(srt), "--dry-run")
    assert dry.code == 0, dry.stderr
    assert fake_llm.calls == 0
    line = next(line for line in dry.stdout.splitlines() if line.startswith("cdiD-9MMpb0"))
    video, calls, prompt, completion, cost = line.split("\t")[:5]
    assert int(calls) >= 3 and int(prompt) > 50_000 and cost.startswith("$")
    assert "nothing spent" in dry.stdout
    stopped = cli("run", str(info), "--subtitles", str(srt), "--max-cost", "0.0001")
    # The budget is an asked-for stop, not a failure: one line, the video pending, not failed.
    assert stopped.code == 0 and fake_llm.calls == 0, stopped
    assert "budget reached: 1 video(s) not started, run again to continue" in stopped.stdout
    assert "0 failed" in stopped.stdout and "error" not in stopped.stderr
    allowed = cli("run", str(info), "--subtitles", str(srt), "--max-cost", "5")
    assert allowed.code == 0 and fake_llm.calls > 0


def test_split_follows_chapters() -> None:
    segments = three_hours()
    chapters = [Chapter(start_time=h * 1800.0, title=f"Chapter {h}") for h in range(7)]
    paragraphs = build_paragraphs(segments, chapters)
    parts = split_transcript(paragraphs, 20_000)
    assert all(p.tokens <= 20_000 for p in parts)
    for part in parts[1:]:
        first = part.paragraphs[0]
        assert first.chapter != parts[part.index - 1].paragraphs[-1].chapter or part.tokens > 0
    assert [p.text for part in parts for p in part.paragraphs] == [p.text for p in paragraphs]


def test_split_without_chapters_is_balanced_and_loses_nothing() -> None:
    paragraphs = build_paragraphs(three_hours())
    parts = split_transcript(paragraphs, 20_000)
    sizes = [p.tokens for p in parts]
    assert max(sizes) <= 20_000 and min(sizes) > 0.6 * max(sizes)
    assert [p.text for part in parts for p in part.paragraphs] == [p.text for p in paragraphs]
    halves = split_part(parts[0])
    assert [p.text for h in halves for p in h.paragraphs] == [p.text for p in parts[0].paragraphs]


def test_token_estimates_for_latin_and_chinese() -> None:
    english = " ".join(s.text for s in three_hours())
    ratio = len(english) / estimate_tokens(english)
    assert 3.0 <= ratio <= 4.5
    chinese = (Path(__file__).parent / "fixtures" / "seed-post.md").read_text(encoding="utf-8")
    cjk = len(re.findall(r"[\u4e00-\u9fff]", chinese))
    assert estimate_tokens(chinese) >= cjk


def test_a_topic_cut_by_a_part_boundary_becomes_one_section() -> None:
    from pipeline.llm.summarize import Section, merge_sections

    merged = merge_sections([
        [Section(heading="开场", body="a"), Section(heading="自动驾驶的数据引擎", body="b")],
        [Section(heading="自动驾驶的数据引擎（续）", body="c"), Section(heading="机器人", body="d")],
    ])
    assert [(s.heading, s.body) for s in merged] == [
        ("开场", "a"), ("自动驾驶的数据引擎", "b\n\nc"), ("机器人", "d")]


def is_overview(body: dict) -> bool:
    return body["response_format"]["json_schema"]["name"] == "article_overview"


def test_a_failed_overview_keeps_the_parts_already_paid_for(cli, fake_llm, tmp_path: Path) -> None:
    """Each part's answer is saved as it arrives (``parts.json``): the rerun after a failed
    overview asks only for the overview, and the article counts every call that made it."""
    fake_llm.responder = lambda body: Reply(status=400, error={"error": {"message": "overview refused here"}}) \
        if is_overview(body) else default_answer(body)
    failed = run_long(cli, tmp_path, three_hours(), "cdiD-9MMpb0")
    assert failed.code == 1 and "overview refused here" in failed.stderr
    parts = fake_llm.calls - 1
    assert parts >= 2
    folder = tmp_path / "output" / "videos" / "cdiD-9MMpb0"
    saved = json.loads((folder / "parts.json").read_text(encoding="utf-8"))
    assert saved["schema_version"] == 1 and len(saved["parts"]) == parts

    fake_llm.reset()
    fake_llm.responder = None
    dry = run_long(cli, tmp_path, three_hours(), "cdiD-9MMpb0", "--dry-run")
    assert dry.code == 0, dry.stderr
    assert next(line for line in dry.stdout.splitlines() if line.startswith("cdiD-9MMpb0")).split("\t")[1] == "1"
    again = run_long(cli, tmp_path, three_hours(), "cdiD-9MMpb0")
    assert again.code == 0, again.stderr
    assert fake_llm.calls == 1 and is_overview(fake_llm.requests[0])
    article = json.loads((folder / "article.json").read_text(encoding="utf-8"))
    assert article["parts"] == parts and article["usage_total"]["calls"] == parts + 1
    assert not (folder / "parts.json").exists()  # the article holds it all now


def test_saved_part_answers_are_used_only_for_the_same_input(cli, fake_llm, tmp_path: Path) -> None:
    fake_llm.responder = lambda body: Reply(status=400) if is_overview(body) else default_answer(body)
    assert run_long(cli, tmp_path, three_hours(), "cdiD-9MMpb0").code == 1
    parts = fake_llm.calls - 1
    fake_llm.reset()
    fake_llm.responder = None
    # Another model writes other answers: none of the saved ones is for its input.
    (tmp_path / "config.yaml").write_text("llm:\n  model: another-model\n", encoding="utf-8")
    again = run_long(cli, tmp_path, three_hours(), "cdiD-9MMpb0")
    assert again.code == 0, again.stderr
    assert fake_llm.calls == parts + 1


def test_a_long_video_killed_mid_way_pays_on_the_rerun_only_for_what_was_not_answered(
        cli, fake_llm, tmp_path: Path) -> None:
    """Killed (SIGKILL) after some part answers: the killed run and its rerun together pay for
    no more calls than an uninterrupted run plus the one in flight, counted at the server."""
    import signal

    from tests.processes import Hold, start_pipeline

    segments = three_hours()
    srt = write_srt(segments, tmp_path / "long.srt")
    info = info_json(tmp_path, "cdiD-9MMpb0", "Andrej Karpathy: Tesla AI", segments[-1].end)
    # One call at a time: the parts answer in order, so two answered means two saved.
    (tmp_path / "config.yaml").write_text("llm:\n  concurrency: 1\n", encoding="utf-8")
    whole = cli("run", str(info), "--subtitles", str(srt), "--out", "uninterrupted")
    assert whole.code == 0, whole.stderr
    uninterrupted = fake_llm.calls
    assert uninterrupted >= 4  # three parts or more, and the overview

    fake_llm.reset()
    hold = Hold(free=2)  # parts 1 and 2 are answered; part 3 is in flight when the kill comes
    fake_llm.responder = hold
    proc = start_pipeline(["run", str(info), "--subtitles", str(srt)], tmp_path, fake_llm)
    try:
        hold.wait_held()
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        hold.release()
    assert proc.returncode == -signal.SIGKILL
    killed_run, in_flight = fake_llm.calls, 1
    assert killed_run == 3

    fake_llm.responder = None
    rerun = cli("run", str(info), "--subtitles", str(srt))
    assert rerun.code == 0, rerun.stderr
    assert fake_llm.calls <= uninterrupted + in_flight, (killed_run, fake_llm.calls - killed_run, uninterrupted)
    article = json.loads((tmp_path / "output" / "videos" / "cdiD-9MMpb0" / "article.json").read_text())
    assert len(article["sections"]) >= article["parts"]


def test_sigterm_in_the_middle_of_a_long_video_starts_no_more_of_its_parts(fake_llm, tmp_path: Path) -> None:
    """"No new work starts" holds inside a long video too: after SIGTERM the part in flight
    finishes and is kept, its other parts are not asked for (the rerun asks for them), and the
    video counts as not started, not failed."""
    from tests.conftest import run_in_process
    from tests.processes import Hold, Watched, terminate_while_held

    segments = three_hours()
    srt = write_srt(segments, tmp_path / "long.srt")
    info = info_json(tmp_path, "cdiD-9MMpb0", "Andrej Karpathy: Tesla AI", segments[-1].end)
    (tmp_path / "config.yaml").write_text("llm:\n  concurrency: 1\n", encoding="utf-8")
    fake_llm.responder = hold = Hold()
    run = Watched(["run", str(info), "--subtitles", str(srt)], tmp_path, fake_llm)
    terminate_while_held(run, hold)
    code, out, err = run.finish(timeout=60)
    assert code == 143, (out, err)
    assert fake_llm.calls == 1, err  # the part in flight, and nothing after the stop
    folder = tmp_path / "output" / "videos" / "cdiD-9MMpb0"
    assert len(json.loads((folder / "parts.json").read_text(encoding="utf-8"))["parts"]) == 1
    assert not (folder / "article.json").exists()
    status = json.loads((folder / "status.json").read_text(encoding="utf-8"))
    assert status.get("error") is None, status

    fake_llm.reset()
    fake_llm.responder = None
    again = run_in_process(tmp_path, fake_llm, "run", str(info), "--subtitles", str(srt))
    assert again.code == 0, again.stderr
    article = json.loads((folder / "article.json").read_text(encoding="utf-8"))
    assert fake_llm.calls == article["parts"]  # the other parts and the overview
