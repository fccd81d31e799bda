"""Chaos run: a batch of local videos under random faults, repeated until it succeeds.

The real ``yt2post run`` command runs in its own process against the test model server (in
this process, so it outlives every kill) with an output folder on a small real file system
(tmpfs). Each round does one of: SIGKILL at a random moment, SIGTERM at a random moment, the
disk filling up part way through, or a plain run; the model server meanwhile answers some calls
with 429, 500, a reset connection, a truncated answer, a hang past ``llm.timeout`` or a body
trickled a byte at a time. Rounds repeat until one exits 0. Then the invariants are checked:

- every video has exactly one post, recorded in its ``post.json``, none taken for a reviewer's;
- no file is torn: every JSON parses, every post loads;
- nothing was written outside the output folder;
- no model call was made for a video whose article was already current when its round began;
- the answered model calls that were lost are at most the number of interrupted rounds (any
  exit but 0) times ``llm.concurrency``: counted per call, so a long video's part answers
  saved in its ``parts.json`` during the round are not lost even though its article was not
  written. The extra calls a truncated answer causes (its two halves) are the server's doing
  and not counted.

One video of the mix is long: the real 3.5-hour podcast transcript of ``tests/long_transcripts.py``,
split into about ten parts (``llm.max_output_tokens`` is lowered for that), so that kills and
the full disk meet it between part answers.

The seed is printed; ``CHAOS_SEED`` replays a run. Needs root (it mounts a tmpfs).

    python benchmarks/chaos.py [--videos 60] [--seeds 5] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import frontmatter  # noqa: E402

from tests.fakellm import FakeLLM, Reply, default_answer  # noqa: E402
from tests.long_transcripts import three_hours, write_srt  # noqa: E402

FIXTURE_VIDEOS = ROOT / "tests" / "fixtures" / "videos"
# Real fixture videos with words available offline: inline captions, and a .vtt beside the file.
SOURCES = ("bwRHIkYqYJo", "JjQDik3yNhA")
FAULTS = ("429", "500", "reset", "truncate", "hang", "trickle")
ACTIONS = ("kill", "term", "disk")  # the chaos rounds; plain rounds follow until one exits 0
CONCURRENCY = 4
TIMEOUT = 1.5  # llm.timeout: a hang or a trickle costs this much per attempt
_MARK = re.compile(r"\[chaos (\d+)\]")


def chaos_id(index: int) -> str:
    return f"chaos{index:06d}"  # 11 characters, like a YouTube id


def make_videos(folder: Path, count: int, long: int = 1) -> list[str]:
    """``count`` videos built from the real fixture videos (info.json and caption files), each
    under its own id, with ``[chaos N]`` in the title so that model calls can be attributed;
    the last ``long`` of them carry the 3.5-hour transcript as their caption file."""
    folder.mkdir(parents=True, exist_ok=True)
    infos = {}
    for name in SOURCES:
        info = json.loads((FIXTURE_VIDEOS / f"{name}.info.json").read_text(encoding="utf-8"))
        for key in ("formats", "thumbnails", "automatic_captions", "heatmap"):
            info.pop(key, None)  # never read by the pipeline; keeps the files small
        infos[name] = info
    ids = []
    for index in range(count):
        name = SOURCES[index % len(SOURCES)]
        video_id = chaos_id(index)
        info = dict(infos[name], id=video_id, display_id=video_id,
                    title=f"{infos[name]['title']} [chaos {index}]",
                    webpage_url=f"https://www.youtube.com/watch?v={video_id}")
        if index >= count - long:
            segments = three_hours()
            info.update(duration=segments[-1].end, language="en", chapters=None, subtitles={},
                        automatic_captions={})
            info.pop("requested_subtitles", None)
            write_srt(segments, folder / f"{video_id}.en.srt")
        else:
            for caption in FIXTURE_VIDEOS.glob(f"{name}.*"):
                if not caption.name.endswith(".info.json"):
                    shutil.copy(caption, folder / caption.name.replace(name, video_id, 1))
        (folder / f"{video_id}.info.json").write_text(json.dumps(info), encoding="utf-8")
        ids.append(video_id)
    return ids


@dataclass
class Call:
    round: int
    video: int | None
    fault: str | None


class FaultyModel:
    """The test server's answers: most good, some faulty, chosen by the seeded generator."""

    def __init__(self, rng: random.Random, fault_rate: float) -> None:
        self.rng = rng
        self.fault_rate = fault_rate
        self.round = 0
        self.calls: list[Call] = []
        self._lock = threading.Lock()

    def __call__(self, body: dict) -> Reply:
        text = "".join(str(m.get("content") or "") for m in body.get("messages", []))
        match = _MARK.search(text)
        with self._lock:
            fault = self.rng.choice(FAULTS) if self.rng.random() < self.fault_rate else None
            latency = self.rng.uniform(0.05, 0.25)
            self.calls.append(Call(self.round, int(match.group(1)) if match else None, fault))
        answer = default_answer(body)
        if fault == "429":
            return Reply(status=429, headers={"retry-after-ms": "50"},
                         error={"error": {"message": "rate limited", "type": "rate_limit_error"}})
        if fault == "500":
            return Reply(status=500)
        if fault == "reset":
            return Reply(close_connection=True)
        if fault == "truncate":
            return Reply(json=answer, finish_reason="length", delay=latency)
        if fault == "hang":
            return Reply(json=answer, delay=TIMEOUT + 1.0)
        if fault == "trickle":
            return Reply(json=answer, trickle=0.05)
        return Reply(json=answer, delay=latency)


