"""What both stream twins share: chunks in, updates out, the final distributions, what broke.

`StreamState` does the bookkeeping of one stream (the SDK's chunks fed in, `StreamUpdate`s
out); `DistributionStream` and `AsyncDistributionStream` (in `_stream`) only iterate.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeAlias

from tokenprobs._urls import scrub
from tokenprobs.adapters import StreamAccumulator, parse_all
from tokenprobs.adapters._requested import with_requested
from tokenprobs.adapters._tool_calls import each_choice
from tokenprobs.client._answers import cut_short, failure, fewer_in, not_an_api_response
from tokenprobs.exceptions import (
    APIResponseError,
    MissingLogprobsError,
    StreamInterruptedError,
    StreamNotFinishedError,
    TokenprobsError,
    UnsupportedResponseError,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    import numpy as np
    from numpy.typing import NDArray

    from tokenprobs.models import TokenDistribution, TokenLogprob

__all__ = ["CLOSED_EARLY", "Explain", "StreamState", "StreamUpdate"]


Explain: TypeAlias = Callable[[MissingLogprobsError, object], MissingLogprobsError | None]
"""Rewords the `MissingLogprobsError` of an answer naming a model (`None`: its words stand)."""


@dataclass(frozen=True, eq=False)
class StreamUpdate:
    """One step of a stream: new positions of one choice, or (`final`) its finished result."""

    choice: int
    """The choice (`n > 1`) this update is about."""
    start: int
    """The first new position (`end` for a final update)."""
    end: int
    """One past the last position received so far."""
    final: bool
    """True for the last update of each choice: `distribution` is then the finished result."""
    _state: StreamState = field(repr=False)

    @cached_property
    def distribution(self) -> TokenDistribution:
        """Everything received for this choice up to `end` (built on first access)."""
        if self.final:
            return self._state.finals[self.choice]
        d = self._state.acc.distribution(self.choice, incomplete=True)
        return _head(d, self.end)

    @property
    def new(self) -> list[TokenLogprob]:
        """The positions this update added."""
        return list(self.distribution[self.start : self.end])

    @property
    def perplexity(self) -> float:
        """The running perplexity of the choice so far."""
        return self.distribution.perplexity

    @property
    def entropy(self) -> NDArray[np.float64]:
        """The entropy (renormalised top-k, nats) of each new position."""
        return self.distribution.entropy[self.start : self.end]


def _head(d: TokenDistribution, n: int) -> TokenDistribution:
    """The first `n` positions of `d` (an incomplete copy; `d` itself when it has no more)."""
    return d if n >= len(d) else d[:n].model_copy(update={"incomplete": True})


class StreamState:
    """The bookkeeping both stream twins share: chunks in, updates out."""

    def __init__(
        self,
        explain: Explain | None,
        requested: list[int] | None,
        asked: int | None = None,
        secrets: frozenset[str] = frozenset(),
    ) -> None:
        self.explain = explain
        self.secrets = secrets
        """The key and URL secrets of the stream's client: no error of the stream quotes them."""
        self.requested = requested
        self.asked = asked
        """The request's `top_logprobs`: finals holding fewer at every position warn (once)."""
        self.acc = StreamAccumulator()
        self.chunks: list[Any] = []
        self.sizes: dict[int, int] = {}
        self.finals: dict[int, TokenDistribution] = {}
        self.usage: Any = None
        self.done = False
        self.closed_early = False
        """Closed before its end: what arrived is all there is (built when asked for)."""
        self.broke: TokenprobsError | None = None
        """The error the stream ended with, raised again when its result is asked for."""

    def feed(self, chunk: Any) -> list[StreamUpdate]:  # noqa: ANN401 - any SDK chunk or event
        self.chunks.append(chunk)
        usage = getattr(chunk, "usage", None)
        if usage is None:
            usage = getattr(getattr(chunk, "response", None), "usage", None)
        if usage is not None:
            self.usage = usage
        try:
            grown = self.acc.feed(chunk)
        except (APIResponseError, UnsupportedResponseError) as exc:
            # an error event, or a chunk that cannot be read: the stream cannot go on past it
            raise self.interrupted(exc) from exc
        if (failed := failure(chunk)) is not None:
            raise self.interrupted(failed) from failed
        updates = []
        for choice, n in grown:
            start = self.sizes.get(choice, 0)
            self.sizes[choice] = n
            if n > start:
                updates.append(StreamUpdate(choice, start, n, final=False, _state=self))
        return updates

    def _built(self, choice: int) -> TokenDistribution:
        d = self.acc.distribution(choice, response=self.chunks)
        return d if self.requested is None else with_requested(d, self.requested)

    @contextmanager
    def _ending(self) -> Iterator[None]:
        """Mark the stream done; an error building its results is kept, to be raised again."""
        self.done = True
        try:
            yield
        except MissingLogprobsError as exc:
            better = self.explain(exc, self.acc.model) if self.explain else None
            self.broke = scrub(better or exc, self.secrets)
            if better is None:
                raise
            raise better from exc
        except TokenprobsError as exc:  # no chunk at all, an error body ...
            self.broke = scrub(exc, self.secrets)
            raise

    def finish(self) -> list[StreamUpdate]:
        """The final updates; a tool-call choice among several is left out, as by `parse_all`."""
        with self._ending():
            if self.acc.kind is None:
                seen = f" ({len(self.chunks)} event(s) carried none)" if self.chunks else ""
                msg = (
                    f"the event stream ended before its first answer chunk{seen}: the server "
                    "sent no answer; retry, or check the server's logs"
                )
                raise UnsupportedResponseError(msg)
            # no choice at all (only usage chunks): choice 0's error says the stream held none
            kept = each_choice(self._built, self.acc.choices or [0], who="the stream")
        fewer_in(kept, self.asked)
        self.finals = {d.choice: d for d in kept}
        return [
            StreamUpdate(c, len(d), len(d), final=True, _state=self) for c, d in self.finals.items()
        ]

    def first(self) -> TokenDistribution:
        """The lowest choice's final distribution (choice 0); its own error if it was left out."""
        results = self.results()
        lowest = min(self.acc.choices, default=results[0].choice)
        return results[0] if results[0].choice == lowest else self._built(lowest)

    def whole(self, body: bytes, content_type: str) -> list[StreamUpdate]:
        """The final updates of a body that is no event stream (a server that ignored `stream`).

        A whole completion is read as one; an API error body raises `APIResponseError`.
        """
        with self._ending():
            try:
                finals = parse_all(body, logprob_token_ids=self.requested)
            except UnsupportedResponseError as exc:
                if (cut := cut_short(body)) is not None:  # broke off: as a stream that breaks
                    raise self.interrupted(cut) from cut
                raise not_an_api_response(body, content_type) from exc
        fewer_in(finals, self.asked)
        self.finals = {d.choice: d for d in finals}
        response = finals[0].response
        self.usage = (
            response.get("usage")
            if isinstance(response, dict)
            else getattr(response, "usage", None)
        )
        return [StreamUpdate(d.choice, len(d), len(d), final=True, _state=self) for d in finals]

    def interrupted(self, cause: BaseException) -> StreamInterruptedError:
        self.done = True
        if isinstance(
            cause, TokenprobsError
        ):  # ours (an error event's); the SDK's stay as they are
            scrub(cause, self.secrets)
        answered = self.acc.choices if self.acc.kind is not None else []  # not filters alone
        partial = [
            self.acc.distribution(c, incomplete=True, response=self.chunks) for c in answered
        ]
        broke = self.broke = scrub(StreamInterruptedError(cause, partial), self.secrets)
        return broke

    def close(self) -> None:
        """The connection was closed: before the end, the stream ends with what arrived."""
        if not self.done:
            self.done = self.closed_early = True

    def results(self) -> list[TokenDistribution]:
        if self.broke is None and self.closed_early:
            closed = RuntimeError(CLOSED_EARLY)
            raise self.interrupted(closed) from closed
        if self.broke is not None:
            raise self.broke  # (a StreamInterruptedError's .distributions hold what arrived)
        if not self.finals:
            msg = "the stream is not finished: iterate it to the end, or call until_done()"
            raise StreamNotFinishedError(msg)
        return [self.finals[c] for c in sorted(self.finals)]


CLOSED_EARLY = (
    "it was closed before its end (by close(), or on leaving `with stream:`), so it has no "
    "final distribution; for one, iterate it to the end (or call until_done()) inside the block"
)
"""Why a stream closed early has only the partial distributions of its `StreamInterruptedError`."""
