"""The typed data: one token's logprob, its alternatives, and a whole output's distribution.

`TopLogprob` and `TokenLogprob` mirror the SDK's `TopLogprob` / `ChatCompletionTokenLogprob`.
`TokenDistribution` is columnar: it holds arrays and token lists, and builds a `TokenLogprob`
only when a position is accessed, so a 4,096-token, top-20 answer costs a few arrays, not 86,000
objects.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple, Self, TypedDict, overload

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    model_validator,
)

from tokenprobs import _text, metrics
from tokenprobs._arrays import SENTINEL, Array1D, Array2D, readonly

if TYPE_CHECKING:
    import builtins
    from collections.abc import Iterator, Sequence

    from numpy.typing import NDArray

__all__ = [
    "SENTINEL",
    "DistributionMeta",
    "Span",
    "TokenDistribution",
    "TokenLogprob",
    "TopLogprob",
]

Bytes = list[int] | None


class DistributionMeta(TypedDict, total=False):
    """The per-output fields of a `TokenDistribution`, as `from_columns` takes them.

    For code that forwards them (each is documented on `TokenDistribution`).
    """

    choice: int
    finish_reason: str | None
    refusal: bool
    incomplete: bool
    model: str | None
    top_null: list[int] | None
    text_offset: list[int] | None
    content: str | None
    prompt_filter_results: list[Any] | None
    content_filter_results: list[Any] | None
    values_from: str | None
    bytes_decoded: str | None
    response: object


class Span(NamedTuple):
    """A run of positions `[start, end)` and the characters `[char_start, char_end)` they cover."""

    start: int
    end: int
    char_start: int
    char_end: int


class TopLogprob(BaseModel):
    """One alternative at a position: a token the model could have produced, and its logprob."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    token: str
    """The token as the API gave it (partial UTF-8 may read as `\\xf0\\x9f\\x92` or `�`)."""
    bytes: Bytes = None
    """The token's UTF-8 bytes, or `None` where the API gave none."""
    logprob: float
    """The natural-log probability as given; `-9999.0` means "outside the top 20"."""

    @property
    def prob(self) -> float:
        """`exp(logprob)`: 0 for the `-9999.0` sentinel, clipped to 1 for coarse positive values."""
        if self.logprob <= SENTINEL or math.isnan(self.logprob):
            return 0.0
        return min(1.0, math.exp(min(self.logprob, 0.0)))

    @classmethod
    def from_openai(cls, obj: Any) -> Self:  # noqa: ANN401 - any SDK object with these attributes
        """Build from the SDK's `TopLogprob` (or anything with `token`, `bytes`, `logprob`)."""
        return cls(token=obj.token, bytes=obj.bytes, logprob=obj.logprob)

    def to_openai(self) -> Any:  # noqa: ANN401 - the SDK's own class
        """Convert to the SDK's `openai.types.chat.chat_completion_token_logprob.TopLogprob`."""
        from openai.types.chat.chat_completion_token_logprob import TopLogprob as SDKTop  # noqa: PLC0415

        return SDKTop(token=self.token, bytes=self.bytes, logprob=self.logprob)


class TokenLogprob(TopLogprob):
    """One generated token: its logprob and the alternatives the API returned at its position."""

    top_logprobs: list[TopLogprob] = Field(default_factory=list)
    """The most likely tokens at this position, as returned (may or may not include this one)."""

    @classmethod
    def from_openai(cls, obj: Any) -> Self:  # noqa: ANN401 - any SDK object with these attributes
        """Build from the SDK's `ChatCompletionTokenLogprob` (or a Responses `Logprob`)."""
        return cls(
            token=obj.token,
            bytes=obj.bytes,
            logprob=obj.logprob,
            top_logprobs=[TopLogprob.from_openai(t) for t in obj.top_logprobs or ()],
        )

    def _repr_html_(self) -> str:
        from tokenprobs import render  # noqa: PLC0415

        return render.token_to_html(self)

    def to_openai(self) -> Any:  # noqa: ANN401 - the SDK's own class
        """Convert to the SDK's `ChatCompletionTokenLogprob`."""
        from openai.types.chat import ChatCompletionTokenLogprob  # noqa: PLC0415

        return ChatCompletionTokenLogprob(
            token=self.token,
            bytes=self.bytes,
            logprob=self.logprob,
            top_logprobs=[t.to_openai() for t in self.top_logprobs],
        )


