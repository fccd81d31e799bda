"""``yt2post watch``: ``run --new`` on an interval, for machines without cron or a systemd timer."""

from __future__ import annotations

import time

import click

from pipeline.cli.base import boundary, common, main, selection_options
from pipeline.cli.run import _run
from pipeline.errors import ConfigError, ExitStatus, UsageError, Yt2PostError


@main.command()
@click.argument("sources", nargs=-1)
@common
@selection_options
@click.option("--every", type=click.FloatRange(min=0.001), default=60.0, show_default=True, metavar="MINUTES",
              help="Minutes between two looks at the sources.")
@click.option("--times", type=click.IntRange(min=1), help="Stop after this many looks (default: until stopped).")
@click.option("--mark-seen", is_flag=True,
              help="On each look, record the new videos --limit/--since leave out as seen, without processing them.")
@click.option("--quiet", "-q", is_flag=True, help="Only summary lines (no progress, no warnings); nothing at all for a look with no new video.")
@click.option("--batch-api", is_flag=True, help="Summarize through the provider's Batch API.")
@boundary
def watch(sources: tuple[str, ...], config_path: str | None, out: str, verbose: bool, limit: int | None,
          since: str | None, reverse: bool, every: float, times: int | None, mark_seen: bool, quiet: bool,
          batch_api: bool) -> int:
    """Look at SOURCES every --every minutes and draft their new videos (as run --new does).

    A look that finds the output folder busy (another run) is skipped with one line; the exit
    status is the worst of the looks (1 when some video failed)."""
    from pipeline.redact import redact
    from pipeline.stages import NAMES
    from pipeline.watch import OutputBusy

    worst = ExitStatus.OK
    look = 0
    while True:
        look += 1
        try:
            status = _run(NAMES, sources, config_path, out, verbose,
                          {"new": True, "mark_seen": mark_seen, "quiet": quiet, "batch_api": batch_api, "limit": limit,
                           "since": since, "reverse": reverse})
        except OutputBusy as exc:
            click.echo(f"skipped a look: {exc}", err=True)
            status = ExitStatus.OK
        except Yt2PostError as exc:
            if exc.fatal or isinstance(exc, (ConfigError, UsageError)):
                raise  # every later look would fail the same way
            # A network blip while listing a channel, a damaged record: the next look may do better.
            click.echo(redact(f"skipped a look: {exc}"), err=True)
            status = ExitStatus.VIDEO_FAILED
        worst = max(worst, ExitStatus(status))
        if times is not None and look >= times:
            return worst
        time.sleep(every * 60)
