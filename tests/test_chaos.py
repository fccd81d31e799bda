"""The chaos test: a batch of real local videos (one of them 3.5 hours long) under random kills, SIGTERMs, model faults and a
full disk, repeated until the command exits 0; then nothing may be lost, torn, paid twice or
written outside the output folder. ``CHAOS_SEED=N`` replays a run; the longer variant is
``benchmarks/chaos.py``. Needs root for its small tmpfs: without it the test fails, loudly."""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.chaos import CONCURRENCY, run_chaos

# Full disks and kills that meet the long video between part answers (before its part answers
# were saved, this seed lost 70 answered calls against a bound of 24).
DEFAULT_SEED = 13


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
    # Whether a kill meets the long video between its part answers depends on the machine's
    # timing (a CI run under load had none): the part answers kept are in the summary, and the
    # answered calls lost stay within the bound above either way.
