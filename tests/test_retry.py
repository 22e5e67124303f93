import email.utils
import math
import re
import time

import httpx
import numpy as np
import openai
import pytest
from tests._client_helpers import MODEL, client_for, connect_error, timeout_error

import tokenprobs as tp
from tokenprobs.client import aget_token_distribution, get_token_distribution
from tokenprobs.client._retry import RetryPolicy, _sleep, is_retryable, no_sleep, retry_after
from tokenprobs.testing import chat_completion

BODY = chat_completion([("Paris", -0.01, [("Paris", -0.01), ("Lyon", -4.6)])])
RATE_LIMITED = httpx.Response(
    429, json={"error": {"message": "Rate limit", "type": "requests", "code": "rate_limit"}}
)


def ask(client, **kwargs):
    """One chat request through `client`."""
    return get_token_distribution("Capital of France?", model=MODEL, client=client, **kwargs)


def test_429_429_200_makes_three_calls_and_returns(api, openai_client):
    """Two rate limits then a success: three calls and a distribution."""
    route = api.post("/chat/completions")
    route.side_effect = [RATE_LIMITED, RATE_LIMITED, httpx.Response(200, json=BODY)]
    with no_sleep() as waits:
        d = ask(openai_client)
    assert route.call_count == 3
    assert d.tokens == ["Paris"]
    assert len(waits) == 2


QUOTA_MESSAGE = "You exceeded your current quota, please check your plan and billing details."
OUT_OF_QUOTA = {
    "error": {
        "message": QUOTA_MESSAGE,
        "type": "insufficient_quota",
        "param": None,
        "code": "insufficient_quota",
    }
}


def test_insufficient_quota_fails_at_once_with_a_hint(api, openai_client):
    """A used-up quota (429 insufficient_quota) is one call, the server's message and a hint.

    Was: retried like any 429, five attempts with backoff, though waiting never helps.
    """
    route = api.post("/chat/completions").respond(429, json=OUT_OF_QUOTA)
    with no_sleep() as waits, pytest.raises(openai.RateLimitError, match=QUOTA_MESSAGE) as info:
        ask(openai_client)
    assert route.call_count == 1
    assert waits == []
    assert any("did not retry" in n and "billing" in n for n in info.value.__notes__)


async def test_async_insufficient_quota_fails_at_once(api, async_openai_client):
    """The async twin does not retry a used-up quota either."""
    route = api.post("/chat/completions").respond(429, json=OUT_OF_QUOTA)
    with no_sleep() as waits, pytest.raises(openai.RateLimitError) as info:
        await aget_token_distribution("Hi", model=MODEL, client=async_openai_client)
    assert route.call_count == 1
    assert waits == []
    assert any("insufficient_quota" in note for note in info.value.__notes__)


@pytest.mark.parametrize(
    "error",
    [
        pytest.param({"message": "Rate limit reached", "code": "rate_limit_exceeded"}, id="code"),
        pytest.param({"message": "Too many requests"}, id="no-code"),
    ],
)
def test_rate_limit_429s_are_still_retried(api, openai_client, error):
    """A 429 that is a rate limit (`rate_limit_exceeded`, or no code) is retried as before."""
    route = api.post("/chat/completions")
    route.side_effect = [httpx.Response(429, json={"error": error}), httpx.Response(200, json=BODY)]
    with no_sleep() as waits:
        ask(openai_client)
    assert route.call_count == 2
    assert len(waits) == 1


def test_retry_after_seconds_is_honoured(api, openai_client):
    """`Retry-After: 2` sets the wait (recorded under the no-sleep switch)."""
    limited = httpx.Response(429, headers={"Retry-After": "2"}, json={"error": {"message": "x"}})
    api.post("/chat/completions").side_effect = [limited, httpx.Response(200, json=BODY)]
    with no_sleep() as waits:
        ask(openai_client)
    assert waits == [2.0]


