"""Hostile transcripts and model answers, through the whole pipeline, built by a real Eleventy site."""

from __future__ import annotations

import json
from pathlib import Path

import frontmatter
import pytest

from tests.conftest import video_dir_with
from tests.eleventy import build_site, node_available
from tests.fakellm import default_answer
from tests.hostile import HOSTILE_ARTICLE, HOSTILE_CAPTIONS, assert_inert

pytestmark = [pytest.mark.eleventy]


@pytest.fixture(autouse=True)
def _node() -> None:
    # Fail, never skip: a silent skip would hide that hostile posts are no longer built (.ci/run
    # installs Node and npm).
    assert node_available(), "Node.js >= 18 and npm are needed to build the Eleventy site (.ci/run installs them)"

def test_hostile_inputs_build_safely(cli, fake_llm, tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, "JjQDik3yNhA")
    (videos / "JjQDik3yNhA.en.vtt").write_text(HOSTILE_CAPTIONS, encoding="utf-8")
    info = json.loads((videos / "JjQDik3yNhA.info.json").read_text(encoding="utf-8"))
    info["title"] = "../../etc/x {{ 7*7 }}"
    (videos / "JjQDik3yNhA.info.json").write_text(json.dumps(info), encoding="utf-8")
    plain = video_dir_with(tmp_path, "bwRHIkYqYJo")

    answers = iter([HOSTILE_ARTICLE])
    fake_llm.responder = lambda body: next(answers, None) or default_answer(body)
    first = cli("run", str(videos / "JjQDik3yNhA.info.json"))
    assert first.code == 0, first.stderr
    second = cli("run", str(plain / "bwRHIkYqYJo.info.json"))
    assert second.code == 0, second.stderr

    posts_dir = tmp_path / "output" / "posts"
    posts = sorted(posts_dir.glob("*.md"))
    assert len(posts) == 2
    assert all(p.resolve().parent == posts_dir.resolve() for p in posts)
    hostile = next(p for p in posts if "jjqdik" in p.name.lower() or "etc" in p.name)
    post = frontmatter.load(hostile)
    assert post["templateEngineOverride"] == "md"
    assert isinstance(post["title"], str) and isinstance(post["guest"], str) and post["guest"] == "null"
    assert all(isinstance(t, str) for t in post["tags"])
    ordinary = frontmatter.load(next(p for p in posts if p != hostile))
    assert "templateEngineOverride" not in ordinary.keys()

    site = build_site(posts, tmp_path)
    pages = {p: p.read_text(encoding="utf-8") for p in site.rglob("*.html")}
    assert len([p for p in pages if p.parent.name != "_site"]) == 2
    page = next(text for path, text in pages.items() if "etc" in str(path) or "jjqdik" in str(path).lower())
    assert "{{ 7*7 }}" in page and "49" not in page
    assert_inert(pages)
    assert 'href="https://example.com"' in page
    assert "alert(3)" not in page  # a script block goes with its content


def test_drafts_are_hidden_unless_asked(tmp_path: Path) -> None:
    seed = Path(__file__).parent / "fixtures" / "seed-post.md"
    hidden = build_site([seed], tmp_path / "a", show_drafts=False)
    assert "人工智能交易热潮" not in (hidden / "index.html").read_text(encoding="utf-8")
    shown = build_site([seed], tmp_path / "b", show_drafts=True)
    assert "人工智能交易热潮" in (shown / "index.html").read_text(encoding="utf-8")
    assert (shown / "posts" / "seed-post" / "index.html").read_text(encoding="utf-8").count("<h3") == 13


def test_a_template_in_a_post_without_the_guard_breaks_the_site(tmp_path: Path) -> None:
    # Why the guard exists: Eleventy runs Markdown through Liquid first.
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: t\nlayout: post.njk\n---\n\n{{ 7 * 7 }}\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="eleventy failed"):
        build_site([bad], tmp_path)
