"""The operator's commands: --set, list files, reruns by URL, status filters, ignore, retries."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import frontmatter
import pytest

from tests.many_videos import make_videos
from tests.conftest import FIXTURES
from tests.fakellm import FakeLLM, Reply

BW = "bwRHIkYqYJo"


def one_video(tmp_path: Path) -> Path:
    folder = tmp_path / "videos"
    folder.mkdir(exist_ok=True)
    shutil.copy(FIXTURES / "videos" / f"{BW}.info.json", folder)
    return folder / f"{BW}.info.json"


def the_post(tmp_path: Path) -> frontmatter.Post:
    posts = list((tmp_path / "output" / "posts").glob("*.md"))
    assert len(posts) == 1, posts
    return frontmatter.load(posts[0])


@pytest.mark.parametrize("pair, expected", [
    ("projct=x", "did you mean 'project'"),
    ("area=tech", "not in taxonomy.areas; did you mean 'tech-engineering'"),
    ("category=ai", "not in taxonomy.categories"),
    # Nothing close: the allowed values, on the same one line (not a traceback).
    ("area=nonsense", "--set area=nonsense: not in taxonomy.areas; one of: tech-engineering, business-economics"),
    ("foo=bar", "--set foo: not a front-matter field of the post; one of: area, category,"),
    ("layout=", "needs a layout"),
    ("source=https://example.com", "cannot be set"),
    ("draft=maybe", "expected true or false"),
    ("novalue", "expected KEY=VALUE"),
])
def test_set_is_validated(cli, fake_llm: FakeLLM, tmp_path: Path, pair: str, expected: str) -> None:
    info = one_video(tmp_path)
    result = cli("run", str(info), "--set", pair)
    assert result.code == 2 and expected in result.stderr, result
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert fake_llm.calls == 0


def test_set_values_stay_with_the_post_until_set_again(cli, fake_llm: FakeLLM, tmp_path: Path) -> None:
    info = one_video(tmp_path)
    assert cli("run", str(info), "--set", "draft=false", "--set", "project=ai-impact").code == 0
    assert the_post(tmp_path)["draft"] is False
    assert cli("run", str(info)).code == 0  # a plain rerun
    assert cli("run", str(info), "--force").code == 0  # and one that redoes every stage
    post = the_post(tmp_path)
    assert post["draft"] is False and post["project"] == ["ai-impact"]
    assert cli("run", str(info), "--set", "draft=true").code == 0
    post = the_post(tmp_path)
    assert post["draft"] is True and post["project"] == ["ai-impact"]


def test_a_bad_line_in_a_list_file_fails_alone(cli, fake_llm: FakeLLM, tmp_path: Path) -> None:
    one_video(tmp_path)
    (tmp_path / "list.txt").write_text(
        "# my videos\n"
        f"videos/{BW}.info.json   # the wheelie one\n"
        "not a source at all\n"
        "videos/missing.info.json\n", encoding="utf-8")
    result = cli("run", "list.txt")
    assert result.code == 1, result
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2
    assert errors[0].startswith("error: list.txt:3: ") and errors[1].startswith("error: list.txt:4: ")
    assert "1 done" in result.stdout
    assert the_post(tmp_path)["source"].endswith(BW)


def test_list_comments_keep_a_urls_own_fragment() -> None:
    from pipeline.sources.listing import _LIST_COMMENT

    assert _LIST_COMMENT.split("https://youtu.be/bwRHIkYqYJo#t=30  # note", maxsplit=1)[0].strip() == \
        "https://youtu.be/bwRHIkYqYJo#t=30"


@pytest.mark.parametrize("again", [BW, f"https://www.youtube.com/watch?v={BW}", f"https://youtu.be/{BW}?t=4"])
def test_a_url_of_a_current_video_is_not_fetched_again(cli, fake_llm: FakeLLM, tmp_path: Path,
                                                       again: str) -> None:
    info = one_video(tmp_path)
    assert cli("run", str(info)).code == 0
    calls = fake_llm.calls
    # There is no network here: fetching from YouTube would fail this run.
    result = cli("run", again)
    assert result.code == 0 and "1 skipped" in result.stdout, result
    assert fake_llm.calls == calls


def test_status_filters_json_title_and_spend(cli, fake_llm: FakeLLM, tmp_path: Path) -> None:
    make_videos(tmp_path / "videos", 3)
    fake_llm.queue(Reply(status=400, error={"error": {"message": "this one is refused", "type": "x"}}))
    result = cli("run", "videos", "--set", "area=tech-engineering")
    assert result.code == 1
    rows = [json.loads(line) for line in cli("status", "--json").stdout.splitlines()]
    assert len(rows) == 3 and all(r["title"].startswith("Wheelie challenge number") for r in rows)
    failed = [r for r in rows if r["error"]]
    assert len(failed) == 1 and failed[0]["error"]["cause"] == "llm_request"
    assert [r["video_id"] for r in map(json.loads, cli("status", "--failed", "--json").stdout.splitlines())] \
        == [failed[0]["video_id"]]
    pending = cli("status", "--pending-review").stdout.splitlines()
    assert pending[0].split("\t")[:2] == ["video", "title"] and len(pending) == 1 + 2 + 1  # header, 2 rows, total
    written = [r for r in rows if not r["error"]]
    post = tmp_path / "output" / written[0]["post"]
    assert not written[0]["post"].startswith("/") and post.is_file()  # relative to the output folder
    post.write_text(post.read_text(encoding="utf-8") + "\n编辑过。\n", encoding="utf-8")
    assert len(cli("status", "--pending-review").stdout.splitlines()) == 1 + 1 + 1
    # Spend adds up across reruns: a redone article keeps what the first one cost.
    first = {r["video_id"]: r["tokens"] for r in rows}
    redone = written[1]["video_id"]
    assert cli("summarize", redone, "--force").code == 0
    again = {r["video_id"]: r["tokens"] for r in map(json.loads, cli("status", "--json").stdout.splitlines())}
    assert again[redone] > first[redone] > 0


def test_an_ignored_video_is_never_processed_again(cli, fake_llm: FakeLLM, tmp_path: Path) -> None:
    info = one_video(tmp_path)
    assert cli("run", str(info)).code == 0
    result = cli("ignore", f"https://www.youtube.com/watch?v={BW}")
    assert result.code == 0, result
    post = next((tmp_path / "output" / "posts").glob("*.md"))
    post.unlink()  # the reviewer rejected it
    calls = fake_llm.calls
    result = cli("run", str(info), "--force")
    assert result.code == 0 and "1 ignored" in result.stdout, result
    assert fake_llm.calls == calls and not post.exists()
    assert "ignored" in cli("status").stdout
    assert cli("unignore", BW).code == 0
    assert cli("run", str(info)).code == 0 and post.exists()
    assert cli("unignore", "nosuchvideo").code == 1


def test_retry_failed_without_sources_retries_every_recorded_failure(cli, fake_llm: FakeLLM,
                                                                     tmp_path: Path) -> None:
    ids = make_videos(tmp_path / "videos", 4)
    refused = Reply(status=400, error={"error": {"message": "refused", "type": "x"}})
    fake_llm.queue(refused, refused)
    assert cli("run", "videos").code == 1
    failed = sorted(r["video_id"] for r in map(json.loads, cli("status", "--failed", "--json").stdout.splitlines()))
    assert len(failed) == 2
    one = tmp_path / "videos" / f"{failed[0]}.info.json"
    partial = cli("run", "--retry-failed", str(one))
    assert partial.code == 0 and "1 other recorded failure(s)" in partial.stdout, partial
    rest = cli("run", "--retry-failed")
    assert rest.code == 0 and "1 video(s): 1 done" in rest.stdout, rest
    assert cli("status", "--failed").stdout.strip() == "no videos match"
    assert len(list((tmp_path / "output" / "posts").glob("*.md"))) == len(ids)


def test_stage_commands_say_they_skip_current_stages(cli) -> None:
    for command in ("fetch", "summarize", "write"):
        text = " ".join(cli(command, "--help").stdout.split())
        assert "skipped" in text and "--force" in text, command


def _videos_with_titles(cli, tmp_path: Path, titles: list[str]) -> list[str]:
    """Fetched videos (no model needed) with these titles, as their info.json files give them."""
    ids = make_videos(tmp_path / "videos", len(titles))
    for video_id, title in zip(ids, titles):
        path = tmp_path / "videos" / f"{video_id}.info.json"
        info = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(dict(info, title=title)), encoding="utf-8")
    assert cli("fetch", "videos").code == 0
    return ids


def test_status_piped_into_head_ends_quietly(cli, fake_llm: FakeLLM, tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.processes import pipeline_env

    # More than a pipe holds (64 KiB), so the reader is surely gone while status still writes.
    _videos_with_titles(cli, tmp_path, [f"Wheelie challenge {n} " + "long " * 8000 for n in range(4)])
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "status"], cwd=tmp_path, env=pipeline_env(fake_llm),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"video\ttitle\t")  # what `| head -1` reads
    proc.stdout.close()  # and then head is gone
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 141, stderr  # 128 + SIGPIPE, as the shell reports a program it ends
    assert stderr == b""


def test_status_on_a_terminal_is_one_aligned_line_per_video(cli, fake_llm: FakeLLM, tmp_path: Path) -> None:
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    from rich.cells import cell_len

    from tests.processes import pipeline_env

    titles = ["王志安：中国经济的真实状况与未来十年的走向，一次长谈", "Short", "A long English title " * 6]
    ids = _videos_with_titles(cli, tmp_path, titles)
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    env = {k: v for k, v in pipeline_env(fake_llm).items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "status"], cwd=tmp_path, env=env,
                            stdout=secondary, stderr=secondary)
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the program closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert proc.wait(timeout=60) == 0
    lines = b"".join(chunks).decode("utf-8").replace("\r\n", "\n").splitlines()
    table = lines[:1 + len(ids)]
    assert table[0].split() == ["video", "title", "fetch", "summarize", "write", "review", "tokens", "cost", "post",
                                "error"], lines
    assert [line.split()[0] for line in table[1:]] == sorted(ids)  # each video on one line
    assert "\t" not in "".join(table) and all(cell_len(line) <= 100 for line in table)

    def column(line: str, word: str) -> int:  # where a word starts, in terminal cells
        return cell_len(line[:line.index(word, 12)])

    # The stage marks line up under their header, after a wide (Chinese) title as after any.
    assert len({column(line, "done") for line in table[1:]} | {column(table[0], "fetch")}) == 1
    assert "王志安" in table[1] and "…" in table[3]  # the long title cut to fit, not folded
    assert lines[1 + len(ids)].startswith("total: 3 video(s)")
