"""Podcast feeds: real feeds read into episodes, and hostile ones refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import InputTooLarge, NotARegularFile
from pipeline.sites.podcast.feed import (FeedError, episode_metadata, find_episode, is_episode_id, load_feed, parse_chapters,
                                    parse_duration, parse_feed, split_episode_ref)
from pipeline.sites.podcast.fetching import fetch
from tests.podcastserver import FIXTURES, PodcastServer

FEEDS = FIXTURES / "feeds"


def feed_of(name: str, **options):
    return parse_feed((FEEDS / name).read_bytes(), max_mb=50, **options)


def test_a_real_feed_with_every_podcast_tag():
    feed = feed_of("themnshow.xml", url="https://mikeneumann.show/feed.xml")
    assert feed.title == "The Mike Neumann Show" and feed.podcast_guid == "7a2d292c-8656-5fcf-88d2-31b10e54d7c7"
    assert len(feed.episodes) == 54 and not any(e.error for e in feed.episodes)
    episode = feed.episodes[0]
    assert episode.title == "Social Media" and episode.date == "20240914"
    assert episode.guid == "ab86b7b7-79e2-43f4-9f58-8d2584b103ec"
    assert episode.guests == ["Dr. Timothy M. Jurgensen"]
    assert [(t.type, t.language, t.rel) for t in episode.transcripts] == [("application/x-subrip", "EN", "captions")]
    assert episode.chapters_url.endswith("themnshow054-20240914-DRAFT-chapters.json")
    assert episode.enclosure.length == 56113920 and episode.enclosure.type == "audio/mpeg"
    assert episode.link == "https://mikeneumann.show/themnshow054-social-media.html"
    assert episode.notes_html.startswith("<h2>Episode 54: Social Media</h2>")
    assert feed.episodes[1].duration == 4209


def test_every_transcript_of_an_item_is_kept():
    # feedparser alone keeps the last podcast:transcript of an item; the defused tree has both.
    episode = feed_of("namespace-example.xml").episodes[0]
    assert [(t.url, t.type, t.language, t.rel) for t in episode.transcripts] == [
        ("https://example.com/ep3/transcript.txt", "text/plain", None, None),
        ("https://example.com/episode1/transcript.vtt", "text/vtt", "es", "captions")]
    assert [(p.name, p.role) for p in episode.persons] == [
        ("Adam Curry", "host"), ("Dave Jones", "guest"), ("Becky Smith", "cover art designer")]


def test_podcastparsers_own_expectations_hold(tmp_path):
    """podcastparser's test feeds and the JSON it parses them to: the same title, duration,
    transcript URL and persons here."""
    for name in ("episode_podcast_transcript", "episode_podcast_person", "itunes_duration", "duration"):
        expected = json.loads((FEEDS / f"podcastparser-{name}.json").read_text())["episodes"][0]
        episode = feed_of(f"podcastparser-{name}.rss").episodes[0]
        assert episode.title == expected["title"]
        assert (episode.duration or 0) == expected["total_time"]
        if "transcript_url" in expected:
            assert [t.url for t in episode.transcripts] == [expected["transcript_url"]]
        if "persons" in expected:
            assert [(p.name, p.role) for p in episode.persons] == [(p["name"], p["role"]) for p in expected["persons"]]


def test_ids_are_stable_when_the_feed_moves_or_grows():
    data = (FEEDS / "themnshow.xml").read_bytes()
    before = {e.guid: e.id for e in parse_feed(data, max_mb=50, url="https://old.example/feed").episodes}
    # A new item on top, and the feed at a new address.
    grown = data.replace(b"<item>", b"<item><title>New</title><guid>brand-new</guid>"
                                    b"<enclosure url='https://x.example/n.mp3' type='audio/mpeg'/></item><item>", 1)
    after = parse_feed(grown, max_mb=50, url="https://new.example/feed")
    assert {e.guid: e.id for e in after.episodes[1:]} == before
    assert all(is_episode_id(e.id) for e in after.episodes)
    # Two feeds without podcast:guid whose items are both guid "1" are told apart by the show.
    one = b"<rss version='2.0'><channel><title>%s</title><item><guid>1</guid><enclosure url='https://a/1.mp3'/></item></channel></rss>"
    assert parse_feed(one % b"Show A", max_mb=1).episodes[0].id != parse_feed(one % b"Show B", max_mb=1).episodes[0].id


@pytest.mark.parametrize("guid", ["https://show.example/episodes/42", "6f1c3a52-8d0e-4c1b-9a7e-2b5f0c9d4e11",
                                  "tag:soundcloud,2010:tracks/1876543210", "Buzzsprout-15678901"])
def test_an_episode_keeps_its_id_when_the_show_is_renamed(guid):
    # Without podcast:guid the show's title told apart two feeds whose items are both guid "1";
    # but a guid that is already unique (a URL, a UUID, a host's long token) needs no title, and
    # with one a renamed show made every back episode new to --new and watch (paid for again).
    feed = ("<rss version='2.0'><channel><title>%s</title><item><guid>" + guid +
            "</guid><enclosure url='https://a/1.mp3'/></item></channel></rss>")
    assert parse_feed((feed % "Odd Lots").encode(), max_mb=1).episodes[0].id == \
        parse_feed((feed % "Odd Lots (Bloomberg)").encode(), max_mb=1).episodes[0].id


@pytest.mark.parametrize("date, expected", [
    ("Sat, 14 Sep 2024 19:05:58 +0000", "20240914"),
    ("Sat, 14 Sep 2024 23:05:58 -0300", "20240915"),  # UTC
    ("4 Sep 2024 10:00:00 GMT", "20240904"),  # a single-digit day, no weekday
    ("Wed, 02 Oct 2002 08:00:00 EST", "20021002"),
    ("Tue, 10 Jun 2003 04:00:00 PDT", "20030610"),
    ("2024-09-14T19:05:58Z", "20240914"),
    ("Fri,04 Dec 2026 10:00:00 GMT", "20261204"),  # RFC 822 needs no space after the comma
    ("Fri, 04 Dec 2026 23:00:00", "20261204"),  # no zone (feeds do leave it out): as UTC
    ("Tue, 31 Jun 2026 10:00:00 GMT", ""),  # no such day
    ("yesterday", ""),
])
def test_pub_dates_in_every_form(date, expected):
    data = (b"<rss version='2.0'><channel><title>S</title><item><guid>g</guid><pubDate>%s</pubDate>"
            b"<enclosure url='https://a/1.mp3'/></item></channel></rss>") % date.encode()
    assert parse_feed(data, max_mb=1).episodes[0].date == expected


@pytest.mark.parametrize("value, seconds", [("3600", 3600), ("59:30", 3570), ("1:02:03", 3723), ("01:00:00", 3600),
                                            ("3600.5", 3600.5), ("", None), ("about an hour", None), ("1:75", None),
                                            ("-5", None), ("nan", None), ("inf", None), ("1:inf", None),
                                            ("1e400", None)])
def test_durations(value, seconds):
    assert parse_duration(value) == seconds


def test_one_corrupt_item_fails_alone():
    data = (b"<rss version='2.0' xmlns:podcast='https://podcastindex.org/namespace/1.0'><channel><title>S</title>"
            b"<item><title>No words anywhere</title><guid>a</guid></item>"
            b"<item><title>Good</title><guid>b</guid><enclosure url='https://a/b.mp3' type='audio/mpeg'/></item>"
            b"<item><title>Bad transcript</title><guid>c</guid>"
            b"<podcast:transcript url='file:///etc/passwd' type='text/vtt'/></item>"
            b"</channel></rss>")
    first, good, bad = parse_feed(data, max_mb=1).episodes
    assert first.error == "no audio enclosure and no transcript: nothing to read the words from"
    assert good.error is None
    assert bad.transcripts == [] and bad.error
    assert bad.notes == ["transcript URL 'file:///etc/passwd' is refused: only http(s) URLs are fetched (file:)"]


def test_an_item_that_is_not_well_formed_fails_alone():
    data = (b"<rss version='2.0' xmlns:podcast='https://podcastindex.org/namespace/1.0'><channel><title>S</title>"
            b"<podcast:guid>feed-guid-1</podcast:guid>"
            b"<item><title>One</title><guid>a</guid><enclosure url='https://a/1.mp3'/>"
            b"<podcast:transcript url='https://a/1.vtt' type='text/vtt'/>"
            b"<podcast:person role='guest'>Ann Lee</podcast:person></item>"
            b"<item><title>Q&A with Bob</title><guid>b</guid><enclosure url='https://a/2.mp3'/></item>"
            b"<item><title>Three</title><guid>c</guid><enclosure url='https://a/3.mp3'/></item>"
            b"</channel></rss>")
    first, broken, third = parse_feed(data, max_mb=1).episodes
    assert first.error is None and first.guests == ["Ann Lee"] and [t.url for t in first.transcripts] == ["https://a/1.vtt"]
    assert third.error is None and third.title == "Three"
    assert broken.error.startswith("item 2 cannot be read: not well-formed XML")
    assert broken.guid == "b" and is_episode_id(broken.id)
    # The ids are those the well-formed feed gives.
    fixed = parse_feed(data.replace(b"Q&A", b"Q&amp;A"), max_mb=1)
    assert [e.id for e in fixed.episodes] == [first.id, broken.id, third.id]


def test_the_lenient_path_still_refuses_entities():
    data = (b'<?xml version="1.0"?><!DOCTYPE rss [<oops <!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<rss version='2.0'><channel><title>&x;</title><item><title>&x;</title><guid>a</guid></item></channel></rss>")
    # expat stops before it reaches the entity; the lenient reading must not go on to read it.
    with pytest.raises(FeedError, match="not well-formed XML"):
        parse_feed(data, max_mb=1)


def test_an_entity_bomb_is_refused_in_one_line():
    bomb = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY %s "%s">' % (chr(98 + i).encode(), (b"&%s;" % chr(97 + i).encode()) * 10) for i in range(9)
    ) + b"]><rss version='2.0'><channel><title>&j;</title></channel></rss>"
    with pytest.raises(FeedError, match=r"refused: the feed declares XML entities \(EntitiesForbidden\)") as caught:
        parse_feed(bomb, max_mb=1, url="https://x.example/feed")
    assert "\n" not in str(caught.value)


def test_an_external_entity_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xxe = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://%s">]>'
           b"<rss version='2.0'><channel><title>&x;</title><item><title>&x;</title><guid>a</guid></item>"
           b"</channel></rss>") % str(secret).encode()
    with pytest.raises(FeedError, match="declares XML entities") as caught:
        parse_feed(xxe, max_mb=1)
    assert "TOP-SECRET" not in str(caught.value)


def test_a_feed_over_the_cap_and_not_a_feed():
    with pytest.raises(InputTooLarge, match=r"over max_input_mb \(0.001 MB\)"):
        parse_feed(b"<rss>" + b" " * 2000 + b"</rss>", max_mb=0.001)
    with pytest.raises(FeedError, match="not well-formed XML"):
        parse_feed(b"<rss><channel><title>x</channel>", max_mb=1)
    with pytest.raises(FeedError, match=r"not an RSS or Atom feed \(the document is <html>\)"):
        parse_feed(b"<html><body>hello</body></html>", max_mb=1)


def test_an_atom_feed():
    data = (b"<feed xmlns='http://www.w3.org/2005/Atom' xmlns:podcast='https://podcastindex.org/namespace/1.0'>"
            b"<title>Atom show</title><entry><title>One</title><id>urn:uuid:1</id><updated>2024-01-05T10:00:00Z</updated>"
            b"<link rel='enclosure' type='audio/mpeg' href='https://a/1.mp3'/>"
            b"<podcast:transcript url='https://a/1.vtt' type='text/vtt'/></entry></feed>")
    feed = parse_feed(data, max_mb=1)
    episode = feed.episodes[0]
    assert (feed.title, episode.title, episode.date, episode.enclosure.url) == ("Atom show", "One", "20240105", "https://a/1.mp3")
    assert [t.url for t in episode.transcripts] == ["https://a/1.vtt"]


def test_titles_that_are_paths_or_templates_stay_data():
    data = ("<rss version='2.0'><channel><title>{{ site.title }}</title><item><title>../../etc/passwd</title>"
            "<guid>../../../x</guid><enclosure url='https://a/1.mp3'/></item>"
            "<item><title>{% raw %}{{ x }}\u202e</title><guid>{{ x }}</guid><enclosure url='https://a/2.mp3'/></item>"
            "</channel></rss>").encode()
    feed = parse_feed(data, max_mb=1)
    path_title, template_title = feed.episodes
    assert path_title.title == "../../etc/passwd" and is_episode_id(path_title.id)  # the id is a hash, never the guid
    assert is_episode_id(template_title.id) and "\u202e" not in template_title.title
    meta = episode_metadata(template_title, feed, f"podcast-{template_title.id}")
    assert meta.id == f"podcast-{template_title.id}" and meta.channel == "{{ site.title }}"


def test_episode_metadata_as_the_seed_has_a_show():
    feed = feed_of("themnshow.xml", url="https://listener:pw-123456@mikeneumann.show/feed.xml")
    episode = feed.episodes[0]
    meta = episode_metadata(episode, feed, f"podcast-{episode.id}",
                            chapters=parse_chapters(b'{"version":"1.2.0","chapters":[{"startTime":0,"title":"Intro"},'
                                                    b'{"startTime":95.5,"title":"Social media"},'
                                                    b'{"startTime":50,"title":"hidden","toc":false}]}'))
    assert meta.channel == "The Mike Neumann Show"  # the post's speaker, slugged into media_books
    assert meta.uploader == "Mike Neumann"
    assert (meta.upload_date, meta.title, meta.guests) == ("20240914", "Social Media", ["Dr. Timothy M. Jurgensen"])
    assert meta.webpage_url == episode.link and meta.origin == "podcast-feed"
    assert meta.description.startswith("Episode 54: Social Media\nMike Neumann and Dr. Tim Jurgensen")
    assert [(c.start_time, c.end_time, c.title) for c in meta.chapters] == [(0, 95.5, "Intro"), (95.5, None, "Social media")]
    assert "pw-123456" not in meta.channel_url


def test_chapters_that_are_not_chapters():
    with pytest.raises(ValueError, match="not JSON chapters"):
        parse_chapters(b"<html>")
    with pytest.raises(ValueError, match='no "chapters" list'):
        parse_chapters(b'{"version": "1.2.0"}')


def test_a_feed_that_changes_between_runs_shows_the_new_item():
    """The same URL, read twice: the item added in between is the one new guid."""
    with PodcastServer() as server:
        url = server.serve_file("/feed.xml", "feeds/themnshow.xml")
        first = parse_feed(fetch(url, max_mb=5).data, max_mb=5, url=url)
        data = (FEEDS / "themnshow.xml").read_bytes().replace(
            b"<item>", b"<item><title>Fresh</title><guid>fresh-1</guid><enclosure url='https://a/f.mp3'/></item><item>", 1)
        server.serve("/feed.xml", data)
        second = parse_feed(fetch(url, max_mb=5).data, max_mb=5, url=url)
    seen = {e.id for e in first.episodes}
    assert [e.title for e in second.episodes if e.id not in seen] == ["Fresh"]


def test_fixtures_have_provenance():
    provenance = (FIXTURES / "PROVENANCE.md").read_text()
    for path in FIXTURES.rglob("*"):
        if path.is_file() and path.name != "PROVENANCE.md":
            assert str(path.relative_to(FIXTURES)) in provenance, path
    assert Path(__file__).exists()


def test_a_feed_from_a_url_or_a_saved_file(tmp_path):
    with PodcastServer() as server:
        url = server.serve_file("/feed.rss", "feeds/pc20rss.xml")
        from_url = load_feed(url, max_mb=5)
    saved = tmp_path / "pc20.rss"
    saved.write_bytes((FEEDS / "pc20rss.xml").read_bytes())
    from_file = load_feed(str(saved), max_mb=5)
    assert [e.id for e in from_url.episodes] == [e.id for e in from_file.episodes] and len(from_file.episodes) == 56
    with pytest.raises(FeedError, match="no such file"):
        load_feed(str(tmp_path / "missing.xml"), max_mb=5)
    with pytest.raises(NotARegularFile, match=f"{tmp_path}: not a regular file"):
        load_feed(str(tmp_path), max_mb=5)
    with pytest.raises(InputTooLarge, match="pc20.rss: .* over max_input_mb"):
        load_feed(str(saved), max_mb=0.1)


def test_one_episode_of_a_feed():
    feed = feed_of("themnshow.xml")
    assert split_episode_ref("https://x/feed.xml") == ("https://x/feed.xml", None)
    source, key = split_episode_ref("https://x/feed.xml#episode=32b8f150-5771-47d6-9f89-9177761f0f4e")
    assert source == "https://x/feed.xml" and find_episode(feed, key).title == "Community"
    audio = feed.episodes[2].enclosure.url
    assert find_episode(feed, split_episode_ref(f"feed.xml#episode={audio}?ref=share")[1]) is feed.episodes[2]
    assert find_episode(feed, feed.episodes[3].id) is feed.episodes[3]
    assert find_episode(feed, "no-such-guid") is None


def test_items_feedparser_does_not_count_keep_their_tags():
    # An <x:item> of another namespace is no episode: feedparser skips it, and so must the tree,
    # or every episode after it would take the podcast: tags of the one before.
    data = (b"<rss version='2.0' xmlns:podcast='https://podcastindex.org/namespace/1.0' xmlns:x='http://example.com/x'>"
            b"<channel><title>S</title><x:list><x:item>not an episode</x:item></x:list>"
            b"<item><guid>a</guid><enclosure url='https://a/1.mp3'/>"
            b"<podcast:transcript url='https://a/1.vtt' type='text/vtt'/></item>"
            b"<item><guid>b</guid><enclosure url='https://a/2.mp3'/>"
            b"<podcast:transcript url='https://a/2.vtt' type='text/vtt'/></item></channel></rss>")
    feed = parse_feed(data, max_mb=1)
    assert {e.guid: [t.url for t in e.transcripts] for e in feed.episodes} == {
        "a": ["https://a/1.vtt"], "b": ["https://a/2.vtt"]}


def test_the_namespace_declared_over_http_is_the_podcast_namespace():
    # Feeds (and other readers' tests) declare xmlns:podcast="http://podcastindex.org/namespace/1.0":
    # its transcripts, persons and chapters are the same tags.
    text = (FEEDS / "namespace-example.xml").read_text(encoding="utf-8")
    assert 'xmlns:podcast="https://podcastindex.org/namespace/1.0"' in text
    text = text.replace('xmlns:podcast="https://podcastindex.org/namespace/1.0"',
                        'xmlns:podcast="http://podcastindex.org/namespace/1.0"')
    episode = parse_feed(text.encode(), max_mb=50).episodes[0]
    assert [t.type for t in episode.transcripts] == ["text/plain", "text/vtt"]
    assert [p.name for p in episode.persons] == ["Adam Curry", "Dave Jones", "Becky Smith"]


def test_two_items_of_one_guid_are_two_episodes_each_reached_again():
    # A publisher's mistake (a copied item whose guid was not changed): the second episode is
    # not lost as a repeat of the first, and each is found again by the reference its listing gives.
    from pipeline.sites.podcast import episode_url

    text = (FEEDS / "themnshow.xml").read_text(encoding="utf-8")
    feed = parse_feed(text.encode(), max_mb=50)
    first, second = feed.episodes[0], feed.episodes[1]
    text = text.replace(f">{second.guid}</guid>", f">{first.guid}</guid>")
    feed = parse_feed(text.encode(), max_mb=50)
    one, two = feed.episodes[0], feed.episodes[1]
    assert one.guid == two.guid and one.id != two.id
    assert one.id == first.id  # the first keeps its id: its folder and post stay its own
    for episode in (one, two):
        key = split_episode_ref(episode_url("https://x.test/feed.xml", episode))[1]
        assert find_episode(feed, key) is episode


def test_a_guid_whose_case_changes_is_the_same_episode():
    # A host move can rewrite a UUID guid in capitals: the episode keeps its id (its folder, its
    # post, --new's record of it) and the reference stored before the move still finds it.
    data = (FEEDS / "themnshow.xml").read_bytes()
    before = parse_feed(data, max_mb=50).episodes[0]
    moved = parse_feed(data.replace(before.guid.encode(), before.guid.upper().encode()), max_mb=50)
    assert moved.episodes[0].guid == before.guid.upper() and moved.episodes[0].id == before.id
    assert find_episode(moved, before.guid) is moved.episodes[0]


def test_one_episode_by_an_audio_url_that_differs_from_the_others_only_in_its_query():
    items = "".join(f"<item><title>Episode {n}</title><guid>g{n}</guid>"
                    f"<enclosure url='https://host.example/download.php?episode={n}' type='audio/mpeg'/></item>"
                    for n in (1, 2, 3))
    feed = parse_feed(f"<rss version='2.0'><channel><title>S</title>{items}</channel></rss>".encode(), max_mb=1)
    assert find_episode(feed, "https://host.example/download.php?episode=2").title == "Episode 2"
    assert find_episode(feed, "https://host.example/download.php?episode=9") is None
    # One audio file under tracking parameters of its own is still that one episode.
    one = parse_feed(b"<rss version='2.0'><channel><title>S</title><item><title>A</title><guid>a</guid>"
                     b"<enclosure url='https://cdn.example/a.mp3?utm_source=feed'/></item></channel></rss>", max_mb=1)
    assert find_episode(one, "https://cdn.example/a.mp3").title == "A"


def test_chapters_at_no_time_are_left_out():
    chapters = parse_chapters(b'{"chapters": [{"startTime": "inf", "title": "A"}, {"startTime": NaN, "title": "B"},'
                              b' {"startTime": 0, "title": "C"}, {"startTime": 60, "endTime": "inf", "title": "D"}]}')
    assert [(c.title, c.start_time, c.end_time) for c in chapters] == [("C", 0, 60), ("D", 60, None)]
