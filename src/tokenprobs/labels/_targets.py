"""The true labels of a calibration set, as indices into the labels: names or indices, checked."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, cast

import numpy as np

from tokenprobs._said import a_type

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["targets"]


def targets(
    y: Sequence[str | int] | NDArray[np.intp], labels: tuple[str, ...], *, count: int
) -> NDArray[np.intp]:
    """The `count` true labels (one per result) as indices into `labels`, names or indices.

    Raises:
        TypeError: `y` is one string or bytes, or no list; or a true label is no name or index.
        ValueError: `y` does not hold `count` true labels (or is no 1-D array), a name is not
            one of `labels`, or an index is out of range.
    """
    out = _indices(y, labels)
    if len(out) != count:
        msg = (
            f"{count} results but {len(out)} true labels: give one true label per result, in "
            "the results' order"
        )
        raise ValueError(msg)
    return out


def _indices(
    y: Sequence[str | int] | NDArray[np.intp], labels: tuple[str, ...]
) -> NDArray[np.intp]:
    """The true labels as indices into `labels`, each a label name or an index in range.

    Raises:
        TypeError: `y` is one string or bytes, or no list; a true label is neither a string nor
            an integer (`0.7`, a bool, None); a whole float (`1.0`) is an index.
        ValueError: `y` is an array of more or fewer than one dimension, a name is not one of
            `labels`, or an index is out of range.
    """
    y = _listed(y)
    c = len(labels)
    arr = np.asarray(y) if isinstance(y, np.ndarray) else None
    if arr is not None and arr.ndim != 1:
        msg = (
            f"the true labels y are an array of shape {arr.shape}: give one true label per "
            "result, a 1-D array of indices or a list of names (not one-hot rows)"
        )
        raise ValueError(msg)
    if arr is not None and arr.dtype.kind == "f" and bool(np.all(np.mod(arr, 1) == 0)):
        arr = arr.astype(np.int64)  # whole floats (`np.zeros(n)`, a pandas column) are indices
    if arr is not None and arr.dtype.kind in "iu":  # the fast path: an array of indices
        bad = np.flatnonzero((arr < 0) | (arr >= c))
        if bad.size:
            raise ValueError(_out_of_range(int(bad[0]), arr[bad[0]].item(), labels))
        return arr.astype(np.intp)
    index = {k: n for n, k in enumerate(labels)}
    out = np.empty(len(y), dtype=np.intp)
    for n, v in enumerate(arr.tolist() if arr is not None else y):
        if isinstance(v, str):
            if v not in index:
                msg = f"true label {n}: label {v!r} is not one of {list(labels)}"
                raise ValueError(msg)
            out[n] = index[v]
        elif _is_index(v):
            if not 0 <= v < c:
                raise ValueError(_out_of_range(n, int(v), labels))
            out[n] = int(v)
        else:
            msg = (
                f"true label {n}: label {v!r} is {a_type(v)}; each true label must be "
                f"a name or an integer index: one of {list(labels)} or 0 to {c - 1}"
            )
            raise TypeError(msg)
    return out


def _listed(y: object) -> Sequence[str | int] | NDArray[np.intp]:
    """`y` as a list or an array: one string or bytes refused, any other iterable listed.

    Raises:
        TypeError: `y` is one string or bytes (read per character, it would be labels such as
            `'y'`), or not iterable.
    """
    if isinstance(y, str | bytes):
        msg = (
            f"the true labels y are one {type(y).__name__} ({y[:40]!r}): pass one true label "
            "per result, as a list (['yes', 'no', ...]) or an array of indices"
        )
        raise TypeError(msg)
    if isinstance(y, np.ndarray | Sequence):
        return cast("Sequence[str | int] | NDArray[np.intp]", y)
    if not isinstance(y, Iterable):
        msg = (
            "the true labels y must be a list (one name or index per result) or an array, got "
            f"{a_type(y)}"
        )
        raise TypeError(msg)
    return list(cast("Iterable[str | int]", y))  # a generator, a pandas Series ...


def _is_index(v: object) -> bool:
    """An integer (not a bool), or a whole float (`1.0`)."""
    if isinstance(v, float):
        return v.is_integer()
    return isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)


def _out_of_range(n: int, v: int, labels: tuple[str, ...]) -> str:
    return (
        f"true label {n}: label {v} is out of range: a true label given as an index must be 0 to "
        f"{len(labels) - 1} (for {list(labels)})"
    )
