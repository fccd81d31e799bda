"""Batch jobs at the provider: JSONL files of requests up, batches created, polled, results down.

The format is OpenAI's (``/v1/files`` with ``purpose=batch``, ``/v1/batches`` with the 24 h
window), which several other providers and vLLM's ``run-batch`` also speak. Result lines are
matched by ``custom_id``; their order means nothing.

Nothing the provider does leaves a request waiting for good: a result line that cannot be read
fails the request it names (or, naming none, leaves it unanswered); a batch or result file that
answers 404 is given up on after ``GIVE_UP_AFTER`` looks; and a batch in a final state releases
every request it did not answer, however its record came about.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import openai

from pipeline.batchapi.llm import ENDPOINT
from pipeline.batchapi.records import (BATCH_ARTIFACT, GIVE_UP_AFTER, TERMINAL, Registry, VideoBatch,
                                      parse_custom_id)
from pipeline.config import LLMConfig
from pipeline.errors import LLMAuthError, LLMRequestFailed, LLMSetupError
from pipeline.llm.errors import server_message
from pipeline.store import Store, fingerprint, now_iso
from pipeline.llm.tokens import estimate_messages_tokens

log = logging.getLogger(__name__)
METADATA_KEY = "yt2post_file"  # set on each batch, so a batch created just before a kill is found again
# The id a result line names, found in a line that is not JSON (cut short, spoiled): providers
# write ``id`` and ``custom_id`` first.
_CUSTOM_ID = re.compile(r'"custom_id"\s*:\s*"([^"\\]+)"')
_JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}


def make_client(config: LLMConfig) -> openai.OpenAI:
    return openai.OpenAI(base_url=config.resolved_base_url(), api_key=config.api_key(), max_retries=3,
                         timeout=config.timeout)


def request_line(request: dict[str, Any]) -> str:
    return json.dumps({"custom_id": request["custom_id"], "method": "POST", "url": ENDPOINT,
                       "body": request["body"]}, ensure_ascii=False)


def split_lines(lines: Iterable[str], max_requests: int, max_bytes: int) -> Iterator[list[str]]:
    """Files under the provider's limits: at most ``max_requests`` lines and ``max_bytes`` each."""
    chunk: list[str] = []
    size = 0
    for line in lines:
        length = len(line.encode("utf-8")) + 1
        if length > max_bytes:
            video_id = str(json.loads(line).get("custom_id", "")).split(".")[0]
            raise LLMRequestFailed(f"{video_id}: a batch request of {length} bytes is over the {max_bytes}-byte "
                                   "file limit (llm.batch.max_file_mb)", video_id=video_id)
        if chunk and (len(chunk) >= max_requests or size + length > max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(line)
        size += length
    if chunk:
        yield chunk


def _batch_record(batch: Any, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    counts = batch.request_counts
    record = dict(previous or {})
    record.update(id=batch.id, status=batch.status, created_at=batch.created_at,
                  input_file_id=batch.input_file_id, output_file_id=batch.output_file_id,
                  error_file_id=batch.error_file_id,
                  request_counts={"total": counts.total, "completed": counts.completed, "failed": counts.failed}
                  if counts else None)
    if batch.errors and getattr(batch.errors, "data", None):
        record["errors"] = [e.message for e in batch.errors.data if e.message][:5]
    return record


@contextmanager
def provider_errors(base_url: str, doing: str) -> Iterator[None]:
    """The provider's answers as the pipeline's typed errors: one line, the right exit status."""
    try:
        yield
    except openai.APIStatusError as exc:
        if exc.status_code in (401, 403):
            raise LLMAuthError(f"the Batch API at {base_url} refused the key while {doing} (HTTP {exc.status_code}): "
                               f"{server_message(exc)}") from None
        if exc.status_code in (404, 405):
            raise LLMSetupError(f"the model server at {base_url} has no Batch API (HTTP {exc.status_code} while "
                                f"{doing}); use live calls, or --batch-export for an engine that runs the files") from None
        raise LLMRequestFailed(f"the Batch API at {base_url} answered HTTP {exc.status_code} while {doing}: "
                               f"{server_message(exc)}") from None
    except (openai.APIConnectionError, openai.APITimeoutError) as exc:
        raise LLMRequestFailed(f"cannot reach the Batch API at {base_url} while {doing}: {exc}") from None


class BatchJobs:
    """Everything that talks to the files and batches endpoints for one output folder."""

    def __init__(self, config: LLMConfig, store: Store, client: openai.OpenAI | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.store = store
        self.registry = Registry(store.root)
        self._client = client
        self.sleep = sleep

    @property
    def client(self) -> openai.OpenAI:
        if self._client is None:
            self._client = make_client(self.config)
        return self._client

    def _errors(self, doing: str) -> Any:
        return provider_errors(self.config.resolved_base_url(), doing)

    # --- submitting ----------------------------------------------------------------------

    def recover(self, records: dict[str, VideoBatch]) -> None:
        """Requests caught mid-submission by a kill: adopt the batch that was created for their
        file if there is one, else send them again (they never reached the provider)."""
        by_file: dict[str, list[dict[str, Any]]] = {}
        videos: dict[str, set[str]] = {}
        for record in records.values():
            for request in record.in_state("submitting"):
                by_file.setdefault(request["file_key"], []).append(request)
                videos.setdefault(request["file_key"], set()).add(record.video_id)
        if not by_file:
            return
        found = {r["file_key"]: r["id"] for r in self.registry.all() if r.get("file_key") in by_file}
        missing = set(by_file) - set(found)
        if missing:
            # The newest first, page by page as the loop goes: most often the batch is on the first.
            with self._errors("looking for batches created before a restart"):
                for batch in self.client.batches.list(limit=100):
                    key = (batch.metadata or {}).get(METADATA_KEY)
                    if key in missing:
                        found[key] = batch.id
                        self.registry.save(_batch_record(batch, {
                            "file_key": key, "applied": False, "requests": len(by_file[key]),
                            "tokens": sum(estimate_messages_tokens(r["body"]["messages"]) for r in by_file[key]),
                            "videos": sorted(videos[key])}))
                        missing.discard(key)
                    if not missing:
                        break
        for key, requests in by_file.items():
            for request in requests:
                if key in found:
                    request.update(state="submitted", batch_id=found[key])
                else:
                    request.update(state="pending", file_key=None)
        for record in records.values():
            record.save()

    def submit(self, records: dict[str, VideoBatch]) -> list[str]:
        """Send every pending request, in as many files as the limits need; returns the batch ids."""
        pending = [(record, request) for record in records.values()
                   for request in record.in_state("pending", "exported")]
        pending = self._within_queue_cap(pending)
        if not pending:
            return []
        owner = {request["custom_id"]: (record, request) for record, request in pending}
        lines = [request_line(request) for _, request in pending]
        max_bytes = int(self.config.batch.max_file_mb * 1024 * 1024)
        batch_ids = []
        for chunk in split_lines(lines, self.config.batch.max_requests, max_bytes):
            ids = [json.loads(line)["custom_id"] for line in chunk]
            file_key = fingerprint(ids, now_iso())
            touched = {owner[cid][0].video_id: owner[cid][0] for cid in ids}
            for cid in ids:  # the intent first: a kill from here on is recovered by ``recover``
                owner[cid][1].update(state="submitting", file_key=file_key)
            for record in touched.values():
                record.save()
            data = ("\n".join(chunk) + "\n").encode("utf-8")
            with self._errors("uploading a file of requests"):
                uploaded = self.client.files.create(file=(f"yt2post-{file_key}.jsonl", data), purpose="batch")
            with self._errors("creating a batch"):
                batch = self.client.batches.create(input_file_id=uploaded.id, endpoint=ENDPOINT,
                                                   completion_window="24h", metadata={METADATA_KEY: file_key})
            tokens = sum(estimate_messages_tokens(owner[cid][1]["body"]["messages"]) for cid in ids)
            self.registry.save(_batch_record(batch, {"file_key": file_key, "applied": False, "requests": len(ids),
                                                     "tokens": tokens, "videos": sorted(touched)}))
            for cid in ids:
                owner[cid][1].update(state="submitted", batch_id=batch.id)
            for record in touched.values():
                record.save()
            log.info("batch %s: %d request(s) submitted", batch.id, len(ids))
            batch_ids.append(batch.id)
        return batch_ids

    def _within_queue_cap(self, pending: list[tuple[VideoBatch, dict[str, Any]]]) -> list[tuple[VideoBatch, dict[str, Any]]]:
        """The first requests whose prompt tokens, with those of the batches still running, fit the
        provider's queue (``max_enqueued_tokens``); the rest wait for a later round."""
        cap = self.config.batch.max_enqueued_tokens
        if cap is None:
            return pending
        queued = sum(int(r.get("tokens") or 0) for r in self.registry.unfinished() if r.get("status") not in TERMINAL)
        chosen = []
        for record, request in pending:
            tokens = estimate_messages_tokens(request["body"]["messages"])
            if queued + tokens > cap and (chosen or queued):
                break
            queued += tokens  # one request alone over the cap still goes: the provider says why if it must
            chosen.append((record, request))
        return chosen

    # --- waiting and applying ------------------------------------------------------------

    def wait(self, on_poll: Callable[[list[dict[str, Any]]], None] | None = None,
             once: bool = False, on_sleep: Callable[[float], None] | None = None) -> list[dict[str, Any]]:
        """Poll every unapplied batch with back-off until all have finished (``once``: a single
        look); returns their records. ``on_sleep`` hears how long until the next look."""
        interval = self.config.batch.poll_interval
        while True:
            records = []
            for previous in self.registry.unfinished():
                if previous.get("status") in TERMINAL:
                    records.append(previous)
                    continue
                batch = self._ask(previous, f"checking batch {previous['id']}", "HTTP 404 while checking it",
                                  lambda: self.client.batches.retrieve(previous["id"]))
                record = previous
                if batch is not None:
                    record = _batch_record(batch, previous)
                    self.registry.save(record)
                records.append(record)
            if on_poll is not None:
                on_poll(records)
            if once or all(r["status"] in TERMINAL for r in records):
                return records
            if on_sleep is not None:
                on_sleep(interval)
            self.sleep(interval)
            interval = min(interval * 1.5, self.config.batch.poll_max_interval)

    def download(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """The result lines of a finished batch. A file that answers 404 is asked for again after
        ``poll_interval``, until the batch is given up on: then only the other file counts."""
        lines: list[dict[str, Any]] = []
        for key, kind in (("output_file_id", "output"), ("error_file_id", "error")):
            file_id = record.get(key)
            content = None
            while file_id and content is None:
                content = self._ask(record, f"downloading the results of batch {record['id']}",
                                    f"HTTP 404 for its {kind} file {file_id}",
                                    lambda: self.client.files.content(file_id))
                if content is None:
                    if record.get("gave_up"):
                        break
                    self.sleep(self.config.batch.poll_interval)
            if content is not None:
                lines.extend(result_lines(content.text, f"batch {record['id']}: line {{}} of its {kind} file"))
        return lines

    def _ask(self, record: dict[str, Any], doing: str, missing: str, call: Callable[[], Any]) -> Any:
        """``call``, about the batch ``record``; None when the provider answers 404 (``missing``
        says for what), which counts towards giving the batch up."""
        with self._errors(doing):
            try:
                answer = call()
            except openai.NotFoundError:
                answer = None
        if answer is not None:
            record["not_found"] = 0
            return answer
        record["not_found"] = count = int(record.get("not_found") or 0) + 1
        if count < GIVE_UP_AFTER:
            log.warning("batch %s: %s (%d of %d); looking again later", record["id"], missing, count, GIVE_UP_AFTER)
        else:
            record["gave_up"] = record.get("gave_up") or f"{missing} ({count} of {GIVE_UP_AFTER})"
            if record.get("status") not in TERMINAL:
                record["status"] = "lost"
            log.warning("batch %s: %s (%d of %d); given up: the requests it did not answer are retried",
                        record["id"], missing, count, GIVE_UP_AFTER)
        self.registry.save(record)
        return None

    def apply_finished(self, records: list[dict[str, Any]]) -> int:
        """Download and apply the results of every finished batch; returns how many lines applied."""
        applied = 0
        for record in records:
            if record["status"] not in TERMINAL or record.get("applied"):
                continue
            applied += apply_results(self.store, self.download(record), batch=record)
            record["applied"] = True
            self.registry.save(record)
        return applied

    def cancel_all(self) -> list[str]:
        """Cancel every running batch; one the provider does not know is passed over (and counts
        towards giving it up)."""
        cancelled = []
        for record in self.registry.unfinished():
            if record.get("status") in TERMINAL:
                continue
            batch = self._ask(record, f"cancelling batch {record['id']}", "HTTP 404 while cancelling it",
                              lambda: self.client.batches.cancel(record["id"]))
            if batch is not None:
                self.registry.save(_batch_record(batch, record))
                cancelled.append(record["id"])
        return cancelled

    def release_unanswered(self, records: dict[str, VideoBatch]) -> None:
        """Requests still waiting on a batch that will answer no more (its results applied, or no
        record of it left): failed, so they are asked again. Whatever made the batch's record
        (one adopted after a kill, an older version's without its videos) or removed it."""
        batches: dict[str, dict[str, Any] | None] = {}
        for record in records.values():
            ids = {request["batch_id"] or "" for request in record.in_state("submitted")}
            released = 0
            for batch_id in ids:
                if batch_id not in batches:
                    batches[batch_id] = self.registry.load(batch_id) if batch_id else None
                batch = batches[batch_id]
                if batch is None or batch.get("applied"):
                    released += record.release(batch_id, _unanswered(batch_id, batch))
            if released:
                record.save()


def apply_results(store: Store, lines: list[dict[str, Any]], *, batch: dict[str, Any] | None = None) -> int:
    """Put each result line into its video's ``batch.json`` by custom_id. With ``batch``, its
    requests that got no line at all (an expired, cancelled or failed batch) fail with its status."""
    by_video: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        parsed = parse_custom_id(str(line.get("custom_id") or ""))
        if parsed is not None:
            by_video.setdefault(parsed[0], []).append(line)
    videos = set(by_video)
    if batch is not None:
        videos |= set(batch.get("videos") or [])
    applied = 0
    for video_id in sorted(videos):
        # A line whose id names no video of this folder (another tool's, or hand-made) is not ours.
        if not store.has_video(video_id) or not store.exists(video_id, BATCH_ARTIFACT):
            continue
        record = VideoBatch(store, video_id)
        current = {r["custom_id"]: r for r in record.requests.values()}
        for line in by_video.get(video_id, []):
            request = current.get(line["custom_id"])
            if request is None or request["state"] in ("answered", "failed"):
                continue  # an earlier attempt's line, or one applied already
            response = line.get("response") or {}
            if response.get("status_code") == 200 and isinstance(response.get("body"), dict):
                request.update(state="answered", answer=response["body"], via="batch")
            else:
                record.fail(request, _line_error(line))
            applied += 1
        if batch is not None:
            record.release(batch["id"], _unanswered(batch["id"], batch))
        record.save()
    return applied


def _unanswered(batch_id: str, batch: dict[str, Any] | None) -> str:
    """Why a request of ``batch_id`` got no answer, the batch being over (``batch``: its record)."""
    if batch is None:
        return f"batch {batch_id} has no record in batches/ any more; no answer to this request"
    if batch.get("gave_up"):
        return f"batch {batch_id} gave no answer to this request: {batch['gave_up']}"
    return f"batch {batch_id} ended {batch.get('status')} without an answer to this request"


def line_problem(item: Any) -> str | None:
    """Why a parsed result line cannot be used; None when it can."""
    if not isinstance(item, dict):
        return f"a JSON {_JSON_KINDS.get(type(item), 'value')}, not an object"
    if not isinstance(item.get("custom_id"), str):
        return "no custom_id"
    response = item.get("response")
    if response is not None and not isinstance(response, dict):
        return f"its response is a JSON {_JSON_KINDS.get(type(response), 'value')}, not an object"
    return None


def result_lines(text: str, where: str) -> list[dict[str, Any]]:
    """The lines of a provider's result file. One that cannot be used (not JSON, cut short, not
    an object) fails the request whose custom_id it shows, if any, and the others still count:
    one spoiled line must not hold back answers already paid for. ``where`` names a line
    (``batch B: line {} of its output file``) in the warning and the request's error."""
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
            problem = line_problem(item)
        except ValueError as exc:
            problem = f"not valid JSON: {exc}"
        if problem is None:
            lines.append(item)
            continue
        message = f"{where.format(number)} is not a result line ({problem})"
        named = _CUSTOM_ID.search(raw)
        log.warning("%s; %s", message, f"its request {named.group(1)} is retried" if named else "it names no request")
        if named:
            lines.append({"custom_id": named.group(1), "response": None,
                          "error": {"code": "unreadable_result", "message": message}})
    return lines


def _line_error(line: dict[str, Any]) -> str:
    error = line.get("error")
    if isinstance(error, dict) and error.get("message"):
        return f"{error.get('code') or 'error'}: {error['message']}"
    if isinstance(error, str) and error.strip():  # vLLM's run-batch gives a plain message
        return error.strip()[:500]
    response = line.get("response") or {}
    body = response.get("body") if isinstance(response.get("body"), dict) else {}
    inner = body.get("error") if isinstance(body.get("error"), dict) else {}
    return f"HTTP {response.get('status_code')}: {inner.get('message') or 'no message'}"
