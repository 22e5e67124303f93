"""Many Batch files to Parquet shards on the cores of one machine.

The files are cut into ranges of whole lines; spawned worker processes and this one collect
the ranges, and this process writes each file's records, in order, into shards named after it.
This process starts on the first range while the workers are still importing (≈ 1 s each),
so no core waits for an import, and a single large file is shared among the cores too.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tokenprobs import batch
from tokenprobs.distill._collect import batch_records, collect, read_inputs, warn_skipped
from tokenprobs.distill._parquet import write_parquet
from tokenprobs.distill._record import DistillError, KDRecord, Teacher
from tokenprobs.exceptions import UnsupportedResponseError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from concurrent.futures import Future

    from tokenprobs.exceptions import TokenprobsError
    from tokenprobs.models import TokenDistribution

    _Settings = tuple[Teacher, Mapping[str, Mapping[str, object]], str]
    """(teacher, request bodies by custom_id, on_error): the same for every range."""

__all__ = ["collect_range", "collect_to_parquet", "one_file"]

CHUNK_BYTES = (1 << 20, 16 << 20)
"""The least and most bytes of a range (a range is at least one whole line)."""
_WORKER: list[_Settings] = []
"""A worker process's settings, sent once when it starts (`_start`), not with every range."""


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
    skipped: list[str] = []
    records = batch_records(
        _read_range(path, start, end),
        teacher=teacher,
        bodies=bodies,
        on_error=on_error,  # type: ignore[arg-type]
        skipped=skipped,
    )
    return list(records), skipped


def _read_range(
    path: Path, start: int, end: int
) -> Iterator[tuple[str, TokenDistribution | TokenprobsError]]:
    """`batch.read_results` of the lines in bytes `[start, end)` (which start and end lines)."""
    with path.open("rb") as f:
        f.seek(start)
        data = f.read(end - start)
    for number, line in enumerate(io.BytesIO(data), 1):
        if line.strip():
            try:
                item = batch.read_line(line, number, path)
            except UnsupportedResponseError:  # the message names the line: in the whole file
                batch.read_line(line, _lines_before(path, start) + number, path)
                raise
            yield item


def _lines_before(path: Path, offset: int) -> int:
    with path.open("rb") as f:
        return f.read(offset).count(b"\n")


def _ranges(path: Path, size: int) -> list[tuple[int, int]]:
    """`path` cut into ranges of about `size` bytes that end where a line ends."""
    total = path.stat().st_size
    out: list[tuple[int, int]] = []
    start = 0
    with path.open("rb") as f:
        while start < total:
            f.seek(min(start + size, total))
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
        DistillError: Two files with the same name (their shards would collide).
    """
    paths = [Path(f) for f in files]
    stems = [p.stem for p in paths]
    if len(set(stems)) != len(stems):
        msg = f"files need distinct names (their shards are named after them), got {stems}"
        raise DistillError(msg)
    workers = processes or os.cpu_count() or 1
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
        ranges = [(p, a, b) for p in paths for a, b in _ranges(p, size)]
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


class _Shared:
    """The ranges, collected in order: by the workers, and here while waiting for them."""

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
        self._refill()

    def _refill(self) -> None:
        while self._todo and len(self._sent) < self._ahead:
            k = self._todo.popleft()
            self._sent[k] = self._pool.submit(_in_worker, self._ranges[k])

    def _here_now(self, k: int) -> tuple[list[KDRecord], list[str]]:
        return collect_range(*self._ranges[k], self._settings)

    def _take(self, k: int) -> tuple[list[KDRecord], list[str]]:
        """Range `k`'s records and skipped ids, collecting others here while a worker has it."""
        if k == self._first or k in self._here:
            return self._here.pop(k) if k in self._here else self._here_now(k)
        if k not in self._sent:  # not handed out yet: the next in line, collected here
            self._todo.remove(k)
            return self._here_now(k)
        future = self._sent[k]
        while not future.done():
            if self._todo and len(self._here) < self._ahead:
                j = self._todo.pop()  # the last range left: the workers take the front
                self._here[j] = self._here_now(j)
            else:
                wait([future], return_when=FIRST_COMPLETED)
        del self._sent[k]
        self._refill()
        return future.result()

    def records(self, path: Path, skipped: list[str]) -> Iterator[KDRecord]:
        """`path`'s records in order (its ranges are the next ones), its skipped ids added."""
        while self._next < len(self._ranges) and self._ranges[self._next][0] == path:
            records, missed = self._take(self._next)
            self._next += 1
            skipped += missed
            yield from records
