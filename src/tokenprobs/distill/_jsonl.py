"""JSONL for people: one `tokenprobs.kd/1` record per line, read back losslessly."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from tokenprobs._said import a_type, a_value
from tokenprobs.distill._numbers import INT64_MAX, shown
from tokenprobs.distill._record import (
    SCHEMA,
    TEACHER_FIELDS,
    DistillError,
    KDRecord,
    Teacher,
    check_record,
    check_records,
)
from tokenprobs.distill._text import write_json_lines
from tokenprobs.distill._values import WRITE_FIX, check_values, check_writable

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "WRITE_FIX",
    "check_path",
    "from_json",
    "json_lines",
    "read_jsonl",
    "to_json",
    "write_jsonl",
]


def _num(x: float) -> float | None:
    """JSON has no NaN or infinity: None stands for NaN (cap, logprob) and -inf (tail)."""
    return None if math.isnan(x) or math.isinf(x) else x


def to_json(record: KDRecord, /) -> dict[str, Any]:
    """A record as the JSON object of schema `tokenprobs.kd/1` (see docs/distill.md).

    Raises:
        TypeError: `record` is not a `KDRecord`.
    """
    check_record(record, where="to_json")
    positions = []
    for t in range(len(record)):
        top = [
            {"bytes": list(c.bytes), "id": c.id, "logprob": _num(c.logprob)}
            for c in record.candidates(t)
        ]
        positions.append(
            {
                "sampled": top[int(record.sampled_index[t])],
                "top": top,
                "cutoff_logprob": _num(float(record.cap[t])),
                "tail_logprob": _num(float(record.tail_logprob[t])),
            }
        )
    return {
        "schema": SCHEMA,
        "id": record.id,
        "teacher": asdict(record.teacher),
        "input": record.input,
        "completion_text": record.completion_text,
        "extra": dict(record.extra),
        "positions": positions,
    }


def _check_object(obj: object) -> None:
    if not isinstance(obj, Mapping):
        what = "a JSON string" if isinstance(obj, str | bytes) else a_type(obj)
        msg = (
            f"from_json takes the parsed JSON object of one record (a dict: json.loads of one "
            f"line), got {what}; read a whole file with read_jsonl"
        )
        raise TypeError(msg)


_FIELDS = {  # field: (the JSON types it may have, in words)
    "id": ((str, type(None)), "a string or null"),
    "completion_text": ((str,), "a string"),
    "input": ((Mapping, type(None)), "an object or null"),
    "extra": ((Mapping, type(None)), "an object or null"),
}


def _check_fields(obj: Mapping[str, Any]) -> None:
    """Raise unless the record's scalar fields have their schema's types (a writer needs them)."""
    for name, (types, words) in _FIELDS.items():
        if name in obj and not isinstance(obj[name], types):
            value = obj[name]
            what = a_value(value, width=40)
            msg = f"malformed {SCHEMA} record: {name} is {words}, got {what}"
            raise DistillError(msg)


_REQUIRED = ("id", "teacher", "input", "completion_text", "positions")
_READ_FIX = "fix the line or leave it out (write_jsonl writes records as collect makes them)"


_FIELDS_SAID = ", ".join(TEACHER_FIELDS)
_REQUIRED_SAID = f"{', '.join(_REQUIRED)}; write records with write_jsonl"


def _refused(why: str) -> NoReturn:
    """Raise the `DistillError` of a malformed record, saying `why`."""
    msg = f"malformed {SCHEMA} record: {why}"
    raise DistillError(msg)


def _malformed(name: str, expected: str, got: object) -> NoReturn:
    """Raise the `DistillError` that says field `name` is `expected` and what it was."""
    msg = f"malformed {SCHEMA} record: {name} is {expected}, got {shown(got)}"
    raise DistillError(msg)


def _teacher(obj: object) -> Teacher:
    """The record's teacher, its fields checked by `Teacher` (an unknown one is named)."""
    if not isinstance(obj, Mapping):
        _malformed("teacher", f"an object (with {', '.join(TEACHER_FIELDS)})", obj)
    if (unknown := next((k for k in obj if k not in TEACHER_FIELDS), None)) is not None:
        _refused(f"teacher has the unknown field {unknown!r} (its fields are {_FIELDS_SAID})")
    try:
        return Teacher(**obj)
    except (TypeError, ValueError) as exc:  # Teacher's own messages name the field
        msg = f"malformed {SCHEMA} record: teacher: {exc}"
        raise DistillError(msg) from exc


def _bytes(value: object, name: str) -> bytes:
    if not isinstance(value, list) or not all(
        type(b) is int and 0 <= b <= 255  # noqa: PLR2004 - a byte
        for b in value
    ):
        _malformed(name, "a list of byte values (ints 0 to 255)", value)
    return bytes(value)


