"""Sequence uncertainty scores: uqlm's and lm-polygraph's own numbers, and the honest top-k parts.

The reference numbers in tests/fixtures/uncertainty_peers.json were made once by
scripts/record_uncertainty_peers.py, which runs the released uqlm 0.6.7 and lm-polygraph 0.7.0
code (their wheels' own modules) on the inputs stored next to them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import tokenprobs as tp
from tokenprobs import labels
from tokenprobs.testing import chat_completion

FIXTURE = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "uncertainty_peers.json").read_text("utf-8")
)
DS = [
    tp.parse(chat_completion([(tok, lp, [tuple(a) for a in top]) for tok, lp, top in seq]))
    for seq in FIXTURE["inputs"]
]
# Both sides compute in float64 from the same 6-decimal logprobs; the only difference is the
# order of summation (bincount vs np.sum / scipy), worth a few ulps: 1e-12 relative is ample.
# The negentropy 1 - H/log k cancels when H is near log k (near-uniform top-k), so its error is
# absolute, about one ulp of 1 (2.2e-16): ATOL 1e-14 covers that and nothing of the scores' size.
RTOL = 1e-12
ATOL = 1e-14

OURS = {
    "uqlm.sequence_probability(length_normalize=True)": labels.sequence_probability,
    "uqlm.sequence_probability(length_normalize=False)": lambda d: labels.sequence_probability(
        d, length_normalize=False
    ),
    "uqlm.min_probability": labels.min_probability,
    "uqlm.mean_token_negentropy": lambda d: labels.mean_token_negentropy(d, top_k=FIXTURE["top_k"]),
    "uqlm.min_token_negentropy": lambda d: labels.min_token_negentropy(d, top_k=FIXTURE["top_k"]),
    "uqlm.probability_margin": labels.probability_margin,
    "lm_polygraph.MaximumSequenceProbability": labels.maximum_sequence_probability,
    "lm_polygraph.Perplexity": labels.log_perplexity,
    "lm_polygraph.MeanTokenEntropy": labels.mean_token_entropy,
}


def _expected(name):
    return np.array([np.nan if v is None else v for v in FIXTURE["scores"][name]])


def test_fixture_covers_every_score():
    """Every recorded peer score has a function here, and every input has a number."""
    assert set(FIXTURE["scores"]) == set(OURS)
    assert all(len(v) == len(DS) for v in FIXTURE["scores"].values())


@pytest.mark.parametrize("name", sorted(OURS))
def test_one_distribution_matches_peer(name):
    """Each score of one distribution equals the peer library's number for it."""
    got = np.array([OURS[name](d) for d in DS])
    np.testing.assert_allclose(got, _expected(name), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", sorted(OURS))
def test_many_matches_one_by_one(name):
    """The vectorised form over many gives, row by row, what each distribution gives alone."""
    many = OURS[name](DS)
    assert isinstance(many, np.ndarray)
    assert many.shape == (len(DS),)
    np.testing.assert_allclose(many, _expected(name), rtol=RTOL, atol=ATOL)


def test_all_at_once_matches_functions():
    """`uncertainty_scores` gives every function's array, for the same inputs."""
    s = labels.uncertainty_scores(DS, top_k=FIXTURE["top_k"])
    pairs = {
        "sequence_probability": "uqlm.sequence_probability(length_normalize=True)",
        "sequence_probability_product": "uqlm.sequence_probability(length_normalize=False)",
        "min_probability": "uqlm.min_probability",
        "mean_token_negentropy": "uqlm.mean_token_negentropy",
        "min_token_negentropy": "uqlm.min_token_negentropy",
        "probability_margin": "uqlm.probability_margin",
        "maximum_sequence_probability": "lm_polygraph.MaximumSequenceProbability",
        "log_perplexity": "lm_polygraph.Perplexity",
        "mean_token_entropy": "lm_polygraph.MeanTokenEntropy",
    }
    for field, name in pairs.items():
        np.testing.assert_allclose(getattr(s, field), _expected(name), rtol=RTOL, atol=ATOL)
    assert set(s.to_dict()) == set(pairs)


def test_negentropy_skips_positions_with_fewer_alternatives():
    """Sequence 6 alternates 3 and 5 alternatives: only the 5-alternative positions count (uqlm)."""
    d = DS[6]
    k5 = [i for i in range(len(d)) if len(d.top_tokens[i]) == FIXTURE["top_k"]]
    assert 0 < len(k5) < len(d)
    h = d.entropy[k5]
    assert labels.mean_token_negentropy(d) == pytest.approx(
        float(np.mean(1 - h / math.log(5))), rel=1e-12
    )


def _d(*positions):
    return tp.parse(chat_completion(list(positions)))


@pytest.mark.parametrize(
    ("d", "score", "expected"),
    [
        pytest.param(
            _d(("a", -0.1, [("a", -0.1)]), ("b", -9999.0, [("c", -0.2)])),
            labels.maximum_sequence_probability,
            math.inf,
            id="sentinel-makes-msp-infinite",
        ),
        pytest.param(
            _d(("a", -0.1, [("a", -0.1)]), ("b", -9999.0, [("c", -0.2)])),
            labels.min_probability,
            0.0,
            id="sentinel-is-probability-zero",
        ),
        pytest.param(_d(), labels.sequence_probability, math.nan, id="empty-is-nan"),
        pytest.param(
            _d(("a", -0.1, [("a", -0.1)])),
            labels.probability_margin,
            math.nan,
            id="one-alt-no-margin",
        ),
        pytest.param(
            _d(("a", -0.1, [("a", -0.1)])),
            labels.mean_token_negentropy,
            math.nan,
            id="k1-no-negentropy",
        ),
        pytest.param(
            _d(("a", -1.5, [("b", -1.0), ("c", -1.2)])),
            labels.mean_token_entropy,
            -sum(math.exp(x) * x for x in (-1.0, -1.2, -1.5)),
            id="sampled-outside-top-k-counts-once",
        ),
        pytest.param(
            _d(("a", -0.5, [("a", -0.5), ("a", -0.5), ("b", -1.5)])),
            labels.mean_token_entropy,
            -sum(math.exp(x) * x for x in (-0.5, -1.5)),
            id="duplicate-alternative-counts-once",
        ),
    ],
)
def test_edge_rows(d, score, expected):
    """One row per rule: sentinel, empty, too few alternatives, the sampled token and duplicates."""
    got = score(d)
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, rel=1e-12)


