"""Any site yt-dlp reads, offline: an info.json of TED, Vimeo or Dailymotion (real recorded
values: ``tests/fixtures/othersites/PROVENANCE.md``) makes a video of the site its extractor
names, a draft whose ``source`` is the video's page; and ``status``, the review desk,
``--retry-failed`` and the Batch API work for a Bilibili video and another site's as for YouTube's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import frontmatter
from starlette.testclient import TestClient

from pipeline.config import Config
from pipeline.review.app import create_app
from tests.conftest import FIXTURES
from tests.fakebatch import batch_api
from tests.test_bilibili_captions import BV, bilibili_video

OTHERS = FIXTURES / "othersites"
TED = "The illusion of consciousness [102].info.json"
VIMEO = "FOX CLASSICS - Forever Classic ID - A Full Minute [33951933].info.json"
DAILYMOTION = "Steam Machine Models, Pricing Listed on Steam Store - IGN News [x2iuewm].info.json"
DAILYMOTION_PAGE = ("https://www.dailymotion.com/video/x2iuewm_steam-machine-models-pricing-listed-on-steam-store-"
                    "ign-news_videogames")
TOKEN = "test-token-0123456789abcdef"


def copy_info(folder: Path, *names: str) -> None:
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copyfile(OTHERS / name, folder / name)


def posts(tmp_path: Path) -> dict[str, frontmatter.Post]:
    return {p.name: frontmatter.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "output" / "posts").glob("*.md")}


def test_an_info_json_of_any_site_gives_a_draft_whose_source_is_its_page(cli, tmp_path: Path) -> None:
    videos = tmp_path / "videos"
    copy_info(videos, TED, VIMEO, DAILYMOTION)
    # Manual subtitles beside another site's info.json are read as YouTube's are (these words are
    # another video's real captions, standing in for the Vimeo video's).
    shutil.copyfile(FIXTURES / "captions" / "3b1b-ldm-quadratic.en.srt", videos / VIMEO.replace(".info.json", ".en.srt"))
    result = cli("run", "videos", "--allow-description")
    assert result.code == 0, result
    written = posts(tmp_path)
    assert {name: post["source"] for name, post in written.items()} == {
        "2011-12-20-fox-classics-forever-classic-id-a-full-minute.md": "https://vimeo.com/33951933",
        "2015-03-06-steam-machine-models-pricing-listed-on-steam-store-ign-news.md": DAILYMOTION_PAGE,
        # youtube-dl's TED extractor of 2014 gave no date: the post is dated the day it is written.
        next(name for name in written if name.endswith("-the-illusion-of-consciousness.md")):
            "http://www.ted.com/talks/dan_dennett_on_our_consciousness.html",
    }
    assert {post["speaker"] for post in written.values()} == {"The DMCI", "IGN", "Dan Dennett"}
    # Each site's videos in a folder of their own: <site>-<id>, the site yt-dlp's extractor key.
    folders = sorted(p.name for p in (tmp_path / "output" / "videos").iterdir())
    assert folders == ["dailymotion-x2iuewm", "ted-102", "vimeo-33951933"]
    vimeo = json.loads((tmp_path / "output/videos/vimeo-33951933/transcript.json").read_text())
    assert (vimeo["source"], vimeo["language"]) == ("yt-dlp-subtitles", "en")
    ted = json.loads((tmp_path / "output/videos/ted-102/transcript.json").read_text())
    assert ted["source"] == "description" and "half the time our brains" in ted["paragraphs"][0]["text"]
    status = cli("status")
    assert status.code == 0 and all(name in status.stdout for name in folders)


def two_failing_videos(tmp_path: Path) -> Path:
    """A Bilibili video whose only track is danmaku, and a Dailymotion video without captions."""
    info = bilibili_video(tmp_path, with_words=False)
    copy_info(info.parent, DAILYMOTION)
    return info


def test_status_retry_failed_and_the_desk_for_a_bilibili_and_another_sites_video(cli, tmp_path: Path) -> None:
    info = two_failing_videos(tmp_path)
    (tmp_path / "config.yaml").write_text("post:\n  section_links: true\n", encoding="utf-8")
    failed = cli("run", "videos")
    assert failed.code == 1
    status = cli("status")
    assert "no_transcript: 2" in status.stdout and f"bilibili-{BV}" in status.stdout and "dailymotion-x2iuewm" in status.stdout
    # The words arrive: Bilibili's AI subtitles beside its info.json; the other video may use its description.
    (tmp_path / "later").mkdir()
    bilibili_video(tmp_path / "later", with_words=True)
    shutil.copyfile(tmp_path / "later" / "videos" / f"{BV}.ai-zh.srt", info.parent / f"{BV}.ai-zh.srt")
    retried = cli("run", "--retry-failed", "--allow-description")
    assert retried.code == 0, retried
    assert "2 video(s): 2 done" in retried.stdout
    assert sorted(post["source"] for post in posts(tmp_path).values()) == [
        f"https://www.bilibili.com/video/{BV}", DAILYMOTION_PAGE]
    app = create_app(tmp_path / "output", Config(), token=TOKEN, allowed_hosts={"127.0.0.1"})
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        client.get(f"/?token={TOKEN}", follow_redirects=False)
        listing = client.get("/")
        assert f"bilibili-{BV}" in listing.text and "dailymotion-x2iuewm" in listing.text
        bilibili = client.get(f"/video/bilibili-{BV}").text
        # Each section links to its second on Bilibili's own page.
        assert f'class="at" href="https://www.bilibili.com/video/{BV}?t=' in bilibili
        other = client.get("/video/dailymotion-x2iuewm").text
        # A site whose link to a second is unknown: its page, not called a link to the second.
        assert f'class="at" href="{DAILYMOTION_PAGE}" rel="noopener noreferrer" target="_blank">video page</a>' in other
        assert "video at" in bilibili and "video at" not in other


def test_the_batch_api_runs_a_bilibili_and_another_sites_video(cli, fake_llm, tmp_path: Path) -> None:
    bilibili_video(tmp_path, with_words=True)
    copy_info(tmp_path / "videos", TED)
    (tmp_path / "config.yaml").write_text(
        "llm:\n  mode: batch\n  batch:\n    poll_interval: 0.01\n    poll_max_interval: 0.05\n", encoding="utf-8")
    result = cli("run", "videos", "--allow-description")
    assert result.code == 0, result
    assert len(batch_api(fake_llm).lines) == 2  # one request each, through the provider's Batch API
    assert sorted(post["source"] for post in posts(tmp_path).values()) == [
        "http://www.ted.com/talks/dan_dennett_on_our_consciousness.html", f"https://www.bilibili.com/video/{BV}"]
    for video in (f"bilibili-{BV}", "ted-102"):
        assert json.loads((tmp_path / "output" / "videos" / video / "batch.json").read_text())["requests"]


def test_a_page_url_that_is_no_web_address_never_becomes_the_source(cli, tmp_path: Path) -> None:
    """Another site's video has no canonical URL of its own: its page is the post's ``source``,
    which themes put in an ``href``; a hostile info.json's ``javascript:`` page must not be
    (failed before: ``source: javascript:alert(document.domain)//…``)."""
    videos = tmp_path / "videos"
    copy_info(videos, DAILYMOTION)
    info = json.loads((videos / DAILYMOTION).read_text(encoding="utf-8"))
    info["webpage_url"] = info["original_url"] = "javascript:alert(document.domain)//" + DAILYMOTION_PAGE
    (videos / DAILYMOTION).write_text(json.dumps(info), encoding="utf-8")
    result = cli("run", "videos", "--allow-description")
    assert result.code == 0, result
    [post] = posts(tmp_path).values()
    assert not post["source"].lower().startswith("javascript") and "alert" not in post["source"]
    [folder] = (tmp_path / "output" / "videos").iterdir()
    assert post["source"] == folder.name  # the video's own id, as for a video without a page


def test_an_info_json_with_fields_of_the_wrong_kind_fails_alone_in_one_line(cli, tmp_path: Path) -> None:
    # A hand-edited or hostile info.json: a title that is a number, a duration that is text, an
    # extractor_key that is a path. Each fails on its own, one line naming its file and the
    # cause; the real one beside them still gives its draft.
    videos = tmp_path / "videos"
    copy_info(videos, VIMEO)
    shutil.copyfile(FIXTURES / "captions" / "3b1b-ldm-quadratic.en.srt", videos / VIMEO.replace(".info.json", ".en.srt"))
    real = json.loads((OTHERS / VIMEO).read_text(encoding="utf-8"))
    for name, change in {"number-title": {"title": 12345}, "text-duration": {"duration": "abc"},
                         "path-key": {"extractor_key": "../Evil"}}.items():
        info = {**real, **change, "id": name.replace("-", ""), "webpage_url": f"https://example.org/v/{name}"}
        (videos / f"{name}.info.json").write_text(json.dumps(info), encoding="utf-8")
    result = cli("run", "videos", "--allow-description")
    assert result.code == 1, result
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 3, result.stderr
    for name, field in (("number-title", "title"), ("text-duration", "duration"), ("path-key", "extractor_key")):
        line = next(line for line in errors if f"{name}.info.json" in line)
        assert field in line, line
    assert "validation error" not in result.stderr and "pydantic" not in result.stderr
    assert not (tmp_path / "evil-pathkey").exists() and not (tmp_path / "output" / "evil-pathkey").exists()
    assert list(posts(tmp_path)) == ["2011-12-20-fox-classics-forever-classic-id-a-full-minute.md"]


def test_a_duration_that_is_no_length_is_left_out_and_the_files_stay_json(cli, tmp_path: Path) -> None:
    # Python's json reads NaN and Infinity in a hand-edited info.json; metadata.json written with
    # them is not JSON any other reader (the desk's browser) accepts.
    videos = tmp_path / "videos"
    videos.mkdir()
    real = (OTHERS / VIMEO).read_text(encoding="utf-8")
    assert '"duration": 60' in real
    for name, duration in (("nan", "NaN"), ("inf", "Infinity"), ("neg", "-5")):
        text = real.replace('"duration": 60', f'"duration": {duration}').replace('"id": "33951933"', f'"id": "d{name}"')
        text = text.replace("https://vimeo.com/33951933", f"https://example.org/v/{name}")
        (videos / f"{name}.info.json").write_text(text, encoding="utf-8")
        shutil.copyfile(FIXTURES / "captions" / "3b1b-ldm-quadratic.en.srt", videos / f"{name}.en.srt")
    result = cli("run", "videos")
    assert result.code == 0, result
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in a file")
    for path in (tmp_path / "output" / "videos").rglob("*.json"):
        meta = json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)
        if path.name == "metadata.json":
            assert meta["duration"] is None, path


