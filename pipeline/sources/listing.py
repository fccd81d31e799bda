"""Turning SOURCE arguments into a list of videos.

A SOURCE is a video URL or bare id, a yt-dlp ``.info.json`` (a video's, or a playlist's
whose entries are videos), a folder of them, a JSON array or JSON Lines of flat playlist
entries, a text file of sources, an audio or video file, or a playlist or channel URL
(expanded by yt-dlp's flat extraction: one request per page of the list, not per video).
Filters (``since``, ``reverse``, ``limit``) apply before any per-video work.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipeline.errors import FetchError, UsageError
from pipeline.words.siblings import info_stem
from pipeline.words.textfiles import read_input, set_max_input_mb
from pipeline.config import Config
from pipeline.shapes import VideoRef
from pipeline.sites import (DEFAULT, SITES, Site, get_site, module_of_extractor, site_of_url, store_id, video_of_info,
                            video_of_url)

# yt-dlp's default file names end in " [<video id>]".
_ID_IN_NAME = re.compile(r"\[([A-Za-z0-9_-]{1,64})\]")
_ID_IN_NAME_AT_END = re.compile(r"\s*\[[A-Za-z0-9_-]{1,64}\]$")
_LIST_COMMENT = re.compile(r"(?:^|\s)#")
MEDIA_EXTS = {".mp3", ".m4a", ".wav", ".ogg", ".opus", ".webm", ".mp4", ".mkv", ".mov", ".flac", ".aac"}


def _read_list(path: Path) -> str:
    try:
        return read_input(path)
    except (FetchError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not a list of sources: {exc}") from None


def title_from_media_name(path: Path) -> str:
    """A media file's name without yt-dlp's ``[video id]`` at its end."""
    return _ID_IN_NAME_AT_END.sub("", path.stem).strip()


def site_lister(config: Config) -> Callable[[str], dict[str, Any]]:
    """How a collection URL is listed: by its site, with the site's settings of ``config``."""
    def listing(url: str) -> dict[str, Any]:
        site = site_of_url(url)
        if site is None:
            raise UsageError(f"{url}: no site lists it")
        return site.list(url, config)

    return listing


def _date_of(entry: dict[str, Any]) -> str | None:
    if entry.get("upload_date"):
        return str(entry["upload_date"])
    for key in ("timestamp", "release_timestamp"):
        if entry.get(key):
            return datetime.fromtimestamp(float(entry[key]), tz=timezone.utc).strftime("%Y%m%d")
    return None


def _ref(site: Site, video_id: str, entry: dict[str, Any], info_path: Path | None, page: str) -> VideoRef:
    return VideoRef(video_id=store_id(site.name, video_id), url=site.canonical_url(video_id) or page,
                    info_path=info_path, title=entry.get("title"), upload_date=_date_of(entry),
                    duration=entry.get("duration"), availability=entry.get("availability"),
                    live_status=entry.get("live_status"), site=site.name)


def _ref_from_entry(entry: dict[str, Any], site: Site, info_path: Path | None = None) -> VideoRef | None:
    """The video an entry of a listing of ``site`` names (a site's listing may hold another
    site's videos: the entry's URL says whose); None for a playlist or a channel's tab (a
    ``PL…`` or ``UC…`` id, a tab's URL), which is not a video to fetch."""
    if entry.get("_type") == "playlist":
        return None
    # The extractor that listed it knows whose it is: a Bilibili video's URL without ?p= is
    # otherwise the list of its parts.
    site = module_of_extractor(str(entry.get("ie_key") or entry.get("extractor_key") or "")) or site
    page = str(entry.get("webpage_url") or entry.get("url") or "")
    video_id = site.video_id(str(entry.get("id") or "")) or site.video_id(page)
    if not video_id:
        found = video_of_url(page) if page.startswith(("http://", "https://")) else None
        if found is None:
            return None
        site, video_id = found
    return _ref(site, video_id, entry, info_path, page)


def _ref_of_video_info(info: dict[str, Any], path: Path | None = None) -> VideoRef | None:
    """A video's own info.json (or the one video a listing resolved to), of the site whose
    extractor wrote it (``extractor_key``); the default site's when it names none."""
    if info.get("_type") == "playlist":
        return None
    found = video_of_info(info)
    if found is None:
        return _ref_from_entry(info, get_site(DEFAULT), path) or (_ref_of_info(info, path) if path else None)
    return _ref(*found, info, path, str(info.get("webpage_url") or ""))


