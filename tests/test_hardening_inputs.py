"""Input files from a source: one bad file fails only its own video; nothing is read whole past a cap."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.errors import InputTooLarge, NotARegularFile, UsageError
from pipeline.sources.listing import expand_sources
from pipeline.words.textfiles import read_input
from tests.many_videos import make_videos
from tests.conftest import load_json


def test_one_corrupt_info_json_fails_only_its_video(cli, fake_llm, tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    ids = make_videos(folder, 3)
    (folder / f"{ids[1]}.info.json").write_text('{"id": "batch000001", "title": ', encoding="utf-8")
    result = cli("run", str(folder))
    assert result.code == 1, result.stderr
    assert "3 video(s): 2 done" in result.stdout, result.stdout
    assert f"{ids[1]}.info.json" in result.stderr and ids[1] in result.stderr
    for vid in (ids[0], ids[2]):
        assert (tmp_path / "output" / "videos" / vid / "post.json").is_file()
    status = load_json(tmp_path / "output" / "videos" / ids[1] / "status.json")
    assert status["error"]["stage"] == "fetch"


def test_corrupt_info_json_without_an_id_in_its_name_still_fails_alone(tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    make_videos(folder, 2)
    (folder / "some download.info.json").write_text("[1, 2", encoding="utf-8")
    refs = expand_sources([str(folder)])
    assert len(refs) == 3
    bad = [r for r in refs if r.info_path and r.info_path.name == "some download.info.json"]
    assert len(bad) == 1 and bad[0].video_id.isascii()


def test_read_input_caps_size_and_wants_a_regular_file(tmp_path: Path) -> None:
    big = tmp_path / "big.info.json"
    big.write_bytes(b" " * 2_000_001)
    with pytest.raises(InputTooLarge, match="big.info.json.*2.0 MB.*max_input_mb"):
        read_input(big, max_mb=2)
    assert read_input(big, max_mb=3).startswith(" ")
    with pytest.raises(NotARegularFile, match="not a regular file"):
        read_input(Path("/dev/zero"), max_mb=50)
    link = tmp_path / "zero.info.json"
    link.symlink_to("/dev/zero")
    with pytest.raises(NotARegularFile):
        read_input(link, max_mb=50)


def test_info_json_over_the_cap_fails_its_video(cli, fake_llm, tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    ids = make_videos(folder, 2)
    path = folder / f"{ids[0]}.info.json"
    info = json.loads(path.read_text())
    info["description"] = "x" * 1_200_000
    path.write_text(json.dumps(info))
    (tmp_path / "config.yaml").write_text("max_input_mb: 1\n")
    result = cli("run", str(folder))
    assert result.code == 1
    assert "2 video(s): 1 done" in result.stdout
    assert "max_input_mb" in result.stderr and ids[0] in result.stderr


def test_info_json_linked_to_dev_zero_fails_its_video_quickly(cli, fake_llm, tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    ids = make_videos(folder, 2)
    os.remove(folder / f"{ids[0]}.info.json")
    (folder / f"{ids[0]}.info.json").symlink_to("/dev/zero")
    result = cli("run", str(folder))
    assert result.code == 1
    assert "not a regular file" in result.stderr


def test_list_file_is_capped_and_must_be_regular(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a regular file"):
        expand_sources(["/dev/zero"])
    big = tmp_path / "list.txt"
    big.write_text("# comment\n" * 200_000)
    with pytest.raises(UsageError, match="max_input_mb"):
        expand_sources([str(big)], max_input_mb=1)
