"""Long transcripts made by concatenating real captured podcast transcripts (never padding).

- 3 hours: Lex Fridman Podcast #333 (Andrej Karpathy), its real manual caption track (3 h 28 min).
- 10 hours: that track, Lenny's Podcast with Eric Ries (2 h 14 min), the track again and the
  20-minute English lesson (json3 auto captions), each shifted to start after the previous one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pipeline.words.captions import parse_captions
from pipeline.shapes import Segment
from tests.conftest import FIXTURES

_LENNY_STAMP = re.compile(r"^(?:.*?)\((\d+):(\d{2}):(\d{2})\):\s*$")


def karpathy() -> list[Segment]:
    return parse_captions((FIXTURES / "subtitles" / "cdiD-9MMpb0.en-US.downsub.srt").read_text(encoding="utf-8"), "srt")


def lenny() -> list[Segment]:
    """Speaker-labelled paragraphs "Name (hh:mm:ss):" of a professional transcript."""
    text = (FIXTURES / "misc" / "xzebbzIntFc.lennys-podcast.transcript.md.txt").read_text(encoding="utf-8")
    body = text.split("\n---\n", 1)[1] if text.startswith("---") else text
    segments: list[Segment] = []
    start: float | None = None
    for line in body.splitlines():
        match = _LENNY_STAMP.match(line.strip())
        if match:
            h, m, s = (int(g) for g in match.groups())
            start = h * 3600 + m * 60 + s
        elif line.strip() and start is not None:
            segments.append(Segment(start=start, end=start + 1, text=line.strip(), speaker_change=True))
    return segments


def lesson() -> list[Segment]:
    return parse_captions((FIXTURES / "subtitles" / "unknown-id_english-lesson.en.asr.json3").read_text(encoding="utf-8"),
                          "json3")


def concatenate(*parts: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    offset = 0.0
    for segments in parts:
        for segment in segments:
            out.append(segment.model_copy(update={"start": segment.start + offset, "end": segment.end + offset}))
        offset = out[-1].end + 1.0
    return out


def _stamp(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    h, rest = divmod(millis, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def write_srt(segments: list[Segment], path: Path) -> Path:
    blocks = []
    for index, segment in enumerate(segments, 1):
        marker = "- " if segment.speaker_change else ""
        blocks.append(f"{index}\n{_stamp(segment.start)} --> {_stamp(max(segment.end, segment.start + 0.5))}\n"
                      f"{marker}{segment.text}\n")
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def three_hours() -> list[Segment]:
    return karpathy()


def ten_hours() -> list[Segment]:
    return concatenate(karpathy(), lenny(), karpathy(), lenny(), lesson())


def info_json(folder: Path, video_id: str, title: str, duration: float) -> Path:
    """A minimal yt-dlp info.json for a long video whose words come from ``--subtitles``."""
    path = folder / f"{video_id}.info.json"
    path.write_text(json.dumps({"id": video_id, "title": title, "channel": "Lex Fridman", "uploader": "Lex Fridman",
                                "upload_date": "20221029", "duration": duration, "language": "en",
                                "description": "Andrej Karpathy is a legendary AI researcher.",
                                "webpage_url": f"https://www.youtube.com/watch?v={video_id}"}), encoding="utf-8")
    return path
