"""Apple Podcasts URLs to feeds, through a lookup answer served on 127.0.0.1."""

from __future__ import annotations

import pytest

from pipeline.config import PodcastConfig
from pipeline.errors import UsageError
from pipeline.sites.podcast.apple import (AppleLink, AppleLookupError, is_apple_url, lookup_url, match_episode,
                                     parse_apple_url, read_lookup, resolve)
from pipeline.sites.podcast.feed import parse_feed
from tests.podcastserver import FIXTURES, PodcastServer

SHOW = "https://podcasts.apple.com/us/podcast/the-mike-neumann-show/id1617185411"


@pytest.mark.parametrize("url, link", [
    (SHOW, AppleLink(1617185411)),
    (SHOW + "?i=1000669361223", AppleLink(1617185411, 1000669361223)),
    ("https://podcasts.apple.com/de/podcast/id1617185411", AppleLink(1617185411)),
    ("https://itunes.apple.com/us/podcast/the-show/id1617185411?mt=2", AppleLink(1617185411)),
])
def test_apple_urls(url, link):
    assert is_apple_url(url) and parse_apple_url(url) == link


def test_not_an_apple_podcasts_url():
    with pytest.raises(UsageError, match=r"not an Apple Podcasts show or episode URL"):
        parse_apple_url("https://podcasts.apple.com/us/browse")
    assert not is_apple_url("https://example.com/id123")


def test_the_lookup_request():
    assert lookup_url(AppleLink(5), PodcastConfig().apple_lookup_url) == "https://itunes.apple.com/lookup?id=5"
    assert lookup_url(AppleLink(5, 7), "http://127.0.0.1:1/lookup") == \
        "http://127.0.0.1:1/lookup?id=5&entity=podcastEpisode&limit=200"


def test_a_show_and_an_episode_resolve_to_the_feed_and_its_item():
    with PodcastServer() as server:
        server.serve_file("/lookup", "apple/lookup-episode.json", "text/javascript; charset=utf-8")
        show = resolve(SHOW + "?i=1000669361223", max_mb=5, base=server.url("/lookup"))
        asked = server.requests[0][0]
    assert asked == "/lookup?id=1617185411&entity=podcastEpisode&limit=200"
    assert show.feed_url == "https://mikeneumann.show/feed.xml" and show.name == "The Mike Neumann Show"
    assert (show.episode.title, show.episode.date) == ("Social Media", "20240914")
    feed = parse_feed((FIXTURES / "feeds" / "themnshow.xml").read_bytes(), max_mb=50)
    assert match_episode(feed, show.episode) is feed.episodes[0]  # by guid


def test_a_real_recorded_lookup_answer_gives_the_shows_feed():
    """Apple's own answer for a show, as recorded (``apple/lookup-show.recorded.json``)."""
    with PodcastServer() as server:
        server.serve_file("/lookup", "apple/lookup-show.recorded.json", "text/javascript; charset=utf-8")
        show = resolve("https://podcasts.apple.com/us/podcast/norah-jones-is-playing-along/id1645438817",
                       max_mb=5, base=server.url("/lookup"))
        asked = server.requests[0][0]
    assert asked == "/lookup?id=1645438817"
    assert show.feed_url == "https://feeds.megaphone.fm/norahjonesisplayingalong"
    assert show.name == "Norah Jones Is Playing Along" and show.episode is None


def test_an_episode_is_matched_by_audio_then_title():
    data = (FIXTURES / "apple" / "lookup-episode.json").read_bytes()
    show = read_lookup(data, AppleLink(1617185411, 1000667081001))  # no episodeGuid; audio with ?from=apple
    feed = parse_feed((FIXTURES / "feeds" / "themnshow.xml").read_bytes(), max_mb=50)
    assert match_episode(feed, show.episode).title == "Community"
    titled = show.episode.__class__(track_id=1, title="community", date="20240829")
    assert match_episode(feed, titled).title == "Community"
    assert match_episode(feed, show.episode.__class__(track_id=2, title="Nothing like it")) is None


def test_lookups_without_a_feed_say_so():
    with pytest.raises(AppleLookupError, match="Apple lists no RSS feed for this show"):
        read_lookup((FIXTURES / "apple" / "lookup-no-feed.json").read_bytes(), AppleLink(1000000001))
    with pytest.raises(AppleLookupError, match="knows no such show"):
        read_lookup(b'{"resultCount": 0, "results": []}', AppleLink(1))
    with pytest.raises(AppleLookupError, match="not among the show's 200 most recent"):
        read_lookup((FIXTURES / "apple" / "lookup-episode.json").read_bytes(), AppleLink(1617185411, 42))
    with pytest.raises(AppleLookupError, match="not JSON"):
        read_lookup(b"<html>", AppleLink(1))


def test_episodes_whose_audio_differs_only_in_its_query_are_told_apart():
    # Hosts that serve every episode from one script (download.php?episode=N): the query is the
    # episode, so an audio URL that matches only without its query names no one of them.
    from pipeline.sites.podcast.apple import AppleEpisode

    items = "".join(f"<item><title>Episode {n}</title><guid>g{n}</guid><pubDate>Mon, 0{n} Sep 2024 10:00:00 GMT"
                    f"</pubDate><enclosure url='https://host.example/download.php?episode={n}' type='audio/mpeg'/></item>"
                    for n in (1, 2, 3))
    feed = parse_feed(f"<rss version='2.0'><channel><title>S</title>{items}</channel></rss>".encode(), max_mb=1)
    chosen = match_episode(feed, AppleEpisode(track_id=7, audio_url="https://host.example/download.php?episode=2"))
    assert chosen is not None and chosen.title == "Episode 2"
    assert match_episode(feed, AppleEpisode(track_id=8, audio_url="https://host.example/download.php?episode=9")) is None
