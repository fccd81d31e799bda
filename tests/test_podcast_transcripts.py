"""Publisher transcripts: speakers and timing, the best one chosen, and the fall-back when one
fails. That every type keeps all of its words and turns of speakers is the caption benchmark's
(``benchmarks/captions.py``, ``PODCAST_CORPUS``; asserted in ``tests/test_caption_fidelity.py``)."""

from __future__ import annotations

import re

import pytest

from pipeline.errors import NoTranscript
from pipeline.shapes import Transcript
from pipeline.sites.podcast.feed import TranscriptLink, fetch_chapters, parse_feed
from pipeline.sites.podcast.fetching import fetch
from pipeline.sites.podcast.transcripts import TranscriptReadError, choose, fetch_transcript, read_best, read_transcript
from tests.podcastserver import FIXTURES, PodcastServer

TRANSCRIPTS = FIXTURES / "transcripts"
def read(name: str, kind: str) -> Transcript:
    return read_transcript((TRANSCRIPTS / name).read_bytes(), TranscriptLink(url=f"https://x.example/{name}", type=kind),
                           "podcast-0123456789abcdef")


def test_the_speaker_is_in_the_segments_and_not_in_the_text():
    transcript = read("buzzsprout-example.vtt", "text/vtt")
    assert [(s.speaker, s.text[:20]) for s in transcript.segments[:1]] == [("Sarah", "In today's episode, ")]
    gillian = next(s for s in transcript.segments if s.speaker == "Gillian")
    assert gillian.speaker_change and gillian.text.startswith("Hi Buzzsprout")
    assert "Q&A" in transcript.text()  # the entity decoded once


def test_a_voice_of_any_name_is_its_speaker():
    # Names as exports write them: a role in brackets, five words, "Last, First", an ampersand.
    names = ["Jean-Luc Picard (host)", "Dr. Martin Luther King Jr.", "Doe, Jane", "Q&amp;A Bot", "Speaker 1"]
    cues = "".join(f"00:00:{2 * i:02d}.000 --> 00:00:{2 * i + 2:02d}.000\n<v {name}>Words number {i}.\n\n"
                   for i, name in enumerate(names))
    transcript = read_transcript(f"WEBVTT\n\n{cues}".encode(), TranscriptLink(url="https://x/v.vtt", type="text/vtt"),
                                 "podcast-0123456789abcdef")
    assert [(s.speaker, s.text) for s in transcript.segments] == [
        (name.replace("&amp;", "&"), f"Words number {i}.") for i, name in enumerate(names)]
    assert [p.speaker for p in transcript.paragraphs] == [s.speaker for s in transcript.segments]


def test_timing_is_kept():
    html_transcript = read("buzzsprout-example.html", "text/html")
    assert [(p.speaker, p.start) for p in html_transcript.paragraphs[:3]] == [("Travis", 0), ("Sarah", 53), ("Travis", 102)]
    assert html_transcript.paragraphs[0].end == 53
    json_transcript = read("buzzsprout-example.json", "application/json")
    assert [(p.speaker, p.start, p.end, p.text) for p in json_transcript.paragraphs] == [
        ("Darth Vader", 0.5, 2.5, "I am your father."), ("Luke", 2.75, 3.0, "Nooooo")]


def test_plain_text_with_and_without_speakers():
    text = "Jane Doe: Welcome to the show.\n\nJohn Smith: Thanks, Jane.\n\nJane Doe: Let's begin.\n"
    transcript = read_transcript(text.encode(), TranscriptLink(url="https://x/t.txt", type="text/plain"), "podcast-x")
    assert [(p.speaker, p.text) for p in transcript.paragraphs] == [
        ("Jane Doe", "Welcome to the show."), ("John Smith", "Thanks, Jane."), ("Jane Doe", "Let's begin.")]
    bare = read_transcript(b"Just words here. Note: one colon.", TranscriptLink(url="https://x/t", type="text/plain"), "p")
    assert [(p.speaker, p.text) for p in bare.paragraphs] == [(None, "Just words here. Note: one colon.")]


def test_plain_text_with_a_speaker_a_line():
    text = "Jane Doe: Welcome to the show.\nJohn Smith: Thanks, Jane.\nIt is good to be here.\nJane Doe: Let's begin.\n"
    transcript = read_transcript(text.encode(), TranscriptLink(url="https://x/t.txt", type="text/plain"), "podcast-x")
    assert [(p.speaker, p.text) for p in transcript.paragraphs] == [
        ("Jane Doe", "Welcome to the show."), ("John Smith", "Thanks, Jane. It is good to be here."),
        ("Jane Doe", "Let's begin.")]


