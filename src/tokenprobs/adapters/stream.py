"""Streams: chat chunks, legacy completion chunks, Responses events, Ollama chunks, raw SSE."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tokenprobs._public import rehome
from tokenprobs._said import a_value, check_flag
from tokenprobs.adapters._chunk_kind import chunk_kind
from tokenprobs.adapters._columns import Columns, columns_from_entries
from tokenprobs.adapters._common import error_body, get, plain, seen, seq, stream_choice_index
from tokenprobs.adapters._sse import SSE, looks_like_sse, parse_sse
from tokenprobs.adapters.chat import TOOL_CALL_HINT
from tokenprobs.adapters.completions import legacy_columns, offset_bytes
from tokenprobs.adapters.responses import failure_of, parse_response
from tokenprobs.exceptions import MissingLogprobsError, TokenprobsWarning, UnsupportedResponseError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tokenprobs.models import TokenDistribution

__all__ = ["SSE", "StreamAccumulator", "chunk_kind", "looks_like_sse", "parse_sse"]

rehome(__name__, SSE)  # defined in _sse; its public path stays this module
chunk_kind.__module__ = __name__  # defined in _chunk_kind, documented here

_SOURCES = {
    "chat": "chat.stream",
    "completions": "completions.stream",
    "responses": "responses.stream",
    "ollama": "ollama",
}
_ENDPOINTS = {"chat": "chat.completions", "completions": "completions", "responses": "responses"}
"""The endpoint a stream kind came from (for `MissingLogprobsError`'s hint)."""
# a tuple, not a set: `in` then works on any value, hashable or not
_RESPONSE_END = ("response.completed", "response.incomplete", "response.failed")


@dataclass(slots=True)
class _Choice:
    content: Columns = field(default_factory=Columns)
    refusal: Columns = field(default_factory=Columns)
    finish_reason: str | None = None
    top_null: list[int] = field(default_factory=list)
    text_offset: list[int] | None = None
    offsets_lost: bool = False  # a chunk with tokens came without its `text_offset`
    parts_with_deltas: set[tuple[object, ...]] = field(default_factory=set)
    parts_with_text: set[tuple[object, ...]] = field(default_factory=set)
    ended: bool = False
    stopped_early: bool = False  # a Responses stream ended `incomplete` (max_output_tokens ...)
    text: list[str] = field(default_factory=list)
    refusal_text: list[str] = field(default_factory=list)
    saw_text: bool = False
    tool_call: bool = False
    filters: list[Any] | None = None
    values_from: dict[str, None] = field(default_factory=dict)  # an ordered set
    mixed: bool = False  # warned: several answers' chunks came under this index

    def note_filters(self, value: object) -> None:
        if value is not None:
            self.filters = [*(self.filters or []), plain(value)]


def _object(value: Any, field: str) -> Any:  # noqa: ANN401 - a JSON object or an SDK model
    """`value` when it is an object (a dict, or a model with attributes); else an error."""
    if isinstance(value, str | bytes | int | float | list | tuple):
        msg = f"expected an object, got {seen(value)}"
        raise UnsupportedResponseError(msg, field=field)
    return value


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
        self._final_error: MissingLogprobsError | None = None
        self.prompt_filter_results: list[Any] | None = None
        """Azure's `prompt_filter_results`, from whichever chunks carried them."""

    @property
    def choices(self) -> list[int]:
        """The choice indices seen so far, sorted."""
        return sorted(self._choices)

    def feed(self, chunk: Any) -> list[tuple[int, int]]:  # noqa: ANN401 - any chunk or event
        """Add one chunk; return `(choice, positions so far)` for each choice that grew.

        Raises:
            APIResponseError: the chunk is an error the server sent mid-stream, or a Responses
                `response.failed` event (what arrived before it stays available through
                `distribution`).
            UnsupportedResponseError: the chunk is not of the stream's kind.
        """
        body = plain(chunk) if get(chunk, "type") == "error" else chunk  # an SDK error event
        if isinstance(body, dict) and (err := error_body(body)) is not None:
            raise err
        kind = chunk_kind(chunk)
        if kind is None:
            msg = f"not a stream chunk or event: {type(chunk).__name__}"
            raise UnsupportedResponseError(msg, field=f"chunk[{self.chunks}]")
        prompt_filters = get(chunk, "prompt_filter_results")
        if prompt_filters is not None:
            self.prompt_filter_results = [
                *(self.prompt_filter_results or []),
                *plain(prompt_filters),
            ]
        if kind == "filter":  # Azure: filter results only, anywhere in the stream
            self.chunks += 1
            for j, c in enumerate(get(chunk, "choices") or []):
                state = self._choice(c, f"chunk[{self.chunks - 1}].choices[{j}]")
                state.note_filters(get(c, "content_filter_results"))
            return []
        if self.kind is None:
            self.kind = kind
        elif kind != self.kind:
            msg = f"a {kind} chunk in a {self.kind} stream"
            raise UnsupportedResponseError(msg, field=f"chunk[{self.chunks}]")
        path = f"chunk[{self.chunks}]"
        self.chunks += 1
        # a Responses stream names its model in the events' `response` (created, completed)
        model = get(get(chunk, "response") if kind == "responses" else chunk, "model")
        if isinstance(model, str):
            self.model = model
        before = {i: len(c.content) + len(c.refusal) for i, c in self._choices.items()}
        getattr(self, f"_feed_{kind}")(chunk, path)
        return [
            (i, n)
            for i, c in sorted(self._choices.items())
            if (n := len(c.content) + len(c.refusal)) != before.get(i, 0)
        ]

    def _choice(self, c: Any, path: str) -> _Choice:  # noqa: ANN401
        """The state of chunk choice `c`'s answer (choice 0 when it has no `index`)."""
        return self._choices.setdefault(stream_choice_index(c, path), _Choice())

    def _logprobs_of(self, chunk: Any, path: str) -> Iterator[tuple[_Choice, Any, str]]:  # noqa: ANN401
        """Each choice's state and non-null `logprobs` (noting its finish reason on the way)."""
        here: set[int] = set()
        for j, c in enumerate(seq(get(chunk, "choices"), f"{path}.choices") or []):
            _object(c, f"{path}.choices[{j}]")
            index = get(c, "index")
            state = self._choice(c, f"{path}.choices[{j}]")
            finish = get(c, "finish_reason")
            ended = state.ended  # before this chunk: tokens after it are another answer's
            if id(state) in here or (finish is not None and ended):
                _mixed(state, index, f"{path}.choices[{j}]")
            here.add(id(state))
            if finish is not None:
                state.finish_reason, state.ended = str(finish), True
                state.tool_call |= state.finish_reason in ("tool_calls", "function_call")
            state.note_filters(get(c, "content_filter_results"))
            delta = get(c, "delta")
            if delta is not None:
                state.saw_text = True
                if isinstance(piece := get(delta, "content"), str):
                    state.text.append(piece)
                if isinstance(piece := get(delta, "refusal"), str):
                    state.refusal_text.append(piece)
                state.tool_call |= bool(get(delta, "tool_calls") or get(delta, "function_call"))
            elif isinstance(piece := get(c, "text"), str):
                state.saw_text = True
                state.text.append(piece)
            lp = get(c, "logprobs")
            if ended and (_has_tokens(lp) or _has_text(c)):
                _mixed(state, index, f"{path}.choices[{j}]")
            if lp is not None:
                yield (
                    state,
                    _object(lp, f"{path}.choices[{j}].logprobs"),
                    f"{path}.choices[{j}].logprobs",
                )

    def _feed_chat(self, chunk: Any, path: str) -> None:  # noqa: ANN401
        for state, lp, p in self._logprobs_of(chunk, path):
            if get(lp, "tokens") is not None and get(lp, "content") is None:
                _add_legacy(state, lp, p)  # Together's legacy shape, as `chat` reads it
                continue
            content = seq(get(lp, "content"), f"{p}.content")
            refusal = seq(get(lp, "refusal"), f"{p}.refusal")
            if content:
                state.content.extend(columns_from_entries(content, f"{p}.content"))
            if refusal:
                state.refusal.extend(columns_from_entries(refusal, f"{p}.refusal"))

    def _feed_completions(self, chunk: Any, path: str) -> None:  # noqa: ANN401
        for state, lp, p in self._logprobs_of(chunk, path):
            _add_legacy(state, lp, p)

    def _feed_responses(self, event: Any, path: str) -> None:  # noqa: ANN401
        kind = get(event, "type")
        state = self._choices.setdefault(0, _Choice())
        if kind in ("response.output_text.delta", "response.output_text.done"):
            self._feed_text_event(state, event, kind, path)
        elif kind in _RESPONSE_END:
            if kind == "response.failed":  # the server's error, as the failed Response's own
                raise failure_of(get(event, "response"))
            state.ended = True
            response = get(event, "response")
            status = get(response, "status")
            state.finish_reason = status if isinstance(status, str) else kind.split(".")[-1]
            state.stopped_early = state.finish_reason == "incomplete"  # as the whole response
            if not len(state.content) and response is not None:
                try:
                    self._final = parse_response(response, values_from=kind)
                except MissingLogprobsError as exc:  # raised by distribution(), not by feed()
                    self._final_error = exc

    @staticmethod
    def _feed_text_event(state: _Choice, event: Any, kind: str, path: str) -> None:  # noqa: ANN401
        """A `response.output_text.delta` / `.done` event: text and logprobs, deltas preferred."""
        # a key for the part; a malformed index (a list, a dict) is kept by its text, not hashed
        part = tuple(
            v if v is None or isinstance(v, int) else repr(v)
            for v in (get(event, "output_index"), get(event, "content_index"))
        )
        entries = seq(get(event, "logprobs"), f"{path}.logprobs") or []
        state.saw_text = True
        if kind.endswith(".delta"):
            if isinstance(piece := get(event, "delta"), str):
                state.parts_with_text.add(part)
                state.text.append(piece)
            if entries:
                state.parts_with_deltas.add(part)
        else:
            if part not in state.parts_with_text and isinstance(piece := get(event, "text"), str):
                state.text.append(piece)
            if part in state.parts_with_deltas:
                return  # the deltas already carried these positions, at full precision
        if entries:
            state.values_from[kind] = None
        state.content.extend(columns_from_entries(entries, f"{path}.logprobs"))

    def _feed_ollama(self, chunk: dict[str, Any], path: str) -> None:
        state = self._choices.setdefault(0, _Choice())
        piece = chunk.get("response", get(chunk.get("message"), "content"))
        if isinstance(piece, str):
            state.saw_text = True
            state.text.append(piece)
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

        Raises:
            MissingLogprobsError: The choice ended as a tool call with no logprob positions
                (tool-call arguments carry none on OpenAI), or ended with text but no logprobs.
            UnsupportedResponseError: No chunk carried a choice (only usage chunks), or none
                carried `choice`.
        """
        check_flag(
            incomplete, "incomplete", "mark the result incomplete", none="decides from the stream"
        )
        if self.kind is None:
            msg = "the stream carried no chunks"
            raise UnsupportedResponseError(msg)
        if isinstance(choice, bool) or not isinstance(choice, int):
            msg = f"choice is a choice's index (an int), got {a_value(choice)}"
            raise TypeError(msg)
        if not self._choices:
            msg = (
                f"no chunk of the stream carried a choice (every one of its {self.chunks} "
                "chunk(s) had choices: []): the server sent no answer, only usage or filter "
                "chunks (a request with n=0, or an answer it dropped); check the request and "
                "the server's logs, then retry"
            )
            raise UnsupportedResponseError(msg, field="choices")
        if choice not in self._choices:
            msg = f"there is no choice {choice}: the stream has choices {self.choices}"
            raise UnsupportedResponseError(msg, field="choices")
        state = self._choices[choice]
        ended = state.ended if incomplete is None else not incomplete
        early = not ended or (incomplete is None and state.stopped_early)
        if self._final_error is not None and not len(state.content) and ended:
            raise self._final_error
        if self._final is not None and not len(state.content):
            return self._final.model_copy(
                update={"source": _SOURCES["responses"], "incomplete": early}
            )
        use_refusal = not len(state.content) and len(state.refusal) > 0
        # a snapshot: the distribution must not grow (its lists longer than its arrays) as the
        # stream goes on extending the choice's columns
        cols = (state.refusal if use_refusal else state.content).snapshot()
        if ended and state.tool_call and not len(cols):
            msg = (
                f"choice {choice} of the stream is a tool call: logprobs.content was null in "
                "every chunk, as tool-call arguments carry no logprobs"
            )
            raise MissingLogprobsError(msg, endpoint="chat.completions", hint=TOOL_CALL_HINT)
        text = state.refusal_text if use_refusal else state.text
        chars = sum(map(len, text))
        if ended and not len(cols) and chars and self.kind in _ENDPOINTS:  # Ollama says its own
            msg = (
                f"choice {choice} of the stream has {chars} characters of text but no chunk "
                "carried its logprobs: the server ignored `logprobs`"
            )
            raise MissingLogprobsError(msg, endpoint=_ENDPOINTS.get(self.kind))
        offsets = None if state.offsets_lost else state.text_offset
        if cols.token_ids is not None and offsets:  # legacy-shaped logprobs (chat's too)
            cols = _with_offset_bytes(cols, "".join(text), offsets)
        return cols.build(
            _SOURCES[self.kind],
            choice=choice,
            finish_reason=state.finish_reason,
            refusal=use_refusal,
            incomplete=early,
            model=self.model,
            top_null=state.top_null,
            text_offset=offsets,
            # an echoed prompt (null first logprob) whose end a stream does not say
            prompt_length=None if cols.logprobs[:1] == [None] else 0,
            response=response,
            content="".join(text) if state.saw_text else None,
            prompt_filter_results=self.prompt_filter_results,
            content_filter_results=state.filters,
            values_from="+".join(state.values_from) or None,
        )


def _has_tokens(lp: Any) -> bool:  # noqa: ANN401 - a JSON object or an SDK model
    """Whether a chunk's `logprobs` holds tokens (chat `content`/`refusal`, legacy `tokens`)."""
    return lp is not None and any(
        isinstance(v := get(lp, name), list) and v for name in ("content", "refusal", "tokens")
    )


def _has_text(c: Any) -> bool:  # noqa: ANN401 - a JSON object or an SDK model
    """Whether a chunk's choice carries text (a chat delta's `content`/`refusal`, or `text`)."""
    delta = get(c, "delta")
    pieces = (
        [get(delta, "content"), get(delta, "refusal")] if delta is not None else [get(c, "text")]
    )
    return any(isinstance(p, str) and p for p in pieces)


def _mixed(state: _Choice, index: object, path: str) -> None:
    """Warn (once per choice) that another answer's chunks came under the choice's index.

    That is: the index came twice in one chunk, finished twice, or had tokens after it finished.
    """
    if not state.mixed:
        state.mixed = True
        msg = (
            f"{path}: choice {index!r} of the stream came twice in one chunk, finished twice, "
            "or had tokens after it finished: "
            "the server gave several answers the same index (n > 1 numbered alike), so their "
            "tokens are mixed into one distribution; ask for one answer per request (n=1)"
        )
        warnings.warn(msg, TokenprobsWarning, stacklevel=5)


def _add_legacy(state: _Choice, lp: Any, path: str) -> None:  # noqa: ANN401
    """Append one chunk's legacy `logprobs` (`tokens`, ...): columns, null rows, text offsets."""
    cols, top_null, offsets = legacy_columns(lp, path, start=len(state.content))
    state.content.extend(cols)
    state.top_null += top_null
    if offsets is None:  # the later offsets would be read as these tokens'
        state.offsets_lost |= len(cols) > 0
    else:
        state.text_offset = (state.text_offset or []) + offsets


def _with_offset_bytes(cols: Columns, text: str, offsets: list[int]) -> Columns:
    """A copy of a stream's `"token_id:N"` columns with bytes cut from the joined text."""
    copy = Columns()
    copy.extend(cols)
    return copy if offset_bytes(copy, text, offsets) else cols
