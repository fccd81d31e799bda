"""Batch benchmark: many local videos against the local fake model server.

Prints the wall time, the ideal time (calls x latency / concurrency), their ratio, the most
LLM calls seen in flight, and the pipeline's own time per video with zero model latency.
Targets: at concurrency 8 the wall time is within 15% of the ideal; the overhead is under
30 ms per video.

    python benchmarks/batch.py [--videos 40] [--latency 0.5] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.config import Config  # noqa: E402
from pipeline.progress import PlainReporter  # noqa: E402
from pipeline.runner import RunOptions, Runner  # noqa: E402
from pipeline.sources import expand_sources  # noqa: E402
from pipeline.store import Store  # noqa: E402
from tests.batch_videos import make_videos  # noqa: E402


@contextmanager
def fake_server(latency: float) -> Iterator[str]:
    """The test server in its own process, so that its work is not counted as the pipeline's."""
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen([sys.executable, "-m", "tests.fakellm", "--latency", str(latency)], cwd=root,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=10)


def run_batch(videos_dir: Path, out: Path, latency: float, concurrency: int) -> tuple[float, int, int]:
    with fake_server(latency) as base_url:
        config = Config.model_validate({"llm": {"base_url": base_url, "concurrency": concurrency}})
        videos = expand_sources([str(videos_dir)])
        runner = Runner(config, Store(out), RunOptions(), PlainReporter(io.StringIO()))
        started = time.perf_counter()
        summary = runner.run(videos)
        wall = time.perf_counter() - started
        if summary.failures:
            raise SystemExit(f"benchmark run failed: {summary.failures[0].message}")
        with urllib.request.urlopen(f"{base_url}/_stats") as response:
            stats = json.load(response)
        return wall, stats["calls"], stats["max_in_flight"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=40)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    import os

    os.environ.setdefault("OPENAI_API_KEY", "benchmark-key")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_videos(root / "videos", args.videos)
        wall, calls, in_flight = run_batch(root / "videos", root / "out-latency", args.latency, args.concurrency)
        ideal = calls * args.latency / args.concurrency
        zero_wall, zero_calls, _ = run_batch(root / "videos", root / "out-zero", 0.0, args.concurrency)
        overhead_ms = zero_wall / args.videos * 1000
    ratio = wall / ideal
    print(f"videos                      {args.videos}")
    print(f"LLM calls                   {calls}")
    print(f"latency per call            {args.latency:.3f} s")
    print(f"concurrency                 {args.concurrency}")
    print(f"wall time                   {wall:.2f} s")
    print(f"ideal time                  {ideal:.2f} s")
    print(f"wall / ideal                {ratio:.3f}  (target <= 1.15: {'met' if ratio <= 1.15 else 'MISSED'})")
    print(f"most LLM calls in flight    {in_flight}")
    print(f"own time per video (0 s)    {overhead_ms:.1f} ms  (target < 30 ms: "
          f"{'met' if overhead_ms < 30 else 'MISSED'})")


if __name__ == "__main__":
    main()
