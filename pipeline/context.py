"""What one run knows: its options, and the context every stage of every video shares.

The clients and templates are built on first use, once per run and thread-safely: a fetch-only
run needs no API key, a local run no site's session, and the site's tags are read once (reading
every post for every video would grow with the square).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pipeline.config import Config
from pipeline.llm.cost import Budget
from pipeline.store import Store

T = TypeVar("T")

if TYPE_CHECKING:
    from pipeline.llm.client import LLMClient
    from pipeline.llm.prompts import Prompts
    from pipeline.llm.summarize import CallSlots
    from pipeline.sites import SiteSession


@dataclass
class RunOptions:
    stages: tuple[str, ...] = ()  # the stages to run, in order (``pipeline.stages``); ``api.run`` sets them
    force: bool = False
    overrides: dict[str, Any] = field(default_factory=dict)  # ``--set`` front-matter values
    overwrite_edited: bool = False
    subtitles: Path | None = None
    allow_description: bool = False
    verbose: bool = False
    max_cost: float | None = None  # USD: stop starting new videos once the batch would pass it
    batch_api: bool = False  # summarize through the provider's Batch API (also ``llm.mode: batch``)
    batch_export: Path | None = None  # write the Batch API requests to this folder instead of sending them
    batch_import: tuple[Path, ...] = ()  # Batch API result files to apply first


class RunContext:
    """The run's settings, store and options, and what its stages share (built on first use)."""

    def __init__(self, config: Config, store: Store, options: RunOptions, *, llm: LLMClient | None = None,
                 sessions: dict[str, SiteSession] | None = None, prompts: Prompts | None = None) -> None:
        self.config = config
        self.store = store
        self.options = options
        self.budget = Budget(options.max_cost) if options.max_cost is not None else None
        self._built: dict[str, Any] = {"llm": llm, "prompts": prompts}
        self._built.update({f"session:{site}": session for site, session in (sessions or {}).items()})
        self._lock = threading.RLock()

    def _once(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            if self._built.get(name) is None:
                self._built[name] = build()
            return self._built[name]  # type: ignore[no-any-return]

    @property
    def llm(self) -> LLMClient:
        from pipeline.llm.client import LLMClient

        return self._once("llm", lambda: LLMClient(self.config.llm))

    def session(self, site: str) -> SiteSession:
        """One paced session per site for the whole run, so the site's limiter is shared."""
        from pipeline.sites import get_site

        return self._once(f"session:{site}", lambda: get_site(site).session(self.config))

    @property
    def prompts(self) -> Prompts:
        from pipeline.llm.prompts import Prompts

        return self._once("prompts", lambda: Prompts(self.config))

    @property
    def call_slots(self) -> CallSlots:
        """The run's model calls, ``llm.concurrency`` at a time, each held until its answer is
        saved, none started once the run is stopping (``pipeline.llm.summarize.CallSlots``)."""
        from pipeline.llm.summarize import CallSlots

        return self._once("call_slots", lambda: CallSlots(self.config.llm.concurrency))

    @property
    def site_tags(self) -> list[str]:
        """The site's most used tags, read once per run: reading every post for every video
        would grow with the square."""
        from pipeline.llm.summarize import site_tags

        return self._once("site_tags", lambda: site_tags(self.store.posts_dir, self.config.reuse_tags))
