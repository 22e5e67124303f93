"""The columnar record builder gives, bit for bit, the records and shards of the per-position one.

`tests/distill/_reference.py` is `KDRecord.from_distribution` as it was before it was vectorised
(one position at a time through `Candidates.keys`/`tokens`); the records built now must equal
its records on recorded responses, the bundled examples, hard identity cases and generated
bodies (ordinary parse and the raw-JSON fast path), and the Parquet shards of a Batch file must
be the same bytes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests._recorded import RECORDED, parsed, parsed_recordings
from tests.distill._reference import reference_record
from tests.distill._synthetic import batch_files, body, teacher_positions
from tests.test_perf_equivalence import FAST_MIN, HARD, alt, enlarged, entries_of, pos

import tokenprobs as tp
from tokenprobs import batch, distill
from tokenprobs.models._identity import KeyedByteRows

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.filterwarnings("ignore::tokenprobs.exceptions.TokenprobsWarning")

TEACHER = distill.Teacher(provider="openai", model="m")


def same(a: Any, b: Any) -> bool:
    """Equal shape, dtype and values, floats bit for bit (NaN, -0.0 and -inf included)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "f":
        return bool(np.array_equal(a.view(np.uint64), b.view(np.uint64)))
    return bool(np.array_equal(a, b))


def check(d: tp.TokenDistribution) -> None:
    """The record of `d` equals the per-position reference's, field by field, bit for bit."""
    new = distill.KDRecord.from_distribution(d, teacher=TEACHER, id="x")
    old = reference_record(d, teacher=TEACHER, id="x")
    assert new == old
    counts = np.diff(new.offsets)
    assert ((new.sampled_index >= 0) & (new.sampled_index < counts)).all()  # within its position
    assert new.cand_bytes == old.cand_bytes
    assert all(type(b) is bytes for b in new.cand_bytes)
    for name in ("offsets", "cand_ids", "cand_logprobs", "sampled_index", "cap", "tail_logprob"):
        assert same(getattr(new, name), getattr(old, name)), name


def check_body(obj: dict[str, Any], *, separators: tuple[str, str] | None = None) -> None:
    """The body parsed as a dict and from its JSON text (the fast path when large)."""
    check(tp.parse(obj))
    raw = json.dumps(obj, separators=separators).encode()
    check(tp.parse(raw))


def with_nan(d: tp.TokenDistribution, rng: np.random.Generator) -> tp.TokenDistribution:
    """`d` (its candidates not read yet) with some logprobs NaN (what no parse gives)."""
    lp, top = d.logprobs.copy(), d.top_logprobs.copy()
    lp[rng.random(lp.shape) < 0.3] = np.nan
    if top.size:
        top[rng.random(top.shape) < 0.2] = np.nan
    # model_construct: validation refuses a NaN alternative (no parse gives one), as it should;
    # the record builder must still not be thrown by one from_columns lets through
    fields = {name: getattr(d, name) for name in type(d).model_fields}
    return type(d).model_construct(**{**fields, "logprobs": lp, "top_logprobs": top})


@pytest.mark.parametrize("name", sorted(parsed_recordings()))
def test_recorded_responses_give_the_reference_records(name: str) -> None:
    """Every recorded response that parses, as it is and with NaN logprobs."""
    rng = np.random.default_rng(0)
    for d in parsed(RECORDED / name):
        nan = with_nan(d, rng)  # before `d.candidates` is read (a copy keeps what was cached)
        check(d)
        with np.errstate(invalid="ignore"):
            check(nan)


@pytest.mark.parametrize("name", tp.examples.names())
def test_bundled_examples_give_the_reference_records(name: str) -> None:
    """The bundled examples, parsed and enlarged past the fast-path size."""
    d = tp.examples.load(name)
    check(d)
    if entries := entries_of(d):
        check_body(enlarged(entries))


@pytest.mark.parametrize("content", HARD)
def test_hard_identity_cases_give_the_reference_records(content: list[dict[str, Any]]) -> None:
    """Strings that cannot settle identity, bytes null or lying: small bodies and fast path."""
    small = enlarged([])
    small["choices"][0]["logprobs"]["content"] = content
    check_body(small)
    large = enlarged(content)
    assert isinstance(tp.parse(json.dumps(large).encode()).top_bytes, KeyedByteRows)
    check_body(large)
    check_body(large, separators=(",", ":"))


