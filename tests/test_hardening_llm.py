"""A model call has a total deadline: a server that trickles a byte at a time cannot hold it."""

from __future__ import annotations

import json
import time

import pytest
from pydantic import BaseModel

from pipeline.config import LLMConfig
from pipeline.errors import LLMError
from pipeline.llm.client import LLMClient
from tests.fakellm import Reply


class Answer(BaseModel):
    text: str


def test_a_trickling_server_cannot_hold_a_call_past_its_deadline(fake_llm) -> None:
    # 0.05 s between bytes: never silent for a read timeout of 1 s, done only after ~10 s.
    fake_llm.queue(Reply(json={"text": "x" * 200}, trickle=0.05))
    client = LLMClient(LLMConfig(base_url=fake_llm.base_url, timeout=1.0, max_attempts=1))
    started = time.monotonic()
    with pytest.raises(LLMError) as caught:
        client.structured([{"role": "system", "content": "s"}, {"role": "user", "content": "u"}], Answer,
                          name="answer", purpose="test")
    took = time.monotonic() - started
    assert took < 3.0, took
    assert "timed out" in str(caught.value).lower() or "timeout" in str(caught.value).lower(), caught.value


def test_a_call_after_a_trickle_is_retried_and_succeeds(fake_llm) -> None:
    fake_llm.queue(Reply(json={"text": "x" * 200}, trickle=0.05))
    client = LLMClient(LLMConfig(base_url=fake_llm.base_url, timeout=1.0, max_attempts=2, max_backoff=0.1))
    answer, usages = client.structured([{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
                                       Answer, name="answer", purpose="test")
    assert fake_llm.calls == 2 and isinstance(answer, Answer)


def test_a_server_trickling_its_headers_cannot_hold_a_call_past_its_deadline(fake_llm) -> None:
    # One header byte every half second: each read waits far less than llm.timeout, and the
    # headers never end. The call gives up at the deadline and is retried like any timeout.
    fake_llm.queue(Reply(trickle_headers=0.5), Reply(trickle_headers=0.5), Reply(json={"text": "ok"}))
    client = LLMClient(LLMConfig(base_url=fake_llm.base_url, timeout=1.5, max_attempts=2, max_backoff=0.1))
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    started = time.monotonic()
    with pytest.raises(LLMError) as caught:
        client.structured(messages, Answer, name="answer", purpose="test")
    took = time.monotonic() - started
    assert fake_llm.calls == 2 and 2 * 1.5 <= took < 2 * 1.5 + 1.5, took  # two attempts, each cut at 1.5 s
    assert "did not answer within llm.timeout (1.5 s)" in str(caught.value), caught.value
    answer, _ = client.structured(messages, Answer, name="answer", purpose="test")  # the server recovers
    assert answer.text == "ok" and fake_llm.calls == 3


def test_slow_but_whole_answers_within_the_deadline_are_kept(fake_llm) -> None:
    # About 1 s of single bytes (far longer than any one read), well inside the 5 s deadline.
    fake_llm.queue(Reply(json={"text": "ok"}, trickle=0.003))
    client = LLMClient(LLMConfig(base_url=fake_llm.base_url, timeout=5.0, max_attempts=1))
    started = time.monotonic()
    answer, _ = client.structured([{"role": "system", "content": "s"}, {"role": "user", "content": "u"}], Answer,
                                  name="answer", purpose="test")
    assert answer.text == "ok"
    assert time.monotonic() - started > 0.5  # it really was trickled


def test_an_answer_sent_as_text_plain_json_still_counts(fake_llm) -> None:
    from tests.fakellm import completion

    body = completion({"model": "m"}, Reply(json={"text": "你好"}))
    fake_llm.queue(Reply(raw=json.dumps(body).encode("utf-8"), content_type="text/plain"))
    client = LLMClient(LLMConfig(base_url=fake_llm.base_url, max_attempts=1))
    answer, usages = client.structured([{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
                                       Answer, name="answer", purpose="test")
    assert answer.text == "你好" and usages[0].completion_tokens > 0


def test_odd_usage_numbers_count_nothing_and_cached_tokens_are_read(fake_llm) -> None:
    fake_llm.queue(Reply(json={"text": "x"}, usage={"prompt_tokens": "many", "completion_tokens": None,
                                                    "prompt_tokens_details": "none"}),
                   Reply(json={"text": "y"}, usage={"prompt_tokens": 2000, "completion_tokens": 10,
                                                    "prompt_tokens_details": {"cached_tokens": 1024}}))
    client = LLMClient(LLMConfig(base_url=fake_llm.base_url, max_attempts=1))
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    _, first = client.structured(messages, Answer, name="answer", purpose="test")
    _, second = client.structured(messages, Answer, name="answer", purpose="test")
    assert (first[0].prompt_tokens, first[0].completion_tokens, first[0].cached_tokens) == (0, 0, 0)
    assert (second[0].prompt_tokens, second[0].cached_tokens) == (2000, 1024)


def test_choices_that_are_not_a_list_fail_the_video_not_the_run(fake_llm) -> None:
    from pipeline.errors import LLMSetupError

    fake_llm.queue(Reply(raw=json.dumps({"choices": {}}).encode(), content_type="application/json"),
                   Reply(raw=json.dumps({"choices": {}}).encode(), content_type="application/json"))
    client = LLMClient(LLMConfig(base_url=fake_llm.base_url, max_attempts=1))
    with pytest.raises(LLMError) as caught:
        client.structured([{"role": "system", "content": "s"}, {"role": "user", "content": "u"}], Answer,
                          name="answer", purpose="test")
    assert not isinstance(caught.value, LLMSetupError) and "no choices" in str(caught.value)
