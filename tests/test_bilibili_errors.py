"""Bilibili's failures, as yt-dlp words them, become the pipeline's causes in one line.

The first tests run yt-dlp's real Bilibili extractor against answers served from 127.0.0.1 (an
HTTP proxy that answers every request), so the texts are the ones yt-dlp raises; the others take
the texts that ``yt_dlp/extractor/bilibili.py`` raises from requests a test cannot redirect
(the API's HTTPS hosts), in the ``ExtractorError`` yt-dlp wraps them in.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from yt_dlp.utils import ExtractorError, GeoRestrictedError

from pipeline.errors import (FetchError, IpBlocked, LiveOrUpcoming, LoginRequired, MembersOnly, NetworkError,
                             RateLimited, VideoPrivate, VideoUnavailable)
from pipeline.sites.bilibili.errors import classify_bilibili_error, subtitles_need_login

BV = "BV1xx411c7mD"
# Answers of www.bilibili.com/video/…: the -412 body (code and message from bilibili-API-collect's
# docs/misc/errcode.md) with HTTP 412, and the pages the extractor reads its state from.
ANSWERS = {
    "blocked": (412, '{"code":-412,"message":"请求被拦截","ttl":1,"data":null}'),
    "risk": (200, '<html><script>window._riskdata_ = {"v_voucher":"voucher_84a8c3ce-33f5-4551-9552-9c6b13aa7938"}'
                  ';</script></html>'),
    "deleted": (200, '<html><script>window.__INITIAL_STATE__={"error":{"trueCode":-404}};</script></html>'),
    "login": (200, '<html><script>window.__INITIAL_STATE__={"error":{"trueCode":-403}};</script></html>'),
}


class _Quiet:
    def debug(self, msg: str) -> None: ...
    def info(self, msg: str) -> None: ...
    def warning(self, msg: str) -> None: ...
    def error(self, msg: str) -> None: ...


@pytest.fixture(scope="module")
def bilibili_proxy() -> Iterator[dict[str, tuple[int, str]]]:
    """An HTTP proxy on 127.0.0.1 that answers every request with ``answer["now"]``."""
    answer: dict[str, tuple[int, str]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = answer["now"]
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    answer["proxy"] = (server.server_port, "")
    yield answer
    server.shutdown()
    server.server_close()


def ytdlp_error(bilibili_proxy: dict[str, tuple[int, str]], name: str) -> str:
    import yt_dlp
    from yt_dlp.utils import DownloadError

    bilibili_proxy["now"] = ANSWERS[name]
    params = {"proxy": f"http://127.0.0.1:{bilibili_proxy['proxy'][0]}", "logger": _Quiet(), "retries": 0,
              "extractor_retries": 0, "socket_timeout": 5}
    with pytest.raises(DownloadError) as caught, yt_dlp.YoutubeDL(params) as ydl:
        ydl.extract_info(f"http://www.bilibili.com/video/{BV}", download=False)
    return str(caught.value)


@pytest.mark.parametrize(("answer", "cause", "says", "said"), [
    ("blocked", IpBlocked, "Bilibili's risk control is blocking this IP; wait and rerun",
     "Unable to download webpage: HTTP Error 412: Precondition Failed"),
    ("risk", RateLimited, "Bilibili is limiting this IP's requests; wait and rerun",
     "You have exceeded the rate limit. Try again later"),
    ("deleted", VideoUnavailable, "the video is unavailable",
     "This video may be deleted or geo-restricted. You might want to try a VPN or a proxy server (with --proxy)"),
    ("login", LoginRequired, "Bilibili wants a logged-in account; set bilibili.cookies_file",
     "This video is only available for registered users"),
])
def test_yt_dlps_own_bilibili_errors_get_their_cause(bilibili_proxy, answer: str, cause: type[FetchError],
                                                     says: str, said: str) -> None:
    error = classify_bilibili_error(ytdlp_error(bilibili_proxy, answer), BV)
    assert type(error) is cause and error.video_id == BV
    assert str(error).startswith(f"{BV}: {says}") and str(error).endswith(f": {said}") and "\n" not in str(error)
    assert "please report this issue" not in str(error) and "--cookies" not in str(error)


def test_a_block_and_a_rate_limit_are_paused_and_retried_like_youtubes() -> None:
    for error in (classify_bilibili_error("ERROR: [BiliBili] x: HTTP Error 412: Precondition Failed", BV),
                  classify_bilibili_error("ERROR: [BiliBili] x: Request is rejected by server (352)", BV)):
        assert isinstance(error, IpBlocked) and error.transient and not error.fatal
    assert classify_bilibili_error("Request is rejected by server (352)", BV).cause == "rate_limited"
    assert classify_bilibili_error("HTTP Error 412: Precondition Failed", BV).cause == "ip_blocked"


def extractor(message: str, *, ie: str = "BiliBili", expected: bool = True) -> str:
    """yt-dlp's DownloadError text for an ExtractorError the extractor raised."""
    return f"ERROR: {ExtractorError(message, video_id=BV, ie=ie, expected=expected)}"


