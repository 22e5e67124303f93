r"""The text the writers store: JSON that UTF-8 holds, and what a Parquet string column cannot.

A Python string may hold a lone surrogate (`"\ud83d"`: half an emoji, which a server that cuts
one in two sends as a JSON escape, and `json.loads` keeps), which UTF-8 has no bytes for. JSON
text keeps one as its `\uXXXX` escape, which `json.loads` reads back as it was; a Parquet string
column (UTF-8) cannot hold one at all. `write_json_lines` writes the JSONL files with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from tokenprobs._files import atomic_file
from tokenprobs.distill._errors import DistillError
from tokenprobs.distill._record import KDRecord

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable

__all__ = ["json_text", "lone_surrogate", "write_json_lines"]

_Item = TypeVar("_Item")

_SURROGATE = re.compile("[\ud800-\udfff]")
_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
"""A high surrogate then a low one: two code points whose escapes JSON reads as one character."""


def lone_surrogate(text: str) -> str | None:
    r"""Where `text` holds a surrogate code point, and which (`'\ud800' at index 4`), if it does."""
    found = _SURROGATE.search(text)
    return None if found is None else f"{found[0]!r} at index {found.start()}"


def _place(value: object, bad: Callable[[str], bool], at: str) -> str | None:
    """The place (`input['messages'][0]['content']`) of the first string of `value` that is `bad`.

    `at` is the place of `value` itself; the keys of a top-level object (`at` empty) are bare.
    """
    if isinstance(value, str):
        return at if bad(value) else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and bad(key):
                return f"a key of {at or 'the object'} ({key!r})"
            inner = f"{at}[{key!r}]" if at else str(key)
            if (found := _place(item, bad, inner)) is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if (found := _place(item, bad, f"{at}[{i}]")) is not None:
                return found
    return None


def _escape(found: re.Match[str]) -> str:
    return f"\\u{ord(found[0]):04x}"


def json_text(
    obj: object, /, *, where: str, name: str, allow_nan: bool = True, escape: bool = True
) -> str:
    r"""`obj` as JSON text that UTF-8 holds and `json.loads` reads back equal.

    As `json.dumps(obj, ensure_ascii=False)`, but each surrogate code point is written as its
    `\uXXXX` escape (JSON's syntax is ASCII, so one is only ever inside a string); the rest is
    left as it is. `where` names the record (`"write_jsonl: record 'r1'"`), `name` the object
    (`"input"`; empty for a record's or a row's whole object, whose fields are then named bare).

    Raises:
        DistillError: A string holds a high surrogate followed by a low one as two code points,
            which JSON cannot keep apart (`json.loads` joins their escapes into the character
            they pair to); or, without `escape` (a trainer's file, which its loader reads with
            pyarrow, whose JSON reader refuses an escaped lone surrogate), any surrogate. The
            message gives the string's place (`input['messages'][0]['content']`).
        ValueError: A float that is NaN or infinite, without `allow_nan` (json's own).
    """
    text = json.dumps(obj, ensure_ascii=False, allow_nan=allow_nan)
    if _SURROGATE.search(text) is None:
        return text
    if _PAIR.search(text) is not None:
        at = _place(obj, lambda s: _PAIR.search(s) is not None, name)
        msg = (
            f"{where}: {at} holds a high and a low surrogate as two code points, which JSON "
            "cannot store apart (it reads their escapes back as the one character they pair "
            "to): join them (s.encode('utf-16', 'surrogatepass').decode('utf-16')) or leave "
            "the record out"
        )
        raise DistillError(msg)
    if not escape:
        at = _place(obj, lambda s: _SURROGATE.search(s) is not None, name)
        msg = (
            f"{where}: {at} holds a lone surrogate, which the trainer cannot read (its loader's "
            "JSON reader, pyarrow's, refuses one, and a tokenizer has no bytes for it): mend "
            "the text or leave the record out"
        )
        raise DistillError(msg)
    return _SURROGATE.sub(_escape, text)


def write_json_lines(
    items: Iterable[_Item],
    path: str | os.PathLike[str],
    row: Callable[[_Item], Mapping[str, Any]],
    /,
    *,
    writer: str,
    allow_nan: bool = True,
    escape: bool = True,
) -> int:
    """Write each item's `row` as one JSON line, atomically; returns how many were written.

    `items` is read only once the file is open beside `path` (a wrong path reads none), and
    the file appears complete or not at all; `writer` names the caller in the errors. A lone
    surrogate is written as its escape (`json_text`), or, without `escape`, refused.

    Raises:
        DistillError: A row that JSON cannot hold as it is (`json_text`), named by its record.
    """
    n = 0
    with atomic_file(path, writer=writer) as tmp, tmp.open("w", encoding="utf-8") as out:
        for item in items:
            name = f"record {item.id!r}" if isinstance(item, KDRecord) else f"row {n}"
            where = f"{writer}: {name}"
            out.write(
                json_text(row(item), where=where, name="", allow_nan=allow_nan, escape=escape)
            )
            out.write("\n")
            n += 1
    return n
