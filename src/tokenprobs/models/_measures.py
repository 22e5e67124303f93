"""What a distribution's columns mean: its text from the bytes, and the metrics over the top-k."""

from __future__ import annotations

import math
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Self

import numpy as np

from tokenprobs import metrics
from tokenprobs._said import a_type
from tokenprobs.models import _bytes
from tokenprobs.models._arrays import readonly
from tokenprobs.models._support import Candidates, candidate_set, position
from tokenprobs.models._tokens import Span

if TYPE_CHECKING:
    import builtins
    from collections.abc import Mapping, Sequence

    from numpy.typing import NDArray

    from tokenprobs.models._tokens import Bytes

__all__ = ["Measures"]


class Measures:
    """The derived views of `TokenDistribution`'s columns, each computed once on first access."""

    if TYPE_CHECKING:  # the fields read (`_READS`)
        tokens: list[str]
        token_bytes: list[Bytes]
        logprobs: NDArray[np.float64]
        top_tokens: list[list[str]]
        top_bytes: Sequence[list[Bytes]]
        top_logprobs: NDArray[np.float64]
        content: str | None

        def __len__(self) -> int: ...

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy (pydantic's), with what is derived from the columns recomputed after `update`.

        The text, the candidate set and the metrics are computed once and kept; a copy that
        changes a column they read must not keep the original's.
        """
        if update and not _COLUMNS.isdisjoint(update):  # checked as the constructor checks them
            base: Self = super().model_copy(deep=deep)  # type: ignore[misc]
            fields = {name: getattr(base, name) for name in type(self).model_fields}  # type: ignore[attr-defined]
            return type(self).model_validate({**fields, **update})  # type: ignore[attr-defined, no-any-return]
        copied: Self = super().model_copy(update=update, deep=deep)  # type: ignore[misc]
        if update and not _READS.isdisjoint(update):
            for name in _DERIVED:
                copied.__dict__.pop(name, None)
        return copied

    def __setstate__(self, state: dict[Any, Any]) -> None:
        """Unpickle (pydantic's), the arrays read-only again (pickle restores them writeable)."""
        super().__setstate__(state)  # type: ignore[misc]
        _settle(self)

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """A deep copy (pydantic's), its arrays read-only like the original's."""
        copied: Self = super().__deepcopy__(memo)  # type: ignore[misc]
        _settle(copied)
        return copied

    @cached_property
    def _effective_bytes(self) -> tuple[list[builtins.bytes], NDArray[np.bool_]]:
        return _bytes.effective_bytes(self.tokens, self.token_bytes)

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
        return _bytes.char_spans(self._effective_bytes[0])

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
        return readonly(_bytes.special_tokens(self.tokens))

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
        return _bytes.align_to_content(self._effective_bytes[0], self.special, self.content)

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

    @cached_property
    def candidates(self) -> Candidates:
        """The candidate set at each position: distinct returned tokens, the sampled one marked.

        Per position the alternatives deduplicated by bytes, the sampled token merged in once,
        the cap (least likely returned alternative) and the tail mass; see `Candidates`. The
        metrics below, the views and the tools all read it.
        """
        return candidate_set(
            self.tokens,
            self.token_bytes,
            self.logprobs,
            self.top_tokens,
            self.top_bytes,
            self.top_logprobs,
        )

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
        i = position(i, len(self))
        row = self.candidates.logprobs[i]
        alts = self.top_tokens[i]
        names = [*alts, *[""] * (row.size - 1 - len(alts)), self.tokens[i]]  # padded as the row
        out: dict[str, float] = {}
        for j in np.argsort(-row, kind="stable"):
            if np.isfinite(row[j]):
                out[names[j]] = out.get(names[j], 0.0) + math.exp(min(float(row[j]), 0.0))
        return out

    @property
    def sampled_in_top(self) -> NDArray[np.bool_]:
        """Per position: whether the sampled token is among the returned alternatives."""
        return self.candidates.in_top

    @property
    def support_logprobs(self) -> NDArray[np.float64]:
        """The distinct returned tokens' logprobs per position, `(T, K+1)`, padded with `-inf`.

        The alternatives, deduplicated by bytes, plus the sampled token where it is not among them
        (`candidates.logprobs`).
        """
        return self.candidates.logprobs

    @cached_property
    def probs(self) -> NDArray[np.float64]:
        """`exp(logprobs)`, with the sentinel as 0 (NaN where the API gave no logprob)."""
        return readonly(metrics.probs(self.logprobs))

    @cached_property
    def _support_metrics(
        self,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """(entropy, margin, tail_mass) from one `metrics.summary` pass over the support."""
        support = self.support_logprobs
        s = metrics.summary(support)
        entropy = np.where(self._has_alternatives, s.entropy, np.nan)
        # the top two are known only as two alternatives: a sampled token from outside a top-1
        # need not be second (an unseen token may be likelier), so its gap would overstate
        known_top_two = np.isfinite(support[:, :-1]).sum(axis=1) >= 2  # noqa: PLR2004
        margin = np.where(known_top_two, s.margin, np.nan)
        return readonly(entropy), readonly(margin), readonly(s.tail_mass)

    @property
    def entropy(self) -> NDArray[np.float64]:
        """Entropy (nats) of the renormalised top-k distribution per position: an estimate.

        NaN where a position has no alternatives. See `entropy_bounds` for what is certain.
        """
        return self._support_metrics[0]

    @property
    def margin(self) -> NDArray[np.float64]:
        """p(top1) - p(top2), the two most likely tokens' gap (raw, exact).

        NaN where fewer than two distinct alternatives were returned: the sampled token from
        outside a top-1 is not known to be second (an unseen token may be likelier).
        """
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

        An unseen token can be no more likely than `candidates.cap`, the least likely returned
        alternative other than the sampled token (a server may append it from beyond the top k);
        where there were none, nothing limits it.
        """
        ceiling = np.nan_to_num(self.candidates.cap, nan=0.0)
        return metrics.entropy_bounds(
            self.support_logprobs, vocab_size=vocab_size, ceiling_logprob=ceiling
        )

    @cached_property
    def _has_alternatives(self) -> NDArray[np.bool_]:
        counts = np.fromiter(map(len, self.top_tokens), dtype=np.intp, count=len(self))
        return counts > 0

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

        Raises:
            ValueError: `by` is not one of the three, or `threshold` is NaN (every comparison
                with it is False, so it would flag nothing).
            TypeError: `threshold` is not a real number (a bool is refused).
        """
        measures = {"prob": self.probs, "entropy": self.entropy, "margin": self.margin}
        given: object = by  # typed a Literal, but a list (unhashable: no `in`) may come
        if not isinstance(given, str) or given not in measures:
            msg = f"uncertain(by=...) takes 'prob', 'entropy' or 'margin', got {by!r}"
            raise ValueError(msg)
        if isinstance(threshold, bool | np.bool_) or not isinstance(
            threshold, int | float | np.integer | np.floating
        ):
            msg = f"uncertain(threshold=...) takes a number, got {a_type(threshold)}"
            raise TypeError(msg)
        if math.isnan(threshold):
            msg = "uncertain(threshold=...) takes a number to compare with, got NaN"
            raise ValueError(msg)
        values = measures[by]
        with np.errstate(invalid="ignore"):
            flag = values > threshold if by == "entropy" else values < threshold
        flag &= ~np.isnan(values)
        edges = np.flatnonzero(np.diff(np.concatenate(([0], flag.astype(np.int8), [0]))))
        spans = self.char_spans()
        return [
            Span(int(s), int(e), int(spans[s, 0]), int(spans[e - 1, 1]))
            for s, e in zip(edges[::2], edges[1::2], strict=True)
        ]


_READS = frozenset(
    ("tokens", "token_bytes", "logprobs", "top_tokens", "top_bytes", "top_logprobs", "content")
)
"""The fields what `Measures` derives is computed from (those declared at the top of the class)."""
_COLUMNS = frozenset(
    (
        *_READS - {"content"},
        "token_ids",
        "top_token_ids",
        "ranks",
        "top_ranks",
        "requested_token_ids",
        "requested_logprobs",
        "top_null",
        "text_offset",
        "prompt_length",
    )
)
"""The per-position fields: a copy that changes one is validated whole (the columns must agree)."""
_DERIVED = tuple(n for n, v in vars(Measures).items() if isinstance(v, cached_property))
"""The names of the values `Measures` computes once and keeps in the instance's `__dict__`."""


def _settle(copied: Measures) -> None:
    """Mark a copy's arrays read-only and let it derive its own values (copies are writeable)."""
    state = copied.__dict__
    for name in _DERIVED:
        state.pop(name, None)
    for value in state.values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
