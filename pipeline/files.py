"""Files written safely (whole or not at all, never outside their folder, a full disk as a
typed error), and locked.

Every file the pipeline writes (artifacts, posts, the desk's saves, the watch list) goes
through ``atomic_write_bytes``: written to a temporary name beside the target and renamed into
place, so an interrupted or killed run never leaves half a file behind.
"""

from __future__ import annotations

import errno
import os
import random
import re
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

from pipeline.errors import ArtifactError, DiskFull, StorageError

# The pipeline's own temporary files: ``.<name>.yt2post-<8 of [a-z0-9_]>.tmp``. Start-up
# cleanup deletes nothing else, so a user's ``.notes.tmp`` is safe.
TEMP_PREFIX_MARK = ".yt2post-"
TEMP_NAME = re.compile(r"\..+\.yt2post-[a-z0-9_]{8}\.tmp")


def storage_error(path: Path, exc: OSError) -> StorageError:
    """An OS error of a write as a typed error naming the path: ``disk_full`` or ``io_error``."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(f"{path}: disk full ({exc.strerror}): this write was abandoned, earlier files are intact")
    return StorageError(f"{path}: cannot write: {exc.strerror or exc}")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole."""
    try:
        _atomic_write_bytes(path, data)
    except OSError as exc:
        raise storage_error(path, exc) from None


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def create_new_text(path: Path, text: str) -> None:
    """Write ``text`` whole at ``path`` only if no file has that name: FileExistsError if one
    does. The finished temporary file is linked to the name, which fails when the name is
    taken: choosing a name and creating the file are one step, so two writers never both get
    the same name, nor does one replace the other's file."""
    try:
        _atomic_write_bytes(path, text.encode("utf-8"), replace=False)
    except FileExistsError:
        raise
    except OSError as exc:
        raise storage_error(path, exc) from None


def _create_temp(path: Path) -> tuple[int, str]:
    # Mode 0o666 through the umask, as any new file gets (mkstemp would make it private). The
    # name needs no strong randomness (O_EXCL settles a clash), so none is asked of the kernel.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    while True:
        tmp = f"{path.parent}{os.sep}.{path.name}{TEMP_PREFIX_MARK}{random.getrandbits(32):08x}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue  # another writer drew the same 32 bits


def _atomic_write_bytes(path: Path, data: bytes, *, replace: bool = True) -> None:
    try:
        fd, tmp = _create_temp(path)
    except FileNotFoundError:  # the folder comes first only for a file's first write
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_temp(path)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        # The rename is what makes the write whole for an interrupted or killed run; no fsync:
        # surviving power loss is not worth a disk flush per artifact.
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # a link, unlike a rename, never replaces a file of that name
            os.unlink(tmp)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_inside(path: Path, folder: Path, *, doing: str = "write") -> Path:
    """``path`` itself, once it is known to resolve (links followed) inside ``folder``: a second
    guard behind the validation of every name, so that no name (nor a link planted in the
    output folder) can make a read or a write leave its folder."""
    if _plainly_inside(path, folder):
        return path
    resolved, inside = path.resolve(), folder.resolve()
    if not resolved.is_relative_to(inside) or resolved == inside:
        raise ArtifactError(f"{path}: refusing to {doing} outside {folder}")
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


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """An OS lock on ``path`` (created, with its folder, when missing) for the block: other
    processes and other threads wait. Taken for every video, so on POSIX it is a bare
    ``flock``: filelock's FileLock makes some fifty system calls per acquisition (its fork and
    thread bookkeeping), a tenth of a millisecond each time. Elsewhere, filelock."""
    if fcntl is None:
        from filelock import FileLock

        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(path)):
            yield
        return
    flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o666)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, flags, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a new descriptor per holder: threads exclude each other too
        yield
    finally:
        os.close(fd)  # which releases the lock
