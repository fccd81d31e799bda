"""The commands that look after the output folder rather than run stages: ``status``,
``init``, ``ignore`` and ``unignore``. Each parses, calls the library, prints."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from pipeline.cli.base import DEFAULT_CONFIG, FormatOption, _load, boundary, common, main
from pipeline.errors import ExitStatus, UsageError

from pipeline.stages import NAMES

_HEADER = ("video", "title", *NAMES, "review", "tokens", "cost", "post", "error")


@main.command()
@common
@click.option("--details", is_flag=True, help="Also list what a reviewer should check in each post.")
@click.option("--failed", "only_failed", is_flag=True, help="Only videos whose last run failed.")
@click.option("--pending-review", is_flag=True, help="Only posts written and not yet edited or approved.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per video, for scripts.")
@boundary
def status(config_path: str | None, out: str, verbose: bool, details: bool, only_failed: bool,
           pending_review: bool, as_json: bool) -> int:
    """Show each video: stages done, post, review state, spend, last error (no lock needed)."""
    from pipeline.status import all_statuses, failures_by_cause
    from pipeline.store import Store

    _load(config_path)  # the --config it offers: a bad one is the configuration error, as for run
    statuses = all_statuses(Store(out))
    if only_failed:
        statuses = [s for s in statuses if s.error]
    if pending_review:
        statuses = [s for s in statuses if s.review == "draft" and not s.ignored]
    if as_json:
        for s in statuses:
            click.echo(json.dumps({"video_id": s.video_id, "title": s.title, "stages": s.stages, "post": s.post,
                                   "review": s.review, "ignored": s.ignored, "tokens": s.tokens,
                                   "cost_usd": s.cost_usd, "error": s.error, "flags": s.flags},
                                  ensure_ascii=False))
        return ExitStatus.OK
    if not statuses:
        click.echo(f"no videos in {out}" if not (only_failed or pending_review) else "no videos match")
        return ExitStatus.OK
    rows = []
    for s in statuses:
        error = f"[{s.cause}] {s.error.get('message', '')}" if s.error else ""
        cost = f"${s.cost_usd:.4f}" if s.cost_usd is not None else "-"
        review = "ignored" if s.ignored else (s.review or "-")
        rows.append((s.video_id, s.title or "-", *(s.stages[name] or "-" for name in NAMES), review,
                     str(s.tokens), cost, s.post or "-", error))
    _print_table(rows)
    total_cost = sum(s.cost_usd or 0 for s in statuses)
    click.echo(f"total: {len(statuses)} video(s), {sum(s.tokens for s in statuses)} tokens, ${total_cost:.4f}")
    causes = failures_by_cause(statuses)
    if causes:
        click.echo("failures by cause: " + ", ".join(f"{c}: {n}" for c, n in sorted(causes.items())))
    from pipeline.cli.batches import print_pending

    print_pending(Path(out))  # Batch API jobs still running or not applied yet
    if details:
        for s in statuses:
            if s.flags:
                click.echo(f"{s.video_id}: check before publishing:")
                for flag in s.flags:
                    click.echo(f"  - {flag}")
    return ExitStatus.OK


def _print_table(rows: list[tuple[str, ...]]) -> None:
    # Tabs and newlines in titles would break either layout.
    table = [_HEADER, *([" ".join(cell.split()) for cell in row] for row in rows)]
    if sys.stdout.isatty():  # one line per video, aligned, as wide as the terminal
        for line in _aligned(table, shutil.get_terminal_size().columns):
            click.echo(line)
    else:  # tab-separated for pipes and scripts (``cut -f2``); --json has every field whole
        for row in table:
            click.echo("\t".join(row))


# The columns cut (with …) to fit the terminal, and their shares of the room the others (short,
# always whole) leave: the title says most about a video.
_FLEXIBLE = {"title": 3, "post": 2, "error": 2}
_GAP = 2


def _aligned(table: list[Sequence[str]], width: int) -> list[str]:
    """Rows padded to columns measured in terminal cells (a Chinese character takes two)."""
    from rich.cells import cell_len, set_cell_size

    natural = [max(cell_len(row[i]) for row in table) for i in range(len(_HEADER))]
    flexible = [i for i, name in enumerate(_HEADER) if name in _FLEXIBLE]
    room = width - sum(w for i, w in enumerate(natural) if i not in flexible) - _GAP * (len(_HEADER) - 1)
    widths = list(natural)
    # A flexible column narrower than its share keeps its width; the wider ones share what is left.
    weight = sum(_FLEXIBLE.values())
    for i in sorted(flexible, key=lambda i: natural[i] / _FLEXIBLE[_HEADER[i]]):
        share = room * _FLEXIBLE[_HEADER[i]] // weight
        widths[i] = min(natural[i], max(len(_HEADER[i]), share))
        room, weight = room - widths[i], weight - _FLEXIBLE[_HEADER[i]]

    def fit(text: str, size: int) -> str:
        return set_cell_size(text, size) if cell_len(text) <= size else set_cell_size(text, size - 1) + "…"

    return [(" " * _GAP).join(fit(cell, size) for cell, size in zip(row, widths)).rstrip() for row in table]


@main.command()
@click.argument("video_ids", nargs=-1, metavar="VIDEO...")
@common
@boundary
def approve(video_ids: tuple[str, ...], config_path: str | None, out: str, verbose: bool) -> int:
    """Approve posts as they are: no longer drafts, in the site generator's place for published
    posts (and copied into review.site_dir), never regenerated."""
    from pipeline.api import stored_video_id
    from pipeline.errors import Yt2PostError
    from pipeline.post.approve import approve as approve_post
    from pipeline.redact import redact
    from pipeline.store import Store

    if not video_ids:
        raise UsageError("give at least one VIDEO (an id or URL)")
    config, store = _load(config_path), Store(out)
    failed = 0
    for video_id in (stored_video_id(text, store) for text in video_ids):
        try:
            path = approve_post(store, video_id, config)
        except Yt2PostError as exc:
            failed += 1
            click.echo(redact(f"error: {exc}"), err=True)
            continue
        site = f" and copied into {config.review.site_dir}" if config.review.site_dir else ""
        click.echo(f"approved {video_id}: {store.relative(path)}{site}")
    return ExitStatus.VIDEO_FAILED if failed else ExitStatus.OK


@main.command()
@click.option("--prompts", "with_prompts", is_flag=True,
              help="Also copy the prompt templates into ./prompts to edit (and point prompts_dir at them); "
                   "with a config.yaml already there, add only them.")
@click.option("--format", "post_format", metavar="FORMAT", cls=FormatOption,
              help="The site generator the posts are for: {formats}.")
@boundary
def init(with_prompts: bool, post_format: str | None) -> int:
    """Write a commented config.yaml (every setting with its default) into this folder."""
    from pipeline.cli.run import with_format
    from pipeline.config import Config
    from pipeline.resources import builtin_config_file

    if post_format:
        with_format(Config(), post_format)  # a name that is no format is refused
    config_path = Path(DEFAULT_CONFIG)
    if config_path.exists():
        if post_format:
            raise UsageError(f"{config_path} already exists; not overwriting: set post.format: {post_format} in it")
        if not with_prompts:
            raise UsageError(f"{config_path} already exists; not overwriting (move it away first; "
                             "yt2post init --prompts adds only the prompt templates)")
        return _add_prompts(config_path)
    text = builtin_config_file().read_text(encoding="utf-8")
    line = f"wrote {config_path}"
    if post_format:
        text = with_post_format(text, post_format)
        line += f" for {post_format} posts"
    if with_prompts:
        text = text.replace("# prompts_dir: my-prompts", "prompts_dir: prompts")
        line += " and " + _copied(Path("prompts"))
    config_path.write_text(text, encoding="utf-8")
    click.echo(line)
    return ExitStatus.OK


def with_post_format(text: str, post_format: str) -> str:
    """The shipped config's text with ``post.format: post_format``; AssertionError when its line
    is not as shipped (never a config.yaml silently for the default format)."""
    import yaml

    from pipeline.post.formats import DEFAULT_FORMAT

    text = text.replace(f"\n  format: {DEFAULT_FORMAT}\n", f"\n  format: {post_format}\n", 1)
    if (yaml.safe_load(text).get("post") or {}).get("format") != post_format:
        raise AssertionError(f"the shipped config.yaml has no post.format line as shipped to set to {post_format}")
    return text


def _template_names() -> list[str]:
    from pipeline.resources import builtin_prompts_dir

    builtin = builtin_prompts_dir()  # with the English set for readers of other languages, en/
    return sorted(str(t.relative_to(builtin)) for t in builtin.rglob("*.md"))


def _copied(folder: Path) -> str:
    """Copy the built-in templates ``folder`` does not have yet (one there, perhaps edited, is
    never written over); what was done, for the command's line."""
    from pipeline.resources import builtin_prompts_dir

    folder.mkdir(parents=True, exist_ok=True)
    names = _template_names()
    missing = [name for name in names if not (folder / name).exists()]
    for name in missing:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text((builtin_prompts_dir() / name).read_text(encoding="utf-8"), encoding="utf-8")
    kept = len(names) - len(missing)
    return f"copied {len(missing)} prompt template(s) into {folder}/" + (f" (kept the {kept} already there)" if kept else "")