def _ref_of_info(info: dict[str, Any], path: Path) -> VideoRef | None:
    """A video's own info.json that names no extractor: its id and its page, as written (the
    words come from the files beside it)."""
    video_id = str(info.get("id") or "")
    if not _ID_IN_NAME.fullmatch(f"[{video_id}]") or info.get("_type") == "playlist":
        return None
    return VideoRef(video_id=video_id, url=str(info.get("webpage_url") or ""), info_path=path,
                    title=info.get("title"), upload_date=_date_of(info), duration=info.get("duration"))


def _entries(entries: list[Any], local: dict[str, Path], site: Site | None = None) -> list[VideoRef]:
    """The videos of a listing of ``site`` (yt-dlp's flat entries; the default site's for files)."""
    site = site or get_site(DEFAULT)
    refs: list[VideoRef] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if entry.get("_type") == "playlist":  # a channel root: one nested playlist per tab
            refs.extend(_entries(entry.get("entries") or [], local, site))
            continue
        ref = _ref_from_entry(entry, site, local.get(str(entry.get("id"))))
        if ref:
            refs.append(ref)
    return refs


def _listed(entries: list[Any]) -> int:
    """How many entries a listing has that are not lists themselves (a channel's tabs are)."""
    return sum(_listed(entry.get("entries") or []) if entry.get("_type") == "playlist" else 1
               for entry in entries if isinstance(entry, dict))


def _local_infos(folder: Path) -> dict[str, Path]:
    """Video id -> info.json in a folder (by yt-dlp's file names, without reading every file)."""
    found: dict[str, Path] = {}
    for path in folder.glob("*.info.json"):
        video_id = _id_of_stem(info_stem(path), SITES.values())
        if video_id:
            found[video_id] = path
    return found


def _id_of_stem(stem: str, sites: Iterable[Site] = ()) -> str | None:
    """The video id in a yt-dlp file name's stem: ``Title [id]``, or the id alone (an id of the
    default site's form, or of one of ``sites``: files name no site)."""
    readers = [get_site(DEFAULT), *sites]
    candidates = [match.group(1) for match in _ID_IN_NAME.finditer(stem)] or [stem]
    return next((c for c in candidates if any(site.video_id(c) == c for site in readers)), None)


def _read_json(path: Path) -> Any:
    try:
        text = read_input(path)
        return json.loads(text) if not path.name.endswith(".jsonl") else [
            json.loads(line) for line in text.splitlines() if line.strip()]
    except FetchError as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:
        raise UsageError(f"{path}: not readable as yt-dlp JSON: {exc}") from None


def _refs_of_json(data: Any, path: Path) -> list[VideoRef]:
    """The videos of a yt-dlp JSON document: a video's info.json, a playlist's or channel's
    (its entries, none when yt-dlp wrote it without them), or a list of flat entries."""
    # Only a list of entries looks for its videos' info.json files beside it: scanning the folder
    # for every video's own info.json would grow with the square of the folder.
    if isinstance(data, list):
        return _entries(data, _local_infos(path.parent))
    if not isinstance(data, dict):
        raise UsageError(f"{path}: not a yt-dlp info.json")
    if data.get("_type") == "playlist":
        site = module_of_extractor(str(data.get("extractor_key") or ""))
        return _entries(data.get("entries") or [], _local_infos(path.parent), site)
    ref = _ref_of_video_info(data, path)
    if ref is None:
        raise UsageError(f"{path}: the info.json has no video id")
    return [ref]


def _from_json_file(path: Path) -> list[VideoRef]:
    data = _read_json(path)
    refs = _refs_of_json(data, path)
    if not refs:
        what, urls = _why_no_videos(data)
        raise UsageError(f"{path}: no videos found: {what}{_instead(urls)}")
    return refs


# What a playlist or channel listing without videos can be replaced with.
_LISTING = "or a listing from yt-dlp --flat-playlist -J URL > list.json"


