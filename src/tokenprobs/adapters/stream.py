"""Streams: chat chunks, legacy completion chunks, Responses events, Ollama chunks, raw SSE."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pydantic_core

from tokenprobs.adapters._common import Columns, columns_from_entries, error_body, get, seq
from tokenprobs.adapters.completions import legacy_columns
from tokenprobs.exceptions import UnsupportedResponseError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tokenprobs.models import TokenDistribution

__all__ = ["SSE", "StreamAccumulator", "chunk_kind", "parse_sse"]

_SOURCES = {
    "chat": "chat.stream",
    "completions": "completions.stream",
    "responses": "responses.stream",
    "ollama": "ollama",
}
_RESPONSE_END = {"response.completed", "response.incomplete", "response.failed"}


@dataclass(slots=True)
class _Choice:
    content: Columns = field(default_factory=Columns)
    refusal: Columns = field(default_factory=Columns)
    finish_reason: str | None = None
    top_null: list[int] = field(default_factory=list)
    text_offset: list[int] | None = None
    parts_with_deltas: set[tuple[object, object]] = field(default_factory=set)
    ended: bool = False


def chunk_kind(chunk: Any) -> str | None:  # noqa: ANN401 - any chunk or event
    """`"chat"`, `"completions"`, `"responses"` or `"ollama"` for a stream chunk; else `None`."""
    obj = get(chunk, "object")
    if obj == "chat.completion.chunk":
        return "chat"
    kind = get(chunk, "type")
    if isinstance(kind, str) and kind.startswith("response."):
        return "responses"
    if isinstance(chunk, dict) and "done" in chunk and ("response" in chunk or "message" in chunk):
        return "ollama"
    choices = get(chunk, "choices")
    if isinstance(choices, list) and obj in (None, "text_completion"):
        first = choices[0] if choices else None
        if obj == "text_completion" or get(first, "text") is not None:
            return "completions"
        if get(first, "delta") is not None:
            return "chat"
    return None


class StreamAccumulator:
    """Builds distributions from stream chunks fed one at a time, choices kept apart by `index`.

    Examples:
        >>> from tokenprobs.testing import chat_chunks
        >>> acc = StreamAccumulator()
        >>> for chunk in chat_chunks([("Hi", -0.1, []), ("!", -0.2, [])]):
        ...     _ = acc.feed(chunk)
        >>> acc.distribution().tokens
        ['Hi', '!']
    """

    def __init__(self) -> None:
        """An empty accumulator; the stream's kind is taken from its first chunk."""
        self.kind: str | None = None
        self.model: str | None = None
        self.chunks = 0
        self._choices: dict[int, _Choice] = {}
        self._final: TokenDistribution | None = None

    @property
    def choices(self) -> list[int]:
        """The choice indices seen so far, sorted."""
        return sorted(self._choices)

    def feed(self, chunk: Any) -> list[tuple[int, int]]:  # noqa: ANN401 - any chunk or event
        """Add one chunk; return `(choice, positions so far)` for each choice that grew.

        Raises:
            APIResponseError: the chunk is an error the server sent mid-stream (what arrived
                before it stays available through `distribution`).
            UnsupportedResponseError: the chunk is not of the stream's kind.
        """
        if isinstance(chunk, dict) and (err := error_body(chunk)) is not None:
            raise err
        kind = chunk_kind(chunk)
        if kind is None:
            msg = f"not a stream chunk or event: {type(chunk).__name__}"
            raise UnsupportedResponseError(msg, field=f"chunk[{self.chunks}]")
        if self.kind is None:
            self.kind = kind
        elif kind != self.kind:
            msg = f"a {kind} chunk in a {self.kind} stream"
            raise UnsupportedResponseError(msg, field=f"chunk[{self.chunks}]")
        path = f"chunk[{self.chunks}]"
        self.chunks += 1
        model = get(chunk, "model")
        if isinstance(model, str):
            self.model = model
        before = {i: len(c.content) + len(c.refusal) for i, c in self._choices.items()}
        getattr(self, f"_feed_{kind}")(chunk, path)
        return [
            (i, n)
            for i, c in sorted(self._choices.items())
            if (n := len(c.content) + len(c.refusal)) != before.get(i, 0)
        ]

    def _choice(self, index: Any) -> _Choice:  # noqa: ANN401
        if not isinstance(index, int) or isinstance(index, bool):
            index = 0
        return self._choices.setdefault(index, _Choice())

    def _logprobs_of(self, chunk: Any, path: str) -> Iterator[tuple[_Choice, Any, str]]:  # noqa: ANN401
        """Each choice's state and non-null `logprobs` (noting its finish reason on the way)."""
        for j, c in enumerate(seq(get(chunk, "choices"), f"{path}.choices") or []):
            state = self._choice(get(c, "index"))
            finish = get(c, "finish_reason")
            if finish is not None:
                state.finish_reason, state.ended = str(finish), True
            lp = get(c, "logprobs")
            if lp is not None:
                yield state, lp, f"{path}.choices[{j}].logprobs"

    def _feed_chat(self, chunk: Any, path: str) -> None:  # noqa: ANN401
        for state, lp, p in self._logprobs_of(chunk, path):
            if get(lp, "tokens") is not None and get(lp, "content") is None:
                cols, _, _ = legacy_columns(lp, p, start=len(state.content))
                state.content.extend(cols)
                continue
            content = seq(get(lp, "content"), f"{p}.content")
            refusal = seq(get(lp, "refusal"), f"{p}.refusal")
            if content:
                state.content.extend(columns_from_entries(content, f"{p}.content"))
            if refusal:
                state.refusal.extend(columns_from_entries(refusal, f"{p}.refusal"))

    def _feed_completions(self, chunk: Any, path: str) -> None:  # noqa: ANN401
        for state, lp, p in self._logprobs_of(chunk, path):
            cols, top_null, offsets = legacy_columns(lp, p, start=len(state.content))
            state.content.extend(cols)
            state.top_null += top_null
            if offsets is not None:
                state.text_offset = (state.text_offset or []) + offsets

    def _feed_responses(self, event: Any, path: str) -> None:  # noqa: ANN401
        from tokenprobs.adapters.responses import parse_response  # noqa: PLC0415

        kind = get(event, "type")
        state = self._choice(0)
        if kind in ("response.output_text.delta", "response.output_text.done"):
            part = (get(event, "output_index"), get(event, "content_index"))
            entries = seq(get(event, "logprobs"), f"{path}.logprobs") or []
            if kind.endswith(".delta"):
                state.parts_with_deltas.add(part)
            elif part in state.parts_with_deltas:
                return  # the deltas already carried these positions
            state.content.extend(columns_from_entries(entries, f"{path}.logprobs"))
        elif kind in _RESPONSE_END:
            state.ended = True
            response = get(event, "response")
            status = get(response, "status")
            state.finish_reason = status if isinstance(status, str) else kind.split(".")[-1]
            if not len(state.content) and response is not None:
                self._final = parse_response(response)

    def _feed_ollama(self, chunk: dict[str, Any], path: str) -> None:
        state = self._choice(0)
        entries = seq(chunk.get("logprobs"), f"{path}.logprobs")
        if entries:
            state.content.extend(columns_from_entries(entries, f"{path}.logprobs"))
        if chunk.get("done") is True:
            state.ended = True
            reason = chunk.get("done_reason")
            state.finish_reason = reason if isinstance(reason, str) else "stop"

    def distribution(
        self,
        choice: int = 0,
        *,
        incomplete: bool | None = None,
        response: object = None,
    ) -> TokenDistribution:
        """The distribution of `choice` so far.

        Args:
            choice: The choice index.
            incomplete: Mark the result incomplete; `None` decides from the stream (no finish
                reason, `[DONE]` or completion event seen for this choice).
            response: What to keep as `d.response` (e.g. the list of chunks).
        """
        if self.kind is None:
            msg = "the stream carried no chunks"
            raise UnsupportedResponseError(msg)
        if choice not in self._choices:
            msg = f"there is no choice {choice}: the stream has choices {self.choices}"
            raise UnsupportedResponseError(msg, field="choices")
        state = self._choices[choice]
        ended = state.ended if incomplete is None else not incomplete
        if self._final is not None and not len(state.content):
            return self._final.model_copy(
                update={"source": _SOURCES["responses"], "incomplete": not ended}
            )
        use_refusal = not len(state.content) and len(state.refusal) > 0
        cols = state.refusal if use_refusal else state.content
        return cols.build(
            _SOURCES[self.kind],
            choice=choice,
            finish_reason=state.finish_reason,
            refusal=use_refusal,
            incomplete=not ended,
            model=self.model,
            top_null=state.top_null,
            text_offset=state.text_offset,
            response=response,
        )


