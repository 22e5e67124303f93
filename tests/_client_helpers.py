"""Helpers shared by the client tests: SDK-major-neutral errors, fixtures, clients.

Imported as `tests._client_helpers`. The respx bridge here is a copy of the one in conftest.py
(kept separate so these tests build Azure and compatible-server clients with their own options).
"""

from __future__ import annotations

import httpx
import openai
from tests._recorded import RECORDED

__all__ = [
    "FIXTURES",
    "MODEL",
    "OPENAI_MAJOR",
    "client_for",
    "connect_error",
    "http_client",
    "read_fixture",
    "timeout_error",
]

OPENAI_MAJOR = int(openai.__version__.split(".", 1)[0])
FIXTURES = RECORDED
"""The recorded responses, copied into the repository (`tests/fixtures/recorded/`)."""

MODEL = "gpt-4o-mini"


def read_fixture(name: str) -> str:
    """The text of a recorded fixture."""
    return (FIXTURES / name).read_text(encoding="utf-8")


def _httpx2():
    import httpx2  # noqa: PLC0415 - only on openai 3.x

    return httpx2


def timeout_error() -> Exception:
    """A read timeout from the HTTP library the installed SDK speaks (httpx2 on 3.x)."""
    lib = _httpx2() if OPENAI_MAJOR >= 3 else httpx
    return lib.ReadTimeout("timed out")


def connect_error() -> Exception:
    """A connection error from the HTTP library the installed SDK speaks."""
    lib = _httpx2() if OPENAI_MAJOR >= 3 else httpx
    return lib.ConnectError("refused")


def remote_protocol_error() -> Exception:
    """A connection closed mid-body, from the HTTP library the installed SDK speaks."""
    lib = _httpx2() if OPENAI_MAJOR >= 3 else httpx
    return lib.RemoteProtocolError("peer closed connection without sending complete message body")


def http_client(router, *, async_=False):
    """An HTTP client of the installed SDK's library, answered by a respx `router`."""
    if OPENAI_MAJOR < 3:
        handler = router.async_handler if async_ else router.handler
        cls = httpx.AsyncClient if async_ else httpx.Client
        return cls(transport=httpx.MockTransport(handler))
    httpx2 = _httpx2()

    def convert(response, request):
        return httpx2.Response(
            response.status_code,
            headers=response.headers.raw,
            content=response.content,
            request=request,
        )

    def to_httpx(request):
        return httpx.Request(
            request.method, str(request.url), headers=request.headers.raw, content=request.content
        )

    class Bridge(httpx2.BaseTransport):
        def handle_request(self, request):
            request.read()  # a multipart upload (files.create) arrives as a stream
            response = router.handler(to_httpx(request))
            response.read()
            return convert(response, request)

    class AsyncBridge(httpx2.AsyncBaseTransport):
        async def handle_async_request(self, request):
            await request.aread()
            response = await router.async_handler(to_httpx(request))
            await response.aread()
            return convert(response, request)

    if async_:
        return httpx2.AsyncClient(transport=AsyncBridge())
    return httpx2.Client(transport=Bridge())


def client_for(router, *, base_url="https://api.openai.com/v1", async_=False, **kwargs):
    """A real `OpenAI` / `AsyncOpenAI` client whose HTTP is answered by `router`."""
    kwargs.setdefault("api_key", "sk-test-0000")
    kwargs.setdefault("max_retries", 0)
    cls = openai.AsyncOpenAI if async_ else openai.OpenAI
    return cls(base_url=base_url, http_client=http_client(router, async_=async_), **kwargs)
