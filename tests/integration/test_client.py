"""`get_token_distribution` and friends, end to end: guards, the SDK call, retries, parsing."""

from __future__ import annotations

import importlib
import threading

import numpy as np
import openai
import pytest

import tokenprobs as tp

pytestmark = pytest.mark.integration

TOLERANCE = 1e-5
GREEDY = {"temperature": 0, "seed": 1, "extra_body": {"repeat_penalty": 1.0}}
"""Greedy decoding (argmax: the server's default `repeat_penalty` of 1.1 turned off)."""
PROMPTS = [f"Tell me about the {w}" for w in ("cat", "dog", "sun", "moon", "sea", "sky")] * 2


def assert_same(a, b):
    """The same tokens and alternatives, and logprobs equal within the tolerance."""
    assert a.tokens == b.tokens
    assert a.top_tokens == b.top_tokens
    np.testing.assert_allclose(a.logprobs, b.logprobs, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(a.top_logprobs, b.top_logprobs, rtol=0, atol=TOLERANCE)


class Counter:
    """Counts the requests an SDK client sends, and the most that were in flight at once."""

    def __init__(self) -> None:
        """Nothing sent yet."""
        self.sent = 0
        self.in_flight = 0
        self.peak = 0
        self._lock = threading.Lock()

    def request(self, request: object) -> None:
        """Event hook: a request goes out."""
        del request
        with self._lock:
            self.sent += 1
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)

    def response(self, response: object) -> None:
        """Event hook: its response headers came back."""
        del response
        with self._lock:
            self.in_flight -= 1


@pytest.fixture
def counted(server):
    """An SDK client whose requests are counted at the transport."""
    counter = Counter()
    # openai 3.x speaks httpx2, openai 2.x httpx: hook the one the installed SDK uses
    name = "httpx2" if int(openai.__version__.split(".")[0]) >= 3 else "httpx"
    http = importlib.import_module(name).Client(
        event_hooks={"request": [counter.request], "response": [counter.response]}
    )
    with openai.OpenAI(
        base_url=server.base_url, api_key="sk-local", max_retries=0, http_client=http
    ) as c:
        yield c, counter


def test_chat_distribution_with_a_compatible_client(client):
    """`get_token_distribution(client=OpenAI(base_url=...))` parses the real server's answer."""
    d = tp.get_token_distribution("Say hello", model="tiny", client=client, max_tokens=6, **GREEDY)
    direct = tp.parse(
        client.chat.completions.create(
            model="tiny",
            messages=[{"role": "user", "content": "Say hello"}],
            max_tokens=6,
            **GREEDY,
            logprobs=True,
            top_logprobs=5,
        )
    )
    assert isinstance(d, tp.TokenDistribution)
    assert len(d) == 6
    assert d.top_logprobs.shape == (6, 5)
    assert d.tokens == direct.tokens
    assert np.all(d.bytes_derived)


def test_legacy_completions_distribution(client):
    """`endpoint="completions"` sends `logprobs=k` and parses the legacy shape."""
    d = tp.get_token_distribution(
        "The cat", model="tiny", client=client, endpoint="completions", max_tokens=4, **GREEDY
    )
    assert d.source == "completions"
    assert d.top_logprobs.shape == (4, 5)


@pytest.mark.parametrize("endpoint", ["chat.completions", "completions"])
@pytest.mark.parametrize("k", [0, 1, 5, 20])
def test_streamed_equals_non_streamed(client, endpoint, k):
    """The same distribution whether streamed or not, for every k (logprobs within 1e-5)."""
    kwargs = {"model": "tiny", "client": client, "endpoint": endpoint, "max_tokens": 5} | GREEDY
    whole = tp.get_token_distribution("Say hello", top_logprobs=k, **kwargs)
    with tp.get_token_distribution("Say hello", top_logprobs=k, stream=True, **kwargs) as s:
        updates = list(s)
        streamed = s.until_done()
    assert updates, "a stream yields updates as tokens arrive"
    assert_same(whole, streamed)
    assert [len(t) for t in whole.top_tokens] == [max(k, 1)] * 5, "k = 0 still gives the token"


def test_top_logprobs_above_20_passes_the_llama_cpp_profile(client):
    """No upper limit on llama.cpp: the profile does not refuse 25, and 25 come back."""
    d = tp.get_token_distribution(
        "Say hello",
        model="tiny",
        client=client,
        top_logprobs=25,
        max_tokens=2,
        profile="llama.cpp",
        **GREEDY,
    )
    assert [len(t) for t in d.top_tokens] == [25, 25]


def test_missing_logprobs_says_to_pass_top_logprobs(client):
    """Without `top_logprobs` the server returns no logprobs: the guard warns, the error says."""
    with (
        pytest.warns(tp.GuardWarning, match="top_logprobs"),
        pytest.raises(tp.MissingLogprobsError, match="top_logprobs") as caught,
    ):
        tp.get_token_distribution(
            "Say hello", model="tiny", client=client, top_logprobs=None, profile="llama.cpp"
        )
    assert "llama.cpp" in str(caught.value)


def test_deterministic_500_is_not_hammered(counted):
    """A validation error answered as HTTP 500 is retried a capped number of times, then raised."""
    client, counter = counted
    policy = tp.RetryPolicy(max_attempts=10, initial_wait=0.01, max_wait=0.02)
    with pytest.raises(openai.InternalServerError) as caught:
        tp.get_token_distribution(
            "Say hello",
            model="tiny",
            client=client,
            max_tokens=2,
            retry=policy,
            guards="off",  # the llama.cpp profile would refuse it first (see the next test)
            extra_body={"top_logprobs": -1},
        )
    assert caught.value.status_code == 500
    assert 1 <= counter.sent <= 3, f"{counter.sent} requests for one deterministic error"
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert "deterministic" in notes


def test_server_500_validation_error_is_refused_locally(counted):
    """With the llama.cpp profile, the same request is refused before any I/O, as a 500."""
    client, counter = counted
    with pytest.raises(openai.InternalServerError) as caught:
        tp.get_token_distribution(
            "Say hello",
            model="tiny",
            client=client,
            max_tokens=2,
            profile="llama.cpp",
            extra_body={"top_logprobs": -1},
        )
    assert isinstance(caught.value, tp.GuardError)
    assert "greater_than_equal" in str(caught.value)
    assert counter.sent == 0


def test_many_prompts_with_bounded_concurrency(counted):
    """`get_token_distributions` keeps at most `concurrency` requests in flight, in order."""
    client, counter = counted
    results = tp.get_token_distributions(
        PROMPTS, model="tiny", client=client, concurrency=3, progress=False, max_tokens=3, **GREEDY
    )
    assert len(results) == len(PROMPTS)
    assert all(isinstance(r, tp.TokenDistribution) for r in results)
    assert counter.sent == len(PROMPTS)
    assert 1 <= counter.peak <= 3
    for prompt, got in zip(PROMPTS[:3], results[:3], strict=True):
        one = tp.get_token_distribution(prompt, model="tiny", client=client, max_tokens=3, **GREEDY)
        assert_same(got, one)
    assert results[0].tokens == results[6].tokens, "the same prompt twice, the same answer"


async def test_async_twin_gives_the_same_distribution(client, async_client):
    """`aget_token_distribution` against the real server equals the sync call."""
    sync = tp.get_token_distribution(
        "Say hello", model="tiny", client=client, max_tokens=4, **GREEDY
    )
    got = await tp.aget_token_distribution(
        "Say hello", model="tiny", client=async_client, max_tokens=4, **GREEDY
    )
    assert_same(sync, got)
