"""Caption parsing and cleaning on real captured YouTube captions."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from pipeline.captions import build_paragraphs, clean_snippets, convert_chinese, detect_format, parse_captions
from pipeline.models import Chapter, Segment
from tests.conftest import FIXTURES

SUBS = FIXTURES / "subtitles"


def parse(name: str) -> list[Segment]:
    text = (SUBS / name).read_text(encoding="utf-8")
    return parse_captions(text, detect_format(name, text))


def words(segments: list[Segment]) -> str:
    return " ".join(s.text for s in segments)


def test_rolling_auto_vtt_gives_each_phrase_once() -> None:
    segments = parse("wrolpi_example1.en.vtt")
    assert [s.text for s in segments[:3]] == [
        "okay welcome to this session this is",
        "called the kinetic bunny need to meet",
        "the virtual bonnie emilio stop this is",
    ]
    assert segments[1].start == pytest.approx(5.279)
    assert all("<" not in s.text and "align:" not in s.text for s in segments)


def test_srt_conversion_of_rolling_captions_matches_the_vtt() -> None:
    # yt-dlp's SRT keeps the rolling structure and has cues whose first text line is empty.
    assert [s.text for s in parse("wrolpi_example3.en.srt")] == [s.text for s in parse("wrolpi_example1.en.vtt")]


@pytest.mark.parametrize("name", ["bwRHIkYqYJo.en.srt", "wrolpi_example1.en.vtt", "unknown-id_english-lesson.en.asr.json3"])
def test_no_phrase_is_duplicated_in_rolling_captions(name: str) -> None:
    segments = parse(name)
    counts = Counter(s.text for s in segments if len(s.text) > 25)
    assert counts and max(counts.values()) == 1
    starts = [s.start for s in segments]
    assert starts == sorted(starts)


def test_bw_auto_captions_exact_opening() -> None:
    text = words(parse("bwRHIkYqYJo.en.srt"))
    assert text.startswith(
        "what's up shinas wait wrong Channel when I wheelie I rely on my rear brake a lot which is why "
        "I want to challenge myself"
    )


def test_json3_events_are_joined_and_newline_events_skipped() -> None:
    segments = parse("unknown-id_english-lesson.en.asr.json3")
    assert segments[0].text == "hey in today's lesson I'm going to help"
    assert segments[0].start == pytest.approx(2.399)
    assert segments[1].text == "you finally think and then speak English"
    assert not any(s.text == "" for s in segments)


def test_sound_cues_vanish() -> None:
    assert parse("wrolpi_example2.en.vtt") == []
    segments = clean_snippets([("[Music] so we begin [Applause]", 1.0, 2.0), ("[Laughter]", 3.0, 1.0)])
    assert [s.text for s in segments] == ["so we begin"]


def test_old_style_vtt_header_and_colour_classes() -> None:
    assert [s.text for s in parse("webvtt-py_youtube_dl.vtt")] == ["yeah", "what", "this will happen is I'm telling"]
    russian = parse("unknown-id_autosubs-2018.ru.vtt")
    assert russian[0].text == "чтобы приготовить"
    assert not any("::cue" in s.text or "##" in s.text or "color" in s.text for s in russian)


def test_srv3_entities_are_decoded() -> None:
    segments = parse("RWBY-Vol1-Episode-1.timedtext-format3.xml")
    joined = words(segments)
    assert "&#39;" not in joined and "&quot;" not in joined and "♪" not in joined
    assert segments[0].text == "Narrator: Legends."
    assert "'" in joined


def test_legacy_transcript_xml_escaped_markup_becomes_text() -> None:
    text = (FIXTURES / "transcript-api" / "transcript.xml.static").read_text(encoding="utf-8")
    segments = parse_captions(text, detect_format("transcript.xml.static", text))
    assert segments and all("<" not in s.text and "&" not in s.text for s in segments)


def test_speaker_markers_become_breaks() -> None:
    segments = clean_snippets([("hello there", 0, 2), ("&gt;&gt; who is it", 2, 2), ("- it's me", 4, 2)])
    assert [(s.text, s.speaker_change) for s in segments] == [
        ("hello there", False), ("who is it", True), ("it's me", True)]
    paragraphs = build_paragraphs(segments)
    assert [p.text for p in paragraphs] == ["hello there", "who is it", "it's me"]


def test_chinese_is_joined_without_spaces() -> None:
    paragraphs = build_paragraphs(parse("wjZofJX0v4M.zh-Hans.3b1b-captions.srt"))
    assert paragraphs[0].text.startswith("GPT 是 Generative Pre-trained Transformer 的缩写。首个单词较为直接，它们是")


def test_paragraphs_break_at_chapters_and_keep_start_times() -> None:
    segments = parse("bwRHIkYqYJo.en.srt")
    chapters = [Chapter(start_time=0, end_time=31, title="Introduction"), Chapter(start_time=31, end_time=46, title="Rules"),
                Chapter(start_time=46, end_time=582, title="Challenge #1")]
    paragraphs = build_paragraphs(segments, chapters, max_seconds=60)
    assert [p.chapter for p in paragraphs[:3]] == ["Introduction", "Rules", "Challenge #1"]
    assert paragraphs[1].start >= 31 - 3 and paragraphs[2].start >= 46 - 3
    assert all(p.end - p.start <= 125 for p in paragraphs)
    assert words(segments) == " ".join(p.text for p in paragraphs)


def test_traditional_to_simplified_only_when_asked() -> None:
    traditional = parse("HEfHFsfGXjs.zh-Hant.3b1b-taiwan-community.srt")
    converted = convert_chinese(traditional, "zh-Hans")
    assert any(a.text != b.text for a, b in zip(traditional, converted, strict=False))
    assert "這" in words(traditional) and "這" not in words(converted)


def test_long_podcast_parses_fast() -> None:
    text = (SUBS / "cdiD-9MMpb0.en-US.downsub.srt").read_text(encoding="utf-8")
    started = time.perf_counter()
    paragraphs = build_paragraphs(parse_captions(text, "srt"))
    assert time.perf_counter() - started < 3.0
    assert paragraphs[-1].start > 3 * 3600


def test_detect_format_by_content() -> None:
    assert detect_format("x", "WEBVTT\n\n00:00.000 --> 00:01.000\nhi") == "vtt"
    assert detect_format("x", '{"wireMagic": "pb3", "events": []}') == "json3"
    assert detect_format("x", "1\n00:00:01,000 --> 00:00:02,000\nhi\n") == "srt"
    with pytest.raises(ValueError):
        detect_format("x.txt", "just words")
