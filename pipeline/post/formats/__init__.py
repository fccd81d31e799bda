"""Post formats: how a post looks in one site generator's world, behind one small interface.

The write stage, ``status``, the review desk, approval, edit detection and the posts index
know a post only through a format (``base.PostFormat``): what goes into it (``PostContent``,
the same for every generator), and the format's answers: its front matter, the file's text,
the file's name, the post read back (front matter, body, draft or not), and the text with the
post approved. No code outside a format's module knows the bytes of a post.

A new format is one module here with a class of that shape, and one line in ``FORMATS``.
"""

from __future__ import annotations

from pipeline.post.formats.base import PostContent, PostFormat, PostText
from pipeline.post.formats.eleventy import Eleventy
from pipeline.post.formats.hexo import Hexo
from pipeline.post.formats.hugo import Hugo
from pipeline.post.formats.jekyll import Jekyll

FORMATS: dict[str, PostFormat] = {
    "eleventy": Eleventy(),
    "hugo": Hugo(),
    "hexo": Hexo(),
    "jekyll": Jekyll(),
}
DEFAULT_FORMAT = next(iter(FORMATS))  # the one of output folders from before formats existed

__all__ = ["DEFAULT_FORMAT", "FORMATS", "PostContent", "PostFormat", "PostText", "get_format"]


def get_format(name: str) -> PostFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown post format {name!r}; one of: {', '.join(FORMATS)}") from None