def _token_id(value: object, name: str) -> int:
    if value is None:
        return -1
    if type(value) is not int or not 0 <= value <= INT64_MAX:
        _malformed(name, "a token id (an int from 0 to 2**63 - 1) or null (not known)", value)
    return value


def _logprob(value: object, name: str, *, null: float) -> float:
    """A JSON number as a float, null as `null` (JSON has no NaN nor infinity: null stands in)."""
    if value is None:
        return null
    if type(value) in {int, float}:
        try:
            x = float(value)  # type: ignore[arg-type]
        except OverflowError:  # an int past a float's range (-(10**400))
            x = math.inf
        if math.isfinite(x):
            return x
    _malformed(name, "a finite number or null (JSON has no NaN: null stands for it)", value)


def _candidate(obj: object, name: str) -> tuple[bytes, int, float]:
    if not isinstance(obj, Mapping):
        _malformed(name, "an object {bytes, id, logprob}", obj)
    missing = [k for k in ("bytes", "id", "logprob") if k not in obj]
    if missing:
        _malformed(name, f"an object {{bytes, id, logprob}} (no {missing[0]})", obj)
    return (
        _bytes(obj["bytes"], f"{name}.bytes"),
        _token_id(obj["id"], f"{name}.id"),
        _logprob(obj["logprob"], f"{name}.logprob", null=math.nan),
    )


def _same(a: tuple[bytes, int, float], b: tuple[bytes, int, float]) -> bool:
    return a[:2] == b[:2] and (a[2] == b[2] or (math.isnan(a[2]) and math.isnan(b[2])))


class _Columns:
    """The flat candidate columns of a record, filled position by position (`add`)."""

    def __init__(self) -> None:
        self.offsets: list[int] = [0]
        self.cand_bytes: list[bytes] = []
        self.ids: list[int] = []
        self.lps: list[float] = []
        self.sampled: list[int] = []
        self.caps: list[float] = []
        self.tails: list[float] = []

    def add(self, pos: object, name: str) -> None:
        """Append position `pos` (its JSON object), or raise naming its field (`name`)."""
        keys = ("sampled", "top", "cutoff_logprob", "tail_logprob")
        if not isinstance(pos, Mapping) or any(k not in pos for k in keys):
            _malformed(name, f"an object {{{', '.join(keys)}}}", pos)
        top = pos["top"]
        if not isinstance(top, list) or not top:
            _malformed(f"{name}.top", "a non-empty list of candidates", top)
        candidates = [_candidate(c, f"{name}.top[{j}]") for j, c in enumerate(top)]
        keys_seen = [c[0] for c in candidates]
        if len(set(keys_seen)) < len(keys_seen):
            repeated = next(k for k in keys_seen if keys_seen.count(k) > 1)
            msg = (
                f"malformed {SCHEMA} record: {name}.top holds {repeated!r} twice "
                "(its candidates are distinct by bytes)"
            )
            raise DistillError(msg)
        sampled = _candidate(pos["sampled"], f"{name}.sampled")
        at = keys_seen.index(sampled[0]) if sampled[0] in keys_seen else -1
        if at < 0 or not _same(sampled, candidates[at]):
            msg = (
                f"malformed {SCHEMA} record: {name}.sampled ({sampled[0]!r}) is not one of "
                f"{name}.top (the sampled token is among the candidates, with the same id and "
                "logprob)"
            )
            raise DistillError(msg)
        for key, tid, lp in candidates:
            self.cand_bytes.append(key)
            self.ids.append(tid)
            self.lps.append(lp)
        self.offsets.append(len(self.cand_bytes))
        self.sampled.append(at)
        self.caps.append(_logprob(pos["cutoff_logprob"], f"{name}.cutoff_logprob", null=math.nan))
        self.tails.append(_logprob(pos["tail_logprob"], f"{name}.tail_logprob", null=-math.inf))


