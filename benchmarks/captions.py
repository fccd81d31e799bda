"""Caption fidelity: do the words of real caption files reach ``transcript.json``?

For every file of the corpus (``tests/fixtures/captions/``, the caption files of
``tests/fixtures/subtitles/`` and Bilibili's subtitle JSON in ``tests/fixtures/bilibili/``, each
traced in a PROVENANCE.md), and for the podcast transcripts of ``tests/fixtures/podcasts/``
(VTT with voices, SRT, the namespace's JSON, HTML, plain text: ``PODCAST_CORPUS``, read as a
feed's ``<podcast:transcript>`` is, and each turn of speakers checked too) it reports:

- recall: of the words in the cue texts (markup removed, sound cues excepted), the share found
  in the transcript's paragraphs, counted with multiplicity (Chinese and Japanese by character);
- duplication: words in the transcript / words in the captions (near 1.0 when rolling
  auto-captions are de-duplicated and nothing is said twice that was said once);
- files that failed to parse.

The reference words come from a reader of its own (``xml.etree`` for the XML formats, a
line reader for SRT/VTT/SBV/LRC, ``json`` for json3, ``html.parser`` for SAMI, a field
splitter for ASS/SSA, ``json`` for Bilibili's ``body`` cues) that decodes each file with the
encoding its provenance records; nothing here calls the pipeline's parser or cleaner. The transcript
side is the real path of ``yt2post run --subtitles FILE``.

    python benchmarks/captions.py          # Markdown table, per file and overall
"""

from __future__ import annotations

import html
import json
import re
import sys
import time
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FIXTURES = ROOT / "tests" / "fixtures"

# Targets the test asserts.
MIN_RECALL_OVERALL = 0.995
MIN_RECALL_FILE = 0.95
MAX_DUPLICATION = 1.02
LONG_FILE = "subtitles/cdiD-9MMpb0.en-US.downsub.srt"  # 3 h 28 min, 5,502 cues
MAX_LONG_PARSE_SECONDS = 1.0


@dataclass(frozen=True)
class Entry:
    path: str  # relative to tests/fixtures
    language: str
    fmt: str  # srt, vtt, json3, srv3, ttml, transcript-xml, ass, sami, sbv, lrc, bilibili-json
    encoding: str  # a Python codec name: how the reference reader decodes the bytes
    rolling: bool = False  # YouTube rolling auto-captions: each line is said once


