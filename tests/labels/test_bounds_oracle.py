"""The bounds of `Labels.probs` contain the truth, in small worlds where the truth is known.

Each world is a model of two steps: a next-token distribution at the answer position, and one
after each of its tokens (the end of the sequence among them, which the API never shows); the
answer ends after two tokens. The API's view is drawn from it as a server gives it: the top k at
each sampled position, the sampled token, and `finish_reason` "stop". The truth is each label's
probability over every path of the world, read with the labels' own matching rule (what spells
a label is `tests/labels/test_matching.py`'s business); what is tested here is the arithmetic:
the chain rule, the tails, the ambiguous and blank mass, the end of the sequence, `exact`.
"""

from __future__ import annotations

import math
import random

import pytest

import tokenprobs as tp
from tokenprobs.labels import Labels
from tokenprobs.labels._match import Kind
from tokenprobs.testing import chat_completion

FIRST = ["Yes", "yes", " Yes", "Y", "Ye", "No", "N", "New", " ", '"', "Maybe", "Yesterday", "1"]
FIRST += ["10", "2", "Ne", " N", "Nope", "New York"]
NEXT = ["<end>", " York", "s", "0", ".", "es", "o", "terday", "Yes", "No", " ", "w", "ew", " Y"]
NEXT += ["er", " City"]
END = "<end>"
SETS = [["yes", "no"], ["New", "New York", "no"], ["1", "10", "2"], ["yes", "no", "yesterday"]]
SETS += [["New", "New York", "New York City"]]


def spread(rnd, tokens):
    """A random distribution over `tokens` (squared exponentials: some tokens near 0)."""
    w = [rnd.expovariate(1.0) ** 2 for _ in tokens]
    return {t: x / sum(w) for t, x in zip(tokens, w, strict=True)}


def truth(labels, first, after):
    """Each label's probability over the paths: decided at a token boundary, or at the end."""
    rule = labels._norm  # the labels' matching rule, on whole strings
    out = dict.fromkeys(labels.names, 0.0)
    for t, p in first.items():
        o = rule.classify(t)
        if o.kind is Kind.NONE:
            continue
        if o.kind is Kind.FULL:
            out[labels.names[next(iter(o.classes))]] += p
            continue
        for t2, p2 in after[t].items():
            o2 = rule.classify(t, terminated=True) if t2 == END else rule.classify(t + t2)
            if o2.kind in (Kind.PREFIX, Kind.AMBIGUOUS, Kind.BLANK):
                o2 = rule.classify(t + t2, terminated=True)  # the answer ends after two tokens
            if o2.kind is Kind.FULL:
                out[labels.names[next(iter(o2.classes))]] += p * p2
    return out


def shown(dist, k, hidden=()):
    """The top `k` of `dist` as the API returns them (never the end of the sequence)."""
    ranked = sorted(((p, t) for t, p in dist.items() if t not in hidden), reverse=True)[:k]
    return [(t, math.log(p)) for p, t in ranked]


def world(rnd):
    """A label set, a world, and the API's view of one sampled answer."""
    labels = Labels(rnd.choice(SETS))
    first = spread(rnd, rnd.sample(FIRST, rnd.randint(2, len(FIRST))))
    after = {}
    for t in first:
        tokens = rnd.sample(NEXT, rnd.randint(1, len(NEXT)))
        after[t] = {END: 1.0} if rnd.random() < 0.2 else spread(rnd, tokens)
    t0 = rnd.choices(list(first), weights=list(first.values()))[0]
    positions = [(t0, math.log(first[t0]), shown(first, rnd.randint(1, 6)))]
    t1 = rnd.choices(list(after[t0]), weights=list(after[t0].values()))[0]
    if t1 != END:
        alts = shown(after[t0], rnd.randint(1, 6), hidden=(END,))
        positions.append((t1, math.log(after[t0][t1]), alts))
    return labels, truth(labels, first, after), chat_completion(positions, finish_reason="stop")


@pytest.mark.parametrize("seed", range(4))
def test_the_bounds_contain_the_truth_and_exact_means_it(seed):
    """Over 150 worlds a seed: every label's truth in its bounds; `exact` only where it is."""
    rnd = random.Random(seed)  # noqa: S311 - reproducible test data
    for _ in range(150):
        labels, true, body = world(rnd)
        res = labels.probs(tp.parse(body), at=0)
        for name, p in true.items():
            lo, hi = res.bounds[name]
            assert lo - 1e-9 <= p <= hi + 1e-9, (name, p, res.bounds, body)
            if res.exact:
                assert p == pytest.approx(lo, abs=1e-6), (name, p, res.bounds, body)
