"""A store id is ``<site>-<id>`` for every site but YouTube, whose ids are 11 characters of
``[A-Za-z0-9_-]``: another site's store id of that length (``vimeo-12345``) is still that
site's video, never a YouTube one, wherever the id is read back (the post's ``source``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import frontmatter

from tests.conftest import FIXTURES

# A real Vimeo info.json (tests/fixtures/othersites/PROVENANCE.md), given the five-digit id of
# one of Vimeo's first videos: its store id, vimeo-12345, has the length of a YouTube id.
VIMEO = FIXTURES / "othersites" / "FOX CLASSICS - Forever Classic ID - A Full Minute [33951933].info.json"


def test_another_sites_store_id_as_long_as_a_youtube_id_keeps_its_own_source(cli, tmp_path: Path) -> None:
    info = json.loads(VIMEO.read_text(encoding="utf-8"))
    info.update(id="12345", webpage_url="https://vimeo.com/12345")
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "A Full Minute [12345].info.json").write_text(json.dumps(info), encoding="utf-8")
    # Real captions of another video stand in for its words (as in test_other_sites.py).
    shutil.copyfile(FIXTURES / "captions" / "3b1b-ldm-quadratic.en.srt", videos / "A Full Minute [12345].en.srt")
    result = cli("run", "videos")
    assert result.code == 0, result
    assert [p.name for p in (tmp_path / "output" / "videos").iterdir()] == ["vimeo-12345"]
    [post] = (tmp_path / "output" / "posts").glob("*.md")
    assert frontmatter.loads(post.read_text(encoding="utf-8"))["source"] == "https://vimeo.com/12345"
