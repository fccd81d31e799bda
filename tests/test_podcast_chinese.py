"""A podcast's own transcript follows ``transcript.convert_chinese`` as every other way to words
does (caption tracks, ``--subtitles``, youtube-transcript-api, speech recognition): a
Traditional-Chinese transcript in a feed is converted to Simplified before summarizing when
the setting says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.podcast_show import Show, server  # noqa: F401 - fixture
from tests.podcastserver import PodcastServer
from tests.conftest import FIXTURES

# Real Traditional-Chinese (Taiwan) captions in Big5 (tests/fixtures/captions/PROVENANCE.md),
# served as an episode's SRT transcript.
TRADITIONAL = FIXTURES / "captions" / "3b1b-hardest-problem.zh-Hant.big5.srt"


@pytest.fixture
def show(server: PodcastServer) -> Show:
    show = Show(server)
    url = server.url("/mn/transcripts/0.srt")
    show.edit(0, "</item>", f'<podcast:transcript url="{url}" type="application/x-subrip" language="zh-TW"/>\n'
                           "    </item>")
    server.serve("/mn/transcripts/0.srt", TRADITIONAL.read_bytes())
    return show


def test_a_traditional_chinese_podcast_transcript_follows_convert_chinese(cli, show: Show, tmp_path: Path) -> None:
    (tmp_path / "zh.yaml").write_text("transcript:\n  convert_chinese: zh-Hans\n", encoding="utf-8")
    result = cli("fetch", show.serve(), "--limit", "1", "--config", "zh.yaml")
    assert result.code == 0, result.stderr
    [folder] = (tmp_path / "output" / "videos").iterdir()
    transcript = json.loads((folder / "transcript.json").read_text(encoding="utf-8"))
    assert transcript["source"] == "podcast-transcript"
    text = " ".join(paragraph["text"] for paragraph in transcript["paragraphs"])
    assert "這" not in text and "这" in text
    assert transcript["language"] == "zh-Hans"
    assert "converted from zh-TW to zh-Hans with OpenCC" in transcript["notes"]
