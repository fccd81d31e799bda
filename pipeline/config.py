"""The one configuration model, read from ``config.yaml``.

Unknown keys are rejected so that a typo never silently falls back to a default; every
error names the file and the dotted key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.cost import DEFAULT_PRICES, Price
from pipeline.errors import ConfigError

DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class LLMConfig(_Strict):
    base_url: str | None = None  # None: OPENAI_BASE_URL, else OpenAI's own endpoint
    model: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"
    structured_output: Literal["json_schema", "json_object"] = "json_schema"
    temperature: float | None = 0.3
    timeout: float = Field(default=300.0, gt=0)
    max_attempts: int = Field(default=6, ge=1)  # per call, across 429/5xx/connection errors
    max_backoff: float = Field(default=60.0, gt=0)
    concurrency: int = Field(default=4, ge=1)
    requests_per_minute: float | None = Field(default=None, gt=0)
    tokens_per_minute: float | None = Field(default=None, gt=0)
    context_tokens: int = Field(default=128_000, ge=2_000)
    max_output_tokens: int = Field(default=16_000, ge=256)
    prices: dict[str, Price] = Field(default_factory=lambda: dict(DEFAULT_PRICES))

    def resolved_base_url(self) -> str:
        return self.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_OPENAI_BASE_URL


class TranscriptConfig(_Strict):
    # Preferred languages in order; empty means the video's own language first, then English.
    languages: list[str] = Field(default_factory=list)
    # Convert traditional Chinese captions to simplified ("zh-Hans") before summarizing; off unless asked.
    convert_chinese: Literal["zh-Hans"] | None = None
    paragraph_seconds: float = Field(default=90.0, gt=0)


class YouTubeConfig(_Strict):
    min_interval: float = Field(default=1.0, ge=0)  # seconds between YouTube requests
    jitter: float = Field(default=0.5, ge=0)
    timeout: float = Field(default=30.0, gt=0)
    # Passed through to yt-dlp and youtube-transcript-api. A proxy URL may hold credentials:
    # it is never logged or written into artifacts.
    proxy: str | None = None
    cookies_file: str | None = None
    cookies_from_browser: str | None = None
    max_attempts: int = Field(default=4, ge=1)  # for transient causes (network, ip_blocked)
    retry_wait: float = Field(default=2.0, ge=0)  # first backoff, doubling with jitter
    block_pause: float = Field(default=300.0, ge=0)  # pause all YouTube work after an IP block


class ASRConfig(_Strict):
    # "endpoint": an OpenAI-compatible /audio/transcriptions; "local": faster-whisper; None: off.
    backend: Literal["endpoint", "local"] | None = None
    base_url: str | None = None  # None: the LLM's base URL
    model: str = "whisper-1"
    api_key_env: str | None = None  # None: the LLM's key variable
    max_upload_mb: float = Field(default=24.0, gt=0)
    local_model: str = "small"
    language: str | None = None


class Taxonomy(_Strict):
    areas: list[str] = Field(
        default_factory=lambda: [
            "tech-engineering",
            "business-economics",
            "society-culture",
            "science-health",
            "politics-policy",
        ]
    )
    categories: list[str] = Field(
        default_factory=lambda: [
            "ai-ml",
            "software-development",
            "hardware-chips",
            "internet-platforms",
            "cybersecurity",
            "startups-venture",
            "finance-markets",
            "macroeconomics",
            "management-leadership",
            "product-design",
            "media-entertainment",
            "education-learning",
            "science-research",
            "health-medicine",
            "energy-climate",
            "geopolitics",
            "law-regulation",
            "lifestyle-sports",
        ]
    )

    @field_validator("areas", "categories")
    @classmethod
    def _non_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must list at least one value")
        return value


class FrontMatterDefaults(_Strict):
    layout: str = "post.njk"
    status: str = "evergreen"
    draft: bool = True
    project: list[str] = Field(default_factory=list)
    series: str = ""


class Config(_Strict):
    llm: LLMConfig = Field(default_factory=LLMConfig)
    transcript: TranscriptConfig = Field(default_factory=TranscriptConfig)
    youtube: YouTubeConfig = Field(default_factory=YouTubeConfig)
    asr: ASRConfig = Field(default_factory=ASRConfig)
    taxonomy: Taxonomy = Field(default_factory=Taxonomy)
    front_matter: FrontMatterDefaults = Field(default_factory=FrontMatterDefaults)
    # Term -> how to write it, e.g. {"nvidia": "Nvidia"}; goes into every prompt.
    glossary: dict[str, str] = Field(default_factory=dict)
    # A folder of prompt templates that override the built-in ones file by file.
    prompts_dir: str | None = None
    # How many of the site's most used tags the prompt offers for reuse.
    reuse_tags: int = Field(default=40, ge=0)
    # The largest caption, info.json or list file read (MB): a bigger one fails its video
    # instead of filling memory (a 200 MB "caption" or a link to /dev/zero).
    max_input_mb: float = Field(default=50.0, gt=0)


def load_config(path: Path | str | None) -> Config:
    """Read ``path`` (a missing default file means all defaults)."""
    if path is None:
        return Config()
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys to values")
    return _validate(raw, str(path))


def _validate(raw: dict[str, Any], origin: str) -> Config:
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        more = len(exc.errors()) - 1
        suffix = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(f"{origin}: {key}: {message}{suffix}") from None


FRONT_MATTER_LIST_FIELDS = {"project", "tags", "media_books", "companies_orgs", "products_models"}
FRONT_MATTER_BOOL_FIELDS = {"draft"}


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """Parse ``--set KEY=VALUE`` options into front-matter values of the right type."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set {pair!r}: expected KEY=VALUE")
        if key in FRONT_MATTER_LIST_FIELDS:
            overrides[key] = [item.strip() for item in value.split(",") if item.strip()]
        elif key in FRONT_MATTER_BOOL_FIELDS:
            lowered = value.strip().lower()
            if lowered not in {"true", "false", "yes", "no", "1", "0"}:
                raise ConfigError(f"--set {key}={value}: expected true or false")
            overrides[key] = lowered in {"true", "yes", "1"}
        else:
            overrides[key] = value
    return overrides
