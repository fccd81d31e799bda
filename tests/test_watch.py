"""Watching a playlist: each run drafts exactly the videos it has not seen before."""

from __future__ import annotations

import json
import re
from pathlib import Path

from filelock import FileLock

from pipeline.watch import MAX_TRIES, SourceRecord, record_path, remember, select_new
from tests.many_videos import make_videos
from tests.fakellm import Reply, default_answer, without_section_times

TITLE = re.compile(r"Wheelie challenge number (\d+)")


def video_of(body: dict) -> str:
    match = TITLE.search(body["messages"][-1]["content"])
    assert match
    return f"batch{int(match.group(1)):06d}"


def write_playlist(folder: Path, numbers: list[int]) -> Path:
    """A yt-dlp playlist info.json whose entries are the local videos (newest first, as yt-dlp lists)."""
    path = folder / "PLwatched.playlist.json"
    entries = [{"_type": "url", "id": f"batch{n:06d}", "title": f"Wheelie challenge number {n}"} for n in numbers]
    path.write_text(json.dumps({"_type": "playlist", "id": "PLwatched", "entries": entries}), encoding="utf-8")
    return path


def posts(tmp_path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (tmp_path / "output" / "posts").glob("*.md")}


def test_only_new_videos_are_processed_and_a_removed_one_is_left_alone(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 6)
    playlist = write_playlist(tmp_path / "videos", [2, 1, 0])
    first = cli("run", str(playlist), "--new")
    assert first.code == 0, first.stderr
    assert "3 video(s): 3 done" in first.stdout
    assert sorted(video_of(b) for b in fake_llm.requests) == ["batch000000", "batch000001", "batch000002"]
    before = posts(tmp_path)
    assert len(before) == 3

    # The channel uploads two videos and takes one down.
    write_playlist(tmp_path / "videos", [4, 3, 2, 1])
    fake_llm.reset()
    second = cli("run", "videos/PLwatched.playlist.json", "--new")  # the same source, spelled differently
    assert second.code == 0, second.stderr
    assert second.stdout.strip().splitlines() == ["2 video(s): 2 done, 0 skipped, 0 failed"]
    assert sorted(video_of(b) for b in fake_llm.requests) == ["batch000003", "batch000004"]
    after = posts(tmp_path)
    assert len(after) == 5
    assert {name: after[name] for name in before} == before  # the removed video's post is untouched
    assert (tmp_path / "output" / "videos" / "batch000000" / "article.json").is_file()

    record = json.loads(record_path(tmp_path / "output", str(playlist)).read_text())
    assert sorted(record["seen"]) == [f"batch{n:06d}" for n in range(5)]
    assert record["last_looked_at"] >= record["first_looked_at"]

    fake_llm.reset()
    third = cli("run", str(playlist), "--new", "--quiet")
    assert third.code == 0 and third.stdout == "" and third.stderr == ""
    assert fake_llm.calls == 0
    assert cli("run", str(playlist), "--new").stdout.strip() == "no new videos in 1 source(s)"


def test_first_run_limited_and_the_rest_marked_seen(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 8)
    playlist = write_playlist(tmp_path / "videos", [5, 4, 3, 2, 1, 0])
    first = cli("run", str(playlist), "--new", "--limit", "2", "--mark-seen", "--quiet")
    assert first.code == 0, first.stderr
    assert first.stdout.strip() == "2 video(s): 2 done, 0 skipped, 0 failed" and first.stderr == ""
    assert sorted(video_of(b) for b in fake_llm.requests) == ["batch000004", "batch000005"]  # the newest two
    record = json.loads(record_path(tmp_path / "output", str(playlist)).read_text())
    assert len(record["seen"]) == 6
    assert not (tmp_path / "output" / "videos" / "batch000000").exists()  # marked, never touched

    write_playlist(tmp_path / "videos", [7, 6, 5, 4, 3, 2, 1, 0])
    fake_llm.reset()
    second = cli("run", str(playlist), "--new")
    assert second.code == 0
    assert sorted(video_of(b) for b in fake_llm.requests) == ["batch000006", "batch000007"]


def test_without_mark_seen_the_limit_only_paces_the_backlog(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 3)
    playlist = write_playlist(tmp_path / "videos", [2, 1, 0])
    assert cli("run", str(playlist), "--new", "--limit", "2").code == 0
    fake_llm.reset()
    second = cli("run", str(playlist), "--new", "--limit", "2")
    assert [video_of(b) for b in fake_llm.requests] == ["batch000000"]
    assert "1 video(s): 1 done" in second.stdout


