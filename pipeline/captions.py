"""Transcript formats: parse caption files and clean YouTube caption noise.

Handles WebVTT (including YouTube's rolling auto captions and the old ``Style:``/``##``
header), SRT (including yt-dlp's conversions of rolling captions), json3, timedtext format 3
(srv3) and the legacy ``<transcript><text>`` XML. Every format ends in the same cleaner, so
each phrase appears once, without timing tags, sound cues, entities or speaker markers.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from xml.etree import ElementTree

from pipeline.models import Chapter, Paragraph, Segment

_TIMING = re.compile(
    r"^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})(?:\s.*)?$"
)
_TAG = re.compile(r"<[^>\n]*>")
_SOUND_BRACKETS = re.compile(r"\[[^\]\n]{1,40}\]")
_SOUND_PARENS = re.compile(r"\((?:[A-Z][A-Z'’ -]*|[♪ ]+)\)")
_NOTES = re.compile(r"[♪♫♬]+")
_SPEAKER_DASH = re.compile(r"^\s*[-–—]\s+")
_SPACES = re.compile(r"\s+")
_CJK_CHAR = r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]"
_CJK_GAP = re.compile(rf"(?<={_CJK_CHAR}) (?={_CJK_CHAR})")
_SENTENCE_END = ".?!。？！…"
DUPLICATE_WINDOW = 3  # rolling captions repeat a line in the next two or three cues


def detect_format(name: str, text: str) -> str:
    """The caption format, by file extension first, else by content."""
    lowered = name.lower()
    for ext, fmt in ((".vtt", "vtt"), (".srt", "srt"), (".json3", "json3"), (".srv3", "srv3"),
                     (".ttml", "ttml"), (".srv1", "transcript-xml"), (".srv2", "srv3")):
        if lowered.endswith(ext):
            return fmt
    head = text.lstrip("\ufeff \r\n\t")[:500]
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith("{") and '"events"' in text[:5000]:
        return "json3"
    if "<timedtext" in head:
        return "srv3"
    if "<transcript" in head:
        return "transcript-xml"
    if "<tt" in head:
        return "ttml"
    if _TIMING.search(head.splitlines()[1] if len(head.splitlines()) > 1 else head) or "-->" in head:
        return "srt"
    raise ValueError(f"{name}: unknown caption format")


def _seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return total


# --- raw cues ---------------------------------------------------------------------------


def _timed_cues(text: str) -> list[tuple[float, float, list[str]]]:
    """Cues of VTT or SRT: a timing line starts a cue; every following line belongs to it, so a
    cue whose first text line is empty (yt-dlp's SRT of rolling captions) keeps its text."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    timing = [_TIMING.match(line) for line in lines]
    cues: list[tuple[float, float, list[str]]] = []
    current: list[str] | None = None
    for index, line in enumerate(lines):
        match = timing[index]
        if match:
            current = []
            cues.append((_seconds(match.group(1)), _seconds(match.group(2)), current))
            continue
        next_is_timing = index + 1 < len(lines) and timing[index + 1] is not None
        previous_blank = index == 0 or not lines[index - 1].strip()
        if next_is_timing and previous_blank and line.strip():
            continue  # a cue identifier (SRT's counter, or a VTT id)
        if current is not None:
            current.append(line)
    return cues


def _json3_cues(text: str) -> list[tuple[float, float, list[str]]]:
    data = json.loads(text)
    cues = []
    for event in data.get("events") or []:
        segs = event.get("segs")
        if not segs:
            continue
        joined = "".join(str(s.get("utf8", "")) for s in segs)
        if not joined.strip():
            continue  # the "\n" append events that only scroll the caption window
        start = float(event.get("tStartMs", 0)) / 1000
        end = start + float(event.get("dDurationMs", 0)) / 1000
        cues.append((start, end, joined.split("\n")))
    return cues


def _xml_cues(text: str, fmt: str) -> list[tuple[float, float, list[str]]]:
    root = ElementTree.fromstring(text.lstrip("\ufeff").encode("utf-8"))
    cues = []
    if fmt == "transcript-xml":
        for node in root.iter("text"):
            start = float(node.get("start", 0))
            cues.append((start, start + float(node.get("dur", 0)), "".join(node.itertext()).split("\n")))
    elif fmt == "ttml":
        for node in root.iter():
            if node.tag.rsplit("}", 1)[-1] != "p":
                continue
            begin, end = node.get("begin"), node.get("end")
            if begin is None:
                continue
            start = _seconds(begin.rstrip("s")) if ":" in begin else float(begin.rstrip("s"))
            stop = (_seconds(end.rstrip("s")) if ":" in end else float(end.rstrip("s"))) if end else start
            cues.append((start, stop, "".join(node.itertext()).split("\n")))
    else:
        for node in root.iter("p"):
            start = float(node.get("t", 0)) / 1000
            cues.append((start, start + float(node.get("d", 0)) / 1000, "".join(node.itertext()).split("\n")))
    return cues


# --- cleaning ---------------------------------------------------------------------------


def clean_line(line: str) -> str:
    """One caption line as plain text: no tags, entities, sound cues or stray whitespace."""
    # Each pattern only where its first character occurs: long transcripts have many lines.
    text = _TAG.sub("", line) if "<" in line else line
    for _ in range(2):  # captions are sometimes escaped twice (&amp;#39;)
        if "&" not in text:
            break
        text = html.unescape(text)
        if "<" in text:
            text = _TAG.sub("", text)  # markup that was escaped in the source (&lt;i>)
    if "[" in text:
        text = _SOUND_BRACKETS.sub(" ", text)
    if "(" in text:
        text = _SOUND_PARENS.sub(" ", text)
    if "♪" in text or "♫" in text or "♬" in text:
        text = _NOTES.sub(" ", text)
    return " ".join(text.split())


def _speaker_pieces(line: str) -> list[tuple[str, bool]]:
    """Split a line at ``>>`` markers and a leading dash: (text, starts a new speaker)."""
    if ">>" not in line and not line.lstrip()[:1] in ("-", "–", "—"):
        return [(line, False)]
    pieces: list[tuple[str, bool]] = []
    dash = bool(_SPEAKER_DASH.match(line))
    if dash:
        line = _SPEAKER_DASH.sub("", line, count=1)
    for index, piece in enumerate(line.split(">>")):
        pieces.append((piece, dash if index == 0 else True))
    return pieces


def _clean_cues(cues: Iterable[tuple[float, float, list[str]]]) -> list[Segment]:
    segments: list[Segment] = []
    recent: list[str] = []
    pending_change = False  # a marker on a line with no words carries to the next words
    for start, end, lines in cues:
        for raw in lines:
            # ``&gt;&gt;`` must become a marker before the cleaner decodes entities.
            unescaped = html.unescape(_TAG.sub("", raw)) if "&gt;" in raw else raw
            for text, change in _speaker_pieces(unescaped):
                cleaned = clean_line(text)
                if not cleaned:
                    pending_change = pending_change or (change and bool(segments))
                    continue
                if cleaned in recent:
                    continue  # a rolling caption showing a line it showed before
                recent.append(cleaned)
                del recent[:-DUPLICATE_WINDOW]
                segments.append(Segment(start=round(start, 3), end=round(max(end, start), 3), text=cleaned,
                                        speaker_change=change or pending_change))
                pending_change = False
    return segments


def parse_captions(text: str, fmt: str) -> list[Segment]:
    """Parse and clean a caption file's text; segments in time order."""
    if fmt in ("vtt", "srt"):
        cues = _timed_cues(text)
    elif fmt == "json3":
        cues = _json3_cues(text)
    elif fmt in ("srv3", "transcript-xml", "ttml"):
        cues = _xml_cues(text, fmt)
    else:
        raise ValueError(f"unsupported caption format {fmt!r}")
    cues.sort(key=lambda cue: cue[0])
    return _clean_cues(cues)


def clean_snippets(snippets: Iterable[tuple[str, float, float]]) -> list[Segment]:
    """youtube-transcript-api snippets or ASR segments: (text, start, duration)."""
    return _clean_cues((start, start + duration, str(text).split("\n")) for text, start, duration in snippets)


# --- paragraphs -------------------------------------------------------------------------


def join_text(pieces: Iterable[str]) -> str:
    """Join caption fragments: spaces between Latin words, none between CJK characters."""
    return _CJK_GAP.sub("", " ".join(pieces))


def _chapter_at(chapters: list[Chapter], start: float) -> Chapter | None:
    current = None
    for chapter in chapters:
        if chapter.start <= start + 0.5:
            current = chapter
        else:
            break
    return current


def build_paragraphs(segments: list[Segment], chapters: list[Chapter] | None = None, *,
                     max_seconds: float = 90.0, max_chars: int = 1200) -> list[Paragraph]:
    """Readable paragraphs with start times, broken at speaker changes and chapter starts, and
    otherwise at a sentence end once long enough (or at a time bound when there is no punctuation)."""
    chapters = sorted(chapters or [], key=lambda c: c.start)
    punctuated = sum(1 for s in segments if s.text[-1:] in _SENTENCE_END) >= max(1, len(segments) // 20)
    paragraphs: list[Paragraph] = []
    pieces: list[str] = []
    size = 0
    first: Segment | None = None
    last: Segment | None = None
    chapter: Chapter | None = None

    def flush() -> None:
        nonlocal pieces, size, first
        if pieces and first is not None and last is not None:
            paragraphs.append(Paragraph(start=first.start, end=last.end, text=join_text(pieces),
                                        chapter=chapter.title if chapter else None))
        pieces, size, first = [], 0, None

    for segment in segments:
        segment_chapter = _chapter_at(chapters, segment.start)
        if first is not None:
            long_enough = segment.start - first.start >= max_seconds or size >= max_chars
            at_sentence_end = last is not None and last.text[-1:] in _SENTENCE_END
            too_long = segment.start - first.start >= max_seconds * 2 or size >= max_chars * 2
            if (segment.speaker_change or segment_chapter is not chapter
                    or (long_enough and (at_sentence_end or not punctuated)) or too_long):
                flush()
        if first is None:
            first = segment
            chapter = segment_chapter
        pieces.append(segment.text)
        size += len(segment.text) + 1
        last = segment
    flush()
    return paragraphs


def convert_chinese(segments: list[Segment], target: str) -> list[Segment]:
    """Traditional to simplified Chinese with OpenCC; only when config asks for it."""
    if target != "zh-Hans":
        raise ValueError(f"unsupported Chinese conversion target {target!r}")
    try:
        from opencc import OpenCC
    except ImportError:
        raise ImportError("converting Chinese needs OpenCC: pip install 'yt2post[opencc]'") from None
    converter = OpenCC("t2s")
    return [s.model_copy(update={"text": converter.convert(s.text)}) for s in segments]
