"""The typed, versioned artifacts (``pipeline/artifacts.py``): files written before versions
existed still load, unknown keys are ignored, save and load round-trip, and an output folder
from before versions redoes no paid work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest

from pipeline.artifacts import (
    ARTIFACTS,
    Artifact,
    ArticleFile,
    BatchFile,
    CandidateFile,
    FlagsFile,
    MetadataFile,
    PartsFile,
    PostRecord,
    StatusFile,
    TranscriptFile,
)
from pipeline.errors import ArtifactError
from pipeline.post.write import build_post
from pipeline.config import Config
from pipeline.shapes import Metadata
from pipeline.store import Store, content_hash
from tests.conftest import video_dir_with

BW = "bwRHIkYqYJo"

# Each artifact as the code before ``schema_version`` wrote it (version 0), key for key.
VERSION_0: dict[type[Artifact], dict[str, Any]] = {
    MetadataFile: {
        "id": BW, "title": "Trying to Wheelie", "channel": "TheUselessTrials", "uploader": "TheUselessTrials",
        "upload_date": "20210720", "release_date": "", "duration": 305.0, "description": "d", "tags": ["bike"],
        "chapters": [{"start_time": 0.0, "end_time": 20.0, "title": "Introduction"}], "language": "en",
        "webpage_url": f"https://www.youtube.com/watch?v={BW}", "channel_id": "UC1", "channel_url": "",
        "live_status": "not_live", "availability": "public", "subtitles": {}, "automatic_captions": {},
        "origin": "info.json", "info_path": "videos/x.info.json", "fingerprint": "f" * 32,
        "fetched_at": "2025-01-01T00:00:00+00:00",
    },
    TranscriptFile: {
        "video_id": BW, "source": "yt-dlp-automatic-captions", "language": "en", "is_generated": True,
        "track": "en.vtt", "encoding": None, "segments": [{"start": 0.0, "end": 1.5, "text": "what's up", "speaker_change": False}],
        "paragraphs": [{"start": 0.0, "end": 1.5, "text": "What's up.", "chapter": "Introduction"}],
        "notes": [], "fingerprint": "f" * 32, "fetched_at": "2025-01-01T00:00:00+00:00",
    },
    ArticleFile: {
        "title": "标题", "summary": "摘要。", "tags": ["motorcycle", "trials"], "area": "tech-engineering",
        "category": "ai-ml", "companies_orgs": ["openai"], "products_models": [], "guest": "", "insight": "见解",
        "sections": [{"heading": "开场", "body": "正文。", "start": 0.0, "end": 20.0},
                     {"heading": "结尾", "body": "正文。", "start": None, "end": None}],
        "fingerprint": "a" * 32, "model": "gpt-4o-mini", "parts": 1, "transcript_source": "yt-dlp-subtitles",
        "warnings": ["section 2 (结尾): has no start time; time dropped"],
        "usage": [{"purpose": "article", "model": "gpt-4o-mini", "prompt_tokens": 900, "cached_tokens": 0,
                   "completion_tokens": 300, "cost_usd": 0.0003}],
        "usage_total": {"calls": 1, "prompt_tokens": 900, "cached_tokens": 0, "completion_tokens": 300,
                        "cost_usd": 0.0003},
        "created_at": "2025-01-01T00:00:00+00:00",
    },
    PartsFile: {  # new with versions; a file without the key would still be read as this shape
        "fingerprint": "a" * 32,
        "parts": {"d" * 32: {"sections": [{"heading": "开场", "start": "00:00", "body": "正文。"}],
                             "usage": [{"purpose": "sections 1/3", "model": "gpt-4o-mini", "prompt_tokens": 9000,
                                        "cached_tokens": 0, "completion_tokens": 3000, "cost_usd": 0.003}],
                             "answered_at": "2025-01-01T00:00:00+00:00"}},
        "updated_at": "2025-01-01T00:00:00+00:00",
    },
    PostRecord: {
        "path": "posts/2021-07-20-trying-to-wheelie.md", "source": f"https://www.youtube.com/watch?v={BW}",
        "sha256": "0" * 64, "fingerprint": "b" * 32, "written_at": "2025-01-01T00:00:00+00:00", "warnings": [],
    },
    FlagsFile: {
        "flags": [{"kind": "number", "text": "3500 亿美元", "section": "开场", "reason": "not in the transcript"}],
        "fingerprint": "b" * 32, "created_at": "2025-01-01T00:00:00+00:00",
    },
    StatusFile: {
        "video_id": BW, "stages": {"fetch": {"outcome": "done", "at": "2025-01-01T00:00:00+00:00"}},
        "error": {"stage": "summarize", "cause": "llm_timeout", "error_class": "LLMTimeout", "message": "slow",
                  "time": "2025-01-01T00:00:00+00:00"},
        "ref": {"url": f"https://www.youtube.com/watch?v={BW}", "info_path": None, "media_path": None},
        "overrides": {"project": ["ai-impact-analysis"]}, "spent": {"tokens": 1200, "cost_usd": 0.0003, "runs": 1},
        "ignored": True,
    },
    BatchFile: {
        "video_id": BW, "fingerprint": "c" * 32, "site_tags": ["ai"], "used": False,
        "requests": {"article": {"custom_id": f"{BW}.article.1", "state": "pending"}},
        "updated_at": "2025-01-01T00:00:00+00:00",
    },
    CandidateFile: {
        "kind": "section", "section": 2, "instruction": "更短", "replaces": {"heading": "旧", "body": "旧正文。",
                                                                         "start": None, "end": None},
        "new": {"heading": "新", "body": "新正文。", "start": 20.0, "end": 40.0}, "warnings": [], "state": "done",
        "model": "gpt-4o-mini", "usage_total": {"calls": 1, "prompt_tokens": 10, "cached_tokens": 0,
                                                "completion_tokens": 5, "cost_usd": None},
        "finished_at": "2025-01-01T00:00:00+00:00",
    },
}


def test_every_artifact_model_has_a_version_0_example() -> None:
    assert set(VERSION_0) == set(ARTIFACTS)
    assert len({model.FILE for model in ARTIFACTS}) == len(ARTIFACTS)


@pytest.mark.parametrize("model", ARTIFACTS, ids=lambda m: m.FILE)
def test_a_version_0_file_loads_as_todays_shape(model: type[Artifact], tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.write(BW, model.FILE, VERSION_0[model])
    loaded = store.load(BW, model)
    assert loaded.schema_version == model.VERSION == 1
    # Nothing was lost on the way: every key of the old file is a field, with its value.
    assert {k: v for k, v in loaded.model_dump(mode="json").items() if k in VERSION_0[model]} == VERSION_0[model]


@pytest.mark.parametrize("model", ARTIFACTS, ids=lambda m: m.FILE)
def test_unknown_keys_are_ignored(model: type[Artifact], tmp_path: Path) -> None:
    store = Store(tmp_path)
    # Keys this version does not know in a file of its own version (hand-added, or left by an
    # older experiment) are ignored and not written back. A file of a newer version is never
    # written over (test_a_file_from_a_newer_yt2post_is_read_but_never_written_over).
    store.write(BW, model.FILE, VERSION_0[model] | {"schema_version": model.VERSION, "not_a_field": {"x": 1}})
    loaded = store.load(BW, model)
    assert "not_a_field" not in loaded.model_dump()
    store.save(BW, loaded)
    assert "not_a_field" not in store.read(BW, model.FILE)


@pytest.mark.parametrize("model", ARTIFACTS, ids=lambda m: m.FILE)
def test_save_then_load_round_trips_in_the_readable_layout(model: type[Artifact], tmp_path: Path) -> None:
    store = Store(tmp_path)
    original = model.model_validate(VERSION_0[model])
    path = store.save(BW, original)
    assert path == store.path(BW, model.FILE)
    assert store.load(BW, model).model_dump() == original.model_dump()
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[1] == '  "schema_version": 1,'
    assert json.loads(text)["schema_version"] == 1
    # One key per line, and one line per item of a list of objects.
    lists = [v for v in VERSION_0[model].values() if isinstance(v, list) and v and isinstance(v[0], dict)]
    assert len(text.splitlines()) == len(json.loads(text)) + 2 + sum(len(v) + 1 for v in lists)


def test_schema_version_does_not_change_the_content_hash(tmp_path: Path) -> None:
    store = Store(tmp_path)
    old = VERSION_0[TranscriptFile]
    store.save(BW, TranscriptFile.model_validate(old))
    saved = store.read(BW, "transcript")
    assert "schema_version" in saved and content_hash(saved) == content_hash(old)


def test_a_later_version_migrates_an_older_file_step_by_step(tmp_path: Path) -> None:
    class Renamed(Artifact):
        """As a future change would do it: version 2 calls ``note`` ``comment``."""

        FILE: ClassVar[str] = "renamed"
        VERSION: ClassVar[int] = 2
        MIGRATIONS: ClassVar[dict] = {1: lambda d: {**{k: v for k, v in d.items() if k != "note"},
                                                    "comment": d.get("note", "")}}
        comment: str = ""

    store = Store(tmp_path)
    store.write(BW, "renamed", {"note": "from version 0"})
    assert store.load(BW, Renamed).comment == "from version 0"
    store.write(BW, "renamed", {"schema_version": 2, "comment": "current"})
    assert store.load(BW, Renamed).comment == "current"


def test_a_malformed_artifact_is_one_line_naming_the_video_and_file(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.write(BW, "article", VERSION_0[ArticleFile] | {"sections": "not a list"})
    with pytest.raises(ArtifactError) as caught:
        store.load(BW, ArticleFile)
    message = str(caught.value)
    assert message.startswith(f"{BW}: article.json ") and "sections" in message and "\n" not in message
    store.write(BW, "post", {"schema_version": "one"})
    with pytest.raises(ArtifactError, match="schema_version"):
        store.load(BW, PostRecord)
    assert store.load_optional(BW, FlagsFile) is None


def test_the_article_is_cleaned_by_its_model_for_summarize_and_write_alike() -> None:
    raw = {"title": "  标题 \n", "summary": "第一行\n\n  第二行 ", "tags": ["Large Language Models", "large-language-models",
                                                                         "AI"], "guest": " 嘉宾 ", "insight": "\t见解",
           "companies_orgs": ["OpenAI", "openai"], "sections": [{"heading": "h", "body": "b"}]}
    article = ArticleFile.model_validate(raw)
    assert (article.title, article.summary, article.guest, article.insight) == ("标题", "第一行 第二行", "嘉宾", "见解")
    assert article.tags == ["large-language-models", "ai"] and article.companies_orgs == ["openai"]
    # The writer takes the same cleaned values, whether given the model or a plain dict.
    meta = Metadata(id=BW, title="t", channel="c", upload_date="20210720")
    assert build_post(raw, meta, Config()).front == build_post(article, meta, Config()).front


def test_status_helpers_keep_their_shape_over_status_file(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.write(BW, "status", VERSION_0[StatusFile])
    store.mark_stage(BW, "summarize", "done")
    status = store.status(BW)
    assert status["error"] is None and status["stages"]["summarize"]["outcome"] == "done"
    assert status["ref"] == VERSION_0[StatusFile]["ref"] and status["ignored"] is True
    store.record_error(BW, "write", ValueError("disk on fire"))
    assert store.status(BW)["error"]["message"] == "disk on fire"
    assert store.update_status(BW, ignored=False)["ignored"] is False
    with pytest.raises(TypeError, match="ignord"):
        store.update_status(BW, ignord=True)
    assert store.status("newVideo000") == StatusFile(video_id="newVideo000").model_dump(mode="json")


def test_an_output_folder_from_before_versions_redoes_no_paid_work(cli, fake_llm, tmp_path: Path) -> None:
    info = video_dir_with(tmp_path, BW) / f"{BW}.info.json"
    assert cli("run", str(info)).code == 0 and fake_llm.calls == 1
    folder = tmp_path / "output" / "videos" / BW
    posts = {p: p.read_bytes() for p in (tmp_path / "output" / "posts").glob("*.md")}
    for path in folder.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data.pop("schema_version") == 1, path.name
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    again = cli("run", str(info))
    assert again.code == 0, again.stderr
    assert fake_llm.calls == 1
    assert {p: p.read_bytes() for p in posts} == posts
    for stage in ("fetch", "summarize", "write"):
        assert f"{stage} {BW}: skipped" in again.stderr


def test_a_watched_source_record_from_before_versions_loads_and_saves_versioned(tmp_path: Path) -> None:
    from pipeline.watch import SourceRecord, record_path

    source = "https://www.youtube.com/@example/videos"
    path = record_path(tmp_path, source)
    path.parent.mkdir(parents=True)
    old = {"source": source, "first_looked_at": "2025-01-01T00:00:00+00:00", "last_looked_at": None,
           "seen": {BW: "2025-01-01T00:00:00+00:00"}, "tries": {BW: 2}, "from_a_newer_version": True}
    path.write_text(json.dumps(old), encoding="utf-8")
    record = SourceRecord.load(tmp_path, source)
    assert (record.seen, record.tries, record.first_looked_at) == (old["seen"], old["tries"], old["first_looked_at"])
    record.save()
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["schema_version"] == 1 and "from_a_newer_version" not in saved
    path.write_text(json.dumps({"seen": ["not", "a", "mapping"]}), encoding="utf-8")
    with pytest.raises(ArtifactError, match="seen"):
        SourceRecord.load(tmp_path, source)


def test_a_watched_source_record_from_a_newer_yt2post_is_read_but_never_written_over(tmp_path: Path) -> None:
    from pipeline.watch import SourceRecord, record_path

    source = "https://www.youtube.com/@example/videos"
    path = record_path(tmp_path, source)
    path.parent.mkdir(parents=True)
    newer = {"schema_version": 7, "source": source, "seen": {BW: "2025-01-01T00:00:00+00:00"}, "future": [1]}
    path.write_text(json.dumps(newer), encoding="utf-8")
    record = SourceRecord.load(tmp_path, source)
    assert list(record.seen) == [BW]  # read as far as it goes
    record.mark_seen(["newVideo000"], "2025-02-01T00:00:00+00:00")
    with pytest.raises(ArtifactError, match="newer yt2post .*version 7.*upgrade yt2post"):
        record.save()
    assert json.loads(path.read_text(encoding="utf-8")) == newer


def test_summarize_saves_the_article_cleaned_and_the_post_shows_it_as_saved(cli, fake_llm, tmp_path: Path) -> None:
    from tests.fakellm import Reply

    taxonomy = Config().taxonomy
    fake_llm.queue(Reply(json={
        "title": "  整理过的标题 \n", "summary": "第一句。\n\n   第二句。 ", "tags": ["Large Language Models",
                                                                        "large-language-models", "AI"],
        "area": taxonomy.areas[0], "category": taxonomy.categories[0], "companies_orgs": ["OpenAI", "openai"],
        "products_models": [], "guest": "  嘉宾 ", "insight": " 见解 ",
        "sections": [{"heading": "开场", "start": "00:00", "body": "正文。"}]}))
    info = video_dir_with(tmp_path, BW) / f"{BW}.info.json"
    assert cli("run", str(info)).code == 0
    store = Store(tmp_path / "output")
    saved = store.read(BW, "article")
    assert saved["schema_version"] == 1
    assert (saved["title"], saved["summary"], saved["guest"], saved["insight"]) == \
        ("整理过的标题", "第一句。 第二句。", "嘉宾", "见解")
    assert saved["tags"] == ["large-language-models", "ai"] and saved["companies_orgs"] == ["openai"]
    post = store.resolve(store.load(BW, PostRecord).path or "")
    front = post.read_text(encoding="utf-8").split("---\n")[1]
    assert "title: 整理过的标题\n" in front and "- large-language-models\n- ai\n" in front


def test_a_file_from_a_newer_yt2post_is_read_but_never_written_over(tmp_path: Path) -> None:
    from pipeline.artifacts import StatusFile
    from pipeline.errors import ArtifactError
    from pipeline.store import Store

    store = Store(tmp_path / "out")
    folder = tmp_path / "out" / "videos" / "abcdefghijk"
    folder.mkdir(parents=True)
    newer = {"schema_version": 99, "video_id": "abcdefghijk", "stages": {}, "error": None,
             "a_field_from_the_future": {"keep": "me"}}
    (folder / "status.json").write_text(json.dumps(newer), encoding="utf-8")
    status = store.load(status_id := "abcdefghijk", StatusFile)
    assert status.video_id == status_id
    with pytest.raises(ArtifactError, match="newer yt2post"):
        store.save(status_id, status)
    assert json.loads((folder / "status.json").read_text(encoding="utf-8")) == newer


def test_a_newer_status_is_not_written_over_by_a_freshly_built_one_either(tmp_path: Path) -> None:
    from pipeline.errors import ArtifactError
    from pipeline.store import Store

    store = Store(tmp_path / "out")
    folder = tmp_path / "out" / "videos" / "abcdefghijk"
    folder.mkdir(parents=True)
    newer = {"schema_version": 99, "video_id": "abcdefghijk", "stages": {}, "error": None, "future": 1}
    (folder / "status.json").write_text(json.dumps(newer), encoding="utf-8")
    with pytest.raises(ArtifactError, match="newer yt2post"):
        store.update_status("abcdefghijk", ignored=True)
    assert json.loads((folder / "status.json").read_text(encoding="utf-8")) == newer


def test_a_batch_registry_file_is_read_through_its_model(tmp_path: Path) -> None:
    """``batches/<id>.json``: an older file (no version, a key this version does not know) is
    read; one whose fields have the wrong shape is an error naming the file; a save writes the
    version first."""
    from pipeline.batchapi.records import Registry

    registry = Registry(tmp_path)
    registry.folder.mkdir(parents=True)
    (registry.folder / "batch_abc.json").write_text(json.dumps(
        {"id": "batch_abc", "status": "completed", "created_at": 1700000000, "applied": False,
         "request_counts": {"total": 2, "completed": 2, "failed": 0}, "from_the_future": 1}), encoding="utf-8")
    record = registry.load("batch_abc")
    assert record is not None and record["status"] == "completed" and record["request_counts"]["total"] == 2
    assert "from_the_future" not in record
    record["applied"] = True
    registry.save(record)
    saved = json.loads((registry.folder / "batch_abc.json").read_text(encoding="utf-8"))
    assert next(iter(saved)) == "schema_version" and saved["applied"] is True
    (registry.folder / "batch_bad.json").write_text(json.dumps({"id": "batch_bad", "requests": "many"}),
                                                    encoding="utf-8")
    with pytest.raises(ArtifactError, match="batch_bad.json does not have the expected shape: requests"):
        registry.load("batch_bad")
