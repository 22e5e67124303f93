"""A `TokenDistribution` as tables: pandas DataFrames (the `[pandas]` extra).

pandas is imported only inside the functions that need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tokenprobs._optional import require

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["to_pandas"]


def _pandas() -> Any:  # noqa: ANN401 - pandas is optional
    return require("pandas", extra="pandas", feature="TokenDistribution.to_pandas()")


def to_pandas(d: TokenDistribution, *, long: bool = False) -> Any:  # noqa: ANN401 - pandas is optional
    """One row per position, or with `long=True` one row per (position, alternative).

    The wide table, indexed by `position`, has the columns `token`, `text` (the characters the
    token covers in `d.text`; a character split over tokens belongs to each), `char_start`,
    `char_end`, `prob`, `logprob`, `entropy`, `margin`, `tail_mass`, `sampled_in_top`,
    `top_tokens` and `top_logprobs` (lists, as returned). `-inf` stands for the API's `-9999.0`
    sentinel and NaN for a `null` logprob, as in the arrays.

    The long table has the columns `position`, `rank` (0 = first returned), `token`, `logprob`,
    `prob` and `sampled` (this alternative is the sampled token); positions without
    alternatives have no rows.

    Args:
        d: The distribution.
        long: Return the long table.

    Returns:
        A `pandas.DataFrame`.

    Raises:
        MissingDependencyError: pandas is not installed.

    Examples:
        >>> import tokenprobs as tp
        >>> d = tp.TokenDistribution.from_columns(
        ...     source="chat",
        ...     tokens=["Hi"],
        ...     token_bytes=[[72, 105]],
        ...     logprobs=[-0.1],
        ...     top_tokens=[["Hi", "Hello"]],
        ...     top_bytes=[[None, None]],
        ...     top_logprobs_flat=[-0.1, -2.4],
        ... )
        >>> df = d.to_pandas()
        >>> df.loc[0, "token"], round(float(df.loc[0, "prob"]), 3)
        ('Hi', 0.905)
        >>> d.to_pandas(long=True)[["rank", "token", "sampled"]]
           rank  token  sampled
        0     0     Hi     True
        1     1  Hello    False
    """
    pd = _pandas()
    if long:
        return _long(pd, d)
    spans = d.char_spans()
    text = d.text
    counts = [len(t) for t in d.top_tokens]
    top = d.top_logprobs
    return pd.DataFrame(
        {
            "token": d.tokens,
            "text": [text[s:e] for s, e in spans.tolist()],
            "char_start": spans[:, 0],
            "char_end": spans[:, 1],
            "prob": d.probs,
            "logprob": d.logprobs,
            "entropy": d.entropy,
            "margin": d.margin,
            "tail_mass": d.tail_mass,
            "sampled_in_top": d.sampled_in_top,
            "top_tokens": d.top_tokens,
            "top_logprobs": [top[i, :c].tolist() for i, c in enumerate(counts)],
        },
        index=pd.RangeIndex(len(d), name="position"),
    )


def _long(pd: Any, d: TokenDistribution) -> Any:  # noqa: ANN401 - pandas is optional
    counts = np.fromiter((len(t) for t in d.top_tokens), dtype=np.intp, count=len(d))
    width = d.top_logprobs.shape[1] if d.top_logprobs.ndim == 2 else 0  # noqa: PLR2004
    mask = np.arange(width) < counts[:, None]
    logprobs = d.top_logprobs[mask]
    rank = np.nonzero(mask)[1] if mask.size else np.zeros(0, dtype=np.intp)
    position = np.repeat(np.arange(len(d)), counts)
    sampled = rank == d.candidates.sampled[position]  # the one rule: `d.candidates` decides
    return pd.DataFrame(
        {
            "position": position,
            "rank": rank,
            "token": [t for alts in d.top_tokens for t in alts],
            "logprob": logprobs,
            "prob": np.exp(np.minimum(logprobs, 0.0)),
            "sampled": sampled,
        }
    )
