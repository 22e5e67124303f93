"""The real llama-cpp-python server that the `integration` tests talk to.

`scripts/integration.sh` (`make integration`) starts the server and passes its URL in
`TOKENPROBS_LLAMA_CPP_URL` (e.g. `http://127.0.0.1:40123/v1`). Without that variable the
integration tests skip on a developer's machine, and fail in CI (`CI` set), where a server that
cannot be started is an error, never a skip.
"""

from __future__ import annotations

import importlib.util
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import openai
import pytest
from tests._unavailable import unavailable

# The playground's browser test needs the [playground] extra; the run without extras (make
# test-openai2) deselects integration tests but must not fail importing uvicorn to collect them.
collect_ignore = [] if importlib.util.find_spec("uvicorn") else ["test_playground_browser.py"]

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

URL_VARIABLE = "TOKENPROBS_LLAMA_CPP_URL"
MODEL = "tiny"
"""The alias the script gives the model (`--model_alias tiny`)."""
TOLERANCE = 1e-5
"""How far two logprobs of the same position may differ between requests (the server reuses a
cached prompt prefix, which changes the batch shape: differences up to ~5e-7 were seen)."""


@dataclass(frozen=True)
class Reply:
    """A raw HTTP answer from the server: status, body bytes, and the body as JSON when it is."""

    status: int
    body: bytes

    def json(self) -> dict[str, object]:
        """The body decoded as a JSON object."""
        value = json.loads(self.body)
        assert isinstance(value, dict)
        return value

    def events(self) -> list[dict[str, object]]:
        """The `data:` events of an SSE body, decoded, without the final `[DONE]`."""
        lines = self.body.decode().splitlines()
        data = [line.removeprefix("data: ") for line in lines if line.startswith("data: ")]
        assert data[-1] == "[DONE]", "the stream must end with data: [DONE]"
        return [json.loads(d) for d in data[:-1]]


@dataclass(frozen=True)
class Server:
    """The running server: its base URL (ending in `/v1`) and a raw POST that bypasses the SDK."""

    base_url: str
    log: str | None

    def post(self, path: str, body: dict[str, object] | bytes) -> Reply:
        """POST `body` (JSON-encoded unless already bytes) to `path`; never raises on a status."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is our own loopback server
            self.base_url + path,
            data=data,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return Reply(response.status, response.read())
        except urllib.error.HTTPError as error:
            with error:
                return Reply(error.code, error.read())

    def get(self, path: str) -> Reply:
        """GET `path`."""
        with urllib.request.urlopen(self.base_url + path, timeout=10) as response:  # noqa: S310
            return Reply(response.status, response.read())

    def log_lines(self) -> list[str]:
        """The server's log so far (uvicorn's access log has one line per request)."""
        if self.log is None:
            why = "the server log is unknown (TOKENPROBS_LLAMA_CPP_LOG is not set)"
            unavailable(why, ci="CI runs make integration, which sets it")
        with open(self.log, encoding="utf-8", errors="replace") as f:  # noqa: PTH123
            return f.read().splitlines()


NO_DISTRIBUTION = (
    "error:.*not the logprobs of a probability distribution:tokenprobs.exceptions.TokenprobsWarning"
)
"""A real engine's answer whose values are no distribution fails the test (pyproject.toml lets the
unit tests' hand-made values through)."""

NOT_CAPPED = "error:top_logprobs=\\d+ was asked:tokenprobs.exceptions.TokenprobsWarning"
"""A real engine that returns fewer alternatives than asked fails the test (pyproject.toml lets
the unit tests' mocked answers through)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests below this folder run with `NO_DISTRIBUTION` and `NOT_CAPPED` as errors."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.filterwarnings(NO_DISTRIBUTION, NOT_CAPPED))


@pytest.fixture(scope="session")
def server() -> Server:
    """The server started by `make integration`; fail in CI, skip elsewhere, when there is none."""
    url = os.environ.get(URL_VARIABLE)
    if not url:
        why = f"{URL_VARIABLE} is not set: run `make integration`, which starts the server"
        unavailable(why, ci="CI needs the real server")
    found = Server(url.rstrip("/"), os.environ.get("TOKENPROBS_LLAMA_CPP_LOG"))
    try:
        models = found.get("/models").json()
    except (OSError, ValueError) as error:
        pytest.fail(f"the server at {url} does not answer GET /models: {error}")
    ids = [m["id"] for m in models["data"]]  # type: ignore[index, union-attr]
    assert MODEL in ids, f"the server serves {ids}, not {MODEL!r}"
    return found


@pytest.fixture
def client(server: Server) -> Iterator[openai.OpenAI]:
    """An SDK client pointed at the server (no SDK retries: tokenprobs owns the retry layer)."""
    with openai.OpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0) as c:
        yield c


@pytest.fixture
async def async_client(server: Server) -> AsyncIterator[openai.AsyncOpenAI]:
    """An async SDK client pointed at the server."""
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0) as c:
        yield c
