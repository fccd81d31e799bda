"""Bilibili as a site: its URL forms are sources, and online (yt-dlp's real Bilibili extractors
answered from recorded files, ``tests/recorded_sites.py``) a video gives a draft with its
metadata, a part of a multi-part video is its own video, a collection lists its videos and
``--new`` drafts what was uploaded since, AI subtitles want a login (whose cookie never shows),
and risk control (HTTP 412, the -352 answer) pauses, backs off and names its cause."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import frontmatter
import pytest

from pipeline.sites import canonical_page, link_at, of_store_id, site_of_url, store_id, video_of_url
from tests.recorded_sites import (SUBTITLES, RecordedSites, json_answer, recorded, recorded_sites, redirect,
                                  video_page)

SESSDATA = "5f3c1a9e%2C1893456000%2Cb7d2e*c1YT2POSTtestvalue"  # the test's own, in no recorded file
SUBTITLE_URL = "aisubtitle.hdslb.com/bfs/ai_subtitle/prod/yt2post-test"
SINGLE = recorded("view.BV117411r7R1.json")["data"]  # one part; an AI subtitle (ai-zh) listed
MULTI = recorded("view_detail.BV17x411w7KC.json")["data"]  # 10 parts, its uploader's card and tags
COLLECTION = recorded("seasons_archives_list.1227671.json")
COLLECTION_URL = "https://space.bilibili.com/37737161/lists/1227671?type=season"


# --- URL forms -----------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "video"), [
    ("https://www.bilibili.com/video/BV117411r7R1?p=1", "BV117411r7R1_p1"),
    ("https://www.bilibili.com/video/BV17x411w7KC/?p=2&spm_id_from=333.788", "BV17x411w7KC_p2"),
    ("www.bilibili.com/video/av170001?p=3", "av170001_p3"),
    ("https://m.bilibili.com/video/BV117411r7R1?p=1", "BV117411r7R1_p1"),
    ("BV117411r7R1", "BV117411r7R1"),
    ("BV17x411w7KC_p2", "BV17x411w7KC_p2"),
    ("https://www.bilibili.com/bangumi/play/ep21495", "ep21495"),
    ("https://www.bilibili.com/cheese/play/ep229832", "cheese-ep229832"),
])
def test_a_bilibili_url_of_one_video_names_it(url: str, video: str) -> None:
    site, own = video_of_url(url) or (None, None)
    assert site is not None and (site.name, own) == ("bilibili", video)
    assert of_store_id(store_id("bilibili", video)) == (site, video)


@pytest.mark.parametrize("video", ["BV17x411w7KC_p0", "BV17x411w7KC_p02"])
def test_a_part_id_that_yt_dlp_never_writes_is_no_part(video: str) -> None:
    # Parts count from 1, and yt-dlp writes BV…_p2: "_p0" was the canonical page ?p=0, and
    # "_p02" a second folder of the part whose URL (?p=2) is bilibili-BV…_p2.
    assert video_of_url(video) is None and of_store_id(store_id("bilibili", video)) is None


@pytest.mark.parametrize("url", [
    "https://www.bilibili.com/video/BV17x411w7KC",  # a video that may have parts: its listing says
    "https://www.bilibili.com/video/av170001/",
    "https://b23.tv/BV1GJ411x7h7",
    COLLECTION_URL,
    "https://space.bilibili.com/2142762/channel/collectiondetail?sid=57445",
    "https://space.bilibili.com/2142762/channel/seriesdetail?sid=4126&ctype=0",
    "https://space.bilibili.com/37737161/video",
    "https://space.bilibili.com/37737161/favlist?fid=1234",
    "https://www.bilibili.com/medialist/detail/ml1234",
    "https://www.bilibili.com/list/37737161?sid=1227671",
    "https://www.bilibili.com/bangumi/play/ss26801",
    "https://www.bilibili.com/bangumi/media/md24097891",
    "https://www.bilibili.com/cheese/play/ss5918",
])
def test_a_bilibili_list_url_is_a_collection(url: str) -> None:
    site = site_of_url(url)
    assert site is not None and site.name == "bilibili" and site.is_collection(url) and video_of_url(url) is None


def test_a_part_has_its_canonical_page_and_links_to_a_second() -> None:
    assert canonical_page("bilibili-BV17x411w7KC_p2", "x") == "https://www.bilibili.com/video/BV17x411w7KC?p=2"
    assert canonical_page("bilibili-BV117411r7R1", "x") == "https://www.bilibili.com/video/BV117411r7R1"
    assert canonical_page("bilibili-ep21495", "x") == "https://www.bilibili.com/bangumi/play/ep21495"
    assert link_at("https://www.bilibili.com/video/BV17x411w7KC?p=2", 75.9) == \
        "https://www.bilibili.com/video/BV17x411w7KC?p=2&t=75"
    assert link_at("https://www.bilibili.com/video/BV117411r7R1", 12) == "https://www.bilibili.com/video/BV117411r7R1?t=12"
    assert link_at("javascript:alert(1)//www.bilibili.com/video/BV117411r7R1", 12) is None
    assert link_at("https://www.bilibili.com/read/cv123", 12) is None  # an article: no second to link to


# --- recorded answers ------------------------------------------------------------------------


def _player(view: dict[str, Any], subtitle: str | None) -> Any:
    """The player API (``x/player/wbi/v2``) as Bilibili answers it: the AI subtitle's URL only to
    a logged-in request (the SESSDATA cookie), else ``need_login_subtitle``."""
    def answer(query: dict[str, list[str]], logged_in: bool) -> Any:
        tracks = [{"lan": "ai-zh", "lan_doc": "中文（自动生成）", "subtitle_url": f"//{SUBTITLE_URL}/{view['bvid']}"}]
        data = {"need_login_subtitle": not logged_in, "subtitle": {"subtitles": tracks if logged_in and subtitle else []}}
        return json_answer({"code": 0, "message": "0", "ttl": 1, "data": data})
    return answer


def video_routes(view: dict[str, Any], *, subtitle: str | None = "rider-day017.ai-zh.json",
                 card: dict[str, Any] | None = None, tags: list[str] | None = None) -> dict[str, Any]:
    """What yt-dlp's Bilibili extractor asks for one video, answered."""
    card = card or ({"mid": view["owner"]["mid"], "name": view["owner"]["name"]} if "owner" in view else {})
    routes: dict[str, Any] = {
        f"www.bilibili.com/video/{view['bvid']}": video_page(view, card, tags),
        "api.bilibili.com/x/web-interface/nav": json_answer(recorded("nav.not-logged-in.json")),
        # No formats for a client without a player: a documented error code (the metadata needs none).
        "api.bilibili.com/x/player/wbi/playurl": json_answer({"code": -404, "message": "啥都木有", "ttl": 1}),
        "api.bilibili.com/x/player/wbi/v2": _player(view, subtitle),
    }
    if view.get("pages"):
        routes["api.bilibili.com/x/player/pagelist"] = json_answer({"code": 0, "message": "0", "ttl": 1,
                                                                    "data": view["pages"]})
    if subtitle:
        routes[f"{SUBTITLE_URL}/{view['bvid']}"] = (200, (SUBTITLES / subtitle).read_bytes(), "application/json")
    return routes


