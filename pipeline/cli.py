"""The ``yt2post`` command: parse arguments, call one library function, print the result.

This is the one boundary where errors become a single line and an exit status
(0 all videos fine, 1 some video failed, 2 usage or config error); tracebacks only
with ``--verbose``.
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from pipeline.config import Config, load_config, parse_overrides
from pipeline.errors import ConfigError, ExitStatus, UsageError, Yt2PostError
from pipeline.progress import make_reporter
from pipeline.redact import RedactingFilter, redact
from pipeline.redact import install as install_redactor
from pipeline.cost import call_cost, format_cost
from pipeline.runner import RunOptions, Runner, RunSummary, failed_videos
from pipeline.summarize import Estimate
from pipeline.sources import VideoRef, expand_sources
from pipeline.store import Store

DEFAULT_CONFIG = "config.yaml"


def _load(config_path: str | None) -> Config:
    if config_path is None:
        default = Path(DEFAULT_CONFIG)
        return load_config(default if default.exists() else None)
    return load_config(config_path)


def boundary(func: Callable[..., int | None]) -> Callable[..., None]:
    """Turn the core's typed errors into one line on stderr and the documented exit status."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        verbose = bool(kwargs.get("verbose"))
        logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                            format="%(levelname)s %(name)s: %(message)s")
        for handler in logging.getLogger().handlers:
            handler.addFilter(RedactingFilter())
        install_redactor(None)
        try:
            status = func(*args, **kwargs)
        except (ConfigError, UsageError) as exc:
            _fail(exc, verbose)
            sys.exit(ExitStatus.USAGE)
        except Yt2PostError as exc:
            _fail(exc, verbose)
            sys.exit(ExitStatus.VIDEO_FAILED)
        except KeyboardInterrupt:
            click.echo("interrupted: finished artifacts are kept; rerun the same command to resume", err=True)
            sys.exit(ExitStatus.INTERRUPTED)
        sys.exit(int(status or ExitStatus.OK))

    return wrapper


def _fail(exc: BaseException, verbose: bool) -> None:
    if verbose:
        import traceback

        click.echo(redact("".join(traceback.format_exception(exc))), err=True, nl=False)
    click.echo(redact(f"error: {exc}"), err=True)


def _options(*options: Callable[[Any], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Several click options as one decorator, in the order given."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


common = _options(
    click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                 help=f"Configuration file (default: ./{DEFAULT_CONFIG} when it exists)."),
    click.option("--out", "out", type=click.Path(file_okay=False), default="output", show_default=True,
                 help="Output folder for artifacts and posts."),
    click.option("--verbose", "-v", is_flag=True, help="Log progress details and show tracebacks."),
)
stage_options = _options(
    click.option("--force", is_flag=True, help="Redo stages even when their artifacts are current."),
    click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                 help="Front-matter value for this run; comma-separated for lists (project=a,b)."),
)
# Which videos of a list: applied before any per-video work starts.
selection_options = _options(
    click.option("--limit", type=click.IntRange(min=1), help="Process at most N videos of a list."),
    click.option("--since", metavar="YYYY-MM-DD", help="Skip videos uploaded before this date."),
    click.option("--reverse", "--oldest-first", "reverse", is_flag=True, help="Oldest videos of a list first."),
)
words_options = _options(
    click.option("--subtitles", type=click.Path(exists=True, dir_okay=False), help="Use this caption file (one video)."),
    click.option("--allow-description", is_flag=True, help="Summarize a video without words from its description."),
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="yt2post")
def main() -> None:
    """Turn YouTube videos into reviewable Chinese draft posts."""


