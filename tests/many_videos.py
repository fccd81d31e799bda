"""Many local videos for batch tests and benchmarks, made from one real yt-dlp info.json.

Each is the real bwRHIkYqYJo info.json (with its inline English auto captions) under a new id
and title; the formats list, which the pipeline never reads, is dropped to keep files small.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import FIXTURES


def make_videos(folder: Path, count: int, *, whole: bool = False) -> list[str]:
    """``whole``: keep the formats and the rest, as yt-dlp writes them (~790 KB a file)."""
    info = json.loads((FIXTURES / "videos" / "bwRHIkYqYJo.info.json").read_text(encoding="utf-8"))
    for key in () if whole else ("formats", "thumbnails", "automatic_captions", "heatmap"):
        info.pop(key, None)
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for index in range(count):
        video_id = f"batch{index:06d}"
        info.update(id=video_id, display_id=video_id, title=f"Wheelie challenge number {index}",
                    webpage_url=f"https://www.youtube.com/watch?v={video_id}",
                    upload_date=f"2021{1 + index % 12:02d}{1 + index % 28:02d}")
        (folder / f"{video_id}.info.json").write_text(json.dumps(info), encoding="utf-8")
        ids.append(video_id)
    return ids
