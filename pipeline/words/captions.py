"""Transcript text from captions: parse a caption file, clean each line, de-duplicate
rolling auto captions, and join the pieces into segments and paragraphs.

The formats are read in ``caption_formats`` and each line is cleaned in ``caption_clean``;
every format ends in the same segments, so each phrase appears once, without timing tags,
sound cues or entities, and speaker markers become speaker changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pipeline.words.caption_clean import logical_lines, voice
from pipeline.words.caption_formats import Cue, CaptionFormatError, detect_format, read_cues
from pipeline.language import opencc
from pipeline.shapes import Chapter, Paragraph, Segment

__all__ = ["CaptionFormatError", "build_paragraphs", "clean_snippets", "convert_chinese", "detect_format",
           "parse_caption_file", "parse_captions"]

# Hangul is absent: Korean separates words with spaces. Kana and CJK punctuation are in.
_CJK = re.compile(r"[\u2e80-\u2fff\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
                  r"\U00020000-\U0003ffff]")
_CJK_OR_SHARED = re.compile(_CJK.pattern[:-1] + "“”‘’…—·]")  # punctuation both scripts use
_CJK_PUNCT = re.compile(r"[\u3000-\u303f\uff00-\uffef]")  # full-width: never spaced, even from Latin
_SENTENCE_END = tuple(".?!。？！…")
_CLOSERS = "\"'”’»)]」』）"
# A file is "rolling" when this share of its cues repeat the previous cue's last line(s).
_ROLLING_SHARE = 0.3
# A rolling cue starts where the one it repeats ends; a later cue that says the same is speech.
_ROLLING_GAP = 0.1


def _overlap(previous: list[str], current: list[str]) -> int:
    """How many leading lines of ``current`` repeat the last lines of ``previous``."""
    for size in range(min(len(previous), len(current)), 0, -1):
        if previous[-size:] == current[:size]:
            return size
    return 0


def _needs_space(left: str, right: str) -> bool:
    if left.isascii() and right.isascii():  # most boundaries, and never CJK
        return True
    if _CJK_PUNCT.match(left) or _CJK_PUNCT.match(right):
        return False
    cjk = _CJK.match(left) or _CJK.match(right)
    return not (cjk and _CJK_OR_SHARED.match(left) and _CJK_OR_SHARED.match(right))


def _join(pieces: Iterable[str]) -> str:
    """Join caption fragments: single spaces between words, none between CJK characters."""
    out: list[str] = []
    for piece in pieces:
        if out and _needs_space(out[-1][-1], piece[0]):
            out.append(" ")
        out.append(piece)
    return "".join(out)


def _segments(cues: list[Cue]) -> list[Segment]:
    cues.sort(key=lambda cue: cue[0])
    # Every cue, also one left without words (a "[Music]" cue): a cue is compared only with
    # the cue right before it, so words said again after a sound cue are not taken for a repeat.
    prepared: list[tuple[float, float, list[tuple[str, bool]]]] = []
    carry = False  # a ">>" on a line without words belongs to the next words
    speaking: str | None = None  # the last <v Name> voice: named again only when it changes
    # Rolling auto captions hold every line twice: clean each distinct line once.
    cleaned: dict[str, tuple[str | None, list[tuple[str, bool]]]] = {}
    texts_of: list[list[str]] = []  # each cue's texts alone, to compare with the cue before
    for start, end, raw_lines in cues:
        lines: list[tuple[str, bool]] = []
        texts: list[str] = []
        for raw in raw_lines:
            if not raw or raw.isspace():
                continue  # a blank line has no words and marks no speaker
            known = cleaned.get(raw)
            if known is None:
                known = cleaned[raw] = (voice(raw), logical_lines(raw))
            named, pieces = known
            label = named if named and named != speaking else None
            speaking = named or speaking
            for text, change in pieces:
                if text:
                    if label:
                        text, change, label = f"{label}: {text}", True, None
                    lines.append((text, change or carry))
                    texts.append(text)
                    carry = False
                else:
                    carry = carry or change
        prepared.append((start, max(end, start), lines))
        texts_of.append(texts)

    # Rolling auto captions repeat the last line(s) of a cue at the top of the next one, which
    # starts where it ends. Manual captions may say "Yeah." twice, and a rolling file may say a
    # line again later: only a repeat in a rolling file, in the cue right after, is dropped.
    overlaps = [0] + [_overlap(texts_of[i - 1], texts_of[i]) if prepared[i][0] <= prepared[i - 1][1] + _ROLLING_GAP
                      else 0 for i in range(1, len(prepared))]
    repeating = sum(1 for size in overlaps if size)
    worded = sum(1 for cue in prepared if cue[2])
    rolling = repeating >= 2 and repeating >= _ROLLING_SHARE * max(1, worded - 1)

    spans: list[tuple[float, float, str, bool]] = []
    for (start, end, lines), size in zip(prepared, overlaps):
        if rolling:
            lines = lines[size:]
        if not lines:
            continue
        groups: list[tuple[list[str], bool]] = []
        for text, change in lines:
            if change or not groups:
                groups.append(([text], change))
            else:
                groups[-1][0].append(text)
        texts = [(_join(pieces), change) for pieces, change in groups]
        # Several speakers in one cue share its time in proportion to what each says.
        total = sum(len(t) for t, _ in texts) or 1
        at = start
        for text, change in texts:
            stop = at + (end - start) * len(text) / total
            spans.append((at, stop, text, change))
            at = stop

    segments = []
    for index, (start, end, text, change) in enumerate(spans):
        # Caption durations overlap (json3, old auto VTT); a phrase ends where the next begins.
        if index + 1 < len(spans) and start <= spans[index + 1][0] < end:
            end = spans[index + 1][0]
        segments.append(Segment(start=round(start, 3), end=round(end, 3), text=text, speaker_change=change))
    return segments


def parse_caption_file(text: str, fmt: str, languages: Sequence[str] = ()) -> tuple[list[Segment], str | None]:
    """Parse and clean a caption file's text: segments in time order (none when the file has
    only sound cues), and the language the file itself names (the ``<P Class>`` of a SAMI file
    chosen by ``languages``), else None. Raises ``CaptionFormatError`` for a file that is not ``fmt``."""
    cues, language = read_cues(text, fmt, languages)
    return _segments(cues), language


def parse_captions(text: str, fmt: str) -> list[Segment]:
    """``parse_caption_file`` without the language."""
    return parse_caption_file(text, fmt)[0]


def clean_snippets(snippets: Iterable[tuple[str, float, float]]) -> list[Segment]:
    """youtube-transcript-api snippets or ASR segments, as (text, start, duration)."""
    return _segments([(float(start), float(start) + float(duration), str(text).split("\n"))
                      for text, start, duration in snippets])


# --- paragraphs -------------------------------------------------------------------------


def _ends_sentence(text: str) -> bool:
    return text.rstrip(_CLOSERS).endswith(_SENTENCE_END)


def build_paragraphs(segments: list[Segment], chapters: list[Chapter] | None = None, *,
                     max_seconds: float = 90.0, max_chars: int = 1200) -> list[Paragraph]:
    """Readable paragraphs, always broken at speaker changes and chapter starts; otherwise at a
    sentence end once about ``max_seconds``/``max_chars`` long, or, in unpunctuated captions,
    at the time bound."""
    ordered = sorted(chapters or [], key=lambda c: c.start)
    sentences = sum(1 for s in segments if _ends_sentence(s.text))
    punctuated = sentences >= max(1, len(segments) // 20)
    paragraphs: list[Paragraph] = []
    group: list[Segment] = []
    size = 0
    chapter_index = -1  # the chapter the current segment falls in (segments come in time order)
    group_chapter: str | None = None

    def flush() -> None:
        if group:
            paragraphs.append(Paragraph(start=group[0].start, end=group[-1].end,
                                        text=_join(s.text for s in group), chapter=group_chapter))

    for segment in segments:
        while chapter_index + 1 < len(ordered) and ordered[chapter_index + 1].start <= segment.start:
            chapter_index += 1
        title = ordered[chapter_index].title if chapter_index >= 0 else None
        if group:
            elapsed = segment.start - group[0].start
            long_enough = elapsed >= max_seconds or size >= max_chars
            too_long = elapsed >= 2 * max_seconds or size >= 2 * max_chars
            if (segment.speaker_change or title != group_chapter or too_long
                    or (long_enough and (not punctuated or _ends_sentence(group[-1].text)))):
                flush()
                group, size = [], 0
        if not group:
            group_chapter = title
        group.append(segment)
        size += len(segment.text) + 1
    flush()
    return paragraphs


# --- Chinese ----------------------------------------------------------------------------

_OPENCC_CONFIGS = {"zh-Hans": "t2s", "zh-Hant": "s2t"}


def convert_chinese(segments: list[Segment], target: str) -> list[Segment]:
    """Convert Chinese text to ``zh-Hans`` (from traditional) or ``zh-Hant`` with OpenCC."""
    if target not in _OPENCC_CONFIGS:
        raise ValueError(f"unsupported Chinese conversion target {target!r}")
    converter = opencc(_OPENCC_CONFIGS[target])
    return [s.model_copy(update={"text": converter.convert(s.text)}) for s in segments]
