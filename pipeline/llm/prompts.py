"""Prompt templates: files in ``prompts/``, overridable file by file.

Templates are Jinja2 in a sandbox. Transcripts, descriptions and titles are untrusted text:
they only ever enter as variables, so ``{{ … }}`` inside a transcript is printed, never run.

Two sets, by the readers' language (``post.language``): ``prompts/*.md`` in Chinese for a
reader of Simplified Chinese (the seed's), ``prompts/en/*.md`` in English for every other
language, which they name (``reader``: zh-Hant, en, ja, …). Every request gets ``language.md``
appended, rendered with ``source`` (the transcript's language, or None) and ``rewrite`` (the
transcript is in the reader's language: a faithful rewrite, not a translation); where it says
nothing (the Chinese set, a video not in Chinese) the request is exactly as before it existed,
and so is the fingerprint (``note_fingerprint`` joins the summarize fingerprint only where it
says something).
"""

from __future__ import annotations

import os
import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.language import language
from pipeline.resources import builtin_prompts_dir
from pipeline.store import fingerprint

TEMPLATE_NAMES = ("system.md", "_video.md", "article.md", "sections.md", "overview.md")
OTHER_LANGUAGES_SET = "en/"  # the English set's folder, for readers of any language but Simplified Chinese
LANGUAGE_NOTE = "language.md"


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


# The tags the prompts wrap untrusted text in. Such a tag inside the text (a transcript or a
# description holding "</transcript>") would end the data early, and what followed would read
# as the prompt's own words: its "<" is printed as a look-alike that closes nothing.
_DATA_TAG = re.compile(r"<(?=\s*/?\s*(?:transcript|description|instruction|sections?)\b)", re.IGNORECASE)


def _as_data(value: Any) -> Any:
    return _DATA_TAG.sub("‹", value) if isinstance(value, str) else value


@lru_cache(maxsize=4)
def _environment(dirs: tuple[str, ...], stamps: tuple[tuple[str, int, int], ...]) -> SandboxedEnvironment:
    """The templates compiled once for as long as their files stay the same (``stamps``): each
    run, and each review-desk job, would otherwise compile them again (~15 ms). Never looked at
    on disk while rendering: a run's templates are the ones it fingerprinted at its start."""
    return SandboxedEnvironment(
        loader=ChoiceLoader([FileSystemLoader(d) for d in dirs]),
        undefined=StrictUndefined,
        autoescape=False,
        finalize=_as_data,
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
        self.reader = language(config.post.language)
        self.in_chinese = self.reader.chinese and not self.reader.traditional  # the set the prompts are in
        self._set = "" if self.in_chinese else OTHER_LANGUAGES_SET
        sources = {}
        for name in TEMPLATE_NAMES:
            try:
                source, _, _ = self._env.loader.get_source(self._env, self._set + name)  # type: ignore[union-attr]
            except TemplateError:
                raise ConfigError(f"prompt template {self._set}{name} not found in {', '.join(map(str, dirs))}") from None
            sources[self._set + name] = source
        self.fingerprint = fingerprint(sources)
        try:
            note, _, _ = self._env.loader.get_source(self._env, self._set + LANGUAGE_NOTE)  # type: ignore[union-attr]
        except TemplateError:
            raise ConfigError(f"prompt template {self._set}{LANGUAGE_NOTE} not found in "
                              f"{', '.join(map(str, dirs))}") from None
        self.note_fingerprint = fingerprint(note)

    def render(self, name: str, **context: Any) -> str:
        """Template ``name`` of the reader's set (``revise.md``: ``en/revise.md`` for an English one)."""
        try:
            return self._env.get_template(self._set + name).render(
                glossary=self._glossary, reader=self.reader.prompt_context(), **context).strip()
        except TemplateError as exc:
            raise ConfigError(f"prompt template {self._set}{name}: {exc}") from None

    @cached_property
    def system(self) -> str:
        """The system message: the same for every call (it depends on the glossary and the reader's language alone)."""
        return self.render("system.md")

    def language_note(self, *, source: dict[str, Any] | None = None, rewrite: bool = False, **_: Any) -> str:
        """What the post is to the transcript's words (``language.md``); "" where it says nothing."""
        return self.render(LANGUAGE_NOTE, source=source, rewrite=rewrite)

    def messages(self, name: str, **context: Any) -> list[dict[str, str]]:
        request = self.render(name, **context)
        note = self.language_note(**context)
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": f"{request}\n\n{note}" if note else request},
        ]