def test_a_failed_new_video_is_retried_by_the_next_runs_then_left(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 2)
    playlist = write_playlist(tmp_path / "videos", [1, 0])
    fake_llm.responder = lambda body: (Reply(status=400, error={"error": {"message": "bad request", "type": "x"}})
                                       if video_of(body) == "batch000001" else default_answer(body))
    first = cli("run", str(playlist), "--new", "--quiet")
    assert first.code == 1
    assert first.stdout.strip() == "2 video(s): 1 done, 0 skipped, 1 failed (llm_request: 1)"
    assert "error: batch000001:" in first.stderr
    for attempt in range(2, MAX_TRIES + 1):
        fake_llm.reset()
        again = cli("run", str(playlist), "--new", "--quiet")
        assert again.code == 1 and [video_of(b) for b in fake_llm.requests] == ["batch000001"], attempt
    fake_llm.reset()
    assert cli("run", str(playlist), "--new", "--quiet").stdout == ""  # given up on; --retry-failed remains
    assert fake_llm.calls == 0
    assert json.loads((tmp_path / "output" / "videos" / "batch000001" / "status.json").read_text())["error"]


def test_an_overlapping_run_stops_at_once(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 1)
    playlist = write_playlist(tmp_path / "videos", [0])
    (tmp_path / "output").mkdir()
    with FileLock(str(tmp_path / "output" / ".yt2post.lock")):
        busy = cli("run", str(playlist), "--new", "--quiet")
    assert busy.code == 2 and fake_llm.calls == 0  # like any run that cannot start
    assert busy.stderr.strip().startswith("error: ") and "another yt2post run" in busy.stderr
    assert len(busy.stderr.strip().splitlines()) == 1
    assert cli("run", str(playlist), "--new").code == 0


def test_selection_since_and_records_per_source(tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 6)  # upload dates 2021-01-01 … 2021-06-06
    a = write_playlist(tmp_path / "videos", [5, 4, 3])
    b = tmp_path / "b.json"
    b.write_text(json.dumps([{"id": "batch000003", "upload_date": "20210404"},
                             {"id": "batch000001", "upload_date": "20210202"}]))
    selection = select_new(tmp_path / "out", [str(a), str(b)], since="2021-04-01", mark_seen=True)
    assert [v.video_id for v in selection.videos] == ["batch000005", "batch000004", "batch000003"]
    assert selection.marked == ["batch000001"]
    remember(selection, ["batch000005", "batch000004", "batch000003"], [])
    assert sorted(SourceRecord.load(tmp_path / "out", str(a)).seen) == ["batch000003", "batch000004", "batch000005"]
    assert sorted(SourceRecord.load(tmp_path / "out", str(b)).seen) == ["batch000001", "batch000003"]
    assert select_new(tmp_path / "out", [str(a), str(b)]).videos == []


def test_videos_left_waiting_for_a_batch_stay_new(cli, fake_llm, tmp_path: Path) -> None:
    from tests.fakebatch import batch_api

    make_videos(tmp_path / "videos", 2)
    playlist = write_playlist(tmp_path / "videos", [1, 0])
    (tmp_path / "config.yaml").write_text("llm:\n  mode: batch\n  batch:\n    wait: false\n    poll_interval: 0.01\n")
    api = batch_api(fake_llm)
    api.hold = True
    first = cli("run", str(playlist), "--new", "--quiet")
    assert first.code == 0 and "2 not started" in first.stdout
    assert json.loads(record_path(tmp_path / "output", str(playlist)).read_text())["seen"] == {}
    api.hold = False
    api.finish_all()
    second = cli("run", str(playlist), "--new", "--quiet")
    assert second.stdout.strip() == "2 video(s): 2 done, 0 skipped, 0 failed"
    assert len(api.batches) == 1 and len(posts(tmp_path)) == 2
    assert cli("run", str(playlist), "--new", "--quiet").stdout == ""


def test_watch_looks_on_an_interval(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 2)
    playlist = write_playlist(tmp_path / "videos", [1, 0])
    result = cli("watch", str(playlist), "--every", "0.001", "--times", "3", "--quiet")
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == ["2 video(s): 2 done, 0 skipped, 0 failed"]  # the next looks: silent
    assert fake_llm.calls == 2 and len(posts(tmp_path)) == 2

    with FileLock(str(tmp_path / "output" / ".yt2post.lock")):
        busy = cli("watch", str(playlist), "--times", "1", "--quiet")
    assert busy.code == 0 and busy.stderr.startswith("skipped a look: ") and "another yt2post run" in busy.stderr


def test_new_refuses_options_that_pick_videos_themselves(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 1)
    playlist = write_playlist(tmp_path / "videos", [0])
    result = cli("run", str(playlist), "--new", "--retry-failed")
    assert result.code == 2 and fake_llm.calls == 0
    assert result.stderr.strip().splitlines()[-1] == \
        "error: --new picks the videos itself: leave out --retry-failed and --subtitles"


