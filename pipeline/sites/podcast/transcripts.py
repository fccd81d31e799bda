"""The publisher's transcript of an episode (``<podcast:transcript>``), read with its speakers.

Every type real feeds use: ``text/vtt`` (speakers as ``<v Name>`` voices), SRT under its three
names (``application/x-subrip``, ``application/srt``, ``text/srt``), the namespace's JSON
(``segments`` of ``speaker``, ``startTime``, ``endTime``, ``body``), Buzzsprout's HTML
(``<cite>Name:</cite> <time>0:53</time> <p>…</p>``) and ``text/plain``. VTT and SRT go through
the caption readers YouTube captions use; each segment then carries its ``speaker``, and each
paragraph too, since paragraphs break where the speaker changes. In SRT and plain text a
speaker is a ``Name:`` label that starts two or more cues or lines.

``choose`` orders an episode's transcripts (its language first, timed before untimed);
``read_best`` tries them in that order, recording why each one before the one read failed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from html.parser import HTMLParser
from urllib.parse import urlsplit

from pipeline.errors import FetchError, NoTranscript, TranscriptsUnreachable
from pipeline.shapes import Chapter, Paragraph, Segment, Transcript
from pipeline.sites.podcast.feed import Episode, TranscriptLink
from pipeline.sites.podcast.fetching import DEFAULT_TIMEOUT, fetch, masked_url
from pipeline.sanitize import strip_invisible
from pipeline.words.caption_clean import voice
from pipeline.words.caption_formats import CaptionFormatError, detect_format, json_objects, language_matches, read_cues, seconds
from pipeline.words.captions import build_paragraphs, clean_snippets, parse_caption_file
from pipeline.words.textfiles import TextFileError, decode

__all__ = ["FORMATS", "TranscriptReadError", "choose", "fetch_transcript", "read_best", "read_transcript",
           "transcript_format"]

# MIME type -> the reader's format name.
FORMATS = {"text/vtt": "vtt", "application/x-subrip": "srt", "application/srt": "srt", "text/srt": "srt",
           "application/x-srt": "srt", "application/json": "json", "text/html": "html", "text/plain": "text"}
_TIMED = ("vtt", "srt", "json")
SOURCE = "podcast-transcript"
# "Travis: When you first…", "Adam Curry: podcasting…", "Dr. Tim: …": up to four words before a colon.
# Rev's text export (and Lenny's Podcast's transcripts) put the time after the name: "Eric Ries (00:01:05):".
_TIME = r"[(\[](\d{1,2}(?::\d{2}){1,2}(?:\.\d+)?)[)\]]"
_LABEL = re.compile(rf"^\s*([^\W\d_][\w.'’-]*(?: [\w.'’-]+){{0,3}})(?: {_TIME})?:\s+(?=\S)")
_TIME_LABEL = re.compile(rf"^\s*{_TIME}:?\s+(?=\S)")  # "(00:01:24):": the same speaker, later
_MIN_LABELLED = 2  # a label names a speaker when it starts at least this many cues or lines


class TranscriptReadError(ValueError):
    """A transcript file that cannot be read as its type says; the message says why."""


def transcript_format(link: TranscriptLink) -> str | None:
    """The reader for ``link``: by its type, else by the URL's extension; None when unknown."""
    fmt = FORMATS.get(link.type.split(";", 1)[0].strip().lower())
    if fmt:
        return fmt
    ext = urlsplit(link.url).path.rsplit(".", 1)[-1].lower()
    return {"vtt": "vtt", "srt": "srt", "json": "json", "html": "html", "htm": "html", "txt": "text"}.get(ext)


