"""Output-folder benchmark: what a user waits for on a folder of 1,000 finished videos.

The videos are the real fixture video under 1,000 ids (``tests.many_videos``), run once through
the real pipeline against the local model server with no latency. Then, each as the user runs
it (the console script in a fresh process, the median of ``--repeat`` runs after a warm-up):

- ``yt2post status``: the table of every video;
- ``yt2post run videos/``: a no-op rerun (every artifact current: no model call, no write).

Each is reported as wall time and as the process's CPU time (user + system), which a loaded
machine disturbs much less.

These are the figures the speed rules of the store and the runner were judged by (issue 19:
a rule stays only where removing it makes one of them worse by more than 10%).

    python benchmarks/folder.py [--videos 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.runs import fake_server  # noqa: E402
from tests.many_videos import make_videos  # noqa: E402


def timed(args: list[str], cwd: Path, env: dict[str, str], repeat: int) -> tuple[list[float], list[float]]:
    """Wall times and CPU times (user + system) of the command. On a shared machine the CPU
    time moves far less with the load than the wall time does."""
    subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=True)  # warm-up: the OS file cache
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def _figure(samples: list[float]) -> str:
    return f"{statistics.median(samples):.3f} s ({min(samples):.3f}–{max(samples):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    script = shutil.which("yt2post", path=str(Path(sys.executable).parent)) or "yt2post"
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, fake_server(0.0) as base_url:
        work = Path(tmp)
        make_videos(work / "videos", args.videos)
        env = dict(os.environ, PYTHONPATH=str(ROOT), OPENAI_API_KEY="benchmark-key", OPENAI_BASE_URL=base_url)
        started = time.perf_counter()
        subprocess.run([script, "run", "videos"], cwd=work, env=env, capture_output=True, check=True)
        first = time.perf_counter() - started
        with urllib.request.urlopen(f"{base_url}/_stats") as response:
            calls_before = json.load(response)["calls"]
        status = timed([script, "status"], work, env, args.repeat)
        rerun = timed([script, "run", "videos"], work, env, args.repeat)
        with urllib.request.urlopen(f"{base_url}/_stats") as response:
            calls_after = json.load(response)["calls"]
    print(f"videos                      {args.videos}")
    print(f"first run (0 s per call)    {first:.2f} s")
    print(f"medians of {args.repeat} runs   wall time               CPU time (user + system)")
    print(f"yt2post status              {_figure(status[0])}   {_figure(status[1])}")
    print(f"no-op rerun                 {_figure(rerun[0])}   {_figure(rerun[1])}")
    print(f"model calls of the reruns   {calls_after - calls_before}")
    print(f"load average before/after   {' '.join(f'{x:.2f}' for x in load)} / "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
