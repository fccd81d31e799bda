"""Transcript formats: parse caption files and clean YouTube caption noise.

Handles WebVTT (including YouTube's rolling auto captions and the old ``Style:``/``##``
header), SRT (including yt-dlp's conversions of rolling captions), json3, timedtext format 3
(srv3, and srv2), the legacy ``<transcript><text>`` XML and simple TTML. Every format ends in
the same cleaner, so each phrase appears once, without timing tags, sound cues, entities or
speaker markers.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from pipeline.models import Chapter, Paragraph, Segment

# A cue before cleaning: start and end in seconds, and its raw text lines.
Cue = tuple[float, float, list[str]]

_STAMP = r"(?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_TIMING = re.compile(rf"^\s*({_STAMP})\s*-->\s*({_STAMP})(?:\s.*)?$")
# Only "<" followed by a tag name, "/" or a timestamp starts markup, so "x < y > z" survives.
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d{1,2}:\d{2}(?::\d{2})?[.,]\d{1,3}>")
_ASS_TAG = re.compile(r"\{\\[^{}]*\}")  # {\an8} positioning some SRT authors use
_BRACKETED = re.compile(r"\[[^\[\]]{0,60}\]")
_PARENTHESIZED = re.compile(r"[(（]([^()（）]{0,60})[)）]")
_SOUND_WORDS = re.compile(
    r"\b(?:music(?:al)?|applause|applauding|laugh(?:s|ing|ter)?|chuckl(?:es|ing)|giggl(?:es|ing)"
    r"|cheer(?:s|ing)|clap(?:s|ping)?|sigh(?:s|ing)?|cough(?:s|ing)?|gasp(?:s|ing)?|groan(?:s|ing)?"
    r"|scream(?:s|ing)?|yawn(?:s|ing)?|sings?|singing|whistl(?:es|ing)|sniff(?:s|les|ing)?|cries"
    r"|crying|sobs|sobbing|grunt(?:s|ing)?|inaudible|indistinct|silence|noise|beep(?:s|ing)?"
    r"|footsteps|explosion|sound effects?|speaking|foreign|instrumental|upbeat|dramatic"
    r"|смех|музыка|аплодисменты|音乐|音楽|掌声|笑声|拍手|笑)\b",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^\[([A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,2})\]\s+(?=\S)")  # "- [Lex] Yes."
_NOTES = re.compile(r"[♪♫♬🎵🎶]+")
_SPEAKER_DASH = re.compile(r"^\s*-\s+")
# Hangul is absent: Korean separates words with spaces.
_CJK = re.compile(r"[\u2e80-\u2fff\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
                  r"\U00020000-\U0003ffff]")
_CJK_OR_SHARED = re.compile(_CJK.pattern[:-1] + "“”‘’…—·]")  # punctuation both scripts use
_CJK_PUNCT = re.compile(r"[\u3000-\u303f\uff00-\uffef]")  # full-width: never spaced, even from Latin
_SENTENCE_END = tuple(".?!。？！…")
_CLOSERS = "\"'”’»)]」』）"
_XML_ELEMENT = re.compile(r"<((?:\w+:)?(?:p|text))\b([^>]*?)(?<!/)>(.*?)</\1\s*>", re.DOTALL)
_XML_ATTR = re.compile(r"([\w:]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_XML_BR = re.compile(r"<(?:\w+:)?br\s*/?>")
_XML_ANY_TAG = re.compile(r"<[^>]*>")
_TICK_RATE = re.compile(r"tickRate\s*=\s*[\"'](\d+)")
# A file is "rolling" when this share of its cues repeat the previous cue's last line(s).
_ROLLING_SHARE = 0.3

_EXTENSIONS = {"vtt": "vtt", "webvtt": "vtt", "srt": "srt", "json3": "json3", "srv3": "srv3", "srv2": "srv3",
               "srv1": "transcript-xml", "ttml": "ttml", "dfxp": "ttml"}


def detect_format(name: str, text: str) -> str:
    """The caption format, by file extension first, else by content."""
    ext = name.lower().split("?", 1)[0].rsplit(".", 1)[-1] if "." in name else ""
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    head = text.lstrip("\ufeff \r\n\t")[:2000]
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith("{") and '"events"' in text:
        return "json3"
    if head.startswith("<"):
        for marker, fmt in (("<timedtext", "srv3"), ("<transcript", "transcript-xml"), ("<tt", "ttml")):
            if marker in head:
                return fmt
    if any(_TIMING.match(line) for line in head.splitlines()[:5]):
        return "srt"
    raise ValueError(f"{name}: unknown caption format")


def _seconds(stamp: str) -> float:
    total = 0.0
    for part in stamp.replace(",", ".").split(":"):
        total = total * 60 + float(part)
    return total


# --- raw cues ---------------------------------------------------------------------------


def _timed_cues(text: str) -> list[Cue]:
    """Cues of VTT or SRT. A timing line starts a cue and every following line belongs to it,
    so a cue whose first text line is empty (yt-dlp's SRT of rolling captions) keeps its text,
    and so does a cue not followed by a blank line (old youtube-dl VTT)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    timing = [_TIMING.match(line) if "-->" in line else None for line in lines]
    cues: list[Cue] = []
    current: list[str] | None = None
    in_note = False
    for index, line in enumerate(lines):
        match = timing[index]
        if match:
            current, in_note = [], False
            cues.append((_seconds(match.group(1)), _seconds(match.group(2)), current))
            continue
        previous_blank = index == 0 or not lines[index - 1].strip()
        if in_note or (previous_blank and (line == "NOTE" or line.startswith(("NOTE ", "NOTE\t")))):
            in_note = bool(line.strip())  # a VTT comment block runs to the next blank line
            continue
        if previous_blank and line.strip() and index + 1 < len(lines) and timing[index + 1]:
            continue  # a cue identifier (SRT's counter, or a VTT id)
        if current is not None:
            current.append(line)
    return cues


def _json3_cues(text: str) -> list[Cue]:
    cues: list[Cue] = []
    for event in json.loads(text).get("events") or []:
        segs = event.get("segs")
        if not segs:
            continue  # window definitions
        start = float(event.get("tStartMs", 0)) / 1000
        end = start + float(event.get("dDurationMs", 0)) / 1000
        # The newline-only aAppend events come out as blank lines, which the cleaner drops.
        cues.append((start, end, "".join(str(seg.get("utf8", "")) for seg in segs).split("\n")))
    return cues


def _ttml_seconds(value: str, tick_rate: float) -> float:
    if ":" in value:
        return _seconds(value)
    for unit, scale in (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0), ("t", 1 / tick_rate)):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * scale
    return float(value)


