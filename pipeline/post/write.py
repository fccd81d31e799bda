"""Stage 3, write: ``article.json`` and ``metadata.json`` in, a Markdown draft out, in the shape
of the configured post format (``pipeline.post.formats``; Eleventy's is exactly the site's real
posts, ``tests/fixtures/seed-post.md``), the body as ``### heading`` sections.

A post a reviewer has touched is never overwritten: ``post.json`` keeps the hash of what the
pipeline wrote, and a post whose bytes differ is left alone, with the regenerated version put
beside it under a name the site generator does not pick up (``PostFormat.beside``).
"""

from __future__ import annotations

import itertools
import re
from urllib.parse import urlsplit
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from pipeline.llm.chunking import format_timestamp
from pipeline.config import Config
from pipeline.errors import ArtifactError, WriteError
from pipeline.post.faithfulness import find_flags
from pipeline.post.index import approval_left_linked, find_post_by_source, front_matter_source, post_name, post_written
from pipeline.artifacts import ArticleContent, ArticleFile, FlagsFile, MetadataFile, PostRecord, TranscriptFile, read_only
from pipeline.shapes import Metadata, StageResult
from pipeline.post.formats import DEFAULT_FORMAT, PostContent, PostFormat, PostText, get_format
from pipeline.post.formats.base import layout_of
from pipeline.post.links import safe_video_url
from pipeline.sanitize import sanitize_inline, sanitize_markdown
from pipeline.language import DEFAULT_LANGUAGE, language, readers_script, source_language
from pipeline.slugs import is_latin, post_slug
from pipeline.sites import canonical_page
from pipeline.files import atomic_write_bytes, atomic_write_text, create_new_text, ensure_inside
from pipeline.store import Store, content_hash, fingerprint, now_iso, sha256_bytes

WRITER_VERSION = "write/1"
REGENERATED = "regenerated"  # the kind of file beside a post (``x.md.regenerated`` for Eleventy: ``PostFormat.beside``)
_YYYYMMDD = re.compile(r"[0-9]{8}")
_ATTRIBUTE_ENDS = re.compile(r"[\s\"'<>`]")


def canonical_source(meta: Metadata) -> str:
    """The video's one URL, its post's ``source``: the site's canonical URL, else its page; a
    page that is no web address or file (``javascript:`` from a hostile info.json: themes put
    ``source`` in an ``href``) gives way to the video's id, as a missing one does. Quotes,
    angle brackets, backticks and spaces, which no URL holds as they are and which end an
    attribute (Hexo's and Jekyll's templates print it unescaped), are percent-encoded."""
    page = canonical_page(meta.id, meta.webpage_url or meta.id)
    if ":" in page and urlsplit(page).scheme.lower() not in ("http", "https", "file"):
        page = meta.id
    return sanitize_inline(_ATTRIBUTE_ENDS.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode()), page))


def iso_date(upload_date: str) -> str:
    """``YYYYMMDD`` (a real day) as ``YYYY-MM-DD``; anything else is unknown (""): the date goes
    into a file name, so it must never carry a path."""
    if not _YYYYMMDD.fullmatch(upload_date or ""):
        return ""
    try:
        return datetime.strptime(upload_date, "%Y%m%d").strftime("%Y-%m-%d")
    except ValueError:
        return ""


def post_date(meta: Metadata) -> tuple[str, list[str]]:
    """The post's date (upload date, else release date) and warnings about unusable ones."""
    warnings = []
    for key in ("upload_date", "release_date"):
        raw = getattr(meta, key, "") or ""
        date = iso_date(raw)
        if date:
            return date, warnings
        if raw:
            warnings.append(f"{key} {raw[:40]!r} is not a date as YYYYMMDD; treated as unknown")
    return "", warnings


def render_body(sections: list[dict[str, Any]], video_url: str | None = None) -> str:
    """``video_url`` (``post.section_links``): a link to each section's start under its heading."""
    blocks = []
    for section in sections:
        heading = " ".join(sanitize_markdown(section["heading"]).split())
        body = sanitize_markdown(section["body"]).strip()
        start = section.get("start")
        link = safe_video_url(video_url, start) if video_url and isinstance(start, (int, float)) else None
        if link:
            body = f"[▶ {format_timestamp(start)}]({link})\n\n{body}"
        blocks.append(f"### {heading}\n\n{body}")
    return "\n\n".join(blocks)


