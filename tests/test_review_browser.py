"""The review desk in a real browser: Debian's Chromium driven by Selenium, over an output
folder the real pipeline made from the real fixture videos against the fake model server.

Without Chromium these tests fail rather than skip: ``.ci/run`` installs it."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import frontmatter
import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    NoAlertPresentException,
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from pipeline.config import Config
from pipeline.store import Store
from tests.conftest import FIXTURES, ROOT
from tests.fakellm import FakeLLM, Reply, default_answer
from tests.review_desk import WITH_WORDS, Served, build_output, run_pipeline, serve_desk

BW, MV, FAILED = WITH_WORDS[0], WITH_WORDS[1], "gogEJyoSB9s"
REBOUND = "rebind.example"
# Screenshots go into docs/ (for the README) when asked, else beside the test's other files.
SCREENSHOTS = ROOT / "docs" if os.environ.get("YT2POST_SCREENSHOTS") == "1" else None


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(f"{' or '.join(names)} is not installed: the review desk's browser tests need Debian's chromium "
                "and chromium-driver packages (.ci/run installs them)")


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = _binary("chromium", "chromium-browser")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1360,900", "--lang=zh-CN", "--no-first-run", "--disable-extensions",
                     # A DNS-rebinding page: a foreign name that resolves to this machine.
                     f"--host-resolver-rules=MAP {REBOUND} 127.0.0.1"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=_binary("chromedriver")))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, fake: FakeLLM) -> Path:
    return build_output(tmp_path_factory.mktemp("desk"), fake)


@pytest.fixture
def workdir(built: Path, tmp_path: Path) -> Path:
    """A copy of the built folder (output and the fixture videos) that a test may change."""
    shutil.copytree(built.parent, tmp_path / "work")
    return tmp_path / "work"


@pytest.fixture
def desk(workdir: Path, fake: FakeLLM, browser: WebDriver, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    fake.reset()
    with serve_desk(workdir / "output", fake=fake) as served:
        browser.delete_all_cookies()
        browser.get(served.url_with_token)
        yield served


def rows(browser: WebDriver) -> list[str | None]:
    return [r.get_attribute("data-video") for r in browser.find_elements(By.CSS_SELECTOR, "#desk tbody tr[data-video]")]


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    """Wait until ``condition`` holds; the page may be replaced (a reload) while it looks."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except (StaleElementReferenceException, NoSuchElementException):
            pass
        assert time.monotonic() < deadline, "timed out waiting in the browser"
        time.sleep(0.1)


@contextmanager
def viewport(browser: WebDriver, width: int, height: int) -> Iterator[None]:
    """The page as a screen ``width`` CSS pixels wide shows it: below 600, a phone's (touch,
    the page's viewport meta tag applied)."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    try:
        yield
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def screenshot(browser: WebDriver, name: str, tmp_path: Path, height: int, at: str = "", width: int = 1280,
               into: Path | None = None) -> Path:
    """A PNG of the page ``width`` pixels wide (from its top, or from the element with id ``at``),
    into docs/ when asked (else ``tmp_path``), or into ``into``."""
    target = (into or SCREENSHOTS or tmp_path) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    with viewport(browser, width, height):
        browser.execute_script("const e = document.getElementById(arguments[0]);"
                               "if (e) e.scrollIntoView({block: 'start'}); else window.scrollTo(0, 0)", at)
        assert browser.save_screenshot(str(target))
    assert target.stat().st_size > 10_000
    return target


def sideways(browser: WebDriver) -> int:
    """How many pixels the page is wider than the screen (0: nothing scrolls sideways)."""
    return int(browser.execute_script(
        "return Math.max(0, document.documentElement.scrollWidth - window.innerWidth,"
        " document.documentElement.scrollWidth - document.documentElement.clientWidth)"))


def on_first_screen(browser: WebDriver, selector: str) -> bool:
    """Whether the element's top is on the screen the page opens with (not scrolled)."""
    return bool(browser.execute_script(
        "window.scrollTo(0, 0); const e = document.querySelector(arguments[0]);"
        "const r = e.getBoundingClientRect(); return r.height > 0 && r.top >= 0 && r.top < window.innerHeight",
        selector))


