"""A podcast feed (RSS 2.0 or Atom, with the iTunes and Podcasting 2.0 ``podcast:`` tags) as
typed episodes.

The feed is hostile XML from the network. Before any parser sees it, it must be within
``max_input_mb`` and pass ``defusedxml``, which refuses every entity declaration (an
entity-expansion bomb, a ``SYSTEM "file:///etc/passwd"`` entity) in one line. ``feedparser``
then reads what it reads well: RSS and Atom alike, dates in every RFC 822 form, guids,
enclosures, links, ``content:encoded`` and the iTunes tags. The ``podcast:`` tags come from the
defused tree: feedparser keeps only the last of each repeated ``podcast:`` element as a dict of
attributes (an item's second transcript and every person's name are lost), and podcastparser
keeps one transcript URL without its type or language, and none at all under the namespace's
current URI (``https://podcastindex.org/namespace/1.0``).

An item whose fields cannot be read becomes an ``Episode`` with ``error`` set: it fails alone.
"""

from __future__ import annotations

import calendar
import email.utils
import hashlib
import json
import math
import re
import time
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit
from html.parser import HTMLParser
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DefusedET
import feedparser
from defusedxml import DefusedXmlException
from pydantic import BaseModel, Field

from pipeline.errors import FetchError, InputTooLarge
from pipeline.shapes import Chapter, Metadata
from pipeline.sanitize import strip_invisible
from pipeline.sites.podcast.urls import EPISODE_FRAGMENT, split_episode_ref
from pipeline.sites.podcast.fetching import DEFAULT_TIMEOUT, UnsafeUrl, check_url, fetch, masked_url
from pipeline.words.textfiles import TextFileError, read_capped

__all__ = ["EPISODE_FRAGMENT", "Enclosure", "Episode", "Feed", "FeedError", "Person", "TranscriptLink", "episode_by_audio",
           "episode_id", "episode_metadata", "fetch_chapters", "find_episode", "load_feed", "parse_chapters", "parse_duration", "parse_feed",
           "split_episode_ref"]

# The namespace's current URI and the GitHub URLs older feeds declare (any case).
PODCAST_NAMESPACES = ("https://podcastindex.org/namespace/1.0",
                      "https://github.com/podcastindex-org/podcast-namespace/blob/main/docs/1.0.md")
ATOM = "http://www.w3.org/2005/Atom"
RSS1 = "http://purl.org/rss/1.0/"
ID_LENGTH = 16  # hex digits of the episode id: 64 bits, no collision among any feed's episodes


class FeedError(FetchError):
    """The feed as a whole cannot be read: not XML, hostile XML, no channel."""

    cause = "feed"


class TranscriptLink(BaseModel):
    """A ``<podcast:transcript>``: where it is, its MIME type, language and ``rel``."""

    url: str
    type: str = ""
    language: str | None = None
    rel: str | None = None


class Enclosure(BaseModel):
    url: str
    type: str = ""
    length: int | None = None


class Person(BaseModel):
    """A ``<podcast:person>``: name, role (``host``, ``guest``, …; lower case) and link."""

    name: str
    role: str = "host"
    href: str | None = None


class Episode(BaseModel):
    id: str  # stable, [0-9a-f], from the guid and the feed's podcast:guid (``episode_id``)
    guid: str
    title: str = ""
    date: str = ""  # YYYYMMDD (UTC) from pubDate / published / updated; "" when the feed gives none
    duration: float | None = None  # seconds
    author: str = ""  # the item's itunes:author (or author)
    persons: list[Person] = Field(default_factory=list)
    chapters_url: str | None = None
    transcripts: list[TranscriptLink] = Field(default_factory=list)
    enclosure: Enclosure | None = None
    link: str = ""
    notes_html: str = ""  # the show notes as the feed has them (content:encoded, else description)
    language: str | None = None
    # Why this item cannot be used (it fails alone); None for a good one.
    error: str | None = None
    # Notes about fields that were dropped (a transcript URL that is not http(s)).
    notes: list[str] = Field(default_factory=list)
    # Another item before it has the same guid (a publisher's copied item): its id is made from
    # its audio too, and it is reached again by that id, not by the guid the first one answers to.
    repeated_guid: bool = False

    @property
    def guests(self) -> list[str]:
        return [p.name for p in self.persons if p.role == "guest"]

    @property
    def source_url(self) -> str:
        """What the post's ``source`` links to: the episode's page, else its audio."""
        return self.link or (self.enclosure.url if self.enclosure else "")


