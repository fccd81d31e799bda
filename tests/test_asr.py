"""Speech recognition through an OpenAI-compatible transcription endpoint (the fake server)."""

from __future__ import annotations

import json
import math
import struct
import wave
from pathlib import Path

import pytest

from pipeline.sources.asr import split_audio
from tests.conftest import video_dir_with

RATE = 8000


def tone(path: Path, seconds: float) -> Path:
    """A 440 Hz tone: real audio made with the standard library, no fixture file needed."""
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / RATE)))
                      for i in range(int(seconds * RATE)))
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(frames)
    return path


def endpoint_config(tmp_path: Path, max_upload_mb: float = 24) -> Path:
    config = tmp_path / "asr.yaml"
    config.write_text(f"asr:\n  backend: endpoint\n  max_upload_mb: {max_upload_mb}\n")
    return config


def test_audio_file_source_is_transcribed(cli, fake_llm, tmp_path: Path) -> None:
    audio = tone(tmp_path / "My interview.wav", 12)
    result = cli("run", str(audio), "--config", str(endpoint_config(tmp_path)), "--set", "speaker=Someone")
    assert result.code == 0, result.stderr
    [video] = list((tmp_path / "output" / "videos").iterdir())
    transcript = json.loads((video / "transcript.json").read_text())
    assert transcript["source"] == "asr-endpoint" and transcript["language"] == "en"
    assert [s["start"] for s in transcript["segments"]] == [0.0, 5.0, 10.0]
    assert len(fake_llm.audio_requests) == 1
    assert fake_llm.audio_requests[0]["fields"]["response_format"] == ["verbose_json"]
    metadata = json.loads((video / "metadata.json").read_text())
    assert metadata["title"] == "My interview"


def test_video_without_captions_uses_the_audio_beside_its_info_json(cli, fake_llm, tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, "gogEJyoSB9s")
    tone(videos / "gogEJyoSB9s.wav", 7)
    result = cli("fetch", str(videos / "gogEJyoSB9s.info.json"), "--config", str(endpoint_config(tmp_path)))
    assert result.code == 0, result.stderr
    transcript = json.loads((tmp_path / "output" / "videos" / "gogEJyoSB9s" / "transcript.json").read_text())
    assert transcript["source"] == "asr-endpoint" and transcript["track"] == "gogEJyoSB9s.wav"


def test_long_audio_is_split_and_rejoined_with_offsets(cli, fake_llm, tmp_path: Path) -> None:
    audio = tone(tmp_path / "long.wav", 30)  # 480 KB
    result = cli("fetch", str(audio), "--config", str(endpoint_config(tmp_path, max_upload_mb=0.15)))
    assert result.code == 0, result.stderr
    assert len(fake_llm.audio_requests) == 4
    assert all(r["bytes"] <= 0.15 * 1024 * 1024 for r in fake_llm.audio_requests)
    [video] = list((tmp_path / "output" / "videos").iterdir())
    starts = [s["start"] for s in json.loads((video / "transcript.json").read_text())["segments"]]
    assert starts == sorted(starts)
    # Each part is about 9.8 s long; the second part's first segment starts at its offset.
    part_seconds = (int(0.15 * 1024 * 1024) - 1024) // 2 / RATE
    assert starts[2] == pytest.approx(part_seconds, abs=0.01)
    assert starts[-1] < 30


def test_split_audio_keeps_every_frame(tmp_path: Path) -> None:
    audio = tone(tmp_path / "a.wav", 10)
    parts = split_audio(audio, 50_000, tmp_path)
    total = 0
    for path, offset in parts:
        with wave.open(str(path)) as handle:
            assert offset == pytest.approx(total / RATE)
            total += handle.getnframes()
    assert total == 10 * RATE


def test_endpoint_errors_are_one_line(cli, fake_llm, tmp_path: Path) -> None:
    from tests.fakellm import Reply

    fake_llm.queue_audio(Reply(status=400, error={"error": {"message": "unsupported file", "type": "invalid"}}))
    audio = tone(tmp_path / "bad.wav", 2)
    result = cli("fetch", str(audio), "--config", str(endpoint_config(tmp_path)))
    assert result.code == 1
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "HTTP 400" in line and "bad.wav" in line


def test_without_a_backend_the_error_says_how_to_enable_it(cli, tmp_path: Path) -> None:
    audio = tone(tmp_path / "quiet.wav", 2)
    result = cli("fetch", str(audio))
    assert result.code == 1 and "asr.backend" in result.stderr


def test_an_approved_post_of_an_audio_file_is_redone_by_force_only_when_the_file_is_named(
        cli, fake_llm, tmp_path: Path) -> None:
    """A media file names its one video, as a URL or an info.json does: ``--force`` with the
    file redoes it; with a list file that holds it, the approved post is left out."""
    from pipeline.config import Config
    from pipeline.review.posts import approve, find_post
    from pipeline.store import Store

    audio = tone(tmp_path / "My interview.wav", 6)
    listed = tmp_path / "talks.txt"
    listed.write_text(f"{audio}\n", encoding="utf-8")
    config = str(endpoint_config(tmp_path))
    assert cli("run", str(listed), "--config", config).code == 0
    [video_id] = Store(tmp_path / "output").video_ids()
    store = Store(tmp_path / "output")
    approve(store, video_id, Config(), find_post(store, video_id).version)
    fake_llm.reset()
    by_list = cli("run", str(listed), "--config", config, "--force")
    assert by_list.code == 0, by_list.stderr
    assert "1 approved post(s) left out" in by_list.stdout and fake_llm.calls == 0
    named = cli("run", str(audio), "--config", config, "--force")
    assert named.code == 0, named.stderr
    assert "left out" not in named.stdout and fake_llm.calls == 1


def test_a_dry_run_counts_speech_recognition_and_runs_none(cli, fake_llm, tmp_path: Path) -> None:
    audio = tone(tmp_path / "My interview.wav", 90)
    result = cli("run", str(audio), "--dry-run", "--config", str(endpoint_config(tmp_path)))
    assert result.code == 0, result.stderr
    # A media file's length is known only once it is read: the cost is unknown, not zero.
    assert "(words by speech recognition first: length unknown, -; tokens guessed)" in result.stdout
    assert "$0.0000 (some unpriced) speech recognition of 1 video(s)" in result.stdout
    assert not fake_llm.audio_requests and not fake_llm.requests  # nothing spent
    assert not (tmp_path / "output" / "videos").exists() or not any((tmp_path / "output" / "videos").rglob("*.json"))
