"""Faults of the file system and the process: stale temporary files, locks, signals, full disks."""

from __future__ import annotations

import os
import time
from pathlib import Path

from pipeline.files import atomic_write_text
from pipeline.store import Store


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
    for path in (mine, also_mine):
        os.utime(path, (time.time() - 3600, time.time() - 3600))  # left by a run killed an hour ago
    under_way = out / "posts" / ".2021-01-02-y.md.yt2post-z9y8x7w6.tmp"  # a desk save this second
    under_way.write_text("half")
    assert store.remove_stale_temp_files() == 2
    assert not mine.exists() and not also_mine.exists() and under_way.exists()
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
    Store(out).remove_stale_temp_files(older_than=0)  # whatever their age: these are not ours
    assert all(p.read_text() == "not ours" for p in theirs)


def test_temporary_names_carry_the_pipelines_pattern(tmp_path: Path) -> None:
    import pipeline.files as store_module

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


# --- two runs at once ------------------------------------------------------------------

import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402

from tests.many_videos import make_videos  # noqa: E402
from tests.conftest import ROOT, run_in_process  # noqa: E402
from tests.processes import Hold, Watched, terminate_while_held, wait_for_entry  # noqa: E402


def _env(fake_llm, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(OPENAI_BASE_URL=fake_llm.base_url, OPENAI_API_KEY="sk-test",
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""), **extra)
    return env


