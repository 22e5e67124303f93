"""`TokenDistribution`: one output's tokens, logprobs and alternatives, held as columns.

It builds a `TokenLogprob` only when a position is accessed, so a 4,096-token, top-20 answer
costs a few arrays, not 86,000 objects. What the columns mean (text, candidates, metrics) is in
`Measures`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar, Self, overload

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator

from tokenprobs.metrics._numeric import as_float
from tokenprobs.models._arrays import (
    SENTINEL,
    Array1D,
    Array2D,
    check_columns,
    pad_rows,
    readonly,
    row_counts,
)
from tokenprobs.models._ids import (
    IdArray1D,
    IdArray2D,
    RequestedArray,
    ids_1d,
    ids_2d,
    no_ids,
    ragged_ids,
)
from tokenprobs.models._measures import Measures
from tokenprobs.models._serial import Serial
from tokenprobs.models._slicing import sliced_fields
from tokenprobs.models._support import position
from tokenprobs.models._tokens import Bytes, TokenLogprob, TopLogprob
from tokenprobs.models._views import Views

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from numpy.typing import NDArray

__all__ = ["TokenDistribution"]


class TokenDistribution(Measures, Views, Serial, BaseModel):
    """One output's tokens, position by position, with their logprobs and alternatives.

    Columnar: the arrays below are built once at parse time; a `TokenLogprob` for position `i`
    is built only when `d[i]` is accessed. Arrays are read-only.

    Examples:
        >>> import tokenprobs as tp
        >>> from tokenprobs.testing import chat_completion
        >>> d = tp.parse(chat_completion([("Hi", -0.1, [("Hi", -0.1), ("Hello", -2.4)])]))
        >>> d.tokens, round(float(d.probs[0]), 3)
        (['Hi'], 0.905)
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, extra="forbid")

    source: str
    """Which response shape it came from: `"chat"`, `"chat.stream"`, `"completions"`,
    `"completions.stream"`, `"responses"`, `"responses.stream"`, `"ollama"`, `"logprobs"` ..."""
    choice: int = 0
    """The index of the choice (`n > 1`) or output this distribution belongs to."""
    finish_reason: str | None = None
    """Why generation stopped, as the API said (`"stop"`, `"length"` ...), when it said."""
    refusal: bool = False
    """True when these are the logprobs of a refusal (`logprobs.refusal`), not of content."""
    incomplete: bool = False
    """True when the source ended early (a stream cut off before its end): what arrived is kept."""
    model: str | None = None
    """The model id the response names, when it names one."""
    tokens: list[str]
    """The sampled tokens, as the API gave them."""
    token_bytes: list[Bytes]
    """The sampled tokens' UTF-8 bytes as given; `None` where the API gave none."""
    logprobs: Array1D
    """Sampled-token logprobs, shape `(T,)`: `-inf` for the `-9999.0` sentinel, NaN where the API
    gave `null` (the first token of an `echo`ed prompt)."""
    top_tokens: list[list[str]]
    """The alternatives' tokens at each position, in the order returned."""
    top_bytes: list[list[Bytes]]
    """The alternatives' bytes at each position, as given."""
    top_logprobs: Array2D
    """The alternatives' logprobs, shape `(T, K)`, padded with `-inf` past each position's count."""
    token_ids: IdArray1D = Field(default_factory=no_ids)
    """The sampled tokens' ids, shape `(T,)` int64, `-1` where the server gave none: vLLM's
    `"token_id:N"` token strings (`return_tokens_as_token_ids`) and `token_ids` /
    `prompt_token_ids` (`return_token_ids`), llama.cpp's `id` fields, prompt-logprob keys."""
    top_token_ids: IdArray2D = Field(default_factory=lambda: no_ids(2))
    """The alternatives' ids, shape `(T, K)` like `top_logprobs`, `-1` where unknown or padding."""
    ranks: IdArray1D = Field(default_factory=no_ids)
    """The sampled (or prompt) token's rank in the whole vocabulary, 1 for the most likely,
    shape `(T,)` int64, `-1` where the server gave none (vLLM's `prompt_logprobs` give it)."""
    top_ranks: IdArray2D = Field(default_factory=lambda: no_ids(2))
    """The alternatives' ranks, shape `(T, K)`, `-1` where unknown or padding."""
    requested_token_ids: list[int] = Field(default_factory=list)
    """The token ids whose logprobs were asked for at every position whatever their rank (vLLM's
    `logprob_token_ids`, given to `parse(obj, logprob_token_ids=...)`); `[]` when none."""
    requested_logprobs: RequestedArray = Field(default_factory=lambda: np.zeros((0, 0)))
    """Shape `(T, R)`: the logprob of `requested_token_ids[r]` at position `t` (an exact value,
    not bounded by the top-k), NaN where the server gave none."""
    top_null: list[int] = Field(default_factory=list)
    """Positions where the API gave `null` rather than a list of alternatives (legacy
    `logprobs=0`, an echoed prompt's first token)."""
    text_offset: list[int] | None = None
    """Character offsets of each token in the legacy Completions text, as given."""
    prompt_length: int | None = 0
    """How many leading positions are the prompt, not generated: those of an `echo`ed legacy
    completion, all of a prompt's distribution (`parse(obj, part="prompt")`); 0 when none, and
    `None` for an echo whose response does not say where its prompt ends (no `usage`)."""
    content: str | None = None
    """The text the response gave beside these logprobs: the message's `content` (its
    `refusal` for a refusal), a legacy choice's `text`, the Responses `output_text`, or the
    streamed deltas joined; `""` where the message's content was null (a tool call); `None`
    where the shape carries no text (a bare logprobs object). `text_matches_content` compares."""
    prompt_filter_results: list[Any] | None = None
    """Azure OpenAI's `prompt_filter_results`, as sent (a stream's filter-only chunks included)."""
    content_filter_results: list[Any] | None = None
    """Azure OpenAI's `content_filter_results` of this choice, in the order they came (one per
    chunk that carried them in a stream)."""
    values_from: str | None = None
    """Where the logprobs were read from when a response carries several copies: a Responses
    stream's `"response.output_text.delta"` events (full precision, preferred), else the
    rounded copies in `"response.output_text.done"` or `"response.completed"`; `"response"`
    for a Responses object. `None` for shapes with one copy."""
    bytes_decoded: str | None = None
    """`"gpt2"` where the server's `bytes` were the UTF-8 of GPT-2 byte-level BPE symbols
    (`ĠHello`; lmdeploy) and tokenprobs decoded them to the tokens' real bytes;
    `"text_offset"` where the server sent token ids as tokens (`"token_id:N"`) and no bytes, and
    the sampled tokens' bytes were cut from the response text at their `text_offset` (the
    tokenizer-free fallback: an alternative's text is then unknown unless it is the sampled
    token); else `None`."""
    response: Any = Field(default=None, exclude=True, repr=False)
    """The original response object, when the distribution was parsed from one (not serialised)."""

    @classmethod
    def from_columns(
        cls,
        *,
        source: str,
        tokens: list[str],
        token_bytes: list[Bytes],
        logprobs: Sequence[float | None] | NDArray[np.float64],
        top_tokens: list[list[str]],
        top_bytes: list[list[Bytes]],
        top_logprobs_flat: Sequence[float] | NDArray[np.float64],
        token_ids: Sequence[int] | NDArray[np.int64] | None = None,
        top_token_ids_flat: Sequence[int] | NDArray[np.int64] | None = None,
        ranks: Sequence[int] | NDArray[np.int64] | None = None,
        top_ranks_flat: Sequence[int] | NDArray[np.int64] | None = None,
        choice: int = 0,
        finish_reason: str | None = None,
        refusal: bool = False,
        incomplete: bool = False,
        model: str | None = None,
        top_null: list[int] | None = None,
        text_offset: list[int] | None = None,
        prompt_length: int | None = 0,
        content: str | None = None,
        prompt_filter_results: list[Any] | None = None,
        content_filter_results: list[Any] | None = None,
        values_from: str | None = None,
        bytes_decoded: str | None = None,
        response: object = None,
    ) -> TokenDistribution:
        """Build from parallel columns without per-position validation (the adapters' fast path).

        `top_logprobs_flat` is every alternative's logprob, position after position; each
        position's count is `len(top_tokens[i])`, and `top_token_ids_flat` their ids in the same
        order (`None`: no id known); `ranks` and `top_ranks_flat` likewise. The other arguments
        are the fields of the same names (a misspelled one is a `TypeError`, not a field
        silently dropped).

        Raises:
            TypeError: `source` is no str, or a column no list (an array for the numbers).
            ValueError: A column's length is not one entry per token (`top_logprobs_flat`: one
                per alternative), or `prompt_length` is outside the positions.
        """
        check_columns(source, tokens, token_bytes, logprobs, top_tokens, top_bytes)
        per_position = {
            "token_bytes": token_bytes,
            "top_tokens": top_tokens,
            "top_bytes": top_bytes,
        }
        _check_lengths({**per_position, "logprobs": logprobs}, len(tokens), "tokens")
        counts = row_counts(top_tokens, len(tokens))
        flat = as_float(top_logprobs_flat, "top_logprobs_flat", what="every alternative's logprob")
        _check_lengths({"top_logprobs_flat": flat}, int(counts.sum()), "alternatives in top_tokens")
        _check_prompt_length(prompt_length, len(tokens))
        top = pad_rows(flat, counts)
        top[top == SENTINEL] = -np.inf
        lp = np.array(
            [np.nan if v is None else v for v in logprobs]
            if not isinstance(logprobs, np.ndarray)
            else logprobs,
            dtype=np.float64,
        )
        lp[lp == SENTINEL] = -np.inf
        return cls.model_construct(
            source=source,
            tokens=tokens,
            token_bytes=token_bytes,
            logprobs=readonly(lp),
            top_tokens=top_tokens,
            top_bytes=top_bytes,
            top_logprobs=readonly(top),
            token_ids=ids_1d(token_ids, len(tokens)),
            top_token_ids=ids_2d(top_token_ids_flat, counts, top.shape[1]),
            ranks=ids_1d(ranks, len(tokens)),
            requested_logprobs=readonly(np.zeros((len(tokens), 0))),
            top_ranks=ids_2d(top_ranks_flat, counts, top.shape[1]),
            choice=choice,
            finish_reason=finish_reason,
            refusal=refusal,
            incomplete=incomplete,
            model=model,
            top_null=[] if top_null is None else top_null,
            text_offset=text_offset,
            prompt_length=prompt_length,
            content=content,
            prompt_filter_results=prompt_filter_results,
            content_filter_results=content_filter_results,
            values_from=values_from,
            bytes_decoded=bytes_decoded,
            response=response,
        )

    @model_validator(mode="after")
    def _columns_agree(self) -> Self:
        """Check that the columns agree in length (after validation; not on the fast path)."""
        n = len(self.tokens)
        counts = [len(t) for t in self.top_tokens]
        self._fill_integer_columns(n, counts)
        lengths = {
            "token_bytes": len(self.token_bytes),
            "logprobs": len(self.logprobs),
            "top_tokens": len(self.top_tokens),
            "top_bytes": len(self.top_bytes),
            "top_logprobs": self.top_logprobs.shape[0],
            "token_ids": len(self.token_ids),
            "top_token_ids": self.top_token_ids.shape[0],
            "ranks": len(self.ranks),
            "top_ranks": self.top_ranks.shape[0],
        }
        bad = {k: v for k, v in lengths.items() if v != n}
        if bad and not (n == 0 and self.top_logprobs.size == 0):
            msg = f"columns disagree with len(tokens) = {n}: {bad}"
            raise ValueError(msg)
        if counts != [len(b) for b in self.top_bytes]:
            msg = "top_tokens and top_bytes differ in shape"
            raise ValueError(msg)
        if n and self.top_logprobs.shape[1] < max(counts, default=0):
            msg = "top_logprobs is narrower than the longest list of alternatives"
            raise ValueError(msg)
        _check_prompt_length(self.prompt_length, n)
        if any(not 0 <= p < n for p in self.top_null):
            msg = f"top_null lists positions 0..{n - 1}, got {self.top_null}"
            raise ValueError(msg)
        return self

    def _fill_integer_columns(self, n: int, counts: list[int]) -> None:
        """Ids and ranks not given (or `null` in JSON): `-1` everywhere, as wide as the top-k."""
        width = self.top_logprobs.shape[1] if self.top_logprobs.ndim == 2 else 0  # noqa: PLR2004
        for name in self._ID_COLUMNS:
            if n and not getattr(self, name).size:
                object.__setattr__(self, name, ids_1d(None, n))
            top = getattr(self, f"top_{name}")
            if n and not top.size:
                top = ids_2d(None, np.array(counts, dtype=np.intp), width)
            elif n and top.shape[1] != width:
                fitted = np.full((n, width), -1, dtype=np.int64)
                keep = min(width, top.shape[1])
                fitted[:, :keep] = top[:, :keep]
                top = readonly(fitted)
            object.__setattr__(self, f"top_{name}", top)
        want = (n, len(self.requested_token_ids))
        if self.requested_logprobs.shape != want:
            if self.requested_logprobs.size or self.requested_token_ids:
                msg = f"requested_logprobs has shape {self.requested_logprobs.shape}, not {want}"
                raise ValueError(msg)
            object.__setattr__(self, "requested_logprobs", readonly(np.zeros(want)))

    @field_serializer("top_bytes")
    def _dump_top_bytes(self, rows: Sequence[list[Bytes]]) -> list[list[Bytes]]:
        return [list(row) for row in rows]  # rows may be built lazily (the raw-JSON fast path)

    @field_serializer("top_token_ids", "top_ranks")
    def _dump_top_ids(self, ids: NDArray[np.int64]) -> list[list[int]] | None:
        return ragged_ids(ids, [len(t) for t in self.top_tokens])

    @field_serializer("top_logprobs")
    def _dump_top(self, top: NDArray[np.float64]) -> list[list[float]]:
        counts = [len(t) for t in self.top_tokens]
        rows = np.where(np.isneginf(top), SENTINEL, top).tolist()
        return [row[:c] for row, c in zip(rows, counts, strict=True)]

    def __len__(self) -> int:
        """The number of positions (generated tokens)."""
        return len(self.tokens)

    @overload
    def __getitem__(self, i: int) -> TokenLogprob: ...
    @overload
    def __getitem__(self, i: slice) -> TokenDistribution: ...
    def __getitem__(self, i: int | slice) -> TokenLogprob | TokenDistribution:
        """Position `i` as a `TokenLogprob` (built now, not stored), or positions `[a:b]`.

        A slice is a `TokenDistribution` of those positions: its text is rebuilt from their bytes
        (a character split at an edge decodes to U+FFFD, as the bytes say), its character spans
        start at 0 and its metrics are those positions' own. It keeps the response's metadata;
        `finish_reason` only when the slice reaches the last position, and `content` (the whole
        answer's text) only when it is the whole.

        Raises:
            ValueError: For a slice with a step other than 1 (positions must be contiguous).
        """
        if isinstance(i, slice):
            return type(self).model_construct(**sliced_fields(self, i))
        return self._position(position(i, len(self)))

    _ID_COLUMNS: ClassVar[tuple[str, ...]] = ("token_ids", "ranks")
    """Integer columns, each with a `top_` twin for the alternatives (`-1` where unknown)."""

    def __iter__(self) -> Iterator[TokenLogprob]:  # type: ignore[override]
        """Iterate over positions as `TokenLogprob` objects, each built on access."""
        return (self._position(i) for i in range(len(self)))

    def _position(self, i: int) -> TokenLogprob:
        def out(x: float) -> float:
            return SENTINEL if x == -math.inf else x

        count = len(self.top_tokens[i])
        lp = float(self.logprobs[i])
        return TokenLogprob.model_construct(
            token=self.tokens[i],
            bytes=self.token_bytes[i],
            logprob=math.nan if math.isnan(lp) else out(lp),
            top_logprobs=[
                TopLogprob.model_construct(token=t, bytes=b, logprob=out(float(v)))
                for t, b, v in zip(
                    self.top_tokens[i], self.top_bytes[i], self.top_logprobs[i, :count], strict=True
                )
            ],
        )

    def __eq__(self, other: object) -> bool:
        """Equal when every serialised field is equal (arrays element-wise, NaN equal to NaN)."""
        if not isinstance(other, TokenDistribution):
            return NotImplemented
        for name in type(self).model_fields:
            if name == "response":
                continue
            a, b = getattr(self, name), getattr(other, name)
            if isinstance(a, np.ndarray):
                if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
                    return False
            elif a != b:
                return False
        return True

    def __hash__(self) -> int:
        """Hash of the identity-defining columns (consistent with `==`).

        The logprobs are hashed as `==` compares them: `-0.0` as `0.0`, every NaN as one NaN.
        """
        values = np.where(np.isnan(self.logprobs), np.nan, self.logprobs + 0.0)  # -0.0 + 0.0 = 0.0
        return hash((self.source, self.choice, tuple(self.tokens), values.tobytes()))

    def __repr__(self) -> str:
        """A short summary: the source, the size and the start of the text."""
        text = self.text
        shown = text if len(text) <= 40 else text[:39] + "…"  # noqa: PLR2004
        width = self.top_logprobs.shape[1] if self.top_logprobs.ndim == 2 else 0  # noqa: PLR2004
        return (
            f"TokenDistribution(source={self.source!r}, tokens={len(self)}, top_k={width}, "
            f"text={shown!r})"
        )

    __str__ = __repr__


def _check_lengths(columns: dict[str, Any], n: int, what: str) -> None:
    """A `ValueError` naming the first column that does not hold `n` entries (one per `what`)."""
    for name, column in columns.items():
        array = isinstance(column, np.ndarray)
        if (column.shape != (n,)) if array else len(column) != n:
            got = f"shape {column.shape}" if array else f"length {len(column)}"
            msg = f"from_columns: {name} has {got} for {n} {what} (one entry each)"
            raise ValueError(msg)


def _check_prompt_length(prompt_length: int | None, n: int) -> None:
    """A `ValueError` unless `prompt_length` is `None` or counts some of the `n` positions."""
    if prompt_length is not None and not 0 <= prompt_length <= n:
        msg = f"prompt_length {prompt_length} is outside 0..{n} positions"
        raise ValueError(msg)
