"""A total deadline for one HTTP exchange with the model server.

httpx's timeouts bound each network operation (connect, each read), not the whole exchange:
a server that sends one byte every half second never trips a read timeout and holds a call,
and the worker running it, forever. This transport gives each request ``seconds`` in all and
raises ``ReadTimeout`` once they are spent, which the openai client reports as
``APITimeoutError`` and our retry policy retries like any timeout.
"""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import Iterator
from functools import lru_cache

import httpx2


class _DeadlineStream(httpx2.SyncByteStream):
    def __init__(self, inner: httpx2.SyncByteStream, deadline: float, seconds: float,
                 request: httpx2.Request) -> None:
        self._inner = inner
        self._deadline = deadline
        self._seconds = seconds
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            if time.monotonic() > self._deadline:
                raise httpx2.ReadTimeout(f"the answer did not arrive whole within {self._seconds:g} s "
                                         "(llm.timeout)", request=self._request)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class DeadlineTransport(httpx2.BaseTransport):
    """Wraps a transport so that reading a response ends by ``seconds`` after the request."""

    def __init__(self, inner: httpx2.BaseTransport, seconds: float) -> None:
        self._inner = inner
        self._seconds = seconds

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        deadline = time.monotonic() + self._seconds
        response = self._inner.handle_request(request)
        if time.monotonic() > deadline:
            response.close()
            raise httpx2.ReadTimeout(f"no answer within {self._seconds:g} s (llm.timeout)", request=request)
        assert isinstance(response.stream, httpx2.SyncByteStream)
        response.stream = _DeadlineStream(response.stream, deadline, self._seconds, request)
        return response

    def close(self) -> None:
        self._inner.close()


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
    transport = httpx2.HTTPTransport(verify=verify,
                                     limits=httpx2.Limits(max_connections=1000, max_keepalive_connections=100))
    return openai.DefaultHttpxClient(timeout=seconds, transport=DeadlineTransport(transport, seconds))
