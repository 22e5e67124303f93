"""A loopback HTTP server that answers like an OpenAI-compatible API (or Ollama's native one).

The frameworks are called for real: they build their request, send it over a socket to this
server, and read the answer with their own client code (httpx, httpx2, aiohttp: whichever they
use), so the objects they hand back are the ones a user gets. The server replies to every POST
with the next queued body (JSON, SSE text for a stream, NDJSON lines for an Ollama stream) and
records each request's path and JSON body, so a test can also check what the framework asked
for.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One queued answer: a status, a content type and the body bytes."""

    body: bytes
    content_type: str = "application/json"
    status: int = 200


@dataclass
class Recorded:
    """One request the server received."""

    path: str
    body: dict[str, Any]


@dataclass
class Loopback:
    """The running server: `base_url` to give the framework, `reply()` to queue an answer."""

    base_url: str
    replies: list[Reply] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reply(self, body: dict[str, Any] | str, *, status: int = 200) -> None:
        """Queue a JSON body (a dict) or an SSE stream (a str) for the next request."""
        if isinstance(body, str):
            self.replies.append(Reply(body.encode("utf-8"), "text/event-stream", status))
        else:
            self.replies.append(Reply(json.dumps(body).encode("utf-8"), status=status))

    def reply_ndjson(self, lines: list[dict[str, Any]]) -> None:
        """Queue a stream of Ollama's native API: one JSON object a line."""
        body = "".join(json.dumps(line) + "\n" for line in lines).encode("utf-8")
        self.replies.append(Reply(body, "application/x-ndjson"))

    @property
    def root(self) -> str:
        """The server's address without `/v1`, as Ollama's native API is addressed."""
        return self.base_url.removesuffix("/v1")

    def next_reply(self, path: str, body: dict[str, Any]) -> Reply:
        """Record the request and pop the answer queued for it."""
        if path == "/api/show":  # LiteLLM's Ollama providers ask for model info on the side
            return Reply(b'{"error": "model not found"}', status=404)
        with self.lock:
            self.requests.append(Recorded(path, body))
            if not self.replies:
                msg = {"error": {"message": f"no reply queued for {path}", "type": "test"}}
                return Reply(json.dumps(msg).encode(), status=500)
            return self.replies.pop(0)


def _handler(server: Loopback) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else {}
            reply = server.next_reply(self.path, body)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format, *args) -> None:  # noqa: A002 - the stdlib's name
            """Keep the test output quiet."""

    return Handler


def start() -> tuple[Loopback, ThreadingHTTPServer]:
    """Start a server on a free loopback port, in a daemon thread."""
    loop = Loopback(base_url="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(loop))
    httpd.daemon_threads = True
    loop.base_url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return loop, httpd
