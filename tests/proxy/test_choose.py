"""choose(): one-step multiple choice over option tokens, coverage reported (the paper's §7)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tokenprobs as tp
from tokenprobs import proxy
from tokenprobs.testing import chat_completion

OPTIONS = ["A", "B", "C", "D"]


def top(*alts: tuple[str, float]) -> tp.TokenDistribution:
    """One position whose alternatives are `alts`, the first sampled."""
    return tp.parse(chat_completion([(alts[0][0], alts[0][1], list(alts))]))


def dense(probs: dict[str, float]) -> proxy.DenseLogprobs:
    """A dense answer over the option tokens, their spaced variants and a filler token."""
    vocab = [*(o.encode() for o in OPTIONS), *(b" " + o.encode() for o in OPTIONS), b"x"]
    p = np.array([probs.get(k.decode(), 1e-3) for k in vocab])
    return proxy.DenseLogprobs.from_logits(np.log(p)[None, :], vocab)


def test_reweighs_only_the_options():
    """The combined scores over the options decide; the expert's delta can flip the base."""
    base = top(("A", math.log(0.5)), ("B", math.log(0.3)), ("C", math.log(0.1)))
    expert = dense({"A": 0.1, "B": 0.6, "C": 0.1, "D": 0.1})
    anti = dense({"A": 0.4, "B": 0.2, "C": 0.2, "D": 0.1})
    got = proxy.choose("Q?", OPTIONS, base=base, expert=expert, anti=anti)
    assert (got.option, got.base_option, got.covered, got.imputed) == ("B", "A", True, ("D",))
    scores = {
        "A": math.log(0.5) + math.log(0.1 / 0.4),
        "B": math.log(0.3) + math.log(0.6 / 0.2),
        "C": math.log(0.1) + math.log(0.1 / 0.2),
        "D": math.log(0.1) + math.log(0.1 / 0.1),  # D imputed at the base's cap, log 0.1
    }
    z = math.log(sum(math.exp(v) for v in scores.values()))
    assert got.probs == pytest.approx({o: math.exp(v - z) for o, v in scores.items()}, rel=1e-9)
    assert got.base_coverage == pytest.approx(0.9, rel=1e-12)
    assert got.certified  # D's true base value is at most 0.1: it cannot catch B


def test_uncovered_question_is_answered_and_flagged():
    """No option in the base's top-k: the paper dropped it; choose answers and says so."""
    base = top(("The", math.log(0.6)), ("It", math.log(0.3)))
    expert = dense({"A": 0.1, "B": 0.6, "C": 0.1, "D": 0.1})
    anti = dense({"A": 0.25, "B": 0.25, "C": 0.25, "D": 0.25})
    got = proxy.choose("Q?", OPTIONS, base=base, expert=expert, anti=anti)
    assert (got.covered, got.base_option, got.base_coverage) == (False, None, 0.0)
    assert got.imputed == tuple(OPTIONS)
    assert got.option == "B"
    assert not got.certified


def test_leading_space_variants_add_up():
    """' A' counts as option A: the base's two spellings add up."""
    base = top(("A", math.log(0.3)), (" B", math.log(0.25)), ("B", math.log(0.2)))
    flat = dense({})
    got = proxy.choose("Q?", OPTIONS, base=base, expert=flat, anti=flat)
    assert got.option == "B"
    assert got.base_option == "B"
    off = proxy.choose("Q?", OPTIONS, base=base, expert=flat, anti=flat, leading_space=False)
    assert off.option == "A"


def test_callables_are_called_with_the_prompt():
    """Each model may be a callable from the prompt to its answer."""
    seen = []
    base = top(("A", math.log(0.6)), ("B", math.log(0.3)))

    def ask(prompt):
        seen.append(prompt)
        return base

    flat = dense({})
    got = proxy.choose("Which?", OPTIONS, base=ask, expert=lambda _: flat, anti=lambda _: flat)
    assert (got.option, seen) == ("A", ["Which?"])


