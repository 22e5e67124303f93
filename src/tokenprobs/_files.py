"""Writing a file so that it appears complete or not at all, checked before any work is done.

Every writer of tokenprobs (`batch.write_requests`, `distill.write_jsonl`, the Parquet shards,
the trainers' files) goes through `atomic_file`: the data is written beside the target under a
`.partial` name and renamed over it only when the writer finished, so an error half-way (a bad
record, a guard refusal, Ctrl-C) leaves an earlier file at that path untouched and no truncated
one. A target that is a folder, or whose folder does not exist, is refused before the first
record is read: the records are often a generator that does real work (a Batch file to read,
requests to send), and finding out at the rename would waste all of it.
"""

from __future__ import annotations

import errno
import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from tokenprobs._said import a_type

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["atomic_file", "checked_target"]


def checked_target(path: str | os.PathLike[str], *, writer: str) -> Path:
    """`path` as a `Path`, once it names a file that `writer` can create or replace.

    Raises:
        TypeError: `path` is not a string or path.
        IsADirectoryError: `path` is a folder.
        FileNotFoundError: The folder `path` would be written into does not exist.
    """
    given: object = path  # typed, but called with what users pass
    if not isinstance(given, str | os.PathLike):
        msg = f"{writer} writes to a path (a str or pathlib.Path), got {a_type(given)}"
        raise TypeError(msg)
    target = Path(path)
    if target.is_dir():
        msg = f"{writer} writes a file, and this is a folder: give a file's path inside it"
        raise IsADirectoryError(errno.EISDIR, msg, os.fspath(path))
    if not target.parent.is_dir():
        msg = f"{writer}: the folder to write into does not exist (create it first)"
        raise FileNotFoundError(errno.ENOENT, msg, os.fspath(target.parent))
    return target


@contextmanager
def atomic_file(path: str | os.PathLike[str], *, writer: str) -> Iterator[Path]:
    """A temporary path beside `path` to write; it replaces `path` when the block ends cleanly.

    The target is checked (`checked_target`) before the block runs. When the block raises, the
    temporary file is removed and `path` is left as it was.
    """
    target = checked_target(path, writer=writer)
    tmp = target.with_name(target.name + ".partial")
    try:
        yield tmp
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
