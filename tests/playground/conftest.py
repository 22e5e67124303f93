import pytest
from starlette.testclient import TestClient
from tests.playground.stub import Served, Stub

from tokenprobs.playground import Upstream, create_app

KEY = "sk-proj-CANARY-playground-5d2c9b1e7a3f4e6d8c0b2a4f6e8d0c2b4a6f8e0d"


@pytest.fixture
def stub():
    """The stub server, served by uvicorn on a free port."""
    s = Stub()
    with Served(s.app()) as served:
        s.url = served.url + "/v1"
        yield s


@pytest.fixture
def upstream(stub, monkeypatch):
    """The stub as the playground's server, with a canary key from the environment."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    return Upstream.from_env(stub.url)


@pytest.fixture
def page(upstream):
    """The playground app, driven the way its page drives it (Host 127.0.0.1)."""
    with TestClient(create_app(upstream, model="stub"), base_url="http://127.0.0.1:8765") as c:
        yield c
