"""One run of the page: guard the request, stream the answer, and turn it into page events.

Events are JSON objects, one per line: `notice` (a guard warning), `frame` (the view's change, see
`ViewFrames`), `done` (the summary), `error` (worded as the API words it). Frames are throttled to
what the machine keeps up with: the first token is drawn as soon as it arrives, later ones at most
every `MIN_GAP` seconds or twice the time the last frame took, whichever is longer, and always the
latest state (never a backlog).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import warnings
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import openai

from tokenprobs.adapters._plausible import capped
from tokenprobs.client import RetryPolicy, aget_token_distribution, build_params
from tokenprobs.exceptions import GuardError, StreamInterruptedError, TokenprobsError
from tokenprobs.guards import check_request, detected_server, remember_server
from tokenprobs.playground._fork import join
from tokenprobs.render import visible

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from tokenprobs.client import AsyncDistributionStream, Prompt, StreamUpdate
    from tokenprobs.models import TokenDistribution
    from tokenprobs.playground._fork import Fork
    from tokenprobs.playground._session import Branch, Request
    from tokenprobs.playground._upstream import Upstream
    from tokenprobs.playground._view import ViewFrames

__all__ = ["MIN_GAP", "error_event", "run_events", "summary"]

MIN_GAP = 0.03
"""Seconds between two frames of one answer, at least."""
PAGE_RETRY = RetryPolicy(max_attempts=2, max_time=20.0)
"""Few, short retries: someone is watching the page."""
_EMPTY = "\N{EMPTY SET}"
"""A span without text, as the view draws a token without text."""
UNCERTAIN_BELOW = 0.5
"""The summary lists the spans whose tokens had p below this."""

log = logging.getLogger("tokenprobs.playground")


def summary(d: TokenDistribution) -> dict[str, object]:
    """What the page shows under an answer: size, perplexity, the least certain spans.

    A span's text is shown, not obeyed (`render.visible`, spaces kept): a bidi override in the
    answer would reverse the summary's line, a run of newlines stretch it.

    The perplexity is a finite number, or None: `perplexity_infinite` says whether it is
    infinite (JSON has no infinity), as one logprob of vLLM's `-9999.0` (its floor for a token
    of probability 0) makes a short answer's, `exp(9999 / n)`; else it is undefined (no tokens).
    """
    spans = d.uncertain(threshold=UNCERTAIN_BELOW)
    text = d.text
    probs = d.probs
    ranked = sorted(spans, key=lambda s: float(np.min(probs[s.start : s.end])))[:5]
    perplexity = d.perplexity if len(d) else math.nan
    return {
        "tokens": len(d),
        "perplexity": float(perplexity) if math.isfinite(perplexity) else None,
        "perplexity_infinite": math.isinf(perplexity),
        "finish_reason": None if d.finish_reason is None else visible(d.finish_reason, keep=" "),
        "incomplete": d.incomplete,
        "uncertain": [
            {
                "start": s.start,
                "end": s.end,
                # a span of tokens without text (split characters' pieces) as the view draws it
                "text": visible(text[s.char_start : s.char_end], keep=" ") or _EMPTY,
                "min_p": float(np.min(probs[s.start : s.end])),
            }
            for s in ranked
        ],
    }


def error_event(exc: BaseException, upstream: Upstream) -> dict[str, object]:
    """An error as the page shows it: the API's own words, with any secret scrubbed."""
    event: dict[str, object] = {"t": "error", "type": type(exc).__name__}
    if isinstance(exc, StreamInterruptedError):
        event["kind"] = "interrupted"
    elif isinstance(exc, GuardError):
        event["kind"] = "guard"
    elif isinstance(exc, openai.APIStatusError):
        event["kind"] = "api"
    elif isinstance(exc, openai.APIConnectionError):
        event["kind"] = "connection"
    else:
        event["kind"] = "usage" if isinstance(exc, ValueError | TypeError) else "tokenprobs"
    if isinstance(exc, openai.APIStatusError):
        event["status"] = exc.status_code
        event["param"] = getattr(exc, "param", None)
        event["code"] = getattr(exc, "code", None)
    said = _broke(exc) if isinstance(exc, StreamInterruptedError) else str(exc)
    message = " ".join([said, *getattr(exc, "__notes__", ())])
    # a server's words are shown, not obeyed: bidi and zero-width characters as their escapes
    event["message"] = visible(upstream.scrub(message), keep=" \n")
    for key in ("param", "code"):
        if isinstance(event.get(key), str):
            event[key] = upstream.scrub(str(event[key]))
    return event


def _broke(exc: StreamInterruptedError) -> str:
    """A broken stream as the page says it (`str(exc)` names `.distributions`, for Python)."""
    cause = exc.__cause__
    why = f" ({type(cause).__name__}: {cause})" if cause is not None else ""
    n = len(exc.distribution) if exc.distribution is not None else 0
    kept = "what arrived is kept" if n else "nothing had arrived"
    return f"the stream broke{why} after {n} token{'s' * (n != 1)}: {kept}"


def _guard(
    request: Request, start: Fork | None, kwargs: dict[str, object], upstream: Upstream
) -> tuple[Prompt, list[str]]:
    """Build the request and run the guards on it (strict), before any I/O.

    Returns:
        What to send (prompt or messages), and the guards' warnings.
    """
    sent: Prompt
    if request.endpoint == "completions":
        sent = start.prompt if start else request.prompt
    else:
        messages = start.messages if start else request.messages
        sent = [{"role": r, "content": c} for r, c in messages]
    params = build_params(
        sent,
        model=request.model,
        top_logprobs=request.top_logprobs,
        endpoint=request.endpoint,
        create_kwargs=kwargs,
    )
    params["stream"] = True
    base_url = upstream.base_url
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_request(
            request.endpoint,
            params,
            base_url=base_url,
            mode="strict",
            profile=upstream.profile or detected_server(base_url),
        )
    return sent, [upstream.scrub(str(w.message)) for w in caught]


