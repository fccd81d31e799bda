"""``yt2post`` on a real pseudo-terminal, read back through a terminal emulator (pyte), so a
test sees the screens a user sees: the live display as drawn, and what is printed above it."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from dataclasses import dataclass, field
from pathlib import Path

import pyte

from tests.fakellm import FakeLLM
from tests.processes import pipeline_env


@dataclass
class TerminalRun:
    code: int
    screens: list[list[str]] = field(default_factory=list)  # the screen after each chunk of output

    @property
    def last(self) -> list[str]:
        return self.screens[-1]

    def lines(self) -> list[str]:
        """Every line any screen showed (each once), trailing blanks cut."""
        seen: dict[str, None] = {}
        for screen in self.screens:
            for line in screen:
                if line.strip():
                    seen.setdefault(line.rstrip(), None)
        return list(seen)


def run_on_terminal(args: list[str], cwd: Path, server: FakeLLM, *, columns: int = 120, rows: int = 200,
                    timeout: float = 120) -> TerminalRun:
    """``python -m pipeline ARGS`` with stdin, stdout and stderr on a pseudo-terminal of
    ``columns`` × ``rows`` (tall, so nothing printed scrolls out of sight)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = pipeline_env(server, TERM="xterm-256color", COLUMNS=str(columns), LINES=str(rows))
    for name in ("NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):  # what would tell rich it is no terminal
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=cwd, env=env,
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    screen = pyte.Screen(columns, rows)
    stream = pyte.ByteStream(screen)
    run = TerminalRun(code=-1)
    try:
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            assert ready, f"no output for {timeout} s"
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal (Linux answers EIO)
                break
            if not chunk:
                break
            stream.feed(chunk)
            run.screens.append(list(screen.display))
        run.code = proc.wait(timeout)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return run
