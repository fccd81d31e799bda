"""Helpers for the review desk's tests: an output folder made by the real pipeline from the real
fixture videos against the fake model server, and the desk served by uvicorn on a free port."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from pipeline.config import Config, load_config
from pipeline.review.app import create_app
from tests.conftest import FIXTURES, ROOT
from tests.fakellm import FakeLLM

TOKEN = "test-token-0123456789abcdef"
# Two videos with words (captions in their info.json, a .vtt beside one) and one whose only
# caption tracks are on YouTube: offline, its fetch fails, as a blocked machine's would.
WITH_WORDS = ("bwRHIkYqYJo", "JjQDik3yNhA")
WITHOUT_WORDS = "gogEJyoSB9s"


def llm_env(fake: FakeLLM) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY="sk-test-not-a-real-key",
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    return env


def run_pipeline(workdir: Path, fake: FakeLLM, *args: str) -> subprocess.CompletedProcess[str]:
    """``yt2post ARGS`` in ``workdir``, in this process through Click's runner (these tests are
    about the desk, not the process: a new interpreter would cost a second of imports)."""
    from click.testing import CliRunner

    from pipeline.cli.main import main

    env = {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test-not-a-real-key",
           "OPENAI_ORG_ID": None, "OPENAI_PROJECT_ID": None}
    with contextlib.chdir(workdir):
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False, prog_name="yt2post")
    return subprocess.CompletedProcess(["yt2post", *args], result.exit_code, result.stdout, result.stderr)


def build_output(workdir: Path, fake: FakeLLM) -> Path:
    """``workdir/output`` after ``yt2post run`` over the fixture videos (one of them fails)."""
    videos = workdir / "videos"
    videos.mkdir(parents=True, exist_ok=True)
    for name in (*WITH_WORDS, WITHOUT_WORDS):
        for src in (FIXTURES / "videos").glob(f"{name}*"):
            (videos / src.name).write_bytes(src.read_bytes())
    result = run_pipeline(workdir, fake, "run", *(str(videos / f"{n}.info.json") for n in (*WITH_WORDS, WITHOUT_WORDS)))
    assert result.returncode == 1, result.stderr  # the video without words fails, the others are drafts
    return workdir / "output"


@dataclass
class Served:
    base: str  # http://127.0.0.1:PORT
    out: Path
    config: Config

    @property
    def url_with_token(self) -> str:
        return f"{self.base}/?token={TOKEN}"


@contextmanager
def serve_desk(out: Path, config: Config | None = None, fake: FakeLLM | None = None) -> Iterator[Served]:
    """The desk in a thread of this process, on a free 127.0.0.1 port. Regeneration calls go to
    ``fake`` through the real openai client (the environment variables the client reads)."""
    saved = {name: os.environ.get(name) for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY")}
    if fake is not None:
        os.environ["OPENAI_BASE_URL"] = fake.base_url
        os.environ["OPENAI_API_KEY"] = "sk-test-not-a-real-key"
    config = config or load_config(None)
    # Bound here and handed over: a port picked, closed and bound again later could be taken
    # meanwhile by another test run on the same machine.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(out, config, token=TOKEN, allowed_hosts={"127.0.0.1", "localhost", "::1"})
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the desk did not start"
        time.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", out, config)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def shown_version(client: Any, video_id: str) -> str:
    """The version of the post a video page carries in its forms (a TestClient signed in)."""
    page = client.get(f"/video/{video_id}").text
    versions = set(re.findall(r'name="version" value="([0-9a-f]+)"', page))
    assert len(versions) == 1, versions  # every form of the page: the one version it showed
    return versions.pop()


# Fixtures for the desk's test modules (each imports them): the pipeline runs once per module,
# and every test gets its own copy of the folder it made.
@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with FakeLLM() as fake:
        return build_output(tmp_path_factory.mktemp("desk"), fake)


@pytest.fixture
def out(built: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "output"
    shutil.copytree(built, copy)
    return copy
