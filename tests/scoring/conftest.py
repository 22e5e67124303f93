"""The fixtures of the scoring tests: a respx-mocked local server and a real SDK client of it."""

from __future__ import annotations

import pytest
import respx
from tests._client_helpers import client_for

LOCAL = "http://127.0.0.1:8000/v1"


@pytest.fixture
def local():
    """A respx router for a local OpenAI-compatible server."""
    with respx.mock(base_url=LOCAL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def client(local):
    """A real `openai.OpenAI` client of the local server."""
    c = client_for(local, base_url=LOCAL)
    yield c
    c.close()
