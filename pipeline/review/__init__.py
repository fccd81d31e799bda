"""The review desk: ``yt2post review`` serves a local web page over an output folder where a
person reads each draft beside its transcript, checks the flagged facts, edits, regenerates,
approves or ignores it. See ``app.py`` for the pages, ``security.py`` for who may use them."""

from __future__ import annotations

import asyncio
import signal
import warnings
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import UsageError
from pipeline.review.security import LOOPBACK_NAMES, is_loopback, new_token


@dataclass
class Desk:
    url: str  # with the token: the one address that opens the desk
    host: str
    port: int
    warning: str = ""  # set when the desk listens beyond this machine


def allowed_hosts(host: str) -> set[str]:
    names = set(LOOPBACK_NAMES)
    if host not in ("0.0.0.0", "::"):
        names.add(host)
    return names


def serve(out: Path | str, config: Config, *, host: str = "127.0.0.1", port: int = 8765,
          open_browser: bool = True, token: str | None = None,
          announce: Callable[[Desk], None] = print) -> None:
    """Run the desk until interrupted; ``announce`` gets the URL (and a warning) before it listens."""
    import socket

    import uvicorn

    from pipeline.review.app import create_app

    token = token or new_token()
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))  # bound before the URL is printed: port 0 picks a free one
    except OSError as exc:
        sock.close()
        raise UsageError(f"the review desk cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)  # connections made as soon as the URL is printed wait for the server
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url_host = f"[{shown}]" if ":" in shown else shown
    desk = Desk(url=f"http://{url_host}:{port}/?token={token}", host=host, port=port)
    if not is_loopback(host):
        desk.warning = (f"warning: the review desk listens on {host}, beyond this machine; anyone who can reach "
                        "it and learns the token can edit posts and spend on model calls")
    app = create_app(out, config, token=token, allowed_hosts=allowed_hosts(host),
                     allow_ip_hosts=host in ("0.0.0.0", "::"))
    announce(desk)
    if open_browser:
        webbrowser.open(desk.url)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    # A Ctrl-C in the moment before the server's loop starts leaves its coroutine unawaited:
    # Python would say so on stderr, below the desk's own one line.
    warnings.filterwarnings("ignore", message="coroutine 'Server.serve' was never awaited", category=RuntimeWarning)
    # The loop is built with Ctrl-C and SIGTERM held back: one arriving while it is half built
    # leaves a loop whose clean-up fails when collected, a traceback below the desk's one line.
    # (What uvicorn's Server.run does, with its own choice of loop, but for that.)
    make_loop = server.config.get_loop_factory() or asyncio.new_event_loop
    held = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        loop = make_loop()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, held)
    with asyncio.Runner(loop_factory=lambda: loop) as runner:
        runner.run(server.serve(sockets=[sock]))