def resolve_videos(sources: tuple[str, ...], store: Store, **expand: Any) -> list[VideoRef]:
    """Sources are URLs, ids, files or folders; a bare id that already has artifacts is that video."""
    if not sources:
        raise UsageError("give at least one SOURCE (a video URL or id, an .info.json, a folder or a list file)")
    videos: list[VideoRef] = []
    for source in sources:
        info = store.read_optional(source, "metadata") if _looks_like_id(source) else None
        if info and info.get("info_path") and Path(info["info_path"]).is_file():
            videos.append(VideoRef(video_id=source, url=str(info.get("webpage_url") or ""),
                                   info_path=Path(info["info_path"])))
        else:
            videos.extend(expand_sources([source], **{k: v for k, v in expand.items() if v is not None}))
    unique: dict[str, VideoRef] = {}
    for video in videos:
        unique.setdefault(video.video_id, video)
    return list(unique.values())


def _looks_like_id(source: str) -> bool:
    return not Path(source).exists() and "/" not in source and len(source) <= 64


def _print_summary(summary: RunSummary) -> int:
    failed = len({f.video_id for f in summary.failures})
    parts = [f"{summary.count('done')} done", f"{summary.count('skipped')} skipped"]
    if summary.count("kept"):
        parts.append(f"{summary.count('kept')} kept (edited by a reviewer)")
    parts.append(f"{failed} failed")
    causes = summary.failures_by_cause()
    line = f"{summary.videos} video(s): " + ", ".join(parts)
    if causes:
        line += " (" + ", ".join(f"{cause}: {n}" for cause, n in sorted(causes.items())) + ")"
    click.echo(line)
    for failure in summary.failures:
        click.echo(redact(f"error: {failure.message}"), err=True)
    return ExitStatus.VIDEO_FAILED if failed else ExitStatus.OK


def _run(stages: tuple[str, ...], sources: tuple[str, ...], config_path: str | None, out: str, verbose: bool,
         force: bool = False, sets: tuple[str, ...] = (), overwrite_edited: bool = False,
         subtitles: str | None = None, allow_description: bool = False, retry_failed: bool = False,
         dry_run: bool = False, max_cost: float | None = None, videos: list[VideoRef] | None = None,
         quiet: bool = False, after: Callable[[RunSummary], None] | None = None, **expand: Any) -> int:
    config = _load(config_path)
    install_redactor(config)
    store = Store(out)
    overrides = parse_overrides(list(sets))
    if retry_failed:
        videos = failed_videos(store)
        if sources:
            wanted = {v.video_id for v in resolve_videos(sources, store, **expand)}
            videos = [v for v in videos if v.video_id in wanted]
        if not videos:
            click.echo(f"no failed videos in {out}")
            return ExitStatus.OK
    elif videos is None:
        videos = resolve_videos(sources, store, **expand)
    if subtitles and len(videos) != 1:
        raise UsageError("--subtitles FILE goes with exactly one video")
    if max_cost is not None and call_cost(config.llm.model, 1_000_000, 0, 0, config.llm.prices) is None:
        raise ConfigError(f"--max-cost needs a price for model {config.llm.model!r} in llm.prices")
    options = RunOptions(stages=stages, force=force, overrides=overrides, overwrite_edited=overwrite_edited,
                         subtitles=Path(subtitles) if subtitles else None, allow_description=allow_description,
                         verbose=verbose, max_cost=max_cost)
    llm = None
    if "summarize" in stages and not dry_run:
        from pipeline.llm import LLMClient

        llm = LLMClient(config.llm)  # a missing API key is a config error (exit 2), found before any work
    reporter = make_reporter(verbose, stream=io.StringIO()) if quiet else make_reporter(verbose)
    runner = Runner(config, store, options, reporter, llm=llm)
    try:
        if dry_run:
            estimates = runner.plan(videos)
        else:
            summary = runner.run(videos)
    finally:
        reporter.close()
    if dry_run:
        return _print_plan(estimates, runner.summary)
    if after is not None:
        after(summary)
    return _print_summary(summary)


