"""An output folder written by the previous release (commit 613e4b1, before the stage registry,
the Site and PostFormat seams) keeps working: read, rerun with no model call and no change to
its posts or articles, shown by ``status`` and the desk, and approved by this release.

The folder (``tests/fixtures/previous-release/``, see its PROVENANCE.md) holds four drafts made
from the real bwRHIkYqYJo info.json, one of them then edited by hand, one approved, one ignored,
a long video summarized in parts (a real 20-minute json3 track with a small context window),
and a failed video (an info.json that is not JSON).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipeline.config import Config
from pipeline.review.app import create_app
from pipeline.review.posts import approve, find_post
from pipeline.store import Store
from tests.conftest import FIXTURES

PREVIOUS = FIXTURES / "previous-release"
TOKEN = "previous-release-token"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("config.yaml", "videos", "output"):
        source = PREVIOUS / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, tmp_path / name)
    monkeypatch.chdir(tmp_path)  # the folder records its sources relative to where it was run
    return tmp_path


def _digests(out: Path) -> dict[str, str]:
    files = [*(out / "posts").glob("*.md"), *(out / "videos").glob("*/article.json")]
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _states(cli) -> dict[str, tuple[str, bool]]:
    rows = [json.loads(line) for line in cli("status", "--json").stdout.splitlines()]
    return {row["video_id"]: (row["review"], row["ignored"]) for row in rows}


def test_a_rerun_makes_no_call_and_changes_no_post_or_article(cli, fake_llm, folder: Path) -> None:
    before = _digests(folder / "output")
    result = cli("run", "videos", "--config", "config.yaml")
    assert result.code == 1, result.stderr  # the broken info.json fails again, alone
    assert fake_llm.calls == 0
    assert _digests(folder / "output") == before
    assert "0 done, 4 skipped, 1 failed, 1 ignored" in result.stdout
    assert "broken00001.info.json: not a readable yt-dlp info.json" in result.stderr


def test_status_and_the_desk_show_every_state(cli, folder: Path) -> None:
    assert _states(cli) == {
        "batch000000": ("draft", False), "batch000001": ("edited", False), "batch000002": ("approved", False),
        "batch000003": ("draft", True), "broken00001": ("", False), "lesson00001": ("draft", False),
    }
    app = create_app(folder / "output", Config(), token=TOKEN, allowed_hosts={"127.0.0.1"})
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        client.get(f"/?token={TOKEN}", follow_redirects=False)
        page = client.get("/?state=edited")
        assert page.status_code == 200 and "batch000001" in page.text and "batch000000" not in page.text
        assert "batch000002" in client.get("/?state=approved").text
        assert "broken00001" in client.get("/?state=failed").text
        video = client.get("/video/lesson00001")
        assert video.status_code == 200 and "An English lesson" in video.text


def test_this_release_approves_a_draft_of_the_previous_one(cli, folder: Path) -> None:
    store = Store(folder / "output")
    post = find_post(store, "batch000000")
    assert post is not None and not post.edited
    approve(store, "batch000000", Config(), post.version)
    after = post.path.read_text(encoding="utf-8")
    assert after == post.text.replace("\ndraft: true\n", "\ndraft: false\n", 1)
    assert _states(cli)["batch000000"] == ("approved", False)
