"""What one run knows: its options, and the context every stage of every video shares.

The clients and templates are built on first use, once per run and thread-safely: a fetch-only
run needs no API key, a local run no site's session, and the site's tags are read once (reading
every post for every video would grow with the square).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from pipeline.config import Config
from pipeline.llm.cost import Budget
from pipeline.store import Store

T = TypeVar("T")

if TYPE_CHECKING:
    from pipeline.llm.client import LLMClient
    from pipeline.llm.prompts import Prompts
    from pipeline.errors import Yt2PostError
    from pipeline.llm.summarize import CallSlots, SummaryInputs
    from pipeline.shapes import StageResult, VideoRef
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
    max_cost: float | None = None  # USD: stop starting new videos once the run would pass it
    batch_api: bool = False  # summarize through the provider's Batch API (also ``llm.mode: batch``)
    batch_export: Path | None = None  # write the Batch API requests to this folder instead of sending them
    batch_import: tuple[Path, ...] = ()  # Batch API result files to apply first
    dry_run: bool = False  # ``--dry-run``: nothing that costs runs (the model, speech recognition); ``api.run`` sets it


class Reporter(Protocol):
    def stage_started(self, video_id: str, stage: str) -> None: ...
    def stage_finished(self, result: StageResult) -> None: ...
    def video_failed(self, video_id: str, stage: str, exc: BaseException) -> None: ...
    def stopping(self) -> None: ...  # Ctrl-C or SIGTERM: nothing new starts; work in flight finishes


class SilentReporter:
    """A reporter that tells no one (the library's, when its caller gives none)."""

    def stage_started(self, video_id: str, stage: str) -> None: ...
    def stage_finished(self, result: StageResult) -> None: ...
    def video_failed(self, video_id: str, stage: str, exc: BaseException) -> None: ...
    def stopping(self) -> None: ...


@runtime_checkable
class RunOverview(Protocol):
    """What a reporter that shows the whole run (the live display) is told besides each stage;
    a reporter without these methods is not told."""

    def run_started(self, videos: int, stages: tuple[str, ...], workers: dict[str, int]) -> None: ...
    def batches_polled(self, batches: list[dict[str, Any]]) -> None: ...  # each as just polled
    def next_batch_check(self, seconds: float) -> None: ...  # the batches are polled again then


@dataclass
class ModelCalls:
    """How one video's summarize stage calls the model: the client, the site's tags its prompts
    offer, and the run's call slots (None: the calls are no network calls)."""

    llm: LLMClient
    tags: list[str]
    slots: CallSlots | None


class Executor(Protocol):
    """Another way than the run's live client to make the summarize stage's model calls (the
    provider's Batch API, ``pipeline.batchapi``). Its client may defer a video (``Deferred``)
    until it has the answers: the runner then runs the waiting videos again, round by round."""

    def prepare(self, videos: list[VideoRef]) -> None:
        """Before any work: what earlier runs left (recovered batches, imported results)."""
        ...

    def calls(self, video_id: str, inputs: SummaryInputs, tags: list[str]) -> AbstractContextManager[ModelCalls]:
        """The calls of one video's summarize stage, for the stage's duration."""
        ...

    def between_rounds(self, waiting: list[VideoRef]) -> tuple[list[VideoRef], list[tuple[VideoRef, Yt2PostError]]]:
        """Get answers for the waiting videos; the ones to run again, and the ones that failed."""
        ...

    def note(self) -> str | None:
        """What is left to do when the run ends, for the summary (``RunSummary.batch_note``)."""
        ...


class RunContext:
    """The run's settings, store and options, and what its stages share (built on first use)."""

    def __init__(self, config: Config, store: Store, options: RunOptions, *, llm: LLMClient | None = None,
                 prompts: Prompts | None = None, executor: Executor | None = None) -> None:
        self.config = config
        self.store = store
        self.options = options
        self.executor = executor
        # The executor, when there is one, keeps to the budget at its own price.
        self.budget = Budget(options.max_cost) if options.max_cost is not None and executor is None else None
        self._built: dict[str, Any] = {"llm": llm, "prompts": prompts}
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
        from pipeline.post.formats import get_format
        from pipeline.post.index import site_tags

        return self._once("site_tags", lambda: site_tags(self.store.posts_dir, self.config.reuse_tags,
                                                         get_format(self.config.post.format)))

    @contextmanager
    def model_calls(self, video_id: str, inputs: SummaryInputs) -> Iterator[ModelCalls]:
        """How the summarize stage of ``video_id`` calls the model: the run's live client, or
        the executor's (the Batch API)."""
        if self.executor is None:
            yield ModelCalls(self.llm, self.site_tags, self.call_slots)
        else:
            with self.executor.calls(video_id, inputs, self.site_tags) as calls:
                yield calls
