"""The files yt-dlp wrote beside a video's ``.info.json``: ``<stem>.<lang>.vtt``, the audio…

A backfill's folder holds thousands of videos' files, and each video asks for its own: the
folder is listed once and kept while it is unchanged, instead of once per video.
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from pathlib import Path


def info_stem(path: Path) -> str:
    """The name yt-dlp gave a video's files: ``<stem>.info.json`` beside ``<stem>.<lang>.vtt``."""
    return path.name.removesuffix(".info.json") if path.name.endswith(".info.json") else path.stem


# A folder's modification time only says it changed when the change came after the clock's
# last tick: a listing made this soon after a change is not trusted (git's "racy" rule).
_RACY_NS = 1_000_000_000
_LISTINGS: dict[Path, tuple[int, list[str]]] = {}  # folder -> (its mtime when listed, names sorted)
_LOCK = threading.Lock()


def _names(folder: Path) -> list[str]:
    folder = Path(os.path.abspath(folder))  # the key holds for any working folder
    mtime = os.stat(folder).st_mtime_ns
    with _LOCK:
        cached = _LISTINGS.get(folder)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    names = sorted(os.listdir(folder))
    if time.time_ns() - mtime > _RACY_NS:
        with _LOCK:
            _LISTINGS[folder] = (mtime, names)
    return names


def files_beside(info_path: Path) -> list[Path]:
    """``<stem>.*`` beside ``info_path`` (itself left out), in name order; none when the folder
    cannot be listed."""
    prefix = info_stem(info_path) + "."
    try:
        names = _names(info_path.parent)
    except OSError:
        return []
    found = []
    for name in names[bisect.bisect_left(names, prefix):]:
        if not name.startswith(prefix):
            break
        if name != info_path.name:
            found.append(info_path.parent / name)
    return found
