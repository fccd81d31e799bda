"""Podcasts: any RSS or Atom feed as a source, like a playlist. The feed (``feed``), the
publisher's transcripts (``transcripts``), Apple Podcasts links (``apple``), the HTTP they all go
through (``fetching``) and the online session (``session``), with the settings of ``podcast:``.

A feed is named by its URL (one of a feed's shape: ``urls.feed_url``), a saved feed file
(``.xml``, ``.rss``), an Apple Podcasts show or episode URL, or one episode of any of these as
``FEED#episode=<guid or enclosure URL>``. Its episodes are listed newest first; each is stored
as ``videos/podcast-<id>/`` (``feed.episode_id``) and reached again as ``FEED#episode=<guid>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pipeline.sites.podcast import urls

if TYPE_CHECKING:
    from pipeline.config import Config
    from pipeline.errors import FetchError
    from pipeline.sites.podcast.feed import Episode, Feed
    from pipeline.sites.podcast.session import PodcastSession


class Podcast:
    name = "podcast"
    label = "podcast"
    extractor = ""  # a feed: none of yt-dlp's extractors reads it

    def video_id(self, text: str) -> str | None:
        """An episode's id (16 hex digits), also as its store id ``podcast-<id>``; a URL names a
        feed, not an episode."""
        from pipeline.sites.podcast.feed import is_episode_id

        own = text.removeprefix(f"{self.name}-")
        return own if is_episode_id(own) else None

    def is_collection(self, text: str) -> bool:
        return urls.is_feed_source(text)

    def collection_url(self, url: str) -> str:
        return url

    def canonical_url(self, video_id: str) -> str:
        return ""  # an episode is reached through its feed: ``episode_url``

    def link_at(self, url: str, seconds: float | None) -> str | None:
        return None  # an episode's page has no link to a second

    def list(self, url: str, config: Config) -> dict[str, Any]:
        """The feed's episodes (one, for ``FEED#episode=…`` or an Apple episode link), newest first,
        as flat entries: the episode's id, ``FEED#episode=<guid>``, title, date and duration."""
        from pipeline.errors import UsageError
        from pipeline.sites.podcast.apple import is_apple_url, match_episode, resolve
        from pipeline.sites.podcast.feed import find_episode, split_episode_ref
        from pipeline.sites.podcast.session import load

        source, key = split_episode_ref(url)
        chosen: Episode | None = None
        if is_apple_url(source):
            show = resolve(source, max_mb=config.max_input_mb, timeout=config.podcast.timeout,
                           base=config.podcast.apple_lookup_url, attempts=config.podcast.max_attempts,
                           retry_wait=config.podcast.retry_wait)
            source = show.feed_url
            feed = load(source, config)
            if show.episode is not None:
                chosen = match_episode(feed, show.episode)
                if chosen is None:
                    raise UsageError(f"{url}: Apple's episode {show.episode.title or show.episode.track_id!r} "
                                     f"is not in its feed {urls.shown(source)}")
        else:
            feed = load(source, config)
        if key is not None:
            chosen = find_episode(feed, key)
            if chosen is None:
                raise UsageError(f"{urls.shown(source)}: no episode {key!r} in the feed (give its guid or audio URL)")
        episodes = [chosen] if chosen is not None else sorted(feed.episodes, key=lambda e: e.date, reverse=True)
        return {"_type": "playlist", "title": feed.title,
                "entries": [{"id": e.id, "url": episode_url(urls.feed_location(source), e), "title": e.title,
                             "upload_date": e.date or None, "duration": e.duration} for e in episodes]}

    def session(self, config: Config) -> PodcastSession:
        from pipeline.sites.podcast.session import PodcastSession

        return PodcastSession(config)

    def classify_error(self, message: str, video_id: str) -> FetchError:
        from pipeline.errors import FetchError

        return FetchError(f"{video_id}: {message}", video_id=video_id)


def episode_url(source: str, episode: Episode) -> str:
    """How an episode is reached again: its feed and its guid (``#`` and ``&`` in it encoded), or
    its id for an item without one or with the guid of an item before it."""
    from pipeline.sites.podcast.feed import EPISODE_FRAGMENT

    key = episode.id if episode.repeated_guid else episode.guid or episode.id
    return f"{source}{EPISODE_FRAGMENT}{quote(key, safe='')}"

