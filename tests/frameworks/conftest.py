"""The framework tests: each framework really installed, really called, against a loopback server.

They run in `.venv-frameworks` (`make test-frameworks`, which sets
`TOKENPROBS_FRAMEWORKS=required` so that a framework missing there fails the run instead of
being skipped); the other runs deselect them by marker (`-m "not frameworks"`), and there a module
whose framework is not installed is not even collected.
"""

from __future__ import annotations

import gc
import importlib.util
import os
from pathlib import Path

import pytest
from tests.frameworks import _server

# LiteLLM and DSPy fetch a model price map from the network when first used; the local copy
# they ship is what the tests use.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

_ALL = ("langchain_openai", "litellm", "pydantic_ai", "dspy", "langchain_ollama", "google.genai")
_NEEDS = {
    "test_langchain.py": ("langchain_openai",),
    "test_langchain_completions.py": ("langchain_openai",),
    "test_litellm.py": ("litellm",),
    "test_pydantic_ai.py": ("pydantic_ai", "google.genai"),
    "test_dspy.py": ("dspy",),
    "test_ollama.py": ("langchain_ollama", "ollama", "litellm"),
    "test_gemini.py": ("google.genai",),
    "test_integrations_page.py": _ALL,
    "test_detection.py": _ALL,
}


def _installed(module: str) -> bool:
    """Whether `module` can be imported (`google.genai` without `google` is not)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


collect_ignore = (
    []
    if os.environ.get("TOKENPROBS_FRAMEWORKS") == "required"
    else [name for name, modules in _NEEDS.items() if not all(map(_installed, modules))]
)


# Warnings the frameworks raise about themselves, on import or first use (not about our code)
_THEIRS = [
    r"ignore:Item.* on TypedDict class .* using the `ReadOnly` qualifier:UserWarning",
    # LiteLLM's logging dumps its Responses usage with a type pydantic warns about
    r"ignore:Pydantic serializer warnings:UserWarning",
    # LiteLLM's stream, as ChatLiteLLM drives it, reads pydantic attributes the deprecated way
    r"ignore:Accessing the 'model_(computed_)?fields' attribute on the instance:DeprecationWarning",
    # LiteLLM's sync streaming leaves an event loop and its sockets for the garbage collector
    r"ignore:unclosed:ResourceWarning",
    r"ignore:Exception ignored in:pytest.PytestUnraisableExceptionWarning",
    # google-genai's async client (pydantic-ai's GoogleModel) subclasses aiohttp's ClientSession
    r"ignore:Inheritance class AiohttpClientSession from ClientSession:DeprecationWarning",
]


def pytest_collection_modifyitems(items):
    """Every test in this folder is a `frameworks` test; the frameworks' own warnings pass."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.frameworks)
            for rule in _THEIRS:
                item.add_marker(pytest.mark.filterwarnings(rule))


@pytest.fixture(scope="module")
def server():
    """A loopback OpenAI-compatible server, its `base_url`, its queue of replies.

    At the module's end, what a framework left for the garbage collector is collected while the
    last test's warning filters (`_THEIRS`) still apply, rather than at the end of the session.
    """
    loop, httpd = _server.start()
    yield loop
    httpd.shutdown()
    httpd.server_close()
    gc.collect()


@pytest.fixture(autouse=True)
def _fresh(server):
    """Each test starts with an empty queue and no recorded requests."""
    server.replies.clear()
    server.requests.clear()
