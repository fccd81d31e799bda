"""What the pipeline reads is what the files hold now: an artifact changed or deleted by hand, a
caption file added beside an info.json, a post moved or edited, a prompt template changed; no
link leads a read or a write outside the output folder; the per-video lock excludes threads."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

import pipeline.post.index as post_index
import pipeline.words.siblings as siblings
from pipeline.config import Config
from pipeline.llm.prompts import Prompts
from pipeline.store import Store
from tests.many_videos import make_videos

from pipeline.post.formats import get_format

ELEVENTY = get_format("eleventy")

VIDEO = "abcdefghijk"


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    """A rename over it, an edit in place of another size, or one of the same size within the
    same clock tick: the store reads what the file holds now."""
    store = Store(tmp_path)
    store.write(VIDEO, "article", {"title": "one"})
    path = store.path(VIDEO, "article")
    replacement = tmp_path / "replacement.json"
    replacement.write_text('{"title": "two"}\n', encoding="utf-8")
    os.replace(replacement, path)  # same size as what the store wrote? no matter: a new inode
    assert store.read(VIDEO, "article") == {"title": "two"}
    path.write_text('{"title": "three, longer"}\n', encoding="utf-8")  # in place, another size
    assert store.read(VIDEO, "article") == {"title": "three, longer"}
    before = path.stat()
    path.write_text('{"title": "four, longer!"}\n', encoding="utf-8")  # in place, the same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    assert store.read(VIDEO, "article") == {"title": "four, longer!"}
    path.write_text('{"title": "five, longer!"}\n', encoding="utf-8")  # the same size, the same time
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    assert store.read(VIDEO, "article") == {"title": "five, longer!"}


def test_a_loaded_model_is_its_own(tmp_path: Path) -> None:
    """What a model holds may be changed in place (a request's errors in batch.json): never
    what the store remembers, nor another load's model."""
    from pipeline.artifacts import BatchFile

    store = Store(tmp_path)
    store.save(VIDEO, BatchFile(video_id=VIDEO, requests={"k": {"state": "failed", "errors": []}}))
    first = store.load(VIDEO, BatchFile)
    first.requests["k"]["errors"].append({"message": "not saved"})
    assert store.load(VIDEO, BatchFile).requests["k"]["errors"] == []
    assert store.read(VIDEO, "batch")["requests"]["k"]["errors"] == []


def test_a_deleted_artifact_is_missing_again(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.write(VIDEO, "article", {"title": "x"})
    store.path(VIDEO, "article").unlink()
    assert store.read_optional(VIDEO, "article") is None


def _age(folder: Path) -> None:
    """A folder last changed a minute ago: a listing of it is trusted (see siblings._RACY_NS)."""
    past = time.time() - 60
    os.utime(folder, (past, past))


def test_each_video_of_a_folder_gets_its_own_caption_files(tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    ids = make_videos(folder, 30)
    for video_id in ids:
        (folder / f"{video_id}.en.vtt").write_text("WEBVTT\n", encoding="utf-8")
    _age(folder)
    for video_id in ids:
        assert [p.name for p in siblings.files_beside(folder / f"{video_id}.info.json")] == [f"{video_id}.en.vtt"]


def test_a_file_added_to_the_folder_is_seen(tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    make_videos(folder, 2)
    _age(folder)
    info = folder / "batch000000.info.json"
    assert siblings.files_beside(info) == []
    (folder / "batch000000.de.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHallo\n", encoding="utf-8")
    assert [p.name for p in siblings.files_beside(info)] == ["batch000000.de.srt"]


def test_files_added_within_one_clock_tick_are_seen(tmp_path: Path) -> None:
    """A folder changed in the last second may change again within its clock's tick."""
    folder = tmp_path / "videos"
    make_videos(folder, 2)
    info = folder / "batch000000.info.json"
    seen = []
    for lang in ("de", "fr", "it"):
        before = folder.stat()
        (folder / f"batch000000.{lang}.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nx\n", encoding="utf-8")
        os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))  # the folder's time as before
        seen.append(len(siblings.files_beside(info)))
    assert seen == [1, 2, 3]


def _post(path: Path, source: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\nsource: {source}\ntitle: t\n---\n\nbody\n", encoding="utf-8")


def test_the_posts_index_follows_the_pipelines_own_writes(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    for n in range(5):
        _post(posts / f"p{n}.md", f"https://example.com/{n}")
    assert post_index.find_post_by_source(posts, "https://example.com/new", ELEVENTY) is None
    for n in range(5, 25):
        path = posts / f"p{n}.md"
        _post(path, f"https://example.com/{n}")
        post_index.post_written(posts, path, f"https://example.com/{n}")
        assert post_index.find_post_by_source(posts, f"https://example.com/new-{n}", ELEVENTY) is None
    assert post_index.find_post_by_source(posts, "https://example.com/17", ELEVENTY) == posts.resolve() / "p17.md"
    assert post_index.find_post_by_source(posts, "https://example.com/3", ELEVENTY) == posts.resolve() / "p3.md"


def test_the_posts_index_sees_moves_new_folders_and_edits_in_place(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    _post(posts / "a.md", "https://example.com/a")
    _post(posts / "b.md", "https://example.com/b")
    assert post_index.find_post_by_source(posts, "https://example.com/a", ELEVENTY) == posts.resolve() / "a.md"
    (posts / "2024").mkdir()
    (posts / "a.md").rename(posts / "2024" / "renamed.md")
    assert post_index.find_post_by_source(posts, "https://example.com/a", ELEVENTY) == posts.resolve() / "2024" / "renamed.md"
    # The source itself edited in place (no folder changes): the post found is checked.
    _post(posts / "b.md", "https://example.com/elsewhere")
    assert post_index.find_post_by_source(posts, "https://example.com/b", ELEVENTY) is None


def test_a_source_line_edited_in_place_is_seen_by_the_next_walk(tmp_path: Path, monkeypatch) -> None:
    """An editor that saves in place leaves the folder's time alone: the index is walked again
    a second later at the most (no wait here: the interval is set to nothing)."""
    posts = tmp_path / "posts"
    post = posts / "2024-01-01-talk.md"
    _post(post, "https://youtu.be/AAAAAAAAAAA")
    wanted = "https://www.youtube.com/watch?v=AAAAAAAAAAA"
    assert post_index.find_post_by_source(posts, wanted, ELEVENTY) is None
    with open(post, "r+", encoding="utf-8") as handle:
        handle.write(f"---\nsource: {wanted}\ntitle: t\n---\n\nedited\n")
        handle.truncate()
    monkeypatch.setattr(post_index, "_WALK_EVERY", 0.0)
    assert post_index.find_post_by_source(posts, wanted, ELEVENTY) == posts.resolve() / post.name


def test_the_first_post_in_name_order_wins_as_before(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    _post(posts / "z.md", "https://example.com/same")
    _post(posts / "a" / "x.md", "https://example.com/same")
    _post(posts / "a.md", "https://example.com/same")
    assert post_index.find_post_by_source(posts, "https://example.com/same", ELEVENTY) == posts.resolve() / "a" / "x.md"


def test_a_changed_prompt_template_is_rendered_as_it_is_now(tmp_path: Path) -> None:
    prompts_dir = tmp_path / "prompts"
    prompts_dir.mkdir()
    (prompts_dir / "system.md").write_text("系统一", encoding="utf-8")
    config = Config.model_validate({"prompts_dir": str(prompts_dir)})
    first = Prompts(config)
    assert first.render("system.md") == "系统一"
    (prompts_dir / "system.md").write_text("系统二，改过", encoding="utf-8")
    third = Prompts(config)
    assert third.render("system.md") == "系统二，改过" and third.fingerprint != first.fingerprint
    assert first.render("system.md") == "系统一"  # a run keeps the templates it fingerprinted


def test_the_per_video_lock_excludes_other_threads(tmp_path: Path) -> None:
    store = Store(tmp_path)
    inside: list[int] = []
    overlaps: list[int] = []

    def hold(n: int) -> None:
        with store.video_lock(VIDEO):
            inside.append(n)
            if len(inside) > 1:
                overlaps.append(n)
            time.sleep(0.02)
            inside.remove(n)

    threads = [threading.Thread(target=hold, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []
    assert (tmp_path / "videos" / VIDEO / ".post.lock").exists()


def test_metadata_lists_inline_captions_without_their_text(tmp_path: Path, fake_llm) -> None:
    from pipeline import RunOptions, RunRequest, run

    videos = tmp_path / "videos"
    make_videos(videos, 1)
    run(RunRequest(sources=[str(videos)], options=RunOptions(stages=("fetch",))),
        Config.model_validate({"llm": {"base_url": fake_llm.base_url}}), tmp_path / "out")
    meta = json.loads((tmp_path / "out" / "videos" / "batch000000" / "metadata.json").read_text(encoding="utf-8"))
    inline = [fmt for key in ("subtitles", "automatic_captions") for formats in meta[key].values() for fmt in formats
              if fmt.get("inline")]
    assert inline and not any("data" in fmt for fmt in inline)
    transcript = json.loads((tmp_path / "out" / "videos" / "batch000000" / "transcript.json").read_text())
    assert transcript["paragraphs"] and transcript["track"]


def test_no_link_leads_a_read_or_a_write_outside(tmp_path: Path) -> None:
    """A video folder swapped for a link after the store first used it, or an artifact that is
    a link to a file elsewhere: refused."""
    from pipeline.errors import ArtifactError

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "transcript.json").write_text('{"secret": true}', encoding="utf-8")
    store = Store(tmp_path / "out")
    store.write(VIDEO, "article", {"title": "x"})
    folder = tmp_path / "out" / "videos" / VIDEO
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    folder.symlink_to(outside, target_is_directory=True)
    with pytest.raises(ArtifactError, match="refusing to write outside"):
        store.write(VIDEO, "article", {"title": "y"})
    assert not (outside / "article.json").exists()
    folder.unlink()
    folder.mkdir()
    (folder / "transcript.json").symlink_to(outside / "transcript.json")
    with pytest.raises(ArtifactError, match="refusing to read outside"):
        store.read(VIDEO, "transcript")


def test_a_dangling_link_among_the_prompts_is_no_template(tmp_path: Path) -> None:
    prompts_dir = tmp_path / "prompts"
    (prompts_dir / "partials").mkdir(parents=True)
    (prompts_dir / "gone.md").symlink_to(tmp_path / "missing.md")
    (prompts_dir / "partials" / "x.md").write_text("一", encoding="utf-8")
    (prompts_dir / "system.md").write_text("{% include 'partials/x.md' %}", encoding="utf-8")
    config = Config.model_validate({"prompts_dir": str(prompts_dir)})
    assert Prompts(config).render("system.md") == "一"
    (prompts_dir / "partials" / "x.md").write_text("二二", encoding="utf-8")  # a file in a subfolder counts
    assert Prompts(config).render("system.md") == "二二"
