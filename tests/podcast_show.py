"""A real podcast feed served from 127.0.0.1 for the end-to-end tests: The Mike Neumann Show's
feed (``tests/fixtures/podcasts/feeds/themnshow.xml``) with its URLs moved to the local server,
and the real Buzzsprout transcripts (VTT with voices, SRT with labels, JSON, HTML) served at
the addresses its newest episodes give."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.podcastserver import FIXTURES, PodcastServer

FEED_PATH = "/show/feed.xml"
_SITE = "https://mikeneumann.show/"
_TRACKED_AUDIO = re.compile(r"https://op3\.dev/e,pg=[^/]+/mikeneumann\.show/")
_ITEM = re.compile(r"\s*<item>.*?</item>", re.DOTALL)
_TRANSCRIPT_TAG = re.compile(r"\s*<podcast:transcript [^>]*/>")
# The real transcripts, by the type each is served as.
TRANSCRIPTS = {"application/x-subrip": "buzzsprout-example.srt", "text/vtt": "buzzsprout-example.vtt",
               "application/json": "buzzsprout-example.json", "text/html": "buzzsprout-example.html"}
SPEAKERS = {"application/x-subrip": {"Travis", "Sarah", "Gilon"}, "text/vtt": {"Sarah", "Gillian"},
            "application/json": {"Darth Vader", "Luke"}, "text/html": {"Travis", "Sarah", "Gilon"}}


@pytest.fixture
def server() -> Iterator[PodcastServer]:
    """The local server of a test (import it into a test module to use it)."""
    with PodcastServer() as local:
        yield local


@dataclass
class Show:
    server: PodcastServer
    text: str = ""  # the feed as served now
    items: list[str] = field(default_factory=list)  # its items, newest first, as in the file

    def __post_init__(self) -> None:
        local = self.server.base + "/mn/"
        self.text = _TRACKED_AUDIO.sub(local, (FIXTURES / "feeds" / "themnshow.xml").read_text(encoding="utf-8"))
        self.text = self.text.replace(_SITE, local)
        self.items = [match.group(0) for match in _ITEM.finditer(self.text)]

    @property
    def url(self) -> str:
        return self.server.url(FEED_PATH)

    def transcript_urls(self, item: int) -> list[str]:
        return re.findall(r'<podcast:transcript url="([^"]+)"', self.items[item])

    def give(self, item: int, kind: str) -> None:
        """Item ``item``'s transcript becomes one of ``kind`` (a MIME type of ``TRANSCRIPTS``),
        served at the item's own address."""
        url = self.server.url(f"/mn/transcripts/{item}.{TRANSCRIPTS[kind].rsplit('.', 1)[1]}")
        tag = f'\n      <podcast:transcript url="{url}" type="{kind}" language="EN"/>'
        self.items[item] = _TRANSCRIPT_TAG.sub("", self.items[item]).replace("</item>", tag + "\n    </item>")
        self.server.serve(url.removeprefix(self.server.base), (FIXTURES / "transcripts" / TRANSCRIPTS[kind]).read_bytes())

    def edit(self, item: int, old: str, new: str) -> None:
        assert old in self.items[item], old
        self.items[item] = self.items[item].replace(old, new)

    def without_transcripts(self, item: int) -> None:
        self.items[item] = _TRANSCRIPT_TAG.sub("", self.items[item])

    def audio_path(self, item: int) -> str:
        url = re.search(r'<enclosure url="([^"]+)"', self.items[item]).group(1)  # type: ignore[union-attr]
        return url.removeprefix(self.server.base)

    def guid(self, item: int) -> str:
        return re.search(r"<guid[^>]*>([^<]+)</guid>", self.items[item]).group(1)  # type: ignore[union-attr]

    def feed(self, items: list[int] | None = None) -> str:
        """The feed with ``items`` (all by default), as it would be served."""
        head = self.text[:self.text.index("<item>")].rstrip() + "\n"
        tail = "\n  </channel>\n</rss>\n"
        chosen = [self.items[i] for i in (items if items is not None else range(len(self.items)))]
        return head + "".join(chosen) + tail

    def serve(self, items: list[int] | None = None, path: str = FEED_PATH, **options: object) -> str:
        return self.server.serve(path, self.feed(items), headers={"Content-Type": "application/rss+xml"}, **options)
