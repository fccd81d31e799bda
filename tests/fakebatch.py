"""A stand-in for OpenAI's ``/v1/files`` and ``/v1/batches`` inside the fake model server.

Each queued request line is answered by the fake server's ordinary chat answering (its queue,
responder or schema-shaped default), so a batch gives the same answers a live call would. A batch
moves one status per retrieve: by default validating → in_progress → finalizing → completed;
tests script other sequences (``expired`` with some lines done, ``failed``), hold batches in
progress (``hold``), and count every request line ever submitted (``lines``).

Faults of a provider's output, by script: result lines that are not JSON, cut short, not an
object, or whose ``response`` is a string (``corrupt``), an output file that answers 404
(``output_missing``); and ``purge`` forgets batches, which then answer 404 like a purged batch or
one asked of another provider.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakellm import FakeLLM

DEFAULT_STATUSES = ("validating", "in_progress", "finalizing", "completed")


def is_batch_path(path: str) -> bool:
    return "/v1/files" in path or "/v1/batches" in path


@dataclass
class Script:
    """How one batch goes: its statuses in order; ``done`` lines are answered before it expires."""

    statuses: tuple[str, ...] = DEFAULT_STATUSES
    done: int | None = None  # for "expired": how many lines finished first (None: all)
    # Request line index -> how its result line is spoiled in the output file: "malformed" (not
    # JSON), "truncated" (cut in the middle), "not_object" (a JSON list), "string_response"
    # (``response`` is a string), "garbage" (a proxy's error page: no custom_id at all).
    corrupt: dict[int, str] | None = None
    output_missing: bool = False  # the output file's id answers 404 (deleted at the provider)


class FakeBatchAPI:
    def __init__(self, fake: FakeLLM) -> None:
        self.fake = fake
        self.lock = threading.Lock()
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.lines: list[dict[str, Any]] = []  # every request line of every batch created
        self.scripts: deque[Script] = deque()
        self.hold = False  # keep every batch in_progress until released
        self.retrieves = 0
        self.unsupported = False  # answer 404 like a server without a Batch API (Ollama, llama.cpp)

    # --- control -----------------------------------------------------------------------

    def script(self, *scripts: Script) -> None:
        with self.lock:
            self.scripts.extend(scripts)

    def finish_all(self) -> None:
        """The provider works through every batch while no client is looking (hours pass)."""
        with self.lock:
            for batch in self.batches.values():
                statuses = batch["script"].statuses
                if batch["cancelled"] or batch["step"] == len(statuses) - 1:
                    continue
                batch["step"] = len(statuses) - 1
                batch["history"].append(statuses[-1])
                done = batch["script"].done if statuses[-1] == "expired" else None
                self._finish(batch, len(batch["lines"]) if done is None else done, "batch_expired")

    def purge(self, *batch_ids: str) -> None:
        """The provider forgets these batches (all, without ids): each then answers 404."""
        with self.lock:
            for batch_id in batch_ids or list(self.batches):
                del self.batches[batch_id]

    # --- HTTP ----------------------------------------------------------------------------

    def handle(self, handler: Any, method: str, raw: bytes) -> None:
        if self.unsupported:
            return handler._send(404, {"error": {"message": "Not Found", "type": "invalid_request_error"}})
        path = handler.path.split("?", 1)[0].rstrip("/")
        parts = path.split("/")[path.split("/").index("v1") + 1:]
        if parts[0] == "files":
            if method == "POST" and len(parts) == 1:
                return handler._send(200, self._upload(handler, raw))
            if method == "GET" and len(parts) == 3 and parts[2] == "content" and parts[1] in self.files:
                return _send_bytes(handler, self.files[parts[1]]["data"])
            if method == "GET" and len(parts) == 2 and parts[1] in self.files:
                return handler._send(200, self._file_object(parts[1]))
            if method == "GET" and len(parts) >= 2:
                return handler._send(404, {"error": {"message": f"No such File object: {parts[1]}",
                                                     "type": "invalid_request_error", "param": "id", "code": None}})
        if parts[0] == "batches":
            if method == "POST" and len(parts) == 1:
                return handler._send(200, self._create(json.loads(raw or b"{}")))
            if method == "GET" and len(parts) == 1:
                with self.lock:
                    data = [self._public(b) for b in sorted(self.batches.values(), key=lambda b: -b["seq"])]
                return handler._send(200, {"object": "list", "data": data, "has_more": False,
                                           "first_id": data[0]["id"] if data else None,
                                           "last_id": data[-1]["id"] if data else None})
            if len(parts) >= 2 and parts[1] in self.batches:
                if method == "GET" and len(parts) == 2:
                    return handler._send(200, self._retrieve(parts[1]))
                if method == "POST" and len(parts) == 3 and parts[2] == "cancel":
                    return handler._send(200, self._cancel(parts[1]))
            if len(parts) >= 2:
                return handler._send(404, {"error": {"message": f"No batch found with id '{parts[1]}'.",
                                                     "type": "invalid_request_error", "param": None, "code": None}})
        handler._send(404, {"error": {"message": f"no route {method} {handler.path}", "type": "invalid_request_error"}})

    # --- files ---------------------------------------------------------------------------

    def _upload(self, handler: Any, raw: bytes) -> dict[str, Any]:
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {handler.headers.get('Content-Type')}\r\n\r\n".encode() + raw)
        fields: dict[str, str] = {}
        name, data = "upload", b""
        for part in message.iter_parts():
            if part.get_filename():
                name, data = part.get_filename(), part.get_payload(decode=True) or b""
            else:
                fields[part.get_param("name", header="content-disposition")] = part.get_content().strip()
        return self._store_file(name, data, fields.get("purpose", ""))

    def _store_file(self, name: str, data: bytes, purpose: str) -> dict[str, Any]:
        file_id = f"file-{uuid.uuid4().hex[:16]}"
        with self.lock:
            self.files[file_id] = {"name": name, "data": data, "purpose": purpose, "created_at": int(time.time())}
        return self._file_object(file_id)

    def _file_object(self, file_id: str) -> dict[str, Any]:
        item = self.files[file_id]
        return {"id": file_id, "object": "file", "bytes": len(item["data"]), "created_at": item["created_at"],
                "filename": item["name"], "purpose": item["purpose"], "status": "processed"}

    # --- batches -------------------------------------------------------------------------

    def _create(self, request: dict[str, Any]) -> dict[str, Any]:
        source = self.files[request["input_file_id"]]
        assert source["purpose"] == "batch", source["purpose"]
        assert request.get("completion_window") == "24h" and request.get("endpoint") == "/v1/chat/completions"
        lines = [json.loads(line) for line in source["data"].decode("utf-8").splitlines() if line.strip()]
        ids = [line["custom_id"] for line in lines]
        assert len(ids) == len(set(ids)), "custom_id must be unique in a file"
        assert len({line["body"]["model"] for line in lines}) == 1, "one model per file"
        with self.lock:
            script = self.scripts.popleft() if self.scripts else Script()
            batch_id = f"batch_{uuid.uuid4().hex[:16]}"
            self.lines.extend(lines)
            self.batches[batch_id] = {
                "id": batch_id, "seq": len(self.batches), "script": script, "step": 0, "lines": lines,
                "input_file_id": request["input_file_id"], "metadata": request.get("metadata"),
                "created_at": int(time.time()), "output_file_id": None, "error_file_id": None,
                "completed": 0, "failed": 0, "cancelled": False, "history": [script.statuses[0]],
            }
            return self._public(self.batches[batch_id])

    def _status(self, batch: dict[str, Any]) -> str:
        if batch["cancelled"]:
            return "cancelled" if batch["step"] < 0 else "cancelling"
        return batch["script"].statuses[batch["step"]]

    def _retrieve(self, batch_id: str) -> dict[str, Any]:
        with self.lock:
            self.retrieves += 1
            batch = self.batches[batch_id]
            if batch["cancelled"]:
                if batch["step"] >= 0:
                    batch["step"] = -1
                    self._finish(batch, 0, "batch_cancelled")
                return self._public(batch)
            statuses = batch["script"].statuses
            held = self.hold and statuses[min(batch["step"] + 1, len(statuses) - 1)] not in ("validating", "in_progress")
            if batch["step"] + 1 < len(statuses) and not held:
                batch["step"] += 1
                status = statuses[batch["step"]]
                if status in ("completed", "expired"):
                    done = batch["script"].done if status == "expired" else None
                    self._finish(batch, len(batch["lines"]) if done is None else done, "batch_expired")
                elif status == "failed":
                    batch["errors"] = {"object": "list", "data": [
                        {"code": "invalid_request", "message": "the input file failed validation", "line": 1}]}
            if batch["history"][-1] != self._status(batch):
                batch["history"].append(self._status(batch))
            return self._public(batch)

    def _cancel(self, batch_id: str) -> dict[str, Any]:
        with self.lock:
            batch = self.batches[batch_id]
            batch["cancelled"] = True
            return self._public(batch)

    def _finish(self, batch: dict[str, Any], answered: int, unanswered_code: str) -> None:
        """Answer the first ``answered`` lines through the chat server; the rest go to the error file."""
        outputs, errors = [], []
        corrupt = batch["script"].corrupt or {}
        for index, line in enumerate(batch["lines"]):
            if index < answered:
                status, body = self._answer(line["body"])
                output = {"id": f"batch_req_{uuid.uuid4().hex[:12]}", "custom_id": line["custom_id"],
                          "response": {"status_code": status, "request_id": uuid.uuid4().hex, "body": body},
                          "error": None}
                outputs.append(_spoiled(output, corrupt[index]) if index in corrupt else output)
                batch["completed" if status == 200 else "failed"] += 1
            else:
                errors.append({"id": f"batch_req_{uuid.uuid4().hex[:12]}", "custom_id": line["custom_id"],
                               "response": None, "error": {"code": unanswered_code, "message":
                               "This request could not be executed before the batch ended."}})
                batch["failed"] += 1
        outputs.reverse()  # the order of result lines means nothing: make sure no one relies on it
        if outputs:
            batch["output_file_id"] = self._store_output(outputs)
            if batch["script"].output_missing:
                del self.files[batch["output_file_id"]]
        if errors:
            batch["error_file_id"] = self._store_output(errors)

    def _store_output(self, lines: list[dict[str, Any] | str]) -> str:
        file_id = f"file-{uuid.uuid4().hex[:16]}"
        data = ("\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)
                          for line in lines) + "\n").encode("utf-8")
        self.files[file_id] = {"name": "output.jsonl", "data": data, "purpose": "batch_output",
                               "created_at": int(time.time())}
        return file_id

    def _answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """One line through the fake server's normal chat answering (lock not needed: own locks)."""
        from tests.fakellm import completion

        reply = self.fake.next_chat_reply(body)
        if reply.status != 200:
            return reply.status, reply.error or {"error": {"message": f"fake error {reply.status}",
                                                           "type": "server_error", "code": None}}
        return 200, completion(body, reply)

    def _public(self, batch: dict[str, Any]) -> dict[str, Any]:
        status = self._status(batch)
        done = status in ("completed", "expired", "cancelled", "failed")
        return {
            "id": batch["id"], "object": "batch", "endpoint": "/v1/chat/completions", "errors": batch.get("errors"),
            "input_file_id": batch["input_file_id"], "completion_window": "24h", "status": status,
            "output_file_id": batch["output_file_id"] if done else None,
            "error_file_id": batch["error_file_id"] if done else None,
            "created_at": batch["created_at"], "metadata": batch["metadata"],
            "request_counts": {"total": len(batch["lines"]), "completed": batch["completed"], "failed": batch["failed"]},
        }


def _spoiled(output: dict[str, Any], how: str) -> str:
    """One result line as a faulty provider (or a cut download) might write it."""
    text = json.dumps(output, ensure_ascii=False)
    if how == "malformed":
        return text.replace('"error": null', '"error": nul')
    if how == "truncated":
        return text[: len(text) // 2]
    if how == "not_object":
        return json.dumps([output], ensure_ascii=False)
    if how == "string_response":
        return json.dumps(output | {"response": "upstream answered 502"}, ensure_ascii=False)
    if how == "garbage":
        return "<html><body><h1>502 Bad Gateway</h1></body></html>"
    raise ValueError(how)


def _send_bytes(handler: Any, data: bytes) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/octet-stream")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def batch_api(fake: FakeLLM) -> FakeBatchAPI:
    """The server's batch stand-in, made on first use (tests reach it the same way)."""
    with fake._lock:
        api = getattr(fake, "_batch_api", None)
        if api is None:
            api = FakeBatchAPI(fake)
            fake._batch_api = api  # type: ignore[attr-defined]
        return api
