"""Stage 2, summarize: transcript and metadata in, ``article.json`` out.

A transcript that fits the model's context is written in one call. A longer one is split
(along chapters when the video has them) into parts whose sections are written concurrently
(map); title, summary, tags and classification then come from the sections (reduce), so
the transcript is sent only once. Each part's answer is saved as it arrives (``parts.json``,
``SavedParts``) and reused by a rerun for the same input, until the article is written.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from pipeline.llm.chunking import Part, format_timestamp, split_part, split_transcript
from pipeline.config import Config
from pipeline.language import DEFAULT_LANGUAGE, Language, readers_script, source_language
from pipeline.llm.cost import asr_cost, call_cost
from pipeline.errors import IncompleteArticle, LLMTruncated, RunStopping
from pipeline.llm.client import LLMClient
from pipeline.artifacts import ArticleFile, MetadataFile, PartAnswer, PartSection, PartsFile, TranscriptFile
from pipeline.shapes import Metadata, Paragraph, StageResult, Transcript, Usage
from pipeline.llm.prompts import Prompts
from pipeline.store import Store, content_hash, fingerprint, now_iso
from pipeline.llm.timing import check_times, dropped_summary
from pipeline.llm.tokens import estimate_messages_tokens

log = logging.getLogger(__name__)
DESCRIPTION_LIMIT = 1500  # characters of the description given to every prompt
EXCERPT_CHARS = 160  # of each section body, for the reduce call
# Speech runs at about 150 words a minute, some 200 tokens: a dry run's guess for audio not yet transcribed.
SPOKEN_TOKENS_PER_MINUTE = 200
PROMPT_MARGIN = 1.1


class Overview(BaseModel):
    title: str
    summary: str
    tags: list[str]
    area: str
    category: str
    companies_orgs: list[str]
    products_models: list[str]
    guest: str
    insight: str


class Section(BaseModel):
    """A section as the model writes it: ``start`` is the ``[12:34]`` marker of the first
    paragraph it draws on (checked and turned into seconds by ``pipeline/llm/timing.py``; the
    article keeps it as ``pipeline.shapes.ArticleSection``). Its name is the schema's: requests
    of earlier runs (the Batch API's) carry it."""

    heading: str
    start: str = ""
    body: str


class Article(Overview):
    sections: list[Section] = Field(min_length=1)


class PartSections(BaseModel):
    sections: list[Section]


def video_context(meta: Metadata) -> dict[str, Any]:
    description = meta.description.strip()
    if len(description) > DESCRIPTION_LIMIT:
        description = description[:DESCRIPTION_LIMIT].rstrip() + "…"
    date = meta.upload_date
    if len(date) == 8 and date.isdigit():
        date = f"{date[:4]}-{date[4:6]}-{date[6:]}"
    return {
        "title": meta.title,
        "channel": meta.channel or meta.uploader,
        "date": date,
        "description": description,
        "chapters": [{"time": format_timestamp(c.start), "title": c.title} for c in meta.chapters],
    }


def summarize_fingerprint(meta_raw: dict[str, Any], transcript_raw: dict[str, Any], config: Config,
                          prompts: Prompts) -> str:
    llm = config.llm
    rewrite = prompts.reader.same_as(source_language(transcript_raw.get("language")))
    return fingerprint(
        "summarize/1",
        content_hash(transcript_raw),
        {k: meta_raw.get(k) for k in ("title", "channel", "uploader", "upload_date", "description", "chapters")}
        | ({"guests": meta_raw["guests"]} if meta_raw.get("guests") else {}),  # a feed's: a video's print is as before
        prompts.fingerprint,
        llm.model,
        llm.structured_output,
        llm.context_tokens,
        llm.max_output_tokens,
        config.taxonomy.model_dump(),
        config.glossary,
        # Only where the language note says something (another reader's language, a video in
        # the reader's own), so that adding it did not redo every article.
        *([{"language": config.post.language, "rewrite": rewrite, "note": prompts.note_fingerprint}]
          if config.post.language != DEFAULT_LANGUAGE or rewrite else []),
    )


Keep = Callable[[Article], None]  # saves the finished article (``Summarizer.run``)
Answer = TypeVar("Answer", bound=BaseModel)


def in_readers_script(answer: Answer, reader: Language) -> tuple[Answer, list[str]]:
    """The model's answer in the reader's script (``pipeline.language.readers_script``: the
    zh-Hant guard), and the warning when it was not."""
    data, warnings = readers_script(answer.model_dump(), reader)
    return (type(answer).model_validate(data) if warnings else answer), warnings


class Summarizer:
    """Writes one video's article; holds what every call for that video shares."""

    def __init__(self, config: Config, llm: LLMClient, prompts: Prompts, meta: Metadata,
                 transcript: Transcript, tags: list[str], saved: SavedParts | None = None,
                 calls: CallSlots | None = None) -> None:
        self.config = config
        self.saved = saved  # the part answers of earlier runs, and where new ones are kept
        self.calls = calls  # the run's model calls, llm.concurrency at a time (see _call_slot)
        self.llm = llm
        self.prompts = prompts
        self.transcript = transcript
        source = source_language(transcript.language)
        self.base: dict[str, Any] = {
            "video": video_context(meta),
            "transcript": {"language": transcript.language, "source": transcript.source, "text": ""},
            # The transcript's language, and whether it is the reader's (a rewrite, not a translation).
            "source": source.prompt_context() if source is not None else None,
            "rewrite": prompts.reader.same_as(source),
            "site_tags": tags,
            "areas": config.taxonomy.areas,
            "categories": config.taxonomy.categories,
        }
        self.enums = {"area": config.taxonomy.areas, "category": config.taxonomy.categories}
        self.usage: list[Usage] = []
        self.video_id = meta.id

    @contextmanager
    def _call_slot(self) -> Iterator[None]:
        """One model call of the run: started only with one of the run's ``llm.concurrency``
        slots, and only with room on the disk for its answer, looked at once the slot is ours
        (a call that waited for a slot while another video filled the disk would be paid for
        nothing). Every answer is saved before the slot is given back (a part's in
        ``parts.json``, the last one with the article: ``keep``), so a kill or a full disk loses
        at most the answers of the calls in flight. Once the run is stopping (Ctrl-C,
        SIGTERM) no call starts: a long video's other parts wait for the rerun."""
        with self.calls.slots if self.calls is not None else nullcontext():
            if self.calls is not None and self.calls.stopping.is_set():
                raise RunStopping(f"{self.video_id}: stopped before its next model call")
            if self.saved is not None:
                self.saved.store.ensure_room(self.saved.video_id)
            yield

    def _record(self, usage: Usage) -> None:
        self.usage.append(usage)  # list.append is atomic: parts report from several threads

    # --- planning ----------------------------------------------------------------------

    @cached_property
    def overhead_tokens(self) -> int:
        """The prompt without the transcript, in tokens (planned once, asked by plan and estimate)."""
        return estimate_messages_tokens(self.prompts.messages("article.md", **self.base))

    def part_budget(self) -> int:
        """Transcript tokens one call may carry: what fits the context beside the prompt and the
        answer, and no more than the answer can rewrite without hitting the output limit."""
        llm = self.config.llm
        room = llm.context_tokens - llm.max_output_tokens - int(self.overhead_tokens * PROMPT_MARGIN)
        return max(500, min(room, int(llm.max_output_tokens * 1.5)))

    def plan(self) -> list[Part]:
        return split_transcript(self.transcript.paragraphs, self.part_budget())

    # --- calls -------------------------------------------------------------------------

    def _check_article(self, article: Overview) -> None:
        if not article.title.strip():
            raise ValueError("title is empty")
        if not article.summary.strip():
            raise ValueError("summary is empty")
        if article.area not in self.config.taxonomy.areas:
            raise ValueError(f"area {article.area!r} is not one of {self.config.taxonomy.areas}")
        if article.category not in self.config.taxonomy.categories:
            raise ValueError(f"category {article.category!r} is not one of {self.config.taxonomy.categories}")
        if isinstance(article, Article) and not [s for s in article.sections if s.body.strip()]:
            raise ValueError("sections is empty")

    # --- prompts -----------------------------------------------------------------------

    def article_messages(self, part: Part) -> list[dict[str, str]]:
        return self.prompts.messages("article.md", **dict(self.base, transcript=dict(self.base["transcript"],
                                                                                      text=part.text())))

    def part_messages(self, part: Part, neighbours: tuple[Part | None, Part | None], number: int,
                      count: int) -> list[dict[str, str]]:
        return self.prompts.messages("sections.md", **dict(self.base, part=_part_context(part, neighbours,
                                                                                          number, count,
                                                                                          self.prompts.in_chinese)))

    def overview_messages(self, sections: list[Section]) -> list[dict[str, str]]:
        # From sections already in the reader's language: the transcript's is beside the point.
        return self.prompts.messages("overview.md", **dict(
            self.base, sections=[{"heading": s.heading, "excerpt": _excerpt(s.body)} for s in sections],
            source=None, rewrite=False))

    # --- calls -------------------------------------------------------------------------

    def single(self, part: Part, keep: Keep | None = None) -> Article:
        try:
            with self._call_slot():
                article, _ = self.llm.structured(
                    self.article_messages(part), Article, name="article",
                    purpose="article", enums=self.enums, validate=self._check_article, on_usage=self._record,
                )
                if keep is not None:
                    keep(article)
        except LLMTruncated:  # the slot is given back: the halves take their own
            return self.map_reduce(_halves(part), keep)
        return article

    def _part_sections(self, part: Part, neighbours: tuple[Part | None, Part | None], number: int,
                       count: int) -> tuple[list[Section], list[Usage]]:
        """The part's sections and the calls they took: an earlier run's saved answer for the
        same input, else the model's, saved as soon as it arrives."""
        context = _part_context(part, neighbours, number, count, self.prompts.in_chinese)
        key = _part_key(context)
        known = self.saved.get(key) if self.saved is not None else None
        if known is not None:
            for usage in known.usage:
                self._record(usage)
            return [Section(**s.model_dump()) for s in known.sections], known.usage
        messages = self.prompts.messages("sections.md", **dict(self.base, part=context))
        spent: list[Usage] = []

        def record(usage: Usage) -> None:
            self._record(usage)
            spent.append(usage)

        for _ in range(2):  # a part that produced nothing is redone once
            try:
                with self._call_slot():
                    result, _ = self.llm.structured(messages, PartSections, name="article_sections",
                                                    purpose=f"sections {number}/{count}", on_usage=record)
                    sections = [s for s in result.sections if s.heading.strip() and s.body.strip()]
                    if sections:
                        self._keep(key, sections, spent)
                        return sections, spent
            except LLMTruncated:  # the slot is given back: the halves take their own
                halves = [self._part_sections(half, neighbours, number, count) for half in _halves(part)]
                sections = [s for half_sections, _ in halves for s in half_sections]
                spent += [u for _, half_spent in halves for u in half_spent]
                self._keep(key, sections, spent)  # the whole part too: a rerun asks for neither half
                return sections, spent
        raise IncompleteArticle(
            f"part {number} of {count} ({format_timestamp(part.start)}–{format_timestamp(part.end)}) "
            "produced no sections, even after a redo"
        )

    def _keep(self, key: str, sections: list[Section], spent: list[Usage]) -> None:
        if self.saved is not None:
            self.saved.put(key, sections, spent)

    def map_reduce(self, parts: list[Part], keep: Keep | None = None) -> Article:
        count = len(parts)
        with ThreadPoolExecutor(max_workers=min(count, self.config.llm.concurrency)) as pool:
            futures = [pool.submit(self._part_sections, part, _neighbours(parts, i), i + 1, count)
                       for i, part in enumerate(parts)]
            per_part = [f.result()[0] for f in futures]
        sections = merge_sections(per_part)
        with self._call_slot():
            overview, _ = self.llm.structured(
                self.overview_messages(sections), Overview, name="article_overview",
                purpose="overview", enums=self.enums, validate=self._check_article, on_usage=self._record,
            )
            article = Article(**overview.model_dump(), sections=sections)
            if keep is not None:
                keep(article)
        return article

    def run(self, keep: Callable[[Article, int], None] | None = None) -> tuple[Article, int]:
        """The article, and how many parts it was written from; ``keep(article, parts)`` saves
        it while the last call's slot is held."""
        parts = self.plan()
        count = len(parts)
        kept = (lambda article: keep(article, count)) if keep is not None else None
        if count == 1:
            return self.single(parts[0], kept), 1
        return self.map_reduce(parts, kept), count


def _halves(part: Part) -> list[Part]:
    """A truncated answer: redo the part in two smaller halves, never save a cut-off article."""
    try:
        return split_part(part)
    except ValueError:
        raise LLMTruncated(
            f"the model's answer was cut off at llm.max_output_tokens even for a short part "
            f"({format_timestamp(part.start)}–{format_timestamp(part.end)}); raise llm.max_output_tokens"
        ) from None


def _part_context(part: Part, neighbours: tuple[Part | None, Part | None], number: int, count: int,
                  chinese: bool) -> dict[str, Any]:
    """What the part's prompt says about the part: with the summarize fingerprint, its input."""
    previous, following = neighbours
    return {
        "number": number,
        "count": count,
        "start": format_timestamp(part.start),
        "end": format_timestamp(part.end),
        "text": part.text(),
        "previous": _describe_part(previous, chinese),
        "next": _describe_part(following, chinese),
    }


def _part_key(context: dict[str, Any]) -> str:
    """A part's answer is kept under this fingerprint of its input (with the summarize
    fingerprint of the whole file): the site's tags, which change with every post, are not in it."""
    return fingerprint("part/1", context)


def _neighbours(parts: list[Part], index: int) -> tuple[Part | None, Part | None]:
    return (parts[index - 1] if index else None, parts[index + 1] if index + 1 < len(parts) else None)


class CallSlots:
    """The model calls of a run's summarize stage: ``llm.concurrency`` at a time (a long video's
    parts and the other videos share them), and none started once the run is stopping."""

    def __init__(self, concurrency: int) -> None:
        self.slots = threading.BoundedSemaphore(max(1, concurrency))
        self.stopping = threading.Event()


class SavedParts:
    """A long video's part answers (``parts.json``): each saved as it arrives, under the
    fingerprint of its input, so that a rerun after a kill, a full disk or a failed overview
    asks only for the parts not answered yet. Answers are for one summarize fingerprint: those
    of other inputs (another model, an edited transcript or prompt) are never used."""

    def __init__(self, store: Store, video_id: str, inputs_fingerprint: str) -> None:
        self.store = store
        self.video_id = video_id
        loaded = store.load_readable(video_id, PartsFile)  # a damaged file only costs its answers
        if loaded is not None and loaded.fingerprint == inputs_fingerprint:
            self.file = loaded
        else:
            self.file = PartsFile(fingerprint=inputs_fingerprint)
            self.file.replacing(loaded.stored() if loaded is not None else None)
        self._lock = threading.Lock()  # parts answer from several threads

    def get(self, key: str) -> PartAnswer | None:
        with self._lock:
            return self.file.parts.get(key)

    def put(self, key: str, sections: list[Section], usage: list[Usage]) -> None:
        with self._lock:
            self.file.parts[key] = PartAnswer(sections=[PartSection(**s.model_dump()) for s in sections],
                                              usage=usage, answered_at=now_iso())
            self.file.updated_at = now_iso()
            self.store.save(self.video_id, self.file)
            self.file.replacing(None)  # what it replaces next time is what it just wrote

    def done(self) -> None:
        """The article is written: its answers are all in ``article.json`` now."""
        if self.file.parts or self.file.file_as_read is not None:
            self.store.remove(self.video_id, PartsFile)


def _describe_part(part: Part | None, chinese: bool) -> str:
    """A neighbouring part in the words of the prompts' language (``chinese``: the Chinese set's)."""
    if part is None:
        return ""
    if part.chapter_titles:
        return ("、" if chinese else "; ").join(part.chapter_titles)
    span = f"{format_timestamp(part.start)}–{format_timestamp(part.end)}"
    return f"{span} 的内容" if chinese else f"{span} of the video"


def _excerpt(body: str) -> str:
    body = " ".join(body.split())
    return body if len(body) <= EXCERPT_CHARS else body[:EXCERPT_CHARS] + "…"


def _same_heading(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return "".join(ch for ch in s.lower() if ch.isalnum())

    return norm(a) == norm(b) or norm(b).startswith(norm(a)) and norm(a) != "" and len(norm(a)) >= 4


def merge_sections(per_part: list[list[Section]]) -> list[Section]:
    """Join the parts' sections; a topic cut by a part boundary (the same heading on both
    sides) becomes one section."""
    merged: list[Section] = []
    for sections in per_part:
        for index, section in enumerate(sections):
            if index == 0 and merged and _same_heading(merged[-1].heading, section.heading):
                last = merged[-1]
                merged[-1] = last.model_copy(update={"body": f"{last.body.rstrip()}\n\n{section.body.lstrip()}"})
            else:
                merged.append(section)
    return merged


def total_usage(usages: list[Usage]) -> dict[str, Any]:
    costs = [u.cost_usd for u in usages]
    return {
        "calls": len(usages),
        "prompt_tokens": sum(u.prompt_tokens for u in usages),
        "cached_tokens": sum(u.cached_tokens for u in usages),
        "completion_tokens": sum(u.completion_tokens for u in usages),
        "cost_usd": round(sum(c for c in costs if c is not None), 6) if any(c is not None for c in costs) else None,
    }


@dataclass
class SummaryInputs:
    """What summarizing one video reads, and their fingerprint: loaded and hashed once when a
    stage both estimates and summarizes (``--max-cost``)."""

    meta: MetadataFile
    transcript: TranscriptFile
    prompts: Prompts
    fingerprint: str

    @classmethod
    def load(cls, video_id: str, config: Config, store: Store, prompts: Prompts | None = None) -> SummaryInputs:
        meta = store.load(video_id, MetadataFile)
        transcript = store.load(video_id, TranscriptFile)
        prompts = prompts or Prompts(config)
        return cls(meta, transcript, prompts, summarize_fingerprint(meta.stored(), transcript.stored(), config, prompts))


def summarize(video_id: str, config: Config, store: Store, *, llm: LLMClient, force: bool = False,
              prompts: Prompts | None = None, tags: list[str] | None = None,
              inputs: SummaryInputs | None = None, calls: CallSlots | None = None) -> StageResult:
    """Write ``article.json`` for one video, unless it is current for its inputs."""
    inputs = inputs or SummaryInputs.load(video_id, config, store, prompts)
    meta, transcript, prompts, expected = inputs.meta, inputs.transcript, inputs.prompts, inputs.fingerprint
    if not force and store.is_current(video_id, "article", expected):
        return StageResult(video_id, "summarize", "skipped")
    tags = tags or []  # the site's tags, which the caller reads (``pipeline.post.index.site_tags``)
    saved = SavedParts(store, video_id, expected)
    summarizer = Summarizer(config, llm, prompts, meta, transcript, tags, saved, calls)
    records: list[ArticleFile] = []

    def keep(article: Article, parts: int) -> None:
        article, script_warnings = in_readers_script(article, prompts.reader)
        sections, dropped = check_times(article.sections, transcript.paragraphs, meta.duration)
        warnings = [d.warning for d in dropped] + script_warnings
        for warning in script_warnings:
            log.warning("%s: %s", video_id, warning)
        for line in dropped_summary(dropped):  # one line per kind; the detail is in article.json
            log.warning("%s: %s", video_id, line)
        for warning in warnings:
            log.info("%s: %s", video_id, warning)
        # ArticleFile cleans the model's answer (titles trimmed, tags as unique slugs): the one place.
        record = ArticleFile.model_validate(article.model_dump() | {
            "sections": sections,
            "fingerprint": expected,
            "model": config.llm.model,
            "parts": parts,
            "transcript_source": transcript.source,
            "warnings": warnings,
            "usage": [u.model_dump() for u in summarizer.usage],
            "usage_total": total_usage(summarizer.usage),
            "created_at": now_iso(),
        })
        store.save(video_id, record)
        records.append(record)

    _, parts = summarizer.run(keep)
    saved.done()
    record = records[0]
    totals = record.usage_total
    return StageResult(video_id, "summarize", "done", detail=f"{parts} part(s), {len(summarizer.usage)} call(s)",
                       tokens=totals.prompt_tokens + totals.completion_tokens, cost_usd=totals.cost_usd)


def estimate_article_tokens(transcript_tokens: int) -> int:
    """Rough size of the finished article, for dry runs: a faithful Chinese rewrite runs at
    about half the transcript's tokens."""
    return max(400, transcript_tokens // 2)


@dataclass
class Estimate:
    """What summarizing one video is expected to spend, before any call is made."""

    video_id: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None
    skipped: bool = False
    batch_cost_usd: float | None = 0.0  # the same calls through the Batch API
    # Words by speech recognition first (``--dry-run`` does not run it): the audio's seconds and
    # its cost; then the model's tokens are guessed from the audio's length.
    transcribed: bool = False
    asr_seconds: float | None = None  # None: the length is not known before the audio is read
    asr_cost_usd: float | None = None


def estimate(video_id: str, config: Config, store: Store, *, force: bool = False,
             prompts: Prompts | None = None, tags: list[str] | None = None,
             inputs: SummaryInputs | None = None) -> Estimate:
    """Plan the calls for one fetched video without making them (``--dry-run``, ``--max-cost``)."""
    inputs = inputs or SummaryInputs.load(video_id, config, store, prompts)
    meta, transcript, prompts = inputs.meta, inputs.transcript, inputs.prompts
    if not force and store.is_current(video_id, "article", inputs.fingerprint):
        return Estimate(video_id, 0, 0, 0, 0.0, skipped=True)
    tags = tags or []
    summarizer = Summarizer(config, None, prompts, meta, transcript, tags)  # type: ignore[arg-type]
    parts = summarizer.plan()
    overhead = summarizer.overhead_tokens
    article_tokens = estimate_article_tokens(sum(p.tokens for p in parts))
    asked = parts
    if len(parts) > 1:  # the parts an earlier run has answered are not asked for again
        saved = SavedParts(store, video_id, inputs.fingerprint)
        asked = [part for i, part in enumerate(parts)
                 if saved.get(_part_key(_part_context(part, _neighbours(parts, i), i + 1, len(parts),
                                                           prompts.in_chinese))) is None]
    asked_tokens = sum(p.tokens for p in asked)
    calls = 1 if len(parts) == 1 else len(asked) + 1
    prompt_tokens = overhead * len(asked) + asked_tokens
    if len(parts) > 1:
        # The reduce call reads section headings and excerpts, a fraction of the article.
        prompt_tokens += overhead + min(article_tokens, len(parts) * 8 * EXCERPT_CHARS)
    completion_tokens = (estimate_article_tokens(asked_tokens) if asked else 0) + (300 if len(parts) > 1 else 0)
    cost = call_cost(config.llm.model, prompt_tokens, 0, completion_tokens, config.llm.prices)
    batch_cost = call_cost(config.llm.model, prompt_tokens, 0, completion_tokens, config.llm.prices, batch=True)
    return Estimate(video_id, calls, prompt_tokens, completion_tokens, cost, batch_cost_usd=batch_cost)


def estimate_transcribed(meta: Metadata, config: Config, *, prompts: Prompts | None = None,
                         tags: list[str] | None = None) -> Estimate:
    """A video whose words would come from speech recognition: its cost by the audio's length
    (None when the length or the price is unknown), and one article call for the words such
    audio holds (``SPOKEN_TOKENS_PER_MINUTE``)."""
    seconds = meta.duration
    spoken = int((seconds or 0) / 60 * SPOKEN_TOKENS_PER_MINUTE)
    without_words = Transcript(video_id=meta.id, source="asr")
    overhead = Summarizer(config, None, prompts or Prompts(config), meta, without_words,  # type: ignore[arg-type]
                          tags or []).overhead_tokens
    prompt_tokens, completion_tokens = overhead + spoken, estimate_article_tokens(spoken)
    prices, model = config.llm.prices, config.llm.model
    return Estimate(meta.id, 1, prompt_tokens, completion_tokens, call_cost(model, prompt_tokens, 0, completion_tokens, prices),
                    batch_cost_usd=call_cost(model, prompt_tokens, 0, completion_tokens, prices, batch=True),
                    transcribed=True, asr_seconds=seconds, asr_cost_usd=asr_cost(config.asr, seconds))


def check_prompts(config: Config, prompts: Prompts) -> None:
    """Render every template once on a tiny sample video, so a template that does not render
    is a configuration error before any work, not the same failure for every video."""
    meta = Metadata(id="sample00000", title="Sample", channel="Sample", upload_date="20250101", duration=60)
    paragraph = Paragraph(start=0.0, end=60.0, text="Sample words.")
    transcript = Transcript(video_id=meta.id, source="sample", language="en", paragraphs=[paragraph])
    summarizer = Summarizer(config, None, prompts, meta, transcript, [])  # type: ignore[arg-type]
    part = split_transcript(transcript.paragraphs, 10_000)[0]
    summarizer.article_messages(part)
    summarizer.part_messages(part, (None, None), 1, 1)
    summarizer.overview_messages([Section(heading="Sample", body="Sample words.")])
