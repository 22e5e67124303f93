"""The `tokenprobs.kd/1` record: one teacher output, raw, with every candidate it returned."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, ClassVar, Literal, get_args

import numpy as np

from tokenprobs._said import a_type, a_value, among
from tokenprobs.distill._columnar import flat_candidates
from tokenprobs.distill._errors import DistillError
from tokenprobs.distill._numbers import integer, number, said_int
from tokenprobs.models import TokenDistribution
from tokenprobs.models._support import position

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "SCHEMA",
    "TEACHER_FIELDS",
    "Candidate",
    "DistillError",
    "KDRecord",
    "Semantics",
    "Teacher",
    "check_record",
    "check_records",
    "integer",
    "number",
]

SCHEMA = "tokenprobs.kd/1"
"""The record schema's name and version, written with every record."""

Semantics = Literal["raw", "processed", "unknown"]
"""What the logprobs are: the model's own distribution (`raw`: OpenAI, vLLM's default), after
the sampling settings were applied (`processed`: e.g. vLLM `--logprobs-mode processed_logprobs`),
or not known."""


@dataclass(frozen=True)
class Teacher:
    """Who produced the soft labels, and the settings that say what the labels mean."""

    provider: str | None = None
    """`"openai"`, `"vllm"` ... (None: not known)."""
    model: str | None = None
    """The model id; `collect` fills it from the response where not given."""
    tokenizer: str | None = None
    """The teacher's tokenizer when known: `"o200k_base"`, `"cl100k_base"`, a Hugging Face id."""
    top_k: int | None = None
    """The `top_logprobs` asked for, >= 0 (a Batch input file gives it per request)."""
    logprob_semantics: Semantics = "unknown"
    """`raw`, `processed` or `unknown` (see `Semantics`)."""
    temperature: float | None = None
    """The sampling temperature of the request: finite and >= 0, 0 greedy (None: not known)."""
    top_p: float | None = None
    """The nucleus setting of the request, in [0, 1] (None: not known)."""
    seed: int | None = None
    """The request's seed, an int, if any."""
    sampling_adjustments: tuple[str, ...] | None = None
    """The request's settings besides `temperature` and `top_p` that reshaped what was sampled,
    by name, where they were not neutral: `presence_penalty`, `frequency_penalty`, `logit_bias`,
    vLLM's `top_k`, `min_p`, `repetition_penalty` ..., and a structured output's
    `response_format` (`text.format` on Responses) or vLLM's `guided_*`, which decode under a
    grammar mask (`collect` fills it from the request body; None: none known)."""

    def __post_init__(self) -> None:
        """Check the fields that say what the labels mean (`collect` fills them from requests).

        Raises:
            TypeError: `temperature` or `top_p` not a number, `top_k` or `seed` not an integer,
                `provider`, `model` or `tokenizer` not a string, `sampling_adjustments` not a
                list or tuple of names.
            DistillError: `temperature` negative or not finite (an int past a float's range
                too), `top_p` outside [0, 1], `top_k` negative or `top_k` or `seed` beyond
                int64, or an unknown `logprob_semantics`.
        """
        for name in ("provider", "model", "tokenizer"):
            if (value := getattr(self, name)) is not None and not isinstance(value, str):
                msg = f"Teacher.{name} must be a str or None, got {a_value(value)}"
                raise TypeError(msg)
        self._check_sampling()
        self._check_adjustments()
        if self.seed is not None:
            seed = integer(self.seed, "Teacher.seed", "the request's seed")
            if not -(2**63) <= seed < 2**63:
                msg = (
                    "Teacher.seed must be an int64, from -2**63 to 2**63 - 1 (the seeds OpenAI "
                    f"and vLLM take, and Parquet's seed column holds), got {said_int(seed)}"
                )
                raise DistillError(msg)
            object.__setattr__(self, "seed", seed)
        if self.top_k is not None:
            k = integer(self.top_k, "Teacher.top_k", "the top_logprobs asked for")
            if not 0 <= k < 2**63:
                msg = (
                    "Teacher.top_k must be from 0 to 2**63 - 1 (the top_logprobs asked for), "
                    f"got {said_int(k)}"
                )
                raise DistillError(msg)
            object.__setattr__(self, "top_k", k)
        if not among(self.logprob_semantics, get_args(Semantics)):
            allowed = ", ".join(map(repr, get_args(Semantics)))
            msg = (
                f"Teacher.logprob_semantics must be one of {allowed}, "
                f"got {self.logprob_semantics!r}"
            )
            raise DistillError(msg)

    def _check_sampling(self) -> None:
        """Check `top_p` and `temperature`, stored as Python floats (numpy's have no JSON)."""
        if self.top_p is not None:
            top_p = number(self.top_p, "Teacher.top_p")
            if not 0 <= top_p <= 1:
                msg = (
                    "Teacher.top_p must be in [0, 1] (the request's nucleus setting), or None when "
                    f"not known; got {self.top_p!r}"
                )
                raise DistillError(msg)
            object.__setattr__(self, "top_p", top_p)
        if self.temperature is not None:
            t = number(self.temperature, "Teacher.temperature")
            if not (math.isfinite(t) and t >= 0):
                msg = (
                    f"Teacher.temperature must be finite and >= 0 (the request's sampling "
                    f"temperature), or None when not known; got {self.temperature!r}"
                )
                raise DistillError(msg)
            object.__setattr__(self, "temperature", t)

    def _check_adjustments(self) -> None:
        """Check `sampling_adjustments`, stored as a tuple (JSON and Parquet give a list)."""
        names: object = self.sampling_adjustments  # typed, but what users (and JSON) pass
        if names is None:
            return
        if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
            msg = (
                "Teacher.sampling_adjustments is a list or tuple of the request's setting names "
                f"(e.g. ('presence_penalty',)), or None; got {a_value(names, width=60)}"
            )
            raise TypeError(msg)
        object.__setattr__(self, "sampling_adjustments", tuple(names))

    def with_defaults(self, **values: object) -> Teacher:
        """This teacher with each field that is None taken from `values` (where not None)."""
        fill = {k: v for k, v in values.items() if v is not None and getattr(self, k) is None}
        return replace(self, **fill)  # type: ignore[arg-type]

    @property
    def unbiased_hard_label(self) -> bool:
        """Whether the sampled token is an exact draw from the teacher's distribution.

        True only when the request is known to have sampled at temperature 1 and top-p 1, with
        no other setting reshaping the sampling (`sampling_adjustments`: a penalty, a logit bias,
        vLLM's `top_k`, `min_p` or `logits_processors`, `best_of` above `n`, beam search, a JSON
        `response_format` ...): then cross-entropy on the
        sampled token is an unbiased estimate of the full-distribution cross-entropy
        (docs/distill.md).
        """
        return (
            self.temperature == 1.0 and self.top_p in {None, 1.0} and not self.sampling_adjustments
        )


