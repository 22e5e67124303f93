r"""Calibration of predicted class probabilities: ECE, Brier score and its decomposition, NLL.

Every function takes `probs`, an `(N, C)` array of predicted probabilities (the classes along
`axis`; each row sums to 1 within 1e-3, else a `ValueError` names the first row that does not),
and `labels`, the `(N,)` true class indices. For a binary problem pass the two columns
`[1 - p, p]`. Vectorised: binning is one `np.bincount`, and the bootstrap draws all its
resamples at once.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np

from tokenprobs._counts import at_least_one
from tokenprobs._said import a_value, among
from tokenprobs.metrics._numeric import as_float, check_axis

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "BrierDecomposition",
    "ECEInterval",
    "Reliability",
    "brier_decomposition",
    "brier_score",
    "ece",
    "ece_interval",
    "nll",
    "reliability",
]

Binning = Literal["width", "mass"]

_EPS = 1e-15
_SLACK = 1e-9  # rounding past 0 or 1 (a softmax's 1.0000000000000002), clipped rather than refused
_SUM_SLACK = 1e-3
"""How far a row's sum may miss 1: float32 softmaxes and probabilities rounded to 3 decimals."""
_BINNINGS = ("width", "mass")
_PAD = "every example needs a probability for each class (the same number of columns)"
_MAX_BINS = 100_000
"""More bins cannot be meant: each is a row of every table (per class in the decomposition)."""
_BINS_WHY = "each bin is a row of the tables, and needs examples of its own to be estimated"
_MAX_RESAMPLES = 1_000_000
"""More resamples cannot be meant: the interval's ends would move by < 0.1% of its width."""
_CHUNK = 1 << 20
"""Elements of one block of resamples (8 MB a float array): the bootstrap draws one at a time."""


class Reliability(NamedTuple):
    """Per bin of top-label confidence: how many, how confident, how often right."""

    counts: NDArray[np.intp]
    confidence: NDArray[np.float64]
    accuracy: NDArray[np.float64]
    edges: NDArray[np.float64]


class ECEInterval(NamedTuple):
    """The ECE estimate and a percentile bootstrap interval."""

    estimate: float
    low: float
    high: float


class BrierDecomposition(NamedTuple):
    """Murphy's decomposition: `brier ≈ reliability - resolution + uncertainty`."""

    brier: float
    reliability: float
    resolution: float
    uncertainty: float


