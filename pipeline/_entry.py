"""The console script's first code: Ctrl-C while Python is still importing the program (the
first few tenths of a second) exits 130 with one line, like Ctrl-C at any later moment."""

from __future__ import annotations

import os
import signal
import sys


def _interrupted_early(signum: int, frame: object) -> None:
    # Nothing has been written yet, so there is nothing to finish: leave at once.
    sys.stderr.write("interrupted\n")
    sys.stderr.flush()
    os._exit(130)


def _terminated_early(signum: int, frame: object) -> None:
    sys.stderr.write("terminated\n")
    sys.stderr.flush()
    os._exit(143)


def main() -> None:
    signal.signal(signal.SIGINT, _interrupted_early)
    signal.signal(signal.SIGTERM, _terminated_early)  # SIGTERM is Ctrl-C's twin (pipeline.lock)
    from pipeline.cli import base
    from pipeline.cli.main import main as cli_main  # the boundary installs the normal handler

    base.OWNS_PROCESS = True

    try:
        cli_main(prog_name="yt2post")
    except SystemExit as exc:
        if exc.code in (130, 143):
            # CPython remembers a KeyboardInterrupt raised while some C code ran Python code
            # (during imports) even after it was handled, and at exit kills itself with SIGINT,
            # so the shell would see -2 instead of the 130 the boundary chose. The boundary has
            # already let work in flight finish and printed its line: leave with 130 now.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(int(exc.code))
        raise
