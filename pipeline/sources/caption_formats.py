"""Caption file formats: which one a file is, and its raw cues.

WebVTT (including YouTube's rolling auto captions and the old ``Style:``/``##`` header), SRT
(including yt-dlp's conversions of rolling captions), json3, timedtext format 3 (srv3, and
srv2), YouTube's old timed-text XML (``<transcript><text start dur>``, srv1) and TTML. A file
that is not what it claims raises ``CaptionFormatError`` with a reason a person can act on.
"""

from __future__ import annotations

import html
import json
import re
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

EXTENSIONS = {"vtt": "vtt", "webvtt": "vtt", "srt": "srt", "json3": "json3", "srv3": "srv3", "srv2": "srv3",
              "srv1": "transcript-xml", "ttml": "ttml", "dfxp": "ttml"}
READABLE = "SRT, WebVTT, json3, srv1/srv2/srv3, TTML or YouTube timed-text XML"


class CaptionFormatError(ValueError):
    """A caption file that is not a readable caption format; the message says why."""


def detect_format(name: str, text: str) -> str:
    """The caption format, by file extension first, else by content (``.xml``, ``.txt``)."""
    ext = name.lower().split("?", 1)[0].rsplit(".", 1)[-1] if "." in name else ""
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    head = text.lstrip("\ufeff \r\n\t")[:2000]
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith("{") and '"events"' in text:
        return "json3"
    if head.startswith("<"):
        for marker, fmt in (("<timedtext", "srv3"), ("<transcript", "transcript-xml"), ("<tt", "ttml")):
            if marker in head:
                return fmt
    if any(TIMING.match(line) for line in head.splitlines()[:6]):
        return "srt"
    kind = ("an HTML page" if "<html" in head.lower() else "an XML file" if head.startswith("<")
            else "a JSON file" if head.startswith(("{", "[")) else "text")
    raise CaptionFormatError(f"not a caption file: {kind} that is none of {READABLE}")


def seconds(stamp: str) -> float:
    if len(stamp) == 12 and stamp[2] == stamp[5] == ":" and stamp[8] in ".,":  # "00:01:02,345": yt-dlp's
        # The same sum as below, to the last bit: whole minutes are exact in a float.
        return (int(stamp[:2]) * 60 + int(stamp[3:5])) * 60 + float(stamp[6:].replace(",", "."))
    total = 0.0
    for part in stamp.replace(",", ".").split(":"):
        total = total * 60 + float(part)
    return total


def timed_cues(text: str, vtt: bool = True) -> list[Cue]:
    """Cues of VTT or SRT. A timing line starts a cue and every following line belongs to it,
    so a cue whose first text line is empty (yt-dlp's SRT of rolling captions) keeps its text,
    and so does a cue not followed by a blank line (old youtube-dl VTT). A ``NOTE`` (or
    ``STYLE``/``REGION``) block after a blank line is a comment, also between cues."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    timings = [(index, match) for index, line in enumerate(lines) if "-->" in line and (match := TIMING.match(line))]
    starts = [index for index, _ in timings]
    comments = _comment_lines(lines, set(starts)) if vtt and any(w in text for w in _VTT_BLOCKS) else set()
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
        if end < len(lines) and end - 1 > start and lines[end - 1].strip() and not lines[end - 2].strip():
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
        return float(value)
    except (TypeError, ValueError):
        raise CaptionFormatError(f"bad {what} {value!r}") from None


def json3_cues(text: str) -> list[Cue]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaptionFormatError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        raise CaptionFormatError("not a json3 caption file (no \"events\" list)")
    cues: list[Cue] = []
    for event in events:
        if not isinstance(event, dict):
            raise CaptionFormatError(f"not a json3 caption file (an event is {type(event).__name__})")
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


def read_cues(text: str, fmt: str) -> list[Cue]:
    if fmt in ("vtt", "srt"):
        return timed_cues(text, vtt=fmt == "vtt")
    if fmt == "json3":
        return json3_cues(text)
    if fmt in ("srv3", "transcript-xml", "ttml"):
        return xml_cues(text)
    raise CaptionFormatError(f"unsupported caption format {fmt!r}")
