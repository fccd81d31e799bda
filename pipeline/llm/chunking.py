"""Splitting a long transcript into parts that fit the model's context.

Parts follow the video's chapters when it has them, otherwise paragraph boundaries, and are
balanced in size. Nothing is dropped or repeated: every paragraph lands in exactly one part.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from itertools import groupby

from pipeline.shapes import Paragraph
from pipeline.llm.tokens import estimate_tokens

_SENTENCE_END = re.compile(r"(?<=[.?!。！？…])\s*")
MIN_SPLIT_CHARS = 200


def format_timestamp(seconds: float) -> str:
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@dataclass
class Part:
    index: int
    paragraphs: list[Paragraph]
    tokens: int
    chapter_titles: list[str] = field(default_factory=list)

    @property
    def start(self) -> float:
        return self.paragraphs[0].start if self.paragraphs else 0.0

    @property
    def end(self) -> float:
        return self.paragraphs[-1].end if self.paragraphs else 0.0

    def text(self) -> str:
        # Who speaks, where the transcript names them (a podcast's): "[12:34] Jane Doe: …".
        return "\n\n".join(f"[{format_timestamp(p.start)}] {f'{p.speaker}: ' if p.speaker else ''}{p.text}"
                             for p in self.paragraphs)


def _weighed(paragraphs: list[Paragraph], budget: int) -> list[tuple[Paragraph, int]]:
    """Each paragraph with its tokens; one bigger than the budget is cut at sentence ends."""
    out: list[tuple[Paragraph, int]] = []
    for paragraph in paragraphs:
        tokens = estimate_tokens(paragraph.text) + 4  # + the timestamp prefix
        if tokens <= budget:
            out.append((paragraph, tokens))
            continue
        pieces = max(2, math.ceil(tokens / budget))
        for text in _cut_text(paragraph.text, pieces):
            piece = paragraph.model_copy(update={"text": text})
            out.append((piece, estimate_tokens(text) + 4))
    return out


def _cut_text(text: str, pieces: int) -> list[str]:
    """Cut text into about ``pieces`` runs at sentence ends, else at spaces, else anywhere."""
    sentences = [s for s in _SENTENCE_END.split(text) if s]
    if len(sentences) < pieces:
        words = text.split(" ")
        sentences = words if len(words) >= pieces else [text[i:i + 200] for i in range(0, len(text), 200)]
        joiner = " " if len(words) >= pieces else ""
    else:
        joiner = " " if " " in text else ""
    target = len(text) / pieces
    runs: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in sentences:
        current.append(sentence)
        size += len(sentence)
        if size >= target and len(runs) < pieces - 1:
            runs.append(joiner.join(current).strip())
            current, size = [], 0
    if current:
        runs.append(joiner.join(current).strip())
    return [r for r in runs if r]


def _pack(items: list[tuple[Paragraph, int]], budget: int) -> list[list[tuple[Paragraph, int]]]:
    """Consecutive runs of items, balanced: n = ceil(total / budget) runs of about total / n."""
    total = sum(t for _, t in items)
    count = max(1, math.ceil(total / budget))
    target = total / count
    groups: list[list[tuple[Paragraph, int]]] = [[]]
    size = 0
    for item in items:
        tokens = item[1]
        if groups[-1] and (size + tokens > budget or (size >= target and len(groups) < count)):
            groups.append([])
            size = 0
        groups[-1].append(item)
        size += tokens
    return groups


def split_transcript(paragraphs: list[Paragraph], budget_tokens: int) -> list[Part]:
    """Parts of at most ``budget_tokens`` each, along chapters when there are any."""
    items = _weighed(paragraphs, budget_tokens)
    total = sum(t for _, t in items)
    if total <= budget_tokens:
        return [_part(0, items)]
    has_chapters = any(p.chapter for p, _ in items)
    groups: list[list[tuple[Paragraph, int]]] = []
    if has_chapters:
        chapters = [list(run) for _, run in groupby(items, key=lambda item: item[0].chapter)]
        current: list[tuple[Paragraph, int]] = []
        size = 0
        for chapter in chapters:
            chapter_size = sum(t for _, t in chapter)
            if chapter_size > budget_tokens:
                if current:
                    groups.append(current)
                    current, size = [], 0
                groups.extend(_pack(chapter, budget_tokens))
            elif size + chapter_size > budget_tokens:
                groups.append(current)
                current, size = list(chapter), chapter_size
            else:
                current.extend(chapter)
                size += chapter_size
        if current:
            groups.append(current)
    else:
        groups = _pack(items, budget_tokens)
    return [_part(i, group) for i, group in enumerate(groups)]


def _part(index: int, items: list[tuple[Paragraph, int]]) -> Part:
    titles: list[str] = []
    for paragraph, _ in items:
        if paragraph.chapter and paragraph.chapter not in titles:
            titles.append(paragraph.chapter)
    return Part(index=index, paragraphs=[p for p, _ in items], tokens=sum(t for _, t in items),
                chapter_titles=titles)


def split_part(part: Part) -> list[Part]:
    """Two halves of a part, for a redo after a truncated answer."""
    if len(part.paragraphs) >= 2:
        items = [(p, estimate_tokens(p.text) + 4) for p in part.paragraphs]
        half, running, cut = part.tokens / 2, 0, 1
        for index, (_, tokens) in enumerate(items):
            running += tokens
            if running >= half:
                cut = max(1, min(index + 1, len(items) - 1))
                break
        return [_part(part.index, items[:cut]), _part(part.index, items[cut:])]
    paragraph = part.paragraphs[0] if part.paragraphs else None
    if paragraph is None or len(paragraph.text) < MIN_SPLIT_CHARS:
        raise ValueError("this part is too short to split further")
    halves = _cut_text(paragraph.text, 2)
    if len(halves) < 2:
        raise ValueError("this part cannot be split further")
    return [_part(part.index, [(paragraph.model_copy(update={"text": t}), estimate_tokens(t) + 4)]) for t in halves]
