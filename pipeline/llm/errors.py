"""What a model server's error means, in one readable line, and which errors end the run.

Errors that every video would hit (a rejected key, an unknown model, a URL that is not an
OpenAI-compatible API, no server at all) become :class:`LLMSetupError` subclasses naming the
setting to fix. A server that rejects ``response_format: json_schema`` is recognised so the
client can fall back to ``json_object``.
"""

from __future__ import annotations

import html
import re
from typing import Any

import openai

from pipeline.config import LLMConfig
from pipeline.errors import (
    LLMAuthError,
    LLMModelNotFound,
    LLMNotOpenAICompatible,
    LLMRequestFailed,
    LLMUnreachable,
    Yt2PostError,
)

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SCHEMA_WORDS = ("response_format", "json_schema")


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype", "<html", "<head", "<body")) or "<title" in head


def describe_body(body: Any) -> str:
    """A server's error body as one readable line: its error message, an HTML page's title,
    or the text itself, never raw markup or undecodable bytes."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
        detail = body.get("detail")
        if detail:  # FastAPI-style validation errors (llama-cpp-python, older vLLM)
            return str(detail)[:300]
        return str(body)[:300]
    text = str(body or "")
    if _looks_like_html(text):
        title = _TITLE.search(text)
        words = html.unescape(title.group(1) if title else _TAG.sub(" ", text))
        return f"an HTML page ({' '.join(words.split())[:120] or 'no title'}), probably from a proxy"
    if "\ufffd" in text or any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        return "a body that is not readable text"
    return " ".join(text.split())[:300] or "no message"


def server_message(exc: openai.APIStatusError) -> str:
    return describe_body(exc.body if exc.body is not None else exc.message)


def rejects_json_schema(exc: BaseException) -> bool:
    """A 400 or 500 whose body names ``response_format``/``json_schema``: the server cannot do
    strict structured output (llama.cpp's and older vLLM servers answer like this)."""
    if not isinstance(exc, openai.APIStatusError) or exc.status_code not in (400, 422, 500):
        return False
    text = str(exc.body if exc.body is not None else exc.message).lower()
    return any(word in text for word in _SCHEMA_WORDS)


def classify(exc: BaseException, config: LLMConfig, base_url: str) -> Yt2PostError:
    """The typed error for an exception from the ``openai`` client, once retrying is over."""
    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return LLMAuthError(
            f"the model server at {base_url} rejected the API key (HTTP {exc.status_code}: {server_message(exc)}); "
            f"set {config.api_key_env} (the variable named by llm.api_key_env) to a valid key")
    if isinstance(exc, openai.NotFoundError):
        message = server_message(exc)
        if "model" in message.lower():
            return LLMModelNotFound(f"the model server has no model {config.model!r} (HTTP 404: {message}); "
                                    "set llm.model to a model it serves")
        return not_openai_compatible(base_url, f"HTTP 404 ({message})", config)
    if isinstance(exc, openai.APIStatusError):
        return LLMRequestFailed(f"the model server answered HTTP {exc.status_code}: {server_message(exc)}")
    if isinstance(exc, openai.APITimeoutError):
        return LLMRequestFailed(f"the model server at {base_url} did not answer within llm.timeout "
                                f"({config.timeout:g} s)")
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return LLMUnreachable(f"cannot reach the model server at {base_url} ({type(cause).__name__}: {cause}); "
                              f"check {config.base_url_origin()} and that the server is running")
    raise exc


def not_openai_compatible(base_url: str, what: str, config: LLMConfig) -> LLMNotOpenAICompatible:
    hint = "" if base_url.rstrip("/").endswith("/v1") else " (did you forget /v1 at its end?)"
    return LLMNotOpenAICompatible(
        f"{base_url} is not an OpenAI-compatible API: it answered {what}; check {config.base_url_origin()}{hint}")
