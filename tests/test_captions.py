"""Caption parsing and cleaning on real captured YouTube captions (tests/fixtures/subtitles/)."""

from __future__ import annotations

import itertools
import re
from collections import Counter

import pytest

from pipeline.words.captions import (
    build_paragraphs,
    clean_snippets,
    convert_chinese,
    detect_format,
    parse_captions,
)
from pipeline.shapes import Chapter, Paragraph, Segment
from tests.conftest import FIXTURES

SUBS = FIXTURES / "subtitles"
ROLLING = ["bwRHIkYqYJo.en.srt", "wrolpi_example1.en.vtt", "wrolpi_example3.en.srt",
           "unknown-id_english-lesson.en.asr.json3"]
# The seven chapters of bwRHIkYqYJo as its info.json (yt-dlp) lists them.
BW_CHAPTERS = [Chapter(start_time=s, end_time=e, title=t) for s, e, t in [
    (0.0, 31.0, "Introduction"), (31.0, 46.0, "Rules"), (46.0, 427.0, "Challenge #1"),
    (427.0, 483.0, "Challenge #2"), (483.0, 526.0, "Conclusion"), (526.0, 570.0, "Skillshare"),
    (570.0, 582.0, "Longest No Brake Wheelie")]]


def read(name: str) -> str:
    return (SUBS / name).read_text(encoding="utf-8")


def parse(name: str) -> list[Segment]:
    text = read(name)
    return parse_captions(text, detect_format(name, text))


def texts(items: list[Segment] | list[Paragraph]) -> list[str]:
    return [item.text for item in items]


def words(segments: list[Segment]) -> str:
    return " ".join(s.text for s in segments)


def distinct_caption_lines(text: str) -> list[str]:
    """Every caption line of a file once, in order of first appearance: what a rolling file says."""
    lines = []
    for line in text.splitlines():
        line = " ".join(re.sub(r"<[^>]*>", "", line).split())
        if line and "-->" not in line and not line.isdigit() and line not in ("WEBVTT", "[Applause]") \
                and not line.startswith(("Kind:", "Language:")):
            lines.append(line)
    return list(dict.fromkeys(lines))


# --- rolling auto captions ----------------------------------------------------------------


def test_rolling_auto_vtt_gives_each_phrase_once_with_its_start() -> None:
    segments = parse("wrolpi_example1.en.vtt")
    assert texts(segments) == [
        "okay welcome to this session this is",
        "called the kinetic bunny need to meet",
        "the virtual bonnie emilio stop this is",
        "jana car who just to give a little bit",
        "of background information we come from a",
        "company called le code from finland and",
    ]
    # Each line starts where its words are spoken (the cue with the <c> word timings).
    assert [s.start for s in segments] == [0.0, 5.279, 7.77, 11.46, 15.42, 18.869]


def test_srt_conversion_of_rolling_captions_matches_the_vtt() -> None:
    # yt-dlp's SRT keeps the rolling structure and has cues whose first text line is empty.
    assert texts(parse("wrolpi_example3.en.srt")) == texts(parse("wrolpi_example1.en.vtt"))


@pytest.mark.parametrize("name", ["bwRHIkYqYJo.en.srt", "wrolpi_example1.en.vtt", "wrolpi_example3.en.srt"])
def test_rolling_file_says_each_of_its_lines_exactly_once_in_order(name: str) -> None:
    assert texts(parse(name)) == distinct_caption_lines(read(name))


@pytest.mark.parametrize("name", ROLLING)
def test_no_phrase_is_duplicated_and_times_are_ordered(name: str) -> None:
    segments = parse(name)
    assert segments and max(Counter(texts(segments)).values()) == 1
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    assert all(s.start <= s.end for s in segments)
    # Overlapping caption durations are cut where the next phrase starts.
    assert all(a.end <= b.start for a, b in itertools.pairwise(segments))


def test_auto_srt_exact_opening_and_no_single_space_lines() -> None:
    segments = parse("bwRHIkYqYJo.en.srt")
    assert words(segments[:4]) == ("what's up shinas wait wrong Channel when I wheelie I rely on my rear brake a lot "
                                   "which is why I want to challenge myself to whe a certain distance from here all")
    assert segments[1].start == pytest.approx(4.04)
    assert texts(segments[-2:]) == ["of doing these", "wheelies"]
    assert all(s.text == s.text.strip() and "  " not in s.text for s in segments)