def _print_plan(estimates: list[Estimate], summary: RunSummary) -> int:
    """``--dry-run``: what the run would spend, per video and in all; nothing was spent."""
    click.echo("video\tcalls\tprompt_tokens\tcompletion_tokens\test_cost")
    for e in estimates:
        note = "\t(article current: skipped)" if e.skipped else ""
        click.echo(f"{e.video_id}\t{e.calls}\t{e.prompt_tokens}\t{e.completion_tokens}\t"
                   f"{format_cost(e.cost_usd)}{note}")
    costs = [e.cost_usd for e in estimates if e.cost_usd is not None]
    total = format_cost(sum(costs)) if len(costs) == len(estimates) else format_cost(sum(costs)) + " (some unpriced)"
    click.echo(f"total: {len(estimates)} video(s), {sum(e.calls for e in estimates)} call(s), "
               f"{sum(e.prompt_tokens + e.completion_tokens for e in estimates)} tokens, {total} (dry run: nothing spent)")
    for failure in summary.failures:
        click.echo(redact(f"error: {failure.message}"), err=True)
    return ExitStatus.VIDEO_FAILED if summary.failures else ExitStatus.OK


@main.command()
@click.argument("sources", nargs=-1)
@common
@stage_options
@selection_options
@words_options
@click.option("--retry-failed", is_flag=True, help="Retry only the videos whose last run failed.")
@click.option("--dry-run", is_flag=True, help="Print each video's planned LLM calls, tokens and cost; spend nothing.")
@click.option("--max-cost", type=click.FloatRange(min=0), metavar="USD",
              help="Stop starting new videos once the batch would pass this cost.")
@click.option("--new", is_flag=True, help="Only videos of the sources not seen by an earlier --new run.")
@click.option("--mark-seen", is_flag=True,
              help="With --new: record the new videos --limit/--since leave out as seen, without processing them.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines; nothing at all when no video is new.")
@boundary
def run(sources: tuple[str, ...], config_path: str | None, out: str, verbose: bool, force: bool,
        sets: tuple[str, ...], limit: int | None, since: str | None, reverse: bool, subtitles: str | None,
        allow_description: bool, retry_failed: bool, dry_run: bool, max_cost: float | None, new: bool,
        mark_seen: bool, quiet: bool) -> int:
    """Fetch, summarize and write posts for SOURCES (URLs, ids, .info.json files, folders, lists)."""
    if new or mark_seen:
        return _run_new(sources, config_path, out, verbose, force, sets, mark_seen=mark_seen, quiet=quiet,
                        dry_run=dry_run, max_cost=max_cost, allow_description=allow_description,
                        limit=limit, since=since, reverse=reverse)
    return _run(("fetch", "summarize", "write"), sources, config_path, out, verbose, force, sets,
                subtitles=subtitles, allow_description=allow_description, retry_failed=retry_failed,
                dry_run=dry_run, max_cost=max_cost, limit=limit, since=since, reverse=reverse or None)


def _run_new(sources: tuple[str, ...], config_path: str | None, out: str, verbose: bool, force: bool,
             sets: tuple[str, ...], *, mark_seen: bool, quiet: bool, limit: int | None, since: str | None,
             reverse: bool, **run_options: Any) -> int:
    """``run --new``: the sources' unseen videos, under the output folder's lock (safe from cron)."""
    from pipeline.watch import output_lock, remember, select_new

    if not sources:
        raise UsageError("--new needs at least one SOURCE (a playlist, channel or list to watch)")
    with output_lock(Path(out)):
        selection = select_new(Path(out), sources, limit=limit, since=since, reverse=reverse, mark_seen=mark_seen)
        if not selection.videos:
            if not run_options.get("dry_run"):
                remember(selection, [], [])
            if not quiet:
                marked = f", {len(selection.marked)} marked seen" if selection.marked else ""
                click.echo(f"no new videos in {len(sources)} source(s){marked}")
            return ExitStatus.OK

        def after(summary: RunSummary) -> None:
            failed = {f.video_id for f in summary.failures}
            remember(selection, [v.video_id for v in selection.videos if v.video_id not in failed], failed)

        return _run(("fetch", "summarize", "write"), sources, config_path, out, verbose, force, sets,
                    videos=selection.videos, quiet=quiet, after=after, **run_options)


