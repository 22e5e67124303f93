import asyncio
import io
import json
import random
import re
import threading
import time
from concurrent.futures import CancelledError

import httpx
import openai
import pytest

import tokenprobs as tp
from tokenprobs.client import _many
from tokenprobs.client._many import aget_token_distributions, get_token_distributions
from tokenprobs.client._retry import no_sleep
from tokenprobs.testing import chat_completion

MODEL = "gpt-4o-mini"


class InFlight:
    """Counts requests in flight and remembers the maximum."""

    def __init__(self):
        """Nothing in flight yet."""
        self.now = 0
        self.max = 0
        self.lock = threading.Lock()

    def enter(self):
        """One more request in flight."""
        with self.lock:
            self.now += 1
            self.max = max(self.max, self.now)

    def leave(self):
        """One fewer request in flight."""
        with self.lock:
            self.now -= 1


def prompt_of(request):
    """The user message of a chat request."""
    return json.loads(request.content)["messages"][-1]["content"]


def echo(prompt):
    """A chat completion whose one token is the prompt."""
    return httpx.Response(200, json=chat_completion([(prompt, -0.5, [(prompt, -0.5)])]))


def test_in_flight_never_above_concurrency_and_order_kept(api, openai_client):
    """At most `concurrency` requests in flight; results in input order."""
    flight = InFlight()

    def answer(request):
        flight.enter()
        time.sleep(random.uniform(0.001, 0.02))  # noqa: S311 - shuffles completion order
        flight.leave()
        return echo(prompt_of(request))

    api.post("/chat/completions").side_effect = answer
    prompts = [f"p{i}" for i in range(40)]
    results = get_token_distributions(prompts, model=MODEL, client=openai_client, concurrency=4)
    assert [r.tokens[0] for r in results] == prompts
    assert 1 < flight.max <= 4


def test_one_failing_item_is_reported_in_place(api, openai_client):
    """A prompt that gets HTTP 500 forever is that item's error; the others succeed."""

    def answer(request):
        prompt = prompt_of(request)
        if prompt == "bad":
            return httpx.Response(500, json={"error": {"message": "boom", "type": "server"}})
        return echo(prompt)

    route = api.post("/chat/completions")
    route.side_effect = answer
    with no_sleep():
        results = get_token_distributions(
            ["a", "bad", "c"], model=MODEL, client=openai_client, concurrency=2
        )
    assert isinstance(results[1], openai.InternalServerError)
    assert [results[0].tokens, results[2].tokens] == [["a"], ["c"]]
    assert route.call_count == 2 + 3  # the deterministic 500 is tried three times, not five


def test_a_refusal_every_prompt_shares_is_raised_once_before_any_request(api, openai_client):
    """top_logprobs=21 or a NaN temperature is every prompt's error: raised once, nothing sent.

    It was each prompt's result: a run of 100,000 prompts returned 100,000 copies of it.
    """
    route = api.post("/chat/completions").respond(200, json=chat_completion([("a", -0.1, [])]))
    prompts = ["a", [{"role": "user", "content": "b"}]]
    with pytest.raises(tp.GuardError, match="less than or equal to 20"):
        get_token_distributions(prompts, model="gpt-4o", top_logprobs=21, client=openai_client)
    with pytest.raises(ValueError, match="temperature is nan"):
        get_token_distributions(
            prompts, model="gpt-4o", temperature=float("nan"), client=openai_client
        )
    assert route.call_count == 0


def test_a_bad_prompt_is_its_own_error_in_its_place(api, openai_client):
    """A prompt that is no prompt is that item's error; the others are sent and answered."""
    api.post("/chat/completions").side_effect = lambda request: echo(prompt_of(request))
    results = get_token_distributions(
        ["a", ["not a message"], "c\ud800", "d"], model="gpt-4o", client=openai_client
    )
    assert isinstance(results[1], TypeError)
    assert "messages[0] is a string, not a message" in str(results[1])
    assert isinstance(results[2], ValueError)
    assert "holds '\\ud800'" in str(results[2])
    assert [r.text for r in (results[0], results[3])] == ["a", "d"]


