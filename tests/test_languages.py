"""The readers' language (``post.language``): what the model is asked for, the posts it gives,
the zh-Hant guard, file names, faithfulness checks; through the CLI on real captions against the
fake model server, which records every request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import frontmatter
import pytest
import yaml

from pipeline.config import Config, load_config
from pipeline.errors import ConfigError
from pipeline.language import language, simplified_only
from pipeline.post.faithfulness import find_flags
from pipeline.post.write import post_file_name
from pipeline.shapes import Metadata
from tests.conftest import FIXTURES, load_json, video_dir_with
from tests.fakellm import default_answer

VIDEO = "JjQDik3yNhA"  # a real info.json ("This is Why Nintendo Shutdown the Miiverse") with its English captions
CHINESE_CAPTIONS = FIXTURES / "subtitles" / "wjZofJX0v4M.zh-Hans.3b1b-captions.srt"  # real Simplified-Chinese captions
SEED_KEYS = list(yaml.safe_load((FIXTURES / "seed-post.md").read_text(encoding="utf-8").split("---\n")[1]))


def run(cli, tmp_path: Path, language_tag: str | None, *, chinese: bool = False):
    videos = tmp_path / "videos" if (tmp_path / "videos").is_dir() else video_dir_with(tmp_path, VIDEO)
    args = ["run", str(videos / f"{VIDEO}.info.json"), "--out", str(tmp_path / "output")]
    if chinese:  # the same video's facts, its words from a Chinese caption file
        args += ["--subtitles", str(CHINESE_CAPTIONS)]
    if language_tag is not None:
        (tmp_path / "lang.yaml").write_text(f"post:\n  language: {language_tag}\n", encoding="utf-8")
        args += ["--config", str(tmp_path / "lang.yaml")]
    result = cli(*args)
    assert result.code == 0, result.stderr
    return result


def article_request(fake_llm) -> tuple[str, str]:
    """The system and user messages of the (one) article call."""
    [request] = [r for r in fake_llm.requests if r.get("response_format")]
    system, user = (m["content"] for m in request["messages"])
    return system, user


def answering(texts: dict[str, str]):
    """A responder that answers in a language: the schema's default answer, its texts replaced."""
    def respond(body: dict[str, Any]) -> dict[str, Any]:
        answer = default_answer(body)
        for key in ("title", "summary"):
            if key in answer:
                answer[key] = texts[key]
        for number, section in enumerate(answer.get("sections", []), 1):
            section["heading"] = f"{texts['heading']} {number}"
            section["body"] = texts["body"]
        return answer
    return respond


# --- what the model is asked for ------------------------------------------------------------


def test_a_chinese_video_for_chinese_readers_is_asked_for_a_faithful_rewrite(cli, fake_llm, tmp_path: Path) -> None:
    run(cli, tmp_path, None, chinese=True)
    system, user = article_request(fake_llm)
    assert "用简体中文写作" in system
    assert "字幕（zh-Hans" in user and "<transcript>" in user
    assert user.endswith("字幕本身就是中文：请忠实地改写，而不是翻译——保留说话人的意思和说法，只把口语整理成书面文章。")


def test_an_english_video_for_chinese_readers_is_asked_as_before(cli, fake_llm, tmp_path: Path) -> None:
    run(cli, tmp_path, None)
    system, user = article_request(fake_llm)
    assert "用简体中文写作" in system and "改写成一篇完整的中文文章" in user
    assert user.endswith("</transcript>")  # no note: the request of the seed's release, word for word
    assert "不是翻译" not in user and "English" not in system


def test_an_english_video_for_english_readers_is_a_rewrite_not_a_translation(cli, fake_llm, tmp_path: Path) -> None:
    run(cli, tmp_path, "en")
    system, user = article_request(fake_llm)
    assert "into articles in English that are ready to publish" in system and "Write in English (language tag en)" in system
    assert "a complete article in English" in user and "About the video:" in user
    assert user.endswith("The transcript is in English, the readers' own language: write a faithful rewrite of "
                         "what was said, not a translation. Keep the speakers' meaning and their way of putting "
                         "it; only turn speech into written prose.")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in system + user.split("<transcript>")[0])


def test_a_chinese_video_for_english_readers_is_translated(cli, fake_llm, tmp_path: Path) -> None:
    run(cli, tmp_path, "en", chinese=True)
    _, user = article_request(fake_llm)
    assert user.endswith("The transcript is in Chinese (Simplified): translate it faithfully into English as you write.")