def post_content(article: ArticleContent | dict[str, Any], meta: Metadata, config: Config,
                 slug: str | None = None) -> PostContent:
    """What the post says, whatever its format: metadata facts and the article, made safe. The
    article is cleaned by its model (``pipeline/artifacts.py``); here it is only made safe.
    ``slug``: the one its file is named by (``slug_at``), else its title's."""
    if not isinstance(article, ArticleContent):
        article = ArticleContent.model_validate(article)
    source = canonical_source(meta)
    return PostContent(
        slug=post_slug(slug_title(meta, config, article.title), meta.id) if slug is None else slug, written=getattr(article, "created_at", None) or "",
        title=sanitize_inline(article.title), summary=sanitize_inline(article.summary), date=post_date(meta)[0],
        source=source, speaker=sanitize_inline(meta.channel or meta.uploader), tags=list(article.tags),
        area=sanitize_inline(article.area), category=sanitize_inline(article.category),
        companies_orgs=list(article.companies_orgs), products_models=list(article.products_models),
        # The feed's guests (podcast:person) where it names them, else whom the article names.
        guest=sanitize_inline(", ".join(meta.guests) or article.guest), insight=sanitize_inline(article.insight),
        body=render_body([s.model_dump() for s in article.sections], section_links_url(source, config)))


@dataclass
class BuiltPost:
    """A post as the write stage builds it: its front matter (``--set`` values applied), its
    body, and the format that gives its file's text."""

    front: dict[str, Any]
    body: str
    format: PostFormat
    warnings: list[str]  # about its text (the zh-Hant guard's)

    @property
    def text(self) -> str:
        return self.format.dumps(self.front, self.body)


def build_post(article: ArticleContent | dict[str, Any], meta: Metadata, config: Config,
               overrides: dict[str, Any] | None = None, slug: str | None = None) -> BuiltPost:
    """Assemble the post in the configured format: its fields, config defaults, then ``--set`` values."""
    post_format = get_format(config.post.format)
    article, meta, warnings = _in_readers_script(article, meta, config)
    content = post_content(article, meta, config, slug)
    return BuiltPost({**post_format.front_matter(content, config), **(overrides or {})}, content.body, post_format,
                     warnings)



def _in_readers_script(article: ArticleContent | dict[str, Any], meta: Metadata,
                       config: Config) -> tuple[ArticleContent, Metadata, list[str]]:
    """The article and the speaker's names in the reader's script: an article written for other
    readers too (the model's answers already passed it in the summarize stage). Only what the
    post says, before its addresses join it: a page's URL or the file's slug converted would be
    another page's."""
    if not isinstance(article, ArticleContent):
        article = ArticleContent.model_validate(article)
    names = ("channel", "uploader", "guests")
    said, warnings = readers_script({"article": article.model_dump(include=set(ArticleContent.model_fields)),
                                     "meta": {name: getattr(meta, name) for name in names}},
                                    language(config.post.language))
    if not warnings:
        return article, meta, []
    converted = ArticleContent.model_validate(said["article"])
    return (article.model_copy(update={name: getattr(converted, name) for name in ArticleContent.model_fields}),
            meta.model_copy(update=said["meta"]), warnings)


def section_links_url(source: str, config: Config) -> str | None:
    """The video URL each section's heading links its start to (``post.section_links``), if on."""
    return safe_video_url(source) if config.post.section_links else None


def post_file_name(meta: Metadata, config: Config | None = None, article_title: str = "") -> str:
    """A new post's file name in the posts folder, as the configured format names it, after
    the title ``slug_title`` chooses."""
    config = config or Config()
    post_format = get_format(config.post.format)
    return post_format.file_name(post_date(meta)[0], post_slug(slug_title(meta, config, article_title), meta.id), meta.id)


def slug_title(meta: Metadata, config: Config, article_title: str) -> str:
    """The title a post's file is named after: the video's (a Chinese one in pinyin), except
    for readers of a Latin-script language (``post.language: en``) of a video titled in another
    script, whose post is named after its own title, in their language (``ai-deal-boom``, not
    ``ren-gong-zhi-neng``); and the article's too for a video title that gives no slug at all
    (Japanese, Korean, Russian: a Chinese article's title in pinyin, never only the id)."""
    if article_title and language(config.post.language).latin and not is_latin(meta.title):
        return article_title
    if article_title and not post_slug(meta.title, meta.id):
        return article_title
    return meta.title


