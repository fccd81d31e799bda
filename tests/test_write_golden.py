"""The writer reproduces the site's real post byte for byte, given that post's own data."""

from __future__ import annotations

import re
from pathlib import Path

import frontmatter
import yaml

from pipeline.config import Config
from pipeline.shapes import Metadata
from pipeline.post.write import build_post, post_file_name
from tests.conftest import FIXTURES

SEED = FIXTURES / "seed-post.md"


def seed_inputs() -> tuple[dict, Metadata, dict]:
    post = frontmatter.load(SEED)
    sections = []
    for block in re.split(r"\n\n(?=### )", post.content):
        heading, _, body = block.partition("\n\n")
        sections.append({"heading": heading.removeprefix("### "), "body": body})
    article = {key: post[key] for key in ("title", "summary", "tags", "area", "category", "companies_orgs",
                                          "products_models", "guest", "insight")}
    article["sections"] = sections
    meta = Metadata(id="6z1cyWjG3h0", title="AI deal frenzy", channel="Bloomberg Podcasts",
                    uploader="Bloomberg Podcasts", upload_date="20251008")
    return article, meta, {"project": ["ai-impact-analysis"]}


def test_writer_reproduces_seed_post_byte_for_byte() -> None:
    article, meta, overrides = seed_inputs()
    written = build_post(article, meta, Config(), overrides).text
    assert written.rstrip("\n") == SEED.read_text(encoding="utf-8").rstrip("\n")


def test_front_matter_types_match_the_seed() -> None:
    article, meta, overrides = seed_inputs()
    text = build_post(article, meta, Config(), overrides).text
    data = yaml.safe_load(text.split("---\n")[1])
    seed = yaml.safe_load(SEED.read_text(encoding="utf-8").split("---\n")[1])
    assert list(data) == list(seed)
    for key, value in seed.items():
        assert type(data[key]) is type(value), key
    assert data["date"] == "2025-10-08" and isinstance(data["date"], str)
    assert data["draft"] is True
    assert data["media_books"] == ["bloomberg-podcasts"]


def test_long_english_summary_is_not_folded() -> None:
    article, meta, overrides = seed_inputs()
    article["summary"] = "A long English summary " * 10
    text = build_post(article, meta, Config(), overrides).text
    summary_lines = [line for line in text.splitlines() if line.startswith("summary:")]
    assert len(summary_lines) == 1 and summary_lines[0].count("A long English summary") == 10


def test_file_names_are_safe_slugs() -> None:
    meta = Metadata(id="abcdefghijk", title="Trying to Wheelie: Without the Rear Brake!", upload_date="20210720")
    assert post_file_name(meta) == "2021-07-20-trying-to-wheelie-without-the-rear-brake.md"
    for title in ("../../etc/x", "人工智能", "🚀🚀", "", "..", "/abs/path"):
        name = post_file_name(Metadata(id="abcdefghijk", title=title, upload_date="20210720"))
        assert "/" not in name and not name.startswith(".") and name.endswith(".md")
        assert Path(name).name == name
    assert post_file_name(Metadata(id="abcdefghijk", title="人工智能", upload_date="")) == "undated-ren-gong-zhi-neng.md"
    assert post_file_name(Metadata(id="abcdefghijk", title="🚀🚀", upload_date="")) == "undated-abcdefghijk.md"
