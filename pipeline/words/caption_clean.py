"""Cleaning one line of caption text: markup, entities, non-speech cues and speaker labels.

Only real non-speech cues go: bracketed or parenthesised text that holds a word of the sound
vocabulary below (``[Music]``, ``(laughs)``, ``[音乐]``, ``(笑)``, ``[음악]``, ``[Musique]``,
``[grita con rabia]``) and music notes. Everything else in brackets is words: ``[3, 2]``,
``[2016]``, ``(SPAN)``, ``w^(L)``. A speaker label (``[Alba] …``, ``- [Lex] …``, ``>>``,
``MAN 2: …``, and WebVTT's ``<v Alba>`` when the voice changes) becomes a speaker change that
keeps the name (``Alba: …``).
"""

from __future__ import annotations

import html
import re

# Words that make a bracketed cue a sound, music or action description, in the languages
# the corpus covers (tests/fixtures/captions). Alphabetic entries match whole words.
_SOUND_VOCABULARY = (
    # English
    r"music(?:al)?|applause|applauding|laugh(?:s|ing|ter)?|chuckl(?:es?|ing)|giggl(?:es?|ing)|cheer(?:s|ing)"
    r"|clap(?:s|ping)?|sigh(?:s|ing)?|cough(?:s|ing)?|gasp(?:s|ing)?|groan(?:s|ing)?|scream(?:s|ing)?"
    r"|yawn(?:s|ing)?|sings?|singing|whistl(?:es?|ing)|sniff(?:s|les|ing)?|cries|crying|sob(?:s|bing)"
    r"|grunt(?:s|ing)?|inaudible|indistinct|unintelligible|silence|noise|beep(?:s|ing)?|footsteps|explosions?"
    r"|sound effects?|speaking|foreign|instrumental|upbeat|dramatic|whoosh(?:es|ing)?|thunder|gunshots?"
    r"|sneez(?:es?|ing)|panting|breathing|murmur(?:s|ing)?|chatter(?:ing)?|static|ringing|knocking|humming"
    r"|whisper(?:s|ing)|stammer(?:s|ing)|stutter(?:s|ing)"
    # Spanish, Portuguese, Italian
    r"|música|musica|aplausos?|risas?|risitas?|ríen?|rie|carcajadas?|llora|llanto|grita|gritos?|suspira"
    r"|tose|jadea|jadeante|respira|respiración|disparos?|truenos?|explosión|murmullos?|sollozos?|gemidos?"
    r"|solloza|sollozan|tartamudea|gritan|susurra|cae|caen|golpes?|portazo|ladridos|jadeos"
    r"|risos?|risadas?|choro|suspiro|tosse|applausi|risate|ride|ridono"
    # French, German, Dutch, Scandinavian
    r"|musique|applaudissements|rires?|rit|rient|soupire?s?|tousse|toux|pleure|sanglots|bruits?"
    r"|musik|applaus|gelächter|lacht|lachen|beifall|seufzt|hustet|muziek|gelach|applåder|skratt|latter"
    # Russian, Arabic, Hebrew, Persian, Hindi
    r"|музыка|аплодисменты|смех|смеётся|смеется|вздох|кашель|шум"
    r"|موسيقى|تصفيق|ضحك|מוזיקה|צחוק|מחיאות|موسیقی|تشویق|خنده|संगीत|तालियां|हंसी"
    # Korean
    r"|음악|박수|웃음|웃음소리|환호"
)
_CJK_SOUNDS = "音乐|音樂|掌声|掌聲|笑声|笑聲|鼓掌|欢呼|歡呼|笑|音楽|拍手|歓声"
SOUND_WORDS = re.compile(rf"(?<!\w)(?:{_SOUND_VOCABULARY})(?!\w)|{_CJK_SOUNDS}", re.IGNORECASE)

# Only "<" followed by a tag name, "/" or a timestamp starts markup, so "x < y > z" survives.
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d{1,2}:\d{2}(?::\d{2})?[.,]\d{1,3}>")
# Markup escaped in the source (``&lt;i>``), once decoded: the formatting tags of caption files
# only. Any other tag-like text of an escaped caption is what was said (a talk about ``<head>``).
_ESCAPED_MARKUP = re.compile(r"</?(?:b|i|u|s|c|v|p|br|em|font|lang|rp|rt|ruby|span|strong|sub|sup)(?=[\s./>])[^<>]*>"
                             r"|<\d{1,2}:\d{2}(?::\d{2})?[.,]\d{1,3}>", re.IGNORECASE)
