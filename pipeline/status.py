"""What ``yt2post status`` reports: per video, the stages done, the post and its review state,
the last error and its cause, and the tokens and cost spent."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline.artifacts import ArticleFile, FlagsFile, MetadataFile, PostRecord
from pipeline.post.formats import get_format
from pipeline.post.index import approval_left_linked, find_post_by_source, post_name
from pipeline.stages import ALL
from pipeline.store import Store


@dataclass
class VideoStatus:
    video_id: str
    title: str
    stages: dict[str, str]  # stage -> "done" or "" (not yet)
    post: str | None
    review: str  # "", "draft", "edited", "approved", "missing"
    error: dict[str, Any] | None
    tokens: int
    cost_usd: float | None
    flags: list[str] = field(default_factory=list)
    ignored: bool = False

    @property
    def cause(self) -> str | None:
        return self.error.get("cause") if self.error else None


def review_state(store: Store, video_id: str) -> tuple[str | None, str]:
    record = store.load_readable(video_id, PostRecord)
    if record is None or not record.path:
        return None, ""
    post_format = get_format(record.format)
    path = store.resolve(record.path)
    # An approval killed before it recorded the move: published already, as the next run records it.
    path = approval_left_linked(store, path, post_format) or path
    if not path.is_file() and record.source:
        # Moved since the last run (a draft published by hand): found by its source, as a run finds it.
        path = find_post_by_source(store.posts_dir, record.source, post_format) or path
    shown = store.relative(path)  # relative to the output folder: long absolute paths say little
    if not path.is_file():
        return shown, "missing"
    data = path.read_bytes()
    if not post_format.is_draft(post_name(store, path), data.decode("utf-8", "replace")):
        return shown, "approved"
    if record.reviewers(path, data):  # as the write stage decides
        return shown, "edited"
    return shown, "draft"


def video_status(store: Store, video_id: str) -> VideoStatus:
    status = store.load_status(video_id)
    # "skipped" means its artifact was already current: for the reader, that stage is done.
    stages = {s.name: "done" if (mark := status.stages.get(s.name)) and mark.outcome else "" for s in ALL}
    for stage in ALL:
        if not stages[stage.name] and store.exists(video_id, stage.artifact):
            stages[stage.name] = "done"
    meta = store.load_readable(video_id, MetadataFile)
    # What every run spent on this video, added up (an article redone keeps its earlier cost);
    # videos from before that record show their article's calls.
    if status.spent is not None:
        tokens, cost = status.spent.tokens, status.spent.cost_usd
    elif (article := store.load_readable(video_id, ArticleFile)) is not None:
        totals = article.usage_total
        tokens, cost = totals.prompt_tokens + totals.completion_tokens, totals.cost_usd
    else:
        tokens, cost = 0, None
    post, review = review_state(store, video_id)
    flags_doc = store.load_readable(video_id, FlagsFile)
    flags = [f"{f.kind}: {f.text} (in {f.section}: {f.reason})" for f in (flags_doc.flags if flags_doc else [])]
    return VideoStatus(
        video_id=video_id,
        title=meta.title if meta else str((status.ref or {}).get("title") or ""),
        stages=stages,
        post=post,
        review=review,
        error=status.error.model_dump() if status.error else None,
        tokens=tokens,
        cost_usd=cost,
        flags=flags,
        ignored=status.ignored,
    )


def all_statuses(store: Store) -> list[VideoStatus]:
    return [video_status(store, vid) for vid in store.video_ids()]


def failures_by_cause(statuses: list[VideoStatus]) -> Counter[str]:
    return Counter(s.cause for s in statuses if s.cause)
