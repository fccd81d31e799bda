"""The stages as objects, in the order a video goes through them: the one list of stages that
the runner, ``status``, the progress display, the CLI's stage commands, the review desk and the
pre-flight checks all read.

Each has the same small interface: its name, the worker pool it runs in (``local`` for disk
and network work, ``llm`` for model calls, bounded by ``llm.concurrency``), the artifact whose
presence shows it done (``status`` counts a stage done by it), what it needs before any work
(``needs``: ``prompts`` and ``model`` are checked by the pre-flight, a stage that needs the
``network`` reaches the video's site and records how it did), the word for a video it
is the last done for (``state``, as the desk shows it), the help of its command, and ``run``,
which fingerprints the stage's inputs, skips when its artifacts already carry that fingerprint,
and otherwise writes them. Adding a stage means adding one object to ``ALL``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:  # the CLI builds its stage commands from this list: importing it stays cheap
    from pipeline.context import RunContext
    from pipeline.shapes import StageResult, VideoRef


class Stage(Protocol):
    name: str
    pool: Literal["local", "llm"]
    artifact: str
    needs: frozenset[str]
    state: str
    help: str
    cli_options: tuple[str, ...]  # option groups its command takes beyond the common ones

    def run(self, ctx: RunContext, video: VideoRef) -> StageResult: ...


class FetchStage:
    name = "fetch"
    pool: Literal["local", "llm"] = "local"
    artifact = "transcript"
    needs: frozenset[str] = frozenset({"network"})
    state = "fetched"
    cli_options = ("words",)  # --subtitles, --allow-description
    help = """Run the fetch stage: metadata.json and transcript.json.

    A video whose artifacts are current for their inputs is skipped; --force redoes it."""

    def run(self, ctx: RunContext, video: VideoRef) -> StageResult:
        from pipeline.sources.fetch import FetchOptions, fetch

        options = FetchOptions(subtitles=ctx.options.subtitles, allow_description=ctx.options.allow_description,
                               plan_only=ctx.options.dry_run)
        return fetch(video, ctx.config, ctx.store, force=ctx.options.force, session=ctx.session(video.site), options=options)


class SummarizeStage:
    name = "summarize"
    pool: Literal["local", "llm"] = "llm"
    artifact = "article"
    needs: frozenset[str] = frozenset({"prompts", "model"})
    state = "summarized"
    cli_options = ()
    help = """Run the summarize stage: article.json.

    A video whose article is current for its inputs is skipped; --force redoes it."""

    def run(self, ctx: RunContext, video: VideoRef) -> StageResult:
        from pipeline.llm.summarize import SummaryInputs, estimate, summarize

        video_id, store, force = video.video_id, ctx.store, ctx.options.force
        store.ensure_room(video_id)  # no answer is paid for that there is no room to save
        inputs = SummaryInputs.load(video_id, ctx.config, store, ctx.prompts)
        reserved = 0.0
        if ctx.budget is not None:
            planned = estimate(video_id, ctx.config, store, force=force, prompts=ctx.prompts, tags=ctx.site_tags,
                               inputs=inputs)
            if not planned.skipped:
                reserved = planned.cost_usd or 0.0
                ctx.budget.reserve(video_id, reserved)
        actual: float | None = None
        try:
            # Live, or through the run's executor (the Batch API), which may defer the video.
            with ctx.model_calls(video_id, inputs) as calls:
                result = summarize(video_id, ctx.config, store, llm=calls.llm, force=force, calls=calls.slots,
                                   prompts=ctx.prompts, tags=calls.tags, inputs=inputs)
            actual = result.cost_usd
        finally:
            if ctx.budget is not None and reserved:
                ctx.budget.settle(reserved, actual)
        return result  # what it spent is added when the runner marks the stage


class WriteStage:
    name = "write"
    pool: Literal["local", "llm"] = "local"
    artifact = "post"
    needs: frozenset[str] = frozenset()
    state = "draft"
    cli_options = ("overwrite_edited", "format")  # --overwrite-edited, --format
    help = """Run the write stage: the Markdown post.

    A post that is current is skipped, one a reviewer edited is kept; --force redoes the
    others, --overwrite-edited replaces edited ones too (after a backup)."""

    @staticmethod
    def _overrides(ctx: RunContext, video_id: str) -> dict[str, object]:
        """``--set`` values stay with the video's post until set again: a plain rerun must not
        turn an approved post back into a draft."""
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
NAMES: tuple[str, ...] = tuple(BY_NAME)


def needing(need: str, names: tuple[str, ...] | list[str]) -> bool:
    """Whether any of the named stages needs ``need`` (``prompts``, ``model``, ``network``)."""
    return any(need in BY_NAME[name].needs for name in names)
