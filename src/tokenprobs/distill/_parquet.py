"""Parquet shards for volume: one row per record, candidates flattened with per-position offsets."""

from __future__ import annotations

import errno
import json
import os
import re
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tokenprobs._counts import at_least_one
from tokenprobs._files import atomic_file
from tokenprobs._optional import require
from tokenprobs._said import a_type, a_value
from tokenprobs.distill._record import (
    SCHEMA,
    TEACHER_FIELDS,
    DistillError,
    KDRecord,
    Teacher,
    check_records,
)
from tokenprobs.distill._text import json_text
from tokenprobs.distill._values import check_values, check_writable

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["check_rows_per_shard", "read_parquet", "write_parquet"]

_FEATURE = "tokenprobs.distill Parquet shards"
_W = "write_parquet"
_READ_FIX = "the shard was not written by write_parquet from collect's records; write it again"
_LISTS = {  # column: (record attribute, arrow value type name, numpy dtype)
    "offsets": ("offsets", "int32", np.int64),
    "cand_id": ("cand_ids", "int32", np.int64),
    "cand_logprob": ("cand_logprobs", "float64", np.float64),
    "sampled_index": ("sampled_index", "int32", np.int64),
    "cutoff_logprob": ("cap", "float64", np.float64),
    "tail_logprob": ("tail_logprob", "float64", np.float64),
}
_NOT_NULL = ("teacher", "completion_text", "extra", "cand_bytes", *_LISTS)
"""The columns write_parquet never leaves null (a record's `id` and `input` may be None)."""


def _pa() -> Any:  # noqa: ANN401 - pyarrow is optional
    return require("pyarrow", extra="distill", feature=_FEATURE)


def _schema(pa: Any) -> Any:  # noqa: ANN401
    teacher = pa.struct(
        [
            ("provider", pa.string()),
            ("model", pa.string()),
            ("tokenizer", pa.string()),
            ("top_k", pa.int64()),
            ("logprob_semantics", pa.string()),
            ("temperature", pa.float64()),
            ("top_p", pa.float64()),
            ("seed", pa.int64()),
            ("sampling_adjustments", pa.list_(pa.string())),
        ]
    )
    columns = [
        ("id", pa.string()),
        ("teacher", teacher),
        ("input", pa.string()),
        ("completion_text", pa.string()),
        ("extra", pa.string()),
        ("cand_bytes", pa.list_(pa.binary())),
    ]
    columns += [(name, pa.list_(getattr(pa, kind)())) for name, (_, kind, _) in _LISTS.items()]
    return pa.schema(columns, metadata={"schema": SCHEMA})


def _list_column(pa: Any, arrays: list[np.ndarray[Any, Any]], kind: str) -> Any:  # noqa: ANN401
    lengths = np.array([len(a) for a in arrays], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    flat = np.concatenate(arrays) if arrays else np.zeros(0)
    values = pa.array(flat.astype(getattr(np, kind)), type=getattr(pa, kind)())
    return pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), values)


def _json(record: KDRecord, name: str, value: object) -> str | None:
    """A JSON text column's value (None stays null), a lone surrogate kept as its escape."""
    return (
        None if value is None else json_text(value, where=f"{_W}: record {record.id!r}", name=name)
    )


def _table(pa: Any, records: list[KDRecord]) -> Any:  # noqa: ANN401
    schema = _schema(pa)
    data: dict[str, Any] = {
        "id": pa.array([r.id for r in records], type=pa.string()),
        "teacher": pa.array(
            [asdict(r.teacher) for r in records], type=schema.field("teacher").type
        ),
        "input": pa.array([_json(r, "input", r.input) for r in records], type=pa.string()),
        "completion_text": pa.array([r.completion_text for r in records], type=pa.string()),
        "extra": pa.array([_json(r, "extra", dict(r.extra)) for r in records], type=pa.string()),
        "cand_bytes": pa.array([r.cand_bytes for r in records], type=pa.list_(pa.binary())),
    }
    for name, (attr, kind, _) in _LISTS.items():
        data[name] = _list_column(pa, [getattr(r, attr) for r in records], kind)
    return pa.Table.from_pydict(data, schema=schema)


def check_rows_per_shard(rows_per_shard: object, /) -> None:
    """Raise unless `rows_per_shard` is an integer of at least 1 (a bool is none)."""
    at_least_one(rows_per_shard, "rows_per_shard", " (records per shard)", error=DistillError)


def _check_prefix(prefix: object) -> None:
    """Raise unless `prefix` can begin a shard's file name in the folder (`<prefix>-00000.parquet`).

    Raises:
        TypeError: `prefix` is not a str.
        DistillError: `prefix` is empty, or holds a path separator or a NUL.
    """
    if not isinstance(prefix, str):
        msg = (
            f"write_parquet's prefix is a str (the shards are <prefix>-00000.parquet ...), got "
            f"{a_value(prefix, width=40)}"
        )
        raise TypeError(msg)
    separators = [s for s in ("/", os.sep, os.altsep) if s]
    if not prefix or "\0" in prefix or any(s in prefix for s in separators):
        msg = (
            f"write_parquet's prefix begins the shards' file names in the folder "
            f"(<prefix>-00000.parquet ...), so it is a non-empty name without a path separator "
            f"or NUL, got {prefix!r}: give the folder as the directory, the name as the prefix"
        )
        raise DistillError(msg)