def test_a_bad_line_in_a_watched_list_fails_alone(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 2)
    (tmp_path / "watch.txt").write_text("videos/batch000000.info.json\nnot a source at all\n"
                                        "videos/batch000001.info.json\n", encoding="utf-8")
    result = cli("run", "watch.txt", "--new")
    assert result.code == 1, result
    assert "2 video(s): 2 done" in result.stdout
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        "error: watch.txt:2: not a source at all: not a YouTube or podcast video, playlist or channel URL, a video id, "
        "an .info.json, a folder, a list file or a media file"]


def test_an_ignored_video_is_seen_and_quiet_runs_stay_silent(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 3)
    playlist = write_playlist(tmp_path / "videos", [1, 0])
    assert cli("run", str(playlist), "--new").code == 0
    assert cli("ignore", "batch000001").code == 0
    write_playlist(tmp_path / "videos", [2, 1, 0])
    assert cli("run", str(playlist), "--new", "--quiet").code == 0
    # batch000001 was seen before it was ignored; a new video ignored before its first look:
    assert cli("run", "videos/batch000000.info.json").code == 0
    playlist_b = tmp_path / "videos" / "other.playlist.json"
    playlist_b.write_text(json.dumps({"_type": "playlist", "id": "PLother", "entries": [
        {"_type": "url", "id": "batch000002", "title": "Wheelie challenge number 2"}]}), encoding="utf-8")
    assert cli("ignore", "batch000002").code == 0
    first = cli("run", str(playlist_b), "--new", "--quiet")
    assert first.code == 0 and "1 ignored" in first.stdout
    again = cli("run", str(playlist_b), "--new", "--quiet")
    assert again.code == 0 and again.stdout == "" and again.stderr == ""


def test_watch_goes_on_after_a_look_that_failed(cli, fake_llm, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 1)
    playlist = write_playlist(tmp_path / "videos", [0])
    record = record_path(tmp_path / "output", str(playlist))
    record.parent.mkdir(parents=True)
    record.write_text("{ damaged", encoding="utf-8")  # the first look cannot read what it saw
    result = cli("watch", str(playlist), "--every", "0.001", "--times", "2", "--quiet")
    assert result.code == 1, result
    assert result.stderr.count("skipped a look: ") == 2  # both looks ran: the loop went on


def test_quiet_with_new_videos_prints_one_line_whatever_the_model_warns(cli, fake_llm, tmp_path: Path) -> None:
    """For cron mail: a model that gives no section times warns, but the warnings are in each
    article.json (and in --verbose); --quiet prints the summary line and nothing else."""
    fake_llm.responder = without_section_times
    make_videos(tmp_path / "videos", 3)
    playlist = write_playlist(tmp_path / "videos", [1, 0])
    run = cli("run", str(playlist), "--new", "--quiet")
    assert run.code == 0, run.stderr
    assert (run.stdout, run.stderr) == ("2 video(s): 2 done, 0 skipped, 0 failed\n", "")
    article = json.loads((tmp_path / "output" / "videos" / "batch000000" / "article.json").read_text())
    assert [w.split(": ", 1)[1] for w in article["warnings"]] == ["has no start time; time dropped"] * 2

    write_playlist(tmp_path / "videos", [2, 1, 0])
    watched = cli("watch", str(playlist), "--every", "0.001", "--times", "2", "--quiet")
    assert (watched.code, watched.stdout, watched.stderr) == (0, "1 video(s): 1 done, 0 skipped, 0 failed\n", "")


def test_a_record_written_by_a_newer_yt2post_is_refused_before_any_work(cli, fake_llm, tmp_path: Path) -> None:
    """``sources/<hash>.json`` is guarded like every artifact: this version would drop what a
    newer one recorded, so it never writes over it, and says so before drafting anything."""
    make_videos(tmp_path / "videos", 3)
    playlist = write_playlist(tmp_path / "videos", [1, 0])
    path = record_path(tmp_path / "output", str(playlist))
    path.parent.mkdir(parents=True)
    newer = {"schema_version": 99, "source": str(playlist), "seen": {"batch000000": "2025-01-01T00:00:00+00:00"},
             "tries": {}, "a_field_from_the_future": {"keep": "me"}}
    path.write_text(json.dumps(newer), encoding="utf-8")
    result = cli("run", str(playlist), "--new")
    assert result.code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "newer yt2post" in lines[0] and path.name in lines[0], result.stderr
    assert "upgrade yt2post" in lines[0]
    assert fake_llm.calls == 0
    assert json.loads(path.read_text(encoding="utf-8")) == newer
