"""Ctrl-C at any moment, the first tenths of a second included: exit 130, one line, no traceback.
A subprocess test: it is about the process and its signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.batch_videos import make_videos
from tests.conftest import ROOT
from tests.fakellm import FakeLLM


@pytest.mark.parametrize("delay", [0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0])
def test_ctrl_c_at_any_moment_exits_130_with_one_line(tmp_path: Path, delay: float) -> None:
    make_videos(tmp_path / "videos", 6)
    with FakeLLM(latency=0.3) as server:
        env = dict(os.environ, OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test", PYTHONPATH=str(ROOT))
        proc = subprocess.Popen([sys.executable, "-m", "pipeline", "run", "videos"], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, err)
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith(("interrupted", "error"))]
    assert len(lines) == 1 and lines[0].startswith("interrupted"), err
