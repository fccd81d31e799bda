"""The sites videos come from: one module per site behind one small interface (``base.Site``),
and this registry, which every other part of yt2post asks. Adding a site is its module and one
line in ``SITES``.

A video's store id is the site's id for the default site (the first: YouTube, whose folders
predate sites) and ``<site>-<id>`` for every other, so ids of two sites never meet in one
output folder.
"""

from __future__ import annotations

from pipeline.sites.base import Site, SiteSession
from pipeline.sites.podcast import Podcast
from pipeline.sites.youtube import YouTube

SITES: dict[str, Site] = {
    "youtube": YouTube(),
    "podcast": Podcast(),
}
DEFAULT = next(iter(SITES))

__all__ = ["DEFAULT", "SITES", "Site", "SiteSession", "canonical_page", "get_site", "link_at", "of_store_id",
           "site_of_url", "store_id", "video_of_url"]


def get_site(name: str) -> Site:
    try:
        return SITES[name]
    except KeyError:
        raise ValueError(f"unknown site {name!r}; one of: {', '.join(SITES)}") from None


def store_id(site: str, video_id: str) -> str:
    """The folder name under ``videos/`` of a site's video."""
    return video_id if site == DEFAULT else f"{site}-{video_id}"


def site_of_url(text: str) -> Site | None:
    """The site that owns a video or collection URL (or a bare id of its form)."""
    return next((site for site in SITES.values() if site.video_id(text) or site.is_collection(text)), None)


def video_of_url(text: str) -> tuple[Site, str] | None:
    """The site and the site's id of the video a URL (or bare id) names; None for anything else."""
    for site in SITES.values():
        video_id = site.video_id(text)
        if video_id:
            return site, video_id
    return None


def link_at(url: str, seconds: float | None = None) -> str | None:
    """The video page at ``url`` at a second, by the site whose page it is; None for any other URL."""
    return next((link for site in SITES.values() if (link := site.link_at(url, seconds))), None)


def of_store_id(video_id: str) -> tuple[Site, str] | None:
    """The site and the site's id a store id stands for; None for a video of no site (a local
    file, an info.json of a site without a module)."""
    for name, site in SITES.items():
        own = video_id if name == DEFAULT else video_id.removeprefix(f"{name}-")
        if (name == DEFAULT or own != video_id) and site.video_id(own) == own:
            return site, own
    return None


def canonical_page(video_id: str, page: str) -> str:
    """The one URL of a video: its site's canonical one, else the page it was found at."""
    found = of_store_id(video_id)
    return (found[0].canonical_url(found[1]) if found else "") or page
