"""Mismatched tokenizers: byte-prefix probabilities (BytePrefix), combine and generate over them.

The small model here is a toy over bytes with its own vocabulary and a greedy longest-match
tokenizer; the base tokenises differently. Every expected value is computed in the test from the
toy's full distributions, not by tokenprobs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

import tokenprobs as tp
from tokenprobs import proxy
from tokenprobs.proxy._combine import TAIL_SLACK
from tokenprobs.testing import chat_completion

SMALL = (b"<s>", b"a", b"b", b"c", b"ab", b"abc", b"ba", b" ", b" a", b"ca")
"""The small models' vocabulary: id 0 is a control token (BOS)."""
BASE_VOCAB = (b"a", b"b", b"c", b" ", b"bc", b"a b", b"cab", b" c")
"""The base's vocabulary: other tokens over the same bytes."""


def longest_match(text: bytes, vocab: tuple[bytes, ...], skip: int = 0) -> list[int]:
    """Greedy longest-match tokenisation (ids from `skip` on)."""
    ids, at = [], 0
    while at < len(text):
        best = max(
            (i for i in range(skip, len(vocab)) if text.startswith(vocab[i], at)),
            key=lambda i: len(vocab[i]),
        )
        ids.append(best)
        at += len(vocab[best])
    return ids


@dataclass
class ByteToy:
    """A small model over SMALL: next-token logits from the last token, full vocabulary."""

    seed: int
    scale: float = 1.5

    vocab = SMALL
    controls = frozenset({0})

    def __post_init__(self) -> None:
        """A random logit table, one row per previous token."""
        self.table = np.random.default_rng(self.seed).normal(0, self.scale, (len(self.vocab),) * 2)

    def logprobs(self, ids: list[int]) -> np.ndarray:
        """The next-token logprobs after `ids`."""
        x = self.table[ids[-1]]
        return x - np.logaddexp.reduce(x)

    def tokenize(self, text, *, add_bos=True, special=True):
        """BOS (when asked) and the longest-match ids; the BOS text is never matched."""
        del special
        return [0] * add_bos + longest_match(bytes(text), self.vocab, skip=1)

    def score(self, prompt, continuation=()):
        """Rows before each continuation token and after the last."""
        ids = [*prompt, *continuation]
        rows = [self.logprobs(ids[: len(prompt) + j]) for j in range(len(continuation) + 1)]
        return proxy.DenseLogprobs.from_logits(np.array(rows), self.vocab)


def approx(model: ByteToy, context: bytes, key: bytes) -> float:
    """The documented path sum, computed here.

    Along the tokenisation, at each step the tokens that hold the rest of the key at once (at
    the last step, those extending the last piece).
    """
    vocab, ids = model.vocab, model.tokenize(context)
    pieces = longest_match(key, vocab, skip=1)
    total, chain, rest = -math.inf, 0.0, key
    for j, u in enumerate(pieces):
        lp = model.logprobs(ids)
        need = rest if j < len(pieces) - 1 else vocab[u]
        ext = [v for v in range(1, len(vocab)) if vocab[v].startswith(need)]
        if ext:
            total = float(np.logaddexp(total, chain + np.logaddexp.reduce(lp[ext])))
        chain += float(lp[u])
        ids, rest = [*ids, u], rest[len(vocab[u]) :]
    return total


def exact(model: ByteToy, ids: list[int], key: bytes) -> float:
    """The true prefix probability: every token path whose bytes start with `key`."""
    vocab, lp = model.vocab, model.logprobs(ids)
    total = -math.inf
    for v in range(1, len(vocab)):
        if vocab[v].startswith(key):
            total = float(np.logaddexp(total, lp[v]))
        elif key.startswith(vocab[v]):
            rest = exact(model, [*ids, v], key[len(vocab[v]) :])
            total = float(np.logaddexp(total, lp[v] + rest))
    return total


KEYS = [b"a", b"ab", b"abc", b"c", b"ca", b"cab", b" c", b"a b", b"bc", b" "]


@pytest.mark.parametrize("seed", range(4))
def test_byte_prefix_is_the_documented_approximation_and_a_lower_bound(seed):
    """Chain over the small tokenisation, last token summed over extensions; <= the truth."""
    model = ByteToy(seed)
    got = proxy.BytePrefix(model).logprobs(b"ab c", KEYS)
    ctx = model.tokenize(b"ab c")
    for key, value in zip(KEYS, got.tolist(), strict=True):
        assert value == pytest.approx(approx(model, b"ab c", key), abs=1e-12), key
        truth = exact(model, ctx, key)
        assert value <= truth + 1e-12, key
        if key in {b"a", b"c", b" "}:  # one token path only, no shorter token inside it
            assert value == pytest.approx(truth, abs=1e-12), key
    # a key with a second path (b"a" then b"b…") is strictly below the truth
    assert got[KEYS.index(b"ab")] < exact(model, ctx, b"ab") - 1e-6


GAPPY = (b"<s>", b"a", b"b", b"c", b"abc")
"""A vocabulary with `abc` but not its prefix `ab`, which it then spells `a` + `b`."""


