import importlib.util

import pytest

KEY = "sk-proj-CANARY-playground-5d2c9b1e7a3f4e6d8c0b2a4f6e8d0c2b4a6f8e0d"

# The app's tests need the [playground] extra; the run without extras (make test-openai2)
# deselects them by their `extras` mark, and must not fail importing Starlette to collect them.
collect_ignore = (
    []
    if importlib.util.find_spec("starlette")
    else [
        "test_app.py",
        "stub.py",
        "test_prefill.py",
        "test_compare.py",
        "test_requests.py",
        "test_streaming.py",
        "test_restart.py",
        "test_page.py",
        "test_hostile_answers.py",
    ]
)


@pytest.fixture
def stub():
    """The stub server, served by uvicorn on a free port."""
    from tests.playground.stub import Served, Stub  # noqa: PLC0415 - needs the extra

    s = Stub()
    with Served(s.app()) as served:
        s.url = served.url + "/v1"
        yield s


@pytest.fixture
def upstream(stub, monkeypatch):
    """The stub as the playground's server, with a canary key from the environment."""
    from tokenprobs.playground import Upstream  # noqa: PLC0415 - needs the extra

    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    return Upstream.from_env(stub.url)


@pytest.fixture
def page(upstream):
    """The playground app, driven the way its page drives it (Host 127.0.0.1)."""
    from starlette.testclient import TestClient  # noqa: PLC0415 - needs the extra

    from tokenprobs.playground import create_app  # noqa: PLC0415

    with TestClient(create_app(upstream, model="stub"), base_url="http://127.0.0.1:8765") as c:
        yield c
