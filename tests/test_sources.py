"""Turning SOURCE arguments into videos, with recorded yt-dlp listings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import UsageError
from pipeline.sources.listing import expand_sources
from pipeline.sites.youtube.urls import channel_videos_url, is_collection_url, video_id_from_url
from tests.conftest import FIXTURES

INFO = FIXTURES / "ytdlp-info"
VIDEOS = FIXTURES / "videos"


@pytest.mark.parametrize("text", [
    "https://www.youtube.com/watch?v=bwRHIkYqYJo",
    "https://youtube.com/watch?feature=share&v=bwRHIkYqYJo&t=42s",
    "http://m.youtube.com/watch?v=bwRHIkYqYJo&list=PL7D89754A5DAD1E8E&index=3",
    "https://music.youtube.com/watch?v=bwRHIkYqYJo",
    "https://youtu.be/bwRHIkYqYJo?si=abcdef",
    "https://www.youtube.com/shorts/bwRHIkYqYJo",
    "https://www.youtube.com/embed/bwRHIkYqYJo?start=10",
    "https://www.youtube-nocookie.com/embed/bwRHIkYqYJo",
    "https://www.youtube.com/live/bwRHIkYqYJo?feature=share",
    "https://www.youtube.com/v/bwRHIkYqYJo",
    "youtube.com/watch?v=bwRHIkYqYJo",
    "bwRHIkYqYJo",
])
def test_video_url_forms(text: str) -> None:
    assert video_id_from_url(text) == "bwRHIkYqYJo"


@pytest.mark.parametrize("text", [
    "https://www.youtube.com/playlist?list=PL7D89754A5DAD1E8E",
    "https://www.youtube.com/@TheUselessTrials",
    "https://example.com/watch?v=bwRHIkYqYJo",
    "https://www.youtube.com/watch?v=short",
    "not a url",
])
def test_not_a_video(text: str) -> None:
    assert video_id_from_url(text) is None


def test_collection_urls() -> None:
    assert is_collection_url("https://www.youtube.com/playlist?list=PL7D89754A5DAD1E8E")
    assert is_collection_url("https://www.youtube.com/@TheUselessTrials/videos")
    assert is_collection_url("https://www.youtube.com/channel/UCEi9yL4vhQlLafWRsAgAr3w")
    assert is_collection_url("https://www.youtube.com/c/SomeName")
    assert not is_collection_url("https://www.youtube.com/watch?v=bwRHIkYqYJo&list=PL7D89754A5DAD1E8E")
    assert channel_videos_url("https://www.youtube.com/@TheUselessTrials") == \
        "https://www.youtube.com/@TheUselessTrials/videos"
    assert channel_videos_url("https://www.youtube.com/@x/streams") == "https://www.youtube.com/@x/streams"


def recorded(name: str):
    """A stand-in for YouTube that answers with yt-dlp's recorded flat listing."""
    calls: list[str] = []
    data = json.loads((INFO / name).read_text(encoding="utf-8"))
    if isinstance(data, list):
        data = {"_type": "playlist", "entries": data}

    def extract(url: str) -> dict:
        calls.append(url)
        return data

    return extract, calls


def test_playlist_url_expands_with_one_listing_request() -> None:
    extract, calls = recorded("PL7D89754A5DAD1E8E.flat-playlist-entries.json")
    videos = expand_sources(["https://www.youtube.com/playlist?list=PL7D89754A5DAD1E8E"], flat_extract=extract)
    assert len(calls) == 1 and len(videos) == 301
    assert videos[0].video_id == "Y8ZAGd2IBaU" and videos[0].url == "https://www.youtube.com/watch?v=Y8ZAGd2IBaU"
    assert any(v.video_id == "bDGl-r3dGtM" and v.title == "[Private video]" for v in videos)


def test_channel_root_uses_its_videos_tab() -> None:
    extract, calls = recorded("UCfQgsKhHjSyRLOp9mnffqVg.flat-playlist-trimmed.youtarr.json")
    videos = expand_sources(["https://www.youtube.com/channel/UCfQgsKhHjSyRLOp9mnffqVg"], flat_extract=extract)
    assert calls == ["https://www.youtube.com/channel/UCfQgsKhHjSyRLOp9mnffqVg/videos"]
    assert [v.video_id for v in videos][:1] == ["57xw33VP67c"] and len(videos) == 5


