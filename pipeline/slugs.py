"""Safe slugs: the only way text from a video becomes a tag, a file name or a path part."""

from __future__ import annotations

import re
import unicodedata

_NON_SLUG = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def slugify(text: str, *, max_length: int = 80) -> str:
    """Lower-case ASCII kebab-case; empty when nothing of the text is ASCII-representable.

    Accents are folded (``Café`` -> ``cafe``); scripts without an ASCII form (Chinese, emoji)
    vanish, and callers fall back to the video id. Dots and slashes can never survive, so a
    slug is always a single harmless path component.
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    folded = folded.replace("&", " and ").replace("+", " plus ")
    slug = _NON_SLUG.sub("-", folded.lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug.strip("-")


def tag_slug(text: str) -> str:
    """A kebab-case tag; splits camelCase first so ``OpenAI`` stays ``openai`` but ``venturecapital`` does not change."""
    if " " not in text.strip() and "_" not in text and any(c.isupper() for c in text[1:]):
        # ``VentureCapital`` -> ``venture-capital``; all-caps acronyms stay whole.
        if not text.isupper():
            text = _CAMEL.sub("-", text) if not re.search(r"[A-Z]{2}", text) else text
    return slugify(text, max_length=60)


def unique_slugs(values: list[str]) -> list[str]:
    """Normalise to tag slugs, dropping empty and repeated ones, keeping the first order."""
    seen: dict[str, None] = {}
    for value in values:
        slug = tag_slug(value)
        if slug and slug not in seen:
            seen[slug] = None
    return list(seen)