def logged_in(tmp_path: Path, **section: Any) -> None:
    cookies = tmp_path / "bilibili-cookies.txt"
    cookies.write_text("# Netscape HTTP Cookie File\n"
                       f".bilibili.com\tTRUE\t/\tTRUE\t1893456000\tSESSDATA\t{SESSDATA}\n", encoding="utf-8")
    config(tmp_path, cookies_file=cookies.name, **section)


def config(tmp_path: Path, **section: Any) -> None:
    """Bilibili's settings (no pacing: the answers are local), and those of the other sites."""
    settings = {"min_interval": 0, "jitter": 0, "retry_wait": 0, **section}
    other = {"min_interval": 0, "jitter": 0, "retry_wait": 0, "max_attempts": section.get("max_attempts", 4)}
    (tmp_path / "config.yaml").write_text(json.dumps({"bilibili": settings, "other_sites": other}), encoding="utf-8")


def posts(tmp_path: Path) -> dict[str, frontmatter.Post]:
    return {p.name: frontmatter.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "output" / "posts").glob("*.md")}


def every_file_text(tmp_path: Path) -> str:
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "output").rglob("*")
                   if p.is_file())


def test_a_video_online_gives_a_draft_with_its_metadata_and_every_word(cli, tmp_path: Path) -> None:
    logged_in(tmp_path)
    with recorded_sites(RecordedSites(routes=video_routes(SINGLE))) as sites:
        result = cli("run", "https://www.bilibili.com/video/BV117411r7R1?p=1")
    assert result.code == 0, result
    [(name, post)] = posts(tmp_path).items()
    assert post["source"] == "https://www.bilibili.com/video/BV117411r7R1?p=1"
    assert post["speaker"] == "陈楒潼桶桶桶" and str(post["date"]).startswith("2020-01-30")
    # A Chinese title spelt in pinyin, never the id (a one-part video's title is its own, not its part's).
    assert name == "2020-01-30-dang-wo-gei-bai-nian-ji-de-kuai-ban-jia-le-dian-yin-pei-yue.md"
    transcript = json.loads((tmp_path / "output/videos/bilibili-BV117411r7R1_p1/transcript.json").read_text())
    words = " ".join(p["text"] for p in transcript["paragraphs"])
    for cue in json.loads((SUBTITLES / "rider-day017.ai-zh.json").read_text(encoding="utf-8"))["body"]:
        assert cue["content"] in words
    assert transcript["language"] == "zh" and transcript["is_generated"] is True  # an AI subtitle
    meta = json.loads((tmp_path / "output/videos/bilibili-BV117411r7R1_p1/metadata.json").read_text())
    assert meta["description"] == SINGLE["desc"] and meta["uploader"] == "陈楒潼桶桶桶"
    assert sites.cookies_seen and set(sites.cookies_seen) == {SESSDATA}  # the login was sent ...
    assert SESSDATA not in every_file_text(tmp_path) + result.stdout + result.stderr  # ... and never written


