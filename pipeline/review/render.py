"""What a video page shows: the post rendered as the site would, split into its sections, with
the faithfulness flags marked and each section tied to its stretch of the transcript.

Everything here is untrusted text from videos and models. Markdown goes through markdown-it-py
(CommonMark, the family Eleventy's renderer belongs to) with raw HTML off, so a ``<script>`` is
shown as text, and its link check refuses ``javascript:``, ``vbscript:``, ``file:`` and
``data:`` links. Every other string reaches the page only through Jinja2's autoescaping.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markupsafe import Markup

from pipeline.llm.chunking import format_timestamp
from pipeline.post.links import safe_video_url

_HEADING = re.compile(r"^### (.*)$", re.MULTILINE)
_LATIN_OR_DIGITS = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")


def _text_rule(self: Any, tokens: list[Any], idx: int, options: Any, env: dict[str, Any]) -> str:
    """Plain text, escaped, with each flagged phrase wrapped in a mark (ids count per page)."""
    text = tokens[idx].content
    marks: list[tuple[str, int]] = env.get("marks") or []
    if not marks:
        return escapeHtml(text)
    pattern = env.setdefault("_mark_re", re.compile("|".join(re.escape(m) for m, _ in
                                                              sorted(marks, key=lambda m: -len(m[0])))))
    numbers = dict(marks)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escapeHtml(text[last:match.start()]))
        number = numbers[match.group(0)]
        out.append(f'<mark class="flag" data-flag="{number}" title="flag {number + 1}" tabindex="0" role="button">'
                   f"{escapeHtml(match.group(0))}</mark>")
        last = match.end()
    out.append(escapeHtml(text[last:]))
    return "".join(out)


def markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.add_render_rule("text", _text_rule)
    return md


_MD = markdown()


def render_markdown(text: str, marks: list[tuple[str, int]] | None = None) -> Markup:
    html = _MD.render(text, {"marks": marks or []})
    # Links leave the desk in a new tab and tell the target nothing.
    html = html.replace("<a href=", '<a rel="noopener noreferrer nofollow" target="_blank" href=')
    return Markup(html)  # noqa: S704 -- markdown-it escaped it: raw HTML is off


@dataclass
class PostSection:
    number: int
    heading: str
    heading_html: Markup
    body_html: Markup
    body: str
    start: float | None = None
    end: float | None = None
    flags: list[int] = field(default_factory=list)

    @property
    def span(self) -> str:
        if self.start is None:
            return ""
        end = f"–{format_timestamp(self.end)}" if self.end is not None else ""
        return f"{format_timestamp(self.start)}{end}"


def split_sections(body: str) -> tuple[str, list[tuple[str, str]]]:
    """The text before the first ``###`` heading, and each (heading, body)."""
    matches = list(_HEADING.finditer(body))
    if not matches:
        return body, []
    prelude = body[:matches[0].start()]
    sections = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(body)
        sections.append((match.group(1).strip(), body[match.end():end].strip("\n")))
    return prelude, sections


def _norm(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def post_sections(body: str, article_sections: list[dict[str, Any]],
                  flags: list[dict[str, Any]]) -> tuple[Markup, list[PostSection]]:
    """The post's sections with their video times. A section is matched to the article's at its
    own position when the headings there agree, else by a heading that stands once in the
    article (the reviewer moved it), else by position when the reviewer kept the number of
    sections. Two sections may share a heading (a long video's parts): each keeps its own times."""
    prelude, parts = split_sections(body)
    marks = [(str(f.get("text") or ""), i) for i, f in enumerate(flags) if str(f.get("text") or "").strip()]
    headings = [_norm(str(s.get("heading") or "")) for s in article_sections]
    by_heading = {h: s for h, s in zip(headings, article_sections) if headings.count(h) == 1}
    same_count = len(parts) == len(article_sections)
    out = []
    for index, (heading, text) in enumerate(parts):
        here = article_sections[index] if index < len(article_sections) else None
        if here is not None and headings[index] == _norm(heading):
            source = here
        else:
            source = by_heading.get(_norm(heading)) or (here if same_count else None)
        start = source.get("start") if source else None
        end = source.get("end") if source else None
        inline = _MD.renderInline(heading, {"marks": marks})
        section = PostSection(index + 1, heading, Markup(inline), render_markdown(text, marks), text,  # noqa: S704
                              start if isinstance(start, (int, float)) else None,
                              end if isinstance(end, (int, float)) else None)
        section.flags = [i for m, i in marks if m in heading or m in text]
        out.append(section)
    return render_markdown(prelude, marks), out


@dataclass
class Evidence:
    flag: dict[str, Any]
    number: int
    paragraph: int | None  # index into the transcript's paragraphs
    passage: str
    start: float | None


def closest_passage(flag: dict[str, Any], sections: list[PostSection],
                    paragraphs: list[dict[str, Any]]) -> int | None:
    """The transcript paragraph closest to a flagged phrase: within the stretch of its section
    when known, the one sharing the most Latin words and digits with the sentence around it."""
    if not paragraphs:
        return None
    text = str(flag.get("text") or "")
    section = next((s for s in sections if s.heading == flag.get("section")), None) \
        or next((s for s in sections if text and text in s.body), None)
    context = text
    if section is not None:
        sentence = next((s for s in re.split(r"(?<=[。！？.!?])", section.body) if text in s), section.body)
        context = f"{text} {sentence}"
    words = set(_LATIN_OR_DIGITS.findall(context.casefold()))
    indices = list(range(len(paragraphs)))
    if section is not None and section.start is not None:
        end = section.end if section.end is not None else float("inf")
        inside = [i for i in indices if section.start <= float(paragraphs[i].get("start") or 0) < end]
        indices = inside or indices

    def score(i: int) -> tuple[int, int]:
        found = set(_LATIN_OR_DIGITS.findall(str(paragraphs[i].get("text") or "").casefold()))
        return len(words & found), -i

    return max(indices, key=score)


def evidence(flags: list[dict[str, Any]], sections: list[PostSection],
             paragraphs: list[dict[str, Any]]) -> list[Evidence]:
    out = []
    for number, flag in enumerate(flags):
        index = closest_passage(flag, sections, paragraphs)
        paragraph = paragraphs[index] if index is not None else {}
        out.append(Evidence(flag, number, index, str(paragraph.get("text") or ""),
                            paragraph.get("start") if index is not None else None))
    return out


@dataclass
class DiffLine:
    kind: str  # "same", "add", "del", "gap"
    text: str


def diff_lines(old: str, new: str, context: int = 2) -> list[DiffLine]:
    """A line diff of two posts, unchanged runs cut to ``context`` lines around each change."""
    out: list[DiffLine] = []
    before, after = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if out:
            out.append(DiffLine("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(DiffLine("same", line) for line in before[i1:i2])
                continue
            out.extend(DiffLine("del", line) for line in before[i1:i2])
            out.extend(DiffLine("add", line) for line in after[j1:j2])
    return out


def video_link(source: str, seconds: float | None) -> str:
    """The video at a second, on its site's page; other sources as they are."""
    link = safe_video_url(source, seconds)
    if link is None:
        return source if source.startswith(("https://", "http://")) else ""
    return link
