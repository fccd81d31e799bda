"""The desk's background work, in process (Starlette's TestClient): retry, regenerate, spend."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipeline.config import Config, load_config
from pipeline.lock import output_lock
from pipeline.review.app import create_app
from pipeline.review.jobs import BUSY, Job
from pipeline.review.security import csrf_token
from pipeline.store import Store
from tests.fakellm import FakeLLM
from tests.review_desk import TOKEN, built, out, shown_version  # noqa: F401 - fixtures

BW, FAILED = "bwRHIkYqYJo", "gogEJyoSB9s"
LOCAL = "http://127.0.0.1:8765"
CSRF = {"csrf_token": csrf_token(TOKEN)}


def desk(out: Path, config: Config) -> TestClient:
    app = create_app(out, config, token=TOKEN, allowed_hosts={"127.0.0.1"})
    client = TestClient(app, base_url=LOCAL, follow_redirects=False)
    assert client.get(f"/?token={TOKEN}").status_code == 303  # the token becomes a cookie
    return client


@pytest.fixture
def client(out: Path) -> Iterator[TestClient]:
    with desk(out, load_config(None)) as test_client:
        yield test_client


def finished(client: TestClient, video_id: str) -> Job:
    job = client.app.starlette.state.jobs.get(video_id)  # type: ignore[attr-defined]
    assert job is not None and job.thread is not None
    job.thread.join(timeout=60)
    assert not job.thread.is_alive()
    return job


def test_a_retry_while_another_run_holds_the_folder_is_busy_and_runs_nothing(client: TestClient, out: Path) -> None:
    error_before = Store(out).status(FAILED)["error"]
    with output_lock(out):
        answer = client.post(f"/video/{FAILED}/retry", data=CSRF)
        assert answer.status_code == 303 and "retry%20started" in answer.headers["location"]
        job = finished(client, FAILED)
    assert job.state == "busy" and job.progress == BUSY
    assert Store(out).status(FAILED)["error"] == error_before  # nothing ran
    assert BUSY in client.get(f"/video/{FAILED}").text
    assert client.get(f"/video/{FAILED}/job").json()["progress"] == BUSY


def test_a_failed_regeneration_shows_no_password_of_the_model_servers_url(out: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on: the model server is down
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = Config.model_validate({"llm": {"base_url": f"http://desk-user:Pa55word-secret@127.0.0.1:{port}/v1",
                                            "max_attempts": 1}})
    with desk(out, config) as client:
        assert client.post(f"/video/{BW}/regenerate", data={**CSRF, "instruction": "shorter",
                                                            "version": shown_version(client, BW)}).status_code == 303
        job = finished(client, BW)
        assert job.state == "failed" and "cannot reach the model server" in job.error
        page = client.get(f"/video/{BW}").text
        status = client.get(f"/video/{BW}/job").text
    candidate = (out / "videos" / BW / "candidate.json").read_text(encoding="utf-8")
    assert "cannot reach the model server" in candidate
    for text in (job.error, page, status, candidate):
        assert "Pa55word-secret" not in text and "[redacted]" in text


def test_a_regenerations_cost_adds_to_the_videos_spend_as_a_runs_does(out: Path) -> None:
    before = Store(out).status(BW)["spent"]
    with FakeLLM() as fake:
        config = Config.model_validate({"llm": {"base_url": fake.base_url}})
        with desk(out, config) as client:
            assert client.post(f"/video/{BW}/regenerate", data={**CSRF, "section": "1",
                                                                "version": shown_version(client, BW)}).status_code == 303
            job = finished(client, BW)
    assert job.state == "done" and job.usage
    tokens = sum(u.prompt_tokens + u.completion_tokens for u in job.usage)
    after = Store(out).status(BW)["spent"]
    # Store.add_spend's record: the tokens, and one more paid run.
    assert after["tokens"] == before["tokens"] + tokens and after["runs"] == before["runs"] + 1


def test_a_second_click_between_the_first_ones_check_and_start_is_refused(out: Path) -> None:
    import threading

    from pipeline.review.app import _regenerate
    from pipeline.review.jobs import CANDIDATE

    answers: list[str] = []

    class SecondClickInTheWindow(Store):
        """The second click's request runs whole just as the first one removes the old candidate."""

        fired = False

        def path(self, video_id: str, name: str) -> Path:
            if name == CANDIDATE and not self.fired:
                self.fired = True
                second = threading.Thread(target=lambda: answers.append(_regenerate(app, BW, form)))
                second.start()
                second.join(timeout=1.0)  # with the fix it waits for the first click's lock
                if not second.is_alive():  # it started a job: let that job finish its candidate
                    finished(client, BW)
            return super().path(video_id, name)

    with FakeLLM() as fake:
        config = Config.model_validate({"llm": {"base_url": fake.base_url}})
        with desk(out, config) as client:
            app = client.app.starlette  # type: ignore[attr-defined]
            form = {"section": "1", "version": shown_version(client, BW)}
            app.state.store = SecondClickInTheWindow(out)
            answers.append(_regenerate(app, BW, form))
            job = finished(client, BW)
            deadline = time.monotonic() + 10
            while len(answers) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            requests = len(fake.requests)
    started = [a for a in answers if a.startswith("regenerating")]
    assert len(answers) == 2 and len(started) == 1, answers
    assert "not started: this video already has work running" in answers
    assert job.state == "done" and Store(out).path(BW, CANDIDATE).is_file()
    assert requests == len(job.usage)  # one regeneration paid for, not two


