"""The reviewer's checklist: numbers and names the transcript does not support."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.post.faithfulness import find_flags, transcript_values
from tests.conftest import video_dir_with
from tests.fakellm import Reply

TRANSCRIPT = ("OpenAI struck a deal with Oracle worth 300 billion dollars, and Nvidia will invest up to a hundred "
              "billion dollars. ChatGPT has over 700 million weekly users. About 30 percent of them pay.")


def article(body: str, title: str = "人工智能交易") -> dict:
    return {"title": title, "summary": "", "sections": [{"heading": "交易", "body": body}]}


def test_normalised_numbers_match_across_languages() -> None:
    values = transcript_values(TRANSCRIPT)
    assert {3e11, 1e11, 7e8, 30.0} <= values
    body = "OpenAI 与 Oracle 达成价值 3000 亿美元的协议，Nvidia 投资一千亿美元，ChatGPT 用户超过 7 亿，约百分之三十付费，即 30%。"
    assert find_flags(article(body), TRANSCRIPT, {}) == []


def test_a_planted_wrong_number_is_flagged() -> None:
    flags = find_flags(article("OpenAI 与 Oracle 达成价值 3500 亿美元的协议。"), TRANSCRIPT, {})
    assert [(f["kind"], f["text"], f["section"]) for f in flags] == [("number", "3500 亿", "交易")]


def test_invented_names_are_flagged_and_metadata_names_are_not() -> None:
    metadata = {"title": "AI deals with Emily Forash", "channel": "Bloomberg Podcasts", "tags": ["Bernstein"]}
    body = "正如 Emily Forash 和 Bernstein 的 Stacy Rasgen 所说，OpenAI 与 Nvidia 合作。Bloomberg 报道。"
    flags = find_flags(article(body), TRANSCRIPT, metadata)
    assert [f["text"] for f in flags] == ["Stacy Rasgen"]


def test_years_and_small_counts_are_not_flagged() -> None:
    body = "与 20 世纪 90 年代相比，2024 年有 3 个方面不同。"
    assert find_flags(article(body), TRANSCRIPT, {}) == []


def test_flags_go_into_the_artifacts_and_status_details(cli, fake_llm, tmp_path: Path) -> None:
    info = video_dir_with(tmp_path, "bwRHIkYqYJo") / "bwRHIkYqYJo.info.json"
    # The captions mention neither this amount nor this person (Danny MacAskill is in the description).
    fake_llm.queue(Reply(json={
        "title": "不用后刹车的翘头挑战", "summary": "作者挑战不用后刹车完成翘头。",
        "sections": [{"heading": "挑战", "body": "他花了 5000 美元买车，并请 Stacy Rasgen 指导，也看过 Danny MacAskill 的视频。"}],
        "tags": ["mtb"], "area": "society-culture", "category": "lifestyle-sports", "companies_orgs": [],
        "products_models": [], "guest": "", "insight": ""}))
    assert cli("run", str(info)).code == 0
    flags = json.loads((tmp_path / "output" / "videos" / "bwRHIkYqYJo" / "flags.json").read_text())["flags"]
    assert {(f["kind"], f["text"]) for f in flags} == {("number", "5000"), ("name", "Stacy Rasgen")}
    details = cli("status", "--details").stdout
    assert "bwRHIkYqYJo: check before publishing:" in details
    assert "number: 5000" in details and "name: Stacy Rasgen" in details