def test_japanese_readers_are_asked_in_english_for_japanese(cli, fake_llm, tmp_path: Path) -> None:
    run(cli, tmp_path, "ja")
    system, user = article_request(fake_llm)
    assert "Write in Japanese (language tag ja)" in system and "a complete article in Japanese" in user
    assert user.endswith("The transcript is in English: translate it faithfully into Japanese as you write.")


def test_traditional_chinese_readers_are_asked_for_traditional_characters(cli, fake_llm, tmp_path: Path) -> None:
    run(cli, tmp_path, "zh_TW", chinese=True)  # the tag's other spelling, as people write it
    system, user = article_request(fake_llm)
    assert "Write in Chinese (Taiwan) (language tag zh-TW), in Traditional characters only" in system
    assert user.endswith("The transcript is in Chinese (Simplified), the readers' own language: write a faithful rewrite of "
                         "what was said, not a translation. Keep the speakers' meaning and their way of putting "
                         "it; only turn speech into written prose.")


# --- the posts -------------------------------------------------------------------------------


ENGLISH = {"title": "Why Nintendo Shut Down Miiverse", "summary": "Nintendo closed Miiverse in 2017.",
           "heading": "What Miiverse Was", "body": "Meanwhile Miiverse let players post drawings."}


def test_an_english_post_has_the_seed_shape_in_english(cli, fake_llm, tmp_path: Path) -> None:
    fake_llm.responder = answering(ENGLISH)
    run(cli, tmp_path, "en")
    [path] = (tmp_path / "output" / "posts").glob("*.md")
    assert path.name == "2022-08-05-this-is-why-nintendo-shutdown-the-miiverse.md"
    post = frontmatter.loads(path.read_text(encoding="utf-8"))
    assert list(post.keys()) == SEED_KEYS
    assert post["title"] == ENGLISH["title"] and post["summary"] == ENGLISH["summary"]
    assert post.content.startswith("### What Miiverse Was 1\n\nMeanwhile Miiverse") and "\n\n### " in post.content
    flags = load_json(tmp_path / "output" / "videos" / VIDEO / "flags.json")["flags"]
    assert flags == []  # "Meanwhile" opens a sentence; the headings are in title case


SIMPLIFIED = {"title": "任天堂为什么关闭了Miiverse", "summary": "这个视频讲述了任天堂关闭社交网络的原因。",
              "heading": "社区的历史", "body": "皇后后来说，玩家在这里发布了数以万计的画作。"}


def test_a_traditional_post_has_no_simplified_only_characters_whatever_the_model_wrote(cli, fake_llm,
                                                                                       tmp_path: Path) -> None:
    fake_llm.responder = answering(SIMPLIFIED)
    result = run(cli, tmp_path, "zh-Hant", chinese=True)
    [path] = (tmp_path / "output" / "posts").glob("*.md")
    text = path.read_text(encoding="utf-8")
    assert simplified_only(text) == []
    post = frontmatter.loads(text)
    assert list(post.keys()) == SEED_KEYS
    assert post["title"] == "任天堂為什麼關閉了Miiverse" and post["summary"] == "這個視頻講述了任天堂關閉社交網絡的原因。"
    assert "### 社區的歷史 1\n\n皇后後來說，玩家在這裡發佈了數以萬計的畫作。" in post.content
    article = load_json(tmp_path / "output" / "videos" / VIDEO / "article.json")
    assert [w for w in article["warnings"] if "OpenCC" in w] == [
        "19 Simplified-only character(s) in a zh-Hant post (为么关闭这个视频讲网…); "
        "converted to Traditional with OpenCC"]
    assert "converted to Traditional with OpenCC" in result.stderr


def test_a_traditional_answer_is_left_as_the_model_wrote_it(cli, fake_llm, tmp_path: Path) -> None:
    traditional = {"title": "任天堂為何關閉Miiverse", "summary": "皇后干涉了這件事。", "heading": "社區",
                   "body": "台灣的玩家後來發佈了畫作。"}
    fake_llm.responder = answering(traditional)
    run(cli, tmp_path, "zh-Hant", chinese=True)
    [path] = (tmp_path / "output" / "posts").glob("*.md")
    post = frontmatter.loads(path.read_text(encoding="utf-8"))
    assert post["summary"] == "皇后干涉了這件事。" and "台灣的玩家後來發佈了畫作。" in post.content  # 后, 干, 台 stay
    article = load_json(tmp_path / "output" / "videos" / VIDEO / "article.json")
    assert not [w for w in article["warnings"] if "OpenCC" in w]


