"""Many Batch files to Parquet shards on the cores of one machine, one file per process."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tokenprobs.distill._collect import collect, read_inputs
from tokenprobs.distill._parquet import write_parquet
from tokenprobs.distill._record import DistillError, Teacher

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["collect_to_parquet", "one_file"]


def one_file(
    job: tuple[Path, Path, str, Teacher | None, Mapping[str, Mapping[str, object]], int, str],
) -> list[Path]:
    """Collect one Batch file into its own shards (a worker's task)."""
    path, root, prefix, teacher, bodies, rows, on_error = job
    records = collect(
        [path],
        teacher=teacher,
        inputs=bodies,
        on_error=on_error,  # type: ignore[arg-type]
    )
    return write_parquet(records, root, rows_per_shard=rows, prefix=prefix)


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
    """Collect Batch output files into Parquet shards, one file per worker process.

    Each file's records go to shards named after it (`<stem>-00000.parquet` ...), so the output
    is the same whatever the number of processes or the order they finish in; each worker holds
    one line and one shard in memory.

    Args:
        files: Batch output files.
        directory: Where the shards go.
        teacher: What is known of the teacher (see `collect`).
        inputs: The Batch input file (or bodies by `custom_id`) for all the files.
        processes: Worker processes; default `os.cpu_count()`; 1 runs in this process.
        rows_per_shard: Records per shard.
        on_error: As in `collect`.

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
    bodies = read_inputs(inputs) if isinstance(inputs, str | os.PathLike) else dict(inputs or {})
    root = Path(directory)
    jobs = [(p, root, p.stem, teacher, bodies, rows_per_shard, on_error) for p in paths]
    workers = processes or os.cpu_count() or 1
    if workers == 1 or len(jobs) == 1:
        return [shard for job in jobs for shard in one_file(job)]
    spawn = multiprocessing.get_context("spawn")  # fork is unsafe in a threaded parent
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=spawn) as pool:
        return [shard for shards in pool.map(one_file, jobs) for shard in shards]