def _inputs(
    probs: ArrayLike, labels: ArrayLike, axis: int
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    p = as_float(probs, "probs", kinds="biuf", what="probabilities", pad=_PAD)
    check_axis(axis, p, "probs")
    p = np.moveaxis(p, axis, -1)
    if p.ndim != 2:  # noqa: PLR2004 - (N, C)
        msg = f"probs must be 2-D (examples, classes), got shape {p.shape}"
        raise ValueError(msg)
    given = np.asarray(labels)
    # `[]` is float64 to numpy: an empty list has no dtype to be wrong, so it is no labels
    empty = given.size == 0 and given.dtype.kind == "f"
    y = given.astype(np.intp) if empty else given
    if y.shape != (p.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        n = p.shape[0]
        want = f"{n} integer class {'index' if n == 1 else 'indices'}"
        msg = f"labels must be {want} (one per example), got {given.dtype} of shape {y.shape}"
        raise ValueError(msg)
    if y.size and (y.min() < 0 or y.max() >= p.shape[1]):
        msg = f"labels must be class indices in [0, {p.shape[1]})"
        raise ValueError(msg)
    if not np.isfinite(p).all():
        msg = "probs must be finite (drop the rows of failed inputs first)"
        raise ValueError(msg)
    if p.size and not (p.min() >= -_SLACK and p.max() <= 1 + _SLACK):
        msg = (
            f"probs must be probabilities in [0, 1], got values from {p.min():.4g} to "
            f"{p.max():.4g} (pass probabilities, not logprobs or scores: np.exp(logprobs))"
        )
        raise ValueError(msg)
    _check_rows_sum_to_one(p)
    return np.clip(p, 0.0, 1.0), y.astype(np.intp)


def _check_rows_sum_to_one(p: NDArray[np.float64]) -> None:
    """Refuse a row whose sum misses 1 by more than `_SUM_SLACK`, naming the first.

    A row that is not a distribution scores as anything: `[1, 1]` has an NLL of 0 and an ECE of
    0 ("perfect"), `[0, 0]` an NLL of 34.5.
    """
    if not p.size:
        return
    sums = p.sum(axis=-1)
    bad = np.abs(sums - 1.0) > _SUM_SLACK
    if not bad.any():
        return
    row = int(np.argmax(bad))
    msg = (
        f"probs must hold one distribution per example (each row summing to 1, within "
        f"{_SUM_SLACK:g}), but row {row} (example {row}) sums to {float(sums[row]):.6g}"
        f"{f' ({int(bad.sum())} rows do)' if bad.sum() > 1 else ''}: give every class's "
        "probability, normalised (p / p.sum(axis=-1, keepdims=True)); for a binary problem pass "
        "the two columns [1 - p, p]"
    )
    raise ValueError(msg)


def _bin_index(conf: NDArray[np.float64], bins: int, binning: Binning) -> NDArray[np.intp]:
    """Bin of each confidence along the last axis: equal width on [0, 1], or equal mass."""
    _check_count(bins, "bins", _MAX_BINS, _BINS_WHY)
    if not among(binning, _BINNINGS):
        msg = f"binning must be 'width' or 'mass', got {binning!r}"
        raise ValueError(msg)
    if binning == "width":  # `[lo, hi)` by the very edges `reliability` reports: 0.58 * 100 < 58
        inner = np.linspace(0.0, 1.0, bins + 1)[1:-1]
        out: NDArray[np.intp] = np.searchsorted(inner, conf, side="right").astype(np.intp)
        return out
    return _mass_bins(conf, bins)


def _mass_bins(conf: NDArray[np.float64], bins: int) -> NDArray[np.intp]:
    """Equal-mass bins by rank along the last axis; equal confidences share the last one's bin.

    Ranking ties by their order would split equal confidences over two bins, making the ECE
    depend on the order of the examples. A run of ties goes up, to its last rank's bin, as a
    confidence on an edge does (the bins are `[lo, hi)`, like `reliability`'s quantile edges).
    """
    n = conf.shape[-1]
    order = np.argsort(conf, axis=-1, kind="stable")
    ranked = np.take_along_axis(conf, order, axis=-1)
    ends = np.ones(ranked.shape, dtype=bool)  # where a run of equal confidences ends
    ends[..., :-1] = ranked[..., :-1] != ranked[..., 1:]
    rank = np.arange(n, dtype=np.intp)
    later = np.where(ends, rank, n)[..., ::-1]
    last = np.minimum.accumulate(later, axis=-1)[..., ::-1]  # the run's last rank
    out = np.empty_like(order)
    np.put_along_axis(out, order, last * bins // max(n, 1), axis=-1)
    return out


def _check_count(value: object, name: str, limit: int, why: str) -> None:
    """`at_least_one`, and a `ValueError` past `limit` (arrays no memory holds), saying `why`."""
    if at_least_one(value, name) > limit:
        msg = f"{name} must be at most {limit:,}, got {value:,}: {why}"
        raise ValueError(msg)


def _ece(
    conf: NDArray[np.float64], correct: NDArray[np.float64], bins: int, binning: Binning
) -> NDArray[np.float64]:
    """ECE along the last axis (leading axes are independent samples)."""
    lead, n = conf.shape[:-1], conf.shape[-1]
    b = _bin_index(conf, bins, binning)
    offset = np.arange(int(np.prod(lead, dtype=np.intp)), dtype=np.intp).reshape(*lead, 1) * bins
    flat = (b + offset).ravel()
    size = int(np.prod(lead, dtype=np.intp)) * bins
    gap = np.bincount(flat, weights=(conf - correct).ravel(), minlength=size)
    out: NDArray[np.float64] = np.abs(gap).reshape(*lead, bins).sum(axis=-1) / n
    return out


def _top(
    p: NDArray[np.float64], y: NDArray[np.intp]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    pred = np.argmax(p, axis=-1)
    return p[np.arange(len(y)), pred], (pred == y).astype(np.float64)


def ece(
    probs: ArrayLike,
    labels: ArrayLike,
    *,
    bins: int = 15,
    binning: Binning = "width",
    axis: int = -1,
) -> float:
    r"""Expected calibration error of the top label.

    $$\mathrm{ECE} = \sum_b \frac{n_b}{N}\,\bigl|\mathrm{acc}_b - \mathrm{conf}_b\bigr|$$

    over bins of the top-label confidence $\max_k p_k$: `"width"` splits [0, 1] into `bins`
    equal intervals (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017,
    arXiv 1706.04599), `"mass"` puts `N / bins` examples in each, as near as ties allow: equal
    confidences share a bin (the upper one at a boundary), so their order never matters
    (equal-mass / adaptive binning: Nixon et al., "Measuring Calibration in Deep Learning",
    arXiv 1904.01685).

    Args:
        probs: Predicted probabilities, `(N, C)` (classes along `axis`).
        labels: True class indices, `(N,)`.
        bins: The number of bins.
        binning: `"width"` or `"mass"`.
        axis: The class axis of `probs`.

    Returns:
        The ECE, in [0, 1].

    Raises:
        ValueError: On shapes, labels or options that do not fit (ragged `probs` included).
        TypeError: If `probs` is not numeric or `axis` not an integer.

    Examples:
        >>> round(ece([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]], [0, 1, 1], bins=2), 4)
        0.1333
    """
    p, y = _inputs(probs, labels, axis)
    if not len(y):
        return float("nan")
    conf, correct = _top(p, y)
    return float(_ece(conf, correct, bins, binning))


def ece_interval(
    probs: ArrayLike,
    labels: ArrayLike,
    *,
    bins: int = 15,
    binning: Binning = "width",
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    seed: int | np.random.Generator | None = None,
    axis: int = -1,
) -> ECEInterval:
    r"""The ECE with a percentile bootstrap interval (all resamples drawn at once).

    Resamples the `N` examples with replacement `n_resamples` times and takes the
    $\frac{1-\gamma}{2}$ and $\frac{1+\gamma}{2}$ quantiles of the resampled ECEs, $\gamma$ the
    `confidence_level` (Efron & Tibshirani, *An Introduction to the Bootstrap*, 1993, ch. 13).
    ECE is biased upwards at small `N`; the interval shows how little a few dozen examples say.

    Returns:
        `ECEInterval(estimate, low, high)`.

    Raises:
        ValueError: On shapes, labels or options that do not fit (ragged `probs` included).
        TypeError: If `probs` is not numeric, `axis` not an integer or `confidence_level` not
            a number.

    Examples:
        >>> p = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]
        >>> est, lo, hi = ece_interval(p, [0, 1, 1, 0], bins=2, seed=0)
        >>> lo <= est <= hi
        True
    """
    p, y = _inputs(probs, labels, axis)
    level: object = confidence_level  # typed float, but a string or a bool may come
    if isinstance(level, bool | np.bool_) or not isinstance(level, numbers.Real):
        msg = f"confidence_level must be a number such as 0.95, got {confidence_level!r}"
        raise TypeError(msg)
    if not 0 < confidence_level < 1:
        msg = f"confidence_level must be in (0, 1), got {confidence_level}"
        raise ValueError(msg)
    why = "more would move the interval's ends by < 0.1% of its width (1000 is usual)"
    _check_count(n_resamples, "n_resamples", _MAX_RESAMPLES, why)
    if not len(y):
        _bin_index(np.zeros(0), bins, binning)  # the options are checked all the same
        return ECEInterval(math.nan, math.nan, math.nan)
    conf, correct = _top(p, y)
    estimate = float(_ece(conf, correct, bins, binning))
    samples = _bootstrap(conf, correct, (bins, binning), n_resamples, seed)
    alpha = (1 - confidence_level) / 2
    low, high = np.quantile(samples, [alpha, 1 - alpha])
    return ECEInterval(estimate, float(low), float(high))


def _bootstrap(
    conf: NDArray[np.float64],
    correct: NDArray[np.float64],
    options: tuple[int, Binning],
    n_resamples: int,
    seed: int | np.random.Generator | None,
) -> NDArray[np.float64]:
    """The ECE of each resample, drawn a block of rows at a time (the same draws as all at once).

    All at once, 1000 resamples of 100,000 examples would hold several arrays of 10**8 each.
    """
    given: object = seed  # typed, but a caller may pass anything
    if not (
        given is None
        or isinstance(given, np.random.Generator)
        or (isinstance(given, int | np.integer) and not isinstance(given, bool) and given >= 0)
    ):
        msg = (
            "seed is an int >= 0, a numpy Generator or None (a fresh seed), "
            f"got {a_value(given, width=40)}"
        )
        integer = isinstance(given, int | np.integer) and not isinstance(given, bool)
        raise ValueError(msg) if integer else TypeError(msg)
    rng = np.random.default_rng(seed)
    rows = max(1, _CHUNK // (len(conf) + options[0]))
    blocks = []
    for start in range(0, n_resamples, rows):
        idx = rng.integers(0, len(conf), size=(min(rows, n_resamples - start), len(conf)))
        blocks.append(_ece(conf[idx], correct[idx], *options))
    return np.concatenate(blocks)


def reliability(
    probs: ArrayLike,
    labels: ArrayLike,
    *,
    bins: int = 10,
    binning: Binning = "width",
    axis: int = -1,
) -> Reliability:
    """The reliability table behind a reliability diagram: per bin, count, confidence, accuracy.

    Mean top-label confidence and accuracy per bin (NaN for an empty bin); `edges` are the bin
    edges (equal width) or, for equal mass, each bin's least confidence and the largest: bin `b`
    holds the confidences in `[edges[b], edges[b + 1])`, the last bin its upper edge too.

    Examples:
        >>> r = reliability([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]], [0, 1, 1], bins=2)
        >>> r.counts.tolist(), r.accuracy.tolist()
        ([0, 3], [nan, 0.6666666666666666])
    """
    p, y = _inputs(probs, labels, axis)
    conf, correct = _top(p, y)
    b = _bin_index(conf, bins, binning)
    count = np.bincount(b, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(b, weights=conf, minlength=bins) / count
        acc = np.bincount(b, weights=correct, minlength=bins) / count
    if binning == "width":
        edges = np.linspace(0.0, 1.0, bins + 1)
    elif len(conf):  # each bin's least confidence (the next one's for an empty bin), then the max
        order = np.argsort(conf, kind="stable")
        first = np.searchsorted(b[order], np.arange(bins), side="left")
        edges = np.append(conf[order][np.minimum(first, len(conf) - 1)], conf[order[-1]])
    else:
        edges = np.full(bins + 1, np.nan)
    return Reliability(count.astype(np.intp), mean_conf, acc, edges)


def brier_score(probs: ArrayLike, labels: ArrayLike, *, axis: int = -1) -> float:
    r"""The multi-class Brier score: $\frac{1}{N}\sum_n\sum_k (p_{nk} - y_{nk})^2$.

    $y_{nk}$ is 1 for the true class, else 0 (Brier, "Verification of forecasts expressed in
    terms of probability", Monthly Weather Review 78, 1950). 0 is perfect; 2 the worst.

    Examples:
        >>> round(brier_score([[0.9, 0.1], [0.2, 0.8]], [0, 0]), 4)
        0.65
    """
    p, y = _inputs(probs, labels, axis)
    onehot = np.zeros_like(p)
    onehot[np.arange(len(y)), y] = 1.0
    return float(np.mean(np.sum((p - onehot) ** 2, axis=-1))) if len(y) else float("nan")


def brier_decomposition(
    probs: ArrayLike, labels: ArrayLike, *, bins: int = 10, axis: int = -1
) -> BrierDecomposition:
    r"""Murphy's decomposition of the Brier score, summed over classes.

    For each class $k$, its forecasts $p_{nk}$ are binned (equal width, `bins`), with $n_b$
    examples, mean forecast $\bar f_{bk}$ and observed frequency $\bar o_{bk}$ per bin and base
    rate $\bar o_k$:

    $$\mathrm{REL} = \sum_k\sum_b \tfrac{n_b}{N}(\bar f_{bk}-\bar o_{bk})^2,\quad
    \mathrm{RES} = \sum_k\sum_b \tfrac{n_b}{N}(\bar o_{bk}-\bar o_k)^2,\quad
    \mathrm{UNC} = \sum_k \bar o_k(1-\bar o_k)$$

    (Murphy, "A New Vector Partition of the Probability Score", J. Applied Meteorology 12,
    1973). `brier = REL - RES + UNC` holds exactly when the forecasts take one value per bin;
    otherwise it is off by the within-bin variance terms (`brier` is the exact score).

    Examples:
        >>> d = brier_decomposition([[1.0, 0.0], [0.0, 1.0]], [0, 1])
        >>> d.brier, d.reliability, d.resolution, d.uncertainty
        (0.0, 0.0, 0.5, 0.5)
    """
    p, y = _inputs(probs, labels, axis)
    n, c = p.shape
    if not n:
        _bin_index(np.zeros(0), bins, "width")  # `bins` is checked all the same
        return BrierDecomposition(math.nan, math.nan, math.nan, math.nan)
    onehot = np.zeros_like(p)
    onehot[np.arange(n), y] = 1.0
    b = _bin_index(p.T, bins, "width") + (np.arange(c) * bins)[:, None]  # (C, N)
    count = np.bincount(b.ravel(), minlength=c * bins).reshape(c, bins)
    f_sum = np.bincount(b.ravel(), weights=p.T.ravel(), minlength=c * bins).reshape(c, bins)
    o_sum = np.bincount(b.ravel(), weights=onehot.T.ravel(), minlength=c * bins).reshape(c, bins)
    safe = np.maximum(count, 1)
    base = onehot.mean(axis=0)[:, None]
    rel = float(np.sum(count * (f_sum / safe - o_sum / safe) ** 2) / n)
    res = float(np.sum(count * (o_sum / safe - base) ** 2) / n)
    unc = float(np.sum(base * (1 - base)))
    return BrierDecomposition(brier_score(p, y), rel, res, unc)


def nll(probs: ArrayLike, labels: ArrayLike, *, axis: int = -1) -> float:
    r"""Mean negative log-likelihood of the true class: $-\frac{1}{N}\sum_n \log p_{n,y_n}$.

    Probabilities are clipped below at `1e-15`, so a confident miss costs about 34.5 nats
    instead of infinity.

    Examples:
        >>> round(nll([[0.5, 0.5], [0.9, 0.1]], [0, 0]), 4)
        0.3993
    """
    p, y = _inputs(probs, labels, axis)
    return (
        float(-np.mean(np.log(np.maximum(p[np.arange(len(y)), y], _EPS))))
        if len(y)
        else float("nan")
    )
