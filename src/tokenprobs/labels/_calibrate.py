r"""Calibrators for label probabilities, fit on held-out results and applied to new ones.

All work on the per-example label vector $z = \log p$ (the normalised `LabelResult.probs`,
clipped at `1e-12`) and return new results whose `probs`, `label` and `margin` are calibrated;
`raw`, `bounds` and `tail` still describe what the model's distribution said.

* `TemperatureScaling` (the default): $q = \mathrm{softmax}(z / T)$, one scalar; keeps the argmax
  (Guo et al., arXiv 1706.04599).
* `VectorScaling`: $q = \mathrm{softmax}(w \odot z + b)$, a scale and a bias per class (ibid.).
* `PlattScaling`: binary, $q_1 = \sigma(a (z_1 - z_0) + c)$ (Platt, 1999).
* `ContextualCalibration`: $q \propto p / \bar p_{cf}$, $\bar p_{cf}$ the mean probabilities of
  content-free inputs ("N/A", "", "[MASK]") through the same prompt (Zhao et al., "Calibrate
  Before Use", arXiv 2102.09690). No labels needed.
* `BatchCalibration`: $q \propto p / \bar p$, $\bar p$ the mean over the batch itself (Zhou et
  al., "Batch Calibration", arXiv 2309.17249). No labels, no extra calls.

The supervised ones minimise the NLL (convex in their parameters) by Newton steps on one
parameter or gradient descent with backtracking, in numpy; below `MIN_EXAMPLES` they warn: a
few dozen examples cannot certify a calibrator.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Literal, cast

import numpy as np

from tokenprobs._said import a_type
from tokenprobs.labels._classify import LabelsWarning
from tokenprobs.labels._result import LabelResult, LabelResults
from tokenprobs.labels._targets import targets

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from numpy.typing import NDArray

__all__ = [
    "MIN_EXAMPLES",
    "BatchCalibration",
    "CalibrationWarning",
    "Calibrator",
    "ContextualCalibration",
    "PlattScaling",
    "TemperatureScaling",
    "VectorScaling",
    "calibrate",
]

MIN_EXAMPLES = 300
"""Below this many labelled examples, fitting a calibrator warns."""

_FLOOR = 1e-12


class CalibrationWarning(LabelsWarning):
    """A calibrator fit on too few examples to be trusted."""


def as_results(results: Iterable[LabelResult | Exception]) -> LabelResults:
    """The results as one label set's `LabelResults`.

    `results` is any iterable of label results and failed items (exceptions): a list, a tuple,
    the `LabelResults` that `Labels.probs_many` returns, or a generator.

    Raises:
        TypeError: `results` is one `LabelResult`, a str, bytes, a mapping or not iterable, or
            an item is neither a `LabelResult` nor an exception.
        ValueError: No item is a `LabelResult`, or two are of different label sets.
    """
    given: object = results  # checked as a caller may pass anything
    one = isinstance(given, LabelResult)
    # a str's characters, bytes' ints and a mapping's keys are never results: name the whole
    if one or isinstance(given, str | bytes | Mapping) or not isinstance(given, Iterable):
        what = "one LabelResult" if one else a_type(given)
        fix = (
            "pass list(results.values())"
            if isinstance(given, Mapping)
            else "for one result pass [result]"
        )
        msg = (
            "results must be an iterable of label results (a list or tuple of what "
            f"Labels.probs_many or classify returns), got {what}: {fix}"
        )
        raise TypeError(msg)
    items: list[object] = list(results)
    first: LabelResult | None = None
    for n, r in enumerate(items):
        if isinstance(r, LabelResult):
            first = first or r
            if r.labels != first.labels:
                msg = (
                    f"result {n} is of labels {list(r.labels)}, but earlier results of "
                    f"{list(first.labels)}: calibrate the results of one label set at a time"
                )
                raise ValueError(msg)
        elif not isinstance(r, Exception):
            msg = (
                f"item {n} is {a_type(r)}, not a LabelResult: calibrate what "
                "Labels.probs_many returns"
            )
            raise TypeError(msg)
    if first is None:
        msg = "no LabelResult to calibrate (every item failed or the list is empty)"
        raise ValueError(msg)
    if isinstance(results, LabelResults) and results.labels == first.labels:
        return results
    return LabelResults(cast("list[LabelResult | Exception]", items), labels=first.labels)


def _logits(results: LabelResults) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    p = results.matrix("probs")
    ok: NDArray[np.bool_] = np.asarray(np.isfinite(p).all(axis=1))
    z: NDArray[np.float64] = np.log(np.maximum(np.where(ok[:, None], p, 1.0), _FLOOR))
    return z, ok


def _softmax(z: NDArray[np.float64]) -> NDArray[np.float64]:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    out: NDArray[np.float64] = e / e.sum(axis=1, keepdims=True)
    return out


def _descend(
    loss: Callable[[NDArray[np.float64]], tuple[float, NDArray[np.float64]]],
    theta: NDArray[np.float64],
    *,
    steps: int = 500,
) -> NDArray[np.float64]:
    """Gradient descent with Armijo backtracking (the losses here are convex and smooth)."""
    value, grad = loss(theta)
    lr = 1.0
    for _ in range(steps):
        while lr > 1e-12:  # noqa: PLR2004
            trial = theta - lr * grad
            new, new_grad = loss(trial)
            if new <= value - 0.5 * lr * float(grad @ grad):
                break
            lr /= 2
        else:
            break
        if value - new < 1e-12:  # noqa: PLR2004
            theta, value, grad = trial, new, new_grad
            break
        theta, value, grad = trial, new, new_grad
        lr *= 2
    return theta


class Calibrator:
    """The protocol of every calibrator: `fit` on results, `transform` new ones."""

    supervised: bool = True
    labels: tuple[str, ...] = ()

    def fit(
        self,
        results: Iterable[LabelResult | Exception],
        y: Sequence[str | int] | NDArray[np.intp] | None = None,
    ) -> Calibrator:
        """Fit on `results` (with true labels `y`, names or indices, where supervised).

        The unsupervised calibrators (`ContextualCalibration`, `BatchCalibration`) need no `y`
        and do not use one; a `y` given is still checked as the supervised ones check it (one
        true label per result, each one of the labels), so a pipeline that passes the wrong
        labels fails with every method alike.

        Raises:
            TypeError: `y` is missing where supervised, or a true label is no name or index.
            ValueError: No usable result (every one failed or has NaN probabilities), results
                of different label sets, a `y` that does not hold one true label per result
                (both counts given), or a true label that is not one of the labels.
        """
        res = as_results(results)
        z, ok = _logits(res)
        if not self.supervised and y is not None:
            targets(y, res.labels, count=len(res))  # unused, but checked: see above
        if self.supervised:
            if y is None:
                msg = f"{type(self).__name__} needs the true labels: fit(results, y)"
                raise TypeError(msg)
            target = targets(y, res.labels, count=len(res))
            n = int(ok.sum())
            if not n:
                msg = (
                    f"no usable result to fit {type(self).__name__} on: every result failed "
                    "or has no label probabilities (NaN: no label found at its answer position)"
                )
                raise ValueError(msg)
            if n < MIN_EXAMPLES:
                warnings.warn(
                    f"{type(self).__name__} fit on {n} examples (< {MIN_EXAMPLES}): too few to "
                    "certify a calibrator; check it on held-out data before trusting it",
                    CalibrationWarning,
                    stacklevel=2,
                )
            self._fit(z[ok], target[ok])
        else:
            self._fit(z[ok], None)
        self.labels = res.labels  # fitted: only now (a failed fit leaves it unfitted)
        return self

    def _fit(self, z: NDArray[np.float64], y: NDArray[np.intp] | None) -> None:
        raise NotImplementedError

    def _apply(self, z: NDArray[np.float64]) -> NDArray[np.float64]:
        raise NotImplementedError

    def transform(self, results: Iterable[LabelResult | Exception]) -> LabelResults:
        """Calibrated copies of `results` (failed items stay in place).

        Raises:
            ValueError: The calibrator was not fit, or was fit on another label set.
        """
        if not self.labels:  # a fitted calibrator knows its labels (a label set has one or more)
            msg = f"{type(self).__name__} is not fitted: call fit(results, y) first"
            raise ValueError(msg)
        res = as_results(results)
        if res.labels != self.labels:
            msg = f"fit on labels {list(self.labels)}, asked to transform {list(res.labels)}"
            raise ValueError(msg)
        z, ok = _logits(res)
        q = self._apply(z)
        out: list[LabelResult | Exception] = []
        for n, r in enumerate(res):
            out.append(_with_probs(r, q[n]) if isinstance(r, LabelResult) and ok[n] else r)
        return LabelResults(out, labels=res.labels)

    def fit_transform(
        self,
        results: Iterable[LabelResult | Exception],
        y: Sequence[str | int] | NDArray[np.intp] | None = None,
    ) -> LabelResults:
        """`fit`, then `transform` the same results (in-sample: only for unsupervised ones)."""
        items = as_results(results)
        return self.fit(items, y).transform(items)


def _with_probs(r: LabelResult, q: NDArray[np.float64]) -> LabelResult:
    order = np.argsort(-q, kind="stable")
    margin = float(q[order[0]] - q[order[1]]) if len(q) > 1 else float(q[0])
    return replace(
        r,
        probs=dict(zip(r.labels, q.tolist(), strict=True)),
        label=r.labels[int(order[0])],
        margin=margin,
    )


class TemperatureScaling(Calibrator):
    r"""$q = \mathrm{softmax}(z / T)$: one temperature, fit by NLL; the argmax is unchanged."""

    def __init__(self) -> None:
        """Unfitted (T = 1)."""
        self.temperature = 1.0

    def _fit(self, z: NDArray[np.float64], y: NDArray[np.intp] | None) -> None:
        assert y is not None  # noqa: S101 - supervised
        rows = np.arange(len(y))

        def loss(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            beta = math.exp(float(theta[0]))  # 1 / T, kept positive
            q = _softmax(z * beta)
            value = -float(np.mean(np.log(np.maximum(q[rows, y], 1e-300))))
            d_beta = float(np.mean((q * z).sum(axis=1) - z[rows, y]))
            return value, np.array([d_beta * beta])

        self.temperature = 1.0 / math.exp(float(_descend(loss, np.zeros(1))[0]))

    def _apply(self, z: NDArray[np.float64]) -> NDArray[np.float64]:
        return _softmax(z / self.temperature)


class VectorScaling(Calibrator):
    r"""$q = \mathrm{softmax}(w \odot z + b)$: a scale and a bias per class, fit by NLL."""

    def __init__(self) -> None:
        """Unfitted (w = 1, b = 0)."""
        self.scale: NDArray[np.float64] = np.ones(0)
        self.bias: NDArray[np.float64] = np.zeros(0)

    def _fit(self, z: NDArray[np.float64], y: NDArray[np.intp] | None) -> None:
        assert y is not None  # noqa: S101 - supervised
        n, c = z.shape
        onehot = np.zeros((n, c))
        onehot[np.arange(n), y] = 1.0

        def loss(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            w, b = theta[:c], theta[c:]
            q = _softmax(z * w + b)
            value = -float(np.mean(np.log(np.maximum((q * onehot).sum(axis=1), 1e-300))))
            g = (q - onehot) / n
            return value, np.concatenate([(g * z).sum(axis=0), g.sum(axis=0)])

        theta = _descend(loss, np.concatenate([np.ones(c), np.zeros(c)]))
        self.scale, self.bias = theta[:c], theta[c:]

    def _apply(self, z: NDArray[np.float64]) -> NDArray[np.float64]:
        return _softmax(z * self.scale + self.bias)


class PlattScaling(Calibrator):
    r"""Binary: $q_1 = \sigma(a\,(z_1 - z_0) + c)$, fit by NLL (Platt scaling)."""

    def __init__(self) -> None:
        """Unfitted (a = 1, c = 0)."""
        self.a, self.c = 1.0, 0.0

    def _fit(self, z: NDArray[np.float64], y: NDArray[np.intp] | None) -> None:
        assert y is not None  # noqa: S101 - supervised
        if z.shape[1] != 2:  # noqa: PLR2004
            msg = f"Platt scaling is for two labels, got {z.shape[1]}: use VectorScaling"
            raise ValueError(msg)
        s, t = z[:, 1] - z[:, 0], y.astype(np.float64)

        def loss(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            u = theta[0] * s + theta[1]
            value = float(np.mean(np.logaddexp(0.0, u) - t * u))
            g = 1.0 / (1.0 + np.exp(-u)) - t
            return value, np.array([float(np.mean(g * s)), float(np.mean(g))])

        self.a, self.c = (float(v) for v in _descend(loss, np.array([1.0, 0.0])))

    def _apply(self, z: NDArray[np.float64]) -> NDArray[np.float64]:
        p1 = 1.0 / (1.0 + np.exp(-(self.a * (z[:, 1] - z[:, 0]) + self.c)))
        return np.stack([1.0 - p1, p1], axis=1)


class _PriorCorrection(Calibrator):
    supervised = False

    def __init__(self) -> None:
        self.prior: NDArray[np.float64] = np.ones(0)

    def _fit(self, z: NDArray[np.float64], y: NDArray[np.intp] | None) -> None:
        del y
        if not len(z):
            msg = "no usable result to estimate the prior from"
            raise ValueError(msg)
        prior = np.exp(z).mean(axis=0)
        self.prior = prior / prior.sum()

    def _apply(self, z: NDArray[np.float64]) -> NDArray[np.float64]:
        return _softmax(z - np.log(np.maximum(self.prior, _FLOOR)))


class ContextualCalibration(_PriorCorrection):
    """$q ∝ p / p_cf$: fit on the results of content-free inputs ("N/A", "", "[MASK]")."""


class BatchCalibration(_PriorCorrection):
    """$q ∝ p / mean(p)$: fit on the batch to calibrate itself (no labels, no extra calls)."""


Method = Literal["temperature", "vector", "platt", "contextual", "batch"]
_METHODS: dict[str, type[Calibrator]] = {
    "temperature": TemperatureScaling,
    "vector": VectorScaling,
    "platt": PlattScaling,
    "contextual": ContextualCalibration,
    "batch": BatchCalibration,
}


def calibrate(
    results: Iterable[LabelResult | Exception],
    y: Sequence[str | int] | NDArray[np.intp] | None = None,
    /,
    *,
    method: Method = "temperature",
) -> Calibrator:
    """Fit a calibrator by name on `results` (and true labels `y` for the supervised ones).

    For `"contextual"`, `results` are those of the content-free inputs; for `"batch"`, the
    batch to be calibrated itself. Apply it with `.transform(new_results)`.

    Raises:
        TypeError: A true label is neither a label name nor an integer index.
        ValueError: For an unknown method, true labels that are not the results' labels (or an
            index out of range), results of different label sets, or no usable result.
    """
    given: object = method  # checked as a caller may pass anything (a list is unhashable)
    if not isinstance(given, str) or given not in _METHODS:
        msg = f"unknown method {method!r}; choose one of {sorted(_METHODS)}"
        raise ValueError(msg)
    return _METHODS[method]().fit(results, y)
