"""A SOURCE's own credentials (a private podcast feed's password or token in its URL) are in no
message from the start of a run, before the feed is read: a message about the source itself
(its watch record's, which names it) masks them as the feed's own messages do."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.watch import record_path

PASSWORD = "hunter2secret"
TOKEN = "Zx81abcdEFGH1234ijkl"


@pytest.mark.parametrize("url", [
    f"https://listener:{PASSWORD}@feeds.example.invalid/private/feed.xml",
    f"https://www.patreon.example.invalid/rss/show?auth={TOKEN}",
])
def test_a_damaged_watch_record_of_a_private_feed_names_it_without_its_credential(cli, tmp_path: Path,
                                                                                  url: str) -> None:
    path = record_path(tmp_path / "output", url)
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    result = cli("run", url, "--new")
    assert result.code != 0 and "is not valid JSON" in result.stderr, result
    assert PASSWORD not in result.stdout + result.stderr and TOKEN not in result.stdout + result.stderr
