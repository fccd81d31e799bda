"""yt2post batches: the Batch API jobs of an output folder, and cancelling them."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.base import _load, boundary, common, main
from pipeline.errors import ExitStatus


@main.group(invoke_without_command=True)
@click.pass_context
def batches(ctx: click.Context) -> None:
    """The Batch API jobs of an output folder: list them (the default) or cancel them."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_command)


@batches.command("list")
@common
@boundary
def list_command(config_path: str | None = None, out: str = "output", verbose: bool = False) -> int:
    """List the Batch API jobs whose results are not applied yet, with their progress."""
    from pipeline.batchapi.records import Registry

    _load(config_path)  # the --config it offers: a bad one is the configuration error, as for run
    pending = Registry(Path(out)).unfinished()
    if not pending:
        click.echo(f"no pending batches in {out}")
    for record in pending:
        click.echo(describe(record))
    return ExitStatus.OK


def print_pending(out: Path) -> None:
    """For ``yt2post status``: one line per pending batch, nothing when there is none."""
    from pipeline.batchapi.records import Registry

    pending = Registry(out).unfinished()
    if pending:
        click.echo(f"pending batches: {len(pending)}")
        for record in pending:
            click.echo("  " + describe(record))


def describe(record: dict) -> str:
    counts = record.get("request_counts") or {}
    videos = record.get("videos") or []
    return (f"batch {record['id']}: {record.get('status')}, {counts.get('completed', 0)}/{counts.get('total', '?')} "
            f"done, {counts.get('failed', 0)} failed ({record.get('requests', '?')} request(s) of "
            f"{len(videos)} video(s))")


@batches.command("cancel")
@common
@boundary
def cancel(config_path: str | None, out: str, verbose: bool) -> int:
    """Cancel every running Batch API job of the output folder (finished work is still applied)."""
    from pipeline.batchapi.jobs import BatchJobs
    from pipeline.store import Store

    config = _load(config_path)
    cancelled = BatchJobs(config.llm, Store(out)).cancel_all()
    click.echo(f"cancelled {len(cancelled)} batch(es)" + (": " + ", ".join(cancelled) if cancelled else ""))
    return ExitStatus.OK
