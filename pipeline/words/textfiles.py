"""Reading caption files as text: only regular files within ``max_input_mb``, in whatever
encoding they were saved.

Caption files in the wild are UTF-8 (with or without a BOM), UTF-16 with a BOM, or in a
Windows code page (1252 for Western Europe, 1250 for Central Europe, 1251 for Cyrillic) with
CRLF line ends. A BOM decides first; then strict UTF-8; then ``charset-normalizer``. Its best
guess can be a code page that decodes the same bytes into other letters (short, all-capital
French text reads as Windows-1257 "Slovene"); when the file's name says its language, a
candidate in that language's usual code pages wins among the equally clean ones.
"""

from __future__ import annotations

import codecs
import re
import stat
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import FetchError, InputTooLarge, NotARegularFile

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),  # before UTF-16: same first bytes
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
# The legacy code pages each language's subtitles are usually saved in (Windows first).
_CODE_PAGES = {
    **dict.fromkeys(("en", "fr", "es", "de", "it", "pt", "nl", "da", "sv", "no", "nb", "fi", "is", "ca", "eu",
                     "gl", "ga", "id", "ms", "af", "sw"), ("cp1252", "latin_1", "iso8859_15")),
    **dict.fromkeys(("pl", "cs", "sk", "hu", "hr", "sl", "ro", "bs", "sq"), ("cp1250", "iso8859_2")),
    **dict.fromkeys(("ru", "uk", "bg", "be", "mk", "kk"), ("cp1251", "koi8_r", "iso8859_5")),
    "sr": ("cp1251", "cp1250"), "el": ("cp1253", "iso8859_7"), "tr": ("cp1254", "iso8859_9"),
    "he": ("cp1255", "iso8859_8"), "ar": ("cp1256",), "fa": ("cp1256",), "ur": ("cp1256",),
    "lt": ("cp1257",), "lv": ("cp1257",), "et": ("cp1257",), "vi": ("cp1258",),
    "zh": ("gb18030", "gbk", "gb2312", "big5", "big5hkscs"), "ja": ("cp932", "shift_jis", "euc_jp"),
    "ko": ("cp949", "euc_kr"), "th": ("cp874", "tis_620"),
}
# Characters no text file holds: C0 controls other than tab and line ends, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# How much messier than the best guess a candidate of the named language may read.
_CHAOS_MARGIN = 0.01


class TextFileError(ValueError):
    """A caption file that could not be read as text; the message says why (without the path)."""


@dataclass(frozen=True)
class DecodedText:
    text: str
    # The Python codec name ("utf-8", "utf-8-sig", "utf-16", "cp1251"); None for text that came
    # as text (inline in an info.json, or downloaded).
    encoding: str | None


def read_capped(path: Path, max_mb: float) -> bytes:
    """The bytes of ``path`` if it is a regular file (after following links) of at most
    ``max_mb`` MB; a link to ``/dev/zero`` or a 200 MB "caption" is never read whole."""
    limit = int(max_mb * 1_000_000)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile("not a regular file")
        if info.st_size > limit:
            raise InputTooLarge(f"{info.st_size / 1e6:.1f} MB is over max_input_mb ({max_mb:g} MB)")
        with path.open("rb") as handle:
            # What the file holds, and then up to the limit more: a file that grows while it is
            # read is caught too (one read of ``limit + 1`` would allocate the whole limit).
            data = handle.read(info.st_size + 1)
            if len(data) > info.st_size:
                data += handle.read(limit + 1 - len(data))
    except FileNotFoundError:
        raise TextFileError("no such file") from None
    except OSError as exc:
        raise TextFileError(f"cannot read it: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputTooLarge(f"over max_input_mb ({max_mb:g} MB)")
    return data


def _language_code_pages(language: str | None) -> tuple[str, ...]:
    if not language:
        return ()
    return _CODE_PAGES.get(language.lower().split("-")[0].split("_")[0], ())


def decode(data: bytes, language: str | None = None) -> DecodedText:
    """Text of a caption file's bytes: BOM, then strict UTF-8, then charset-normalizer."""
    from charset_normalizer import from_bytes  # here: reading an info.json needs no detector

    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return DecodedText(data.decode(codec), codec)
            except UnicodeDecodeError as exc:
                raise TextFileError(f"a {codec} byte-order mark, but not {codec} text: {exc.reason}") from None
    try:
        text = data.decode("utf-8")
        if "\x00" not in text:  # NULs between ASCII letters: UTF-16 without a byte-order mark
            return DecodedText(text, "utf-8")
    except UnicodeDecodeError:
        pass
    matches = from_bytes(data)  # also finds UTF-16 without a byte-order mark
    best = matches.best()
    if best is None:
        # Short Japanese text in Shift_JIS reads just above the detector's mess threshold: a code
        # page of the file's language that decodes every byte into text without control
        # characters is a better answer than "binary" (a single-byte code page decodes any bytes).
        for wanted in _language_code_pages(language):
            try:
                text = data.decode(wanted)
            except UnicodeDecodeError:
                continue
            if not _CONTROL.search(text):
                return DecodedText(text, wanted)
        raise TextFileError("binary, not text in any encoding charset-normalizer knows")
    for wanted in _language_code_pages(language):
        for match in matches:
            if match.chaos <= best.chaos + _CHAOS_MARGIN and (
                    match.encoding == wanted or wanted in match.could_be_from_charset):
                try:
                    return DecodedText(data.decode(wanted), wanted)
                except UnicodeDecodeError:
                    continue
    return DecodedText(str(best), best.encoding)


def read_caption_text(path: Path, max_mb: float, language: str | None = None) -> DecodedText:
    """``path`` read and decoded; raises ``TextFileError``, ``NotARegularFile`` or ``InputTooLarge``."""
    return decode(read_capped(path, max_mb), language)


DEFAULT_MAX_INPUT_MB = 50.0  # ``max_input_mb``'s default, for callers without a config
# The cap of the expansion under way (set by ``expand_sources``), so that every reader below it
# honours the configured value without threading it through each helper.
_MAX_INPUT_MB: ContextVar[float] = ContextVar("max_input_mb", default=DEFAULT_MAX_INPUT_MB)


def read_input(path: Path, max_mb: float | None = None) -> str:
    """A file from a source (an info.json, a list), read only if it is a regular file (links
    followed) no larger than ``max_mb`` (``max_input_mb``), with the path in every error."""
    max_mb = _MAX_INPUT_MB.get() if max_mb is None else max_mb
    try:
        data = read_capped(path, max_mb)
    except (InputTooLarge, NotARegularFile) as exc:
        raise type(exc)(f"{path}: {exc}") from None
    except TextFileError as exc:
        raise FetchError(f"{path}: {exc}") from None
    return data.decode("utf-8")


def set_max_input_mb(max_mb: float) -> None:
    """The configured ``max_input_mb`` for source files read while expanding (the CLI sets it)."""
    _MAX_INPUT_MB.set(max_mb)