def test_without_a_login_an_ai_only_video_says_so_in_one_line(cli, tmp_path: Path) -> None:
    config(tmp_path)
    with recorded_sites(RecordedSites(routes=video_routes(SINGLE))):
        result = cli("run", "https://www.bilibili.com/video/BV117411r7R1?p=1")
    assert result.code == 1, result
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: bilibili-BV117411r7R1_p1: subtitles need a login: set bilibili.cookies_file (or "
                      "bilibili.cookies_from_browser) to a logged-in account's cookies (SESSDATA)"]
    assert "login_required: 1" in cli("status").stdout


def test_a_multi_part_video_lists_its_parts_each_titled_with_its_name(cli, tmp_path: Path) -> None:
    logged_in(tmp_path)
    routes = video_routes(MULTI["View"], subtitle="rider-day001.ai-zh.json", card=MULTI["Card"]["card"],
                          tags=[tag["tag_name"] for tag in MULTI["Tags"]])
    with recorded_sites(RecordedSites(routes=routes)):
        listed = cli("run", "https://www.bilibili.com/video/BV17x411w7KC", "--dry-run")
        assert listed.code == 0, listed
        assert [f"bilibili-BV17x411w7KC_p{n}" for n in range(1, 11)] == \
            [line.split("\t")[0] for line in listed.stdout.splitlines()[1:11]]
        result = cli("run", "https://www.bilibili.com/video/BV17x411w7KC?p=2")
    assert result.code == 0, result
    [(name, post)] = posts(tmp_path).items()
    assert name == "2011-11-09-imash-li-surce.md"  # the part's own name
    assert post["source"] == "https://www.bilibili.com/video/BV17x411w7KC?p=2" and post["speaker"] == "冰封.虾子"
    meta = json.loads((tmp_path / "output/videos/bilibili-BV17x411w7KC_p2/metadata.json").read_text())
    assert meta["title"] == "【MV】保加利亚妖王AZIS视频合辑 p02 Imash li surce"
    assert meta["tags"] == ["发现《Hop》", "保加利亚妖王", "保加利亚", "Азис", "azis", "mv"]


