"""combine(): support rules, cap imputation, renormalisation, certification, the report."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tokenprobs as tp
from tokenprobs import proxy
from tokenprobs.proxy import _combine
from tokenprobs.testing import chat_completion


def top(*alts: tuple[str, float], sampled: str | None = None) -> tp.TokenDistribution:
    """One position whose alternatives are `alts` (the sampled token the first unless given)."""
    lp = dict(alts)
    token = alts[0][0] if sampled is None else sampled
    return tp.parse(chat_completion([(token, lp.get(token, -9.0), list(alts))]))


def view(logprobs: np.ndarray, k: int) -> tp.TokenDistribution:
    """What an API returns from a full distribution over tokens `t0 … t{V-1}`: its top k."""
    order = np.argsort(-logprobs, kind="stable")[:k]
    alts = [(f"t{j}", float(logprobs[j])) for j in order]
    return tp.parse(chat_completion([(alts[0][0], alts[0][1], alts)]))


def dense(logprobs: np.ndarray) -> proxy.DenseLogprobs:
    """A dense scorer's answer at one position over `t0 … t{V-1}`."""
    vocab = [f"t{j}".encode() for j in range(logprobs.shape[0])]
    return proxy.DenseLogprobs.from_logits(logprobs[None, :], vocab)


def softmax(s: dict[str, float]) -> dict[str, float]:
    """The normalised exponentials of a dict of scores."""
    z = math.log(sum(math.exp(v) for v in s.values()))
    return {k: math.exp(v - z) for k, v in s.items()}


def probs(step: proxy.ProxyStep) -> dict[str, float]:
    """The combined probabilities at the first position, by token."""
    d = step.distribution
    return dict(zip(d.top_tokens[0], np.exp(d.top_logprobs[0]).tolist(), strict=True))


