"""Where in the video each section of an article comes from.

The model sees the transcript with a ``[12:34]`` marker before every paragraph and answers,
for each section, the marker of the first paragraph it was written from. Models misread,
invent and reorder such times, so they are checked here: a time must parse, lie inside the
video and come after the previous section's. A bad time is dropped with a warning (the
article is still good without it) rather than failing the video.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from pipeline.llm.chunking import format_timestamp
from pipeline.models import Paragraph

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


def timed_sections(sections: Sequence[TimedAnswer], paragraphs: Sequence[Paragraph],
                   duration: float | None) -> tuple[list[dict[str, Any]], list[str]]:
    """The sections as ``article.json`` keeps them (heading, body, start, end in seconds or
    None), and one warning per time that was dropped."""
    end_of_video = video_end(paragraphs, duration)
    warnings: list[str] = []
    starts: list[float | None] = []
    previous: float | None = None
    for number, section in enumerate(sections, 1):
        raw = (section.start or "").strip()
        seconds = parse_timestamp(raw) if raw else None
        problem = ""
        if not raw:
            problem = "has no start time"
        elif seconds is None:
            problem = f"start {raw!r} is not a time like 12:34"
        elif end_of_video is not None and seconds >= end_of_video:
            problem = f"start {raw} is not inside the video (it ends at {format_timestamp(end_of_video)})"
        elif previous is not None and seconds <= previous:
            problem = f"start {raw} is not after the previous section's ({format_timestamp(previous)})"
        if problem:
            warnings.append(f"section {number} ({' '.join(section.heading.split())[:40]}): {problem}; time dropped")
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
    return out, warnings