def post_of(out: Path, video_id: str) -> Path:
    store = Store(out)
    return store.resolve(store.read(video_id, "post")["path"])


def click(browser: WebDriver, selector: str) -> None:
    """Click; a form's submit button: also wait until the next page replaced this one."""
    element = browser.find_element(By.CSS_SELECTOR, selector)
    submits = browser.execute_script(
        "arguments[0].scrollIntoView({block: 'center'}); return !!arguments[0].form && arguments[0].type === 'submit'",
        element)
    element.click()
    if submits:
        wait_for(lambda: not _alive(element))


def submit_filter(browser: WebDriver) -> None:
    before = browser.find_element(By.ID, "desk")
    browser.find_element(By.CSS_SELECTOR, ".filters button").click()
    wait_for(lambda: not _alive(before))


def regenerate(browser: WebDriver, fake: FakeLLM, answer: Callable[[dict], dict], *, until: str) -> None:
    """Click Regenerate with the model answering ``answer``, until the element ``until`` shows."""
    fake.responder = answer
    try:
        click(browser, "#regenerate")
        wait_for(lambda: bool(browser.find_elements(By.ID, until)))
    finally:
        fake.responder = None


def _alive(element: object) -> bool:
    try:
        element.tag_name  # type: ignore[attr-defined]  # noqa: B018 - raises once the page is gone
        return True
    except StaleElementReferenceException:
        return False


def open_details(browser: WebDriver, selector: str) -> None:
    browser.execute_script("document.querySelector(arguments[0]).open = true", selector)


def test_desk_lists_every_video_newest_first_and_filters(desk: Served, browser: WebDriver, tmp_path: Path) -> None:
    assert browser.current_url == desk.base + "/"  # the token left the address bar
    assert rows(browser) == [MV, BW, FAILED]  # 2022, 2021, then the failed video without a date
    table = browser.find_element(By.ID, "desk").text
    assert "Trying to Wheelie Without the Rear Brake" in table and "TheUselessTrials" in table
    assert "failed no_transcript" in table and "draft" in table
    screenshot(browser, "review-desk.png", tmp_path, 480)

    Select(browser.find_element(By.NAME, "state")).select_by_value("failed")
    submit_filter(browser)
    assert rows(browser) == [FAILED]
    Select(browser.find_element(By.NAME, "state")).select_by_value("")
    search = browser.find_element(By.NAME, "q")
    search.clear()
    search.send_keys("mental outlaw")
    submit_filter(browser)
    assert rows(browser) == [MV]


def test_video_page_shows_post_transcript_times_and_flags(desk: Served, browser: WebDriver, tmp_path: Path) -> None:
    browser.get(f"{desk.base}/video/{BW}")
    sections = browser.find_elements(By.CSS_SELECTOR, "#rendered .post-section")
    article = Store(desk.out).read(BW, "article")
    assert [s.find_element(By.TAG_NAME, "h3").text for s in sections] == [s["heading"] for s in article["sections"]]
    paragraphs = browser.find_elements(By.CSS_SELECTOR, "#transcript p[data-start]")
    transcript = Store(desk.out).read(BW, "transcript")
    assert len(paragraphs) == len(transcript["paragraphs"])
    assert "what's up shinas" in paragraphs[0].text
    assert [p.find_element(By.CSS_SELECTOR, "a.time").get_attribute("href") for p in paragraphs[:3]] == [
        f"https://www.youtube.com/watch?v={BW}&t={int(p['start'])}s" for p in transcript["paragraphs"][:3]]
    assert browser.find_element(By.ID, "words-source").text == "yt-dlp-automatic-captions"
    # A section's stretch of the video: the button scrolls the transcript there; a link opens the video there.
    second = article["sections"][1]
    click(browser, "#s-2 .seek")
    here = browser.find_element(By.CSS_SELECTOR, "#transcript p.here")
    assert int(float(here.get_attribute("data-start") or "nan")) == int(second["start"])
    link = browser.find_element(By.CSS_SELECTOR, "#s-2 a.at").get_attribute("href")
    assert link == f"https://www.youtube.com/watch?v={BW}&t={int(second['start'])}s"
    # Every flag is marked in the post and listed with its closest transcript passage.
    flags = Store(desk.out).read(BW, "flags")["flags"]
    assert flags
    marks = browser.find_elements(By.CSS_SELECTOR, "#rendered mark.flag")
    assert {m.text for m in marks} == {f["text"] for f in flags}
    items = browser.find_elements(By.CSS_SELECTOR, "#flags > li")
    assert len(items) == len(flags)
    assert all(item.find_element(By.CSS_SELECTOR, "blockquote.proof").text for item in items)
    marks[0].click()
    assert browser.find_element(By.CSS_SELECTOR, "#transcript p.here")
    screenshot(browser, "review-video.png", tmp_path, 1250)


