"""A record's columns checked: what the readers refuse and the writers will not write."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tokenprobs.adapters._plausible import SLACK
from tokenprobs.distill._numbers import INT32_MAX
from tokenprobs.distill._record import DistillError, check_record
from tokenprobs.distill._text import lone_surrogate

if TYPE_CHECKING:
    from collections.abc import Callable

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


def _rows(record: KDRecord) -> tuple[NDArray[np.intp], Callable[[int], str]]:
    """Each candidate's position, and what names candidate `j` (`"position 3, candidate 1"`)."""
    row = np.repeat(np.arange(len(record)), np.diff(record.offsets))

    def candidate(j: int) -> str:
        return f"position {int(row[j])}, candidate {j - int(record.offsets[row[j]])}"

    return row, candidate


def _unordered(record: KDRecord) -> int | None:
    """The first candidate more likely than the one before it at its position, if one is.

    Most likely first, ties allowed, and a candidate without a logprob (NaN: a sampled token
    that came without one) last, as `collect` orders them: `to_arrays` keeps a row's first `k`.
    """
    lp = np.nan_to_num(record.cand_logprobs, nan=-np.inf)
    later = np.ones(len(lp), dtype=bool)
    later[record.offsets[:-1]] = False  # a position's first candidate has none before it
    found = _first(later[1:] & (lp[1:] > lp[:-1]))
    return None if found is None else found + 1


def _logprobs(record: KDRecord) -> str | None:  # noqa: PLR0911 - one per check, in order
    """Why the ids or logprobs are no token ids or logs of probabilities, if they are not."""
    row, candidate = _rows(record)
    lp = record.cand_logprobs
    with np.errstate(invalid="ignore"):
        if (j := _first(record.cand_ids < -1)) is not None:
            return f"{candidate(j)}: its id {int(record.cand_ids[j])} is below -1 (-1: not known)"
        if (j := _first(lp > SLACK)) is not None:
            return f"{candidate(j)}: its logprob {float(lp[j])!r} is above 0"
        if (j := _unordered(record)) is not None:
            before = "one without a logprob" if np.isnan(lp[j - 1]) else repr(float(lp[j - 1]))
            return (
                f"{candidate(j)}: its logprob {float(lp[j])!r} comes after {before}, but a "
                "position's top is most likely first (one without a logprob last): sort each "
                "position's candidates by logprob, descending"
            )
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
    `tp.parse` allows; NaN: no value); a position's candidates are most likely first (ties
    allowed, one without a logprob last: `to_arrays` keeps the first `k`); and where a tail is
    left its mass is what the candidates
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


def _unstorable_in_parquet(record: KDRecord) -> str | None:
    """Why a Parquet shard cannot hold `record` as it is, if it cannot (its strings and ids)."""
    if record.cand_ids.size and (j := _first(record.cand_ids > INT32_MAX)) is not None:
        _, candidate = _rows(record)
        return (
            f"{candidate(j)}: its id {int(record.cand_ids[j])} is above {INT32_MAX}, the most a "
            "shard's cand_id column (int32) holds: write the records with write_jsonl, which "
            "stores ids up to 2**63 - 1"
        )
    teacher = record.teacher
    strings = {
        "id": record.id,
        "completion_text": record.completion_text,
        "teacher.provider": teacher.provider,
        "teacher.model": teacher.model,
        "teacher.tokenizer": teacher.tokenizer,
    }
    for n, name in enumerate(teacher.sampling_adjustments or ()):
        strings[f"teacher.sampling_adjustments[{n}]"] = name
    for field, text in strings.items():
        if isinstance(text, str) and (found := lone_surrogate(text)) is not None:
            return (
                f"its {field} holds a lone surrogate ({found}), which a Parquet string column "
                "(UTF-8) cannot hold: write the records with write_jsonl, which keeps it as its "
                "\\uXXXX escape"
            )
    return None


def check_writable(record: KDRecord, /, *, writer: str, parquet: bool = False) -> None:
    """Raise unless `record` is a `KDRecord` whose values a writer may write (`check_values`).

    With `parquet`, also unless a shard holds it as it is: every candidate id within int32
    (`cand_id`'s type), and no lone surrogate in a string column (`id`, `completion_text`, the
    teacher's names), which UTF-8 has no bytes for. (JSON text, `input` and `extra` there and
    every field in JSONL, keeps a lone surrogate as its escape: `json_text`.)

    Raises:
        TypeError: `record` is not a `KDRecord`.
        DistillError: Its values are no teacher's top-k, said with `WRITE_FIX`; or, with
            `parquet`, a value a shard cannot hold (the message names it and says that
            `write_jsonl` stores it).
    """
    check_record(record, where=writer)
    check_values(record, where=writer, fix=WRITE_FIX)
    if parquet and (why := _unstorable_in_parquet(record)) is not None:
        msg = f"{writer}: record {record.id!r}: {why}"
        raise DistillError(msg)