@pytest.mark.parametrize("module", [_combine, proxy], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    """Every `>>>` example in the proxy module docstrings gives the output it shows."""
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


BASE = top(("A", -0.5), ("B", -1.5), ("C", -2.5))
EXPERT = top(("B", -0.5), ("D", -1.5), ("A", -2.5))
ANTI = top(("A", -0.5), ("B", -1.5), ("C", -3.0))


@pytest.mark.parametrize(
    ("support", "candidates"),
    [
        pytest.param("base", {"A", "B", "C"}, id="base: the base's top-k only (paper §7)"),
        pytest.param("union", {"A", "B", "C", "D"}, id="union: base + expert"),
        pytest.param("intersection", {"A", "B"}, id="intersection: what all three returned"),
    ],
)
def test_support_rules(support, candidates):
    """Each support rule gives its candidate set, renormalised to 1 with no tail."""
    step = proxy.combine(BASE, EXPERT, ANTI, support=support)
    d = step.distribution
    assert set(d.top_tokens[0]) == candidates
    assert math.isclose(float(np.exp(d.top_logprobs[0]).sum()), 1.0, rel_tol=1e-12)
    assert d.tail_mass[0] == pytest.approx(0.0, abs=1e-12)


def test_cap_imputation_values():
    """Each missing value is that model's cap: the least likely token it returned."""
    step = proxy.combine(BASE, EXPERT, ANTI, alpha=1.0, support="union")
    cap_b, cap_e, cap_a = -2.5, -2.5, -3.0  # each tail is larger: the caps bind
    scores = {
        "A": -0.5 + (-2.5 - -0.5),
        "B": -1.5 + (-0.5 - -1.5),
        "C": -2.5 + (cap_e - -3.0),
        "D": cap_b + (-1.5 - cap_a),
    }
    want = softmax(scores)
    got = probs(step)
    assert got == pytest.approx(want, rel=1e-12)
    assert step.distribution.tokens == [max(want, key=want.__getitem__)]
    assert step.imputed_mass[0] == pytest.approx(want["C"] + want["D"], rel=1e-12)


def test_tail_bounds_an_unseen_token_when_smaller_than_the_cap():
    """A top-1 answer of p = 0.9: an unseen token has at most the tail, 0.1, not the cap 0.9."""
    base = top(("a", math.log(0.9)))
    expert = top(("b", math.log(0.5)), ("a", math.log(0.4)))
    anti = top(("a", math.log(0.5)), ("b", math.log(0.4)))
    step = proxy.combine(base, expert, anti, support="union")
    bound = math.log(0.1 + _combine.TAIL_SLACK)
    scores = {"a": math.log(0.9) + math.log(0.4 / 0.5), "b": bound + math.log(0.5 / 0.4)}
    got = probs(step)
    assert got == pytest.approx(softmax(scores), rel=1e-12)


def test_alpha_scales_the_delta_and_zero_is_the_base():
    """alpha=0 gives the base renormalised over the candidates; alpha scales the delta."""
    step = proxy.combine(BASE, EXPERT, ANTI, alpha=0.0, support="base")
    want = softmax({"A": -0.5, "B": -1.5, "C": -2.5})
    got = probs(step)
    assert got == pytest.approx(want, rel=1e-12)
    half = proxy.combine(BASE, EXPERT, ANTI, alpha=0.5, support="base")
    want = softmax({"A": -0.5 + 0.5 * -2.0, "B": -1.5 + 0.5 * 1.0, "C": -2.5 + 0.5 * 0.5})
    got = probs(half)
    assert got == pytest.approx(want, rel=1e-12)


def test_intersection_drops_the_token_the_expert_promotes():
    """The known bias: intersection loses a token the expert likes and the anti-expert lacks."""
    base = top(("x", -0.2), ("y", -2.0), ("z", -3.0))
    expert = top(("y", -0.1), ("x", -3.0))
    anti = top(("x", -0.1), ("z", -2.5))  # y missing: the anti-expert finds it very unlikely
    assert proxy.combine(base, expert, anti, support="union").distribution.tokens == ["y"]
    assert proxy.combine(base, expert, anti, support="intersection").distribution.tokens == ["x"]


def test_empty_intersection_falls_back_to_the_base_token():
    """With nothing in common, intersection keeps the base's top token (nudging's rule)."""
    step = proxy.combine(
        top(("a", -0.1)), top(("b", -0.1)), top(("c", -0.1)), support="intersection"
    )
    assert step.distribution.tokens == ["a"]
    assert step.distribution.top_tokens == [["a"]]


def test_report_coverage_and_changed():
    """base_coverage is the base's returned mass; changed says the argmax moved off the base's."""
    step = proxy.combine(BASE, EXPERT, ANTI)
    covered = math.exp(-0.5) + math.exp(-1.5) + math.exp(-2.5)
    assert step.base_coverage[0] == pytest.approx(covered, rel=1e-12)
    assert step.changed.tolist() == [step.distribution.tokens[0] != "A"]
    assert (step.support, step.alpha, step.floor, len(step)) == ("union", 1.0, None, 1)


@pytest.mark.parametrize(
    ("floor", "certified"),
    [
        pytest.param(None, False, id="no floor: an unseen anti-expert value could be -inf"),
        pytest.param(-30.0, False, id="floor -30: an unseen token could still be promoted by 27"),
        pytest.param(-4.0, True, id="floor -4: no unseen token can catch up"),
    ],
)
def test_sparse_certification_needs_a_floor(floor, certified):
    """With sparse small models, certification rests on the stated floor."""
    base = top(("a", -0.05), ("b", -3.5))
    expert = top(("a", -0.1), ("b", -3.0))
    anti = top(("a", -0.1), ("b", -3.0))
    step = proxy.combine(base, expert, anti, floor=floor)
    assert step.distribution.tokens == ["a"]
    assert step.certified.tolist() == [certified]


def test_dense_certification_exact_rule():
    """Dense pair: certified iff s(t*) beats the base's bound plus the largest unseen delta."""
    full_b = np.log(np.array([0.6, 0.3, 0.04, 0.03, 0.03]))
    base = view(full_b, 2)  # returns t0, t1; the unseen t2..t4 are at most log 0.1 (the tail)
    e = np.log(np.array([0.3, 0.3, 0.1, 0.1, 0.2]))
    a = np.log(np.array([0.3, 0.3, 0.1, 0.2, 0.1]))
    step = proxy.combine(base, dense(e), dense(a))
    # s(t0) = log 0.6; the best unseen: t4 with delta log 2 and base at most log(0.1 + slack)
    bound = math.log(0.1 + _combine.TAIL_SLACK) + math.log(2.0)
    assert step.distribution.tokens == ["t0"]
    assert step.certified.tolist() == [math.log(0.6) > bound]
    weak = proxy.combine(base, dense(e), dense(a), alpha=3.0)  # 3·log 2 lifts t4 past t0
    assert weak.certified.tolist() == [False]


def test_dense_union_adds_the_expert_top_k():
    """A dense expert contributes as many of its top tokens as the base returned."""
    full_b = np.log(np.array([0.5, 0.3, 0.1, 0.05, 0.05]))
    e = np.log(np.array([0.1, 0.1, 0.1, 0.1, 0.6]))
    a = np.log(np.full(5, 0.2))
    step = proxy.combine(view(full_b, 2), dense(e), dense(a))
    assert set(step.distribution.top_tokens[0]) == {"t0", "t1", "t4"}
    assert step.imputed_mass[0] > 0  # t4's base value is imputed


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(-8, 0), min_size=6, max_size=12),
    st.integers(1, 5),
    st.integers(0, 2**32 - 1),
    st.sampled_from([0.5, 1.0, 2.0]),
)
def test_dense_certified_is_never_wrong(raw, k, seed, alpha):
    """Where certified, the argmax is full-vocabulary proxy-tuning's, even for the worst truth."""
    v = len(raw)
    rng = np.random.default_rng(seed)
    shown = np.array(raw)
    shown -= np.logaddexp.reduce(shown)
    e, a = (rng.normal(0, 1.5, v) for _ in range(2))
    e -= np.logaddexp.reduce(e)
    a -= np.logaddexp.reduce(a)
    step = proxy.combine(view(shown, k), dense(e), dense(a), alpha=alpha)
    assume(bool(step.certified[0]))
    # the worst truth consistent with the view: the top-k as returned, and the unseen token the
    # delta favours most given as much mass as the view allows
    order = np.argsort(-shown, kind="stable")
    seen, unseen = order[:k], order[k:]
    delta = alpha * (e - a)
    worst = unseen[np.argmax(delta[unseen])]
    tail = 1.0 - np.exp(shown[seen]).sum()
    truth = np.full(v, -np.inf)
    truth[seen] = shown[seen]
    truth[worst] = math.log(min(math.exp(shown[seen[-1]]), tail)) if tail > 0 else -np.inf
    for truths in (shown, truth):
        exact = truths + delta
        assert int(np.argmax(exact)) == int(step.distribution.tokens[0][1:])


