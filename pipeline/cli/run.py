"""``run`` and the three stage commands (``fetch``, ``summarize``, ``write``): parse the
options, call ``pipeline.run``, print one summary line and one line per problem."""

from __future__ import annotations

from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from pipeline.cli.base import (
    FormatOption,
    _load,
    _options,
    boundary,
    common,
    main,
    selection_options,
    stage_options,
    words_options,
)
from pipeline.errors import ExitStatus, UsageError
from pipeline.stages import ALL, NAMES

if TYPE_CHECKING:
    from pipeline.api import RunReport


def _print_report(report: RunReport, out: str) -> int:
    """One summary line, one line per failed video, one line for what stopped the run."""
    from pipeline.redact import redact

    summary = report.summary
    parts = [f"{summary.count('done')} done", f"{summary.count('skipped')} skipped"]
    if summary.count("kept"):
        parts.append(f"{summary.count('kept')} kept (edited by a reviewer)")
    parts.append(f"{summary.failed} failed")
    if summary.not_started:
        parts.append(f"{summary.not_started} not started")
    if report.ignored:
        parts.append(f"{len(report.ignored)} ignored")
    if report.approved:
        parts.append(_approved_left_out(report))
    causes = summary.failures_by_cause()
    line = f"{summary.videos} video(s): " + ", ".join(parts)
    if causes:
        line += " (" + ", ".join(f"{cause}: {n}" for cause, n in sorted(causes.items())) + ")"
    click.echo(line)
    if report.left_out:
        click.echo(f"{report.left_out} other recorded failure(s) in {out} left out (not among the sources)")
    for problem in report.source_errors:
        click.echo(redact(f"error: {problem}"), err=True)
    for failure in summary.failures:
        click.echo(redact(f"error: {failure.message}"), err=True)
    stopped = summary.stopped_by
    if stopped is not None and stopped.fatal:
        click.echo(redact(f"error: {stopped} (run stopped: {summary.not_started} video(s) not started)"), err=True)
    elif stopped is not None:
        click.echo(f"budget reached: {summary.not_started} video(s) not started, run again to continue")
    return report.exit_status


def _run(stages: tuple[str, ...], sources: tuple[str, ...], config_path: str | None, out: str, verbose: bool,
         given: dict[str, Any]) -> int:
    """A stage command, ``run`` or a look of ``watch``: its options (``given``) as a typed run
    request, the run, and what it printed."""
    from pipeline import api
    from pipeline.context import RunOptions
    from pipeline.post.formats import get_format
    from pipeline.post.overrides import parse_overrides
    from pipeline.progress import make_reporter

    config = _load(config_path)
    if given.get("post_format"):
        config = with_format(config, given["post_format"])
    subtitles, export = given.get("subtitles"), given.get("batch_export")
    options = RunOptions(
        stages=stages, force=bool(given.get("force")), verbose=verbose,
        overrides=parse_overrides(list(given.get("sets", ())), get_format(config.post.format), config.taxonomy),
        overwrite_edited=bool(given.get("overwrite_edited")), subtitles=Path(subtitles) if subtitles else None,
        allow_description=bool(given.get("allow_description")), max_cost=given.get("max_cost"),
        batch_api=bool(given.get("batch_api")), batch_export=Path(export) if export else None,
        batch_import=tuple(Path(f) for f in given.get("batch_import", ())))
    mark_seen = bool(given.get("mark_seen"))
    request = api.RunRequest(
        sources=sources, options=options, limit=given.get("limit"), since=given.get("since"),
        reverse=bool(given.get("reverse")), retry_failed=bool(given.get("retry_failed")),
        dry_run=bool(given.get("dry_run")), new=bool(given.get("new")) or mark_seen, mark_seen=mark_seen,
        wait=not click.get_current_context().meta.get("no_wait", False))
    quiet = bool(given.get("quiet"))
    reporter = None if quiet else make_reporter(verbose)  # None: the library's silent one
    try:
        report = api.run(request, config, out, reporter=reporter, on_wait=lambda message: click.echo(message, err=True))
    finally:
        if reporter is not None:
            reporter.close()
    retry_failed, dry_run = request.retry_failed, request.dry_run
    if report.watched is not None and not report.watched.videos:
        if not quiet:
            marked = f", {len(report.watched.marked)} marked seen" if report.watched.marked else ""
            click.echo(f"no new videos in {len(sources)} source(s){marked}")
        return ExitStatus.OK
    # A dry run runs no video (summary.videos is 0): its plan says what there is to retry.
    if retry_failed and not report.summary.videos and not report.estimates and not report.source_errors:
        click.echo(f"no failed videos in {out}" + (f" among the sources ({report.left_out} other(s) left out)"
                                                    if report.left_out else ""))
        return ExitStatus.OK
    if dry_run:
        return _print_plan(report)
    status = _print_report(report, out)
    if report.summary.batch_note:  # what a Batch API export/import left to do
        click.echo(report.summary.batch_note)
    return status


def with_format(config: Any, name: str) -> Any:
    """The config with ``post.format`` set to ``name`` (``--format``)."""
    from typing import get_args

    from pipeline.config import PostConfig

    names = get_args(PostConfig.model_fields["format"].annotation)
    if name not in names:
        raise UsageError(f"--format {name}: not a post format; one of: {', '.join(names)}")
    return config.model_copy(update={"post": config.post.model_copy(update={"format": name})})


