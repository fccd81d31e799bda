"""The desk never writes over what it has not seen, in process (Starlette's TestClient, the fake
model server): every state-changing action carries the version of the post its page showed;
a section candidate replaces the section it was made from, found by its text; a candidate that
would remove text nobody asked to remove is a failed job."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import frontmatter
import pytest
from starlette.testclient import TestClient

from pipeline.artifacts import CandidateFile
from pipeline.config import Config
from pipeline.review.app import create_app
from pipeline.review.jobs import Job
from pipeline.review.security import csrf_token
from pipeline.store import Store
from tests.fakellm import FakeLLM, default_answer
from tests import review_desk
from tests.review_desk import TOKEN, built, out  # noqa: F401 - fixtures

BW = "bwRHIkYqYJo"
LOCAL = "http://127.0.0.1:8765"
CSRF = {"csrf_token": csrf_token(TOKEN)}
EMPTY_SECTION = {"heading": "", "start": "", "body": ""}
# A post the reviewer gave three sections in a text editor, before opening the desk.
THREE_SECTIONS = ("### 第一节：起步\n\n第一节的正文，审稿人写的，讲起步时的注意事项和练习方法。\n\n"
                  "### 第二节：后刹车\n\n第二节的正文，讲不用后刹车时如何控制前轮抬起的高度。\n\n"
                  "### 第三节：审稿人的总结\n\n第三节的正文，审稿人亲手写的总结，一字都不能丢。")


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture
def client(out: Path, fake: FakeLLM) -> Iterator[TestClient]:
    config = Config.model_validate({"llm": {"base_url": fake.base_url, "max_attempts": 1}})
    app = create_app(out, config, token=TOKEN, allowed_hosts={"127.0.0.1"})
    with TestClient(app, base_url=LOCAL, follow_redirects=False) as test_client:
        assert test_client.get(f"/?token={TOKEN}").status_code == 303
        yield test_client


def post_path(out: Path) -> Path:
    store = Store(out)
    return store.resolve(store.read(BW, "post")["path"])


def shown_version(client: TestClient) -> str:
    return review_desk.shown_version(client, BW)


def edit_form(out: Path, **changes: str) -> dict[str, str]:
    """The edit form as the page fills it from the post, with ``changes``."""
    post = frontmatter.loads(post_path(out).read_text(encoding="utf-8"))
    form = {f"fm_{k}": (", ".join(v) if isinstance(v, list) else str(v)) for k, v in post.metadata.items()
            if not isinstance(v, bool)}
    form["body"] = post.content
    form.update(changes)
    return form


def finished(client: TestClient) -> Job:
    job = client.app.starlette.state.jobs.get(BW)  # type: ignore[attr-defined]
    assert job is not None and job.thread is not None
    job.thread.join(timeout=60)
    assert not job.thread.is_alive()
    return job


def regenerate_section(client: TestClient, fake: FakeLLM, number: int, answer: Callable[[dict[str, Any]], Any],
                       instruction: str = "") -> Job:
    fake.responder = answer
    form = {**CSRF, "section": str(number), "instruction": instruction, "version": shown_version(client)}
    assert client.post(f"/video/{BW}/regenerate", data=form).status_code == 303
    return finished(client)


# --- the version of the post -------------------------------------------------------------------


def test_a_save_over_an_edit_on_disk_is_refused_and_both_versions_are_kept(client: TestClient, out: Path) -> None:
    version = shown_version(client)
    form = edit_form(out, fm_title="桌面上改的新标题")
    path = post_path(out)
    # Meanwhile, in a text editor: a section heading changes.
    on_disk = path.read_text(encoding="utf-8").replace("### 第13节：视频的要点", "### 编辑器里改的小标题")
    path.write_text(on_disk, encoding="utf-8")

    answer = client.post(f"/video/{BW}/save", data={**CSRF, **form, "version": version})
    assert answer.status_code == 409
    assert path.read_text(encoding="utf-8") == on_disk  # the editor's change is there, untouched
    kept = list(path.parent.glob(path.name + ".conflict-*"))
    assert len(kept) == 1  # and the desk's version beside it
    desk_version = frontmatter.loads(kept[0].read_text(encoding="utf-8"))
    assert desk_version["title"] == "桌面上改的新标题" and "### 第13节：视频的要点" in desk_version.content
    conflict = re.search(r'<section class="conflict" id="conflict">(.*?)</section>', answer.text, re.DOTALL)
    assert conflict is not None
    assert "the post changed since this page showed it" in conflict.group(1) and kept[0].name in conflict.group(1)
    assert "- ### 编辑器里改的小标题" in conflict.group(1) and "+ title: 桌面上改的新标题" in conflict.group(1)
    assert not list(path.parent.glob(path.name + ".bak-*"))

    # The refusal's page shows the post as it is now: saving from it works.
    assert client.post(f"/video/{BW}/save", data={**CSRF, **edit_form(out, fm_title="第二次保存"),
                                                  "version": shown_version(client)}).status_code == 303
    after = frontmatter.loads(path.read_text(encoding="utf-8"))
    assert after["title"] == "第二次保存" and "### 编辑器里改的小标题" in after.content


@pytest.mark.parametrize("action", ["approve", "candidate/accept", "regenerate"])
def test_an_action_on_a_post_changed_since_its_page_is_refused(client: TestClient, out: Path, fake: FakeLLM,
                                                                action: str) -> None:
    store = Store(out)
    store.save(BW, CandidateFile.model_validate({"kind": "article", "state": "done", "article": {
        "title": "新标题", "summary": "新摘要。", "tags": ["new-tag"],
        "sections": [{"heading": "新的一节", "body": "新的正文，足够长的一段话。", "start": 1.0, "end": 582.0}]}}))
    version = shown_version(client)
    path = post_path(out)
    on_disk = path.read_text(encoding="utf-8").replace("编号12", "编号12（编辑器里加的）")
    path.write_text(on_disk, encoding="utf-8")
    calls = len(fake.requests)

    answer = client.post(f"/video/{BW}/{action}", data={**CSRF, "version": version, "section": "2"})
    assert answer.status_code == 409
    assert "the post changed since this page showed it" in answer.text
    assert path.read_text(encoding="utf-8") == on_disk
    assert store.load(BW, CandidateFile).article is not None  # the candidate is still there to accept
    assert len(fake.requests) == calls and client.app.starlette.state.jobs.get(BW) is None  # type: ignore[attr-defined]
    assert not list(path.parent.glob(path.name + ".*"))  # no backup, no conflict file: nothing else written
    # The diff of the two versions: as the page showed it, and as it is on disk.
    assert "+ 这是根据视频内容写成的中文段落，编号12（编辑器里加的）。" in answer.text


@pytest.mark.parametrize("action", ["save", "approve", "candidate/accept", "regenerate"])
def test_an_action_on_a_post_without_the_version_of_its_page_is_refused(client: TestClient, out: Path,
                                                                         action: str) -> None:
    Store(out).save(BW, CandidateFile.model_validate({"kind": "article", "state": "done", "article": {
        "title": "新标题", "summary": "新摘要。", "tags": ["new-tag"],
        "sections": [{"heading": "新的一节", "body": "新的正文，足够长的一段话。"}]}}))
    before = post_path(out).read_bytes()
    answer = client.post(f"/video/{BW}/{action}", data={**CSRF, **edit_form(out, fm_title="x")})
    assert answer.status_code == 409 and "reload the page" in answer.text
    assert post_path(out).read_bytes() == before


# --- a section candidate replaces the section it was made from -----------------------------------


def test_accept_replaces_the_section_it_was_made_from_after_an_edit_renumbered_them(
        client: TestClient, out: Path, fake: FakeLLM) -> None:
    path = post_path(out)
    post = frontmatter.loads(path.read_text(encoding="utf-8"))
    post.content = THREE_SECTIONS
    path.write_text(frontmatter.dumps(post), encoding="utf-8")
    new_body = "重写后的第二节：不用后刹车时，靠离合和油门控制前轮的高度。"
    job = regenerate_section(client, fake, 2, lambda body: {"heading": "重写的第二节", "start": "", "body": new_body})
    assert job.state == "done"
    assert Store(out).load(BW, CandidateFile).replaces.heading == "第二节：后刹车"  # type: ignore[union-attr]

    # Meanwhile the reviewer deletes section 1: the old section 3 is now section 2.
    body = THREE_SECTIONS.split("\n\n", 2)[2]
    assert client.post(f"/video/{BW}/save", data={**CSRF, **edit_form(out, body=body),
                                                  "version": shown_version(client)}).status_code == 303
    saved = path.read_text(encoding="utf-8")
    answer = client.post(f"/video/{BW}/candidate/accept", data={**CSRF, "version": shown_version(client)})
    assert answer.status_code == 303 and "not%20done" not in answer.headers["location"]
    after = frontmatter.loads(path.read_text(encoding="utf-8")).content
    assert after == f"### 重写的第二节\n\n{new_body}\n\n### 第三节：审稿人的总结\n\n第三节的正文，审稿人亲手写的总结，一字都不能丢。"
    # It replaced a reviewer's words: their version is kept beside the post.
    backups = list(path.parent.glob(path.name + ".bak-*"))
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8") == saved


def test_accept_refuses_when_the_section_it_was_made_from_was_edited_since(client: TestClient, out: Path,
                                                                          fake: FakeLLM) -> None:
    job = regenerate_section(client, fake, 2, lambda body: {"heading": "重写的一节", "start": "",
                                                            "body": "重写后的正文，和原来一样长的一段中文。"})
    assert job.state == "done"
    path = post_path(out)
    edited = path.read_text(encoding="utf-8").replace("编号14。", "编号14。审稿人补充的一句。")
    path.write_text(edited, encoding="utf-8")
    page = client.get(f"/video/{BW}").text
    assert 'id="accept"' not in page and "no longer in the post" in page  # the preview says why
    answer = client.post(f"/video/{BW}/candidate/accept", data={**CSRF, "version": shown_version(client)})
    assert answer.status_code == 303 and "no%20longer%20in%20the%20post" in answer.headers["location"]
    assert path.read_text(encoding="utf-8") == edited
    assert (out / "videos" / BW / "candidate.json").is_file()  # still there, to discard


def test_a_section_candidate_without_the_section_it_replaces_is_refused(client: TestClient, out: Path) -> None:
    # A candidate file whose ``replaces`` is missing (written by hand or cut short).
    Store(out).save(BW, CandidateFile.model_validate({"kind": "section", "section": 2, "state": "done",
                                                      "new": {"heading": "新的", "body": "新的正文，一整段话。"}}))
    before = post_path(out).read_bytes()
    answer = client.post(f"/video/{BW}/candidate/accept", data={**CSRF, "version": shown_version(client)})
    assert "does%20not%20say%20which%20section" in answer.headers["location"]
    assert post_path(out).read_bytes() == before


# --- a candidate that would remove text ------------------------------------------------------


def test_an_empty_section_answer_is_a_failed_job_and_never_acceptable(client: TestClient, out: Path,
                                                                    fake: FakeLLM) -> None:
    before = post_path(out).read_bytes()
    job = regenerate_section(client, fake, 2, lambda body: EMPTY_SECTION)
    assert job.state == "failed" and "empty heading and body" in job.error
    candidate = Store(out).load(BW, CandidateFile)
    assert candidate.state == "failed" and "empty heading and body" in (candidate.error or "")
    page = client.get(f"/video/{BW}").text
    assert "empty heading and body" in page and 'id="accept"' not in page
    answer = client.post(f"/video/{BW}/candidate/accept", data={**CSRF, "version": shown_version(client)})
    assert "no%20finished%20candidate" in answer.headers["location"]
    assert post_path(out).read_bytes() == before


@pytest.mark.parametrize("instruction, state", [("", "failed"), ("更简洁，一句话", "done")])
def test_a_section_cut_to_under_a_quarter_fails_unless_an_instruction_asked(
        client: TestClient, fake: FakeLLM, instruction: str, state: str) -> None:
    job = regenerate_section(client, fake, 2, lambda body: {"heading": "短的一节", "start": "", "body": "很短。"},
                             instruction)
    assert job.state == state
    if state == "failed":
        assert "under a quarter" in job.error


def test_an_empty_candidate_written_as_done_is_not_acceptable(client: TestClient, out: Path) -> None:
    # As the desk before this check stored one: state "done", nothing in it.
    store = Store(out)
    store.save(BW, CandidateFile.model_validate({"kind": "section", "section": 2, "state": "done",
                                                 "replaces": {"heading": "第13节：视频的要点",
                                                              "body": "这是根据视频内容写成的中文段落，编号14。"},
                                                 "new": {"heading": "", "body": ""}}))
    before = post_path(out).read_bytes()
    assert 'id="accept"' not in client.get(f"/video/{BW}").text
    answer = client.post(f"/video/{BW}/candidate/accept", data={**CSRF, "version": shown_version(client)})
    assert "empty%20heading%20and%20body" in answer.headers["location"]
    assert post_path(out).read_bytes() == before


def test_a_regenerated_article_with_an_empty_section_is_a_failed_job(client: TestClient, out: Path,
                                                                    fake: FakeLLM) -> None:
    before = post_path(out).read_bytes()

    def answer(body: dict[str, Any]) -> dict[str, Any]:
        return dict(default_answer(body), sections=[{"heading": "第一节", "start": "00:01", "body": "正文。" * 20},
                                                    {"heading": "第二节", "start": "05:28", "body": " "}])

    job = regenerate_section(client, fake, 0, answer)
    assert job.state == "failed" and "section 2 of the model's article has an empty body" in job.error
    assert Store(out).load(BW, CandidateFile).state == "failed"
    assert post_path(out).read_bytes() == before
