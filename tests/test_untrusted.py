"""Untrusted text from videos and the model: valid YAML, safe paths, no secrets anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import frontmatter
import pytest

from pipeline.config import Config
from pipeline.shapes import Metadata
from pipeline.sanitize import has_template_syntax, sanitize_inline, sanitize_markdown
from pipeline.post.write import build_post
from tests.conftest import FIXTURES, video_dir_with
from tests.fakellm import Reply

NASTY = ["yes", "no", "null", "~", "2025-01-01", "1e3", "0x10", "- item", ": colon", "# hash", "'quote", '"dq',
         "---", "{ a: 1 }", "[1, 2]", "& anchor", "* alias", "! tag", "| pipe", "> fold", "% pct", "@ at", "` tick",
         "line\nbreak", "nul\x00char", "bell\x07", "tab\there", "…unicode…", "🚀"]


@pytest.mark.parametrize("value", NASTY)
def test_front_matter_is_valid_yaml_of_the_right_type(value: str) -> None:
    article = {"title": value, "summary": value, "guest": value, "insight": value, "tags": [value, "ok"],
               "area": "tech-engineering", "category": "ai-ml", "companies_orgs": [value], "products_models": [],
               "sections": [{"heading": value, "body": value}]}
    meta = Metadata(id="abcdefghijk", title=value, channel=value, upload_date="20240102")
    post = frontmatter.loads(build_post(article, meta, Config()).text)
    for key in ("title", "summary", "guest", "insight", "speaker", "date", "series", "status", "layout"):
        assert isinstance(post[key], str), key
    for key in ("tags", "media_books", "companies_orgs", "products_models", "project"):
        assert isinstance(post[key], list) and all(isinstance(v, str) for v in post[key]), key
    assert post["draft"] is True
    assert "\x00" not in post["title"] and "\n" not in post["title"]


def test_sanitize_keeps_ordinary_markdown_and_seed_text() -> None:
    seed = (FIXTURES / "seed-post.md").read_text(encoding="utf-8").split("---\n", 2)[2]
    assert sanitize_markdown(seed) == seed
    text = "**粗体** 和 `code` 以及 [链接](https://example.com) 还有 a < b 和 > 引用\n\n- 列表"
    assert sanitize_markdown(text) == text
    assert not has_template_syntax(seed)


@pytest.mark.parametrize("hostile, gone", [
    ("<script>alert(1)</script>text", "alert"),
    ("<SCRIPT src=x>", "<SCRIPT"),
    ("<img src=x onerror=alert(1)>", "<img"),
    ("<iframe src=//evil></iframe>", "<iframe"),
    ("<a href='javascript:alert(1)'>x</a>", "<a "),
    ("[x](javascript:alert(1))", "javascript"),
    ("[x]( JaVaScRiPt:alert(1))", "alert"),
    ("[x](java&#x09;script:alert(1))", "alert"),
    ("![x](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
    ("<!-- comment --><style>body{}</style>", "<!--"),
])
def test_sanitize_removes_html_and_script_links(hostile: str, gone: str) -> None:
    assert gone not in sanitize_markdown(hostile)


def test_template_syntax_is_detected() -> None:
    for text in ("{{ x }}", "{% if %}", "{# c #}", "a }} b"):
        assert has_template_syntax(text)
    assert sanitize_inline("a\nb\x00c") == "a bc"


@pytest.mark.parametrize("title", ["../../etc/x", "人工智能的未来", "🚀🔥", "/etc/passwd", "..", "CON", "a" * 300])
def test_every_title_gives_a_file_inside_posts(cli, fake_llm, tmp_path: Path, title: str) -> None:
    videos = video_dir_with(tmp_path, "bwRHIkYqYJo")
    info = json.loads((videos / "bwRHIkYqYJo.info.json").read_text(encoding="utf-8"))
    info["title"] = title
    (videos / "bwRHIkYqYJo.info.json").write_text(json.dumps(info), encoding="utf-8")
    result = cli("run", str(videos / "bwRHIkYqYJo.info.json"))
    assert result.code == 0, result.stderr
    posts = tmp_path / "output" / "posts"
    [post] = list(posts.iterdir())
    assert post.resolve().parent == posts.resolve() and post.suffix == ".md" and len(post.name) < 120


def test_secrets_never_leave_the_process(cli, fake_llm, tmp_path: Path) -> None:
    api_key = "sk-test-SECRET-abcdef0123456789"
    proxy_password = "pr0xyPassw0rd"
    cookies = tmp_path / "cookies.txt"
    cookies.write_text("# Netscape HTTP Cookie File\n.youtube.com\tTRUE\t/\tTRUE\t0\tSID\tc00kieValueXYZ\n")
    (tmp_path / "config.yaml").write_text(
        f"youtube:\n  proxy: http://user:{proxy_password}@127.0.0.1:9\n  cookies_file: {cookies}\n")
    info = video_dir_with(tmp_path, "bwRHIkYqYJo") / "bwRHIkYqYJo.info.json"
    fake_llm.queue(Reply(status=401, error={"error": {"message": f"Incorrect API key provided: {api_key}",
                                                      "type": "invalid_request_error"}}))
    failed = cli("run", str(info), "--verbose", env={"OPENAI_API_KEY": api_key})
    assert failed.code == 2  # a rejected key stops the run: a configuration error
    ok = cli("run", str(info), "--verbose", env={"OPENAI_API_KEY": api_key})
    assert ok.code == 0, ok.stderr
    status = cli("status", "--details", env={"OPENAI_API_KEY": api_key})
    everything = failed.stdout + failed.stderr + ok.stdout + ok.stderr + status.stdout + status.stderr
    for path in (tmp_path / "output").rglob("*"):
        if path.is_file():
            everything += path.read_text(encoding="utf-8", errors="replace")
    assert "[redacted]" in failed.stderr
    for secret in (api_key, proxy_password, "c00kieValueXYZ"):
        assert secret not in everything
    # The key did reach the model server, where it belongs.
    assert any({k.lower(): v for k, v in h.items()}.get("authorization") == f"Bearer {api_key}"
               for h in fake_llm.headers)


def test_credentials_in_openai_base_url_are_masked(monkeypatch) -> None:
    from pipeline.config import Config
    from pipeline.redact import install, redact

    monkeypatch.setenv("OPENAI_BASE_URL", "https://bob:s3cretpass99@llm.example/v1")
    install(Config())
    try:
        assert "s3cretpass99" not in redact("cannot reach the model server at https://bob:s3cretpass99@llm.example/v1")
    finally:
        install(None)
