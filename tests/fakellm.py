"""A small OpenAI-compatible HTTP server for tests: answers, latencies and faults on demand.

Tests talk to it through the real ``openai`` client. By default it answers a structured-output
request with an instance generated from the request's own JSON schema, so any prompt gets a
valid answer; tests queue scripted replies (errors, truncation, refusals) or pass a responder.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import uuid
import wave
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_SCHEMA_IN_PROMPT = re.compile(r"<json_schema>\s*(.*?)\s*</json_schema>", re.DOTALL)
_TRANSCRIPT_IN_PROMPT = re.compile(r"<transcript>(.*?)</transcript>", re.DOTALL)
_MARKER = re.compile(r"^\[(\d{1,2}:\d{2}(?::\d{2})?)\]", re.MULTILINE)


@dataclass
class Reply:
    content: str | None = None
    json: dict[str, Any] | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    finish_reason: str = "stop"
    refusal: str | None = None
    delay: float | None = None
    usage: dict[str, Any] | None = None
    close_connection: bool = False
    body: dict[str, Any] | None = None  # a raw JSON body for the audio endpoint
    raw: bytes | None = None  # any body at all (an HTML page, bytes that are not UTF-8), sent as is
    content_type: str = "text/html; charset=utf-8"
    # Seconds between single bytes of the body: a server that never falls silent long enough
    # for a read timeout, yet never finishes.
    trickle: float | None = None
    # Seconds between single bytes of the status line and headers: the answer never even starts.
    trickle_headers: float | None = None


Responder = Callable[[dict[str, Any]], "Reply | dict[str, Any] | str"]


def sample_from_schema(schema: dict[str, Any], root: dict[str, Any] | None = None, name: str = "",
                       counter: list[int] | None = None, markers: list[str] | None = None) -> Any:
    """A valid, deterministic instance of a JSON schema, with Chinese text for strings.

    ``markers`` are the transcript's ``[12:34]`` paragraph times: a section's ``start`` is one of
    them, increasing through the answer, as a good model would give."""
    root = root or schema
    counter = counter if counter is not None else [0, 0]
    if len(counter) < 2:
        counter.append(0)
    if "$ref" in schema:
        ref = schema["$ref"].split("/")[-1]
        return sample_from_schema(root.get("$defs", {}).get(ref, {}), root, name, counter, markers)
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"] or schema["anyOf"]
        return sample_from_schema(options[0], root, name, counter, markers)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {key: sample_from_schema(sub, root, key, counter, markers)
                for key, sub in schema.get("properties", {}).items()}
    if kind == "array":
        items = schema.get("items", {})
        count = max(schema.get("minItems", 0), 2 if items.get("type") == "object" or "$ref" in items else 2)
        return [sample_from_schema(items, root, name, counter, markers) for _ in range(count)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if name == "start":
        # Two sections per answer: the first paragraph's time, then one from the middle.
        index = counter[1]
        counter[1] += 1
        if not markers:
            return "00:00"
        return markers[min(index * (len(markers) // 2), len(markers) - 1)]
    counter[0] += 1
    n = counter[0]
    if name in ("tags", "companies_orgs", "products_models"):
        return f"sample-{name.replace('_', '-')}-{n}"
    if name in ("guest", "insight"):
        return ""
    if name == "heading":
        return f"第{n}节：视频的要点"
    if name == "title":
        return "视频内容的中文标题"
    return f"这是根据视频内容写成的中文段落，编号{n}。"


class FakeLLM:
    """Serves ``/v1/chat/completions``, ``/v1/audio/transcriptions`` and ``/v1/models``."""

    def __init__(self, *, latency: float = 0.0, responder: Responder | None = None,
                 max_upload_bytes: int | None = None) -> None:
        self.latency = latency
        self.responder = responder
        self.max_upload_bytes = max_upload_bytes
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.audio_requests: list[dict[str, Any]] = []
        self.calls = 0
        self.max_in_flight = 0
        self._in_flight = 0
        # When the model was busy, for benchmarks: from the first call's arrival to the last answer.
        self.first_call_at: float | None = None
        self.last_answer_at: float | None = None
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self._audio_queue: deque[Reply] = deque()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control ---------------------------------------------------------------------

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    def queue_audio(self, *replies: Reply) -> None:
        with self._lock:
            self._audio_queue.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.headers.clear()
            self.audio_requests.clear()
            self._queue.clear()
            self._audio_queue.clear()
            self.calls = 0
            self.max_in_flight = 0

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeLLM:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # shutdown() waits for the serving loop to look at its flag: every poll_interval (0.5 s
        # by default, which made each test's teardown half a second).
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # --- answers ---------------------------------------------------------------------

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            if self.first_call_at is None:
                self.first_call_at = time.time()

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self.last_answer_at = time.time()

    def next_chat_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            queued = self._queue.popleft() if self._queue else None
        if queued is not None:
            return queued
        if self.responder is not None:
            answer = self.responder(body)
            if isinstance(answer, Reply):
                return answer
            if isinstance(answer, dict):
                return Reply(json=answer)
            return Reply(content=str(answer))
        return Reply(json=default_answer(body)) if body.get("response_format") else Reply(content="OK")


def default_answer(body: dict[str, Any]) -> dict[str, Any]:
    response_format = body.get("response_format") or {}
    transcript = _TRANSCRIPT_IN_PROMPT.search(_text_of(body))
    markers = _MARKER.findall(transcript.group(1).strip()) if transcript else []
    if response_format.get("type") == "json_schema":
        return sample_from_schema(response_format["json_schema"]["schema"], markers=markers)
    for message in body.get("messages", []):
        match = _SCHEMA_IN_PROMPT.search(str(message.get("content") or ""))
        if match:
            return sample_from_schema(json.loads(match.group(1)), markers=markers)
    return {}


def without_section_times(body: dict[str, Any]) -> dict[str, Any] | str:
    """A responder for a model that gives no section its start time (seen with small local
    models): the default answer with every ``start`` empty."""
    if not body.get("response_format"):
        return "OK"
    answer = default_answer(body)
    for section in answer.get("sections", []):
        section["start"] = ""
    return answer


def completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    """The Chat Completions body of a successful ``reply`` to the request ``body`` (live or batch)."""
    content = reply.content if reply.json is None else json.dumps(reply.json, ensure_ascii=False)
    if reply.refusal is not None:
        content = None
    usage = reply.usage or {
        "prompt_tokens": len(_text_of(body)) // 4,
        "completion_tokens": len(content or "") // 4,
        "total_tokens": len(_text_of(body)) // 4 + len(content or "") // 4,
        "prompt_tokens_details": {"cached_tokens": 0},
    }
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake-model"),
        "choices": [{"index": 0, "finish_reason": reply.finish_reason,
                     "message": {"role": "assistant", "content": content, "refusal": reply.refusal}}],
        "usage": usage,
    }


def _text_of(body: dict[str, Any]) -> str:
    return "".join(str(m.get("content") or "") for m in body.get("messages", []))


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLLM
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; without this, Nagle's algorithm and the client's
    # delayed ACK add 40 ms to every answer.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None,
              trickle: float | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        try:
            if trickle is None:
                self.wfile.write(data)
                return
            for index in range(len(data)):
                self.wfile.write(data[index:index + 1])
                self.wfile.flush()
                time.sleep(trickle)
        except OSError:  # the client gave up (a timeout, a killed process)
            self.close_connection = True

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        from tests.fakebatch import batch_api, is_batch_path

        if is_batch_path(self.path):  # the Batch API stand-in: /v1/files, /v1/batches
            batch_api(self.fake).handle(self, "GET", b"")
        elif self.path.rstrip("/").endswith("/_stats"):  # for benchmarks running the server in its own process
            self._send(200, {"calls": self.fake.calls, "max_in_flight": self.fake.max_in_flight,
                             "message_chars": sum(len(_text_of(body)) for body in self.fake.requests),
                             "first_call_at": self.fake.first_call_at, "last_answer_at": self.fake.last_answer_at})
        elif self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model", "owned_by": "tests"}]})
        else:
            self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        raw = self._read_body()
        from tests.fakebatch import batch_api, is_batch_path

        if is_batch_path(self.path):
            batch_api(self.fake).handle(self, "POST", raw)
        elif self.path.endswith("/chat/completions"):
            self._chat(raw)
        elif self.path.endswith("/audio/transcriptions"):
            self._audio(raw)
        else:
            self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def _fault(self, reply: Reply) -> bool:
        if reply.close_connection:
            self.close_connection = True
            self.connection.close()
            return True
        if reply.raw is not None:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.raw)))
            self.end_headers()
            self.wfile.write(reply.raw)
            return True
        if reply.status != 200:
            error = reply.error or {"error": {"message": f"fake error {reply.status}", "type": "server_error",
                                              "code": None}}
            self._send(reply.status, error, reply.headers)
            return True
        return False

    def _chat(self, raw: bytes) -> None:
        fake = self.fake
        body = json.loads(raw or b"{}")
        with fake._lock:
            fake.requests.append(body)
            fake.headers.append(dict(self.headers.items()))
            fake.calls += 1
        fake._enter()
        try:
            reply = fake.next_chat_reply(body)
            time.sleep(reply.delay if reply.delay is not None else fake.latency)
            if self._fault(reply):
                return
            if reply.trickle_headers is not None:
                return self._trickle_headers(reply.trickle_headers)
            self._send(200, completion(body, reply), reply.headers, trickle=reply.trickle)
        finally:
            fake._leave()

    def _trickle_headers(self, seconds: float) -> None:
        """A status line and headers a byte at a time, without end: no read ever waits long."""
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Padding: " + b"." * 10_000
        self.close_connection = True
        try:
            for index in range(len(head)):
                self.wfile.write(head[index:index + 1])
                self.wfile.flush()
                time.sleep(seconds)
        except OSError:  # the client gave up, as it should
            pass

    def _audio(self, raw: bytes) -> None:
        fake = self.fake
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {self.headers.get('Content-Type')}\r\n\r\n".encode() + raw)
        fields: dict[str, Any] = {}
        file_name, file_data = "", b""
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if part.get_filename():
                file_name, file_data = part.get_filename(), part.get_payload(decode=True) or b""
            elif name:
                fields.setdefault(name, []).append(part.get_content().strip())
        record = {"fields": fields, "file_name": file_name, "bytes": len(file_data)}
        with fake._lock:
            fake.audio_requests.append(record)
            queued = fake._audio_queue.popleft() if fake._audio_queue else None
        fake._enter()
        try:
            reply = queued or Reply()
            time.sleep(reply.delay if reply.delay is not None else fake.latency)
            if fake.max_upload_bytes is not None and len(file_data) > fake.max_upload_bytes:
                self._send(413, {"error": {"message": "Maximum content size limit exceeded", "type": "invalid_request_error"}})
                return
            if self._fault(reply):
                return
            self._send(200, reply.body or _verbose_json(file_name, file_data))
        finally:
            fake._leave()


def _verbose_json(file_name: str, data: bytes) -> dict[str, Any]:
    try:
        with wave.open(io.BytesIO(data)) as wav:
            duration = wav.getnframes() / float(wav.getframerate())
    except (wave.Error, EOFError):
        duration = 5.0
    segments = []
    start, index = 0.0, 0
    while start < duration - 1e-6:
        end = min(duration, start + 5.0)
        segments.append({"id": index, "seek": 0, "start": start, "end": end,
                         "text": f" segment {index + 1} of {file_name}.", "tokens": [], "temperature": 0.0,
                         "avg_logprob": -0.1, "compression_ratio": 1.0, "no_speech_prob": 0.0})
        start, index = end, index + 1
    return {"task": "transcribe", "language": "english", "duration": duration,
            "text": "".join(s["text"] for s in segments), "segments": segments}


def serve(argv: list[str] | None = None) -> None:
    """Run the server in its own process (benchmarks): prints its base URL, serves until stdin closes."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="fake OpenAI-compatible server")
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args(argv)
    with FakeLLM(latency=args.latency) as server:
        print(server.base_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    serve()
