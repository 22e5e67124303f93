"""A student with another tokenizer: soft targets only where both tokenizations share a boundary."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs._said import a_type, a_value
from tokenprobs.distill._arrays import KDArrays, TailRule, check_k, check_tail, with_tail
from tokenprobs.distill._record import DistillError, check_record
from tokenprobs.distill._vocab import check_vocab

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from numpy.typing import NDArray

    from tokenprobs.distill._record import KDRecord
    from tokenprobs.distill._vocab import StudentVocab

__all__ = ["StudentArrays", "to_student_arrays"]


@dataclass(frozen=True, eq=False)
class StudentArrays:
    """Targets laid on the student's own tokenisation of the completion (approximate)."""

    arrays: KDArrays
    """Row `u` is the student's token `u`; rows not `aligned` have no soft target (mask False),
    only the hard label `arrays.sampled_ids[u]`."""
    student_ids: NDArray[np.int64]
    """Shape `(U,)`: the student's tokens of `completion_text` (the hard labels)."""
    aligned: NDArray[np.bool_]
    """Shape `(U,)`: where a student token starts at a teacher token's first byte and ends
    within it (a student token that runs past it, "Hello" over the teacher's "Hel" "lo", is
    not: the teacher's mass on "Hel" is that of every continuation, "Hello" among them)."""
    approximate: NDArray[np.bool_]
    """Shape `(U,)`: aligned rows where some candidate is not a whole student token, so its
    mass was given to the student token its bytes begin with (continuation mass ignored)."""

    @property
    def share_aligned(self) -> float:
        """Share of student positions that carry a soft target."""
        return float(self.aligned.mean()) if len(self.aligned) else math.nan


def _first_token(key: bytes, ids: dict[bytes, int], longest: int) -> tuple[int, bool]:
    """The student token the bytes begin with (longest prefix in the vocabulary); exact?"""
    for n in range(min(len(key), longest), 0, -1):
        tid = ids.get(key[:n])
        if tid is not None:
            return tid, n == len(key)
    return -1, False


def _student_ids(encode: Callable[[str], Sequence[int]], text: str) -> list[int]:
    """`encode(text)` checked: a sequence of int ids (a `tokenizers.Encoding` says what to pass).

    Raises:
        TypeError: `encode` is not callable, or gives something other than int ids.
    """
    function: object = encode  # typed, but called with what users pass
    if not callable(function):
        msg = (
            "encode must be the student tokenizer's text -> ids function (e.g. enc.encode), "
            f"got {a_type(function)}"
        )
        raise TypeError(msg)
    given: object = function(text)
    if hasattr(given, "ids") and hasattr(given, "offsets"):  # a Hugging Face Encoding
        msg = (
            "encode gave a tokenizers Encoding, not ids: pass "
            "encode=lambda text: tokenizer.encode(text, add_special_tokens=False).ids"
        )
        raise TypeError(msg)
    if isinstance(given, str | bytes) or not isinstance(given, Iterable):
        msg = f"encode must give a sequence of int token ids, got {a_type(given)}"
        raise TypeError(msg)
    ids = list(given)
    for i in ids:
        if isinstance(i, bool) or not isinstance(i, int | np.integer):
            msg = f"encode must give int token ids, got {a_value(i, width=40)}"
            raise TypeError(msg)
    return [int(i) for i in ids]


def _pieces(
    record: KDRecord, vocab: StudentVocab, encode: Callable[[str], Sequence[int]]
) -> tuple[list[bytes], list[int], list[bytes]]:
    """The teacher's tokens' bytes, the student's ids and their bytes, checked to spell the text."""
    text = record.completion_text.encode("utf-8")
    teacher_bytes = [record.sampled(t).bytes for t in range(len(record))]
    if b"".join(teacher_bytes) != text:
        msg = (
            f"record {record.id!r}: the teacher's tokens do not spell completion_text, so byte "
            "offsets cannot be aligned (a server whose tokens differ from its content)"
        )
        raise DistillError(msg)
    student = _student_ids(encode, record.completion_text)
    inverse = {tid: key for key, tid in vocab.ids.items()}
    try:
        student_bytes = [inverse[i] for i in student]
    except KeyError as exc:
        msg = f"encode gave id {exc.args[0]}, which the student vocabulary lacks"
        raise DistillError(msg) from None
    if (spelled := b"".join(student_bytes)) != text:
        hint = (
            "the student's tokenizer adds a leading space (SentencePiece's dummy prefix '▁'): "
            "encode without it"
            if spelled == b" " + text
            else "encode without special tokens (add_special_tokens=False)"
        )
        msg = (
            f"record {record.id!r}: encode(completion_text) spells {spelled[:40]!r}, not "
            f"{text[:40]!r}: {hint}"
        )
        raise DistillError(msg)
    return teacher_bytes, student, student_bytes


