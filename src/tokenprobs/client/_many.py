"""Many prompts: bounded concurrency, input order, failures in place, a progress bar, Ctrl-C.

`concurrency` workers (threads for the sync function, tasks for the async twin) pull the next
prompt from a shared cursor, so at most `concurrency` requests are ever in flight and memory does
not grow with the number of prompts. Both twins share `_Job`; only the workers differ.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import CancelledError
from typing import TYPE_CHECKING, Any

import openai

from tokenprobs._counts import at_least_one
from tokenprobs._listed import not_one_text
from tokenprobs._said import a_type, check_flag
from tokenprobs._urls import public_url, redact, url_secrets
from tokenprobs.client._answers import fewer_in
from tokenprobs.client._call import acall, call
from tokenprobs.client._defaults import async_client, base_url_of, sync_client
from tokenprobs.client._kwargs import check_create_kwargs
from tokenprobs.client._request import Options, check_options
from tokenprobs.client._retry import DEFAULT_RETRY, RetryPolicy, could_not_connect, out_of_quota

if TYPE_CHECKING:
    from tokenprobs._endpoints import Endpoint
    from tokenprobs.client._request import Prompt
    from tokenprobs.guards import GuardMode, GuardProfile
    from tokenprobs.models import TokenDistribution

__all__ = ["aget_token_distributions", "get_token_distributions"]


class _Progress:
    """A progress bar on stderr: rich's when installed, else one plain line; only on a terminal."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total, self.done, self.failed = total, 0, 0
        stderr = sys.stderr  # None under pythonw and some services: no bar then
        self.enabled = enabled and total > 1 and stderr is not None and stderr.isatty()
        self._lock = threading.Lock()
        self._last = 0.0
        self._rich: Any = None
        if self.enabled:
            try:
                from rich.console import Console  # noqa: PLC0415 - rich is optional
                from rich.progress import Progress  # noqa: PLC0415
            except ImportError:
                return
            self._rich = Progress(console=Console(stderr=True), transient=False)
            self._task = self._rich.add_task("tokenprobs", total=total)
            self._rich.start()

    def advance(self, *, failed: bool) -> None:
        with self._lock:
            self.done += 1
            self.failed += failed
            if not self.enabled:
                return
            if self._rich is not None:
                self._rich.update(self._task, advance=1, description=self._label())
                return
            now = time.monotonic()
            if now - self._last >= 0.1 or self.done == self.total:  # noqa: PLR2004 - 10 Hz
                self._last = now
                width = 30
                filled = width * self.done // max(self.total, 1)
                bar = "#" * filled + "-" * (width - filled)
                sys.stderr.write(f"\r[{bar}] {self.done}/{self.total} {self._label()}")
                sys.stderr.flush()

    def _label(self) -> str:
        return f"failed={self.failed}" if self.failed else "tokenprobs"

    def close(self, *, interrupted: bool = False, returned: bool = True) -> None:
        """Stop the bar; `interrupted`: say how many finished and (`returned`) that they are."""
        if not self.enabled:
            return
        if self._rich is not None:
            self._rich.stop()
        else:
            sys.stderr.write("\n")
        if interrupted:
            fate = "returning those" if returned else "cancelled, nothing is returned"
            sys.stderr.write(f"interrupted: {self.done} of {self.total} finished; {fate}\n")


