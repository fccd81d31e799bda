"""Bilibili's failures as yt-dlp words them, each mapped to one of the pipeline's causes.

yt-dlp's Bilibili extractors (``yt_dlp/extractor/bilibili.py``) raise these texts, prefixed
``ERROR: [BiliBili] <id>: `` in a ``DownloadError``:

- risk control: an HTTP 412 page (``HTTP Error 412: Precondition Failed``, ``Request is blocked
  by server (412)``, ``(401)``), and the API's ``code`` -352 (``Request is rejected by server
  (352)``, ``Unable to download video info: 352: …, please wait and try later``), -412, -799,
  ``You have exceeded the rate limit``: ``ip_blocked`` / ``rate_limited``, paced and retried
  like YouTube's blocks (``RateLimited`` is an ``IpBlocked``);
- a login (``SESSDATA`` cookie): ``raise_login_required`` (``This video is only available for
  registered users``, ``You need to login …``), the API's -101 ``账号未登录``, and the warning
  ``Subtitles are only available when logged in`` (the AI subtitles): ``login_required``;
- paid: premium (大会员) bangumi, supporter-only (充电专属) videos, courses to purchase:
  ``members_only``; a private favourites list or playlist: ``private``;
- gone or out of reach: ``This video may be deleted or geo-restricted``, a geo restriction, -404,
  ``Playlist is no longer available``: ``unavailable``; not aired yet: ``live_or_upcoming``;
- a connection that failed: ``network``.

The messages name the ``bilibili:`` settings that help (``SECTION``, ``WHAT``), as the YouTube
site's do (``pipeline/sites/youtube/errors.py``).
"""

from __future__ import annotations

import re

from pipeline.errors import (FetchError, IpBlocked, LiveOrUpcoming, LoginRequired, MembersOnly, NetworkError,
                             RateLimited, VideoPrivate, VideoUnavailable)
from pipeline.sites.ytdlp import NETWORK, detail_of, network_cause

SECTION = "bilibili"
COOKIES = f"{SECTION}.cookies_file (or {SECTION}.cookies_from_browser)"


def _codes(*codes: int) -> str:
    """The API's ``code`` as yt-dlp quotes it: ``Request failed (-799): …``, ``video info: 352: …``
    (its sign flipped), or a body's ``"code": -352``."""
    numbers = "|".join(str(code) for code in codes)
    return rf"request failed \(-(?:{numbers})\)|video info: (?:{numbers})\b|\bcode\W+-(?:{numbers})\b"


# Checked in this order: an HTTP 412 page's text also says "Unable to download webpage".
_BLOCKED = re.compile(rf"http error 412|blocked by server \((?:412|401)\)|request was banned|请求被拦截"
                      rf"|{_codes(412, 401)}")
_LIMITED = re.compile(rf"rejected by server \(352\)|exceeded the rate limit|风控校验失败|请求过于频繁|http error 429"
                      rf"|{_codes(352, 799, 509)}")
_SUBTITLES_LOGIN = "subtitles are only available when logged in"
_PREMIUM = re.compile(r"premium members? only|大会员")
_PAID = re.compile(r"supporter-only video|充电专属|need to purchase")
_PRIVATE = re.compile(r"private (?:favorites list|playlist)")
_LOGIN = re.compile(rf"need to log ?in|only available for registered users|账号未登录|login required|{_codes(101)}")
_UNAVAILABLE = re.compile(r"may be deleted|geo.restrict|not available from your location|地区无法观看"
                          rf"|this video is restricted|no longer available|啥都木有|http error 404|video unavailable"
                          rf"|稿件不可见|{_codes(404)}")
_NOT_YET = re.compile(r"not yet available|streamer is not live")


WHAT: dict[type[FetchError], str] = {
    IpBlocked: f"Bilibili's risk control is blocking this IP; wait and rerun, or set {COOKIES} to a logged-in "
               f"account's cookies and/or {SECTION}.proxy",
    RateLimited: f"Bilibili is limiting this IP's requests; wait and rerun (raise {SECTION}.min_interval), or set "
                 f"{COOKIES}",
    LoginRequired: f"Bilibili wants a logged-in account; set {COOKIES} to a logged-in account's cookies (SESSDATA)",
    MembersOnly: f"the video is paid content (premium 大会员, supporter 充电 or a course); set {COOKIES} to the "
                 "cookies of an account that has it",
    VideoPrivate: f"the list is private; set {COOKIES} to its owner's cookies",
    NetworkError: "network error talking to Bilibili",
}
SUBTITLES_NEED_LOGIN = f"subtitles need a login: set {COOKIES} to a logged-in account's cookies (SESSDATA)"


def subtitles_need_login(message: str) -> bool:
    """yt-dlp's warning that a Bilibili video's subtitles (the AI ones) are listed only to a
    logged-in account."""
    return _SUBTITLES_LOGIN in message.lower()


def cause(kind: type[FetchError], video_id: str, detail: str = "") -> FetchError:
    """One cause for ``video_id`` in Bilibili's words (``WHAT``), else the cause's own."""
    return kind.of(video_id, detail, what=WHAT.get(kind))


def _network(message: str, video_id: str) -> FetchError:
    return network_cause(message, video_id, what=WHAT[NetworkError], section=SECTION)


def classify_bilibili_error(message: str, video_id: str) -> FetchError:
    """The cause of a Bilibili failure from yt-dlp's text (an error, or the subtitles-login
    warning), in one line naming the video, what to do, and what yt-dlp said."""
    text = message.lower()
    detail = detail_of(message)
    if _BLOCKED.search(text):
        return cause(IpBlocked, video_id, detail)
    if _LIMITED.search(text):
        return cause(RateLimited, video_id, detail)
    if subtitles_need_login(text):
        return LoginRequired.of(video_id, what=SUBTITLES_NEED_LOGIN)
    if _PREMIUM.search(text) or _PAID.search(text):
        return cause(MembersOnly, video_id, detail)
    if _PRIVATE.search(text):
        return cause(VideoPrivate, video_id, detail)
    if _LOGIN.search(text):
        return cause(LoginRequired, video_id, detail)
    if _UNAVAILABLE.search(text):
        return cause(VideoUnavailable, video_id, detail)
    if _NOT_YET.search(text):
        return cause(LiveOrUpcoming, video_id, detail)
    if NETWORK.search(text):
        return _network(message, video_id)
    return FetchError(f"{video_id}: yt-dlp failed: {detail}", video_id=video_id)
