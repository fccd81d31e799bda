"""Faults of the file system and the process: stale temporary files, locks, signals, full disks."""

from __future__ import annotations

from pathlib import Path

from pipeline.store import Store, atomic_write_text


def test_stale_temp_cleanup_removes_only_the_pipelines_own(tmp_path: Path) -> None:
    out = tmp_path / "out"
    store = Store(out)
    (out / "videos" / "abc").mkdir(parents=True)
    (out / "posts").mkdir()
    mine = out / "posts" / ".2021-01-01-x.md.yt2post-k2j4h5g6.tmp"
    mine.write_text("half")
    also_mine = out / "videos" / "abc" / ".article.json.yt2post-abcdefgh.tmp"
    also_mine.write_text("half")
    users = [out / "posts" / ".notes.tmp", out / "posts" / "draft.tmp", out / "posts" / ".notes.abcdefgh.tmp"]
    for path in users:
        path.write_text("the user's")
    folder_named_like_temp = out / "posts" / ".x.md.yt2post-aaaaaaaa.tmp"
    folder_named_like_temp.mkdir()
    assert store.remove_stale_temp_files() == 2
    assert not mine.exists() and not also_mine.exists()
    assert all(p.read_text() == "the user's" for p in users)
    assert folder_named_like_temp.is_dir()


def test_stale_temp_cleanup_does_not_follow_a_posts_symlink(tmp_path: Path) -> None:
    elsewhere = tmp_path / "site-notes"
    elsewhere.mkdir()
    theirs = [elsewhere / ".notes.tmp", elsewhere / ".a.md.yt2post-abcdefgh.tmp"]
    for path in theirs:
        path.write_text("not ours")
    out = tmp_path / "out"
    (out / "videos").mkdir(parents=True)
    (out / "posts").symlink_to(elsewhere)
    linked = out / "videos" / ".b.json.yt2post-abcdefgh.tmp"
    linked.symlink_to(theirs[1])
    Store(out).remove_stale_temp_files()
    assert all(p.read_text() == "not ours" for p in theirs)


def test_temporary_names_carry_the_pipelines_pattern(tmp_path: Path) -> None:
    import pipeline.store as store_module

    seen: list[str] = []
    real = store_module.os.replace

    def spy(src, dst):
        seen.append(Path(src).name)
        return real(src, dst)

    store_module.os.replace = spy
    try:
        atomic_write_text(tmp_path / "a.md", "x")
    finally:
        store_module.os.replace = real
    assert store_module.TEMP_NAME.fullmatch(seen[0]), seen
