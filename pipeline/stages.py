"""The stages as objects, in the order a video goes through them.

Each has the same small interface: its name, the worker pool it runs in (``local`` for disk
and YouTube work, ``llm`` for model calls, bounded by ``llm.concurrency``), and ``run``, which
fingerprints the stage's inputs, skips when its artifacts already carry that fingerprint, and
otherwise writes them. The runner knows nothing else about them: adding a stage means adding
one object to ``ALL``.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pipeline.context import RunContext
from pipeline.models import StageResult
from pipeline.sources.listing import VideoRef


class Stage(Protocol):
    name: str
    pool: Literal["local", "llm"]

    def run(self, ctx: RunContext, video: VideoRef) -> StageResult: ...


class FetchStage:
    name = "fetch"
    pool: Literal["local", "llm"] = "local"

    def run(self, ctx: RunContext, video: VideoRef) -> StageResult:
        from pipeline.sources.fetch import FetchOptions, fetch

        options = FetchOptions(subtitles=ctx.options.subtitles, allow_description=ctx.options.allow_description)
        return fetch(video, ctx.config, ctx.store, force=ctx.options.force, youtube=ctx.youtube, options=options)


class SummarizeStage:
    name = "summarize"
    pool: Literal["local", "llm"] = "llm"

    def run(self, ctx: RunContext, video: VideoRef) -> StageResult:
        from pipeline.llm.summarize import SummaryInputs, estimate, summarize

        video_id, store, force = video.video_id, ctx.store, ctx.options.force
        store.ensure_room(video_id)  # no answer is paid for that there is no room to save
        inputs = SummaryInputs.load(video_id, ctx.config, store, ctx.prompts)
        shared = {"prompts": ctx.prompts, "tags": ctx.site_tags, "inputs": inputs}
        reserved = 0.0
        if ctx.budget is not None:
            planned = estimate(video_id, ctx.config, store, force=force, **shared)
            if not planned.skipped:
                reserved = planned.cost_usd or 0.0
                ctx.budget.reserve(video_id, reserved)
        actual: float | None = None
        try:
            result = summarize(video_id, ctx.config, store, llm=ctx.llm, force=force, calls=ctx.call_slots, **shared)
            actual = result.cost_usd
        finally:
            if ctx.budget is not None and reserved:
                ctx.budget.settle(reserved, actual)
        return result  # what it spent is added when the runner marks the stage


class WriteStage:
    name = "write"
    pool: Literal["local", "llm"] = "local"

    @staticmethod
    def _overrides(ctx: RunContext, video_id: str) -> dict[str, object]:
        """``--set`` values stay with the video's post until set again: a plain rerun must not
        turn ``draft: false`` back into the default."""
        kept = ctx.store.load_status(video_id).overrides or {}
        merged = {**kept, **ctx.options.overrides}
        if merged != kept:
            ctx.store.update_status(video_id, overrides=merged)
        return merged

    def run(self, ctx: RunContext, video: VideoRef) -> StageResult:
        from pipeline.post.write import write

        return write(video.video_id, ctx.config, ctx.store, force=ctx.options.force,
                     overwrite_edited=ctx.options.overwrite_edited, overrides=self._overrides(ctx, video.video_id))


ALL: tuple[Stage, ...] = (FetchStage(), SummarizeStage(), WriteStage())
BY_NAME: dict[str, Stage] = {stage.name: stage for stage in ALL}