C, S, B = "captions/", "subtitles/", "bilibili/"
CORPUS: list[Entry] = [
    Entry(C + "3b1b-change-of-basis.ko.srt", "ko", "srt", "utf-8"),
    Entry(C + "3b1b-convolutions.ko.srt", "ko", "srt", "utf-8"),
    Entry(C + "3b1b-inscribed-rectangle.fr.srt", "fr", "srt", "utf-8"),
    Entry(C + "3b1b-256-bit-security.ja.srt", "ja", "srt", "utf-8"),
    Entry(C + "3b1b-snells-law.ar.srt", "ar", "srt", "utf-8"),
    Entry(C + "3b1b-span.he.srt", "he", "srt", "utf-8"),
    Entry(C + "3b1b-clacks.fa.srt", "fa", "srt", "utf-8"),
    Entry(C + "3b1b-clacks.es.srt", "es", "srt", "utf-8"),
    Entry(C + "3b1b-backprop-calculus.fr.srt", "fr", "srt", "utf-8"),
    Entry(C + "3b1b-ldm-quadratic.en.srt", "en", "srt", "utf-8"),
    Entry(C + "3b1b-backprop-calculus.zh-Hans.srt", "zh-Hans", "srt", "utf-8"),
    Entry(C + "3b1b-256-bit-security.zh-Hant.srt", "zh-Hant", "srt", "utf-8"),
    Entry(C + "3b1b-span.zh-Hans.srt", "zh-Hans", "srt", "utf-8"),
    Entry(C + "3b1b-convolutions.zh-Hans.srt", "zh-Hans", "srt", "utf-8"),
    Entry(C + "3b1b-clacks.nl.srt", "nl", "srt", "utf-8"),
    Entry(C + "3b1b-dot-products.it.srt", "it", "srt", "utf-8"),
    Entry(C + "3b1b-epidemic-simulations.pt.srt", "pt", "srt", "utf-8"),
    Entry(C + "3b1b-clacks.ru.srt", "ru", "srt", "utf-8"),
    Entry(C + "3b1b-clacks.de.srt", "de", "srt", "utf-8"),
    Entry(C + "3b1b-clacks.hi.srt", "hi", "srt", "utf-8"),
    Entry(C + "3b1b-moser.fr.latin1-crlf.srt", "fr", "srt", "latin-1"),
    Entry(C + "3b1b-clacks.zh-Hans.gb18030.srt", "zh-Hans", "srt", "gb18030"),
    Entry(C + "3b1b-hardest-problem.zh-Hant.big5.srt", "zh-Hant", "srt", "big5"),
    Entry(C + "3b1b-eola-preview.ja.cp932.srt", "ja", "srt", "cp932"),
    Entry(C + "subtitleedit-auto-detect.hr.cp1250.srt", "hr", "srt", "cp1250"),
    Entry(C + "subtitleedit-auto-detect.sr.cp1251.srt", "sr", "srt", "cp1251"),
    Entry(C + "subtitleedit-auto-detect.da.srt", "da", "srt", "utf-8-sig"),
    Entry(C + "subtitleedit-auto-detect.ru.srt", "ru", "srt", "utf-8-sig"),
    Entry(C + "pysrt-bom-utf-16-le.en.srt", "en", "srt", "utf-16"),
    Entry(C + "pysrt-windows-1252.fr.srt", "fr", "srt", "cp1252"),
    Entry(C + "webvtt-py-netflix-chicas-del-cable.es.vtt", "es", "vtt", "utf-8"),
    Entry(C + "webvtt-py-comments.sv.vtt", "sv", "vtt", "utf-8"),
    Entry(C + "1c7-contain-comment.en.vtt", "en", "vtt", "utf-8"),
    Entry(C + "1c7-no-hour-voices.en.vtt", "en", "vtt", "utf-8"),
    Entry(C + "pysubs2-ttml-example.en.ttml", "en", "ttml", "utf-8"),
    Entry(C + "pysubs2-ttml-example2.en.ttml", "en", "ttml", "utf-8"),
    Entry(C + "youtube-transcript-dart.en.xml", "en", "transcript-xml", "utf-8"),
    Entry(C + "bwRHIkYqYJo.fr.srt", "fr", "srt", "utf-8", rolling=True),
    Entry(C + "bwRHIkYqYJo.de.srt", "de", "srt", "utf-8"),
    Entry(C + "j6TL7ufqoLc.ru.vtt", "ru", "vtt", "utf-8"),
    Entry(C + "subshare-charlotte-01-tucaptions.zh-Hant.ass", "zh-Hant", "ass", "utf-8"),
    Entry(C + "subshare-charlotte-01-dhr.zh-Hant.big5hkscs.ass", "zh-Hant", "ass", "big5hkscs"),
    Entry(C + "subshare-ashita-no-joe-01.zh-Hans.utf8bom-crlf.ass", "zh-Hans", "ass", "utf-8-sig"),
    Entry(C + "subshare-charlotte-05-flsnow.ja.cp932.ass", "ja", "ass", "cp932"),
    Entry(C + "cpm0722-zero-no-tsukaima.ko.cp949.smi", "ko", "sami", "cp949"),
    Entry(C + "cpm0722-kamisama-ni-natta-hi.ko.utf16.smi", "ko", "sami", "utf-16"),
    Entry(C + "cpm0722-railgun-02.ko.smi", "ko", "sami", "utf-8-sig"),
    Entry(C + "mantas-done-nova.en.smi", "en", "sami", "utf-8"),
    Entry(C + "ndeloof-docker-securite.fr.sbv", "fr", "sbv", "utf-8"),
    Entry(C + "daveshap-state-of-industry.en.sbv", "en", "sbv", "utf-8"),
    Entry(C + "zhanyanjie-smart-medicine.zh-Hant.sbv", "zh-Hant", "sbv", "utf-8"),
    Entry(C + "ken-kichi-weekly-report.ja.cp932.sbv", "ja", "sbv", "cp932"),
    Entry(C + "bbmusic-test.zh-Hans.cp936.lrc", "zh-Hans", "lrc", "gbk"),
    Entry(C + "flasher-zui-jia-sun-you.zh-Hans.lrc", "zh-Hans", "lrc", "utf-8-sig"),
    Entry(C + "liblyric-word-stamps.en.lrc", "en", "lrc", "utf-8"),
    Entry(C + "cjrzh-lyric.ja.lrc", "ja", "lrc", "utf-8"),
    Entry(S + "bwRHIkYqYJo.en.srt", "en", "srt", "utf-8", rolling=True),
    Entry(S + "wrolpi_example1.en.vtt", "en", "vtt", "utf-8", rolling=True),
    Entry(S + "wrolpi_example3.en.srt", "en", "srt", "utf-8", rolling=True),
    Entry(S + "unknown-id_english-lesson.en.asr.json3", "en", "json3", "utf-8"),
    Entry(S + "unknown-id_autosubs-2018.ru.vtt", "ru", "vtt", "utf-8"),
    Entry(S + "webvtt-py_youtube_dl.vtt", "en", "vtt", "utf-8", rolling=True),
    Entry(S + "RWBY-Vol1-Episode-1.timedtext-format3.xml", "en", "srv3", "utf-8"),
    Entry(S + "HEfHFsfGXjs.en.3b1b-captions.srt", "en", "srt", "utf-8"),
    Entry(S + "HEfHFsfGXjs.zh-Hant.3b1b-taiwan-community.srt", "zh-Hant", "srt", "utf-8"),
    Entry(S + "wjZofJX0v4M.zh-Hans.3b1b-captions.srt", "zh-Hans", "srt", "utf-8"),
    Entry(S + "cdiD-9MMpb0.en-US.downsub.srt", "en", "srt", "utf-8"),
    Entry(B + "BV1Dfpfz4E8A.ai-zh.json", "zh", "bilibili-json", "utf-8"),
    Entry(B + "rider-day017.ai-zh.json", "zh", "bilibili-json", "utf-8"),
    Entry(B + "rider-day001.ai-zh.json", "zh", "bilibili-json", "utf-8"),  # sung lines marked ♪ … ♪
]

