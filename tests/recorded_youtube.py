"""YouTube's recorded responses, served to youtube-transcript-api through its own HTTP session.

A requests transport adapter stands in for the network: the library runs unchanged and makes
its real requests (watch page, innertube player API, timedtext track); the answers are the
responses captured from YouTube by the library's authors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import requests
from requests.adapters import BaseAdapter

from tests.conftest import FIXTURES

RECORDED = FIXTURES / "transcript-api"


@dataclass
class RecordedYouTube(BaseAdapter):
    """Answers from recorded files; ``player`` picks the innertube response (a scenario)."""

    player: str = "youtube.innertube.json.static"
    watch_page: str = "youtube.html.static"
    watch_status: int = 200
    fail_with: type[Exception] | None = None  # e.g. requests.ConnectionError: the network is down
    requests_seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        url = request.url or ""
        self.requests_seen.append(f"{request.method} {url.split('?')[0]}")
        if self.fail_with is not None:
            raise self.fail_with(f"recorded failure for {url.split('?')[0]}")
        if "/watch" in url:
            return self._file(request, self.watch_page, self.watch_status, "text/html; charset=utf-8")
        if "/youtubei/v1/player" in url:
            return self._file(request, self.player, 200, "application/json")
        if "/api/timedtext" in url:
            return self._file(request, "transcript.xml.static", 200, "text/xml; charset=utf-8")
        return self._bytes(request, b"not recorded", 404, "text/plain")

    def _file(self, request: requests.PreparedRequest, name: str, status: int, kind: str) -> requests.Response:
        return self._bytes(request, (RECORDED / name).read_bytes(), status, kind)

    @staticmethod
    def _bytes(request: requests.PreparedRequest, body: bytes, status: int, kind: str) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response._content = body
        response.headers["Content-Type"] = kind
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass
