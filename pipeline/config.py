"""The one configuration model, read from ``config.yaml``.

Settings resolve in this order: the file given with ``--config``, else ``./config.yaml``, over
the built-in defaults (the commented ``config.yaml`` the package ships). Unknown keys are
rejected so that a typo never silently falls back to a default; every error names the file and
the dotted key. Relative paths in a file are relative to that file's folder.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from pipeline.errors import ConfigError
from pipeline.language import DEFAULT_LANGUAGE, standard_tag
from pipeline.resources import builtin_config_file

DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"


class Price(BaseModel):
    """USD per million tokens."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    input: float
    output: float
    cached_input: float | None = None  # None: billed as input
    # The Batch API's price as a share of the live one (OpenAI: half); set per model where it differs.
    batch_factor: float = Field(default=0.5, ge=0)


DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(input=0.15, cached_input=0.075, output=0.60),
    "gpt-4o": Price(input=2.50, cached_input=1.25, output=10.00),
    "gpt-4.1-mini": Price(input=0.40, cached_input=0.10, output=1.60),
    "gpt-4.1": Price(input=2.00, cached_input=0.50, output=8.00),
    "gpt-4.1-nano": Price(input=0.10, cached_input=0.025, output=0.40),
    "deepseek-chat": Price(input=0.27, cached_input=0.07, output=1.10),
    "qwen-plus": Price(input=0.40, output=1.20),
}



DEFAULT_CONFIG_NAME = "config.yaml"


class _Strict(BaseModel):
    # .inf / .nan in a config file would make every wait, budget or limit meaningless.
    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)


def PathField(default: Any = None) -> Any:  # noqa: N802 - used like pydantic's Field
    """A setting that names a file or folder: relative values are relative to the config file."""
    return Field(default=default, json_schema_extra={"relative_path": True})


class BatchAPIConfig(_Strict):
    """How summarize calls go through the provider's Batch API (``llm.mode: batch``, ``--batch-api``)."""

    # A request that failed or expired inside a batch: into the next batch, or as a live call.
    retry: Literal["next_batch", "live"] = "next_batch"
    max_attempts: int = Field(default=3, ge=1)  # per request, across batches
    poll_interval: float = Field(default=30.0, gt=0)  # seconds before the first status check
    poll_max_interval: float = Field(default=600.0, gt=0)  # the back-off's ceiling
    # Wait for the batches to finish (true), or send them, apply what has finished and exit (false:
    # for scheduled runs; each run moves the backfill on).
    wait: bool = True
    # The provider's limits per input file (OpenAI: 50,000 requests, 200 MB); more makes several batches.
    max_requests: int = Field(default=50_000, ge=1)
    max_file_mb: float = Field(default=200.0, gt=0)
    # The provider's cap on tokens queued at once per organisation (e.g. 2,000,000); None: no cap.
    # Under a cap, requests go out a slice at a time, the next when the last has finished.
    max_enqueued_tokens: int | None = Field(default=None, ge=1)


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
    # live: one call at a time as videos arrive; batch: the provider's Batch API (half the price, within 24 h).
    mode: Literal["live", "batch"] = "live"
    batch: BatchAPIConfig = Field(default_factory=BatchAPIConfig)

    # The config file read (set by load_config): a base_url not built in was set there, and the
    # messages about it say where to fix it.
    _file: str | None = PrivateAttr(default=None)

    def resolved_base_url(self) -> str:
        return self.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_OPENAI_BASE_URL

    def base_url_origin(self) -> str:
        """Where ``resolved_base_url`` came from, as the setting a user would change."""
        if self.base_url:
            return f"llm.base_url in {self._file}" if self._file else "llm.base_url"
        if os.environ.get("OPENAI_BASE_URL"):
            return "the OPENAI_BASE_URL environment variable"
        return "llm.base_url (not set: OpenAI's own endpoint)"

    def api_key(self) -> str:
        """The key from the variable ``api_key_env`` names; a missing one is a configuration error
        only for OpenAI itself: local servers (Ollama, vLLM, llama.cpp) take none."""
        key = os.environ.get(self.api_key_env)
        if key:
            return key
        if urlsplit(self.resolved_base_url()).hostname == "api.openai.com":
            raise ConfigError(f"set the {self.api_key_env} environment variable to your API key")
        return "no-key-required"  # the client insists on one


class TranscriptConfig(_Strict):
    # Preferred languages in order; empty means the video's own language first, then English.
    languages: list[str] = Field(default_factory=list)
    # Convert Chinese captions to one script before summarizing, with OpenCC: "zh-Hans"
    # (Traditional to Simplified) or "zh-Hant" (Simplified to Traditional); off unless asked.
    convert_chinese: Literal["zh-Hans", "zh-Hant"] | None = None
    paragraph_seconds: float = Field(default=90.0, gt=0)


class SiteConfig(_Strict):
    """One site's section (``youtube:``, ``bilibili:``, ``other_sites:``): pacing, proxy, cookies."""

    min_interval: float = Field(default=1.0, ge=0)  # seconds between the site's requests
    jitter: float = Field(default=0.5, ge=0)
    timeout: float = Field(default=30.0, gt=0)
    # Passed through to yt-dlp and youtube-transcript-api. A proxy URL may hold credentials:
    # it is never logged or written into artifacts.
    proxy: str | None = None
    cookies_file: str | None = PathField()
    # yt-dlp's BROWSER[+KEYRING][:PROFILE][::CONTAINER] (``firefox``, ``chrome:Profile 1``).
    cookies_from_browser: str | None = None
    max_attempts: int = Field(default=4, ge=1)  # for transient causes (network, ip_blocked)
    retry_wait: float = Field(default=2.0, ge=0)  # first backoff, doubling with jitter
    block_pause: float = Field(default=300.0, ge=0)  # pause all of the site's work after an IP block


    @field_validator("cookies_from_browser")
    @classmethod
    def _browser_known(cls, value: str | None) -> str | None:
        if value is not None:
            browser_cookies(value)
        return value


def browser_cookies(spec: str) -> tuple[str, str | None, str | None, str | None]:
    """``cookies_from_browser`` read as yt-dlp's ``--cookies-from-browser`` reads it: (browser,
    profile, keyring, container). A browser yt-dlp cannot read is a ValueError saying so."""
    import optparse

    import yt_dlp  # only for a config that names a browser

    try:
        return yt_dlp.parse_options(["--cookies-from-browser", spec]).ydl_opts["cookiesfrombrowser"]
    except (optparse.OptParseError, ValueError) as exc:
        raise ValueError(str(exc).strip().splitlines()[-1].split("error: ", 1)[-1]) from None


class YouTubeConfig(SiteConfig):
    pass


class BilibiliConfig(SiteConfig):
    # Bilibili's risk control answers HTTP 412 to quick series of requests (a video is about six).
    min_interval: float = Field(default=2.0, ge=0)


class PodcastConfig(_Strict):
    timeout: float = Field(default=30.0, gt=0)  # seconds for each feed, transcript or chapters request
    # The largest episode audio downloaded for speech recognition (MB); a feed or transcript is
    # capped by max_input_mb.
    max_audio_mb: float = Field(default=500.0, gt=0)
    # A busy server (429, 5xx) or a network error is asked again, this many times in all, the
    # waits growing from retry_wait seconds: a feed, transcript or chapters request.
    max_attempts: int = Field(default=3, ge=1)
    retry_wait: float = Field(default=1.0, ge=0)
    # Apple's public iTunes lookup, which finds an Apple Podcasts link's feed.
    apple_lookup_url: str = "https://itunes.apple.com/lookup"


