"""Rate limits for the model: requests per minute and tokens per minute.

A sliding one-minute window per limit; a caller that would pass either limit waits until
enough of the window has expired. Thread-safe: every worker of a run shares one.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class MinuteWindow:
    """At most ``limit`` units (requests or tokens) start within any 60 seconds."""

    def __init__(self, limit: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._events: deque[tuple[float, float]] = deque()
        self._used = 0.0
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        while self._events and self._events[0][0] <= now - self.window:
            _, amount = self._events.popleft()
            self._used -= amount

    def acquire(self, amount: float = 1.0) -> float:
        """Wait until ``amount`` fits; return how long we waited."""
        # A single request larger than the whole limit would wait forever: let it through alone.
        amount = min(amount, self.limit)
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._expire(now)
                if self._used + amount <= self.limit:
                    self._events.append((now, amount))
                    self._used += amount
                    return waited
                # Wait until enough of the oldest usage has left the window.
                needed = self._used + amount - self.limit
                freed, delay = 0.0, 0.0
                for stamp, used in self._events:
                    freed += used
                    delay = stamp + self.window - now
                    if freed >= needed:
                        break
            pause = max(delay, 0.01)
            self._sleep(pause)
            waited += pause


class LLMPacer:
    """The gate every LLM call passes: requests per minute and tokens per minute."""

    def __init__(self, requests_per_minute: float | None, tokens_per_minute: float | None) -> None:
        self.requests = MinuteWindow(requests_per_minute) if requests_per_minute else None
        self.tokens = MinuteWindow(tokens_per_minute) if tokens_per_minute else None

    def __call__(self, tokens: int) -> None:
        if self.requests is not None:
            self.requests.acquire(1)
        if self.tokens is not None:
            self.tokens.acquire(tokens)
