"""A caption track downloaded online is read as the same file is offline: in whatever encoding
the site serves it (charset detection, as for a file beside an info.json), and never more of it
than ``max_input_mb``. The downloads go through yt-dlp's own opener, answered from 127.0.0.1's
stand-in (``tests/recorded_sites.py``)."""

from __future__ import annotations

from pipeline.config import Config
from pipeline.shapes import Metadata
from pipeline.sites import get_site
from pipeline.words.transcripts import from_subtitle_file, from_subtitle_tracks
from tests.conftest import FIXTURES
from tests.recorded_sites import RecordedSites, recorded_sites

# Real Simplified-Chinese captions in GB18030, the encoding of Chinese subtitle sites
# (``tests/fixtures/captions/PROVENANCE.md``).
GB18030 = FIXTURES / "captions" / "3b1b-clacks.zh-Hans.gb18030.srt"
TRACK = "https://vimeo.example/texttrack/1.srt"


def _meta() -> Metadata:
    return Metadata(id="76979871", title="Clacks", language="zh",
                    subtitles={"zh": [{"ext": "srt", "url": TRACK}]})


def test_a_downloaded_track_in_another_encoding_reads_as_the_file_does_offline() -> None:
    config = Config()
    session = get_site("vimeo").session(config)
    routes = {"vimeo.example/texttrack/1.srt": (200, GB18030.read_bytes(), "text/plain")}
    problems: list[str] = []
    with recorded_sites(RecordedSites(routes=routes)):
        online = from_subtitle_tracks(_meta(), config, online=True, download=session.download_subtitle,
                                      problems=problems)
    assert problems == []
    assert online is not None
    offline = from_subtitle_file(GB18030, _meta(), config)  # the same file, read from disk
    assert "方块" in online.text()  # words of the file, decoded
    assert [p.text for p in online.paragraphs] == [p.text for p in offline.paragraphs]


def test_a_downloaded_track_over_max_input_mb_is_refused_in_one_line() -> None:
    config = Config(max_input_mb=0.001)  # 1,000 bytes; the file has 5,489
    session = get_site("vimeo").session(config)
    routes = {"vimeo.example/texttrack/1.srt": (200, GB18030.read_bytes(), "text/plain")}
    problems: list[str] = []
    with recorded_sites(RecordedSites(routes=routes)):
        assert from_subtitle_tracks(_meta(), config, online=True, download=session.download_subtitle,
                                    problems=problems) is None
    assert len(problems) == 1 and "over max_input_mb (0.001 MB)" in problems[0] and "\n" not in problems[0]


def test_a_site_whose_only_captions_are_dfxp_gives_their_words_online() -> None:
    """yt-dlp's extractors list captions in more formats than YouTube's (CBS News, Kaltura and
    thePlatform's sites give ``dfxp``, TTML by another name): every one the caption code reads."""
    from pipeline.sites.ytdlp import metadata_from_info

    ttml = FIXTURES / "captions" / "pysubs2-ttml-example.en.ttml"  # a real TTML file (PROVENANCE.md)
    info = {"id": "76979871", "title": "A talk", "extractor_key": "Vimeo", "webpage_url": "https://vimeo.com/76979871",
            "subtitles": {"en": [{"ext": "dfxp", "url": "https://vimeo.example/texttrack/1.dfxp"}]}}
    meta = metadata_from_info(info, origin="yt-dlp")
    config = Config()
    session = get_site("vimeo").session(config)
    routes = {"vimeo.example/texttrack/1.dfxp": (200, ttml.read_bytes(), "application/ttaf+xml")}
    problems: list[str] = []
    with recorded_sites(RecordedSites(routes=routes)):
        transcript = from_subtitle_tracks(meta, config, online=True, download=session.download_subtitle,
                                          problems=problems)
    assert problems == [] and transcript is not None
    assert transcript.track == "en.dfxp" and transcript.text().strip()
