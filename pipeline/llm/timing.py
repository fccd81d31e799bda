"""Where in the video each section of an article comes from.

The model sees the transcript with a ``[12:34]`` marker before every paragraph and answers,
for each section, the marker of the first paragraph it was written from. Models misread,
invent and reorder such times, so they are checked here: a time must parse, lie inside the
video and come after the previous section's. A bad time is dropped with a warning (the
article is still good without it) rather than failing the video; the warnings of a video are
told as one line per kind of problem (a model that gives no times gives none for any section).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pipeline.llm.chunking import format_timestamp
from pipeline.shapes import Paragraph

_TIMESTAMP = re.compile(r"^\[?\s*(?:(\d{1,3}):)?(\d{1,3}):(\d{1,2}(?:\.\d+)?)\s*\]?$")


class TimedAnswer(Protocol):
    heading: str
    start: str
    body: str


def parse_timestamp(text: str) -> float | None:
    """Seconds from ``12:34``, ``1:02:03`` or ``[12:34]``; None for anything else."""
    match = _TIMESTAMP.match(text.strip())
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    if float(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
        return None
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)


def video_end(paragraphs: Sequence[Paragraph], duration: float | None) -> float | None:
    """The end of the video: its duration, else the end of its last words."""
    if duration:
        return float(duration)
    return max((p.end for p in paragraphs), default=None)


# Why a time was dropped, as one line says it for all the sections of a video it happened to:
# one section, and several.
KINDS = {
    "missing": ("section has no start time", "sections have no start time"),
    "unreadable": ("section has a start that is not a time like 12:34",
                   "sections have starts that are not times like 12:34"),
    "outside": ("section starts outside the video", "sections start outside the video"),
    "backwards": ("section does not start after the one before it", "sections do not start after the one before"),
}


@dataclass(frozen=True)
class DroppedTime:
    """One section's time that was dropped: ``kind`` is a key of ``KINDS``."""

    kind: str
    warning: str  # the detail, as ``article.json`` keeps it


def dropped_summary(dropped: Sequence[DroppedTime]) -> list[str]:
    """One line per kind: "13 sections have no start time; times dropped"."""
    counts = Counter(d.kind for d in dropped)
    return [f"{n} {KINDS[kind][n > 1]}; {'times' if n > 1 else 'time'} dropped" for kind, n in counts.items()]


def timed_sections(sections: Sequence[TimedAnswer], paragraphs: Sequence[Paragraph],
                   duration: float | None) -> tuple[list[dict[str, Any]], list[str]]:
    """The sections as ``article.json`` keeps them (heading, body, start, end in seconds or
    None), and one warning per time that was dropped."""
    timed, dropped = check_times(sections, paragraphs, duration)
    return timed, [d.warning for d in dropped]


def check_times(sections: Sequence[TimedAnswer], paragraphs: Sequence[Paragraph],
                duration: float | None) -> tuple[list[dict[str, Any]], list[DroppedTime]]:
    """``timed_sections``, with each dropped time's kind."""
    end_of_video = video_end(paragraphs, duration)
    dropped: list[DroppedTime] = []
    starts: list[float | None] = []
    previous: float | None = None
    for number, section in enumerate(sections, 1):
        raw = (section.start or "").strip()
        seconds = parse_timestamp(raw) if raw else None
        kind = problem = ""
        if not raw:
            kind, problem = "missing", "has no start time"
        elif seconds is None:
            kind, problem = "unreadable", f"start {raw!r} is not a time like 12:34"
        elif end_of_video is not None and seconds >= end_of_video:
            kind, problem = "outside", f"start {raw} is not inside the video (it ends at {format_timestamp(end_of_video)})"
        elif previous is not None and seconds <= previous:
            kind, problem = "backwards", f"start {raw} is not after the previous section's ({format_timestamp(previous)})"
        if problem:
            heading = " ".join(section.heading.split())[:40]
            dropped.append(DroppedTime(kind, f"section {number} ({heading}): {problem}; time dropped"))
            starts.append(None)
            continue
        starts.append(seconds)
        previous = seconds
    out: list[dict[str, Any]] = []
    for index, section in enumerate(sections):
        start = starts[index]
        end = None
        if start is not None:
            end = next((s for s in starts[index + 1:] if s is not None), end_of_video)
        out.append({"heading": section.heading, "body": section.body, "start": start, "end": end})
    return out, dropped
