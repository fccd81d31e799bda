"""Hostile feeds through the whole CLI, from 127.0.0.1: each fails only what it should, in one
line, and nothing is written outside the output folder. The post of a hostile episode is built
by the example Eleventy site, as a video's is (``tests/test_hostile_site.py``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import frontmatter
import pytest

from starlette.testclient import TestClient

from pipeline.config import Config
from pipeline.review.app import create_app
from tests.eleventy import build_site, node_available
from tests.podcast_show import Show, server  # noqa: F401 - fixture
from tests.podcastserver import PodcastServer, endless
from tests.review_desk import TOKEN
from tests.hostile import Tags


@pytest.fixture
def show(server: PodcastServer) -> Show:
    show = Show(server)
    for item in range(3):
        show.give(item, "text/vtt")
    return show


def files_of(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def only_in_output(tmp_path: Path, before: set[Path]) -> None:
    """Every file the run made is inside ``output/``."""
    made = files_of(tmp_path) - before
    assert all(path.is_relative_to(tmp_path / "output") for path in made), sorted(made)


def one_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def serve_feed(server: PodcastServer, body: bytes) -> str:
    return server.serve("/bad/feed.xml", body, headers={"Content-Type": "application/rss+xml"})


BOMB = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(b'<!ENTITY %s "%s">' % (chr(98 + i).encode(), (b"&%s;" % chr(97 + i).encode()) * 10) for i in range(9))
        + b"]><rss version='2.0'><channel><title>&j;</title><item><title>&j;</title><guid>1</guid>"
          b"<enclosure url='http://127.0.0.1/a.mp3'/></item></channel></rss>")


def test_an_entity_bomb_is_refused_in_one_line(cli, server: PodcastServer, tmp_path: Path) -> None:
    before = files_of(tmp_path)
    result = cli("run", serve_feed(server, BOMB))
    assert result.code == 1
    assert "refused: the feed declares XML entities" in one_error(result.stderr)
    only_in_output(tmp_path, before)
    assert not (tmp_path / "output" / "videos").exists()


def test_an_external_entity_is_never_read(cli, server: PodcastServer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    xxe = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://%s">]>'
           b"<rss version='2.0'><channel><title>&x;</title><item><title>&x;</title><guid>a</guid>"
           b"<enclosure url='http://127.0.0.1/a.mp3'/></item></channel></rss>") % str(secret).encode()
    before = files_of(tmp_path)
    result = cli("run", serve_feed(server, xxe))
    assert result.code == 1 and "declares XML entities" in one_error(result.stderr)
    assert "TOP-SECRET" not in result.stdout + result.stderr
    only_in_output(tmp_path, before)
    assert not any("TOP-SECRET" in path.read_text(errors="replace") for path in files_of(tmp_path / "output")
                   if (tmp_path / "output").exists())


def test_a_200_mb_feed_is_refused_at_the_cap(cli, server: PodcastServer, tmp_path: Path) -> None:
    url = server.serve("/big/feed.xml", endless(b"<rss>" + b" " * 65531, 200_000_000))
    before = files_of(tmp_path)
    result = cli("run", url)
    assert result.code == 1
    assert one_error(result.stderr) == f"error: feed {url}: over max_input_mb (50 MB)"
    only_in_output(tmp_path, before)


def test_a_redirect_loop_fails_the_feed_or_only_its_episode(cli, show: Show, tmp_path: Path) -> None:
    server = show.server
    server.redirect("/loop/a.xml", server.url("/loop/b.xml"))
    server.redirect("/loop/b.xml", server.url("/loop/a.xml"))
    feed = cli("run", server.url("/loop/a.xml"))
    assert feed.code == 1 and "more than 5 redirects (a redirect loop?)" in one_error(feed.stderr)
    # A transcript that loops: that episode fails (no other way to its words), the others go on.
    transcript = show.transcript_urls(1)[0].removeprefix(server.base)
    server.redirect(transcript, server.url("/loop/c.vtt"))
    server.redirect("/loop/c.vtt", server.url(transcript))
    before = files_of(tmp_path)
    result = cli("run", show.serve(items=[0, 1, 2]))
    assert result.code == 1
    line = one_error(result.stderr)
    assert "no transcript" in line and "more than 5 redirects" in line
    assert "3 video(s): 2 done, 0 skipped, 1 failed" in result.stdout
    only_in_output(tmp_path, before)


def test_a_file_url_transcript_is_refused_and_never_read(cli, show: Show, tmp_path: Path) -> None:
    secret = tmp_path / "secret.vtt"
    secret.write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nTOP-SECRET-CONTENT\n", encoding="utf-8")
    # Episode 0 has a good transcript besides the file:// one; episode 1 has only the file:// one.
    show.edit(0, "<podcast:transcript ", f'<podcast:transcript url="{secret.as_uri()}" type="text/vtt"/>\n'
                                         '      <podcast:transcript ')
    show.without_transcripts(1)
    show.edit(1, "</item>", f'<podcast:transcript url="{secret.as_uri()}" type="text/vtt"/></item>')
    before = files_of(tmp_path)
    result = cli("fetch", show.serve(items=[0, 1]))
    assert result.code == 1
    line = one_error(result.stderr)
    assert "no transcript" in line and "is refused: only http(s) URLs are fetched (file:)" in line
    assert "2 video(s): 1 done, 0 skipped, 1 failed" in result.stdout
    output = tmp_path / "output"
    assert not any("TOP-SECRET" in path.read_text(errors="replace") for path in files_of(output))
    good = [p for p in (output / "videos").iterdir() if (p / "transcript.json").exists()]
    notes = json.loads((good[0] / "transcript.json").read_text())["notes"]
    assert any("file:" in note and "refused" in note for note in notes)
    only_in_output(tmp_path, before)


HOSTILE_TITLE = "../../../etc/passwd {{ 7*7 }} {% include \"secrets.txt\" %} <script>alert(1)</script>"


@pytest.mark.eleventy
def test_an_episode_titled_as_a_path_or_a_template_stays_text_and_builds(cli, show: Show, tmp_path: Path) -> None:
    assert node_available(), "Node.js >= 18 and npm are needed to build the Eleventy site (.ci/run installs them)"
    show.edit(0, "<title>Social Media</title>", f"<title><![CDATA[{HOSTILE_TITLE}]]></title>")
    show.edit(0, "Dr. Timothy M. Jurgensen</podcast:person>", "{{ site.title }} <b>Tim</b></podcast:person>")
    show.text = show.text.replace("<title>The Mike Neumann Show</title>", "<title>{{ 6*7 }} &lt;i&gt;Show</title>", 1)
    before = files_of(tmp_path)
    result = cli("run", show.serve(items=[0, 1]))
    assert result.code == 0, result.stderr
    only_in_output(tmp_path, before)
    posts_dir = tmp_path / "output" / "posts"
    posts = sorted(posts_dir.glob("*.md"))
    assert len(posts) == 2 and all(p.resolve().parent == posts_dir.resolve() for p in posts)
    [hostile] = [p for p in posts if "etc" in p.name or "passwd" in p.name]
    post = frontmatter.load(hostile)
    assert post["templateEngineOverride"] == "md"
    assert "{{ site.title }}" in post["guest"] and "<b>" not in post["guest"]
    site = build_site(posts, tmp_path)
    pages = [p.read_text(encoding="utf-8") for p in site.rglob("*.html")]
    assert len(pages) >= 2
    # 6*7 never evaluated: no 42 of its own (the test server's port, 127.0.0.1:54213, may hold one).
    assert any("{{ 6*7 }}" in page for page in pages)
    assert not any(re.search(r"(?<![\d:])42(?!\d)", page) for page in pages)
    for text in pages:
        tags = Tags()
        tags.feed(text)
        assert "script" not in {name for name, _ in tags.seen}


def test_an_item_without_audio_or_transcript_fails_alone(cli, show: Show, tmp_path: Path) -> None:
    show.without_transcripts(1)
    show.items[1] = re.sub(r"\s*<enclosure [^>]*/>", "", show.items[1])
    result = cli("run", show.serve(items=[0, 1, 2]))
    assert result.code == 1
    line = one_error(result.stderr)
    assert line.endswith("no audio enclosure and no transcript: nothing to read the words from"), line
    assert "3 video(s): 2 done, 0 skipped, 1 failed" in result.stdout


def test_hostile_names_and_words_are_nothing_live_in_the_desk(cli, show: Show, tmp_path: Path) -> None:
    show.text = show.text.replace("<title>The Mike Neumann Show</title>",
                                  "<title>Show &lt;script&gt;alert(1)&lt;/script&gt;</title>", 1)
    hostile = show.server.url("/mn/transcripts/hostile.vtt")
    show.without_transcripts(0)
    show.edit(0, "</item>", f'<podcast:transcript url="{hostile}" type="text/vtt"/></item>')
    show.server.serve("/mn/transcripts/hostile.vtt", "WEBVTT\n\n00:00.000 --> 00:04.000\n"
                      "<v <img src=x onerror=alert(2)>>hello <script>alert(3)</script> {{ 7*7 }}\n")
    result = cli("run", show.serve(items=[0]))
    assert result.code == 0, result.stderr
    [folder] = (tmp_path / "output" / "videos").iterdir()
    app = create_app(tmp_path / "output", Config(), token=TOKEN, allowed_hosts={"127.0.0.1"})
    with TestClient(app, base_url="http://127.0.0.1:8765", follow_redirects=False) as client:
        assert client.get(f"/?token={TOKEN}").status_code == 303
        pages = [client.get("/").text, client.get(f"/video/{folder.name}").text]
    for page in pages:
        tags = Tags()
        tags.feed(page)
        own_scripts = [attrs for name, attrs in tags.seen if name == "script"]
        assert all(dict(attrs).get("src", "").startswith("/static/") for attrs in own_scripts)  # the desk's own only
        assert "img" not in {name for name, _ in tags.seen}
        assert "<script>alert" not in page and "onerror" not in page
    assert "hello alert(3) {{ 7*7 }}" in pages[1]  # the words are there, as text


def test_a_feed_out_of_reach_is_one_plain_line(cli, tmp_path: Path) -> None:
    """The network's words, not the HTTP library's (failed before: ``ConnectionError:
    HTTPConnectionPool(host=…, port=…): Max retries exceeded with url: … (Caused by …)``)."""
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = cli("run", f"http://127.0.0.1:{port}/feed.xml")
    assert result.code == 1, result
    assert one_error(result.stderr) == (f"error: feed http://127.0.0.1:{port}/feed.xml: network error: connection "
                                        "refused; check the network")
