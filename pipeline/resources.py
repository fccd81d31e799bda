"""Where the built-in prompt templates and default settings are.

The checkout keeps them at the top level (``prompts/``, ``config.yaml``): the copies people
edit. A wheel cannot ship files outside its package, so the build copies them into
``pipeline/_defaults/`` (see ``setup.py``); an installed yt2post reads that copy through
``importlib.resources``, a checkout or an editable install reads the top-level files.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_SHIPPED = "_defaults"
_CHECKOUT = Path(__file__).resolve().parent.parent


def _shipped(name: str) -> Path | None:
    candidate = files("pipeline").joinpath(_SHIPPED, name)
    # A wheel is always unpacked on disk (pip installs no zipped packages), so a Path is safe.
    path = Path(str(candidate))
    return path if path.exists() else None


def builtin_prompts_dir() -> Path:
    """The prompt templates the package ships (``system.md``, ``article.md``, …)."""
    return _shipped("prompts") or _CHECKOUT / "prompts"


def builtin_config_file() -> Path:
    """The commented default ``config.yaml``: the built-in settings and what ``init`` writes."""
    return _shipped("config.yaml") or _CHECKOUT / "config.yaml"