class TokenDistribution(BaseModel):
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
    top_null: list[int] = Field(default_factory=list)
    """Positions where the API gave `null` rather than a list of alternatives (legacy
    `logprobs=0`, an echoed prompt's first token)."""
    text_offset: list[int] | None = None
    """Character offsets of each token in the legacy Completions text, as given."""
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
    (`ĠHello`; lmdeploy) and tokenprobs decoded them to the tokens' real bytes; else `None`."""
    response: Any = Field(default=None, exclude=True, repr=False)
    """The original response object, when the distribution was parsed from one (not serialised)."""

    # --- construction -------------------------------------------------------------------------

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
        choice: int = 0,
        finish_reason: str | None = None,
        refusal: bool = False,
        incomplete: bool = False,
        model: str | None = None,
        top_null: list[int] | None = None,
        text_offset: list[int] | None = None,
        content: str | None = None,
        prompt_filter_results: list[Any] | None = None,
        content_filter_results: list[Any] | None = None,
        values_from: str | None = None,
        bytes_decoded: str | None = None,
        response: object = None,
    ) -> TokenDistribution:
        """Build from parallel columns without per-position validation (the adapters' fast path).

        `top_logprobs_flat` is every alternative's logprob, position after position; each
        position's count is `len(top_tokens[i])`. The other arguments are the fields of the same
        names (a misspelled one is a `TypeError`, not a field silently dropped).
        """
        n = len(tokens)
        counts = np.fromiter((len(t) for t in top_tokens), dtype=np.intp, count=n)
        width = int(counts.max()) if n else 0
        flat = np.asarray(top_logprobs_flat, dtype=np.float64)
        top = np.full((n, width), -np.inf)
        if width:
            top[np.arange(width) < counts[:, None]] = flat
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
            choice=choice,
            finish_reason=finish_reason,
            refusal=refusal,
            incomplete=incomplete,
            model=model,
            top_null=[] if top_null is None else top_null,
            text_offset=text_offset,
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
        lengths = {
            "token_bytes": len(self.token_bytes),
            "logprobs": len(self.logprobs),
            "top_tokens": len(self.top_tokens),
            "top_bytes": len(self.top_bytes),
            "top_logprobs": self.top_logprobs.shape[0],
        }
        bad = {k: v for k, v in lengths.items() if v != n}
        if bad and not (n == 0 and self.top_logprobs.size == 0):
            msg = f"columns disagree with len(tokens) = {n}: {bad}"
            raise ValueError(msg)
        counts = [len(t) for t in self.top_tokens]
        if counts != [len(b) for b in self.top_bytes]:
            msg = "top_tokens and top_bytes differ in shape"
            raise ValueError(msg)
        if n and self.top_logprobs.shape[1] < max(counts, default=0):
            msg = "top_logprobs is narrower than the longest list of alternatives"
            raise ValueError(msg)
        return self

    @field_serializer("top_bytes")
    def _dump_top_bytes(self, rows: Sequence[list[Bytes]]) -> list[list[Bytes]]:
        return [list(row) for row in rows]  # rows may be built lazily (the raw-JSON fast path)

    @field_serializer("top_logprobs")
    def _dump_top(self, top: NDArray[np.float64]) -> list[list[float]]:
        counts = [len(t) for t in self.top_tokens]
        rows = np.where(np.isneginf(top), SENTINEL, top).tolist()
        return [row[:c] for row, c in zip(rows, counts, strict=True)]

    # --- sequence protocol --------------------------------------------------------------------

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
            return self._slice(i)
        n = len(self)
        if not -n <= i < n:
            msg = f"position {i} out of range for {n} tokens"
            raise IndexError(msg)
        return self._position(i % n)

    _PER_POSITION: ClassVar[tuple[str, ...]] = (
        "tokens",
        "token_bytes",
        "logprobs",
        "top_tokens",
        "top_bytes",
        "top_logprobs",
        "text_offset",
    )
    """Fields with one entry per position (sliced with the positions)."""
    _POSITION_LISTS: ClassVar[tuple[str, ...]] = ("top_null",)
    """Fields that list position numbers (shifted and filtered by a slice)."""
    _WHOLE_ONLY: ClassVar[tuple[str, ...]] = ("content",)
    """Fields about the whole output, unknown for a part of it (`None` in a proper slice)."""

    def _slice(self, where: slice) -> TokenDistribution:
        start, stop, step = where.indices(len(self))
        if step != 1:
            msg = f"a TokenDistribution slice must be contiguous (step 1), got step {step}"
            raise ValueError(msg)
        stop = max(start, stop)
        fields: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                value = readonly(value[start:stop])
            elif name in self._PER_POSITION and value is not None:
                value = value[start:stop]
            elif name in self._POSITION_LISTS:
                value = [p - start for p in value if start <= p < stop]
            elif name in self._WHOLE_ONLY and (start, stop) != (0, len(self)):
                value = None
            fields[name] = value
        if stop < len(self):
            fields["finish_reason"] = None
        return type(self).model_construct(**fields)

    def alternatives(self, i: int, /) -> dict[str, float]:
        """The tokens returned at position `i` and their probabilities, most likely first.

        The sampled token is counted once: it is included when it is not among the alternatives,
        and an alternative returned twice (same bytes) appears once. Two distinct tokens that
        read the same (`\ufffd` for different partial bytes) share their key, and their
        probabilities add up. Raw probabilities, not renormalised: they sum to
        `1 - tail_mass[i]`. The `-9999` sentinel has probability 0 and is left out.

        Examples:
            >>> import tokenprobs as tp
            >>> from tokenprobs.testing import chat_completion
            >>> d = tp.parse(chat_completion([("Yes", -0.2, [("Yes", -0.2), ("No", -1.8)])]))
            >>> {k: round(v, 3) for k, v in d.alternatives(0).items()}
            {'Yes': 0.819, 'No': 0.165}

        Raises:
            IndexError: If `i` is not a position.
        """
        n = len(self)
        if not -n <= i < n:
            msg = f"position {i} out of range for {n} tokens"
            raise IndexError(msg)
        i %= n
        row = self.support_logprobs[i]
        names = [*self.top_tokens[i], self.tokens[i]]
        out: dict[str, float] = {}
        for j in np.argsort(-row, kind="stable"):
            if np.isfinite(row[j]):
                out[names[j]] = out.get(names[j], 0.0) + math.exp(min(float(row[j]), 0.0))
        return out

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

    # --- equality, hashing, repr ----------------------------------------------------------------

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
        """Hash of the identity-defining columns (consistent with `==`)."""
        return hash((self.source, self.choice, tuple(self.tokens), self.logprobs.tobytes()))

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

    # --- bytes and text ---------------------------------------------------------------------------

    @cached_property
    def _effective_bytes(self) -> tuple[list[builtins.bytes], NDArray[np.bool_]]:
        return _text.effective_bytes(self.tokens, self.token_bytes)

    @property
    def bytes_derived(self) -> NDArray[np.bool_]:
        """Per position: True where the API gave no `bytes` and they were derived from the token."""
        return self._effective_bytes[1]

    @cached_property
    def text(self) -> str:
        """The output text, rebuilt from the concatenated bytes and decoded once (UTF-8).

        Equals the message content byte for byte when the API gave `bytes`; invalid or truncated
        UTF-8 decodes to U+FFFD.
        """
        return b"".join(self._effective_bytes[0]).decode("utf-8", errors="replace")

    @cached_property
    def _spans(self) -> NDArray[np.intp]:
        return _text.char_spans(self._effective_bytes[0])

    def char_spans(self) -> NDArray[np.intp]:
        """The character span `[start, end)` of each position in `text`, shape `(T, 2)`.

        A character whose bytes are split over several tokens (a Hangul syllable, an emoji) is
        inside the span of each of them, so spans of neighbours may overlap by one character.
        A token with no bytes has an empty span (inside a split character: that character).
        """
        return self._spans

    @cached_property
    def special(self) -> NDArray[np.bool_]:
        """Per position: True for a control / special token, not text a user reads.

        Control tokens by their string (`<|im_end|>`, `<|channel|>`, `</s>`, `<tool_call>` ...)
        and a harmony header's names (`analysis` between `<|channel|>` and `<|message|>`).
        """
        return readonly(_text.special_tokens(self.tokens))

    @property
    def text_matches_content(self) -> bool | None:
        """Whether `text` (the tokens' bytes) equals `content` (the text the response gave).

        `None` when the shape carries no content to compare. `False` when the server gave
        logprobs for tokens the content lacks (an EOS token, harmony control tokens, tool-call
        markup) or content no token has: `content_spans()` then places each token in `content`.
        """
        return None if self.content is None else self.text == self.content

    @cached_property
    def _content_alignment(self) -> tuple[NDArray[np.bool_], NDArray[np.intp]]:
        if self.content is None:
            return readonly(np.ones(len(self), dtype=bool)), self._spans
        return _text.align_to_content(self._effective_bytes[0], self.special, self.content)

    @property
    def in_content(self) -> NDArray[np.bool_]:
        """Per position: True where the token's text is part of `content`.

        All True when the text matches the content, or there is no content to compare.
        """
        return self._content_alignment[0]

    def content_spans(self) -> NDArray[np.intp]:
        """The character span `[start, end)` of each position in `content`, shape `(T, 2)`.

        Equal to `char_spans()` when `text_matches_content`. Tokens that are not part of the
        content (`~in_content`) get an empty span where they stand. Without content, the spans
        in `text`.
        """
        return self._content_alignment[1]

    # --- metrics (computed once, on first access) -------------------------------------------------

    @cached_property
    def sampled_in_top(self) -> NDArray[np.bool_]:
        """Per position: whether the sampled token is among the returned alternatives."""
        return readonly(
            _text.sampled_in_top(self.tokens, self.token_bytes, self.top_tokens, self.top_bytes)
        )

    @cached_property
    def support_logprobs(self) -> NDArray[np.float64]:
        """The distinct returned tokens' logprobs per position, `(T, K+1)`, padded with `-inf`.

        The alternatives, deduplicated by bytes, plus the sampled token where it is not among them.
        """
        dup = _text.duplicate_alternatives(self.top_tokens, self.top_bytes, self.top_logprobs.shape)
        return readonly(
            metrics.support(
                self.logprobs, np.where(dup, -np.inf, self.top_logprobs), in_top=self.sampled_in_top
            )
        )

    @cached_property
    def probs(self) -> NDArray[np.float64]:
        """`exp(logprobs)`, with the sentinel as 0 (NaN where the API gave no logprob)."""
        return readonly(metrics.probs(self.logprobs))

    @cached_property
    def _support_metrics(
        self,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """(entropy, margin, tail_mass) from one `metrics.summary` pass over the support."""
        s = metrics.summary(self.support_logprobs)
        entropy = np.where(self._has_alternatives, s.entropy, np.nan)
        return readonly(entropy), readonly(s.margin), readonly(s.tail_mass)

    @property
    def entropy(self) -> NDArray[np.float64]:
        """Entropy (nats) of the renormalised top-k distribution per position: an estimate.

        NaN where a position has no alternatives. See `entropy_bounds` for what is certain.
        """
        return self._support_metrics[0]

    @property
    def margin(self) -> NDArray[np.float64]:
        """p(top1) - p(top2) over the returned tokens (raw, exact); NaN with fewer than two."""
        return self._support_metrics[1]

    @property
    def tail_mass(self) -> NDArray[np.float64]:
        """1 - Σp over the distinct returned tokens, clipped to [0, 1]."""
        return self._support_metrics[2]

    @cached_property
    def perplexity(self) -> float:
        """`exp(-mean sampled logprob)` over the positions that have a logprob."""
        return float(metrics.perplexity(self.logprobs))

    def entropy_bounds(self, *, vocab_size: int) -> NDArray[np.float64]:
        """Bounds `(T, 2)` on the true next-token entropy (nats), given the vocabulary size.

        An unseen token can be no more likely than the least likely returned *alternative*; where
        the sampled token was not among them (or there were none) it sets no such limit.
        """
        top = self.top_logprobs
        finite = np.isfinite(top)
        ceiling = np.where(finite.any(axis=-1), np.min(np.where(finite, top, 0.0), axis=-1), 0.0)
        return metrics.entropy_bounds(
            self.support_logprobs, vocab_size=vocab_size, ceiling_logprob=ceiling
        )

    @cached_property
    def _has_alternatives(self) -> NDArray[np.bool_]:
        return np.fromiter((len(t) > 0 for t in self.top_tokens), dtype=bool, count=len(self))

    def uncertain(
        self,
        *,
        threshold: float,
        by: Literal["prob", "entropy", "margin"] = "prob",
    ) -> list[Span]:
        """Contiguous runs of uncertain positions, merged.

        A position is uncertain when its `prob` or `margin` is below `threshold`, or its `entropy`
        is above it. Positions where the quantity is undefined (NaN) are never uncertain.

        Returns:
            One `Span` per run: positions `[start, end)` and characters `[char_start, char_end)`.
        """
        values = {"prob": self.probs, "entropy": self.entropy, "margin": self.margin}[by]
        with np.errstate(invalid="ignore"):
            flag = values > threshold if by == "entropy" else values < threshold
        flag &= ~np.isnan(values)
        edges = np.flatnonzero(np.diff(np.concatenate(([0], flag.astype(np.int8), [0]))))
        spans = self.char_spans()
        return [
            Span(int(s), int(e), int(spans[s, 0]), int(spans[e - 1, 1]))
            for s, e in zip(edges[::2], edges[1::2], strict=True)
        ]

    # --- views ------------------------------------------------------------------------------------

    def to_pandas(self, *, long: bool = False) -> Any:  # noqa: ANN401 - pandas is optional
        """One row per position (or per position and alternative with `long=True`)."""
        from tokenprobs import export  # noqa: PLC0415

        return export.to_pandas(self, long=long)

    def _repr_html_(self) -> str:
        from tokenprobs import render  # noqa: PLC0415

        return render.to_html(self)

    def view(self, *, mode: str = "least-likely") -> str:
        """The notebook view in another mode; a notebook displays it (see `render.to_html`).

        Args:
            mode: What stands out: `"least-likely"` (default), `"most-likely"`,
                `"full-spectrum"`, `"entropy"` or `"margin"`.

        Returns:
            The HTML, a `str` with `_repr_html_` (a `tokenprobs.render.HTMLView`).
        """
        from tokenprobs import render  # noqa: PLC0415

        return render.to_html(self, mode=mode)

    def to_text(self, **kwargs: Any) -> str:  # noqa: ANN401 - forwarded to render.to_text
        """The plain-text view (see `tokenprobs.render.to_text`)."""
        from tokenprobs import render  # noqa: PLC0415

        return render.to_text(self, **kwargs)

    def __rich_console__(self, console: Any, options: Any) -> Any:  # noqa: ANN401 - rich is optional
        """Render in a rich console (see `tokenprobs.render.rich_console`)."""
        from tokenprobs import render  # noqa: PLC0415

        return render.rich_console(self, console, options)

    def plot(self, **kwargs: Any) -> Any:  # noqa: ANN401 - matplotlib is optional
        """Probability and entropy per position; returns the matplotlib Axes (`[plot]` extra)."""
        from tokenprobs import render  # noqa: PLC0415

        return render.plot(self, **kwargs)