def test_limit_and_reverse_apply_before_work() -> None:
    extract, _ = recorded("PL7D89754A5DAD1E8E.flat-playlist-entries.json")
    url = "https://www.youtube.com/playlist?list=PL7D89754A5DAD1E8E"
    newest = expand_sources([url], flat_extract=extract, limit=3)
    oldest = expand_sources([url], flat_extract=extract, limit=3, reverse=True)
    assert len(newest) == 3 and len(oldest) == 3
    everything = expand_sources([url], flat_extract=extract)
    assert [v.video_id for v in oldest] == [v.video_id for v in reversed(everything)][:3]


def test_since_drops_older_videos_and_keeps_undated(tmp_path: Path) -> None:
    entries = [{"_type": "url", "id": "aaaaaaaaaaa", "upload_date": "20240101"},
               {"_type": "url", "id": "bbbbbbbbbbb", "upload_date": "20230101"},
               {"_type": "url", "id": "ccccccccccc"}]
    listing = tmp_path / "list.json"
    listing.write_text(json.dumps(entries))
    videos = expand_sources([str(listing)], since="2023-06-01")
    assert [v.video_id for v in videos] == ["aaaaaaaaaaa", "ccccccccccc"]
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        expand_sources([str(listing)], since="June")


def test_info_json_file_and_folder(tmp_path: Path) -> None:
    for name in ("JjQDik3yNhA.info.json", "gogEJyoSB9s.info.json", "channel_wangzhian.zh.info.json"):
        (tmp_path / name).write_bytes(((VIDEOS if (VIDEOS / name).exists() else INFO) / name).read_bytes())
    one = expand_sources([str(tmp_path / "JjQDik3yNhA.info.json")])
    assert one[0].video_id == "JjQDik3yNhA" and one[0].info_path == tmp_path / "JjQDik3yNhA.info.json"
    folder = expand_sources([str(tmp_path)])
    assert sorted(v.video_id for v in folder) == ["JjQDik3yNhA", "gogEJyoSB9s"]
    assert all(v.info_path is not None for v in folder)


def test_playlist_info_json_entries_find_sibling_info_files(tmp_path: Path) -> None:
    (tmp_path / "JjQDik3yNhA.info.json").write_bytes((VIDEOS / "JjQDik3yNhA.info.json").read_bytes())
    playlist = {"_type": "playlist", "id": "PLx", "entries": [{"_type": "url", "id": "JjQDik3yNhA"},
                                                             {"_type": "url", "id": "gogEJyoSB9s"}]}
    (tmp_path / "PLx.playlist.json").write_text(json.dumps(playlist))
    videos = expand_sources([str(tmp_path / "PLx.playlist.json")])
    assert videos[0].info_path == tmp_path / "JjQDik3yNhA.info.json"
    assert videos[1].info_path is None


CHANNELS = ("channel_UCEi9yL4vhQlLafWRsAgAr3w_TheUselessTrials.info.json", "channel_wangzhian.zh.info.json")


def test_a_channel_info_json_without_entries_says_why_and_what_to_give(tmp_path: Path) -> None:
    # As yt-dlp writes a channel's info.json with its items limited: entries empty.
    path = tmp_path / CHANNELS[1]
    path.write_bytes((INFO / CHANNELS[1]).read_bytes())
    with pytest.raises(UsageError) as raised:
        expand_sources([str(path)])
    message = str(raised.value)
    assert message.startswith(f"{path}: no videos found: it is the info.json of a playlist or channel")
    assert "王志安" in message and "https://www.youtube.com/@wangzhian/videos" in message
    assert "yt-dlp --flat-playlist" in message and "\n" not in message


def test_entries_that_are_tabs_or_playlists_are_not_taken_for_videos(tmp_path: Path) -> None:
    # A channel root listed with --playlist-items 0 (its tabs as url entries) and a channel's
    # playlists tab (entries are playlists, with playlist ids).
    channel = json.loads((INFO / CHANNELS[0]).read_text(encoding="utf-8"))
    channel["entries"] = [{"_type": "url", "ie_key": "YoutubeTab", "url": "https://www.youtube.com/@TheUselessTrials/videos"},
                          {"_type": "url", "ie_key": "YoutubeTab", "id": "PLx1y2z3a4b5c6d7e8",
                           "url": "https://www.youtube.com/playlist?list=PLx1y2z3a4b5c6d7e8", "title": "Tricks"}]
    path = tmp_path / "tabs.info.json"
    path.write_text(json.dumps(channel), encoding="utf-8")
    with pytest.raises(UsageError) as raised:
        expand_sources([str(path)])
    message = str(raised.value)
    assert "its 2 entries are playlists or channel tabs, not videos" in message
    assert "https://www.youtube.com/@TheUselessTrials/videos" in message
    listing = tmp_path / "other.json"
    listing.write_text(json.dumps([{"id": "12345", "title": "no page"}]), encoding="utf-8")
    with pytest.raises(UsageError, match="other.json: no videos found: none of its 1 entries has a YouTube video id"):
        expand_sources([str(listing)])
    # Another site's video in a listing is that site's (yt-dlp's extractor for its URL says whose).
    listing.write_text(json.dumps([{"id": "12345", "url": "https://vimeo.com/12345"}]), encoding="utf-8")
    [video] = expand_sources([str(listing)])
    assert (video.video_id, video.site, video.url) == ("vimeo-12345", "vimeo", "https://vimeo.com/12345")