_ASS_TAG = re.compile(r"\{\\[^{}]*\}")  # {\an8}, {\i1}, {\pos(…)} some SRT authors use
_ASS_OPEN = re.compile(r"\{\\[^{}]*$")  # an override block the line break cut in two
_BRACKETED = re.compile(r"\[([^\[\]]{0,80})\]")
_PARENTHESIZED = re.compile(r"[(（]([^()（）]{0,80})[)）]")
_NOTES = re.compile(r"[♪♫♬🎵🎶]+")
_SPEAKER_DASH = re.compile(r"^\s*-\s+")
# "[Alba] text", "[narrator] text", "[Man 2] text": up to three words, the first a letter.
_BRACKET_LABEL = re.compile(r"^\[([^\W\d_][\w.'’-]*(?: [\w.'’-]+){0,2})\](?:\s+|$)")
# WebVTT's voice span "<v Roger Bingham>text" (or "<v.loud Fred>") names who speaks.
_VOICE = re.compile(r"^\s*<v(?:\.[^\s>]*)?\s+([^<>]+)>")
# "MAN 2: text", "NARRATOR: text": capitals (and a number) before a colon.
_CAPS_LABEL = re.compile(r"^[A-Z][A-Z.'’-]*(?: [A-Z0-9][A-Z0-9.'’-]*){0,2}:\s+\S")


def is_sound(inner: str) -> bool:
    return not _NOTES.sub("", inner).strip() or bool(SOUND_WORDS.search(inner))


def _drop_sound(match: re.Match[str]) -> str:
    return " " if is_sound(match.group(1)) else match.group(0)


def _clean_text(text: str) -> str:
    """A piece of caption text without sound cues, music notes or stray whitespace."""
    if "[" in text:
        text = _BRACKETED.sub(_drop_sound, text)
    if "(" in text or "（" in text:
        text = _PARENTHESIZED.sub(_drop_sound, text)
    if "♪" in text or "♫" in text or "♬" in text or "🎵" in text or "🎶" in text:
        text = _NOTES.sub(" ", text)
    return " ".join(text.split())


def _unmarked(raw: str) -> str:
    """Markup gone, entities decoded (captions are sometimes escaped twice: ``&amp;#39;``)."""
    text = _TAG.sub("", raw) if "<" in raw else raw
    if "{\\" in text:
        text = _ASS_OPEN.sub("", _ASS_TAG.sub("", text))
    if "\\" in text:  # ASS line break and hard space (not "\\n": code in a caption may say it)
        text = text.replace("\\N", " ").replace("\\h", " ")
    for _ in range(2):
        if "&" not in text:
            break
        text = html.unescape(text)
        if "<" in text:
            text = _ESCAPED_MARKUP.sub("", text)
    return text


def _labelled(piece: str) -> tuple[str, bool]:
    """A speaker label at the start of a piece as ``Name: …``, and whether there was one."""
    if piece.startswith("["):
        label = _BRACKET_LABEL.match(piece)
        if label and not is_sound(label.group(1)):
            rest = piece[label.end():]
            return (f"{label.group(1)}: {rest}" if rest else f"{label.group(1)}:"), True
        return piece, False
    return piece, bool(_CAPS_LABEL.match(piece))


def voice(raw: str) -> str | None:
    """The speaker a WebVTT line's ``<v Name>`` span names, if any (``<v Q&amp;A Bot>``: "Q&A Bot")."""
    match = _VOICE.match(raw) if "<v" in raw else None
    return " ".join(html.unescape(match.group(1)).split()) if match else None


def logical_lines(raw: str) -> list[tuple[str, bool]]:
    """One raw caption line as (text, starts a new speaker) pieces: markup and entities
    decoded, split at ``>>``; a leading ``- `` dash or speaker label starts a new speaker.
    Text may be empty (the line was only a sound cue)."""
    text = _unmarked(raw)
    dash = _SPEAKER_DASH.match(text)
    if dash:
        text = text[dash.end():]
    pieces = []
    for index, piece in enumerate(text.split(">>") if ">>" in text else [text]):
        change = bool(dash) if index == 0 else True
        piece, labelled = _labelled(piece.strip())
        pieces.append((_clean_text(piece), change or labelled))
    return pieces