def test_a_short_link_is_the_video_it_leads_to(cli, tmp_path: Path) -> None:
    logged_in(tmp_path)
    # b23.tv answers with a redirect to the video's page (the short link is the documented form b23.tv/<bvid>).
    routes = video_routes(SINGLE) | {"b23.tv/BV117411r7R1": redirect("https://www.bilibili.com/video/BV117411r7R1")}
    with recorded_sites(RecordedSites(routes=routes)):
        result = cli("run", "https://b23.tv/BV117411r7R1")
    assert result.code == 0, result
    [post] = posts(tmp_path).values()
    assert post["source"] == "https://www.bilibili.com/video/BV117411r7R1"
    assert (tmp_path / "output" / "videos" / "bilibili-BV117411r7R1" / "transcript.json").is_file()


def _collection(archives: list[dict[str, Any]]) -> Any:
    data = dict(COLLECTION["data"], archives=archives, aids=[a["aid"] for a in archives],
                page=dict(COLLECTION["data"]["page"], total=len(archives)))
    return json_answer(dict(COLLECTION, data=data))


def test_a_collection_lists_its_videos_and_new_drafts_only_the_next_upload(cli, tmp_path: Path) -> None:
    logged_in(tmp_path)
    older, newer = COLLECTION["data"]["archives"]  # newer: uploaded last (its pubdate is the later)
    routes: dict[str, Any] = {}
    for archive, subtitle in ((older, "rider-day017.ai-zh.json"), (newer, "rider-day001.ai-zh.json")):
        # A video page with what the collection's answer says of the video (no pages: one part).
        routes |= video_routes({k: archive[k] for k in ("bvid", "aid", "title", "pubdate", "duration")},
                               subtitle=subtitle)
    # The uploader's space page, which yt-dlp reads the uploader's name from (here without it).
    routes["space.bilibili.com/37737161"] = (200, b"<html><head><title></title></head></html>", "text/html")
    sites = RecordedSites(routes=routes)
    # Before the upload: the collection without its newest video.
    routes["api.bilibili.com/x/polymer/web-space/seasons_archives_list"] = _collection([older])
    with recorded_sites(sites):
        first = cli("run", COLLECTION_URL, "--new")
        assert first.code == 0, first
        assert first.stdout.strip().splitlines()[-1] == "1 video(s): 1 done, 0 skipped, 0 failed"
        routes["api.bilibili.com/x/polymer/web-space/seasons_archives_list"] = _collection([older, newer])
        second = cli("run", COLLECTION_URL, "--new")
        assert second.code == 0, second
        assert second.stdout.strip().splitlines()[-1] == "1 video(s): 1 done, 0 skipped, 0 failed"
        third = cli("run", COLLECTION_URL, "--new")
    assert third.code == 0 and "no new videos" in (third.stdout + third.stderr).lower(), third
    sources = sorted(post["source"] for post in posts(tmp_path).values())
    assert sources == ["https://www.bilibili.com/video/BV1XN411K7g9", "https://www.bilibili.com/video/BV1qo4y1L73P"]
    assert sites.count("www.bilibili.com/video/BV1XN411K7g9") == 1  # the first video was not fetched again
    shown = first.stdout + first.stderr + second.stdout + second.stderr + third.stdout + third.stderr
    assert sites.cookies_seen and SESSDATA not in every_file_text(tmp_path) + shown


RISK_BODY = recorded("risk-control.-352.json")


@pytest.mark.parametrize(("page", "cause", "says"), [
    ((412, json.dumps({"code": -412, "message": "请求被拦截", "ttl": 1, "data": None}).encode(), "application/json"),
     "ip_blocked", "Bilibili's risk control is blocking this IP"),
    # The page Bilibili serves while its risk control wants a check: the -352 answer's voucher in it.
    ((200, f"<html><script>window._riskdata_ = {json.dumps(RISK_BODY['data'])};</script></html>".encode(),
      "text/html; charset=utf-8"), "rate_limited", "Bilibili is limiting this IP's requests"),
])
def test_risk_control_pauses_backs_off_and_names_the_cause(cli, tmp_path: Path, page: Any, cause: str,
                                                           says: str) -> None:
    logged_in(tmp_path, max_attempts=3, block_pause=1.0)
    routes = video_routes(SINGLE) | {"www.bilibili.com/video/BV117411r7R1": page}
    with recorded_sites(RecordedSites(routes=routes)) as sites:
        started = time.monotonic()
        result = cli("run", "https://www.bilibili.com/video/BV117411r7R1?p=1")
        took = time.monotonic() - started
    assert result.code == 1, result
    assert sites.count("www.bilibili.com/video/BV117411r7R1") == 3  # tried, paused, tried again
    assert took >= 2 * 1.0  # Bilibili's work waited out block_pause before each new try
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: bilibili-BV117411r7R1_p1: {says}")
    assert f"{cause}: 1" in cli("status").stdout


