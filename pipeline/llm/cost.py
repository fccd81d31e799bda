"""Prices per million tokens, and what a call costs."""

from __future__ import annotations

import threading

from pydantic import BaseModel, ConfigDict, Field

from pipeline.errors import BudgetExceeded


class Price(BaseModel):
    """USD per million tokens."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    input: float
    output: float
    cached_input: float | None = None  # None: billed as input
    # The Batch API's price as a share of the live one (OpenAI: half); set per model where it differs.
    batch_factor: float = Field(default=0.5, ge=0)


DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(input=0.15, cached_input=0.075, output=0.60),
    "gpt-4o": Price(input=2.50, cached_input=1.25, output=10.00),
    "gpt-4.1-mini": Price(input=0.40, cached_input=0.10, output=1.60),
    "gpt-4.1": Price(input=2.00, cached_input=0.50, output=8.00),
    "gpt-4.1-nano": Price(input=0.10, cached_input=0.025, output=0.40),
    "deepseek-chat": Price(input=0.27, cached_input=0.07, output=1.10),
    "qwen-plus": Price(input=0.40, output=1.20),
}


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
                    f"budget reached: the batch would pass --max-cost ${self.limit:.4f} "
                    f"(spent ${self.spent:.4f}, the next video needs about ${cost:.4f})", video_id=video_id)
            self.reserved += cost

    def settle(self, reserved: float, actual: float | None) -> None:
        with self._lock:
            self.reserved -= reserved
            self.spent += actual if actual is not None else reserved