class ASRConfig(_Strict):
    # "endpoint": an OpenAI-compatible /audio/transcriptions; "local": faster-whisper; None: off.
    backend: Literal["endpoint", "local"] | None = None
    base_url: str | None = None  # None: the LLM's base URL
    model: str = "whisper-1"
    api_key_env: str | None = None  # None: the LLM's key variable
    max_upload_mb: float = Field(default=24.0, gt=0)
    local_model: str = "small"
    language: str | None = None
    # USD per minute of audio, for --dry-run; None: OpenAI's price of the model, where known.
    price_per_minute: float | None = Field(default=None, ge=0)


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
    layout: str | None = None  # None: the post format's own (Eleventy post.njk, Hexo and Jekyll post, Hugo none)
    status: str = "evergreen"
    draft: bool = True
    project: list[str] = Field(default_factory=list)
    series: str = ""


class PostConfig(_Strict):
    # The site generator the posts are for (``pipeline.post.formats``).
    format: Literal["eleventy", "hugo", "hexo", "jekyll"] = "eleventy"
    # A "[▶ 12:34](video link)" line under each section heading, for sites that want it. Off:
    # the post keeps the seed's exact shape.
    section_links: bool = False
    # The readers' language, a BCP-47 tag (zh-Hans, zh-Hant, en, ja, pt-BR …): what the model
    # writes in (``pipeline.language``). Kept in the tag's standard form (zh_TW -> zh-TW).
    language: str = DEFAULT_LANGUAGE

    @field_validator("language")
    @classmethod
    def _language_tag(cls, value: str) -> str:
        return standard_tag(value)


class ReviewConfig(_Strict):
    # A folder (e.g. the Eleventy site's posts folder) an approved post is copied into; None: no copy.
    # Relative to the config file's folder, like every path in it.
    site_dir: str | None = PathField()


class Config(_Strict):
    llm: LLMConfig = Field(default_factory=LLMConfig)
    transcript: TranscriptConfig = Field(default_factory=TranscriptConfig)
    youtube: YouTubeConfig = Field(default_factory=YouTubeConfig)
    podcast: PodcastConfig = Field(default_factory=PodcastConfig)
    bilibili: BilibiliConfig = Field(default_factory=BilibiliConfig)
    # Every other site yt-dlp reads (``pipeline.sites.other``).
    other_sites: SiteConfig = Field(default_factory=SiteConfig)
    asr: ASRConfig = Field(default_factory=ASRConfig)
    taxonomy: Taxonomy = Field(default_factory=Taxonomy)
    front_matter: FrontMatterDefaults = Field(default_factory=FrontMatterDefaults)
    post: PostConfig = Field(default_factory=PostConfig)
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    # Term -> how to write it, e.g. {"nvidia": "Nvidia"}; goes into every prompt.
    glossary: dict[str, str] = Field(default_factory=dict)
    # A folder of prompt templates that override the built-in ones file by file.
    prompts_dir: str | None = PathField()
    # How many of the site's most used tags the prompt offers for reuse.
    reuse_tags: int = Field(default=40, ge=0)
    # The largest caption, info.json or list file read (MB): a bigger one fails its video
    # instead of filling memory (a 200 MB "caption" or a link to /dev/zero).
    max_input_mb: float = Field(default=50.0, gt=0)

    def site_settings(self) -> list[SiteConfig]:
        """Every site's section (its proxy and cookies are secrets to mask)."""
        return [self.youtube, self.bilibili, self.other_sites]


@lru_cache(maxsize=1)
def _builtin_raw() -> dict[str, Any]:
    raw = yaml.safe_load(builtin_config_file().read_text(encoding="utf-8"))
    return raw if isinstance(raw, dict) else {}


def _read_raw(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the config file is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys to values")
    return raw


def _sections() -> set[str]:
    return {name for name, field in Config.model_fields.items()
            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)}


def _layer(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """A file's keys over the built-in ones: a section (``llm:``) merges key by key, any other
    value (the glossary, a price table) replaces the built-in one whole."""
    merged = dict(base)
    sections = _sections()
    for key, value in over.items():
        if key in sections and isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


def _resolve_paths(model: BaseModel, folder: Path) -> None:
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            _resolve_paths(value, folder)
        elif (isinstance(value, str) and value and isinstance(field.json_schema_extra, dict)
              and field.json_schema_extra.get("relative_path")):
            path = Path(value).expanduser()
            object.__setattr__(model, name, str(path if path.is_absolute() else folder / path))


def config_file_in_use(path: Path | str | None) -> Path | None:
    """``--config`` when given, else ``./config.yaml`` when there is one, else none (built-ins)."""
    if path is not None:
        return Path(path)
    default = Path(DEFAULT_CONFIG_NAME)
    return default if default.is_file() else None


def load_config(path: Path | str | None = None) -> Config:
    """The settings: ``path`` (or ``./config.yaml``) over the built-in defaults."""
    chosen = config_file_in_use(path)
    if chosen is None:
        return _validate(_builtin_raw(), str(builtin_config_file()))
    if not chosen.exists():
        raise ConfigError(f"{chosen}: config file not found")
    if not chosen.is_file():
        raise ConfigError(f"{chosen}: not a file")
    config = _validate(_layer(_builtin_raw(), _read_raw(chosen)), str(chosen))
    _resolve_paths(config, chosen.resolve().parent)
    config.llm._file = str(chosen)
    return config


def add_top_level_setting(path: Path, key: str, value: str) -> str:
    """The text of the config file at ``path`` with ``key: value`` set, the rest of it as the user
    wrote it: the commented example line ``init`` writes (``# key: …``) is uncommented, else
    the line goes at the end. Raises ConfigError saying what to add by hand where the file's
    layout takes no such line (a ``{…}`` mapping)."""
    raw = _read_raw(path)
    text = path.read_text(encoding="utf-8")
    line = f"{key}: {value}"
    example = re.compile(rf"^#\s*{re.escape(key)}:.*$", re.MULTILINE)
    if example.search(text):
        edited = example.sub(line, text, count=1)
    else:
        edited = text + ("\n" if text and not text.endswith("\n") else "") + line + "\n"
    try:
        understood = yaml.safe_load(edited) == {**raw, key: value}
    except yaml.YAMLError:
        understood = False
    if not understood:
        raise ConfigError(f"{path}: cannot add a line to this file's layout; add '{line}' to {path} yourself")
    return edited


def _validate(raw: dict[str, Any], origin: str) -> Config:
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "unknown key" + _key_suggestion(first["loc"])
        elif first["type"] == "value_error":  # a validator's own sentence, without pydantic's "Value error, "
            message = str(first["ctx"]["error"])
        more = len(exc.errors()) - 1
        suffix = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(f"{origin}: {key}: {message}{suffix}") from None


def _key_suggestion(loc: tuple[int | str, ...]) -> str:
    """The keys of the section an unknown key is in, for ``_suggest``; nothing where the key is
    inside a table of the user's own (``llm.prices``)."""
    model: type[BaseModel] = Config
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            return ""
        model = field.annotation
    return suggest(str(loc[-1]), list(model.model_fields))


def suggest(value: str, choices: Sequence[str]) -> str:
    """A typo's likely meaning (a close spelling, else the one value that starts with it), else
    every value allowed: the end of a one-line error."""
    close = difflib.get_close_matches(value, choices, n=3)
    # Two letters swapped is the commonest slip, and difflib ranks it below a letter dropped
    # ("modle": "mode" before "model").
    close = [c for c in close if sorted(c) == sorted(value)][:1] or close[:1] or \
        [c for c in choices if value and c.startswith(value)]
    return f"; did you mean {close[0]!r}?" if len(close) == 1 else f"; one of: {', '.join(choices)}"