def test_a_rate_limited_listing_names_the_cause(cli, tmp_path: Path) -> None:
    config(tmp_path)
    routes = {"api.bilibili.com/x/space/wbi/arc/search": json_answer(RISK_BODY),
              "api.bilibili.com/x/web-interface/nav": json_answer(recorded("nav.not-logged-in.json"))}
    with recorded_sites(RecordedSites(routes=routes)):
        result = cli("run", "https://space.bilibili.com/37737161/video")
    assert result.code == 1, result
    assert result.stderr.strip().splitlines() == [
        "error: https://space.bilibili.com/37737161/video: Bilibili is limiting this IP's requests; wait and rerun "
        "(raise bilibili.min_interval), or set bilibili.cookies_file (or bilibili.cookies_from_browser): Request is "
        "rejected by server (352)"]


# --- the network cut off -------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "https://www.bilibili.com/video/BV117411r7R1", "https://www.bilibili.com/video/BV17x411w7KC?p=2",
    "https://www.bilibili.com/video/av170001", "BV117411r7R1", "https://b23.tv/BV1GJ411x7h7", COLLECTION_URL,
    "https://space.bilibili.com/2142762/channel/seriesdetail?sid=4126", "https://space.bilibili.com/37737161/video",
    "https://space.bilibili.com/37737161/favlist?fid=1234", "https://www.bilibili.com/bangumi/play/ss26801",
    "https://www.bilibili.com/bangumi/play/ep21495", "https://www.bilibili.com/cheese/play/ep229832",
    "https://vimeo.com/76979871", "https://www.ted.com/talks/ken_robinson_says_schools_kill_creativity",
])
def test_with_the_network_cut_off_each_url_form_fails_as_a_network_failure(cli, tmp_path: Path, url: str) -> None:
    config(tmp_path, max_attempts=1)
    with recorded_sites(RecordedSites(offline=True)) as sites:
        result = cli("run", url)
    assert result.code == 1, result
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "network error talking to" in errors[0] and "network is unreachable" in errors[0]
    assert sites.requests_seen  # it was taken as a source and reached for


def test_without_a_login_an_ai_only_video_goes_to_speech_recognition_when_it_is_set_up(cli, fake_llm,
                                                                                      tmp_path: Path) -> None:
    from tests.test_asr import tone

    (tmp_path / "config.yaml").write_text(json.dumps({
        "bilibili": {"min_interval": 0, "jitter": 0}, "asr": {"backend": "endpoint"}}), encoding="utf-8")
    audio = tone(tmp_path / "audio.wav", 7).read_bytes()
    routes = video_routes(SINGLE) | {
        # The player's answer in the shape videostream_url.md documents (durl: the whole file), for the test's audio.
        "api.bilibili.com/x/player/wbi/playurl": json_answer({"code": 0, "message": "0", "ttl": 1, "data": {
            "quality": 16, "format": "mp4", "timelength": 7000,
            "durl": [{"order": 1, "length": 7000, "size": len(audio), "url": "https://upos-sz-mirrorcos.bilivideo.com/"
                                                                               "yt2post-test/audio.wav"}]}}),
        "upos-sz-mirrorcos.bilivideo.com/yt2post-test/audio.wav": (200, audio, "audio/wav"),
    }
    with recorded_sites(RecordedSites(routes=routes)) as sites:
        result = cli("fetch", "https://www.bilibili.com/video/BV117411r7R1?p=1")
    assert result.code == 0, result
    assert sites.count("upos-sz-mirrorcos.bilivideo.com/yt2post-test/audio.wav") >= 1
    transcript = json.loads((tmp_path / "output/videos/bilibili-BV117411r7R1_p1/transcript.json").read_text())
    assert transcript["source"] == "asr-endpoint" and len(fake_llm.audio_requests) == 1
    meta = json.loads((tmp_path / "output/videos/bilibili-BV117411r7R1_p1/metadata.json").read_text())
    assert meta["duration"] == 7  # the player's timelength


