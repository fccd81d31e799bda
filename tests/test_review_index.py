"""The desk's index: rows follow changes made anywhere (the pipeline, an editor, the desk)."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from pipeline.review.index import CACHE_NAME, DeskIndex
from pipeline.store import Store
from tests.review_desk import built, out  # noqa: F401 - fixtures

BW, MV, FAILED = "bwRHIkYqYJo", "JjQDik3yNhA", "gogEJyoSB9s"


def states(index: DeskIndex) -> dict[str, str]:
    return {row.video_id: row.state for row in index.query().rows}


def test_rows_describe_each_video(out: Path) -> None:
    index = DeskIndex(Store(out))
    page = index.query()
    assert [r.video_id for r in page.rows] == [MV, BW, FAILED]
    bw = next(r for r in page.rows if r.video_id == BW)
    assert (bw.title, bw.channel, bw.date, bw.state) == ("Trying to Wheelie Without the Rear Brake",
                                                         "TheUselessTrials", "2021-07-20", "draft")
    assert bw.post_title == Store(out).read(BW, "article")["title"]
    assert [r.video_id for r in index.query(search=bw.post_title).rows] == [MV, BW]  # the fake model's one title
    assert bw.flags == len(Store(out).read(BW, "flags")["flags"]) and bw.cost_usd and bw.cost_usd > 0
    failed = next(r for r in page.rows if r.video_id == FAILED)
    assert failed.state == "failed" and failed.cause == "no_transcript" and FAILED in failed.error
    assert page.counts["draft"] == 2 and page.counts["failed"] == 1


def test_a_post_edited_in_a_text_editor_shows_as_edited(out: Path) -> None:
    index = DeskIndex(Store(out))
    assert states(index)[BW] == "draft"
    store = Store(out)
    path = store.resolve(store.read(BW, "post")["path"])
    path.write_text(path.read_text(encoding="utf-8") + "\n一句话。\n", encoding="utf-8")
    assert states(index)[BW] == "edited"
    path.write_text(path.read_text(encoding="utf-8").replace("draft: true", "draft: false"), encoding="utf-8")
    assert states(index)[BW] == "approved"


def test_status_changes_and_removed_videos_are_seen(out: Path) -> None:
    index = DeskIndex(Store(out))
    index.query()
    Store(out).update_status(MV, ignored=True)
    assert states(index)[MV] == "ignored"
    shutil.rmtree(out / "videos" / FAILED)
    assert FAILED not in states(index)


def test_filters_search_and_pages(out: Path) -> None:
    index = DeskIndex(Store(out))
    assert [r.video_id for r in index.query(state="failed").rows] == [FAILED]
    assert [r.video_id for r in index.query(search="MENTAL outlaw").rows] == [MV]
    assert [r.video_id for r in index.query(search="wheelie", state="failed").rows] == []
    pages = [index.query(page=n, per_page=2) for n in (1, 2, 3)]
    assert [len(p.rows) for p in pages] == [2, 1, 1] and pages[0].pages == 2 and pages[2].page == 2


def test_the_cache_is_used_and_a_stale_or_broken_one_is_rebuilt(out: Path) -> None:
    # Files changed in the last two seconds are always read again: make these older.
    past = time.time() - 60
    for path in [*out.rglob("*"), *(out / "videos").iterdir()]:
        os.utime(path, (past, past))
    DeskIndex(Store(out)).refresh()
    cache = out / CACHE_NAME
    data = json.loads(cache.read_text(encoding="utf-8"))
    assert {r["video_id"] for r in data["rows"]} == {BW, MV, FAILED}
    # A row whose signature still matches is taken from the cache without reading the video.
    for row in data["rows"]:
        if row["video_id"] == BW:
            row["title"] = "from the cache"
    cache.write_text(json.dumps(data), encoding="utf-8")
    cached = DeskIndex(Store(out)).row(BW)
    assert cached is not None and cached.title == "from the cache"
    cache.write_text("{not json", encoding="utf-8")
    rebuilt = DeskIndex(Store(out)).row(BW)
    assert rebuilt is not None and rebuilt.title == "Trying to Wheelie Without the Rear Brake"


def test_a_cache_that_cannot_be_saved_still_lists_every_video(out: Path) -> None:
    # The cache's name taken by a folder: its write fails as on a read-only or full disk (a
    # chmod would not do: the tests may run as root).
    (out / CACHE_NAME).mkdir()
    index = DeskIndex(Store(out))
    assert [r.video_id for r in index.query().rows] == [MV, BW, FAILED]
    assert index.row(BW) is not None and len(index.query().rows) == 3


class _PageOpenedMeanwhile(DeskIndex):
    """A video page (``row``) answered by another thread right after the list's refresh."""

    def refresh(self):  # type: ignore[no-untyped-def]
        order = super().refresh()
        self.forget(BW)
        self.row(BW)
        return order


def test_a_video_page_opened_meanwhile_does_not_empty_the_list(out: Path) -> None:
    index = _PageOpenedMeanwhile(Store(out))
    for _ in range(2):
        page = index.query()
        assert [r.video_id for r in page.rows] == [MV, BW, FAILED] and sum(page.counts.values()) == 3