async def run_events(
    branch: Branch,
    upstream: Upstream,
    view: ViewFrames,
    *,
    start: Fork | None = None,
) -> AsyncIterator[dict[str, object]]:
    """The events of one run: guards, then the stream's frames, then `done` (or `error`)."""
    request = branch.request
    started = time.monotonic()
    kwargs = request.create_kwargs()
    if start is not None and request.max_tokens is not None:
        kwargs["max_tokens"] = max(1, request.max_tokens - len(start.head))
    if start is not None and start.extra_body:
        kwargs["extra_body"] = dict(start.extra_body)
    try:
        sent, notices = _guard(request, start, kwargs, upstream)
    except (GuardError, TokenprobsError, ValueError, TypeError) as exc:
        branch.error = error_event(exc, upstream)
        log.info("run %s refused by the guards: %s", branch.label, branch.error["message"])
        yield branch.error
        return
    for notice in notices:
        yield {"t": "notice", "message": notice}
    compose: Callable[[TokenDistribution], TokenDistribution] = (
        (lambda d: join(start.head, d)) if start else (lambda d: d)
    )
    if start is not None:
        yield {"t": "frame", **view.frame(start.head)}
    client = upstream.client()
    try:
        stream = await aget_token_distribution(
            sent,
            model=request.model,
            top_logprobs=request.top_logprobs,
            endpoint=request.endpoint,
            client=client,
            stream=True,
            retry=PAGE_RETRY,
            guards="off",  # run above, with their warnings caught for the page
            **cast("dict[str, Any]", kwargs),  # Any: create()'s own keywords, typed by the SDK
        )
        async for event in _frames(stream, compose, view, branch):
            yield event
        if stream.chunks:  # which server answered: the guards of the next request use its rules
            remember_server(stream.chunks[0], upstream.base_url)
            upstream.saw(stream.chunks[0])  # and the page its capabilities (branching)
    except Exception as exc:  # noqa: BLE001 - whatever broke, the page must be told, not hang
        yield _failed(branch, exc, upstream, compose)
        return
    finally:
        await client.close()
    for event in _ending(branch, time.monotonic() - started, start):
        yield event


def _ending(branch: Branch, took: float, start: Fork | None) -> list[dict[str, object]]:
    """The last events of a run whose stream ended: `done`, after an error if it fell short.

    No answer is an error; an answer without a finish reason (the stream ended early: a server
    that failed mid-answer) is said, and kept as the branch's error, before its summary. A
    server that sent fewer alternatives than asked at every position is said in a notice.
    """
    d = branch.distribution
    if d is None:
        branch.error = {"t": "error", "kind": "api", "message": "the server sent no answer"}
        return [branch.error]
    log.info("run %s: %d tokens in %.2f s", branch.label, len(d), took)
    sent = d[len(start.head) :] if start is not None else d  # what this run's server sent
    why = capped([sent], branch.request.top_logprobs)
    notices: list[dict[str, object]] = [] if why is None else [{"t": "notice", "message": why}]
    done: dict[str, object] = {"t": "done", "summary": summary(d)}
    if not d.incomplete:
        return [*notices, done]
    n = len(d)
    msg = (
        f"the server ended the stream after {n} token{'s' * (n != 1)} without finishing the "
        "answer (no finish reason): only what arrived is here; the server's log may say why"
    )
    branch.error = {"t": "error", "kind": "interrupted", "message": msg}
    log.warning("run %s: %s", branch.label, msg)
    return [*notices, branch.error, done]


def _failed(
    branch: Branch,
    exc: Exception,
    upstream: Upstream,
    compose: Callable[[TokenDistribution], TokenDistribution],
) -> dict[str, object]:
    """The error event of a run that failed, keeping what arrived of a broken stream."""
    branch.error = error_event(exc, upstream)
    if isinstance(exc, StreamInterruptedError) and exc.distribution is not None:
        branch.distribution = compose(exc.distribution)
    expected = isinstance(exc, openai.APIError | TokenprobsError)
    level = logging.WARNING if expected else logging.ERROR
    log.log(level, "run %s failed: %s", branch.label, branch.error["message"])  # scrubbed
    return branch.error


async def _frames(
    stream: AsyncDistributionStream,
    compose: Callable[[TokenDistribution], TokenDistribution],
    view: ViewFrames,
    branch: Branch,
) -> AsyncIterator[dict[str, object]]:
    """The frames of a stream: the latest state, as often as the machine keeps up."""
    latest: list[StreamUpdate] = []
    changed = asyncio.Event()

    async def pump() -> None:
        async for update in stream:
            if update.choice == 0:
                latest[:] = [update]
                changed.set()

    task = asyncio.create_task(pump())
    try:
        while True:
            waiter = asyncio.create_task(changed.wait())
            try:
                await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            finally:  # also when the run is cancelled here (the page went away)
                waiter.cancel()
            if not changed.is_set():
                task.result()  # the pump ended without an update: raise its error, if any
                return
            changed.clear()
            update = latest[0]
            began = time.monotonic()
            d = compose(update.distribution)
            branch.distribution = d
            yield {"t": "frame", **view.frame(d)}
            if update.final:
                return
            gap = max(MIN_GAP, 2 * (time.monotonic() - began))
            await asyncio.wait({task}, timeout=gap)
    finally:
        if not task.done():
            task.cancel()
        await stream.aclose()
