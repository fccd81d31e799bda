"""Errors every video would hit stop the run once, with one line naming the setting to fix;
a server without json_schema support is fallen back from; the rest is checked before any work."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
import yaml

from pipeline.config import LLMConfig
from pipeline.errors import LLMRequestFailed
from pipeline.llm.client import LLMClient
from pydantic import BaseModel
from tests.many_videos import make_videos
from tests.fakellm import FakeLLM, Reply, default_answer

COUNT = 20


def batch(tmp_path: Path, extra_config: str = "") -> None:
    make_videos(tmp_path / "videos", COUNT)
    (tmp_path / "config.yaml").write_text("llm:\n  concurrency: 4\n  max_attempts: 3\n  max_backoff: 0.2\n"
                                          + extra_config, encoding="utf-8")


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def untouched(tmp_path: Path) -> bool:
    """No video got a recorded failure, and none has an article: the next run starts clean."""
    videos = tmp_path / "output" / "videos"
    for folder in videos.iterdir():
        status = json.loads((folder / "status.json").read_text(encoding="utf-8"))
        if status.get("error") or (folder / "article.json").exists():
            return False
    return True


@pytest.mark.parametrize("reply, setting", [
    (Reply(status=401, error={"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                        "code": "invalid_api_key"}}), "OPENAI_API_KEY"),
    (Reply(status=403, error={"error": {"message": "forbidden", "type": "x"}}), "OPENAI_API_KEY"),
    (Reply(status=404, error={"error": {"message": "The model `gpt-9` does not exist", "type": "x",
                                        "code": "model_not_found"}}), "llm.model"),
    # The URL came from $OPENAI_BASE_URL (as the cli fixture sets it): that is the setting to fix.
    (Reply(raw=b"<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>x</body></html>"),
     "check the OPENAI_BASE_URL environment variable"),
    (Reply(raw=b'{"status": "ok"}', content_type="application/json"), "check the OPENAI_BASE_URL environment variable"),
    (Reply(status=404, raw=b"404 page not found", content_type="text/plain"),
     "check the OPENAI_BASE_URL environment variable"),
], ids=["401", "403", "404-model", "html-page", "no-choices", "404-path"])
def test_an_error_every_video_would_hit_stops_the_batch(cli, fake_llm: FakeLLM, tmp_path: Path,
                                                         reply: Reply, setting: str) -> None:
    batch(tmp_path)
    fake_llm.responder = lambda body: reply
    result = cli("run", "videos")
    assert result.code == 2, result
    assert fake_llm.calls <= 4, fake_llm.calls  # llm.concurrency
    lines = error_lines(result.stderr)
    assert 1 <= len(lines) <= 3 and setting in lines[0], result.stderr
    assert "not started" in lines[-1]
    assert "Traceback" not in result.stderr
    assert untouched(tmp_path)


def test_the_run_goes_on_after_the_setting_is_fixed(cli, fake_llm: FakeLLM, tmp_path: Path) -> None:
    batch(tmp_path)
    fake_llm.responder = lambda body: Reply(status=401, error={"error": {"message": "bad key", "type": "x"}})
    assert cli("run", "videos").code == 2
    fake_llm.responder = None
    result = cli("run", "videos")
    assert result.code == 0, result.stderr
    assert len(list((tmp_path / "output" / "posts").glob("*.md"))) == COUNT


def llama_cpp(body: dict) -> Reply | dict:
    """llama-cpp-python's server: json_schema is not a response_format type it knows."""
    if (body.get("response_format") or {}).get("type") == "json_schema":
        return Reply(status=500, error={"detail": [{"type": "literal_error", "loc": ["body", "response_format", "type"],
                                                    "msg": "Input should be 'text' or 'json_object'",
                                                    "input": "json_schema"}]})
    return default_answer(body)