def test_edit_and_save_is_kept_on_the_next_run(desk: Served, browser: WebDriver, workdir: Path, fake: FakeLLM) -> None:
    browser.get(f"{desk.base}/video/{BW}")
    open_details(browser, "#edit")
    body = browser.find_element(By.ID, "body")
    body.send_keys("\n\n审稿人补充的一段话。")
    tags = browser.find_element(By.NAME, "fm_tags")
    tags.clear()
    tags.send_keys("Motorcycle Trials, wheelie")
    Select(browser.find_element(By.NAME, "fm_category")).select_by_value("lifestyle-sports")
    click(browser, "#save")
    assert "saved" in browser.find_element(By.ID, "message").text
    path = post_of(desk.out, BW)
    saved = path.read_text(encoding="utf-8")
    post = frontmatter.loads(saved)
    assert post.content.endswith("审稿人补充的一段话。") and "\r" not in saved
    assert post["tags"] == ["motorcycle-trials", "wheelie"] and post["category"] == "lifestyle-sports"
    assert browser.find_element(By.ID, "state").text == "edited"
    # The next run leaves the reviewer's post alone and puts its own version beside it.
    result = run_pipeline(workdir, fake, "run", str(workdir / "videos" / f"{BW}.info.json"), "--force")
    assert result.returncode == 0, result.stderr
    assert path.read_text(encoding="utf-8") == saved
    assert path.with_name(path.name + ".regenerated").is_file()


def test_approve_sets_draft_false_and_copies_into_the_site(workdir: Path, fake: FakeLLM, browser: WebDriver,
                                                           tmp_path: Path) -> None:
    site = tmp_path / "site" / "posts"
    config = Config.model_validate({"review": {"site_dir": str(site)}})
    with serve_desk(workdir / "output", config, fake) as desk:
        browser.delete_all_cookies()
        browser.get(desk.url_with_token)
        browser.get(f"{desk.base}/video/{BW}")
        before = post_of(desk.out, BW).read_text(encoding="utf-8")
        click(browser, "#approve")
        assert "approved" in browser.find_element(By.ID, "message").text
        after = post_of(desk.out, BW).read_text(encoding="utf-8")
        assert after == before.replace("\ndraft: true\n", "\ndraft: false\n")
        assert (site / post_of(desk.out, BW).name).read_text(encoding="utf-8") == after
        assert browser.find_element(By.ID, "state").text == "approved"
        assert not browser.find_element(By.ID, "approve").is_enabled()
        browser.get(f"{desk.base}/?state=approved")
        assert rows(browser) == [BW]


def test_ignore_and_unignore(desk: Served, browser: WebDriver) -> None:
    browser.get(f"{desk.base}/video/{MV}")
    click(browser, "#ignore")
    assert Store(desk.out).status(MV)["ignored"] is True
    assert browser.find_element(By.ID, "state").text == "ignored"
    browser.get(f"{desk.base}/?state=ignored")
    assert rows(browser) == [MV]
    browser.get(f"{desk.base}/video/{MV}")
    click(browser, "#ignore")
    assert Store(desk.out).status(MV)["ignored"] is False


