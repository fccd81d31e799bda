"""HTTP for podcasts against a real server on 127.0.0.1: redirects, loops, 404s, slow and huge
bodies, schemes that are not http(s), basic auth and tokens that never reach a message."""

from __future__ import annotations

import time

import pytest

from pipeline.errors import InputTooLarge, NetworkError
from pipeline.redact import url_secrets
from pipeline.sites.podcast.fetching import (PodcastHttpError, PodcastServerBusy, UnsafeUrl, check_url, download, fetch,
                                        masked_url)
from tests.podcastserver import PodcastServer, endless


@pytest.fixture
def server():
    with PodcastServer() as running:
        yield running


def test_follows_a_bounded_number_of_redirects(server):
    server.serve_file("/feed.xml", "feeds/themnshow.xml")
    server.redirect("/old", "/moved")
    server.redirect("/moved", server.url("/feed.xml"), status=301)
    answer = fetch(server.url("/old"), max_mb=5)
    assert answer.url == server.url("/feed.xml")
    assert answer.data.startswith(b"\n<rss")


def test_a_redirect_loop_is_one_line(server):
    server.redirect("/a", "/b")
    server.redirect("/b", "/a")
    with pytest.raises(PodcastHttpError, match=r"more than 5 redirects \(a redirect loop\?\)") as caught:
        fetch(server.url("/a"), max_mb=5)
    assert "\n" not in str(caught.value)
    assert len(server.requests) == 6  # the first request and five redirects, then it stops


def test_404_and_server_errors_name_the_status(server):
    with pytest.raises(PodcastHttpError, match="HTTP 404") as caught:
        fetch(server.url("/gone.vtt"), max_mb=5, what="transcript")
    assert caught.value.status == 404 and not caught.value.transient
    server.serve("/busy", b"", status=503)
    with pytest.raises(PodcastServerBusy, match="HTTP 503") as busy:
        fetch(server.url("/busy"), max_mb=5)
    assert busy.value.transient


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/t.vtt", "javascript:alert(1)", "/etc/passwd",
                                 "gopher://x/"])
def test_only_http_urls_are_fetched(url):
    with pytest.raises(UnsafeUrl, match="only http\\(s\\) URLs are fetched") as caught:
        fetch(url, max_mb=5, what="transcript")
    assert "\n" not in str(caught.value)


def test_a_redirect_to_a_file_url_is_refused(server):
    server.redirect("/t.vtt", "file:///etc/passwd")
    with pytest.raises(UnsafeUrl, match="redirects to 'file:///etc/passwd' is refused"):
        fetch(server.url("/t.vtt"), max_mb=5, what="transcript")


def test_a_body_that_trickles_ends_at_the_deadline(server):
    server.serve("/slow.xml", b"x" * 200, trickle=0.05)  # 10 s in all, a byte every 50 ms
    started = time.monotonic()
    with pytest.raises(NetworkError, match="took over 1 s"):
        fetch(server.url("/slow.xml"), max_mb=5, timeout=1.0)
    assert time.monotonic() - started < 4


def test_a_200_mb_feed_is_never_read_whole(server):
    # No Content-Length: the cap is found while streaming, not from the header.
    server.serve("/huge.xml", endless(b"<rss>" + b" " * 65531, 200_000_000))
    with pytest.raises(InputTooLarge, match=r"over max_input_mb \(1 MB\)"):
        fetch(server.url("/huge.xml"), max_mb=1)
    server.serve("/declared.xml", b"x" * 2_000_001)
    with pytest.raises(InputTooLarge):
        fetch(server.url("/declared.xml"), max_mb=2)


def test_basic_auth_works_and_the_password_is_masked(server):
    server.serve_file("/private.xml", "feeds/namespace-example.xml")
    server.routes["/private.xml"].auth = ("listener", "s3cret-pass")
    url = server.url("/private.xml").replace("http://", "http://listener:s3cret-pass@")
    assert fetch(url, max_mb=5).data.startswith(b"<?xml")
    wrong = url.replace("s3cret-pass", "wrong-passw0rd")
    with pytest.raises(PodcastHttpError, match="HTTP 401") as caught:
        fetch(wrong, max_mb=5)
    assert "wrong-passw0rd" not in str(caught.value) and "listener:[redacted]@" in str(caught.value)
    assert {"s3cret-pass", "listener:s3cret-pass"} <= url_secrets(url)


def test_basic_auth_is_not_sent_to_another_host(server):
    server.serve("/elsewhere", b"ok")
    other = server.url("/elsewhere").replace("127.0.0.1", "localhost")
    server.redirect("/private.xml", other)
    fetch(server.url("/private.xml").replace("http://", "http://listener:s3cret-pass@"), max_mb=5)
    first, second = server.requests
    assert "Authorization" in first[1] and "Authorization" not in second[1]


