"""Reading caption files: encodings, unreadable files, bad tracks beside good ones, size caps.

Real files from tests/fixtures/captions/ and tests/fixtures/videos/ (the JjQDik3yNhA info.json
with a real rolling auto-caption VTT beside it).
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.errors import InputTooLarge, NoTranscript, NotARegularFile
from pipeline.sources.fetch import FetchOptions, fetch
from pipeline.shapes import Metadata, VideoRef
from pipeline.sites.youtube.urls import canonical_url
from pipeline.store import Store
from pipeline.words.textfiles import TextFileError, decode
from pipeline.words.transcripts import from_subtitle_file
from tests.conftest import FIXTURES, video_dir_with

CAPTIONS = FIXTURES / "captions"
VIDEO = "JjQDik3yNhA"


def user_file(path: Path, config: Config | None = None):
    return from_subtitle_file(path, Metadata(id=VIDEO), config or Config())


# --- encodings -----------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "encoding", "words"), [
    ("pysrt-bom-utf-16-le.en.srt", "utf-16", "About 2 months ago I found myself on the comment section of YouTube"),
    ("pysrt-windows-1252.fr.srt", "cp1252", "CE FILM RELATE DES ÉVÉNEMENTS QUI ONT EXISTÉ."),
    ("subtitleedit-auto-detect.hr.cp1250.srt", "cp1250", "Đino, dođavola. Dolazi ovamo!"),
    ("subtitleedit-auto-detect.sr.cp1251.srt", "cp1251", "Из зоре времена долазимо,"),
    ("subtitleedit-auto-detect.da.srt", "utf-8-sig", "Peter Bishop, og hans far Walter Bishop."),
    ("3b1b-moser.fr.latin1-crlf.srt", "cp1252", "à"),
    ("3b1b-clacks.zh-Hans.gb18030.srt", "gb18030", "数学和物理时常会在以令人惊讶的和谐中协力合作。"),
    ("3b1b-hardest-problem.zh-Hant.big5.srt", "big5", "你們聽過普特南 (Putnam) 競賽嗎？"),
    ("3b1b-eola-preview.ja.cp932.srt", "cp932", "線型代数ほど基本的な理論はない"),
    ("subshare-charlotte-01-tucaptions.zh-Hant.ass", "utf-8", "見渡せる場所に 今朝は辿り着く"),
    ("subshare-charlotte-01-dhr.zh-Hant.big5hkscs.ass", "big5hkscs", "雖然曾經有個哲學家說過「我思故我在」"),
    ("subshare-ashita-no-joe-01.zh-Hans.utf8bom-crlf.ass", "utf-8-sig", "有事的话就别躲躲藏藏快点出来"),
    ("subshare-charlotte-05-flsnow.ja.cp932.ass", "cp932", "(男子生徒)昨日 ラジオ聞いたよ｡"),
    ("cpm0722-zero-no-tsukaima.ko.cp949.smi", "cp949", "이 운명에 마법을 건 네가 갑자기"),
    ("cpm0722-kamisama-ni-natta-hi.ko.utf16.smi", "utf-16", "수많은 보석을 담아넣은 보물상자 같은 추억이 되었다!"),
    ("cpm0722-railgun-02.ko.smi", "utf-8-sig", "이번엔 안 놓친다"),
    ("mantas-done-nova.en.smi", "utf-8", "When we think of E equals m c-squared,"),
    ("ndeloof-docker-securite.fr.sbv", "utf-8", "quand on parle de conteneurs de deux coeurs inévitablement"),
    ("zhanyanjie-smart-medicine.zh-Hant.sbv", "utf-8", "我是臺北榮民總醫院院長許惠恒醫師"),
    # Shift_JIS that charset-normalizer finds too messy: the language's code page reads it.
    ("ken-kichi-weekly-report.ja.cp932.sbv", "cp932", "生成AIで週報を書いてもレビューで手直しになる"),
    ("bbmusic-test.zh-Hans.cp936.lrc", "gb18030", "谁欠了谁的地老天荒"),
    ("flasher-zui-jia-sun-you.zh-Hans.lrc", "utf-8-sig", "朋友 我当你一秒朋友"),
    ("liblyric-word-stamps.en.lrc", "utf-8", "Line 1 Line 2 line 2"),
])
def test_caption_files_in_other_encodings_are_read_and_the_encoding_recorded(name: str, encoding: str,
                                                                             words: str) -> None:
    transcript = user_file(CAPTIONS / name)
    assert transcript.encoding == encoding
    assert words in transcript.text()
    assert "\ufffd" not in transcript.text() and "\r" not in transcript.text()


def test_a_fansub_keeps_its_lines_once_without_drawings_or_comment_lines() -> None:
    text = user_file(CAPTIONS / "subshare-charlotte-01-tucaptions.zh-Hant.ass").text()
    # Each ending line is drawn three times (two borders and the fill): it is read once.
    assert text.count("見渡せる場所に") == 1 and text.count("今朝抵達了那 能一覽無遺的地方") == 1
    # The animated sign shows its words four times, at four times: the file says them four times.
    assert text.count("我等你") == 4
    assert "m -115 -24" not in text and "m 0 0 l 235" not in text  # vector drawings, closed or not
    assert not {"<ED>", "staff", "effect"} & set(text.split())  # Comment: lines
    assert "The subtitles is edited by TUcaptions. Thanks for your watching." in text


def test_a_sami_file_gives_the_class_of_the_preferred_language(tmp_path: Path) -> None:
    # Two classes in one file, as Korean-English SAMI files hold them.
    (tmp_path / "movie.smi").write_bytes((
        "<SAMI><HEAD><STYLE TYPE=\"text/css\"><!--\n"
        ".KRCC { Name:Korean; lang:ko-KR; SAMIType:CC; }\n.ENCC { Name:English; lang:en-US; SAMIType:CC; }\n"
        "--></STYLE></HEAD><BODY>\n"
        "<SYNC Start=1000><P Class=KRCC>안녕하세요<br>반갑습니다\n<P Class=ENCC>Hello<br>Nice to meet you\n"
        "<SYNC Start=4000><P Class=KRCC>&nbsp;\n<P Class=ENCC>&nbsp;\n"
        "<SYNC Start=5500><P Class=KRCC>날씨가 좋네요\n<P Class=ENCC>What nice weather\n"
        "</BODY></SAMI>\n").encode("cp949"))
    english = user_file(tmp_path / "movie.smi", Config(transcript={"languages": ["en"]}))
    assert english.language == "en" and english.text() == "Hello Nice to meet you What nice weather"
    assert [(s.start, s.end) for s in english.segments] == [(1.0, 4.0), (5.5, 5.5)]  # &nbsp; ends a cue
    korean = user_file(tmp_path / "movie.smi", Config(transcript={"languages": ["ko", "en"]}))
    assert korean.language == "ko" and korean.text() == "안녕하세요 반갑습니다 날씨가 좋네요"
    assert korean.encoding == "cp949"
    # Without a <STYLE>, the classes' names say their languages; none asked for: the most text.
    bare = (tmp_path / "movie.smi").read_bytes().decode("cp949").split("<BODY>", 1)[1]
    (tmp_path / "bare.smi").write_text("<SAMI><BODY>" + bare, encoding="utf-8")
    assert user_file(tmp_path / "bare.smi", Config(transcript={"languages": ["en"]})).language == "en"
    fallback = user_file(tmp_path / "bare.smi", Config(transcript={"languages": ["fr"]}))
    assert fallback.language == "en" and fallback.text().startswith("Hello")


@pytest.mark.parametrize(("content", "says"), [
    # An ASS file's "[Script Info]" and an LRC file's "[ti:]" both start with "[": not JSON.
    ("[Script Info]\nTitle: x\nScriptType: v4.00+\n", "an ASS/SSA file without any Dialogue: line"),
    ("[ti:Title]\n[ar:Artist]\n[al:Album]\n", "a lyric file with tags ([ti:], [ar:]) but no time-stamped"),
    ("[General]\nkey=value\n", "text beginning '[General]'"),
    ('[{"id": 1}]', "a JSON file that is none of SRT"),
    ("<?xml version='1.0'?>\n<rss version='2.0'><channel/></rss>", "an XML file (<rss>) that is none of"),
])
def test_a_file_that_is_none_of_the_formats_is_named_for_what_it_looks_like(tmp_path: Path, content: str,
                                                                             says: str) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(NoTranscript, match=re.escape(says)):
        user_file(path)


def test_the_language_in_the_name_settles_a_code_page_tie() -> None:
    # All-capital French reads as cleanly in Windows-1257 ("Slovene") as in Windows-1252.
    data = (CAPTIONS / "pysrt-windows-1252.fr.srt").read_bytes()
    assert decode(data, "fr").encoding == "cp1252"
    assert "ÉVÉNEMENTS" in decode(data, "fr").text


def test_utf16_without_a_byte_order_mark_and_binary_files() -> None:
    data = (CAPTIONS / "pysrt-bom-utf-16-le.en.srt").read_bytes()[2:]
    assert "About 2 months ago" in decode(data).text
    with pytest.raises(TextFileError, match="binary"):
        decode(gzip.compress((CAPTIONS / "3b1b-clacks.ru.srt").read_bytes(), mtime=0))


def test_transcript_json_records_the_encoding(tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, VIDEO)
    ref = VideoRef(video_id=VIDEO, url=canonical_url(VIDEO), info_path=videos / f"{VIDEO}.info.json")
    store = Store(tmp_path / "output")
    fetch(ref, Config(), store, options=FetchOptions(subtitles=CAPTIONS / "subtitleedit-auto-detect.sr.cp1251.srt"))
    saved = store.read(VIDEO, "transcript")
    assert saved["encoding"] == "cp1251" and saved["source"] == "user-subtitles" and saved["language"] == "sr"
    assert "Из зоре времена долазимо," in saved["paragraphs"][0]["text"]


# --- --subtitles FILE failures ----------------------------------------------------------------


def test_a_file_that_is_not_captions_is_no_transcript_with_the_reason() -> None:
    text_file = FIXTURES / "misc" / "xzebbzIntFc.lennys-podcast.transcript.md.txt"
    with pytest.raises(NoTranscript) as caught:
        user_file(text_file)
    message = str(caught.value)
    assert caught.value.cause == "no_transcript" and caught.value.video_id == VIDEO
    assert message.startswith(f"{VIDEO}: --subtitles {text_file}: not a caption file")
    assert "SRT, WebVTT" in message and "--allow-description" in message and "\n" not in message


def test_the_command_line_gives_one_line_and_the_cause(cli, tmp_path: Path) -> None:
    info = video_dir_with(tmp_path, VIDEO) / f"{VIDEO}.info.json"
    text_file = FIXTURES / "misc" / "xzebbzIntFc.lennys-podcast.transcript.md.txt"
    failed = cli("fetch", str(info), "--subtitles", str(text_file))
    assert failed.code == 1 and "Traceback" not in failed.stderr
    errors = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {VIDEO}: --subtitles {text_file}: not a caption file: text that is none of SRT, "
                      "WebVTT, ASS/SSA, SAMI, SBV, LRC, json3, srv1/srv2/srv3, TTML, Bilibili subtitle JSON or "
                      "YouTube timed-text XML; "
                      "give a caption file, or pass --allow-description"]
    assert "no_transcript: 1" in cli("status").stdout
    done = cli("fetch", str(info), "--subtitles", str(CAPTIONS / "pysrt-bom-utf-16-le.en.srt"))
    assert done.code == 0, done.stderr


def test_binary_empty_and_missing_files_are_no_transcript(tmp_path: Path) -> None:
    packed = tmp_path / "captions.en.srt"
    packed.write_bytes(gzip.compress((CAPTIONS / "3b1b-clacks.ru.srt").read_bytes(), mtime=0))
    with pytest.raises(NoTranscript, match=r"captions\.en\.srt: binary"):
        user_file(packed)
    with pytest.raises(NoTranscript, match="no words in it"):
        user_file(FIXTURES / "subtitles" / "wrolpi_example2.en.vtt")  # only (YAWNS), (EPIC MUSIC), ...
    with pytest.raises(NoTranscript, match="no such file"):
        user_file(tmp_path / "missing.srt")


def test_a_link_to_dev_zero_and_an_oversized_file_are_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.en.srt"
    os.symlink("/dev/zero", link)
    with pytest.raises(NotARegularFile, match="not a regular file") as caught:
        user_file(link)
    assert caught.value.cause == "not_a_file" and str(caught.value).startswith(f"{VIDEO}: --subtitles ")
    big = CAPTIONS / "webvtt-py-netflix-chicas-del-cable.es.vtt"  # 41 kB
    with pytest.raises(InputTooLarge, match=r"over max_input_mb \(0\.01 MB\)") as too_big:
        user_file(big, Config(max_input_mb=0.01))
    assert too_big.value.cause == "input_too_large"


# --- tracks beside an info.json ---------------------------------------------------------------


def fetch_local(tmp_path: Path, config: Config | None = None) -> dict:
    ref = VideoRef(video_id=VIDEO, url=canonical_url(VIDEO), info_path=tmp_path / "videos" / f"{VIDEO}.info.json")
    store = Store(tmp_path / "output")
    fetch(ref, config or Config(), store)
    return store.read(VIDEO, "transcript")


def test_a_bad_json3_beside_a_good_vtt_is_skipped_with_a_warning(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    videos = video_dir_with(tmp_path, VIDEO)
    # A JSON array (a playlist listing) saved under a json3 name: json3 is tried before vtt.
    (videos / f"{VIDEO}.en.json3").write_bytes((FIXTURES / "ytdlp-info" /
                                                "PL7D89754A5DAD1E8E.flat-playlist-entries.json").read_bytes())
    transcript = fetch_local(tmp_path)
    assert transcript["track"] == f"{VIDEO}.en.vtt"
    assert transcript["paragraphs"][0]["text"].startswith("okay welcome to this session")
    assert transcript["notes"] == [
        f'skipped subtitle track {VIDEO}.en.json3: not a json3 caption file (no "events" list)']
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warned == [f'{VIDEO}: subtitle track {VIDEO}.en.json3 skipped: not a json3 caption file (no "events" list)']


def test_no_readable_track_fails_naming_each_file_and_why(tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, VIDEO)
    (videos / f"{VIDEO}.en.vtt").unlink()
    os.symlink("/dev/zero", videos / f"{VIDEO}.en.vtt")
    (videos / f"{VIDEO}.en.json3").write_text("[]", encoding="utf-8")
    page = (FIXTURES / "transcript-api" / "youtube.html.static").read_bytes()  # an error page saved as captions
    (videos / f"{VIDEO}.xml").write_bytes(page)
    (videos / f"{VIDEO}.en.srv3").write_bytes(page)
    with pytest.raises(NoTranscript) as caught:
        fetch_local(tmp_path)
    message = str(caught.value)
    assert f"{VIDEO}.en.json3: not a json3 caption file" in message
    assert f"{VIDEO}.en.vtt: not a regular file" in message
    assert f"{VIDEO}.en.srv3: an XML file without timed <p> or <text> captions" in message
    assert f"{VIDEO}.xml: not a caption file: an HTML page that is none of SRT, WebVTT" in message
    assert "--subtitles FILE" in message and "--allow-description" in message and "\n" not in message


def test_an_oversized_track_is_skipped_and_named(tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, VIDEO)  # its info.json is 0.49 MB
    (videos / f"{VIDEO}.en.vtt").unlink()
    podcast = (FIXTURES / "subtitles" / "cdiD-9MMpb0.en-US.downsub.srt").read_bytes()
    (videos / f"{VIDEO}.en.srt").write_bytes(podcast + b"\n" + podcast)  # 0.83 MB of real captions
    with pytest.raises(NoTranscript, match=rf"{VIDEO}\.en\.srt: 0\.8 MB is over max_input_mb \(0\.6 MB\)"):
        fetch_local(tmp_path, Config(max_input_mb=0.6))


def test_sami_sbv_ass_and_lrc_files_beside_the_info_json_are_found(tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, VIDEO)
    (videos / f"{VIDEO}.en.vtt").unlink()
    (videos / f"{VIDEO}.smi").write_bytes((CAPTIONS / "cpm0722-zero-no-tsukaima.ko.cp949.smi").read_bytes())
    transcript = fetch_local(tmp_path)
    # No language in the name: the SAMI class (KRCC, lang:ko-KR) says it.
    assert (transcript["track"], transcript["language"], transcript["encoding"]) == (f"{VIDEO}.smi", "ko", "cp949")
    assert "첫키스로 시작하는" in transcript["paragraphs"][0]["text"]
    (videos / f"{VIDEO}.smi").unlink()
    for ext, name in (("fr.sbv", "ndeloof-docker-securite.fr.sbv"),
                      ("zh-Hant.ass", "subshare-charlotte-01-tucaptions.zh-Hant.ass"),
                      ("zh-Hans.lrc", "flasher-zui-jia-sun-you.zh-Hans.lrc"),
                      ("ssa", "subshare-ashita-no-joe-01.zh-Hans.utf8bom-crlf.ass")):
        beside = videos / f"{VIDEO}.{ext}"
        beside.write_bytes((CAPTIONS / name).read_bytes())
        assert fetch_local(tmp_path)["track"] == beside.name
        beside.unlink()


def test_old_timed_text_xml_without_a_language_in_its_name_is_found(tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, VIDEO)
    (videos / f"{VIDEO}.en.vtt").unlink()
    (videos / f"{VIDEO}.xml").write_bytes((CAPTIONS / "youtube-transcript-dart.en.xml").read_bytes())
    transcript = fetch_local(tmp_path)
    assert transcript["track"] == f"{VIDEO}.xml" and transcript["language"] == "en"  # the info.json's
    assert transcript["paragraphs"][0]["text"].startswith("citizens of the world welcome to this")


def test_a_track_whose_words_yt_dlp_kept_inline_in_its_listing_is_read(tmp_path: Path) -> None:
    """yt-dlp's Bilibili extractor lists its subtitles with the text itself (``data``, no URL),
    and the info.json it writes keeps them so: those words are the video's, offline."""
    from pipeline.config import Config
    from pipeline.sites.ytdlp import metadata_from_info
    from pipeline.words.transcripts import from_subtitle_tracks

    info = {"id": "BV1ai411Z7aQ", "title": "人工智能", "subtitles": {
        "danmaku": [{"ext": "xml", "url": "https://comment.bilibili.com/1.xml"}],
        "ai-zh": [{"ext": "srt", "data": "1\n00:00:01,000 --> 00:00:03,000\n大家好\n\n2\n00:00:03,000 --> 00:00:05,000\n今天讲人工智能\n"}]}}
    meta = metadata_from_info(info, origin="info.json", languages=["zh"])
    transcript = from_subtitle_tracks(meta, Config())
    assert transcript is not None and "今天讲人工智能" in " ".join(p.text for p in transcript.paragraphs)