def test_a_video_whose_folder_name_has_the_form_of_a_youtube_id_stays_its_sites(cli, tmp_path: Path) -> None:
    # yt-dlp's TV2 extractor test (yt_dlp/extractor/tv2.py, TV2IE._TESTS[0], Unlicense): the id
    # it reads from http://www.tv2.no/v/1791207/ makes the folder name "tv2-1791207", eleven of
    # YouTube's id characters; it was taken for a YouTube video's: the post's source became
    # https://www.youtube.com/watch?v=tv2-1791207 and the section links YouTube's.
    videos = tmp_path / "videos"
    videos.mkdir()
    info = {"id": "1791207", "title": "Her kolliderer romsonden med asteroiden ", "extractor": "TV2",
            "extractor_key": "TV2", "webpage_url": "http://www.tv2.no/v/1791207/", "upload_date": "20220927",
            "duration": 146, "description": "En romsonde har krasjet inn i en asteroide i verdensrommet. Kollisjonen "
            "skjedde klokken 01:14 natt til tirsdag 27. september norsk tid. \n\nNasa kaller det sitt første forsøk "
            "på planetforsvar."}
    (videos / "1791207.info.json").write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    shutil.copyfile(FIXTURES / "captions" / "3b1b-ldm-quadratic.en.srt", videos / "1791207.en.srt")
    (tmp_path / "config.yaml").write_text("post:\n  section_links: true\n", encoding="utf-8")
    result = cli("run", "videos")
    assert result.code == 0, result
    [post] = posts(tmp_path).values()
    assert post["source"] == "http://www.tv2.no/v/1791207/"
    assert "youtube" not in post.content and "youtu.be" not in post.content
    [folder] = (tmp_path / "output" / "videos").iterdir()
    assert folder.name.startswith("tv2-")
    status = cli("status", "--json")
    assert status.code == 0 and "youtube" not in status.stdout