def test_retry_after_date_is_honoured_and_capped(api, openai_client):
    """An HTTP-date `Retry-After` is honoured, capped at `max_retry_after`."""
    date = email.utils.formatdate(2_000_000_000, usegmt=True)
    limited = httpx.Response(429, headers={"Retry-After": date}, json={"error": {"message": "x"}})
    api.post("/chat/completions").side_effect = [limited, httpx.Response(200, json=BODY)]
    with no_sleep() as waits:
        ask(openai_client, retry=RetryPolicy(max_retry_after=7.5, max_time=1e12))
    assert waits == [7.5]


def test_400_is_never_retried(api, openai_client):
    """A 400 from the API is raised at once, unchanged."""
    route = api.post("/chat/completions").respond(400, json={"error": {"message": "bad"}})
    with no_sleep() as waits, pytest.raises(openai.BadRequestError):
        ask(openai_client)
    assert route.call_count == 1
    assert waits == []


def test_guard_error_is_never_retried_nor_sent(api, openai_client):
    """A request the guards refuse never reaches the network."""
    route = api.post("/chat/completions").respond(200, json=BODY)
    with pytest.raises(tp.GuardError):
        ask(openai_client, top_logprobs=50)
    assert route.call_count == 0


def test_timeout_is_retried_then_surfaces_as_the_sdk_error(api, openai_client):
    """Timeouts are retried up to `max_attempts`, then the SDK's APITimeoutError is raised."""
    route = api.post("/chat/completions")
    route.side_effect = timeout_error()
    with no_sleep() as waits, pytest.raises(openai.APITimeoutError) as info:
        ask(openai_client, retry=RetryPolicy(max_attempts=3))
    assert route.call_count == 3
    assert len(waits) == 2
    assert any("3 attempts" in note for note in info.value.__notes__)


def test_connection_error_is_retried(api, openai_client):
    """A connection error, then a success: two calls."""
    route = api.post("/chat/completions")
    route.side_effect = [connect_error(), httpx.Response(200, json=BODY)]
    with no_sleep():
        ask(openai_client)
    assert route.call_count == 2


def test_sdk_retries_are_off_when_tokenprobs_retries(api):
    """A client with `max_retries=5` is still called once per tokenprobs attempt."""
    client = client_for(api, max_retries=5)
    route = api.post("/chat/completions")
    route.side_effect = [
        httpx.Response(503, json={"error": {"message": f"m{i}"}}) for i in range(9)
    ]
    with no_sleep(), pytest.raises(openai.InternalServerError):
        ask(client, retry=RetryPolicy(max_attempts=2))
    assert route.call_count == 2
    assert client.max_retries == 5


def test_retry_none_leaves_retrying_to_the_client(api, openai_client):
    """`retry=None`: one call through a client configured with `max_retries=0`."""
    route = api.post("/chat/completions").mock(return_value=RATE_LIMITED)
    with pytest.raises(openai.RateLimitError):
        ask(openai_client, retry=None)
    assert route.call_count == 1


def test_deterministic_500_is_not_hammered(api, openai_client):
    """The same 500 body three times in a row stops the retries, with a note saying why."""
    route = api.post("/chat/completions").respond(
        500, json={"error": {"code": 500, "message": "bad grammar", "type": "server_error"}}
    )
    with no_sleep(), pytest.raises(openai.InternalServerError) as info:
        ask(openai_client, retry=RetryPolicy(max_attempts=10))
    assert route.call_count == 3
    assert any("deterministic" in note for note in info.value.__notes__)


