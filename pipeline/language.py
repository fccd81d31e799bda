"""Languages: the reader's (``post.language``) and the video's, as BCP-47 tags.

The reader's language decides which prompts a run uses (Chinese instructions for a reader of
Simplified Chinese, English ones naming the language for every other), the faithfulness checks' reading of
numbers and names, the file names' slugs, and, for Traditional Chinese, the OpenCC guard. The
video's language (its transcript's) decides whether the post is a faithful rewrite (the same
language) or a translation. Tags are read by langcodes (the IANA registry, CLDR's likely
scripts, the languages' English names from language_data): ``zh-TW``, ``zh_TW`` and ``zh-Hant``
are all Traditional Chinese, ``iw`` is ``he``, and a tag yt-dlp writes for a track (``en-orig``,
Bilibili's ``ai-zh``) still names its language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import langcodes

T = TypeVar("T")
DEFAULT_LANGUAGE = "zh-Hans"  # the seed's: the posts of the site yt2post was made for
# Tags that name no language a post can be written in: undetermined, several, none, uncoded.
_NO_LANGUAGE = {None, "und", "mul", "zxx", "mis"}
_CHINESE = {"zh", "cmn"}
_SUBTAGS = re.compile(r"[-_.]")
# OpenCC's Simplified-to-Traditional configurations, by region: Taiwan's and Hong Kong's own
# character forms, else OpenCC's standard. Characters only, never phrases (s2twp would change
# the model's words: 软件 -> 軟體), so the guard fixes the script and nothing else.
_OPENCC_TRADITIONAL = {"TW": "s2tw", "HK": "s2hk", "MO": "s2hk"}


@dataclass(frozen=True)
class Language:
    """A language as the prompts and checks use it."""

    tag: str  # standard form: zh-Hant, en, pt-BR
    code: str  # the language alone: zh, en, pt
    name: str  # in English, for the prompts: "Chinese (Traditional)", "Japanese"
    script: str  # ISO 15924, the tag's own or the likely one: Hans, Hant, Latn, Jpan
    region: str | None

    @property
    def chinese(self) -> bool:
        return self.code in _CHINESE

    @property
    def traditional(self) -> bool:
        """Traditional Chinese script (zh-Hant, zh-TW, zh-HK): its posts pass the OpenCC guard."""
        return self.script == "Hant"

    @property
    def latin(self) -> bool:
        return self.script == "Latn"

    def same_as(self, other: Language | None) -> bool:
        """The same language whatever the script or region (zh-Hans and zh-Hant; en-US and en)."""
        return other is not None and (self.code == other.code or self.chinese and other.chinese)

    def prompt_context(self) -> dict[str, Any]:
        return {"tag": self.tag, "name": self.name, "traditional": self.traditional}


def _parse(tag: str) -> langcodes.Language | None:
    import langcodes  # its data takes a while to load: only when a tag is read

    try:
        language = langcodes.Language.get(tag)
    except ValueError:  # langcodes' LanguageTagError is one
        return None
    return language if language.is_valid() and language.language not in _NO_LANGUAGE else None


def standard_tag(tag: str) -> str:
    """``tag`` in standard form; ValueError (one line, for the config's message) when it is not a
    registered BCP-47 tag of a language."""
    language = _parse(tag.strip()) if tag.strip() else None
    if language is None:
        raise ValueError(f"{tag!r} is not a BCP-47 language tag of a language (e.g. zh-Hans, zh-Hant, en, ja, pt-BR)")
    return language.to_tag()


@lru_cache(maxsize=32)
def language(tag: str) -> Language:
    """The language of a valid tag (``standard_tag``'s)."""
    parsed = _parse(tag)
    if parsed is None:
        raise ValueError(f"{tag!r} is not a BCP-47 language tag of a language")
    likely = parsed.maximize()
    return Language(tag=parsed.to_tag(), code=str(parsed.language), name=parsed.display_name("en"),
                    script=str(parsed.script or likely.script), region=parsed.territory or likely.territory)


def source_language(tag: str | None) -> Language | None:
    """The language of a transcript's tag as sites and yt-dlp write them (``en``, ``zh-Hans``,
    ``en-orig``, ``ai-zh``); None when it names none."""
    if not tag:
        return None
    for candidate in [tag, *_SUBTAGS.split(tag)]:
        if _parse(candidate) is not None:
            return language(candidate)
    return None


# --- the Traditional-Chinese guard ------------------------------------------------------


@lru_cache(maxsize=4)
def opencc(configuration: str) -> Any:
    """OpenCC's converter for ``configuration`` (``s2t``, ``t2s``, ``s2tw`` …), made once."""
    # Imported here: only Traditional-Chinese posts and converted captions need it.
    from opencc import OpenCC  # type: ignore[import-untyped]

    return OpenCC(configuration)


@lru_cache(maxsize=1)
def _simplified_only_characters() -> frozenset[str]:
    """OpenCC's own list (``STCharacters.txt``: a Simplified character, then its Traditional
    forms): the characters none of whose Traditional forms is the character itself."""
    from importlib.resources import files

    table = files("opencc").joinpath("dictionary", "STCharacters.txt").read_text(encoding="utf-8")
    only = set()
    for line in table.splitlines():
        simplified, _, forms = line.partition("\t")
        if simplified and forms and simplified not in forms.split():
            only.add(simplified)
    return frozenset(only)


def simplified_only(text: str) -> list[str]:
    """The distinct characters of ``text`` that Traditional Chinese never writes (发, 这, 亿);
    one both scripts write (后 as in 皇后, 干 as in 干涉, 台) is not among them."""
    only = _simplified_only_characters()
    return [char for char in dict.fromkeys(text) if char in only]


def to_traditional(text: str, reader: Language) -> tuple[str, list[str]]:
    """``text`` in Traditional characters, and the Simplified-only characters it had: a text
    that has none is returned as it is (OpenCC never touches correct Traditional text); one
    that has some is converted whole by OpenCC's phrase-aware configuration for the reader's
    region."""
    found = simplified_only(text)
    if not found:
        return text, []
    return opencc(_OPENCC_TRADITIONAL.get(reader.region or "", "s2t")).convert(text), found


def readers_script(value: T, reader: Language) -> tuple[T, list[str]]:
    """``value`` (a text, or lists and dicts holding texts) with every text in the reader's
    script, and a warning naming what was converted ([] when nothing was). For Traditional
    Chinese this is the OpenCC guard: Simplified-only characters converted, never asked of the
    model again (its content is what was asked for, only the script slipped, and the conversion
    is exact and free). Any other reader: as it is."""
    if not reader.traditional:
        return value, []
    found: dict[str, None] = {}

    def convert(item: Any) -> Any:
        if isinstance(item, str):
            text, simplified = to_traditional(item, reader)
            found.update(dict.fromkeys(simplified))
            return text
        if isinstance(item, list):
            return [convert(each) for each in item]
        if isinstance(item, dict):
            return {key: convert(each) for key, each in item.items()}
        return item

    converted = convert(value)
    if not found:
        return value, []
    shown = "".join(list(found)[:10]) + ("…" if len(found) > 10 else "")
    return converted, [f"{len(found)} Simplified-only character(s) in a {reader.tag} post ({shown}); "
                       "converted to Traditional with OpenCC"]
