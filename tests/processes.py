"""Helpers for the tests that are about the process itself (signals, locks between two runs,
exit statuses): start ``python -m pipeline``, know when our own code is running, and hold the
model's answers so that "while calls are in flight" is a fact rather than a guessed latency."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.conftest import ROOT
from tests.fakellm import FakeLLM, default_answer


def pipeline_env(server: FakeLLM, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test",
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""), **extra)
    return env


def start_pipeline(args: list[str], cwd: Path, server: FakeLLM) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=cwd, env=pipeline_env(server),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def catches(pid: int, signum: int) -> bool:
    """Whether the process has a handler of its own for ``signum`` (Linux: ``SigCgt``)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    for line in status.splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


def wait_for_entry(proc: subprocess.Popen[str], timeout: float = 60) -> None:
    """Until the program's entry point has run its first lines (``pipeline._entry`` installs a
    SIGTERM handler; the interpreter alone never catches SIGTERM). Before that moment a signal
    meets the interpreter's start-up, not our code, however loaded the machine is."""
    deadline = time.monotonic() + timeout
    while not catches(proc.pid, signal.SIGTERM):
        assert proc.poll() is None, f"the process ended before its entry point ran: {proc.returncode}"
        assert time.monotonic() < deadline, "the entry point never ran"
        time.sleep(0.002)


class Hold:
    """A responder for ``FakeLLM``: answers the first ``free`` calls at once and holds every later
    one until ``release()``. While a call is held the run cannot finish, so a signal or a second
    run surely meets a run with work in flight, on a fast machine and on a loaded one alike."""

    def __init__(self, free: int = 0, timeout: float = 60) -> None:
        self.free = free
        self.timeout = timeout
        self.held = threading.Event()
        self.released = threading.Event()
        self._count = 0
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> dict[str, Any] | str:
        with self._lock:
            self._count += 1
            number = self._count
        if number > self.free:
            self.held.set()
            self.released.wait(self.timeout)
        return default_answer(body) if body.get("response_format") else "OK"

    def wait_held(self, timeout: float = 60) -> None:
        assert self.held.wait(timeout), "no model call arrived to hold"

    def release(self) -> None:
        self.released.set()


class Watched:
    """A ``python -m pipeline`` process whose output is read while it runs, so a test can wait
    for a line ("waiting: ...") instead of sleeping for a guessed time."""

    def __init__(self, args: list[str], cwd: Path, server: FakeLLM) -> None:
        self.proc = start_pipeline(args, cwd, server)
        self.pid = self.proc.pid
        self._out: list[str] = []
        self._err: list[str] = []
        self._changed = threading.Condition()
        self._readers = [threading.Thread(target=self._read, args=(stream, lines), daemon=True)
                         for stream, lines in ((self.proc.stdout, self._out), (self.proc.stderr, self._err))]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: Any, lines: list[str]) -> None:
        for line in stream:
            with self._changed:
                lines.append(line)
                self._changed.notify_all()
        with self._changed:  # the end of the output: a waiter stops hoping for its line
            self._changed.notify_all()

    def wait_for_stderr(self, text: str, timeout: float = 60) -> None:
        with self._changed:
            found = self._changed.wait_for(lambda: any(text in line for line in self._err)
                                           or self.proc.poll() is not None, timeout)
            assert found and any(text in line for line in self._err), (text, "".join(self._err))

    def finish(self, timeout: float = 120) -> tuple[int, str, str]:
        code = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(timeout)
        return code, "".join(self._out), "".join(self._err)


def terminate_while_held(run: Watched, hold: Hold, *, once: Any = None) -> None:
    """SIGTERM while a model call is held (after ``once()``, if given, e.g. a wait for more calls);
    the held answers come only after the run has said it stops starting work: a fact, not a
    guess at how long handling the signal takes (under load it once took them all)."""
    try:
        hold.wait_held()
        if once is not None:
            once()
        run.proc.send_signal(signal.SIGTERM)
        run.wait_for_stderr("stopping:")
    finally:
        hold.release()