def test_a_folder_of_channel_and_playlist_files_without_videos_says_why(cli, tmp_path: Path) -> None:
    folder = tmp_path / "channel"
    folder.mkdir()
    for name in CHANNELS:
        (folder / name).write_bytes((INFO / name).read_bytes())
    listing = "PL7D89754A5DAD1E8E.flat-playlist-entries.json"
    (folder / listing).write_bytes((INFO / listing).read_bytes())
    result = cli("run", "channel")
    assert result.code == 2 and len(result.stderr.splitlines()) == 1, result
    line = result.stderr
    assert line.startswith("error: channel: no videos found: 2 info.json files of playlists or channels list no videos")
    assert "https://www.youtube.com/c/TheUselessTrials/videos" in line and "https://www.youtube.com/@wangzhian/videos" in line
    assert f"; {listing}: not read as part of a folder, give it as a SOURCE of its own" in line
    # The playlist's own entries, given as the source: its videos.
    assert len(expand_sources([str(folder / listing)])) == 301
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli("run", "empty")
    assert result.code == 2 and result.stderr == "error: empty: no videos found: no .info.json file in it\n", result


def test_list_file_with_comments_relative_paths_and_dedupe(tmp_path: Path) -> None:
    (tmp_path / "JjQDik3yNhA.info.json").write_bytes((VIDEOS / "JjQDik3yNhA.info.json").read_bytes())
    (tmp_path / "sources.txt").write_text(
        "# my videos\n\nhttps://youtu.be/bwRHIkYqYJo\nJjQDik3yNhA.info.json  # local\nbwRHIkYqYJo\n")
    videos = expand_sources([str(tmp_path / "sources.txt")])
    assert [v.video_id for v in videos] == ["bwRHIkYqYJo", "JjQDik3yNhA"]


def test_media_files(tmp_path: Path) -> None:
    named = tmp_path / "A talk [bwRHIkYqYJo].m4a"
    named.write_bytes(b"")
    other = tmp_path / "interview.wav"
    other.write_bytes(b"")
    videos = expand_sources([str(named), str(other)])
    assert videos[0].video_id == "bwRHIkYqYJo" and videos[0].media_path == named
    assert videos[1].video_id.startswith("local-") and videos[1].url.startswith("file://")


@pytest.mark.parametrize("source, message", [
    ("missing/file.info.json", "no such file"),
    ("hello", "not a video, playlist, channel or feed URL"),
    ("ftp://example.com/video", "not a video, playlist, channel or feed URL"),
])
def test_bad_sources_are_usage_errors(source: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        expand_sources([source])


def test_playlists_and_channels_are_listed_with_the_youtube_settings(tmp_path: Path) -> None:
    from pipeline.config import Config
    from pipeline.sites import get_site

    cookies = tmp_path / "c.txt"  # a cookies file that is one (a missing one is a config error)
    cookies.write_text("# Netscape HTTP Cookie File\n", encoding="utf-8")
    config = Config.model_validate({"youtube": {"proxy": "http://127.0.0.1:9", "cookies_file": str(cookies),
                                                "timeout": 7}})
    params = get_site("youtube").ytdlp_params(config)  # type: ignore[attr-defined]
    assert params["proxy"] == "http://127.0.0.1:9" and params["cookiefile"] == str(cookies)
    assert params["socket_timeout"] == 7


def test_every_site_module_has_the_site_interfaces_attributes() -> None:
    from pipeline.sites import SITES
    from pipeline.sites.base import Site

    for site in SITES.values():
        for name in Site.__annotations__:  # a feed no yt-dlp extractor reads too: its extractor is ""
            assert hasattr(site, name), (site.name, name)