class _Job:
    """What both twins share: the prompts, the options, the cursor and the results."""

    def __init__(
        self,
        prompts: Iterable[Prompt],
        *,
        progress: bool,
        concurrency: int,
        options: Options,
        single: str = "get_token_distribution",
    ) -> None:
        concurrency = at_least_one(concurrency, "concurrency", " (requests in flight)")
        check_flag(progress, "progress", "a progress bar on stderr when it is a terminal")
        check_options(model=options.model, endpoint=options.endpoint, guards=options.guards)
        check_create_kwargs(options.endpoint, options.create_kwargs)
        if options.create_kwargs.get("stream"):
            msg = f"stream=True is for one prompt: use {single}(..., stream=True)"
            raise TypeError(msg)
        # What every prompt shares (a NaN temperature, `messages=`, a guard's refusal) raises
        # once, here, rather than as each of 100,000 prompts' result: the request of a plain
        # prompt fails for no reason of its own.
        options.prepare("x", stream=False)
        not_one_text(prompts, "prompts", "prompt")
        listed: object = prompts
        if isinstance(listed, Mapping):  # iterating it would send its keys as prompts
            msg = (
                f"prompts must be a list of prompts, got one {type(listed).__name__} (a chat "
                "message?): one conversation is one prompt, [[{'role': 'user', 'content': ...}]]"
            )
            raise TypeError(msg)
        if not isinstance(listed, Iterable):
            msg = f"prompts must be a list of prompts, got {a_type(listed)}"
            raise TypeError(msg)
        self.prompts = list(prompts)
        self.options = options
        self.concurrency = min(concurrency, max(len(self.prompts), 1))
        self.results: list[TokenDistribution | Exception] = [
            CancelledError("not run: the run was interrupted") for _ in self.prompts
        ]
        self.progress = _Progress(len(self.prompts), enabled=progress)
        self._next = 0
        self._lock = threading.Lock()
        self.stopped = False

    def take(self) -> int | None:
        """The next prompt's index, or `None` when all are taken or the run was stopped."""
        with self._lock:
            if self.stopped or self._next >= len(self.prompts):
                return None
            self._next += 1
            return self._next - 1

    def params(self, i: int) -> dict[str, object]:
        """Build and guard prompt `i`'s request (a guard error is that item's result)."""
        return self.options.prepare(self.prompts[i], stream=False)

    def record(self, i: int, result: TokenDistribution | Exception) -> None:
        """Store a result in place (ignored once the run has returned).

        A used-up quota (429 `insufficient_quota`), or a server that could not be connected to
        (after the retries), stops the sending: every prompt not yet taken gets an error of its
        own saying so, and none of them is sent.
        """
        with self._lock:
            if self.stopped:
                return
            self.results[i] = result
            unsent = range(0)
            if out_of_quota(result) or could_not_connect(result):
                unsent = range(self._next, len(self.prompts))
                for j in unsent:
                    self.results[j] = _not_sent_error(j, i, result)
                self._next = len(self.prompts)
        for failed in (isinstance(result, Exception), *(True for _ in unsent)):
            self.progress.advance(failed=failed)

    def stop(self) -> None:
        with self._lock:
            self.stopped = True


def not_sent(i: int, first: int) -> str:
    """How prompt `i`'s error begins when prompt `first`'s request stopped the run.

    The numbers are indices into the prompts (from 0); the CLI, whose users see lines, names
    the lines instead (`tokenprobs.cli._score`).
    """
    return f"prompt {i} was not sent: prompt {first}'s request"


def _not_sent_error(
    i: int, first: int, stopper: openai.APIStatusError | openai.APIConnectionError
) -> openai.APIError:
    """Prompt `i`'s error when prompt `first`'s request stopped the run.

    For a used-up quota, the server's error class with its body (so `.code` is
    `insufficient_quota` too); for a server that could not be connected to, an
    `APIConnectionError` naming it. Either is chained from the error that stopped the run.
    """
    error: openai.APIError
    if isinstance(stopper, openai.APIStatusError):
        msg = (
            f"{not_sent(i, first)} was answered HTTP "
            f"{stopper.status_code} insufficient_quota (the API key's quota is used up), so "
            "tokenprobs sent no further prompt; check the billing and usage limits of "
            "the key's project, then send the prompts that failed again"
        )
        error = type(stopper)(msg, response=stopper.response, body=stopper.body)
    else:
        url = stopper.request.url
        cause = redact(str(stopper.__cause__), url_secrets(str(url)))  # never seen holding one
        msg = (
            f"{not_sent(i, first)} could not connect to "
            f"{public_url(url)} ({type(stopper.__cause__).__name__}: {cause}), after its "
            "retries, so tokenprobs sent no further prompt; start the server or correct the "
            "client's base_url, then send the prompts that failed again"
        )
        error = openai.APIConnectionError(message=msg, request=stopper.request)
    error.__cause__ = stopper
    return error


