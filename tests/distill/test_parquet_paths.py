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


@pytest.mark.extras
def test_a_folder_reads_its_shards_by_number_past_five_digits(tmp_path):
    """kd-100000 comes after kd-99999 (not before, as its name sorts); other files by name."""
    records = _records(4)
    written = distill.write_parquet(records, tmp_path, rows_per_shard=1)
    for path, name in zip(
        written, ["kd-99999", "kd-100000", "kd-100001", "kd-1000000"], strict=True
    ):
        path.rename(tmp_path / f"{name}.parquet")
    assert list(distill.read_parquet(tmp_path)) == records
    distill.write_parquet(records[:1], tmp_path, prefix="a")  # another prefix's shards: first
    distill.write_parquet(records[1:2], tmp_path, prefix="kd-2")  # a prefix ending in digits
    distill.write_parquet(records[2:3], tmp_path / "sub", prefix="z")
    (tmp_path / "sub" / "z-00000.parquet").rename(tmp_path / "notes.parquet")  # not a shard name
    expected = [records[0], *records, records[1], records[2]]
    assert list(distill.read_parquet(tmp_path)) == expected
