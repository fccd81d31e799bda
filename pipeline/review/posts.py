"""What the reviewer's buttons do to a post: save an edit, approve, accept a candidate.

Every write is atomic (``atomic_write_text``). The pipeline keeps in ``post.json`` the hash of
what it wrote; a post whose bytes differ is the reviewer's and no later run overwrites it. So
a saved, approved or accepted post is protected exactly as an edit in a text editor is.

The other way round too: the desk never writes over what its page did not show. Each action
carries the version of the post the page showed (``PostFile.version``, a hash of the file's
place and bytes) and is refused (``PostChanged``) when the file changed since, with the desk's own text
kept beside it. A candidate that would remove text nobody asked to remove is refused
(``UnusableCandidate``), and a section candidate replaces the section it was made from, found
by its text, wherever it now stands.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


from pipeline.config import Config
from pipeline.errors import ArtifactError, Yt2PostError
from pipeline.artifacts import CandidateArticle, CandidateFile, MetadataFile
from pipeline.shapes import ArticleSection
from pipeline.sanitize import sanitize_inline, sanitize_markdown
from pipeline.slugs import unique_slugs
from pipeline.store import Store
from pipeline.post.approve import approve_post, write_post_file
from pipeline.post.formats import PostFormat
from pipeline.post.index import post_name
from pipeline.post.write import canonical_source, read_post, render_body, section_links_url

from pipeline.review.render import split_sections

# Without an instruction, a regenerated text shorter than this share of the text it replaces
# would remove words nobody asked to remove (characters counted without spaces).
SHRINK_LIMIT = 0.25


class PostChanged(Yt2PostError):
    """The post is not the version the desk's page showed (``shown``): the action is refused,
    nothing is written over it; ``current`` is the file as it is, ``theirs`` the desk's text (a
    save) and ``kept`` where that text now is."""

    cause = "changed"

    def __init__(self, message: str, *, video_id: str, shown: str | None, current: str,
                 theirs: str | None = None, kept: Path | None = None) -> None:
        super().__init__(message, video_id=video_id)
        self.shown, self.current, self.theirs, self.kept = shown, current, theirs, kept


class UnusableCandidate(Yt2PostError):
    """A regenerated text that would remove words (an empty answer, a shrunk section), or a
    section candidate whose section is no longer in the post."""

    cause = "candidate"


@dataclass
class PostFile:
    path: Path
    text: str
    front: dict[str, Any]
    body: str
    edited: bool
    version: str  # the hash of the file's place and bytes as read
    format: PostFormat  # the format that wrote it (``post.json``), which reads and writes it
    draft: bool  # as its format tells by its text and its place


def version_of(name: str, data: bytes) -> str:
    """The version of the post ``name`` (its place in the posts folder) with bytes ``data``. The
    place counts: approving a Hexo or Jekyll draft moves it and leaves its bytes as they were,
    and a page that showed the draft must not then write over the published post."""
    return hashlib.sha256(name.encode("utf-8") + b"\0" + data).hexdigest()


class ShownPosts:
    """The posts' texts as the desk's pages showed them, by version, so that a refused action
    can show what changed since its page. Only the latest few hundred are kept."""

    def __init__(self, keep: int = 300) -> None:
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._keep = keep
        self._lock = threading.Lock()

    def remember(self, post: PostFile) -> None:
        with self._lock:
            self._texts[post.version] = post.text
            self._texts.move_to_end(post.version)
            while len(self._texts) > self._keep:
                self._texts.popitem(last=False)

    def text(self, version: str) -> str | None:
        with self._lock:
            return self._texts.get(version)


def find_post(store: Store, video_id: str) -> PostFile | None:
    found = read_post(store, video_id)
    if found is None:
        return None
    name = post_name(store, found.path)
    return PostFile(found.path, found.text, found.post.front, found.post.body, found.edited, version_of(name, found.data),
                    found.format, found.format.is_draft(name, found.text))


def _require(store: Store, video_id: str) -> PostFile:
    post = find_post(store, video_id)
    if post is None:
        raise ArtifactError(f"{video_id}: this video has no post yet", video_id=video_id)
    return post


def check_version(store: Store, video_id: str, post: PostFile | None, shown: str | None,
                  theirs: str | None = None) -> None:
    """Refuse an action made on another version of the post than ``post`` (``shown``: the
    version its page carried). The desk's own text ``theirs``, if any, is kept first, as
    ``<name>.md.conflict-<time>`` beside the post: neither version is lost."""
    current = post.version if post is not None else ""
    if shown and shown == current:
        return
    kept = None
    if theirs is not None and post is not None:
        kept = beside(post, "conflict")
        _write(store, video_id, kept, theirs)
    if not shown:
        reason = "this request does not say which version of the post it was made on (reload the page)"
    else:
        reason = "the post changed since this page showed it (in another tab, a text editor or a run)"
    raise PostChanged(f"not done: {reason}; nothing was written over it",
                      video_id=video_id, shown=shown, current=post.text if post else "", theirs=theirs, kept=kept)


def beside(post: PostFile, kind: str) -> Path:
    """A new file beside the post, named by its format so that the site never builds it
    (Eleventy's ``<name>.md.<kind>-<time>``)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = post.path
    candidate = path.with_name(post.format.beside(path.name, f"{kind}-{stamp}"))
    number = 1
    while candidate.exists():  # two in one second: each keeps its own file
        number += 1
        candidate = path.with_name(post.format.beside(path.name, f"{kind}-{stamp}-{number}"))
    return candidate




def edited_front_matter(current: dict[str, Any], form: dict[str, str], config: Config,
                        slug_fields: frozenset[str]) -> dict[str, Any]:
    """The front matter from the edit form: every field the post has, typed as it was (the
    format's ``slug_fields`` as slugs)."""
    out: dict[str, Any] = {}
    for key, value in current.items():
        given = form.get(f"fm_{key}")
        if given is None or isinstance(value, bool) or value is None and not given.strip():
            out[key] = value  # draft changes only through Approve; a field without a value stays so
        elif isinstance(value, list):
            items = [item.strip() for item in given.split(",") if item.strip()]
            out[key] = unique_slugs(items) if key in slug_fields else items
        else:
            out[key] = " ".join(given.split()) if key != "summary" else given.strip()
    for key, allowed in (("area", config.taxonomy.areas), ("category", config.taxonomy.categories)):
        if key in out and out[key] not in allowed:
            raise ValueError(f"{key} must be one of {', '.join(allowed)}")
    return out


def _write(store: Store, video_id: str, path: Path, text: str) -> None:
    write_post_file(store, video_id, path, text)


def save(store: Store, video_id: str, form: dict[str, str], config: Config, version: str | None) -> tuple[Path, bool]:
    """The edit form written as the post, if the post is still the ``version`` the form was made
    on; the post's path, and whether it is now the reviewer's (a form saved unchanged over the
    pipeline's draft is no edit)."""
    # Under the video's lock, as the write stage: neither replaces what the other just wrote.
    with store.video_lock(video_id):
        post = _require(store, video_id)
        body = form.get("body", post.body).replace("\r\n", "\n").replace("\r", "\n").strip("\n")
        text = post.format.dumps(edited_front_matter(post.front, form, config, post.format.slug_fields), body)
        check_version(store, video_id, post, version, theirs=text)
        _write(store, video_id, post.path, text)
    return post.path, post.edited or text != post.text


def approve(store: Store, video_id: str, config: Config, version: str | None) -> Path:
    """The post approved by its format (nothing else in the file changes; a format whose drafts
    have a place of their own moves it), then the copy into ``review.site_dir``; where it now is."""
    with store.video_lock(video_id):
        post = _require(store, video_id)
        check_version(store, video_id, post, version)
        return approve_post(store, video_id, config, post.path, post.text, post.format)


def _cleaned(section: ArticleSection) -> tuple[str, str]:
    """A section's heading and body as the post gets them."""
    return " ".join(sanitize_markdown(section.heading).split()), sanitize_markdown(section.body).strip()


def _length(text: str) -> int:
    return len("".join(text.split()))


def _section_of(candidate: CandidateFile) -> tuple[ArticleSection, ArticleSection]:
    """A section candidate's new section and the one it replaces (``replaces``)."""
    if candidate.new is None or candidate.replaces is None:
        raise UnusableCandidate("the candidate does not say which section it replaces, or with what: "
                                "regenerate the section again")
    return candidate.new, candidate.replaces


def _article_of(candidate: CandidateFile) -> CandidateArticle:
    if candidate.article is None:
        raise UnusableCandidate("the candidate holds no article: regenerate it again")
    return candidate.article


def refuse_removal(candidate: CandidateFile, post_body: str) -> None:
    """Refuse (``UnusableCandidate``) a candidate that would remove words nobody asked to remove:
    an empty title, section heading or body (an empty or refused answer; text that cleaning
    empties counts as empty), or, without an instruction, a text under ``SHRINK_LIMIT`` of the
    length of what it replaces: the section's body (``replaces``), or ``post_body``, the post's."""
    if candidate.kind == "section":
        new, replaces = _section_of(candidate)
        parts, old = [("the model's section", *_cleaned(new))], replaces.body
    else:
        article = _article_of(candidate)
        if not sanitize_inline(article.title):
            raise UnusableCandidate("the model's article has an empty title (an empty or refused answer)")
        parts = [(f"section {n} of the model's article", *_cleaned(s)) for n, s in enumerate(article.sections, 1)]
        old = post_body
    for what, heading, body in parts:
        empty = [name for name, text in (("heading", heading), ("body", body)) if not text]
        if empty:
            raise UnusableCandidate(f"{what} has an empty {' and '.join(empty)} (an empty or refused answer): "
                                    "accepting it would delete the words it replaces")
    new_length, old_length = sum(_length(body) for _, _, body in parts), _length(sanitize_markdown(old))
    if not candidate.instruction.strip() and new_length < SHRINK_LIMIT * old_length:
        raise UnusableCandidate(f"the model's text is {new_length} characters, under a quarter of the {old_length} "
                                "it replaces, and no instruction asked for a shorter one")


def _replaced(sections: list[tuple[str, str]], replaces: ArticleSection, number: int) -> int:
    """The index of the section a section candidate replaces: the one that still has the text it
    was made from (``replaces``), wherever edits since have moved it; ``number`` was its place."""
    wanted = (" ".join(replaces.heading.split()), " ".join(replaces.body.split()))
    found = [i for i, (heading, body) in enumerate(sections)
             if (" ".join(heading.split()), " ".join(body.split())) == wanted]
    if number - 1 in found:
        return number - 1
    if len(found) == 1:
        return found[0]
    if not found:
        raise UnusableCandidate(f"section {number} as it was regenerated (“{replaces.heading}”) is no longer in "
                                "the post: it was edited or removed since; regenerate it again")
    raise UnusableCandidate(f"section {number} as it was regenerated (“{replaces.heading}”) is in the post "
                            f"{len(found)} times: remove the copies, or regenerate it again")


def candidate_text(post: PostFile, candidate: CandidateFile | dict[str, Any],
                   section_links_url: str | None = None) -> str:
    """The post as it would be with the candidate: one section replaced in the current text (the
    reviewer's other edits stay), or a new body with the new title, summary and tags. Raises
    ``UnusableCandidate`` when the candidate cannot be accepted (see ``refuse_removal``)."""
    if not isinstance(candidate, CandidateFile):
        candidate = CandidateFile.model_validate(candidate)
    refuse_removal(candidate, post.body)
    if candidate.kind == "section":
        new, replaces = _section_of(candidate)
        prelude, sections = split_sections(post.body)
        sections[_replaced(sections, replaces, candidate.section or 0)] = _cleaned(new)
        body = prelude + "\n\n".join(f"### {h}\n\n{b}" for h, b in sections)
        return post.format.dumps(post.front, body)
    article = _article_of(candidate)
    # The tags are slugs already: the article's model made them.
    front = post.format.with_article(post.front, title=sanitize_inline(article.title),
                                     summary=sanitize_inline(article.summary), tags=list(article.tags))
    return post.format.dumps(front, render_body([s.model_dump() for s in article.sections], section_links_url))


def accept(store: Store, video_id: str, candidate: CandidateFile | dict[str, Any], config: Config,
           version: str | None) -> Path:
    if not isinstance(candidate, CandidateFile):
        candidate = CandidateFile.model_validate(candidate)
    with store.video_lock(video_id):
        post = _require(store, video_id)
        check_version(store, video_id, post, version)
        source = canonical_source(store.load(video_id, MetadataFile))
        text = candidate_text(post, candidate, section_links_url(source, config))
        if post.edited:
            # The candidate replaces some of the reviewer's words: keep their version beside it.
            _write(store, video_id, beside(post, "bak"), post.text)
        _write(store, video_id, post.path, text)
        store.path(video_id, "candidate").unlink(missing_ok=True)
    return post.path
