"""What ``yt2post status`` reports: per video, the stages done, the post and its review state,
the last error and its cause, and the tokens and cost spent."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline.store import STAGES, Store, sha256_bytes


@dataclass
class VideoStatus:
    video_id: str
    title: str
    stages: dict[str, str]  # stage -> "done" or "" (not yet)
    post: str | None
    review: str  # "", "draft", "edited", "published", "missing"
    error: dict[str, Any] | None
    tokens: int
    cost_usd: float | None
    flags: list[str] = field(default_factory=list)
    ignored: bool = False

    @property
    def cause(self) -> str | None:
        return self.error.get("cause") if self.error else None


def review_state(store: Store, video_id: str) -> tuple[str | None, str]:
    record = store.read_optional(video_id, "post")
    if not record or not record.get("path"):
        return None, ""
    path = store.resolve(record["path"])
    shown = store.relative(path)  # relative to the output folder: long absolute paths say little
    if not path.is_file():
        return shown, "missing"
    data = path.read_bytes()
    if b"\ndraft: false\n" in data.split(b"\n---", 1)[0] + b"\n":
        return shown, "published"
    if sha256_bytes(data) != record.get("sha256"):
        return shown, "edited"
    return shown, "draft"


def video_status(store: Store, video_id: str) -> VideoStatus:
    status = store.status(video_id)
    # "skipped" means its artifact was already current: for the reader, that stage is done.
    stages = {s: "done" if (status.get("stages", {}).get(s) or {}).get("outcome") else "" for s in STAGES}
    for stage, artifact in (("fetch", "transcript"), ("summarize", "article"), ("write", "post")):
        if not stages[stage] and store.exists(video_id, artifact):
            stages[stage] = "done"
    meta = store.read_optional(video_id, "metadata") or {}
    article = store.read_optional(video_id, "article") or {}
    # What every run spent on this video, added up (an article redone keeps its earlier cost);
    # videos from before that record show their article's calls.
    spent = status.get("spent")
    totals = article.get("usage_total") or {}
    tokens = int(spent["tokens"]) if spent else (int(totals.get("prompt_tokens", 0))
                                                 + int(totals.get("completion_tokens", 0)))
    cost = spent.get("cost_usd") if spent else totals.get("cost_usd")
    post, review = review_state(store, video_id)
    flags_doc = store.read_optional(video_id, "flags") or {}
    flags = [f"{f.get('kind')}: {f.get('text')} (in {f.get('section')}: {f.get('reason')})"
             for f in flags_doc.get("flags", []) if isinstance(f, dict)]
    return VideoStatus(
        video_id=video_id,
        title=str(meta.get("title") or ""),
        stages=stages,
        post=post,
        review=review,
        error=status.get("error"),
        tokens=tokens,
        cost_usd=cost,
        flags=flags,
        ignored=bool(status.get("ignored")),
    )


def all_statuses(store: Store) -> list[VideoStatus]:
    return [video_status(store, vid) for vid in store.video_ids()]


def failures_by_cause(statuses: list[VideoStatus]) -> Counter[str]:
    return Counter(s.cause for s in statuses if s.cause)
