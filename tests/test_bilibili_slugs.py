"""File names for Chinese titles and for the parts of a multi-part video (分P): an ASCII slug
that means something (pinyin), never only the video id or ``p02``; English titles unchanged."""

from __future__ import annotations

import pytest

from pipeline.slugs import post_slug, slugify, title_slug


@pytest.mark.parametrize("title", [
    "Trying to Wheelie: Without the Rear Brake!", "Café & Crème + more", "AI deal frenzy", "", "..", "🚀🚀",
    "Ça va? Ñandú — «quotes»", "../../etc/x",
])
def test_titles_without_chinese_keep_the_slug_they_always_had(title: str) -> None:
    assert title_slug(title) == slugify(title, max_length=60)
    assert post_slug(title, "abcdefghijk") == slugify(title, max_length=60)


@pytest.mark.parametrize(("title", "slug"), [
    ("人工智能", "ren-gong-zhi-neng"),
    ("两天从上海骑到杭州", "liang-tian-cong-shang-hai-qi-dao-hang-zhou"),
    ("GPT-5来了：OpenAI发布会全解析", "gpt-5-lai-le-openai-fa-bu-hui-quan-jie-xi"),
    ("重庆的绿色银行", "chong-qing-de-lv-se-yin-hang"),  # each word's reading: 重 chong, 行 hang
    ("人工智能會取代我們嗎？", "ren-gong-zhi-neng-hui-qu-dai-wo-men-ma"),  # Traditional too
])
def test_a_chinese_title_is_spelt_in_pinyin(title: str, slug: str) -> None:
    assert title_slug(title) == slug


def test_a_long_chinese_title_is_cut_at_a_syllable_within_60_characters() -> None:
    slug = title_slug("【硬核科普】为什么说人工智能将会彻底改变我们的生活方式和工作方式以及整个社会的运行规则")
    assert len(slug) <= 60 and not slug.endswith("-") and slug.startswith("ying-he-ke-pu-wei-shen-me")
    assert all(part.isalnum() for part in slug.split("-"))


@pytest.mark.parametrize(("title", "video_id", "slug"), [
    # yt-dlp titles a part "<video> pNN <part>": a part's own name says what it is ...
    ("物语中的人物是如何吐槽自己的OP的 p01 Staple Stable/战场原+羽川", "BV1bK411W797_p1",
     "staple-stable-zhan-chang-yuan-plus-yu-chuan"),
    ("[搞笑]【动画】云南方言快乐生产线出品 p04 新烧包谷之漫游桃花岛", "BV1ms411Q7vw_p4",
     "xin-shao-bao-gu-zhi-man-you-tao-hua-dao"),
    # ... and where it says nothing, the video's title and the part's number do.
    ("人工智能 p02 ", "BV1ai411Z7aQ_p2", "ren-gong-zhi-neng-p02"),
    ("人工智能 p02 p02", "BV1ai411Z7aQ_p2", "ren-gong-zhi-neng-p02"),
    ("人工智能 p02 P2 第二部分", "BV1ai411Z7aQ_p2", "ren-gong-zhi-neng-p02"),
    ("Deep Learning Course p12 12", "BV1xx411c7mD_p12", "deep-learning-course-p12"),
    ("Deep Learning Course p03 Backpropagation", "BV1xx411c7mD_p3", "backpropagation"),
    ("Tutorial p01 basics p03 第三集", "BV1xx411c7mD_p3", "tutorial-p01-basics-p03"),
])
def test_a_part_is_named_by_its_own_title_or_else_by_the_video_and_its_number(title: str, video_id: str,
                                                                               slug: str) -> None:
    assert post_slug(title, video_id) == slug


def test_a_part_of_a_long_title_keeps_its_number_within_60_characters() -> None:
    slug = post_slug("为什么说人工智能将会彻底改变我们的生活方式和工作方式以及整个社会 p07 第七集", "BV1xx411c7mD_p7")
    assert len(slug) <= 60 and slug.endswith("-p07") and slug.startswith("wei-shen-me-shuo")


def test_a_title_that_only_looks_like_a_part_is_a_title() -> None:
    # Not a part's id: "p02" in the title is the title's own.
    assert post_slug("人工智能 p02 新闻", "BV1ai411Z7aQ") == "ren-gong-zhi-neng-p02-xin-wen"


def test_a_new_post_of_a_chinese_title_or_a_part_is_named_in_pinyin() -> None:
    from pipeline.shapes import Metadata
    from pipeline.post.write import post_file_name

    assert post_file_name(Metadata(id="BV1ai411Z7aQ", title="人工智能的未来", upload_date="20251020")) == \
        "2025-10-20-ren-gong-zhi-neng-de-wei-lai.md"
    assert post_file_name(Metadata(id="BV1ai411Z7aQ_p2", title="人工智能 p02 ", upload_date="20251020")) == \
        "2025-10-20-ren-gong-zhi-neng-p02.md"
    assert post_file_name(Metadata(id="BV1ai411Z7aQ", title="🚀", upload_date="")) == "undated-BV1ai411Z7aQ.md"


@pytest.mark.parametrize(("video_id", "title"), [
    # yt-dlp's own recorded titles (NiconicoIE._TESTS, Unlicense): Japanese has no pinyin ...
    ("niconico-sm9", "新・豪血寺一族 -煩悩解放 - レッツゴー！陰陽師"),
    # ... nor have Russian or Korean an ASCII form; and a part whose name is only its number
    ("vimeo-76979871", "Как работает нейросеть"),
    ("bilibili-BV1xx411c7mD_p2", "인공지능 강의 p02 2"),
])
def test_a_title_without_an_ascii_form_names_the_post_after_the_articles_title(video_id: str, title: str) -> None:
    # It was named after the id alone ("2025-10-20-niconico-sm9.md") or "p02": the post's own
    # (Chinese) title, in pinyin, says what it is.
    from pipeline.config import Config
    from pipeline.post.write import post_file_name
    from pipeline.shapes import Metadata

    meta = Metadata(id=video_id, title=title, upload_date="20251020")
    assert post_file_name(meta, Config(), "神经网络如何工作") == "2025-10-20-shen-jing-wang-luo-ru-he-gong-zuo.md"
