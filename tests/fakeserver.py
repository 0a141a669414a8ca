"""A tiny real OpenAI-compatible HTTP server on 127.0.0.1 for fault tests, scripted request by request.

with FakeServer() as server:
    server.script(Status(500), Reply("hello"))
    OpenAIChat(server.base_url, None, "m").complete(...)
    assert server.attempts == 2
"""

import json
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Reply:
    """A normal streamed reply, word by word; `usage=False` leaves out the usage chunk."""

    text: str
    usage: bool = True
    delay: float = 0.0
    """Seconds between pieces."""
    finish: bool = True
    """False ends the stream cleanly without a finish_reason."""


@dataclass(frozen=True)
class Status:
    """An error status with an OpenAI-style error body."""

    code: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = '{"error": {"message": "scripted failure", "type": "server_error"}}'


@dataclass(frozen=True)
class Hang:
    """Send nothing for `seconds` (or until the server stops), then drop the connection."""

    seconds: float
    after_pieces: int = 0
    """Pieces of a reply streamed before hanging (0: hang before the status line)."""


@dataclass(frozen=True)
class Garbled:
    """A 200 stream whose event data is not JSON."""


@dataclass(frozen=True)
class Cut:
    """Stream `pieces` pieces of `text`, then close the connection mid-body."""

    text: str
    pieces: int = 2


Action = Reply | Status | Hang | Garbled | Cut


def _chunk(model: str, content: str | None, finish: str | None = None) -> dict[str, Any]:
    delta = {"content": content} if content is not None else {}
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = json.dumps({"object": "list", "data": [{"id": "fake-model", "object": "model"}]}).encode()
        self._send(200, body, {"Content-Type": "application/json"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        request = json.loads(self.rfile.read(length) or b"{}")
        fake = self.server.fake
        if not self.path.endswith("/chat/completions"):
            fake.requests.append((self.path, request))
            self._send(404, b'{"detail": "Not Found"}', {"Content-Type": "application/json"})
            return
        action = fake.record(self.path, request)
        model = str(request.get("model", "fake-model"))
        if isinstance(action, Status):
            self._send(
                action.code, action.body.encode(), {"Content-Type": "application/json", **action.headers}
            )
        elif isinstance(action, Hang):
            if action.after_pieces:
                self._start_stream()
                for word in ["piece"] * action.after_pieces:
                    self._event(_chunk(model, word + " "))
            fake.stopping.wait(action.seconds)
            self.close_connection = True
        elif isinstance(action, Garbled):
            self._start_stream()
            self._write(b"data: {this is not json\n\n")
            self._write(b"data: [DONE]\n\n")
            self._write(b"")
        elif isinstance(action, Cut):
            self._start_stream()
            for word in action.text.split(" ")[: action.pieces]:
                self._event(_chunk(model, word + " "))
            self.close_connection = True
        else:
            self._stream_reply(action, model, request)

    def _stream_reply(self, action: Reply, model: str, request: dict[str, Any]) -> None:
        self._start_stream()
        words = action.text.split(" ") if action.text else []
        for i, word in enumerate(words):
            if action.delay and fake_wait(self.server.fake, action.delay):
                return
            self._event(_chunk(model, word if i == len(words) - 1 else word + " "))
        self._event(_chunk(model, None, "stop" if action.finish else None))
        wants_usage = (request.get("stream_options") or {}).get("include_usage")
        if action.usage and wants_usage:
            usage = {"prompt_tokens": 11, "completion_tokens": len(words), "total_tokens": 11 + len(words)}
            self._event({**_chunk(model, None), "choices": [], "usage": usage})
        self._write(b"data: [DONE]\n\n")
        self._write(b"")

    def _send(self, code: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(code)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _event(self, data: dict[str, Any]) -> None:
        self._write(b"data: " + json.dumps(data).encode() + b"\n\n")

    def _write(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


def fake_wait(fake: "FakeServer", seconds: float) -> bool:
    """Sleep `seconds`; True when the server is stopping meanwhile."""
    return fake.stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: "FakeServer"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (the point of several tests) is not an error; anything else is kept."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            self.fake.errors.append(error)


class FakeServer:
    """Serves the scripted actions in order, then `default` (a plain reply) for every further request."""

    def __init__(self, default: Action | None = None, port: int = 0) -> None:
        self.default: Action = default or Reply("Hello there friend")
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.stopping = threading.Event()
        self.errors: list[BaseException | None] = []
        """Exceptions the handler raised, other than clients hanging up."""
        self._queue: list[Action] = []
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def attempts(self) -> int:
        """Chat completion requests received so far."""
        return sum(1 for path, _ in self.requests if path.endswith("/chat/completions"))

    def script(self, *actions: Action) -> "FakeServer":
        with self._lock:
            self._queue.extend(actions)
        return self

    def record(self, path: str, request: dict[str, Any]) -> Action:
        with self._lock:
            self.requests.append((path, request))
            return self._queue.pop(0) if self._queue else self.default

    def __enter__(self) -> "FakeServer":
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
