"""Faithfulness flags: what a reviewer should check before publishing a post.

Two kinds, both a checklist rather than a gate:

- ``number``: a number or amount in the post whose value occurs nowhere in the transcript.
  Values are compared normalised, so "3000 亿美元" matches "300 billion dollars" and
  "百分之三十" matches "30 percent". Years, centuries, decades, list numbers and small
  counts (under 10 without a unit) are not checked: they are rarely wrong and would bury the
  real findings.
- ``name``: a Latin-script name in the post (e.g. "Emily Forash") with a word that appears
  neither in the transcript nor in the video's metadata. Names in Chinese script are not
  checked: there is no reliable way to match them against English captions.

Both follow the reader's language (``post.language``): a post in Chinese or Japanese has its
numbers read as Chinese numerals (Simplified and Traditional forms: 亿 and 億, 万 and 萬); any
other, as digits and English number words with their scale ("300 billion"). In a post in a
Latin-script language every sentence starts with a capital and headings are in title case:
there a name is looked for in the summary and the sections' text only, and the first word of a
sentence is not taken for one; and such a post translated from a transcript in another script
(Chinese, Japanese) has no names checked, as a Chinese post's Chinese names are not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from pipeline.language import Language

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_CN_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000, "万亿": 1_000_000_000_000,
                 "萬億": 1_000_000_000_000}
_EN_SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9,
              "trillion": 1e12, "t": 1e12, "tn": 1e12}
_EN_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_EN_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}

# A post's number: digits or Chinese numerals, an optional big unit, an optional percent sign.
# The lookaheads of this pattern and of _EN_WORDS only reject early where no match can start:
# the patterns after them are costly to try at every character or word of a long transcript.
_CN_NUMBER = re.compile(
    r"(?=[\d零〇一二两兩三四五六七八九十百千])"
    r"(?P<pct>百分之)?(?P<num>\d[\d,]*(?:\.\d+)?|[零〇一二两兩三四五六七八九十百千]+)\s*"
    r"(?P<unit>万亿|萬億|万|萬|亿|億)?(?P<tail>\s*(?:%|％|世纪|世紀|年代|年|月|日|号|號|岁|歲|歳|届|屆|位|名|章|节|節))?"
)
_EN_NUMBER = re.compile(
    r"(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<scale>thousand|million|billion|trillion|bn|mn|k|m|b|t)?\b",
    re.IGNORECASE,
)
# The number words _EN_WORDS finds (not "zero"), from the tables above; grouped by first letter,
# which the regex engine tries far faster than one long list of alternatives.
_NUMBER_WORDS = [w for w in _EN_UNITS if w != "zero"] + list(_EN_TENS) + ["hundred", "thousand", "million",
                                                                        "billion", "trillion"]


def _alternation(words: list[str]) -> str:
    """``(?:a(?:nd|)|o(?:ne)|t(?:hirteen|…|wo)|…)``. Every use is followed by ``\\b`` or a separator,
    so only a whole word matches and the order of the alternatives changes nothing."""
    rests: dict[str, list[str]] = {}
    for word in words:
        rests.setdefault(word[0], []).append(word[1:])
    return "(?:" + "|".join(f"{first}(?:{'|'.join(sorted(tails, key=len, reverse=True))})"
                            for first, tails in rests.items()) + ")"


_EN_WORDS = re.compile(
    rf"\b(?=[{''.join(sorted({w[0] for w in _NUMBER_WORDS + ['a', 'and']}))}])"
    rf"(?:{_alternation(_NUMBER_WORDS + ['a', 'and'])}[\s-]+)*{_alternation(_NUMBER_WORDS)}\b",
    re.IGNORECASE,
)
_SCALE_WORDS = {"hundred", "thousand", "million", "billion", "trillion"}
# A number of a post in another language: not inside a word or a longer number (A100, v2.5).
_EN_POST_NUMBER = re.compile(r"(?<![\w.,])" + _EN_NUMBER.pattern, re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][A-Za-z0-9]*(?:[-'’.&][A-Za-z0-9]+)*(?:\s+[A-Z][A-Za-z0-9]*(?:[-'’.&][A-Za-z0-9]+)*)*")
_WORD = re.compile(r"[a-z0-9]+")


def chinese_numeral(text: str) -> float | None:
    """Simple Chinese numerals: 三, 十二, 二十, 三百五十, 一千."""
    total, current = 0, 0
    for char in text:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char in _CN_SMALL_UNITS:
            total += (current or 1) * _CN_SMALL_UNITS[char]
            current = 0
        else:
            return None
    return float(total + current)


def _english_words_value(text: str) -> float | None:
    total, current = 0.0, 0.0
    seen = False
    for word in re.split(r"[\s-]+", text.lower()):
        if word in ("and", ""):
            continue
        if word == "a":
            current = current or 1
        elif word in _EN_UNITS:
            current += _EN_UNITS[word]
        elif word in _EN_TENS:
            current += _EN_TENS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in ("thousand", "million", "billion", "trillion"):
            total += (current or 1) * _EN_SCALES[word]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def transcript_values(text: str) -> set[float]:
    values: set[float] = set()
    for match in _EN_NUMBER.finditer(text):
        number = float(match.group("num").replace(",", ""))
        scale = (match.group("scale") or "").lower()
        values.add(number)
        if scale:
            values.add(number * _EN_SCALES[scale])
    for match in _EN_WORDS.finditer(text):
        value = _english_words_value(match.group(0))
        if value is not None:
            values.add(value)
    for match in _CN_NUMBER.finditer(text):  # transcripts in Chinese
        value = _cn_value(match)
        if value is not None:
            values.add(value)
    return values


def _cn_value(match: re.Match[str]) -> float | None:
    raw = match.group("num")
    number = float(raw.replace(",", "")) if raw[0].isdigit() else chinese_numeral(raw)
    if number is None:
        return None
    unit = match.group("unit")
    return number * _CN_BIG_UNITS[unit] if unit else number


def _close(value: float, known: set[float]) -> bool:
    return any(abs(value - k) <= max(1e-9, abs(k) * 0.01) for k in known)


def number_flags(text: str, known: Callable[[], set[float]], section: str) -> list[dict[str, Any]]:
    """``known`` gives the reference's values: asked only when the text has a number to check."""
    flags = []
    for match in _CN_NUMBER.finditer(text):
        tail = (match.group("tail") or "").strip()
        if tail in ("世纪", "世紀", "年代", "年", "月", "日", "号", "號", "届", "屆", "章", "节", "節"):
            continue
        value = _cn_value(match)
        if value is None:
            continue
        if not match.group("unit") and not match.group("pct") and tail not in ("%", "％") and value < 10:
            continue
        if _close(value, known()):
            continue
        shown = match.group(0).strip()
        flags.append({"kind": "number", "text": shown, "section": section,
                      "reason": f"{shown} (= {value:,.10g}) does not appear in the transcript"})
    return flags


