"""The chaos test: a batch of real local videos under random kills, SIGTERMs, model faults and a
full disk, repeated until the command exits 0; then nothing may be lost, torn, paid twice or
written outside the output folder. ``CHAOS_SEED=N`` replays a run; the longer variant is
``benchmarks/chaos.py``. Needs root for its small tmpfs: without it the test fails, loudly."""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.chaos import CONCURRENCY, run_chaos

DEFAULT_SEED = 12  # kills, a SIGTERM and a full disk, in about 12 s


def test_chaos(tmp_path: Path) -> None:
    seed = int(os.environ.get("CHAOS_SEED", DEFAULT_SEED))
    print(f"chaos seed {seed} (replay with CHAOS_SEED={seed})")
    report = run_chaos(seed, 30, tmp_path, chaos_rounds=6)
    print(report.summary())
    for number, round_ in enumerate(report.rounds):
        print(f"round {number}: {round_.action} -> exit {round_.code}")
    assert not report.problems, f"seed {seed}: " + "\n".join(report.problems)
    # The run was really disturbed, by the process and by the model server.
    assert report.interruptions >= 1, report.summary()
    assert any(call.fault for call in report.calls), report.summary()
    assert report.wasted_calls <= report.interruptions * CONCURRENCY
