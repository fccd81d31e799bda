"""Batch jobs at the provider: JSONL files of requests up, batches created, polled, results down.

The format is OpenAI's (``/v1/files`` with ``purpose=batch``, ``/v1/batches`` with the 24 h
window), which several other providers and vLLM's ``run-batch`` also speak. Result lines are
matched by ``custom_id``; their order means nothing.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import openai

from pipeline.batchapi.llm import ENDPOINT
from pipeline.batchapi.records import BATCH_ARTIFACT, TERMINAL, Registry, VideoBatch, error_time, parse_custom_id
from pipeline.config import LLMConfig
from pipeline.errors import LLMAuthError, LLMRequestFailed, LLMSetupError
from pipeline.llm.errors import server_message
from pipeline.store import Store, fingerprint, now_iso
from pipeline.llm.tokens import estimate_messages_tokens

log = logging.getLogger(__name__)
METADATA_KEY = "yt2post_file"  # set on each batch, so a batch created just before a kill is found again


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
        for record in records.values():
            for request in record.in_state("submitting"):
                by_file.setdefault(request["file_key"], []).append(request)
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
                        self.registry.save(_batch_record(batch, {"file_key": key, "applied": False}))
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
                with self._errors(f"checking batch {previous['id']}"):
                    batch = self.client.batches.retrieve(previous["id"])
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
        lines: list[dict[str, Any]] = []
        for key in ("output_file_id", "error_file_id"):
            if record.get(key):
                with self._errors(f"downloading the results of batch {record['id']}"):
                    text = self.client.files.content(record[key]).text
                lines.extend(json.loads(line) for line in text.splitlines() if line.strip())
        return lines

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
        cancelled = []
        for record in self.registry.unfinished():
            if record.get("status") in TERMINAL:
                continue
            with self._errors(f"cancelling batch {record['id']}"):
                batch = self.client.batches.cancel(record["id"])
            self.registry.save(_batch_record(batch, record))
            cancelled.append(record["id"])
        return cancelled


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
                request["state"] = "failed"
                request["errors"].append({"message": _line_error(line), "at": error_time(),
                                          "batch_id": request.get("batch_id")})
            applied += 1
        if batch is not None:
            for request in record.requests.values():
                if request.get("batch_id") == batch["id"] and request["state"] == "submitted":
                    request["state"] = "failed"
                    request["errors"].append({"message": f"batch {batch['id']} ended {batch['status']} without "
                                                         "an answer to this request", "at": error_time(),
                                              "batch_id": batch["id"]})
        record.save()
    return applied


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
