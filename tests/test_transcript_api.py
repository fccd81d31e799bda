"""Step 1 of the fallback chain: youtube-transcript-api, driven offline by recorded responses."""

from __future__ import annotations

import pytest
import requests

from pipeline.config import Config, YouTubeConfig
from pipeline.errors import (
    AgeRestricted,
    FetchError,
    IpBlocked,
    NetworkError,
    PoTokenRequired,
    VideoUnavailable,
)
from pipeline.shapes import Metadata
from pipeline.sites.youtube.session import YouTubeSession
from tests.recorded_youtube import RecordedYouTube

VIDEO = "GJLlxj_dtq8"  # "Surface Go Review", the video the recorded responses belong to
FAST = dict(min_interval=0.0, jitter=0.0, retry_wait=0.0, block_pause=0.0)


def session(transport: RecordedYouTube, **config: object) -> YouTubeSession:
    return YouTubeSession(YouTubeConfig(**(FAST | config)), transport=transport)


def fetch(transport: RecordedYouTube, languages: list[str] | None = None, **config: object):
    meta = Metadata(id=VIDEO, title="Surface Go Review", language="en")
    return session(transport, **config).transcript(meta, languages or ["en"], Config())


def test_manual_transcript_in_a_preferred_language() -> None:
    transport = RecordedYouTube()
    transcript = fetch(transport)
    assert transcript is not None
    assert transcript.source == "youtube-transcript-api"
    assert transcript.language == "en" and transcript.is_generated is False
    assert [s.text for s in transcript.segments] == [
        "Hey, this is just a test", "this is not the original transcript",
        "just something shorter, I made up for testing"]
    assert transcript.segments[1].start == pytest.approx(1.54)
    # Three requests: the watch page, the player API, the caption track.
    assert [r.split(" ")[0] for r in transport.requests_seen] == ["GET", "POST", "GET"]


def test_any_manual_transcript_when_no_preferred_language_exists() -> None:
    transcript = fetch(RecordedYouTube(), languages=["pt"])
    assert transcript is not None and transcript.language == "zh" and not transcript.is_generated


def test_generated_transcript_when_no_manual_one_matches() -> None:
    transcript = fetch(RecordedYouTube(player="youtube_ww1_nl_en.innertube.json.static"), languages=["en"])
    assert transcript is not None and transcript.language == "en"


def test_transcripts_disabled_falls_through_to_the_next_step() -> None:
    assert fetch(RecordedYouTube(player="youtube_transcripts_disabled.innertube.json.static")) is None


@pytest.mark.parametrize("player, error, words", [
    ("youtube_age_restricted.innertube.json.static", AgeRestricted, "cookies_file"),
    ("youtube_video_unavailable.innertube.json.static", VideoUnavailable, "unavailable"),
    ("youtube_unplayable.innertube.json.static", VideoUnavailable, "Custom Reason"),
    ("youtube_po_token_required.innertube.json.static", PoTokenRequired, "PO token"),
])
def test_permanent_causes_are_raised_once(player: str, error: type[FetchError], words: str) -> None:
    transport = RecordedYouTube(player=player)
    with pytest.raises(error) as raised:
        fetch(transport, max_attempts=3)
    message = str(raised.value)
    assert message.startswith(f"{VIDEO}: ") and words in message and "\n" not in message
    assert transport.requests_seen[0].startswith("GET") and len(
        [r for r in transport.requests_seen if "/watch" in r]) == 1


def test_unplayable_keeps_the_sub_reasons() -> None:
    with pytest.raises(VideoUnavailable, match="Sub Reason 1"):
        fetch(RecordedYouTube(player="youtube_unplayable.innertube.json.static"))


@pytest.mark.parametrize("scenario", [
    dict(player="youtube_request_blocked.innertube.json.static"),
    dict(watch_page="youtube_too_many_requests.html.static"),
    dict(watch_page="youtube_too_many_requests.html.static", watch_status=429),
])
def test_ip_blocks_are_transient_and_retried(scenario: dict) -> None:
    transport = RecordedYouTube(**scenario)
    with pytest.raises(IpBlocked) as raised:
        fetch(transport, max_attempts=3)
    assert "youtube.proxy" in str(raised.value) and "cookies_file" in str(raised.value)
    assert len([r for r in transport.requests_seen if "/watch" in r]) == 3


def test_network_errors_are_transient_and_retried() -> None:
    transport = RecordedYouTube(fail_with=requests.ConnectionError)
    with pytest.raises(NetworkError, match=f"^{VIDEO}: network error"):
        fetch(transport, max_attempts=2)
    assert len(transport.requests_seen) == 2


def test_an_ip_block_pauses_all_youtube_work() -> None:
    transport = RecordedYouTube(player="youtube_request_blocked.innertube.json.static")
    yt = session(transport, block_pause=30.0, max_attempts=1)
    with pytest.raises(IpBlocked):
        yt.transcript(Metadata(id=VIDEO), ["en"], Config())
    assert yt.limiter.paused
