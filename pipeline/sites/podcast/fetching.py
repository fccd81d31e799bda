"""HTTP for podcast feeds, transcripts, chapters and audio: hostile servers in mind.

Every request has a deadline for the whole answer (a body that trickles one byte a second
never ends otherwise: ``requests``' read timeout is per socket read), redirects are followed
here, a bounded number of times, each hop checked to be http(s) (a ``file://`` transcript URL
or a redirect to one is refused), and a body is streamed against ``max_input_mb``: a 200 MB
"feed" is never held in memory. A feed behind basic auth (``https://user:pass@host/feed``) or
with a private token in its URL (Patreon's ``?auth=…``, Supercast's token in the path) works;
the credential never reaches a message: ``masked_url`` replaces it, and ``redact.url_secrets``
gives the secrets to add to the run's redactor.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
import urllib3
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from pipeline.errors import FetchError, InputTooLarge, NetworkError, os_reason
from pipeline.redact import MASK, SECRET_PARAM, TOKEN_SEGMENT, Redactor, redact, url_secrets

__all__ = ["Fetched", "PodcastHttpError", "PodcastServerBusy", "UnsafeUrl", "asked_again", "check_url", "download", "fetch",
           "masked_url"]

DEFAULT_TIMEOUT = 30.0
DEFAULT_REDIRECTS = 5
_CHUNK = 64 * 1024
_USER_AGENT = "yt2post (podcast feed reader)"


class UnsafeUrl(FetchError):
    """A URL that is not http(s): a ``file://`` transcript, a redirect to ``ftp:``."""

    cause = "unsafe_url"


class PodcastHttpError(FetchError):
    """The server answered with an error status (``status``), or redirected too often (0)."""

    cause = "http"

    def __init__(self, message: str, *, status: int = 0, video_id: str | None = None) -> None:
        super().__init__(message, video_id=video_id)
        self.status = status


class PodcastServerBusy(PodcastHttpError):
    """HTTP 429 or 5xx: worth asking again later."""

    cause, transient = "http_busy", True


@dataclass(frozen=True)
class Fetched:
    url: str  # the URL the body came from, after redirects (credentials and all: mask it to show it)
    data: bytes
    content_type: str | None


def masked_url(url: str) -> str:
    """``url`` fit for a message: the password of ``user:password@``, the values of token query
    parameters and token-like path segments replaced by ``[redacted]``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{host}" if ":" in userinfo else f"{MASK}@{host}"
    path = "/".join(MASK if TOKEN_SEGMENT.match(segment) else segment for segment in parts.path.split("/"))
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if SECRET_PARAM.search(k) else v) for k, v in pairs], safe="[]")
    return redact(urlunsplit((parts.scheme, netloc, path, query, parts.fragment)))


def _scrub(url: str, text: str) -> str:
    """A library's message about ``url`` (it quotes the URL, or a redirect's) without its secrets."""
    return Redactor(url_secrets(url))(redact(" ".join(text.split())))


def check_url(url: str, what: str = "URL") -> str:
    """``url`` when it is http(s) with a host; ``UnsafeUrl`` in one line otherwise."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        host = parts.hostname
    except ValueError as exc:
        raise UnsafeUrl(f"{what} {masked_url(url)!r} is not a valid URL: {exc}") from None
    if scheme not in ("http", "https") or not host:
        shown = f"{scheme}:" if scheme else "no scheme"
        raise UnsafeUrl(f"{what} {masked_url(url)!r} is refused: only http(s) URLs are fetched ({shown})")
    return url.strip()


def _auth_of(url: str) -> tuple[str, tuple[str, str] | None]:
    """The URL without its ``user:password@`` and that pair as basic auth (sent only to that host)."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    host = parts.netloc.rsplit("@", 1)[1]
    bare = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return bare, (requests.utils.unquote(parts.username), requests.utils.unquote(parts.password or ""))


def _open(url: str, *, what: str, timeout: float, max_redirects: int, session: requests.Session,
          headers: dict[str, str] | None = None) -> tuple[requests.Response, str]:
    """The answer to GET ``url`` after at most ``max_redirects`` redirects, each checked."""
    check_url(url, what)
    current, auth = _auth_of(url)
    auth_host = urlsplit(current).hostname
    for _ in range(max_redirects + 1):
        try:
            response = session.get(current, stream=True, allow_redirects=False, timeout=timeout,
                                   auth=auth if urlsplit(current).hostname == auth_host else None,
                                   headers={"User-Agent": _USER_AGENT, **(headers or {})})
        except requests.Timeout:
            raise NetworkError(f"{what} {masked_url(url)}: no answer within {timeout:g} s") from None
        except requests.RequestException as exc:
            reason = os_reason(str(exc)) or f"{type(exc).__name__}: {_scrub(url, str(exc))}"
            raise NetworkError(f"{what} {masked_url(url)}: network error: {reason}; check the network") from None
        if response.is_redirect and "location" in response.headers:
            response.close()
            target = urljoin(current, response.headers["location"])
            check_url(target, f"{what} {masked_url(url)} redirects to")
            current = target
            continue
        if response.status_code >= 400:
            response.close()
            status = response.status_code
            error = PodcastServerBusy if status == 429 or status >= 500 else PodcastHttpError
            raise error(f"{what} {masked_url(url)}: HTTP {status} {response.reason or ''}".rstrip(), status=status)
        return response, current
    raise PodcastHttpError(f"{what} {masked_url(url)}: more than {max_redirects} redirects (a redirect loop?)")


def _chunks(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives: each piece is what one socket read gave (``iter_content`` waits
    for a whole chunk, so a server sending a byte a second would hold it past any deadline)."""
    raw = response.raw
    try:
        while chunk := raw.read1(_CHUNK, decode_content=True):
            yield chunk
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise requests.ConnectionError(str(exc)) from None


