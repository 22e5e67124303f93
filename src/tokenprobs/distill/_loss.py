"""A reference top-k distillation loss in numpy: what a trainer's kernel should compute."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from tokenprobs._said import among, check_type
from tokenprobs.distill._arrays import KDArrays
from tokenprobs.distill._record import DistillError
from tokenprobs.metrics._numeric import as_float

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["topk_loss"]


def _xlogy(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        out: NDArray[np.float64] = np.where(x > 0, x * np.log(np.where(x > 0, y, 1.0)), 0.0)
    return out


def _kl(p: NDArray[np.float64], q: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        out: NDArray[np.float64] = _xlogy(p, p / q).sum(axis=-1)
    return out


def _other_mass(s_all: NDArray[np.float64], targets: KDArrays) -> NDArray[np.float64]:
    """Shape `(T,)`: the student's mass on the ids a row does not keep, summed column by column.

    Summed, not taken as `1 - sum(kept)`: a confident student leaves the rest a mass far below
    the rounding error of that difference, which would read as 0 and make the loss infinite.
    """
    kept = np.zeros(s_all.shape, dtype=bool)
    rows = np.broadcast_to(np.arange(len(s_all))[:, None], targets.target_ids.shape)
    kept[rows[targets.mask], targets.target_ids[targets.mask]] = True
    out: NDArray[np.float64] = np.where(kept, 0.0, np.exp(s_all)).sum(axis=1)
    return out


_NORMALISED = 1e-2
"""How far a row's log-sum-exp may be from 0 (float32 / bfloat16 log-softmax rounding)."""


def _check_log_softmax(s_all: NDArray[np.float64]) -> None:
    """Raise unless each row is a log-softmax: no NaN, probabilities summing to 1."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        total = np.log(np.exp(s_all).sum(axis=1))
    off = np.flatnonzero(~(np.abs(total) <= _NORMALISED))  # NaN included
    if off.size:
        t = int(off[0])
        msg = (
            "student_logprobs must be the student's log-softmax (each row's probabilities sum "
            f"to 1), but row {t} sums to {float(np.exp(total[t])):.6g} ({off.size} such rows): "
            "apply log_softmax to the logits (over the whole vocabulary, temperature included)"
        )
        raise DistillError(msg)


def topk_loss(
    student_logprobs: ArrayLike,
    targets: KDArrays,
    /,
    *,
    kind: Literal["forward", "reverse", "jsd"] = "forward",
) -> NDArray[np.float64]:
    r"""The distillation loss at each position, over the targets' outcomes (reference, numpy).

    With teacher targets $t_i$ on the kept ids and the student's $s_i$ there, the outcomes are
    the kept ids, plus under `tail="bucket"` one "everything else" outcome with
    $t_o = e^{\text{tail\_logprob}}$ and $s_o$ the student's mass on every other id (summed
    over them, so a confident student's tiny rest stays finite):

    * `"forward"`: $\mathrm{KL}(t \| s) = \sum t \log(t / s)$ (Hinton et al. 2015).
    * `"reverse"`: $\mathrm{KL}(s \| t)$ (MiniLLM, arXiv 2306.08543).
    * `"jsd"`: $\frac12 \mathrm{KL}(t \| m) + \frac12 \mathrm{KL}(s \| m)$, $m = (t + s)/2$.

    Under `"renormalize"` the student is renormalised over the kept ids for `reverse` and
    `jsd` (as Axolotl does; `forward` needs no renormalising: the target holds no other
    mass). Under `"raw"` only `forward` is defined: $\sum_i t_i \log(t_i / s_i)$ with $\sum t < 1$
    (DistillKit's `ZERO`). With every token of the vocabulary kept, all three equal the dense
    divergences.

    Args:
        student_logprobs: Shape `(T, V)`: the student's log-softmax at the `T` positions that
            predict the targets' rows (temperature already applied).
        targets: From `to_arrays`.
        kind: `"forward"`, `"reverse"` or `"jsd"`.

    Returns:
        Shape `(T,)`: the loss per position (0 where a row has no target).

    Raises:
        TypeError: `targets` is not a `KDArrays`, or `student_logprobs` is not numbers.
        DistillError: Shapes that do not line up, rows that are no log-softmax (logits, NaN:
            the probabilities must sum to 1 within 1%), a student vocabulary (`V`) too small
            for the largest target id, or `reverse` / `jsd` with `tail="raw"`.
    """
    check_type(
        targets,
        KDArrays,
        "targets must be the KDArrays of distill.to_arrays (or to_student_arrays(...).arrays)",
    )
    s_all = as_float(student_logprobs, "student_logprobs", what="the student's (T, V) log-softmax")
    t_len = targets.target_ids.shape[0]
    if s_all.ndim != 2 or s_all.shape[0] != t_len:  # noqa: PLR2004
        msg = f"student_logprobs must have shape (T, V) with T = {t_len}, got {s_all.shape}"
        raise DistillError(msg)
    if not among(kind, {"forward", "reverse", "jsd"}):
        msg = f"kind must be 'forward', 'reverse' or 'jsd', got {kind!r}"
        raise DistillError(msg)
    if targets.tail == "raw" and kind != "forward":
        msg = (
            f"kind={kind!r} needs a distribution, but tail='raw' targets do not sum to 1: "
            "use tail='bucket' or 'renormalize'"
        )
        raise DistillError(msg)
    top = int(targets.target_ids.max()) if targets.target_ids.size else -1
    if top >= s_all.shape[1]:
        msg = (
            f"student_logprobs has {s_all.shape[1]} columns (its vocabulary size V) but the "
            f"largest target id is {top}: pass the student's log-softmax over its whole "
            "vocabulary, and targets built with that student's StudentVocab"
        )
        raise DistillError(msg)
    _check_log_softmax(s_all)
    mask = targets.mask
    t = np.where(mask, np.exp(targets.target_logprobs), 0.0)
    s = np.where(mask, np.exp(np.take_along_axis(s_all, targets.target_ids, axis=1)), 0.0)
    if targets.tail == "bucket":
        t = np.concatenate([t, np.exp(targets.tail_logprob)[:, None]], axis=1)
        s = np.concatenate([s, _other_mass(s_all, targets)[:, None]], axis=1)
    elif targets.tail == "renormalize" and kind != "forward":
        with np.errstate(invalid="ignore"):
            s = s / s.sum(axis=1, keepdims=True)
    if kind == "forward":
        out = _kl(t, s)
    elif kind == "reverse":
        out = _kl(s, t)
    else:
        m = 0.5 * (t + s)
        out = 0.5 * _kl(t, m) + 0.5 * _kl(s, m)
    return np.where(mask.any(axis=1), out, 0.0)
