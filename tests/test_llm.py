"""The LLM client against the fake server, through the real openai client: one retry policy,
structured output in both modes, and clear errors."""

from __future__ import annotations

import json
import time

import pytest
from pydantic import BaseModel

from pipeline.config import LLMConfig
from pipeline.errors import LLMEmptyAnswer, LLMInvalidOutput, LLMRefusal, LLMRequestFailed, LLMTruncated
from pipeline.llm.client import LLMClient, extract_json, strict_schema
from tests.fakellm import FakeLLM, Reply


class Answer(BaseModel):
    title: str
    tags: list[str]


MESSAGES = [{"role": "system", "content": "system"}, {"role": "user", "content": "user"}]


def client(server: FakeLLM, **config: object) -> LLMClient:
    settings = {"base_url": server.base_url, "max_backoff": 0.2, "model": "gpt-4o-mini"} | config
    return LLMClient(LLMConfig(**settings))


def ask(server: FakeLLM, **config: object) -> tuple[Answer, list]:
    return client(server, **config).structured(MESSAGES, Answer, name="answer", purpose="test")


def test_strict_schema_requires_everything_and_pins_enums() -> None:
    schema = strict_schema(Answer, {"title": ["a", "b"]})
    assert schema["required"] == ["title", "tags"] and schema["additionalProperties"] is False
    assert schema["properties"]["title"]["enum"] == ["a", "b"]
    assert "title" in schema["properties"]  # a property named title survives the clean-up


def test_answer_and_usage_with_cost(fake_llm: FakeLLM) -> None:
    fake_llm.queue(Reply(json={"title": "标题", "tags": ["a"]},
                         usage={"prompt_tokens": 1000, "completion_tokens": 200,
                                "prompt_tokens_details": {"cached_tokens": 400}}))
    answer, usage = ask(fake_llm)
    assert answer.title == "标题"
    assert usage[0].prompt_tokens == 1000 and usage[0].cached_tokens == 400 and usage[0].completion_tokens == 200
    assert usage[0].cost_usd == pytest.approx((600 * 0.15 + 400 * 0.075 + 200 * 0.60) / 1e6)
    assert fake_llm.requests[0]["response_format"]["json_schema"]["strict"] is True


def test_unknown_model_shows_tokens_only(fake_llm: FakeLLM) -> None:
    _, usage = ask(fake_llm, model="my-local-model")
    assert usage[0].cost_usd is None and usage[0].prompt_tokens > 0


@pytest.mark.parametrize("content", [
    '```json\n{"title": "t", "tags": []}\n```',
    '<think>The user wants JSON. {"not": "this"}</think>\n{"title": "t", "tags": []}',
    'Here you go: {"title": "t", "tags": []} Hope it helps.',
])
def test_fences_and_reasoning_are_handled(fake_llm: FakeLLM, content: str) -> None:
    fake_llm.queue(Reply(content=content))
    assert ask(fake_llm)[0].title == "t"


def test_429_honours_retry_after(fake_llm: FakeLLM) -> None:
    fake_llm.queue(Reply(status=429, headers={"Retry-After": "1"}), Reply(json={"title": "t", "tags": []}))
    started = time.monotonic()
    answer, _ = ask(fake_llm)
    assert answer.title == "t" and fake_llm.calls == 2
    assert time.monotonic() - started >= 0.95


def test_429_honours_retry_after_ms(fake_llm: FakeLLM) -> None:
    fake_llm.queue(Reply(status=429, headers={"retry-after-ms": "300"}), Reply(json={"title": "t", "tags": []}))
    started = time.monotonic()
    ask(fake_llm)
    assert 0.28 <= time.monotonic() - started < 3


def test_5xx_and_dropped_connections_back_off_and_recover(fake_llm: FakeLLM) -> None:
    fake_llm.queue(Reply(status=500), Reply(status=503), Reply(close_connection=True),
                   Reply(json={"title": "t", "tags": []}))
    assert ask(fake_llm)[0].title == "t"
    assert fake_llm.calls == 4  # the client's own retries are off: exactly our attempts


def test_retries_run_out_with_a_clear_message(fake_llm: FakeLLM) -> None:
    fake_llm.queue(*[Reply(status=502, error={"error": {"message": "bad gateway", "type": "x"}})] * 3)
    with pytest.raises(LLMRequestFailed, match="HTTP 502: bad gateway"):
        ask(fake_llm, max_attempts=3)
    assert fake_llm.calls == 3


@pytest.mark.parametrize("status", [400, 422])
def test_other_4xx_fail_at_once_with_the_server_message(fake_llm: FakeLLM, status: int) -> None:
    fake_llm.queue(Reply(status=status, error={"error": {"message": f"nope {status}", "type": "x"}}))
    with pytest.raises(LLMRequestFailed, match=f"HTTP {status}: nope {status}"):
        ask(fake_llm)
    assert fake_llm.calls == 1


