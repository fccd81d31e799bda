"""A multi-part video (分P) reached without a part (its bare id, or as an entry of a collection,
whose listing cannot tell its parts) is not drafted as if its first part were the whole video:
it fails in one line saying to give its URL, which lists each part as a video of its own (the
recorded answers of ``tests/test_bilibili_site.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.recorded_sites import RecordedSites, recorded_sites
from tests.test_bilibili_site import COLLECTION_URL, MULTI, _collection, logged_in, video_routes

WAY_OUT = "https://www.bilibili.com/video/BV17x411w7KC"


def _routes() -> dict[str, Any]:
    view = MULTI["View"]
    routes = video_routes(view, subtitle="rider-day001.ai-zh.json", card=MULTI["Card"]["card"])
    archive = {key: view[key] for key in ("bvid", "aid", "title", "pubdate", "duration")}
    routes["api.bilibili.com/x/polymer/web-space/seasons_archives_list"] = _collection([archive])
    routes["space.bilibili.com/37737161"] = (200, b"<html><head><title></title></head></html>", "text/html")
    return routes


@pytest.mark.parametrize("source", ["BV17x411w7KC", COLLECTION_URL])
def test_a_multi_part_video_without_its_part_fails_saying_to_give_its_url(cli, tmp_path: Path, source: str) -> None:
    logged_in(tmp_path)
    with recorded_sites(RecordedSites(routes=_routes())):
        result = cli("run", source)
    assert result.code == 1, result
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "bilibili-BV17x411w7KC: a multi-part video" in errors[0] and WAY_OUT in errors[0]
    assert not list((tmp_path / "output" / "posts").glob("*.md"))