@dataclass(frozen=True, slots=True)
class SSE:
    """The JSON payloads of a server-sent-events body, and how it ended."""

    payloads: list[Any]
    done: bool
    """A `data: [DONE]` line was seen."""
    truncated: bool
    """The body stopped inside an event (its last event is incomplete and was dropped)."""


def looks_like_sse(text: str) -> bool:
    """Whether a text body is server-sent events rather than JSON."""
    head = text.lstrip()[:16]
    return head.startswith(("data:", "event:", "id:", ":"))


def parse_sse(text: str) -> SSE:
    """Split an SSE body into its JSON payloads (`[DONE]` noted, a cut-off last event dropped)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = text.split("\n\n")
    complete, last = blocks[:-1], blocks[-1]
    payloads: list[Any] = []
    done = truncated = False
    for n, block in enumerate([*complete, last]):
        data = "\n".join(
            line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")
        )
        if not data:
            continue
        if data.strip() == "[DONE]":
            done = True
            continue
        try:
            payloads.append(pydantic_core.from_json(data))
        except ValueError as exc:
            if n == len(complete):  # the unterminated last event: the body was cut here
                truncated = True
                continue
            msg = f"event {n} is not valid JSON ({exc})"
            raise UnsupportedResponseError(msg, field="sse") from exc
    return SSE(payloads, done, truncated)
