"""write_parquet's folder and prefix, read_parquet's shard order: checked before any record."""

from __future__ import annotations

import numpy as np
import pytest
from tests.distill._synthetic import body, teacher_positions

from tokenprobs import distill


def _records(n):
    rng = np.random.default_rng(2)
    return list(distill.collect([body(teacher_positions(rng, 3, 2)[1]) for _ in range(n)]))


def _unread():
    """Records that fail the test if the writer reads one (it must refuse its arguments first)."""
    pytest.fail("write_parquet read a record before refusing its arguments")
    yield


@pytest.mark.extras
def test_a_file_as_the_folder_is_refused_before_the_first_record(tmp_path):
    """An existing file (or a path inside one) is a NotADirectoryError naming it, not Errno 17."""
    path = tmp_path / "kd.parquet"
    path.write_bytes(b"mine")
    for target in (path, path / "kd"):
        with pytest.raises(NotADirectoryError, match="writes its shards into a folder") as info:
            distill.write_parquet(_unread(), target)
        assert info.value.filename == str(target)
    assert path.read_bytes() == b"mine"


@pytest.mark.extras
@pytest.mark.parametrize(
    ("prefix", "error"),
    [
        ("", distill.DistillError),
        ("sub/kd", distill.DistillError),
        ("a\0b", distill.DistillError),
        (3, TypeError),
        (None, TypeError),
    ],
)
def test_a_bad_prefix_is_refused_before_the_folder_is_made(tmp_path, prefix, error):
    """An empty prefix, one with a separator or a NUL, or no str: a clear error, nothing written."""
    with pytest.raises(error, match="write_parquet's prefix"):
        distill.write_parquet(_unread(), tmp_path / "kd", prefix=prefix)
    assert not (tmp_path / "kd").exists()