def test_ctrl_c_stops_new_requests_and_returns_what_finished(api, openai_client, monkeypatch):
    """Ctrl-C: no new requests, finished results returned, the rest CancelledError."""
    started = threading.Event()
    release = threading.Event()

    def answer(request):
        prompt = prompt_of(request)
        if prompt == "stop":
            started.set()
            release.wait(5)
        return echo(prompt)

    def ctrl_c_while_waiting(_threads):
        started.wait(5)
        raise KeyboardInterrupt

    monkeypatch.setattr(_many, "_wait_for", ctrl_c_while_waiting)
    route = api.post("/chat/completions")
    route.side_effect = answer
    prompts = ["a", "b", "stop", "d", "e"]
    results = get_token_distributions(prompts, model=MODEL, client=openai_client, concurrency=1)
    release.set()
    assert [r.tokens for r in results[:2]] == [["a"], ["b"]]
    assert all(isinstance(r, CancelledError) for r in results[2:])
    time.sleep(0.3)
    assert route.call_count == 3
    assert isinstance(results[2], CancelledError)  # a late result does not change the list


def test_empty_input(openai_client):
    """No prompts, no requests, an empty list."""
    assert get_token_distributions([], model=MODEL, client=openai_client) == []


def test_bad_options_are_refused(openai_client):
    """`concurrency < 1` and `stream=True` are refused up front."""
    with pytest.raises(ValueError, match="concurrency"):
        get_token_distributions(["a"], model=MODEL, client=openai_client, concurrency=0)
    with pytest.raises(TypeError, match="stream"):
        get_token_distributions(["a"], model=MODEL, client=openai_client, stream=True)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"concurrency": 2.5}, "concurrency must be an integer (requests in flight), got 2.5"),
        ({"concurrency": "8"}, "concurrency must be an integer (requests in flight), got '8'"),
        ({"concurrency": True}, "concurrency must be an integer (requests in flight), got True"),
        ({"prompts": None}, "prompts must be a list of prompts, got None"),
        ({"prompts": 3}, "prompts must be a list of prompts, got an int"),
        (
            {"prompts": {"role": "user", "content": "Hi"}},
            "prompts must be a list of prompts, got one dict (a chat message?): one conversation",
        ),
    ],
)
def test_options_of_the_wrong_type_are_named(api, openai_client, kwargs, message):
    """A wrong type is a TypeError naming the option, and nothing is sent.

    `concurrency=2.5` ran (one prompt: min(2.5, 1)) or failed in `range()`; `None` prompts
    were Python's bare 'not iterable'.
    """
    prompts = kwargs.pop("prompts", ["a", "b"])
    with pytest.raises(TypeError, match=re.escape(message)):
        get_token_distributions(prompts, model=MODEL, client=openai_client, **kwargs)
    assert api.calls.call_count == 0


RUN_WIDE = [
    pytest.param({"model": 5}, TypeError, "model is a model's name, got an int", id="model-int"),
    pytest.param({"model": ""}, ValueError, "model is empty", id="model-empty"),
    pytest.param(
        {"endpoint": "chat"},
        ValueError,
        "endpoint must be one of 'chat.completions', 'responses', 'completions', got 'chat'",
        id="endpoint",
    ),
    pytest.param(
        {"guards": "Strict"},
        ValueError,
        "guards must be one of 'strict', 'warn', 'off', got 'Strict'",
        id="guards",
    ),
]


@pytest.mark.parametrize(("kwargs", "error", "message"), RUN_WIDE)
def test_an_option_of_the_whole_run_is_raised_once(api, openai_client, kwargs, error, message):
    """A wrong model, endpoint or guards is raised before any prompt, naming the argument.

    Was: returned as every prompt's result (10,000 copies for 10,000 prompts, the bar
    running), and a bad guards= said "mode must be one of", an argument the caller never named.
    """
    options = {"model": MODEL, **kwargs}
    with pytest.raises(error, match=re.escape(message)):
        get_token_distributions(["a", "b"], client=openai_client, progress=False, **options)
    assert api.calls.call_count == 0


@pytest.mark.parametrize(("kwargs", "error", "message"), RUN_WIDE)
async def test_async_option_of_the_whole_run_is_raised_once(
    api, async_openai_client, kwargs, error, message
):
    """The async twin raises them the same way, before any request."""
    options = {"model": MODEL, **kwargs}
    with pytest.raises(error, match=re.escape(message)):
        await aget_token_distributions(["a"], client=async_openai_client, **options)
    assert api.calls.call_count == 0