def test_json3_events_are_joined_and_newline_events_skipped() -> None:
    segments = parse("unknown-id_english-lesson.en.asr.json3")
    assert texts(segments[:3]) == ["hey in today's lesson I'm going to help",
                                   "you finally think and then speak English", "when you're trying to be a fluent"]
    assert (segments[0].start, segments[0].end) == (2.399, 4.44)  # ms -> s; ends where the next event starts
    assert len(segments) == 402 and all(s.text for s in segments)


# --- manual captions keep real repeats --------------------------------------------------


def test_manual_captions_keep_repeated_lines() -> None:
    # Unlike rolling captions, a manual track that says a line twice means it twice.
    assert [(s.start, s.text) for s in parse("HEfHFsfGXjs.en.3b1b-captions.srt") if s.text == "Wait for it."] == [
        (110.66, "Wait for it."), (111.48, "Wait for it.")]
    assert texts(parse("cdiD-9MMpb0.en-US.downsub.srt")).count("Many knobs.") == 2
    lyrics = [s.text for s in parse("RWBY-Vol1-Episode-1.timedtext-format3.xml") if s.text.startswith("This will be")]
    assert lyrics == ["This will be the day we're waiting for.", "This will be the day we open up the door."] * 2


def test_lines_of_a_cue_become_one_segment() -> None:
    segments = parse("cdiD-9MMpb0.en-US.downsub.srt")
    assert len(segments) == 5502  # one per cue: no cue is a duplicate or only noise
    assert segments[2].text == "Arranging some kind of a crazy quantum mechanical system"


# --- cleaning -----------------------------------------------------------------------------


def test_sound_cues_vanish() -> None:
    assert parse("wrolpi_example2.en.vtt") == []  # (YAWNS), (EPIC MUSIC), ... only
    assert not any("Applause" in s.text for s in parse("bwRHIkYqYJo.en.srt"))
    segments = clean_snippets([("[Music] so we begin [Applause]", 1.0, 2.0), ("[Laughter]", 3.0, 1.0),
                               ("♪ ♪", 4.0, 1.0), ("and (laughs) then (EPIC MUSIC) it ended", 5.0, 1.0),
                               ("(NASA) and (Tokens) stay", 6.0, 1.0), ("(WHOOSH)", 7.0, 1.0)])
    assert texts(segments) == ["so we begin", "and then it ended", "(NASA) and (Tokens) stay"]


def test_music_notes_go_but_lyrics_stay() -> None:
    joined = words(parse("RWBY-Vol1-Episode-1.timedtext-format3.xml"))
    assert "♪" not in joined and "I don't wanna hear your absolution." in joined


def test_srv3_entities_are_decoded() -> None:
    segments = parse("RWBY-Vol1-Episode-1.timedtext-format3.xml")
    assert segments[0].text == "Narrator: Legends."
    assert (segments[0].start, segments[0].end) == (3.934, 5.4)
    by_start = {s.start: s.text for s in segments}
    assert by_start[59.9] == 'This power was appropriately named, "Dust".'
    assert by_start[384.48] == "Ruby: You're a Huntress!"
    assert not any("&" in s.text for s in segments)


def test_legacy_transcript_xml_escaped_markup_becomes_text() -> None:
    segments = parse("transcript.xml.static")
    assert [(s.start, s.text) for s in segments] == [
        (0.0, "Hey, this is just a test"),
        (1.54, "this is not the original transcript"),  # was "this is &lt;i>not&lt;/i> the ..."
        (5.7, "just something shorter, I made up for testing"),  # the empty <text> is gone
    ]


def test_escaped_markup_goes_but_escaped_words_in_brackets_stay() -> None:
    """A talk about code says ``<head>``: its caption escapes it, and it is words, not markup
    (failed before: every tag-like word of an escaped caption was dropped, "the tag")."""
    segments = clean_snippets([("the &lt;head&gt; tag and the &lt;div class=x&gt; element", 0.0, 1.0),
                               ("&lt;i&gt;quietly&lt;/i&gt; &lt;font color=red&gt;now&lt;/font&gt;", 1.0, 1.0)])
    assert [s.text for s in segments] == ["the <head> tag and the <div class=x> element", "quietly now"]