def test_entropy_bounds_contain_the_top_k_part():
    """The top-k sum is a lower bound: inside or under `mean_token_entropy_bounds`, per row."""
    b = labels.mean_token_entropy_bounds(DS, vocab_size=30)
    partial = labels.mean_token_entropy(DS)
    assert b.shape == (len(DS), 2)
    assert np.all(b[:, 0] <= b[:, 1])
    assert np.all(partial <= b[:, 0] + 1e-12)
    one = labels.mean_token_entropy_bounds(DS[3], vocab_size=30)
    assert one == pytest.approx(tuple(b[3]), rel=1e-12)
    per_position = DS[3].entropy_bounds(vocab_size=30).mean(axis=0)
    assert one == pytest.approx(tuple(per_position), rel=1e-12)


def test_full_distribution_bounds_are_the_entropy():
    """With the whole vocabulary returned (no tail), the bounds close on the true entropy."""
    lps = np.log([0.5, 0.3, 0.2])
    d = _d(("a", float(lps[0]), [("a", float(lps[0])), ("b", float(lps[1])), ("c", float(lps[2]))]))
    h = float(-(np.exp(lps) * lps).sum())
    lo, hi = labels.mean_token_entropy_bounds(d, vocab_size=3)
    assert lo == pytest.approx(h, rel=1e-12)
    assert hi == pytest.approx(h, rel=1e-12)
    assert labels.mean_token_entropy(d) == pytest.approx(h, rel=1e-12)


def test_failed_request_in_many_is_a_type_error():
    """An exception among the inputs is refused with the fix, not silently scored."""
    with pytest.raises(TypeError, match="filter failed requests out first"):
        labels.sequence_probability([DS[0], RuntimeError("boom")])  # type: ignore[list-item]
