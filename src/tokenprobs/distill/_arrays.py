"""`to_arrays`: one record's soft targets as fixed-width arrays, with the tail rule applied."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from tokenprobs._counts import at_least_one
from tokenprobs._said import among
from tokenprobs.distill._record import DistillError, check_record, number
from tokenprobs.distill._vocab import check_vocab, distinct_ids, shares_ids

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from tokenprobs.distill._record import KDRecord
    from tokenprobs.distill._vocab import StudentVocab

__all__ = ["LARGEST_K", "KDArrays", "TailRule", "check_k", "check_tail", "to_arrays", "with_tail"]

_ROUNDING = 2.0**-40
"""A tail below this is the rounding error of a sum of probabilities: it counts as 0."""

LARGEST_K = 2**20
"""The most targets per position without a vocabulary: more ids than any tokenizer has (the
largest in use, Gemma 3's, has 262,144), so a larger `k` is a mistake, not a width."""

TailRule = Literal["renormalize", "bucket", "raw"]
"""How the mass outside the kept top-k is treated (docs/distill.md, "Tail rules")."""


@dataclass(frozen=True, eq=False)
class KDArrays:
    """Fixed-width soft targets of one record. Row `t` is completion token `t`.

    Row `t` is the teacher's distribution over the `t`-th completion token (given the prompt
    and the completion's first `t` tokens). A causal student whose input is `prompt_ids +
    completion_ids` predicts it from index `len(prompt_ids) + t - 1`: the trainer writers make
    that shift (Axolotl, DistillKit and Tinker all use "row j is the distribution over
    `input_ids[j + 1]`").
    """

    target_ids: NDArray[np.int64]
    """Shape `(T, K)`: student token ids, most likely first; padding is 0 (see `mask`)."""
    target_logprobs: NDArray[np.float64]
    """Shape `(T, K)`: the targets' logprobs under the tail rule; padding is `-inf`."""
    mask: NDArray[np.bool_]
    """Shape `(T, K)`: True where a target is real."""
    tail_logprob: NDArray[np.float64]
    """Shape `(T,)`: log of the teacher mass outside the kept targets: the tail, candidates past
    `k`, and unmapped candidates (`-inf` under `renormalize`, where it is dropped, and where it is
    below $2^{-40}$, a sum's rounding error)."""
    sampled_ids: NDArray[np.int64]
    """Shape `(T,)`: the student id of the sampled token (the hard label), `-1` unmapped."""
    tail: TailRule
    """The rule the arrays were built with."""


def _generation_temperature(record: KDRecord, given: float | None) -> float:
    if given is not None:
        return given
    semantics, temperature = record.teacher.logprob_semantics, record.teacher.temperature
    if semantics == "raw":
        return 1.0  # raw logprobs are the model's own distribution, whatever was sampled
    if semantics == "processed" and temperature is not None:
        if temperature > 0:
            return temperature
        msg = (
            "kd_temperature cannot rescale processed logprobs sampled at temperature 0 (greedy: "
            "they hold no temperature to rescale from); pass the temperature they are at as "
            "generation_temperature="
        )
        raise DistillError(msg)
    msg = (
        "kd_temperature needs the temperature the logprobs are at: the teacher's "
        f"logprob_semantics is {semantics!r} (temperature {temperature!r}); set "
        "Teacher(logprob_semantics='raw') or pass generation_temperature="
    )
    raise DistillError(msg)


def _positive(value: float, name: str) -> float:
    t = number(value, name)
    if not (math.isfinite(t) and t > 0):
        msg = f"{name} must be finite and > 0 (a temperature), got {value!r}"
        raise DistillError(msg)
    return t


def check_k(k: object, vocab: StudentVocab | None = None, *, where: str) -> int:
    """`k` (targets per position) checked: an integer >= 1 that a row can fill (a bool is none).

    `k` is the arrays' width, the same for every record (a trainer batches rows of `k`), so it
    is bounded by what any record could hold, not by what one does: the student vocabulary's
    distinct ids (a row holds each at most once, and the trainer writers pad it with other ids
    of that vocabulary), or `LARGEST_K` without one. A larger `k` is refused before `(T, k)`
    arrays of it are made (`k=10**9` would take gigabytes per position).

    Raises:
        TypeError: `k` is not an int, or `vocab` is neither a `StudentVocab` nor None.
        DistillError: `k` < 1, or more than the vocabulary's ids (`LARGEST_K` without one).
    """
    k = at_least_one(k, "k", " (targets per position)", error=DistillError)
    if vocab is None:
        if k > LARGEST_K:
            msg = (
                f"k={k} is more targets per position than any tokenizer has ids (at most "
                f"{LARGEST_K} without vocab=): pass the k the teacher returned (its "
                "top_logprobs), or the student's vocab="
            )
            raise DistillError(msg)
        return k
    check_vocab(vocab, where=where)
    if k > (ids := distinct_ids(vocab)):
        msg = (
            f"k={k} is more targets per position than the student vocabulary has ids ({ids}): "
            "a row holds each student id at most once, and the trainer writers pad it with "
            f"distinct ids of that vocabulary; pass k <= {ids}, the same for every record"
        )
        raise DistillError(msg)
    return k


def check_tail(tail: object) -> None:
    """Raise unless `tail` is one of the rules (`TailRule`)."""
    if not among(tail, {"renormalize", "bucket", "raw"}):
        msg = f"tail must be 'renormalize', 'bucket' or 'raw', got {tail!r}"
        raise DistillError(msg)


def _ids_known(record: KDRecord) -> None:
    """Raise unless every candidate has its teacher id (what `vocab=None` maps by)."""
    missing = int(np.count_nonzero(record.cand_ids < 0))
    if missing:
        msg = (
            f"record {record.id!r}: {missing} of {len(record.cand_ids)} candidates have no teacher "
            "token id (OpenAI gives none; vLLM's return_tokens_as_token_ids does), so without "
            "vocab= they would be dropped: pass the student's vocabulary, "
            "vocab=StudentVocab.from_tiktoken(encoding) or the like"
        )
        raise DistillError(msg)


def to_arrays(
    record: KDRecord,
    /,
    *,
    k: int,
    tail: TailRule = "renormalize",
    kd_temperature: float | None = None,
    vocab: StudentVocab | None = None,
    generation_temperature: float | None = None,
) -> KDArrays:
    r"""A record's top-k soft targets as `(T, K)` arrays in the student's vocabulary.

    Candidates are mapped to student ids by bytes (`vocab`), or taken as the teacher's own ids
    when `vocab` is None (same tokenizer, ids known); an unmapped candidate is dropped and its
    mass counted in `tail_logprob`, and candidates that map to one id are one target (their
    probabilities added). The `k` most likely mapped ones are kept. Then:

    * `"renormalize"`: $\log \hat p_i = \ell_i - \log\sum_{j \le k} e^{\ell_j}$ (Axolotl,
      Tinker, Gemma 3); the tail is dropped. With `kd_temperature` $T_2$ the kept head is
      rescaled $\hat p_i \propto p_i^{T_1/T_2}$, $T_1$ the temperature the logprobs are at.
    * `"bucket"`: raw logprobs, and `tail_logprob` $= \log(1 - \sum_{j \le k} p_j)$ is one
      extra "everything else" outcome (DistillKit's `SYMMETRIC_UNIFORM`): the KL over that
      partition never exceeds the true KL.
    * `"raw"`: raw logprobs, mass below 1, the tail ignored by the loss (the seed's "rest zero").

    Args:
        record: One `KDRecord`.
        k: Targets per position: the arrays' width `K`, the same for every record (padded
            where a position has fewer), at most the student vocabulary's distinct ids.
        tail: `"renormalize"`, `"bucket"` or `"raw"`.
        kd_temperature: Rescale the targets to this temperature (`"renormalize"` only: the
            tail's tempered mass is not known).
        vocab: The student vocabulary; None uses the teacher's ids from the record (every
            candidate must have one).
        generation_temperature: The temperature the logprobs are at; default 1 for `raw`
            semantics, the request's temperature for `processed`.

    Returns:
        A `KDArrays`.

    Raises:
        TypeError: `record` is not a `KDRecord` (a `TokenDistribution`: make its record with
            `collect`), or `k` or a temperature is not a number.
        DistillError: `k` < 1 or more than a row can hold (the student vocabulary's distinct
            ids, or `LARGEST_K` without `vocab`), an unknown rule, a temperature that is not
            finite and > 0, a temperature with a rule that cannot take it, an unknown generation
            temperature, or no `vocab` and a candidate without a teacher id (an OpenAI record).

    Examples:
        >>> from tokenprobs.distill import StudentVocab, collect, to_arrays
        >>> from tokenprobs.testing import chat_completion
        >>> body = chat_completion([("Hi", -0.1, [("Hi", -0.1), ("Hey", -2.5), ("Yo", -4.0)])])
        >>> (record,) = collect([body])
        >>> a = to_arrays(record, k=2, tail="bucket", vocab=StudentVocab({b"Hi": 7, b"Hey": 9}))
        >>> a.target_ids.tolist(), a.target_logprobs.round(3).tolist()
        ([[7, 9]], [[-0.1, -2.5]])
        >>> float(np.exp(a.tail_logprob[0]).round(4)), a.sampled_ids.tolist()
        (0.0131, [7])
    """
    check_record(record, where="to_arrays")
    k = check_k(k, vocab, where="to_arrays")
    check_tail(tail)
    if kd_temperature is not None and tail != "renormalize":
        msg = (
            f"kd_temperature rescales a distribution, but tail={tail!r} keeps an unnormalised "
            "head whose tail cannot be rescaled (its tokens are unknown): use "
            "tail='renormalize', or rescale in the trainer"
        )
        raise DistillError(msg)
    if kd_temperature is not None:
        kd_temperature = _positive(kd_temperature, "kd_temperature")
    if generation_temperature is not None:
        generation_temperature = _positive(generation_temperature, "generation_temperature")
    if vocab is None:
        _ids_known(record)
    ids = vocab.lookup(record.cand_bytes) if vocab is not None else record.cand_ids
    t_len = len(record)
    lp = np.nan_to_num(record.cand_logprobs, nan=-np.inf)
    counts = np.diff(record.offsets)
    row = np.repeat(np.arange(t_len), counts)
    sampled_ids = ids[record.sampled_flat] if t_len else np.zeros(0, dtype=np.int64)
    usable = (ids >= 0) & (lp > -np.inf)
    row, ids, lp = row[usable], ids[usable], lp[usable]
    if vocab is None or shares_ids(vocab):
        row, ids, lp = _one_per_id(row, ids, lp)
    # rank within the row (the candidates are stored most likely first)
    starts = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=t_len))[:-1]])
    rank = np.arange(len(row)) - starts[row]
    keep = rank < k
    target_ids = np.zeros((t_len, k), dtype=np.int64)
    target_lp = np.full((t_len, k), -np.inf)
    target_ids[row[keep], rank[keep]] = ids[keep]
    target_lp[row[keep], rank[keep]] = lp[keep]
    scale = None
    if kd_temperature is not None:
        scale = _generation_temperature(record, generation_temperature) / kd_temperature
    return with_tail(target_ids, target_lp, sampled_ids, tail, scale=scale)