def test_entities_in_snippets() -> None:
    segments = clean_snippets([("it&#39;s &quot;fine&quot; &amp; good&nbsp;enough", 0.0, 1.0),
                               ("a &amp;#39;double&amp;#39; escape", 1.0, 1.0)])
    assert texts(segments) == ['it\'s "fine" & good enough', "a 'double' escape"]


def test_old_style_vtt_header_and_colour_classes() -> None:
    assert [(s.start, s.text) for s in parse("webvtt-py_youtube_dl.vtt")] == [
        (286.07, "yeah"), (286.47, "what"), (304.08, "this will happen is I'm telling")]
    russian = parse("unknown-id_autosubs-2018.ru.vtt")
    assert texts(russian[:4]) == ["чтобы приготовить", "дома пастилу из", "абрикос нужно иметь",
                                  "абрикосы обязательно"]
    assert len(russian) == 194  # overlapping, not rolling: every cue is new words
    assert not any(mark in s.text for s in russian for mark in ("::cue", "##", "color", "Style", "position"))


# --- speakers -----------------------------------------------------------------------------


def test_speaker_markers_become_flags_and_paragraph_breaks() -> None:
    segments = clean_snippets([("hello there", 0, 2), ("&gt;&gt; who is it", 2, 2), ("- it's me", 4, 2),
                               ("fine >> good", 6, 2)])
    assert [(s.text, s.speaker_change) for s in segments] == [
        ("hello there", False), ("who is it", True), ("it's me", True), ("fine", False), ("good", True)]
    assert (segments[3].start, segments[4].end) == (6, 8) and segments[3].end == segments[4].start
    assert texts(build_paragraphs(segments)) == ["hello there", "who is it", "it's me fine", "good"]


def test_downsub_dash_and_bracketed_names() -> None:
    segments = parse("cdiD-9MMpb0.en-US.downsub.srt")
    assert (segments[31].text, segments[31].speaker_change) == ("Many knobs.", True)
    assert (segments[74].text, segments[74].speaker_change) == ("Lex: Yes.", True)  # "- [Lex] Yes."
    assert not any(s.text.startswith("-") or "[" in s.text for s in segments)
    assert sum(s.speaker_change for s in segments) == 1133


# --- paragraphs ---------------------------------------------------------------------------


def members(paragraphs: list[Paragraph], segments: list[Segment]) -> list[list[Segment]]:
    """The segments each paragraph was joined from (paragraph text is their texts, space-joined)."""
    groups, index = [], 0
    for paragraph in paragraphs:
        first = index
        while index < len(segments) and words(segments[first:index]) != paragraph.text:
            index += 1
        groups.append(segments[first:index])
    return groups


def test_unpunctuated_auto_captions_make_time_bounded_paragraphs_at_chapters() -> None:
    segments = parse("bwRHIkYqYJo.en.srt")
    paragraphs = build_paragraphs(segments, BW_CHAPTERS, max_seconds=60)
    assert [p.chapter for p in paragraphs[:4]] == ["Introduction", "Rules", "Challenge #1", "Challenge #1"]
    assert paragraphs[1].start == pytest.approx(31.0, abs=3) and paragraphs[2].start == pytest.approx(46.0, abs=3)
    assert words(segments) == " ".join(p.text for p in paragraphs)  # nothing lost, Latin joined with one space
    groups = members(paragraphs, segments)
    for paragraph, group, following in zip(paragraphs, groups, paragraphs[1:] + [None]):
        assert (paragraph.start, paragraph.end) == (group[0].start, group[-1].end)
        assert paragraph.chapter == [c for c in BW_CHAPTERS if c.start <= paragraph.start][-1].title
        assert all(s.start - paragraph.start < 60 for s in group)
        if following is not None and following.chapter == paragraph.chapter:
            assert following.start - paragraph.start >= 60  # no break before the bound within a chapter


def test_punctuated_captions_break_at_sentence_ends() -> None:
    segments = parse("HEfHFsfGXjs.en.3b1b-captions.srt")
    paragraphs = build_paragraphs(segments, max_seconds=60)
    assert len(paragraphs) > 3
    assert all(p.text.endswith((".", "?", "!")) for p in paragraphs)
    assert all(p.end - p.start >= 60 for p in paragraphs[:-1])  # not before the bound
    assert paragraphs[0].start == 4.0 and paragraphs[-1].end == segments[-1].end


