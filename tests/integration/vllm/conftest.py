"""The vLLM server that `make integration-vllm` starts (`TOKENPROBS_VLLM_URL`); skip without it.

Not part of CI: `scripts/integration.sh` leaves this folder out, and `make test` deselects the
`integration` mark.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

import openai
import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

URL_VARIABLE = "TOKENPROBS_VLLM_URL"


@pytest.fixture(scope="session")
def vllm_url() -> str:
    """The base URL of the running vLLM server (ending in `/v1`)."""
    url = os.environ.get(URL_VARIABLE)
    if not url:
        pytest.skip(f"{URL_VARIABLE} is not set: run `make integration-vllm`")
    return url.rstrip("/")


@pytest.fixture
def vllm_client(vllm_url: str) -> Iterator[openai.OpenAI]:
    """An SDK client pointed at the vLLM server."""
    with openai.OpenAI(base_url=vllm_url, api_key="sk-local", max_retries=0) as c:
        yield c


@pytest.fixture(scope="session")
def post(vllm_url: str):
    """POST a JSON body; returns (status, body bytes), an HTTP error being an answer too."""

    def send(path: str, body: dict[str, object]) -> tuple[int, bytes]:
        request = urllib.request.Request(  # noqa: S310 - our own loopback server
            vllm_url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read()

    return send