def to_student_arrays(
    record: KDRecord,
    /,
    *,
    k: int,
    vocab: StudentVocab,
    encode: Callable[[str], Sequence[int]],
    tail: TailRule = "renormalize",
) -> StudentArrays:
    r"""Soft targets for a student whose tokenizer differs from the teacher's (approximate).

    The student tokenises `completion_text` (`encode`, without special tokens). A student token
    that starts at the first byte of a teacher token, and ends within it, gets that teacher
    position's candidates as its targets, each mapped to the student token its bytes begin
    with (the longest prefix in the student's vocabulary), candidates that land on one token
    summed. That ignores how the mass of a longer candidate continues past the student token,
    so such rows are flagged `approximate`. Other student positions get no soft target: only
    the hard label (sequence-level distillation on the text is always possible). That includes
    a student token that runs past its teacher token (the student's "Hello" where the teacher
    sampled "Hel" "lo"): the teacher's mass on "Hel" is that of every continuation, the
    student's own token among them, so a target there would put on "Hel" what belongs to
    "Hello". `tail` is applied as in `to_arrays` (`renormalize`, `bucket` or `raw`); unmapped
    candidates go to the tail.

    Args:
        record: One `KDRecord`.
        k: Targets per position.
        vocab: The student vocabulary (bytes → id), e.g. `StudentVocab.from_tiktoken(enc)`.
        encode: The student tokenizer: text → ids, e.g. `enc.encode`.
        tail: The tail rule.

    Returns:
        A `StudentArrays`.

    Raises:
        TypeError: `record` is not a `KDRecord`, `k` not an int, or `encode` not a function
            that gives int ids (a `tokenizers.Tokenizer`'s `encode` gives an `Encoding`: pass
            `lambda text: tokenizer.encode(text, add_special_tokens=False).ids`).
        DistillError: `k` < 1, an unknown `tail`, the teacher's tokens or the student's ids do
            not spell the completion, or the student gives an id its vocabulary lacks.
    """
    check_record(record, where="to_student_arrays")
    check_vocab(vocab, where="to_student_arrays")
    k = check_k(k, vocab, where="to_student_arrays")
    check_tail(tail)
    teacher_bytes, student, student_bytes = _pieces(record, vocab, encode)
    bounds = np.cumsum([0, *map(len, teacher_bytes)]).tolist()  # each token's first byte, + end
    teacher_at = dict(zip(bounds[:-1], range(len(record)), strict=True))
    ids = dict(vocab.ids)
    longest = max(map(len, ids), default=0)
    u_len = len(student)
    target_ids = np.zeros((u_len, k), dtype=np.int64)
    target_lp = np.full((u_len, k), -np.inf)
    aligned = np.zeros(u_len, dtype=bool)
    approximate = np.zeros(u_len, dtype=bool)
    offset = 0
    for u, piece in enumerate(student_bytes):
        t = teacher_at.get(offset)
        offset += len(piece)
        if t is None or offset > bounds[t + 1]:  # starts inside a teacher token, or runs past it
            continue
        aligned[u] = True
        mass: dict[int, float] = {}
        for c in record.candidates(t):
            if math.isnan(c.logprob):
                continue
            sid, exact = _first_token(c.bytes, ids, longest)
            if sid < 0:
                continue
            approximate[u] |= not exact
            mass[sid] = float(np.logaddexp(mass[sid], c.logprob)) if sid in mass else c.logprob
        best = sorted(mass.items(), key=lambda kv: -kv[1])[:k]
        for j, (sid, lp) in enumerate(best):
            target_ids[u, j], target_lp[u, j] = sid, lp
    arrays = with_tail(target_ids, target_lp, np.asarray(student), tail, only_targeted=True)
    return StudentArrays(
        arrays=arrays,
        student_ids=arrays.sampled_ids,  # the same ids: the student's tokens of the text
        aligned=aligned,
        approximate=approximate,
    )
