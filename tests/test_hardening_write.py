"""The write stage: a read-only post is the reviewer's, and a kill mid-write never makes the
pipeline's own post look edited."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest

from tests.conftest import load_json, video_dir_with

from pipeline.post.formats import get_format

ELEVENTY = get_format("eleventy")

BW = "bwRHIkYqYJo"


def first_run(cli, tmp_path: Path) -> tuple[Path, Path]:
    info = video_dir_with(tmp_path, BW) / f"{BW}.info.json"
    result = cli("run", str(info))
    assert result.code == 0, result.stderr
    return info, next((tmp_path / "output" / "posts").glob("*.md"))


def test_read_only_post_is_protected_like_an_edited_one(cli, fake_llm, tmp_path: Path) -> None:
    info, post = first_run(cli, tmp_path)
    before = post.read_bytes()
    post.chmod(0o444)
    result = cli("run", str(info), "--set", "project=other")
    assert result.code == 0, result.stderr
    assert post.read_bytes() == before
    assert stat.S_IMODE(post.stat().st_mode) == 0o444
    assert "left untouched" in result.stderr
    assert (post.parent / (post.name + ".regenerated")).is_file()
    assert load_json(tmp_path / "output" / "videos" / BW / "post.json")["edited"] is True


def test_post_without_its_record_is_recognised_as_the_pipelines_own(cli, fake_llm, tmp_path: Path) -> None:
    """A kill after the post's rename, before post.json: the next run must not call it edited."""
    info, post = first_run(cli, tmp_path)
    record = tmp_path / "output" / "videos" / BW / "post.json"
    record.unlink()
    result = cli("run", str(info))
    assert result.code == 0, result.stderr
    assert not list(post.parent.glob("*.regenerated")), result.stderr
    assert "edited" not in result.stderr
    assert load_json(record)["sha256"] == hashlib.sha256(post.read_bytes()).hexdigest()
    # and a real edit afterwards is still seen as one
    post.write_text(post.read_text(encoding="utf-8") + "\n审校者补充。\n", encoding="utf-8")
    assert "edited by a reviewer" in cli("run", str(info), "--set", "project=x").stderr


def test_kill_between_post_and_record_with_changed_settings(cli, fake_llm, tmp_path: Path) -> None:
    """The record of the intended hash, written before the rename, covers a rerun whose post
    differs from the one the killed run wrote (here: a changed --set)."""
    info, post = first_run(cli, tmp_path)
    record = tmp_path / "output" / "videos" / BW / "post.json"
    old_record = record.read_text(encoding="utf-8")
    assert cli("run", str(info), "--set", "project=b").code == 0
    new_record = load_json(record)
    # What a kill right after the post's rename leaves: the old record plus the intended hash.
    crashed = json.loads(old_record)
    crashed["pending_sha256"] = new_record["sha256"]
    record.write_text(json.dumps(crashed), encoding="utf-8")
    result = cli("run", str(info), "--set", "project=c")
    assert result.code == 0, result.stderr
    assert not list(post.parent.glob("*.regenerated")), result.stderr
    assert "project:\n- c" in post.read_text(encoding="utf-8")


def test_the_intended_hash_is_recorded_before_the_post_is_renamed(tmp_path: Path, monkeypatch) -> None:
    """Stop the write right after the post's rename: post.json already names the new hash."""
    import pipeline.post.write as write_module
    from pipeline.config import Config
    from pipeline.store import Store
    from pipeline.post.write import locate_post, write

    store = Store(tmp_path / "out")
    store.write(BW, "metadata", {"id": BW, "title": "Wheelie", "upload_date": "20210101"})
    store.write(BW, "article", {"title": "标题", "summary": "摘要", "sections": [{"heading": "h", "body": "b"}],
                                "tags": [], "area": "a", "category": "c"})
    real = write_module.atomic_write_text

    class Killed(BaseException):
        pass

    def dies_after_post(path: Path, text: str) -> None:
        real(path, text)
        if path.suffix == ".md":
            raise Killed

    monkeypatch.setattr(write_module, "atomic_write_text", dies_after_post)
    try:
        write(BW, Config(), store)
    except Killed:
        pass
    monkeypatch.setattr(write_module, "atomic_write_text", real)
    existing = locate_post(store, BW, f"https://www.youtube.com/watch?v={BW}")
    assert existing is not None and not existing.edited


