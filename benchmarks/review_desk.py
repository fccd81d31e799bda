"""Review desk benchmark: the desk's list page over 5,000 videos.

The videos are made from real ones: the fixture videos go through the real pipeline against the
fake model server, then each video's artifacts and post are copied under new ids with other
titles, channels and dates, and a realistic mix of states (drafts, edited, approved, ignored,
failed, only fetched). Prints the time to build the index from nothing, to start from its cache,
and the server time of list pages (the desk's first page, a filter, a search, a deep page),
measured in process through the ASGI app, the median of several requests. Target: under 0.5 s.

    python benchmarks/review_desk.py [--videos 5000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from starlette.testclient import TestClient  # noqa: E402

from pipeline.config import Config  # noqa: E402
from pipeline.review.app import create_app  # noqa: E402
from pipeline.review.index import CACHE_NAME, DeskIndex  # noqa: E402
from pipeline.store import Store, sha256_bytes  # noqa: E402
from tests.fakellm import FakeLLM  # noqa: E402
from tests.review_desk import TOKEN, build_output  # noqa: E402

WORDS = ("wheelie", "brake", "Nintendo", "Miiverse", "GPU", "chips", "startup", "interview", "market", "AI",
         "podcast", "review", "robot", "energy", "climate", "policy", "design", "music", "trials", "history")
CHANNELS = ("TheUselessTrials", "Mental Outlaw", "Above & Beyond", "Bloomberg Podcasts", "Lex Fridman",
            "Dwarkesh Patel", "Acquired", "a16z", "Lenny's Podcast", "3Blue1Brown")


def video_id(n: int) -> str:
    return f"bench{n:06d}"[:11].ljust(11, "x")


def multiply(out: Path, count: int, seed: int = 12) -> None:
    """``count`` videos under ``out`` made from the real ones already there."""
    rng = random.Random(seed)
    store = Store(out)
    templates = [vid for vid in store.video_ids() if store.exists(vid, "post")]
    failed = [vid for vid in store.video_ids() if vid not in templates]
    for n in range(count):
        new = video_id(n)
        kind = rng.random()
        source_id = rng.choice(failed if kind < 0.05 and failed else templates)
        source_dir, target_dir = store.video_dir(source_id), store.video_dir(new)
        shutil.copytree(source_dir, target_dir)
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8))).capitalize()
        date = f"20{rng.randint(15, 25):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        meta_path = target_dir / "metadata.json"
        if meta_path.exists():
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            meta.update(id=new, title=title, channel=rng.choice(CHANNELS), upload_date=date)
            meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        status_path = target_dir / "status.json"
        status = json.loads(status_path.read_text(encoding="utf-8"))
        status["video_id"] = new
        if 0.05 <= kind < 0.10:
            status["ignored"] = True
        if 0.10 <= kind < 0.15:
            for stage in ("summarize", "write"):
                status.get("stages", {}).pop(stage, None)
        status_path.write_text(json.dumps(status, ensure_ascii=False), encoding="utf-8")
        if not (target_dir / "post.json").exists():
            continue
        if 0.10 <= kind < 0.15:  # only fetched: no article, no post yet
            for name in ("article", "post", "flags"):
                (target_dir / f"{name}.json").unlink(missing_ok=True)
            continue
        record = json.loads((target_dir / "post.json").read_text(encoding="utf-8"))
        text = store.resolve(record["path"]).read_text(encoding="utf-8")
        text = text.replace(f"watch?v={source_id}", f"watch?v={new}")
        if 0.15 <= kind < 0.35:
            text = text.replace("\ndraft: true\n", "\ndraft: false\n")  # approved
        post = out / "posts" / f"{date[:4]}-{date[4:6]}-{date[6:]}-{new}.md"
        post.write_text(text, encoding="utf-8")
        record.update(path=str(post.relative_to(out)), sha256=sha256_bytes(text.encode("utf-8")))
        if 0.35 <= kind < 0.50:
            post.write_text(text + "\n审稿人加的一句。\n", encoding="utf-8")  # edited after writing
        (target_dir / "post.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def timed(client: TestClient, path: str, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        answer = client.get(path)
        samples.append(time.perf_counter() - start)
        assert answer.status_code == 200, (path, answer.status_code)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--videos", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with FakeLLM() as fake:
            out = build_output(work, fake)
        started = time.perf_counter()
        multiply(out, args.videos)
        print(f"made {args.videos} videos from {len(Store(out).video_ids()) - args.videos} real ones "
              f"in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        index = DeskIndex(Store(out))
        index.refresh()
        cold = time.perf_counter() - started
        counts = index.query().counts
        started = time.perf_counter()
        DeskIndex(Store(out)).refresh()
        cached = time.perf_counter() - started
        print(f"index from nothing: {cold:.2f} s; from its cache ({(out / CACHE_NAME).stat().st_size // 1024} KB): "
              f"{cached:.2f} s; states: {counts}")

        app = create_app(out, Config(), token=TOKEN, allowed_hosts={"127.0.0.1"})
        with TestClient(app, base_url="http://127.0.0.1:8765") as client:
            client.get(f"/?token={TOKEN}", follow_redirects=False)
            client.get("/")  # the first request reads the cache
            results = {
                "desk, first page": timed(client, "/", args.repeat),
                "filter: failed": timed(client, "/?state=failed", args.repeat),
                "filter: edited": timed(client, "/?state=edited", args.repeat),
                "search: 'wheelie'": timed(client, "/?q=wheelie", args.repeat),
                "page 60": timed(client, "/?page=60", args.repeat),
            }
            video = next(iter(Store(out).video_ids()))
            results["a video page"] = timed(client, f"/video/{video}", args.repeat)
        for name, seconds in results.items():
            print(f"{name:>18}: {seconds * 1000:6.1f} ms (median of {args.repeat})")
        worst = max(v for k, v in results.items() if k != "a video page")
        print(f"slowest list page: {worst * 1000:.1f} ms; target < 500 ms: {'met' if worst < 0.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
