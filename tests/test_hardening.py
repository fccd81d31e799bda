"""Hostile metadata and model text: nothing escapes the output folder, nothing invisible survives."""

from __future__ import annotations

import json
from pathlib import Path

import frontmatter
import pytest

from pipeline.config import Config
from pipeline.errors import ArtifactError
from pipeline.shapes import Metadata
from pipeline.sanitize import sanitize_inline, sanitize_markdown
from pipeline.sites.youtube.urls import video_id_from_url
from pipeline.store import Store
from pipeline.post.write import build_post, iso_date, post_file_name
from tests.conftest import load_json, video_dir_with
from tests.fakellm import Reply

BW = "bwRHIkYqYJo"


def hostile_info(tmp_path: Path, **fields: object) -> Path:
    folder = video_dir_with(tmp_path, BW)
    path = folder / f"{BW}.info.json"
    info = json.loads(path.read_text(encoding="utf-8"))
    info.update(fields)
    path.write_text(json.dumps(info), encoding="utf-8")
    return path


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


# --- dates and paths -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["../../../../tmp/x", "/tmp/evil", "2021-01-01/../../x", "20211301",
                                   "2021010", "２０２１０１０１", "20210101\n", "abcdefgh"])
def test_a_bad_date_is_unknown_never_a_path(value: str) -> None:
    assert iso_date(value) == ""
    name = post_file_name(Metadata(id=BW, title="Wheelie", upload_date=value))
    assert "/" not in name and name.startswith("undated-")


def test_a_good_date_is_iso() -> None:
    assert iso_date("20211005") == "2021-10-05"


@pytest.mark.parametrize("field", ["upload_date", "release_date"])
def test_hostile_date_in_info_json_writes_nothing_outside(cli, fake_llm, tmp_path: Path, field: str) -> None:
    escape = tmp_path / "escaped"
    info = hostile_info(tmp_path, **{field: f"../../../../../../../../{escape}/x", "upload_date" if field ==
                                     "release_date" else "release_date": None})
    result = cli("run", str(info))
    assert result.code == 0, result.stderr
    assert not escape.exists()
    posts = list((tmp_path / "output" / "posts").iterdir())
    assert len(posts) == 1 and posts[0].name.startswith("undated-"), posts
    record = load_json(tmp_path / "output" / "videos" / BW / "post.json")
    assert record["path"] == f"posts/{posts[0].name}"
    assert any("date" in w for w in record.get("warnings", [])), record
    assert "date" in result.stderr  # the warning is shown, not only recorded
    assert frontmatter.load(posts[0])["date"] == ""


def test_release_date_is_used_when_upload_date_is_missing(cli, fake_llm, tmp_path: Path) -> None:
    info = hostile_info(tmp_path, upload_date=None, release_date="20200229")
    assert cli("run", str(info)).code == 0
    post = next((tmp_path / "output" / "posts").glob("*.md"))
    assert post.name.startswith("2020-02-29-")


def test_store_refuses_a_write_outside_its_folder(tmp_path: Path) -> None:
    from pipeline.files import ensure_inside

    root = tmp_path / "out"
    (root / "posts").mkdir(parents=True)
    (root / "posts" / "link").symlink_to(tmp_path)
    with pytest.raises(ArtifactError):
        ensure_inside(root / "posts" / ".." / ".." / "x.md", root / "posts")
    with pytest.raises(ArtifactError):
        ensure_inside(root / "posts" / "link" / "x.md", root / "posts")
    ensure_inside(root / "posts" / "2021-01-01-a.md", root / "posts")


# --- video ids -------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [f"{BW}\n", "abc\n", "../x", "a/b", "", "a" * 65])
def test_video_id_check_is_a_full_match(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ArtifactError):
        Store(tmp_path).video_dir(bad)


def test_a_url_id_with_a_newline_is_no_id() -> None:
    assert video_id_from_url(f"{BW}\n") == BW  # surrounding whitespace of an argument is stripped
    assert video_id_from_url(f"https://youtu.be/{BW}%0A") is None
    assert video_id_from_url(f"https://www.youtube.com/watch?v={BW}%0A") is None


