"""tp.compare: per-position divergence intervals between two outputs of one text."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from tests._recorded import RECORDED

import tokenprobs as tp
from tokenprobs import metrics
from tokenprobs.comparison import ComparisonError, _compare
from tokenprobs.testing import chat_completion


def _dense(p, q):
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        js = 0.5 * (
            np.where(p > 0, p * np.log(p / m), 0.0).sum()
            + np.where(q > 0, q * np.log(q / m), 0.0).sum()
        )
        kl = np.where(p > 0, p * np.log(p / q), 0.0).sum()
    return 0.5 * np.abs(p - q).sum(), js, kl


def _responses(rng, t, v, k1, k2):
    """Two chat responses of one text from two random full distributions per position."""
    vocab = [f"w{i}" for i in range(v)]
    pos1, pos2, truth, floors = [], [], [], []
    for _ in range(t):
        p, q = rng.dirichlet(np.full(v, 0.3)), rng.dirichlet(np.full(v, 0.3))
        sampled = int(rng.choice(v, p=p))
        top1, top2 = np.argsort(-p)[:k1], np.argsort(-q)[:k2]
        pos1.append(
            (vocab[sampled], math.log(p[sampled]), [(vocab[j], math.log(p[j])) for j in top1])
        )
        pos2.append(
            (vocab[sampled], math.log(q[sampled]), [(vocab[j], math.log(q[j])) for j in top2])
        )
        truth.append(_dense(p, q))
        floors.append(float(np.log(q).min()))
    d1, d2 = tp.parse(chat_completion(pos1)), tp.parse(chat_completion(pos2))
    return d1, d2, np.array(truth), min(floors)


def test_intervals_contain_the_dense_truth():
    """On responses built from known full distributions, each position's truth is in [lo, hi]."""
    rng = np.random.default_rng(11)
    for k1, k2 in [(5, 5), (2, 7), (1, 3), (20, 20)]:
        d1, d2, truth, floor = _responses(rng, 40, 30, k1, k2)
        c = tp.compare(d1, d2, floor=floor)
        assert c.tv.shape == c.js.shape == c.kl.shape == (40, 2)
        for got, true in ((c.tv, truth[:, 0]), (c.js, truth[:, 1]), (c.kl, truth[:, 2])):
            assert np.all(got[:, 0] <= true + 1e-12)
            assert np.all(true <= got[:, 1] * (1 + 1e-12) + 1e-12)
        assert c.floor == floor
        assert np.isfinite(c.kl).all()
        assert np.isinf(tp.compare(d1, d2).kl[:, 1]).any()  # no floor: no upper bound


def test_equals_the_metrics_on_the_aligned_candidates():
    """compare() is the metrics on align()'s rows with each side's cap (no rule of its own)."""
    rng = np.random.default_rng(2)
    d1, d2, _, _ = _responses(rng, 12, 15, 4, 6)
    c = tp.compare(d1, d2)
    for i, row in enumerate(tp.models.align(d1.candidates, d2.candidates)):
        p, q = row.logprobs
        np.testing.assert_allclose(
            c.tv[i], metrics.tv_bounds(p, q, cap_p=row.cap[0], cap_q=row.cap[1])
        )
        np.testing.assert_allclose(
            c.kl[i], metrics.kl_bounds(p, q, cap_p=row.cap[0], cap_q=row.cap[1])
        )
        assert c.shared[i] == int((~np.isnan(p) & ~np.isnan(q)).sum())
    np.testing.assert_array_equal(c.tail, np.stack([d1.candidates.tail, d2.candidates.tail], 1))
    assert len(c) == len(d1)


def test_a_distribution_against_itself():
    """A recorded response against itself: every lower end is 0 and TV's upper end is its tail."""
    d = tp.parse((RECORDED / "chat_gpt-4o-mini_top2_openai_apiref_example.json").read_bytes())
    c = tp.compare(d, d)
    np.testing.assert_allclose(c.tv[:, 0], 0.0, atol=1e-15)
    np.testing.assert_allclose(c.js[:, 0], 0.0, atol=1e-15)
    np.testing.assert_allclose(c.kl[:, 0], 0.0, atol=1e-12)
    np.testing.assert_allclose(c.tv[:, 1], d.candidates.tail, atol=1e-12)


def test_bytes_not_strings_key_the_union():
    r"""Two spellings of one token (a \xNN string and its text) are one key in the comparison."""
    a = tp.parse(chat_completion([("é", -0.1, [("é", -0.1), ("e", -2.5)])]))
    b = tp.parse(chat_completion([(b"\xc3\xa9", -0.1, [(b"\xc3\xa9", -0.1), ("e", -2.5)])]))
    c = tp.compare(a, b)
    assert c.shared.tolist() == [2]
    np.testing.assert_allclose(c.tv[0, 0], 0.0, atol=1e-15)