def test_a_bilibili_videos_own_page_names_it_to_approve_ignore_and_run_again(cli, tmp_path: Path) -> None:
    # The post's source, https://www.bilibili.com/video/BV… (no ?p=), was "not a valid video id"
    # to approve and ignore, and run went to the network to list its parts.
    from tests.recorded_sites import RecordedSites, recorded_sites

    bilibili_video(tmp_path, with_words=True)
    assert cli("run", "videos").code == 0
    page = f"https://www.bilibili.com/video/{BV}/?spm_id_from=333.788"
    with recorded_sites(RecordedSites(offline=True)) as sites:
        again = cli("run", page)
    assert again.code == 0, again
    assert "1 skipped" in again.stdout and not sites.requests_seen
    ignored = cli("ignore", page)
    assert ignored.code == 0, ignored
    assert json.loads((tmp_path / f"output/videos/bilibili-{BV}/status.json").read_text())["ignored"] is True
    assert cli("unignore", page).code == 0
    approved = cli("approve", f"https://www.bilibili.com/video/{BV}")
    assert approved.code == 0, approved
    assert approved.stdout.startswith(f"approved bilibili-{BV}: ")


def test_an_info_json_of_an_extractor_yt_dlp_lacks_is_never_a_youtube_video(cli, tmp_path: Path) -> None:
    # A key this yt-dlp has no extractor of (an old or a hostile info.json), whose folder name
    # has the form of a YouTube id ("podcast-abc", "local-12345"): its post's source was
    # https://www.youtube.com/watch?v=podcast-abc, a video that is not it.
    videos = tmp_path / "videos"
    videos.mkdir()
    srt = "1\n00:00:01,000 --> 00:00:04,000\nwords said in the video\n"
    for key, own in (("Podcast", "abc"), ("Local", "12345")):
        info = {"id": own, "title": f"{key} video", "extractor_key": key, "upload_date": "20240101",
                "subtitles": {"en": [{"ext": "srt", "data": srt}]}}
        (videos / f"{key}.info.json").write_text(json.dumps(info), encoding="utf-8")
    result = cli("run", "videos")
    assert result.code == 0, result
    sources = sorted(post["source"] for post in posts(tmp_path).values())
    assert len(sources) == 2 and not any("youtube" in source for source in sources), sources
