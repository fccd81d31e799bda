"""Getting the words of a video: the fallback chain of the fetch stage.

1. Online, the site's own transcripts (``SiteSession.transcript``: YouTube's through
   youtube-transcript-api), tried by the fetch stage before these.
2. yt-dlp's subtitle tracks from the metadata (``subtitles``, then ``automatic_captions``):
   files yt-dlp wrote beside a local ``.info.json``, data inline in it, or (online) the track URL.

Each step returns a ``Transcript`` or ``None`` (nothing there); causes that make further
steps pointless (the video is private, the IP is blocked) are raised.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.words.caption_formats import (DANMAKU, EXTENSIONS, READABLE, CaptionFormatError, language_matches,
                                          spoken_language)
from pipeline.language import source_language
from pipeline.words.captions import (build_paragraphs, clean_snippets, convert_chinese, detect_format,
                                      parse_caption_file)
from pipeline.config import Config
from pipeline.errors import FetchError, InputTooLarge, NoTranscript, NotARegularFile
from pipeline.shapes import Metadata, Segment, Transcript
from pipeline.words.siblings import info_stem
from pipeline.words.siblings import files_beside
from pipeline.words.textfiles import DecodedText, TextFileError, decode, read_caption_text

log = logging.getLogger(__name__)

_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_EXT_RANK = {ext: rank for rank, ext in enumerate(("json3", "vtt", "srv3", "srt", "ttml", "srv2", "srv1"))}


_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def title_language(title: str) -> str | None:
    """The language a title's script shows, for a video whose site gives none (Bilibili's):
    kana is Japanese, hangul Korean, Chinese characters alone Chinese."""
    for pattern, language in ((_KANA, "ja"), (_HANGUL, "ko"), (_HAN, "zh")):
        if pattern.search(title):
            return language
    return None


def preferred_languages(meta: Metadata, config: Config) -> list[str]:
    """``transcript.languages``; when empty, the video's own language, then English."""
    languages = list(config.transcript.languages)
    if not languages:
        own = meta.language or title_language(meta.title)
        languages = [own] if own else []
        languages.append("en")
    seen: dict[str, None] = {}
    for lang in languages:
        seen.setdefault(lang, None)
    return list(seen)


def in_chosen_script(segments: list[Segment], language: str | None,
                     config: Config) -> tuple[list[Segment], str | None, list[str]]:
    """``transcript.convert_chinese``: a Chinese transcript's segments in that script (OpenCC),
    its language that script's tag, and the note saying so; any other transcript as it is.
    Every way to words passes here (a site's own transcripts too)."""
    spoken = source_language(language)
    # Every spelling of a Chinese track: zh, zh-CN, zh-yue, cmn-Hans, Bilibili's AI track ai-zh.
    chinese = bool(language) and (language.lower().startswith("zh") or spoken is not None and spoken.chinese)
    target = config.transcript.convert_chinese
    if not target or not chinese:
        return segments, language, []
    return convert_chinese(segments, target), target, [f"converted from {language} to {target} with OpenCC"]


def finish(segments: list[Segment], meta: Metadata, config: Config, *, source: str,
           language: str | None, is_generated: bool, track: str | None, notes: list[str] | None = None,
           encoding: str | None = None) -> Transcript:
    """Shape cleaned segments into the transcript artifact (paragraphs along chapters)."""
    segments, language, converted = in_chosen_script(segments, language, config)
    notes = [*(notes or []), *converted]
    paragraphs = build_paragraphs(segments, meta.chapters, max_seconds=config.transcript.paragraph_seconds)
    return Transcript(video_id=meta.id, source=source, language=language, is_generated=is_generated,
                      track=track, segments=segments, paragraphs=paragraphs, notes=notes, encoding=encoding)


# --- step 2: yt-dlp's subtitle tracks ---------------------------------------------------


@dataclass(frozen=True)
class Track:
    language: str
    generated: bool
    ext: str
    path: Path | None = None
    data: str | None = None
    url: str | None = None

    @property
    def label(self) -> str:
        return self.path.name if self.path else f"{self.language}.{self.ext}"

    @property
    def machine(self) -> bool:
        """Made by speech recognition: an automatic caption, or a Bilibili AI subtitle
        (``ai-zh``), which yt-dlp lists among the uploaded ones."""
        return self.generated or self.language.lower().startswith("ai-")

    @property
    def danmaku(self) -> bool:
        """Bilibili's danmaku track: viewers' comments over the video, never its words."""
        return self.language.lower() == "danmaku"