def test_chinese_is_joined_without_spaces() -> None:
    paragraphs = build_paragraphs(parse("wjZofJX0v4M.zh-Hans.3b1b-captions.srt"))
    assert paragraphs[0].text.startswith(
        "GPT 是 Generative Pre-trained Transformer 的缩写。首个单词较为直接，"
        '它们是用来生成新文本的机器人。"Pre-trained" 指的是')
    segments = parse("wjZofJX0v4M.zh-Hans.3b1b-captions.srt")
    cjk_pairs = [(a.text, b.text) for a, b in itertools.pairwise(segments)
                 if re.match(r"[\u4e00-\u9fff，。]", a.text[-1]) and re.match(r"[\u4e00-\u9fff]", b.text[0])]
    assert len(cjk_pairs) > 400
    joined = "\n".join(p.text for p in build_paragraphs(segments))
    assert all(a + b in joined or a + "\n" + b in joined for a, b in cjk_pairs)


def test_traditional_to_simplified() -> None:
    traditional = parse("HEfHFsfGXjs.zh-Hant.3b1b-taiwan-community.srt")
    assert traditional[0].text == "有時候數學和物理會在意想不到的地方一起出現"  # a two-line cue, joined
    converted = convert_chinese(traditional, "zh-Hans")
    assert texts(converted[:3]) == ["有时候数学和物理会在意想不到的地方一起出现", "让我们玩一个奇妙的数学槌球游戏吧",
                                    "我们有两个滑动的方块和一道墙"]
    assert [(s.start, s.end) for s in converted] == [(s.start, s.end) for s in traditional]
    with pytest.raises(ValueError):
        convert_chinese(traditional, "klingon")


def test_a_long_podcast_parses_to_its_end() -> None:
    # How fast: benchmarks/captions.py (its target, under a second for this 3 h 28 min file).
    paragraphs = build_paragraphs(parse_captions(read("cdiD-9MMpb0.en-US.downsub.srt"), "srt"))
    assert paragraphs[-1].start > 3 * 3600


# --- formats ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "fmt"), [
    ("wrolpi_example1.en.vtt", "vtt"), ("webvtt-py_youtube_dl.vtt", "vtt"), ("bwRHIkYqYJo.en.srt", "srt"),
    ("wrolpi_example3.en.srt", "srt"), ("unknown-id_english-lesson.en.asr.json3", "json3"),
    ("RWBY-Vol1-Episode-1.timedtext-format3.xml", "srv3"), ("transcript.xml.static", "transcript-xml"),
])
def test_detect_format_by_content(name: str, fmt: str) -> None:
    assert detect_format("track", read(name)) == fmt


def test_detect_format_by_extension_first() -> None:
    assert detect_format("a.en.vtt", "") == "vtt" and detect_format("b.srv1", "") == "transcript-xml"
    assert detect_format("c.json3", "") == "json3" and detect_format("d.SRT", "") == "srt"
    with pytest.raises(ValueError):
        detect_format("x.txt", "just words")
    with pytest.raises(ValueError):
        parse_captions("WEBVTT\n", "sbv")


def test_ttml_with_line_breaks() -> None:
    text = ('<?xml version="1.0"?><tt xmlns="http://www.w3.org/ns/ttml"><body><div>'
            '<p begin="00:00:01.500" end="00:00:03.000">first line<br/>second line</p>'
            '<p begin="3.5s" end="4s">[Music]</p></div></body></tt>')
    assert detect_format("t", text) == "ttml"
    assert [(s.start, s.end, s.text) for s in parse_captions(text, "ttml")] == [(1.5, 3.0, "first line second line")]


def test_vtt_comments_ids_and_voice_tags() -> None:
    text = ("WEBVTT\n\nNOTE a comment\nover two lines\n\nintro\n00:01.000 --> 00:02.000\nHello &amp; bye\n\n"
            "NOTE between cues\nstill the note\n\n00:02.000 --> 00:03.500 line:0\n<v Bob>Hi there</v>\n")
    assert [(s.start, s.end, s.text) for s in parse_captions(text, "vtt")] == [
        (1.0, 2.0, "Hello & bye"), (2.0, 3.5, "Bob: Hi there")]


