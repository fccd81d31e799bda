"""A post's file is named by an ASCII slug that means something, for every title (issue 21:
"never only the id"): a title in a script with no ASCII form and no pinyin (Japanese,
Korean, Russian …) is named after the article's own title, which is in the reader's language
(pinyin for a Chinese one), as a Chinese title is named in pinyin."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

CAPTIONS = {"ja": "3b1b-eola-preview.ja.cp932.srt", "ko": "3b1b-change-of-basis.ko.srt", "ru": "3b1b-clacks.ru.srt"}
# Real titles of these 3Blue1Brown videos' series in each language (their words stand in as the videos' titles).
TITLES = {"ja": "線形代数のエッセンス", "ko": "선형대수학의 본질", "ru": "Сущность линейной алгебры"}


@pytest.mark.parametrize("lang", list(CAPTIONS))
def test_a_title_without_an_ascii_form_names_the_post_after_the_article(cli, tmp_path: Path, lang: str) -> None:
    info = json.loads((FIXTURES / "videos" / "JjQDik3yNhA.info.json").read_text(encoding="utf-8"))
    info.update(title=TITLES[lang], language=lang)
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "JjQDik3yNhA.info.json").write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    shutil.copyfile(FIXTURES / "captions" / CAPTIONS[lang], videos / f"JjQDik3yNhA.{lang}.srt")
    result = cli("run", "videos")
    assert result.code == 0, result.stderr
    # The fake model's article title, 视频内容的中文标题, in pinyin.
    assert [p.name for p in (tmp_path / "output" / "posts").glob("*.md")] == [
        "2022-08-05-shi-pin-nei-rong-de-zhong-wen-biao-ti.md"]
