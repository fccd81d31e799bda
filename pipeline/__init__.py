"""yt2post: turn videos and podcast episodes into reviewable draft posts (Chinese by default).

A run is one call with a typed request::

    from pipeline import RunRequest, load_config, run
    report = run(RunRequest(sources=["bwRHIkYqYJo.info.json"]), load_config(), "output")

Each stage is also a plain function over the artifact store (``fetch``, ``summarize``,
``write``). Names are imported on first use, so ``import pipeline`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "run": "pipeline.api",
    "RunReport": "pipeline.api",
    "RunRequest": "pipeline.api",
    "RunOptions": "pipeline.context",
    "Config": "pipeline.config",
    "load_config": "pipeline.config",
    "Store": "pipeline.store",
    "fetch": "pipeline.sources.fetch",
    "summarize": "pipeline.llm.summarize",
    "write": "pipeline.post.write",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