@pytest.mark.parametrize("status", [400, 500])
def test_a_server_without_json_schema_is_fallen_back_from(cli, fake_llm: FakeLLM, tmp_path: Path,
                                                          status: int) -> None:
    batch(tmp_path)

    def server(body: dict) -> Reply | dict:
        answer = llama_cpp(body)
        if isinstance(answer, Reply):
            answer.status = status
        return answer

    fake_llm.responder = server
    result = cli("run", "videos")
    assert result.code == 0, result.stderr
    assert len(list((tmp_path / "output" / "posts").glob("*.md"))) == COUNT
    warnings = [line for line in result.stderr.splitlines() if "json_schema" in line]
    assert len(warnings) == 1 and "llm.structured_output: json_object" in warnings[0]
    schema_calls = [b for b in fake_llm.requests if b["response_format"]["type"] == "json_schema"]
    assert len(schema_calls) <= 4  # the calls already in flight when the first answer came back


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_no_server_listening_ends_within_one_videos_retry_budget(cli, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", COUNT)
    # One video's budget: 4 attempts, waits of at most 0.5 + 1 + 1 s.
    (tmp_path / "config.yaml").write_text(
        f"llm:\n  base_url: http://127.0.0.1:{free_port()}/v1\n  concurrency: 4\n  max_attempts: 4\n"
        "  max_backoff: 1\n", encoding="utf-8")
    started = time.monotonic()
    result = cli("run", "videos")
    elapsed = time.monotonic() - started
    assert result.code == 2, result
    lines = error_lines(result.stderr)
    assert len(lines) <= 3 and "cannot reach the model server" in lines[0], result.stderr
    assert "check llm.base_url in config.yaml and that the server is running" in lines[0]
    # Five rounds of four videos would take about 5 × 1.5 s on average; one budget is at most 2.5 s.
    assert elapsed < 5.0, elapsed
    assert untouched(tmp_path)


def test_an_unreachable_server_named_by_the_environment_names_the_variable(cli, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 1)
    (tmp_path / "config.yaml").write_text("llm:\n  max_attempts: 1\n", encoding="utf-8")
    result = cli("run", "videos", env={"OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1"})
    assert result.code == 2, result
    lines = error_lines(result.stderr)
    assert "cannot reach the model server" in lines[0], result.stderr
    assert "check the OPENAI_BASE_URL environment variable and that the server is running" in lines[0]
    assert "llm.base_url" not in lines[0]


class Answer(BaseModel):
    title: str


def ask(server: FakeLLM, **config: object) -> Answer:
    client = LLMClient(LLMConfig(base_url=server.base_url, model="m", max_backoff=0.05, **config))
    return client.structured([{"role": "system", "content": "s"}, {"role": "user", "content": "u"}], Answer,
                             name="answer", purpose="test")[0]


def test_a_proxys_html_error_page_is_readable_and_retried(fake_llm: FakeLLM) -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
    fake_llm.queue(Reply(status=502, raw=page), Reply(status=503, raw=b"\xff\xfe\x00\x80\x81 oops",
                                                      content_type="text/plain"))
    assert ask(fake_llm, max_attempts=3).title  # the third call answers
    assert fake_llm.calls == 3
    fake_llm.reset()
    fake_llm.queue(*[Reply(status=502, raw=page)] * 2)
    with pytest.raises(LLMRequestFailed) as caught:
        ask(fake_llm, max_attempts=2)
    assert "HTTP 502: an HTML page (502 Bad Gateway)" in str(caught.value)
    assert "<" not in str(caught.value)
    fake_llm.reset()
    fake_llm.queue(*[Reply(status=503, raw=b"\xff\xfe\x00\x80\x81", content_type="text/plain")] * 2)
    with pytest.raises(LLMRequestFailed, match="HTTP 503: a body that is not readable text"):
        ask(fake_llm, max_attempts=2)


# --- checked before any work: configuration errors, exit 2 ----------------------------


def test_a_missing_prompts_dir_is_a_config_error(cli, fake_llm: FakeLLM, tmp_path: Path) -> None:
    batch(tmp_path, "prompts_dir: no-such-folder\n")
    result = cli("run", "videos")
    assert result.code == 2 and "prompts_dir" in result.stderr and "no-such-folder" in result.stderr
    assert fake_llm.calls == 0 and not (tmp_path / "output" / "videos").exists()


def test_a_template_that_does_not_render_is_a_config_error(cli, fake_llm: FakeLLM, tmp_path: Path) -> None:
    batch(tmp_path, "prompts_dir: mine\n")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "article.md").write_text("Write about {{ video.no_such_field.deeper }}\n", encoding="utf-8")
    result = cli("run", "videos")
    assert result.code == 2 and "article.md" in result.stderr, result
    assert len(error_lines(result.stderr)) == 1
    assert fake_llm.calls == 0 and not (tmp_path / "output" / "videos").exists()


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_non_finite_numbers_in_config_are_refused(cli, tmp_path: Path, value: str) -> None:
    batch(tmp_path, f"youtube:\n  min_interval: {value}\n")
    result = cli("run", "videos")
    assert result.code == 2 and "youtube.min_interval" in result.stderr and "config.yaml" in result.stderr


