"""What the reviewer's buttons do to a post: save an edit, approve, accept a candidate.

Every write is atomic (``atomic_write_text``). The pipeline keeps in ``post.json`` the hash of
what it wrote; a post whose bytes differ is the reviewer's and no later run overwrites it. So
a saved, approved or accepted post is protected exactly as an edit in a text editor is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from pipeline.config import Config
from pipeline.errors import ArtifactError
from pipeline.artifacts import CandidateFile, MetadataFile
from pipeline.post.sanitize import sanitize_inline, sanitize_markdown
from pipeline.post.slugs import unique_slugs
from pipeline.files import atomic_write_bytes, atomic_write_text, ensure_inside
from pipeline.store import Store
from pipeline.post.write import (canonical_source, dump_post, guard_liquid, locate_post, render_body,
                                 section_links_url)

from pipeline.review.render import split_sections

SLUG_LISTS = ("tags", "companies_orgs", "products_models", "media_books")
_DRAFT_LINE = re.compile(r"^draft:[^\n]*$", re.MULTILINE)


@dataclass
class PostFile:
    path: Path
    text: str
    front: dict[str, Any]
    body: str
    edited: bool


def find_post(store: Store, video_id: str) -> PostFile | None:
    meta = store.load_optional(video_id, MetadataFile)
    if meta is None:
        return None
    existing = locate_post(store, video_id, canonical_source(meta))
    if existing is None:
        return None
    try:
        text = existing.path.read_text(encoding="utf-8")
        post = frontmatter.loads(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ArtifactError(f"{video_id}: the post {existing.path.name} cannot be read: {exc}".splitlines()[0],
                            video_id=video_id) from None
    return PostFile(existing.path, text, dict(post.metadata), post.content, existing.edited)


def _require(store: Store, video_id: str) -> PostFile:
    post = find_post(store, video_id)
    if post is None:
        raise ArtifactError(f"{video_id}: this video has no post yet", video_id=video_id)
    return post


def compose(front: dict[str, Any], body: str) -> str:
    """A post in the pipeline's own shape (python-frontmatter, keys sorted)."""
    return dump_post(frontmatter.Post(body, **guard_liquid(front, body)))


def edited_front_matter(current: dict[str, Any], form: dict[str, str], config: Config) -> dict[str, Any]:
    """The front matter from the edit form: every field the post has, typed as it was."""
    out: dict[str, Any] = {}
    for key, value in current.items():
        if key == "templateEngineOverride":
            continue
        given = form.get(f"fm_{key}")
        if given is None or isinstance(value, bool):
            out[key] = value  # draft changes only through Approve
        elif isinstance(value, list):
            items = [item.strip() for item in given.split(",") if item.strip()]
            out[key] = unique_slugs(items) if key in SLUG_LISTS else items
        else:
            out[key] = " ".join(given.split()) if key != "summary" else given.strip()
    for key, allowed in (("area", config.taxonomy.areas), ("category", config.taxonomy.categories)):
        if key in out and out[key] not in allowed:
            raise ValueError(f"{key} must be one of {', '.join(allowed)}")
    return out


def _write(store: Store, video_id: str, path: Path, text: str) -> None:
    """Write a post file, only inside the posts folder: ``post.json`` names the path, and a
    hand-changed one must not make the desk write anywhere else."""
    try:
        ensure_inside(path, store.posts_dir)
    except ArtifactError:
        raise ArtifactError(f"{video_id}: refusing to write {path}: it is outside the posts folder "
                            f"{store.posts_dir} (was post.json changed by hand?)", video_id=video_id) from None
    atomic_write_text(path, text)


def save(store: Store, video_id: str, form: dict[str, str], config: Config) -> Path:
    # Under the video's lock, as the write stage: neither replaces what the other just wrote.
    with store.video_lock(video_id):
        post = _require(store, video_id)
        body = form.get("body", post.body).replace("\r\n", "\n").replace("\r", "\n").strip("\n")
        _write(store, video_id, post.path, compose(edited_front_matter(post.front, form, config), body))
    return post.path


def approve(store: Store, video_id: str, config: Config) -> Path:
    """``draft: false``, changing nothing else in the file; then the copy into ``review.site_dir``."""
    with store.video_lock(video_id):
        post = _require(store, video_id)
        head, sep, rest = post.text[3:].partition("\n---")
        if _DRAFT_LINE.search(head):
            text = "---" + _DRAFT_LINE.sub("draft: false", head, count=1) + sep + rest
        else:
            text = compose(dict(post.front, draft=False), post.body)
        _write(store, video_id, post.path, text)
    if config.review.site_dir:
        site = Path(config.review.site_dir).expanduser()
        atomic_write_bytes(site / post.path.name, text.encode("utf-8"))
    return post.path


def candidate_text(post: PostFile, candidate: CandidateFile | dict[str, Any],
                   section_links_url: str | None = None) -> str:
    """The post as it would be with the candidate: one section replaced in the current text (the
    reviewer's other edits stay), or a new body with the new title, summary and tags."""
    if not isinstance(candidate, CandidateFile):
        candidate = CandidateFile.model_validate(candidate)
    if candidate.kind == "section":
        number, new = candidate.section, candidate.new
        if number is None or new is None:
            raise ValueError("the section candidate names no section")
        prelude, sections = split_sections(post.body)
        if not 1 <= number <= len(sections):
            raise ValueError(f"the post no longer has a section {number}")
        sections[number - 1] = (" ".join(sanitize_markdown(new.heading).split()), sanitize_markdown(new.body).strip())
        body = prelude + "\n\n".join(f"### {h}\n\n{b}" for h, b in sections)
        return compose(post.front, body)
    article = candidate.article
    if article is None:
        raise ValueError("the candidate holds no article")
    front = dict(post.front)
    for key in ("title", "summary"):
        if key in front:
            front[key] = sanitize_inline(getattr(article, key))
    if "tags" in front:
        front["tags"] = list(article.tags)  # slugs already: the article's model made them
    return compose(front, render_body([s.model_dump() for s in article.sections], section_links_url))


def accept(store: Store, video_id: str, candidate: CandidateFile | dict[str, Any], config: Config) -> Path:
    if not isinstance(candidate, CandidateFile):
        candidate = CandidateFile.model_validate(candidate)
    with store.video_lock(video_id):
        post = _require(store, video_id)
        source = canonical_source(store.load(video_id, MetadataFile))
        text = candidate_text(post, candidate, section_links_url(source, config))
        if post.edited and candidate.kind != "section":
            # A whole new article replaces the reviewer's text: keep their version beside it.
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            _write(store, video_id, post.path.with_name(f"{post.path.name}.bak-{stamp}"), post.text)
        _write(store, video_id, post.path, text)
        store.path(video_id, "candidate").unlink(missing_ok=True)
    return post.path