def from_json(obj: Mapping[str, Any], /) -> KDRecord:
    """The record of one JSON object of schema `tokenprobs.kd/1`.

    Each field is checked as read, and the record's values as `check_values` checks them
    (logprobs at most 0, a tail that is what the candidates leave), so what is read is what
    `write_jsonl` could have written.

    Raises:
        TypeError: `obj` is not a mapping (a JSON string: parse it with `json.loads` first).
        DistillError: Another schema, or a malformed object (the message names the field).
    """
    _check_object(obj)
    if obj.get("schema") != SCHEMA:
        msg = f"not a {SCHEMA} record (schema {obj.get('schema')!r})"
        raise DistillError(msg)
    if (missing := next((name for name in _REQUIRED if name not in obj), None)) is not None:
        _refused(f"it has no {missing} field (a record has {_REQUIRED_SAID})")
    _check_fields(obj)
    teacher = _teacher(obj["teacher"])
    positions = obj["positions"]
    if not isinstance(positions, list):
        _malformed("positions", "a list (one object per completion token)", positions)
    columns = _Columns()
    for t, pos in enumerate(positions):
        columns.add(pos, f"positions[{t}]")
    record = KDRecord(
        id=obj["id"],
        teacher=teacher,
        input=obj["input"],
        completion_text=obj["completion_text"],
        offsets=np.asarray(columns.offsets, dtype=np.int64),
        cand_bytes=columns.cand_bytes,
        cand_ids=np.asarray(columns.ids, dtype=np.int64),
        cand_logprobs=np.asarray(columns.lps, dtype=np.float64),
        sampled_index=np.asarray(columns.sampled, dtype=np.int64),
        cap=np.asarray(columns.caps, dtype=np.float64),
        tail_logprob=np.asarray(columns.tails, dtype=np.float64),
        extra=obj.get("extra") or {},
    )
    check_values(record, where=f"malformed {SCHEMA} record", fix=_READ_FIX)
    return record


def write_jsonl(records: Iterable[KDRecord], path: str | os.PathLike[str], /) -> int:
    r"""Write records to a JSONL file, one per line; returns how many were written.

    The file appears complete or not at all (written beside `path`, then renamed). A lone
    surrogate (half an emoji) in a string is written as its JSON escape (`\ud83d`), which
    `read_jsonl` reads back as it was.

    Raises:
        TypeError: An item of `records` is not a `KDRecord` (nothing is written).
        IsADirectoryError: `path` is a folder (nothing is read).
        FileNotFoundError: `path`'s folder does not exist (nothing is read).
        DistillError: A record whose values no teacher gives (`check_values`), or a string
            holding a high and a low surrogate as two code points, which JSON cannot keep
            apart (the message names the record and the field; nothing is written).
    """
    check_records(records, where="write_jsonl")
    return write_json_lines(records, path, _checked_json, writer="write_jsonl", allow_nan=False)


def _checked_json(record: KDRecord) -> dict[str, Any]:
    check_writable(record, writer="write_jsonl")
    return to_json(record)


def check_path(path: object, /, *, where: str) -> None:
    """Raise a TypeError naming `where` unless `path` is a str or path (checked by the call)."""
    if not isinstance(path, str | os.PathLike):
        msg = f"{where} reads a file: path must be a str or pathlib.Path, got {a_type(path)}"
        raise TypeError(msg)


def read_jsonl(path: str | os.PathLike[str], /) -> Iterator[KDRecord]:
    """Stream the records of a JSONL file written by `write_jsonl`, one line at a time.

    Raises:
        TypeError: `path` is not a str or path (raised by the call, not at the first record).
        DistillError: A line that is not a record: not JSON (a bare `NaN` neither), a field
            missing or of another type, or values no teacher gives, such as a logprob above 0
            or a tail that with the candidates makes more than 1 (the message gives the line's
            number and the field).
    """
    check_path(path, where="read_jsonl")
    return _records(path)


def _records(path: str | os.PathLike[str]) -> Iterator[KDRecord]:
    for number, obj in json_lines(path, allow_nan=False):
        try:
            record = from_json(obj)
        except (ValueError, TypeError) as exc:  # a DistillError among them
            msg = f"line {number} of {os.fspath(path)!r}: {exc}"
            raise DistillError(msg) from exc
        yield record


def _no_constant(name: str) -> object:
    """`json.loads`'s `parse_constant`: Python's `NaN` and `Infinity` are no JSON."""
    msg = f"{name} is no JSON number (JSON has none: null stands for a missing value)"
    raise ValueError(msg)


def json_lines(
    path: str | os.PathLike[str], /, *, allow_nan: bool = True
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-blank line's number and JSON object, read one at a time.

    Without `allow_nan`, a bare `NaN`, `Infinity` or `-Infinity` (Python's, not JSON) is not JSON.

    Raises:
        DistillError: A line that is not a JSON object (the message gives its number).
    """
    constant = None if allow_nan else _no_constant
    with Path(path).open("rb") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line, parse_constant=constant)
            except ValueError as exc:
                msg = f"line {number} of {os.fspath(path)!r} is not JSON: {exc}"
                raise DistillError(msg) from exc
            if not isinstance(obj, dict):
                msg = (
                    f"line {number} of {os.fspath(path)!r}: not a JSON object but "
                    f"{a_value(obj, width=40)}"
                )
                raise DistillError(msg)
            yield number, obj