# --- the reference reader ----------------------------------------------------------------

_TIMING = re.compile(r"^\s*(?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d+)?\s*-->")
# Bracketed or parenthesised text with one of these words is a sound cue, not speech (the
# README's vocabulary, written out word by word; the pipeline matches it with its own rules).
SOUND_CUE_WORDS = frozenset("""
music musical applause laughter laughs laughing laugh chuckles chuckling giggles cheering cheers clapping
sighs sighing coughs coughing gasps groans screams screaming yawns sings singing whistles whistling sniffs
sniffles crying cries sobs sobbing grunts inaudible indistinct unintelligible silence noise beeping beeps
footsteps explosion explosions speaking foreign instrumental upbeat dramatic whooshing whoosh thunder
gunshot gunshots sneezes panting breathing murmurs murmuring chatter static ringing knocking humming
whispers whispering stammers stutters
música musica aplausos aplauso risas risa risita risitas ríe ríen carcajadas llora llanto grita gritos suspira
tose jadea jadeante respira respiración disparo disparos truenos trueno explosión murmullos sollozos gemidos
solloza sollozan tartamudea gritan susurra cae caen golpe golpes portazo ladridos jadeos
risos riso risadas choro suspiro tosse applausi risate ride ridono
musique applaudissements rires rire rit rient soupire soupirs tousse toux pleure sanglots bruit bruits
musik applaus gelächter lacht lachen beifall seufzt hustet muziek gelach applåder skratt latter
музыка аплодисменты смех смеётся смеется вздох кашель шум
موسيقى تصفيق ضحك מוזיקה צחוק מחיאות موسیقی تشویق خنده संगीत तालियां हंसी 음악 박수 웃음 웃음소리 환호
""".split())
SOUND_CUE_CJK = ("音乐", "音樂", "掌声", "掌聲", "笑声", "笑聲", "鼓掌", "欢呼", "歡呼", "笑", "音楽", "拍手", "歓声")
_CUE = re.compile(r"[\[(（]([^\[\]()（）]*)[\])）]")
REMOVED: Counter[str] = Counter()  # the cues the reference excepted, for review
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")