def _why_no_videos(data: Any) -> tuple[str, list[str]]:
    """Why a JSON document named no video, and the URLs that would list its videos online."""
    entries = data if isinstance(data, list) else data.get("entries") if isinstance(data, dict) else None
    entries = [e for e in entries or [] if isinstance(e, dict)]
    if entries:
        urls = [url for e in entries if _is_collection(url := str(e.get("url") or ""))]
        if urls or any(e.get("_type") == "playlist" for e in entries):  # a channel's root, its playlists tab
            return f"its {len(entries)} entries are playlists or channel tabs, not videos", urls
        # A listing file is read as the default site's (``_refs_of_json``): its ids are the ones that count.
        return f"none of its {len(entries)} entries has a {get_site(DEFAULT).label} video id", []
    if not isinstance(data, dict):
        return "it lists no entries", []
    title = str(data.get("title") or data.get("channel") or "").strip()
    url = next((str(data[k]) for k in ("webpage_url", "original_url", "channel_url")
                if _is_collection(str(data.get(k) or ""))), "")
    named = f" ({title})" if title else ""
    site = site_of_url(url)
    return (f"it is the info.json of a playlist or channel{named} written without its entries",
            [site.collection_url(url)] if site is not None else [])


def _is_collection(url: str) -> bool:
    site = site_of_url(url)
    return site is not None and site.is_collection(url)


def _site_labels() -> str:
    return ", ".join(site.label for site in SITES.values())