@contextmanager
def small_disk(path: Path, size: str = "4m") -> Iterator[Path]:
    """A real file system of ``size`` (tmpfs): writes past it fail with ENOSPC. Needs root to
    mount; without it this raises, so a test that needs a full disk fails instead of skipping."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        raise RuntimeError(f"cannot mount a tmpfs for the full-disk faults (needs root): {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def fill(disk: Path) -> Path:
    """Take every free byte of the disk."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for step in (1 << 20, 65536, 4096, 1):
            try:
                while os.write(fd, b"\0" * step):
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


@dataclass
class Round:
    action: str
    code: int
    seconds: float
    stderr_tail: str = ""


@dataclass
class ChaosReport:
    seed: int
    videos: int
    rounds: list[Round] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    wasted_calls: int = 0
    kept_parts: int = 0  # part answers saved in a round that did not finish their video's article
    seconds: float = 0.0

    @property
    def interruptions(self) -> int:
        return sum(1 for r in self.rounds if r.code != 0)

    def summary(self) -> str:
        actions = " ".join(f"{r.action}:{r.code}" for r in self.rounds)
        faults = sum(1 for c in self.calls if c.fault)
        return (f"chaos seed {self.seed}: {self.videos} videos, {len(self.rounds)} rounds ({actions}), "
                f"{len(self.calls)} model calls ({faults} faulty), {self.wasted_calls} answered calls lost "
                f"(bound {self.interruptions * CONCURRENCY}), {self.kept_parts} part answers kept over an "
                f"interruption, {self.seconds:.1f} s; "
                + ("all invariants hold" if not self.problems else f"{len(self.problems)} problem(s)"))


def _files(root: Path, skip: tuple[Path, ...]) -> set[str]:
    found = set()
    for dirpath, dirnames, names in os.walk(root):
        dirnames[:] = [d for d in dirnames if Path(dirpath, d) not in skip]
        found.update(str(Path(dirpath, n).relative_to(root)) for n in names)
    return found


def _articles(out: Path, count: int) -> set[int]:
    return {i for i in range(count) if (out / "videos" / chaos_id(i) / "article.json").is_file()}


