"""The package as users get it: a wheel installed in a fresh virtual environment, run from an
empty folder against the local test server, reproduces the site's real post byte for byte."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import frontmatter

from tests.conftest import FIXTURES, ROOT
from tests.fakellm import FakeLLM, default_answer

SEED = FIXTURES / "seed-post.md"


def seed_video(folder: Path) -> Path:
    """The seed post's video: a real info.json (captions inline) given the seed's facts."""
    info = json.loads((FIXTURES / "videos" / "bwRHIkYqYJo.info.json").read_text(encoding="utf-8"))
    for key in ("formats", "thumbnails", "heatmap"):
        info.pop(key, None)
    info.update(id="6z1cyWjG3h0", display_id="6z1cyWjG3h0", channel="Bloomberg Podcasts",
                uploader="Bloomberg Podcasts", upload_date="20251008", title="AI deal frenzy",
                webpage_url="https://www.youtube.com/watch?v=6z1cyWjG3h0")
    path = folder / "6z1cyWjG3h0.info.json"
    path.write_text(json.dumps(info), encoding="utf-8")
    return path


def seed_answer(body: dict) -> dict:
    """What the model would have to answer for the seed post: its own text, in the shape the
    request's schema asks for."""
    seed = frontmatter.load(SEED)
    answer = default_answer(body)
    for key in ("title", "summary", "tags", "area", "category", "companies_orgs", "products_models", "guest",
                "insight"):
        if key in answer:
            answer[key] = seed[key]
    if "sections" in answer:
        template = answer["sections"][0]
        sections = []
        for block in re.split(r"\n\n(?=### )", seed.content):
            heading, _, text = block.partition("\n\n")
            sections.append(dict(template, heading=heading.removeprefix("### "), body=text))
        answer["sections"] = sections
    return answer


def test_installed_wheel_reproduces_the_seed_post(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                    str(dist), str(ROOT)], check=True, capture_output=True, timeout=300)
    wheel = next(dist.glob("yt2post-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "pipeline/_defaults/prompts/system.md" in names and "pipeline/_defaults/prompts/en/system.md" in names and "pipeline/_defaults/config.yaml" in names
    venv = tmp_path / "venv"
    # A bare environment, filled by this interpreter's pip (``--python``): the same install,
    # without seeding a pip of its own; no byte-compiling of every dependency (half the time).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                              "--no-compile", str(wheel)], capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr[-2000:]
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    info = seed_video(inputs)
    empty = tmp_path / "empty"
    empty.mkdir()
    with FakeLLM(responder=seed_answer) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PYTHON"))}
        env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test-not-a-real-key")
        result = subprocess.run([str(venv / "bin" / "yt2post"), "run", str(info), "--set", "project=ai-impact-analysis"],
                                cwd=empty, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    posts = list((empty / "output" / "posts").glob("*.md"))
    assert [p.name for p in posts] == ["2025-10-08-ai-deal-frenzy.md"]
    assert posts[0].read_text(encoding="utf-8").rstrip("\n") == SEED.read_text(encoding="utf-8").rstrip("\n")
    # The built-in settings came along: the glossary reached the prompt.
    assert "ChatGPT" in server.requests[0]["messages"][0]["content"] + server.requests[0]["messages"][1]["content"]
