"""Getting the words of a video: the fallback chain of the fetch stage.

1. youtube-transcript-api (online only): manual in a preferred language, then auto-generated,
   then any manual transcript.
2. yt-dlp's subtitle tracks from the metadata (``subtitles``, then ``automatic_captions``):
   files yt-dlp wrote beside a local ``.info.json``, data inline in it, or (online) the track URL.

Each step returns a ``Transcript`` or ``None`` (nothing there); causes that make further
steps pointless (the video is private, the IP is blocked) are raised.
"""

from __future__ import annotations

import glob
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.captions import build_paragraphs, clean_snippets, convert_chinese, detect_format, parse_captions
from pipeline.config import Config
from pipeline.models import Metadata, Segment, Transcript
from pipeline.youtube import SUBTITLE_EXTS

log = logging.getLogger(__name__)

_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_EXT_RANK = {ext: rank for rank, ext in enumerate(("json3", "vtt", "srv3", "srt", "ttml", "srv2", "srv1"))}


def preferred_languages(meta: Metadata, config: Config) -> list[str]:
    languages = list(config.transcript.languages)
    if not languages:
        languages = [meta.language] if meta.language else []
        languages.append("en")
    seen: dict[str, None] = {}
    for lang in languages:
        seen.setdefault(lang, None)
    return list(seen)


def language_matches(track_lang: str, wanted: str) -> bool:
    """``en`` matches ``en``, ``en-US``, ``en-GB`` and ``en-orig``; ``zh-Hans`` matches only itself."""
    track, want = track_lang.lower(), wanted.lower()
    return track == want or track.split("-")[0] == want


def finish(video_id: str, segments: list[Segment], meta: Metadata, config: Config, *, source: str,
           language: str | None, is_generated: bool, track: str | None, notes: list[str] | None = None) -> Transcript:
    """Shape cleaned segments into the transcript artifact (paragraphs along chapters)."""
    notes = list(notes or [])
    if config.transcript.convert_chinese and language and language.lower().startswith("zh"):
        segments = convert_chinese(segments, config.transcript.convert_chinese)
        notes.append(f"converted from {language} to {config.transcript.convert_chinese} with OpenCC")
        language = config.transcript.convert_chinese
    paragraphs = build_paragraphs(segments, meta.chapters, max_seconds=config.transcript.paragraph_seconds)
    return Transcript(video_id=video_id, source=source, language=language, is_generated=is_generated,
                      track=track, segments=segments, paragraphs=paragraphs, notes=notes)


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


def _sibling_files(meta: Metadata) -> dict[str, list[Path]]:
    """Subtitle files yt-dlp wrote beside the info.json: ``<stem>.<lang>.<ext>``."""
    if not meta.info_path:
        return {}
    info = Path(meta.info_path)
    stem = info.name[: -len(".info.json")] if info.name.endswith(".info.json") else info.stem
    found: dict[str, list[Path]] = {}
    for path in info.parent.glob(f"{glob.escape(stem)}.*"):
        rest = path.name[len(stem) + 1 :]
        lang, dot, ext = rest.rpartition(".")
        if dot and ext in SUBTITLE_EXTS and lang and not rest.endswith(".info.json"):
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
    for lang, paths in siblings.items():
        for path in paths:
            tracks.append(Track(lang, lang.endswith("-orig"), path.suffix[1:], path=path))
    return tracks


def choose_tracks(tracks: list[Track], languages: list[str]) -> Iterator[Track]:
    """Manual in a preferred language, then auto-generated (original speech first), then any manual."""
    def pick(generated: bool) -> Iterator[Track]:
        for wanted in languages:
            candidates = [t for t in tracks if t.generated == generated and language_matches(t.language, wanted)]
            # An auto track named ``<lang>-orig`` is the speech itself; ``<lang>`` may be a translation.
            candidates.sort(key=lambda t: (not t.language.endswith("-orig"), t.language != wanted))
            yield from candidates

    yield from pick(False)
    yield from pick(True)
    yield from (t for t in tracks if not t.generated)


def _read_track(track: Track, download: Any | None) -> str:
    if track.path is not None:
        return track.path.read_text(encoding="utf-8-sig")
    if track.data is not None:
        return track.data
    if download is None or track.url is None:
        raise ValueError("no way to read this track")
    return download(track.url)


def from_subtitle_tracks(meta: Metadata, config: Config, *, online: bool = False,
                         download: Any | None = None) -> Transcript | None:
    tracks = subtitle_tracks(meta, online=online)
    tried: set[tuple[str, str, bool]] = set()
    for track in choose_tracks(tracks, preferred_languages(meta, config)):
        key = (track.language, track.label, track.generated)
        if key in tried:
            continue
        tried.add(key)
        try:
            text = _read_track(track, download)
            segments = parse_captions(text, detect_format(track.label, text))
        except (OSError, ValueError) as exc:
            log.info("%s: subtitle track %s unreadable: %s", meta.id, track.label, exc)
            continue
        if segments:
            source = "yt-dlp-automatic-captions" if track.generated else "yt-dlp-subtitles"
            language = track.language.removesuffix("-orig")
            return finish(meta.id, segments, meta, config, source=source, language=language,
                          is_generated=track.generated, track=track.label)
    return None


def from_subtitle_file(path: Path, meta: Metadata, config: Config, language: str | None = None) -> Transcript:
    """``--subtitles FILE``: the user's own caption file for one video."""
    text = path.read_text(encoding="utf-8-sig")
    segments = parse_captions(text, detect_format(path.name, text))
    if language is None:
        # yt-dlp names caption files <stem>.<lang>.<ext>; take the last part that is a language code.
        codes = [part for part in path.name.split(".")[1:-1] if _LANGUAGE_CODE.match(part)]
        language = codes[-1] if codes else meta.language
    return finish(meta.id, segments, meta, config, source="user-subtitles", language=language,
                  is_generated=False, track=path.name)


def from_snippets(meta: Metadata, config: Config, snippets: list[tuple[str, float, float]], *, source: str,
                  language: str | None, is_generated: bool, track: str | None) -> Transcript | None:
    segments = clean_snippets(snippets)
    if not segments:
        return None
    return finish(meta.id, segments, meta, config, source=source, language=language,
                  is_generated=is_generated, track=track)
