"""Prices per million tokens, and what a call costs."""

from __future__ import annotations

import threading

from pipeline.config import ASRConfig, Price
from pipeline.errors import BudgetExceeded


def find_price(model: str, prices: dict[str, Price]) -> Price | None:
    """Exact name, then without a provider prefix (``openai/gpt-4o-mini``), then the longest
    table key the name starts with (``gpt-4o-mini-2024-07-18`` is ``gpt-4o-mini``)."""
    for name in (model, model.rsplit("/", 1)[-1]):
        if name in prices:
            return prices[name]
    bare = model.rsplit("/", 1)[-1]
    matches = [key for key in prices if bare.startswith(key)]
    return prices[max(matches, key=len)] if matches else None


def call_cost(model: str, prompt_tokens: int, cached_tokens: int, completion_tokens: int,
              prices: dict[str, Price], *, batch: bool = False) -> float | None:
    """USD for one call (``batch``: sent through the Batch API); None when the model has no price
    (then only tokens are shown)."""
    price = find_price(model, prices)
    if price is None:
        return None
    cached = min(cached_tokens, prompt_tokens)
    cached_rate = price.cached_input if price.cached_input is not None else price.input
    total = ((prompt_tokens - cached) * price.input + cached * cached_rate + completion_tokens * price.output)
    if batch:
        total *= price.batch_factor
    return round(total / 1_000_000, 8)


# USD per minute of audio of OpenAI's speech recognition models (asr.price_per_minute overrides).
ASR_PRICES = {"whisper-1": 0.006, "gpt-4o-transcribe": 0.006, "gpt-4o-mini-transcribe": 0.003}


def asr_cost(asr: ASRConfig, seconds: float | None) -> float | None:
    """USD to transcribe ``seconds`` of audio: nothing locally; None when the length or the
    endpoint's price is unknown."""
    if asr.backend == "local":
        return 0.0
    price = asr.price_per_minute if asr.price_per_minute is not None else ASR_PRICES.get(asr.model)
    if price is None or seconds is None:
        return None
    return round(seconds / 60 * price, 8)


def format_cost(usd: float | None) -> str:
    return "-" if usd is None else f"${usd:.4f}"


class Budget:
    """``--max-cost``: reserves each video's estimated cost before its first LLM call."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.spent = 0.0
        self.reserved = 0.0
        self.stopped = False
        self._lock = threading.Lock()

    def reserve(self, video_id: str, cost: float) -> None:
        with self._lock:
            if self.stopped or self.spent + self.reserved + cost > self.limit:
                self.stopped = True
                raise BudgetExceeded(
                    f"budget reached: the run would pass --max-cost ${self.limit:.4f} "
                    f"(spent ${self.spent:.4f}, the next video needs about ${cost:.4f})", video_id=video_id)
            self.reserved += cost

    def settle(self, reserved: float, actual: float | None) -> None:
        with self._lock:
            self.reserved -= reserved
            self.spent += actual if actual is not None else reserved
