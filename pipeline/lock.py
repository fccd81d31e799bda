"""One run per output folder, and SIGTERM handled like Ctrl-C.

Two runs on one output folder would pay twice for the same videos, and the second one's
start-up cleanup would delete the first one's temporary files. Every command that writes takes
the folder's lock (``<out>/.yt2post.lock``, a ``filelock`` lock: an OS lock, so a process that
dies, even by SIGKILL, leaves no stale lock behind). A second run waits for it, saying so, or
with ``--no-wait`` stops at once naming the holder's pid. ``status`` reads without it.

SIGTERM (what systemd, Docker, CI runners and ``timeout`` send) becomes :class:`Terminated`, a
``KeyboardInterrupt``: the runner stops starting work and lets writes in flight finish, exactly
as for Ctrl-C, and the CLI exits with 143 (128 + SIGTERM).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from pipeline.errors import UsageError

LOCK_NAME = ".yt2post.lock"
TERMINATED_STATUS = 128 + signal.SIGTERM



class OutputLocked(UsageError):
    """Another run holds the output folder and ``--no-wait`` was given (exit status 2)."""

    cause = "locked"


class Terminated(KeyboardInterrupt):
    """SIGTERM: stop like Ctrl-C."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def handle_sigterm() -> None:
    """From now on SIGTERM unwinds the main thread like Ctrl-C (only the main thread can set it)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_terminated)


def holder_pid(root: Path) -> int | None:
    """The pid the holder wrote into the lock file, when it is readable."""
    try:
        text = (root / LOCK_NAME).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def _record_pid(fd: int) -> None:
    # Called by filelock with the lock's own descriptor once the lock is held. The pid is only
    # for messages: a full disk must not stop the run from taking its lock.
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    except OSError:
        pass


@contextmanager
def output_lock(root: Path, *, wait: bool = True, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold ``root``'s lock for the block; wait for another holder (telling ``on_wait``) or,
    with ``wait=False``, raise :class:`OutputLocked` naming the holder's pid."""
    from filelock import FileLock, Timeout  # here: the CLI's start-up should not pay for it

    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{root}: cannot use this output folder: {exc.strerror or exc}") from None
    lock = FileLock(str(root / LOCK_NAME), on_acquired=_record_pid)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        pid = holder_pid(root)
        who = f"another yt2post run (pid {pid})" if pid else "another yt2post run"
        if not wait:
            raise OutputLocked(f"{root}: {who} is using this output folder; try again when it ends, "
                               "or leave out --no-wait to wait for it") from None
        if on_wait is not None:
            on_wait(f"waiting: {who} is using {root}; this run starts when it ends")
        lock.acquire(poll_interval=0.2)
    except OSError as exc:  # (after Timeout, one of its kind) a read-only folder, a lock file not ours
        raise UsageError(f"{root}: cannot lock this output folder: {exc.strerror or exc}") from None
    try:
        yield
    finally:
        lock.release()