def _shown(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _instead(urls: list[str]) -> str:
    if not urls:
        return f"; give its URL instead, {_LISTING}"
    return f"; give the URL{'s' if len(urls) > 1 else ''} instead ({_shown(urls)}), {_LISTING}"


def _unreadable_ref(path: Path) -> VideoRef:
    """A folder's info.json that cannot be read is still its video: it fails on its own at fetch,
    naming the file, while the folder's other videos go on."""
    video_id = _id_of_stem(info_stem(path))
    if video_id is None:
        video_id = "info-" + hashlib.sha1(path.name.encode("utf-8", "replace")).hexdigest()[:10]
    return VideoRef(video_id=video_id, url=get_site(DEFAULT).canonical_url(video_id), info_path=path)


def _from_folder(folder: Path) -> list[VideoRef]:
    refs: list[VideoRef] = []
    empty: list[tuple[Path, Any]] = []  # playlists' and channels' info.json files without videos
    for path in sorted(folder.glob("*.info.json")):
        try:
            data = _read_json(path)
            found = _refs_of_json(data, path)
        except UsageError:
            refs.append(_unreadable_ref(path))
            continue
        if not found:
            empty.append((path, data))
        refs.extend(found)
    if not refs:
        raise UsageError(f"{folder}: no videos found: {_why_empty_folder(folder, empty)}")
    # yt-dlp lists newest first; a folder has no order of its own, so give it that one.
    return sorted(refs, key=lambda r: (r.upload_date or "", r.video_id), reverse=True)


def _why_empty_folder(folder: Path, empty: list[tuple[Path, Any]]) -> str:
    if len(empty) == 1:
        what, urls = _why_no_videos(empty[0][1])
        why = f"{empty[0][0].name}: {what}{_instead(urls)}"
    elif empty:
        urls = [url for _, data in empty for url in _why_no_videos(data)[1]]
        names = _shown([path.name for path, _ in empty])
        why = f"{len(empty)} info.json files of playlists or channels list no videos ({names}){_instead(urls)}"
    else:
        why = "no .info.json file in it"
    # A listing saved by hand (yt-dlp -J > list.json) is a source of its own, not one of the
    # folder's files: a folder's other JSON files (a live chat, a site's data) are not videos.
    listings = sorted(p.name for p in folder.iterdir()
                      if p.name.endswith((".json", ".jsonl")) and not p.name.endswith(".info.json"))
    if listings:
        why += (f"; {_shown(listings)}: not read as part of a folder, give "
                f"{'it' if len(listings) == 1 else 'each'} as a SOURCE of its own")
    return why


def _from_list_file(path: Path, flat_extract: Callable[[str], dict[str, Any]],
                    problems: list[str] | None = None) -> list[VideoRef]:
    """One source per line; ``#`` at the start or after a space begins a comment (a URL keeps
    its own ``#fragment``). A bad line, or one whose list cannot be read (a feed that is gone,
    a host that is down), is ``FILE:LINE: reason``: collected in ``problems`` when given, so the
    other lines still run, else raised."""
    refs: list[VideoRef] = []
    for number, raw in enumerate(_read_list(path).splitlines(), start=1):
        line = _LIST_COMMENT.split(raw, maxsplit=1)[0].strip()
        if not line or line.startswith("#"):
            continue
        candidate = Path(line).expanduser()
        if not candidate.is_absolute() and (path.parent / candidate).exists():
            line = str(path.parent / candidate)
        try:
            refs.extend(_expand_one(line, flat_extract, problems))
        except UsageError as exc:
            if problems is None:
                raise UsageError(f"{path}:{number}: {exc}") from None
            problems.append(f"{path}:{number}: {exc}")
        except FetchError as exc:
            if problems is None:
                raise
            problems.append(f"{path}:{number}: {exc.message}")
    return refs


def _media_ref(path: Path) -> VideoRef:
    video_id = _id_of_stem(path.stem)
    if video_id and video_id != path.stem:
        return VideoRef(video_id=video_id, url=get_site(DEFAULT).canonical_url(video_id), media_path=path)
    digest = hashlib.sha1(str(path.resolve()).encode("utf-8")).hexdigest()[:8]
    return VideoRef(video_id=f"local-{digest}", url=path.resolve().as_uri(), media_path=path,
                    title=path.stem)


def _expand_one(source: str, flat_extract: Callable[[str], dict[str, Any]],
                problems: list[str] | None = None) -> list[VideoRef]:
    found = video_of_url(source)
    path = Path(source).expanduser()
    site = site_of_url(source)
    if path.exists() and not (site is not None and site.is_collection(source)):  # a saved feed is a site's
        if path.is_dir():
            return _from_folder(path)
        if path.name.endswith((".json", ".jsonl")):
            return _from_json_file(path)
        if path.suffix.lower() in MEDIA_EXTS:
            return [_media_ref(path)]
        return _from_list_file(path, flat_extract, problems)
    if found:
        site, video_id = found
        return [VideoRef(video_id=store_id(site.name, video_id), url=site.canonical_url(video_id) or source.strip(),
                         site=site.name)]
    if site is not None and site.is_collection(source):
        info = flat_extract(site.collection_url(source))
        if "entries" not in info and info.get("_type", "video") == "video":  # it was one video (one part)
            ref = _ref_of_video_info(info)
            return [ref] if ref is not None else []
        refs = _entries(info.get("entries") or [], {}, site)
        listed = _listed(info.get("entries") or [])
        if listed and not refs:  # not "0 video(s)" without a word: an empty list is one that lists nothing
            hint = f" (a podcast feed? give it as feed:{source})" if info.get("extractor_key") == "Generic" else ""
            raise UsageError(f"{source}: none of its {listed} entries is a video yt2post reads{hint}")
        return refs
    if "/" in source or source.endswith((".json", ".txt")) or source.startswith("."):
        if "://" not in source:
            raise UsageError(f"{source}: no such file or folder")
    raise UsageError(f"{source}: not a video, playlist, channel or feed URL ({_site_labels()} or any site "
                     "yt-dlp reads), a video id, an .info.json, a folder, a list file or a media file")


def expand_sources(sources: Sequence[str], *, limit: int | None = None, since: str | None = None,
                   reverse: bool = False, flat_extract: Callable[[str], dict[str, Any]] | None = None,
                   max_input_mb: float | None = None,
                   problems: list[str] | None = None) -> list[VideoRef]:
    """Every video of the sources, de-duplicated, filtered and ordered before any work starts.

    ``since`` drops videos known to be older; a video whose date the listing does not give is
    kept (its date is known only after fetching, and dropping it silently would lose it).
    """
    extract = flat_extract or site_lister(Config())
    if max_input_mb is not None:
        set_max_input_mb(max_input_mb)
    _since_key(since)  # a bad date is refused before any listing
    seen: set[str] = set()
    refs: list[VideoRef] = []
    for source in sources:
        for ref in _expand_one(source, extract, problems):
            if ref.video_id not in seen:
                seen.add(ref.video_id)
                refs.append(ref)
    return select_refs(refs, since=since, reverse=reverse, limit=limit)


def select_refs(refs: list[VideoRef], *, since: str | None = None, reverse: bool = False,
                limit: int | None = None) -> list[VideoRef]:
    """``--since`` (a video whose listing gives no date is kept), ``--reverse``, ``--limit``."""
    since_key = _since_key(since)
    if since_key:
        refs = [r for r in refs if not r.upload_date or r.upload_date >= since_key]
    if reverse:
        refs = list(reversed(refs))
    return refs[:limit] if limit else refs


def _since_key(since: str | None) -> str | None:
    if not since:
        return None
    try:
        return datetime.strptime(since, "%Y-%m-%d").strftime("%Y%m%d")
    except ValueError:
        raise UsageError(f"--since {since}: expected a date as YYYY-MM-DD") from None
