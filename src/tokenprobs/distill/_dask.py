"""The same collection as a Dask pipeline, for data that outgrows one machine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tokenprobs._optional import require
from tokenprobs.distill._collect import read_inputs
from tokenprobs.distill._parallel import batch_files, one_file

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from tokenprobs.distill._record import Teacher

__all__ = ["dask_collect_to_parquet"]


def dask_collect_to_parquet(
    files: Sequence[str | os.PathLike[str]],
    directory: str | os.PathLike[str],
    /,
    *,
    client: Any = None,  # noqa: ANN401 - dask is optional
    teacher: Teacher | None = None,
    inputs: str | os.PathLike[str] | Mapping[str, Mapping[str, object]] | None = None,
    rows_per_shard: int = 1024,
    on_error: Literal["raise", "skip"] = "raise",
) -> list[Path]:
    """`collect_to_parquet` on a Dask cluster: one task per Batch file, the same shards.

    Each task runs `collect` + `write_parquet` on one file, writing shards named after it into
    `directory`, which every worker must be able to write (a shared file system, or an
    fsspec-mounted bucket seen as a path). The output is identical to `collect_to_parquet`'s.

    Args:
        files: Batch output files, readable by the workers at these paths.
        directory: Where the shards go.
        client: A `distributed.Client`; None uses Dask's current scheduler.
        teacher: What is known of the teacher (see `collect`).
        inputs: The Batch input file (read here, once) or bodies by `custom_id`.
        rows_per_shard: Records per shard.
        on_error: As in `collect`.

    Returns:
        The shards' paths, file by file, in the order of `files`.

    Raises:
        MissingDependencyError: dask is not installed (`pip install "pytokenprobs[dask]"`).
        TypeError: `files` is one path (pass `[path]`) or holds no paths, `rows_per_shard` is
            not an int, or `teacher` / `inputs` of the wrong type (checked here, before any
            task is sent).
        ValueError: An unknown `on_error`.
        DistillError: Two files with the same name, or `rows_per_shard` below 1.
    """
    bag = require("dask.bag", extra="dask", feature="dask_collect_to_parquet")
    paths = batch_files(
        files,
        teacher=teacher,
        inputs=inputs,
        rows_per_shard=rows_per_shard,
        on_error=on_error,
        where="dask_collect_to_parquet",
    )
    bodies = read_inputs(inputs) if isinstance(inputs, str | os.PathLike) else dict(inputs or {})
    root = Path(directory)
    jobs = [(p, root, p.stem, teacher, bodies, rows_per_shard, on_error) for p in paths]
    tasks = bag.from_sequence(jobs, npartitions=max(len(jobs), 1)).map(one_file)
    shards = client.compute(tasks).result() if client is not None else tasks.compute()
    return [Path(s) for group in shards for s in group]