def _folder(directory: str | os.PathLike[str]) -> Path:
    """`directory` as a folder, made with its parents if missing.

    Raises:
        NotADirectoryError: `directory` is a file, or inside one.
    """
    root = Path(directory)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        msg = (
            "write_parquet writes its shards into a folder, and this path is a file or inside "
            "one: give a folder's path (made if missing), or write one file with write_jsonl"
        )
        raise NotADirectoryError(errno.ENOTDIR, msg, os.fspath(directory)) from exc
    return root


def _remove_leftovers(root: Path, prefix: str, written: list[Path]) -> None:
    """Delete the `prefix` shards in `root` this write did not make (an earlier, longer write's)."""
    shard = re.compile(rf"{re.escape(prefix)}-\d{{5,}}\.parquet")
    for path in root.iterdir():
        if shard.fullmatch(path.name) and path not in written:
            path.unlink()


def write_parquet(
    records: Iterable[KDRecord],
    directory: str | os.PathLike[str],
    /,
    *,
    rows_per_shard: int = 1024,
    prefix: str = "kd",
) -> list[Path]:
    r"""Write records to Parquet shards of `rows_per_shard` records each; returns their paths.

    Memory holds one shard at a time, whatever the input's size. The shards appear together or
    not at all: each is written beside its name (`.partial`) and all are renamed once the last
    is written, so a write that fails half-way (a bad record, Ctrl-C) leaves an earlier write's
    shards as they were, never a mix of the two. Writing again replaces the `prefix`'s shards:
    once the new ones are in place, those an earlier, longer write left (`kd-00007.parquet`
    ...) are deleted, so that `read_parquet(directory)` reads this write's records only.
    Columns: `id`, `teacher` (a struct), `input` and `extra` (JSON text), `completion_text`,
    and per record the flat candidate lists `cand_bytes` (binary), `cand_id` (int32, -1
    unknown), `cand_logprob` (float64: the API's values, unrounded) with `offsets` (T+1 per
    record), `sampled_index`, `cutoff_logprob` and `tail_logprob` (T each). A lone surrogate
    (half an emoji) in `input` or `extra` is kept as its JSON escape (`\ud83d`), read back as
    it was.

    Raises:
        MissingDependencyError: pyarrow is not installed (`pip install "pytokenprobs[distill]"`).
        TypeError: `rows_per_shard` is not an int, `prefix` not a str, or an item of `records`
            is not a `KDRecord` (no shard of this write is left, the earlier ones are as they
            were).
        DistillError: `rows_per_shard` < 1, or `prefix` empty or holding a path separator or
            a NUL (the arguments are checked before the first record is read); a record whose
            values no teacher gives (`check_values`), or that a shard cannot hold as it is: a
            candidate id above int32 (`cand_id`'s type), a lone surrogate in a string column
            (`id`, `completion_text`, the teacher's names: UTF-8 has none), each named with
            its field, as `write_jsonl` stores them; a string of `input` or `extra` holding
            a high and a low surrogate as two code points, which JSON cannot keep apart.
        NotADirectoryError: `directory` is a file, or inside one (before the first record).
    """
    check_rows_per_shard(rows_per_shard)  # a wrong argument is said first, pyarrow or not
    _check_prefix(prefix)
    check_records(records, where="write_parquet")
    pa = _pa()
    pq = require("pyarrow.parquet", extra="distill", feature=_FEATURE)
    root = _folder(directory)
    paths: list[Path] = []
    shard: list[KDRecord] = []
    with ExitStack() as pending:  # each shard renamed into place only when the last is written

        def flush() -> None:
            path = root / f"{prefix}-{len(paths):05d}.parquet"
            pq.write_table(_table(pa, shard), pending.enter_context(atomic_file(path, writer=_W)))
            paths.append(path)
            shard.clear()

        for record in records:
            check_writable(record, writer="write_parquet", parquet=True)
            shard.append(record)
            if len(shard) >= rows_per_shard:
                flush()
        if shard:
            flush()
    _remove_leftovers(root, prefix, paths)
    return paths


_SHARD = re.compile(r"(?P<prefix>.+)-(?P<number>\d{5,})\.parquet")
"""A shard's file name: `<prefix>-00000.parquet`, six digits and more past 99,999 shards."""


def _in_order(path: Path) -> tuple[str, int, str]:
    """A folder's sort key: shards by prefix, then by number; any other file by its stem."""
    shard = _SHARD.fullmatch(path.name)
    if shard is None:
        return path.stem, -1, path.name
    return shard["prefix"], int(shard["number"]), path.name


