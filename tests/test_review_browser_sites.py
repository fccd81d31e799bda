"""The review desk in a real browser over posts of other sources, formats and reader languages:
a podcast feed's episodes (speakers in their transcripts) written for Hugo in Traditional
Chinese, and a part of a Bilibili video written for Hexo in English, each made by the real
pipeline (the feed served from 127.0.0.1, the fake model server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from pipeline.config import Config
from pipeline.language import simplified_only
from pipeline.store import Store
from tests.fakellm import FakeLLM
from tests.podcast_show import SPEAKERS, Show
from tests.podcastserver import PodcastServer
from tests.review_desk import Served, run_pipeline, serve_desk
from tests.test_bilibili_captions import BV, bilibili_part
from tests.test_review_browser import browser, fake, viewport  # noqa: F401 - the module's one browser and model

PART = f"{BV}_p2"


def _config(workdir: Path, **post: object) -> Config:
    (workdir / "config.yaml").write_text(json.dumps({"post": post}), encoding="utf-8")
    return Config.model_validate({"post": post})


@pytest.fixture(scope="module")
def podcast(tmp_path_factory: pytest.TempPathFactory, fake: FakeLLM) -> Iterator[tuple[Path, Config, Show]]:  # noqa: F811
    """Three episodes of a real feed, with VTT (voices), JSON and HTML transcripts: Hugo, zh-Hant."""
    workdir = tmp_path_factory.mktemp("podcast")
    config = _config(workdir, format="hugo", language="zh-Hant", section_links=True)
    with PodcastServer() as server:
        show = Show(server)
        for item, kind in enumerate(("text/vtt", "application/json", "text/html")):
            show.give(item, kind)
        show.serve()
        fake.reset()
        result = run_pipeline(workdir, fake, "run", show.url, "--limit", "3")
        assert result.returncode == 0, result.stderr
        yield workdir / "output", config, show


@pytest.fixture(scope="module")
def a_bilibili_part(tmp_path_factory: pytest.TempPathFactory, fake: FakeLLM) -> tuple[Path, Config]:  # noqa: F811
    """The second part of a Bilibili video (its AI subtitles beside its info.json): Hexo, en."""
    workdir = tmp_path_factory.mktemp("bilibili")
    info = bilibili_part(workdir, duration=600)
    config = _config(workdir, format="hexo", language="en", section_links=True)
    fake.reset()
    result = run_pipeline(workdir, fake, "run", str(info.parent))
    assert result.returncode == 0, result.stderr
    return workdir / "output", config


@contextmanager
def _open(browser: WebDriver, out: Path, config: Config) -> Iterator[Served]:  # noqa: F811
    with serve_desk(out, config) as desk:
        browser.delete_all_cookies()
        browser.get(desk.url_with_token)
        yield desk


def _lang(browser: WebDriver, selector: str) -> str:  # noqa: F811
    """The language the browser takes the element's text to be in (its nearest ``lang``)."""
    return str(browser.execute_script("return document.querySelector(arguments[0]).closest('[lang]').lang", selector))


@pytest.mark.parametrize("width", [1280, 400])
def test_a_podcast_episodes_page_shows_its_speakers_in_the_readers_script_and_no_fake_second(
        podcast: tuple[Path, Config, Show], browser: WebDriver, width: int) -> None:  # noqa: F811
    out, config, show = podcast
    store = Store(out)
    with _open(browser, out, config) as desk:
        with viewport(browser, width, 860):
            for episode in sorted(p.name for p in (out / "videos").iterdir()):
                browser.get(f"{desk.base}/video/{episode}")
                transcript = store.read(episode, "transcript")
                kind = next(k for k, names in SPEAKERS.items() if {p["speaker"] for p in transcript["paragraphs"]} <= names)
                shown = browser.find_elements(By.CSS_SELECTOR, "#transcript p[data-start]")
                # Each paragraph's speaker beside its words.
                assert [p.find_element(By.CSS_SELECTOR, ".speaker").text for p in shown] == [
                    f"{p['speaker']}:" for p in transcript["paragraphs"]], kind
                # An episode's page has no link to a second: the sections say "video page", none is "video at".
                page = store.read(episode, "metadata")["webpage_url"]
                links = browser.find_elements(By.CSS_SELECTOR, "#rendered a.at")
                assert links and {a.text for a in links} == {"video page"}
                assert {a.get_attribute("href") for a in links} == {page}
                # Nor does a paragraph's time: it marks its place on this page, not "the episode at 00:19".
                times = browser.find_elements(By.CSS_SELECTOR, "#transcript a.time")
                assert [a.get_attribute("href") for a in times] == [
                    f"{desk.base}/video/{episode}#p-{n}" for n in range(len(transcript["paragraphs"]))]
                assert not [a for a in times if a.get_attribute("target")]
                # The post in the readers' script, marked as their language; the transcript as its own.
                rendered = browser.find_element(By.ID, "rendered").text
                assert rendered and not simplified_only(rendered + browser.find_element(By.TAG_NAME, "h1").text)
                assert _lang(browser, "#rendered") == "zh-Hant" and _lang(browser, "h1") == "zh-Hant"
                assert _lang(browser, "#transcript p[data-start]").lower() == "en"
                assert _lang(browser, "#flags blockquote.proof").lower() == "en"  # the evidence: the transcript's words


def test_a_bilibili_parts_sections_link_to_their_second_of_that_part(
        a_bilibili_part: tuple[Path, Config], browser: WebDriver) -> None:  # noqa: F811
    out, config = a_bilibili_part
    article = Store(out).read(f"bilibili-{PART}", "article")
    with _open(browser, out, config) as desk:
        browser.get(f"{desk.base}/video/bilibili-{PART}")
        links = {a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#rendered a.at")}
        starts = [int(s["start"]) for s in article["sections"] if s["start"] is not None]
        assert starts and links == {f"https://www.bilibili.com/video/{BV}?p=2&t={s}" for s in starts}
        paragraphs = Store(out).read(f"bilibili-{PART}", "transcript")["paragraphs"]
        times = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#transcript a.time")]
        assert times == [f"https://www.bilibili.com/video/{BV}?p=2&t={int(p['start'])}" for p in paragraphs]
        assert _lang(browser, "#rendered") == "en" and _lang(browser, "#transcript p[data-start]") == "zh"


def test_the_desk_lists_a_podcasts_posts_in_the_readers_language(podcast: tuple[Path, Config, Show],
                                                                  browser: WebDriver) -> None:  # noqa: F811
    out, config, _ = podcast
    with _open(browser, out, config):
        titles = browser.find_elements(By.CSS_SELECTOR, "#desk .post-title")
        assert len(titles) == 3 and all(t.text and not simplified_only(t.text) for t in titles)
        assert {_lang(browser, f"#desk tr:nth-child({n}) .post-title") for n in (1, 2, 3)} == {"zh-Hant"}
