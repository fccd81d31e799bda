"""What the desk's buttons do to a post, in process: save, approve, accept a candidate."""

from __future__ import annotations

import threading
from pathlib import Path

import frontmatter
import pytest

from pipeline.config import Config
from pipeline.errors import ArtifactError
from pipeline.review import posts
from pipeline.store import Store
from pipeline.post.write import locate_post
from tests.review_desk import built, out  # noqa: F401 - fixtures

BW = "bwRHIkYqYJo"
SOURCE = f"https://www.youtube.com/watch?v={BW}"


@pytest.fixture
def store(out: Path) -> Store:
    return Store(out)


def current(store: Store) -> posts.PostFile:
    post = posts.find_post(store, BW)
    assert post is not None
    return post


def test_save_writes_the_form_in_the_posts_shape_and_it_becomes_an_edit(store: Store) -> None:
    before = current(store)
    assert not before.edited
    form = {f"fm_{k}": (", ".join(v) if isinstance(v, list) else str(v)) for k, v in before.front.items()}
    form.update(fm_title="  审稿人的  标题 ", fm_tags="AI Chips, ai-chips, Nvidia", body="### 一\r\n\r\n正文。\r\n")
    posts.save(store, BW, form, Config(), before.version)
    after = current(store)
    assert after.front["title"] == "审稿人的 标题" and after.front["tags"] == ["ai-chips", "nvidia"]
    assert after.body == "### 一\n\n正文。" and after.front["draft"] is True
    assert list(after.front) == sorted(after.front)  # python-frontmatter's sorted keys, as the writer's
    located = locate_post(store, BW, SOURCE)
    assert located is not None and located.edited


def test_save_refuses_a_value_outside_the_taxonomy_and_changes_nothing(store: Store) -> None:
    before = current(store)
    with pytest.raises(ValueError, match="area must be one of"):
        posts.save(store, BW, {"fm_area": "astrology"}, Config(), before.version)
    assert current(store).text == before.text


def test_approve_changes_only_the_draft_line(store: Store) -> None:
    before = current(store)
    posts.approve(store, BW, Config(), before.version)
    assert current(store).text == before.text.replace("\ndraft: true\n", "\ndraft: false\n")


def test_accepting_a_whole_article_over_an_edited_post_keeps_the_edit_beside_it(store: Store) -> None:
    post = current(store)
    edited = post.text.replace("series: ''", "series: my-series")
    post.path.write_text(edited, encoding="utf-8")
    candidate = {"kind": "article", "state": "done", "instruction": "只写一节", "article": {
        "title": "新标题", "summary": "新摘要。", "tags": ["New Tag"],
        "sections": [{"heading": "新的一节", "body": "新的正文。", "start": 1.0, "end": 582.0}]}}
    posts.accept(store, BW, candidate, Config(), current(store).version)
    after = frontmatter.loads(current(store).text)
    assert after["title"] == "新标题" and after["tags"] == ["new-tag"] and after["series"] == "my-series"
    assert after.content == "### 新的一节\n\n新的正文。"
    backups = list(post.path.parent.glob(post.path.name + ".bak-*"))
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8") == edited


def test_a_section_candidate_for_a_section_the_post_no_longer_has_is_refused(store: Store) -> None:
    candidate = {"kind": "section", "section": 9, "state": "done", "new": {"heading": "x", "body": "y"},
                 "replaces": {"heading": "x", "body": "y"}}
    with pytest.raises(posts.UnusableCandidate, match="section 9 as it was regenerated .* no longer in the post"):
        posts.accept(store, BW, candidate, Config(), current(store).version)


def test_a_video_without_a_post_cannot_be_approved(store: Store) -> None:
    with pytest.raises(ArtifactError):
        posts.approve(store, "gogEJyoSB9s", Config(), "")


ARTICLE_CANDIDATE = {"kind": "article", "state": "done", "instruction": "只写一节", "article": {
    "title": "新标题", "summary": "新摘要。", "tags": ["new-tag"],
    "sections": [{"heading": "新的一节", "body": "新的正文。", "start": 1.0, "end": 582.0}]}}


@pytest.mark.parametrize("action", ["save", "approve", "accept"])
def test_a_post_path_outside_the_posts_folder_is_refused(store: Store, tmp_path: Path, action: str) -> None:
    outside = tmp_path / "home" / ".bashrc"
    outside.parent.mkdir()
    outside.write_text("---\ntitle: t\ndraft: true\n---\nalias ls='ls --color'\n", encoding="utf-8")
    before = outside.read_bytes()
    record = store.read(BW, "post")
    store.write(BW, "post", dict(record, path=str(outside)))  # post.json changed by hand
    version = current(store).version  # the page showed the file outside
    with pytest.raises(ArtifactError, match=f"{BW}: refusing to write .*outside the posts folder"):
        if action == "save":
            posts.save(store, BW, {"body": "pwned"}, Config(), version)
        elif action == "approve":
            posts.approve(store, BW, Config(), version)
        else:
            posts.accept(store, BW, ARTICLE_CANDIDATE, Config(), version)
    assert outside.read_bytes() == before
    assert list(outside.parent.iterdir()) == [outside]  # no backup beside it either


@pytest.mark.parametrize("action", ["save", "approve", "accept"])
def test_desk_writes_wait_for_the_videos_lock(store: Store, action: str) -> None:
    version = current(store).version
    calls = {"save": lambda: posts.save(store, BW, {"body": "### 一\n\n正文。"}, Config(), version),
             "approve": lambda: posts.approve(store, BW, Config(), version),
             "accept": lambda: posts.accept(store, BW, ARTICLE_CANDIDATE, Config(), version)}
    before = current(store).text
    done = threading.Event()
    with store.video_lock(BW):  # as the write stage holds it while it looks at and writes the post
        worker = threading.Thread(target=lambda: (calls[action](), done.set()))
        worker.start()
        assert not done.wait(0.5), "the desk wrote the post while the write stage held the video's lock"
        assert current(store).text == before
    worker.join(timeout=10)
    assert done.is_set() and current(store).text != before


def test_sections_that_share_a_heading_keep_their_own_times() -> None:
    """A long video's parts can give two sections one heading: the desk shows each its own
    stretch of the video (and regenerates each from it), not the last one's."""
    from pipeline.review.render import post_sections

    article = [{"heading": "第1节", "start": 2.0, "end": 320.0}, {"heading": "第2节", "start": 320.0, "end": 571.0},
               {"heading": "第1节", "start": 571.0, "end": 936.0}, {"heading": "总结", "start": 936.0, "end": 1200.0}]
    body = "### 第1节\n\na\n\n### 第2节\n\nb\n\n### 第1节\n\nc\n\n### 总结\n\nd"
    _, sections = post_sections(body, article, [])
    assert [(s.start, s.end) for s in sections] == [(2.0, 320.0), (320.0, 571.0), (571.0, 936.0), (936.0, 1200.0)]
    moved = "### 总结\n\nd\n\n### 第2节\n\nb"  # the reviewer deleted two and moved one: found by its heading
    _, sections = post_sections(moved, article, [])
    assert [(s.start, s.end) for s in sections] == [(936.0, 1200.0), (320.0, 571.0)]