def _markup_free(text: str) -> str:
    text = re.sub(r"\{\\[^{}]*(?:\}|$)", " ", text)  # ASS override blocks, also one cut off
    text = text.replace("\\N", " ").replace("\\h", " ")
    text = re.sub(r"<[^<>]*>", " ", text)
    for _ in range(2):
        text = html.unescape(text)
        text = re.sub(r"</?[A-Za-z][^<>]*>", " ", text)
    text = re.sub(r"[♪♫♬]", " ", text)

    def cue(match: re.Match[str]) -> str:
        inner = match.group(1)
        found = set(re.split(r"[\s,.;:!?&/-]+", inner.casefold())) & SOUND_CUE_WORDS
        sound = found or any(word in inner for word in SOUND_CUE_CJK) or not inner.strip()
        if sound:
            REMOVED[inner] += 1
        return " " if sound else match.group(0)

    return _CUE.sub(cue, text)


def _timed_lines(text: str, fmt: str) -> list[str]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    seen_timing = False
    skipping = False  # inside a VTT NOTE/STYLE/REGION block
    for index, line in enumerate(lines):
        if _TIMING.match(line):
            seen_timing, skipping = True, False
            continue
        if not line.strip():
            skipping = False
            continue
        if not seen_timing or skipping:
            continue
        nxt = lines[index + 1] if index + 1 < len(lines) else ""
        previous = lines[index - 1] if index else ""
        if _TIMING.match(nxt) and not previous.strip():
            continue  # cue identifier: a block's first line, right before its timing line
        if fmt == "vtt" and not previous.strip() and line.split(" ")[0] in ("NOTE", "STYLE", "REGION"):
            skipping = True
            continue
        out.append(line)
    return out


_SBV_TIMING = re.compile(r"^\d+:\d\d:\d\d\.\d+,\d+:\d\d:\d\d\.\d+$")


def _sbv_lines(text: str) -> list[str]:
    """SBV: the lines after each timing line, up to a blank line."""
    out: list[str] = []
    in_cue = False
    for line in text.splitlines():
        if _SBV_TIMING.match(line.strip()):
            in_cue = True
        elif not line.strip():
            in_cue = False
        elif in_cue:
            out.append(line)
    return out


def _lrc_lines(text: str) -> list[str]:
    """LRC: each line once per time stamp it starts with, in time order; tags, word stamps and
    lines without a time stamp are not lyrics."""
    timed: list[tuple[float, str]] = []
    for line in text.splitlines():
        line = line.strip()
        stamps: list[float] = []
        while line.startswith("[") and "]" in line:
            stamp, line = line[1:].split("]", 1)
            minutes, _, rest = stamp.partition(":")
            if not minutes.isdigit() or not rest[:1].isdigit():
                break  # a tag such as [ar:Artist]
            stamps.append(int(minutes) * 60 + float(rest.replace(":", ".")))
            line = line.strip()
        lyric = re.sub(r"<\d+:\d+(?:[.:]\d+)?>", " ", line)
        timed.extend((at, lyric) for at in stamps)
    return [lyric for _, lyric in sorted(timed, key=lambda item: item[0])]


def _ass_lines(text: str) -> list[str]:
    """ASS/SSA: the Text field (the last of the [Events] Format fields) of each Dialogue line,
    without its {...} blocks and the vector drawing between {\\p1} and {\\p0}; an event drawn
    again with the same times and text (a sign's border and fill) is read once."""
    fields: list[str] = []
    section = ""
    shown: dict[tuple[str, str, str], None] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line.lower()
        elif section == "[events]" and line.lower().startswith("format:"):
            fields = [name.strip().lower() for name in line[7:].split(",")]
        elif section == "[events]" and line.startswith("Dialogue:"):
            values = line[9:].split(",", len(fields) - 1)
            visible, drawing = [], False
            for piece in re.split(r"(\{[^{}]*\})", values[-1]):
                if piece.startswith("{") and piece.endswith("}"):
                    for scale in re.findall(r"\\p([0-9.]+)", piece):
                        drawing = float(scale) != 0
                elif not drawing:
                    visible.append(piece)
            words = re.sub(r"\\[Nnh]", " ", "".join(visible))
            shown[(values[fields.index("start")].strip(), values[fields.index("end")].strip(), words)] = None
    return [words for _, _, words in shown]