TEACHER_FIELDS = tuple(f.name for f in fields(Teacher))
"""`Teacher`'s field names, in order: what a record's `teacher` object may hold."""


@dataclass(frozen=True)
class Candidate:
    """One returned token at a position: its bytes, its id when known, its raw logprob."""

    bytes: bytes
    id: int | None
    logprob: float


def _equal(a: NDArray[np.generic], b: NDArray[np.generic]) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


@dataclass(frozen=True, eq=False)
class KDRecord:
    """One teacher output in schema `tokenprobs.kd/1`, columnar: raw values, never renormalised.

    Per position `t` the candidates are `offsets[t]:offsets[t+1]` of the flat `cand_*` arrays:
    the distinct returned tokens (by bytes), most likely first, the `-9999` sentinel removed, the
    sampled token included once (`sampled_index[t]` within the position). `cap[t]` is the least
    likely returned alternative's logprob (NaN: none returned), `tail_logprob[t]` the log of the
    mass no candidate holds (`-inf`: none left).
    """

    schema: ClassVar[str] = SCHEMA
    id: str | None
    teacher: Teacher
    input: Mapping[str, object] | None
    """`{"messages": [...]}` (with the request's `"tools"`, `"tool_choice"`, legacy `"functions"`
    and `"function_call"`, and `"response_format"` when it has them), `{"prompt": "..."}`,
    `{"input": ...}` (Responses, with its `"instructions"`, `"tools"`, `"tool_choice"` and
    `"text"` when it has them) or `{"prompt_token_ids": [...]}`; None when not known."""
    completion_text: str
    offsets: NDArray[np.int64]
    cand_bytes: list[bytes]
    cand_ids: NDArray[np.int64]
    """The teacher's token id of each candidate, `-1` where not known."""
    cand_logprobs: NDArray[np.float64]
    sampled_index: NDArray[np.int64]
    cap: NDArray[np.float64]
    tail_logprob: NDArray[np.float64]
    extra: Mapping[str, object] = field(default_factory=dict)
    """Anything else worth keeping (e.g. `finish_reason`)."""

    def __len__(self) -> int:
        """The number of positions (completion tokens)."""
        return len(self.sampled_index)

    def candidates(self, t: int, /) -> list[Candidate]:
        """Position `t`'s candidates, most likely first (negative `t` counts from the end).

        Raises:
            TypeError: If `t` is not an int.
            IndexError: If `t` is past the positions (the message says how many there are).
        """
        t = position(t, len(self))
        lo, hi = int(self.offsets[t]), int(self.offsets[t + 1])
        return [
            Candidate(
                self.cand_bytes[j],
                None if self.cand_ids[j] < 0 else int(self.cand_ids[j]),
                float(self.cand_logprobs[j]),
            )
            for j in range(lo, hi)
        ]

    def sampled(self, t: int, /) -> Candidate:
        """The sampled token at position `t` (negative `t` counts from the end).

        Raises:
            TypeError: If `t` is not an int.
            IndexError: If `t` is past the positions.
        """
        t = position(t, len(self))
        return self.candidates(t)[int(self.sampled_index[t])]

    @property
    def sampled_flat(self) -> NDArray[np.int64]:
        """Shape `(T,)`: the sampled candidates' indices into the flat `cand_*` arrays."""
        flat: NDArray[np.int64] = self.offsets[:-1] + self.sampled_index
        return flat

    def __eq__(self, other: object) -> bool:
        """Field-by-field equality (NaN equal to NaN): what a lossless round trip keeps."""
        if not isinstance(other, KDRecord):
            return NotImplemented
        return (
            (self.id, self.teacher, self.input, self.completion_text, dict(self.extra))
            == (other.id, other.teacher, other.input, other.completion_text, dict(other.extra))
            and self.cand_bytes == other.cand_bytes
            and all(
                _equal(getattr(self, n), getattr(other, n))
                for n in (
                    "offsets",
                    "cand_ids",
                    "cand_logprobs",
                    "sampled_index",
                    "cap",
                    "tail_logprob",
                )
            )
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_distribution(
        cls,
        d: TokenDistribution,
        /,
        *,
        teacher: Teacher,
        input: Mapping[str, object] | None = None,  # noqa: A002 - the schema's name
        id: str | None = None,  # noqa: A002 - the schema's name
    ) -> KDRecord:
        """The record of one distribution, from its candidate sets (`d.candidates`).

        A token whose string is vLLM's `token_id:N` (`return_tokens_as_token_ids`) gives its id.

        Raises:
            TypeError: If `d` is not a `TokenDistribution` (a response: `tp.parse` it first),
                `teacher` not a `Teacher`, `input` not a mapping or None, `id` not a str or None.
        """
        given: object = d  # typed, but a caller may pass anything
        if not isinstance(given, TokenDistribution):
            msg = (
                "KDRecord.from_distribution takes a TokenDistribution, got "
                f"{a_type(given)}; parse a response first (tp.parse(response)), or use "
                "distill.collect, which reads responses"
            )
            raise TypeError(msg)
        _check_meta(teacher, input, id)
        c = d.candidates
        flat = flat_candidates(d)
        with np.errstate(divide="ignore"):
            tail = np.log(np.asarray(c.tail, dtype=np.float64))
        return cls(
            id=id,
            teacher=teacher,
            input=input,
            completion_text=d.text,
            offsets=flat.offsets,
            cand_bytes=flat.cand_bytes,
            cand_ids=flat.cand_ids,
            cand_logprobs=flat.cand_logprobs,
            sampled_index=flat.sampled_index,
            cap=np.asarray(c.cap, dtype=np.float64).copy(),
            tail_logprob=tail,
            extra={"finish_reason": d.finish_reason} if d.finish_reason is not None else {},
        )


def _check_meta(teacher: object, input: object, id: object) -> None:  # noqa: A002
    """A `TypeError` unless `teacher` is a `Teacher`, `input` a mapping, `id` a str (or None)."""
    if not isinstance(teacher, Teacher):
        msg = (
            "KDRecord.from_distribution: teacher is a distill.Teacher (Teacher(model=...)), "
            f"got {a_value(teacher, width=40)}"
        )
        raise TypeError(msg)
    if input is not None and not isinstance(input, Mapping):
        msg = (
            "KDRecord.from_distribution: input is the request's body (a dict: its messages or "
            f"prompt) or None, got {a_value(input, width=40)}"
        )
        raise TypeError(msg)
    if id is not None and not isinstance(id, str):
        msg = f"KDRecord.from_distribution: id is a str or None, got {a_value(id, width=40)}"
        raise TypeError(msg)


def check_records(obj: object, /, *, where: str) -> None:
    """Raise a TypeError unless `obj` is an iterable of records (checked one by one as read).

    One record, a str or a mapping is refused here: iterating it would fail (or read its keys)
    with an error that names neither the argument nor the fix.
    """
    if isinstance(obj, KDRecord):
        msg = f"{where} takes a list of KDRecords; for one record pass [record]"
        raise TypeError(msg)
    if not isinstance(obj, Iterable) or isinstance(obj, str | bytes | Mapping):
        msg = (
            f"{where} takes an iterable of KDRecords (a list, or distill.collect(...)), "
            f"got {a_type(obj)}"
        )
        raise TypeError(msg)


def check_record(obj: object, /, *, where: str) -> None:
    """Raise a TypeError unless `obj` is a `KDRecord`; `where` names the caller in the message."""
    if isinstance(obj, KDRecord):
        return
    hint = "distill.collect, distill.read_jsonl or distill.read_parquet give them"
    if isinstance(obj, TokenDistribution):
        hint = (
            "make one with distill.collect([distribution], teacher=...) or "
            "KDRecord.from_distribution(distribution, teacher=...)"
        )
    msg = f"{where} takes a distill KDRecord, got {a_type(obj)}: {hint}"
    raise TypeError(msg)
