"""One site's requests, paced politely and shared by the workers of a run.

Every request to a site waits its turn at the site's limiter: a minimum interval between
request starts, plus jitter. When the site blocks the IP, its limiter pauses all of the run's
work with that site, while work that needs no site (the model) goes on.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

import requests


class Limiter:
    """Spaces request starts by ``min_interval`` + jitter across threads; can pause everything."""

    def __init__(self, min_interval: float, jitter: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.min_interval = min_interval
        self.jitter = jitter
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                start = max(self._next, self._paused_until)
                if start <= now:
                    self._next = now + self.min_interval + random.uniform(0, self.jitter)
                    return
            self._sleep(min(start - now, 1.0))

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    @property
    def paused(self) -> bool:
        return self._clock() < self._paused_until


class PacedSession(requests.Session):
    """A requests session whose every request waits at the limiter and has a timeout
    (youtube-transcript-api sends none, and one hung connection would hang the run)."""

    def __init__(self, limiter: Limiter, timeout: float) -> None:
        super().__init__()
        self._limiter = limiter
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        self._limiter.wait()
        return super().request(method, url, *args, **kwargs)
