"""Writing files safely: whole or not at all, never outside their folder, and a full disk as a
typed error.

Every file the pipeline writes (artifacts, posts, the desk's saves, the watch list) goes
through ``atomic_write_bytes``: written to a temporary name beside the target and renamed into
place, so an interrupted or killed run never leaves half a file behind.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import time
from pathlib import Path

from pipeline.errors import ArtifactError, DiskFull, StorageError

# The pipeline's own temporary files: ``.<name>.yt2post-<8 of [a-z0-9_]>.tmp``. Start-up
# cleanup deletes nothing else, so a user's ``.notes.tmp`` is safe.
TEMP_PREFIX_MARK = ".yt2post-"
TEMP_NAME = re.compile(r"\..+\.yt2post-[a-z0-9_]{8}\.tmp")
# A file's (modification time, size, inode): any write changes it, and so does a rename over
# it (a new inode), which is how every file here is replaced.
Stamp = tuple[int, int, int]


def stamp_of(info: os.stat_result) -> Stamp:
    return info.st_mtime_ns, info.st_size, info.st_ino


def storage_error(path: Path, exc: OSError) -> StorageError:
    """An OS error of a write as a typed error naming the path: ``disk_full`` or ``io_error``."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(f"{path}: disk full ({exc.strerror}): this write was abandoned, earlier files are intact")
    return StorageError(f"{path}: cannot write: {exc.strerror or exc}")


def atomic_write_bytes(path: Path, data: bytes) -> Stamp:
    """Write ``data`` to ``path`` whole; the new file's stamp, as the file has it after the rename."""
    try:
        return _atomic_write_bytes(path, data)
    except OSError as exc:
        raise storage_error(path, exc) from None


def atomic_write_text(path: Path, text: str) -> Stamp:
    return atomic_write_bytes(path, text.encode("utf-8"))


def _create_temp(path: Path) -> tuple[int, str]:
    # Mode 0o666 through the umask, as any new file gets (mkstemp would make it private).
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    while True:
        tmp = f"{path.parent}{os.sep}.{path.name}{TEMP_PREFIX_MARK}{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue  # another writer drew the same 32 random bits


def _atomic_write_bytes(path: Path, data: bytes) -> Stamp:
    try:
        fd, tmp = _create_temp(path)
    except FileNotFoundError:  # the folder comes first only for a file's first write
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            stamp = stamp_of(os.fstat(fd))  # a rename keeps the inode and the modification time
        # The rename is what makes the write whole for an interrupted or killed run; no fsync:
        # surviving power loss is not worth a disk flush per artifact.
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return stamp


def ensure_inside(path: Path, folder: Path) -> Path:
    """``path`` itself, once it is known to resolve (links followed) inside ``folder``: a second
    guard behind the validation of every name, so that no name can make a write leave its folder."""
    if _plainly_inside(path, folder):
        return path
    resolved = path.resolve()
    if not resolved.is_relative_to(folder.resolve()) or resolved == folder.resolve():
        raise ArtifactError(f"{path}: refusing to write outside {folder}")
    return path


def _plainly_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is below ``folder`` by its names alone (no ``..``) and no part below
    ``folder`` is a link: then it resolves inside wherever ``folder`` itself resolves. A few
    ``lstat`` calls instead of resolving both paths in full, which costs dozens per artifact."""
    base, target = str(folder), str(path)  # strings: pathlib's relative_to costs more than the lstat calls
    if not target.startswith(base + os.sep):
        return False
    parts = target[len(base) + 1:].split(os.sep)
    if ".." in parts:
        return False
    current = base
    for part in parts:
        current = f"{current}{os.sep}{part}"
        try:
            mode = os.lstat(current).st_mode
        except OSError:
            return True  # the rest does not exist yet: it resolves by its names, as resolve() does
        if stat.S_ISLNK(mode):
            return False
    return True


def remove_stale_temp_files(folders: list[Path], inside: Path, older_than: float) -> int:
    """Our temporary files (never a finished file: those are renamed whole) under ``folders``
    that are older than ``older_than`` seconds and resolve inside ``inside``."""
    removed = 0
    root = inside.resolve()
    cutoff = time.time() - older_than
    for folder in folders:
        for dirpath, _dirs, names in os.walk(folder):  # links to folders are not followed
            for name in names:
                path = Path(dirpath) / name
                # Only our own names, only regular files, only inside the output folder once
                # links are resolved (``posts/`` may be a link to somewhere else).
                if (TEMP_NAME.fullmatch(name) and not path.is_symlink() and path.is_file()
                        and path.resolve().is_relative_to(root) and path.stat().st_mtime < cutoff):
                    path.unlink(missing_ok=True)
                    removed += 1
    return removed