def _add_prompts(config_path: Path) -> int:
    """``init --prompts`` after ``init``: the templates into the config's ``prompts_dir`` (set to
    ``prompts`` when it has none), the user's other settings left exactly as they are."""
    from pipeline.config import add_top_level_setting, load_config
    from pipeline.files import atomic_write_text

    configured = load_config(config_path).prompts_dir
    folder = Path(os.path.relpath(configured)) if configured else Path("prompts")
    if configured and all((folder / name).exists() for name in _template_names()):
        click.echo(f"nothing to add: {folder}/ has every prompt template and {config_path} points prompts_dir at it")
        return ExitStatus.OK
    edited = None if configured else add_top_level_setting(config_path, "prompts_dir", "prompts")
    line = _copied(folder)
    if edited is not None:
        atomic_write_text(config_path.resolve(), edited)
        line += f" and set prompts_dir: prompts in {config_path} (your other settings unchanged)"
    click.echo(line)
    return ExitStatus.OK


def _set_ignored(video_ids: tuple[str, ...], out: str, ignored: bool) -> int:
    from pipeline.api import set_ignored
    from pipeline.store import Store

    if not video_ids:
        raise UsageError("give at least one VIDEO (an id or URL)")
    unknown = set_ignored(Store(out), video_ids, ignored)
    for video_id in unknown:
        click.echo(f"error: {video_id}: not in {out}", err=True)
    done = len(video_ids) - len(unknown)
    click.echo(f"{done} video(s) {'ignored: never fetched, summarized or written again' if ignored else 'no longer ignored'}")
    return ExitStatus.VIDEO_FAILED if unknown else ExitStatus.OK


def _ignore_command(name: str, ignored: bool, doc: str) -> None:
    @main.command(name, help=doc)
    @click.argument("video_ids", nargs=-1, metavar="VIDEO...")
    @common
    @boundary
    def command(video_ids: tuple[str, ...], config_path: str | None, out: str, verbose: bool) -> int:
        _load(config_path)
        return _set_ignored(video_ids, out, ignored)


_ignore_command("ignore", True, "Reject videos: never fetch, summarize or write them again (a deleted post stays deleted).")
_ignore_command("unignore", False, "Take back ignore: the videos run again with the next run that names them.")