@dataclass
class GappyToy(ByteToy):
    """The toy over GAPPY."""

    vocab = GAPPY


@pytest.mark.parametrize("seed", range(6))
def test_a_prefix_is_never_valued_below_its_extensions(seed):
    """`ab` (spelt a + b) once read below `abc` (one token), which it is a prefix of."""
    model = GappyToy(seed)
    keys = [b"ab", b"abc", b"a", b"b"]
    got = dict(zip(keys, proxy.BytePrefix(model).logprobs(b"c", keys).tolist(), strict=True))
    ctx = model.tokenize(b"c")
    for key in keys:
        longer = [got[k] for k in keys if k.startswith(key)]
        assert got[key] == pytest.approx(max(approx(model, b"c", key), *longer), abs=1e-12)
        assert got[key] <= exact(model, ctx, key) + 1e-12, key
    assert got[b"ab"] >= got[b"abc"]
    assert got[b"a"] >= got[b"ab"]
    # abc + (a, then b): every way GAPPY writes a text starting with ab, so the truth itself
    assert got[b"ab"] == pytest.approx(exact(model, ctx, b"ab"), abs=1e-12)


def test_single_bytes_cover_every_continuation():
    """The prefix probabilities of all first bytes add up to the non-control mass."""
    model = ByteToy(7)
    got = proxy.BytePrefix(model).logprobs(b"ca", [b"a", b"b", b"c", b" "])
    ctx = model.tokenize(b"ca")
    text_mass = 1.0 - math.exp(model.logprobs(ctx)[0])
    assert float(np.exp(got).sum()) == pytest.approx(text_mass, abs=1e-12)


def base_answer(positions):
    """A base TokenDistribution: per position (sampled bytes, [(bytes, logprob), ...])."""
    rows = []
    for sampled, alts in positions:
        lp = dict(alts)[sampled]
        rows.append((sampled.decode(), lp, [(k.decode(), v) for k, v in alts]))
    return tp.parse(chat_completion(rows))


TWO = [
    (b"a b", [(b"a b", -0.2), (b"a", -2.0), (b"cab", -3.5)]),
    (b"c", [(b"c", -0.1), (b" c", -2.6), (b"bc", -4.0)]),
]


def test_at_scores_each_position_after_what_the_base_produced():
    """Position i's context is the prompt plus the bytes the base produced before i."""
    model = ByteToy(2)
    prefix = proxy.BytePrefix(model)
    rows = prefix.at(b"b", base_answer(TWO)).rows
    for i, ctx in enumerate([b"b", b"ba b"]):
        keys = [k for k, _ in TWO[i][1]]
        assert rows[i] == pytest.approx({k: approx(model, ctx, k) for k in keys}, abs=1e-12)


def test_combine_over_byte_prefixes():
    """Combined q over the base's candidates; certified only under a floor (sparse rule)."""
    expert, anti = ByteToy(3), ByteToy(4)
    expert.table = anti.table + np.random.default_rng(5).normal(0, 1.0, anti.table.shape)
    base = base_answer(TWO)
    e, a = (proxy.BytePrefix(m).at(b"b", base) for m in (expert, anti))
    # the base's bound on an unseen token: its least returned logprob, or its tail if smaller
    cap = [
        min(alts[-1][1], math.log(1 - sum(math.exp(v) for _, v in alts) + TAIL_SLACK))
        for _, alts in TWO
    ]
    seen = set()
    for floor in (None, -0.3, -1.0, -3.0, -30.0):
        step = proxy.combine(base, e, a, support="base", floor=floor)
        for i, ctx in enumerate([b"b", b"ba b"]):
            s = {
                k.decode(): lb + approx(expert, ctx, k) - approx(anti, ctx, k)
                for k, lb in TWO[i][1]
            }
            z = math.log(sum(math.exp(v) for v in s.values()))
            d = step.distribution
            got = dict(zip(d.top_tokens[i], d.top_logprobs[i].tolist(), strict=True))
            assert got == pytest.approx({k: v - z for k, v in s.items()}, abs=1e-12)
            best = max(s.values())
            unseen = math.inf if floor is None else cap[i] - floor
            want = best > unseen and sorted(s.values())[-2] < best
            assert bool(step.certified[i]) == want, (floor, i)
            seen.add(want)
        assert step.imputed_mass.tolist() == [0.0, 0.0]
    assert seen == {True, False}
    # "union" and "intersection" have no other candidates: the small pair valued the base's own
    for support in ("union", "intersection"):
        other = proxy.combine(base, e, a, support=support)
        assert other.distribution.top_tokens == proxy.combine(base, e, a).distribution.top_tokens


def test_mixed_kinds_and_empty_keys():
    """A PrefixLogprobs with a DenseLogprobs is a TypeError; an empty candidate a ValueError."""
    model = ByteToy(1)
    base = base_answer(TWO[:1])
    e = proxy.BytePrefix(model).at(b"", base)
    dense = model.score(model.tokenize(b""))
    with pytest.raises(TypeError, match="must be of one kind"):
        proxy.combine(base, e, dense)
    with pytest.raises(ValueError, match="empty candidate"):
        proxy.BytePrefix(model).logprobs(b"a", [b""])


