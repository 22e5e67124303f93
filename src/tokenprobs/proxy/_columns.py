"""The combined distribution's columns, position by position, and `combine`'s report lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs.models import TokenDistribution

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["Columns"]


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