def test_retry_a_failed_video(tmp_path: Path, fake: FakeLLM, browser: WebDriver) -> None:
    fake.reset()
    fake.queue(Reply(status=400, error={"error": {"message": "model overloaded today", "type": "invalid_request_error"}}))
    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "videos" / f"{BW}.info.json", videos)
    failed = run_pipeline(tmp_path, fake, "run", str(videos / f"{BW}.info.json"))
    assert failed.returncode == 1 and "model overloaded today" in failed.stderr
    with serve_desk(tmp_path / "output", fake=fake) as desk:
        browser.delete_all_cookies()
        browser.get(desk.url_with_token)
        browser.get(f"{desk.base}/video/{BW}")
        assert "model overloaded today" in browser.find_element(By.ID, "error").text
        click(browser, "#retry")
        wait_for(lambda: bool(browser.find_elements(By.ID, "state"))
                 and browser.find_element(By.ID, "state").text == "draft")
        assert not browser.find_elements(By.ID, "error")
        assert Store(desk.out).status(BW).get("error") is None


def test_regenerate_one_section_keeps_the_reviewers_edits(desk: Served, browser: WebDriver, fake: FakeLLM,
                                                          tmp_path: Path) -> None:
    path = post_of(desk.out, BW)
    spent_before = Store(desk.out).status(BW)["spent"]["tokens"]
    edited = path.read_text(encoding="utf-8").replace("编号", "（审稿人改过）编号", 1)
    path.write_text(edited, encoding="utf-8")
    new_body = "重写后的第二节：更简洁的正文，保留 12 个数字。"

    browser.get(f"{desk.base}/video/{BW}")
    open_details(browser, "#regen")
    Select(browser.find_element(By.ID, "regen-section")).select_by_value("2")
    browser.find_element(By.ID, "instruction").send_keys("更简洁")
    regenerate(browser, fake, lambda body: {"heading": "重写后的第二节", "start": "05:28", "body": new_body},
               until="accept")
    request = fake.requests[-1]["messages"][-1]["content"]
    assert "更简洁" in request and "<instruction>" in request and "<section>" in request
    assert "[05:28]" in request and "[00:01]" not in request  # only the section's stretch of the transcript
    diff = browser.find_element(By.ID, "diff").text
    assert f"+ {new_body}" in diff and "+ ### 重写后的第二节" in diff
    screenshot(browser, "review-candidate.png", tmp_path, 700, at="candidate")
    assert path.read_text(encoding="utf-8") == edited  # nothing changes before accepting
    click(browser, "#accept")
    assert "accepted" in browser.find_element(By.ID, "message").text
    post = path.read_text(encoding="utf-8")
    assert "（审稿人改过）编号" in post and new_body in post and "### 重写后的第二节" in post
    assert not (desk.out / "videos" / BW / "candidate.json").exists()
    assert Store(desk.out).status(BW)["spent"]["tokens"] > spent_before  # the video's cost counts the call


HOSTILE_BODY = """### <script>window.pwned = 1</script>标题 {{ 7*7 }}

<img id="evil-img" src="x" onerror="window.pwned = 2"> 正文 <b id="evil-b">粗体</b>

[点我](javascript:window.pwned=3) [又一个](JAVASCRIPT:alert(1)) <a id="evil-a" href="javascript:alert(1)">a</a>
[实体](&#106;avascript:alert(1)) [空格]( javascript:alert(1)) <javascript:alert(1)> [数据](data:text/html,<script>alert(1)</script>)
![图](javascript:alert(1)) [ref][r]

[r]: javascript:alert(1)

<iframe id="evil-frame" src="javascript:alert(1)"></iframe>{% raw %}{% endraw %} {{ constructor.constructor('window.pwned=4')() }}
"""