def _one_per_id(
    row: NDArray[np.int64], ids: NDArray[np.int64], lp: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """The usable candidates with one per student id and row, most likely first in each row.

    Candidates of one row that map to one id (a vocabulary giving one id to several byte
    strings) are one target, their probabilities added, as `to_student_arrays` adds them.
    """
    key = row * (int(ids.max(initial=0)) + 1) + ids
    distinct, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if len(distinct) == len(key):
        return row, ids, lp
    merged = np.full(len(distinct), -np.inf)
    np.logaddexp.at(merged, inverse.ravel(), lp)
    order = np.lexsort((first, -merged, row[first]))
    return row[first[order]], ids[first[order]], merged[order]


def with_tail(
    target_ids: NDArray[np.int64],
    target_lp: NDArray[np.float64],
    sampled_ids: NDArray[np.int64],
    tail: TailRule,
    /,
    *,
    scale: float | None = None,
    only_targeted: bool = False,
) -> KDArrays:
    r"""The `KDArrays` of kept targets (raw logprobs, `-inf` padding) under the tail rule.

    The tail is $1 - \sum_j p_j$ over a row's kept targets (0 below $2^{-40}$); `"renormalize"`
    drops it and rescales the targets, raised to the power `scale` first when given ($T_1/T_2$
    for `kd_temperature`). With `only_targeted`, a row without targets has no tail either
    (`-inf`: a row that carries only the hard label).
    """
    mask = target_lp > -np.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        rest = 1.0 - np.exp(target_lp).sum(axis=1)
        tail_lp = np.log(np.where(rest > _ROUNDING, rest, 0.0))
        if only_targeted:
            tail_lp = np.where(mask.any(axis=1), tail_lp, -np.inf)
        if tail == "renormalize":
            if scale is not None:
                target_lp = target_lp * scale
            peak = np.max(target_lp, axis=1, keepdims=True)
            peak = np.where(np.isfinite(peak), peak, 0.0)
            lse = peak + np.log(np.exp(target_lp - peak).sum(axis=1, keepdims=True))
            target_lp = np.where(mask, target_lp - lse, -np.inf)
            tail_lp = np.full(len(target_lp), -np.inf)
    return KDArrays(
        target_ids=target_ids,
        target_logprobs=target_lp,
        mask=mask,
        tail_logprob=tail_lp,
        sampled_ids=np.asarray(sampled_ids, dtype=np.int64),
        tail=tail,
    )
