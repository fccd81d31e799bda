"""Keeping secrets out of everything the pipeline prints, logs or records.

The API keys (by the environment variables config names), proxy credentials and the values of
cookies files are collected once; a source's own credentials (a private podcast feed's password
or token) and the cookies yt-dlp reads from a browser are added when they are read
(``remember``); every message that leaves the core passes
through ``redact``.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:  # the config model pulls in pydantic: not needed to mask text
    from pipeline.config import Config

MASK = "[redacted]"
_MIN_SECRET = 6  # shorter values would mask ordinary words
# Query parameters that carry a private feed's credential or a signed URL's (Patreon ``auth``,
# ``token-hash``; S3 ``X-Amz-Signature``, ``X-Amz-Credential``; CloudFront ``Key-Pair-Id``,
# ``Policy``, ``Signature``): any whose name holds one of these words, in any case.
SECRET_PARAM = re.compile(r"token|sig|key|auth|credential|policy|secret|password", re.IGNORECASE)
# A path segment that looks like a token (Supercast, Memberful, Libsyn private feeds): long,
# of letters and digits, with both in it; not a UUID, which public hosts name shows with
# (Omny's /d/playlist/<uuid>/<uuid>/<uuid>/podcast.rss, Bloomberg's among them).
TOKEN_SEGMENT = re.compile(r"^(?![0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$)"
                           r"(?=[^/]*\d)(?=[^/]*[A-Za-z])[A-Za-z0-9_-]{20,}$")


class Redactor:
    def __init__(self, secrets: set[str] | None = None) -> None:
        self.secrets = frozenset(secrets or ())
        self._secrets = sorted({s for s in (secrets or set()) if len(s) >= _MIN_SECRET}, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(s) for s in self._secrets)) if self._secrets else None

    def __call__(self, text: str) -> str:
        return self._pattern.sub(MASK, text) if self._pattern else text


def secrets_of(config: Config | None) -> set[str]:
    names = {"OPENAI_API_KEY"}
    if config is not None:
        names.add(config.llm.api_key_env)
        if config.asr.api_key_env:
            names.add(config.asr.api_key_env)
    found = {os.environ.get(name, "") for name in names}
    # The URL the client really uses: OPENAI_BASE_URL too, when the config names none.
    urls = [os.environ.get("OPENAI_BASE_URL")]
    if config is not None:
        urls += [config.llm.base_url, config.asr.base_url, *(site.proxy for site in config.site_settings())]
    for url in urls:
        if url:
            found.update(url_secrets(url, path_tokens=False))
    for site in config.site_settings() if config is not None else []:
        if site.cookies_file:
            found.update(_cookie_values(Path(site.cookies_file).expanduser()))
    return {s for s in found if s}


def url_secrets(url: str, *, path_tokens: bool = True) -> set[str]:
    """The secrets a URL holds (its password, ``user:password``, token values and, with
    ``path_tokens``, token-like path segments: a private feed's, where the URL is known to be a
    feed's; a channel's id or a page's slug looks alike): a proxy's, or a private feed's given
    as a SOURCE (also as ``feed:URL``). None in anything without a host (a file's path)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return set()
    if not parts.netloc:
        inner = url.partition(":")[2]
        return url_secrets(inner, path_tokens=path_tokens) if "://" in inner else set()
    found = {password or "", f"{parts.username}:{password}" if password else ""}
    found.update(v for k, v in parse_qsl(parts.query, keep_blank_values=True) if SECRET_PARAM.search(k))
    if path_tokens:
        found.update(segment for segment in parts.path.split("/") if TOKEN_SEGMENT.match(segment))
    return {secret for secret in found if secret}


MAX_COOKIES_MB = 16  # a browser's whole export is a few megabytes


def cookie_file_lines(path: Path) -> list[str]:
    """The lines of a cookies file; an ``OSError`` saying why for anything but a regular file
    (links followed: ``/dev/zero`` would be read for ever) of at most ``MAX_COOKIES_MB``."""
    if not path.exists():
        raise FileNotFoundError("no such file")
    if not path.is_file():
        raise OSError("not a regular file")
    if path.stat().st_size > MAX_COOKIES_MB * 1024 * 1024:
        raise OSError(f"larger than {MAX_COOKIES_MB} MB")
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def _cookie_values(path: Path) -> set[str]:
    """Values of a Netscape cookies.txt (the seventh field of each line; a ``#HttpOnly_`` line is
    a cookie, not a comment), and of ``name=value`` pairs on any other line: a Cookie header
    pasted in its place, which yt-dlp's warning quotes line by line."""
    try:
        lines = cookie_file_lines(path)
    except OSError:
        return set()  # never given to yt-dlp (``sites.ytdlp``): nothing of it to mask
    found = set()
    for line in lines:
        if line.startswith("#") and not line.startswith("#HttpOnly_"):
            continue
        fields = line.split("\t")
        if len(fields) >= 7:
            found.add(fields[6].strip())
        else:
            found.update(value.strip() for pair in line.split(";") if "=" in pair for value in [pair.split("=", 1)[1]])
    return found


_active = Redactor()
_remembering = threading.Lock()


def install(config: Config | None) -> Redactor:
    """Make ``redact`` and every log record mask this run's secrets."""
    global _active
    _active = Redactor(secrets_of(config))
    return _active


def remember(secrets: Iterable[str]) -> None:
    """Mask these too from now on (a source's credentials, found when it is read)."""
    global _active
    with _remembering:  # two workers reading two private feeds keep both
        new = set(secrets) - _active.secrets
        if new:
            _active = Redactor(set(_active.secrets) | new)


def redact(text: str) -> str:
    return _active(text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        return True
