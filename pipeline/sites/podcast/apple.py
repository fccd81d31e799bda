"""Apple Podcasts links: ``podcasts.apple.com/<country>/podcast/<name>/id<N>[?i=<trackId>]``
to the show's feed, through the public iTunes lookup API (``itunes.apple.com/lookup?id=N``,
whose answer's ``results[0].feedUrl`` is the feed), and the episode ``?i=`` names, matched in
the feed by its guid, audio URL, title or date."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from pipeline.errors import FetchError
from pipeline.sites.podcast.feed import Episode, Feed, episode_by_audio
from pipeline.sites.podcast.fetching import check_url, fetch
from pipeline.sites.podcast.urls import AppleLink, is_apple_url, parse_apple_url

__all__ = ["AppleEpisode", "AppleLink", "AppleShow", "is_apple_url", "lookup_url", "match_episode",
           "parse_apple_url", "read_lookup", "resolve"]

# The lookup lists a show's most recent episodes, at most 200 (Apple's limit).
_EPISODES = 200


class AppleLookupError(FetchError):
    """The lookup answered, but not with a show that has a feed."""

    cause = "apple_lookup"


@dataclass(frozen=True)
class AppleEpisode:
    track_id: int
    title: str = ""
    date: str = ""  # YYYYMMDD (UTC) of releaseDate
    guid: str = ""  # episodeGuid: the item's guid in the feed
    audio_url: str = ""  # episodeUrl: the enclosure


@dataclass(frozen=True)
class AppleShow:
    show_id: int
    feed_url: str
    name: str = ""
    episode: AppleEpisode | None = None


def lookup_url(link: AppleLink, base: str) -> str:
    """The lookup request for ``link``: the show, and its recent episodes for an episode link."""
    query = {"id": str(link.show_id)}
    if link.episode_id is not None:
        query.update(entity="podcastEpisode", limit=str(_EPISODES))
    return f"{base}?{urlencode(query)}"


def _day(value: object) -> str:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).strftime("%Y%m%d")
    except ValueError:
        return ""


def read_lookup(data: bytes, link: AppleLink) -> AppleShow:
    """The show (and the episode ``link`` names) in a lookup answer; ``AppleLookupError`` in one
    line for an answer without a feed (a show Apple lists without an RSS feed, an unknown id)."""
    where = f"Apple Podcasts id{link.show_id}"
    try:
        answer = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AppleLookupError(f"{where}: the lookup answer is not JSON ({exc})") from None
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list) or not results:
        raise AppleLookupError(f"{where}: the iTunes lookup knows no such show")
    shows = [r for r in results if isinstance(r, dict) and r.get("kind") == "podcast"
             or isinstance(r, dict) and r.get("wrapperType") == "track" and "feedUrl" in r]
    show = next((r for r in shows if r.get("collectionId") == link.show_id), shows[0] if shows else None)
    feed_url = str(show.get("feedUrl") or "") if show else ""
    if not feed_url:
        raise AppleLookupError(f"{where}: Apple lists no RSS feed for this show (it may be Apple-only)")
    check_url(feed_url, f"{where}: the feed URL")
    episode = None
    if link.episode_id is not None:
        found = next((r for r in results if isinstance(r, dict) and r.get("trackId") == link.episode_id
                      and r.get("kind") != "podcast"), None)
        if found is None:
            raise AppleLookupError(f"{where}: episode {link.episode_id} is not among the show's "
                                   f"{_EPISODES} most recent episodes Apple lists")
        episode = AppleEpisode(track_id=link.episode_id, title=str(found.get("trackName") or ""),
                               date=_day(found.get("releaseDate")), guid=str(found.get("episodeGuid") or ""),
                               audio_url=str(found.get("episodeUrl") or ""))
    return AppleShow(link.show_id, feed_url, str(show.get("collectionName") or "") if show else "", episode)


def match_episode(feed: Feed, episode: AppleEpisode) -> Episode | None:
    """The feed's episode Apple's ``episode`` is: by guid, else audio URL, else title (and the
    date where several share it)."""
    if episode.guid:
        for item in feed.episodes:
            if item.guid == episode.guid:
                return item
    by_audio = episode_by_audio(feed, episode.audio_url)
    if by_audio is not None:
        return by_audio
    titled = [item for item in feed.episodes if episode.title and item.title.casefold() == episode.title.casefold()]
    if len(titled) > 1 and episode.date:
        titled = [item for item in titled if item.date == episode.date] or titled
    return titled[0] if titled else None


def resolve(url: str, *, base: str, max_mb: float, timeout: float = 30.0, attempts: int = 1,
            retry_wait: float = 1.0) -> AppleShow:
    """The show (and episode) an Apple Podcasts URL names, asked of the lookup API at ``base``."""
    link = parse_apple_url(url)
    answer = fetch(check_url(lookup_url(link, base)), max_mb=max_mb, what=f"Apple Podcasts lookup of id{link.show_id}",
                   timeout=timeout, attempts=attempts, retry_wait=retry_wait)
    return read_lookup(answer.data, link)
