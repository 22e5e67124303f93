"""A record's columns checked: what the readers refuse and the writers will not write."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tokenprobs.adapters._plausible import SLACK
from tokenprobs.distill._record import DistillError, check_record

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from tokenprobs.distill._record import KDRecord

__all__ = ["WRITE_FIX", "check_values", "check_writable"]

WRITE_FIX = (
    "a record built by hand, or of a server whose logprobs are no probabilities (tp.parse "
    "warns of those): make it with collect, or leave it out"
)
"""What a writer's refusal of a record's values says to do (`check_values`)."""


def _first(bad: NDArray[np.bool_]) -> int | None:
    """The first index where `bad` is True, else None."""
    found = np.flatnonzero(bad)
    return int(found[0]) if found.size else None


def _shape(record: KDRecord) -> str | None:  # noqa: PLR0911 - one per check, in order
    """Why the columns do not line up (offsets, lengths, sampled indices), if they do not."""
    t_len, n = len(record.sampled_index), len(record.cand_bytes)
    offsets = record.offsets
    if offsets.ndim != 1 or len(offsets) != t_len + 1:
        return f"offsets has {len(offsets)} entries for {t_len} positions (T + 1 are needed)"
    if offsets[0] != 0 or offsets[-1] != n:
        return f"offsets run from {int(offsets[0])} to {int(offsets[-1])}, not from 0 to {n}"
    for name in ("cand_ids", "cand_logprobs"):
        if len(getattr(record, name)) != n:
            return f"{name} has {len(getattr(record, name))} entries for {n} candidates"
    for name in ("cap", "tail_logprob"):
        if len(getattr(record, name)) != t_len:
            return f"{name} has {len(getattr(record, name))} entries for {t_len} positions"
    counts = np.diff(offsets)
    if (t := _first(counts < 1)) is not None:
        return f"position {t} has no candidate (the sampled token is always one)"
    if (t := _first((record.sampled_index < 0) | (record.sampled_index >= counts))) is not None:
        return (
            f"position {t}'s sampled index {int(record.sampled_index[t])} is not one of its "
            f"{int(counts[t])} candidates"
        )
    return None


def _logprobs(record: KDRecord) -> str | None:  # noqa: PLR0911 - one per check, in order
    """Why the ids or logprobs are no token ids or logs of probabilities, if they are not."""
    row = np.repeat(np.arange(len(record)), np.diff(record.offsets))
    lp = record.cand_logprobs

    def candidate(j: int) -> str:
        return f"position {int(row[j])}, candidate {j - int(record.offsets[row[j]])}"

    with np.errstate(invalid="ignore"):
        if (j := _first(record.cand_ids < -1)) is not None:
            return f"{candidate(j)}: its id {int(record.cand_ids[j])} is below -1 (-1: not known)"
        if (j := _first(lp > SLACK)) is not None:
            return f"{candidate(j)}: its logprob {float(lp[j])!r} is above 0"
        if (t := _first(record.cap > SLACK)) is not None:
            return f"position {t}: its cutoff_logprob {float(record.cap[t])!r} is above 0"
        tail = record.tail_logprob
        if (t := _first(~(tail <= 0))) is not None:  # NaN included
            return f"position {t}: its tail_logprob {float(tail[t])!r} is not <= 0"
    mass = np.bincount(row, weights=np.exp(np.nan_to_num(lp, nan=-np.inf)), minlength=len(record))
    with np.errstate(invalid="ignore"):
        total = mass + np.exp(record.tail_logprob)
    left = record.tail_logprob > -np.inf
    if (t := _first(left & (np.abs(total - 1.0) > SLACK))) is not None:
        return (
            f"position {t}: its candidates' mass {float(mass[t]):.6g} and its tail's "
            f"{float(np.exp(record.tail_logprob[t])):.6g} sum to {float(total[t]):.6g}, not 1"
        )
    if (t := _first(~left & (mass < 1.0 - SLACK))) is not None:
        return (
            f"position {t}: its tail_logprob says no mass is left (null), but its candidates "
            f"hold only {float(mass[t]):.6g}"
        )
    return None


def check_values(record: KDRecord, /, *, where: str, fix: str) -> None:
    r"""Raise unless `record`'s columns line up and hold a teacher's top-k, as `collect` makes it.

    The offsets run from 0 to the number of candidates, each position has at least one (the
    sampled token) and its sampled index is one of them; ids are `-1` (not known) or ids;
    logprobs, caps and tails are logs of probabilities (at most `1e-3` above 0, the rounding
    `tp.parse` allows; NaN: no value); and where a tail is left its mass is what the candidates
    leave, $e^{\text{tail}} = 1 - \sum_i p_i$ (within `1e-3`), while a tail of none left
    (`-inf`) has candidates holding (at least) all of it. A reader that took other values would
    give targets whose mass is above 1, or present a top-k as the whole distribution.

    Raises:
        DistillError: The first thing that is off, with the record's id and the position,
            prefixed by `where` (the file and line, or the writer), and `fix`.
    """
    why = _shape(record) or _logprobs(record)
    if why is not None:
        msg = f"{where}: record {record.id!r} is not a teacher's top-k ({why}): {fix}"
        raise DistillError(msg)


def check_writable(record: KDRecord, /, *, writer: str) -> None:
    """Raise unless `record` is a `KDRecord` whose values a writer may write (`check_values`).

    Raises:
        TypeError: `record` is not a `KDRecord`.
        DistillError: Its values are no teacher's top-k, said with `WRITE_FIX`.
    """
    check_record(record, where=writer)
    check_values(record, where=writer, fix=WRITE_FIX)
