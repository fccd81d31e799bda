"""Start-up benchmark: how long ``yt2post --help`` and ``yt2post status`` take, beside
``python -c pass``. Target: under 0.35 s each (goal 0.15 s).

Each command runs ``--runs`` times (after one warm-up run that fills the OS file cache); the
median and the slowest are printed, with the machine's load average.

    python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.many_videos import make_videos  # noqa: E402

TARGET = 0.35


def timed(args: list[str], cwd: Path, runs: int) -> list[float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    script = shutil.which("yt2post", path=str(Path(sys.executable).parent)) or "yt2post"
    with tempfile.TemporaryDirectory() as tmp:
        empty, filled = Path(tmp) / "empty", Path(tmp) / "filled"
        empty.mkdir()
        filled.mkdir()
        # An output folder with 20 fetched videos, so status has something to read.
        make_videos(filled / "videos", 20)
        subprocess.run([script, "fetch", "videos"], cwd=filled, capture_output=True, check=True,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
        cases = [
            ("python -c pass", [sys.executable, "-c", "pass"], empty),
            ("yt2post --help", [script, "--help"], empty),
            ("yt2post status (empty folder)", [script, "status"], empty),
            ("yt2post status (20 videos)", [script, "status"], filled),
        ]
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, runs: {args.runs}")
        failed = False
        for name, command, cwd in cases:
            times = timed(command, cwd, args.runs)
            median = statistics.median(times)
            verdict = "" if name.startswith("python") else ("  ok" if median < TARGET else "  OVER TARGET")
            failed |= verdict == "  OVER TARGET"
            print(f"{name:32s} median {median:.3f} s  max {max(times):.3f} s{verdict}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
