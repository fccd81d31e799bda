"""Speech recognition fallback (being built: see issue 4)."""

from __future__ import annotations

from typing import Any

from pipeline.config import Config
from pipeline.models import Metadata, Transcript


def transcribe_video(meta: Metadata, video: Any, config: Config, youtube: Any) -> Transcript | None:
    if config.asr.backend is None:
        return None
    raise NotImplementedError