def test_mismatched_inputs_are_errors():
    """Unaligned lengths, unknown support, a mixed pair and a foreign token say what is wrong."""
    two = tp.parse(chat_completion([("a", -0.1, [("a", -0.1)]), ("b", -0.1, [("b", -0.1)])]))
    with pytest.raises(ValueError, match="aligned positions"):
        proxy.combine(two, BASE, ANTI)
    with pytest.raises(ValueError, match="support must be one of"):
        proxy.combine(BASE, EXPERT, ANTI, support="all")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be of one kind"):
        proxy.combine(BASE, dense(np.zeros(3)), ANTI)
    with pytest.raises(ValueError, match="is a token of the dense scorer's vocabulary"):
        proxy.combine(BASE, dense(np.zeros(3)), dense(np.zeros(3)))  # none of A, B, C is known


def test_base_tokens_the_dense_vocabulary_lacks():
    """A returned token the dense pair cannot look up is left out, counted, and bounds the rest."""
    e = np.log(np.array([0.4, 0.2, 0.2, 0.2]))
    a = np.log(np.full(4, 0.25))
    clean = top(("t0", math.log(0.7)), ("t1", math.log(0.2)), ("t2", math.log(0.02)))
    garbled = top(("t0", math.log(0.7)), ("", math.log(0.2)), ("t2", math.log(0.02)))
    ok = proxy.combine(clean, dense(e), dense(a))
    lost = proxy.combine(garbled, dense(e), dense(a))
    assert ok.unmatched_mass.tolist() == [0.0]
    assert lost.unmatched_mass[0] == pytest.approx(0.2, rel=1e-12)
    assert "" not in lost.distribution.top_tokens[0]
    assert (ok.distribution.tokens, lost.distribution.tokens) == (["t0"], ["t0"])
    # the unknown token may be t3 (delta log 0.8): 0.2 · 0.8 < 0.7 · 1.6, so still certified
    assert (ok.certified.tolist(), lost.certified.tolist()) == ([True], [True])
    weak = proxy.combine(garbled, dense(e), dense(a), alpha=-3.0)  # now t3 could win
    assert weak.certified.tolist() == [False]


