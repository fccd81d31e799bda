"""Speech recognition: the last way to get a video's words.

Audio comes from a local media SOURCE, an audio file beside a local ``.info.json``, or (online
sources only) an audio-only yt-dlp download into a temporary folder that is removed afterwards.
It is transcribed by an OpenAI-compatible ``/audio/transcriptions`` endpoint (OpenAI,
faster-whisper-server, ...) or locally by faster-whisper. Audio over the endpoint's upload
limit is split into parts whose segments are joined with their time offsets.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import openai

from pipeline.config import Config
from pipeline.errors import AsrError
from pipeline.shapes import Metadata, Transcript, VideoRef
from pipeline.sources.listing import MEDIA_EXTS
from pipeline.words.siblings import info_stem
from pipeline.words.transcripts import from_snippets

Snippet = tuple[str, float, float]  # text, start, duration


def transcribe_video(meta: Metadata, video: VideoRef, config: Config, session: Any | None,
                     audio_dir: Path) -> Transcript | None:
    """Words by speech recognition, or None when no ASR backend is configured. A download goes
    to ``audio_dir`` (in the video's folder), kept there only while it is unfinished, so that a
    download a kill or a network failure broke off resumes in the next run; removed once the
    audio has been transcribed (or could not be)."""
    if config.asr.backend is None:
        return None
    audio = find_local_audio(video, meta)
    if audio is not None:
        return transcribe_file(audio, meta, config)
    if video.info_path is not None or video.media_path is not None or session is None:
        return None  # a local source without audio: nothing to transcribe, and no network
    audio_dir.mkdir(parents=True, exist_ok=True)
    downloaded = session.download_audio(video, audio_dir)
    try:
        return transcribe_file(downloaded, meta, config)
    finally:
        shutil.rmtree(audio_dir, ignore_errors=True)


def find_local_audio(video: VideoRef, meta: Metadata) -> Path | None:
    if video.media_path is not None:
        return video.media_path
    if meta.info_path:
        info = Path(meta.info_path)
        stem = info_stem(info)
        for ext in sorted(MEDIA_EXTS):
            candidate = info.with_name(stem + ext)
            if candidate.is_file():
                return candidate
    return None


def transcribe_file(path: Path, meta: Metadata, config: Config) -> Transcript | None:
    if config.asr.backend == "local":
        snippets, language = _local_whisper(path, config)
        source = "asr-local"
    else:
        snippets, language = _endpoint(path, config)
        source = "asr-endpoint"
    return from_snippets(meta, config, snippets, source=source, language=language, is_generated=True,
                         track=path.name)


# --- the endpoint ---------------------------------------------------------------------------


def _client(config: Config) -> openai.OpenAI:
    base_url = config.asr.base_url or config.llm.resolved_base_url()
    key_env = config.asr.api_key_env or config.llm.api_key_env
    api_key = os.environ.get(key_env)
    if not api_key:
        if urlsplit(base_url).hostname == "api.openai.com":
            raise AsrError(f"speech recognition needs the {key_env} environment variable")
        api_key = "no-key-required"
    return openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=config.llm.timeout)


def _endpoint(path: Path, config: Config) -> tuple[list[Snippet], str | None]:
    from pipeline.llm.client import retry_policy
    from pipeline.llm.errors import server_message

    client = _client(config)
    limit = int(config.asr.max_upload_mb * 1024 * 1024)
    snippets: list[Snippet] = []
    language: str | None = config.asr.language
    with tempfile.TemporaryDirectory(prefix="yt2post-parts-") as folder:
        for part, offset in split_audio(path, limit, Path(folder)):
            try:
                for attempt in retry_policy(config.llm):
                    with attempt, part.open("rb") as handle:
                        kwargs: dict[str, Any] = {"file": (part.name, handle), "model": config.asr.model,
                                                  "response_format": "verbose_json",
                                                  "timestamp_granularities": ["segment"]}
                        if config.asr.language:
                            kwargs["language"] = config.asr.language
                        result = client.audio.transcriptions.create(**kwargs)
            except openai.APIStatusError as exc:
                raise AsrError(f"the speech recognition server answered HTTP {exc.status_code} for "
                               f"{path.name}: {server_message(exc)}") from None
            except openai.APIConnectionError:
                raise AsrError(f"cannot reach the speech recognition server at {client.base_url}") from None
            language = language or _language_code(getattr(result, "language", None))
            for segment in getattr(result, "segments", None) or []:
                start, end = float(_get(segment, "start")), float(_get(segment, "end"))
                snippets.append((str(_get(segment, "text")), offset + start, max(0.0, end - start)))
    return snippets, language


def _get(segment: Any, key: str) -> Any:
    return segment.get(key) if isinstance(segment, dict) else getattr(segment, key)


_LANGUAGE_NAMES = {"english": "en", "chinese": "zh", "japanese": "ja", "korean": "ko", "german": "de",
                   "french": "fr", "spanish": "es", "russian": "ru", "portuguese": "pt", "italian": "it"}


def _language_code(value: str | None) -> str | None:
    if not value:
        return None
    return _LANGUAGE_NAMES.get(value.lower(), value.lower())


def split_audio(path: Path, limit_bytes: int, folder: Path) -> list[tuple[Path, float]]:
    """Parts of at most ``limit_bytes`` each, with the time (seconds) each part starts at."""
    if path.stat().st_size <= limit_bytes:
        return [(path, 0.0)]
    if path.suffix.lower() == ".wav":
        return _split_wav(path, limit_bytes, folder)
    return _split_with_ffmpeg(path, limit_bytes, folder)


def _split_wav(path: Path, limit_bytes: int, folder: Path) -> list[tuple[Path, float]]:
    parts: list[tuple[Path, float]] = []
    with wave.open(str(path), "rb") as source:
        params = source.getparams()
        frame_bytes = params.sampwidth * params.nchannels
        frames_per_part = max(1, (limit_bytes - 1024) // frame_bytes)
        offset_frames = 0
        index = 0
        while True:
            frames = source.readframes(frames_per_part)
            if not frames:
                break
            part = folder / f"{path.stem}.part{index:03d}.wav"
            with wave.open(str(part), "wb") as target:
                target.setparams(params)
                target.writeframes(frames)
            parts.append((part, offset_frames / params.framerate))
            offset_frames += len(frames) // frame_bytes
            index += 1
    return parts


def _split_with_ffmpeg(path: Path, limit_bytes: int, folder: Path) -> list[tuple[Path, float]]:
    ffmpeg, ffprobe = shutil.which("ffmpeg"), shutil.which("ffprobe")
    if not ffmpeg or not ffprobe:
        raise AsrError(f"{path.name} is larger than asr.max_upload_mb; install ffmpeg to split it, "
                       "or convert it to WAV")
    probe = subprocess.run([ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                            str(path)], capture_output=True, text=True, check=False)
    try:
        duration = float(probe.stdout.strip())
    except ValueError:
        raise AsrError(f"ffprobe cannot read the duration of {path.name}") from None
    count = int(path.stat().st_size // limit_bytes) + 1
    length = duration / count
    parts = []
    for index in range(count):
        part = folder / f"{path.stem}.part{index:03d}{path.suffix}"
        subprocess.run([ffmpeg, "-v", "error", "-y", "-ss", str(index * length), "-t", str(length), "-i", str(path),
                        "-c", "copy", str(part)], check=True, capture_output=True)
        parts.append((part, index * length))
    return parts


# --- local -----------------------------------------------------------------------------------


def _local_whisper(path: Path, config: Config) -> tuple[list[Snippet], str | None]:
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise AsrError("asr.backend is local but faster-whisper is not installed: "
                       "pip install 'yt2post[asr]'") from None
    model = WhisperModel(config.asr.local_model, device="cpu", compute_type="int8")
    segments, info = model.transcribe(str(path), language=config.asr.language)
    snippets = [(s.text, float(s.start), float(s.end) - float(s.start)) for s in segments]
    return snippets, getattr(info, "language", None)