class Feed(BaseModel):
    url: str = ""  # where it was read from (may hold a credential: show ``masked_url(url)``)
    title: str = ""
    author: str = ""  # the channel's itunes:author (or author)
    link: str = ""
    language: str | None = None
    podcast_guid: str | None = None
    episodes: list[Episode] = Field(default_factory=list)


# --- small readers -----------------------------------------------------------------------


def parse_duration(value: object) -> float | None:
    """``itunes:duration`` in seconds: ``"3600"``, ``"3600.5"``, ``"59:30"``, ``"1:02:03"``;
    None for anything else (``"about an hour"``, ``""``, a negative number, ``"nan"``, ``"inf"``:
    a length that would make the dry run's cost of speech recognition NaN or infinite)."""
    text = str(value or "").strip()
    if not text:
        return None
    parts = text.split(":")
    if len(parts) > 3:
        return None
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        return None
    if not all(map(math.isfinite, numbers)) or any(n < 0 for n in numbers) or any(n >= 60 for n in numbers[1:]):
        return None
    seconds = 0.0
    for number in numbers:
        seconds = seconds * 60 + number
    return seconds


def _date(entry: Any) -> str:
    """YYYYMMDD (UTC) of the entry's date. feedparser reads RFC 822 in most of its forms, and
    ISO 8601; what it gives up on (``Fri,04 Dec 2026 …`` without a space after the comma, a
    time without a zone, as UTC) the standard library's RFC 2822 reader still reads."""
    for key in ("published", "updated"):
        parsed = dict.get(entry, f"{key}_parsed")  # not entry.get: it maps one to the other with a warning
        if parsed:
            return time.strftime("%Y%m%d", time.gmtime(calendar.timegm(parsed)))
        raw = dict.get(entry, key)
        fields = email.utils.parsedate_tz(raw) if isinstance(raw, str) else None
        if fields:
            try:
                moment = datetime(*fields[:6], tzinfo=timezone(timedelta(seconds=fields[9] or 0)))
            except ValueError:  # a day the month has not (31 Jun)
                continue
            return moment.astimezone(timezone.utc).strftime("%Y%m%d")
    return ""


# Guids no other feed's item has: a URL or URI, a UUID, a long hash, a host's own numbered id
# (Buzzsprout's). Another guid ("1", "PC2057", a date) is told apart by the show.
_UNIQUE_GUID = re.compile(r"(?:https?://[^/\s]+\.[^/\s]+/\S+|(?:tag|urn):\S+"
                          r"|[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|[0-9a-f]{24,}"
                          r"|buzzsprout-\d+)", re.IGNORECASE)


def episode_id(guid: str, namespace: str) -> str:
    """The episode's id: ``ID_LENGTH`` hex digits of a hash of the item's guid, and of the
    ``namespace`` (the feed's ``podcast:guid``, else its title) where the guid alone may be
    another feed's too: two feeds whose items are both guid "1" stay apart, and a renamed show
    with unique guids keeps its episodes' ids (else --new would find them all new). Neither the
    feed's URL nor the item's place in it counts, so the id stays when the feed moves or grows.
    The guid's case does not count either: a host move that rewrites a UUID guid in capitals
    leaves the episode what it was."""
    guid = guid.strip().casefold()
    key = guid if _UNIQUE_GUID.fullmatch(guid) else f"{namespace.strip().casefold()}\n{guid}"
    return hashlib.sha256(key.encode()).hexdigest()[:ID_LENGTH]


def _author(info: Any) -> str:
    """The author's name: feedparser's ``author`` is the last author-like tag it met, often
    ``managingEditor``'s "mail@host (Name)"; its ``author_detail`` keeps the name apart."""
    detail = info.get("author_detail") or {}
    return _text(detail.get("name") or info.get("author"))


def _text(value: object) -> str:
    return " ".join(strip_invisible(str(value or "")).split())