def choose(links: Sequence[TranscriptLink], languages: Sequence[str], language: str | None) -> list[TranscriptLink]:
    """The transcripts worth trying, best first: in a wanted language (``languages`` in order,
    else the episode's ``language``) before others, then ``rel="captions"`` and timed formats
    (VTT, SRT, JSON) before HTML before plain text; a type no reader knows is left out."""
    wanted = list(languages) or ([language] if language else [])

    def place(tag: str) -> tuple[int, int]:
        """The first wanted language ``tag`` is in; a feed's regional ``de-de`` also wants a ``de``
        transcript, after a ``de-DE`` one."""
        for index, want in enumerate(wanted):
            if language_matches(tag, want):
                return index, 0
            if language_matches(tag, want.split("-")[0]):
                return index, 1
        return len(wanted), 0

    def rank(link: TranscriptLink) -> tuple[tuple[int, int], int]:
        tag = link.language or language or ""
        fmt = transcript_format(link)
        kind = 0 if link.rel == "captions" or fmt in _TIMED else (1 if fmt == "html" else 2)
        return place(tag) if tag else (len(wanted), 0), kind

    usable = [link for link in links if transcript_format(link)]
    return sorted(usable, key=rank)  # sorted is stable: the feed's order among equals


# --- speakers ----------------------------------------------------------------------------------


def _runs(segments: list[Segment]) -> list[list[Segment]]:
    runs: list[list[Segment]] = []
    for segment in segments:
        if runs and runs[-1][0].speaker == segment.speaker and not segment.speaker_change:
            runs[-1].append(segment)
        else:
            runs.append([segment])
    return runs


def paragraphs_of(segments: list[Segment], chapters: list[Chapter] | None = None,
                  max_seconds: float = 90.0) -> list[Paragraph]:
    """``build_paragraphs`` for each speaker's turn, each paragraph knowing its speaker."""
    paragraphs: list[Paragraph] = []
    for run in _runs(segments):
        for paragraph in build_paragraphs(run, chapters, max_seconds=max_seconds):
            paragraph.speaker = run[0].speaker
            paragraphs.append(paragraph)
    return paragraphs


def _labels(texts: Sequence[str]) -> set[str]:
    """The ``Name:`` labels that name speakers in ``texts``: every label where at least half of
    the texts start with one (a plain-text transcript), else those that start at least
    ``_MIN_LABELLED`` texts (an SRT labels only a turn's first cue)."""
    counts: dict[str, int] = {}
    for text in texts:
        match = _LABEL.match(text)
        if match:
            counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    labelled = sum(counts.values())
    if labelled >= _MIN_LABELLED and 2 * labelled >= len(texts):
        return set(counts)
    return {name for name, count in counts.items() if count >= _MIN_LABELLED}


def _with_speakers(segments: list[Segment], names: set[str]) -> list[Segment]:
    """Segments whose text starts with a known ``Name:`` lose the label and gain the speaker;
    the segments after it, until the next label, are that speaker's too. A name is matched as
    it is, not by the shape of a label: a voice may be ``<v Jean-Luc Picard (host)>``."""
    longest_first = sorted(names, key=len, reverse=True)  # "Jane Doe" before "Jane"
    speaking: str | None = None
    out = []
    for segment in segments:
        text, change = segment.text, segment.speaker_change
        named = next((name for name in longest_first if re.match(rf"\s*{re.escape(name)}:\s+(?=\S)", text)), None)
        if named is not None:
            speaking, text, change = named, text.lstrip()[len(named) + 1:].lstrip(), bool(out)
        out.append(segment.model_copy(update={"text": text, "speaker": speaking, "speaker_change": change}))
    return out


# --- the readers -------------------------------------------------------------------------------


def _captions(text: str, fmt: str) -> list[Segment]:
    """VTT or SRT through the caption readers, with the speakers of its voices or labels."""
    try:
        cues, _ = read_cues(text, fmt)
        segments, _ = parse_caption_file(text, fmt)
    except (CaptionFormatError, ValueError) as exc:
        raise TranscriptReadError(str(exc)) from None
    if fmt == "vtt":
        names = {name for _, _, lines in cues for line in lines if (name := voice(line))}
    else:
        names = set()
    if not names:
        names = _labels([lines[0] for _, _, lines in cues if lines and lines[0].strip()])
    return _with_speakers(segments, names) if names else segments


def _number(value: object, what: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):  # also NaN, which Python's json reads: no time to keep
        raise TranscriptReadError(f"bad {what} {value!r}")
    return number