def test_vllm_token_ids_and_out_of_order_alternatives_give_the_reference_records() -> None:
    """`token_id:N` strings (near misses too), unsorted alternatives, the sampled one outside."""
    content = [
        pos(alt("token_id:42", [52]), alt("token_id:42", [52], -0.1), alt("token_id:7", [55], -2)),
        pos(alt("token_id:3x", [51]), alt("b", [98], -3.0), alt("a", [97], -0.5)),
        pos(alt("c", [99], -4.0), alt("a", [97], -0.5), alt("b", [98], -1.5)),
        pos(alt("my token_id:5", None), alt("my token_id:5", None, -0.2)),
    ]
    small = enlarged([])
    small["choices"][0]["logprobs"]["content"] = content
    check_body(small)
    check_body(enlarged(content), separators=(",", ":"))


_POOL = ["a", " a", "", "\ufffd", "\\xe2\\x80", "bytes:\\xe2\\x80", "A", "\\x41", "é", "token_id:9"]
_BYTES = st.one_of(
    st.none(),
    st.sampled_from([[], [97], [32, 97], [65], [226, 128], [239, 191, 189], [195, 169], [57]]),
)


@st.composite
def _entry(draw: st.DrawFn) -> dict[str, Any]:
    token = draw(st.sampled_from(_POOL))
    raw = list(token.encode()) if draw(st.booleans()) else draw(_BYTES)
    lp = draw(st.one_of(st.floats(-30.0, 0.0), st.just(-9999.0), st.just(-1.0)))
    return alt(token, raw, lp)


@st.composite
def _position(draw: st.DrawFn) -> dict[str, Any]:
    sampled = draw(_entry())
    alts = draw(st.lists(_entry(), max_size=6))
    if alts and draw(st.booleans()):
        alts.insert(draw(st.integers(0, len(alts))), dict(sampled))
    return pos(sampled, *alts)


@given(st.lists(_position(), min_size=1, max_size=6), st.integers(0, 2**32 - 1))
def test_generated_bodies_give_the_reference_records(
    content: list[dict[str, Any]], seed: int
) -> None:
    """Few strings, many byte spellings, nulls, ties, sentinels; with NaN logprobs too."""
    small = enlarged([])
    small["choices"][0]["logprobs"]["content"] = content
    check_body(small)
    with np.errstate(invalid="ignore"):  # NaN merged with a same-bytes candidate: NaN
        check(with_nan(tp.parse(small), np.random.default_rng(seed)))
    large = enlarged(content)
    assert len(json.dumps(large)) >= FAST_MIN
    check_body(large, separators=(",", ":"))


@pytest.mark.extras  # Parquet shards need pyarrow (the [distill] extra)
def test_batch_file_shards_are_the_reference_shards(tmp_path: Path) -> None:
    """A synthetic Batch file → Parquet: the same bytes as the reference records' shards."""
    rng = np.random.default_rng(3)
    bodies = [body(teacher_positions(rng, 40, 5)[1]) for _ in range(9)]
    bodies += [enlarged(p.values[0]) for p in HARD]  # type: ignore[arg-type]
    ids = batch_files(tmp_path, [f"p{i}" for i in range(len(bodies))], bodies)
    out = tmp_path / "out.jsonl"
    new = list(distill.collect([out], inputs=tmp_path / "in.jsonl"))
    assert len(new) == len(ids)
    old = [
        reference_record(d, teacher=r.teacher, input=r.input, id=r.id)
        for r, (_, d) in zip(new, batch.read_results(out), strict=True)
    ]
    assert new == old
    a = distill.write_parquet(new, tmp_path / "new", rows_per_shard=4)
    b = distill.write_parquet(old, tmp_path / "old", rows_per_shard=4)
    assert [p.name for p in a] == [p.name for p in b]
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert list(distill.read_parquet(tmp_path / "new")) == old
