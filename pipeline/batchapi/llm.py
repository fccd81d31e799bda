"""The summarize stage's model client in batch mode: records requests, answers from batch results.

``BatchLLM`` is an ``LLMClient`` whose one network call, ``send``, is replaced: the request
body it would have sent is looked up in the video's ``batch.json``. An answered request returns
the stored answer, so everything above it (structured output, validation and the retry with the
validation error, truncation handling, map-reduce) runs exactly as in a live call; a request not
answered yet is recorded and ``Deferred`` stops the video until the next round.
"""

from __future__ import annotations

from typing import Any


from pipeline.batchapi.records import VideoBatch, request_key
from pipeline.config import LLMConfig
from pipeline.llm.cost import call_cost
from pipeline.errors import Deferred, LLMRequestFailed
from pipeline.llm.client import LLMClient, request_body
from pipeline.shapes import Usage

ENDPOINT = "/v1/chat/completions"


class BatchLLM(LLMClient):
    """One video's client for one round; ``live`` makes the live retries (``llm.batch.retry: live``)."""

    def __init__(self, config: LLMConfig, record: VideoBatch, live: LLMClient, run_started: str = "") -> None:
        # The live client's connection and structured-output mode, shared rather than built again
        # for every video and round: building one takes ~30 ms, minutes in a big backfill.
        super().__init__(config, sharing=live)
        self.record = record
        self.live = live
        # ``max_attempts`` counts the failures of this run: a later run (``--retry-failed``) tries again.
        self.run_started = run_started
        self._via: dict[int, str] = {}  # id(response) -> "batch" or "live", for its price

    def send(self, messages: list[dict[str, str]], response_format: dict[str, Any]) -> Any:
        body = request_body(self.config, messages, response_format)
        key = request_key(body)
        purpose = str((response_format.get("json_schema") or {}).get("name") or "answer")
        with self.record.lock:
            request = self.record.get(key) or self.record.add(key, body, purpose)
            state = request["state"]
            if state == "answered":
                # A stored answer without choices fails this video when it is read, not the run.
                response = request["answer"] if isinstance(request["answer"], dict) else {}
                self._via[id(response)] = request.get("via") or "batch"
                return response
            if state != "failed":
                raise Deferred(request["custom_id"])
            errors = [e for e in request["errors"] if str(e.get("at") or "") >= self.run_started]
            if len(errors) >= self.config.batch.max_attempts:
                raise LLMRequestFailed(
                    f"a batch request ({request['purpose']}) failed {len(errors)} time(s); last: {errors[-1]['message']}")
            if self.config.batch.retry == "next_batch":
                self.record.retry(key)
                raise Deferred(request["custom_id"])
        # llm.batch.retry: live. The answer is kept, so a rerun does not make this call again.
        response = self.live.send(messages, response_format)
        with self.record.lock:
            request.update(state="answered", answer=response, via="live")
            self.record.save()
        self._via[id(response)] = "live"
        return response

    def usage_of(self, response: Any, purpose: str) -> Usage:
        usage = super().usage_of(response, purpose)
        if self._via.get(id(response)) == "batch":
            usage.cost_usd = call_cost(self.config.model, usage.prompt_tokens, usage.cached_tokens,
                                       usage.completion_tokens, self.config.prices, batch=True)
        return usage
