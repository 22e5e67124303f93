"""collect() and the cyclic GC: a Batch line is freed before its record is yielded, GC as found."""

from __future__ import annotations

import gc
from itertools import pairwise

import numpy as np
import pytest
from tests.distill._synthetic import batch_files, body, teacher_positions

import tokenprobs as tp
from tokenprobs import batch, distill


def _file(tmp_path, *, fail=()):
    rng = np.random.default_rng(3)
    names = ["a", "b", "c"]
    bodies = [body(teacher_positions(rng, 300, 5)[1]) for _ in names]
    ids = batch_files(tmp_path, names, bodies, fail=set(fail))
    return tmp_path / "out.jsonl", ids


def test_a_batch_line_is_freed_before_its_record_is_yielded(tmp_path):
    """At each record, the GC tracks far fewer new objects than one parsed line holds."""
    path, _ = _file(tmp_path)
    base = len(gc.get_objects())
    held = []
    for _cid, result in batch.read_results(path):
        held.append(len(gc.get_objects()) - base)
        del result
    assert min(held) > 1000  # a parsed line: thousands of dicts and lists
    base = len(gc.get_objects())
    alive = [len(gc.get_objects()) - base for _record in distill.collect(path)]
    assert len(alive) == 3
    assert max(alive) < min(held) / 10


@pytest.mark.parametrize("enabled", [True, False], ids=["gc-on", "gc-off"])
def test_collect_leaves_the_gc_as_it_found_it(tmp_path, enabled):
    """Between records, after the last one and after a failed line is raised: the GC as it was."""
    path, ids = _file(tmp_path)
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        seen = [gc.isenabled() for _record in distill.collect(path)]
        assert seen == [enabled] * 3
        assert gc.isenabled() is enabled
        path, ids = _file(tmp_path, fail=[ids[1]])
        with pytest.raises(tp.APIResponseError):
            list(distill.collect(path))
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_ranges_cover_the_file_in_whole_lines_and_shrink_near_its_end(tmp_path, monkeypatch):
    """collect_to_parquet's ranges: contiguous, whole lines, the last ones the smallest."""
    from tokenprobs.distill import _parallel  # noqa: PLC0415 - its range size, made small

    monkeypatch.setattr(_parallel, "CHUNK_BYTES", (1, 1 << 30))
    path = tmp_path / "lines.jsonl"
    path.write_bytes(b"".join(b"x" * 99 + b"\n" for _ in range(400)))  # 400 lines of 100 bytes
    ranges = _parallel._ranges(path, 8000, share=1)
    assert ranges[0][0] == 0
    assert ranges[-1][1] == 40_000
    assert all(a[1] == b[0] for a, b in pairwise(ranges))
    assert all((end - start) % 100 == 0 for start, end in ranges)
    sizes = [end - start for start, end in ranges]
    assert sizes[0] == 8100  # `size` on, to the end of the line there (a quarter left is more)
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[-1] == 100  # the last: one line
    shared = [end - start for start, end in _parallel._ranges(path, 8000, share=2)]
    assert shared[0] == 5100  # an eighth of the file, for 2 processes
    following = _parallel._ranges(path, 8000, then=10**9, share=2)  # more files after this one
    assert {end - start for start, end in following[:-1]} == {8100}
