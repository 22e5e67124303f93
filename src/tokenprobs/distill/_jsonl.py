"""JSONL for people: one `tokenprobs.kd/1` record per line, read back losslessly."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from tokenprobs._files import atomic_file
from tokenprobs._said import a_type, a_value
from tokenprobs.distill._record import (
    SCHEMA,
    DistillError,
    KDRecord,
    Teacher,
    check_record,
    check_records,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = ["from_json", "read_jsonl", "to_json", "write_jsonl"]

_Item = TypeVar("_Item")


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


def from_json(obj: Mapping[str, Any], /) -> KDRecord:
    """The record of one JSON object of schema `tokenprobs.kd/1`.

    Raises:
        TypeError: `obj` is not a mapping (a JSON string: parse it with `json.loads` first).
        DistillError: Another schema, or a malformed object.
    """
    _check_object(obj)
    if obj.get("schema") != SCHEMA:
        msg = f"not a {SCHEMA} record (schema {obj.get('schema')!r})"
        raise DistillError(msg)
    _check_fields(obj)
    try:
        offsets: list[int] = [0]
        cand_bytes: list[bytes] = []
        ids: list[int] = []
        lps: list[float] = []
        sampled: list[int] = []
        caps: list[float] = []
        tails: list[float] = []
        for pos in obj["positions"]:
            top = pos["top"]
            keys = [bytes(c["bytes"]) for c in top]
            cand_bytes.extend(keys)
            ids.extend(-1 if c["id"] is None else int(c["id"]) for c in top)
            lps.extend(math.nan if c["logprob"] is None else float(c["logprob"]) for c in top)
            offsets.append(len(cand_bytes))
            sampled.append(keys.index(bytes(pos["sampled"]["bytes"])))
            cap, tail = pos["cutoff_logprob"], pos["tail_logprob"]
            caps.append(math.nan if cap is None else float(cap))
            tails.append(-math.inf if tail is None else float(tail))
        return KDRecord(
            id=obj["id"],
            teacher=Teacher(**obj["teacher"]),
            input=obj["input"],
            completion_text=obj["completion_text"],
            offsets=np.asarray(offsets, dtype=np.int64),
            cand_bytes=cand_bytes,
            cand_ids=np.asarray(ids, dtype=np.int64),
            cand_logprobs=np.asarray(lps, dtype=np.float64),
            sampled_index=np.asarray(sampled, dtype=np.int64),
            cap=np.asarray(caps, dtype=np.float64),
            tail_logprob=np.asarray(tails, dtype=np.float64),
            extra=obj.get("extra") or {},
        )
    except (KeyError, TypeError, ValueError) as exc:
        msg = f"malformed {SCHEMA} record ({type(exc).__name__}: {exc})"
        raise DistillError(msg) from exc


def write_jsonl(records: Iterable[KDRecord], path: str | os.PathLike[str], /) -> int:
    """Write records to a JSONL file, one per line; returns how many were written.

    The file appears complete or not at all (written beside `path`, then renamed).

    Raises:
        TypeError: An item of `records` is not a `KDRecord` (nothing is written).
        IsADirectoryError: `path` is a folder (nothing is read).
        FileNotFoundError: `path`'s folder does not exist (nothing is read).
    """
    check_records(records, where="write_jsonl")
    return write_json_lines(records, path, _checked_json, writer="write_jsonl", allow_nan=False)


def _checked_json(record: KDRecord) -> dict[str, Any]:
    check_record(record, where="write_jsonl")
    return to_json(record)


def write_json_lines(
    items: Iterable[_Item],
    path: str | os.PathLike[str],
    row: Callable[[_Item], Mapping[str, Any]],
    /,
    *,
    writer: str,
    allow_nan: bool = True,
) -> int:
    """Write each item's `row` as one JSON line, atomically; returns how many were written.

    `items` is read only once the file is open beside `path` (a wrong path reads none), and
    the file appears complete or not at all; `writer` names the caller in the errors.
    """
    n = 0
    with atomic_file(path, writer=writer) as tmp, tmp.open("w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(row(item), ensure_ascii=False, allow_nan=allow_nan))
            out.write("\n")
            n += 1
    return n


def read_jsonl(path: str | os.PathLike[str], /) -> Iterator[KDRecord]:
    """Stream the records of a JSONL file written by `write_jsonl`, one line at a time.

    Raises:
        DistillError: A line that is not a record (the message gives its number).
    """
    for number, obj in json_lines(path):
        try:
            record = from_json(obj)
        except (ValueError, TypeError) as exc:  # a DistillError among them
            msg = f"line {number} of {os.fspath(path)!r}: {exc}"
            raise DistillError(msg) from exc
        yield record


def json_lines(path: str | os.PathLike[str], /) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-blank line's number and JSON object, read one at a time.

    Raises:
        DistillError: A line that is not a JSON object (the message gives its number).
    """
    with Path(path).open("rb") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
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
