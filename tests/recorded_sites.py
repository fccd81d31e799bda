"""Recorded answers of Bilibili (and a cut-off network for any site), served to yt-dlp through a
request handler registered for the test: yt-dlp's extractors run unchanged and make their real
requests (the video page, the player and subtitle APIs, a collection's pages); only the
transport answers, from the files in ``tests/fixtures/bilibili/api/`` (provenance in
``tests/fixtures/bilibili/PROVENANCE.md``). Nothing reaches the network: the handler is
preferred for every request and takes every one, and an answer it has no record of is a 404.
"""

from __future__ import annotations

import errno
import io
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from yt_dlp.networking import common
from yt_dlp.networking.exceptions import HTTPError, TransportError, UnsupportedRequest

from tests.conftest import FIXTURES

API = FIXTURES / "bilibili" / "api"
SUBTITLES = FIXTURES / "bilibili"

# An answer: (HTTP status, body, content type).
Answer = tuple[int, bytes, str]


def json_answer(data: Any, status: int = 200) -> Answer:
    return status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8"


def redirect(url: str) -> Answer:
    """A redirect to ``url`` (the transport follows it)."""
    return 302, url.encode("utf-8"), "text/html"


def recorded(name: str) -> Any:
    return json.loads((API / name).read_text(encoding="utf-8"))


def video_page(view: dict[str, Any], card: dict[str, Any] | None = None, tags: list[str] | None = None) -> Answer:
    """A video's page as yt-dlp reads it: the player's state (``window.__INITIAL_STATE__``)
    holds the video's data (the view API's ``data``), its uploader's card and its tags."""
    state = {"videoData": view, "upData": card or {}, "tags": [{"tag_name": tag} for tag in tags or []]}
    html = f"<html><head><title>{view.get('title', '')}</title></head><body><script>window.__INITIAL_STATE__=" \
           f"{json.dumps(state, ensure_ascii=False)};(function(){{}}());</script></body></html>"
    return 200, html.encode("utf-8"), "text/html; charset=utf-8"


@dataclass
class RecordedSites:
    """What the transport answers: ``routes`` maps a host and path (``api.bilibili.com/x/…``) to
    an answer or to a function of the request; ``offline`` cuts the network off."""

    routes: dict[str, Answer | Callable[[Any, bool], Answer]] = field(default_factory=dict)
    offline: bool = False
    requests_seen: list[str] = field(default_factory=list)
    cookies_seen: list[str] = field(default_factory=list)  # values of the SESSDATA cookies sent
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, url: str, logged_in: bool) -> Answer:
        parts = urlsplit(url)
        key = f"{parts.hostname}{parts.path}".rstrip("/")
        with self.lock:
            self.requests_seen.append(key)
        if self.offline:
            raise TransportError(cause=OSError(errno.ENETUNREACH, "Network is unreachable"))
        route = self.routes.get(key)
        if route is None:
            return 404, b"not recorded", "text/plain"
        return route(parse_qs(parts.query), logged_in) if callable(route) else route

    def count(self, key: str) -> int:
        return sum(1 for seen in self.requests_seen if seen == key)


_active: list[RecordedSites] = []


class _RecordedHandler(common.RequestHandler):
    RH_KEY = "Yt2postRecorded"
    RH_NAME = "yt2post-recorded"
    _SUPPORTED_URL_SCHEMES = ("http", "https")

    def validate(self, request: Any) -> None:
        """Inside ``recorded_sites`` every request is this handler's: none may fall through to
        a real transport; outside it, none is (the handler stays registered: yt-dlp has no
        public way to take one back)."""
        if not _active:
            raise UnsupportedRequest("no recorded answers are being served")

    def _send(self, request: Any) -> Any:
        sites = _active[-1]
        jar = self._get_cookiejar(request)
        sessdata = [cookie.value for cookie in jar if cookie.name == "SESSDATA" and cookie.value]
        url = request.url
        try:
            with sites.lock:
                sites.cookies_seen.extend(sessdata)
            status, body, kind = sites.answer(url, bool(sessdata))
            while status in (301, 302):  # followed here, as yt-dlp's own transports do
                url = body.decode("utf-8")
                status, body, kind = sites.answer(url, bool(sessdata))
        except TransportError:
            raise
        except Exception as exc:  # a fault in the test's answers: never a fall-through to the network
            raise TransportError(cause=exc) from exc
        response = common.Response(io.BytesIO(body), url, {"Content-Type": kind}, status)
        if status >= 400:
            raise HTTPError(response)
        return response


common.register_rh(_RecordedHandler)


@common.register_preference(_RecordedHandler)
def _prefer_recorded(handler: common.RequestHandler, request: Any) -> int:
    return 1_000_000


@contextmanager
def recorded_sites(sites: RecordedSites | None = None) -> Iterator[RecordedSites]:
    """yt-dlp answers from ``sites`` while the block runs (every YoutubeDL made in it)."""
    sites = sites or RecordedSites()
    _active.append(sites)
    try:
        yield sites
    finally:
        _active.pop()