# The texts of yt_dlp/extractor/bilibili.py (yt-dlp 81ecd58b, 2026-08-20).
@pytest.mark.parametrize(("message", "cause"), [
    (extractor("Request is blocked by server (412), please wait and try later.", ie="BiliBiliSpaceVideo"), IpBlocked),
    (extractor("Request is blocked by server (401), please wait and try later.", ie="BiliBiliSpaceVideo"), IpBlocked),
    (extractor("Request is rejected by server (352)", ie="BiliBiliSpaceVideo"), RateLimited),
    (extractor("Unable to download video info: 352: 风控校验失败, please wait and try later"), RateLimited),
    (extractor("Request failed (-799): 请求过于频繁，请稍后再试", ie="BiliBiliSpaceVideo", expected=False), RateLimited),
    (extractor("Request failed (-412): 请求被拦截", ie="BiliBiliSpaceVideo", expected=False), IpBlocked),
    (extractor("Request failed (-101): 账号未登录", ie="BiliBiliSpaceVideo", expected=False), LoginRequired),
    (extractor("You need to login to access your watchlater list. Use --cookies-from-browser or --cookies for "
               "the authentication.", ie="BilibiliWatchlater"), LoginRequired),
    (extractor("This video is for premium members only. Use --cookies-from-browser or --cookies for the "
               "authentication.", ie="BiliBiliBangumi"), MembersOnly),
    (extractor("This is a supporter-only video: 专属视频，开通充电后观看. Use --cookies-from-browser or --cookies"),
     MembersOnly),
    (extractor("You need to purchase the course to download this episode", ie="BiliBiliCheese"), MembersOnly),
    (extractor("This is a private favorites list. You need to log in as its owner", ie="BiliBiliFavoritesList"),
     VideoPrivate),
    (f"ERROR: [BiliBiliBangumi] ep1: {GeoRestrictedError('This video is restricted')}", VideoUnavailable),
    (extractor("Playlist is no longer available", ie="BilibiliPlaylist"), VideoUnavailable),
    (extractor("This course episode is not yet available.", ie="BiliBiliCheese"), LiveOrUpcoming),
    ("ERROR: [BiliBili] 1xx411c7mD: Unable to download webpage: <urlopen error [Errno 111] Connection refused> "
     "(caused by TransportError('<urlopen error [Errno 111] Connection refused>'))", NetworkError),
])
def test_the_extractors_texts_get_their_cause(message: str, cause: type[FetchError]) -> None:
    error = classify_bilibili_error(message, BV)
    assert type(error) is cause, str(error)
    assert str(error).startswith(f"{BV}: ") and "\n" not in str(error)
    assert "please report this issue" not in str(error) and "Use --cookies" not in str(error)


def test_the_messages_say_what_to_do() -> None:
    blocked = str(classify_bilibili_error(extractor("Request is blocked by server (412), please wait and try later."),
                                          BV))
    assert "wait and rerun" in blocked and "bilibili.cookies_file" in blocked and "bilibili.proxy" in blocked
    premium = str(classify_bilibili_error(extractor("This video is for premium members only"), BV))
    assert "premium 大会员" in premium and "bilibili.cookies_file" in premium
    network = str(classify_bilibili_error("ERROR: [BiliBili] x: Unable to download webpage: <urlopen error [Errno "
                                          "-3] Temporary failure in name resolution>", BV))
    assert network.startswith(f"{BV}: network error talking to Bilibili: temporary failure in name resolution; "
                              "check the network (and bilibili.proxy)")
    assert "youtube" not in network.lower()


def test_ai_subtitles_without_a_login_say_to_set_the_cookies() -> None:
    warning = ("Subtitles are only available when logged in. Use --cookies-from-browser or --cookies for the "
               "authentication. See  https://github.com/yt-dlp/yt-dlp/wiki/FAQ#how-do-i-pass-cookies-to-yt-dlp  for "
               "how to manually pass cookies")
    assert subtitles_need_login(f"WARNING: [BiliBili] {BV}: {warning}")
    error = classify_bilibili_error(warning, BV)
    assert type(error) is LoginRequired and error.cause == "login_required"
    assert str(error) == (f"{BV}: subtitles need a login: set bilibili.cookies_file (or "
                          "bilibili.cookies_from_browser) to a logged-in account's cookies (SESSDATA)")


def test_an_unknown_text_is_a_plain_fetch_failure() -> None:
    error = classify_bilibili_error(extractor("Unable to extract initial state", expected=False), BV)
    assert type(error) is FetchError and str(error) == f"{BV}: yt-dlp failed: Unable to extract initial state"