def test_an_actions_error_message_is_masked_too(out: Path, tmp_path: Path) -> None:
    # Any text an action's error carries passes through the redactor; here the secret (the model
    # server's password) is in the path of a site folder that cannot be made.
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    config = Config.model_validate({"llm": {"base_url": "http://desk-user:Pa55word-secret@127.0.0.1:9/v1"},
                                    "review": {"site_dir": str(blocker / "Pa55word-secret")}})
    with desk(out, config) as client:
        answer = client.post(f"/video/{BW}/approve", data={**CSRF, "version": shown_version(client, BW)})
    location = answer.headers["location"]
    assert answer.status_code == 303 and "not%20done" in location
    assert "Pa55word-secret" not in location and "%5Bredacted%5D" in location


def test_a_candidates_preview_is_what_accept_writes_with_section_links_on(out: Path) -> None:
    """``post.section_links``: the diff shown for a regenerated article carries the links that
    accepting it writes into the post."""
    with FakeLLM() as fake:
        config = Config.model_validate({"llm": {"base_url": fake.base_url}, "post": {"section_links": True}})
        with desk(out, config) as client:
            assert client.post(f"/video/{BW}/regenerate", data={**CSRF, "instruction": "shorter",
                                                                "version": shown_version(client, BW)}).status_code == 303
            assert finished(client, BW).state == "done"
            page = client.get(f"/video/{BW}").text
            assert client.post(f"/video/{BW}/candidate/accept",
                               data={**CSRF, "version": shown_version(client, BW)}).status_code == 303
    post = next((out / "posts").glob("*.md")).read_text(encoding="utf-8")
    link = next(line for line in post.splitlines() if line.startswith("[▶ "))
    assert "+ " + link.replace("&", "&amp;") in page


def test_a_regenerated_section_of_a_traditional_post_has_no_simplified_only_characters(out: Path) -> None:
    import json

    from pipeline.language import simplified_only
    from pipeline.review.jobs import CANDIDATE

    def simplified(body: dict) -> dict:
        return {"heading": "重写的一节", "start": "", "body": "这一节说的是视频里的内容。"}

    with FakeLLM(responder=simplified) as fake:
        config = Config.model_validate({"llm": {"base_url": fake.base_url}, "post": {"language": "zh-Hant"}})
        with desk(out, config) as client:
            assert client.post(f"/video/{BW}/regenerate", data={**CSRF, "section": "1",
                                                                "version": shown_version(client, BW)}).status_code == 303
            job = finished(client, BW)
        system = fake.requests[0]["messages"][0]["content"]
    assert job.state == "done", job.error
    assert "Chinese (Traditional)" in system
    candidate = json.loads(Store(out).path(BW, CANDIDATE).read_text(encoding="utf-8"))
    assert candidate["new"]["heading"] == "重寫的一節" and candidate["new"]["body"] == "這一節說的是視頻裡的內容。"
    assert simplified_only(candidate["new"]["heading"] + candidate["new"]["body"]) == []
    assert any("converted to Traditional with OpenCC" in warning for warning in candidate["warnings"])