def _spoken(pieces: list[tuple[str, float, float, str | None]]) -> list[Segment]:
    """(text, start, end, speaker) pieces cleaned as captions are, turn by turn."""
    segments: list[Segment] = []
    turn: list[tuple[str, float, float]] = []
    speaker: str | None = None

    def flush() -> None:
        cleaned = clean_snippets((text, start, max(0.0, end - start)) for text, start, end in turn)
        for index, segment in enumerate(cleaned):
            segments.append(segment.model_copy(update={"speaker": speaker,
                                                       "speaker_change": segment.speaker_change or (
                                                           index == 0 and bool(segments))}))

    for text, start, end, who in pieces:
        if turn and who != speaker:
            flush()
            turn = []
        speaker = who
        turn.append((text, start, end))
    if turn:
        flush()
    return segments


def _json(text: str) -> list[Segment]:
    try:
        entries = json_objects(text, "segments", "podcast JSON transcript")
    except CaptionFormatError as exc:
        raise TranscriptReadError(str(exc)) from None
    pieces = []
    for entry in entries:
        body = str(entry.get("body") or "")
        start = _number(entry.get("startTime", 0), "startTime")
        end = _number(entry["endTime"], "endTime") if entry.get("endTime") is not None else start
        speaker = " ".join(str(entry.get("speaker") or "").split()) or None
        if body.strip():
            pieces.append((body, start, max(start, end), speaker))
    return _spoken(pieces)