def test_progress_bar_on_a_terminal(api, openai_client, monkeypatch):
    """On a terminal, a progress bar is drawn on stderr; elsewhere nothing is written."""

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    api.post("/chat/completions").side_effect = lambda request: echo(prompt_of(request))
    quiet = io.StringIO()
    monkeypatch.setattr("sys.stderr", quiet)
    get_token_distributions(["a", "b"], model=MODEL, client=openai_client)
    assert quiet.getvalue() == ""
    monkeypatch.setitem(__import__("sys").modules, "rich.progress", None)  # the plain bar
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    get_token_distributions(["a", "b", "c"], model=MODEL, client=openai_client)
    assert "3/3" in terminal.getvalue()


def test_no_stderr_at_all_means_no_bar(api, openai_client, monkeypatch):
    """`sys.stderr` is None (pythonw, some services): no bar (was: AttributeError on isatty)."""
    api.post("/chat/completions").side_effect = lambda request: echo(prompt_of(request))
    monkeypatch.setattr("sys.stderr", None)
    results = get_token_distributions(["a", "b"], model=MODEL, client=openai_client)
    assert [r.tokens for r in results] == [["a"], ["b"]]


async def test_async_in_flight_and_order(api, async_openai_client):
    """The async twin: at most `concurrency` in flight, results in input order."""
    flight = InFlight()

    async def answer(request):
        flight.enter()
        await asyncio.sleep(random.uniform(0.001, 0.01))  # noqa: S311
        flight.leave()
        return echo(prompt_of(request))

    api.post("/chat/completions").side_effect = answer
    prompts = [f"p{i}" for i in range(30)]
    results = await aget_token_distributions(
        prompts, model=MODEL, client=async_openai_client, concurrency=3
    )
    assert [r.tokens[0] for r in results] == prompts
    assert 1 < flight.max <= 3


async def test_async_failure_in_place(api, async_openai_client):
    """The async twin returns a failing item's error in place."""

    def answer(request):
        if prompt_of(request) == "bad":
            return httpx.Response(400, json={"error": {"message": "no"}})
        return echo(prompt_of(request))

    api.post("/chat/completions").side_effect = answer
    results = await aget_token_distributions(["a", "bad"], model=MODEL, client=async_openai_client)
    assert isinstance(results[1], openai.BadRequestError)
    assert results[0].tokens == ["a"]


async def test_async_cancellation_propagates(api, async_openai_client):
    """Cancelling the async twin cancels the requests in flight and propagates."""

    async def answer(request):
        await asyncio.sleep(10)
        return echo(prompt_of(request))

    api.post("/chat/completions").side_effect = answer
    task = asyncio.ensure_future(
        aget_token_distributions(["a", "b"], model=MODEL, client=async_openai_client)
    )
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_async_cancellation_on_a_terminal_does_not_promise_results(
    api, async_openai_client, monkeypatch
):
    """The bar's last line says the cancelled run returns nothing (was: "returning those")."""

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    async def answer(request):
        await asyncio.sleep(10)
        return echo(prompt_of(request))

    api.post("/chat/completions").side_effect = answer
    monkeypatch.setitem(__import__("sys").modules, "rich.progress", None)  # the plain bar
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    task = asyncio.ensure_future(
        aget_token_distributions(["a", "b"], model=MODEL, client=async_openai_client)
    )
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert "interrupted: 0 of 2 finished; cancelled, nothing is returned" in terminal.getvalue()
    assert "returning those" not in terminal.getvalue()


async def test_one_str_as_prompts_is_refused_before_any_request(
    api, openai_client, async_openai_client
):
    """A str is a sequence of characters: `get_token_distributions("Hi")` sent one request each.

    The rule is `tokenprobs._listed.not_one_text`, which classify, score_many and Batch files
    share.
    """
    route = api.post("/chat/completions").respond(200, json=chat_completion([("x", -0.1, [])]))
    with pytest.raises(TypeError, match=r"prompts is one str \('Hi'\).*e\.g\. \[prompt\]"):
        get_token_distributions("Hi", model="m", client=openai_client, progress=False)
    with pytest.raises(TypeError, match="prompts is one bytes"):
        await aget_token_distributions(b"Hi", model="m", client=async_openai_client)
    with pytest.raises(TypeError, match="got one dict"):  # was: its keys sent as two prompts
        await aget_token_distributions({"role": "user"}, model="m", client=async_openai_client)
    assert route.call_count == 0
