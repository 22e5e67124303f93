"""The combined distribution's columns, position by position, and `combine`'s report lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from tokenprobs.models import TokenDistribution

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["Columns", "log_normalised", "possible"]

K = TypeVar("K")
V = TypeVar("V")


def possible(
    keys: list[K], values: list[V], scores: NDArray[np.float64], /, *, where: str
) -> tuple[list[K], list[V], NDArray[np.float64]]:
    """The candidates that can be written: a token a small model masks (`-inf`) is left out.

    A token scored `+inf` (the anti-expert masks it, the expert does not) takes all the mass,
    as in the limit: then only those are kept.

    Raises:
        ValueError: Every candidate is masked.
    """
    keep = np.isposinf(scores) if np.isposinf(scores).any() else scores > -np.inf
    if not keep.any():
        msg = (
            f"every candidate {where} has a combined score of -inf (the small models mask each "
            "with a -inf logprob): nothing is left to choose from"
        )
        raise ValueError(msg)
    if keep.all():
        return keys, values, scores
    chosen = np.flatnonzero(keep).tolist()
    return [keys[j] for j in chosen], [values[j] for j in chosen], scores[keep]


def log_normalised(scores: NDArray[np.float64], /) -> NDArray[np.float64]:
    """`log softmax(scores)` of the `possible` scores (all `+inf`: shared evenly)."""
    finite = np.where(np.isposinf(scores), 0.0, scores)
    peak = finite.max()
    out: NDArray[np.float64] = finite - peak - np.log(np.exp(finite - peak).sum())
    return out


@dataclass
class Columns:
    """The combined distribution's columns and the report, position by position."""

    tokens: list[str] = field(default_factory=list)
    token_bytes: list[list[int] | None] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    top_tokens: list[list[str]] = field(default_factory=list)
    top_bytes: list[list[list[int] | None]] = field(default_factory=list)
    flat: list[float] = field(default_factory=list)
    certified: list[bool] = field(default_factory=list)
    imputed: list[float] = field(default_factory=list)
    unmatched: list[float] = field(default_factory=list)
    changed: list[bool] = field(default_factory=list)

    def add(
        self,
        keys: list[bytes],
        names: dict[bytes, str],
        lq: NDArray[np.float64],
        *,
        certified: bool,
        imputed: float,
    ) -> None:
        """One position: the candidates ranked by combined probability, the argmax first."""
        order = np.argsort(-lq, kind="stable")
        ranked = [keys[j] for j in order]
        strings = [names.get(k) or k.decode("utf-8", errors="replace") for k in ranked]
        self.tokens.append(strings[0])
        self.token_bytes.append(list(ranked[0]))
        self.logprobs.append(float(lq[order[0]]))
        self.top_tokens.append(strings)
        self.top_bytes.append([list(k) for k in ranked])
        self.flat.extend(lq[order].tolist())
        self.certified.append(certified)
        self.imputed.append(imputed)

    def distribution(self) -> TokenDistribution:
        """The combined `TokenDistribution` (`source="proxy"`)."""
        return TokenDistribution.from_columns(
            source="proxy",
            tokens=self.tokens,
            token_bytes=self.token_bytes,
            logprobs=self.logprobs,
            top_tokens=self.top_tokens,
            top_bytes=self.top_bytes,
            top_logprobs_flat=self.flat,
        )
