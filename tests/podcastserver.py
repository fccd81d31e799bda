"""A local HTTP server for the podcast tests: real feed and transcript files from
``tests/fixtures/podcasts`` and the answers hostile or broken servers give (redirects, loops,
404s, a body that trickles, a 200 MB body streamed from a generator, basic auth)."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "podcasts"


@dataclass
class Route:
    status: int = 200
    body: bytes | Callable[[], Iterable[bytes]] = b""
    headers: dict[str, str] = field(default_factory=dict)
    trickle: float | None = None  # seconds between single bytes of the body
    auth: tuple[str, str] | None = None  # basic auth the route wants
    ranges: bool = False  # honours "Range: bytes=N-" with 206, as audio hosts do
    cut_once: int | None = None  # the first answer breaks off after this many bytes of the body
    busy_first: int = 0  # the first this many answers are "503 Service Unavailable"


class PodcastServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path) or server.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "9")
                    self.end_headers()
                    self.wfile.write(b"not found")
                    return
                if route.auth:
                    wanted = "Basic " + base64.b64encode(":".join(route.auth).encode()).decode()
                    if self.headers.get("Authorization") != wanted:
                        self.send_response(401)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                if route.busy_first:
                    route.busy_first -= 1
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = route.body
                status, start = route.status, 0
                wanted = self.headers.get("Range", "")
                if route.ranges and isinstance(body, bytes) and wanted.startswith("bytes=") and wanted.endswith("-"):
                    status, start = 206, int(wanted[6:-1])
                    if start >= len(body):  # nothing from there: 416, as nginx, S3 and CloudFront answer
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                try:
                    self.send_response(status)
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    if isinstance(body, bytes) and route.cut_once is not None:
                        cut, route.cut_once = route.cut_once, None
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body[:cut])
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    if isinstance(body, bytes):
                        if start:
                            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                            body = body[start:]
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        if route.trickle:
                            for byte in body:
                                self.wfile.write(bytes([byte]))
                                self.wfile.flush()
                                time.sleep(route.trickle)
                        else:
                            self.wfile.write(body)
                    else:
                        self.end_headers()  # no length: read until the connection closes
                        self.close_connection = True
                        for chunk in body():
                            self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading, as it should past the cap

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, body: bytes | str | Callable[[], Iterable[bytes]] = b"", **options: object) -> str:
        self.routes[path] = Route(body=body.encode() if isinstance(body, str) else body, **options)  # type: ignore[arg-type]
        return self.url(path)

    def serve_file(self, path: str, fixture: str, content_type: str = "application/rss+xml") -> str:
        return self.serve(path, (FIXTURES / fixture).read_bytes(), headers={"Content-Type": content_type})

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        return self.serve(path, b"", status=status, headers={"Location": location})

    def __enter__(self) -> PodcastServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def endless(chunk: bytes, total: int) -> Callable[[], Iterator[bytes]]:
    """A body of ``total`` bytes made on the fly: a 200 MB feed without a 200 MB file."""
    def generate() -> Iterator[bytes]:
        sent = 0
        while sent < total:
            yield chunk
            sent += len(chunk)
    return generate