@pytest.mark.parametrize(
    ("second", "match"),
    [
        pytest.param([("Yes", -0.1, []), ("!", -0.1, [])], "same text, got 1 and 2", id="length"),
        pytest.param([("No", -0.1, [])], "differ at position 0", id="text"),
    ],
)
def test_different_texts_are_refused(second, match):
    """Outputs of different texts raise a ComparisonError that says how to fix it."""
    a = tp.parse(chat_completion([("Yes", -0.1, [])]))
    with pytest.raises(ComparisonError, match=match) as info:
        tp.compare(a, tp.parse(chat_completion(second)))
    assert isinstance(info.value, tp.TokenprobsError)
    assert "tp.score" in str(info.value)


def test_doctests():
    """compare()'s docstring example gives what it shows."""
    result = doctest.testmod(_compare, raise_on_error=False)
    assert result.attempted >= 4
    assert result.failed == 0


@pytest.mark.parametrize("floor", [0.0, -0.01, -1.0, False])
def test_a_floor_the_data_contradict_is_refused(floor):
    """Q returned "Maybe" at -1.5 and a tail of 0.17: a floor above log 0.17 is a contradiction."""
    a = tp.parse(chat_completion([("Yes", -0.2, [("Yes", -0.2), ("No", -1.8)])]))
    b = tp.parse(chat_completion([("Yes", -0.5, [("Yes", -0.5), ("Maybe", -1.5)])]))
    with pytest.raises(ValueError, match="floor"):
        tp.compare(a, b, floor=floor)
    if floor is not False:
        with pytest.raises(ValueError, match=r"at position 0: .* at most -1\.7694"):
            tp.compare(a, b, floor=floor)
    lo, hi = tp.compare(a, b, floor=-2.0).kl[0]
    assert hi > lo


@pytest.mark.parametrize(
    ("d1", "d2", "got"),
    [
        pytest.param(5, None, "got an int,", id="int"),
        pytest.param(None, 5, "got None,", id="none"),
        pytest.param("text", None, "got a str,", id="str"),
    ],
)
def test_what_is_no_distribution_is_named_with_its_article(d1, d2, got):
    """The TypeError compare documents read "got a int" and "got a NoneType"."""
    with pytest.raises(TypeError, match=f"compare\\(d1, d2\\) takes a TokenDistribution: {got}"):
        tp.compare(d1, d2)
    assert "TypeError: `d1` or `d2` is not a `TokenDistribution`" in (tp.compare.__doc__ or "")


@pytest.mark.parametrize("logprob", [0.3, 0.01], ids=["0.3", "0.01"])
def test_a_positive_logprob_is_read_as_zero_not_refused_as_a_cap(logprob):
    """A server's rounding gave the one alternative logprob > 0: compare reads it as 0.

    Was: a ValueError "cap_p is a logprob (<= 0) ... got 0.3", about an argument no caller of
    compare() passes.
    """
    with pytest.warns(tp.TokenprobsWarning, match="logprob"):
        rounded = tp.parse(chat_completion([("Yes", logprob, [("Yes", logprob)])]))
    exact = tp.parse(chat_completion([("Yes", 0.0, [("Yes", 0.0)])]))
    other = tp.parse(chat_completion([("Yes", -0.5, [("Yes", -0.5), ("No", -1.0)])]))
    for got, want in [
        (tp.compare(rounded, other), tp.compare(exact, other)),
        (tp.compare(other, rounded), tp.compare(other, exact)),
    ]:
        for name in ("tv", "js", "kl"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name))


@pytest.mark.parametrize(
    "floor",
    [
        pytest.param(-30, id="int"),
        pytest.param(np.int64(-30), id="np.int64"),
        pytest.param(np.float32(-30.5), id="np.float32"),
    ],
)
def test_the_floor_is_kept_as_a_float(floor):
    """`Comparison.floor` is `float | None`: was the int or numpy scalar as given."""
    a = tp.parse(chat_completion([("Yes", -0.2, [("Yes", -0.2), ("No", -1.8)])]))
    b = tp.parse(chat_completion([("Yes", -0.5, [("Yes", -0.5), ("Maybe", -1.5)])]))
    got = tp.compare(a, b, floor=floor).floor
    assert type(got) is float
    assert got == float(floor)


def test_the_repr_of_a_long_comparison_stays_short():
    """Was every aligned row written out: 1.8 MB (1.2 s) for a 10,000-token answer."""
    positions = [(f"t{i}", -0.1, [(f"t{i}", -0.1), (f"u{i}", -2.5)]) for i in range(2000)]
    d = tp.parse(chat_completion(positions))
    shown = repr(tp.compare(d, d))
    assert len(shown) < 2000
    assert shown.startswith("Comparison(tv=array(")
    assert shown.endswith("floor=None, positions=<2,000 aligned positions>)")