def english_number_flags(text: str, known: Callable[[], set[float]], section: str) -> list[dict[str, Any]]:
    """``number_flags`` for a post in a language other than Chinese or Japanese: digits with an
    optional scale word (300 billion, 2.5bn, 30%) and English number words (thirty, two
    billion). Years (1000–2100 without a scale) and small counts (under 10) are not checked."""
    flags = []
    found = [(m.group(0).strip(), _english_value(m)) for m in _EN_POST_NUMBER.finditer(text)]
    # A scale word alone is a digit's ("300 billion"), already read above.
    found += [(m.group(0).strip(), _english_words_value(m.group(0))) for m in _EN_WORDS.finditer(text)
              if not set(re.split(r"[\s-]+", m.group(0).lower())) <= _SCALE_WORDS]
    for shown, value in found:
        if value is None or value < 10 or (shown.isdigit() and 1000 <= value <= 2100) or _close(value, known()):
            continue
        flags.append({"kind": "number", "text": shown, "section": section,
                      "reason": f"{shown} (= {value:,.10g}) does not appear in the transcript"})
    return flags


def _english_value(match: re.Match[str]) -> float:
    number = float(match.group("num").replace(",", ""))
    scale = (match.group("scale") or "").lower()
    return number * _EN_SCALES[scale] if scale else number


def name_flags(text: str, known_words: Callable[[], set[str]], section: str,
               capitalised_sentences: bool = False) -> list[dict[str, Any]]:
    """``capitalised_sentences``: a post in a Latin-script language, where the first word of a
    sentence is capitalised whether or not it is a name."""
    flags = []
    for match in _NAME.finditer(text):
        name = match.group(0).strip()
        if capitalised_sentences and _starts_sentence(text, match.start()):
            name = name.partition(" ")[2]  # "Meanwhile Emily Forash": the name is "Emily Forash"
        words = _WORD.findall(name.lower())
        missing = [w for w in words if not w.isdigit() and w not in known_words()]
        if words and missing:
            flags.append({"kind": "name", "text": name, "section": section,
                          "reason": f"{', '.join(missing)} appears neither in the transcript nor in the metadata"})
    return flags


def _starts_sentence(text: str, index: int) -> bool:
    before = text[:index].rstrip(" \t\"'“‘(")
    return not before or before[-1] in ".!?:;\n"


def find_flags(article: dict[str, Any], transcript_text: str, metadata: dict[str, Any],
               glossary: dict[str, str] | None = None, reader: Language | None = None,
               source: Language | None = None) -> list[dict[str, Any]]:
    """The checklist for one post: unsupported numbers and names, each with where it is.
    ``reader``: the post's language (``post.language``; None: Chinese, the seed's); ``source``:
    the transcript's, when known."""
    han_numerals = reader is None or reader.chinese or reader.code == "ja"
    latin = reader is not None and reader.latin
    # A Latin-script post translated from a transcript in another script spells its names in
    # Latin letters the transcript does not have (Oracle for 甲骨文): nothing to match them to.
    names = not (latin and source is not None and not source.latin)
    numbers = number_flags if han_numerals else english_number_flags
    reference = " ".join([
        transcript_text, str(metadata.get("title") or ""), str(metadata.get("description") or ""),
        str(metadata.get("channel") or ""), str(metadata.get("uploader") or ""),
        " ".join(str(t) for t in metadata.get("tags") or []),
        " ".join(str(c.get("title", "")) for c in metadata.get("chapters") or [] if isinstance(c, dict)),
        " ".join((glossary or {}).values()),
    ])
    # Scanning the whole transcript is most of the work: done only for a post that has a
    # number or a name to check, and once.
    known_values = cache(lambda: transcript_values(reference))
    known_words = cache(lambda: set(_WORD.findall(reference.lower())))
    # Each place: where it is, its title-like line (the title, a heading), its running text.
    places = [("title", str(article.get("title") or ""), ""), ("summary", "", str(article.get("summary") or ""))]
    places += [(str(s.get("heading") or ""), str(s.get("heading") or ""), str(s.get("body") or ""))
               for s in article.get("sections") or [] if isinstance(s, dict)]
    flags: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for section, heading, body in places:
        text = "\n".join(part for part in (heading, body) if part)
        # Title case: a Latin-script post's title and headings are not looked at for names.
        named = [] if not names else \
            name_flags(body, known_words, section, True) if latin else name_flags(text, known_words, section)
        for flag in numbers(text, known_values, section) + named:
            key = (flag["kind"], flag["text"])
            if key not in seen:
                seen.add(key)
                flags.append(flag)
    return flags
