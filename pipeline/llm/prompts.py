"""Prompt templates: files in ``prompts/``, overridable file by file.

Templates are Jinja2 in a sandbox. Transcripts, descriptions and titles are untrusted text:
they only ever enter as variables, so ``{{ … }}`` inside a transcript is printed, never run.
"""

from __future__ import annotations

import os
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.resources import builtin_prompts_dir
from pipeline.store import fingerprint

TEMPLATE_NAMES = ("system.md", "_video.md", "article.md", "sections.md", "overview.md")


def _stamps(dirs: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """Every file under the template folders (an include may name one in a subfolder) with its
    modification time and size; one that cannot be looked at (a dangling link) counts as absent."""
    stamps = []
    for folder in dirs:
        for dirpath, _dirs, names in os.walk(folder):
            for name in names:
                path = os.path.join(dirpath, name)
                try:
                    info = os.stat(path)
                except OSError:
                    continue
                stamps.append((path, info.st_mtime_ns, info.st_size))
    return tuple(sorted(stamps))


@lru_cache(maxsize=4)
def _environment(dirs: tuple[str, ...], stamps: tuple[tuple[str, int, int], ...]) -> SandboxedEnvironment:
    """The templates compiled once for as long as their files stay the same (``stamps``): each
    run, and each review-desk job, would otherwise compile them again (~15 ms). Never looked at
    on disk while rendering: a run's templates are the ones it fingerprinted at its start."""
    return SandboxedEnvironment(
        loader=ChoiceLoader([FileSystemLoader(d) for d in dirs]),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        auto_reload=False,
    )


class Prompts:
    """The set of templates one run uses, and a fingerprint of their text."""

    def __init__(self, config: Config) -> None:
        dirs: list[Path] = []
        if config.prompts_dir:
            user_dir = Path(config.prompts_dir).expanduser()
            if not user_dir.is_dir():
                raise ConfigError(f"prompts_dir: {user_dir} is not a folder")
            dirs.append(user_dir)
        dirs.append(builtin_prompts_dir())
        self._env = _environment(tuple(str(d) for d in dirs), _stamps(dirs))
        self._glossary = dict(config.glossary)
        sources = {}
        for name in TEMPLATE_NAMES:
            try:
                source, _, _ = self._env.loader.get_source(self._env, name)  # type: ignore[union-attr]
            except TemplateError:
                raise ConfigError(f"prompt template {name} not found in {', '.join(map(str, dirs))}") from None
            sources[name] = source
        self.fingerprint = fingerprint(sources)

    def render(self, name: str, **context: Any) -> str:
        try:
            return self._env.get_template(name).render(glossary=self._glossary, **context).strip()
        except TemplateError as exc:
            raise ConfigError(f"prompt template {name}: {exc}") from None

    @cached_property
    def system(self) -> str:
        """The system message: the same for every call (it depends on the glossary alone)."""
        return self.render("system.md")

    def messages(self, name: str, **context: Any) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": self.render(name, **context)},
        ]