def test_a_new_posts_record_written_before_a_kill_leads_to_a_fresh_post(tmp_path: Path, monkeypatch) -> None:
    """A new post's record comes first (one write): killed before the post is in place, the
    next write finds no post and writes it, as the pipeline's own."""
    import pipeline.post.write as write_module
    from pipeline.config import Config
    from pipeline.store import Store
    from pipeline.post.write import locate_post, write

    store = Store(tmp_path / "out")
    store.write(BW, "metadata", {"id": BW, "title": "Wheelie", "upload_date": "20210101"})
    store.write(BW, "article", {"title": "标题", "summary": "摘要", "sections": [{"heading": "h", "body": "b"}],
                                "tags": [], "area": "a", "category": "c"})
    real = write_module.create_new_text  # how a new post is made: name and file in one step
    saves: list[dict] = []
    real_save = Store.save

    def counting_save(self, video_id, artifact):
        if artifact.FILE == "post":
            saves.append(artifact.to_json_dict())
        return real_save(self, video_id, artifact)

    class Killed(BaseException):
        pass

    def dies_before_post(path: Path, text: str) -> None:
        if path.suffix == ".md":
            raise Killed
        real(path, text)

    monkeypatch.setattr(Store, "save", counting_save)
    monkeypatch.setattr(write_module, "create_new_text", dies_before_post)
    with pytest.raises(Killed):
        write(BW, Config(), store)
    assert len(saves) == 1 and saves[0]["sha256"] and not saves[0]["pending_sha256"]
    assert not list((tmp_path / "out" / "posts").glob("*.md"))
    monkeypatch.setattr(write_module, "create_new_text", real)
    result = write(BW, Config(), Store(tmp_path / "out"))
    assert result.outcome == "done"
    existing = locate_post(Store(tmp_path / "out"), BW, f"https://www.youtube.com/watch?v={BW}")
    assert existing is not None and not existing.edited


def test_a_post_at_our_name_that_no_lookup_found_is_never_overwritten(tmp_path: Path) -> None:
    """The post.json record lost, the post's source line edited in place a moment ago: the
    writer finds the post at its own name and treats it as any post it found (kept, with the
    regenerated one beside it), never as a new one to write over."""
    from pipeline.config import Config
    from pipeline.post.index import find_post_by_source
    from pipeline.post.write import write
    from pipeline.store import Store

    store = Store(tmp_path / "out")
    store.write(BW, "metadata", {"id": BW, "title": "Wheelie", "upload_date": "20210101"})
    store.write(BW, "article", {"title": "标题", "summary": "摘要", "sections": [{"heading": "h", "body": "b"}],
                                "tags": [], "area": "a", "category": "c"})
    post = Path(write(BW, Config(), store).detail)
    text = post.read_text(encoding="utf-8")
    store.path(BW, "post").unlink()
    source = f"https://www.youtube.com/watch?v={BW}"
    post.write_text(text.replace(source, f"https://youtu.be/{BW}"), encoding="utf-8")
    assert find_post_by_source(store.posts_dir, "https://example.com/x", ELEVENTY) is None  # the index: no such post
    with open(post, "r+", encoding="utf-8") as handle:  # in place: the folder's time stays
        handle.write(text + "\n审稿人的修改\n")
        handle.truncate()
    result = write(BW, Config(), store, force=True)
    assert result.outcome == "kept", result.detail
    assert "审稿人的修改" in post.read_text(encoding="utf-8")
    assert Path(str(post) + ".regenerated").is_file()


def test_two_videos_of_the_same_date_and_title_written_at_once_get_a_post_each(cli, fake_llm, tmp_path: Path) -> None:
    """Two workers writing two videos with the same date and title (online sources run two
    local workers) each choose a name and create their post in one step: neither post is
    written over, and each has its own name."""
    import threading

    from pipeline.config import Config
    from pipeline.post.write import write
    from pipeline.store import Store
    from tests.many_videos import make_videos

    pairs = 12
    ids = make_videos(tmp_path / "videos", 2 * pairs)
    for index, video_id in enumerate(ids):  # video 2k and 2k+1: one date, one title
        path = tmp_path / "videos" / f"{video_id}.info.json"
        info = json.loads(path.read_text(encoding="utf-8"))
        info.update(title=f"The same talk, part {index // 2}", upload_date="20240301")
        path.write_text(json.dumps(info), encoding="utf-8")
    for stage in ("fetch", "summarize"):
        assert cli(stage, "videos").code == 0
    store = Store(tmp_path / "output")
    for first, second in zip(ids[::2], ids[1::2]):
        start = threading.Barrier(2)
        results = {}

        def worker(video_id: str) -> None:
            start.wait()
            results[video_id] = write(video_id, Config(), store)

        threads = [threading.Thread(target=worker, args=(v,)) for v in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert {r.outcome for r in results.values()} == {"done"}, results
    posts = sorted((tmp_path / "output" / "posts").glob("*.md"))
    assert len(posts) == 2 * pairs, [p.name for p in posts]
    for video_id in ids:
        record = load_json(tmp_path / "output" / "videos" / video_id / "post.json")
        post = tmp_path / "output" / record["path"]
        assert f"watch?v={video_id}\n" in post.read_text(encoding="utf-8"), (video_id, record["path"])
        assert hashlib.sha256(post.read_bytes()).hexdigest() == record["sha256"]
    assert len({load_json(tmp_path / "output" / "videos" / v / "post.json")["path"] for v in ids}) == 2 * pairs
