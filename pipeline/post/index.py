"""Which post under ``posts/`` has which ``source``: how a post the reviewer moved or renamed
is still found, and how a new video's post is known not to exist yet; and the site's most used
tags, which the prompts offer for reuse.

A backfill looks up every new video: walking every post for each would grow with the square
of the run. The posts folder is walked at most once a second and, in between, the index is
kept while no folder under it has changed (a move, a rename, a new file all change their
folder); the pipeline's own writes update it in place. What a folder's time cannot show (a
post's ``source`` line edited in place, a change within the clock's tick) is seen by the next
walk, a second later at the most. A post is read once while its size and modification time
stay the same.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from collections import Counter

from pipeline.post.formats import PostFormat
from pipeline.store import Store

# Each post's ``source``, by its (mtime, size) when read.
_SOURCES: dict[Path, tuple[int, int, str | None]] = {}
_LOCK = threading.Lock()


def post_name(store: Store, path: Path) -> str:
    """A post's name as its format knows it: its path inside the posts folder, with ``/`` (a
    post outside the folder, which a hand-edited ``post.json`` may name, by its file name)."""
    posts, resolved = store.real_posts_dir, path.resolve()
    return resolved.relative_to(posts).as_posix() if resolved.is_relative_to(posts) else path.name


def approval_left_linked(store: Store, recorded: Path, post_format: PostFormat) -> Path | None:
    """The published place of the draft at ``recorded`` when an approval that moves a draft
    (Hexo's, Jekyll's) was killed between linking the post there and recording it: the same
    file at both names. The post is then published, and approved, already."""
    try:
        text = recorded.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    name = post_name(store, recorded)
    try:
        if not post_format.is_draft(name, text):
            return None
        published = store.posts_dir / post_format.approve(name, text)[0]
    except ValueError:  # a post broken by hand: its page says so; it is no move left halfway
        return None
    try:
        return published if published != recorded and os.path.samefile(recorded, published) else None
    except OSError:  # nothing at the published place
        return None


def front_matter_source(path: Path, post_format: PostFormat) -> str | None:
    try:
        return post_format.loads(path.read_text(encoding="utf-8")).source or None
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def site_tags(posts_dir: Path, limit: int, post_format: PostFormat) -> list[str]:
    """The tags most used by the posts already in the site, to keep its vocabulary small."""
    if limit <= 0 or not posts_dir.is_dir():
        return []
    counts: Counter[str] = Counter()
    for path in posts_dir.rglob("*.md"):  # a format's posts may be in folders (Hexo's source/_posts/)
        try:
            counts.update(post_format.loads(path.read_text(encoding="utf-8")).tags)
        except (OSError, UnicodeDecodeError, ValueError):  # a post the reviewer broke offers no tags
            continue
    # Most used first; ties alphabetically, so the prompt (and its cache) does not flutter.
    return [tag for tag, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def source_of(path: Path, post_format: PostFormat) -> str | None:
    """The post's ``source``, read again only when the file changed."""
    path = Path(os.path.abspath(path))  # the key holds for any working folder
    try:
        info = path.stat()
    except OSError:
        return None
    with _LOCK:
        cached = _SOURCES.get(path)
    if cached is not None and cached[:2] == (info.st_mtime_ns, info.st_size):
        return cached[2]
    source = front_matter_source(path, post_format)
    with _LOCK:
        _SOURCES[path] = (info.st_mtime_ns, info.st_size, source)
    return source


# How long an index is trusted on its folders' times alone.
_WALK_EVERY = 1.0


@dataclass
class _Index:
    folders: dict[str, int] = field(default_factory=dict)  # each folder walked -> its mtime then
    by_source: dict[str, Path] = field(default_factory=dict)  # the first post in name order
    walked_at: float = field(default_factory=time.monotonic)

    def current(self) -> bool:
        if time.monotonic() - self.walked_at > _WALK_EVERY:
            return False
        try:
            return all(os.stat(folder).st_mtime_ns == mtime for folder, mtime in self.folders.items())
        except OSError:
            return False

    def add(self, path: Path, source: str | None) -> None:
        if source and (source not in self.by_source or path < self.by_source[source]):
            self.by_source[source] = path


def _walk(posts_dir: Path, post_format: PostFormat) -> _Index:
    index = _Index()
    folders = [str(posts_dir)]
    while folders:
        folder = folders.pop()
        try:
            # The folder's time before its listing: a change during the listing shows next time.
            index.folders[folder] = os.stat(folder).st_mtime_ns
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):  # links to folders are not followed
                folders.append(entry.path)
            elif entry.name.endswith(".md"):
                index.add(Path(entry.path), source_of(Path(entry.path), post_format))
    return index


_INDEXES: dict[Path, _Index] = {}
_INDEX_LOCK = threading.Lock()


def find_post_by_source(posts_dir: Path, source: str, post_format: PostFormat) -> Path | None:
    """The post whose front matter has this ``source`` (the first in name order), if any; the
    posts read as ``post_format`` writes them."""
    if not posts_dir.is_dir():
        return None
    posts_dir = Path(os.path.abspath(posts_dir))  # the key holds for any working folder
    with _INDEX_LOCK:
        index = _INDEXES.get(posts_dir)
        if index is None or not index.current():
            index = _INDEXES[posts_dir] = _walk(posts_dir, post_format)
        path = index.by_source.get(source)
        if path is not None and source_of(path, post_format) != source:  # edited in place since the walk
            index = _INDEXES[posts_dir] = _walk(posts_dir, post_format)
            path = index.by_source.get(source)
    return path


def post_written(posts_dir: Path, path: Path, source: str) -> None:
    """The pipeline wrote ``path`` (with this ``source``): keep the index current without a walk."""
    posts_dir, path = Path(os.path.abspath(posts_dir)), Path(os.path.abspath(path))
    with _INDEX_LOCK:
        index = _INDEXES.get(posts_dir)
        folder = str(path.parent)
        if index is None or folder not in index.folders:
            return  # not walked yet, or a new folder: the next look walks
        index.add(path, source)
        try:
            index.folders[folder] = os.stat(folder).st_mtime_ns
        except OSError:
            del _INDEXES[posts_dir]