def test_the_speaker_of_a_traditional_post_is_in_traditional_characters() -> None:
    from pipeline.post.write import build_post
    from tests.test_write_golden import seed_inputs

    article, _, overrides = seed_inputs()
    meta = Metadata(id="BV1xx411c7mD", title="t", channel="罗永浩的十字路口", upload_date="20251008")
    traditional = build_post(article, meta, Config(post={"language": "zh-Hant"}), overrides)
    assert traditional.front["speaker"] == "羅永浩的十字路口" and simplified_only(traditional.text) == []
    assert traditional.front["title"] == "人工智能交易熱潮：循環融資與科技泡沫的警示"
    assert build_post(article, meta, Config(), overrides).front["speaker"] == "罗永浩的十字路口"


# --- settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(("tag", "standard"), [("zh-Hans", "zh-Hans"), ("zh_TW", "zh-TW"), ("EN", "en"),
                                                ("ja", "ja"), ("pt-BR", "pt-BR"), ("iw", "he")])
def test_a_language_is_any_registered_tag_in_its_standard_form(tmp_path: Path, tag: str, standard: str) -> None:
    (tmp_path / "c.yaml").write_text(f"post:\n  language: {tag}\n", encoding="utf-8")
    assert load_config(tmp_path / "c.yaml").post.language == standard