def get_token_distributions(
    prompts: Iterable[Prompt],
    /,
    *,
    model: str,
    top_logprobs: int = 5,
    endpoint: Endpoint = "chat.completions",
    client: openai.OpenAI | None = None,
    concurrency: int = 8,
    progress: bool = True,
    retry: RetryPolicy | None = DEFAULT_RETRY,
    guards: GuardMode = "strict",
    profile: str | GuardProfile | None = None,
    **create_kwargs: object,
) -> list[TokenDistribution | Exception]:
    """`get_token_distribution` for many prompts, `concurrency` at a time, in input order.

    One bad prompt never sinks the run: its error (a `GuardError`, the SDK's error after
    retries, a `MissingLogprobsError` ...) is returned in its place. A used-up quota (429
    `insufficient_quota`) stops the sending: each prompt not yet sent holds a copy of that
    error saying it was not sent. Ctrl-C stops new requests and returns what finished; the
    rest hold a `concurrent.futures.CancelledError`.

    Args:
        prompts: Prompt strings or lists of messages.
        model: The model id.
        top_logprobs: Alternatives per position.
        endpoint: `"chat.completions"`, `"responses"` or `"completions"`.
        client: A sync client shared by the workers (default: one from the environment).
        concurrency: The most requests in flight at once.
        progress: Show a progress bar on stderr when it is a terminal (rich's if installed).
        retry: The retry policy applied to each request (`None`: the client's own retries).
        guards: `"strict"`, `"warn"` or `"off"`, as for `get_token_distribution`.
        profile: The guards' profile, as for `get_token_distribution`.
        **create_kwargs: Passed to every `create()` call.

    Returns:
        One `TokenDistribution` or exception per prompt, in input order.

    Raises:
        MissingAPIKeyError: No client was given and `OPENAI_API_KEY` is not set.
        TypeError: A keyword argument the installed SDK's `create()` does not take, refused once
            before any request.
    """
    sdk = sync_client(client, retry)
    options = Options(
        model, top_logprobs, endpoint, base_url_of(client), guards, profile, create_kwargs
    )
    job = _Job(prompts, progress=progress, concurrency=concurrency, options=options)

    def worker() -> None:
        while (i := job.take()) is not None:
            try:
                result: TokenDistribution | Exception = call(sdk, options, job.params(i), retry)
            except Exception as exc:  # noqa: BLE001 - every failure is that item's result
                result = exc
            job.record(i, result)

    threads = [
        threading.Thread(target=worker, name=f"tokenprobs-{n}", daemon=True)
        for n in range(job.concurrency)
    ]
    for t in threads:
        t.start()
    try:
        _wait_for(threads)
    except KeyboardInterrupt:
        job.stop()
        job.progress.close(interrupted=True)
        return job.results
    job.progress.close()
    fewer_in(job.results, options.asked)
    return job.results


def _wait_for(threads: list[threading.Thread]) -> None:
    for t in threads:
        while t.is_alive():
            t.join(0.1)  # a timeout, so Ctrl-C reaches the main thread


async def aget_token_distributions(
    prompts: Iterable[Prompt],
    /,
    *,
    model: str,
    top_logprobs: int = 5,
    endpoint: Endpoint = "chat.completions",
    client: openai.AsyncOpenAI | None = None,
    concurrency: int = 8,
    progress: bool = True,
    retry: RetryPolicy | None = DEFAULT_RETRY,
    guards: GuardMode = "strict",
    profile: str | GuardProfile | None = None,
    **create_kwargs: object,
) -> list[TokenDistribution | Exception]:
    """The async twin of `get_token_distributions` (`concurrency` tasks, one event loop).

    Cancelling it (Ctrl-C under `asyncio.run`) cancels the requests in flight and propagates
    the cancellation, as asyncio code should; use the sync function to get partial results back.
    """
    sdk = async_client(client, retry)
    options = Options(
        model, top_logprobs, endpoint, base_url_of(client), guards, profile, create_kwargs
    )
    job = _Job(
        prompts,
        progress=progress,
        concurrency=concurrency,
        options=options,
        single="aget_token_distribution",
    )

    async def worker() -> None:
        while (i := job.take()) is not None:
            try:
                result: TokenDistribution | Exception = await acall(
                    sdk, options, job.params(i), retry
                )
            except Exception as exc:  # noqa: BLE001 - every failure is that item's result
                result = exc
            job.record(i, result)

    workers = [asyncio.ensure_future(worker()) for _ in range(job.concurrency)]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        job.stop()
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        job.progress.close(interrupted=True, returned=False)  # asyncio's rule: it propagates
        raise
    job.progress.close()
    fewer_in(job.results, options.asked)
    return job.results