def _approved_left_out(report: RunReport) -> str:
    return f"{len(report.approved)} approved post(s) left out (name them to redo)"


def _print_plan(report: RunReport) -> int:
    """``--dry-run``: what the run would spend, per video and in all; nothing was spent."""
    from pipeline.llm.cost import format_cost
    from pipeline.redact import redact

    estimates = report.estimates or []
    click.echo("video\tcalls\tprompt_tokens\tcompletion_tokens\test_cost\tbatch_api_cost")
    for e in estimates:
        note = "\t(article current: skipped)" if e.skipped else ""
        if e.transcribed:
            minutes = f"{e.asr_seconds / 60:.1f} min" if e.asr_seconds is not None else "length unknown"
            note = f"\t(words by speech recognition first: {minutes}, {format_cost(e.asr_cost_usd)}; tokens guessed)"
        click.echo(f"{e.video_id}\t{e.calls}\t{e.prompt_tokens}\t{e.completion_tokens}\t"
                   f"{format_cost(e.cost_usd)}\t{format_cost(e.batch_cost_usd)}{note}")
    costs = [e.cost_usd for e in estimates if e.cost_usd is not None]
    total = format_cost(sum(costs)) if len(costs) == len(estimates) else format_cost(sum(costs)) + " (some unpriced)"
    batch_total = format_cost(sum(e.batch_cost_usd for e in estimates if e.batch_cost_usd is not None))
    transcribed = [e for e in estimates if e.transcribed]
    asr = ""
    if transcribed:
        asr_costs = [e.asr_cost_usd for e in transcribed if e.asr_cost_usd is not None]
        asr = (f", {format_cost(sum(asr_costs))}{'' if len(asr_costs) == len(transcribed) else ' (some unpriced)'}"
               f" speech recognition of {len(transcribed)} video(s)")
    click.echo(f"total: {len(estimates)} video(s), {sum(e.calls for e in estimates)} call(s), "
               f"{sum(e.prompt_tokens + e.completion_tokens for e in estimates)} tokens, {total} live, "
               f"{batch_total} through the Batch API{asr} (dry run: nothing spent)")
    if report.approved:
        click.echo(_approved_left_out(report))
    for problem in report.source_errors:
        click.echo(redact(f"error: {problem}"), err=True)
    for failure in report.summary.failures:
        click.echo(redact(f"error: {failure.message}"), err=True)
    return report.exit_status


# The option groups a stage's command takes beside the common ones (``Stage.cli_options``).
_STAGE_OPTIONS: dict[str, Callable[[Any], Any]] = {
    "words": words_options,
    "overwrite_edited": click.option("--overwrite-edited", is_flag=True,
                                     help="Replace posts a reviewer edited (a backup of each is saved beside it)."),
    "format": click.option("--format", "post_format", metavar="FORMAT", cls=FormatOption,
                           help="The site generator the posts are for: {formats} "
                                "(post.format); one output folder holds one format's posts."),
}

@main.command()
@click.argument("sources", nargs=-1)
@common
@stage_options
@selection_options
@words_options
@click.option("--retry-failed", is_flag=True, help="Retry only the videos whose last run failed.")
@click.option("--dry-run", is_flag=True, help="Print each video's planned LLM calls, tokens and cost; spend nothing.")
@click.option("--max-cost", type=click.FloatRange(min=0), metavar="USD",
              help="Stop starting new videos once the run would pass this cost.")
@click.option("--new", is_flag=True, help="Only videos of the sources not seen by an earlier --new run.")
@click.option("--mark-seen", is_flag=True,
              help="With --new: record the new videos --limit/--since leave out as seen, without processing them.")
@click.option("--quiet", "-q", is_flag=True, help="Only the summary line (no progress, no warnings); nothing at all when no video is new.")
@click.option("--batch-api", is_flag=True, help="Summarize through the provider's Batch API (half price, within 24 h).")
@click.option("--batch-export", metavar="DIR", type=click.Path(file_okay=False),
              help="Batch API export: write the requests as JSONL files into DIR instead of sending them.")
@click.option("--batch-import", metavar="FILE", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Batch API import: apply a result JSONL file (repeatable), then go on.")
@_STAGE_OPTIONS["format"]
@boundary
def run(sources: tuple[str, ...], config_path: str | None, out: str, verbose: bool, **given: Any) -> int:
    """Fetch, summarize and write posts for SOURCES (video, list and feed URLs, ids, .info.json files,
    folders, list files, media files).

    Stages whose artifacts are current are skipped, so a rerun resumes; --force redoes them."""
    if (given["new"] or given["mark_seen"]) and (given["retry_failed"] or given["subtitles"]):
        raise UsageError("--new picks the videos itself: leave out --retry-failed and --subtitles")
    return _run(NAMES, sources, config_path, out, verbose, given)


def _stage_command(stage: str, doc: str, *extra: Callable[[Any], Any]) -> None:
    """``yt2post fetch|summarize|write``: one stage of ``run``, for videos given or already fetched."""

    @main.command(stage, help=doc)
    @click.argument("sources", nargs=-1)
    @common
    @stage_options
    @selection_options
    @_options(*extra)
    @boundary
    def command(sources: tuple[str, ...], config_path: str | None, out: str, verbose: bool, **given: Any) -> int:
        return _run((stage,), sources, config_path, out, verbose, given)


for _stage in ALL:
    _stage_command(_stage.name, _stage.help, *(_STAGE_OPTIONS[group] for group in _stage.cli_options))