def test_plain_text_with_a_time_after_each_speaker():
    # Rev's text export and the published Lenny's Podcast transcripts: "Name (hh:mm:ss):" on a
    # line of its own, the paragraph under it.
    text = ("Eric Ries (00:00:00):\nPeople act like having a startup fail is the worst thing.\n\n"
            "Lenny (00:01:05):\nToday my guest is Eric Ries.\n\n"
            "(00:04:10):\nThis episode is brought to you by nobody.\n\n"  # the same speaker, later
            "Eric Ries (01:02:03):\nThank you for having me.\n")
    transcript = read_transcript(text.encode(), TranscriptLink(url="https://x/t.txt", type="text/plain"), "podcast-x")
    assert [(p.speaker, p.start, p.text) for p in transcript.paragraphs] == [
        ("Eric Ries", 0, "People act like having a startup fail is the worst thing."),
        ("Lenny", 65, "Today my guest is Eric Ries."), ("Lenny", 250, "This episode is brought to you by nobody."),
        ("Eric Ries", 3723, "Thank you for having me.")]
    assert transcript.paragraphs[0].end == 65


@pytest.mark.parametrize("kind, body, cause", [
    ("application/json", b"{not json", "not valid JSON"),
    ("application/json", b'{"version": "1.0.0"}', 'no "segments" list'),
    ("application/json", b'{"segments": [{"startTime": "soon", "body": "x"}]}', "bad startTime 'soon'"),
    # Times that are no times (Python's json reads NaN): transcript.json would hold null and not load again.
    ("application/json", b'{"segments": [{"startTime": NaN, "endTime": 1, "body": "x"}]}', "bad startTime nan"),
    ("application/json", b'{"segments": [{"startTime": 0, "endTime": "inf", "body": "x"}]}', "bad endTime 'inf'"),
    ("text/html", b"<html><head><title>x</title></head></html>", "an HTML transcript without any text"),
    ("text/vtt", b"WEBVTT\n\n", "no words in it"),
    ("image/png", b"\x89PNG", "no reader for the type 'image/png'"),
])
def test_a_broken_transcript_says_why(kind, body, cause):
    with pytest.raises(TranscriptReadError, match=re.escape(cause)):
        read_transcript(body, TranscriptLink(url="https://x/t", type=kind), "podcast-x")


def test_the_choice_among_several():
    links = [TranscriptLink(url="https://x/t.txt", type="text/plain"),
             TranscriptLink(url="https://x/es.vtt", type="text/vtt", language="es", rel="captions"),
             TranscriptLink(url="https://x/t.html", type="text/html"),
             TranscriptLink(url="https://x/en.srt", type="application/srt", language="en"),
             TranscriptLink(url="https://x/t.pdf", type="application/pdf")]
    assert [l.url.rsplit("/", 1)[1] for l in choose(links, [], "en")] == ["en.srt", "t.html", "t.txt", "es.vtt"]
    assert [l.url.rsplit("/", 1)[1] for l in choose(links, ["es"], "en")][0] == "es.vtt"
    assert [l.url.rsplit("/", 1)[1] for l in choose(links, [], None)] == ["es.vtt", "en.srt", "t.html", "t.txt"]


def test_a_feed_of_a_regional_language_prefers_a_transcript_in_that_language():
    # Feeds mostly say <language>de-de</language> (en-us, pt-br…); transcripts say "de" or "DE".
    links = [TranscriptLink(url="https://x/en.vtt", type="text/vtt", language="en"),
             TranscriptLink(url="https://x/de.srt", type="application/srt", language="DE")]
    assert choose(links, ["de-de", "en"], "de-de")[0].url == "https://x/de.srt"
    assert choose(links, [], "de-de")[0].url == "https://x/de.srt"
    # A transcript of another region of the language still comes after one of the feed's own.
    regions = [TranscriptLink(url="https://x/pt-pt.vtt", type="text/vtt", language="pt-PT"),
               TranscriptLink(url="https://x/pt-br.vtt", type="text/vtt", language="pt-BR")]
    assert [link.url for link in choose(regions, ["pt-br"], "pt-br")] == ["https://x/pt-br.vtt", "https://x/pt-pt.vtt"]


def test_a_transcript_that_fails_falls_back_to_the_next_with_the_cause():
    with PodcastServer() as server:
        server.serve("/loop1", b"", status=302, headers={"Location": "/loop2"})
        server.serve("/loop2", b"", status=302, headers={"Location": "/loop1"})
        server.serve("/broken.json", b"{not json")
        html_url = server.serve_file("/t.html", "transcripts/buzzsprout-example.html", "text/html")
        links = [TranscriptLink(url=server.url("/gone.vtt"), type="text/vtt"),
                 TranscriptLink(url=server.url("/loop1"), type="application/srt"),
                 TranscriptLink(url=server.url("/broken.json"), type="application/json"),
                 TranscriptLink(url=html_url, type="text/html")]
        transcript = read_best(links, lambda url: fetch(url, max_mb=5, what="transcript").data, "podcast-x",
                               language="en")
    assert transcript.track == html_url and transcript.paragraphs[0].speaker == "Travis"
    assert [note.split(": ", 2)[1] for note in transcript.notes] == [
        f"text/vtt {server.url('/gone.vtt')}", f"application/srt {server.url('/loop1')}",
        f"application/json {server.url('/broken.json')}"]
    assert "HTTP 404" in transcript.notes[0] and "redirect loop" in transcript.notes[1]
    assert "not valid JSON" in transcript.notes[2]


