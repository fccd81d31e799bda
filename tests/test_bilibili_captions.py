"""Bilibili's own caption files offline: the subtitle JSON (``body: [{from, to, content}]``) is
read with every word, and the danmaku track (viewers' comments, ``<i><d p=…>``) never becomes
a transcript. Real files: ``tests/fixtures/bilibili/PROVENANCE.md``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.errors import NoTranscript
from pipeline.shapes import Metadata, VideoRef
from pipeline.words.caption_formats import CaptionFormatError, detect_format, read_cues
from pipeline.sources.fetch import fetch
from pipeline.words.transcripts import from_subtitle_file, from_subtitle_tracks
from pipeline.store import Store
from tests.conftest import FIXTURES

BILIBILI = FIXTURES / "bilibili"
AI_ZH = BILIBILI / "BV1Dfpfz4E8A.ai-zh.json"
DANMAKU = BILIBILI / "av80976236.danmaku.xml"
BV = "BV1Dfpfz4E8A"


def body_contents(path: Path) -> list[str]:
    return [cue["content"] for cue in json.loads(path.read_text(encoding="utf-8"))["body"]]


# --- the subtitle JSON --------------------------------------------------------------------------


def test_bilibili_subtitle_json_is_known_by_its_content_and_by_bcc() -> None:
    text = AI_ZH.read_text(encoding="utf-8")
    assert detect_format(AI_ZH.name, text) == "bilibili-json"
    assert detect_format("BV1Dfpfz4E8A.zh-CN.bcc", text) == "bilibili-json"
    assert detect_format("subtitle.txt", text) == "bilibili-json"


def test_every_cue_of_a_real_ai_subtitle_is_read_in_order_with_its_language() -> None:
    cues, language = read_cues(AI_ZH.read_text(encoding="utf-8"), "bilibili-json")
    assert [" ".join(lines) for _, _, lines in cues] == body_contents(AI_ZH)
    assert cues[0][:2] == (0.12, 0.8) and cues[2][:2] == (1.72, 4.4)
    assert language == "zh"  # the file's own "lang"


def test_the_subtitle_json_as_subtitles_file_gives_every_word() -> None:
    transcript = from_subtitle_file(AI_ZH, Metadata(id=BV), Config())
    text = transcript.text()
    position = 0
    for content in body_contents(AI_ZH):  # each cue's words, in the order they were said
        position = text.index(content, position) + len(content)
    assert transcript.language == "zh" and transcript.source == "user-subtitles"


def test_traditional_subtitle_json_is_converted_where_configured(tmp_path: Path) -> None:
    data = json.loads(AI_ZH.read_text(encoding="utf-8"))
    data["body"] = [dict(data["body"][0], content="我們在這裡說話")]
    data["lang"] = "zh-Hant"
    path = tmp_path / f"{BV}.zh-Hant.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    transcript = from_subtitle_file(path, Metadata(id=BV), Config(transcript={"convert_chinese": "zh-Hans"}))
    assert transcript.text() == "我们在这里说话" and transcript.language == "zh-Hans"


@pytest.mark.parametrize(("body", "reason"), [
    ('{"body": {"from": 1}}', 'not a Bilibili subtitle file ("body" is not a list of cues)'),
    ('{"body": [{"from": 1, "to": 2}]}', 'not a Bilibili subtitle file (a cue has no "content")'),
    ('{"body": [{"from": "x", "to": 2, "content": "a"}]}', "bad from 'x'"),
])
def test_a_broken_subtitle_json_says_what_is_wrong(body: str, reason: str) -> None:
    with pytest.raises(CaptionFormatError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        read_cues(body, "bilibili-json")


# --- danmaku ----------------------------------------------------------------------------------


def bilibili_video(tmp_path: Path, *, with_words: bool) -> Path:
    """A folder as yt-dlp leaves it for a Bilibili video: the info.json, the danmaku XML, and
    (with_words) the AI subtitles as the SRT yt-dlp converts them to."""
    videos = tmp_path / "videos"
    videos.mkdir()
    danmaku = {"ext": "xml", "url": "https://comment.bilibili.com/1.xml"}
    subtitles: dict[str, list[dict[str, str]]] = {"danmaku": [danmaku]}
    shutil.copyfile(DANMAKU, videos / f"{BV}.danmaku.xml")
    if with_words:
        subtitles["ai-zh"] = [{"ext": "srt"}]
        cues = json.loads(AI_ZH.read_text(encoding="utf-8"))["body"][:5]
        srt = "".join(f"{n}\n00:00:{c['from']:06.3f} --> 00:00:{c['to']:06.3f}\n{c['content']}\n\n".replace(".", ",")
                      for n, c in enumerate(cues, 1))
        (videos / f"{BV}.ai-zh.srt").write_text(srt, encoding="utf-8")
    info = {"id": BV, "title": "第四十四天：两天从上海骑到杭州上", "extractor_key": "BiliBili",
            "webpage_url": f"https://www.bilibili.com/video/{BV}", "upload_date": "20250919",
            "subtitles": subtitles}
    (videos / f"{BV}.info.json").write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    return videos / f"{BV}.info.json"


def bilibili_part(tmp_path: Path, **info: object) -> Path:
    """``bilibili_video``'s folder as yt-dlp leaves it for the video's second part (its id
    ``BV…_p2``, its title ``<video> p02 <part>``), with ``info`` added to its info.json."""
    whole = bilibili_video(tmp_path, with_words=True)
    data = json.loads(whole.read_text(encoding="utf-8"))
    part = f"{BV}_p2"
    data.update(id=part, title="王师傅的日记：第一季 p02 两天从上海骑到杭州上", webpage_url=f"https://www.bilibili.com/video/{BV}?p=2",
                **info)
    for path in list(whole.parent.iterdir()):
        path.rename(path.with_name(path.name.replace(BV, part)))
    (whole.parent / f"{part}.info.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return whole.parent / f"{part}.info.json"


def test_the_danmaku_beside_an_info_json_is_never_the_transcript(tmp_path: Path) -> None:
    info = bilibili_video(tmp_path, with_words=True)
    meta = Metadata(id=BV, info_path=str(info), subtitles={"danmaku": [{"ext": "xml", "url": "https://x/1.xml"}],
                                                            "ai-zh": [{"ext": "srt"}]})
    for languages in (["zh"], ["danmaku"], []):
        transcript = from_subtitle_tracks(meta, Config(transcript={"languages": languages}), online=True,
                                          download=lambda url, max_mb: DANMAKU.read_bytes())
        assert transcript is not None and transcript.track == f"{BV}.ai-zh.srt"
        assert "王师傅" in transcript.text() and "胡渐彪" not in transcript.text()
        assert not any("danmaku" in note for note in transcript.notes)


def test_a_video_with_only_danmaku_fails_saying_so_in_one_line(tmp_path: Path) -> None:
    info = bilibili_video(tmp_path, with_words=False)
    store = Store(tmp_path / "output")
    ref = VideoRef(video_id=BV, url=f"https://www.bilibili.com/video/{BV}", info_path=info)
    with pytest.raises(NoTranscript) as caught:
        fetch(ref, Config(), store)
    message = str(caught.value)
    assert f"{BV}.danmaku.xml: only danmaku (viewers' comments), no subtitles" in message
    assert "none of SRT" not in message and "XML file" not in message and "\n" not in message


def test_a_danmaku_file_given_as_subtitles_is_named_for_what_it_is() -> None:
    with pytest.raises(NoTranscript) as caught:
        from_subtitle_file(DANMAKU, Metadata(id="av80976236"), Config())
    assert str(caught.value).startswith(
        f"av80976236: --subtitles {DANMAKU}: only danmaku (viewers' comments), no subtitles; give a caption file")


def test_the_command_line_names_the_danmaku_only_video_in_one_line_and_exits_1(cli, tmp_path: Path) -> None:
    info = bilibili_video(tmp_path, with_words=False)
    failed = cli("fetch", str(info.parent))  # the folder of yt-dlp's files
    assert failed.code == 1 and "Traceback" not in failed.stderr
    errors = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].endswith(
        f": no transcript (no readable subtitle track: {BV}.danmaku.xml: only danmaku (viewers' comments), no "
        "subtitles); enable speech recognition with asr.backend in config.yaml (endpoint or local), or pass "
        "--subtitles FILE or --allow-description")
    assert "no_transcript: 1" in cli("status").stdout


# --- which track: CC before AI, the video's own language first -----------------------------------


def srt_of(path: Path, count: int = 5) -> str:
    """The first cues of a Bilibili subtitle JSON as the SRT yt-dlp converts it to."""
    cues = json.loads(path.read_text(encoding="utf-8"))["body"][:count]
    return "".join(f"{n}\n00:00:{c['from']:06.3f} --> 00:00:{c['to']:06.3f}\n{c['content']}\n\n".replace(".", ",")
                   for n, c in enumerate(cues, 1))


def listing(**tracks: str) -> Metadata:
    """A Bilibili video as yt-dlp lists it: every track among ``subtitles``, its text inline."""
    from pipeline.sites.ytdlp import metadata_from_info

    subtitles = {lang.replace("_", "-"): [{"ext": "srt", "data": data}] for lang, data in tracks.items()}
    info = {"id": BV, "title": "第四十四天：两天从上海骑到杭州上", "extractor_key": "BiliBili",
            "subtitles": {"danmaku": [{"ext": "xml", "url": "https://comment.bilibili.com/1.xml"}], **subtitles}}
    return metadata_from_info(info, origin="yt-dlp", languages=[])


ENGLISH = (FIXTURES / "captions" / "3b1b-ldm-quadratic.en.srt").read_text(encoding="utf-8")  # another video's words


def test_the_uploaders_subtitles_come_before_the_ai_ones_and_the_videos_own_language_first() -> None:
    day1 = srt_of(BILIBILI / "rider-day001.ai-zh.json")
    ai = srt_of(AI_ZH)
    # The uploader's CC subtitles (zh-CN) before the AI ones, wherever the listing puts them.
    chosen = from_subtitle_tracks(listing(ai_zh=ai, zh_CN=day1), Config())
    assert chosen is not None and chosen.track == "zh-CN.srt" and chosen.source == "yt-dlp-subtitles"
    # Without transcript.languages: a Chinese title's video is Chinese, so ai-zh before ai-en (a translation).
    chosen = from_subtitle_tracks(listing(ai_en=ENGLISH, ai_zh=ai), Config())
    assert chosen is not None and chosen.track == "ai-zh.srt" and chosen.language == "zh" and chosen.is_generated
    # transcript.languages decides when it is set.
    chosen = from_subtitle_tracks(listing(ai_zh=ai, ai_en=ENGLISH), Config(transcript={"languages": ["en"]}))
    assert chosen is not None and chosen.track == "ai-en.srt" and chosen.language == "en"


def test_a_folder_of_a_parts_files_gives_a_draft_named_by_the_part_with_every_word(cli, tmp_path: Path) -> None:
    """Offline, a part of a multi-part video (yt-dlp's id ``BV…_p2``, title ``<video> p02 <part>``):
    its draft is named by the part's name in pinyin, has every word of its AI subtitles and none of
    the danmaku beside them."""
    part = bilibili_part(tmp_path).name.removesuffix(".info.json")
    result = cli("run", "videos")
    assert result.code == 0, result
    [post] = (tmp_path / "output" / "posts").glob("*.md")
    assert post.name == "2025-09-19-liang-tian-cong-shang-hai-qi-dao-hang-zhou-shang.md"
    assert f"source: https://www.bilibili.com/video/{BV}?p=2" in post.read_text(encoding="utf-8")
    transcript = json.loads((tmp_path / "output" / "videos" / f"bilibili-{part}" / "transcript.json").read_text())
    words = "".join(p["text"] for p in transcript["paragraphs"])
    assert all(cue in words for cue in body_contents(AI_ZH)[:5])
    assert not any(comment in words for comment in ("胡渐彪",))  # a danmaku comment of the file beside it


@pytest.mark.parametrize("fmt, text", [
    ("bilibili-json", '{"body": [{"from": NaN, "to": 1.5, "content": "第一句"}]}'),
    ("bilibili-json", '{"body": [{"from": 0, "to": Infinity, "content": "第一句"}]}'),
    ("json3", '{"events": [{"tStartMs": NaN, "dDurationMs": 100, "segs": [{"utf8": "words"}]}]}'),
])
def test_a_subtitle_json_time_that_is_no_time_is_refused(fmt: str, text: str) -> None:
    # Python's json reads NaN and Infinity; a transcript.json with them holds null and does not load again.
    with pytest.raises(CaptionFormatError, match="bad "):
        read_cues(text, fmt)


def test_with_speech_recognition_set_up_a_danmaku_only_folder_says_its_audio_is_missing(cli, tmp_path: Path) -> None:
    # It said "speech recognition found no words", though no speech recognition ran: no audio
    # was beside the info.json (and offline none is downloaded).
    info = bilibili_video(tmp_path, with_words=False)
    (tmp_path / "config.yaml").write_text("asr:\n  backend: endpoint\n", encoding="utf-8")
    failed = cli("fetch", str(info.parent))
    assert failed.code == 1, failed
    errors = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "found no words" not in errors[0], errors
    assert f"only danmaku (viewers' comments), no subtitles); speech recognition needs the audio: put it beside " \
           f"{BV}.info.json as {BV}.m4a (or .mp3, .wav …), or pass --subtitles FILE" in errors[0]