class _SamiReader(HTMLParser):
    """SAMI: the text of the <P> elements of one class (its name starts with the class prefix)."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        super().__init__(convert_charrefs=True)
        self.prefixes = prefixes
        self.lines: list[str] = []
        self.keeping = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "sync":
            self.keeping = False
            self.lines.append("")
        elif tag == "p":
            self.keeping = (dict(attrs).get("class") or "").lower().startswith(self.prefixes)
            self.lines.append("")
        elif tag == "br" and self.keeping:
            self.lines.append("")

    def handle_data(self, data: str) -> None:
        if self.keeping:
            self.lines[-1] += data.replace("\xa0", " ")


_SAMI_PREFIXES = {"ko": ("kr", "ko"), "en": ("en",), "ja": ("ja", "jp")}


def _element_text(element: ET.Element) -> str:
    parts = [element.text or ""]
    for child in element:
        if child.tag.rsplit("}", 1)[-1] == "br":
            parts.append(" ")
        else:
            parts.append(_element_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def reference_lines(entry: Entry) -> list[str]:
    """The cue text lines of a caption file, markup and sound cues removed."""
    text = (FIXTURES / entry.path).read_bytes().decode(entry.encoding)
    if entry.fmt in ("srt", "vtt"):
        raw = _timed_lines(text, entry.fmt)
    elif entry.fmt == "sbv":
        raw = _sbv_lines(text)
    elif entry.fmt == "lrc":
        raw = _lrc_lines(text)
    elif entry.fmt == "ass":
        raw = _ass_lines(text)
    elif entry.fmt == "sami":
        reader = _SamiReader(_SAMI_PREFIXES[entry.language.split("-")[0]])
        reader.feed(text)
        raw = reader.lines
    elif entry.fmt == "bilibili-json":
        raw = [line for cue in json.loads(text)["body"] for line in str(cue["content"]).split("\n")]
    elif entry.fmt == "json3":
        raw = []
        for event in json.loads(text).get("events", []):
            raw.extend("".join(seg.get("utf8", "") for seg in event.get("segs") or []).split("\n"))
    else:
        root = ET.fromstring(text.lstrip("\ufeff").encode("utf-8"))
        wanted = {"p", "text"}
        raw = [_element_text(el) for el in root.iter() if el.tag.rsplit("}", 1)[-1] in wanted]
        raw = [line for chunk in raw for line in chunk.split("\n")]
    # A WebVTT voice span names its speaker; the name is text of the captions when it changes.
    named, speaking = [], None
    for line in raw:
        voice = re.match(r"\s*<v(?:\.[^\s>]*)?\s+([^<>]+)>", line)
        if voice and voice.group(1).strip() != speaking:
            speaking = voice.group(1).strip()
            line = f"{speaking}: {line}"
        named.append(line)
    lines = [" ".join(_markup_free(line).split()) for line in named]
    lines = [line for line in lines if line]
    if entry.rolling:
        lines = list(dict.fromkeys(lines))  # rolling captions show each line two or three times
    return lines


def words(text: str) -> list[str]:
    """Words, case-folded, punctuation and symbols dropped; Chinese and Japanese by character."""
    cleaned = "".join(" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in text.casefold())
    tokens: list[str] = []
    for piece in cleaned.split():
        if _CJK_CHAR.search(piece):
            for run in re.findall(_CJK_CHAR.pattern + "|[^" + _CJK_CHAR.pattern[1:-1] + "]+", piece):
                tokens.extend(list(run) if _CJK_CHAR.match(run) else [run])
        else:
            tokens.append(piece)
    return tokens


# --- measuring the pipeline -----------------------------------------------------------------


@dataclass
class Result:
    entry: Entry
    caption_words: int
    transcript_words: int
    found: int
    encoding: str | None
    error: str | None = None

    @property
    def recall(self) -> float:
        return self.found / self.caption_words if self.caption_words else 1.0

    @property
    def duplication(self) -> float:
        return self.transcript_words / self.caption_words if self.caption_words else 1.0


def measure(entry: Entry) -> Result:
    from pipeline.config import Config
    from pipeline.errors import Yt2PostError
    from pipeline.shapes import Metadata
    from pipeline.words.transcripts import from_subtitle_file

    reference = Counter(words(" ".join(reference_lines(entry))))
    total = sum(reference.values())
    try:
        transcript = from_subtitle_file(FIXTURES / entry.path, Metadata(id="corpus"), Config())
    except Yt2PostError as exc:
        return Result(entry, total, 0, 0, None, error=str(exc))
    got = Counter(words(transcript.text()))
    found = sum((reference & got).values())
    return Result(entry, total, sum(got.values()), found, getattr(transcript, "encoding", None))


# --- podcast transcripts -------------------------------------------------------------------
# The publisher's transcripts a feed links (``<podcast:transcript>``), each read by the podcast
# site's reader as a run reads it: every word, and each turn of speakers, must come through.


@dataclass(frozen=True)
class PodcastEntry:
    path: str  # relative to tests/fixtures
    kind: str  # the MIME type the feed gives it


PT = "podcasts/transcripts/"
PODCAST_CORPUS: list[PodcastEntry] = [
    PodcastEntry(PT + "buzzsprout-example.vtt", "text/vtt"),  # <v Sarah> voices
    PodcastEntry(PT + "buzzsprout-example.srt", "application/x-subrip"),  # "Travis:" at a turn's first cue
    PodcastEntry(PT + "buzzsprout-example.json", "application/json"),  # the namespace's JSON, a word a segment
    PodcastEntry(PT + "buzzsprout-example.html", "text/html"),  # <cite>Travis:</cite> <time> <p>
    PodcastEntry(PT + "buzzsprout-example.txt", "text/plain"),  # "Travis: …" paragraphs (made from the HTML)
]


def podcast_reference(entry: PodcastEntry) -> tuple[list[str], list[str]]:
    """A podcast transcript's own text lines and its turns of speakers, read with regular
    expressions over the raw file (``json`` for JSON), not with the pipeline's readers."""
    raw = (FIXTURES / entry.path).read_text(encoding="utf-8")
    if entry.kind == "application/json":
        segments = json.loads(raw)["segments"]
        lines, speakers = [str(s["body"]) for s in segments], [str(s["speaker"]) for s in segments]
    elif entry.kind == "text/html":
        speakers = [s.strip().rstrip(":").strip() for s in re.findall(r"<cite>(.*?)</cite>", raw)]
        lines = re.findall(r"<p>(.*?)</p>", raw, re.DOTALL)
    elif entry.kind == "text/plain":
        blocks = [block.strip() for block in raw.split("\n\n") if block.strip()]
        speakers = [block.split(":", 1)[0] for block in blocks]
        lines = [block.split(":", 1)[1] for block in blocks]
    else:
        lines = [line for line in raw.splitlines()
                 if line.strip() and "-->" not in line and not line.strip().isdigit() and line.strip() != "WEBVTT"]
        if entry.kind == "text/vtt":
            speakers = [m.group(1) for line in lines if (m := re.match(r"<v ([^>]+)>", line))]
            lines = [re.sub(r"<[^>]+>", "", line) for line in lines]
        else:
            speakers = [m.group(1) for line in lines if (m := re.match(r"^(\w+): ", line))]
            lines = [re.sub(r"^\w+: ", "", line) for line in lines]
    turns = [s for i, s in enumerate(speakers) if i == 0 or speakers[i - 1] != s]
    return [html.unescape(line) for line in lines], turns