@dataclass
class BaseToy:
    """The base as an API over text: it re-tokenises the prompt, continues greedily, top k."""

    seed: int
    k: int = 4
    calls: int = 0

    def __post_init__(self) -> None:
        """A random logit table over BASE_VOCAB, one row per previous token (and the start)."""
        shape = (len(BASE_VOCAB) + 1, len(BASE_VOCAB))
        self.table = np.random.default_rng(self.seed).normal(0, 2.0, shape)

    def logprobs(self, text: bytes) -> np.ndarray:
        """The next-token logprobs after `text` (its longest-match tokenisation)."""
        ids = longest_match(text, BASE_VOCAB)
        x = self.table[ids[-1] if ids else -1]
        return x - np.logaddexp.reduce(x)

    def draft(self, prompt, n):
        """Up to n greedy tokens after the text `prompt`, with their top k."""
        assert isinstance(prompt, str)
        self.calls += 1
        text, positions = prompt.encode(), []
        for _ in range(n):
            lp = self.logprobs(text)
            order = np.argsort(-lp, kind="stable")[: self.k]
            alts = [(BASE_VOCAB[t], float(lp[t])) for t in order]
            positions.append((alts[0][0], alts))
            text += alts[0][0]
        return base_answer(positions)


def exact_greedy_bytes(base, expert, anti, prompt: bytes, n: int) -> list[bytes]:
    """Greedy proxy-tuning over the base's top k, each valued by the approximation, here."""
    out: list[bytes] = []
    for _ in range(n):
        ctx = prompt + b"".join(out)
        lp = base.logprobs(ctx)
        order = np.argsort(-lp, kind="stable")[: base.k]
        s = {
            BASE_VOCAB[t]: lp[t]
            + approx(expert, ctx, BASE_VOCAB[t])
            - approx(anti, ctx, BASE_VOCAB[t])
            for t in order
        }
        out.append(max(s, key=s.__getitem__))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_generate_with_another_tokenizer(seed):
    """generate() with BytePrefix scorers: the speculative loop gives greedy byte proxy-tuning."""
    base = BaseToy(seed)
    anti = ByteToy(seed + 10)
    expert = ByteToy(seed + 10)
    expert.table = anti.table + np.random.default_rng(seed).normal(0, 1.5, anti.table.shape)
    pair = {"expert": proxy.BytePrefix(expert), "anti": proxy.BytePrefix(anti)}
    g = proxy.generate("ab", base=base, **pair, max_tokens=12, draft=4, support="base")
    assert list(g.pieces) == exact_greedy_bytes(base, expert, anti, b"ab", 12)
    assert g.text == b"".join(g.pieces).decode()
    assert g.ids == []
    assert not g.certified.any()  # no floor: nothing about unseen base tokens is known
    assert g.base_calls == base.calls == len(g.accepted)
    assert sum(g.accepted) == int(g.from_base.sum())
    stop = g.pieces[2]
    cut = proxy.generate("ab", base=BaseToy(seed), **pair, max_tokens=12, draft=4, stop={stop})
    assert list(cut.pieces) == list(g.pieces[: g.pieces.index(stop) + 1])
    assert cut.finish_reason == "stop"


def test_generate_refuses_mixed_scorers_and_prompts():
    """BytePrefix takes text prompts and greedy decoding; both scorers of one kind."""
    base, model = BaseToy(0), ByteToy(0)
    prefix = proxy.BytePrefix(model)
    with pytest.raises(ValueError, match="text or bytes"):
        proxy.generate([1, 2], base=base, expert=prefix, anti=prefix)
    with pytest.raises(ValueError, match="text or bytes"):
        proxy.generate("a", base=base, expert=prefix, anti=prefix, sample=True)
    with pytest.raises(TypeError, match="both be BytePrefix"):
        proxy.generate("a", base=base, expert=prefix, anti=model)
    with pytest.raises(TypeError, match=r"a small model .*got a ByteToy without \.token_id"):
        proxy.generate("a", base=base, expert=model, anti=model)  # BytePrefix's kind, unwrapped
    dense = DenseToy(0)
    with pytest.raises(TypeError, match="token ids"):
        proxy.generate("a", base=base, expert=dense, anti=dense)


class DenseToy(ByteToy):
    """ByteToy with `token_id`: a dense Scorer, which shares the base's tokenizer."""

    def token_id(self, key: bytes) -> int:
        """The id of the token with these bytes."""
        return self.vocab.index(key)


def test_generate_names_a_draft_that_is_no_distribution():
    """The byte loop read `.candidates` of whatever the drafter returned (AttributeError)."""

    class Raw:
        def draft(self, prompt, _n):
            return prompt

    prefix = proxy.BytePrefix(ByteToy(0))
    with pytest.raises(TypeError, match=r"draft\(\) returned a str"):
        proxy.generate("a", base=Raw(), expert=prefix, anti=prefix, max_tokens=2)
