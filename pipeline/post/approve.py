"""Approving a post: its format's approved text at its format's approved place (Hexo and Jekyll
move a draft from their drafts folder to their posts folder), ``post.json`` following it, then
the copy into ``review.site_dir``. ``yt2post approve`` and the review desk's Approve both come
here.

An approved post is the reviewer's: its record keeps no hash of the pipeline's, so no run
writes over it (a moved post's bytes are still the pipeline's, and would otherwise be).
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.artifacts import PostRecord
from pipeline.config import Config
from pipeline.errors import ArtifactError
from pipeline.files import atomic_write_text, ensure_inside, storage_error
from pipeline.post.formats import PostFormat
from pipeline.post.index import post_name
from pipeline.post.write import read_post, record_approval
from pipeline.store import Store


def write_post_file(store: Store, video_id: str, path: Path, text: str) -> None:
    """Write a post file, only inside the posts folder."""
    atomic_write_text(_inside_posts(store, video_id, path), text)


def _inside_posts(store: Store, video_id: str, path: Path) -> Path:
    """``path``, known to be inside the posts folder: ``post.json`` names the path, and a
    hand-changed one must not make a write or a move land anywhere else."""
    try:
        return ensure_inside(path, store.posts_dir)
    except ArtifactError:
        raise ArtifactError(f"{video_id}: refusing to write {path}: it is outside the posts folder "
                            f"{store.posts_dir} (was post.json changed by hand?)", video_id=video_id) from None


def approve_post(store: Store, video_id: str, config: Config, path: Path, text: str, post_format: PostFormat) -> Path:
    """Approve the post at ``path`` (holding ``text``), written in ``post_format``; where it now
    is. The caller holds the video's lock."""
    name, approved = post_format.approve(post_name(store, _inside_posts(store, video_id, path)), text)
    target = _inside_posts(store, video_id, store.posts_dir / name)
    if approved != text:
        atomic_write_text(path, approved)
    record = store.load_optional(video_id, PostRecord) or PostRecord(format=post_format.name)
    # The draft itself at both names: a kill after the link below, the move to finish.
    linked = target != path and target.exists() and os.path.samefile(path, target)
    if target != path and not linked:
        if target.exists():
            raise ArtifactError(f"{video_id}: not approved: {store.relative(target)} is another post's name; "
                                f"rename one of them", video_id=video_id)
        try:
            # A link, then the draft's name removed: at every moment the post is in one place or
            # both, never lost, and never written over another file of that name.
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)
        except OSError as exc:
            raise storage_error(target, exc) from None
    record_approval(store, video_id, record, path, target)
    if config.review.site_dir:
        site = Path(config.review.site_dir).expanduser()
        atomic_write_text(ensure_inside(site / name, site), approved)
    return target


def approve(store: Store, video_id: str, config: Config) -> Path:
    """Approve a video's post as it is (``yt2post approve``); where it now is."""
    if store.has_video(video_id):  # else no lock: it would leave a folder, a video of nothing (an id's typo)
        with store.video_lock(video_id):
            found = read_post(store, video_id)
            if found is not None:
                return approve_post(store, video_id, config, found.path, found.text, found.format)
    raise ArtifactError(f"{video_id}: this video has no post yet", video_id=video_id)