def firefox_profile(tmp_path: Path, value: str) -> Path:
    """A Firefox profile holding one Bilibili login cookie, in the cookies.sqlite shape yt-dlp
    reads (``moz_cookies``, schema version 17: expiry in milliseconds)."""
    import sqlite3

    profile = tmp_path / "firefox-profile"
    profile.mkdir()
    with sqlite3.connect(profile / "cookies.sqlite") as db:
        db.execute("CREATE TABLE moz_cookies (id INTEGER PRIMARY KEY, originAttributes TEXT NOT NULL DEFAULT '', "
                   "name TEXT, value TEXT, host TEXT, path TEXT, expiry INTEGER, lastAccessed INTEGER, "
                   "creationTime INTEGER, isSecure INTEGER, isHttpOnly INTEGER)")
        db.execute("INSERT INTO moz_cookies (name, value, host, path, expiry, isSecure, isHttpOnly) "
                   "VALUES ('SESSDATA', ?, '.bilibili.com', '/', 1893456000000, 1, 1)", (value,))
        db.execute("PRAGMA user_version = 17")
    db.close()
    return profile


def test_a_login_read_from_the_browser_is_sent_and_never_shown(cli, tmp_path: Path) -> None:
    """``cookies_from_browser`` takes yt-dlp's BROWSER:PROFILE form, and the values it reads are
    masked like a cookies file's (failed before: the profile was read as part of the browser's
    name, and the values were not masked)."""
    from pipeline import redact

    profile = firefox_profile(tmp_path, SESSDATA)
    config(tmp_path, cookies_from_browser=f"firefox:{profile}")
    with recorded_sites(RecordedSites(routes=video_routes(SINGLE))) as sites:
        result = cli("run", "https://www.bilibili.com/video/BV117411r7R1?p=1")
    assert result.code == 0, result
    assert sites.cookies_seen and set(sites.cookies_seen) == {SESSDATA}
    assert SESSDATA not in every_file_text(tmp_path) + result.stdout + result.stderr
    # Read by the run's yt-dlp, the values are the redactor's: a message that quoted one shows none.
    assert redact.redact(f"an answer that quotes SESSDATA={SESSDATA}") == f"an answer that quotes SESSDATA={redact.MASK}"


def test_a_browser_yt_dlp_cannot_read_is_a_config_error(cli, tmp_path: Path) -> None:
    config(tmp_path, cookies_from_browser="netscape4")
    result = cli("run", "https://www.bilibili.com/video/BV117411r7R1?p=1")
    assert result.code == 2, result
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert "bilibili.cookies_from_browser" in line and 'unsupported browser specified for cookies: "netscape4"' in line


def test_a_cookie_value_is_in_no_message_when_the_cookies_file_is_a_cookie_header(cli, tmp_path: Path) -> None:
    # The Cookie header a user copies from the browser's developer tools, not a Netscape file:
    # yt-dlp's warning quoted each line it skipped; every video would hit it: a configuration error.
    cookies = f"SESSDATA={SESSDATA}; bili_jct=0a1b2c3d4e5f60718293a4b5c6d7e8f9\n"
    (tmp_path / "bilibili-cookies.txt").write_text(cookies, encoding="utf-8")
    config(tmp_path, cookies_file="bilibili-cookies.txt", max_attempts=1)
    with recorded_sites(RecordedSites(offline=True)):
        result = cli("run", "https://www.bilibili.com/video/BV117411r7R1")
        verbose = cli("run", "https://www.bilibili.com/video/BV117411r7R1", "--verbose")
    assert result.code == 2, result
    [line] = result.stderr.strip().splitlines()
    assert "bilibili-cookies.txt: line 1 is not a cookie of a Netscape cookies.txt" in line, line
    said = result.stdout + result.stderr + verbose.stdout + verbose.stderr + every_file_text(tmp_path)
    assert SESSDATA not in said and "0a1b2c3d4e5f60718293a4b5c6d7e8f9" not in said, said


