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
_LINK = re.compile(r"(!?)\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^[ \t]*\[[^\]\n]+\]:[ \t]*<?(\S+?)>?(?:[ \t].*)?$", re.MULTILINE)
_BAD_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")
_TEMPLATE = re.compile(r"\{\{|\{%|\{#|%\}|\}\}|#\}|\{%-|-%\}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")


def _scheme_is_dangerous(url: str) -> bool:
    # Browsers ignore entities, whitespace and control characters inside a scheme.
    decoded = html.unescape(html.unescape(url))
    squeezed = "".join(ch for ch in decoded if not ch.isspace() and unicodedata.category(ch)[0] != "C").lower()
    return squeezed.startswith(_BAD_SCHEMES)


def _defuse_link(match: re.Match[str]) -> str:
    label, url = match.group(2), match.group(3)
    return label if _scheme_is_dangerous(url) else match.group(0)


def sanitize_markdown(text: str) -> str:
    """Markdown stays Markdown; no HTML tag and no script link gets through."""
    text = _CONTROL.sub("", text)
    text = _BLOCKS.sub("", text)
    text = _UNCLOSED_BLOCK.sub("", text)
    text = _LINK.sub(_defuse_link, text)
    text = _REFERENCE.sub(lambda m: "" if _scheme_is_dangerous(m.group(1)) else m.group(0), text)
    return _TAG_OPEN.sub("&lt;", text)


def sanitize_inline(text: str) -> str:
    """A one-line front-matter string: sanitized, without control characters or line breaks."""
    return " ".join(sanitize_markdown(text).split())


def has_template_syntax(text: str) -> bool:
    """Whether a Liquid or Nunjucks engine would read something in the text as template code."""
    return bool(_TEMPLATE.search(text))
