"""What every command shares: the ``yt2post`` group, the error boundary (typed errors become
one line and an exit status: 0 all videos fine, 1 some video failed, 2 usage or config error or
an error every video would hit, 130 interrupted, 143 terminated; tracebacks only with
``--verbose``) and the option groups. Heavy modules are imported inside the commands that use
them, so ``--help`` and ``status`` start at once."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, NoReturn

import click

from pipeline.errors import ConfigError, ExitStatus, UsageError, Yt2PostError
from pipeline.lock import TERMINATED_STATUS, Terminated, handle_sigterm

if TYPE_CHECKING:
    from pipeline.config import Config

DEFAULT_CONFIG = "config.yaml"


def _load(config_path: str | None) -> Config:
    from pipeline.config import load_config
    from pipeline.redact import install as install_redactor

    config = load_config(config_path)
    install_redactor(config)
    return config


class FormatOption(click.Option):
    """``--format``: its help's ``{formats}`` the registry's post formats, looked up only when
    the help is shown (the registry imports the config's models, which ``--help`` need not wait for)."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from pipeline.post.formats import DEFAULT_FORMAT, FORMATS

        names = [f"{name} (default)" if name == DEFAULT_FORMAT else name for name in FORMATS]
        template = self.help or ""
        self.help = template.format(formats=", ".join(names[:-1]) + f" or {names[-1]}")
        try:
            return super().get_help_record(ctx)
        finally:
            self.help = template


class _OneLine(logging.Formatter):
    """``warning: …`` like every other line the command prints; the logger's name only with -v."""

    def __init__(self, verbose: bool) -> None:
        super().__init__()
        self.verbose = verbose

    def format(self, record: logging.LogRecord) -> str:
        where = f" {record.name}" if self.verbose else ""
        return f"{record.levelname.lower()}{where}: {record.getMessage()}"


class _ToStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to ``sys.stderr`` as it is at each line: while the live display runs, that is
    rich's stand-in, which prints the line above the display instead of into it."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _setup_logging(verbose: bool, quiet: bool = False) -> None:
    """Warnings on stderr; with ``--quiet`` none (they are in the artifacts: cron mail gets the
    summary line alone); with ``--verbose`` the details too."""
    from pipeline.redact import RedactingFilter
    from pipeline.redact import install as install_redactor

    handler = _ToStderr()
    handler.setFormatter(_OneLine(verbose))
    handler.addFilter(RedactingFilter())
    level = logging.INFO if verbose else logging.ERROR if quiet else logging.WARNING
    logging.basicConfig(level=level, handlers=[handler], force=True)
    install_redactor(None)


# Set by the console script (``pipeline._entry``): the command owns its process, so the signal
# handling it sets up stays until the process ends. Called in another program's process (tests,
# through Click's runner), the command puts the program's own handlers back when it returns.
OWNS_PROCESS = False


def boundary(func: Callable[..., int | None]) -> Callable[..., None]:
    """Turn the core's typed errors into one line on stderr and the documented exit status."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        verbose = bool(kwargs.get("verbose"))
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            _guarded(func, verbose, args, kwargs)
        finally:
            if not OWNS_PROCESS:
                for sig, handler in handlers.items():
                    signal.signal(sig, handler)

    return wrapper


def _guarded(func: Callable[..., int | None], verbose: bool, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    try:
        # From here on Ctrl-C unwinds normally, so work in flight can finish its writes.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        handle_sigterm()  # SIGTERM (systemd, Docker, CI, timeout) stops like Ctrl-C
        _setup_logging(verbose, quiet=bool(kwargs.get("quiet")))
        status = func(*args, **kwargs)
    except (ConfigError, UsageError) as exc:
        _fail(exc, verbose)
        sys.exit(ExitStatus.USAGE)
    except Yt2PostError as exc:
        _fail(exc, verbose)
        sys.exit(ExitStatus.USAGE if exc.fatal else ExitStatus.VIDEO_FAILED)
    except BrokenPipeError:
        _reader_gone()
    except (OSError, ValueError, RuntimeError) as exc:  # a bug or a library's surprise: still one line
        interrupt = _interrupt_behind(exc)
        if interrupt is not None:
            _stopped(interrupt)
        _fail(exc, verbose)
        if not verbose:
            click.echo("(rerun with --verbose for the details)", err=True)
        sys.exit(ExitStatus.VIDEO_FAILED)
    except KeyboardInterrupt as exc:
        _stopped(exc)
    # The work is done: a signal from now on could only turn a finished run into a killed one.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(int(status or ExitStatus.OK))


def _stopped(exc: KeyboardInterrupt) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second TERM must not cut the cleanup short
    what = "terminated" if isinstance(exc, Terminated) else "interrupted"
    click.echo(f"{what}: finished artifacts are kept; rerun the same command to resume", err=True)
    sys.exit(TERMINATED_STATUS if isinstance(exc, Terminated) else ExitStatus.INTERRUPTED)


def _reader_gone() -> NoReturn:
    """``yt2post status | head``: the reader has what it wanted. Stop quietly, with the status
    of a program the pipe's signal ends; what is still buffered for stdout goes nowhere, so
    Python's flush at exit has nothing to complain about."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file behind stdout (a program's own capture): nothing to flush
        pass
    sys.exit(ExitStatus.BROKEN_PIPE)


def _interrupt_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """Ctrl-C or SIGTERM that Python wrapped into another error: one that arrives while a class
    is being created during an import comes out as "RuntimeError: Error calling __set_name__"."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def _fail(exc: BaseException, verbose: bool) -> None:
    from pipeline.redact import redact

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
    # Read where the lock is taken (``_run``), so no command's signature has to carry it.
    click.option("--no-wait", is_flag=True, expose_value=False,
                 callback=lambda ctx, _param, value: ctx.meta.__setitem__("no_wait", value),
                 help="Exit (status 2) instead of waiting when another run uses the output folder."),
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
@click.version_option(None, "-V", "--version", package_name="yt2post", prog_name="yt2post")
def main() -> None:
    """Turn videos and podcast episodes into reviewable draft posts (Chinese by default)."""