@dataclass
class PodcastResult(Result):
    turns: list[str] | None = None  # the reference's turns of speakers
    speakers: list[str | None] | None = None  # the transcript's paragraphs' turns


def measure_podcast(entry: PodcastEntry) -> PodcastResult:
    from pipeline.sites.podcast.feed import TranscriptLink
    from pipeline.sites.podcast.transcripts import TranscriptReadError, read_transcript

    lines, turns = podcast_reference(entry)
    reference = Counter(words(" ".join(lines)))
    total = sum(reference.values())
    as_fetched = Entry(entry.path, "en", entry.kind, "utf-8")
    link = TranscriptLink(url=f"https://podcast.example/{Path(entry.path).name}", type=entry.kind)
    try:
        transcript = read_transcript((FIXTURES / entry.path).read_bytes(), link, "podcast-0123456789abcdef")
    except TranscriptReadError as exc:
        return PodcastResult(as_fetched, total, 0, 0, None, error=str(exc), turns=turns)
    got = Counter(words(transcript.text()))
    paragraphs = transcript.paragraphs
    speakers = [p.speaker for i, p in enumerate(paragraphs) if i == 0 or paragraphs[i - 1].speaker != p.speaker]
    return PodcastResult(as_fetched, total, sum(got.values()), sum((reference & got).values()), transcript.encoding,
                         turns=turns, speakers=speakers)


