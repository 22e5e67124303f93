"""Shared fixtures: a respx router that serves real SDK clients of either openai major.

respx mocks `httpx` only, while openai 3.x speaks `httpx2`. On 3.x the clients below get a small
`httpx2` transport that converts each request to an `httpx.Request`, resolves it through the respx
router (so routes, side effects, `route.call_count` and `router.calls` all work as usual) and
converts the `httpx.Response` back, body included (SSE streams are served from the full body).
On 2.x the clients get `httpx.MockTransport(router.handler)`. Either way the real SDK runs, with
its own request building, response parsing, streaming and error mapping.

Fixtures and helpers:

- `api`: a `respx.MockRouter(base_url="https://api.openai.com/v1", assert_all_called=False)`,
  started for the test (on 2.x it also catches any other `httpx` client). Add routes as usual:
  `api.post("/chat/completions").respond(200, json=...)`.
- `openai_client` / `async_openai_client`: `openai.OpenAI` / `openai.AsyncOpenAI` served by `api`,
  with `max_retries=0`.
- `make_client`: a factory fixture, `make_client(router, *, base_url=..., async_=False, **kwargs)`,
  for any router, base URL (e.g. a compatible server's) or client option; `kwargs` go to the
  client's constructor (`api_key` and `max_retries=0` are defaulted). The caller closes it.
- `OPENAI_MAJOR`: the installed SDK's major version (2 or 3).
"""

from __future__ import annotations

import httpx
import openai
import pytest
import respx
from hypothesis import settings

# Speed is measured by bench/, not by tests: a property test on a loaded 2-core machine may take
# longer than hypothesis' default 200 ms deadline per example without anything being wrong.
settings.register_profile("tokenprobs", deadline=None)
settings.load_profile("tokenprobs")

OPENAI_BASE_URL = "https://api.openai.com/v1"
OPENAI_MAJOR = int(openai.__version__.split(".", 1)[0])


def _to_httpx(request):  # httpx2.Request -> httpx.Request
    return httpx.Request(
        request.method, str(request.url), headers=request.headers.raw, content=request.content
    )


if OPENAI_MAJOR >= 3:
    import httpx2

    def _from_httpx(response, request):  # httpx.Response (already read) -> httpx2.Response
        return httpx2.Response(
            response.status_code,
            headers=response.headers.raw,
            content=response.content,
            request=request,
        )

    class RespxBridge(httpx2.BaseTransport):
        """An httpx2 transport answering from a respx router."""

        def __init__(self, router: respx.MockRouter) -> None:
            """Serve `router`'s routes."""
            self.router = router

        def handle_request(self, request):
            """Resolve the request through the router."""
            response = self.router.handler(_to_httpx(request))
            response.read()
            return _from_httpx(response, request)

    class AsyncRespxBridge(httpx2.AsyncBaseTransport):
        """The async twin of `RespxBridge` (async side effects are awaited)."""

        def __init__(self, router: respx.MockRouter) -> None:
            """Serve `router`'s routes."""
            self.router = router

        async def handle_async_request(self, request):
            """Resolve the request through the router."""
            await request.aread()
            response = await self.router.async_handler(_to_httpx(request))
            await response.aread()
            return _from_httpx(response, request)


def build_client(router, *, base_url=OPENAI_BASE_URL, async_=False, **kwargs):
    """A real `OpenAI` (or `AsyncOpenAI`) client whose HTTP is answered by `router`."""
    kwargs.setdefault("api_key", "sk-test-0000")
    kwargs.setdefault("max_retries", 0)
    if OPENAI_MAJOR >= 3:
        transport = AsyncRespxBridge(router) if async_ else RespxBridge(router)
        http_client = (httpx2.AsyncClient if async_ else httpx2.Client)(transport=transport)
    else:
        handler = router.async_handler if async_ else router.handler
        transport = httpx.MockTransport(handler)
        http_client = (httpx.AsyncClient if async_ else httpx.Client)(transport=transport)
    cls = openai.AsyncOpenAI if async_ else openai.OpenAI
    return cls(base_url=base_url, http_client=http_client, **kwargs)


@pytest.fixture
def api():
    """A started respx router for api.openai.com/v1 (unused routes are allowed)."""
    with respx.mock(base_url=OPENAI_BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def openai_client(api):
    """A real sync `openai.OpenAI` client served by the `api` router."""
    client = build_client(api)
    yield client
    client.close()


@pytest.fixture
async def async_openai_client(api):
    """A real `openai.AsyncOpenAI` client served by the `api` router."""
    client = build_client(api, async_=True)
    yield client
    await client.close()


@pytest.fixture
def make_client():
    """The client factory: `make_client(router, *, base_url=..., async_=False, **kwargs)`."""
    return build_client