@pytest.mark.parametrize(
    ("status", "header", "retried"),
    [
        pytest.param(500, "false", False, id="500-should-retry-false"),
        pytest.param(400, "true", True, id="400-should-retry-true"),
        pytest.param(409, None, True, id="409"),
        pytest.param(408, None, True, id="408"),
        pytest.param(404, None, False, id="404"),
        pytest.param(422, None, False, id="422"),
    ],
)
def test_status_and_x_should_retry(api, openai_client, status, header, retried):
    """Statuses retried as the SDK would; `x-should-retry` overrides the status."""
    headers = {"x-should-retry": header} if header else {}
    first = httpx.Response(status, headers=headers, json={"error": {"message": "x"}})
    route = api.post("/chat/completions")
    route.side_effect = [first, httpx.Response(200, json=BODY)]
    with no_sleep():
        if retried:
            ask(openai_client)
        else:
            with pytest.raises(openai.APIStatusError):
                ask(openai_client)
    assert route.call_count == (2 if retried else 1)


def test_max_time_stops_before_a_long_wait(api, openai_client):
    """A wait that would pass `max_time` is not taken."""
    limited = httpx.Response(429, headers={"Retry-After": "30"}, json={"error": {"message": "x"}})
    route = api.post("/chat/completions").mock(return_value=limited)
    with no_sleep() as waits, pytest.raises(openai.RateLimitError) as info:
        ask(openai_client, retry=RetryPolicy(max_time=10))
    assert route.call_count == 1
    assert waits == []
    assert any("max_time" in note for note in info.value.__notes__)


async def test_async_twin_retries(api, async_openai_client):
    """The async twin retries the same way, without sleeping under the switch."""
    route = api.post("/chat/completions")
    route.side_effect = [RATE_LIMITED, httpx.Response(200, json=BODY)]
    with no_sleep() as waits:
        d = await aget_token_distribution("Hi", model=MODEL, client=async_openai_client)
    assert route.call_count == 2
    assert d.tokens == ["Paris"]
    assert len(waits) == 1


@pytest.mark.parametrize(
    ("retry", "says"),
    [
        pytest.param(
            3,
            r"got an int \(3\): for 3 attempts, pass retry=RetryPolicy\(max_attempts=3\)",
            id="int",
        ),
        pytest.param(True, r"got a bool \(True\)", id="bool"),
        pytest.param("default", r"got a str \('default'\)", id="str"),
    ],
)
def test_a_retry_that_is_no_policy_is_refused_before_sending(api, openai_client, retry, says):
    """`retry=3` is a TypeError up front (was: accepted, then AttributeError at the first 429)."""
    route = api.post("/chat/completions")
    route.side_effect = [RATE_LIMITED, httpx.Response(200, json=BODY)]
    with pytest.raises(TypeError, match=says), no_sleep():
        ask(openai_client, retry=retry)
    with pytest.raises(TypeError, match="retry must be a RetryPolicy or None"):
        tp.get_token_distributions(["Hi"], model=MODEL, client=openai_client, retry=retry)
    assert route.call_count == 0


async def test_async_retry_that_is_no_policy_is_refused(async_openai_client):
    """The async twins refuse it the same way."""
    with pytest.raises(TypeError, match="for 3 attempts"):
        await aget_token_distribution("Hi", model=MODEL, client=async_openai_client, retry=3)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="for 3 attempts"):
        await tp.aget_token_distributions(["Hi"], model=MODEL, client=async_openai_client, retry=3)  # type: ignore[arg-type]