# The caption formats of yt-dlp's listings that are kept, YouTube's in the order tried, then
# every other one the caption code reads by name (other sites' extractors list ``dfxp``,
# ``ass``, ``lrc`` …; a danmaku ``xml`` or a comments ``json`` is none of them).
SUBTITLE_EXTS = ("json3", "vtt", "srv3", "srt", "ttml", "srv1", "srv2",
                 *(ext for ext in EXTENSIONS if ext not in ("json3", "vtt", "srv3", "srt", "ttml", "srv1", "srv2")))
# Beside an info.json, also hand-made files: old timed-text XML saved as ``.xml``, SRT saved
# as ``.txt``, the formats users bring (fansubs' ASS/SSA, Korean SAMI, YouTube Studio's SBV,
# LRC lyrics), and files without a language in the name (``<stem>.srt``).
_SIBLING_EXTS = frozenset((*SUBTITLE_EXTS, "xml", "txt"))


def _sibling_files(meta: Metadata) -> dict[str, list[Path]]:
    """Caption files beside the info.json: ``<stem>.<lang>.<ext>`` as yt-dlp writes them, or
    ``<stem>.<ext>`` (language "")."""
    if not meta.info_path:
        return {}
    info = Path(meta.info_path)
    stem = info_stem(info)
    found: dict[str, list[Path]] = {}
    for path in files_beside(info):
        rest = path.name[len(stem) + 1 :]
        lang, _, ext = rest.rpartition(".")
        if ext.lower() in _SIBLING_EXTS:
            found.setdefault(lang, []).append(path)
    return found


def subtitle_tracks(meta: Metadata, *, online: bool) -> list[Track]:
    """Every track we could read, manual ones first; sibling files and inline data need no network."""
    tracks: list[Track] = []
    siblings = _sibling_files(meta)
    for generated, listing in ((False, meta.subtitles), (True, meta.automatic_captions)):
        for lang, formats in listing.items():
            for path in sorted(siblings.pop(lang, []), key=lambda p: _EXT_RANK.get(p.suffix[1:], 99)):
                tracks.append(Track(lang, generated, path.suffix[1:], path=path))
            for fmt in sorted(formats, key=lambda f: _EXT_RANK.get(f.get("ext", ""), 99)):
                if fmt.get("data"):
                    tracks.append(Track(lang, generated, fmt["ext"], data=fmt["data"]))
                elif online and fmt.get("url"):
                    tracks.append(Track(lang, generated, fmt["ext"], url=fmt["url"]))
    # Files beside the info.json that its listing does not mention (e.g. converted by hand).
    for lang, paths in sorted(siblings.items()):
        for path in sorted(paths, key=lambda p: (_EXT_RANK.get(p.suffix[1:], 99), p.name)):
            tracks.append(Track(lang, lang.endswith("-orig"), path.suffix[1:], path=path))
    return tracks


def choose_tracks(tracks: list[Track], languages: list[str]) -> Iterator[Track]:
    """Manual in a preferred language, then auto-generated (original speech first), then any manual."""
    def pick(generated: bool) -> Iterator[Track]:
        for wanted in languages:
            candidates = [t for t in tracks if t.machine == generated and language_matches(t.language, wanted)]
            # An auto track named ``<lang>-orig`` is the speech itself; ``<lang>`` may be a translation.
            candidates.sort(key=lambda t: (not t.language.endswith("-orig"), t.language != wanted))
            yield from candidates

    yield from pick(False)
    yield from pick(True)
    yield from (t for t in tracks if not t.machine)  # any uploaded track,
    yield from (t for t in tracks if t.machine and not t.generated)  # then any Bilibili AI subtitle


# Everything that makes one caption file unreadable; each becomes a one-line reason.
_UNREADABLE = (TextFileError, CaptionFormatError, InputTooLarge, NotARegularFile, OSError, ValueError)


def _read_track(track: Track, download: Any | None, max_mb: float, language: str | None) -> DecodedText:
    if track.path is not None:
        return read_caption_text(track.path, max_mb, language)
    if track.data is not None:
        text = track.data
    elif download is None or track.url is None:
        raise TextFileError("no way to read this track")
    else:
        data = download(track.url, max_mb)  # bytes, as a file on disk has them: decoded alike
        if len(data) > max_mb * 1_000_000:
            raise InputTooLarge(f"the download is over max_input_mb ({max_mb:g} MB)")
        return decode(data, language)
    if len(text) > max_mb * 1_000_000:
        raise InputTooLarge(f"{len(text) / 1e6:.1f} MB of text is over max_input_mb ({max_mb:g} MB)")
    return DecodedText(text, None)