def _part_answers(out: Path, count: int) -> dict[int, set[str]]:
    """The part answers each long video has saved so far (``parts.json``), by their keys."""
    saved = {}
    for index in range(count):
        try:
            data = json.loads((out / "videos" / chaos_id(index) / "parts.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        saved[index] = set(data.get("parts") or {})
    return saved


def _wait_for_moment(process: subprocess.Popen[str], model: FaultyModel, number: int, rng: random.Random) -> bool:
    """A random moment of the run: after a random time (start-up, fetching, writing) or after a
    random number of this round's model calls (summarizing); False when the run ended first."""
    by_calls = rng.random() < 0.5
    calls, seconds = rng.randint(1, 12), rng.uniform(0.3, 4.0)
    started = time.monotonic()
    while process.poll() is None:
        if by_calls and sum(1 for c in model.calls if c.round == number) >= calls:
            return True
        if not by_calls and time.monotonic() - started >= seconds:
            return True
        if time.monotonic() - started > 30:
            return True
        time.sleep(0.01)
    return False


def run_chaos(seed: int, videos: int, workdir: Path, *, chaos_rounds: int = 7, max_rounds: int = 25,
              fault_rate: float = 0.15, disk_size: str = "24m", log=print) -> ChaosReport:
    """One chaos run in ``workdir``; returns what happened and every broken invariant."""
    rng = random.Random(seed)
    started = time.monotonic()
    report = ChaosReport(seed, videos)
    inputs = workdir / "videos"
    make_videos(inputs, videos)
    model = FaultyModel(random.Random(rng.random()), fault_rate)
    with FakeLLM(responder=model) as server, small_disk(workdir / "disk", disk_size) as disk:
        # A killed client's connection resets; that is the point here, not worth a traceback.
        server._server.handle_error = lambda request, address: None  # type: ignore[union-attr,method-assign]
        out = disk / "output"
        config = workdir / "config.yaml"
        config.write_text(
            f"llm:\n  base_url: {server.base_url}\n  concurrency: {CONCURRENCY}\n  timeout: {TIMEOUT}\n"
            # Parts of about 6,000 tokens: the long video takes some ten part calls.
            "  max_attempts: 8\n  max_backoff: 0.2\n  max_output_tokens: 4000\n", encoding="utf-8")
        outside_before = _files(workdir, (disk,))
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        env.update(OPENAI_API_KEY="sk-chaos", PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
        command = [sys.executable, "-m", "pipeline", "run", str(inputs), "--out", str(out), "--config", str(config)]
        lost: dict[int, int] = {}
        for number in range(max_rounds):
            action = rng.choice(ACTIONS) if number < chaos_rounds else "plain"
            model.round = number
            current = _articles(out, videos)
            parts_before = _part_answers(out, videos)
            process = subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE, text=True)
            round_started = time.monotonic()
            filler = None
            if action in ("kill", "term", "disk") and _wait_for_moment(process, model, number, rng):
                if action == "kill":
                    process.kill()
                elif action == "term":
                    process.send_signal(signal.SIGTERM)
                else:
                    filler = fill(disk)
            try:
                _, stderr = process.communicate(timeout=180)
            except subprocess.TimeoutExpired:
                process.kill()
                _, stderr = process.communicate()
                report.problems.append(f"round {number} ({action}): the run hung for 180 s")
            if filler is not None:
                filler.unlink()
            code = process.returncode
            report.rounds.append(Round(action, code, time.monotonic() - round_started, stderr[-2000:]))
            log(f"  round {number}: {action} -> exit {code} ({time.monotonic() - round_started:.1f} s)")
            if action == "term" and code not in (0, 1, 143):
                report.problems.append(f"round {number}: SIGTERM gave exit {code}, not 143: {stderr[-500:]}")
            if action == "term" and code == 143:
                leftovers = [str(p) for p in out.rglob("*.tmp")]
                if leftovers:
                    report.problems.append(f"round {number}: SIGTERM left temporary files {leftovers[:3]}")
            if "Traceback" in stderr:
                report.problems.append(f"round {number} ({action}): a traceback: {stderr[-800:]}")
            this_round = [c for c in model.calls if c.round == number]
            for call in this_round:
                if call.video in current:
                    report.problems.append(f"round {number}: a model call for {chaos_id(call.video)}, whose "
                                           "article was already current")
            written = _articles(out, videos)
            parts_after = _part_answers(out, videos)
            truncated: set[int | None] = set()
            answered: dict[int, int] = {}
            for call in this_round:  # in the order the server saw them
                if call.fault == "truncate":
                    truncated.add(call.video)  # the halves that follow are the server's doing
                elif call.fault is None and call.video is not None and call.video not in written \
                        and call.video not in truncated:
                    answered[call.video] = answered.get(call.video, 0) + 1
            for video, count in answered.items():
                # Per call: the part answers saved this round are kept, not lost.
                kept = len(parts_after.get(video, set()) - parts_before.get(video, set()))
                report.kept_parts += kept
                if count > kept:
                    lost[video] = lost.get(video, 0) + count - kept
            if code == 0:
                break
        else:
            report.problems.append(f"no round exited 0 in {max_rounds} rounds")
        report.calls = list(model.calls)
        report.wasted_calls = sum(lost.values())
        if report.wasted_calls > report.interruptions * CONCURRENCY:
            report.problems.append(f"{report.wasted_calls} answered model calls were lost, more than "
                                   f"{report.interruptions} interruptions x concurrency {CONCURRENCY}")
        report.problems += check_output(out, videos)
        outside_after = _files(workdir, (disk,))
        if outside_after - outside_before:
            report.problems.append(f"files outside the output folder: {sorted(outside_after - outside_before)[:5]}")
        extra = _files(disk, (out,)) - set()
        if extra:
            report.problems.append(f"files beside the output folder on its disk: {sorted(extra)[:5]}")
    report.seconds = time.monotonic() - started
    return report


def check_output(out: Path, videos: int) -> list[str]:
    """Every video has exactly one post of its own; no file is torn."""
    problems = []
    for path in out.rglob("*.json"):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            problems.append(f"{path}: torn JSON: {exc}")
    posts = sorted((out / "posts").glob("*.md"))
    for path in posts:
        try:
            frontmatter.loads(path.read_text(encoding="utf-8"))
        except Exception as exc:  # any failure to load is the finding
            problems.append(f"{path}: the post does not load: {exc}")
    if len(posts) != videos:
        problems.append(f"{len(posts)} posts for {videos} videos")
    stray = [p.name for p in (out / "posts").iterdir() if not p.name.endswith(".md")] if (out / "posts").is_dir() else []
    if stray:
        problems.append(f"other files among the posts (a post taken for a reviewer's?): {stray[:5]}")
    for index in range(videos):
        record_path = out / "videos" / chaos_id(index) / "post.json"
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            problems.append(f"{chaos_id(index)}: no post.json")
            continue
        post = out / record.get("path", "")
        if not post.is_file() or chaos_id(index) not in post.read_text(encoding="utf-8"):
            problems.append(f"{chaos_id(index)}: post.json names {record.get('path')}, not its post")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=5, help="how many seeds, from --seed on")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("CHAOS_SEED", "1")))
    parser.add_argument("--rounds", type=int, default=12, help="chaos rounds before plain ones")
    args = parser.parse_args()
    failed = 0
    for seed in range(args.seed, args.seed + args.seeds):
        print(f"chaos seed {seed} (replay: CHAOS_SEED={seed})", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            report = run_chaos(seed, args.videos, Path(tmp), chaos_rounds=args.rounds)
        print(report.summary(), flush=True)
        for problem in report.problems:
            print(f"  problem: {problem}")
        failed += bool(report.problems)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
