"""A reviewer's edits survive every rerun mode."""

from __future__ import annotations

import json
import re
from pathlib import Path

import frontmatter
import pytest

from tests.conftest import video_dir_with

from pipeline.post.formats import get_format

ELEVENTY = get_format("eleventy")

BW = "bwRHIkYqYJo"


@pytest.fixture
def reviewed(cli, fake_llm, tmp_path: Path):
    """A video run once, whose post a reviewer then edited."""
    info = video_dir_with(tmp_path, BW) / f"{BW}.info.json"
    assert cli("run", str(info)).code == 0
    post = next((tmp_path / "output" / "posts").glob("*.md"))
    edited = post.read_text(encoding="utf-8").replace("### ", "### 审校后的", 1) + "\n审校者补充的一段。\n"
    post.write_text(edited, encoding="utf-8")
    return info, post, edited


def edit_transcript(tmp_path: Path) -> None:
    path = tmp_path / "output" / "videos" / BW / "transcript.json"
    data = json.loads(path.read_text())
    data["paragraphs"][0]["text"] += " extra"
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("mode", ["run", "run --force", "write", "write --force", "summarize --force then run",
                                  "edited transcript", "changed --set"])
def test_edited_post_is_never_overwritten(cli, tmp_path: Path, reviewed, mode: str) -> None:
    info, post, edited = reviewed
    if mode == "run":
        result = cli("run", str(info))
    elif mode == "run --force":
        result = cli("run", str(info), "--force")
    elif mode == "write":
        result = cli("write", BW)
    elif mode == "write --force":
        result = cli("write", BW, "--force")
    elif mode == "summarize --force then run":
        cli("summarize", BW, "--force")
        result = cli("run", str(info))
    elif mode == "edited transcript":
        edit_transcript(tmp_path)
        result = cli("run", str(info))
    else:
        result = cli("run", str(info), "--set", "project=other")
    assert result.code == 0, result.stderr
    assert post.read_text(encoding="utf-8") == edited
    if mode in ("run", "write", "summarize --force then run"):
        # Nothing new to offer: the stage is skipped, and says why the post differs.
        assert "skipped" in result.stderr and "(edited by a reviewer)" in result.stderr
    else:
        assert "edited by a reviewer and left untouched" in result.stderr
        assert Path(str(post) + ".regenerated").exists()
    assert len(list(post.parent.glob("*.md"))) == 1


def test_overwrite_edited_keeps_a_backup(cli, tmp_path: Path, reviewed) -> None:
    _, post, edited = reviewed
    result = cli("write", BW, "--overwrite-edited")
    assert result.code == 0, result.stderr
    assert post.read_text(encoding="utf-8") != edited
    backups = list(post.parent.glob(post.name + ".bak-*"))
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8") == edited
    assert "saved as" in result.stderr
    # Now it is ours again: a later run may update it.
    assert cli("run", BW, "--force").code == 0


def test_moved_post_is_found_by_source(cli, fake_llm, tmp_path: Path) -> None:
    info = video_dir_with(tmp_path, BW) / f"{BW}.info.json"
    cli("run", str(info))
    posts = tmp_path / "output" / "posts"
    original = next(posts.glob("*.md"))
    moved = posts / "renamed-by-reviewer.md"
    original.rename(moved)
    result = cli("run", str(info), "--force")
    assert result.code == 0, result.stderr
    assert sorted(p.name for p in posts.glob("*.md")) == ["renamed-by-reviewer.md"]
    record = json.loads((tmp_path / "output" / "videos" / BW / "post.json").read_text())
    assert record["path"] == "posts/renamed-by-reviewer.md"
    # Moved and edited: protected at its new place.
    moved.write_text(moved.read_text(encoding="utf-8") + "\n改过了。\n", encoding="utf-8")
    cli("run", str(info), "--force")
    assert moved.read_text(encoding="utf-8").endswith("改过了。\n")
    assert sorted(p.name for p in posts.glob("*.md")) == ["renamed-by-reviewer.md"]


def test_status_shows_review_states(cli, fake_llm, tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, BW, "JjQDik3yNhA")
    assert cli("run", str(videos)).code == 0
    header = cli("status").stdout.splitlines()[0].split("\t")
    review = header.index("review")
    assert [line.split("\t")[review] for line in cli("status").stdout.splitlines()[1:3]] == ["draft", "draft"]
    posts = sorted((tmp_path / "output" / "posts").glob("*.md"))
    by_id = {frontmatter.load(p)["source"].rsplit("=", 1)[1]: p for p in posts}
    by_id[BW].write_text(by_id[BW].read_text(encoding="utf-8") + "\n编辑。\n", encoding="utf-8")
    published = by_id["JjQDik3yNhA"]
    published.write_text(published.read_text(encoding="utf-8").replace("draft: true", "draft: false"),
                         encoding="utf-8")
    lines = {line.split("\t")[0]: line.split("\t") for line in cli("status").stdout.splitlines()[1:3]}
    assert lines[BW][review] == "edited" and lines["JjQDik3yNhA"][review] == "approved"


