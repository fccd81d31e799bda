"""A YouTube channel's (or playlist's) own feed URL, the address feed readers and watch scripts
use, is that channel's uploads (or that playlist), not a podcast feed: YouTube's feed has no
audio and no transcripts, so read as a podcast every entry would fail."""

from __future__ import annotations

import pytest

from pipeline.sites import site_of_url
from pipeline.sources.listing import expand_sources
from tests.test_sources import recorded

CHANNEL = "UCfQgsKhHjSyRLOp9mnffqVg"


def test_a_channels_feed_url_lists_its_uploads() -> None:
    extract, calls = recorded(f"{CHANNEL}.flat-playlist-trimmed.youtarr.json")
    videos = expand_sources([f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}"], flat_extract=extract)
    assert calls == [f"https://www.youtube.com/channel/{CHANNEL}/videos"]
    assert [v.video_id for v in videos][:1] == ["57xw33VP67c"] and len(videos) == 5


@pytest.mark.parametrize(("feed", "listing"), [
    ("https://www.youtube.com/feeds/videos.xml?playlist_id=PL7D89754A5DAD1E8E",
     "https://www.youtube.com/playlist?list=PL7D89754A5DAD1E8E"),
    ("https://www.youtube.com/feeds/videos.xml?user=3blue1brown", "https://www.youtube.com/user/3blue1brown/videos"),
])
def test_a_playlists_or_users_feed_url_is_that_playlist_or_user(feed: str, listing: str) -> None:
    site = site_of_url(feed)
    assert site is not None and site.name == "youtube" and site.collection_url(feed) == listing