def _shards(source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        return sorted(path.glob("*.parquet"), key=_in_order) if path.is_dir() else [path]
    given: object = source  # typed, but a caller may pass anything
    if not isinstance(given, Iterable) or isinstance(given, bytes | Mapping):
        msg = (
            "read_parquet reads a folder of shards, a file, or a list of files (str or Path), "
            f"got {a_type(given)}"
        )
        raise TypeError(msg)
    paths = list(given)
    for p in paths:
        if not isinstance(p, str | os.PathLike):
            msg = f"read_parquet: each file is a str or Path, got {a_type(p)}"
            raise TypeError(msg)
    return [Path(p) for p in paths]


def read_parquet(
    source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], /
) -> Iterator[KDRecord]:
    """Stream the records of Parquet shards (a directory, one file, or a list), batch by batch.

    A directory's `.parquet` files are read in order of their prefix, then of their shard
    number (`kd-99999` before `kd-100000`); a file not named as a shard is read in the order of
    its name among the prefixes.

    Raises:
        MissingDependencyError: pyarrow is not installed.
        DistillError: A file that is not a `tokenprobs.kd/1` shard (empty, cut short, another
            format, another schema: the message names it), or a row whose values no teacher
            gives (a logprob above 0 ...: named by its file and row, as `read_jsonl` names a
            line).
    """
    shards = _shards(source)  # a wrong argument is said first, pyarrow or not
    pa = _pa()
    pq = require("pyarrow.parquet", extra="distill", feature=_FEATURE)
    for path in shards:
        try:
            f = pq.ParquetFile(path)
        except pa.ArrowException as exc:  # empty, truncated, or another format
            msg = (
                f"{os.fspath(path)!r} is not a Parquet file ({exc}): a shard is written by "
                "write_parquet; take the file out of the folder, or write it again"
            )
            raise DistillError(msg) from exc
        meta = f.schema_arrow.metadata or {}
        if meta.get(b"schema") != SCHEMA.encode():
            msg = f"{os.fspath(path)!r} is not a {SCHEMA} shard (write it with write_parquet)"
            raise DistillError(msg)
        yield from _shard_records(pa, f, path)


def _shard_records(pa: Any, f: Any, path: Path) -> Iterator[KDRecord]:  # noqa: ANN401
    """The records of one open shard, batch by batch, each checked (`check_values`)."""
    batches = f.iter_batches(batch_size=256)
    row = 0
    while True:
        try:
            chunk = next(batches, None)
        except pa.ArrowException as exc:  # a shard cut short after its footer was read
            msg = f"{os.fspath(path)!r}: a corrupt Parquet shard ({exc}): write it again"
            raise DistillError(msg) from exc
        if chunk is None:
            return
        columns = {name: chunk.column(name) for name in chunk.schema.names}
        missing = [name for name in _schema(pa).names if name not in columns]
        if missing:
            msg = f"{os.fspath(path)!r} has no {missing[0]} column: write it with write_parquet"
            raise DistillError(msg)
        nulls = [n for n in _NOT_NULL if columns[n].null_count]
        if nulls:
            msg = (
                f"{os.fspath(path)!r}: its {nulls[0]} column holds a null, which write_parquet "
                "never writes: write it again"
            )
            raise DistillError(msg)
        lists: dict[str, list[np.ndarray[Any, Any]]] = {
            name: [
                np.asarray(v.values.to_numpy(zero_copy_only=False), dtype=dt) for v in columns[name]
            ]
            for name, (_, _, dt) in _LISTS.items()
        }
        for i in range(chunk.num_rows):
            where = f"{os.fspath(path)!r}, row {row}"
            record = _record(columns, lists, i, where)
            check_values(record, where=where, fix=_READ_FIX)
            row += 1
            yield record


def _record(
    columns: dict[str, Any], lists: dict[str, list[np.ndarray[Any, Any]]], i: int, where: str
) -> KDRecord:
    """Row `i` of a batch as a record, its teacher and JSON text checked (named by `where`)."""
    teacher = columns["teacher"][i].as_py()
    raw_input, raw_extra = columns["input"][i].as_py(), columns["extra"][i].as_py()
    try:
        who = Teacher(**{k: v for k, v in (teacher or {}).items() if k in TEACHER_FIELDS})
        given = None if raw_input is None else json.loads(raw_input)
        extra = json.loads(raw_extra)
    except (TypeError, ValueError) as exc:  # Teacher's messages name the field; JSON its place
        msg = f"{where}: {exc}"
        raise DistillError(msg) from exc
    for name, value, words in (
        ("input", given, "an object or null"),
        ("extra", extra, "an object"),
    ):
        if value is not None and not isinstance(value, Mapping):
            msg = f"{where}: {name} is JSON text of {words}, got {a_value(value, width=40)}"
            raise DistillError(msg)
    return KDRecord(
        id=columns["id"][i].as_py(),
        teacher=who,
        input=given,
        completion_text=columns["completion_text"][i].as_py(),
        extra=extra,
        cand_bytes=columns["cand_bytes"][i].as_py(),
        **{attr: lists[name][i] for name, (attr, _, _) in _LISTS.items()},
    )