def measure_all() -> list[Result]:
    return [measure(entry) for entry in CORPUS]


def overall(results: list[Result]) -> tuple[float, float]:
    caption = sum(r.caption_words for r in results)
    return (sum(r.found for r in results) / caption, sum(r.transcript_words for r in results) / caption)


def table(results: list[Result]) -> str:
    rows = ["| file | language | format | encoding found | words | recall | duplication |",
            "|---|---|---|---|---|---|---|"]
    for r in results:
        name = Path(r.entry.path).name + (" (rolling)" if r.entry.rolling else "")
        head = f"| `{name}` | {r.entry.language} | {r.entry.fmt}"
        if r.error:
            rows.append(f"{head} | FAILED: {r.error} | {r.caption_words} | – | – |")
        else:
            rows.append(f"{head} | {r.encoding or '?'} | {r.caption_words} | {r.recall:.4f} | {r.duplication:.4f} |")
    recall, duplication = overall(results)
    failed = sum(1 for r in results if r.error)
    languages = len({r.entry.language.split("-")[0] for r in results})
    rows.append(f"| **all {len(results)} files** | {languages} languages | | | {sum(r.caption_words for r in results)} "
                f"| **{recall:.4f}** | **{duplication:.4f}** |")
    rows.append("")
    lowest, highest = min(r.recall for r in results), max(r.duplication for r in results)
    rows.append(f"Files that failed to parse: {failed}. Lowest recall of a file: {lowest:.4f}; "
                f"highest duplication: {highest:.4f}.")
    return "\n".join(rows)


def main() -> int:
    results = measure_all()
    print(table(results))
    recall, duplication = overall(results)
    ok = (recall >= MIN_RECALL_OVERALL and all(r.recall >= MIN_RECALL_FILE and not r.error for r in results)
          and all(r.duplication <= MAX_DUPLICATION for r in results))
    podcasts = [measure_podcast(entry) for entry in PODCAST_CORPUS]
    print("\nPodcast transcripts (each file's recall must be at least the overall target, its turns of "
          "speakers all kept):\n")
    print(table(podcasts))
    ok = ok and all(r.recall >= MIN_RECALL_OVERALL and not r.error and r.speakers == r.turns for r in podcasts)
    seconds = long_parse_seconds()
    print(f"\nParsing {LONG_FILE} into paragraphs: {seconds:.3f} s (target < {MAX_LONG_PARSE_SECONDS:.1f} s)")
    return 0 if ok and seconds < MAX_LONG_PARSE_SECONDS else 1


def long_parse_seconds() -> float:
    """The best of three parses of the long podcast's captions into paragraphs."""
    from pipeline.words.captions import build_paragraphs, parse_captions

    text = (FIXTURES / LONG_FILE).read_text(encoding="utf-8")
    times = []
    for _ in range(3):
        started = time.perf_counter()
        build_paragraphs(parse_captions(text, "srt"))
        times.append(time.perf_counter() - started)
    return min(times)


if __name__ == "__main__":
    sys.exit(main())