@dataclass
class ExistingPost:
    path: Path
    edited: bool
    # A draft someone moved to the generator's place for published posts (``git mv`` into
    # Jekyll's ``_posts/``): approved by hand, the reviewer's, though its bytes be the pipeline's.
    approved_by_hand: bool = False

    def recorded(self, store: Store) -> dict[str, Any]:
        """What ``post.json`` records of where the post is: its path, and no hash of the
        pipeline's for a post approved by hand (as ``yt2post approve`` drops it)."""
        forget = {"sha256": None, "pending_sha256": None} if self.approved_by_hand else {}
        return {"path": store.relative(self.path), **forget}


def locate_post(store: Store, video_id: str, source: str, record: PostRecord | None = None) -> ExistingPost | None:
    record = record or store.load_optional(video_id, PostRecord) or PostRecord()
    recorded = store.resolve(record.path) if record.path else None
    path = recorded if recorded is not None and recorded.is_file() else \
        find_post_by_source(store.posts_dir, source, get_format(record.format))
    if path is None:
        return None
    data = path.read_bytes()
    if record.reviewers(path, data):
        return ExistingPost(path, edited=True)
    moved = recorded is not None and path != recorded and \
        not get_format(record.format).is_draft(post_name(store, path), data.decode("utf-8", "replace"))
    return ExistingPost(path, edited=moved, approved_by_hand=moved)


def record_approval(store: Store, video_id: str, record: PostRecord, draft: Path, published: Path) -> PostRecord:
    """Record the post approved at ``published``; when approving moved it from ``draft`` (linked
    at both names), the draft's name goes first: a kill before the record then leaves a draft
    moved to its published place, which every command takes for approved (by hand), and no
    second name of the post behind."""
    if published != draft:
        draft.unlink()
        post_written(store.posts_dir, published, record.source or canonical_source(store.load(video_id, MetadataFile)))
    record = record.model_copy(update={"path": store.relative(published), "sha256": None, "pending_sha256": None})
    store.save(video_id, record)
    return record


def finish_interrupted_approval(store: Store, video_id: str, record: PostRecord) -> PostRecord:
    """The approval a kill interrupted after linking the post at its published place finished
    (a rerun would otherwise take the post for a draft and write a new one beside the published
    copy). The caller holds the video's lock."""
    recorded = store.resolve(record.path) if record.path else None
    published = approval_left_linked(store, recorded, get_format(record.format)) if recorded else None
    return record_approval(store, video_id, record, recorded, published) if published else record


@dataclass
class ReadPost:
    """A video's post as read from its file, by the format that wrote it."""

    path: Path
    data: bytes
    text: str
    post: PostText
    format: PostFormat
    edited: bool


def read_post(store: Store, video_id: str) -> ReadPost | None:
    """The video's post (None when it has none yet); ArtifactError when it cannot be read."""
    meta = store.load_optional(video_id, MetadataFile)
    if meta is None:
        return None
    record = store.load_optional(video_id, PostRecord) or PostRecord()
    existing = locate_post(store, video_id, canonical_source(meta), record)
    if existing is None:
        return None
    post_format = get_format(record.format)
    try:
        data = existing.path.read_bytes()
        text = data.decode("utf-8")
        post = post_format.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ArtifactError(f"{video_id}: the post {existing.path.name} cannot be read: {exc}".splitlines()[0],
                            video_id=video_id) from None
    return ReadPost(existing.path, data, text, post, post_format, existing.edited)


def _post_names(store: Store, meta: Metadata, config: Config, article_title: str) -> Iterator[Path]:
    """The names a new post may take, in order: its date and title, then with its id (another
    video of the same date and title has the first), then numbered."""
    preferred = store.posts_dir / post_file_name(meta, config, article_title)
    yield preferred
    yield preferred.with_name(f"{preferred.stem}-{meta.id}.md")
    for number in itertools.count(2):
        yield preferred.with_name(f"{preferred.stem}-{meta.id}-{number}.md")


def _free_path(store: Store, meta: Metadata, source: str, config: Config, article_title: str,
               text_at: Callable[[Path], str]) -> Path:
    """The first name that is free or holds a post of this source (found in place)."""
    return next(path for path in _post_names(store, meta, config, article_title)
                if not _taken(store, path, text_at, config)
                or path.exists() and front_matter_source(path, get_format(config.post.format)) == source)


def _taken(store: Store, path: Path, text_at: Callable[[Path], str], config: Config) -> bool:
    """Whether a new draft may not be named ``path``: a file has the name, or its approval
    would move it onto another post's (a Hexo or Jekyll post published under that name)."""
    if path.exists():
        return True
    published = store.posts_dir / get_format(config.post.format).approve(post_name(store, path), text_at(path))[0]
    return published != path and published.exists()