@pytest.mark.parametrize("status", [401, 403, 404])
def test_key_and_url_errors_fail_at_once_naming_the_setting(fake_llm: FakeLLM, status: int) -> None:
    from pipeline.errors import LLMSetupError

    fake_llm.queue(Reply(status=status, error={"error": {"message": f"nope {status}", "type": "x"}}))
    with pytest.raises(LLMSetupError, match=f"HTTP {status}.*nope {status}.*(OPENAI_API_KEY|llm.base_url)"):
        ask(fake_llm)
    assert fake_llm.calls == 1


def test_truncation_refusal_and_empty_answers_are_errors(fake_llm: FakeLLM) -> None:
    fake_llm.queue(Reply(content='{"title": "t', finish_reason="length"))
    with pytest.raises(LLMTruncated):
        ask(fake_llm)
    fake_llm.queue(Reply(refusal="I can't help with that."))
    with pytest.raises(LLMRefusal, match="I can't help with that"):
        ask(fake_llm)
    fake_llm.queue(Reply(content="   "))
    with pytest.raises(LLMEmptyAnswer):
        ask(fake_llm)


def test_invalid_json_is_retried_once_then_reported(fake_llm: FakeLLM) -> None:
    fake_llm.queue(Reply(content='{"title": 3}'), Reply(json={"title": "t", "tags": []}))
    answer, usage = ask(fake_llm)
    assert answer.title == "t" and len(usage) == 2
    assert "tags" in fake_llm.requests[1]["messages"][-1]["content"]
    fake_llm.queue(Reply(content="no"), Reply(content="still no"))
    with pytest.raises(LLMInvalidOutput):
        ask(fake_llm)


def test_json_object_mode_embeds_the_schema(fake_llm: FakeLLM) -> None:
    answer, _ = ask(fake_llm, structured_output="json_object")
    request = fake_llm.requests[0]
    assert request["response_format"] == {"type": "json_object"}
    assert "<json_schema>" in request["messages"][0]["content"] and isinstance(answer.tags, list)


def test_concurrency_is_bounded(fake_llm: FakeLLM) -> None:
    from concurrent.futures import ThreadPoolExecutor

    fake_llm.latency = 0.1
    llm = client(fake_llm, concurrency=3)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: llm.structured(MESSAGES, Answer, name="a", purpose="t"), range(9)))
    assert fake_llm.max_in_flight == 3


def test_requests_per_minute_limit_waits(fake_llm: FakeLLM) -> None:
    from pipeline.llm.pacing import MinuteWindow

    clock = [0.0]
    window = MinuteWindow(2, clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s))
    assert window.acquire() == 0 and window.acquire() == 0
    assert window.acquire() == pytest.approx(60.0, abs=0.1)


def test_missing_key_for_openai_itself_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.errors import ConfigError

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        LLMClient(LLMConfig())


def test_extract_json_rejects_prose() -> None:
    with pytest.raises(ValueError):
        extract_json("I cannot answer in JSON")


CODE_BODY = "在 Python 里这样写：\n```python\nprint('hi')\n```\n然后运行。"


@pytest.mark.parametrize("structured_output", ["json_schema", "json_object"])
def test_a_code_block_inside_a_valid_answer_is_kept(fake_llm: FakeLLM, structured_output: str) -> None:
    # A programming video's section quotes code: the answer is whole JSON, the fence is in a string.
    fake_llm.queue(Reply(json={"title": CODE_BODY, "tags": ["```js\nx()\n```"]}))
    answer, usage = ask(fake_llm, structured_output=structured_output)
    assert answer.title == CODE_BODY and answer.tags == ["```js\nx()\n```"]
    assert fake_llm.calls == 1 and len(usage) == 1  # paid once: no retry with a made-up error


def test_a_fenced_answer_whose_strings_quote_code_is_read_whole(fake_llm: FakeLLM) -> None:
    inner = json.dumps({"title": CODE_BODY, "tags": []}, ensure_ascii=False)
    fake_llm.queue(Reply(content=f"```json\n{inner}\n```"))
    assert ask(fake_llm)[0].title == CODE_BODY and fake_llm.calls == 1


def test_think_tags_inside_the_answer_are_words_not_reasoning(fake_llm: FakeLLM) -> None:
    title = "推理模型会先写 <think>这里是思考</think>，再给答案"
    fake_llm.queue(Reply(json={"title": title, "tags": []}))
    assert ask(fake_llm)[0].title == title
    # A reasoning model's block before the JSON goes; the same tags inside its strings stay.
    fake_llm.queue(Reply(content='<think>The user wants {"a": 1}.</think>\n'
                                 + json.dumps({"title": title, "tags": ["<think>x</think>"]}, ensure_ascii=False)))
    answer, _ = ask(fake_llm)
    assert answer.title == title and answer.tags == ["<think>x</think>"]
