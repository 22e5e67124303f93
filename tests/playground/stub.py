"""A stub OpenAI-compatible server for the playground's tests, served for real by uvicorn.

It streams legacy completions and chat answers built with `tokenprobs.testing`, records every
request (body and headers), and behaves by model name:

- `"echo-key"`: answers 401 with the request's whole bearer key in the message (a server that
  echoes it), to prove the playground never lets a key through;
- `"broken"`: one token, then a line that is not JSON (a stream that breaks mid-way);
- `"cut"`: two tokens, then the stream ends: no finish reason, no `[DONE]` (llama-cpp-python's
  server does so when it fails mid-answer, as on an empty prompt);
- `"big"`: 4,096 tokens with 20 alternatives each, as fast as it can (the responsiveness test);
- `"long"`: tokens too long for a line (`LONG`: 2,000 characters, 300 newlines, a bidi override);
- any other model: a short answer with hostile tokens (`<script>`, `"onerror=`) whose first token
  repeats the prompt's last word, so a branch's continuation shows what it was sent.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tokenprobs.testing import chat_chunks, completion_chunks

if TYPE_CHECKING:
    from starlette.requests import Request

HOSTILE = [
    ("Hello", -0.05, [("Hello", -0.05), ("Hi", -3.2), ("<script>", -4.0)]),
    (
        " <script>document.title='pwned'</script>",
        -1.2,
        [
            (" <script>document.title='pwned'</script>", -1.2),
            (" world", -0.6),
            ('"onerror=alert(1) x="', -2.5),
        ],
    ),
    (' "onerror=', -0.9, [(' "onerror=', -0.9), (" <img src=x onerror=alert(1)>", -1.0)]),
    (" done", -0.2, [(" done", -0.2), (" over", -2.1)]),
]
"""The default answer: every token and alternative is one a page must escape."""

BIDI = "\u202eevil\u202c"
"""A right-to-left override: obeyed, it would reverse the text after it."""
LONG = [
    ("Hello", -0.1, [("Hello", -0.1), ("x" * 2000, -3.0), ("\n" * 300, -3.5)]),
    (" a", -0.2, [(" a", -0.2), (" " * 400, -2.0), (BIDI, -2.5), ("\u200b\u200d\ufeff", -3.0)]),
    ("x" * 2000, -1.0, [("x" * 2000, -1.0), (" b", -2.0)]),
    (BIDI, -1.0, [(BIDI, -1.0), ("\u200b", -2.0)]),
    ("\n" * 300, -1.0, [("\n" * 300, -1.0), (" c", -2.0)]),
    (" end", -0.5, [(" end", -0.5), ("</span><img src=x onerror=alert(1)>", -1.0)]),
]
"""The `"long"` answer: tokens and alternatives no popup line can hold whole."""


def big_positions(n: int = 4096, k: int = 20) -> list[Any]:
    """`n` positions with `k` alternatives each (seeded)."""
    rng = np.random.default_rng(0)
    lps = np.sort(np.log(rng.dirichlet(np.full(k + 5, 0.3), size=n))[:, :k], axis=1)[:, ::-1]
    words = [" the", " of", " token", " café", " Straße", "\n", " naïve", " <b>"]
    return [
        (
            words[i % len(words)],
            float(lps[i, 0]),
            [(words[i % len(words)], float(lps[i, 0]))]
            + [(f" w{j}", float(lps[i, j])) for j in range(1, k)],
        )
        for i in range(n)
    ]


_ENDS = {"broken": b"data: {not json\n\n", "cut": b""}
"""How a stream ends, by model (else `data: [DONE]`)."""


@dataclass
class Stub:
    """The stub server: its URL once started, what it was sent, when it sent a first chunk."""

    delay: float = 0.0
    """Seconds between two chunks of a stream."""
    requests: list[dict[str, Any]] = field(default_factory=list)
    first_sent: list[float] = field(default_factory=list)
    """Per streamed answer, the wall-clock time (`time.time()`) its first token chunk was sent."""
    url: str = ""

    def positions(self, body: dict[str, Any]) -> list[Any]:
        """The answer to a request (see the module docstring)."""
        if body.get("model") == "big":
            return big_positions()
        if body.get("model") == "long":
            return LONG
        prompt = body.get("prompt") or ""
        last = prompt.split()[-1] if prompt.split() else "Hello"
        first = (" " + last, -0.3, [(" " + last, -0.3), (" maybe", -1.5)])
        return [first, *HOSTILE[1:]] if body.get("prompt") and "branch" in prompt else HOSTILE

    def app(self) -> Starlette:
        """The stub as an ASGI app."""

        async def completions(request: Request) -> Response:
            body = await request.json()
            self.requests.append(
                {"path": request.url.path, "body": body, "headers": dict(request.headers)}
            )
            if body.get("model") == "echo-key":
                key = request.headers.get("authorization", "").removeprefix("Bearer ")
                error = {
                    "message": f"Incorrect API key provided: {key}.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
                return JSONResponse({"error": error}, status_code=401)
            positions = self.positions(body)
            k = body.get("logprobs", body.get("top_logprobs", 5)) or 0
            if body.get("model") == "capped":  # a server that sends one alternative, whatever k
                k = min(k, 1)
            positions = [(t, lp, alts[:k]) for t, lp, alts in positions]
            limit = body.get("max_tokens") or len(positions)
            positions = positions[:limit]
            if request.url.path.endswith("/chat/completions"):
                chunks = chat_chunks(positions, model=body["model"])
            else:
                chunks = completion_chunks(positions, model=body["model"])
            if body.get("model") in {"broken", "cut"}:
                chunks = chunks[: 1 if body["model"] == "broken" else 2]
            events = self._events(chunks, end=_ENDS.get(body.get("model"), b"data: [DONE]\n\n"))
            return StreamingResponse(events, media_type="text/event-stream")

        async def models(_: Request) -> Response:
            return JSONResponse({"object": "list", "data": [{"id": "stub", "object": "model"}]})

        return Starlette(
            routes=[
                Route("/v1/completions", completions, methods=["POST"]),
                Route("/v1/chat/completions", completions, methods=["POST"]),
                Route("/v1/models", models),
            ]
        )

    async def _events(self, chunks: list[dict[str, Any]], *, end: bytes):
        first = True
        for chunk in chunks:
            data = f"data: {json.dumps(chunk)}\n\n".encode()
            has_token = any(
                c.get("logprobs") or c.get("text") or (c.get("delta") or {}).get("content")
                for c in chunk.get("choices", [])
            )
            if first and has_token:
                self.first_sent.append(time.time())
                first = False
            yield data
            if self.delay:
                await asyncio.sleep(self.delay)
        if end:
            yield end


class Served:
    """An ASGI app served by uvicorn on 127.0.0.1 in a thread (a real HTTP server)."""

    def __init__(self, app: Any) -> None:
        """Bind a free port (served from `__enter__`)."""
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> Self:
        """Start serving; wait until uvicorn listens."""
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                msg = "the stub server did not start in 10 s"
                raise RuntimeError(msg)
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop serving."""
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
