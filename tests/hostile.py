"""The hostile video of the site-build tests: captions and a model answer holding every
generator's template syntax, HTML that would run, script links and paths; and what a built page
must not contain."""

from __future__ import annotations

from html.parser import HTMLParser


class Tags(HTMLParser):
    """The real elements and attributes of a built page (escaped text is not a tag)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append((tag, attrs))


HOSTILE_CAPTIONS = """WEBVTT

00:00:00.000 --> 00:00:04.000
welcome {{ 7*7 }} to the show {% include "secrets.txt" %}

00:00:04.000 --> 00:00:08.000
an unbalanced {{ brace and <script>alert('captions')</script> here
"""

HOSTILE_ARTICLE = {
    "title": "标题 {{ 7*7 }} <script>alert(1)</script>: #'\"",
    "summary": "摘要 {% raw %} --- \n: - [x] & * ! | > % @ ` <img src=x onerror=alert(2)> yes",
    "sections": [
        {"heading": "小节 {{ site.title }} <iframe src=https://evil.example></iframe>",
         "body": "正文 {{ 7*7 }} and {% if true %}x{% endif %}\n\n<script>alert(3)</script>\n\n"
                 "[click](javascript:alert(4)) [ok](https://example.com) <a href=\"javascript:alert(5)\">a</a>\n\n"
                 "<img src=x onerror=\"alert(6)\"> a < b"},
        {"heading": "第二节", "body": "普通的中文段落，没有任何问题。"},
        # Hugo's shortcodes (an unknown one fails its build) and kramdown's attribute lists and
        # extensions (Jekyll's Markdown: an attribute on the element before it).
        {"heading": "第三节 {{< figure src=x >}} {onclick=\"alert(7)\"}",
         "body": "短代码 {{< youtube abc >}} 和 {{% notice %}} 文本 {{</* escaped */>}}\n{: onclick=\"alert(8)\"}\n\n"
                 "{::nomarkdown}<b>raw</b>{:/nomarkdown} {::options parse_block_html=\"true\" /}"},
    ],
    "tags": ["{{tag}}", "<script>", "yes", "null", "2025-01-01", "ok-tag"],
    "area": "tech-engineering",
    "category": "ai-ml",
    "companies_orgs": ["../../etc"],
    "products_models": [],
    "guest": "null",
    "insight": "",
}


def assert_inert(pages: dict[object, str]) -> None:
    """No built page has an element or attribute that runs: no script, frame, image, object or
    embed, no ``on…`` attribute, no ``javascript:`` value."""
    for text in pages.values():
        tags = Tags()
        tags.feed(text)
        assert not {"script", "iframe", "img", "object", "embed"} & {name for name, _ in tags.seen}
        for _, attrs in tags.seen:
            assert not any(key.startswith("on") for key, _ in attrs)
            assert not any((value or "").strip().lower().startswith("javascript:") for _, value in attrs)
