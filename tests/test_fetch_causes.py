"""Every way a video can lack words maps to one cause with a one-line message saying what to do."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from pipeline.errors import (
    AgeRestricted,
    FetchError,
    IpBlocked,
    LiveOrUpcoming,
    MembersOnly,
    NetworkError,
    VideoPrivate,
    VideoUnavailable,
)
from pipeline.sites.youtube.errors import classify_ytdlp_error
from pipeline.sites.limiter import Limiter
from tests.conftest import FIXTURES, video_dir_with

# Error texts as yt-dlp reports them (see ../shared/NOTES.md).
CASES = [
    ("ERROR: [youtube] abcdefghijk: Private video. Sign in if you've been granted access to this video",
     VideoPrivate, "private"),
    ("ERROR: [youtube] abcdefghijk: Video unavailable. This video has been removed by the uploader",
     VideoUnavailable, "unavailable"),
    ("ERROR: [youtube] abcdefghijk: Video unavailable. This video contains content from SME, who has blocked "
     "it in your country on copyright grounds", VideoUnavailable, "unavailable"),
    ("ERROR: [youtube] abcdefghijk: Sign in to confirm your age. This video may be inappropriate for some users.",
     AgeRestricted, "cookies_file"),
    ("ERROR: [youtube] abcdefghijk: Join this channel to get access to members-only content like this video, "
     "and other exclusive perks.", MembersOnly, "member"),
    ("ERROR: [youtube] abcdefghijk: Premieres in 2 hours", LiveOrUpcoming, "after it airs"),
    ("ERROR: [youtube] abcdefghijk: This live event will begin in 3 days.", LiveOrUpcoming, "after it airs"),
    ("ERROR: [youtube] abcdefghijk: Sign in to confirm you’re not a bot. Use --cookies-from-browser or "
     "--cookies for the authentication.", IpBlocked, "youtube.proxy"),
    ("ERROR: [youtube] abcdefghijk: This content isn't available, try again later.", IpBlocked, "youtube.proxy"),
    ("ERROR: [youtube] abcdefghijk: Unable to download API page: <urlopen error [Errno -3] Temporary failure in "
     "name resolution> (caused by TransportError)", NetworkError, "network"),
]


@pytest.mark.parametrize("message, error, hint", CASES)
def test_ytdlp_errors_map_to_causes(message: str, error: type[FetchError], hint: str) -> None:
    mapped = classify_ytdlp_error(message, "abcdefghijk")
    assert type(mapped) is error
    text = str(mapped)
    assert text.startswith("abcdefghijk: ") and hint in text and "\n" not in text


# What yt-dlp 2025 said with no DNS, and through a SOCKS proxy that was not there: the whole
# error, never cut mid-word, with the way out.
OFFLINE = ("ERROR: [youtube] bwRHIkYqYJo: Unable to download API page: HTTPSConnection(host='www.youtube.com', "
           "port=443): Failed to resolve 'www.youtube.com' ([Errno -2] Name or service not known) (caused by "
           "TransportError(\"HTTPSConnection(host='www.youtube.com', port=443): Failed to resolve 'www.youtube.com' "
           "([Errno -2] Name or service not known)\"))")
SOCKS = ("ERROR: [youtube] bwRHIkYqYJo: Unable to download API page: SocksHTTPSConnection(host='www.youtube.com', "
         "port=443): Failed to establish a new connection: [Errno 111] Connection refused (caused by TransportError("
         "\"SocksHTTPSConnection(host='www.youtube.com', port=443): Failed to establish a new connection: [Errno 111] "
         "Connection refused\"))")


def test_network_errors_say_what_happened_and_the_way_out() -> None:
    offline = str(classify_ytdlp_error(OFFLINE, "bwRHIkYqYJo"))
    assert offline.startswith("bwRHIkYqYJo: network error talking to YouTube: cannot resolve www.youtube.com "
                              "(name or service not known); check the network")
    for way_out in ("youtube.proxy", "youtube.cookies_file", "yt-dlp"):
        assert way_out in offline, offline
    socks = str(classify_ytdlp_error(SOCKS, "bwRHIkYqYJo"))
    assert "cannot connect to the proxy (connection refused); check youtube.proxy" in socks
    assert "\n" not in offline + socks and "[Errno" not in offline + socks


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_proxy_is_one_whole_line_naming_it(cli, tmp_path: Path) -> None:
    """yt-dlp and youtube-transcript-api themselves, through a proxy on a closed loopback port."""
    (tmp_path / "config.yaml").write_text(
        f"youtube:\n  proxy: http://127.0.0.1:{closed_port()}\n  max_attempts: 1\n  min_interval: 0\n"
        "  jitter: 0\n", encoding="utf-8")
    result = cli("run", "bwRHIkYqYJo")
    assert result.code == 1, result
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: bwRHIkYqYJo: network error talking to YouTube: cannot connect to the proxy "
                      "(connection refused); check youtube.proxy, or run on files yt-dlp wrote elsewhere "
                      "(see Offline in the README)"], result.stderr
    from pipeline.config import Config
    from pipeline.shapes import Metadata
    from pipeline.sites.youtube.session import YouTubeSession

    config = Config.model_validate({"youtube": {"proxy": f"http://127.0.0.1:{closed_port()}", "max_attempts": 1,
                                                "min_interval": 0, "jitter": 0}})
    with pytest.raises(NetworkError) as raised:
        YouTubeSession(config.youtube).transcript(Metadata(id="bwRHIkYqYJo", title="x"), ["en"], config)
    assert str(raised.value) == errors[0].removeprefix("error: ")


def test_transient_and_permanent_causes() -> None:
    assert IpBlocked("x").transient and NetworkError("x").transient
    for permanent in (VideoPrivate, VideoUnavailable, AgeRestricted, MembersOnly, LiveOrUpcoming):
        assert not permanent("x").transient


def test_no_transcript_end_to_end_with_asr_hint_and_status_by_cause(cli, tmp_path: Path) -> None:
    # gogEJyoSB9s is a past livestream whose info.json has no caption data and no caption files.
    videos = video_dir_with(tmp_path, "gogEJyoSB9s")
    result = cli("run", str(videos / "gogEJyoSB9s.info.json"))
    assert result.code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].startswith("error: gogEJyoSB9s: no transcript") and "asr.backend" in errors[0]
    status = cli("status")
    assert "failures by cause: no_transcript: 1" in status.stdout
    recorded = json.loads((tmp_path / "output" / "videos" / "gogEJyoSB9s" / "status.json").read_text())
    assert recorded["error"]["cause"] == "no_transcript" and recorded["error"]["stage"] == "fetch"
    assert recorded["error"]["error_class"] == "NoTranscript" and recorded["error"]["time"]


def test_description_is_used_only_when_allowed(cli, fake_llm, tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, "gogEJyoSB9s")
    result = cli("run", str(videos / "gogEJyoSB9s.info.json"), "--allow-description")
    assert result.code == 0, result.stderr
    transcript = json.loads((tmp_path / "output" / "videos" / "gogEJyoSB9s" / "transcript.json").read_text())
    assert transcript["source"] == "description" and "allow-description" in transcript["notes"][0]
    article = json.loads((tmp_path / "output" / "videos" / "gogEJyoSB9s" / "article.json").read_text())
    assert article["transcript_source"] == "description"


def test_user_subtitles_file(cli, fake_llm, tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, "gogEJyoSB9s")
    subtitles = FIXTURES / "subtitles" / "wrolpi_example1.en.vtt"
    result = cli("run", str(videos / "gogEJyoSB9s.info.json"), "--subtitles", str(subtitles))
    assert result.code == 0, result.stderr
    transcript = json.loads((tmp_path / "output" / "videos" / "gogEJyoSB9s" / "transcript.json").read_text())
    assert transcript["source"] == "user-subtitles" and transcript["language"] == "en"


def test_limiter_spaces_request_starts() -> None:
    limiter = Limiter(0.05, 0.02)
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(3):
            limiter.wait()
            with lock:
                starts.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    starts.sort()
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert len(starts) == 9 and min(gaps) >= 0.045 and max(gaps) < 0.5


def test_a_pause_holds_every_thread() -> None:
    limiter = Limiter(0.0, 0.0)
    limiter.pause(0.3)
    started = time.monotonic()
    waited: list[float] = []
    threads = [threading.Thread(target=lambda: (limiter.wait(), waited.append(time.monotonic() - started)))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert min(waited) >= 0.28


def test_traditional_chinese_is_converted_only_when_configured(cli, tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, "JjQDik3yNhA")
    caption = FIXTURES / "subtitles" / "HEfHFsfGXjs.zh-Hant.3b1b-taiwan-community.srt"
    plain = cli("fetch", str(videos / "JjQDik3yNhA.info.json"), "--subtitles", str(caption))
    assert plain.code == 0, plain.stderr
    transcript_path = tmp_path / "output" / "videos" / "JjQDik3yNhA" / "transcript.json"
    assert "這" in transcript_path.read_text(encoding="utf-8")
    (tmp_path / "zh.yaml").write_text("transcript:\n  convert_chinese: zh-Hans\n")
    converted = cli("fetch", str(videos / "JjQDik3yNhA.info.json"), "--subtitles", str(caption),
                    "--config", "zh.yaml")
    assert converted.code == 0, converted.stderr
    data = json.loads(transcript_path.read_text(encoding="utf-8"))
    assert data["language"] == "zh-Hans" and data["notes"] == ["converted from zh-Hant to zh-Hans with OpenCC"]
    assert "這" not in transcript_path.read_text(encoding="utf-8") and "这样的碰撞" in transcript_path.read_text(
        encoding="utf-8")
    assert any("OpenCC" in note for note in data["notes"])


@pytest.mark.parametrize("command", ["write", "summarize"])
def test_a_later_stage_of_a_video_whose_fetch_failed_keeps_the_fetch_cause(cli, tmp_path: Path, command: str) -> None:
    # `yt2post write ID` on a video whose fetch had failed replaced the recorded cause
    # (no_transcript, and what to do about it) with "article.json is missing".
    videos = video_dir_with(tmp_path, "gogEJyoSB9s")
    assert cli("run", str(videos / "gogEJyoSB9s.info.json")).code == 1
    status_file = tmp_path / "output" / "videos" / "gogEJyoSB9s" / "status.json"
    before = json.loads(status_file.read_text())["error"]
    result = cli(command, "gogEJyoSB9s")
    assert result.code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "no transcript" in errors[0] and "fetch" in errors[0], result.stderr
    assert json.loads(status_file.read_text())["error"] == before
    assert "failures by cause: no_transcript: 1" in cli("status").stdout