def _xml_cues(text: str) -> list[Cue]:
    """srv3 ``<p t d>`` and srv2 ``<text t d>`` (ms), srv1 ``<text start dur>`` (s), TTML
    ``<p begin end>``. Read with a regex rather than an XML parser, so that an undeclared
    entity such as ``&nbsp;`` in a caption does not lose the whole track."""
    rate_match = _TICK_RATE.search(text[:3000])
    tick_rate = float(rate_match.group(1)) if rate_match else 1.0
    cues: list[Cue] = []
    for element in _XML_ELEMENT.finditer(text):
        attrs = {m.group(1).rsplit(":", 1)[-1]: m.group(2) if m.group(2) is not None else m.group(3)
                 for m in _XML_ATTR.finditer(element.group(2))}
        if "start" in attrs:
            start = float(attrs["start"])
            end = start + float(attrs.get("dur") or 0)
        elif "t" in attrs:
            start = float(attrs["t"]) / 1000
            end = start + float(attrs.get("d") or 0) / 1000
        elif "begin" in attrs:
            start = _ttml_seconds(attrs["begin"], tick_rate)
            end = _ttml_seconds(attrs["end"], tick_rate) if "end" in attrs else start
        else:
            continue
        body = _XML_ANY_TAG.sub("", _XML_BR.sub("\n", element.group(3)))
        # One level of entities belongs to the XML; the cleaner decodes what the captions escaped.
        cues.append((start, end, html.unescape(body).split("\n")))
    return cues


# --- cleaning ---------------------------------------------------------------------------


def _sound_parenthesis(match: re.Match[str]) -> str:
    inner = match.group(1)
    shouting = any(c.isupper() for c in inner) and not any(c.islower() for c in inner)
    if not _NOTES.sub("", inner).strip() or _SOUND_WORDS.search(inner) or (shouting and " " in inner.strip()):
        return " "
    return match.group(0)


