"""Each section of an article records the stretch of the video it was written from."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline.shapes import Paragraph
from pipeline.llm.timing import check_times, dropped_summary, parse_timestamp, timed_sections
from tests.conftest import load_json, video_dir_with
from tests.fakellm import default_answer

BW = "bwRHIkYqYJo"


@pytest.mark.parametrize("text, seconds", [
    ("12:34", 754), ("[12:34]", 754), ("1:02:03", 3723), ("00:00", 0), (" 3:05 ", 185), ("0:59.5", 59.5),
])
def test_timestamps_parse(text: str, seconds: float) -> None:
    assert parse_timestamp(text) == seconds


@pytest.mark.parametrize("text", ["", "12", "12:75", "1:75:00", "soon", "12:34:56:78", "-1:00"])
def test_bad_timestamps_do_not_parse(text: str) -> None:
    assert parse_timestamp(text) is None


def _answer(heading: str, start: str) -> SimpleNamespace:
    return SimpleNamespace(heading=heading, start=start, body=f"{heading} 的正文")


def test_times_become_seconds_with_ends_and_bad_ones_are_dropped_with_a_warning() -> None:
    paragraphs = [Paragraph(start=0, end=300, text="a"), Paragraph(start=300, end=590, text="b")]
    sections = [_answer("开场", "00:00"), _answer("倒退", "05:00"), _answer("太晚", "12:00"),
                _answer("回头", "04:00"), _answer("乱写", "不久之后"), _answer("无时", ""), _answer("结尾", "09:00")]
    timed, warnings = timed_sections(sections, paragraphs, duration=600)
    assert [(s["start"], s["end"]) for s in timed] == [
        (0, 300), (300, 540), (None, None), (None, None), (None, None), (None, None), (540, 600)]
    assert [s["heading"] for s in timed] == [s.heading for s in sections]
    assert len(warnings) == 4
    assert "section 3 (太晚): start 12:00 is not inside the video (it ends at 10:00)" in warnings[0]
    assert "section 4 (回头): start 04:00 is not after the previous section's (05:00)" in warnings[1]
    assert "not a time like 12:34" in warnings[2] and "has no start time" in warnings[3]
    assert dropped_summary(check_times(sections, paragraphs, duration=600)[1]) == [
        "1 section starts outside the video; time dropped",
        "1 section does not start after the one before it; time dropped",
        "1 section has a start that is not a time like 12:34; time dropped",
        "1 section has no start time; time dropped"]
    many = [_answer(f"第{n}节", "") for n in range(13)] + [_answer("乱写", "x"), _answer("又乱写", "y")]
    assert dropped_summary(check_times(many, paragraphs, duration=600)[1]) == [
        "13 sections have no start time; times dropped",
        "2 sections have starts that are not times like 12:34; times dropped"]


def test_without_a_duration_the_end_of_the_words_ends_the_video() -> None:
    paragraphs = [Paragraph(start=0, end=95.5, text="a")]
    timed, warnings = timed_sections([_answer("一", "0:10")], paragraphs, duration=None)
    assert timed[0]["start"] == 10 and timed[0]["end"] == 95.5 and not warnings


def test_the_fake_model_answers_with_times_from_the_transcript() -> None:
    schema = {"type": "object", "properties": {"sections": {"type": "array", "items": {
        "type": "object", "properties": {"heading": {"type": "string"}, "start": {"type": "string"},
                                         "body": {"type": "string"}}}}}}
    body = {"response_format": {"type": "json_schema", "json_schema": {"schema": schema}},
            "messages": [{"role": "user", "content": "<transcript>\n[00:00] a\n\n[01:30] b\n\n[03:10] c\n</transcript>"}]}
    assert [s["start"] for s in default_answer(body)["sections"]] == ["00:00", "01:30"]


def test_summarize_records_each_sections_stretch_of_the_video(cli, fake_llm, tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, BW)
    result = cli("run", str(videos / f"{BW}.info.json"))
    assert result.code == 0, result.stderr
    request = fake_llm.requests[0]
    prompt = json.dumps(request["messages"], ensure_ascii=False)
    assert "[00:00] " in prompt and "开始时间" in prompt
    section_schema = request["response_format"]["json_schema"]["schema"]["$defs"]["Section"]
    assert section_schema["required"] == ["heading", "start", "body"]
    article = load_json(tmp_path / "output" / "videos" / BW / "article.json")
    starts = [s["start"] for s in article["sections"]]
    assert all(isinstance(s, (int, float)) for s in starts) and starts == sorted(set(starts))
    transcript = load_json(tmp_path / "output" / "videos" / BW / "transcript.json")
    assert starts[0] == int(transcript["paragraphs"][0]["start"]) and starts[1] > starts[0]
    assert article["sections"][-1]["end"] == 582  # the video's duration
    assert article["sections"][0]["end"] == starts[1]
    assert article["warnings"] == []
    # The post keeps the seed's shape: no times in it unless post.section_links is on.
    post = next((tmp_path / "output" / "posts").glob("*.md")).read_text(encoding="utf-8")
    assert "youtube.com/watch?v=bwRHIkYqYJo&t=" not in post


def test_impossible_times_are_dropped_and_the_video_still_succeeds(cli, fake_llm, tmp_path: Path) -> None:
    def answer(body: dict) -> dict:
        article = default_answer(body)
        article["sections"][0]["start"] = "99:00"
        article["sections"][1]["start"] = "three minutes in"
        return article

    fake_llm.responder = answer
    videos = video_dir_with(tmp_path, BW)
    result = cli("run", str(videos / f"{BW}.info.json"))
    assert result.code == 0, result.stderr
    article = load_json(tmp_path / "output" / "videos" / BW / "article.json")
    assert [s["start"] for s in article["sections"]] == [None, None]
    assert len(article["warnings"]) == 2 and "not inside the video (it ends at 09:42)" in article["warnings"][0]
    # On stderr one line per kind (issue 23); each section's detail is in article.json.
    assert [line for line in result.stderr.splitlines() if line.startswith("warning:")] == [
        f"warning: {BW}: 1 section starts outside the video; time dropped",
        f"warning: {BW}: 1 section has a start that is not a time like 12:34; time dropped"]


def test_section_links_setting_adds_a_timestamp_link_under_each_heading(cli, fake_llm, tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("post:\n  section_links: true\n", encoding="utf-8")
    videos = video_dir_with(tmp_path, BW)
    result = cli("run", str(videos / f"{BW}.info.json"))
    assert result.code == 0, result.stderr
    article = load_json(tmp_path / "output" / "videos" / BW / "article.json")
    second = int(article["sections"][1]["start"])
    post = next((tmp_path / "output" / "posts").glob("*.md")).read_text(encoding="utf-8")
    assert "\n\n[▶ 00:01](https://www.youtube.com/watch?v=bwRHIkYqYJo&t=1s)\n\n" in post
    minutes, seconds = divmod(second, 60)
    assert f"[▶ {minutes:02d}:{seconds:02d}](https://www.youtube.com/watch?v=bwRHIkYqYJo&t={second}s)" in post


def test_a_long_video_written_part_by_part_keeps_increasing_times(cli, fake_llm, tmp_path: Path) -> None:
    from tests.long_transcripts import info_json, three_hours, write_srt

    segments = three_hours()
    srt = write_srt(segments, tmp_path / "cdiD-9MMpb0.srt")
    info = info_json(tmp_path, "cdiD-9MMpb0", "Andrej Karpathy: Tesla AI", segments[-1].end)
    result = cli("run", str(info), "--subtitles", str(srt))
    assert result.code == 0, result.stderr
    article = load_json(tmp_path / "output" / "videos" / "cdiD-9MMpb0" / "article.json")
    assert article["parts"] >= 2 and article["warnings"] == []
    starts = [s["start"] for s in article["sections"]]
    assert None not in starts and starts == sorted(set(starts))
    assert starts[-1] > segments[-1].end / 2  # the later parts' sections carry the later times
    assert all(s["end"] == n["start"] for s, n in zip(article["sections"], article["sections"][1:]))