@pytest.mark.parametrize("tag", ["klingon", "xx", "zh-Hanz", "und", "a.en"])
def test_a_tag_that_names_no_language_is_a_one_line_config_error(cli, tmp_path: Path, tag: str) -> None:
    (tmp_path / "c.yaml").write_text(f"post:\n  language: {tag}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"post\.language: .*is not a BCP-47 language tag of a language"):
        load_config(tmp_path / "c.yaml")
    result = cli("run", "x", "--config", "c.yaml")
    assert result.code == 2 and len(result.stderr.strip().splitlines()) == 1 and "post.language" in result.stderr


def test_chinese_captions_convert_to_either_script(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("transcript:\n  convert_chinese: zh-Hant\n", encoding="utf-8")
    assert load_config(tmp_path / "c.yaml").transcript.convert_chinese == "zh-Hant"


def test_simplified_captions_become_traditional_where_convert_chinese_says_so(cli, tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, VIDEO)
    (tmp_path / "c.yaml").write_text("transcript:\n  convert_chinese: zh-Hant\n", encoding="utf-8")
    result = cli("fetch", str(videos / f"{VIDEO}.info.json"), "--subtitles", str(CHINESE_CAPTIONS), "--config", "c.yaml")
    assert result.code == 0, result.stderr
    data = load_json(tmp_path / "output" / "videos" / VIDEO / "transcript.json")
    assert data["language"] == "zh-Hant" and data["notes"] == ["converted from zh-Hans to zh-Hant with OpenCC"]
    assert simplified_only(json.dumps(data["paragraphs"], ensure_ascii=False)) == []


# --- file names --------------------------------------------------------------------------


def test_file_names_follow_the_readers_language() -> None:
    chinese = Metadata(id="BV1xx411c7mD", title="人工智能交易热潮", upload_date="20251008")
    english = Metadata(id="abcdefghijk", title="AI deal frenzy", upload_date="20251008")
    en = Config(post={"language": "en"})
    # A Chinese title for English readers: the post's own (English) title.
    assert post_file_name(chinese, en, "The AI Deal Boom") == "2025-10-08-the-ai-deal-boom.md"
    # For Chinese readers: pinyin, as always; an English title keeps its slug for every reader.
    assert post_file_name(chinese, Config(), "人工智能交易热潮") == "2025-10-08-ren-gong-zhi-neng-jiao-yi-re-chao.md"
    assert post_file_name(chinese, Config(post={"language": "zh-Hant"}), "人工智能") == \
        "2025-10-08-ren-gong-zhi-neng-jiao-yi-re-chao.md"
    assert post_file_name(english, en, "Something else") == "2025-10-08-ai-deal-frenzy.md"
    assert post_file_name(english, Config(), "人工智能") == "2025-10-08-ai-deal-frenzy.md"


# --- faithfulness ------------------------------------------------------------------------


def test_traditional_numerals_are_read_with_their_units() -> None:
    article = {"title": "t", "summary": "甲骨文達成了價值 3000 億美元的協議，兩萬名員工。", "sections": []}
    assert find_flags(article, "a deal worth 300 billion dollars with 20,000 staff", {}) == []


def test_an_english_post_has_its_numbers_read_in_english() -> None:
    article = {"title": "t", "summary": "Oracle signed a $300 billion deal in 2025; thirty percent more.",
               "sections": [{"heading": "The Deal", "body": "It came to 4.5 billion dollars."}]}
    flags = find_flags(article, "甲骨文达成了价值三千亿美元的协议，多了百分之三十。", {}, reader=language("en"))
    assert [f["text"] for f in flags] == ["4.5 billion"]


def test_an_english_post_takes_no_sentence_opener_or_heading_for_a_name() -> None:
    article = {"title": "Why Deals Matter", "summary": "However, Nvidia invested.",
               "sections": [{"heading": "Circular Deals Explained", "body": "Meanwhile Emily Forash spoke. Nvidia paid."}]}
    flags = find_flags(article, "nvidia invested and paid", {}, reader=language("en"))
    assert [f["text"] for f in flags] == ["Emily Forash"]


def test_an_english_post_translated_from_chinese_has_no_names_to_match() -> None:
    article = {"title": "t", "summary": "The deal was signed by Oracle and Larry Ellison.", "sections": []}
    transcript = "甲骨文和埃里森签了协议。"
    assert find_flags(article, transcript, {}, reader=language("en"), source=language("zh-Hans")) == []
    assert [f["text"] for f in find_flags(article, "the deal was signed by oracle", {}, reader=language("en"),
                                          source=language("en"))] == ["Larry Ellison"]


def test_init_prompts_copies_both_sets_and_a_copied_english_one_is_used(cli, fake_llm, tmp_path: Path) -> None:
    assert cli("init", "--prompts").code == 0
    english_system = tmp_path / "prompts" / "en" / "system.md"
    assert english_system.is_file() and (tmp_path / "prompts" / "system.md").is_file()
    english_system.write_text("Our own editor, for readers of {{ reader.name }}.", encoding="utf-8")
    with (tmp_path / "config.yaml").open("a", encoding="utf-8") as config:
        config.write("post:\n  language: en\n")
    videos = video_dir_with(tmp_path, VIDEO)
    assert cli("run", str(videos / f"{VIDEO}.info.json")).code == 0
    system, _ = article_request(fake_llm)
    assert system == "Our own editor, for readers of English."


def test_the_english_set_takes_untrusted_text_only_as_data_and_keeps_the_glossary(cli, fake_llm,
                                                                                   tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, VIDEO)
    (videos / f"{VIDEO}.en.vtt").write_text(
        "WEBVTT\n\n00:00.000 --> 00:04.000\n{{ reader.name }} {% for x in range(3) %}loop{% endfor %}\n",
        encoding="utf-8")
    (tmp_path / "en.yaml").write_text("post:\n  language: en\nglossary:\n  mii verse: Miiverse\n", encoding="utf-8")
    assert cli("run", str(videos / f"{VIDEO}.info.json"), "--config", "en.yaml").code == 0
    system, user = article_request(fake_llm)
    assert "{{ reader.name }} {% for x in range(3) %}loop{% endfor %}" in user
    assert "- mii verse → Miiverse" in system


@pytest.mark.parametrize("track", ["ai-zh", "zh-CN", "cmn-Hans", "zh"])
def test_chinese_tracks_of_every_spelling_are_converted_where_convert_chinese_says_so(track: str) -> None:
    from pipeline.shapes import Segment
    from pipeline.words.transcripts import finish

    segments = [Segment(start=0.0, end=2.0, text="这里说的是人工智能")]
    transcript = finish(segments, Metadata(id="BV1Dfpfz4E8A"), Config(transcript={"convert_chinese": "zh-Hant"}),
                        source="yt-dlp-subtitles", language=track, is_generated=True, track=track)
    assert transcript.text() == "這裏說的是人工智能" and transcript.language == "zh-Hant"  # OpenCC's standard forms
    assert transcript.notes == [f"converted from {track} to zh-Hant with OpenCC"]


def test_a_track_in_another_language_is_never_converted() -> None:
    from pipeline.shapes import Segment
    from pipeline.words.transcripts import finish

    segments = [Segment(start=0.0, end=2.0, text="这里")]
    transcript = finish(segments, Metadata(id="x"), Config(transcript={"convert_chinese": "zh-Hant"}),
                        source="s", language="ja", is_generated=False, track="ja")
    assert transcript.text() == "这里" and transcript.language == "ja" and transcript.notes == []


@pytest.mark.eleventy
def test_an_english_and_a_traditional_post_build_in_the_eleventy_site(cli, fake_llm, tmp_path: Path) -> None:
    from tests.eleventy import build_site, node_available

    assert node_available(), "Node.js >= 18 and npm are needed to build the Eleventy site (.ci/run installs them)"
    posts = []
    for tag, texts, name in (("en", ENGLISH, "english"), ("zh-Hant", SIMPLIFIED, "traditional")):
        fake_llm.responder = answering(texts)
        folder = tmp_path / tag
        folder.mkdir()
        run(cli, folder, tag, chinese=tag != "en")
        [post] = (folder / "output" / "posts").glob("*.md")
        posts.append(post.rename(folder / f"{name}.md"))
    site = build_site(posts, tmp_path / "build")
    english = (site / "posts" / "english" / "index.html").read_text(encoding="utf-8")
    traditional = (site / "posts" / "traditional" / "index.html").read_text(encoding="utf-8")
    assert "Why Nintendo Shut Down Miiverse" in english and "<h3" in english and "Meanwhile Miiverse" in english
    assert "任天堂為什麼關閉了Miiverse" in traditional and "皇后後來說" in traditional
    assert simplified_only(traditional) == []


@pytest.mark.parametrize(("tag", "name"), [
    ("en", "2022-08-05-why-nintendo-shut-down-miiverse.md"),  # the post's own English title
    (None, "2022-08-05-ren-tian-tang-wei-shen-me-guan-bi-le-miiverse.md"),  # pinyin of the video's
])
def test_a_chinese_titled_video_is_named_in_the_readers_language(cli, fake_llm, tmp_path: Path, tag: str | None,
                                                                  name: str) -> None:
    videos = video_dir_with(tmp_path, VIDEO)
    info = videos / f"{VIDEO}.info.json"
    data = json.loads(info.read_text(encoding="utf-8"))
    info.write_text(json.dumps(dict(data, title="任天堂为什么关闭了Miiverse"), ensure_ascii=False), encoding="utf-8")
    fake_llm.responder = answering(ENGLISH)
    run(cli, tmp_path, tag)
    assert [p.name for p in (tmp_path / "output" / "posts").glob("*.md")] == [name]


def test_a_post_written_for_traditional_readers_from_a_simplified_article_is_traditional(cli, fake_llm,
                                                                                        tmp_path: Path) -> None:
    run(cli, tmp_path, None)  # summarized and written for zh-Hans readers (the fake model's Simplified text)
    (tmp_path / "hant.yaml").write_text("post:\n  language: zh-Hant\n", encoding="utf-8")
    result = cli("write", str(tmp_path / "videos" / f"{VIDEO}.info.json"), "--out", str(tmp_path / "output"),
                 "--config", str(tmp_path / "hant.yaml"))
    assert result.code == 0, result.stderr
    [path] = (tmp_path / "output" / "posts").glob("*.md")
    text = path.read_text(encoding="utf-8")
    assert simplified_only(text) == [] and "視頻內容的中文標題" in text
    record = load_json(tmp_path / "output" / "videos" / VIDEO / "post.json")
    assert any("converted to Traditional with OpenCC" in warning for warning in record["warnings"])


def test_a_traditional_post_keeps_its_source_url_and_links_as_they_are() -> None:
    from pipeline.post.write import build_post
    from tests.test_write_golden import seed_inputs

    article, _, overrides = seed_inputs()
    url = "https://www.ximalaya.com/节目/这个"  # a page's address in Simplified characters
    meta = Metadata(id="ep1", title="t", channel="罗永浩的十字路口", upload_date="20251008", webpage_url=url)
    built = build_post(article, meta, Config(post={"language": "zh-Hant"}), overrides)
    assert built.front["source"] == url and url in built.text
    assert built.front["speaker"] == "羅永浩的十字路口" and "人工智能交易熱潮" in built.front["title"]
    assert simplified_only(built.body) == [] and built.warnings
