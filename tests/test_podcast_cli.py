"""Podcast feeds through the whole CLI: a real feed and real transcripts from 127.0.0.1 (the
local server of ``tests/podcastserver.py``), the real HTTP client, the fake model server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import frontmatter
import pytest

from tests.conftest import run_in_process
from tests.podcast_show import SPEAKERS, Show, server  # noqa: F401 - fixture
from tests.podcastserver import FIXTURES, PodcastServer
from tests.processes import pipeline_env
from tests.test_asr import tone

KINDS = ("application/x-subrip", "text/vtt", "application/json")


@pytest.fixture
def show(server: PodcastServer) -> Show:
    show = Show(server)
    for item, kind in enumerate(KINDS):
        show.give(item, kind)
    return show


def videos(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "output" / "videos"
    return {path.name: path for path in sorted(folder.iterdir())} if folder.is_dir() else {}


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def prompts(fake_llm) -> list[str]:
    return [message["content"] for request in fake_llm.requests for message in request["messages"]
            if message["role"] == "user"]


def test_limit_three_writes_three_drafts_with_their_speakers(cli, fake_llm, show: Show, tmp_path: Path) -> None:
    chapters = re.search(r'<podcast:chapters url="([^"]+)"', show.items[0]).group(1)  # type: ignore[union-attr]
    show.server.serve(chapters.removeprefix(show.server.base),
                      '{"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Intro"}, '
                      '{"startTime": 120, "title": "Rookie mistakes"}]}', headers={"Content-Type": "application/json"})
    result = cli("run", show.serve(), "--limit", "3")
    assert result.code == 0, result.stderr
    found = videos(tmp_path)
    assert len(found) == 3 and all(re.fullmatch(r"podcast-[0-9a-f]{16}", name) for name in found)
    posts = sorted((tmp_path / "output" / "posts").glob("*.md"))
    assert len(posts) == 3
    by_title = {read(folder / "metadata.json")["title"]: folder for folder in found.values()}
    assert set(by_title) == {"Social Media", "Community", "Culture"}  # the three newest episodes
    for title, kind in zip(("Social Media", "Community", "Culture"), KINDS):
        transcript = read(by_title[title] / "transcript.json")
        assert transcript["source"] == "podcast-transcript"
        assert {p.get("speaker") for p in transcript["paragraphs"]} == SPEAKERS[kind], kind
        assert {s.get("speaker") for s in transcript["segments"]} == SPEAKERS[kind], kind
    # The model was offered who says what, as data inside the transcript.
    sent = prompts(fake_llm)
    assert any("] Gillian: Hi Buzzsprout, Gillian here" in text for text in sent)
    assert any("] Darth Vader: I am your father." in text for text in sent)
    assert any(re.search(r"\] Travis: When you first get started", text) for text in sent)
    # The metadata mapping, as the seed's post has it for a YouTube channel.
    social = by_title["Social Media"]
    meta = read(social / "metadata.json")
    assert meta["guests"] == ["Dr. Timothy M. Jurgensen"] and meta["upload_date"] == "20240914"
    assert meta["channel"] == "The Mike Neumann Show" and meta["uploader"] == "Mike Neumann"  # no mail address
    post = frontmatter.load(tmp_path / "output" / read(social / "post.json")["path"])
    assert post["speaker"] == "The Mike Neumann Show" and post["media_books"] == ["the-mike-neumann-show"]
    assert post["guest"] == "Dr. Timothy M. Jurgensen" and post["date"] == "2024-09-14"
    assert post["source"] == show.server.url("/mn/themnshow054-social-media.html")
    assert [c["title"] for c in meta["chapters"]] == ["Intro", "Rookie mistakes"]  # podcast:chapters
    social_words = read(social / "transcript.json")["paragraphs"]
    assert {p["chapter"] for p in social_words} == {"Intro", "Rookie mistakes"}
    community = read(by_title["Community"] / "metadata.json")
    assert community["duration"] == 4209.0  # itunes:duration in seconds
    assert "Mike Neumann and" in meta["description"] and "<p>" not in meta["description"]


def test_new_after_an_item_is_added_writes_exactly_that_one(cli, show: Show, tmp_path: Path) -> None:
    show.give(3, "text/vtt")
    first = cli("run", show.serve(items=list(range(2, len(show.items)))), "--new", "--mark-seen", "--limit", "2")
    assert first.code == 0, first.stderr
    assert len(list((tmp_path / "output" / "posts").glob("*.md"))) == 2
    quiet = cli("run", show.url, "--new")
    assert quiet.code == 0 and "no new videos" in quiet.stdout
    show.serve(items=list(range(1, len(show.items))))  # the show publishes episode 53
    second = cli("run", show.url, "--new")
    assert second.code == 0, second.stderr
    assert "1 video(s): 1 done" in second.stdout
    posts = sorted((tmp_path / "output" / "posts").glob("*.md"))
    assert len(posts) == 3 and len([p for p in posts if p.name.startswith("2024-08-29")]) == 1
    show.serve()  # and episode 54, found by a look of watch
    look = cli("watch", show.url, "--times", "1", "--every", "0.001")
    assert look.code == 0 and "1 video(s): 1 done" in look.stdout, look.stderr
    posts = sorted((tmp_path / "output" / "posts").glob("*.md"))
    assert len(posts) == 4 and [p.name for p in posts if p.name.startswith("2024-09-14")] == ["2024-09-14-social-media.md"]


def test_one_episode_by_guid_or_audio_url_and_a_saved_feed_file(cli, show: Show, tmp_path: Path) -> None:
    by_guid = cli("run", f"{show.serve()}#episode={show.guid(1)}")
    assert by_guid.code == 0, by_guid.stderr
    [only] = videos(tmp_path).values()
    assert read(only / "metadata.json")["title"] == "Community"
    saved = tmp_path / "show.rss"
    saved.write_text(show.feed(), encoding="utf-8")
    by_audio = cli("fetch", f"show.rss#episode={show.server.base}{show.audio_path(2)}")
    assert by_audio.code == 0, by_audio.stderr
    assert len(videos(tmp_path)) == 2  # the same id however the feed was reached: its guid counts
    whole = cli("fetch", str(saved), "--limit", "3")
    assert whole.code == 0 and "3 video(s)" in whole.stdout and len(videos(tmp_path)) == 3
    missing = cli("run", f"{show.url}#episode=no-such-guid")
    assert missing.code == 2 and missing.stderr.count("\n") == 1 and "no episode 'no-such-guid'" in missing.stderr


def test_an_apple_podcasts_link_resolves_through_the_lookup(cli, show: Show, tmp_path: Path) -> None:
    lookup = read(FIXTURES / "apple" / "lookup-episode.json")
    for result in lookup["results"]:
        if "feedUrl" in result:
            result["feedUrl"] = show.serve()
    # Busy once (a 503): asked again, as every request of a feed is.
    show.server.serve("/lookup", json.dumps(lookup), headers={"Content-Type": "application/json"}, busy_first=1)
    episode = next(r for r in lookup["results"] if r.get("trackName") == "Community")
    config = tmp_path / "config.yaml"
    config.write_text(f"podcast:\n  apple_lookup_url: {show.server.url('/lookup')}\n  retry_wait: 0.05\n",
                      encoding="utf-8")
    link = f"https://podcasts.apple.com/us/podcast/the-mike-neumann-show/id{lookup['results'][0]['collectionId']}" \
           f"?i={episode['trackId']}"
    result = cli("run", link)
    assert result.code == 0, result.stderr
    [only] = videos(tmp_path).values()
    assert read(only / "metadata.json")["title"] == "Community"
    asked = [path for path, _ in show.server.requests if path.startswith("/lookup")]
    assert asked and f"id={lookup['results'][0]['collectionId']}" in asked[0]


def test_a_transcript_that_fails_falls_back_to_the_next_with_the_cause_noted(cli, show: Show, tmp_path: Path) -> None:
    broken = show.server.url("/mn/transcripts/broken.vtt")
    show.edit(0, "<podcast:transcript ", f'<podcast:transcript url="{broken}" type="text/vtt" language="EN"/>\n'
                                         '      <podcast:transcript ')
    show.server.serve("/mn/transcripts/broken.vtt", b"", status=404)
    result = cli("fetch", show.serve(items=[0]))
    assert result.code == 0, result.stderr
    [only] = videos(tmp_path).values()
    transcript = read(only / "transcript.json")
    assert transcript["track"].endswith("/mn/transcripts/0.srt")
    assert any("transcript not used: text/vtt" in note and "HTTP 404" in note for note in transcript["notes"])


def asr_config(tmp_path: Path, **podcast: object) -> Path:
    config = tmp_path / "config.yaml"
    lines = ["asr:", "  backend: endpoint", "podcast:", *(f"  {key}: {value}" for key, value in podcast.items())]
    config.write_text("\n".join(lines if podcast else lines[:2]) + "\n", encoding="utf-8")
    return config


def test_an_episode_without_transcript_is_transcribed_from_its_audio(cli, fake_llm, show: Show, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))  # where the audio is downloaded to
    show.without_transcripts(1)
    wav = tone(tmp_path / "episode.wav", 6).read_bytes()
    show.server.serve(show.audio_path(1), wav, headers={"Content-Type": "audio/wav"})
    result = cli("fetch", show.serve(items=[1]), "--config", str(asr_config(tmp_path)))
    assert result.code == 0, result.stderr
    [only] = videos(tmp_path).values()
    transcript = read(only / "transcript.json")
    assert transcript["source"] == "asr-endpoint" and len(fake_llm.audio_requests) == 1
    assert [path for path, _ in show.server.requests].count(show.audio_path(1)) == 1
    assert not list(temporary.iterdir())  # the downloaded audio is removed
    assert sorted(p.name for p in only.iterdir() if not p.name.startswith(".")) == [
        "metadata.json", "status.json", "transcript.json"]  # the audio is not kept


def test_audio_over_the_cap_fails_that_episode_in_one_line(cli, fake_llm, show: Show, tmp_path: Path) -> None:
    show.without_transcripts(1)
    show.server.serve(show.audio_path(1), b"\0" * 3_000_000, headers={"Content-Type": "audio/mpeg"})
    result = cli("fetch", show.serve(items=[0, 1]), "--config", str(asr_config(tmp_path, max_audio_mb=1)))
    assert result.code == 1
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert re.fullmatch(r"error: podcast-[0-9a-f]{16}: audio http://127\.0\.0\.1:\d+/mn/\S+\.mp3: "
                        r"over podcast\.max_audio_mb \(1 MB\)", line), line
    assert not fake_llm.audio_requests
    assert "1 done" in result.stdout  # the other episode is fetched


def test_without_transcript_or_speech_recognition_one_clear_cause(cli, show: Show, tmp_path: Path) -> None:
    show.without_transcripts(1)
    result = cli("fetch", show.serve(items=[1]))
    assert result.code == 1
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "no transcript" in line and "asr.backend" in line
    status = read(next(iter(videos(tmp_path).values())) / "status.json")
    assert status["error"]["cause"] == "no_transcript"


def test_dry_run_shows_the_cost_of_speech_recognition_and_runs_none(cli, fake_llm, show: Show, tmp_path: Path) -> None:
    show.without_transcripts(1)  # Community: itunes:duration 4209 s
    result = cli("run", show.serve(items=[0, 1]), "--dry-run", "--config", str(asr_config(tmp_path)))
    assert result.code == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "speech recognition first" in line)
    assert "70.2 min, $0.4209" in row  # whisper-1 at $0.006 a minute
    assert "$0.4209 speech recognition of 1 video(s)" in result.stdout
    assert not fake_llm.audio_requests and not fake_llm.requests
    assert not [path for path, _ in show.server.requests if path == show.audio_path(1)]


def test_retry_failed_with_dry_run_shows_what_the_retry_would_cost(cli, fake_llm, show: Show, tmp_path: Path) -> None:
    show.without_transcripts(1)
    first = cli("run", show.serve(items=[0, 1]))
    assert first.code == 1
    [failed] = [line.split("\t")[0] for line in cli("status", "--failed").stdout.splitlines() if line.startswith("podcast-")]
    # Speech recognition set up since: the dry run of the retry plans that episode (it said "no failed videos").
    planned = cli("run", "--retry-failed", "--dry-run", "--config", str(asr_config(tmp_path)))
    assert planned.code == 0, planned.stderr
    rows = planned.stdout.splitlines()[1:-1]
    assert [row.split("\t")[0] for row in rows] == [failed], planned.stdout
    assert "speech recognition first: 70.2 min" in rows[0]
    assert not fake_llm.audio_requests


def test_a_private_feed_works_and_its_credentials_are_in_no_file_or_message(cli, show: Show, tmp_path: Path) -> None:
    password, token, audio_token = "s3cret-pass-99", "tok9ABCDEFGH12345678", "aud7XYZW98765432qrst"
    secrets = (password, token, audio_token)
    show.without_transcripts(1)
    # An episode without a page: its post's source is its audio, whose URL holds a token of its own.
    show.items[0] = re.sub(r"\s*<link>[^<]*</link>", "", show.items[0])
    show.edit(0, '.mp3" length=', f'.mp3?token={audio_token}" length=')
    show.serve(items=[0, 1], path="/private/feed.xml", auth=("listener", password))
    port = show.server.httpd.server_address[1]
    url = f"http://listener:{password}@127.0.0.1:{port}/private/feed.xml?auth={token}"
    said: list[str] = []

    def run(*args: str) -> tuple[int, str]:
        result = cli(*args)
        said.append(result.stdout + result.stderr)
        return result.code, result.stdout + result.stderr

    code, text = run("run", url)
    assert code == 1 and "1 done, 0 skipped, 1 failed" in text  # basic auth sent, one episode without words
    # Without the SOURCE, the failed episode cannot be reached again: its credential was not kept.
    code, text = run("run", "--retry-failed")
    assert code == 1 and "the private feed's credential is not kept; give the feed's URL again" in text
    show.give(1, "text/vtt")
    show.serve(items=[0, 1], path="/private/feed.xml", auth=("listener", password))
    code, text = run("run", "--retry-failed", url)
    assert code == 0 and "1 video(s): 1 done" in text, text
    code, _ = run("run", url, "--new", "--mark-seen")
    assert code == 0 and list((tmp_path / "output" / "sources").glob("*.json"))
    code, text = run("status")
    assert code == 0 and "podcast-" in text
    for secret in secrets:
        assert not any(secret in text for text in said), secret
        for path in (tmp_path / "output").rglob("*"):
            if path.is_file():
                assert secret not in path.read_text(encoding="utf-8", errors="replace"), (secret, path)
    status = read(next(iter(videos(tmp_path).values())) / "status.json")
    assert status["ref"]["url"].startswith("http://[redacted]@127.0.0.1:")


def test_a_signed_audio_url_is_no_posts_source_with_its_credentials(cli, show: Show, tmp_path: Path) -> None:
    from tests.test_podcast_fetching import SIGNED

    show.give(0, "text/vtt")
    show.items[0] = re.sub(r"\s*<link>[^<]*</link>", "", show.items[0])  # no page: the audio is the source
    signed = "&amp;".join(f"{key}={value}" for key, value in SIGNED.items())
    show.edit(0, '.mp3" length=', f'.mp3?{signed}" length=')
    result = cli("run", show.serve(items=[0]))
    assert result.code == 0, result.stderr
    [post] = (tmp_path / "output" / "posts").glob("*.md")
    source = frontmatter.loads(post.read_text(encoding="utf-8"))["source"]
    assert ".mp3?" in source and not [value for value in SIGNED.values() if value in source], source
    for path in (tmp_path / "output").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not [value for value in SIGNED.values() if value in text], path


def test_since_and_reverse_choose_among_episodes_as_among_videos(cli, show: Show, tmp_path: Path) -> None:
    saved = tmp_path / "show.xml"
    saved.write_text(show.feed(), encoding="utf-8")
    since = cli("fetch", "show.xml", "--since", "2024-08-20")
    assert since.code == 0 and "2 video(s): 2 done" in since.stdout
    titles = {read(folder / "metadata.json")["title"] for folder in videos(tmp_path).values()}
    assert titles == {"Social Media", "Community"}
    show.give(len(show.items) - 1, "text/vtt")
    saved.write_text(show.feed(), encoding="utf-8")
    oldest = cli("fetch", "show.xml", "--reverse", "--limit", "1")
    assert oldest.code == 0 and "1 video(s): 1 done" in oldest.stdout
    dates = sorted(read(folder / "metadata.json")["upload_date"] for folder in videos(tmp_path).values())
    assert len(dates) == 3 and dates[0] < "2023"  # the feed's first episode


def test_a_broken_audio_download_resumes_where_it_stopped(cli, fake_llm, show: Show, tmp_path: Path) -> None:
    show.without_transcripts(1)
    wav = tone(tmp_path / "episode.wav", 6).read_bytes()
    show.server.serve(show.audio_path(1), wav, headers={"Content-Type": "audio/wav"}, ranges=True,
                      cut_once=len(wav) // 2)
    result = cli("fetch", show.serve(items=[1]), "--config", str(asr_config(tmp_path)))
    assert result.code == 0, result.stderr
    asked = [headers.get("Range") for path, headers in show.server.requests if path == show.audio_path(1)]
    assert asked == [None, f"bytes={len(wav) // 2}-"]  # the second request asks only for the rest
    assert [request["bytes"] for request in fake_llm.audio_requests] == [len(wav)]  # the whole file, once


def test_an_audio_download_killed_midway_resumes_in_the_next_run(fake_llm, show: Show, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """kill -9 in the middle of an episode's audio: the next run asks only for the rest, and no
    part of the audio is left behind anywhere (failed before: the part was in a temporary folder
    of the killed run, left there for good, and the next run downloaded it all again)."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    show.without_transcripts(1)
    wav = tone(tmp_path / "episode.wav", 6).read_bytes()
    half = len(wav) // 2
    held = threading.Event()

    def first_half_then_hold() -> Iterator[bytes]:
        yield wav[:half]
        held.wait(60)  # the rest never comes: the run is killed while it waits

    show.server.serve(show.audio_path(1), first_half_then_hold, headers={"Content-Type": "audio/wav"})
    feed, config = show.serve(items=[1]), str(asr_config(tmp_path))
    run = subprocess.Popen([sys.executable, "-m", "pipeline", "fetch", feed, "--config", config], cwd=tmp_path,
                           env=pipeline_env(fake_llm, TMPDIR=str(temporary)),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not [p for p in tmp_path.rglob("*.part") if p.stat().st_size == half]:
            assert run.poll() is None and time.monotonic() < deadline, "the download never got half way"
            time.sleep(0.01)
    finally:
        run.kill()
        run.wait()
        held.set()
    show.server.serve(show.audio_path(1), wav, headers={"Content-Type": "audio/wav"}, ranges=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    result = run_in_process(tmp_path, fake_llm, "fetch", feed, "--config", config)
    assert result.code == 0, result.stderr
    asked = [headers.get("Range") for path, headers in show.server.requests if path == show.audio_path(1)]
    assert asked == [None, f"bytes={half}-"]  # the next run asks only for the rest
    assert [request["bytes"] for request in fake_llm.audio_requests] == [len(wav)]
    assert not list(temporary.iterdir())
    [only] = videos(tmp_path).values()
    assert sorted(p.relative_to(only).as_posix() for p in only.rglob("*")) == [
        "metadata.json", "status.json", "transcript.json"]  # nothing of the audio is kept


def test_the_stage_commands_take_an_episodes_store_id(cli, show: Show, tmp_path: Path) -> None:
    assert cli("run", show.serve(items=[0])).code == 0
    [episode] = videos(tmp_path)
    for command in ("fetch", "summarize", "write"):
        result = cli(command, episode, "--force")
        assert result.code == 0 and "1 video(s): 1 done" in result.stdout, (command, result.stderr)
    assert cli("ignore", episode).code == 0  # the reviewer rejects it: a run of the feed leaves it alone
    again = cli("run", show.url)
    assert again.code == 0 and "1 ignored" in again.stdout


def test_transcripts_that_all_fail_fall_back_to_the_audio_with_the_cause_noted(cli, fake_llm, show: Show,
                                                                              tmp_path: Path) -> None:
    missing = show.transcript_urls(1)[0].removeprefix(show.server.base)
    show.server.serve(missing, b"", status=404)
    show.server.serve(show.audio_path(1), tone(tmp_path / "episode.wav", 6).read_bytes(),
                      headers={"Content-Type": "audio/wav"})
    result = cli("fetch", show.serve(items=[1]), "--config", str(asr_config(tmp_path)))
    assert result.code == 0, result.stderr
    [only] = videos(tmp_path).values()
    transcript = read(only / "transcript.json")
    assert transcript["source"] == "asr-endpoint"
    assert [note for note in transcript["notes"] if note.startswith("the feed's transcripts not used: ")
            and "HTTP 404" in note and missing in note]


def test_the_dry_run_of_a_retry_leaves_the_retry_to_do(cli, fake_llm, show: Show, tmp_path: Path) -> None:
    """A dry run plans: the failure it finds gone (a transcript published since) stays recorded
    until the retry itself runs (failed before: the dry run's fetch cleared it, and the retry then
    found 'no failed videos', leaving the episode unwritten)."""
    saved = show.items[1]
    show.without_transcripts(1)
    assert cli("run", show.serve(items=[0, 1])).code == 1
    show.items[1] = saved  # the publisher adds the transcript
    show.serve(items=[0, 1])
    planned = cli("run", "--retry-failed", "--dry-run")
    assert planned.code == 0, planned.stderr
    assert len(planned.stdout.splitlines()[1:-1]) == 1, planned.stdout  # the one failed episode, planned
    retried = cli("run", "--retry-failed")
    assert retried.code == 0, retried.stderr
    assert retried.stdout.strip().splitlines()[-1] == "1 video(s): 1 done, 0 skipped, 0 failed", retried.stdout
    assert len(list((tmp_path / "output" / "posts").glob("*.md"))) == 2


def test_episodes_that_link_to_one_page_each_get_a_draft_of_their_own(cli, show: Show, tmp_path: Path) -> None:
    # Real feeds do this: the Podcasting 2.0 feed's episodes 54, 55 and 56 all link to one
    # show-notes page (feeds/pc20rss.xml). A post is found again by its source, so a shared
    # page made the second episode's draft look like an edit of the first one's.
    page = show.server.url("/mn/themnshow054-social-media.html")
    show.edit(1, show.server.url("/mn/themnshow053-culture.html"), page)
    result = cli("run", show.serve(), "--limit", "2")
    assert result.code == 0, result.stderr
    assert "kept" not in result.stdout, result.stdout
    posts = sorted((tmp_path / "output" / "posts").iterdir())
    assert [post.suffix for post in posts] == [".md", ".md"], posts
    assert len({frontmatter.load(post)["source"] for post in posts}) == 2
    again = cli("run", show.serve(), "--limit", "2", "--force")  # each finds its own post again
    assert again.code == 0 and "kept" not in again.stdout, again.stdout
    assert sorted((tmp_path / "output" / "posts").iterdir()) == posts


def test_a_busy_feed_or_transcript_server_is_asked_again(cli, show: Show, tmp_path: Path) -> None:
    # A 503 (or a dropped connection) is transient, as for YouTube: asked again with backoff,
    # not an episode "without transcript" (nor, with speech recognition on, one paid to transcribe).
    (tmp_path / "config.yaml").write_text("podcast:\n  retry_wait: 0.05\n", encoding="utf-8")
    url = show.transcript_urls(1)[0]
    show.server.routes[url.removeprefix(show.server.base)].busy_first = 2
    result = cli("run", show.serve(items=[1], busy_first=1))
    assert result.code == 0, result.stderr
    [folder] = videos(tmp_path).values()
    transcript = read(folder / "transcript.json")
    assert transcript["source"] == "podcast-transcript"
    assert not [note for note in transcript["notes"] if note.startswith("transcript not used")], transcript["notes"]
    show.server.routes[url.removeprefix(show.server.base)].busy_first = 10  # busy for good: it fails, as transient
    again = cli("fetch", show.serve(items=[1]), "--force")
    assert again.code == 1
    assert read(folder / "status.json")["error"]["cause"] == "network", again.stderr


def test_an_episode_whose_transcript_fails_and_that_has_no_audio_names_both(cli, fake_llm, show: Show,
                                                                            tmp_path: Path) -> None:
    url = show.transcript_urls(1)[0]
    del show.server.routes[url.removeprefix(show.server.base)]  # the transcript answers 404
    show.items[1] = re.sub(r"\s*<enclosure [^>]*/>", "", show.items[1])
    result = cli("fetch", show.serve(items=[1]), "--config", str(asr_config(tmp_path)))
    assert result.code == 1
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "no audio enclosure" in line and "HTTP 404" in line, line  # why the transcript was not used, too
    status = read(next(iter(videos(tmp_path).values())) / "status.json")
    assert status["error"]["cause"] == "no_transcript"
    assert not fake_llm.audio_requests


def test_a_feed_of_a_list_file_that_cannot_be_read_fails_only_its_line(cli, show: Show, tmp_path: Path) -> None:
    # Several watched feeds in one list: one that is gone (404) or down must not stop the others.
    sources = tmp_path / "feeds.txt"
    sources.write_text(f"{show.server.url('/gone/feed.xml')}\n{show.serve(items=[0])}\n", encoding="utf-8")
    for args in (("run", str(sources)), ("run", str(sources), "--new")):
        result = cli(*args, "--force")
        assert result.code == 1, result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert errors == [f"error: {sources}:1: feed {show.server.url('/gone/feed.xml')}: HTTP 404 Not Found"], errors
        assert "1 video(s): 1 done" in result.stdout, result.stdout