def _reason(exc: Exception) -> str:
    if isinstance(exc, FetchError):
        return exc.message
    if isinstance(exc, OSError):
        return f"cannot read it: {exc.strerror or exc}"
    return str(exc)


def _parse(text: str, name: str, languages: list[str]) -> tuple[list[Segment], str | None]:
    return parse_caption_file(text, detect_format(name, text), languages)


def from_subtitle_tracks(meta: Metadata, config: Config, *, online: bool = False,
                         download: Any | None = None, problems: list[str] | None = None) -> Transcript | None:
    """The first readable track in order of preference. A track that cannot be read or parsed
    is skipped with a warning (in the log and the transcript's notes); when none is readable,
    ``problems`` receives each track's name and reason and the result is ``None``."""
    tracks = subtitle_tracks(meta, online=online)
    tried: set[tuple[str, str, bool]] = set()
    skipped: list[str] = []
    comments: dict[str, None] = {}  # danmaku tracks: named only when nothing else has words
    languages = preferred_languages(meta, config)
    for track in choose_tracks(tracks, languages):
        key = (track.language, track.label, track.generated)
        if key in tried:
            continue
        tried.add(key)
        if track.danmaku:
            comments.setdefault(f"{track.label}: {DANMAKU}", None)
            continue
        try:
            decoded = _read_track(track, download, config.max_input_mb, track.language or meta.language)
            segments, file_language = _parse(decoded.text, track.label, languages)
        except _UNREADABLE as exc:
            skipped.append(f"{track.label}: {_reason(exc)}")
            log.warning("%s: subtitle track %s skipped: %s", meta.id, track.label, _reason(exc))
            continue
        if not segments:
            skipped.append(f"{track.label}: no words (only sound cues, or empty)")
            continue
        source = "yt-dlp-automatic-captions" if track.machine else "yt-dlp-subtitles"
        # A SAMI file's <P Class> says its language better than a name without one.
        language = file_language or spoken_language(track.language) or meta.language
        return finish(segments, meta, config, source=source, language=language,
                      is_generated=track.machine, track=track.label, encoding=decoded.encoding,
                      notes=[f"skipped subtitle track {problem}" for problem in skipped])
    if problems is not None:
        problems.extend([*skipped, *comments])
    return None


def _file_language(path: Path) -> str | None:
    # yt-dlp names caption files <stem>.<lang>.<ext>; take the last part that is a language code.
    codes = [part for part in path.name.split(".")[1:-1] if _LANGUAGE_CODE.match(part)]
    return codes[-1] if codes else None


def from_subtitle_file(path: Path, meta: Metadata, config: Config) -> Transcript:
    """``--subtitles FILE``: the user's own caption file for one video. Every failure is a
    typed error naming the video, the file and the cause."""
    language = _file_language(path)
    where = f"{meta.id}: --subtitles {path}"
    try:
        decoded = read_caption_text(path, config.max_input_mb, language or meta.language)
        segments, file_language = _parse(decoded.text, path.name, preferred_languages(meta, config))
    except (InputTooLarge, NotARegularFile) as exc:
        raise type(exc)(f"{where}: {exc.message}", video_id=meta.id) from None
    except _UNREADABLE as exc:
        reason = _reason(exc)
        formats = "" if READABLE in reason else f" ({READABLE})"
        raise NoTranscript(f"{where}: {reason}; give a caption file{formats}, or pass --allow-description",
                           video_id=meta.id) from None
    if not segments:
        raise NoTranscript(f"{where}: no words in it (only sound cues, or no cues); give another caption "
                           "file, or pass --allow-description", video_id=meta.id)
    return finish(segments, meta, config, source="user-subtitles", language=file_language or language or meta.language,
                  is_generated=False, track=path.name, encoding=decoded.encoding)


def from_snippets(meta: Metadata, config: Config, snippets: list[tuple[str, float, float]], *, source: str,
                  language: str | None, is_generated: bool, track: str | None) -> Transcript | None:
    segments = clean_snippets(snippets)
    if not segments:
        return None
    return finish(segments, meta, config, source=source, language=language,
                  is_generated=is_generated, track=track)