def test_bad_arguments():
    """One option, or a base that is not a top-k answer, are errors."""
    flat = dense({})
    with pytest.raises(ValueError, match="at least two options"):
        proxy.choose("Q", ["A"], base=top(("A", -0.1)), expert=flat, anti=flat)
    with pytest.raises(TypeError, match="base must be a TokenDistribution"):
        proxy.choose("Q", OPTIONS, base=flat, expert=flat, anti=flat)


def test_each_base_token_counts_for_one_option():
    """A repeated option, or "A" beside " A" with leading_space, would count a token twice."""
    base = top(("A", math.log(0.5)), (" A", math.log(0.3)), ("B", math.log(0.1)))
    vocab = [b"A", b"B", b" A", b" B", b"  A", b"x"]
    flat = proxy.DenseLogprobs.from_logits(np.zeros((1, len(vocab))), vocab)
    with pytest.raises(ValueError, match=r"options 'A' and ' A' both count the token b' A'"):
        proxy.choose("Q", ["A", " A", "B"], base=base, expert=flat, anti=flat)
    with pytest.raises(ValueError, match=r"option 'A' is given twice"):
        proxy.choose("Q", ["A", "A", "B"], base=base, expert=flat, anti=flat)
    apart = proxy.choose(
        "Q", ["A", " A", "B"], base=base, expert=flat, anti=flat, leading_space=False
    )
    assert apart.base_coverage == pytest.approx(0.9, rel=1e-12)
    assert apart.option == "A"


def test_options_are_non_empty_strings():
    """An empty option, a bare str or a bytes option is refused before any model is asked."""
    flat = dense({})

    def never(_prompt):
        raise AssertionError

    with pytest.raises(ValueError, match="the empty string"):
        proxy.choose("Q", ["", "B"], base=never, expert=flat, anti=flat)
    with pytest.raises(TypeError, match=r"options as a list of str .* got 'AB'"):
        proxy.choose("Q", "AB", base=never, expert=flat, anti=flat)
    with pytest.raises(TypeError, match="options as a list of str"):
        proxy.choose("Q", ["A", b"B"], base=never, expert=flat, anti=flat)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        pytest.param({"alpha": math.nan}, ValueError, "alpha must be finite", id="nan alpha"),
        pytest.param({"alpha": "1"}, TypeError, "alpha is a finite number", id="str alpha"),
        pytest.param({"floor": math.nan}, ValueError, "floor is a logprob", id="nan floor"),
        pytest.param({"floor": 5.0}, ValueError, "floor is a logprob", id="positive floor"),
        pytest.param({"floor": False}, ValueError, "floor is a logprob", id="bool floor"),
    ],
)
def test_alpha_and_floor_are_checked_as_combine_checks_them(kwargs, error, words):
    """choose() refuses what combine() refuses, with its words (no NaN probabilities)."""
    base = top(("A", -0.1), ("B", -3.0))
    expert, anti = top(("A", -0.1), ("B", -3.0)), top(("B", -0.2), ("A", -2.0))
    with pytest.raises(error, match=words):
        proxy.choose("Q", ["A", "B"], base=base, expert=expert, anti=anti, **kwargs)
    with pytest.raises(error, match=words):
        proxy.combine(base, expert, anti, **kwargs)


def masked(d: proxy.DenseLogprobs, *keys: bytes) -> proxy.DenseLogprobs:
    """`d` with the tokens `keys` masked (-inf), as a logits processor masks them."""
    logits = d.logprobs.copy()
    logits[:, [d.index[k] for k in keys]] = -np.inf
    return proxy.DenseLogprobs.from_logits(logits, d.keys)


def test_an_option_both_small_models_mask_gets_no_probability():
    """-inf for an option in both dense answers (a shared mask) is probability 0, never NaN."""
    base = top(("A", math.log(0.7)), ("B", math.log(0.2)))
    expert = masked(dense({"B": 0.5, "C": 0.5}), b"A", b" A")
    anti = masked(dense({"B": 0.5, "C": 0.5}), b"A", b" A")
    got = proxy.choose("Q?", ["A", "B", "C"], base=base, expert=expert, anti=anti)
    assert got.option == "B"
    assert got.probs["A"] == 0.0
    assert all(math.isfinite(p) for p in got.probs.values())
    assert math.isclose(sum(got.probs.values()), 1.0)