def test_hostile_content_renders_inert(desk: Served, browser: WebDriver) -> None:
    out = desk.out
    store = Store(out)
    path = post_of(out, BW)
    hostile = '"><script>window.pwned=5</script>'
    post = frontmatter.loads(path.read_text(encoding="utf-8"))
    post.content = HOSTILE_BODY
    post["title"] = f"{hostile} {{{{ 7*7 }}}}"
    path.write_text(frontmatter.dumps(post), encoding="utf-8")
    transcript = store.read(BW, "transcript")
    transcript["paragraphs"][0]["text"] = '<img id="evil-t" src=x onerror="window.pwned=6"> {{ 7*7 }}'
    transcript["source"] = '<b id="evil-source">x</b>'
    store.write(BW, "transcript", transcript)
    store.write(BW, "flags", {"flags": [{"kind": "name", "text": "<script>", "section": '<i id="evil-i">',
                                         "reason": '<img id="evil-r" src=x onerror="window.pwned=7">'}]})
    article = store.read(BW, "article")
    article["warnings"] = ['<img id="evil-w" src=x onerror="window.pwned=8">']
    article["sections"][0]["heading"] = '<img id="evil-h" src=x onerror="window.pwned=9">'
    store.write(BW, "article", article)
    meta = store.read(BW, "metadata")
    meta["title"] = '<img id="evil-m" src=x onerror="window.pwned=10"> {{ 7*7 }}'
    meta["channel"] = '<script>window.pwned=11</script>'
    meta["id"], meta["webpage_url"] = "local-file", "javascript:window.pwned=12"  # not a YouTube video
    store.write(BW, "metadata", meta)

    browser.get(f"{desk.base}/video/{BW}")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it raises when there is none
    assert browser.execute_script("return window.pwned === undefined")
    for element_id in ("evil-img", "evil-b", "evil-a", "evil-frame", "evil-t", "evil-source", "evil-i", "evil-r",
                       "evil-w", "evil-h", "evil-m"):
        assert browser.find_elements(By.ID, element_id) == [], element_id
    assert browser.execute_script(
        "return document.querySelectorAll('main script, main iframe, main img, [onerror]').length") == 0
    links = browser.execute_script("return [...document.querySelectorAll('a')].map(a => a.getAttribute('href'))")
    assert not [h for h in links if h and h.strip().lower().startswith("javascript:")]
    rendered = browser.find_element(By.ID, "rendered").text
    assert "<script>window.pwned = 1</script>标题 {{ 7*7 }}" in rendered and "49" not in rendered
    assert '<img id="evil-img"' in rendered  # shown as text, as the site would show it
    assert "{{ 7*7 }}" in browser.find_element(By.CSS_SELECTOR, "h1").text
    links = [h.strip().lower() for h in links if h]
    assert not [h for h in links if h.startswith(("javascript:", "data:", "vbscript:"))], links
    browser.get(f"{desk.base}/")
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.find_elements(By.CSS_SELECTOR, "main script, #evil-m") == []
    assert '<img id="evil-m"' in browser.find_element(By.ID, "desk").text


def test_regenerate_the_whole_article_then_discard(desk: Served, browser: WebDriver, fake: FakeLLM) -> None:
    path = post_of(desk.out, BW)
    before = path.read_text(encoding="utf-8")
    browser.get(f"{desk.base}/video/{BW}")
    open_details(browser, "#regen")
    browser.find_element(By.ID, "instruction").send_keys("keep the numbers in a table")

    regenerate(browser, fake, lambda body: dict(default_answer(body), title="重新生成的标题"), until="discard")
    request = fake.requests[-1]["messages"][-1]["content"]
    assert "keep the numbers in a table" in request and "<transcript>" in request and "[00:01]" in request
    diff = browser.find_element(By.ID, "diff").text
    assert "+ title: 重新生成的标题" in diff and "- title: 视频内容的中文标题" in diff
    assert (desk.out / "videos" / BW / "candidate.json").is_file()
    click(browser, "#discard")
    assert "discarded" in browser.find_element(By.ID, "message").text
    assert not (desk.out / "videos" / BW / "candidate.json").exists()
    assert path.read_text(encoding="utf-8") == before


def test_the_browser_is_refused_without_token_csrf_or_a_local_host(desk: Served, browser: WebDriver) -> None:
    path = post_of(desk.out, BW)
    before = path.read_bytes()
    # Signed in (the desk fixture opened the URL with the token), a POST without the CSRF token:
    browser.get(f"{desk.base}/video/{BW}")
    status = browser.execute_script(
        "const form = new FormData(); form.append('ignored', '1');"
        "return fetch(arguments[0], {method: 'POST', body: form}).then(r => r.status)",
        f"{desk.base}/video/{BW}/approve")
    assert status == 403 and path.read_bytes() == before
    # A page of another site that resolves to this machine (DNS rebinding): refused, token or not.
    port = desk.base.rsplit(":", 1)[1]
    browser.get(f"http://{REBOUND}:{port}/?token={desk.url_with_token.split('token=')[1]}")
    assert "foreign Host" in browser.find_element(By.TAG_NAME, "body").text
    # Without the cookie: every page is refused.
    browser.get(f"{desk.base}/")
    browser.delete_all_cookies()
    browser.get(f"{desk.base}/video/{BW}")
    assert "403" in browser.find_element(By.TAG_NAME, "body").text
    assert browser.find_elements(By.ID, "rendered") == []