@pytest.mark.parametrize(
    "low",
    [pytest.param(-1000.0, id="-1000"), pytest.param(-3.4028234663852886e38, id="float32-min")],
)
def test_an_alternative_of_probability_zero_caps_nothing(low):
    """Q's least alternative underflows to probability 0 (a masked token's float32 minimum).

    Was: a ValueError "cap_q=... gives a token not returned no mass", about an argument no
    caller of compare() passes; with a floor and no tail, an OverflowError. Now that cap is
    dropped (as `-inf` and the sentinel are) and Q's tail alone bounds what it did not return.
    """
    p = tp.parse(chat_completion([("a", -0.5, [("a", -0.5), ("b", -1.0)])]))
    q = tp.parse(chat_completion([("a", -0.7, [("a", -0.7), ("x", low)])]))
    c = tp.compare(p, q)
    (row,) = tp.models.align(p.candidates, q.candidates)
    first, second = row.logprobs
    want = metrics.tv_bounds(first, second, cap_p=row.cap[0], cap_q=math.nan)
    np.testing.assert_allclose(c.tv[0], want)
    assert (c.kl[:, 0] <= c.kl[:, 1]).all()
    whole = tp.parse(chat_completion([("a", 0.0, [("a", 0.0), ("x", low)])]))
    kl = tp.compare(p, whole, floor=-30.0).kl
    assert kl[0, 0] <= kl[0, 1]


@pytest.mark.parametrize(
    ("first", "second", "says"),
    [
        pytest.param(
            [("Hel", -0.2, []), ("lo", -0.1, [])],
            [("He", -0.2, []), ("llo", -0.1, [])],
            r"spell the same text in different tokens from position 0 \(b'Hel' against b'He'",
            id="same-length",
        ),
        pytest.param(
            [("Hel", -0.2, []), ("lo", -0.1, [])],
            [("Hello", -0.2, [])],
            r"same text in different tokens from position 0 .*2 and 1 positions",
            id="other-length",
        ),
    ],
)
def test_one_text_in_two_tokenisations_is_named_as_such(first, second, says):
    """Two tokenizers spell one text: was "differ at position 0 ... slice both to (d[:0])".

    The texts are the same, so "outputs of the same text" and slicing to nothing misled.
    """
    with pytest.raises(ComparisonError, match=says) as info:
        tp.compare(tp.parse(chat_completion(first)), tp.parse(chat_completion(second)))
    said = str(info.value)
    assert "d[:0]" not in said
    assert "d1[:0]" not in said
    assert "tokenizer" in said
    assert "tp.score" in said


def test_outputs_that_part_after_a_shared_prefix_are_sliced_to_it():
    """Different lengths that differ early: was "got 3 and 2 positions ... (d[:n])", no n."""
    a = tp.parse(chat_completion([("Hi", -0.1, []), (" there", -0.2, []), ("!", -0.1, [])]))
    b = tp.parse(chat_completion([("Hi", -0.1, []), (" you", -0.3, [])]))
    with pytest.raises(ComparisonError, match=r"differ at position 1 \(b' there' against b' you'"):
        tp.compare(a, b)
    with pytest.raises(ComparisonError, match=r"d1\[:1\], d2\[:1\]"):
        tp.compare(a, b)
    prefix = tp.parse(chat_completion([("Hi", -0.1, []), (" there", -0.2, [])]))
    with pytest.raises(ComparisonError, match=r"got 3 and 2 positions.*d1\[:2\], d2\[:2\]"):
        tp.compare(a, prefix)
    c = tp.compare(a[:1], b[:1])
    assert len(c) == 1
    ended = tp.parse(chat_completion([("Hi", -0.1, []), ("", -0.1, [])]))  # an empty last token
    with pytest.raises(ComparisonError, match=r"got 1 and 2 positions.*d1\[:1\], d2\[:1\]"):
        tp.compare(a[:1], ended)


def test_a_text_differing_from_its_first_token_suggests_no_empty_slice():
    """Was "slice both to the common prefix (d[:0])": a comparison of nothing."""
    a = tp.parse(chat_completion([("Yes", -0.1, [])]))
    with pytest.raises(ComparisonError, match="differ at position 0") as info:
        tp.compare(a, tp.parse(chat_completion([("No", -0.1, [])])))
    assert "[:0]" not in str(info.value)


@pytest.mark.parametrize("empty_first", [True, False])
def test_an_output_without_positions_suggests_no_empty_slice(empty_first):
    """Was "the shorter a prefix of the longer: slice both to it (d1[:0], d2[:0])"."""
    a = tp.parse(chat_completion([("Yes", -0.1, []), ("!", -0.2, [])]))
    pair = (a[:0], a) if empty_first else (a, a[:0])
    with pytest.raises(ComparisonError, match="an output without positions") as info:
        tp.compare(*pair)
    assert "[:0]" not in str(info.value)
