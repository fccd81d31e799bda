"""A reviewer's regenerations, for the review desk: the whole article or one section written
again from the transcript, with the reviewer's instruction added to the request as data
(``prompts/revise.md``, ``prompts/section.md``). Neither touches the post: the desk keeps the
result as a candidate."""

from __future__ import annotations

from typing import Any

from pipeline.config import Config
from pipeline.llm.chunking import Part
from pipeline.llm.client import LLMClient
from pipeline.llm.prompts import Prompts
from pipeline.llm.summarize import Section, Summarizer, in_readers_script
from pipeline.llm.timing import timed_sections
from pipeline.shapes import Metadata, Paragraph, Transcript, Usage


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


def revise_article(meta: Metadata, transcript: Transcript, config: Config, llm: LLMClient, tags: list[str],
                   instruction: str, usage: list[Usage]) -> dict[str, Any]:
    """The article written again (parts and an overview for a long video), its sections timed;
    each call's usage is appended to ``usage`` as it is answered."""
    summarizer = Summarizer(config, llm, InstructedPrompts(Prompts(config), instruction), meta, transcript,  # type: ignore[arg-type]
                            tags)
    summarizer.usage = usage
    article, _ = summarizer.run()
    article, script_warnings = in_readers_script(article, summarizer.prompts.reader)
    sections, warnings = timed_sections(article.sections, transcript.paragraphs, meta.duration)
    return article.model_dump() | {"sections": sections, "warnings": warnings + script_warnings}


def revise_section(meta: Metadata, transcript: Transcript, config: Config, llm: LLMClient, tags: list[str],
                   instruction: str, usage: list[Usage], *, number: int, heading: str, body: str,
                   start: float | None, end: float | None) -> tuple[dict[str, Any], list[str]]:
    """Section ``number`` written again from its stretch of the transcript: the new section
    (timed) and the warnings about its time."""
    summarizer = Summarizer(config, llm, InstructedPrompts(Prompts(config), instruction), meta, transcript,  # type: ignore[arg-type]
                            tags)
    part = Part(index=0, paragraphs=stretch(transcript.paragraphs, start, end), tokens=0)
    context = dict(summarizer.base, section={"heading": heading, "body": body},
                   transcript=dict(summarizer.base["transcript"], text=part.text()))
    messages = summarizer.prompts.messages("section.md", **context)
    answer, _ = llm.structured(messages, Section, name="article_section",
                               purpose=f"regenerate section {number}", on_usage=usage.append)
    answer, script_warnings = in_readers_script(answer, summarizer.prompts.reader)
    timed, warnings = timed_sections([answer], transcript.paragraphs, meta.duration)
    warnings += script_warnings
    if timed[0]["start"] is not None and end is not None:
        timed[0]["end"] = end
    return timed[0], warnings


def stretch(paragraphs: list[Paragraph], start: float | None, end: float | None) -> list[Paragraph]:
    """The paragraphs a section was written from (all of them when its times are unknown)."""
    if start is None:
        return list(paragraphs)
    stop = end if end is not None else float("inf")
    inside = [p for p in paragraphs if start <= p.start < stop]
    return inside or list(paragraphs)