def response_status(browser: WebDriver) -> int:
    return int(browser.execute_script("return performance.getEntriesByType('navigation')[0].responseStatus"))


def set_title(browser: WebDriver, title: str) -> None:
    click(browser, "#edit-open")
    field = browser.find_element(By.NAME, "fm_title")
    field.clear()
    field.send_keys(title)


def test_a_save_from_a_tab_that_did_not_see_another_tabs_save_is_refused_and_lost_nowhere(
        desk: Served, browser: WebDriver, tmp_path: Path) -> None:
    path = post_of(desk.out, BW)
    browser.get(f"{desk.base}/video/{BW}")
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    try:
        browser.get(f"{desk.base}/video/{BW}")
        set_title(browser, "第二个标签页保存的标题")
        click(browser, "#save")
        assert "saved" in browser.find_element(By.ID, "message").text
    finally:
        browser.close()
        browser.switch_to.window(first)
    second_tab = path.read_text(encoding="utf-8")

    set_title(browser, "第一个标签页的标题")  # this tab still shows the post before the other's save
    click(browser, "#save")
    assert response_status(browser) == 409
    assert "the post changed since this page showed it" in browser.find_element(By.ID, "conflict-reason").text
    assert path.read_text(encoding="utf-8") == second_tab  # the other tab's save stands
    kept = path.with_name(browser.find_element(By.ID, "conflict-kept").text)
    assert frontmatter.loads(kept.read_text(encoding="utf-8"))["title"] == "第一个标签页的标题"  # and this one's is kept
    diff = browser.find_element(By.ID, "conflict-diff").text
    assert "- title: 第二个标签页保存的标题" in diff and "+ title: 第一个标签页的标题" in diff
    screenshot(browser, "review-conflict.png", tmp_path, 640)
    # The refusal's page is the post as it is now: the reviewer can redo the change from it.
    assert browser.find_element(By.CSS_SELECTOR, "h1").text == "第二个标签页保存的标题"
    set_title(browser, "第一个标签页的标题")
    click(browser, "#save")
    assert "saved" in browser.find_element(By.ID, "message").text
    assert frontmatter.loads(path.read_text(encoding="utf-8"))["title"] == "第一个标签页的标题"


def test_a_heading_changed_in_a_text_editor_survives_a_save_of_the_title(desk: Served, browser: WebDriver) -> None:
    path = post_of(desk.out, BW)
    browser.get(f"{desk.base}/video/{BW}")
    in_editor = path.read_text(encoding="utf-8").replace("### 第13节：视频的要点", "### 编辑器里改的小标题")
    path.write_text(in_editor, encoding="utf-8")
    set_title(browser, "桌面上改的标题")
    click(browser, "#save")
    assert response_status(browser) == 409
    assert path.read_text(encoding="utf-8") == in_editor
    assert "- ### 编辑器里改的小标题" in browser.find_element(By.ID, "conflict-diff").text
    kept = path.with_name(browser.find_element(By.ID, "conflict-kept").text)
    assert frontmatter.loads(kept.read_text(encoding="utf-8"))["title"] == "桌面上改的标题"


def test_an_empty_regenerated_section_is_a_failed_job_that_cannot_be_accepted(
        desk: Served, browser: WebDriver, fake: FakeLLM) -> None:
    path = post_of(desk.out, BW)
    before = path.read_bytes()
    browser.get(f"{desk.base}/video/{BW}")
    click(browser, "#regen-open")
    Select(browser.find_element(By.ID, "regen-section")).select_by_value("2")
    regenerate(browser, fake, lambda body: {"heading": "", "start": "", "body": ""}, until="candidate-error")
    error = browser.find_element(By.ID, "candidate-error").text
    assert "empty heading and body" in error and "would delete the words it replaces" in error
    assert browser.find_elements(By.ID, "accept") == []
    assert path.read_bytes() == before
    # The section is still there, its words on the page.
    assert browser.find_element(By.CSS_SELECTOR, "#s-2 h3").text == "第13节：视频的要点"


