"""Work the desk starts in the background: regenerating an article or one section, and retrying
a failed video. One job per video at a time; the page polls its progress.

A regeneration never touches the post. Its result is a candidate (``videos/<id>/candidate.json``)
shown beside the post with a diff; only accepting it changes the post (see ``posts.py``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeline.config import Config
from pipeline.llm.client import LLMClient
from pipeline.artifacts import CandidateFile, MetadataFile, TranscriptFile
from pipeline.shapes import Metadata, Transcript, Usage
from pipeline.errors import Yt2PostError
from pipeline.lock import OutputLocked
from pipeline.redact import redact
from pipeline.review.posts import find_post, refuse_removal
from pipeline.store import Store, now_iso
from pipeline.llm.revise import revise_article, revise_section
from pipeline.llm.summarize import total_usage
from pipeline.post.formats import get_format
from pipeline.post.index import site_tags

log = logging.getLogger(__name__)
CANDIDATE = CandidateFile.FILE
MAX_INSTRUCTION = 2000
BUSY = "busy: another yt2post run is using this output folder; try again when it ends"


@dataclass
class Job:
    video_id: str
    kind: str  # "article", "section", "retry"
    state: str = "running"  # "running", "done", "failed"
    progress: str = "starting"
    error: str = ""
    usage: list[Usage] = field(default_factory=list)
    thread: threading.Thread | None = None

    def public(self) -> dict[str, Any]:
        progress = self.progress
        if self.state == "running" and self.usage:
            progress += f" ({len(self.usage)} model call(s) answered)"
        return {"kind": self.kind, "state": self.state, "progress": progress, "error": self.error}


class Jobs:
    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._llm: LLMClient | None = None

    def llm(self) -> LLMClient:
        with self._lock:
            if self._llm is None:
                self._llm = LLMClient(self.config.llm)
            return self._llm

    def get(self, video_id: str) -> Job | None:
        return self._jobs.get(video_id)

    def running(self, video_id: str) -> bool:
        job = self._jobs.get(video_id)
        return job is not None and job.state == "running"

    def start(self, video_id: str, kind: str, target: Any, *args: Any,
              prepare: Callable[[], None] | None = None) -> Job | None:
        """Start ``target(job, *args)`` in a thread, unless this video already has a job running.
        ``prepare`` runs first, under the same lock as the check: a second click can neither
        slip in between nor undo what the first click's job has just made."""
        with self._lock:
            if self.running(video_id):
                return None
            if prepare is not None:
                prepare()
            job = Job(video_id, kind)
            self._jobs[video_id] = job

        def body() -> None:
            try:
                target(job, *args)
                job.state, job.progress = "done", "done"
            except OutputLocked:
                job.state, job.progress = "busy", BUSY
            except Exception as exc:  # reported on the page; the desk itself goes on
                log.warning("%s: %s failed: %s", video_id, kind, exc)
                # A typed error's message is its one line; anything else also names its type.
                error = redact(str(exc) if isinstance(exc, Yt2PostError) else f"{type(exc).__name__}: {exc}")
                try:
                    if kind != "retry":
                        self.store.save(video_id, CandidateFile(kind=kind, state="failed", error=error,
                                                                finished_at=now_iso()))
                finally:
                    # Failed only once its candidate says why: the page, polling, reloads as soon
                    # as it reads "failed", and must find the error there.
                    job.state, job.error = "failed", error

        job.thread = threading.Thread(target=body, name=f"review-{kind}-{video_id}", daemon=True)
        job.thread.start()
        return job

    # --- regeneration -------------------------------------------------------------------

    def _inputs(self, video_id: str) -> tuple[Metadata, Transcript, list[str]]:
        tags = site_tags(self.store.posts_dir, self.config.reuse_tags, get_format(self.config.post.format))
        return self.store.load(video_id, MetadataFile), self.store.load(video_id, TranscriptFile), tags

    def regenerate_article(self, job: Job, instruction: str) -> None:
        post = find_post(self.store, job.video_id)
        meta, transcript, tags = self._inputs(job.video_id)
        job.progress = "writing the whole article"
        article = revise_article(meta, transcript, self.config, self.llm(), tags, instruction, job.usage)
        self._save_candidate(job, {"kind": "article", "section": None, "instruction": instruction,
                                   "article": article}, post.body if post is not None else "")

    def regenerate_section(self, job: Job, number: int, heading: str, body: str, start: float | None,
                           end: float | None, instruction: str) -> None:
        meta, transcript, tags = self._inputs(job.video_id)
        job.progress = f"rewriting section {number}"
        new, warnings = revise_section(meta, transcript, self.config, self.llm(), tags, instruction, job.usage,
                                       number=number, heading=heading, body=body, start=start, end=end)
        self._save_candidate(job, {"kind": "section", "section": number, "instruction": instruction,
                                   "replaces": {"heading": heading, "body": body}, "new": new,
                                   "warnings": warnings})

    def _save_candidate(self, job: Job, data: dict[str, Any], post_body: str = "") -> None:
        """Save the candidate, unless it would remove words nobody asked to remove (``post_body``:
        the post an article would replace): then the job fails with that cause, which the failed
        candidate records. Either way the calls were paid for."""
        totals = total_usage(job.usage)
        # What the desk spent counts toward the video's cost, as a run's calls do.
        if totals["calls"]:
            self.store.add_spend(job.video_id, totals["prompt_tokens"] + totals["completion_tokens"],
                                 totals["cost_usd"])
        data.update(state="done", model=self.config.llm.model, usage_total=totals, finished_at=now_iso())
        candidate = CandidateFile.model_validate(data)
        refuse_removal(candidate, post_body)
        self.store.save(job.video_id, candidate)

    # --- retry --------------------------------------------------------------------------

    def retry(self, job: Job) -> None:
        from pipeline import api
        from pipeline.runner import failed_videos

        refs = [ref for ref in failed_videos(self.store) if ref.video_id == job.video_id]
        if not refs:
            raise ValueError("this video has no recorded failure to retry")
        job.progress = "running the pipeline again"
        # The library's entry point takes the output folder's lock: a retry never runs beside
        # another run (or another desk retry), which would pay twice and clean up its files.
        report = api.run(api.RunRequest(videos=refs, wait=False), self.config, self.store.root,
                         reporter=_JobReporter(job))
        if report.summary.failed:
            error = (self.store.status(job.video_id).get("error") or {}).get("message", "failed again")
            raise RuntimeError(error)


class _JobReporter:
    def __init__(self, job: Job) -> None:
        self.job = job

    def stage_started(self, video_id: str, stage: str) -> None:
        self.job.progress = f"{stage}…"

    def stage_finished(self, result: Any) -> None:
        self.job.progress = f"{result.stage} {result.outcome}"

    def video_failed(self, video_id: str, stage: str, exc: BaseException) -> None:
        self.job.progress = redact(f"{stage} failed: {exc}")

    def stopping(self) -> None:
        self.job.progress = "stopping"
