"""Ctrl-C at any moment, the first tenths of a second included: exit 130, one line, no traceback.
A subprocess test: it is about the process and its signals.

Each delay counts from the moment our entry point runs (``pipeline._entry`` installs its
handlers): before that a signal meets the interpreter's own start-up, which no program can
catch, and on a loaded machine that start-up alone can outlast a fixed delay. The model's
answers are held until the signal is sent, so the run can never finish before it either.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.many_videos import make_videos
from tests.fakellm import FakeLLM
from tests.processes import Hold, start_pipeline, wait_for_entry


def _interrupt(tmp_path: Path, delay: float | None) -> tuple[int, str]:
    """Start a run, send SIGINT ``delay`` seconds after the entry point ran (None: once the
    first model call is in flight) and return the exit status and stderr."""
    make_videos(tmp_path / "videos", 6)
    hold = Hold()
    with FakeLLM(responder=hold) as server:
        proc = start_pipeline(["run", "videos"], tmp_path, server)
        try:
            wait_for_entry(proc)
            if delay is None:
                hold.wait_held()
            else:
                time.sleep(delay)
            assert proc.poll() is None, "the run ended before the signal"
            proc.send_signal(signal.SIGINT)
        finally:
            hold.release()
        _, err = proc.communicate(timeout=60)
    return proc.returncode, err


@pytest.mark.parametrize("delay", [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, None])
def test_ctrl_c_at_any_moment_exits_130_with_one_line(tmp_path: Path, delay: float | None) -> None:
    code, err = _interrupt(tmp_path, delay)
    assert code == 130, (code, err)
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith(("interrupted", "error"))]
    assert len(lines) == 1 and lines[0].startswith("interrupted"), err


def test_a_signal_python_wrapped_into_another_error_still_stops_like_a_signal() -> None:
    """SIGTERM while an import creates a class comes out as "RuntimeError: Error calling
    __set_name__" (seen in CI): the boundary must still exit 143, not 1."""
    from click.testing import CliRunner

    import click

    from pipeline.cli.base import boundary
    from pipeline.lock import Terminated

    @click.command()
    @click.option("--verbose", is_flag=True)
    @boundary
    def command(verbose: bool) -> int:
        try:
            raise Terminated()
        except BaseException as exc:
            raise RuntimeError("Error calling __set_name__ on 'Field' instance") from exc

    result = CliRunner().invoke(command, [])
    assert result.exit_code == 143 and result.stderr.startswith("terminated:"), result.stderr


def test_a_command_run_inside_another_program_gives_its_signal_handlers_back(cli) -> None:
    """The library's CLI called in a test runner (or any host program) must not leave Ctrl-C
    ignored there: only the console script, which owns its process, keeps its handling."""
    import signal

    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    assert cli("status").code == 0
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