def _with_warnings(out: Path, count: int) -> None:
    store = Store(out)
    article = store.read(BW, "article")
    article["warnings"] = [f"section {n}: its start time 99:{n:02d} is past the end of the video; dropped"
                           for n in range(count)]
    store.write(BW, "article", article)


def test_the_main_actions_are_on_the_first_screen_above_the_post(desk: Served, browser: WebDriver) -> None:
    _with_warnings(desk.out, 25)  # a long list of warnings must not push the post away
    browser.get(f"{desk.base}/video/{BW}")
    with viewport(browser, 1280, 800):
        for selector in ("#approve", "#edit-open", "#regen-open", "#s-1 h3"):
            assert on_first_screen(browser, selector), selector
        assert browser.find_element(By.ID, "warnings").text.startswith("25 warning(s)")  # one line until opened
        # Edit opens where it is, before the post.
        click(browser, "#edit-open")
        assert browser.find_element(By.ID, "body").location["y"] < browser.find_element(By.ID, "rendered").location["y"]


@pytest.mark.parametrize("width", [400, 1280])
def test_the_list_and_a_video_page_fit_the_screen(desk: Served, browser: WebDriver, fake: FakeLLM, tmp_path: Path,
                                                  width: int) -> None:
    _with_warnings(desk.out, 3)
    size = "phone" if width < 600 else "wide"
    browser.get(f"{desk.base}/")
    with viewport(browser, width, 860):
        assert sideways(browser) == 0
        for video_id in (MV, BW, FAILED):  # every row shows its state, flags and cost on the screen
            row = browser.find_element(By.CSS_SELECTOR, f"#desk tr[data-video='{video_id}']")
            for cell in row.find_elements(By.TAG_NAME, "td"):
                box = browser.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.left, r.right]", cell)
                assert 0 <= box[0] and box[1] <= width, (video_id, cell.text)
    # The phone's screenshots are the README's; the wide ones are the other tests' (review-desk.png).
    screenshot(browser, f"review-desk-{size}.png", tmp_path, 860, width=width, into=None if width < 600 else tmp_path)

    browser.get(f"{desk.base}/video/{BW}")
    with viewport(browser, width, 860):
        assert sideways(browser) == 0
        post = browser.find_element(By.ID, "post").rect
        transcript = browser.find_element(By.ID, "transcript").rect
        if width < 600:
            assert transcript["y"] >= post["y"] + post["height"] - 1  # the transcript below the post
            for selector in ("#approve", "#edit-open", "#regen-open"):
                assert on_first_screen(browser, selector), selector
        else:
            assert transcript["x"] >= post["x"] + post["width"] - 1  # beside it
    screenshot(browser, f"review-video-{size}.png", tmp_path, 860, width=width, into=None if width < 600 else tmp_path)
    with viewport(browser, width, 860):
        click(browser, "#edit-open")
        assert sideways(browser) == 0  # the edit form fits too


@pytest.mark.parametrize("name", ["hugo", "hexo", "jekyll"])
def test_a_site_generators_draft_edited_and_approved_on_the_desk_is_built(name: str, fake: FakeLLM,
                                                                          browser: WebDriver, tmp_path: Path) -> None:
    from tests.sites import GENERATORS

    videos = tmp_path / "videos"
    videos.mkdir()
    for src in (FIXTURES / "videos").glob(f"{BW}*"):
        (videos / src.name).write_bytes(src.read_bytes())
    fake.reset()
    result = run_pipeline(tmp_path, fake, "run", "--format", name, str(videos / f"{BW}.info.json"))
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    config = Config.model_validate({"post": {"format": name}, "review": {"site_dir": str(site)}})
    with serve_desk(tmp_path / "output", config, fake) as desk:
        browser.delete_all_cookies()
        browser.get(desk.url_with_token)
        browser.get(f"{desk.base}/video/{BW}")
        open_details(browser, "#edit")
        browser.find_element(By.ID, "body").send_keys("\n\n审稿人在桌面上补充的一段话。")
        click(browser, "#save")
        assert "saved" in browser.find_element(By.ID, "message").text
        assert browser.find_element(By.ID, "state").text == "edited"
        click(browser, "#approve")
        assert "approved" in browser.find_element(By.ID, "message").text
        assert browser.find_element(By.ID, "state").text == "approved"
    posts_dir = tmp_path / "output" / "posts"
    published = post_of(tmp_path / "output", BW)
    assert published.relative_to(posts_dir).as_posix().startswith(
        {"hugo": "content/posts/", "hexo": "source/_posts/", "jekyll": "_posts/2021-07-20-"}[name])
    assert not any(posts_dir.rglob("_drafts/*.md"))
    assert (site / published.relative_to(posts_dir)).read_bytes() == published.read_bytes()
    built = GENERATORS[name].build(posts_dir, tmp_path / "build")
    assert any("审稿人在桌面上补充的一段话。" in page.read_text(encoding="utf-8") for page in built.rglob("*.html"))