def test_relative_paths_in_a_config_file_are_relative_to_its_folder(cli, fake_llm: FakeLLM,
                                                                    tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 1)
    settings = tmp_path / "settings"
    (settings / "my-prompts").mkdir(parents=True)
    (settings / "my-prompts" / "system.md").write_text("You are MARKER-7731, a careful editor.\n", encoding="utf-8")
    (settings / "config.yaml").write_text("prompts_dir: my-prompts\n", encoding="utf-8")
    result = cli("run", "videos", "--config", "settings/config.yaml")
    assert result.code == 0, result.stderr
    assert "MARKER-7731" in fake_llm.requests[0]["messages"][0]["content"]


def test_init_writes_a_config_the_next_run_reads(cli, fake_llm: FakeLLM, tmp_path: Path) -> None:
    first = cli("init", "--prompts")
    assert first.code == 0, first
    text = (tmp_path / "config.yaml").read_text(encoding="utf-8")
    assert text.lstrip().startswith("#") and "prompts_dir: prompts" in text
    assert (tmp_path / "prompts" / "system.md").is_file()
    again = cli("init")
    assert again.code == 2 and "not overwriting" in again.stderr
    (tmp_path / "prompts" / "system.md").write_text("You are MARKER-4410.\n", encoding="utf-8")
    (tmp_path / "config.yaml").write_text(text.replace("model: gpt-4o-mini", "model: my-local-model"),
                                          encoding="utf-8")
    make_videos(tmp_path / "videos", 1)
    result = cli("run", "videos")
    assert result.code == 0, result.stderr
    assert fake_llm.requests[0]["model"] == "my-local-model"
    assert "MARKER-4410" in fake_llm.requests[0]["messages"][0]["content"]


def test_init_prompts_after_init_adds_the_templates_to_the_existing_config(cli, fake_llm: FakeLLM,
                                                                           tmp_path: Path) -> None:
    assert cli("init").code == 0
    config = tmp_path / "config.yaml"
    # The user's own settings, in their own words: kept as they are, comments and all.
    mine = config.read_text(encoding="utf-8").replace("model: gpt-4o-mini", "model: my-local-model  # mine")
    config.write_text(mine, encoding="utf-8")
    result = cli("init", "--prompts")
    assert result.code == 0, result
    assert (tmp_path / "prompts" / "system.md").is_file()
    after = config.read_text(encoding="utf-8")
    assert after == mine.replace("# prompts_dir: my-prompts", "prompts_dir: prompts")
    assert "prompts_dir" in result.stdout and "config.yaml" in result.stdout
    # A second time: nothing left to add, nothing overwritten.
    (tmp_path / "prompts" / "system.md").write_text("You are MARKER-5120.\n", encoding="utf-8")
    again = cli("init", "--prompts")
    assert again.code == 0 and len(again.stdout.splitlines()) == 1, again
    assert config.read_text(encoding="utf-8") == after
    make_videos(tmp_path / "videos", 1)
    run = cli("run", "videos")
    assert run.code == 0, run.stderr
    assert fake_llm.requests[0]["model"] == "my-local-model"
    assert "MARKER-5120" in fake_llm.requests[0]["messages"][0]["content"]


def test_init_prompts_with_a_config_of_ones_own(cli, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("llm:\n  model: llama3\n", encoding="utf-8")  # no commented prompts_dir line
    assert cli("init", "--prompts").code == 0
    assert config.read_text(encoding="utf-8").startswith("llm:\n  model: llama3\n")
    assert yaml.safe_load(config.read_text(encoding="utf-8")) == {"llm": {"model": "llama3"}, "prompts_dir": "prompts"}
    # A prompts_dir of its own: the templates go there, the config stays as it is.
    config.write_text("prompts_dir: my-prompts\n", encoding="utf-8")
    (tmp_path / "my-prompts").mkdir()
    assert cli("init", "--prompts").code == 0
    assert (tmp_path / "my-prompts" / "system.md").is_file()
    assert config.read_text(encoding="utf-8") == "prompts_dir: my-prompts\n"
    # A file it cannot add a line to: it says exactly what to add, and changes nothing.
    config.write_text("{llm: {model: llama3}}\n", encoding="utf-8")
    result = cli("init", "--prompts")
    assert result.code == 2 and len(result.stderr.splitlines()) == 1, result
    assert "add 'prompts_dir: prompts' to config.yaml" in result.stderr
    assert config.read_text(encoding="utf-8") == "{llm: {model: llama3}}\n"


def test_version(cli) -> None:
    for flag in ("-V", "--version"):
        result = cli(flag)
        assert result.code == 0 and result.stdout.strip() == "yt2post, version 0.1.0"
