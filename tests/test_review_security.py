"""The review desk's guards, in process (Starlette's TestClient): token, CSRF, Host, escaping."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipeline.config import load_config
from pipeline.review.app import ACTIONS, create_app
from pipeline.review.security import cookie_name, csrf_token
from pipeline.store import Store
from tests.fakellm import FakeLLM
from tests.review_desk import TOKEN, built, llm_env, out  # noqa: F401 - fixtures

BW = "bwRHIkYqYJo"
LOCAL = "http://127.0.0.1:8765"


@pytest.fixture
def client(out: Path) -> Iterator[TestClient]:
    app = create_app(out, load_config(None), token=TOKEN, allowed_hosts={"127.0.0.1", "localhost", "::1"})
    with TestClient(app, base_url=LOCAL, follow_redirects=False) as test_client:
        yield test_client


def signed_in(client: TestClient) -> TestClient:
    first = client.get(f"/?token={TOKEN}")
    assert first.status_code == 303 and first.headers["location"] == "/"
    cookie = first.headers["set-cookie"]
    assert f"{cookie_name(TOKEN)}={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    return client


def post_path(out: Path, video_id: str = BW) -> Path:
    return Store(out).resolve(Store(out).read(video_id, "post")["path"])


def test_every_page_needs_the_token(client: TestClient) -> None:
    for path in ("/", f"/video/{BW}", f"/video/{BW}/job", "/static/review.js", "/nowhere"):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert "token" in answer.text
    assert client.get("/?token=wrong").status_code == 403
    client.cookies.set(cookie_name(TOKEN), "wrong")
    assert client.get("/").status_code == 403


def test_each_desk_has_its_own_cookie() -> None:
    assert cookie_name("one") != cookie_name("two") and cookie_name("one") == cookie_name("one")


def test_the_token_in_the_url_becomes_a_cookie_and_leaves_the_address(client: TestClient) -> None:
    signed_in(client)
    page = client.get("/")
    assert page.status_code == 200 and "Trying to Wheelie Without the Rear Brake" in page.text
    kept = client.get(f"/video/{BW}?token={TOKEN}&x=1")
    assert kept.status_code == 303 and kept.headers["location"] == f"/video/{BW}?x=1"


def test_answers_carry_a_content_security_policy(client: TestClient) -> None:
    signed_in(client)
    for answer in (client.get("/"), client.get("/nowhere")):
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert answer.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example", "", "[::2]:8765"])
def test_a_foreign_host_header_is_refused_even_with_the_token(client: TestClient, host: str) -> None:
    signed_in(client)
    answer = client.get("/", headers={"host": host})
    assert answer.status_code == 403 and "Host" in answer.text
    assert client.get(f"/?token={TOKEN}", headers={"host": host}).status_code == 403


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765", "LOCALHOST"])
def test_loopback_names_are_accepted(client: TestClient, host: str) -> None:
    signed_in(client)
    assert client.get("/", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_state_changing_request_needs_the_csrf_token(client: TestClient, out: Path, action: str) -> None:
    signed_in(client)
    before = post_path(out).read_bytes()
    status_before = (out / "videos" / BW / "status.json").read_bytes()
    form = {"body": "changed", "ignored": "1", "instruction": "x", "section": "1"}
    assert client.post(f"/video/{BW}/{action}", data=form).status_code == 403
    assert client.post(f"/video/{BW}/{action}", data={**form, "csrf_token": "forged"}).status_code == 403
    assert client.post(f"/video/{BW}/{action}", data=form, headers={"x-csrf-token": csrf_token("other")}).status_code == 403
    assert post_path(out).read_bytes() == before
    assert (out / "videos" / BW / "status.json").read_bytes() == status_before


def test_without_the_token_a_post_is_refused_before_anything_else(client: TestClient, out: Path) -> None:
    before = post_path(out).read_bytes()
    answer = client.post(f"/video/{BW}/approve", data={"csrf_token": csrf_token(TOKEN)})
    assert answer.status_code == 403 and post_path(out).read_bytes() == before


def test_the_page_gives_the_csrf_token_and_it_works(client: TestClient, out: Path) -> None:
    signed_in(client)
    page = client.get(f"/video/{BW}").text
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found is not None
    token = found.group(1)
    answer = client.post(f"/video/{BW}/ignore", data={"csrf_token": token, "ignored": "1"})
    assert answer.status_code == 303 and answer.headers["location"].startswith(f"/video/{BW}?msg=ignored")
    assert Store(out).status(BW)["ignored"] is True  # the same field as ``yt2post ignore``
    assert client.post(f"/video/{BW}/ignore", headers={"x-csrf-token": token}, data={"ignored": "0"}).status_code == 303
    assert Store(out).status(BW)["ignored"] is False


def test_unknown_or_malformed_video_ids_are_not_found(client: TestClient) -> None:
    signed_in(client)
    for video_id in ("nope", "...", "%2e%2e%2fposts", "a" * 80):
        assert client.get(f"/video/{video_id}").status_code in (404, 403), video_id


HOSTILE = "<script>window.pwned=1</script> <img src=x onerror=\"window.pwned=2\"> {{ 7*7 }} [link](javascript:alert(1))"


def test_hostile_text_is_escaped_in_the_html(client: TestClient, out: Path) -> None:
    path = post_path(out)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\n### ", f"\n{HOSTILE}\n\n### ", 1), encoding="utf-8")
    signed_in(client)
    page = client.get(f"/video/{BW}").text
    assert "<script>window.pwned" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page
    assert 'href="javascript:' not in page and "{{ 7*7 }}" in page


def _start_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "pipeline", "review", "--no-browser", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=llm_env_without_llm())


def llm_env_without_llm() -> dict[str, str]:
    with FakeLLM() as fake:
        env = llm_env(fake)
    return {k: v for k, v in env.items() if not k.startswith("OPENAI_")}


def _url(proc: subprocess.Popen[str]) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        match = re.search(r"(http://\S+/\?token=\S+)", line)
        if match:
            return match.group(1)
    raise AssertionError("yt2post review printed no URL")


def test_cli_prints_a_loopback_url_with_a_random_token_that_opens_the_desk(out: Path) -> None:
    import urllib.error
    import urllib.request

    proc = _start_cli("--out", str(out))
    try:
        url = _url(proc)
        assert url.startswith("http://127.0.0.1:") and len(url.split("token=")[1]) >= 32
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url.split("?")[0])
        assert refused.value.code == 403
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        assert "Trying to Wheelie" in opener.open(url).read().decode()
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert "warning" not in stderr


def test_cli_warns_when_the_desk_listens_beyond_loopback(out: Path) -> None:
    proc = _start_cli("--out", str(out), "--host", "0.0.0.0")
    try:
        url = _url(proc)
        assert url.startswith("http://127.0.0.1:")
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert "warning: the review desk listens on 0.0.0.0, beyond this machine" in stderr


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_stopping_the_desk_says_so_in_one_line(out: Path, signum: int, status: int) -> None:
    proc = _start_cli("--out", str(out))
    try:
        _url(proc)
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == status
    assert stderr.splitlines() == ["review desk stopped"]  # not a batch run's "rerun to resume"


def test_cli_without_an_output_folder_is_a_usage_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli.main import main

    result = CliRunner().invoke(main, ["review", "--no-browser", "--out", str(tmp_path / "none")],
                                catch_exceptions=False, prog_name="yt2post")
    assert result.exit_code == 2 and "no such output folder" in result.stderr


def test_a_post_broken_by_hand_is_reported_on_its_page(client: TestClient, out: Path) -> None:
    path = post_path(out)
    path.write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    signed_in(client)
    page = client.get(f"/video/{BW}")
    assert page.status_code == 200 and "cannot be read" in page.text
    answer = client.post(f"/video/{BW}/approve", data={"csrf_token": csrf_token(TOKEN)})
    assert answer.status_code == 303 and "not%20done" in answer.headers["location"]
    assert path.read_text(encoding="utf-8").startswith("---\ntitle: [unclosed")


def test_every_route_that_changes_state_checks_the_csrf_token(out: Path) -> None:
    app = create_app(out, load_config(None), token=TOKEN, allowed_hosts={"127.0.0.1"})
    routes = [r for r in app.starlette.routes if getattr(r, "methods", None)]  # type: ignore[attr-defined]
    changing = [r for r in routes if set(r.methods) - {"GET", "HEAD"}]
    assert len(changing) == len(ACTIONS)
    assert all(getattr(r.endpoint, "state_changing", False) for r in changing)
    assert all(set(r.methods) == {"POST"} for r in changing)


def test_a_get_cannot_change_anything(client: TestClient, out: Path) -> None:
    signed_in(client)
    before = post_path(out).read_bytes()
    for action in ACTIONS:
        assert client.get(f"/video/{BW}/{action}").status_code == 405
    assert post_path(out).read_bytes() == before


def test_site_dir_is_relative_to_the_config_file(tmp_path: Path) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "config.yaml").write_text("review:\n  site_dir: site/posts\n", encoding="utf-8")
    assert load_config(folder / "config.yaml").review.site_dir == str(folder / "site" / "posts")


HOSTILE_URL = "javascript:alert(1)//youtube.com/watch?v="


@pytest.mark.parametrize("url", [
    HOSTILE_URL, "JavaScript:alert(1)//www.youtube.com/watch?v=x", "data:text/html,youtube.com/watch?v=x",
    "https://evil.example/youtube.com/watch?v=x", "https://youtube.com.evil.example/watch?v=x",
    "https://www.youtube.com/watch?v=x)[a](javascript:alert(1)", "https://www.youtube.com/watch?list=x",
    "https://www.youtube.com/watchlater?v=x", "https://www.youtube.com:bad/watch?v=x", ""])
def test_safe_video_url_refuses_anything_but_a_youtube_watch_page(url: str) -> None:
    from pipeline.post.links import safe_video_url

    assert safe_video_url(url) is None


def test_safe_video_url_keeps_youtube_watch_pages() -> None:
    from pipeline.post.links import safe_video_url

    for url in (f"https://www.youtube.com/watch?v={BW}", f"http://m.youtube.com/watch?v={BW}&list=PL1",
                f"https://youtube.com/watch?v={BW}"):
        assert safe_video_url(url) == url


def test_a_javascript_source_never_becomes_a_link() -> None:
    from pipeline.config import Config
    from pipeline.shapes import Metadata
    from pipeline.post.write import build_post, canonical_source
    from pipeline.review.render import video_link

    assert video_link(HOSTILE_URL, 5) == "" and video_link(HOSTILE_URL, None) == ""
    assert video_link(f"https://www.youtube.com/watch?v={BW}", 5.9) == f"https://www.youtube.com/watch?v={BW}&t=5s"
    meta = Metadata(id="hostile-video", title="t", webpage_url=HOSTILE_URL)
    # Not a web address: never a post's source (themes put it in an href), the video's id instead.
    assert canonical_source(meta) == "hostile-video"
    article = {"title": "标题", "summary": "摘要。", "tags": ["a"], "area": "AI", "category": "x",
               "sections": [{"heading": "一", "body": "正文。", "start": 12.0, "end": 30.0}]}
    config = Config.model_validate({"post": {"section_links": True}})
    assert "javascript:" not in build_post(article, meta, config).body
    good = Metadata(id=BW, title="t", webpage_url=f"https://www.youtube.com/watch?v={BW}")
    assert f"(https://www.youtube.com/watch?v={BW}&t=12s)" in build_post(article, good, config).body


def _hostile_source(out: Path) -> None:
    path = out / "videos" / BW / "metadata.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(id="hostile-video", webpage_url=HOSTILE_URL)
    path.write_text(json.dumps(data), encoding="utf-8")
    record = json.loads((out / "videos" / BW / "post.json").read_text(encoding="utf-8"))
    post = Store(out).resolve(record["path"])
    post.write_text(post.read_text(encoding="utf-8").replace(f"https://www.youtube.com/watch?v={BW}", HOSTILE_URL),
                    encoding="utf-8")


def test_a_hostile_source_url_gives_no_javascript_link_on_the_page_or_in_an_accepted_post(
        client: TestClient, out: Path) -> None:
    _hostile_source(out)
    signed_in(client)
    page = client.get(f"/video/{BW}")
    assert page.status_code == 200 and not re.search(r'href="\s*javascript:', page.text, re.IGNORECASE)
    from pipeline.config import Config
    from pipeline.review import posts

    candidate = {"kind": "article", "state": "done", "instruction": "只写一节", "article": {
        "title": "新标题", "summary": "新摘要。", "tags": ["new-tag"],
        "sections": [{"heading": "新的一节", "body": "新的正文。", "start": 1.0, "end": 582.0}]}}
    shown = posts.find_post(Store(out), BW)
    assert shown is not None
    path = posts.accept(Store(out), BW, candidate, Config.model_validate({"post": {"section_links": True}}),
                        shown.version)
    assert "(javascript:" not in path.read_text(encoding="utf-8")