def slug_at(meta: Metadata, config: Config, article_title: str, path: Path) -> str:
    """The slug of the post whose file is ``path``: the title's, with what a taken name added
    (``-<id>``, ``-<id>-2``: Hugo takes a page's URL from its ``slug``, so two videos of one
    title must not share one)."""
    slug = post_slug(slug_title(meta, config, article_title), meta.id)
    preferred = Path(post_file_name(meta, config, article_title)).stem
    if path.stem == preferred or not path.stem.startswith(preferred):
        return slug
    return (slug or meta.id) + path.stem[len(preferred):]  # a name without a slug is the id's


def _create_post(store: Store, video_id: str, meta: Metadata, record: PostRecord,
                 text_at: Callable[[Path], str], config: Config, article_title: str) -> Path:
    """Write a new post (its text for a name: ``text_at``) under the first free name, choosing
    it and creating the file in one step: another worker's post of the same date and title may
    take a name between our look and our write. Its record comes first: a kill before the post
    is in place leaves a record of a post that is not there, and the next run writes it afresh."""
    for path in _post_names(store, meta, config, article_title):
        if _taken(store, path, text_at, config):
            continue
        ensure_inside(path, store.posts_dir)
        text = text_at(path)
        store.save(video_id, record.model_copy(update={"path": store.relative(path),
                                                       "sha256": sha256_bytes(text.encode("utf-8"))}))
        try:
            create_new_text(path, text)
        except FileExistsError:
            continue  # taken since we looked
        return path
    raise AssertionError("unreachable: the names go on")


def write_fingerprint(article: dict[str, Any], meta_raw: dict[str, Any], config: Config,
                      overrides: dict[str, Any] | None) -> str:
    return fingerprint(
        WRITER_VERSION,
        # The article's own fingerprint too: a redone summary is always rewritten, even when
        # the model happened to answer the same.
        article.get("fingerprint"),
        content_hash(article),
        {k: meta_raw.get(k) for k in ("id", "title", "channel", "uploader", "upload_date", "webpage_url")},
        # The layout as the format resolves it: an unset one is the format's own.
        {**config.front_matter.model_dump(), "layout": layout_of(get_format(config.post.format), config)},
        overrides or {},
        # Only when on (another format), so that adding the setting did not rewrite every existing post.
        *([{"section_links": True}] if config.post.section_links else []),
        *([{"format": config.post.format}] if config.post.format != DEFAULT_FORMAT else []),
        *([{"language": config.post.language}] if config.post.language != DEFAULT_LANGUAGE else []),
        # Only when there is one, so that adding the field did not make every post look changed.
        *([{"release_date": meta_raw["release_date"]}] if meta_raw.get("release_date") else []),
    )


def record_flags(video_id: str, article: ArticleFile, meta: MetadataFile, config: Config, store: Store,
                 stamp: str) -> None:
    """The reviewer's checklist (``flags.json``): numbers and names the transcript does not support."""
    transcript = store.load_optional(video_id, TranscriptFile)
    text = "\n".join(p.text for p in transcript.paragraphs) if transcript is not None else ""
    flags = find_flags(article.model_dump(), text, meta.model_dump(), config.glossary,
                       language(config.post.language), source_language(transcript.language) if transcript else None)
    store.save(video_id, FlagsFile.model_validate({"flags": flags, "fingerprint": stamp, "created_at": now_iso()}))


def _published_place(store: Store, post_format: PostFormat, path: Path, text: str, meta: Metadata, config: Config,
                     article_title: str) -> bool:
    """Whether ``text`` written at ``path`` would be published though it is a draft's: the
    format's drafts are a place (Hexo's, Jekyll's), and ``path`` is in its posts folder."""
    fresh = post_file_name(meta, config, article_title)
    return post_format.is_draft(fresh, text) and not post_format.is_draft(post_name(store, path), text)


def write(video_id: str, config: Config, store: Store, *, force: bool = False, overwrite_edited: bool = False,
          overrides: dict[str, Any] | None = None) -> StageResult:
    """Write the draft post for one video; never overwrite a reviewer's edits unless asked."""
    # Under the video's lock: a save in the review desk between our look at the post and our
    # write would otherwise be replaced.
    with store.video_lock(video_id):
        return _write(video_id, config, store, force=force, overwrite_edited=overwrite_edited, overrides=overrides)