def test_every_option_masked_is_an_error():
    """Nothing left to choose from is a ValueError, not NaN probabilities."""
    base = top(("A", math.log(0.7)), ("B", math.log(0.2)))
    expert = masked(dense({}), b"A", b" A", b"B", b" B")
    with pytest.raises(ValueError, match=r"every candidate among the options .* -inf"):
        proxy.choose("Q?", ["A", "B"], base=base, expert=expert, anti=dense({}))


def pair_of(vocab: list[bytes], logits: dict[bytes, float] | None = None) -> proxy.DenseLogprobs:
    """A dense answer over `vocab`, each token's logit from `logits` (0 for the rest)."""
    row = np.array([[(logits or {}).get(k, 0.0) for k in vocab]])
    return proxy.DenseLogprobs.from_logits(row, vocab)


def test_a_spelling_the_pair_lacks_still_counts_the_base_mass():
    """The base's " B" counted for nothing (B imputed at the cap) when the pair had no b" B".

    With identical experts the choice is the base's own over the options, so a pair without
    b" B" must answer as a pair with it does.
    """
    base = top(("A", -0.5), (" B", -1.2), ("x", -3.0))
    small = [b"A", b"B", b"x"]
    lacking = proxy.choose("Q?", ["A", "B"], base=base, expert=pair_of(small), anti=pair_of(small))
    having = [*small, b" B"]
    full = proxy.choose("Q?", ["A", "B"], base=base, expert=pair_of(having), anti=pair_of(having))
    assert lacking.probs == pytest.approx(full.probs, rel=1e-12)
    z = math.log(math.exp(-0.5) + math.exp(-1.2))
    assert lacking.probs == pytest.approx({"A": math.exp(-0.5 - z), "B": math.exp(-1.2 - z)})
    assert (lacking.imputed, lacking.covered, lacking.certified) == ((), True, True)
    assert lacking.base_coverage == pytest.approx(math.exp(-0.5) + math.exp(-1.2), rel=1e-12)


@pytest.mark.parametrize(
    ("has", "returned"),
    [
        pytest.param(b"B", [("B", -1.5), (" B", -1.2)], id="pair-has-B-base-both"),
        pytest.param(b" B", [("B", -1.5), (" B", -1.2)], id="pair-has-space-B-base-both"),
        pytest.param(b"B", [(" B", -1.2)], id="pair-has-B-base-space-B"),
        pytest.param(b" B", [("B", -1.5)], id="pair-has-space-B-base-B"),
    ],
)
def test_a_spelling_the_pair_lacks_takes_the_options_delta(has, returned):
    """A base spelling the pair lacks keeps its base value plus the pair's delta for the option."""
    base = top(("A", -0.5), *returned, ("x", -4.0))
    vocab = [b"A", has, b"x"]
    expert = pair_of(vocab, {has: 1.0})
    anti = pair_of(vocab, {b"A": 0.5})
    got = proxy.choose("Q?", ["A", "B"], base=base, expert=expert, anti=anti, alpha=0.8)
    delta = {
        o: expert.logprobs[0, expert.index[k]] - anti.logprobs[0, anti.index[k]]
        for o, k in (("A", b"A"), ("B", has))
    }
    b_mass = math.log(sum(math.exp(lp) for _, lp in returned))
    scores = {"A": -0.5 + 0.8 * delta["A"], "B": b_mass + 0.8 * delta["B"]}
    z = math.log(sum(math.exp(v) for v in scores.values()))
    assert got.probs == pytest.approx({o: math.exp(v - z) for o, v in scores.items()}, rel=1e-9)
    assert got.imputed == ()
    assert got.base_coverage == pytest.approx(math.exp(-0.5) + math.exp(b_mass), rel=1e-12)