def test_a_post_is_found_by_its_source_after_a_move_and_an_edit(tmp_path: Path) -> None:
    """A batch of new videos looks for each one's post among many: a post moved into a
    subfolder and edited there is still found by its source, and none is found for a new one."""
    import pipeline.post.index as index_module

    posts = tmp_path / "posts"
    posts.mkdir()
    for n in range(30):
        (posts / f"p{n}.md").write_text(f"---\nsource: https://example.com/{n}\ntitle: t\n---\n\nbody\n")
    for n in range(30):
        assert index_module.find_post_by_source(posts, f"https://example.com/new-{n}", ELEVENTY) is None
    moved = posts / "sub" / "renamed.md"
    moved.parent.mkdir()
    (posts / "p7.md").rename(moved)
    moved.write_text("---\nsource: https://example.com/seven\ntitle: t\n---\n\nedited\n")
    assert index_module.find_post_by_source(posts, "https://example.com/seven", ELEVENTY) == moved.resolve()
    assert index_module.find_post_by_source(posts, "https://example.com/3", ELEVENTY) == (posts / "p3.md").resolve()


def test_status_and_the_writer_agree_on_what_is_the_reviewers(cli, fake_llm, tmp_path: Path) -> None:
    """A read-only post is the reviewer's for the write stage, so status says "edited" too."""
    import os

    videos = video_dir_with(tmp_path, BW)
    assert cli("run", str(videos)).code == 0
    post = next((tmp_path / "output" / "posts").glob("*.md"))
    os.chmod(post, 0o444)
    row = json.loads(cli("status", "--json").stdout.splitlines()[0])
    assert row["review"] == "edited"


def test_a_forced_run_leaves_approved_posts_out_unless_they_are_named(cli, fake_llm, tmp_path: Path) -> None:
    """``run --force`` over a folder pays for no approved post: the README promises an approved
    post is never regenerated. Named as a SOURCE of its own, it is redone (the new text beside
    it, as for any post the reviewer changed)."""
    from pipeline.config import Config
    from pipeline.review.posts import approve, find_post
    from pipeline.store import Store
    from tests.many_videos import make_videos

    ids = make_videos(tmp_path / "videos", 3)
    assert cli("run", "videos").code == 0 and fake_llm.calls == 3
    approved = ids[1]
    store = Store(tmp_path / "output")
    post = approve(store, approved, Config(), find_post(store, approved).version)
    text = post.read_bytes()

    def asked_for(body: dict) -> str:  # the video a model call was for, by the number in its title
        return ids[int(re.search(r"Wheelie challenge number (\d+)", body["messages"][-1]["content"]).group(1))]

    fake_llm.reset()
    dry = cli("run", "videos", "--force", "--dry-run")
    assert dry.code == 0, dry.stderr
    assert approved not in dry.stdout.split("total:")[0]
    assert "1 approved post(s) left out (name them to redo)" in dry.stdout
    forced = cli("run", "videos", "--force")
    assert forced.code == 0, forced.stderr
    assert fake_llm.calls == 2 and approved not in {asked_for(b) for b in fake_llm.requests}
    assert forced.stdout.strip().splitlines()[0] == \
        "2 video(s): 2 done, 0 skipped, 0 failed, 1 approved post(s) left out (name them to redo)"
    assert post.read_bytes() == text and not Path(f"{post}.regenerated").exists()

    fake_llm.reset()
    named = cli("run", f"videos/{approved}.info.json", "--force")
    assert named.code == 0, named.stderr
    assert fake_llm.calls == 1 and asked_for(fake_llm.requests[0]) == approved
    assert post.read_bytes() == text and Path(f"{post}.regenerated").is_file()
    assert "left out" not in named.stdout


def test_a_folder_whose_name_has_an_ids_form_names_no_single_video(cli, fake_llm, tmp_path: Path) -> None:
    """``--force`` redoes an approved post only when its video is named on its own: a folder is
    never that, even when its name has the form of a video id (11 characters)."""
    from pipeline.config import Config
    from pipeline.review.posts import approve, find_post
    from pipeline.store import Store
    from tests.many_videos import make_videos

    ids = make_videos(tmp_path / "my_videos01", 2)
    assert cli("run", "my_videos01").code == 0
    store = Store(tmp_path / "output")
    approve(store, ids[1], Config(), find_post(store, ids[1]).version)
    dry = cli("run", "my_videos01", "--force", "--dry-run")
    assert "1 approved post(s) left out" in dry.stdout, dry.stdout
