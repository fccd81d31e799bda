"""What the caption cleaner keeps and drops, on real files of the corpus (tests/fixtures/captions/)."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.words.captions import parse_captions
from pipeline.config import Config
from pipeline.shapes import Metadata, Segment, Transcript
from pipeline.words.transcripts import from_subtitle_file
from tests.conftest import FIXTURES

CAPTIONS = FIXTURES / "captions"


def transcript(name: str, folder: Path = CAPTIONS) -> Transcript:
    return from_subtitle_file(folder / name, Metadata(id="corpus"), Config())


def text_of(name: str) -> str:
    return transcript(name).text()


def segments(name: str) -> list[Segment]:
    return transcript(name).segments


# --- scripts and line joins -------------------------------------------------------------------


def test_korean_keeps_its_word_spaces() -> None:
    text = text_of("3b1b-change-of-basis.ko.srt")
    assert "만일 우리가 2D 공간에 있는 하나의 벡터를 놓는다면" in text
    # Two lines of one cue, and two cues, are joined with a space in Korean.
    assert re.search(r"[\uac00-\ud7a3][\uac00-\ud7a3]{2,}[\uac00-\ud7a3]", text)
    hangul_words = re.findall(r"[\uac00-\ud7a3]+", text)
    assert max(len(w) for w in hangul_words) < 12  # nothing glued into one long "word"


def test_japanese_and_chinese_lines_join_without_spaces() -> None:
    for name in ("3b1b-256-bit-security.ja.srt", "3b1b-backprop-calculus.zh-Hans.srt"):
        result = transcript(name)
        cjk = r"[\u3040-\u30ff\u4e00-\u9fff、，。]"
        pairs = [(a.text, b.text) for a, b in zip(result.segments, result.segments[1:])
                 if re.match(cjk, a.text[-1]) and re.match(cjk, b.text[0])]
        assert len(pairs) > 20, name
        joined = "\n".join(p.text for p in result.paragraphs)
        assert all(a + b in joined or a + "\n" + b in joined for a, b in pairs), name


# --- brackets and parentheses ----------------------------------------------------------------


def test_bracketed_words_are_kept() -> None:
    assert "이 경우에, 벡터는 [3, 2]의 좌표를 갖는다." in text_of("3b1b-change-of-basis.ko.srt")
    portuguese = text_of("3b1b-epidemic-simulations.pt.srt")
    assert "[CONCLUSÃO CHAVE #1] A primeira grande lição" in portuguese and "[CONCLUSÃO CHAVE #2]" in portuguese


def test_capital_letter_parentheticals_are_kept() -> None:
    assert "הפורש(SPAN) הוא פשוט קו." in text_of("3b1b-span.he.srt")
    assert '稱作"特殊應用積體電路(ASIC)"' in text_of("3b1b-256-bit-security.zh-Hant.srt")
    french = text_of("3b1b-backprop-calculus.fr.srt")
    assert "notre poids w^(L)." in french and "de z^(L)" in french
    # A line that is only an abbreviation, and capitals with a space, are words too.
    korean = text_of("3b1b-convolutions.ko.srt")
    assert "세 가지 값의 작은 벡터로 생각합니다. (RGB)" in korean and "이산 푸리에 변환이라고 합니다. (DFT)" in korean
    assert 'une base de données "WHOIS" (QUI EST)' in text_of("3b1b-inscribed-rectangle.fr.srt")


def test_sound_cues_of_the_vocabulary_vanish_in_each_language() -> None:
    assert not any("Muziek" in s.text for s in segments("3b1b-clacks.nl.srt"))
    italian = segments("3b1b-dot-products.it.srt")
    assert italian[0].text.startswith("Tradizionalmente, i prodotti scalari")  # was "[Musica] Tradizionalmente"
    assert "[Risos]" not in text_of("3b1b-epidemic-simulations.pt.srt")
    spanish = text_of("webvtt-py-netflix-chicas-del-cable.es.vtt")
    for cue in ("ríen emocionadas", "grita con rabia", "dos disparos", "respiración jadeante", "[llora]", "truenos",
                "risita", "ríe suavemente", "solloza", "tartamudea", "ambas gritan", "lapicero cae"):
        assert cue not in spanish
    assert "Lo siento mucho." in spanish  # after "[tartamudea]"
    assert parse_captions((FIXTURES / "subtitles" / "wrolpi_example2.en.vtt").read_text(), "vtt") == []


# --- speakers --------------------------------------------------------------------------------


def test_bracketed_speaker_labels_become_named_speaker_changes() -> None:
    netflix = segments("webvtt-py-netflix-chicas-del-cable.es.vtt")
    assert (netflix[0].text, netflix[0].speaker_change) == ("Alba: En 1928, las mujeres éramos algo así como adornos"
                                                             [: len(netflix[0].text)], True)
    assert netflix[0].text.startswith("Alba: En 1928,")
    pedro = next(s for s in netflix if s.text.startswith("Pedro:"))
    assert pedro.speaker_change and pedro.text.startswith("Pedro: Lo haré cuando le digas a tu amiga")
    names = {s.text.split(":", 1)[0] for s in netflix if s.speaker_change and ":" in s.text[:20]}
    assert {"Alba", "Pedro", "Beltrán"} <= names


def test_a_webvtt_voice_is_named_when_it_changes() -> None:
    voices = segments("1c7-no-hour-voices.en.vtt")
    assert (voices[0].text, voices[0].speaker_change) == ("Roger Bingham: We are in New York City", True)
    assert [s.text for s in voices[1:3]] == ["We’re actually at the Lucern Hotel, just down the street",
                                             "from the American Museum of Natural History"]
    assert not any(s.speaker_change for s in voices[1:])


def test_capital_speaker_labels_start_a_speaker() -> None:
    # No file of the corpus has "MAN 2:" labels; the snippets are in youtube-transcript-api's shape.
    from pipeline.words.captions import clean_snippets

    got = clean_snippets([("MAN 2: Where were you?", 0.0, 1.0), ("NARRATOR: In 1928 women", 1.0, 1.0),
                          ("were ornaments.", 2.0, 1.0), ("Paso 1: mirar", 3.0, 1.0)])
    assert [(s.text, s.speaker_change) for s in got] == [
        ("MAN 2: Where were you?", True), ("NARRATOR: In 1928 women", True), ("were ornaments.", False),
        ("Paso 1: mirar", False)]


def test_dialogue_dashes_in_ttml_split_speakers_at_the_line_break() -> None:
    ttml = [(s.text, s.speaker_change) for s in segments("pysubs2-ttml-example2.en.ttml")]
    at = ttml.index(("Did he tell you what it was about?", True))
    assert ttml[at + 1] == ("He did", True)


# --- markup ----------------------------------------------------------------------------------


def test_ttml_line_break_is_a_space() -> None:
    text = text_of("pysubs2-ttml-example.en.ttml")
    assert "that the image formed on the Retina should be inverted?" in text


def test_ass_override_tags_and_breaks_are_removed() -> None:
    convolutions = segments("3b1b-convolutions.zh-Hans.srt")
    texts = [s.text for s in convolutions]
    assert "拿出两列不同的数组、" in texts and "卷积" in texts and "fftconvolve 函数" in texts
    assert not any("{" in t or "\\" in t or "pos(" in t for t in texts)
    span = text_of("3b1b-span.zh-Hans.srt")
    assert "还记得我曾说的 “线性代数" in span or "还记得我曾说的“线性代数" in span
    assert "\\N" not in span


def test_note_blocks_between_cues_are_comments() -> None:
    swedish = text_of("webvtt-py-comments.sv.vtt")
    assert "NOTE" not in swedish and "translate well" not in swedish and "Kyle" not in swedish
    assert "Det smakar som te." in swedish and "Ta en kopp" in swedish
    netflix = text_of("webvtt-py-netflix-chicas-del-cable.es.vtt")
    assert "SegmentIndex" not in netflix and "Netflix" not in netflix
    crash_course = text_of("1c7-contain-comment.en.vtt")  # a NOTE right after a cue's text
    assert "comment" not in crash_course
    assert "when your catering company is booked for 5 weekends straight, or when" in crash_course


def test_old_youtube_timed_text_xml_is_read_with_double_escapes() -> None:
    xml = transcript("youtube-transcript-dart.en.xml")
    assert xml.segments[0].text == "citizens of the world welcome to this"
    assert (xml.segments[0].start, xml.segments[1].start) == (0.56, 3.52)
    text = xml.text()
    assert "what's new so the free" in text and "they've now added" in text and "&#39;" not in text


# --- rolling auto captions -------------------------------------------------------------------


def test_rolling_duplicates_go_but_a_line_said_again_after_music_stays() -> None:
    """A real rolling auto-caption file, followed (as YouTube shows it) by a ``[Music]`` cue and
    the last line said once more: the repeat is a separate cue, not rolling overlap."""
    real = (FIXTURES / "subtitles" / "wrolpi_example1.en.vtt").read_text(encoding="utf-8")
    said_again = real.rstrip("\n") + (
        "\n\n00:00:30.000 --> 00:00:33.000 align:start position:0%\n[Music]\n"
        "\n00:00:33.000 --> 00:00:35.000 align:start position:0%\n[Music]\n"
        "company<00:00:33.500><c> called</c><00:00:33.900><c> le</c><00:00:34.100><c> code</c>"
        "<00:00:34.300><c> from</c><00:00:34.500><c> finland</c><00:00:34.700><c> and</c>\n")
    texts = [s.text for s in parse_captions(said_again, "vtt")]
    assert texts == [s.text for s in parse_captions(real, "vtt")] + ["company called le code from finland and"]
    assert texts.count("company called le code from finland and") == 2


def test_manual_captions_keep_separate_short_repeats() -> None:
    english = text_of("3b1b-ldm-quadratic.en.srt")
    assert "Does three go into it? No. Five? No." in english
