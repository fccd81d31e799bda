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

from pipeline.llm.chunking import Part
from pipeline.config import Config
from pipeline.llm.client import LLMClient
from pipeline.artifacts import CandidateFile, MetadataFile, TranscriptFile
from pipeline.models import Metadata, Paragraph, Transcript, Usage
from pipeline.llm.prompts import Prompts
from pipeline.errors import Yt2PostError
from pipeline.lock import OutputLocked
from pipeline.redact import redact
from pipeline.review.posts import find_post, refuse_removal
from pipeline.store import Store, now_iso
from pipeline.llm.summarize import Section, Summarizer, total_usage
from pipeline.post.formats import get_format
from pipeline.post.index import site_tags
from pipeline.llm.timing import timed_sections

log = logging.getLogger(__name__)
CANDIDATE = CandidateFile.FILE
MAX_INSTRUCTION = 2000
BUSY = "busy: another yt2post run is using this output folder; try again when it ends"


class InstructedPrompts:
    """The pipeline's prompts with the reviewer's instruction added to every request, as data."""

    def __init__(self, prompts: Prompts, instruction: str) -> None:
        self._prompts = prompts
        self._instruction = instruction
        self.fingerprint = prompts.fingerprint

    def __getattr__(self, name: str) -> Any:
        return getattr(self._prompts, name)

    def messages(self, name: str, **context: Any) -> list[dict[str, str]]:
        messages = self._prompts.messages(name, **context)
        if self._instruction:
            extra = self._prompts.render("revise.md", instruction=self._instruction)
            messages[-1] = dict(messages[-1], content=f"{messages[-1]['content']}\n\n{extra}")
        return messages


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
                error = str(exc) if isinstance(exc, Yt2PostError) else f"{type(exc).__name__}: {exc}"
                job.state, job.error = "failed", redact(error)
                if kind != "retry":
                    self.store.save(video_id, CandidateFile(kind=kind, state="failed", error=job.error,
                                                            finished_at=now_iso()))

        job.thread = threading.Thread(target=body, name=f"review-{kind}-{video_id}", daemon=True)
        job.thread.start()
        return job

    # --- regeneration -------------------------------------------------------------------

    def _summarizer(self, video_id: str, instruction: str) -> tuple[Summarizer, Metadata, Transcript]:
        meta = self.store.load(video_id, MetadataFile)
        transcript = self.store.load(video_id, TranscriptFile)
        prompts = InstructedPrompts(Prompts(self.config), instruction)
        tags = site_tags(self.store.posts_dir, self.config.reuse_tags, get_format(self.config.post.format))
        summarizer = Summarizer(self.config, self.llm(), prompts, meta, transcript, tags)  # type: ignore[arg-type]
        return summarizer, meta, transcript

    def regenerate_article(self, job: Job, instruction: str) -> None:
        post = find_post(self.store, job.video_id)
        summarizer, meta, transcript = self._summarizer(job.video_id, instruction)
        job.usage = summarizer.usage
        job.progress = "writing the whole article"
        article, _ = summarizer.run()
        sections, warnings = timed_sections(article.sections, transcript.paragraphs, meta.duration)
        data = article.model_dump()
        data.update(sections=sections, warnings=warnings)
        self._save_candidate(job, {"kind": "article", "section": None, "instruction": instruction,
                                   "article": data}, post.body if post is not None else "")

    def regenerate_section(self, job: Job, number: int, heading: str, body: str, start: float | None,
                           end: float | None, instruction: str) -> None:
        summarizer, meta, transcript = self._summarizer(job.video_id, instruction)
        job.usage = summarizer.usage
        paragraphs = stretch(transcript.paragraphs, start, end)
        part = Part(index=0, paragraphs=paragraphs, tokens=0)
        context = dict(summarizer.base, section={"heading": heading, "body": body},
                       transcript=dict(summarizer.base["transcript"], text=part.text()))
        job.progress = f"rewriting section {number}"
        messages = summarizer.prompts.messages("section.md", **context)
        answer, _ = self.llm().structured(messages, Section, name="article_section",
                                          purpose=f"regenerate section {number}", on_usage=summarizer.usage.append)
        timed, warnings = timed_sections([answer], transcript.paragraphs, meta.duration)
        if timed[0]["start"] is not None and end is not None:
            timed[0]["end"] = end
        self._save_candidate(job, {"kind": "section", "section": number, "instruction": instruction,
                                   "replaces": {"heading": heading, "body": body},
                                   "new": timed[0], "warnings": warnings})

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


def stretch(paragraphs: list[Paragraph], start: float | None, end: float | None) -> list[Paragraph]:
    """The paragraphs a section was written from (all of them when its times are unknown)."""
    if start is None:
        return list(paragraphs)
    stop = end if end is not None else float("inf")
    inside = [p for p in paragraphs if start <= p.start < stop]
    return inside or list(paragraphs)


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