@main.command("fetch")
@click.argument("sources", nargs=-1)
@common
@stage_options
@selection_options
@words_options
@boundary
def fetch_command(sources: tuple[str, ...], config_path: str | None, out: str, verbose: bool, force: bool,
                  sets: tuple[str, ...], limit: int | None, since: str | None, reverse: bool,
                  subtitles: str | None, allow_description: bool) -> int:
    """Rerun the fetch stage: metadata.json and transcript.json."""
    return _run(("fetch",), sources, config_path, out, verbose, force, sets, subtitles=subtitles,
                allow_description=allow_description, limit=limit, since=since, reverse=reverse or None)


@main.command("summarize")
@click.argument("sources", nargs=-1)
@common
@stage_options
@selection_options
@boundary
def summarize_command(sources: tuple[str, ...], config_path: str | None, out: str, verbose: bool, force: bool,
                      sets: tuple[str, ...], limit: int | None, since: str | None, reverse: bool) -> int:
    """Rerun the summarize stage: article.json."""
    return _run(("summarize",), sources, config_path, out, verbose, force, sets, limit=limit, since=since,
                reverse=reverse or None)


@main.command("write")
@click.argument("sources", nargs=-1)
@common
@stage_options
@selection_options
@click.option("--overwrite-edited", is_flag=True,
              help="Replace posts a reviewer edited (a backup of each is saved beside it).")
@boundary
def write_command(sources: tuple[str, ...], config_path: str | None, out: str, verbose: bool, force: bool,
                  sets: tuple[str, ...], limit: int | None, since: str | None, reverse: bool,
                  overwrite_edited: bool) -> int:
    """Rerun the write stage: the Markdown post."""
    return _run(("write",), sources, config_path, out, verbose, force, sets, overwrite_edited=overwrite_edited,
                limit=limit, since=since, reverse=reverse or None)


@main.command()
@common
@click.option("--details", is_flag=True, help="Also list what a reviewer should check in each post.")
@boundary
def status(config_path: str | None, out: str, verbose: bool, details: bool) -> int:
    """Show each video: stages done, post, review state, last error."""
    from pipeline.status import all_statuses, failures_by_cause

    statuses = all_statuses(Store(out))
    if not statuses:
        click.echo(f"no videos in {out}")
        return ExitStatus.OK
    header = ("video", "fetch", "summarize", "write", "review", "tokens", "cost", "post", "error")
    rows = []
    for s in statuses:
        error = f"[{s.cause}] {s.error.get('message', '')}" if s.error else ""
        cost = f"${s.cost_usd:.4f}" if s.cost_usd is not None else "-"
        rows.append((s.video_id, s.stages["fetch"] or "-", s.stages["summarize"] or "-", s.stages["write"] or "-",
                     s.review or "-", str(s.tokens), cost, s.post or "-", error))
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(box=None, header_style="bold")
        for name in header:
            # Ids must stay whole; long paths and messages fold onto more lines instead.
            table.add_column(name, no_wrap=name in ("video", "review"), overflow="fold")
        for row in rows:
            table.add_row(*row)
        Console().print(table, markup=False, highlight=False)
    else:  # tab-separated for pipes and scripts
        for row in [header, *rows]:
            click.echo("\t".join(row))
    total_tokens = sum(s.tokens for s in statuses)
    total_cost = sum(s.cost_usd or 0 for s in statuses)
    click.echo(f"total: {len(statuses)} video(s), {total_tokens} tokens, ${total_cost:.4f}")
    causes = failures_by_cause(statuses)
    if causes:
        click.echo("failures by cause: " + ", ".join(f"{c}: {n}" for c, n in sorted(causes.items())))
    if details:
        for s in statuses:
            if s.flags:
                click.echo(f"{s.video_id}: check before publishing:")
                for flag in s.flags:
                    click.echo(f"  - {flag}")
    return ExitStatus.OK


if __name__ == "__main__":  # pragma: no cover
    main()
