"""The per-position record builder `KDRecord.from_distribution` had before the columnar path.

Kept as the reference the differential test compares the columnar path with, verbatim but for
two fixes: the candidates' strings are read from the columns padded to the row's width, as their
bytes are (`Candidates.tokens(t)` is not padded, so at a position with fewer than K alternatives
whose sampled token is not among them the old builder lost that candidate's id and shifted the
ids after it); and a sampled token with the `-9999` sentinel is a candidate as one with no
logprob is (the old builder left it out but kept its index, one past the position's last): of no
mass where it merges with a candidate of its bytes, NaN where it stands alone.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs.distill import KDRecord, Teacher
from tokenprobs.distill._columnar import token_id as _token_id

if TYPE_CHECKING:
    from collections.abc import Mapping

    from numpy.typing import NDArray

    from tokenprobs.models import TokenDistribution


def _merge(
    keys: list[bytes],
    ids: list[int],
    values: list[float],
    sampled_at: int,
    /,
    *,
    out: tuple[list[bytes], list[int], list[float]],
) -> int:
    """Append one position's candidates merged by bytes and sorted; the sampled one's index."""
    merged: dict[bytes, tuple[float, int, bool]] = {}
    for j, (key, tid, lp) in enumerate(zip(keys, ids, values, strict=True)):
        if key in merged:
            was_lp, was_id, was_sampled = merged[key]
            merged[key] = (float(np.logaddexp(was_lp, lp)), was_id, was_sampled or j == sampled_at)
        else:
            merged[key] = (lp, tid, j == sampled_at)
    order = sorted(merged.items(), key=lambda kv: math.inf if math.isnan(kv[1][0]) else -kv[1][0])
    index = -1
    out_bytes, out_ids, out_lp = out
    for n, (key, (lp, tid, is_sampled)) in enumerate(order):
        out_bytes.append(key)
        out_ids.append(tid)
        out_lp.append(lp)
        if is_sampled:
            index = n
    return index


def _tokens(d: TokenDistribution, row: NDArray[np.float64], t: int) -> list[str]:
    """Position `t`'s candidates' strings, in the order of `Candidates.keys(t)`."""
    alts = d.top_tokens[t]
    names = [*alts, *[""] * (len(row) - 1 - len(alts)), d.tokens[t]]
    return [names[j] for j in range(len(names)) if row[j] > -math.inf]


def reference_record(
    d: TokenDistribution,
    /,
    *,
    teacher: Teacher,
    input: Mapping[str, object] | None = None,  # noqa: A002 - the schema's name
    id: str | None = None,  # noqa: A002 - the schema's name
) -> KDRecord:
    """The record of one distribution, from its candidate sets (`d.candidates`).

    A token whose string is vLLM's `token_id:N` (`return_tokens_as_token_ids`) gives its id.
    """
    c = d.candidates
    member = c.logprobs > -math.inf
    before: NDArray[np.intp] = np.cumsum(member, axis=1) - member  # members to the left
    at: NDArray[np.intp] = np.take_along_axis(before, c.sampled[:, None].astype(np.intp), axis=1)[
        :, 0
    ]
    offsets = [0]
    flat_bytes: list[bytes] = []
    flat_ids: list[int] = []
    flat_lp: list[float] = []
    sampled: list[int] = []
    for t in range(len(c)):
        row = c.logprobs[t]
        keys, names = c.keys(t), _tokens(d, row, t)
        values = row[member[t]].tolist()
        sampled_at = int(at[t])
        if not row[c.sampled[t]] > -math.inf:  # no logprob (NaN), or the -9999 sentinel (-inf)
            keys.insert(sampled_at, c.sampled_key(t))
            names.insert(sampled_at, d.tokens[t])
            values.insert(sampled_at, float(row[c.sampled[t]]))
        ids = [_token_id(n) for n in names]
        ordered = all(a >= b for a, b in itertools.pairwise(values))
        if ordered and len(set(keys)) == len(keys):  # the usual case: as returned
            flat_bytes += keys
            flat_ids += ids
            flat_lp += values
            sampled.append(sampled_at)
        else:
            n = _merge(keys, ids, values, sampled_at, out=(flat_bytes, flat_ids, flat_lp))
            sampled.append(n)
        offsets.append(len(flat_bytes))
    flat_lp = [math.nan if lp == -math.inf else lp for lp in flat_lp]  # the sentinel: unknown
    with np.errstate(divide="ignore"):
        tail = np.log(np.asarray(c.tail, dtype=np.float64))
    return KDRecord(
        id=id,
        teacher=teacher,
        input=input,
        completion_text=d.text,
        offsets=np.asarray(offsets, dtype=np.int64),
        cand_bytes=flat_bytes,
        cand_ids=np.asarray(flat_ids, dtype=np.int64),
        cand_logprobs=np.asarray(flat_lp, dtype=np.float64),
        sampled_index=np.asarray(sampled, dtype=np.int64),
        cap=np.asarray(c.cap, dtype=np.float64).copy(),
        tail_logprob=tail,
        extra={"finish_reason": d.finish_reason} if d.finish_reason is not None else {},
    )
