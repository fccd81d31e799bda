"""Shared test fixtures: the fake model server, real captured videos, and a CLI runner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakellm import FakeLLM

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Every environment variable the pipeline reads for the model: tests set their own.
_LLM_ENV = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID")


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _LLM_ENV:
        monkeypatch.delenv(name, raising=False)


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_in_process(cwd: Path, server: FakeLLM, *args: str, env: dict[str, str] | None = None) -> CliResult:
    """``yt2post ARGS`` in ``cwd`` in this process (Click's runner) against ``server``: for tests
    about what a command does, not about the process (signals, the console script, the wheel)."""
    import contextlib

    from click.testing import CliRunner

    from pipeline.cli.main import main

    full_env: dict[str, str | None] = {name: None for name in _LLM_ENV}
    full_env.update({"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-test-not-a-real-key", **(env or {})})
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(main, list(args), env=full_env, catch_exceptions=False, prog_name="yt2post")
    return CliResult(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli(tmp_path: Path, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch):
    """Run ``yt2post`` commands in ``tmp_path`` (the test's working folder) against the fake
    model server, in this process: a new interpreter per command would cost a second of imports."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str, env: dict[str, str] | None = None) -> CliResult:
        return run_in_process(tmp_path, fake_llm, *args, env=env)

    return run


def video_dir_with(tmp_path: Path, *names: str) -> Path:
    """A folder holding copies of the named fixture videos (info.json and caption files)."""
    target = tmp_path / "videos"
    target.mkdir(exist_ok=True)
    for name in names:
        for src in (FIXTURES / "videos").glob(f"{name}*"):
            (target / src.name).write_bytes(src.read_bytes())
    return target


def load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