def _start(tmp_path: Path, fake_llm, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=tmp_path, env=_env(fake_llm),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@contextmanager
def _held_run(tmp_path: Path, fake_llm, count: int) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A run of ``count`` new videos in its own process, its model calls held by the server
    until the block ends: meanwhile it surely holds the output folder."""
    fake_llm.responder = hold = Hold()
    folder = tmp_path / "videos"
    make_videos(folder, count)
    run = _start(tmp_path, fake_llm, "run", str(folder))
    try:
        hold.wait_held()
        yield run, folder
    finally:
        hold.release()


def _wait_for(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_two_runs_at_once_pay_once(tmp_path: Path, fake_llm) -> None:
    fake_llm.responder = hold = Hold()  # the first run's calls wait until the second run waits
    folder = tmp_path / "videos"
    ids = make_videos(folder, 6)
    first = Watched(["run", str(folder)], tmp_path, fake_llm)
    try:
        hold.wait_held()
        second = Watched(["run", str(folder)], tmp_path, fake_llm)
        second.wait_for_stderr("waiting")
    finally:
        hold.release()
    code2, out2, err2 = second.finish()
    code1, out1, err1 = first.finish()
    assert code1 == 0, err1
    assert code2 == 0, err2
    assert f"(pid {first.pid})" in err2 and "waiting" in err2
    assert "6 video(s): 0 done, 6 skipped" in out2, out2
    assert fake_llm.calls == len(ids)  # one call per video, not two


def test_no_wait_exits_2_naming_the_holder(tmp_path: Path, fake_llm) -> None:
    with _held_run(tmp_path, fake_llm, 3) as (first, folder):
        second = subprocess.run([sys.executable, "-m", "pipeline", "run", str(folder), "--no-wait"], cwd=tmp_path,
                                env=_env(fake_llm), capture_output=True, text=True, timeout=60)
        # status needs no lock: it answers while a run holds the folder
        status = subprocess.run([sys.executable, "-m", "pipeline", "status"], cwd=tmp_path, env=_env(fake_llm),
                                capture_output=True, text=True, timeout=30)
        assert first.poll() is None, "the run ended before status was asked"
    _, err1 = first.communicate(timeout=120)
    assert second.returncode == 2, second.stderr
    assert f"pid {first.pid}" in second.stderr and len(second.stderr.strip().splitlines()) == 1
    assert status.returncode == 0, status.stderr
    assert first.returncode == 0, err1


def test_a_killed_holders_lock_is_taken_over(tmp_path: Path, fake_llm) -> None:
    with _held_run(tmp_path, fake_llm, 2) as (first, folder):
        first.kill()
        first.communicate()
    fake_llm.responder = None
    second = subprocess.run([sys.executable, "-m", "pipeline", "run", str(folder), "--no-wait"], cwd=tmp_path,
                            env=_env(fake_llm), capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr


# --- SIGTERM ---------------------------------------------------------------------------


def test_sigterm_stops_like_ctrl_c(tmp_path: Path, fake_llm) -> None:
    fake_llm.responder = hold = Hold()  # calls are in flight when the TERM comes
    folder = tmp_path / "videos"
    make_videos(folder, 12)
    run = Watched(["run", str(folder)], tmp_path, fake_llm)
    terminate_while_held(run, hold, once=lambda: _wait_for(lambda: fake_llm.calls >= 2))
    code, out, err = run.finish(timeout=60)
    assert code == 143, (out, err)
    assert err.strip().splitlines()[-1].startswith("terminated:"), err
    assert "Traceback" not in err
    out_dir = tmp_path / "output"
    assert not [p for p in out_dir.rglob("*") if p.name.endswith(".tmp")]
    # work in flight finished its writes: every article the server answered is whole
    articles = list(out_dir.glob("videos/*/article.json"))
    for path in articles:
        json.loads(path.read_text(encoding="utf-8"))
    assert len(articles) < 12  # it did stop starting work
    fake_llm.responder = None
    again = run_in_process(tmp_path, fake_llm, "run", str(folder))
    assert again.code == 0, again.stderr


import json  # noqa: E402


# --- a full disk -----------------------------------------------------------------------

import re  # noqa: E402
import shutil  # noqa: E402
from benchmarks.chaos import fill, small_disk  # noqa: E402  (a real small tmpfs; fails loudly without root)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and p.name != ".yt2post.lock"}


def test_disk_full_fails_videos_with_their_cause_and_keeps_earlier_artifacts(tmp_path: Path, fake_llm, cli) -> None:
    folder = tmp_path / "videos"
    ids = make_videos(folder, 10)
    early = tmp_path / "early"
    early.mkdir()
    for vid in ids[:2]:
        shutil.copy(folder / f"{vid}.info.json", early)
    (tmp_path / "config.yaml").write_text("llm:\n  concurrency: 2\n")
    with small_disk(tmp_path / "disk") as disk:
        out = disk / "output"
        first = cli("run", str(early), "--out", str(out))
        assert first.code == 0, first.stderr
        assert cli("fetch", str(folder), "--out", str(out)).code == 0
        before = snapshot(out)
        fake_llm.reset()
        fake_llm.responder = hold = Hold()
        # The disk fills while the batch waits on the model, as it would in the middle of a run.
        process = subprocess.Popen([sys.executable, "-m", "pipeline", "run", str(folder), "--out", str(out)],
                                   cwd=tmp_path, env=_env(fake_llm), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            hold.wait_held()
            filler = fill(disk)
        finally:
            hold.release()
        stdout, stderr = process.communicate(timeout=120)
        result = type("Result", (), {"code": process.returncode, "stdout": stdout, "stderr": stderr})
        fake_llm.responder = None
        assert result.code == 1, (result.stdout, result.stderr)
        assert "10 video(s)" in result.stdout and "disk_full" in result.stdout, (result.stdout, result.stderr)
        counts = {word: int(number) for number, word in
                  re.findall(r"(\d+) (done|skipped|failed|not started)", result.stdout)}
        assert sum(counts.values()) == 10, (counts, result.stdout)
        assert counts.get("failed", 0) >= 1, counts
        assert "No space left on device" in result.stderr and str(out) in result.stderr, result.stderr
        # A full disk stops the batch: it does not go on paying for answers it cannot save
        # (the calls in flight when it filled, two at concurrency 2, and at most as many more).
        assert fake_llm.calls <= 4, fake_llm.calls
        after = snapshot(out)
        for name, data in before.items():
            if not name.endswith("status.json"):  # the failure is recorded where there is room
                assert after.get(name) == data, f"{name} was damaged"
            json.loads(after[name]) if name.endswith(".json") else None
        assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
        filler.unlink()
        again = cli("run", str(folder), "--out", str(out))
        assert again.code == 0, again.stderr
        assert len(list((out / "posts").glob("*.md"))) == 10


def test_other_os_errors_are_io_errors_naming_the_path(cli, fake_llm, tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    make_videos(folder, 2)
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "posts").write_text("a file where the posts folder should be")
    result = cli("run", str(folder))
    assert result.code == 1
    assert "2 video(s): 0 done, 0 skipped, 2 failed (io_error: 2)" in result.stdout, result.stdout
    assert "output/posts" in result.stderr


def test_no_model_call_is_paid_for_when_the_disk_is_full(tmp_path: Path, fake_llm, cli) -> None:
    folder = tmp_path / "videos"
    make_videos(folder, 3)
    with small_disk(tmp_path / "disk") as disk:
        out = disk / "output"
        assert cli("fetch", str(folder), "--out", str(out)).code == 0
        filler = fill(disk)
        fake_llm.reset()
        result = cli("summarize", str(folder), "--out", str(out))
        assert result.code == 1 and "disk_full" in result.stdout, (result.stdout, result.stderr)
        assert fake_llm.calls == 0
        filler.unlink()


def test_sigterm_during_start_up_exits_143(tmp_path: Path, fake_llm) -> None:
    folder = tmp_path / "videos"
    make_videos(folder, 2)
    # Delays count from our entry point's first lines: before them, the interpreter's own
    # start-up, nothing can catch a signal, and nothing has been written either. The answers
    # are held, so the run cannot have ended before the signal: 143 and nothing else.
    for delay in (0, 0.2, 0.5):
        fake_llm.responder = hold = Hold()
        run = _start(tmp_path, fake_llm, "run", str(folder))
        try:
            wait_for_entry(run)
            time.sleep(delay)
            run.send_signal(signal.SIGTERM)
        finally:
            hold.release()
        out, err = run.communicate(timeout=60)
        assert run.returncode == 143, (delay, run.returncode, err)
        assert "Traceback" not in err


def test_sigterm_while_waiting_for_the_lock_exits_143(tmp_path: Path, fake_llm) -> None:
    fake_llm.responder = hold = Hold()  # the first run holds the folder until the test is done
    folder = tmp_path / "videos"
    make_videos(folder, 2)
    first = Watched(["run", str(folder)], tmp_path, fake_llm)
    try:
        hold.wait_held()
        second = Watched(["run", str(folder)], tmp_path, fake_llm)
        second.wait_for_stderr("waiting")
        second.proc.send_signal(signal.SIGTERM)
        code2, _, err = second.finish(timeout=30)
    finally:
        hold.release()
    code1, _, err1 = first.finish(timeout=60)
    assert code2 == 143, err
    assert "waiting" in err and err.strip().splitlines()[-1].startswith("terminated"), err
    assert code1 == 0, err1
