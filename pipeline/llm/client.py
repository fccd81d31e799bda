"""The LLM client: one OpenAI-compatible chat call with structured output, retried by one policy.

Works with any server that speaks Chat Completions (OpenAI, DeepSeek, DashScope, OpenRouter,
Ollama, vLLM, llama.cpp). ``json_schema`` mode sends a strict schema; ``json_object`` mode puts
the schema in the prompt. Either way the answer is validated against the same pydantic model.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from copy import deepcopy
from functools import lru_cache
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import openai
from pydantic import BaseModel, ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from pipeline.config import LLMConfig
from pipeline.llm.cost import call_cost
from pipeline.llm.deadline import http_client as deadline_http_client
from pipeline.errors import (
    LLMEmptyAnswer,
    LLMInvalidOutput,
    LLMRefusal,
    LLMSetupError,
    LLMTruncated,
)
from pipeline.llm.errors import classify, describe_body, not_openai_compatible, rejects_json_schema
from pipeline.shapes import Usage
from pipeline.llm.pacing import LLMPacer
from pipeline.llm.tokens import estimate_messages_tokens

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
Validator = Callable[[T], None]  # raises ValueError with a message the model can act on

_RETRY_STATUS = {408, 409, 429}
# Where a reasoning model puts its reasoning: before the answer, never inside it.
_LEADING_THINK = re.compile(r"\A\s*<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


def strict_schema(model: type[BaseModel], enums: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """See ``_strict_schema``; a copy of the cached one, the caller's to change."""
    return deepcopy(_shared_schema(model, enums))


def _shared_schema(model: type[BaseModel], enums: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The cached schema itself (the same for every call of a run): only to be read."""
    frozen = tuple(sorted((k, tuple(v)) for k, v in (enums or {}).items()))
    return _cached_schema(model, frozen)


@lru_cache(maxsize=64)
def _cached_schema(model: type[BaseModel], enums: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, Any]:
    return _strict_schema(model, {k: list(v) for k, v in enums})


def _strict_schema(model: type[BaseModel], enums: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The model's JSON schema in the form strict structured output needs.

    Every object lists all its properties as required and forbids others; ``title`` and
    ``default`` are dropped because strict mode rejects them. ``enums`` pins string
    properties (by name) to the given values, e.g. the taxonomy from config.
    """
    schema = deepcopy(model.model_json_schema())

    def walk(node: Any) -> None:
        """``node`` is a schema; its ``properties`` and ``$defs`` are maps of name -> schema."""
        if not isinstance(node, dict):
            return
        node.pop("title", None)
        node.pop("default", None)
        if node.get("type") == "object" and "properties" in node:
            node["required"] = list(node["properties"])
            node["additionalProperties"] = False
            for name, prop in node["properties"].items():
                if enums and name in enums and prop.get("type") == "string":
                    prop["enum"] = list(enums[name])
        for key in ("properties", "$defs"):
            for sub in (node.get(key) or {}).values():
                walk(sub)
        if isinstance(node.get("items"), dict):
            walk(node["items"])
        for key in ("anyOf", "allOf", "oneOf"):
            for sub in node.get(key) or []:
                walk(sub)

    walk(schema)
    return schema


def extract_json(content: str) -> Any:
    """Parse a JSON object out of an answer that may carry reasoning or code fences.

    An answer that is JSON as it stands (strict structured output) is taken as it is: its
    strings may quote code fences or ``<think>`` tags (a programming video, a talk about
    reasoning models), and those are words. Only an answer that is not JSON is cleaned up: a
    reasoning block before it goes, then a fence around it."""
    # strict=False: small models in json_object mode put raw newlines inside strings.
    try:
        return json.loads(content, strict=False)
    except ValueError:
        pass
    text = _LEADING_THINK.sub("", content, count=1).strip()
    # A model that started thinking but never closed the tag leaves the JSON after it.
    if text[:7].lower() == "<think>":
        text = text[7:]
    candidates = [text]
    fenced = _FENCE.search(text)
    if fenced:
        candidates.append(fenced.group(1).strip())
    # The outermost braces: prose around the object, or a fence whose strings quote fences too.
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start : end + 1])
    error: ValueError | None = None
    for candidate in candidates:
        try:
            return json.loads(candidate, strict=False)
        except ValueError as exc:
            error = exc
    assert error is not None
    raise error


def _retry_after_seconds(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    if response is None:
        return None
    headers = response.headers
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, (openai.APIConnectionError, openai.APITimeoutError)):
        return True
    if isinstance(exc, openai.APIStatusError) and not rejects_json_schema(exc):
        return exc.status_code in _RETRY_STATUS or exc.status_code >= 500
    return False


