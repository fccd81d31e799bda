"""Long-transcript benchmark: what a 3-hour and a 10-hour video cost in model input and memory.

For each: the characters sent to the model (all messages, prompt templates included) divided
by the characters of the transcript (target <= 1.15 for 3 hours), the number of calls, and
the peak memory (RSS) of the ``yt2post run`` process. The transcripts are real podcasts,
concatenated (see tests/long_transcripts.py).

    python benchmarks/long.py
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.runs import fake_server  # noqa: E402
from tests.long_transcripts import info_json, ten_hours, three_hours, write_srt  # noqa: E402


def peak_rss_mb(args: list[str], env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run a child and return its peak RSS (MB) and wall time; children are measured one at a time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run(args, env=env, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(after, before) / 1024, wall, result


def case(name: str, segments: list, tmp: Path) -> dict[str, float]:
    video_id = f"long{name}"[:11].ljust(11, "x")
    srt = write_srt(segments, tmp / f"{video_id}.srt")
    info = info_json(tmp, video_id, f"A {name} podcast", segments[-1].end)
    out = tmp / f"out-{name}"
    with fake_server(0.0) as base_url:
        env = dict(os.environ, OPENAI_BASE_URL=base_url, OPENAI_API_KEY="benchmark-key", PYTHONPATH=str(ROOT))
        rss, wall, result = peak_rss_mb([sys.executable, "-m", "pipeline", "run", str(info), "--subtitles", str(srt),
                                         "--out", str(out)], env)
        if result.returncode != 0:
            raise SystemExit(f"{name}: yt2post failed:\n{result.stderr}")
        with urllib.request.urlopen(f"{base_url}/_stats") as response:
            stats = json.load(response)
    transcript = json.loads((out / "videos" / video_id / "transcript.json").read_text(encoding="utf-8"))
    transcript_chars = sum(len(p["text"]) for p in transcript["paragraphs"])
    return {"hours": segments[-1].end / 3600, "transcript_chars": transcript_chars, "calls": stats["calls"],
            "ratio": stats["message_chars"] / transcript_chars, "rss_mb": rss, "wall": wall,
            "srt_mb": srt.stat().st_size / 1e6}


def main() -> None:
    baseline, _, _ = peak_rss_mb([sys.executable, "-m", "pipeline", "--help"], dict(os.environ, PYTHONPATH=str(ROOT)))
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        results = {"3h": case("3h", three_hours(), tmp), "10h": case("10h", ten_hours(), tmp)}
    print(f"baseline RSS (yt2post --help)  {baseline:.0f} MB")
    for name, r in results.items():
        print(f"{name}: {r['hours']:.1f} h, transcript {r['transcript_chars']:,} chars (SRT {r['srt_mb']:.1f} MB)")
        target = "  (target <= 1.15: " + ("met)" if r["ratio"] <= 1.15 else "MISSED)") if name == "3h" else ""
        print(f"  sent / transcript chars      {r['ratio']:.3f}{target}")
        print(f"  LLM calls                    {r['calls']}")
        print(f"  peak RSS                     {r['rss_mb']:.0f} MB")
        print(f"  wall time (0 s latency)      {r['wall']:.1f} s")


if __name__ == "__main__":
    main()