def _write(video_id: str, config: Config, store: Store, *, force: bool, overwrite_edited: bool,
           overrides: dict[str, Any] | None) -> StageResult:
    article = store.load(video_id, ArticleFile)
    meta = store.load(video_id, MetadataFile)
    expected = write_fingerprint(article.stored(), meta.stored(), config, overrides)
    source = canonical_source(meta)
    post_format = get_format(config.post.format)
    record = finish_interrupted_approval(store, video_id, store.load_optional(video_id, PostRecord) or PostRecord())
    existing = locate_post(store, video_id, source, record)

    def built_at(path: Path) -> BuiltPost:
        """The post as the file ``path`` (its slug is the file's)."""
        try:
            return build_post(article, meta, config, overrides, slug_at(meta, config, article.title, path))
        except (KeyError, TypeError, ValueError, yaml.YAMLError) as exc:
            raise WriteError(f"{video_id}: cannot build the post from article.json: {exc}", video_id=video_id) from None

    def text_at(path: Path) -> str:
        return built_at(path).text

    target = existing.path if existing is not None else _free_path(store, meta, source, config, article.title, text_at)
    if existing is None and target.is_file() and front_matter_source(target, post_format) == source:
        # A post at our name that the lookup did not know (its source line edited in place a
        # moment ago): like any post found, the pipeline's only if its hash says so. Another
        # video's post that took the name since we looked is not ours: a free name is taken below.
        existing = ExistingPost(target, edited=record.reviewers(target, target.read_bytes()))

    if existing is not None and not force and not overwrite_edited and record.fingerprint == expected:
        if store.relative(existing.path) != record.path:
            store.save(video_id, record.model_copy(update=existing.recorded(store)))
        note = " (edited by a reviewer)" if existing.edited else ""
        return StageResult(video_id, "write", "skipped", detail=f"{existing.path}{note}")

    built = built_at(target)
    text = built.text

    record_flags(video_id, article, meta, config, store, expected)
    warnings = post_date(meta)[1] + built.warnings
    warned = "".join(f"; warning: {w}" for w in warnings)
    if existing is not None and existing.edited and not read_only(existing.path) \
            and existing.path.read_bytes() == text.encode("utf-8") \
            and post_format.is_draft(post_name(store, existing.path), text):
        # Ours, its record lost to a kill. Not an approved post, though its bytes be ours (a
        # Hexo or Jekyll draft moved as it was): approval made it the reviewer's.
        existing = ExistingPost(existing.path, edited=False)
    if existing is not None and existing.edited and not overwrite_edited:
        beside = ensure_inside(existing.path.with_name(post_format.beside(existing.path.name, REGENERATED)),
                               store.posts_dir)
        atomic_write_text(beside, text)
        store.save(video_id, record.model_copy(update={**existing.recorded(store), "edited": True,
                                                       "regenerated": store.relative(beside), "warnings": warnings}))
        return StageResult(video_id, "write", "kept",
                           detail=f"{existing.path} was edited by a reviewer and left untouched; "
                                  f"the regenerated post is at {beside}{warned}")

    detail = ""
    if existing is not None and existing.edited:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        backup = ensure_inside(target.with_name(post_format.beside(target.name, f"bak-{stamp}")), store.posts_dir)
        atomic_write_bytes(backup, target.read_bytes())  # whole, and a full disk is typed
        detail = f"; the reviewer's version was saved as {backup}"
    if existing is not None and _published_place(store, post_format, target, text, meta, config, article.title):
        # A published Hexo or Jekyll post written over: its new text is unreviewed, a draft again
        # as ``draft: true`` makes the others', so it goes to the drafts folder. The published
        # file goes first (its bytes are in the backup): no unreviewed text is ever live.
        target.unlink()
        target.with_name(post_format.beside(target.name, REGENERATED)).unlink(missing_ok=True)
        existing = None
        detail += "; it is a draft again (approve it to publish it)"
    ensure_inside(target, store.posts_dir)
    digest = sha256_bytes(text.encode("utf-8"))
    written = PostRecord(path=store.relative(target), source=source, sha256=digest, fingerprint=expected,
                         written_at=now_iso(), warnings=warnings, format=config.post.format)
    if existing is None:
        target = _create_post(store, video_id, meta, written, text_at, config, article.title)
    else:
        # The hash is recorded before the rename: a kill between the two leaves a post the next
        # run knows as its own, not one it would take for a reviewer's edit forever.
        store.save(video_id, record.model_copy(update={"pending_sha256": digest}))
        atomic_write_text(target, text)
        store.save(video_id, written)
    post_written(store.posts_dir, target, source)
    target.with_name(post_format.beside(target.name, REGENERATED)).unlink(missing_ok=True)
    return StageResult(video_id, "write", "done", detail=f"{target}{detail}{warned}")
