"""Bilibili's URL forms: which name one video (a part ``?p=N``, a bangumi or course episode),
which a list to expand (a video that may have parts, a ``b23.tv`` short link, collections and
series, favourites, a user's space videos, bangumi and course seasons), the canonical URL of a
video id, and a link to a second.

Video ids, as the store keeps them after ``bilibili-``: ``BV…`` (a video), ``BV…_pN`` (part N
of a multi-part video, as yt-dlp names it), ``av…`` (the old numeric id), ``ep…`` (a bangumi
episode) and ``cheese-ep…`` (an episode of a paid course).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

_BV = r"BV[0-9A-Za-z]{10}"
_AV = r"av\d{1,20}"
# Parts count from 1, written as yt-dlp writes them (``_p2``, never ``_p0`` or ``_p02``).
_VIDEO_ID = re.compile(rf"^(?P<video>{_BV}|{_AV})(?:_p(?P<part>[1-9]\d{{0,3}}))?$")
_EPISODE_ID = re.compile(r"^(?P<course>cheese-)?ep(?P<number>\d{1,20})$")
_HOSTS = {"bilibili.com", "www.bilibili.com", "m.bilibili.com"}
_VIDEO_PATH = re.compile(rf"^/video/(?P<video>{_BV}|{_AV}|AV\d{{1,20}})/?$")
_EPISODE_PATH = re.compile(r"^/(?P<kind>bangumi|cheese)/play/ep(?P<number>\d{1,20})/?$")
_LIST_PATHS = (
    re.compile(r"^/(?:bangumi/play/ss|bangumi/media/md|cheese/play/ss)\d+/?$"),  # seasons and media
    re.compile(r"^/(?:list|medialist/(?:detail|play))/"),  # a playlist, a favourites list
    re.compile(r"^/festival/"),
)
# space.bilibili.com/<mid>: the user's videos, collections and series, favourites.
_SPACE_PATH = re.compile(r"^/\d+(?:/(?:upload/)?video|/lists/\d+|/channel/(?:collection|series)detail|/favlist)?/?$")


def _split(text: str) -> tuple[str, str, str]:
    text = text.strip()
    if "://" not in text and re.match(r"^(?:(?:www\.|m\.|space\.)?bilibili\.com|b23\.tv)/", text):
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        return "", "", ""
    return (parts.hostname or "").lower(), parts.path, parts.query


def _part(query: str) -> int | None:
    values = parse_qs(query).get("p") or [""]
    return int(values[0]) if values[0].isdigit() and int(values[0]) > 0 else None


def video_id(text: str) -> str | None:
    """The id of the one video a URL (or bare id) names: a part (``?p=N``), an episode. A
    video's URL without ``?p=`` is a list of its parts (``is_collection``): only its listing
    says whether it has more than one."""
    text = text.strip()
    if _VIDEO_ID.fullmatch(text) or _EPISODE_ID.fullmatch(text):
        return text
    host, path, query = _split(text)
    if host not in _HOSTS:
        return None
    if match := _VIDEO_PATH.match(path):
        part = _part(query)
        video = match.group("video")
        video = "av" + video[2:] if video.lower().startswith("av") else video
        return f"{video}_p{part}" if part else None
    if match := _EPISODE_PATH.match(path):
        return ("cheese-" if match.group("kind") == "cheese" else "") + f"ep{match.group('number')}"
    return None


def is_collection(text: str) -> bool:
    host, path, query = _split(text)
    if host == "b23.tv":
        return bool(path.strip("/"))
    if host == "space.bilibili.com":
        return bool(_SPACE_PATH.match(path))
    if host not in _HOSTS:
        return False
    if _VIDEO_PATH.match(path):
        return _part(query) is None
    return any(pattern.match(path) for pattern in _LIST_PATHS)


def canonical_url(video: str) -> str:
    if match := _EPISODE_ID.fullmatch(video):
        kind = "cheese" if match.group("course") else "bangumi"
        return f"https://www.bilibili.com/{kind}/play/ep{match.group('number')}"
    match = _VIDEO_ID.fullmatch(video)
    if match is None:
        return f"https://www.bilibili.com/video/{video}"
    part = match.group("part")
    return f"https://www.bilibili.com/video/{match.group('video')}" + (f"?p={int(part)}" if part else "")


def link_at(url: str, seconds: float | None) -> str | None:
    """A video or episode page over http(s), with ``t=N`` (seconds) added to its query."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https") or host not in _HOSTS:
        return None
    if not (_VIDEO_PATH.match(parts.path) or _EPISODE_PATH.match(parts.path)):
        return None
    if seconds is None:
        return url
    return f"{url}{'&' if parts.query else '?'}t={int(seconds)}"