def _clean_text(text: str) -> str:
    """A piece of caption text without sound cues, music notes or stray whitespace."""
    if "[" in text:
        text = _BRACKETED.sub(" ", text)
    if "(" in text or "（" in text:
        stripped = text.strip()
        whole = _PARENTHESIZED.fullmatch(stripped)
        if whole and any(c.isupper() for c in stripped) and not any(c.islower() for c in stripped):
            return ""  # a cue that is only "(YAWNS)"; inline, "(NASA)" may well be words
        text = _PARENTHESIZED.sub(_sound_parenthesis, text)
    if "♪" in text or "♫" in text or "♬" in text or "🎵" in text or "🎶" in text:
        text = _NOTES.sub(" ", text)
    return " ".join(text.split())


def _logical_lines(raw: str) -> list[tuple[str, bool]]:
    """One raw caption line as (text, starts a new speaker) pieces: markup and entities
    decoded, split at ``>>`` and after a leading ``- `` speaker dash; text may be empty."""
    text = _TAG.sub("", raw) if "<" in raw else raw
    if "{\\" in text:
        text = _ASS_TAG.sub("", text)
    for _ in range(2):  # captions are sometimes escaped twice (&amp;#39;)
        if "&" not in text:
            break
        text = html.unescape(text)
        if "<" in text:
            text = _TAG.sub("", text)  # markup that was escaped in the source (&lt;i>)
    dash = _SPEAKER_DASH.match(text)
    if dash:
        text = text[dash.end():]
    if ">>" not in text and not dash:
        return [(_clean_text(text), False)]
    pieces = []
    for index, piece in enumerate(text.split(">>")):
        change = bool(dash) if index == 0 else True
        piece = piece.strip()
        label = _LABEL.match(piece) if change else None
        if label and not _SOUND_WORDS.search(label.group(1)):
            # A speaker's name in brackets is not a sound cue; keep who speaks.
            piece = f"{label.group(1)}: {piece[label.end():]}"
        pieces.append((_clean_text(piece), change))
    return pieces


def _overlap(previous: list[str], current: list[str]) -> int:
    """How many leading lines of ``current`` repeat the last lines of ``previous``."""
    for size in range(min(len(previous), len(current)), 0, -1):
        if previous[-size:] == current[:size]:
            return size
    return 0


def _needs_space(left: str, right: str) -> bool:
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
    prepared: list[tuple[float, float, list[tuple[str, bool]]]] = []
    carry = False  # a ">>" on a line without words belongs to the next words
    for start, end, raw_lines in cues:
        lines: list[tuple[str, bool]] = []
        for raw in raw_lines:
            for text, change in _logical_lines(raw):
                if text:
                    lines.append((text, change or carry))
                    carry = False
                else:
                    carry = carry or change
        if lines:
            prepared.append((start, max(end, start), lines))

    # Rolling auto captions repeat the last line(s) of a cue at the top of the next; manual
    # captions may legitimately say "Yeah." twice, so repeats are dropped only in rolling files.
    overlaps = [0] + [_overlap([t for t, _ in a[2]], [t for t, _ in b[2]]) for a, b in itertools.pairwise(prepared)]
    repeating = sum(1 for size in overlaps if size)
    rolling = repeating >= 2 and repeating >= _ROLLING_SHARE * max(1, len(prepared) - 1)

    spans: list[tuple[float, float, str, bool]] = []
    for (start, end, lines), size in zip(prepared, overlaps):
        if rolling:
            lines = lines[size:]
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


def parse_captions(text: str, fmt: str) -> list[Segment]:
    """Parse and clean a caption file's text; segments in time order."""
    if fmt in ("vtt", "srt"):
        cues = _timed_cues(text)
    elif fmt == "json3":
        cues = _json3_cues(text)
    elif fmt in ("srv3", "transcript-xml", "ttml"):
        cues = _xml_cues(text)
    else:
        raise ValueError(f"unsupported caption format {fmt!r}")
    return _segments(cues)


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


@lru_cache(maxsize=2)
def _opencc(config: str) -> Any:
    try:
        # An optional dependency, imported here: only some configs convert Chinese.
        from opencc import OpenCC  # type: ignore[import-untyped]
    except ImportError:
        raise ImportError("converting Chinese needs OpenCC: pip install 'yt2post[opencc]'") from None
    return OpenCC(config)


def convert_chinese(segments: list[Segment], target: str) -> list[Segment]:
    """Convert Chinese text to ``zh-Hans`` (from traditional) or ``zh-Hant`` with OpenCC."""
    if target not in _OPENCC_CONFIGS:
        raise ValueError(f"unsupported Chinese conversion target {target!r}")
    converter = _opencc(_OPENCC_CONFIGS[target])
    return [s.model_copy(update={"text": converter.convert(s.text)}) for s in segments]
