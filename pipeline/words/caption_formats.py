"""Caption file formats: which one a file is, and its raw cues.

WebVTT (including YouTube's rolling auto captions and the old ``Style:``/``##`` header), SRT
(including yt-dlp's conversions of rolling captions), json3, timedtext format 3 (srv3, and
srv2), YouTube's old timed-text XML (``<transcript><text start dur>``, srv1), TTML, Bilibili's
subtitle JSON (``{"body": [{"from", "to", "content"}]}``, the CC and AI subtitles of its player,
``.bcc`` as its tools save it), and the formats users bring: ASS/SSA (fansubs), SAMI (``.smi``,
Korean subtitles), SBV (YouTube Studio's export) and LRC (lyrics). A file that is not what it
claims raises ``CaptionFormatError`` with a reason a person can act on; a file that is none of
them is named for what it looks like, and a Bilibili danmaku file (``<i><d p=…>``, viewers'
comments) is named as such: it is never a transcript.

ASS, SAMI and LRC are read here rather than with pysubs2: its ASS reader ignores the file's own
``Format:`` line (a file whose events list other fields loses words), its SAMI reader joins every
language's ``<P Class>`` into one text (and its format guess needs ``<SAMI>`` as the very first
characters), and it has no SBV or LRC reader.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from typing import Any

# A cue before cleaning: start and end in seconds, and its raw text lines.
Cue = tuple[float, float, list[str]]

_STAMP = r"(?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
TIMING = re.compile(rf"^\s*({_STAMP})\s*-->\s*({_STAMP})(?:\s.*)?$")
_XML_ELEMENT = re.compile(r"<((?:\w+:)?(?:p|text))\b([^>]*?)(?<!/)>(.*?)</\1\s*>", re.DOTALL)
_XML_ATTR = re.compile(r"([\w:]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_XML_BR = re.compile(r"<(?:\w+:)?br\b[^>]*>")
_XML_ANY_TAG = re.compile(r"<[^>]*>")
_TICK_RATE = re.compile(r"tickRate\s*=\s*[\"'](\d+)")
_VTT_BLOCKS = ("NOTE", "STYLE", "REGION")
# SBV, YouTube Studio's export: "0:00:01.000,0:00:04.000" and then the cue's lines.
_SBV_STAMP = r"\d+:\d{2}:\d{2}\.\d{1,3}"
SBV_TIMING = re.compile(rf"^\s*({_SBV_STAMP}),({_SBV_STAMP})\s*$")
_TIMINGS = {"vtt": (TIMING, "-->"), "srt": (TIMING, "-->"), "sbv": (SBV_TIMING, ",")}
# LRC: "[01:02.34]" (also "[01:02]", "[01:02:34]", "[1:02.345]") before the line, several for a
# repeated chorus; "<01:02.50>" word stamps inside it; "[ar:Artist]" tags on lines of their own.
_LRC_STAMP = r"\[(\d{1,3}):(\d{1,2}(?:[.:]\d{1,3})?)\]"
_LRC_STAMPS = re.compile(rf"^\s*((?:{_LRC_STAMP}\s*)+)(.*)$")
_LRC_ONE_STAMP = re.compile(_LRC_STAMP)
_LRC_WORD_STAMP = re.compile(r"<\d{1,3}:\d{1,2}(?:[.:]\d{1,3})?>")
_LRC_TAG = re.compile(r"^\s*\[([A-Za-z#]+):(.*)\]\s*$")
# ASS/SSA: every {...} block is an override (or a comment) that is never shown; \p1 (any scale
# above 0) starts vector drawing, whose "m 0 0 l 100 0" text is no words, and \p0 ends it.
_ASS_BLOCK = re.compile(r"\{([^{}]*)\}")
_ASS_DRAWING = re.compile(r"\\p(\d+(?:\.\d+)?)")
_ASS_BREAK = re.compile(r"\\[Nn]")
_ASS_FIELDS = ("layer", "start", "end", "style", "name", "marginl", "marginr", "marginv", "effect", "text")
# SAMI: <SYNC Start=ms> blocks holding a <P Class=…> per language, with HTML inside.
_SAMI_SYNC = re.compile(r"<sync\b([^>]*)>", re.IGNORECASE)
_SAMI_P = re.compile(r"<p\b([^>]*)>", re.IGNORECASE)
_SAMI_START = re.compile(r"\bstart\s*=\s*[\"']?\s*(\d+)", re.IGNORECASE)
_SAMI_CLASS = re.compile(r"\bclass\s*=\s*[\"']?([\w-]+)", re.IGNORECASE)
_SAMI_BODY = re.compile(r"<body\b", re.IGNORECASE)
_SAMI_STYLE_CLASS = re.compile(r"\.([\w-]+)\s*\{([^{}]*)\}")
_SAMI_LANG = re.compile(r"\blang\s*:\s*([A-Za-z]{2,3})(?:[-_]([A-Za-z0-9]{2,8}))?", re.IGNORECASE)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)  # closed ones only: an unclosed one loses no words
_HTML_BR = re.compile(r"<br\b[^>]*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
# Language codes SAMI files use that are not ISO 639-1 ("KRCC", "lang:kr-KR", "JPCC").
_SAMI_CODES = {"kr": "ko", "jp": "ja", "cn": "zh", "tw": "zh"}
_CHINESE_REGIONS = {"tw": "zh-Hant", "hk": "zh-Hant", "mo": "zh-Hant", "hant": "zh-Hant", "cn": "zh-Hans",
                    "sg": "zh-Hans", "hans": "zh-Hans"}

EXTENSIONS = {"vtt": "vtt", "webvtt": "vtt", "srt": "srt", "json3": "json3", "srv3": "srv3", "srv2": "srv3",
              "srv1": "transcript-xml", "ttml": "ttml", "dfxp": "ttml", "ass": "ass", "ssa": "ass",
              "smi": "sami", "sami": "sami", "sbv": "sbv", "lrc": "lrc", "bcc": "bilibili-json"}
READABLE = ("SRT, WebVTT, ASS/SSA, SAMI, SBV, LRC, json3, srv1/srv2/srv3, TTML, Bilibili subtitle JSON "
            "or YouTube timed-text XML")
# Bilibili's danmaku track (yt-dlp lists it among the subtitles as ``danmaku``, an XML file
# ``<i><d p="time,mode,…">comment</d>``): what viewers wrote over the video, not what was said.
DANMAKU = "only danmaku (viewers' comments), no subtitles"
_DANMAKU_ROOT = re.compile(r"^(?:<\?[^>]*>\s*|<!--.*?-->\s*)*<i[\s>]", re.DOTALL)


class CaptionFormatError(ValueError):
    """A caption file that is not a readable caption format; the message says why."""


def detect_format(name: str, text: str) -> str:
    """The caption format, by file extension first, else by content (``.xml``, ``.txt``)."""
    ext = name.lower().split("?", 1)[0].rsplit(".", 1)[-1] if "." in name else ""
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    head = text.lstrip("\ufeff \r\n\t")[:2000]
    lowered = head.lower()
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith("{") and '"events"' in text:
        return "json3"
    if head.startswith("{") and '"body"' in text:
        return "bilibili-json"
    if head.startswith("<"):
        for marker, fmt in (("<timedtext", "srv3"), ("<transcript", "transcript-xml"), ("<tt", "ttml")):
            if marker in head:
                return fmt
        if _DANMAKU_ROOT.match(head) and "<d p=" in head:
            raise CaptionFormatError(DANMAKU)
    if "<sami" in lowered or "<sync " in lowered:  # also a SAMI body without <SAMI>, as players read it
        return "sami"
    lines = [line for line in head.splitlines() if line.strip()][:20]
    if any(TIMING.match(line) for line in lines[:6]):
        return "srt"
    if "[script info]" in lowered or "[events]" in lowered:
        return "ass"
    if lines and SBV_TIMING.match(lines[0]):
        return "sbv"
    if any(_LRC_STAMPS.match(line) for line in lines):
        return "lrc"
    raise CaptionFormatError(f"not a caption file: {_looks_like(head, text, lines)} that is none of {READABLE}")


def _looks_like(head: str, text: str, lines: list[str]) -> str:
    """What a file that is no caption format looks like, for the message that refuses it."""
    lowered = head.lower()
    if "<html" in lowered or "<!doctype html" in lowered:
        return "an HTML page"
    if head.startswith("<"):
        root = re.match(r"<(?:\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<?([A-Za-z][\w:.-]*)", head, re.DOTALL)
        return f"an XML file (<{root.group(1)}>)" if root else "an XML file"
    if head.startswith(("{", "[")):
        try:
            json.loads(text)
            return "a JSON file"
        except ValueError:
            pass
    if lines and all(_LRC_TAG.match(line) for line in lines):
        return "a lyric file with tags ([ti:], [ar:]) but no time-stamped [mm:ss.xx] line"
    if head.startswith("["):
        return f"text beginning {lines[0].strip()[:40]!r}"
    return "text"


def seconds(stamp: str) -> float:
    if len(stamp) == 12 and stamp[2] == stamp[5] == ":" and stamp[8] in ".,":  # "00:01:02,345": yt-dlp's
        # The same sum as below, to the last bit: whole minutes are exact in a float.
        return (int(stamp[:2]) * 60 + int(stamp[3:5])) * 60 + float(stamp[6:].replace(",", "."))
    total = 0.0
    for part in stamp.replace(",", ".").split(":"):
        total = total * 60 + float(part)
    return total


def timed_cues(text: str, fmt: str = "vtt") -> list[Cue]:
    """Cues of VTT, SRT or SBV. A timing line starts a cue and every following line belongs to
    it, so a cue whose first text line is empty (yt-dlp's SRT of rolling captions) keeps its
    text, and so does a cue not followed by a blank line (old youtube-dl VTT). A ``NOTE`` (or
    ``STYLE``/``REGION``) block after a blank line is a comment, also between cues. SBV has
    neither cue identifiers nor comments."""
    timing, marker = _TIMINGS[fmt]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    timings = [(index, match) for index, line in enumerate(lines) if marker in line and (match := timing.match(line))]
    starts = [index for index, _ in timings]
    if fmt == "sbv" and not timings:
        raise CaptionFormatError("an SBV file without any 0:00:01.000,0:00:04.000 timing line")
    comments = _comment_lines(lines, set(starts)) if fmt == "vtt" and any(w in text for w in _VTT_BLOCKS) else set()
    stamps: dict[str, float] = {}  # a cue mostly starts at the stamp the one before ends at

    def at(stamp: str) -> float:
        value = stamps.get(stamp)
        if value is None:
            value = stamps[stamp] = seconds(stamp)
        return value

    cues: list[Cue] = []
    for number, (start, match) in enumerate(timings):
        end = starts[number + 1] if number + 1 < len(starts) else len(lines)
        # A cue identifier (SRT's counter, or a VTT id): a line after a blank one, right before
        # the next timing line.
        if (fmt != "sbv" and end < len(lines) and end - 1 > start and lines[end - 1].strip()
                and not lines[end - 2].strip()):
            end -= 1
        body = [line for index, line in enumerate(lines[start + 1:end], start + 1) if index not in comments] \
            if comments else lines[start + 1:end]
        cues.append((at(match.group(1)), at(match.group(2)), body))
    return cues


def _comment_lines(lines: list[str], starts: set[int]) -> set[int]:
    """The lines of WebVTT comment blocks: from a ``NOTE``/``STYLE``/``REGION`` line after a
    blank line to the next blank line (a timing line ends one too)."""
    comments: set[int] = set()
    in_block = False
    for index, line in enumerate(lines):
        if index in starts:
            in_block = False
            continue
        previous_blank = index == 0 or not lines[index - 1].strip()
        if in_block or (previous_blank and line.split(" ", 1)[0].split("\t", 1)[0] in _VTT_BLOCKS):
            in_block = bool(line.strip())
            comments.add(index)
    return comments


def _number(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):  # also NaN and Infinity, which Python's json reads: no time
        raise CaptionFormatError(f"bad {what} {value!r}")
    return number


def json_objects(text: str, key: str, kind: str) -> list[dict[str, Any]]:
    """The objects of the ``key`` list of a JSON document (json3's ``events``, a podcast
    transcript's ``segments``); ``CaptionFormatError`` naming ``kind`` for anything else."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaptionFormatError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    entries = data.get(key) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise CaptionFormatError(f"not a {kind} (no \"{key}\" list)")
    for entry in entries:
        if not isinstance(entry, dict):
            raise CaptionFormatError(f"not a {kind} (an entry of \"{key}\" is {type(entry).__name__})")
    return entries


def json3_cues(text: str) -> list[Cue]:
    cues: list[Cue] = []
    for event in json_objects(text, "events", "json3 caption file"):
        segs = event.get("segs")
        if not segs:
            continue  # window definitions
        if not isinstance(segs, list) or not all(isinstance(seg, dict) for seg in segs):
            raise CaptionFormatError("not a json3 caption file (\"segs\" is not a list of objects)")
        start = _number(event.get("tStartMs", 0), "tStartMs") / 1000
        end = start + _number(event.get("dDurationMs", 0), "dDurationMs") / 1000
        # The newline-only aAppend events come out as blank lines, which the cleaner drops.
        cues.append((start, end, "".join(str(seg.get("utf8", "")) for seg in segs).split("\n")))
    return cues


def bilibili_cues(text: str) -> tuple[list[Cue], str | None]:
    """The cues of Bilibili's subtitle JSON (``from``/``to`` in seconds, ``content`` the text,
    lines broken by ``\\n``) and the language its ``lang`` names (the AI subtitles carry one)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaptionFormatError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    body = data.get("body") if isinstance(data, dict) else None
    if not isinstance(body, list) or not all(isinstance(cue, dict) for cue in body):
        raise CaptionFormatError('not a Bilibili subtitle file ("body" is not a list of cues)')
    cues: list[Cue] = []
    for cue in body:
        if "content" not in cue:
            raise CaptionFormatError('not a Bilibili subtitle file (a cue has no "content")')
        start = _number(cue.get("from", 0), "from")
        cues.append((start, max(start, _number(cue.get("to", start), "to")), str(cue["content"]).split("\n")))
    language = data.get("lang")
    return cues, language if isinstance(language, str) and language else None


def _ttml_seconds(value: str, tick_rate: float) -> float:
    if ":" in value:
        return seconds(value)
    for unit, scale in (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0), ("t", 1 / tick_rate)):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * scale
    return float(value)


def _xml_cue(attrs: dict[str, str], tick_rate: float) -> tuple[float, float] | None:
    if "start" in attrs:
        start = float(attrs["start"])
        return start, start + float(attrs.get("dur") or 0)
    if "t" in attrs:
        start = float(attrs["t"]) / 1000
        return start, start + float(attrs.get("d") or 0) / 1000
    if "begin" in attrs:
        start = _ttml_seconds(attrs["begin"], tick_rate)
        return start, _ttml_seconds(attrs["end"], tick_rate) if "end" in attrs else start
    return None


def xml_cues(text: str) -> list[Cue]:
    """srv3 ``<p t d>`` and srv2 ``<text t d>`` (ms), srv1 ``<text start dur>`` (s), TTML
    ``<p begin end>``. Read with a regex rather than an XML parser, so that an undeclared
    entity such as ``&nbsp;`` in a caption does not lose the whole track. ``<br/>`` ends a line."""
    rate_match = _TICK_RATE.search(text[:3000])
    tick_rate = float(rate_match.group(1)) if rate_match else 1.0
    cues: list[Cue] = []
    for element in _XML_ELEMENT.finditer(text):
        attrs = {m.group(1).rsplit(":", 1)[-1]: m.group(2) if m.group(2) is not None else m.group(3)
                 for m in _XML_ATTR.finditer(element.group(2))}
        try:
            span = _xml_cue(attrs, tick_rate)
        except ValueError:
            raise CaptionFormatError(f"bad time in <{element.group(1)}{element.group(2)[:60]}>") from None
        if span is None:
            continue
        body = _XML_ANY_TAG.sub("", _XML_BR.sub("\n", element.group(3)))
        # One level of entities belongs to the XML; the cleaner decodes what the captions escaped.
        cues.append((span[0], span[1], html.unescape(body).split("\n")))
    if not cues and "<" in text:
        raise CaptionFormatError("an XML file without timed <p> or <text> captions")
    return cues


def _ass_lines(text: str) -> list[str]:
    """The shown lines of an ASS event's Text: override blocks and vector drawings gone, ``\\N``
    and ``\\n`` breaking lines, ``\\h`` a space."""
    shown: list[str] = []
    drawing = False
    position = 0
    for block in _ASS_BLOCK.finditer(text):
        if not drawing:
            shown.append(text[position:block.start()])
        for scale in _ASS_DRAWING.findall(block.group(1)):
            drawing = float(scale) > 0
        position = block.end()
    if not drawing:
        shown.append(text[position:])
    return _ASS_BREAK.split("".join(shown).replace("\\h", " "))


def ass_cues(text: str) -> list[Cue]:
    """The ``Dialogue:`` events of an ASS or SSA file, their fields named by the ``[Events]``
    section's ``Format:`` line; Text is the last field, so commas inside it are kept. Comment
    events are not shown and are skipped. Every Dialogue line is kept whatever its style (a
    sign, a karaoke line, a song's translation), except an exact repeat: fansubs draw a sign or
    a karaoke line two or three times on top of itself (border, fill, glow) with the same
    times and text, and it is read once."""
    fields = list(_ASS_FIELDS)
    section = ""
    events = 0
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    cues: list[Cue] = []
    for raw in text.lstrip("\ufeff").splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line.lower()
            continue
        if section not in ("", "[events]"):
            continue  # styles, fonts and pictures (uuencoded), script info
        key, colon, value = line.partition(":")
        key = key.strip().lower()
        if not colon or key not in ("format", "dialogue", "comment"):
            continue
        if key == "format":
            fields = [name.strip().lower() for name in value.split(",")]
            continue
        events += 1
        values = value.split(",", len(fields) - 1)
        if key == "comment" or len(values) < len(fields) or "text" not in fields:
            continue
        event = dict(zip(fields, values))
        lines = tuple(_ass_lines(event["text"]))
        start_stamp, end_stamp = event.get("start", "").strip(), event.get("end", "").strip()
        if (start_stamp, end_stamp, lines) in seen:
            continue
        seen.add((start_stamp, end_stamp, lines))
        try:
            start, end = seconds(start_stamp), seconds(end_stamp)
        except ValueError:
            raise CaptionFormatError(f"bad time in ASS event {line[:60]!r}") from None
        cues.append((start, end, list(lines)))
    if not events:
        raise CaptionFormatError("an ASS/SSA file without any Dialogue: line")
    return cues


def _lrc_seconds(minutes: str, rest: str) -> float:
    # "01:02.34", and "01:02:34" where a colon stands for the decimal point
    return int(minutes) * 60 + float(rest.replace(":", "."))


def lrc_cues(text: str) -> list[Cue]:
    """The lines of an LRC lyric file at each of their time stamps, in time order; each line
    lasts until the next one starts. Word stamps ``<mm:ss.xx>`` go, tags (``[ar:]``, ``[ti:]``)
    are metadata, and ``[offset:+ms]`` moves every line earlier, as players do. A line without
    a time stamp is not shown by players and is skipped."""
    stamped: list[tuple[float, str]] = []
    offset = 0.0
    for line in text.lstrip("\ufeff").splitlines():
        match = _LRC_STAMPS.match(line)
        if match:
            words = " ".join(_LRC_WORD_STAMP.sub(" ", match.group(4)).split())
            stamped.extend((_lrc_seconds(m, s), words) for m, s in _LRC_ONE_STAMP.findall(match.group(1)))
            continue
        tag = _LRC_TAG.match(line)
        if tag and tag.group(1).lower() == "offset":
            try:
                offset = float(tag.group(2).strip()) / 1000
            except ValueError:
                pass  # players ignore an offset they cannot read
    if not stamped:
        raise CaptionFormatError("an LRC file without any time-stamped [mm:ss.xx] line")
    stamped.sort(key=lambda item: item[0])
    times = [max(0.0, at - offset) for at, _ in stamped]
    return [(at, times[index + 1] if index + 1 < len(times) else at, [words] if words else [])
            for index, (at, (_, words)) in enumerate(zip(times, stamped))]


def _sami_language(code: str, region: str | None) -> str:
    primary = _SAMI_CODES.get(code.lower(), code.lower())
    if primary == "zh":
        return _CHINESE_REGIONS.get((region or code).lower(), "zh")
    return primary


def _sami_class_languages(text: str) -> dict[str, str]:
    """Each class the ``<STYLE>`` declares, with the language of its ``lang:``."""
    languages: dict[str, str] = {}
    for name, body in _SAMI_STYLE_CLASS.findall(_SAMI_BODY.split(text, 1)[0]):
        lang = _SAMI_LANG.search(body)
        if lang:
            languages[name.lower()] = _sami_language(lang.group(1), lang.group(2))
    return languages


def _class_language(name: str, declared: dict[str, str]) -> str | None:
    if name in declared:
        return declared[name]
    # Undeclared: a class named by SAMI's convention says it ("KRCC", "ENUSCC", "JPCC").
    if len(name) >= 4 and name.endswith("cc") and name[:2].isalpha():
        return _sami_language(name[:2], name[2:-2] or None)
    return None


def _sami_text(html_text: str) -> list[str]:
    text = _HTML_TAG.sub("", _HTML_BR.sub("\n", html_text))
    return [" ".join(line.split()) for line in html.unescape(text).replace("\xa0", " ").split("\n")]


def spoken_language(track_lang: str) -> str:
    """A track's language without the marks of how it was made: Bilibili's AI subtitles are
    ``ai-zh``, ``ai-en``; YouTube's original speech is ``<lang>-orig``."""
    return track_lang.removeprefix("ai-").removesuffix("-orig")


def language_matches(track_lang: str, wanted: str) -> bool:
    """``en`` matches ``en``, ``en-US``, ``en-GB``, ``en-orig`` and ``ai-en``; ``zh-Hans`` matches only itself."""
    track, want = track_lang.lower().removeprefix("ai-"), wanted.lower()
    return track == want or track.split("-")[0] == want


def sami_cues(text: str, languages: Sequence[str] = ()) -> tuple[list[Cue], str | None]:
    """The cues of one ``<P Class>`` of a SAMI file, and that class's language: the first of
    ``languages`` a class is in, else the class with the most text. A cue lasts until the next
    ``<SYNC>`` of its class (``&nbsp;`` cues are the blank ones that end it)."""
    body = _HTML_COMMENT.sub("", text)
    syncs = list(_SAMI_SYNC.finditer(body))
    if not syncs:
        raise CaptionFormatError("a SAMI file without any <SYNC Start=…> caption")
    by_class: dict[str, list[tuple[float, list[str]]]] = {}
    for index, sync in enumerate(syncs):
        start_match = _SAMI_START.search(sync.group(1))
        if not start_match:
            continue
        block = body[sync.end():syncs[index + 1].start() if index + 1 < len(syncs) else len(body)]
        paragraphs = list(_SAMI_P.finditer(block))
        pieces = [("", block[:paragraphs[0].start()] if paragraphs else block)]
        for number, paragraph in enumerate(paragraphs):
            name = _SAMI_CLASS.search(paragraph.group(1))
            stop = paragraphs[number + 1].start() if number + 1 < len(paragraphs) else len(block)
            pieces.append(((name.group(1).lower() if name else ""), block[paragraph.end():stop]))
        for name, content in pieces:
            lines = [line for line in _sami_text(content) if line]
            if name or lines:
                by_class.setdefault(name, []).append((int(start_match.group(1)) / 1000, lines))
    declared = _sami_class_languages(text)
    chosen = next((name for wanted in languages for name in by_class
                   if (language := _class_language(name, declared)) and language_matches(language, wanted)), None)
    if chosen is None:
        chosen = max(by_class, key=lambda name: sum(len("".join(lines)) for _, lines in by_class[name]), default="")
    timed = sorted(by_class.get(chosen, []), key=lambda item: item[0])
    cues = [(start, timed[index + 1][0] if index + 1 < len(timed) else start, lines)
            for index, (start, lines) in enumerate(timed) if lines]
    return cues, _class_language(chosen, declared) if chosen else None


def read_cues(text: str, fmt: str, languages: Sequence[str] = ()) -> tuple[list[Cue], str | None]:
    """The raw cues of a caption file, and the language the file itself says they are in (the
    ``<P Class>`` of a SAMI file chosen by ``languages``), else None."""
    if fmt in _TIMINGS:
        return timed_cues(text, fmt), None
    if fmt == "json3":
        return json3_cues(text), None
    if fmt == "bilibili-json":
        return bilibili_cues(text)
    if fmt in ("srv3", "transcript-xml", "ttml"):
        return xml_cues(text), None
    if fmt == "ass":
        return ass_cues(text), None
    if fmt == "lrc":
        return lrc_cues(text), None
    if fmt == "sami":
        return sami_cues(text, languages)
    raise CaptionFormatError(f"unsupported caption format {fmt!r}")
