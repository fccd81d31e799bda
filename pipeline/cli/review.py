"""``yt2post review``: serve the review desk over an output folder."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.base import _load, boundary, common, main
from pipeline.errors import ExitStatus, UsageError
from pipeline.lock import TERMINATED_STATUS, Terminated


@main.command("review")
@common
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback lets other machines reach the desk.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Print the URL only; do not open a browser.")
@boundary
def review_command(config_path: str | None, out: str, verbose: bool, host: str, port: int, no_browser: bool) -> int:
    """Serve the review desk: read, check, fix and approve the drafts of the output folder."""
    from pipeline.review import Desk, serve

    config = _load(config_path)
    if not Path(out).is_dir():
        raise UsageError(f"{out}: no such output folder (run yt2post first, or pass --out DIR)")

    def announce(desk: Desk) -> None:
        if desk.warning:
            click.echo(desk.warning, err=True)
        click.echo(f"review desk for {out}: {desk.url}")
        click.echo("The URL carries the desk's token: keep it to yourself. Ctrl-C stops the desk.")

    try:
        serve(out, config, host=host, port=port, open_browser=not no_browser, announce=announce)
    except KeyboardInterrupt as exc:
        # Ctrl-C (or SIGTERM) is how a desk ends, not a cut-short run: there is nothing to resume.
        # Uvicorn has answered the requests in flight; a regeneration still running is dropped
        # (it would only have written a candidate, never the post).
        click.echo("review desk stopped", err=True)
        return TERMINATED_STATUS if isinstance(exc, Terminated) else ExitStatus.INTERRUPTED
    return ExitStatus.OK
