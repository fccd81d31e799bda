"""Safe slugs: the only way text from a video becomes a tag, a file name or a path part.

A post's file name comes from its video's title (``post_slug``): ASCII as ``slugify`` makes it,
a Chinese title spelt in pinyin (pypinyin, whose phrase dictionary reads 重庆 as chong-qing),
and a part of a multi-part video (Bilibili's 分P) by the part's own name, or by the video's
title and the part's number where the part's name says nothing (``p02``, ``P2 第二部分``).
"""

from __future__ import annotations

import re
import unicodedata

_NON_SLUG = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
FILE_SLUG_LENGTH = 60
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
_KANA = re.compile(r"[\u3040-\u30ff]")  # Japanese: its kanji are not read in pinyin
# yt-dlp's title of a part: "<video title> p<NN> <part's name>", its id "<BV…>_p<N>".
_PART_ID = re.compile(r"_p(\d+)$")
_PART_MARK = re.compile(r"\s+p(\d{2,})(?=\s|$)")
# A part's name that says nothing: its number, or an ordinal such as "P2", "第二部分", "上集".
_NUMERAL = r"[0-9一二三四五六七八九十百零〇两]+"
_GENERIC_PART = re.compile(rf"(?:p(?:art)?\s*\d+|\d+|第?{_NUMERAL}(?:部分|部|集|节|節|课|課|期|话|話|回|章|篇|p)?"
                           r"|[上中下](?:集|篇|部)?)", re.IGNORECASE)


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


def is_latin(text: str) -> bool:
    """Every letter of ``text`` has an ASCII form (``Café`` yes; ``人工智能``, ``Привет`` no)."""
    return all(unicodedata.normalize("NFKD", char).encode("ascii", "ignore") for char in text if char.isalpha())


def title_slug(title: str, *, max_length: int = FILE_SLUG_LENGTH) -> str:
    """``slugify`` of a title, its Chinese characters spelt in pinyin (``人工智能`` ->
    ``ren-gong-zhi-neng``); a title without them gets exactly ``slugify``'s slug."""
    if _HAN.search(title) and not _KANA.search(title):
        # Imported here: the CLI's start-up does not pay for pypinyin's dictionaries.
        from pypinyin import lazy_pinyin

        title = " ".join(lazy_pinyin(title))
    return slugify(title, max_length=max_length)


def post_slug(title: str, video_id: str, *, max_length: int = FILE_SLUG_LENGTH) -> str:
    """The slug of a post's file name: ``title_slug`` of the video's title; for a part of a
    multi-part video (id ``…_pN``, titled ``<video> pNN <part>``) the part's name, or the
    video's title and ``pNN`` when the part's name is only its number. "" when nothing of the
    title has an ASCII form, or only the part's number would (the caller falls back to the
    post's own title, then to the id)."""
    part_id = _PART_ID.search(video_id)
    number = int(part_id.group(1)) if part_id else None
    # The first " pNN" with the id's number: the video's own title may hold another.
    mark = next((m for m in _PART_MARK.finditer(title) if int(m.group(1)) == number), None)
    if mark is None:
        return title_slug(title, max_length=max_length)
    part = title[mark.end():].strip()
    if any(not _GENERIC_PART.fullmatch(word) for word in part.split()):
        return title_slug(part, max_length=max_length) or title_slug(title, max_length=max_length)
    marker = f"p{mark.group(1)}"
    video = title_slug(title[:mark.start()], max_length=max_length - len(marker) - 1)
    return f"{video}-{marker}" if video else ""  # "p02" alone says nothing


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