class _TextOfHtml(HTMLParser):
    """Show notes as plain text: block ends become line breaks, scripts and styles go."""

    _BLOCKS = frozenset({"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def notes_text(notes_html: str) -> str:
    """The show notes' text, one line per paragraph."""
    reader = _TextOfHtml()
    reader.feed(notes_html)
    reader.close()
    lines = (" ".join(line.split()) for line in strip_invisible("".join(reader.parts)).split("\n"))
    return "\n".join(line for line in lines if line)


# --- the podcast: tags from the defused tree ---------------------------------------------------


def _local(tag: str) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree tag ``{ns}name``."""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _is_podcast(namespace: str) -> bool:
    # Feeds declare the namespace over http:// too: the same tags.
    return re.sub(r"^http://", "https://", namespace.strip().rstrip("/").lower()) in PODCAST_NAMESPACES


def _podcast_children(element: Element, name: str) -> list[Element]:
    found = []
    for child in element:
        namespace, local = _local(child.tag) if isinstance(child.tag, str) else ("", "")
        if local == name and _is_podcast(namespace):
            found.append(child)
    return found


def _items(root: Element) -> list[Element]:
    """The feed's items (RSS ``channel/item``, RSS 1.0 ``item``, Atom ``entry``) in document
    order: the order feedparser gives its entries in."""
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        namespace, local = _local(element.tag)
        if (local == "item" and namespace in ("", RSS1)) or (local == "entry" and namespace == ATOM):
            found.append(element)
    return found


def _guid_of(item: Element) -> str:
    """The text of an item's ``guid`` (RSS) or ``id`` (Atom)."""
    for child in item:
        if isinstance(child.tag, str) and _local(child.tag)[1] in ("guid", "id"):
            return _text(child.text)
    return ""


def _channel(root: Element) -> Element:
    _, local = _local(root.tag)
    if local == "rss":
        for child in root:
            if _local(child.tag)[1] == "channel":
                return child
    return root


def _safe_url(raw: str | None, what: str, notes: list[str]) -> str | None:
    """``raw`` when it is http(s); otherwise None and a note saying why it was dropped."""
    if not raw or not raw.strip():
        return None
    try:
        return check_url(raw, what)
    except UnsafeUrl as exc:
        notes.append(exc.message)
        return None


def _transcripts(item: Element, notes: list[str]) -> list[TranscriptLink]:
    links = []
    for tag in _podcast_children(item, "transcript"):
        url = _safe_url(tag.get("url"), "transcript URL", notes)
        if url:
            links.append(TranscriptLink(url=url, type=(tag.get("type") or "").strip().lower(),
                                        language=(tag.get("language") or "").strip() or None,
                                        rel=(tag.get("rel") or "").strip().lower() or None))
    return links


def _persons(item: Element) -> list[Person]:
    persons = []
    for tag in _podcast_children(item, "person"):
        name = _text(tag.text)
        if name:
            persons.append(Person(name=name, role=(tag.get("role") or "host").strip().lower(),
                                  href=tag.get("href")))
    return persons


# --- the feed ----------------------------------------------------------------------------


# The prefixes feeds use without declaring them (podcastparser's test feeds, hand-made feeds):
# expat refuses an unbound prefix, so they are declared on the root element and the feed read again.
_KNOWN_PREFIXES = {b"podcast": PODCAST_NAMESPACES[0].encode(), b"itunes": b"http://www.itunes.com/dtds/podcast-1.0.dtd",
                   b"content": b"http://purl.org/rss/1.0/modules/content/", b"atom": ATOM.encode(),
                   b"media": b"http://search.yahoo.com/mrss/"}
_ROOT_TAG = re.compile(rb"<(rss|feed|rdf:RDF)\b([^>]*)>")


def _declared(data: bytes) -> bytes:
    """``data`` with the well-known prefixes it uses but does not declare declared on its root."""
    match = _ROOT_TAG.search(data)
    if not match:
        return data
    missing = b"".join(b' xmlns:%s="%s"' % (prefix, uri) for prefix, uri in _KNOWN_PREFIXES.items()
                       if b"<" + prefix + b":" in data and b"xmlns:" + prefix + b"=" not in data)
    return data[:match.end(2)] + missing + data[match.end(2):] if missing else data


_ITEM = re.compile(rb"<item\b.*?</item\s*>", re.DOTALL)
_DECLARATION = re.compile(rb"""\sxmlns:([\w.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)


def _items_one_by_one(data: bytes) -> list[Element | str]:
    """The ``<item>`` elements of a feed that is not well-formed XML, each parsed alone (with the
    root's namespace declarations): an item that is broken is its parse error's text, the
    others are read whole. Atom feeds are not split (an ``entry`` is rarely the broken part)."""
    root = _ROOT_TAG.search(data)
    declared = dict.fromkeys(_KNOWN_PREFIXES)
    for match in _DECLARATION.finditer(root.group(2) if root else b""):
        declared[match.group(1)] = match.group(2) if match.group(2) is not None else match.group(3)
    wrapper = b"<items" + b"".join(b' xmlns:%s="%s"' % (prefix, uri or _KNOWN_PREFIXES.get(prefix, b"urn:x-undeclared"))
                                   for prefix, uri in declared.items()) + b">"
    items: list[Element | str] = []
    for chunk in _ITEM.finditer(data):
        try:
            items.append(DefusedET.fromstring(wrapper + chunk.group(0) + b"</items>", forbid_entities=True,
                                              forbid_external=True)[0])
        except (ParseError, DefusedXmlException) as exc:
            items.append(f"not well-formed XML ({exc})")
    return items


def _defused_root(data: bytes, source: str) -> Element:
    try:
        try:
            return DefusedET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
        except ParseError as exc:
            if "unbound prefix" not in str(exc) or _declared(data) == data:
                raise
            return DefusedET.fromstring(_declared(data), forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        # EntitiesForbidden: a bomb or an external entity; named for what it is, never expanded.
        raise FeedError(f"{source}: refused: the feed declares XML entities ({type(exc).__name__}); "
                        "no podcast feed needs them") from None
    except ParseError as exc:
        raise FeedError(f"{source}: not well-formed XML ({exc})") from None


def _enclosure(entry: Any, notes: list[str]) -> Enclosure | None:
    for enclosure in entry.get("enclosures") or []:
        url = _safe_url(enclosure.get("href") or enclosure.get("url"), "enclosure URL", notes)
        if url:
            length = str(enclosure.get("length") or "").strip()
            return Enclosure(url=url, type=(enclosure.get("type") or "").lower(),
                             length=int(length) if length.isdigit() else None)
    return None


def _episode(entry: Any, item: Element | None, namespace: str, language: str | None) -> Episode:
    notes: list[str] = []
    enclosure = _enclosure(entry, notes)
    # feedparser offers a guid as the link when the item has none: only an http(s) one is a page.
    raw_link = entry.get("link") or ""
    link = (_safe_url(raw_link, "episode link", notes) if not entry.get("guidislink") or "://" in raw_link else "") or ""
    guid = _text(entry.get("id")) or (enclosure.url if enclosure else "") or link
    title = _text(entry.get("title"))
    date = _date(entry)
    if not guid:
        guid = f"{title}\n{date}" if title else ""
    if not guid:
        return Episode(id="", guid="", error="an item without guid, enclosure, link or title")
    content = entry.get("content") or []
    notes_html = str(content[0].get("value", "")) if content else str(entry.get("summary") or "")
    chapters = _podcast_children(item, "chapters") if item is not None else []
    episode = Episode(
        id=episode_id(guid, namespace), guid=guid, title=title, date=date,
        duration=parse_duration(entry.get("itunes_duration")), author=_author(entry),
        persons=_persons(item) if item is not None else [],
        chapters_url=_safe_url(chapters[0].get("url"), "chapters URL", notes) if chapters else None,
        transcripts=_transcripts(item, notes) if item is not None else [],
        enclosure=enclosure, link=link, notes_html=notes_html,
        language=_text(entry.get("language")) or language, notes=notes)
    if not enclosure and not episode.transcripts:
        episode.error = "no audio enclosure and no transcript: nothing to read the words from"
    return episode


def parse_feed(data: bytes, *, max_mb: float, url: str = "") -> Feed:
    """The feed in ``data`` (at most ``max_mb`` MB) as a ``Feed``; ``url`` is where it came from.
    Raises ``InputTooLarge`` or ``FeedError`` in one line; a bad item is an episode with ``error``."""
    source = masked_url(url) if url else "the feed"
    if len(data) > int(max_mb * 1_000_000):
        raise InputTooLarge(f"{source}: {len(data) / 1e6:.1f} MB is over max_input_mb ({max_mb:g} MB)")
    items: list[Element | str]
    try:
        root = _defused_root(data, source)
        channel: Element | None = _channel(root)
        items = list(_items(root))
    except FeedError as exc:
        # A feed that is not well-formed XML, yet has items (an unescaped "&" in one title is
        # the usual case): feedparser's lenient reading, and each item parsed alone so that the
        # broken one fails alone. Still no entity declarations: the lenient path must not be a
        # way round the refusal above.
        if "not well-formed" not in exc.message or _ENTITY.search(data) or not _ITEM.search(data):
            raise
        root, channel, items = None, None, _items_one_by_one(data)
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(f"{source}: not an RSS or Atom feed (the document is <{_local(root.tag)[1]}>)"
                        if root is not None else f"{source}: not an RSS or Atom feed")
    guid_tags = _podcast_children(channel, "guid") if channel is not None else []
    podcast_guid = _text(guid_tags[0].text) if guid_tags else _text(parsed.feed.get("podcast_guid"))
    info = parsed.feed
    title = _text(info.get("title"))
    language = _text(info.get("language")) or None
    # feedparser and the tree mostly see the same items in the same order; where they do not,
    # an entry's element is the one with its guid.
    aligned = len(items) == len(parsed.entries)
    by_guid = {} if aligned else {_guid_of(item): item for item in items if isinstance(item, Element)}
    episodes = []
    seen: dict[str, str] = {}  # id -> that episode's audio URL
    for index, entry in enumerate(parsed.entries):
        item = items[index] if aligned else by_guid.get(_text(entry.get("id")))
        try:
            if isinstance(item, str):
                raise ValueError(item)
            episode = _episode(entry, item, podcast_guid or title, language)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            episode = Episode(id="", guid=_text(entry.get("id")), title=_text(entry.get("title")),
                              error=f"item {index + 1} cannot be read: {exc}")
        # An item without a guid still gets an id (by its place, the only thing it has): it
        # fails on its own, visibly, rather than being left out of the listing.
        episode.id = episode.id or episode_id(episode.guid or f"\nitem {index + 1}", podcast_guid or title)
        if episode.id in seen and episode.enclosure and episode.enclosure.url != seen[episode.id]:
            episode.id = episode_id(f"{episode.guid}\n{episode.enclosure.url}", podcast_guid or title)
            episode.repeated_guid = True
        seen.setdefault(episode.id, episode.enclosure.url if episode.enclosure else "")
        episodes.append(episode)
    _unshared_links(episodes)
    return Feed(url=url, title=title, author=_author(info),
                link=_text(info.get("link")), language=language, podcast_guid=podcast_guid or None,
                episodes=episodes)


def _unshared_links(episodes: list[Episode]) -> None:
    """A page that several items link to (the show's home page, one show-notes page for a few
    episodes, as the Podcasting 2.0 feed has) is no episode's own page: those episodes' source
    is their audio. A post is found again by its source, so two episodes of one source would
    take each other's post for their own."""
    pages = Counter(episode.link for episode in episodes if episode.link)
    for episode in episodes:
        if pages[episode.link] > 1:
            episode.link = ""


# --- chapters and metadata ---------------------------------------------------------------------


def parse_chapters(data: bytes) -> list[Chapter]:
    """The chapters of a ``podcast:chapters`` JSON file (``{"chapters": [{"startTime", "title"}]}``),
    in time order, each ending where the next starts; ``toc: false`` chapters (markers that are not
    in the table of contents) are left out. Raises ``ValueError`` for a file that is not one."""
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON chapters ({exc})") from None
    chapters = document.get("chapters") if isinstance(document, dict) else None
    if not isinstance(chapters, list):
        raise ValueError('not JSON chapters (no "chapters" list)')
    found: list[tuple[float, float | None, str]] = []
    for chapter in chapters:
        if not isinstance(chapter, dict) or chapter.get("toc") is False:
            continue
        title = _text(chapter.get("title"))
        try:
            start = float(chapter.get("startTime"))
            end = float(chapter["endTime"]) if chapter.get("endTime") is not None else None
        except (TypeError, ValueError):
            continue
        end = end if end is not None and math.isfinite(end) else None
        if title and math.isfinite(start) and start >= 0:
            found.append((start, end, title))
    found.sort(key=lambda c: c[0])
    return [Chapter(start_time=start, end_time=end if end is not None else
                    (found[i + 1][0] if i + 1 < len(found) else None), title=title)
            for i, (start, end, title) in enumerate(found)]


def episode_metadata(episode: Episode, feed: Feed, video_id: str, *,
                     chapters: Iterable[Chapter] = ()) -> Metadata:
    """The episode as ``metadata.json`` holds a video: the show is the ``channel`` (the post's
    speaker, as "Bloomberg Podcasts" in the seed), its author the
    ``uploader``, the episode's page (else its audio) the ``webpage_url`` (the post's ``source``)."""
    return Metadata(
        id=video_id, title=episode.title, channel=feed.title or feed.author,
        uploader=feed.author or episode.author, upload_date=episode.date, duration=episode.duration,
        description=notes_text(episode.notes_html), chapters=list(chapters), language=episode.language,
        # A private feed's audio URL carries a token of its own: the page a post links to never does.
        webpage_url=masked_url(episode.source_url), channel_id=feed.podcast_guid or "", channel_url=masked_url(feed.url),
        guests=episode.guests, origin="podcast-feed")


_SAFE_ID = re.compile(r"^[0-9a-f]+$")


def is_episode_id(value: str) -> bool:
    """Whether ``value`` is an id ``episode_id`` makes (safe as a folder name part)."""
    return len(value) == ID_LENGTH and bool(_SAFE_ID.match(value))


# --- a feed from where the user points, one episode of it ----------------------------------------

def episode_by_audio(feed: Feed, url: str) -> Episode | None:
    """The episode whose enclosure is ``url``; else the one whose enclosure is it without the
    query (tracking parameters differ between a directory and the feed) when only one is: the
    query is the episode where one script serves them all (``download.php?episode=N``)."""
    def bare(address: str) -> str:
        parts = urlsplit(address)
        return f"{parts.hostname}{parts.path}".lower()

    with_audio = [episode for episode in feed.episodes if episode.enclosure and url]
    exact = [episode for episode in with_audio if episode.enclosure.url == url]  # type: ignore[union-attr]
    if exact:
        return exact[0]
    alike = [episode for episode in with_audio if bare(episode.enclosure.url) == bare(url)]  # type: ignore[union-attr]
    return alike[0] if len(alike) == 1 else None


def find_episode(feed: Feed, key: str) -> Episode | None:
    """The episode ``key`` names: its guid, its id, or its enclosure URL (``episode_by_audio``)."""
    for episode in feed.episodes:
        if key in (episode.guid, episode.id):
            return episode
    for episode in feed.episodes:  # a guid whose case changed since the key was given (``episode_id``)
        if not episode.repeated_guid and episode.guid.strip().casefold() == key.strip().casefold():
            return episode
    return episode_by_audio(feed, key)


def load_feed(source: str, *, max_mb: float, timeout: float = DEFAULT_TIMEOUT, attempts: int = 1,
              retry_wait: float = 1.0) -> Feed:
    """The feed at an http(s) URL, or in a saved feed file (``.xml``, ``.rss``), at most ``max_mb`` MB.
    Raises ``FeedError``, ``InputTooLarge``, ``NotARegularFile`` or what ``fetch`` raises, in one line."""
    if "://" in source:
        answer = fetch(source, max_mb=max_mb, what="feed", timeout=timeout, attempts=attempts, retry_wait=retry_wait)
        return parse_feed(answer.data, max_mb=max_mb, url=source)
    path = Path(source).expanduser()
    try:
        data = read_capped(path, max_mb)
    except TextFileError as exc:
        raise FeedError(f"{source}: {exc}") from None
    except FetchError as exc:
        raise type(exc)(f"{source}: {exc.message}") from None
    return parse_feed(data, max_mb=max_mb, url=str(path))


def fetch_chapters(episode: Episode, *, max_mb: float, timeout: float = DEFAULT_TIMEOUT, attempts: int = 1,
                   retry_wait: float = 1.0) -> tuple[list[Chapter], str | None]:
    """The episode's ``podcast:chapters``, and None; or no chapters and why (chapters only help
    to cut the article into sections: a missing or broken file never fails the episode)."""
    if not episode.chapters_url:
        return [], None
    try:
        return parse_chapters(fetch(episode.chapters_url, max_mb=max_mb, what="chapters", timeout=timeout,
                                    attempts=attempts, retry_wait=retry_wait).data), None
    except FetchError as exc:
        return [], exc.message
    except ValueError as exc:
        return [], f"chapters {masked_url(episode.chapters_url)}: {exc}"
