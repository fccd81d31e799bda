"""The whole pipeline through the CLI, on real captured videos, against the fake model server."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import frontmatter
import pytest
import yaml

from tests.conftest import FIXTURES, load_json, video_dir_with
from tests.fakellm import Reply

BW = "bwRHIkYqYJo"
SEED_KEYS = list(yaml.safe_load((FIXTURES / "seed-post.md").read_text(encoding="utf-8").split("---\n")[1]))


def stage_outcomes(stderr: str, video_id: str) -> dict[str, str]:
    outcomes = {}
    for line in stderr.splitlines():
        stage, _, rest = line.partition(f" {video_id}: ")
        if rest and stage in ("fetch", "summarize", "write"):
            outcomes[stage] = rest.split(" ", 1)[0]
    return outcomes


def test_info_json_becomes_a_post_in_the_seed_shape(cli, fake_llm, tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, BW)
    result = cli("run", str(videos / f"{BW}.info.json"), "--set", "project=ai-impact-analysis")
    assert result.code == 0, result.stderr
    posts = list((tmp_path / "output" / "posts").glob("*.md"))
    assert [p.name for p in posts] == ["2021-07-20-trying-to-wheelie-without-the-rear-brake.md"]
    text = posts[0].read_text(encoding="utf-8")
    post = frontmatter.loads(text)
    assert sorted(post.keys()) == sorted(SEED_KEYS) and list(post.keys()) == SEED_KEYS
    assert post["source"] == "https://www.youtube.com/watch?v=bwRHIkYqYJo"
    assert post["date"] == "2021-07-20" and post["speaker"] == "TheUselessTrials"
    assert post["media_books"] == ["theuselesstrials"] and post["project"] == ["ai-impact-analysis"]
    assert post["draft"] is True and post["layout"] == "post.njk" and post["status"] == "evergreen"
    assert post.content.startswith("### ") and "\n\n### " in post.content
    artifacts = tmp_path / "output" / "videos" / BW
    transcript = load_json(artifacts / "transcript.json")
    assert transcript["source"] == "yt-dlp-automatic-captions" and transcript["language"] == "en"
    assert transcript["paragraphs"][0]["chapter"] == "Introduction"
    article = load_json(artifacts / "article.json")
    assert article["usage"][0]["prompt_tokens"] > 0
    # The model was given the transcript and the metadata that helps it spell names.
    prompt = json.dumps(fake_llm.requests[0]["messages"], ensure_ascii=False)
    assert "what's up shinas" in prompt and "Trying to Wheelie Without the Rear Brake" in prompt
    assert "TheUselessTrials" in prompt and "Challenge #1" in prompt
    assert fake_llm.requests[0]["response_format"]["type"] == "json_schema"


def test_rerun_skips_every_stage_and_editing_the_transcript_redoes_summarize_and_write(cli, fake_llm,
                                                                                      tmp_path: Path) -> None:
    info = video_dir_with(tmp_path, BW) / f"{BW}.info.json"
    assert cli("run", str(info)).code == 0
    assert fake_llm.calls == 1
    again = cli("run", str(info))
    assert again.code == 0
    assert stage_outcomes(again.stderr, BW) == {"fetch": "skipped", "summarize": "skipped", "write": "skipped"}
    assert fake_llm.calls == 1

    path = tmp_path / "output" / "videos" / BW / "transcript.json"
    transcript = load_json(path)
    transcript["paragraphs"][0]["text"] = "A corrected first paragraph."
    path.write_text(json.dumps(transcript), encoding="utf-8")
    edited = cli("run", str(info))
    assert stage_outcomes(edited.stderr, BW) == {"fetch": "skipped", "summarize": "done", "write": "done"}
    assert fake_llm.calls == 2
    assert "A corrected first paragraph." in json.dumps(fake_llm.requests[-1], ensure_ascii=False)


def test_editing_a_prompt_redoes_summarize(cli, fake_llm, tmp_path: Path) -> None:
    info = video_dir_with(tmp_path, BW) / f"{BW}.info.json"
    prompts = tmp_path / "my-prompts"
    prompts.mkdir()
    (tmp_path / "config.yaml").write_text("prompts_dir: my-prompts\n")
    assert cli("run", str(info)).code == 0
    root = Path(__file__).resolve().parent.parent
    shutil.copy(root / "prompts" / "system.md", prompts / "system.md")
    with (prompts / "system.md").open("a", encoding="utf-8") as handle:
        handle.write("\n- 多用短句。\n")
    result = cli("run", str(info))
    assert stage_outcomes(result.stderr, BW) == {"fetch": "skipped", "summarize": "done", "write": "done"}
    assert "多用短句" in fake_llm.requests[-1]["messages"][0]["content"]


def test_force_redoes_every_stage(cli, fake_llm, tmp_path: Path) -> None:
    info = video_dir_with(tmp_path, BW) / f"{BW}.info.json"
    cli("run", str(info))
    result = cli("run", str(info), "--force")
    assert stage_outcomes(result.stderr, BW) == {"fetch": "done", "summarize": "done", "write": "done"}
    assert fake_llm.calls == 2


def test_single_stage_commands_take_video_ids(cli, fake_llm, tmp_path: Path) -> None:
    info = video_dir_with(tmp_path, BW) / f"{BW}.info.json"
    assert cli("fetch", str(info)).code == 0 and fake_llm.calls == 0
    assert not (tmp_path / "output" / "posts").exists()
    assert cli("summarize", BW).code == 0 and fake_llm.calls == 1
    result = cli("write", BW, "--set", "project=a,b", "--set", "series=s1")
    assert result.code == 0, result.stderr
    post = frontmatter.load(next((tmp_path / "output" / "posts").glob("*.md")))
    assert post["project"] == ["a", "b"] and post["series"] == "s1"


def test_sibling_caption_files_are_used(cli, tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, "JjQDik3yNhA")
    result = cli("fetch", str(videos / "JjQDik3yNhA.info.json"))
    assert result.code == 0, result.stderr
    transcript = load_json(tmp_path / "output" / "videos" / "JjQDik3yNhA" / "transcript.json")
    assert transcript["track"] == "JjQDik3yNhA.en.vtt"
    assert transcript["paragraphs"][0]["text"].startswith("okay welcome to this session")


def test_one_failing_video_exits_1_and_the_others_finish(cli, fake_llm, tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, BW, "gogEJyoSB9s")
    result = cli("run", str(videos))
    assert result.code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "gogEJyoSB9s" in errors[0] and "no transcript" in errors[0]
    assert "Traceback" not in result.stderr
    assert len(list((tmp_path / "output" / "posts").glob("*.md"))) == 1
    status = cli("status")
    assert status.code == 0
    assert "failures by cause: no_transcript: 1" in status.stdout
    assert BW in status.stdout and "draft" in status.stdout


def test_model_errors_are_one_line_and_exit_1(cli, fake_llm, tmp_path: Path) -> None:
    info = video_dir_with(tmp_path, BW) / f"{BW}.info.json"
    fake_llm.queue(Reply(status=400, error={"error": {"message": "model not found", "type": "invalid_request_error"}}))
    result = cli("run", str(info))
    assert result.code == 1
    assert f"error: {BW}: the model server answered HTTP 400: model not found" in result.stderr
    assert "Traceback" not in result.stderr
    verbose = cli("run", str(info), "--verbose")
    assert verbose.code == 0


def test_usage_and_config_errors_exit_2(cli, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("llm:\n  modle: gpt-4o\n")
    result = cli("run", BW, "--config", "bad.yaml")
    assert result.code == 2
    assert result.stderr.strip() == "error: bad.yaml: llm.modle: unknown key; did you mean 'model'?"
    assert cli("run", "no/such/file.info.json").code == 2
    assert cli("run").code == 2
    assert cli("run", BW, "--config", "missing.yaml").code == 2
    assert cli("run", BW, "--set", "novalue").code == 2


@pytest.mark.parametrize("text, line", [
    ("llm:\n  batch:\n    retyr: live\n", "bad.yaml: llm.batch.retyr: unknown key; did you mean 'retry'?"),
    ("glosary:\n  nvidia: Nvidia\n", "bad.yaml: glosary: unknown key; did you mean 'glossary'?"),
    # Nothing close: the section's keys.
    ("youtube:\n  zzz: 1\n", "bad.yaml: youtube.zzz: unknown key; one of: min_interval, jitter, timeout,"),
])
def test_unknown_config_keys_name_a_close_one(cli, tmp_path: Path, text: str, line: str) -> None:
    (tmp_path / "bad.yaml").write_text(text)
    result = cli("run", BW, "--config", "bad.yaml")
    assert result.code == 2 and len(result.stderr.splitlines()) == 1, result
    assert result.stderr.startswith(f"error: {line}"), result.stderr


def test_json_object_mode_puts_the_schema_in_the_prompt(cli, fake_llm, tmp_path: Path) -> None:
    info = video_dir_with(tmp_path, BW) / f"{BW}.info.json"
    (tmp_path / "config.yaml").write_text("llm:\n  structured_output: json_object\n")
    assert cli("run", str(info)).code == 0
    request = fake_llm.requests[0]
    assert request["response_format"] == {"type": "json_object"}
    assert "<json_schema>" in request["messages"][0]["content"]


def test_invalid_answer_is_retried_once_with_the_error(cli, fake_llm, tmp_path: Path) -> None:
    info = video_dir_with(tmp_path, BW) / f"{BW}.info.json"
    fake_llm.queue(Reply(content='{"title": "只有标题"}'))
    result = cli("run", str(info))
    assert result.code == 0, result.stderr
    assert fake_llm.calls == 2
    assert "not valid" in fake_llm.requests[1]["messages"][-1]["content"]
    fake_llm.queue(Reply(content="not json"), Reply(content="still not json"))
    failed = cli("run", str(info), "--force")
    assert failed.code == 1 and "llm_invalid_output" in failed.stdout


def test_python_m_pipeline_and_console_script_agree(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = Path(sys.executable).parent / "yt2post"
    module = subprocess.run([sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True)
    assert module.returncode == 0 and "run" in module.stdout and "status" in module.stdout
    if script.exists():
        console = subprocess.run([str(script), "--help"], capture_output=True, text=True)
        assert console.stdout.replace("yt2post", "") == module.stdout.replace("yt2post", "")


def test_missing_api_key_for_openai_is_a_config_error(cli, tmp_path: Path) -> None:
    info = video_dir_with(tmp_path, BW) / f"{BW}.info.json"
    result = cli("run", str(info), env={"OPENAI_BASE_URL": "https://api.openai.com/v1", "OPENAI_API_KEY": ""})
    assert result.code == 2
    assert result.stderr.strip() == "error: set the OPENAI_API_KEY environment variable to your API key"
    assert cli("fetch", str(info), env={"OPENAI_API_KEY": ""}).code == 0  # fetching needs no key


def test_the_quick_start_says_how_to_use_another_server() -> None:
    from pipeline.config import Config
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("\n## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "OPENAI_BASE_URL" in quick_start and "`llm.base_url`" in quick_start
    for key in re.findall(r"`llm\.(\w+)`", quick_start):  # settings that exist
        assert key in Config.model_fields["llm"].annotation.model_fields, key
    # A YouTube network error says "see Offline in the README": that section is there.
    assert "\n### Offline" in readme
