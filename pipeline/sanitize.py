"""Making untrusted text (captions and model output) safe to put in a post.

The site renders Markdown with raw HTML allowed, so any tag in a post reaches the page.
Rather than trying to allow-list HTML, no tag survives: ``<script>``/``<style>`` blocks go
with their content, and every other ``<`` that opens a tag or comment is escaped, which keeps
the text readable. Markdown links with script-capable URL schemes lose the link.
"""

from __future__ import annotations

import html
import re
import unicodedata


_BLOCKS = re.compile(r"<\s*(script|style)\b[^>]*>.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL)
_UNCLOSED_BLOCK = re.compile(r"<\s*(script|style)\b[^>]*>.*", re.IGNORECASE | re.DOTALL)
# ``<`` opening a tag, closing tag, comment, doctype or processing instruction.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
# A link's text may hold brackets ([[a]](…)); its title may be in double quotes, single quotes or
# parentheses (CommonMark's three forms).
_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
_REFERENCE = re.compile(r"^[ \t]*\[[^\]\n]+\]:[ \t]*<?(\S+?)>?(?:[ \t].*)?$", re.MULTILINE)
_BAD_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")
# Where a link's address starts, whatever its text or label looks like: right after ``](`` (a
# link) or ``]:`` (a definition), past spaces, line breaks and a quote's ``>`` (both may span
# lines, in a quote too), and an opening ``<``. What follows up to the end of the address.
_DESTINATION = re.compile(r"\]([(:])(?=[\s>]*<?([^\n)>]*))")
_TEMPLATE = re.compile(r"\{\{|\{%|\{#|%\}|\}\}|#\}|\{%-|-%\}")
_ZWJ = "\u200d"


# Control characters and every invisible format character (Unicode category Cf, less the ZWJ):
# bidi overrides and isolates, zero-width characters, soft hyphens, tag characters. They make
# text read differently from what it says (a reversed name, a hidden instruction). Written out
# because scanning the Unicode table at import costs half a second; a test checks it is complete.
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200c\u200e-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
# A zero-width joiner only joins emoji (👨‍👩‍👧); anywhere else it just hides in the text.
_STRAY_ZWJ = re.compile(r"(?<![\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F])\u200d|\u200d(?![\U0001F000-\U0001FAFF\u2600-\u27BF])")


def strip_invisible(text: str) -> str:
    """Without control and invisible format characters (a ZWJ inside an emoji sequence stays)."""
    text = _CONTROL.sub("", text)
    return _STRAY_ZWJ.sub("", text) if _ZWJ in text else text


def _scheme_is_dangerous(url: str) -> bool:
    # Browsers ignore entities, whitespace and control characters inside a scheme; Markdown
    # unescapes a backslash-escaped character (``javascript\:``).
    decoded = html.unescape(html.unescape(url)).replace("\\", "")
    squeezed = "".join(ch for ch in decoded if not ch.isspace() and unicodedata.category(ch)[0] != "C").lower()
    return squeezed.startswith(_BAD_SCHEMES)


def _defuse_link(match: re.Match[str]) -> str:
    label, url = match.group(2), match.group(3)
    return label if _scheme_is_dangerous(url) else match.group(0)


def sanitize_markdown(text: str) -> str:
    """Markdown stays Markdown; no HTML tag and no script link gets through."""
    text = strip_invisible(text)
    text = _BLOCKS.sub("", text)
    text = _UNCLOSED_BLOCK.sub("", text)
    text = _LINK.sub(_defuse_link, text)
    text = _REFERENCE.sub(lambda m: "" if _scheme_is_dangerous(m.group(1)) else m.group(0), text)
    # What the two above leave of a script link (link text with deeper brackets, a code span or
    # an escaped bracket; a definition in a quote or a list, or across lines) is no link at all:
    # its ``(`` or ``:`` backslash-escaped, it is text to every generator's Markdown.
    text = _DESTINATION.sub(lambda m: f"]\\{m.group(1)}" if _scheme_is_dangerous(m.group(2)) else m.group(0), text)
    return _TAG_OPEN.sub("&lt;", text)


def sanitize_inline(text: str) -> str:
    """A one-line front-matter string: sanitized, without control characters or line breaks."""
    return " ".join(sanitize_markdown(text).split())


def has_template_syntax(text: str) -> bool:
    """Whether a Liquid or Nunjucks engine would read something in the text as template code."""
    return bool(_TEMPLATE.search(text))
