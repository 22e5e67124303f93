r"""Sequence-level uncertainty scores from one generation, with the field's names.

Two families, each with the definition of the library that named it:

- **uqlm** (CVS Health, `uqlm.white_box`; Bouchard & Chauhan 2025, arXiv:2504.19254):
  *confidence* scores in $[0, 1]$, higher = more confident: `sequence_probability`,
  `min_probability`, `mean_token_negentropy`, `min_token_negentropy`, `probability_margin`.
- **lm-polygraph** (Fadeeva et al. 2023, arXiv:2311.07383; `lm_polygraph.estimators`):
  *uncertainty* scores, higher = more uncertain: `maximum_sequence_probability`
  (`MaximumSequenceProbability`), `log_perplexity` (`Perplexity`), `mean_token_entropy`
  (`MeanTokenEntropy`).

With $\ell_t$ the sampled token's logprob at position $t$ of $T$ and $p_t = e^{\ell_t}$. Each
function takes one `TokenDistribution` (a float back) or a sequence of them (an array back, one
row each, computed in one vectorised pass: no Python loop over positions). Positions whose
logprob the API gave as `null` are left out; the `-9999` sentinel counts as $p = 0$; a
distribution with no position scores NaN (as in uqlm).

Honest top-k: the entropy-based scores see only the returned alternatives. The negentropies are
over the renormalised top-k (as uqlm defines them); `mean_token_entropy` is the top-k part of
the entropy sum (what lm-polygraph computes from API logprobs), a lower bound on the true mean
entropy; `mean_token_entropy_bounds` gives the tight `[lower, upper]` with the tail included.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

import numpy as np

from tokenprobs import metrics
from tokenprobs._said import check_flag
from tokenprobs.labels._stack import (
    Many,
    flatten,
    margins,
    negentropies,
    partial_entropy,
    segment_mean,
    segment_min,
    segment_sum,
    shaped,
)
from tokenprobs.models import TokenDistribution

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "UncertaintyScores",
    "log_perplexity",
    "maximum_sequence_probability",
    "mean_token_entropy",
    "mean_token_entropy_bounds",
    "mean_token_negentropy",
    "min_probability",
    "min_token_negentropy",
    "probability_margin",
    "sequence_probability",
    "uncertainty_scores",
]


# --- uqlm ---------------------------------------------------------------------------------------


@overload
def sequence_probability(d: TokenDistribution, /, *, length_normalize: bool = True) -> float: ...
@overload
def sequence_probability(d: Many, /, *, length_normalize: bool = True) -> NDArray[np.float64]: ...
def sequence_probability(
    d: TokenDistribution | Many, /, *, length_normalize: bool = True
) -> float | NDArray[np.float64]:
    r"""Uqlm `sequence_probability`: the (length-normalised) probability of the output.

    $\exp\big(\frac1T \sum_t \ell_t\big)$ (the geometric mean of $p_t$, `length_normalize=True`,
    uqlm's default) or $\prod_t p_t$. Exact: it uses only the sampled tokens. Same as uqlm 0.6's
    `SingleLogprobsScorer` (`_norm_prob` / `_seq_prob`) (Bouchard & Chauhan 2025, arXiv:2504.19254),
    which replaced its older `normalized_probability` name.

    Args:
        d: A distribution, or a sequence of them.
        length_normalize: Geometric mean (True) or product (False).

    Returns:
        A float in $[0, 1]$, or an array with one per distribution.

    Raises:
        TypeError: If `length_normalize` is not a bool.

    Examples:
        >>> import tokenprobs as tp
        >>> from tokenprobs.testing import chat_completion
        >>> d = tp.parse(chat_completion([("A", -0.5, [("A", -0.5)]), ("B", -1.5, [("B", -1.5)])]))
        >>> (
        ...     round(sequence_probability(d), 4),
        ...     round(sequence_probability(d, length_normalize=False), 4),
        ... )
        (0.3679, 0.1353)
    """
    check_flag(length_normalize, "length_normalize", "the geometric mean of p_t, or their product")
    f, one = flatten(d)
    if length_normalize:
        return shaped(np.exp(segment_mean(f.logprobs, f)), one)
    return shaped(np.exp(segment_sum(f.logprobs, f)), one)


@overload
def min_probability(d: TokenDistribution, /) -> float: ...
@overload
def min_probability(d: Many, /) -> NDArray[np.float64]: ...
def min_probability(d: TokenDistribution | Many, /) -> float | NDArray[np.float64]:
    r"""Uqlm `min_probability`: the least likely sampled token probability, $\min_t p_t$.

    Exact. Same as uqlm 0.6's `SingleLogprobsScorer._min_prob` (Bouchard & Chauhan 2025,
    arXiv:2504.19254).

    Examples:
        >>> import tokenprobs as tp
        >>> from tokenprobs.testing import chat_completion
        >>> d = tp.parse(chat_completion([("A", -0.5, [("A", -0.5)]), ("B", -1.5, [("B", -1.5)])]))
        >>> round(min_probability(d), 4)
        0.2231
    """
    f, one = flatten(d)
    return shaped(np.exp(segment_min(f.logprobs, f)), one)


@overload
def mean_token_negentropy(d: TokenDistribution, /, *, top_k: int | None = None) -> float: ...
@overload
def mean_token_negentropy(d: Many, /, *, top_k: int | None = None) -> NDArray[np.float64]: ...
def mean_token_negentropy(
    d: TokenDistribution | Many, /, *, top_k: int | None = None
) -> float | NDArray[np.float64]:
    r"""Uqlm `mean_token_negentropy`: $\frac1{|T_k|}\sum_{t \in T_k} 1 - \hat H_t / \log k$.

    $\hat H_t$ is the entropy of the *renormalised top-k* alternatives at position $t$ (an estimate:
    the true entropy also has the tail's part, see `mean_token_entropy_bounds`), and $T_k$ the
    positions with exactly $k$ distinct alternatives: uqlm leaves the others out, because $1 - \hat
    H / \log k$ of different $k$ are not comparable. Same as uqlm 0.6's `TopLogprobsScorer` with
    `top_k_logprobs=k` (Bouchard & Chauhan 2025, arXiv:2504.19254), except that alternatives are
    told apart by their bytes (a duplicated token counts once; uqlm counts it twice).

    Args:
        d: A distribution, or a sequence of them.
        top_k: $k$, the `top_logprobs` asked for. Default: the most alternatives any position of
            that distribution has.

    Returns:
        A float in $[0, 1]$ (NaN when no position has $k \geq 2$ alternatives), or an array.
    """
    f, one = flatten(d)
    return shaped(segment_mean(negentropies(f, top_k), f), one)


@overload
def min_token_negentropy(d: TokenDistribution, /, *, top_k: int | None = None) -> float: ...
@overload
def min_token_negentropy(d: Many, /, *, top_k: int | None = None) -> NDArray[np.float64]: ...
def min_token_negentropy(
    d: TokenDistribution | Many, /, *, top_k: int | None = None
) -> float | NDArray[np.float64]:
    r"""The uqlm score `min_token_negentropy`: $\min_{t \in T_k} 1 - \hat H_t / \log k$.

    As `mean_token_negentropy` (renormalised top-k, positions with $k$ alternatives), with the
    minimum instead of the mean (Bouchard & Chauhan 2025, arXiv:2504.19254). (uqlm's `WhiteBoxUQ`
    docstring calls it `max_token_negentropy`; its code and this function use
    `min_token_negentropy`.)
    """
    f, one = flatten(d)
    return shaped(segment_min(negentropies(f, top_k), f), one)


@overload
def probability_margin(d: TokenDistribution, /) -> float: ...
@overload
def probability_margin(d: Many, /) -> NDArray[np.float64]: ...
def probability_margin(d: TokenDistribution | Many, /) -> float | NDArray[np.float64]:
    r"""The uqlm score `probability_margin`: the mean over positions of $p_{(1)} - p_{(2)}$.

    $p_{(1)} \geq p_{(2)}$ are the two most likely returned alternatives: raw probabilities, so
    exact (no renormalising); positions with fewer than two are left out. Same as uqlm 0.6's
    `TopLogprobsScorer._probability_margin` (Bouchard & Chauhan 2025, arXiv:2504.19254), with
    alternatives told apart by bytes.
    """
    f, one = flatten(d)
    return shaped(segment_mean(margins(f), f), one)


# --- lm-polygraph -------------------------------------------------------------------------------


@overload
def maximum_sequence_probability(d: TokenDistribution, /) -> float: ...
@overload
def maximum_sequence_probability(d: Many, /) -> NDArray[np.float64]: ...
def maximum_sequence_probability(d: TokenDistribution | Many, /) -> float | NDArray[np.float64]:
    r"""lm-polygraph's `MaximumSequenceProbability`: $-\sum_t \ell_t$ (an uncertainty, in nats).

    The negative log-probability of the (greedy) generation; higher = more uncertain, despite the
    name. Exact. Same as `lm_polygraph.estimators.MaximumSequenceProbability` (0.7) (Fadeeva et al.
    2023, arXiv:2311.07383). `inf` when a position carries the `-9999` sentinel.

    Examples:
        >>> import tokenprobs as tp
        >>> from tokenprobs.testing import chat_completion
        >>> d = tp.parse(chat_completion([("A", -0.5, [("A", -0.5)]), ("B", -1.5, [("B", -1.5)])]))
        >>> maximum_sequence_probability(d)
        2.0
    """
    f, one = flatten(d)
    return shaped(0.0 - segment_sum(f.logprobs, f), one)


@overload
def log_perplexity(d: TokenDistribution, /) -> float: ...
@overload
def log_perplexity(d: Many, /) -> NDArray[np.float64]: ...
def log_perplexity(d: TokenDistribution | Many, /) -> float | NDArray[np.float64]:
    r"""lm-polygraph's `Perplexity`: $-\frac1T \sum_t \ell_t$, the mean surprisal (nats).

    lm-polygraph names this estimator `Perplexity`, but returns the *log* of the perplexity
    $\exp(-\frac1T\sum_t \ell_t)$ (which is `TokenDistribution.perplexity` and
    `tokenprobs.metrics.perplexity`); hence the name here. Exact. Same as
    `lm_polygraph.estimators.Perplexity` (0.7) (Fadeeva et al. 2023, arXiv:2311.07383).

    Examples:
        >>> import tokenprobs as tp
        >>> from tokenprobs.testing import chat_completion
        >>> d = tp.parse(chat_completion([("A", -0.5, [("A", -0.5)]), ("B", -1.5, [("B", -1.5)])]))
        >>> log_perplexity(d), round(float(np.log(d.perplexity)), 12)
        (1.0, 1.0)
    """
    f, one = flatten(d)
    return shaped(0.0 - segment_mean(f.logprobs, f), one)


@overload
def mean_token_entropy(d: TokenDistribution, /) -> float: ...
@overload
def mean_token_entropy(d: Many, /) -> NDArray[np.float64]: ...
def mean_token_entropy(d: TokenDistribution | Many, /) -> float | NDArray[np.float64]:
    r"""lm-polygraph's `MeanTokenEntropy` from API logprobs (a lower bound on the truth).

    $\frac1T\sum_t -\sum_{i \in S_t} p_i \log p_i$, where $S_t$ is the set of distinct returned
    tokens at $t$ (alternatives plus the sampled token), with their *raw* probabilities. The sum
    leaves out the tail's terms, each $\geq 0$, so this is a **lower bound** on the true mean token
    entropy (lm-polygraph computes the full-vocabulary entropy for local models, and this top-k sum
    for API models, through its `BlackboxGreedyTextsCalculator` and `EntropyCalculator` (Fadeeva et
    al. 2023, arXiv:2311.07383)). For the tight `[lower, upper]` with the tail, use
    `mean_token_entropy_bounds`. Differences from lm-polygraph 0.7, which matter only in rare cases:
    it keys alternatives by token string and hashes them into 50,000 slots (a collision drops one),
    and leaves out a sampled token that is not among the alternatives; here tokens are told apart by
    bytes and the sampled one always counts.
    """
    f, one = flatten(d)
    return shaped(segment_mean(partial_entropy(f), f), one)


@overload
def mean_token_entropy_bounds(
    d: TokenDistribution, /, *, vocab_size: int
) -> tuple[float, float]: ...
@overload
def mean_token_entropy_bounds(d: Many, /, *, vocab_size: int) -> NDArray[np.float64]: ...
def mean_token_entropy_bounds(
    d: TokenDistribution | Many, /, *, vocab_size: int
) -> tuple[float, float] | NDArray[np.float64]:
    r"""Tight bounds on the true mean token entropy, the tail included.

    $[\frac1T\sum_t H^-_t, \frac1T\sum_t H^+_t]$, where
    $[H^-_t, H^+_t]$ is `TokenDistribution.entropy_bounds` at each position (the top-k part plus
    the least and most entropy the tail mass can carry over $V - k$ unseen tokens, each no more
    likely than the least likely alternative); the mean of the bounds bounds the mean.

    Args:
        d: A distribution, or a sequence of them.
        vocab_size: The model's vocabulary size $V$.

    Returns:
        `(lower, upper)`, or an array `(N, 2)`.

    Raises:
        TypeError: If `vocab_size` is not an int (a bool, a float).
        ValueError: If `vocab_size` is not positive or is below the tokens returned at a
            position (`metrics.entropy_bounds`).
    """
    given: object = vocab_size
    if isinstance(given, bool | np.bool_) or not isinstance(given, numbers.Integral):
        msg = f"vocab_size must be an int (the model's vocabulary size), got {given!r}"
        raise TypeError(msg)
    f, one = flatten(d)
    ceiling = np.nan_to_num(f.cap, nan=0.0)  # 0: nothing caps an unseen token
    sup = np.concatenate([f.alts, f.sampled_outside[:, None]], axis=-1)
    b = metrics.entropy_bounds(sup, vocab_size=vocab_size, ceiling_logprob=ceiling)
    b = np.where(np.isnan(f.logprobs)[:, None], np.nan, b)
    out = np.stack([segment_mean(b[:, 0], f), segment_mean(b[:, 1], f)], axis=-1)
    return (float(out[0, 0]), float(out[0, 1])) if one else out


# --- all at once --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UncertaintyScores:
    """Every score of this module for many distributions, one array `(N,)` each.

    The uqlm confidences (higher = more confident) and the lm-polygraph uncertainties (higher =
    more uncertain), with the definitions of the functions of the same names.
    """

    sequence_probability: NDArray[np.float64]
    """Length-normalised: $\\exp(\\mathrm{mean}\\ \\ell_t)$."""
    sequence_probability_product: NDArray[np.float64]
    """$\\prod_t p_t$ (uqlm's `sequence_probability` with `length_normalize=False`)."""
    min_probability: NDArray[np.float64]
    mean_token_negentropy: NDArray[np.float64]
    min_token_negentropy: NDArray[np.float64]
    probability_margin: NDArray[np.float64]
    maximum_sequence_probability: NDArray[np.float64]
    log_perplexity: NDArray[np.float64]
    mean_token_entropy: NDArray[np.float64]

    def to_dict(self) -> dict[str, list[float]]:
        """The scores as plain lists (for a DataFrame: `pd.DataFrame(s.to_dict())`)."""
        return {k: [float(x) for x in v] for k, v in self.__dict__.items()}


def uncertainty_scores(ds: Many, /, *, top_k: int | None = None) -> UncertaintyScores:
    """All the scores for many distributions, stacking their positions once.

    Args:
        ds: The distributions.
        top_k: $k$ of the negentropies (see `mean_token_negentropy`).

    Returns:
        An `UncertaintyScores` with one array `(len(ds),)` per score.

    Raises:
        TypeError: If `ds` is one distribution (pass `[d]`, or call the scores one by one) or
            holds anything but distributions.
    """
    given: object = ds
    if isinstance(given, TokenDistribution):
        msg = (
            "uncertainty_scores takes a list of distributions (one array entry each): pass [d], "
            "or call a score on the one distribution (sequence_probability(d) ...)"
        )
        raise TypeError(msg)
    f, _ = flatten(ds)
    neg = negentropies(f, top_k)
    return UncertaintyScores(
        sequence_probability=np.exp(segment_mean(f.logprobs, f)),
        sequence_probability_product=np.exp(segment_sum(f.logprobs, f)),
        min_probability=np.exp(segment_min(f.logprobs, f)),
        mean_token_negentropy=segment_mean(neg, f),
        min_token_negentropy=segment_min(neg, f),
        probability_margin=segment_mean(margins(f), f),
        maximum_sequence_probability=0.0 - segment_sum(f.logprobs, f),
        log_perplexity=0.0 - segment_mean(f.logprobs, f),
        mean_token_entropy=segment_mean(partial_entropy(f), f),
    )