def test_backoff_is_jittered_exponential_and_capped():
    """Backoff doubles from `initial_wait`, reduced by at most `jitter`, capped at `max_wait`."""
    policy = RetryPolicy(initial_wait=1, max_wait=5, jitter=0.25)
    for n, base in [(1, 1), (2, 2), (3, 4), (4, 5), (60, 5)]:
        wait = policy.backoff(n)
        assert base * 0.75 <= wait <= base


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({"retry-after": "2"}, 2.0, id="seconds"),
        pytest.param({"retry-after": "1.5"}, 1.5, id="float-seconds"),
        pytest.param({"retry-after-ms": "250", "retry-after": "9"}, 0.25, id="ms-first"),
        pytest.param({"retry-after": "Thu, 01 Jan 1970 00:00:10 GMT"}, 6.0, id="http-date"),
        pytest.param({"retry-after": "soon"}, None, id="garbage"),
        pytest.param({"retry-after": "-3"}, None, id="negative"),
        pytest.param({}, None, id="absent"),
        pytest.param({"retry-after-ms": "nan", "retry-after": "3"}, 3.0, id="ms-nan-then-seconds"),
        pytest.param({"retry-after-ms": "-5", "retry-after": "3"}, 3.0, id="ms-negative-then-s"),
        pytest.param(
            {"retry-after-ms": "inf", "retry-after": "Thu, 01 Jan 1970 00:00:10 GMT"},
            6.0,
            id="ms-inf-then-date",
        ),
    ],
)
def test_retry_after_parsing(headers, expected):
    """`Retry-After` in seconds, milliseconds or HTTP date; garbage is ignored.

    A `retry-after-ms` that is no wait (NaN, inf, negative) gave None, so a valid
    `Retry-After` beside it was ignored.
    """
    assert retry_after(headers, now=4.0) == expected


@pytest.mark.parametrize("date", ["Thu, 01 Jan 1970 00:00:10", "Thu, 01 Jan 1970 00:00:10 -0000"])
def test_an_http_date_without_its_zone_is_gmt_not_local_time(monkeypatch, date):
    """An HTTP-date is GMT (RFC 9110); one without `GMT` was read in the machine's local time."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert retry_after({"retry-after": date}, now=4.0) == 6.0
    finally:
        monkeypatch.undo()
        time.tzset()


def test_policy_rejects_nonsense():
    """A policy that could never run is refused at construction."""
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=2)


@pytest.mark.parametrize(
    ("field", "value", "error", "message"),
    [
        ("max_attempts", True, TypeError, "max_attempts must be an integer, got True"),
        ("max_attempts", 2.5, TypeError, "max_attempts must be an integer, got 2.5"),
        ("max_attempts", "5", TypeError, "max_attempts must be an integer, got '5'"),
        ("max_identical_server_errors", 0, ValueError, "must be at least 1, got 0"),
        ("initial_wait", math.nan, ValueError, "initial_wait must be a number of seconds, 0 or"),
        ("initial_wait", math.inf, ValueError, "initial_wait must be finite"),
        ("max_time", math.nan, ValueError, "max_time must be a number of seconds, 0 or more"),
        ("max_wait", "20", TypeError, "max_wait must be a number, got '20'"),
        ("max_retry_after", -1, ValueError, "max_retry_after must be a number of seconds"),
        ("jitter", math.nan, ValueError, "jitter must be within [0, 1], got nan"),
        ("jitter", False, TypeError, "jitter must be a number, got False"),
    ],
)
def test_policy_names_the_field_a_bad_value_is_in(field, value, error, message):
    """A NaN wait would fail inside `time.sleep` at the first retry; a str inside a comparison."""
    with pytest.raises(error, match=re.escape(message)):
        RetryPolicy(**{field: value})


def test_policy_takes_unbounded_times_where_a_bound_is_optional():
    """`inf` for max_time, max_wait or max_retry_after means no bound; numpy numbers are numbers."""
    policy = RetryPolicy(max_time=math.inf, max_wait=math.inf, max_retry_after=math.inf)
    assert policy.backoff(1) <= policy.initial_wait
    assert RetryPolicy(max_attempts=np.int64(3), initial_wait=np.float32(0.5)).max_attempts == 3


def test_policy_is_frozen():
    """RetryPolicy is immutable."""
    with pytest.raises(AttributeError):
        RetryPolicy().max_attempts = 3  # type: ignore[misc]


def test_plain_exceptions_are_not_retryable():
    """Only the SDK's retryable errors are retried."""
    assert not is_retryable(ValueError("x"))


def test_no_sleep_nests_and_records_in_the_innermost():
    """Nested switches: the innermost block records."""
    with no_sleep() as outer:
        with no_sleep() as inner:
            _sleep(1.0)
        _sleep(2.0)
    assert inner == [1.0]
    assert outer == [2.0]