class _Backoff:
    """tenacity wait: the server's Retry-After when it gives one, else exponential with full jitter."""

    def __init__(self, cap: float) -> None:
        self.cap = cap

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = _retry_after_seconds(exc) if exc else None
        if hinted is not None:
            return min(hinted, self.cap * 5)
        return random.uniform(0, min(self.cap, 0.5 * 2 ** (state.attempt_number - 1)))


def retry_policy(config: LLMConfig) -> Retrying:
    """The one retry policy of every call to an OpenAI-compatible endpoint (chat and audio)."""
    return Retrying(
        retry=retry_if_exception(is_retryable),
        wait=_Backoff(config.max_backoff),
        stop=stop_after_attempt(config.max_attempts),
        reraise=True,
        before_sleep=lambda s: log.info(
            "model server call failed (%s); retrying", type(s.outcome.exception()).__name__ if s.outcome else "?"
        ),
    )


class _SchemaRejected(Exception):
    """The server cannot do ``response_format: json_schema``; the caller switches modes."""


def request_body(config: LLMConfig, messages: list[dict[str, str]], response_format: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of a chat call: what a live call sends, and a Batch API line carries."""
    body: dict[str, Any] = {
        "model": config.model,
        "messages": messages,
        "max_tokens": config.max_output_tokens,
        "response_format": response_format,
    }
    if config.temperature is not None:
        body["temperature"] = config.temperature
    return body


class LLMClient:
    """A thread-safe wrapper around ``openai.OpenAI`` for structured chat calls."""

    def __init__(self, config: LLMConfig, *, gate: Callable[[int], Any] | None = None,
                 sharing: LLMClient | None = None) -> None:
        """``sharing``: another client whose connection, pacing and structured-output mode this
        one uses (the Batch API's client for one video: building a connection takes ~30 ms)."""
        self.config = config
        self.base_url = config.resolved_base_url()
        if sharing is not None:
            self._client, self._gate, self._semaphore = sharing._client, sharing._gate, sharing._semaphore
            self.mode, self._mode_lock, self._broken = sharing.mode, sharing._mode_lock, sharing._broken
            return
        api_key = config.api_key()
        # Our own retry policy (tenacity) is the only one: the client's would multiply with it.
        # llm.timeout bounds each call in all, not only each read (see pipeline.llm.deadline).
        self._client = openai.OpenAI(
            base_url=self.base_url, api_key=api_key, max_retries=0, timeout=config.timeout,
            http_client=deadline_http_client(config.timeout),
        )
        if gate is None and (config.requests_per_minute or config.tokens_per_minute):
            gate = LLMPacer(config.requests_per_minute, config.tokens_per_minute)
        self._gate = gate
        self._semaphore = threading.BoundedSemaphore(config.concurrency)
        # json_schema until the server shows it cannot do it; then json_object for the rest of the run.
        self.mode = config.structured_output
        self._mode_lock = threading.Lock()
        # The first error that every call would hit: later calls raise it without asking again.
        self._broken: LLMSetupError | None = None

    @contextmanager
    def _slot(self, tokens: int) -> Iterator[None]:
        with self._semaphore:
            if self._gate is not None:
                self._gate(tokens)
            yield

    def send(self, messages: list[dict[str, str]], response_format: dict[str, Any]) -> Any:
        """The one exchange with the server: the chat request for ``messages``, its answer as
        JSON (retried by the one retry policy). A subclass may answer otherwise (the Batch API)."""
        body = request_body(self.config, messages, response_format)
        # Only a pacer needs the estimate (tokens per minute): not worked out for every call.
        tokens = estimate_messages_tokens(messages) if self._gate is not None else 0
        try:
            for attempt in retry_policy(self.config):
                with attempt:
                    self._raise_if_broken()
                    with self._slot(tokens):
                        # The body is plain JSON already: ``chat.completions.create`` would walk it
                        # against the SDK's typed dicts (~0.4 ms a call) only to send it unchanged.
                        # The answer stays JSON too (``object``): building the SDK's models of it
                        # costs as much again, for the three fields read below.
                        response = self._client.post("/chat/completions", body=body, cast_to=object)
        except openai.APIError as exc:
            if response_format.get("type") == "json_schema" and rejects_json_schema(exc):
                raise _SchemaRejected from None
            self._raise(classify(exc, self.config, self.base_url))
        return self._check_shape(response)

    def _raise_if_broken(self) -> None:
        if self._broken is not None:
            raise self._broken

    def _raise(self, error: Exception) -> None:
        if isinstance(error, LLMSetupError) and self._broken is None:
            self._broken = error
        raise error from None

    def _check_shape(self, response: Any) -> dict[str, Any]:
        """The answer as a JSON object with ``choices``. An HTML page or a JSON body without
        ``choices`` under a 200: the URL is some other service (a web server, a proxy's login
        page), so every call would get the same."""
        if isinstance(response, str):  # not sent as JSON: a server that mislabels JSON still counts
            try:
                response = json.loads(response)
            except ValueError:
                self._raise(not_openai_compatible(self.base_url, describe_body(response), self.config))
        if not isinstance(response, dict) or response.get("choices") is None:
            self._raise(not_openai_compatible(self.base_url, "a JSON body with no choices", self.config))
        return response

    def _switch_to_json_object(self) -> None:
        with self._mode_lock:
            if self.mode == "json_schema":
                self.mode = "json_object"
                log.warning("the model server at %s does not support response_format json_schema; using "
                            "json_object (the schema in the prompt) for the rest of this run. Set "
                            "llm.structured_output: json_object to skip this probe.", self.base_url)

    def usage_of(self, response: dict[str, Any], purpose: str) -> Usage:
        """An answer's tokens and cost (a subclass prices answers its own way: the Batch API's)."""
        usage = _object(response.get("usage"))
        prompt = _count(usage.get("prompt_tokens"))
        completion = _count(usage.get("completion_tokens"))
        cached = _count(_object(usage.get("prompt_tokens_details")).get("cached_tokens"))
        return Usage(
            purpose=purpose,
            model=self.config.model,
            prompt_tokens=prompt,
            cached_tokens=cached,
            completion_tokens=completion,
            cost_usd=call_cost(self.config.model, prompt, cached, completion, self.config.prices),
        )

    def structured(
        self,
        messages: list[dict[str, str]],
        model: type[T],
        *,
        name: str,
        purpose: str,
        enums: dict[str, list[str]] | None = None,
        validate: Validator[T] | None = None,
        on_usage: Callable[[Usage], None] | None = None,
    ) -> tuple[T, list[Usage]]:
        """Ask for an answer shaped like ``model``; retry once with the validation error.

        ``on_usage`` hears of every answered call, including ones whose answer is then
        rejected (truncated, refused, invalid): they are billed too.
        """
        schema = _shared_schema(model, enums)  # only read: sent, or printed into the prompt
        usages: list[Usage] = []
        last_error = ""
        for attempt in range(2):
            response = self._create_in_mode(messages, schema, name)
            usages.append(self.usage_of(response, purpose))
            if on_usage is not None:
                on_usage(usages[-1])
            content = self._content(response)
            try:
                parsed = model.model_validate(extract_json(content))
                if validate is not None:
                    validate(parsed)
                return parsed, usages
            except (ValueError, ValidationError) as exc:
                last_error = _describe(exc)
                if attempt == 0:
                    messages = messages + [
                        {"role": "assistant", "content": content},
                        {
                            "role": "user",
                            "content": f"That answer is not valid: {last_error}. "
                            "Answer again with only the corrected JSON object.",
                        },
                    ]
        raise LLMInvalidOutput(f"the model's answer is not valid {name} JSON even after a retry: {last_error}")

    def _create_in_mode(self, messages: list[dict[str, str]], schema: dict[str, Any], name: str) -> Any:
        while True:
            if self.mode == "json_schema":
                try:
                    return self.send(messages, {"type": "json_schema",
                                                   "json_schema": {"name": name, "schema": schema, "strict": True}})
                except _SchemaRejected:
                    self._switch_to_json_object()
                    continue
            prompted = [dict(m) for m in messages]
            prompted[0]["content"] += (
                "\n\nAnswer with one JSON object that follows this JSON schema exactly:\n"
                f"<json_schema>\n{json.dumps(schema, ensure_ascii=False)}\n</json_schema>"
            )
            return self.send(prompted, {"type": "json_object"})

    @staticmethod
    def _content(response: dict[str, Any]) -> str:
        choices = response.get("choices")
        if not isinstance(choices, list) or not choices:
            raise LLMEmptyAnswer("the model server returned no choices")
        choice = _object(choices[0])
        message = _object(choice.get("message"))
        refusal = message.get("refusal")
        if refusal:
            raise LLMRefusal(f"the model refused: {str(refusal).strip()[:200]}")
        if choice.get("finish_reason") == "length":
            raise LLMTruncated("the model's answer was cut off at the output token limit")
        if choice.get("finish_reason") == "content_filter":
            raise LLMRefusal("the model server's content filter stopped the answer")
        content = message.get("content")
        content = content.strip() if isinstance(content, str) else ""
        if not content:
            raise LLMEmptyAnswer("the model returned an empty answer")
        return content


def _object(value: Any) -> dict[str, Any]:
    """A part of the answer that should be a JSON object; anything else reads as empty."""
    return value if isinstance(value, dict) else {}


def _count(value: Any) -> int:
    """A token count as the server gave it; a missing or odd one counts nothing."""
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err["loc"]) or "answer"
            parts.append(f"{where}: {err['msg']}")
        return "; ".join(parts)
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