def test_no_transcript_names_every_cause_in_one_line():
    def refuse(url: str) -> bytes:
        return fetch(url, max_mb=1, what="transcript").data

    links = [TranscriptLink(url="http://127.0.0.1:9/t.vtt", type="text/vtt")]
    with pytest.raises(NoTranscript) as caught:
        read_best(links, lambda url: refuse("file:///etc/passwd"), "podcast-x")
    assert "\n" not in str(caught.value) and "only http(s) URLs are fetched" in str(caught.value)
    with pytest.raises(NoTranscript, match="the feed offers no transcript"):
        read_best([], refuse, "podcast-x")
    with pytest.raises(NoTranscript, match=r"no transcript of a readable type \(application/pdf\)"):
        read_best([TranscriptLink(url="https://x/t", type="application/pdf")], refuse, "podcast-x")


def test_transcript_text_is_sanitised_of_invisible_characters():
    body = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Eve\u202e>Hello\u200b there\n".encode()
    transcript = read_transcript(body, TranscriptLink(url="https://x/t.vtt", type="text/vtt"), "podcast-x")
    assert [(p.speaker, p.text) for p in transcript.paragraphs] == [("Eve", "Hello there")]


def test_speakers_reach_the_file_and_a_videos_file_is_unchanged(tmp_path):
    from pipeline.artifacts import TranscriptFile
    from pipeline.store import Store

    store = Store(tmp_path)
    podcast = read("buzzsprout-example.json", "application/json")
    store.save("podcast-0123456789abcdef", TranscriptFile.model_validate(podcast.model_dump()))
    saved = store.read("podcast-0123456789abcdef", "transcript")
    assert [p["speaker"] for p in saved["paragraphs"]] == ["Darth Vader", "Luke"]
    assert store.load("podcast-0123456789abcdef", TranscriptFile).paragraphs[1].speaker == "Luke"
    # A video's words name no speaker: no "speaker" key is written, so its content hash stays.
    video = Transcript(video_id="bwRHIkYqYJo", source="youtube-transcript-api",
                       segments=[{"start": 0, "end": 1, "text": "hi"}], paragraphs=[{"start": 0, "end": 1, "text": "hi"}])
    store.save("bwRHIkYqYJo", TranscriptFile.model_validate(video.model_dump()))
    saved = store.read("bwRHIkYqYJo", "transcript")
    assert "speaker" not in saved["segments"][0] and "speaker" not in saved["paragraphs"][0]


def test_an_episode_of_a_served_feed_with_its_transcript_and_chapters():
    with PodcastServer() as server:
        feed_xml = (FIXTURES / "feeds" / "themnshow.xml").read_bytes()
        # The first episode's transcript and chapters, served here; its transcript is the real SRT.
        feed_xml = feed_xml.replace(b"https://mikeneumann.show/assets/static/themnshow054-20240914-DRAFT-transcript.srt",
                                    server.url("/t.srt").encode())
        feed_xml = feed_xml.replace(b"https://mikeneumann.show/assets/static/themnshow054-20240914-DRAFT-chapters.json",
                                    server.url("/chapters.json").encode())
        server.serve_file("/t.srt", "transcripts/buzzsprout-example.srt", "application/x-subrip")
        server.serve("/chapters.json", b'{"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Start"},'
                                       b' {"startTime": 300, "title": "Later"}]}')
        episode = parse_feed(feed_xml, max_mb=5).episodes[0]
        chapters, problem = fetch_chapters(episode, max_mb=5)
        transcript = fetch_transcript(episode, "podcast-" + episode.id, max_mb=5, chapters=chapters)
        missing, why = fetch_chapters(parse_feed(feed_xml.replace(b"/chapters.json", b"/gone.json"), max_mb=5).episodes[0],
                                      max_mb=5)
    assert problem is None and [c.title for c in chapters] == ["Start", "Later"]
    assert transcript.language == "EN" and transcript.paragraphs[0].speaker == "Travis"
    assert {p.chapter for p in transcript.paragraphs} == {"Start", "Later"}
    assert missing == [] and "HTTP 404" in why


@pytest.mark.parametrize("name, kind", [("buzzsprout-example.srt", "text/plain"), ("buzzsprout-example.vtt", "text/plain"),
                                        ("buzzsprout-example.vtt", "text/html")])
def test_a_caption_file_under_another_type_is_read_as_what_it_is(name, kind):
    # Hosts mislabel transcripts (an SRT as text/plain): its cue numbers and times are not words.
    as_itself = read(name, "text/vtt" if name.endswith(".vtt") else "application/srt")
    mislabelled = read(name, kind)
    assert mislabelled.text() == as_itself.text()
    assert [(p.speaker, p.start) for p in mislabelled.paragraphs] == [(p.speaker, p.start) for p in as_itself.paragraphs]
    assert "-->" not in mislabelled.text()