@pytest.mark.parametrize(("cookies_file", "cause"), [
    ("missing-cookies.txt", "no such file"),  # yt-dlp read none, said nothing, and made the file
    ("a-folder", "not a regular file"),  # it was "network error talking to Bilibili: is a directory:"
    ("/dev/zero", "not a regular file"),  # it was read whole: the run was killed for its memory (exit 137)
])
def test_a_cookies_file_that_is_not_one_is_a_config_error_naming_it(cli, tmp_path: Path, cookies_file: str,
                                                                     cause: str) -> None:
    (tmp_path / "a-folder").mkdir()
    config(tmp_path, cookies_file=cookies_file, max_attempts=1)
    with recorded_sites(RecordedSites(offline=True)) as sites:
        result = cli("run", "https://www.bilibili.com/video/BV117411r7R1?p=1")
    assert result.code == 2, result
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and cookies_file in line and cause in line and "cookies_file" in line, line
    assert not sites.requests_seen and not (tmp_path / "missing-cookies.txt").exists()


def test_every_form_of_a_cookies_files_values_is_masked(tmp_path: Path) -> None:
    from pipeline.config import Config
    from pipeline.redact import Redactor, secrets_of

    cookies = tmp_path / "cookies.txt"
    # What browser extensions export for an HttpOnly cookie (SESSDATA is one): "#HttpOnly_" lines
    # are cookies yt-dlp sends, not comments; and a Cookie header pasted in place of the file.
    cookies.write_text(f"# Netscape HTTP Cookie File\n#HttpOnly_.bilibili.com\tTRUE\t/\tTRUE\t1893456000\tSESSDATA\t"
                       f"{SESSDATA}\nbuvid3=9f8e7d6c5b4a; bili_jct=0a1b2c3d4e5f60718293a4b5c6d7e8f9\n", encoding="utf-8")
    mask = Redactor(secrets_of(Config(bilibili={"cookies_file": str(cookies)})))
    assert mask(f"a={SESSDATA} b=9f8e7d6c5b4a c=0a1b2c3d4e5f60718293a4b5c6d7e8f9") == "a=[redacted] b=[redacted] c=[redacted]"


# --- a listing yt-dlp wrote, offline -------------------------------------------------------------


def test_a_collections_listing_written_by_yt_dlp_is_its_videos_offline(cli, tmp_path: Path) -> None:
    # What `yt-dlp --flat-playlist -J COLLECTION_URL` writes: yt-dlp's BilibiliCollectionListIE
    # gives each video as url_result('https://www.bilibili.com/video/<bvid>', BiliBiliIE, bvid).
    # It was "no videos found: its 2 entries are playlists or channel tabs, not videos" (a video's
    # URL without ?p= is a list of its parts), and it told the user to give just such a listing.
    from tests.test_bilibili_captions import BV, bilibili_video

    info = bilibili_video(tmp_path, with_words=True)
    entries = [{"_type": "url", "ie_key": "BiliBili", "id": bvid, "url": f"https://www.bilibili.com/video/{bvid}",
                "__x_forwarded_for_ip": None} for bvid in (BV, "BV1qo4y1L73P")]
    listing = {"_type": "playlist", "id": "37737161_1227671", "title": "合集", "entries": entries,
               "webpage_url": COLLECTION_URL, "extractor": "BilibiliCollectionList",
               "extractor_key": "BilibiliCollectionList"}
    (info.parent / "collection.json").write_text(json.dumps(listing, ensure_ascii=False), encoding="utf-8")
    config(tmp_path, max_attempts=1)
    with recorded_sites(RecordedSites(offline=True)) as sites:
        result = cli("run", str(info.parent / "collection.json"))
    # The video whose info.json is beside the listing is read from it; the other is fetched and,
    # the network cut off, fails alone as that video's network failure.
    assert result.code == 1, result
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [next(line for line in errors if line.startswith("error: bilibili-BV1qo4y1L73P: network error"))]
    assert f"www.bilibili.com/video/{BV}" not in sites.requests_seen
    assert [post["source"] for post in posts(tmp_path).values()] == [f"https://www.bilibili.com/video/{BV}"]