class _BuzzsproutHtml(HTMLParser):
    """``<cite>Name:</cite> <time>0:00</time> <p>words</p>`` runs; text outside a ``<p>``
    (a transcript without paragraphs) is words too."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.turns: list[tuple[str | None, float | None, list[str]]] = []
        self._in: str | None = None
        self._speaker: str | None = None
        self._time: float | None = None
        self._buffer: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self._hidden += 1
        elif tag in ("cite", "time", "p"):
            self._close()
            self._in = tag
        elif tag == "br":
            self._buffer.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self._hidden = max(0, self._hidden - 1)
        elif tag == self._in:
            self._close()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self._buffer.append(data)

    def _close(self) -> None:
        text = "".join(self._buffer)
        self._buffer = []
        kind, self._in = self._in, None
        if kind == "cite":
            self._speaker = " ".join(text.split()).rstrip(":").strip() or None
        elif kind == "time":
            try:
                self._time = seconds(text.strip())
            except ValueError:
                self._time = None
        elif text.strip():
            self.turns.append((self._speaker, self._time, text.split("\n")))

    def close(self) -> None:
        super().close()
        self._close()


def _html(text: str) -> list[Segment]:
    reader = _BuzzsproutHtml()
    reader.feed(text)
    reader.close()
    if not reader.turns:
        raise TranscriptReadError("an HTML transcript without any text")
    spans = _until_next([at for _, at, _ in reader.turns])
    return _spoken([("\n".join(lines), start, end, speaker)
                    for (speaker, _, lines), (start, end) in zip(reader.turns, spans)])


def _until_next(times: list[float | None]) -> list[tuple[float, float]]:
    """(start, end) of turns that give only their start time (or none): each ends where the
    next timed one starts."""
    spans = []
    start = 0.0
    for index, at in enumerate(times):
        start = at if at is not None else start  # an untimed turn goes on from the one before
        following = next((t for t in times[index + 1:] if t is not None), None)
        spans.append((start, following if following is not None and following >= start else start))
    return spans


def _plain(text: str) -> list[Segment]:
    blocks = [" ".join(block.split()) for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))]
    lines = [block for block in blocks if block]
    if not lines:
        raise TranscriptReadError("an empty text transcript")
    names = _labels(lines)
    if not names:  # no blank lines between turns: "Jane Doe: …" starts a line of its own
        single = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
        if names := _labels(single):
            lines = single
    turns: list[tuple[str, float | None, str | None]] = []
    speaker = None
    for line in lines:
        match = _LABEL.match(line)
        at = None
        timed = _TIME_LABEL.match(line)
        if match and match.group(1) in names:
            speaker, line = match.group(1), line[match.end():]
            at = seconds(match.group(2)) if match.group(2) else None
        elif timed:
            line, at = line[timed.end():], seconds(timed.group(1))
        turns.append((line, at, speaker))
    spans = _until_next([at for _, at, _ in turns])
    return _spoken([(line, start, end, who) for (line, _, who), (start, end) in zip(turns, spans)])


def _captions_by_content(text: str) -> str | None:
    """"vtt" or "srt" for a text that is one of those whatever its declared type, else None."""
    try:
        found = detect_format("", text)
    except CaptionFormatError:
        return None
    return found if found in ("vtt", "srt") else None


def read_transcript(data: bytes, link: TranscriptLink, video_id: str, *, chapters: list[Chapter] | None = None,
                    paragraph_seconds: float = 90.0, language: str | None = None) -> Transcript:
    """The transcript in ``data``, read as ``link``'s type says, as ``transcript.json`` holds it
    (``source`` "podcast-transcript", ``track`` the masked URL; ``language`` the tag's, else
    ``language``, the episode's). Raises ``TranscriptReadError``."""
    fmt = transcript_format(link)
    if fmt is None:
        raise TranscriptReadError(f"no reader for the type {link.type!r}")
    try:
        decoded = decode(data, link.language)
    except TextFileError as exc:
        raise TranscriptReadError(str(exc)) from None
    text = strip_invisible(decoded.text)
    if fmt in ("html", "text"):  # hosts mislabel captions (an SRT as text/plain): their times are not words
        fmt = _captions_by_content(text) or fmt
    readers: dict[str, Callable[[str], list[Segment]]] = {
        "vtt": lambda t: _captions(t, "vtt"), "srt": lambda t: _captions(t, "srt"),
        "json": _json, "html": _html, "text": _plain}
    segments = readers[fmt](text)
    if not segments:
        raise TranscriptReadError("no words in it")
    return Transcript(video_id=video_id, source=SOURCE, language=link.language or language, track=masked_url(link.url),
                      encoding=decoded.encoding, segments=segments,
                      paragraphs=paragraphs_of(segments, chapters, paragraph_seconds))


def read_best(links: Sequence[TranscriptLink], fetch: Callable[[str], bytes], video_id: str, *,
              languages: Sequence[str] = (), language: str | None = None, chapters: list[Chapter] | None = None,
              paragraph_seconds: float = 90.0) -> Transcript:
    """The first of ``choose(links, …)`` that ``fetch`` (URL -> bytes; raising ``FetchError``)
    gets and that reads; its ``notes`` say why each one before it failed. Raises ``NoTranscript``
    naming every transcript tried and its cause, in one line."""
    failures: list[str] = []
    unreachable = 0  # failures for now (network, busy server), not of the file
    candidates = choose(links, languages, language)
    for link in candidates:
        shown = f"{link.type or 'transcript'} {masked_url(link.url)}"
        try:
            transcript = read_transcript(fetch(link.url), link, video_id, chapters=chapters,
                                         paragraph_seconds=paragraph_seconds, language=language)
        except FetchError as exc:
            failures.append(f"{shown}: {exc.message}")
            unreachable += exc.transient
            continue
        except TranscriptReadError as exc:
            failures.append(f"{shown}: {exc}")
            continue
        transcript.notes.extend(f"transcript not used: {failure}" for failure in failures)
        return transcript
    if not candidates:
        kinds = ", ".join(sorted({link.type or "no type" for link in links}))
        detail = f"no transcript of a readable type ({kinds})" if links else "the feed offers no transcript"
    else:
        detail = "; ".join(failures)
    raise (TranscriptsUnreachable if candidates and unreachable == len(candidates) else NoTranscript).of(video_id, detail)


def fetch_transcript(episode: Episode, video_id: str, *, max_mb: float, timeout: float = DEFAULT_TIMEOUT,
                     languages: Sequence[str] = (), chapters: list[Chapter] | None = None,
                     paragraph_seconds: float = 90.0, attempts: int = 1, retry_wait: float = 1.0) -> Transcript:
    """The episode's best transcript, downloaded over http(s) within ``max_mb`` and ``timeout``
    (``read_best``); the URLs the feed gave that were not http(s) are in its ``notes`` too."""
    def get(url: str) -> bytes:
        return fetch(url, max_mb=max_mb, what="transcript", timeout=timeout, attempts=attempts,
                     retry_wait=retry_wait).data

    transcript = read_best(episode.transcripts, get, video_id, languages=languages, language=episode.language,
                           chapters=chapters, paragraph_seconds=paragraph_seconds)
    transcript.notes[:0] = [note for note in episode.notes if note.startswith("transcript URL")]
    return transcript