def test_a_token_both_small_models_mask_is_left_out():
    """-inf in both dense logprobs (a shared mask) takes the token out, never a NaN distribution."""
    base = top(("t0", -0.3), ("t1", -1.5))
    e = dense(np.array([1.0, -np.inf, 0.0]))
    a = dense(np.array([0.0, -np.inf, 1.0]))
    for support in ("base", "union"):
        step = proxy.combine(base, e, a, support=support)
        got = probs(step)
        assert "t1" not in got
        assert all(math.isfinite(p) for p in got.values())
        assert math.isclose(sum(got.values()), 1.0)
    only = proxy.combine(base, e, a, support="base")
    assert probs(only) == {"t0": 1.0}
    assert only.certified.tolist() == [True]  # t2's delta is -1, t1 is masked: t0 stays ahead


def test_a_token_only_the_anti_expert_masks_takes_the_mass():
    """Expert finite, anti -inf: the limit of p_B (p_E / p_A)^alpha puts all the mass there."""
    base = top(("t0", -0.3), ("t1", -1.5))
    step = proxy.combine(base, dense(np.zeros(2)), dense(np.array([0.0, -np.inf])))
    assert probs(step) == {"t1": 1.0}


def test_every_candidate_masked_is_an_error():
    """Nothing left to choose from is a ValueError naming the position, not a NaN row."""
    base = top(("t0", -0.3), ("t1", -1.5))
    e = dense(np.array([-np.inf, -np.inf, 0.0]))
    with pytest.raises(ValueError, match=r"every candidate at position 0 .* -inf"):
        proxy.combine(base, e, dense(np.zeros(3)), support="base")


@pytest.mark.parametrize("support", ["union", "base", "intersection"])
def test_a_dense_pair_of_another_tokenizer_is_named_not_called_an_empty_base(support):
    """Said 'the base returned no token': it did, but none is in the dense vocabulary."""
    base = tp.parse(
        chat_completion(
            [
                ("t0", -0.1, [("t0", -0.1), ("t1", -2.5)]),
                ("x", -0.1, [("x", -0.1), ("y", -2.5), ("z", -3.0), ("w", -4.0), ("v", -5.0)]),
            ]
        )
    )
    vocab = [b"t0", b"t1"]
    e = proxy.DenseLogprobs.from_logits([[0.0, 1.0], [0.0, 1.0]], vocab)
    words = (
        r"^none of the base's returned tokens at position 1 \(b'x', b'y', b'z' and 2 more\) is a "
        r"token of the dense scorer's vocabulary: the base's tokenizer is not the small pair's; "
        r".*proxy\.BytePrefix\(scorer\)\.at\(context, base\)"
    )
    with pytest.raises(ValueError, match=words):
        proxy.combine(base, e, e, support=support)


def test_a_base_position_whose_tokens_have_no_bytes_says_so():
    """Tokens a lossy server sent with no bytes were reported as no token returned at all."""
    lossy = tp.parse(chat_completion([("t0", -0.1, [("t0", -0.1)]), ("", -0.1, [("", -0.1)])]))
    pairs = [
        proxy.DenseLogprobs.from_logits(np.zeros((2, 1)), [b"t0"]),
        proxy.PrefixLogprobs(({b"t0": -0.5}, {})),
    ]
    for pair in pairs:
        with pytest.raises(ValueError, match=r"^the base's returned tokens at position 1 all have"):
            proxy.combine(lossy, pair, pair, support="base")


def test_prefix_values_for_none_of_the_base_tokens_say_how_to_build_them():
    """PrefixLogprobs of another base (or rows left empty) were blamed on the base."""
    base = top(("t0", -0.3), ("t1", -1.5))
    other = proxy.PrefixLogprobs(({b"q": -0.2},))
    words = (
        r"^the small pair's byte-prefix values at position 0 hold none of the base's returned "
        r"tokens \(b't0', b't1'\): build them from this base with BytePrefix\.at\(context, base\)"
    )
    with pytest.raises(ValueError, match=words):
        proxy.combine(base, other, other, support="base")
