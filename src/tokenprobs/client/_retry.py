"""One retry layer: `RetryPolicy`, what is retried, how long to wait, and a no-sleep switch.

tenacity stays private to this module. When tokenprobs retries, the client is called with the
SDK's own retries off (`client.with_options(max_retries=0)`), so attempts never multiply.

What is retried mirrors the SDK: HTTP 408, 409, 429 and 5xx, connection errors and timeouts;
`x-should-retry: true/false` overrides the status; `Retry-After` / `retry-after-ms` (seconds or an
HTTP date) sets the wait, capped. A guard error and any other 4xx are never retried, nor is a 429
whose code is `insufficient_quota` (the key's quota is used up: waiting never helps). A server
that answers the same 5xx body three times in a row (llama.cpp reports invalid requests as HTTP
500) is not hammered: the error is raised with a note saying so.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import math
import numbers
import random
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeGuard, TypeVar

import openai
from tenacity import AsyncRetrying, RetryCallState, Retrying

from tokenprobs._counts import at_least_one
from tokenprobs._said import a_value
from tokenprobs._urls import public_url
from tokenprobs.exceptions import GuardError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator, Mapping

__all__ = ["DEFAULT_RETRY", "RetryPolicy", "no_sleep"]

T = TypeVar("T")

RETRY_STATUSES = frozenset({408, 409, 429})

QUOTA_HINT = (
    "tokenprobs did not retry: the API key's quota is used up (insufficient_quota), which "
    "waiting does not fix; check the billing and usage limits of the key's project "
    "(https://platform.openai.com/settings/organization/billing), or use a key of a project "
    "with quota left."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How tokenprobs retries a failed API call: jittered exponential backoff, bounded twice.

    The wait before retry `n` (1-based) is `min(initial_wait * 2**(n-1), max_wait)`, reduced by
    a random fraction up to `jitter`, unless the server sent `Retry-After` (then that, capped at
    `max_retry_after`). Retrying stops at `max_attempts` attempts or when the next wait would
    pass `max_time` seconds since the first attempt, whichever comes first; the last error is
    then raised unchanged, with a note saying why tokenprobs gave up.

    Examples:
        >>> from tokenprobs import RetryPolicy
        >>> RetryPolicy(max_attempts=3).max_attempts
        3
    """

    max_attempts: int = 5
    """Attempts in all, the first included (1 turns retrying off)."""
    max_time: float = 120.0
    """Seconds from the first attempt after which no new attempt starts (waits included)."""
    initial_wait: float = 0.5
    """The backoff before the first retry, in seconds."""
    max_wait: float = 20.0
    """The longest backoff between two attempts, in seconds."""
    jitter: float = 0.25
    """Each backoff is reduced by a random fraction in `[0, jitter]`."""
    max_retry_after: float = 60.0
    """The cap on a server's `Retry-After`, in seconds."""
    max_identical_server_errors: int = 3
    """Stop after this many consecutive 5xx answers with the same body (a deterministic error)."""

    def __post_init__(self) -> None:
        """Reject values that would make the policy meaningless, naming the field.

        Raises:
            TypeError: A count is not an integer, or a time not a number (`True` is neither).
            ValueError: A count below 1, a negative or NaN time, an infinite `initial_wait`,
                or `jitter` outside `[0, 1]`.
        """
        for name in ("max_attempts", "max_identical_server_errors"):
            at_least_one(getattr(self, name), name)
        for name in ("max_time", "initial_wait", "max_wait", "max_retry_after", "jitter"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                msg = f"{name} must be a number, got {value!r}"
                raise TypeError(msg)
            if name != "jitter" and not float(value) >= 0:  # NaN included
                msg = f"{name} must be a number of seconds, 0 or more, got {value!r}"
                raise ValueError(msg)
        if not math.isfinite(self.initial_wait):
            msg = (
                f"initial_wait must be finite (max_wait caps the backoff), got {self.initial_wait}"
            )
            raise ValueError(msg)
        if not 0 <= self.jitter <= 1:  # NaN included
            msg = f"jitter must be within [0, 1], got {self.jitter}"
            raise ValueError(msg)

    def backoff(self, retry_number: int) -> float:
        """The jittered backoff before retry `retry_number` (1-based), when no `Retry-After`."""
        base = min(self.initial_wait * 2.0 ** min(retry_number - 1, 64), self.max_wait)
        return base * (1.0 - self.jitter * random.random())  # noqa: S311 - jitter, not crypto


DEFAULT_RETRY = RetryPolicy()
"""The policy used when none is given: 5 attempts, 120 s at most, waits from 0.5 s to 20 s."""


def checked(retry: object) -> RetryPolicy | None:
    """`retry` when it is a `RetryPolicy` or `None`; else a `TypeError` saying what to pass.

    Checked before the first attempt: a wrong `retry=` would otherwise fail only when a request
    first needs retrying, deep inside the retry loop.
    """
    if retry is None or isinstance(retry, RetryPolicy):
        return retry
    if isinstance(retry, bool) or not isinstance(retry, numbers.Integral):
        hint = "pass a RetryPolicy (e.g. RetryPolicy(max_attempts=3)), or None for the client's own"
    else:
        hint = f"for {retry} attempts, pass retry=RetryPolicy(max_attempts={retry})"
    msg = f"retry must be a RetryPolicy or None, got {a_value(retry)}: {hint}"
    raise TypeError(msg)


# --- what is retried, and how long to wait -------------------------------------------------------


def out_of_quota(exc: object) -> TypeGuard[openai.APIStatusError]:
    """Whether `exc` says the API key's quota is used up (code or type `insufficient_quota`).

    OpenAI answers it with HTTP 429, like a rate limit, but it lasts until the bill is paid.
    """
    return isinstance(exc, openai.APIStatusError) and "insufficient_quota" in {exc.code, exc.type}


def could_not_connect(exc: object) -> TypeGuard[openai.APIConnectionError]:
    """Whether `exc` says no connection to the server could be made at all.

    The SDK's `APIConnectionError` (or `APITimeoutError`) raised from its HTTP library's
    `ConnectError` (refused, no such host, TLS) or `ConnectTimeout` (no answer to the
    connection): not a timeout waiting for an answer, nor a connection lost mid-answer, which
    one heavy prompt may meet on a server that is up.
    """
    if not isinstance(exc, openai.APIConnectionError):
        return False
    return any(
        cls.__name__ in _NO_CONNECTION and cls.__module__.partition(".")[0] in _SDK_HTTP
        for cls in type(exc.__cause__).__mro__
    )


_NO_CONNECTION = frozenset({"ConnectError", "ConnectTimeout"})
_SDK_HTTP = frozenset({"httpx", "httpx2"})
"""The SDK's HTTP library: `httpx2` under openai 3.x, `httpx` under 2.x (same class names)."""


def is_retryable(exc: BaseException) -> bool:
    """Whether the SDK would retry this error (never a guard error, other 4xx, or no quota)."""
    if isinstance(exc, GuardError) or out_of_quota(exc):
        return False
    if isinstance(exc, openai.APIConnectionError):  # APITimeoutError included
        return True
    if isinstance(exc, openai.APIStatusError):
        should = exc.response.headers.get("x-should-retry")
        if should in {"true", "false"}:
            return should == "true"
        return exc.status_code in RETRY_STATUSES or exc.status_code >= 500  # noqa: PLR2004
    return False


def retry_after(headers: Mapping[str, str] | None, *, now: float | None = None) -> float | None:
    """Seconds the server asks to wait (`retry-after-ms`, then `Retry-After` as seconds or date).

    Examples:
        >>> retry_after({"retry-after": "2"})
        2.0
        >>> retry_after({"retry-after": "Thu, 01 Jan 1970 00:00:10 GMT"}, now=4.0)
        6.0
    """
    if not headers:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        if math.isfinite(seconds) and seconds >= 0:
            return seconds  # else (NaN, inf, negative) the next header may still say
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        date = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if date.tzinfo is None:  # an HTTP-date is in GMT (RFC 9110), named or not
        date = date.replace(tzinfo=dt.UTC)
    return max(0.0, date.timestamp() - (time.time() if now is None else now))


def _error_key(exc: BaseException) -> object:
    if isinstance(exc, openai.APIStatusError) and exc.status_code >= 500:  # noqa: PLR2004
        return (exc.status_code, repr(exc.body))
    return None


# --- the no-sleep switch -------------------------------------------------------------------------

_lock = threading.Lock()
_recorders: list[list[float]] = []


@contextlib.contextmanager
def no_sleep() -> Iterator[list[float]]:
    """Turn tokenprobs' retry waits off, recording them instead (for tests, yours too).

    Inside the block, every wait tokenprobs would sleep is appended to the yielded list and
    skipped, in every thread and task. Blocks nest; the innermost records.

    Examples:
        >>> from tokenprobs.testing import no_sleep
        >>> with no_sleep() as waits:
        ...     pass  # calls that retry here do not sleep
        >>> waits
        []
    """
    waits: list[float] = []
    with _lock:
        _recorders.append(waits)
    try:
        yield waits
    finally:
        with _lock:
            _recorders.remove(waits)


def _record(seconds: float) -> bool:
    with _lock:
        if not _recorders:
            return False
        _recorders[-1].append(seconds)
        return True


def _sleep(seconds: float) -> None:
    if not _record(seconds):
        time.sleep(seconds)


async def _asleep(seconds: float) -> None:
    if not _record(seconds):
        await asyncio.sleep(seconds)


# --- running a call under a policy ---------------------------------------------------------------


@dataclass
class _Controller:
    """The per-call state tenacity's callbacks share: one per `call()` / `acall()`."""

    policy: RetryPolicy
    last_key: object = None
    repeats: int = 0
    reason: str = field(default="")

    def retry(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if exc is not None and out_of_quota(exc):
            exc.add_note(QUOTA_HINT)
        if exc is None or not is_retryable(exc):
            return False
        key = _error_key(exc)
        self.repeats = self.repeats + 1 if key is not None and key == self.last_key else 1
        self.last_key = key
        return True

    def wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        headers = exc.response.headers if isinstance(exc, openai.APIStatusError) else None
        asked = retry_after(headers)
        if asked is not None:
            return min(asked, self.policy.max_retry_after)
        return self.policy.backoff(state.attempt_number)

    def stop(self, state: RetryCallState) -> bool:
        policy = self.policy
        if self.last_key is not None and self.repeats >= policy.max_identical_server_errors:
            self.reason = (
                f"the server answered the same HTTP {self.last_key[0]} "  # type: ignore[index]
                f"{self.repeats} times in a row: a deterministic error, not a transient one "
                "(llama.cpp, for one, reports invalid requests as HTTP 500); check the request"
            )
            return True
        if state.attempt_number >= policy.max_attempts:
            self.reason = f"RetryPolicy.max_attempts is {policy.max_attempts}"
            return True
        elapsed = max(state.seconds_since_start or 0.0, state.idle_for)
        upcoming = float(getattr(state, "upcoming_sleep", 0.0))
        if elapsed + upcoming > policy.max_time:
            self.reason = (
                f"the next wait ({upcoming:.1f} s) would pass "
                f"RetryPolicy.max_time ({policy.max_time:g} s)"
            )
            return True
        return False

    def give_up(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if exc is None:  # pragma: no cover - tenacity only gives up on a failed attempt
            msg = "gave up without an error"
            raise RuntimeError(msg)
        exc.add_note(
            f"tokenprobs stopped retrying after {state.attempt_number} attempts"
            f"{reaching(exc)} ({self.reason})."
        )
        raise exc

    def kwargs(self) -> dict[str, object]:
        return {
            "retry": self.retry,
            "wait": self.wait,
            "stop": self.stop,
            "retry_error_callback": self.give_up,
        }


def reaching(exc: BaseException) -> str:
    """` to reach URL` for a connection error (`public_url`: no credentials), else `""`."""
    if not isinstance(exc, openai.APIConnectionError):
        return ""
    try:
        url = exc.request.url
    except (AttributeError, RuntimeError):  # a request-less error (the SDK allows it)
        return ""
    return f" to reach {public_url(url)}"


def call(policy: RetryPolicy, fn: Callable[[], T]) -> T:
    """Call `fn()` under `policy`: the last error is raised unchanged, with a note."""
    retrying = Retrying(sleep=_sleep, **_Controller(policy).kwargs())  # type: ignore[arg-type]
    return retrying(fn)


async def acall(policy: RetryPolicy, fn: Callable[[], Awaitable[T]]) -> T:
    """Await `fn()` under `policy`: the async twin of `call`."""
    retrying = AsyncRetrying(sleep=_asleep, **_Controller(policy).kwargs())  # type: ignore[arg-type]
    return await retrying(fn)
