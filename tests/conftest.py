"""Shared test fixtures: the fake model server, real captured videos, and a CLI runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


@pytest.fixture
def cli_process(tmp_path: Path, fake_llm: FakeLLM):
    """Run ``python -m pipeline`` in ``tmp_path`` against the fake model server, as its own
    process: for tests about the process itself (signals, locks between runs, exit codes)."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> CliResult:
        full_env = {k: v for k, v in os.environ.items() if k not in _LLM_ENV}
        full_env.update(
            OPENAI_BASE_URL=fake_llm.base_url,
            OPENAI_API_KEY="sk-test-not-a-real-key",
            PYTHONPATH=str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", ""),
        )
        full_env.update(env or {})
        proc = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=tmp_path, env=full_env,
                              capture_output=True, text=True, timeout=timeout)
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


def run_in_process(cwd: Path, server: FakeLLM, *args: str, env: dict[str, str] | None = None) -> CliResult:
    """``yt2post ARGS`` in ``cwd`` in this process (Click's runner), for a test that runs its own
    model server: the run after a killed or interrupted process needs no process of its own."""
    import contextlib

    from click.testing import CliRunner

    from pipeline.cli.main import main

    full_env: dict[str, str | None] = {name: None for name in _LLM_ENV}
    full_env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test-not-a-real-key", **(env or {}))
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(main, list(args), env=full_env, catch_exceptions=False, prog_name="yt2post")
    return CliResult(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli(tmp_path: Path, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch):
    """Run a ``yt2post`` command in ``tmp_path`` against the fake model server, in this process
    through Click's runner (a new interpreter per command would cost a second of imports)."""
    from click.testing import CliRunner

    from pipeline.cli.main import main

    monkeypatch.chdir(tmp_path)

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> CliResult:
        full_env = {"OPENAI_BASE_URL": fake_llm.base_url, "OPENAI_API_KEY": "sk-test-not-a-real-key", **(env or {})}
        result = CliRunner().invoke(main, list(args), env=full_env, catch_exceptions=False, prog_name="yt2post")
        return CliResult(result.exit_code, result.stdout, result.stderr)

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


@pytest.fixture
def cli_inproc(cli):
    """The same as ``cli``; kept for the tests written while ``cli`` still started processes."""
    return cli
