"""The caption-fidelity benchmark's targets, asserted on the whole corpus (benchmarks/captions.py).

The reference words come from the benchmark's own reader (xml.etree, json, a line reader)
and the encodings recorded in the provenance, not from the pipeline's parser or cleaner.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks.captions import (
    CORPUS,
    PODCAST_CORPUS,
    MAX_DUPLICATION,
    MIN_RECALL_FILE,
    MIN_RECALL_OVERALL,
    Entry,
    measure,
    measure_podcast,
    overall,
    reference_lines,
    words,
)
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def results():
    return [measure(entry) for entry in CORPUS]


def test_corpus_covers_languages_formats_and_encodings() -> None:
    languages = {e.language for e in CORPUS}
    assert {"zh-Hans", "zh-Hant", "ja", "ko", "ru", "es", "fr", "en"} <= languages
    assert languages & {"ar", "he", "fa"}  # right to left
    assert len({lang.split("-")[0] for lang in languages}) >= 10
    assert {"srt", "vtt", "json3", "srv3", "ttml", "transcript-xml", "ass", "sami", "sbv", "lrc", "bilibili-json"} <= {
        e.fmt for e in CORPUS}
    assert any(e.rolling and e.fmt == "vtt" for e in CORPUS) and any(e.rolling and e.fmt == "srt" for e in CORPUS)
    assert {"utf-8-sig", "utf-16", "cp1252", "latin-1", "cp1250", "cp1251", "gb18030", "big5", "cp932", "cp949",
            "gbk", "big5hkscs"} <= {e.encoding for e in CORPUS}
    # Each new format in more than one language and encoding.
    for fmt in ("ass", "sami", "sbv", "lrc"):
        assert len({(e.language, e.encoding) for e in CORPUS if e.fmt == fmt}) >= 3, fmt
    assert len(CORPUS) >= 30


def test_every_corpus_file_is_traced() -> None:
    traced = "".join((FIXTURES / folder / "PROVENANCE.md").read_text(encoding="utf-8")
                     for folder in ("captions", "subtitles", "bilibili"))
    on_disk = {p.name for p in (FIXTURES / "captions").iterdir() if p.name != "PROVENANCE.md"}
    assert on_disk == {Path(e.path).name for e in CORPUS if e.path.startswith("captions/")}
    for entry in CORPUS:
        rows = " ".join(line for line in traced.splitlines() if f"`{Path(entry.path).name}`" in line)
        assert re.search(r"\b[0-9a-f]{40}\b", rows), entry.path  # the commit it was taken from
        assert re.search(r"MIT|GPL|Apache|WTFPL|none stated", rows), entry.path  # its licence


def test_no_file_fails_and_recall_and_duplication_meet_the_targets(results) -> None:
    assert [r.entry.path for r in results if r.error] == []
    low = {r.entry.path: round(r.recall, 4) for r in results if r.recall < MIN_RECALL_FILE}
    assert low == {}
    duplicated = {r.entry.path: round(r.duplication, 4) for r in results if r.duplication > MAX_DUPLICATION}
    assert duplicated == {}
    recall, _ = overall(results)
    assert recall >= MIN_RECALL_OVERALL


def test_rolling_captions_come_out_once(results) -> None:
    for r in results:
        if r.entry.rolling:
            assert 0.98 <= r.duplication <= MAX_DUPLICATION, r.entry.path


def test_the_encoding_found_is_recorded(results) -> None:
    found = {Path(r.entry.path).name: r.encoding for r in results}
    assert found["pysrt-bom-utf-16-le.en.srt"] == "utf-16"
    assert found["subtitleedit-auto-detect.hr.cp1250.srt"] == "cp1250"
    assert found["subtitleedit-auto-detect.sr.cp1251.srt"] == "cp1251"
    assert found["pysrt-windows-1252.fr.srt"] == "cp1252"
    assert found["subtitleedit-auto-detect.da.srt"] == "utf-8-sig"
    # Latin-1 without bytes 0x80-0x9f reads the same as Windows-1252, its superset.
    assert found["3b1b-moser.fr.latin1-crlf.srt"] in ("cp1252", "latin_1")
    assert found["3b1b-clacks.ru.srt"] == "utf-8"


def test_the_reference_reader_sees_what_the_benchmark_must_count() -> None:
    """The measure can fail: the reference keeps words the old cleaner lost."""
    korean = Entry("captions/3b1b-change-of-basis.ko.srt", "ko", "srt", "utf-8")
    assert "이 경우에, 벡터는 [3, 2]의 좌표를 갖는다." in reference_lines(korean)
    netflix = Entry("captions/webvtt-py-netflix-chicas-del-cable.es.vtt", "es", "vtt", "utf-8")
    lines = reference_lines(netflix)
    assert "[Alba] En 1928," in lines and not any("ríen emocionadas" in line for line in lines)
    assert words("GPT 是缩写。w^(L)，[3, 2]") == ["gpt", "是", "缩", "写", "w", "l", "3", "2"]


def test_the_reference_readers_of_ass_sami_sbv_and_lrc() -> None:
    """What each new reader counts: the measure fails when the pipeline drops or adds these."""
    fansub = reference_lines(Entry("captions/subshare-charlotte-01-tucaptions.zh-Hant.ass", "zh-Hant", "ass",
                                   "utf-8"))
    assert fansub.count("見渡せる場所に 今朝は辿り着く") == 1  # drawn three times, shown once
    assert fansub.count("我等你") == 4 and not any("m -115" in line or "<ED>" in line for line in fansub)
    assert "The subtitles is edited by TUcaptions." in fansub
    korean = reference_lines(Entry("captions/cpm0722-zero-no-tsukaima.ko.cp949.smi", "ko", "sami", "cp949"))
    assert korean[:2] == ["First kissから始まる", "첫키스로 시작하는"]
    assert not any("제작자" in line for line in korean)  # the comment in the body
    lyrics = reference_lines(Entry("captions/liblyric-word-stamps.en.lrc", "en", "lrc", "utf-8"))
    assert lyrics == ["Line 1", "Line 2 line 2"]  # no [ti:] tags, no <00:02.50> word stamps
    french = reference_lines(Entry("captions/ndeloof-docker-securite.fr.sbv", "fr", "sbv", "utf-8"))
    assert french[:2] == ["pour cette nouvelle vidéo avec l'apport", "d'un soutien que vous m'avez hurlements"]


def test_bilibili_subtitle_json_keeps_every_word(results) -> None:
    bilibili = {r.entry.path: (r.recall, r.duplication) for r in results if r.entry.fmt == "bilibili-json"}
    assert len(bilibili) >= 3 and all(value == (1.0, 1.0) for value in bilibili.values()), bilibili


def test_every_podcast_transcript_type_keeps_every_word_and_each_turn_of_speakers() -> None:
    results = [measure_podcast(entry) for entry in PODCAST_CORPUS]
    assert {"text/vtt", "application/x-subrip", "application/json", "text/html", "text/plain"} <= {
        r.entry.fmt for r in results}
    for r in results:
        assert not r.error and r.recall >= MIN_RECALL_OVERALL, (r.entry.path, r.error, r.recall)
        assert r.duplication <= MAX_DUPLICATION, (r.entry.path, r.duplication)
        assert r.turns and r.speakers == r.turns, r.entry.path  # every turn, and no name left as a word
        assert len(set(r.turns)) >= 2, r.entry.path


def test_the_podcast_reference_reader_sees_the_speakers_turns() -> None:
    """The measure can fail: a reader that lost a voice or kept a label as text would differ."""
    by_kind = {e.kind: measure_podcast(e) for e in PODCAST_CORPUS}
    assert by_kind["text/vtt"].turns == ["Sarah", "Gillian"]
    assert by_kind["application/json"].turns == ["Darth Vader", "Luke"]
    assert by_kind["application/x-subrip"].turns == by_kind["text/html"].turns == by_kind["text/plain"].turns
    assert by_kind["text/html"].turns[:4] == ["Travis", "Sarah", "Travis", "Gilon"]
    # The names are not counted as words of the text: the pipeline must not leave them in it.
    assert all(r.transcript_words == r.caption_words for r in by_kind.values())
