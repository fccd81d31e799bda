"""A total deadline for one HTTP exchange with the model server.

httpx's timeouts bound each network operation (connect, each read), not the whole exchange:
a server that sends one byte every half second never trips a read timeout and holds a call,
and the worker running it, forever: in its body, or before, in its status line and headers.
Here every read and write on the connection waits at most until the request's deadline,
``seconds`` after it was sent, and one past the deadline raises ``ReadTimeout`` (``WriteTimeout``
for a server that will not take the request), which the openai client reports as
``APITimeoutError`` and our retry policy retries like any timeout.

The deadline is the calling thread's: a sync request runs on the thread that sends it, from the
first byte written to the last byte of the body read.
"""

from __future__ import annotations

import os
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import httpcore2
import httpx2

_local = threading.local()  # .deadline: (monotonic time, seconds) of the exchange under way


@contextmanager
def _until(deadline: tuple[float, float]) -> Iterator[None]:
    previous = getattr(_local, "deadline", None)
    _local.deadline = deadline
    try:
        yield
    finally:
        _local.deadline = previous


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` for one network operation, cut to what is left of the exchange's deadline."""
    deadline = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline[0] - time.monotonic()
    if left <= 0:
        raise error(f"no whole answer within {deadline[1]:g} s (llm.timeout)")
    return left if timeout is None else min(timeout, left)


class _DeadlineNetworkStream(httpcore2.NetworkStream):
    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore2.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore2.NetworkStream:
        return _DeadlineNetworkStream(self._inner.start_tls(ssl_context, server_hostname,
                                                            _bounded(timeout, httpcore2.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore2.NetworkBackend):
    """httpcore's own sockets, each operation held to the deadline of the thread's exchange."""

    def __init__(self) -> None:
        self._inner = httpcore2.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore2.NetworkStream:
        return _DeadlineNetworkStream(self._inner.connect_tcp(
            host, port, _bounded(timeout, httpcore2.ConnectTimeout), local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore2.NetworkStream:
        return _DeadlineNetworkStream(self._inner.connect_unix_socket(
            path, _bounded(timeout, httpcore2.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineStream(httpx2.SyncByteStream):
    """The response body, read under the deadline of the request it answers."""

    def __init__(self, inner: httpx2.SyncByteStream, deadline: tuple[float, float]) -> None:
        self._inner = inner
        self._deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._inner)
        while True:
            with _until(self._deadline):
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        self._inner.close()


class DeadlineTransport(httpx2.HTTPTransport):
    """httpx's transport whose every exchange, headers and body, ends by ``seconds`` after the request."""

    def __init__(self, seconds: float, verify: ssl.SSLContext, limits: httpx2.Limits) -> None:
        super().__init__(verify=verify, limits=limits)
        self._seconds = seconds
        # httpx's transport takes no network backend, its connection pool does: the same pool as
        # the transport builds for a direct connection, on sockets that keep the deadline.
        self._pool = httpcore2.ConnectionPool(ssl_context=verify, max_connections=limits.max_connections,
                                              max_keepalive_connections=limits.max_keepalive_connections,
                                              keepalive_expiry=limits.keepalive_expiry,
                                              network_backend=_DeadlineBackend())

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        deadline = (time.monotonic() + self._seconds, self._seconds)
        with _until(deadline):
            response = super().handle_request(request)
        assert isinstance(response.stream, httpx2.SyncByteStream)
        response.stream = _DeadlineStream(response.stream, deadline)
        return response


@lru_cache(maxsize=4)
def _ssl_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    # The context httpx would build (it reads SSL_CERT_FILE/SSL_CERT_DIR, hence the key), built
    # once: loading the trust store costs ~18 ms, for every client of every run.
    return httpx2.create_ssl_context()


def http_client(seconds: float) -> httpx2.Client:
    """An HTTP client for the openai SDK whose every exchange ends within ``seconds``
    (each network operation too), with the SDK's own connection limits."""
    import openai

    verify = _ssl_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    transport = DeadlineTransport(seconds, verify,
                                  httpx2.Limits(max_connections=1000, max_keepalive_connections=100))
    return openai.DefaultHttpxClient(timeout=seconds, transport=transport)
