"""A `TokenDistribution` as tables: pandas DataFrames (the `[pandas]` extra).

pandas is imported only inside the functions that need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tokenprobs._optional import require
from tokenprobs._said import check_flag
from tokenprobs.models._expect import expect_distribution
from tokenprobs.models._identity import token_key

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["to_pandas"]


def _pandas() -> Any:  # noqa: ANN401 - pandas is optional
    return require("pandas", extra="pandas", feature="TokenDistribution.to_pandas()")


def to_pandas(d: TokenDistribution, *, long: bool = False) -> Any:  # noqa: ANN401 - pandas is optional
    """One row per position, or with `long=True` one row per (position, alternative).

    The wide table, indexed by `position`, has the columns `token`, `bytes` (the token's bytes:
    as the API gave them, or derived from the token: a raw byte 0xF0 and the four characters of
    its escape differ here), `text` (the characters the token covers in `d.text`; a character
    split over tokens belongs to each), `char_start`, `char_end`, `prob`, `logprob`, `entropy`,
    `margin`, `tail_mass`, `sampled_in_top`, `top_tokens`, `top_bytes` and `top_logprobs`
    (lists, as returned). `-inf` stands for the API's `-9999.0` sentinel and NaN for a `null`
    logprob, as in the arrays.

    The long table has the columns `position`, `rank` (0 = first returned), `token`, `bytes`,
    `logprob`, `prob` and `sampled` (this alternative is the sampled token); positions without
    alternatives have no rows.

    When the distribution knows token ids (any of `d.token_ids` or `d.top_token_ids`: vLLM,
    llama.cpp, `return_token_ids` ...), the wide table also has `token_id` after `token` and
    `top_token_ids` (lists, beside `top_tokens`), and the long table `token_id` after `token`:
    nullable `Int64` columns, `<NA>` (`None` in the lists) where the server gave no id. When no
    id is known (OpenAI), the id columns are left out and the tables are as above.

    Args:
        d: The distribution.
        long: Return the long table.

    Returns:
        A `pandas.DataFrame`.

    Raises:
        TypeError: `d` is not a `TokenDistribution` (`tp.parse` the response first), or `long`
            is not a bool.
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
    d = expect_distribution(d, "to_pandas(d)")
    check_flag(long, "long", "the long table or the wide one")
    pd = _pandas()
    if long:
        return _long(pd, d)
    spans = d.char_spans()
    text = d.text
    counts = [len(t) for t in d.top_tokens]
    top = d.top_logprobs
    columns = {
        "token": _strings(pd, d.tokens),
        "bytes": _lists(pd, list(map(token_key, d.tokens, d.token_bytes))),
        "text": _strings(pd, [text[s:e] for s, e in spans.tolist()]),
        "char_start": spans[:, 0],
        "char_end": spans[:, 1],
        "prob": d.probs,
        "logprob": d.logprobs,
        "entropy": d.entropy,
        "margin": d.margin,
        "tail_mass": d.tail_mass,
        "sampled_in_top": d.sampled_in_top,
        "top_tokens": _lists(pd, d.top_tokens),
        "top_bytes": _lists(pd, list(map(_keys, d.top_tokens, d.top_bytes))),
        "top_logprobs": _lists(pd, [top[i, :c].tolist() for i, c in enumerate(counts)]),
    }
    if _knows_ids(d):
        columns = _with_after(columns, "token", "token_id", _ids(pd, d.token_ids))
        ids = [_known(d.top_token_ids[i, :c]) for i, c in enumerate(counts)]
        columns = _with_after(columns, "top_tokens", "top_token_ids", _lists(pd, ids))
    return pd.DataFrame(columns, index=pd.RangeIndex(len(d), name="position"))


def _strings(pd: Any, values: list[str]) -> Any:  # noqa: ANN401 - pandas is optional
    """A column of strings, typed as pandas types strings even when it is empty (not float64)."""
    return pd.Series(values, dtype="str")


def _lists(pd: Any, values: list[Any]) -> Any:  # noqa: ANN401 - pandas is optional
    """A column of lists, an `object` column even when it is empty (not float64)."""
    return pd.Series(values, dtype=object)


def _keys(tokens: list[str], raw: list[list[int] | None]) -> list[bytes]:
    """One position's alternatives' bytes, given or derived (`token_key`)."""
    return list(map(token_key, tokens, raw))


def _knows_ids(d: TokenDistribution) -> bool:
    """Whether any position or alternative of `d` has a token id (`-1` marks an unknown one)."""
    return bool((d.token_ids >= 0).any() or (d.top_token_ids >= 0).any())


def _known(ids: np.ndarray) -> list[int | None]:
    """The ids as a list, `None` where unknown (`-1`)."""
    return [None if v < 0 else v for v in ids.tolist()]


def _ids(pd: Any, ids: np.ndarray) -> Any:  # noqa: ANN401 - pandas is optional
    """A nullable `Int64` column of ids, `<NA>` where the id is unknown (`-1`)."""
    return pd.array(_known(ids), dtype="Int64")


def _with_after(columns: dict[str, Any], key: str, new: str, values: Any) -> dict[str, Any]:  # noqa: ANN401
    """`columns` with `new` inserted right after `key`."""
    out: dict[str, Any] = {}
    for k, v in columns.items():
        out[k] = v
        if k == key:
            out[new] = values
    return out


def _long(pd: Any, d: TokenDistribution) -> Any:  # noqa: ANN401 - pandas is optional
    counts = np.fromiter(map(len, d.top_tokens), dtype=np.intp, count=len(d))
    width = d.top_logprobs.shape[1] if d.top_logprobs.ndim == 2 else 0  # noqa: PLR2004
    mask = np.arange(width) < counts[:, None]
    logprobs = d.top_logprobs[mask]
    rank = np.nonzero(mask)[1] if mask.size else np.zeros(0, dtype=np.intp)
    position = np.repeat(np.arange(len(d)), counts)
    sampled = rank == d.candidates.sampled[position]  # the one rule: `d.candidates` decides
    columns = {
        "position": position,
        "rank": rank,
        "token": _strings(pd, [t for alts in d.top_tokens for t in alts]),
        "bytes": _lists(pd, [b for keys in map(_keys, d.top_tokens, d.top_bytes) for b in keys]),
        "logprob": logprobs,
        "prob": np.exp(np.minimum(logprobs, 0.0)),
        "sampled": sampled,
    }
    if _knows_ids(d):
        columns = _with_after(columns, "token", "token_id", _ids(pd, d.top_token_ids[mask]))
    return pd.DataFrame(columns)
