"""What the README promises about the configuration, held against the product: every command that
offers ``--config`` reads the file it names (a bad one is the one-line configuration error, exit
status 2, as for ``run``), and the shipped ``config.yaml`` that ``yt2post init`` writes holds every
setting the strict config model accepts ("every setting with its default")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from pipeline.config import Config
from pipeline.resources import builtin_config_file


@pytest.mark.parametrize("command", [("status",), ("status", "--json"), ("ignore", "bwRHIkYqYJo"),
                                     ("unignore", "bwRHIkYqYJo"), ("batches", "list")])
def test_every_command_with_config_refuses_a_bad_config_file(cli, tmp_path: Path, command: tuple[str, ...]) -> None:
    (tmp_path / "bad.yaml").write_text("llm:\n  modle: gpt-4o\n")
    result = cli(*command, "--config", "bad.yaml")
    assert result.code == 2, result
    assert result.stderr.strip() == "error: bad.yaml: llm.modle: unknown key; did you mean 'model'?"
    missing = cli(*command, "--config", "missing.yaml")
    assert missing.code == 2 and len(missing.stderr.splitlines()) == 1 and "missing.yaml" in missing.stderr, missing


def _settings(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str]]:
    """(dotted name, key) of every setting of ``model``, sections included."""
    found = []
    for name, field in model.model_fields.items():
        found.append((prefix + name, name))
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel) and kind is not Config:
            found += _settings(kind, prefix + name + ".")
    return found


def test_the_shipped_config_names_every_setting() -> None:
    text = builtin_config_file().read_text(encoding="utf-8")
    sections: dict[str, str] = {}
    for match in re.finditer(r"^(\w+):[^\n]*\n((?:[ #].*\n|\n)*)", text, re.MULTILINE):
        sections[match.group(1)] = match.group(2)
    missing = []
    for dotted, key in _settings(Config):
        section, _, rest = dotted.partition(".")
        where = text if not rest else sections.get(section, "")
        # A setting is there as a line of its own, set or commented out: "  key: value" or "# key: value".
        if not re.search(rf"^[ #]*{re.escape(key)}:", where, re.MULTILINE):
            missing.append(dotted)
    assert not missing, f"settings the shipped config.yaml does not show: {missing}"


def test_approving_a_video_not_in_the_folder_leaves_no_trace(cli, fake_llm, tmp_path: Path) -> None:
    from tests.conftest import video_dir_with

    info = video_dir_with(tmp_path, "bwRHIkYqYJo") / "bwRHIkYqYJo.info.json"
    assert cli("run", str(info)).code == 0
    before = sorted(p.relative_to(tmp_path / "output").as_posix() for p in (tmp_path / "output").rglob("*"))
    result = cli("approve", "bwRHIkYqYJ0")  # a typo of the id
    assert result.code == 1 and result.stderr.strip() == "error: bwRHIkYqYJ0: this video has no post yet", result
    assert sorted(p.relative_to(tmp_path / "output").as_posix() for p in (tmp_path / "output").rglob("*")) == before
    assert "bwRHIkYqYJ0" not in cli("status").stdout


@pytest.mark.parametrize("name", ["hugo", "hexo", "jekyll"])
def test_set_categories_takes_only_the_taxonomys_area_and_category(cli, fake_llm, tmp_path: Path, name: str) -> None:
    """The README: ``--set`` puts ``area``/``category`` only to a value of the taxonomy; Hugo's,
    Hexo's and Jekyll's ``categories`` is the two (the area, then the category)."""
    from tests.conftest import video_dir_with

    info = video_dir_with(tmp_path, "bwRHIkYqYJo") / "bwRHIkYqYJo.info.json"
    result = cli("run", "--format", name, "--set", "categories=societ,ai-ml", str(info))
    assert result.code == 2 and result.stderr.strip() == (
        "error: --set categories=societ,ai-ml: 'societ' not in taxonomy.areas (categories: the area, then "
        "the category); did you mean 'society-culture'?"), result
    result = cli("run", "--format", name, "--set", "categories=society-culture,lifestyle-sport", str(info))
    assert result.code == 2 and result.stderr.strip() == (
        "error: --set categories=society-culture,lifestyle-sport: 'lifestyle-sport' not in taxonomy.categories "
        "(categories: the area, then the category); did you mean 'lifestyle-sports'?"), result
    assert cli("run", "--format", name, "--set", "categories=society-culture,lifestyle-sports", str(info)).code == 0
    post = next((tmp_path / "output" / "posts").rglob("*.md")).read_text(encoding="utf-8")
    assert "categories:\n- society-culture\n- lifestyle-sports\n" in post


def test_a_listing_none_of_whose_entries_is_a_video_says_so(cli, tmp_path: Path) -> None:
    """A feed at an address that does not say it is one goes to yt-dlp, whose generic extractor
    lists the episodes' audio URLs: no video yt2post reads. Not "0 video(s)" and exit 0 without a
    word, but one line naming the URL, why, and the way to give a feed."""
    from tests.podcastserver import PodcastServer

    with PodcastServer() as server:
        url = server.serve_file("/show", "feeds/homegrown-hits.xml")
        result = cli("run", url)
    assert result.code == 2, result
    assert result.stderr.strip().splitlines() == [
        f"error: {url}: none of its 4 entries is a video yt2post reads (a podcast feed? give it as feed:{url})"]