def test_tokens_in_the_url_are_masked():
    patreon = "https://www.patreon.com/rss/someshow?auth=Zx81abcdEFGH1234ijkl&show=12"
    supercast = "https://show.supercast.com/feeds/a1B2c3D4e5F6g7H8i9J0k1L2.rss"
    assert masked_url(patreon) == "https://www.patreon.com/rss/someshow?auth=[redacted]&show=12"
    assert "a1B2c3D4e5F6g7H8i9J0k1L2" not in masked_url(supercast.replace(".rss", "")) 
    assert "Zx81abcdEFGH1234ijkl" in url_secrets(patreon)
    assert masked_url("https://feeds.example.com/podcast/episode-1.mp3") == "https://feeds.example.com/podcast/episode-1.mp3"
    # A public host's show ids are UUIDs, not secrets: the feed stays reachable from its status.
    omny = ("https://www.omnycontent.com/d/playlist/e73c998e-6e60-432f-8610-ae210140c5b1/"
            "A91018A4-EA4F-4130-BF55-AE270180C327/44710ECC-10BB-48D1-93C7-AE270180C33E/podcast.rss")
    assert masked_url(omny) == omny and url_secrets(omny) == set()


SIGNED = {"token-hash": "pTrHash0123456789", "token-time": "1733356800",  # Patreon's audio
          "X-Amz-Signature": "a1b2c3d4e5f6a7b8c9d0", "X-Amz-Credential": "AKIAEXAMPLE20251204",  # S3
          "Key-Pair-Id": "K2JCJMDEHXQW5F", "Policy": "eyJTdGF0ZW1lbnQiOlt7", "Signature": "Zm9vYmFyYmF6cXV4"}  # CloudFront


def test_signed_audio_urls_are_masked():
    url = "https://c10.patreonusercontent.com/ep1.mp3?" + "&".join(f"{k}={v}" for k, v in SIGNED.items()) + "&X-Amz-Expires=3600"
    masked = masked_url(url)
    assert not [value for value in SIGNED.values() if value in masked], masked
    assert masked.startswith("https://c10.patreonusercontent.com/ep1.mp3?token-hash=[redacted]&")
    assert masked.endswith("&X-Amz-Expires=3600")  # not a secret: kept
    assert set(SIGNED.values()) <= url_secrets(url)


def test_a_download_resumes_from_the_bytes_it_has(server, tmp_path):
    audio = bytes(range(256)) * 400
    server.serve("/ep.mp3", audio)
    dest = tmp_path / "audio" / "ep.mp3"
    dest.parent.mkdir()
    (dest.parent / "ep.mp3.part").write_bytes(audio[:1000])
    assert download(server.url("/ep.mp3"), dest, max_mb=1).read_bytes() == audio
    # The stand-in ignores Range, as many servers do: the whole file came again and replaced the part.
    assert server.requests[-1][1].get("Range") == "bytes=1000-"
    assert not (dest.parent / "ep.mp3.part").exists()


def test_a_download_killed_after_its_last_byte_is_finished(server, tmp_path):
    # A kill between the last byte written and the rename leaves the whole file as the part; the
    # server has nothing after it (416): the part is the whole file, not a failure on every rerun.
    audio = bytes(range(256)) * 400
    server.serve("/ep.mp3", audio, ranges=True)
    dest = tmp_path / "ep.mp3"
    (tmp_path / "ep.mp3.part").write_bytes(audio)
    assert download(server.url("/ep.mp3"), dest, max_mb=1).read_bytes() == audio
    assert [r[1].get("Range") for r in server.requests] == [f"bytes={len(audio)}-", None]
    assert not (tmp_path / "ep.mp3.part").exists()


def test_a_part_longer_than_the_audio_now_is_downloaded_again(server, tmp_path):
    # The episode's audio was replaced by a shorter file since the download broke off: the bytes
    # kept are of another file; the whole new one is fetched, never an error on every rerun.
    audio = bytes(range(256)) * 400
    server.serve("/ep.mp3", audio, ranges=True)
    dest = tmp_path / "ep.mp3"
    (tmp_path / "ep.mp3.part").write_bytes(b"\x00" * (len(audio) + 500))
    assert download(server.url("/ep.mp3"), dest, max_mb=1).read_bytes() == audio
    assert not (tmp_path / "ep.mp3.part").exists()


def test_a_download_over_the_cap_leaves_nothing(server, tmp_path):
    server.serve("/big.mp3", endless(b"\xff" * 65536, 5_000_000))
    dest = tmp_path / "big.mp3"
    with pytest.raises(InputTooLarge):
        download(server.url("/big.mp3"), dest, max_mb=1)
    assert list(tmp_path.iterdir()) == []


def test_check_url_accepts_http_and_https():
    assert check_url(" https://example.com/feed.xml ") == "https://example.com/feed.xml"


def test_a_connection_error_never_shows_the_token():
    url = "http://127.0.0.1:9/rss/show?auth=Zx81abcdEFGH1234ijkl"  # port 9: nothing listens
    with pytest.raises(NetworkError) as caught:
        fetch(url, max_mb=1, timeout=5)
    assert "Zx81abcdEFGH1234ijkl" not in str(caught.value) and "auth=[redacted]" in str(caught.value)
    assert "\n" not in str(caught.value)