@pytest.mark.parametrize("name", ["hexo", "jekyll"])
def test_a_tab_that_showed_a_draft_is_refused_once_another_tab_moved_it_to_the_posts_folder(
        name: str, fake: FakeLLM, browser: WebDriver, tmp_path: Path) -> None:
    """Approving a Hexo or Jekyll draft moves the file and leaves its bytes as they were: a tab
    still showing the draft must get the conflict, as a Hugo or Eleventy tab does when another
    flipped ``draft``, not write its edit into the published post."""
    videos = tmp_path / "videos"
    videos.mkdir()
    for src in (FIXTURES / "videos").glob(f"{BW}*"):
        (videos / src.name).write_bytes(src.read_bytes())
    fake.reset()
    assert run_pipeline(tmp_path, fake, "run", "--format", name, str(videos / f"{BW}.info.json")).returncode == 0
    config = Config.model_validate({"post": {"format": name}})
    with serve_desk(tmp_path / "output", config, fake) as desk:
        browser.delete_all_cookies()
        browser.get(desk.url_with_token)
        browser.get(f"{desk.base}/video/{BW}")
        first = browser.current_window_handle
        browser.switch_to.new_window("tab")
        try:
            browser.get(f"{desk.base}/video/{BW}")
            click(browser, "#approve")
            assert "approved" in browser.find_element(By.ID, "message").text
        finally:
            browser.close()
            browser.switch_to.window(first)
        published = post_of(desk.out, BW)
        approved = published.read_text(encoding="utf-8")
        set_title(browser, "还以为是草稿的标签页")  # this tab still shows the draft
        click(browser, "#save")
        assert response_status(browser) == 409
        assert "the post changed since this page showed it" in browser.find_element(By.ID, "conflict-reason").text
        assert published.read_text(encoding="utf-8") == approved
        kept = published.with_name(browser.find_element(By.ID, "conflict-kept").text)
        assert frontmatter.loads(kept.read_text(encoding="utf-8"))["title"] == "还以为是草稿的标签页"
        assert browser.find_element(By.ID, "state").text == "approved"  # the page now shows the post as it is


def test_a_flag_in_the_post_is_reached_and_followed_with_the_keyboard(desk: Served, browser: WebDriver) -> None:
    """A flagged phrase jumps to its flag and the transcript's evidence on a click: Tab reaches it
    and Enter does the same, as for the section's buttons."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{desk.base}/video/{BW}")
    first = browser.find_element(By.CSS_SELECTOR, "#rendered mark.flag")
    browser.execute_script("arguments[0].closest('.post-section').querySelector('.seek').focus()", first)
    focused = None
    for _ in range(40):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        focused = browser.switch_to.active_element
        if focused.tag_name == "mark":
            break
    assert focused is not None and focused.tag_name == "mark", "Tab never reaches a flagged phrase"
    assert not browser.find_elements(By.CSS_SELECTOR, "#transcript p.here")
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    item = browser.find_element(By.ID, f"flag-{focused.get_attribute('data-flag')}")
    proof = item.find_element(By.CSS_SELECTOR, ".seek[data-paragraph]").get_attribute("data-paragraph")
    assert browser.find_element(By.CSS_SELECTOR, "#transcript p.here").get_attribute("id") == f"p-{proof}"
