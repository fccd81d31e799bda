"""Podcast episodes as videos are, for everything after the fetch: ``status``, ``--retry-failed``,
the Batch API, the review desk (speakers beside the text) and the Eleventy build."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import frontmatter
import pytest
from starlette.testclient import TestClient

from pipeline.config import Config
from pipeline.review.app import create_app
from pipeline.review.security import csrf_token
from tests.eleventy import build_site, node_available
from tests.fakebatch import batch_api
from tests.podcast_show import Show
from tests.podcastserver import PodcastServer
from tests.review_desk import TOKEN
from tests.test_batch_api import FAST

LOCAL = "http://127.0.0.1:8765"


@pytest.fixture
def show() -> Iterator[Show]:
    with PodcastServer() as server:
        show = Show(server)
        for item, kind in enumerate(("text/vtt", "application/json", "text/html")):
            show.give(item, kind)
        yield show


def episodes(tmp_path: Path) -> dict[str, Path]:
    """Episode title -> its folder."""
    folders = (tmp_path / "output" / "videos").iterdir()
    return {json.loads((f / "metadata.json").read_text())["title"]: f for f in folders if (f / "metadata.json").exists()}


def test_status_and_retry_failed_work_on_episodes(cli, show: Show, tmp_path: Path) -> None:
    show.without_transcripts(1)
    first = cli("run", show.serve(items=[0, 1]))
    assert first.code == 1 and "2 video(s): 1 done, 0 skipped, 1 failed" in first.stdout
    status = cli("status")
    assert status.code == 0
    [failed] = [line for line in status.stdout.splitlines() if line.startswith("podcast-") and "no_transcript" in line]
    assert re.match(r"podcast-[0-9a-f]{16}\t", failed) and "the feed's transcripts found none" in failed
    # An episode's id is a hash: its title, as the feed lists it, says which one failed.
    assert failed.split("\t")[1] == "Community", failed
    show.give(1, "text/vtt")  # the publisher adds the transcript
    show.serve(items=[0, 1])
    again = cli("run", "--retry-failed")  # no SOURCE: the status knows the way to the episode
    assert again.code == 0, again.stderr
    assert "1 video(s): 1 done" in again.stdout
    assert len(list((tmp_path / "output" / "posts").glob("*.md"))) == 2
    status = cli("status")
    assert "no_transcript" not in status.stdout


def test_the_batch_api_summarizes_episodes(cli, fake_llm, show: Show, tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("llm:\n  mode: batch\n" + FAST, encoding="utf-8")
    result = cli("run", show.serve(), "--limit", "3")
    assert result.code == 0, result.stderr
    assert "3 video(s): 3 done, 0 skipped, 0 failed" in result.stdout
    assert fake_llm.calls == 0  # not one live call
    lines = batch_api(fake_llm).lines
    assert len(lines) == 3
    sent = [line["body"]["messages"][-1]["content"] for line in lines]
    assert any("] Gillian: Hi Buzzsprout" in text for text in sent)
    assert any("] Luke: Nooooo" in text for text in sent)
    assert len(list((tmp_path / "output" / "posts").glob("*.md"))) == 3


def test_the_desk_lists_episodes_shows_speakers_and_retries_one(cli, fake_llm, show: Show, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    show.without_transcripts(1)
    assert cli("run", show.serve(items=[0, 1])).code == 1
    folders = list((tmp_path / "output" / "videos").iterdir())
    [failed] = [f.name for f in folders if json.loads((f / "status.json").read_text())["error"]]
    done = episodes(tmp_path)["Social Media"].name
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    config = Config.model_validate({"llm": {"base_url": fake_llm.base_url, "max_attempts": 1}})
    app = create_app(tmp_path / "output", config, token=TOKEN, allowed_hosts={"127.0.0.1"})
    with TestClient(app, base_url=LOCAL, follow_redirects=False) as client:
        assert client.get(f"/?token={TOKEN}").status_code == 303
        desk = client.get("/").text
        assert done in desk and failed in desk
        page = client.get(f"/video/{done}").text
        assert '<b class="speaker">Sarah:</b> In today&#39;s episode' in page
        assert '<b class="speaker">Gillian:</b>' in page
        show.give(1, "text/vtt")
        show.serve(items=[0, 1])
        answer = client.post(f"/video/{failed}/retry", data={"csrf_token": csrf_token(TOKEN)})
        assert answer.status_code == 303 and "retry%20started" in answer.headers["location"]
        job = client.app.starlette.state.jobs.get(failed)  # type: ignore[attr-defined]
        job.thread.join(timeout=60)
        assert job.state == "done", job.error
    assert len(list((tmp_path / "output" / "posts").glob("*.md"))) == 2


@pytest.mark.eleventy
def test_an_episodes_post_passes_the_eleventy_build(cli, show: Show, tmp_path: Path) -> None:
    assert node_available(), "Node.js >= 18 and npm are needed to build the Eleventy site (.ci/run installs them)"
    result = cli("run", show.serve(), "--limit", "2")
    assert result.code == 0, result.stderr
    posts = sorted((tmp_path / "output" / "posts").glob("*.md"))
    assert len(posts) == 2
    site = build_site(posts, tmp_path)
    pages = {path: path.read_text(encoding="utf-8") for path in site.rglob("*.html") if path.parent.name != "_site"}
    assert len(pages) == 2
    for post in posts:
        front = frontmatter.load(post)
        page = next(text for path, text in pages.items() if path.parent.name == post.stem)
        assert front["title"] in page and "The Mike Neumann Show" in page
        assert f'href="{front["source"]}"' in page