def test_an_option_the_pair_has_no_spelling_of_is_an_error():
    """Neither "C" nor " C" in the dense pair's vocabulary: a ValueError naming the option."""
    base = top(("A", -0.5), (" C", -1.2))
    vocab = [b"A", b"B", b"x"]
    with pytest.raises(ValueError, match=r"option 'C' is not one token of the dense small"):
        proxy.choose("Q?", ["A", "C"], base=base, expert=pair_of(vocab), anti=pair_of(vocab))


@pytest.mark.parametrize(
    ("models", "error", "words"),
    [
        pytest.param({"expert": None}, TypeError, "expert must be .* got None", id="None"),
        pytest.param({"anti": {"A": -1.0}}, TypeError, "anti must be .* got a dict", id="dict"),
        pytest.param(
            {"expert": lambda _: [0.1]}, TypeError, "expert must be .* got a list", id="returns"
        ),
        pytest.param({"base": tp.parse(chat_completion([]))}, ValueError, "base's answer has no"),
        pytest.param({"anti": dense({})[0:0]}, ValueError, "anti's answer has no position"),
    ],
)
def test_a_model_that_gives_no_answer_is_named(models, error, words):
    """A dict, a callable returning a list or an empty answer ended in AttributeError/IndexError."""
    flat = dense({})
    given = {"base": top(("A", -0.5), ("B", -1.5)), "expert": flat, "anti": flat} | models
    with pytest.raises(error, match=words):
        proxy.choose("Q", OPTIONS, **given)


@pytest.mark.parametrize("flag", ["no", 0, None])
def test_leading_space_must_be_a_bool(flag):
    """`leading_space="no"` was truthy: it counted " A" as "A", the opposite of what was asked."""
    flat = dense({})
    with pytest.raises(TypeError, match=r"`leading_space` must be True or False .* got "):
        proxy.choose(
            "Q", OPTIONS, base=top(("A", -0.1)), expert=flat, anti=flat, leading_space=flag
        )
    got = proxy.choose(
        "Q", OPTIONS, base=top(("A", -0.1)), expert=flat, anti=flat, leading_space=np.False_
    )
    assert got.option == "A"


def test_a_mixed_pair_values_each_model_on_its_own():
    """A dense expert with a sparse anti-expert: each value exact or at the sparse one's cap.

    choose ranks a closed set of options, so each model's value of each option is exact (dense)
    or lies in [floor, cap] (sparse) on its own: the bounds hold whatever the other model is.
    """
    base = top(("A", math.log(0.5)), ("B", math.log(0.3)), ("C", math.log(0.1)))
    expert = dense({"A": 0.1, "B": 0.6, "C": 0.1, "D": 0.1})
    anti = top(("A", math.log(0.4)), ("B", math.log(0.2)))  # C, D unseen: at the cap, log 0.2
    got = proxy.choose("Q", OPTIONS, base=base, expert=expert, anti=anti, leading_space=False)
    scores = {
        "A": math.log(0.5 * 0.1 / 0.4),
        "B": math.log(0.3 * 0.6 / 0.2),
        "C": math.log(0.1 * 0.1 / 0.2),
        "D": math.log(0.1 * 0.1 / 0.2),  # the base's cap too
    }
    z = math.log(sum(math.exp(v) for v in scores.values()))
    assert got.probs == pytest.approx({o: math.exp(v - z) for o, v in scores.items()}, rel=1e-9)
    assert not got.certified  # without a floor the anti's unseen value of D may be ~0
    floored = proxy.choose(
        "Q", OPTIONS, base=base, expert=expert, anti=anti, leading_space=False, floor=-3.0
    )
    assert floored.certified  # B: 0.9; D at most 0.1 * 0.1 / e**-3 ≈ 0.2
    swapped = proxy.choose("Q", OPTIONS, base=base, expert=anti, anti=expert, leading_space=False)
    assert swapped.option == "A"