def test_info_json_id_with_a_newline_fails_only_that_video(cli, fake_llm, tmp_path: Path) -> None:
    info = hostile_info(tmp_path, id=f"{BW}\n", display_id=f"{BW}\n")
    cli("run", str(info))
    out = tmp_path / "output"
    assert all("\n" not in p.name for p in out.rglob("*"))
    for post in (out / "posts").glob("*.md") if (out / "posts").exists() else []:
        assert frontmatter.load(post)["source"].count("\n") == 0


# --- untrusted text in the front matter --------------------------------------------------


def test_channel_and_uploader_are_sanitised() -> None:
    meta = Metadata(id=BW, title="t", channel="<script>alert(1)</script>Chan<img src=x onerror=alert(2)>",
                    uploader="u", upload_date="20210101")
    post = build_post({"title": "t", "sections": []}, meta, Config()).front
    assert "<" not in post["speaker"] and "script" not in post["speaker"].lower().replace("&lt;", "")
    assert post["speaker"] == "Chan&lt;img src=x onerror=alert(2)>"
    assert all("<" not in v for v in post["media_books"])


def test_model_strings_in_front_matter_are_sanitised() -> None:
    article = {"title": "t", "area": "<b>x</b>\u202e", "category": "c\u2066\nat", "sections": []}
    post = build_post(article, Metadata(id=BW, upload_date="20210101"), Config()).front
    assert post["area"] == "&lt;b>x&lt;/b>" and post["category"] == "c at"


INVISIBLE = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
             "\u200b", "\u200c", "\u200e", "\u200f", "\u2060", "\u2061", "\u2062", "\u2063", "\u2064",
             "\u206a", "\u206f", "\ufeff", "\u00ad", "\u180e", "\U000e0041", "\U000e007f", "\u061c"]


@pytest.mark.parametrize("char", INVISIBLE)
def test_invisible_format_characters_are_stripped(char: str) -> None:
    assert sanitize_inline(f"a{char}b") == "ab"
    assert sanitize_markdown(f"line{char} one") == "line one"


def test_zwj_inside_an_emoji_sequence_survives() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert sanitize_inline(f"家庭 {family}") == f"家庭 {family}"
    assert sanitize_inline("a\u200db") == "ab"  # between letters it only hides


def test_every_post_field_is_stripped_of_invisible_characters(cli, fake_llm, tmp_path: Path) -> None:
    evil = "\u202e\u2066\u200b"

    def answer(body: dict) -> Reply:
        from tests.fakellm import default_answer

        data = default_answer(body)

        def poison(node):
            if isinstance(node, dict):
                # area and category are enums the answer is checked against; the rest is free text
                return {k: v if k in ("area", "category") else poison(v) for k, v in node.items()}
            if isinstance(node, list):
                return [poison(v) for v in node]
            return f"{evil}{node}{evil}" if isinstance(node, str) else node

        return Reply(json=poison(data))

    fake_llm.responder = answer
    info = hostile_info(tmp_path, channel=f"Chan{evil}", uploader=f"Up{evil}", title=f"Ti{evil}tle")
    result = cli("run", str(info))
    assert result.code == 0, result.stderr
    post = next((tmp_path / "output" / "posts").glob("*.md"))
    text = post.read_text(encoding="utf-8")
    for char in evil:
        assert char not in text, repr(char)


def test_default_post_is_unchanged_by_the_hardening() -> None:
    from tests.test_write_golden import SEED, seed_inputs

    article, meta, overrides = seed_inputs()
    assert build_post(article, meta, Config(), overrides).text.rstrip("\n") == \
        SEED.read_text(encoding="utf-8").rstrip("\n")



def test_the_invisible_list_covers_every_format_character() -> None:
    import sys
    import unicodedata

    missed = [hex(c) for c in range(sys.maxunicode + 1)
              if unicodedata.category(chr(c)) == "Cf" and c != 0x200D and sanitize_inline(f"a{chr(c)}b") != "ab"]
    assert not missed
