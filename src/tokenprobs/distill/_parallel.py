"""Many Batch files to Parquet shards on the cores of one machine.

The files are cut into ranges of whole lines; spawned worker processes and this one collect
the ranges, and this process writes each file's records, in order, into shards named after it.
This process starts on the first range while the workers are still importing (≈ 1 s each),
so no core waits for an import, and a single large file is shared among the cores too.
"""

from __future__ import annotations

import errno
import io
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tokenprobs import batch
from tokenprobs._batch_lines import batch_line
from tokenprobs._said import a_type, a_value
from tokenprobs.distill._collect import (
    check_settings,
    collect,
    line_records,
    read_inputs,
    warn_skipped,
)
from tokenprobs.distill._parquet import check_rows_per_shard, write_parquet
from tokenprobs.distill._record import DistillError, KDRecord, Teacher, integer
from tokenprobs.exceptions import UnsupportedResponseError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from concurrent.futures import Future

    _Settings = tuple[Teacher, Mapping[str, Mapping[str, object]], str]
    """(teacher, request bodies by custom_id, on_error): the same for every range."""

__all__ = ["batch_files", "collect_range", "collect_to_parquet", "one_file"]

CHUNK_BYTES = (1 << 20, 16 << 20)
"""The least and most bytes of a range (a range is at least one whole line)."""
_WORKER: list[_Settings] = []
"""A worker process's settings, sent once when it starts (`_start`), not with every range."""


def batch_files(
    files: object,
    *,
    teacher: object,
    inputs: object,
    rows_per_shard: object,
    on_error: object,
    where: str,
) -> list[Path]:
    """The paths of `files`, once it and the settings are checked (before any work starts).

    Raises:
        TypeError: `files` is one path or not a list of paths, or a setting of the wrong type.
        ValueError: An unknown `on_error`; a `DistillError` for two files of one name or a
            `rows_per_shard` below 1.
    """
    if isinstance(files, str | bytes | os.PathLike) or not isinstance(files, Iterable):
        msg = (
            f"{where} takes a list of Batch output files, got {a_value(files, width=60)}"
            ": pass [path] for one file"
        )
        raise TypeError(msg)
    paths = []
    for f in files:
        if not isinstance(f, str | os.PathLike):
            msg = f"{where}'s files are paths (str or pathlib.Path), got {a_type(f)}"
            raise TypeError(msg)
        paths.append(Path(f))
    check_settings(teacher, inputs, on_error, where=where)
    check_rows_per_shard(rows_per_shard)
    stems = [p.stem for p in paths]
    if len(set(stems)) != len(stems):
        msg = f"files need distinct names (their shards are named after them), got {stems}"
        raise DistillError(msg)
    return paths


def one_file(
    job: tuple[Path, Path, str, Teacher | None, Mapping[str, Mapping[str, object]], int, str],
) -> list[Path]:
    """Collect one Batch file into its own shards (a task of the Dask pipeline)."""
    path, root, prefix, teacher, bodies, rows, on_error = job
    records = collect(
        [path],
        teacher=teacher,
        inputs=bodies,
        on_error=on_error,  # type: ignore[arg-type]
    )
    return write_parquet(records, root, rows_per_shard=rows, prefix=prefix)


def _start(settings: _Settings) -> None:
    _WORKER[:] = [settings]


def _in_worker(job: tuple[Path, int, int]) -> tuple[list[KDRecord], list[str]]:
    return collect_range(*job, _WORKER[0])


def collect_range(
    path: Path, start: int, end: int, settings: _Settings
) -> tuple[list[KDRecord], list[str]]:
    """The records of the lines in bytes `[start, end)` of a Batch file, and the skipped ids."""
    teacher, bodies, on_error = settings
    with path.open("rb") as f:
        f.seek(start)
        data = f.read(end - start)
    last: list[tuple[int, bytes]] = []

    def numbered() -> Iterator[tuple[int, bytes]]:
        for item in batch.numbered_lines(io.BytesIO(data)):
            last[:] = [item]
            yield item

    skipped: list[str] = []
    try:
        records = list(
            line_records(
                numbered(),
                path,
                teacher=teacher,
                bodies=bodies,
                on_error=on_error,  # type: ignore[arg-type]
                skipped=skipped,
                label=lambda number: f"line {_lines_before(path, start) + number}",
            )
        )
    except UnsupportedResponseError:  # the message names the line: in the whole file
        number, line = last[0]
        batch_line(line, _lines_before(path, start) + number, repr(os.fspath(path)))  # raises
        raise
    return records, skipped


