"""One output folder of posts for a site generator, made by the real pipeline against the fake
model server, and the generator's builds of it: the seed's post, the hostile video's, one in
Traditional Chinese and one in English; the seed's approved with ``yt2post approve``, the
hostile one through the review desk's library call, the Traditional Chinese one with the CLI,
the English one left a draft. Each generator's test module builds this once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.config import load_config
from pipeline.review import posts
from pipeline.store import Store
from tests.conftest import FIXTURES, run_in_process
from tests.fakellm import FakeLLM
from tests.hostile import HOSTILE_ARTICLE, HOSTILE_CAPTIONS
from tests.sites import Generator
from tests.test_write_golden import seed_inputs

SEED, HOSTILE, HANT, ENGLISH = "bwRHIkYqYJo", "JjQDik3yNhA", "zhHantPost1", "EnglishPst1"

HANT_ARTICLE = {
    "title": "為什麼後輪煞車很重要", "summary": "這部影片說明騎乘時後輪煞車如何幫助騎士維持平衡。",
    "sections": [{"heading": "煞車與平衡", "body": "騎士在翹孤輪時依靠後輪煞車來控制角度，這是關鍵的技巧。"},
                 {"heading": "練習的方法", "body": "從低速開始練習，逐步熟悉車輛的反應。"}],
    "tags": ["motorcycle", "riding"], "area": "society-culture", "category": "lifestyle-sports",
    "companies_orgs": [], "products_models": [], "guest": "", "insight": "煞車比油門更重要。"}
ENGLISH_ARTICLE = {
    "title": "Why the rear brake matters", "summary": "A rider shows how the rear brake keeps a wheelie balanced.",
    "sections": [{"heading": "Brake and balance", "body": "Without the rear brake, a rider who leans back too far falls."},
                 {"heading": "How to practise", "body": "Start slowly and learn how the bike answers."}],
    "tags": ["motorcycle"], "area": "society-culture", "category": "lifestyle-sports",
    "companies_orgs": [], "products_models": [], "guest": "", "insight": "The brake matters more than the throttle."}
TITLES = {SEED: "人工智能交易热潮", HANT: "為什麼後輪煞車很重要", ENGLISH: "Why the rear brake matters"}


@dataclass
class SitePosts:
    out: Path
    site_dir: Path  # review.site_dir: the approved posts' copies
    statuses: dict[str, str]  # video -> review state
    paths: dict[str, str]  # video -> the post's path inside the posts folder
    plain: Path  # the site built without drafts
    with_drafts: Path  # the site built with drafts
    pages: dict[Path, str] = field(default_factory=dict)  # the plain build's HTML pages

    def built(self, folder: Path) -> dict[Path, str]:
        return {path: path.read_text(encoding="utf-8") for path in folder.rglob("*.html")}


def _videos(workdir: Path) -> Path:
    """The fixture videos, and two more made from the seed's (its captions, another id and title)."""
    videos = workdir / "videos"
    videos.mkdir()
    for name in (SEED, HOSTILE):
        for src in (FIXTURES / "videos").glob(f"{name}*"):
            (videos / src.name).write_bytes(src.read_bytes())
    (videos / f"{HOSTILE}.en.vtt").write_text(HOSTILE_CAPTIONS, encoding="utf-8")
    info = json.loads((videos / f"{HOSTILE}.info.json").read_text(encoding="utf-8"))
    info["title"] = "../../etc/x {{ 7*7 }}"  # a path in a title
    (videos / f"{HOSTILE}.info.json").write_text(json.dumps(info), encoding="utf-8")
    seed = json.loads((videos / f"{SEED}.info.json").read_text(encoding="utf-8"))
    for video_id, title in ((HANT, "Rear brake, zh-Hant"), (ENGLISH, "Rear brake, English")):
        copy = dict(seed, id=video_id, display_id=video_id, title=title, fulltitle=title,
                    webpage_url=f"https://www.youtube.com/watch?v={video_id}")
        (videos / f"{video_id}.info.json").write_text(json.dumps(copy), encoding="utf-8")
    return videos


def make_site_posts(generator: Generator, workdir: Path) -> SitePosts:
    videos = _videos(workdir)
    site_dir = workdir / "mysite"
    (workdir / "config.yaml").write_text(f"review:\n  site_dir: {site_dir.name}\n", encoding="utf-8")
    articles: dict[str, dict[str, Any]] = {SEED: seed_inputs()[0], HOSTILE: HOSTILE_ARTICLE, HANT: HANT_ARTICLE,
                                           ENGLISH: ENGLISH_ARTICLE}
    with FakeLLM() as fake:
        for video_id, article in articles.items():
            fake.responder = lambda body, article=article: article
            result = run_in_process(workdir, fake, "run", "--format", generator.format,
                                    str(videos / f"{video_id}.info.json"))
            assert result.code == 0, result.stderr
        approved = run_in_process(workdir, fake, "approve", SEED, HANT)
        assert approved.code == 0, approved.stderr
        store = Store(workdir / "output")
        shown = posts.find_post(store, HOSTILE)
        assert shown is not None and shown.draft
        posts.approve(store, HOSTILE, load_config(workdir / "config.yaml"), shown.version)
        listed = run_in_process(workdir, fake, "status", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    out = workdir / "output"
    return SitePosts(
        out=out, site_dir=site_dir, statuses={row["video_id"]: row["review"] for row in rows},
        paths={row["video_id"]: str(Path(row["post"]).relative_to("posts").as_posix()) for row in rows},
        plain=generator.build(out / "posts", workdir / "plain"),
        with_drafts=generator.build(out / "posts", workdir / "drafts", drafts=True))
