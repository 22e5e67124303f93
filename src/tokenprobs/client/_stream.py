"""`stream=True`: updates position by position, the final distribution, and nothing lost.

`DistributionStream` (sync) and `AsyncDistributionStream` wrap the SDK's stream; both feed a
shared `StreamState` (`_state`), so only the iteration differs. A stream that ends without its
finish chunk gives distributions marked `incomplete`; one that breaks (a network error mid-way,
an error event) raises `StreamInterruptedError` carrying what arrived, and raises it again when
asked for the final distribution; so does one closed before its end (`with stream:` left early).
A server that answers with no event stream at all (a whole
completion, an error body, a web page) is read as that body.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterable, Iterable, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Self

from tokenprobs._said import a_type
from tokenprobs.adapters._plausible import checked_asked
from tokenprobs.client._answers import not_a_stream
from tokenprobs.client._defaults import secrets_of
from tokenprobs.client._state import StreamState, StreamUpdate
from tokenprobs.exceptions import StreamInterruptedError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from types import TracebackType

    from tokenprobs.client._state import Explain
    from tokenprobs.models import TokenDistribution

__all__ = ["AsyncDistributionStream", "DistributionStream", "StreamInterruptedError"]


_END = object()
"""What `next` / `anext` give once the SDK's stream is exhausted."""


def _cannot_wrap(sdk_stream: object, wraps: str, other: type, fix: str) -> TypeError:
    """What a stream class says it `wraps`, given something else (`fix`: it is an `other`)."""
    hint = fix if isinstance(sdk_stream, other) else ""
    return TypeError(f"{wraps}, got {a_type(sdk_stream)}{hint}")


class _Base(ABC):
    def __init__(
        self,
        sdk_stream: Any,  # noqa: ANN401 - the SDK's Stream or AsyncStream
        *,
        explain: Explain | None = None,
        requested: list[int] | None = None,
        top_logprobs: int | None = None,
    ) -> None:
        """Wrap the SDK's stream (iterated lazily).

        `explain` rewords an answer's `MissingLogprobsError` (`None` when its words stand):
        tokenprobs passes one saying the server ignored the `logprobs` it asked for.
        `requested` (vLLM's `logprob_token_ids` of the request) fills the final distributions'
        `requested_logprobs`, as `tp.parse(..., logprob_token_ids=...)` does.
        `top_logprobs` (the request's) warns, at the end, about an answer that holds fewer
        alternatives than that at every position: a server that caps them.
        """
        self._it = self._chunks(sdk_stream)
        self._sdk = sdk_stream
        client = getattr(sdk_stream, "_client", None)  # the SDK's Stream keeps its client
        asked, secrets = checked_asked(top_logprobs), secrets_of(client)
        self._state = StreamState(explain, requested, asked, secrets)
        self._pending: deque[StreamUpdate] = deque()
        self._whole = not_a_stream(sdk_stream)

    @staticmethod
    @abstractmethod
    def _chunks(sdk_stream: Any) -> Iterator[Any] | AsyncIterator[Any]:  # noqa: ANN401
        """The twin's iterator of `sdk_stream`; a `TypeError` for what it cannot wrap."""

    def _closing(self) -> None:
        """Closed before its end: nothing more is read, and the result is what arrived."""
        self._state.close()
        self._whole = None

    @contextmanager
    def _breaking(self) -> Iterator[None]:
        """A read that fails breaks the stream: `StreamInterruptedError`, carrying what arrived."""
        try:
            yield
        except Exception as exc:
            raise self._state.interrupted(exc) from exc

    def _arrived(self, chunk: object) -> None:
        """Queue the updates of a chunk, or (`_END`: the SDK's stream ended) the final ones."""
        self._pending.extend(self._state.finish() if chunk is _END else self._state.feed(chunk))

    @property
    def done(self) -> bool:
        """True once the stream has ended: at its end, in an error, or closed before its end."""
        return self._state.done

    @property
    def distribution(self) -> TokenDistribution:
        """The final distribution of the first choice (after the stream ended)."""
        return self._state.first()

    @property
    def distributions(self) -> list[TokenDistribution]:
        """The final distribution of every choice, in index order (after the stream ended)."""
        return self._state.results()

    @property
    def usage(self) -> Any:  # noqa: ANN401 - the SDK's usage object of the endpoint
        """The usage chunk's `usage`, when the stream sent one."""
        return self._state.usage

    @property
    def chunks(self) -> list[Any]:
        """Every chunk or event received, as the SDK gave them."""
        return self._state.chunks