def _lines_before(path: Path, offset: int) -> int:
    with path.open("rb") as f:
        return f.read(offset).count(b"\n")


def _ranges(path: Path, size: int, *, then: int = 0, share: int = 1) -> list[tuple[int, int]]:
    """`path` cut into ranges of whole lines, of about `size` bytes, smaller near the end.

    A range is at most `1 / (4 * share)` of the bytes left (this file's and the `then` bytes
    of the files after it), at least `CHUNK_BYTES[0]`: the last ranges are small, so that no
    process of `share` waits long at the end for another's last range.
    """
    total = path.stat().st_size
    out: list[tuple[int, int]] = []
    start = 0
    with path.open("rb") as f:
        while start < total:
            left = total - start + then
            f.seek(min(start + max(min(size, left // (4 * share)), CHUNK_BYTES[0]), total))
            f.readline()
            end = min(f.tell(), total)
            out.append((start, end))
            start = end
    return out


def collect_to_parquet(
    files: Sequence[str | os.PathLike[str]],
    directory: str | os.PathLike[str],
    /,
    *,
    teacher: Teacher | None = None,
    inputs: str | os.PathLike[str] | Mapping[str, Mapping[str, object]] | None = None,
    processes: int | None = None,
    rows_per_shard: int = 1024,
    on_error: Literal["raise", "skip"] = "raise",
) -> list[Path]:
    """Collect Batch output files into Parquet shards on several processes.

    Each file's records go to shards named after it (`<stem>-00000.parquet` ...), written by
    this process in the files' order, so the output is the same whatever the number of
    processes; the files are shared among the processes in ranges of whole lines (1 to 16 MB),
    this one included, so a single file is collected in parallel too. Memory holds one shard
    and a few ranges' records per process.

    Args:
        files: Batch output files.
        directory: Where the shards go.
        teacher: What is known of the teacher (see `collect`).
        inputs: The Batch input file (or bodies by `custom_id`) for all the files.
        processes: Processes, this one included; default `os.cpu_count()`; 1 runs here alone.
        rows_per_shard: Records per shard.
        on_error: As in `collect` (with `"skip"`, one warning per file that skipped lines).

    Returns:
        The shards' paths, file by file, in the order of `files`.

    Raises:
        TypeError: `files` is one path (pass `[path]`) or holds no paths, `processes` or
            `rows_per_shard` is not an int, or `teacher` / `inputs` of the wrong type.
        ValueError: An unknown `on_error`.
        DistillError: Two files with the same name (their shards would collide), or
            `processes` or `rows_per_shard` below 1.
        FileNotFoundError: A file that does not exist (`IsADirectoryError`: a folder), found
            before any file is collected.
    """
    paths = batch_files(
        files,
        teacher=teacher,
        inputs=inputs,
        rows_per_shard=rows_per_shard,
        on_error=on_error,
        where="collect_to_parquet",
    )
    workers = (os.cpu_count() or 1) if processes is None else _processes(processes)
    _readable(paths)
    bodies = read_inputs(inputs) if isinstance(inputs, str | os.PathLike) else dict(inputs or {})
    root = Path(directory)
    if workers == 1:
        jobs = [(p, root, p.stem, teacher, bodies, rows_per_shard, on_error) for p in paths]
        return [shard for job in jobs for shard in one_file(job)]
    settings: _Settings = (teacher if teacher is not None else Teacher(), bodies, on_error)
    spawn = multiprocessing.get_context("spawn")  # fork is unsafe in a threaded parent
    pool = ProcessPoolExecutor(
        max_workers=workers - 1, mp_context=spawn, initializer=_start, initargs=(settings,)
    )
    try:
        pool.submit(int)  # a worker starts now: it imports while this process cuts the files
        total = sum(p.stat().st_size for p in paths)
        size = min(max(total // (8 * workers), CHUNK_BYTES[0]), CHUNK_BYTES[1])
        ranges: list[tuple[Path, int, int]] = []
        for p in paths:
            total -= p.stat().st_size
            ranges += [(p, a, b) for a, b in _ranges(p, size, then=total, share=workers)]
        shared = _Shared(pool, ranges, settings, workers - 1)
        out: list[Path] = []
        for path in paths:
            skipped: list[str] = []
            records = shared.records(path, skipped)
            out += write_parquet(records, root, rows_per_shard=rows_per_shard, prefix=path.stem)
            warn_skipped(skipped, stacklevel=2)
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise
    pool.shutdown()
    return out


def _readable(paths: list[Path]) -> None:
    """Raise unless every path is a file: found before any is collected, with any processes."""
    for path in paths:
        if path.is_dir():
            msg = "collect_to_parquet reads Batch output files, and this is a folder"
            raise IsADirectoryError(errno.EISDIR, msg, os.fspath(path))
        if not path.is_file():
            msg = "collect_to_parquet: no such Batch output file (nothing was collected)"
            raise FileNotFoundError(errno.ENOENT, msg, os.fspath(path))


def _processes(processes: object) -> int:
    """`processes` checked: an int of at least 1 (this process included)."""
    n = integer(processes, "processes", "the processes to use, this one included")
    if n < 1:
        msg = f"processes must be at least 1 (this process included) or None, got {n}"
        raise DistillError(msg)
    return n


class _Shared:
    """The ranges, collected in order by whichever process is free, and handed out in order.

    The workers keep `ahead` ranges in flight (one running, the next queued, each); while the
    range needed next is a worker's and not done, this process collects the next range no one
    has (keeping at most `2 * ahead` of them). Each range is collected close to its turn to be
    written, so memory holds a few ranges' records, and no process waits while a range is left
    (the last ranges are small: `_ranges`).
    """

    def __init__(
        self,
        pool: ProcessPoolExecutor,
        ranges: list[tuple[Path, int, int]],
        settings: _Settings,
        workers: int,
    ) -> None:
        self._pool, self._ranges, self._ahead = pool, ranges, 2 * workers
        self._settings = settings
        self._todo = deque(range(len(ranges)))
        self._sent: dict[int, Future[tuple[list[KDRecord], list[str]]]] = {}
        self._here: dict[int, tuple[list[KDRecord], list[str]]] = {}
        self._next = 0
        self._first = self._todo.popleft() if self._todo else None  # this process's: no import

    def _refill(self) -> None:
        """Keep `ahead` ranges running or queued on the workers (at most twice that unread)."""
        busy = sum(not f.done() for f in self._sent.values())
        while self._todo and busy < self._ahead and len(self._sent) < 2 * self._ahead:
            k = self._todo.popleft()
            self._sent[k] = self._pool.submit(_in_worker, self._ranges[k])
            busy += 1

    def _here_now(self, k: int) -> tuple[list[KDRecord], list[str]]:
        return collect_range(*self._ranges[k], self._settings)

    def _take(self, k: int) -> tuple[list[KDRecord], list[str]]:
        """Range `k`'s records and skipped ids, collecting others here while a worker has it."""
        self._refill()
        if k == self._first:
            return self._here_now(k)
        if k in self._here:
            return self._here.pop(k)
        if k not in self._sent:  # no one has it: the next in line, collected here
            self._todo.remove(k)
            return self._here_now(k)
        future = self._sent.pop(k)
        while not future.done():
            if self._todo and len(self._here) < 2 * self._ahead:
                j = self._todo.popleft()
                self._here[j] = self._here_now(j)
                self._refill()
            else:
                wait([future], return_when=FIRST_COMPLETED)
        return future.result()

    def records(self, path: Path, skipped: list[str]) -> Iterator[KDRecord]:
        """`path`'s records in order (its ranges are the next ones), its skipped ids added."""
        while self._next < len(self._ranges) and self._ranges[self._next][0] == path:
            records, missed = self._take(self._next)
            self._next += 1
            skipped += missed
            yield from records