def _limit(max_mb: float) -> int:
    return int(max_mb * 1_000_000)


def _too_large(what: str, url: str, max_mb: float, setting: str = "max_input_mb") -> InputTooLarge:
    return InputTooLarge(f"{what} {masked_url(url)}: over {setting} ({max_mb:g} MB)")


def fetch(url: str, *, max_mb: float, what: str = "feed", timeout: float = DEFAULT_TIMEOUT,
          max_redirects: int = DEFAULT_REDIRECTS, session: requests.Session | None = None,
          attempts: int = 1, retry_wait: float = 1.0) -> Fetched:
    """The body of ``url``, at most ``max_mb`` MB, within ``timeout`` seconds for the whole
    answer. Raises ``UnsafeUrl``, ``NetworkError`` (transient), ``PodcastHttpError`` (its
    ``status``; ``PodcastServerBusy``, transient, for 429 and 5xx) or ``InputTooLarge``, each one line naming ``what`` and the masked URL.
    A transient failure is asked again, ``attempts`` times in all, the waits doubling from ``retry_wait`` s."""
    return asked_again(attempts, retry_wait)(_fetch_once, url, max_mb=max_mb, what=what, timeout=timeout,
                                             max_redirects=max_redirects, session=session)


def asked_again(attempts: int, retry_wait: float) -> Retrying:
    """Calls a function again on a transient failure (a busy server, a network error), up to
    ``attempts`` times in all, the waits doubling from ``retry_wait`` seconds."""
    return Retrying(retry=retry_if_exception(lambda exc: isinstance(exc, FetchError) and exc.transient),
                    wait=wait_exponential(multiplier=retry_wait, max=30.0), stop=stop_after_attempt(attempts),
                    reraise=True)


def _fetch_once(url: str, *, max_mb: float, what: str, timeout: float, max_redirects: int,
                session: requests.Session | None) -> Fetched:
    own = session is None
    session = session or requests.Session()
    deadline = time.monotonic() + timeout
    try:
        response, final = _open(url, what=what, timeout=timeout, max_redirects=max_redirects, session=session)
        with response:
            limit = _limit(max_mb)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise _too_large(what, url, max_mb)
            body = bytearray()
            try:
                for chunk in _chunks(response):
                    body += chunk
                    if len(body) > limit:
                        raise _too_large(what, url, max_mb)
                    if time.monotonic() > deadline:
                        raise NetworkError(f"{what} {masked_url(url)}: the answer took over {timeout:g} s")
            except requests.RequestException as exc:
                raise NetworkError(f"{what} {masked_url(url)}: the answer broke off: "
                                   f"{_scrub(url, str(exc))}") from None
            return Fetched(final, bytes(body), response.headers.get("content-type"))
    finally:
        if own:
            session.close()


def download(url: str, dest: Path, *, max_mb: float, what: str = "audio", timeout: float = DEFAULT_TIMEOUT,
             max_redirects: int = DEFAULT_REDIRECTS, session: requests.Session | None = None,
             setting: str = "max_input_mb") -> Path:
    """``url`` saved as ``dest``, at most ``max_mb`` MB, through ``dest`` + ``.part``: a
    download that broke off resumes from the bytes it has (an HTTP Range request; a server that
    ignores it sends the whole file again, which replaces them; one that has nothing after
    them, 416, gets asked for the whole file). ``timeout`` bounds each wait
    for bytes, not the whole file (an episode's audio takes minutes). ``setting`` names the cap
    in the message."""
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    limit = _limit(max_mb)
    own = session is None
    session = session or requests.Session()
    try:
        headers = {"Range": f"bytes={have}-"} if have else None
        response, _ = _open(url, what=what, timeout=timeout, max_redirects=max_redirects, session=session,
                            headers=headers)
        with response:
            resumed = have and response.status_code == 206
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) + (have if resumed else 0) > limit:
                raise _too_large(what, url, max_mb, setting)
            size = have if resumed else 0
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                with part.open("ab" if resumed else "wb") as handle:
                    for chunk in _chunks(response):
                        size += len(chunk)
                        if size > limit:
                            raise _too_large(what, url, max_mb, setting)
                        handle.write(chunk)
            except requests.RequestException as exc:
                raise NetworkError(f"{what} {masked_url(url)}: the download broke off at {size} bytes "
                                   f"(it resumes from there): {_scrub(url, str(exc))}") from None
        part.replace(dest)
        return dest
    except InputTooLarge:
        part.unlink(missing_ok=True)  # never resume towards a file that is too large
        raise
    except PodcastHttpError as exc:
        if not (have and exc.status == 416):
            raise
        # Nothing after the bytes kept: they are the whole file (a kill before the rename) or of
        # a file since replaced. Which, the answer does not say for sure: download it whole again.
        part.unlink()
        return download(url, dest, max_mb=max_mb, what=what, timeout=timeout, max_redirects=max_redirects,
                        session=session, setting=setting)
    finally:
        if own:
            session.close()