class DistributionStream(_Base):
    """Updates as positions arrive (`StreamUpdate`), then one `final` update per choice.

    Examples:
        >>> stream = tp.get_token_distribution("Hi", model="gpt-4o", stream=True)  # doctest: +SKIP
        >>> for u in stream:  # doctest: +SKIP
        ...     print(u.choice, u.new, u.perplexity)
        >>> stream.distribution  # doctest: +SKIP
    """

    _it: Iterator[Any]

    @staticmethod
    def _chunks(sdk_stream: Any) -> Iterator[Any]:  # noqa: ANN401 - the SDK's Stream
        """The SDK's stream iterated; a `TypeError` for what is no (sync) stream of chunks."""
        if not isinstance(sdk_stream, Iterable) or isinstance(sdk_stream, str | bytes | Mapping):
            wraps = (
                "DistributionStream wraps the SDK's stream (create(..., stream=True)) or an "
                "iterable of its chunks"
            )
            fix = " (an async stream: wrap it in AsyncDistributionStream)"
            raise _cannot_wrap(sdk_stream, wraps, AsyncIterable, fix)
        return iter(sdk_stream)

    def __iter__(self) -> Self:
        """The stream is its own iterator."""
        return self

    def __next__(self) -> StreamUpdate:
        """The next update; raises `StreamInterruptedError` if the stream breaks."""
        if self._whole is not None:  # a JSON answer, an HTML page ...: read as one body
            response, kind = self._whole
            self._whole = None
            with self._breaking():  # the body broke off: as a stream that breaks
                body = response.read()
            self._pending.extend(self._state.whole(body, kind))
        while not self._pending:
            if self._state.done:
                raise StopIteration
            with self._breaking():
                chunk = next(self._it, _END)
            self._arrived(chunk)
        return self._pending.popleft()

    def until_done(self) -> TokenDistribution:
        """Consume the rest of the stream and return choice 0's final distribution."""
        for _ in self:
            pass
        return self.distribution

    def close(self) -> None:
        """Close the underlying HTTP response (before the end: see `_state.CLOSED_EARLY`)."""
        self._closing()
        close = getattr(self._sdk, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Self:
        """Use as a context manager to close the connection on exit."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the connection."""
        self.close()


class AsyncDistributionStream(_Base):
    """The async twin of `DistributionStream`: `async for update in stream`."""

    _it: AsyncIterator[Any]

    @staticmethod
    def _chunks(sdk_stream: Any) -> AsyncIterator[Any]:  # noqa: ANN401 - the SDK's AsyncStream
        """The SDK's async stream iterated; a `TypeError` for what is no async stream of chunks."""
        if not isinstance(sdk_stream, AsyncIterable):
            wraps = (
                "AsyncDistributionStream wraps the async SDK's stream (await create(..., "
                "stream=True)) or an async iterable of its chunks"
            )
            raise _cannot_wrap(
                sdk_stream, wraps, Iterable, " (a sync stream: wrap it in DistributionStream)"
            )
        return aiter(sdk_stream)

    def __aiter__(self) -> Self:
        """The stream is its own async iterator."""
        return self

    async def __anext__(self) -> StreamUpdate:
        """The next update; raises `StreamInterruptedError` if the stream breaks."""
        if self._whole is not None:  # a JSON answer, an HTML page ...: read as one body
            response, kind = self._whole
            self._whole = None
            with self._breaking():  # the body broke off: as a stream that breaks
                body = await response.aread()
            self._pending.extend(self._state.whole(body, kind))
        while not self._pending:
            if self._state.done:
                raise StopAsyncIteration
            with self._breaking():
                chunk = await anext(self._it, _END)
            self._arrived(chunk)
        return self._pending.popleft()

    async def until_done(self) -> TokenDistribution:
        """Consume the rest of the stream and return choice 0's final distribution."""
        async for _ in self:
            pass
        return self.distribution

    async def aclose(self) -> None:
        """Close the underlying HTTP response (before the end: see `_state.CLOSED_EARLY`)."""
        self._closing()
        close = getattr(self._sdk, "close", None)
        if close is not None and inspect.isawaitable(closed := close()):
            await closed  # the SDK's AsyncStream; an async iterator's own close may be sync

    async def __aenter__(self) -> Self:
        """Use as an async context manager to close the connection on exit."""
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Close the connection."""
        await self.aclose()