def test_yt_dlp_stamps_read_to_the_same_bit_as_any_other() -> None:
    """The fast path for ``HH:MM:SS,mmm`` gives exactly the general sum; other shapes (TTML's
    ``HH:MM:SS:frames``) take the general path."""
    from pipeline.words.caption_formats import seconds

    def general(stamp: str) -> float:
        total = 0.0
        for part in stamp.replace(",", ".").split(":"):
            total = total * 60 + float(part)
        return total

    for millis in range(0, 4 * 3600 * 1000, 997):
        h, rest = divmod(millis, 3_600_000)
        m, rest = divmod(rest, 60_000)
        stamp = f"{h:02d}:{m:02d}:{rest // 1000:02d},{rest % 1000:03d}"
        assert seconds(stamp) == general(stamp), stamp
    assert seconds("00:00:01:123") == general("00:00:01:123") == 183.0


# --- ASS/SSA, SBV and LRC details ---------------------------------------------------------------

def test_ass_text_is_the_last_format_field_with_its_commas() -> None:
    # mantas-done/subtitles tests/files/ass.ass (an "Actor" field where Aegisub writes "Name").
    text = ("[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize\n"
            "Style: Default,Arial,20\n\n[Events]\n"
            "Format: Layer, Start, End, Style, Actor, MarginL, MarginR, MarginV, Effect, Text\n"
            "Dialogue: 0,0:02:17.40,0:02:20.40,Default,,0,0,0,,Senator, we're making\\N"
            "our final approach into Coruscant.\n"
            "Dialogue: 0,1:02:20.50,1:02:22.50,Default,,0,0,0,,Very good, Lieutenant.\n")
    assert detect_format("track", text) == "ass"
    assert [(s.start, s.end, s.text) for s in parse_captions(text, "ass")] == [
        (137.4, 140.4, "Senator, we're making our final approach into Coruscant."),
        (3740.5, 3742.5, "Very good, Lieutenant.")]
    # An SSA v4 file: "Marked=0" first, and a Format line with fewer fields than ASS has.
    ssa = ("[Events]\nFormat: Marked, Start, End, Style, Text\n"
           "Dialogue: Marked=0,0:00:01.00,0:00:02.50,Default,{\\i1}Well, well,{\\i0} well.\\hOK\n"
           "Comment: Marked=0,0:00:03.00,0:00:04.00,Default,not shown\n"
           "Dialogue: Marked=0,0:00:05.00,0:00:06.00,Default,{\\p1}m 0 0 l 10 0{\\p0}Shop{\\p2}m 1 1{\\p0}\n")
    assert [(s.start, s.end, s.text) for s in parse_captions(ssa, "ass")] == [
        (1.0, 2.5, "Well, well, well. OK"), (5.0, 6.0, "Shop")]


def test_sbv_keeps_zero_length_and_overlapping_cues_once() -> None:
    text = ("0:00:01.000,0:00:01.000\nzero length\n\n0:00:00.500,0:00:03.000\nstarts earlier\nand overlaps\n\n"
            "0:00:02.000,0:00:04.000\nthe next one\n")
    assert detect_format("track", text) == "sbv"
    assert [(s.start, s.end, s.text) for s in parse_captions(text, "sbv")] == [
        (0.5, 1.0, "starts earlier and overlaps"), (1.0, 1.0, "zero length"), (2.0, 4.0, "the next one")]


def test_lrc_lines_at_each_of_their_stamps_without_tags_or_word_stamps() -> None:
    text = ("[ti:给我一首歌的时间]\n[ar:周杰伦]\n[offset:500]\n"
            "[00:18.02][01:31.05]雨淋湿了天空\n[00:20.35]毁得很<00:21.10>讲究\n[01:33.60]\n"
            "not a lyric line\n[01:21:10]錯錯錯\n")
    assert detect_format("track", text) == "lrc"
    assert [(s.start, s.end, s.text) for s in parse_captions(text, "lrc")] == [
        (17.52, 19.85, "雨淋湿了天空"), (19.85, 80.6, "毁得很 讲究"), (80.6, 90.55, "錯錯錯"), (90.55, 93.1, "雨淋湿了天空")]
    with pytest.raises(ValueError, match="without any time-stamped"):
        parse_captions("[ti:x]\n[ar:y]\n", "lrc")
