"""The sites videos come from: one module per site behind one small interface (``base.Site``),
and this registry, which every other part of yt2post asks. Adding a site is its module and one
line in ``SITES``. A URL that no site module owns goes to yt-dlp (``other``): each of its
extractors is a site of its own, named by its key in lower case (``vimeo``, ``tedtalk``).

A video's store id is the site's id for the default site (the first: YouTube, whose folders
predate sites) and ``<site>-<id>`` for every other, so ids of two sites never meet in one
output folder.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from pipeline.sites.base import Site, SiteSession
from pipeline.sites.bilibili import Bilibili
from pipeline.sites.podcast import Podcast
from pipeline.sites.youtube import YouTube

SITES: dict[str, Site] = {
    "youtube": YouTube(),
    "bilibili": Bilibili(),
    "podcast": Podcast(),
}
DEFAULT = next(iter(SITES))

__all__ = ["DEFAULT", "SITES", "Site", "SiteSession", "canonical_page", "get_site", "link_at", "of_store_id",
           "module_of_extractor", "site_of_url", "store_id", "video_of_info", "video_of_page", "video_of_url"]

_OTHER_NAME = re.compile(r"[a-z0-9]{1,40}")


def _registered(extractor_key: str) -> Site | None:
    """The site module whose yt-dlp extractors these are (``BiliBiliBangumi``: Bilibili's)."""
    key = extractor_key.lower()
    return next((site for site in SITES.values() if site.extractor and key.startswith(site.extractor)), None)


def module_of_extractor(extractor_key: str) -> Site | None:
    """The site module whose yt-dlp extractor wrote an entry or listing (its ``ie_key`` or
    ``extractor_key``: ``BilibiliCollectionList`` is Bilibili's); None for any other."""
    return _registered(extractor_key) if extractor_key else None


def _other(key: str) -> Site:
    from pipeline.sites.other import OtherSite

    return OtherSite(key, claimed=_claimed)


def _claimed(folder: str) -> bool:
    """Whether a site module reads a store folder's name as its own video's."""
    found = of_store_id(folder)
    return found is not None and found[0] in SITES.values()


def _other_named(name: str) -> Site | None:
    """The site of yt-dlp's extractor ``name`` (its key in lower case), if yt-dlp has one."""
    from pipeline.sites.other import names

    key = names().get(name)
    return _other(key) if key is not None and _registered(key) is None else None


def _other_of_url(text: str) -> Site | None:
    from pipeline.sites.other import extractor_of

    ie = extractor_of(text)
    return _other(ie.ie_key()) if ie is not None and _registered(ie.ie_key()) is None else None


def get_site(name: str) -> Site:
    """The site of that name: a module's, else a yt-dlp extractor's (also one this yt-dlp no
    longer has, named by an old info.json: its videos are read from their files)."""
    if name in SITES:
        return SITES[name]
    if not _OTHER_NAME.fullmatch(name):
        raise ValueError(f"unknown site {name!r}; one of: {', '.join(SITES)}, or a yt-dlp extractor's name")
    from pipeline.sites.other import names

    return _other(names().get(name, name))


def video_of_info(info: dict[str, Any]) -> tuple[Site, str] | None:
    """The site and the site's id of the video a yt-dlp info.json is of, by the extractor that
    wrote it (``extractor_key``); None when it names none (a hand-made file, a key that is no
    extractor's) or its site finds no id in it."""
    from pipeline.sites.ytdlp import EXTRACTOR_KEY

    key = str(info.get("extractor_key") or "")
    if not EXTRACTOR_KEY.fullmatch(key):  # none, or not a key (its fetch says so: ``metadata_from_info``)
        return None
    site = _registered(key)
    if site is None:
        other = _other(key)
        return other, other.id_of_info(info)
    video_id = site.video_id(str(info.get("id") or "")) or site.video_id(str(info.get("webpage_url") or ""))
    return (site, video_id) if video_id else None


def store_id(site: str, video_id: str) -> str:
    """The folder name under ``videos/`` of a site's video."""
    return video_id if site == DEFAULT else f"{site}-{video_id}"


def site_of_url(text: str) -> Site | None:
    """The site that owns a video or collection URL (or a bare id of its form); any http(s)
    URL no site module owns is yt-dlp's (``other``)."""
    owner = next((site for site in SITES.values() if site.video_id(text) or site.is_collection(text)), None)
    return owner or _other_of_url(text)


def video_of_url(text: str) -> tuple[Site, str] | None:
    """The site and the site's id of the video a URL (or bare id) names; None for anything else."""
    for site in SITES.values():
        video_id = site.video_id(text)
        if video_id:
            return site, video_id
    if any(site.is_collection(text) for site in SITES.values()):  # a module's list (an Apple Podcasts link)
        return None
    other = _other_of_url(text)
    video_id = other.video_id(text) if other is not None else None
    return (other, video_id) if other is not None and video_id else None


def video_of_page(url: str) -> tuple[Site, str] | None:
    """The site and id of the video whose canonical page ``url`` is (its query and a trailing
    slash aside), also where the URL is a list as well: a Bilibili video's page without ``?p=``
    lists its parts, yet is the one-part video's ``source``. None for any other URL."""
    parts = urlsplit(url.strip())
    page = f"{parts.netloc}{parts.path}".rstrip("/").lower()
    own = parts.path.rstrip("/").rpartition("/")[2]
    for site in SITES.values():
        canonical = site.canonical_url(own) if own and site.video_id(own) == own else None
        if canonical and f"{urlsplit(canonical).netloc}{urlsplit(canonical).path}".lower() == page:
            return site, own
    return None


def link_at(url: str, seconds: float | None = None) -> str | None:
    """The video page at ``url`` at a second, by the site whose page it is; None for any other URL."""
    return next((link for site in SITES.values() if (link := site.link_at(url, seconds))), None)


def of_store_id(video_id: str, page: str = "") -> tuple[Site, str] | None:
    """The site and the site's id a store id stands for; None for a video of no site (a local
    file, an info.json of an extractor yt-dlp no longer has). The site modules' first, then a
    yt-dlp extractor's ``<site>-<id>``, which may have the form of a YouTube id (``tv2-1791207``,
    ``vimeo-12345``: eleven of its characters), then YouTube's (an id without such a prefix asks
    yt-dlp nothing). Where two sites could own the id, the one whose page ``page`` is does."""
    readings = []
    for name, site in SITES.items():
        own = video_id.removeprefix(f"{name}-")
        if name != DEFAULT and own != video_id and site.video_id(own) == own:
            readings.append((site, own))
    prefix, dash, own = video_id.partition("-")
    other = _other_named(prefix) if dash and own and _OTHER_NAME.fullmatch(prefix) else None
    if other is not None:
        readings.append((other, own))
    default = SITES[DEFAULT]
    if default.video_id(video_id) == video_id:
        readings.append((default, video_id))
    if len(readings) > 1 and page and (owner := site_of_url(page)) is not None:
        return next((reading for reading in readings if reading[0].name == owner.name), readings[0])
    return readings[0] if readings else None


def canonical_page(video_id: str, page: str) -> str:
    """The one URL of a video: its site's canonical one, else the page it was found at."""
    found = of_store_id(video_id, page)
    canonical = found[0].canonical_url(found[1]) if found else None
    return canonical or page
