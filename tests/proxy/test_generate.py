"""generate(): speculative greedy proxy-tuning against exact full-vocabulary decoding (toys)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

import tokenprobs as tp
from tokenprobs import proxy
from tokenprobs.testing import chat_completion

V = 12
VOCAB = tuple(f"w{i} ".encode() for i in range(V))


@dataclass
class Toy:
    """A deterministic toy language model: logits from the last two tokens, full vocabulary."""

    seed: int
    scale: float = 2.0

    def __post_init__(self) -> None:
        """Random tables for the last and the second-to-last token."""
        rng = np.random.default_rng(self.seed)
        self.last = rng.normal(0, self.scale, (V, V))
        self.prev = rng.normal(0, self.scale / 2, (V, V))

    def logits(self, ids: list[int]) -> np.ndarray:
        """The next-token logits after `ids`."""
        return self.last[ids[-1]] + (self.prev[ids[-2]] if len(ids) > 1 else 0.0)

    def logprobs(self, ids: list[int]) -> np.ndarray:
        """The next-token logprobs after `ids`."""
        x = self.logits(ids)
        return x - np.logaddexp.reduce(x)

    # the Scorer protocol
    vocab = VOCAB

    def score(self, prompt, continuation=()):
        """Rows before each continuation token and after the last."""
        ids = [*prompt, *continuation]
        rows = [self.logits(ids[: len(prompt) + j]) for j in range(len(continuation) + 1)]
        return proxy.DenseLogprobs.from_logits(np.array(rows), VOCAB)

    def token_id(self, key):
        """The id of a token's bytes."""
        return VOCAB.index(key)


@dataclass
class ToyDrafter:
    """The base as an API: greedy continuation with the top k, and a count of calls."""

    model: Toy
    k: int
    calls: int = 0

    def draft(self, prompt, n):
        """Up to n greedy tokens with their top k."""
        self.calls += 1
        ids = list(prompt)
        for _ in range(n):
            ids.append(int(np.argmax(self.model.logits(ids))))
        return self.model.score(list(prompt), ids[len(prompt) :])[:n].top_k(self.k)


def exact_greedy(base, expert, anti, prompt, n, alpha):  # noqa: PLR0917
    """Full-vocabulary greedy proxy-tuning, token by token (the ground truth)."""
    ids = list(prompt)
    for _ in range(n):
        s = base.logprobs(ids) + alpha * (expert.logprobs(ids) - anti.logprobs(ids))
        ids.append(int(np.argmax(s)))
    return ids[len(prompt) :]


@pytest.mark.parametrize("k", [1, 3, 8])
@pytest.mark.parametrize("seed", range(6))
def test_generate_is_greedy_proxy_tuning_where_certified(k, seed):
    """Up to the first uncertified token, the output is exact greedy proxy-tuning's."""
    base, anti = Toy(seed), Toy(seed + 100)
    expert = Toy(seed + 100)
    expert.last = anti.last + np.random.default_rng(seed + 7).normal(0, 0.8, (V, V))
    drafter = ToyDrafter(base, k)
    g = proxy.generate([0, 1], base=drafter, expert=expert, anti=anti, max_tokens=20, draft=5)
    truth = exact_greedy(base, expert, anti, [0, 1], 20, 1.0)
    n = len(g.ids) if g.certified.all() else int(np.argmin(g.certified))
    assert g.ids[:n] == truth[:n]
    assert len(g.ids) == 20
    assert g.finish_reason == "length"
    assert g.base_calls == drafter.calls == len(g.accepted)
    assert sum(g.accepted) == int(g.from_base.sum())
    assert g.tokens_per_call == pytest.approx(20 / drafter.calls)


def test_dense_top_k_everything_certified_is_exact():
    """With k = V the base is fully known: every token certified and the output exact."""
    base, anti = Toy(3), Toy(4)
    expert = Toy(4)
    expert.last = anti.last + np.random.default_rng(5).normal(0, 1.0, (V, V))
    g = proxy.generate([2], base=ToyDrafter(base, V), expert=expert, anti=anti, max_tokens=15)
    assert g.certified.all()
    assert g.ids == exact_greedy(base, expert, anti, [2], 15, 1.0)


def test_alpha_zero_accepts_every_draft():
    """With no steering every drafted token is accepted: draft tokens per call."""
    base, pair = Toy(1), Toy(2)
    drafter = ToyDrafter(base, 4)
    g = proxy.generate([0], base=drafter, expert=pair, anti=pair, alpha=0.0, max_tokens=12, draft=4)
    assert g.accepted == [4, 4, 4]
    assert g.from_base.all()
    assert g.ids == exact_greedy(base, pair, pair, [0], 12, 0.0)


def test_stop_tokens_end_the_generation():
    """A stop token is kept and ends the output with finish_reason 'stop'."""
    base, pair = Toy(1), Toy(2)
    free = proxy.generate([0], base=ToyDrafter(base, 4), expert=pair, anti=pair, max_tokens=12)
    stop = free.ids[3]
    g = proxy.generate(
        [0], base=ToyDrafter(base, 4), expert=pair, anti=pair, max_tokens=12, stop={stop}
    )
    first = free.ids.index(stop)
    assert g.ids == free.ids[: first + 1]
    assert g.finish_reason == "stop"


@dataclass
class GarblingDrafter(ToyDrafter):
    """A server that names one token by a lossy string (`""`): its draft cannot be trusted."""

    garbled: int = 0

    def draft(self, prompt, n):
        """The toy draft, with token `garbled` renamed to `""` wherever it was sampled."""
        d = super().draft(prompt, n)
        lost = VOCAB[self.garbled]
        names = [[] if b == list(lost) else b for b in d.token_bytes]
        return d.model_copy(
            update={"token_bytes": names, "tokens": [bytes(b).decode() for b in names]}
        )


def test_an_unidentifiable_draft_token_ends_the_accepted_run():
    """A drafted token with no identity is never accepted; the output stays exact."""
    base, anti = Toy(8), Toy(9)
    expert = Toy(9)
    expert.last = anti.last + np.random.default_rng(10).normal(0, 0.5, (V, V))
    plain = proxy.generate([0], base=ToyDrafter(base, V), expert=expert, anti=anti, max_tokens=12)
    common = max(set(plain.ids), key=plain.ids.count)
    drafter = GarblingDrafter(base, V, garbled=common)
    g = proxy.generate([0], base=drafter, expert=expert, anti=anti, max_tokens=12)
    assert g.ids == plain.ids == exact_greedy(base, expert, anti, [0], 12, 1.0)
    assert g.base_calls > plain.base_calls
    assert not g.from_base[[i for i, t in enumerate(g.ids) if t == common]].any()


@dataclass
class SamplingDrafter:
    """The base as an API sampling at temperature 1: the drawn token, and its top k."""

    model: Toy
    k: int
    rng: np.random.Generator

    def draft(self, prompt, n):
        """Up to n sampled tokens with their top k."""
        ids, positions = list(prompt), []
        for _ in range(n):
            lp = self.model.logprobs(ids)
            x = int(self.rng.choice(V, p=np.exp(lp)))
            order = np.argsort(-lp, kind="stable")[: self.k]
            positions.append((VOCAB[x], float(lp[x]), [(VOCAB[t], float(lp[t])) for t in order]))
            ids.append(x)
        return tp.parse(chat_completion(positions))


def steered_pair(seed: int) -> tuple[Toy, Toy]:
    """An expert and its anti-expert: the same tables, the expert's last-token one perturbed."""
    anti, expert = Toy(seed), Toy(seed)
    expert.last = anti.last + np.random.default_rng(seed + 1).normal(0, 1.0, (V, V))
    return expert, anti


def assert_samples_of_q(drafter, expert, anti, prompt, n):
    """N one-step samples of generate(sample=True, support="base") have q's frequencies.

    q, from the toy models directly: proxy-tuning over the base's top k, renormalised; each
    frequency within 5 standard errors, and nothing drawn outside the top k.
    """
    counts = np.zeros(V)
    for i in range(n):
        g = proxy.generate(
            prompt,
            base=drafter,
            expert=expert,
            anti=anti,
            support="base",
            max_tokens=1,
            draft=1,
            sample=True,
            seed=i,
        )
        counts[g.ids[0]] += 1
    lb = drafter.model.logprobs(prompt)
    top = np.argsort(-lb, kind="stable")[: drafter.k]
    score = lb + (expert.logprobs(prompt) - anti.logprobs(prompt))
    q = np.zeros(V)
    q[top] = np.exp(score[top] - np.logaddexp.reduce(score[top]))
    sigma = np.sqrt(q * (1 - q) / n)
    assert np.all(np.abs(counts / n - q) <= 5 * sigma + 1e-9), (counts / n, q)
    assert counts[q == 0].sum() == 0
    return np.exp(lb[top]).sum()


def test_sampling_gives_samples_of_the_proxy_distribution():
    """support="base": speculative sampling draws exactly from the combined distribution q."""
    expert, anti = steered_pair(12)
    drafter = SamplingDrafter(Toy(11), 6, np.random.default_rng(14))
    assert_samples_of_q(drafter, expert, anti, [3], 5000)


@dataclass
class AddsDrawnDrafter(SamplingDrafter):
    """llama-cpp-python's server: a drawn token outside the top k is added to the top-k dict."""

    @property
    def top_logprobs(self) -> int:
        """The k asked for (CompletionsDrafter has the same attribute)."""
        return self.k

    def draft(self, prompt, n):
        """Up to n sampled tokens, each with its top k and the drawn token among them."""
        ids, positions = list(prompt), []
        for _ in range(n):
            lp = self.model.logprobs(ids)
            x = int(self.rng.choice(V, p=np.exp(lp)))
            order = [*np.argsort(-lp, kind="stable")[: self.k]]
            shown = order if x in order else [*order, x]
            positions.append((VOCAB[x], float(lp[x]), [(VOCAB[t], float(lp[t])) for t in shown]))
            ids.append(x)
        return tp.parse(chat_completion(positions))


def test_sampling_target_ignores_a_drawn_token_added_to_the_top_k():
    """With k + 1 alternatives (the drawn one added), the target is still the top k's q."""
    expert, anti = steered_pair(22)
    drafter = AddsDrawnDrafter(Toy(21), 3, np.random.default_rng(24))
    top_mass = assert_samples_of_q(drafter, expert, anti, [5], 3000)
    assert top_mass < 0.9  # the drawn token is often outside the top 3


def test_bad_lengths_are_errors():
    """max_tokens and draft must be positive."""
    base, pair = Toy(1), Toy(2)
    with pytest.raises(ValueError, match="at least 1"):
        proxy.generate([0], base=ToyDrafter(base, 4), expert=pair, anti=pair, draft=0)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"alpha": float("nan")}, ValueError, "alpha must be finite"),
        ({"alpha": "1"}, TypeError, "alpha is a finite number"),
        ({"support": "all"}, ValueError, "support must be one of"),
        ({"floor": 1.0}, ValueError, "floor is a logprob"),
        ({"max_tokens": 2.5}, TypeError, "max_tokens must be an integer"),
        ({"draft": True}, TypeError, "draft must be an integer"),
        ({"stop": [b"w3 "]}, TypeError, "the stops are token ids"),
        ({"stop": ["w3 "]}, TypeError, "the stops are token ids"),
        ({"stop": b"\n"}, TypeError, "stop is a collection of token ids"),
    ],
)
def test_settings_are_checked_before_the_base_is_called(kwargs, error, words):
    """A bad setting is refused by name before a (paid) base call, not after it or never."""
    drafter, pair = ToyDrafter(Toy(1), 4), Toy(2)
    with pytest.raises(error, match=words):
        proxy.generate([0], base=drafter, expert=pair, anti=pair, **kwargs)
    assert drafter.calls == 0


@pytest.mark.parametrize(
    ("part", "words"),
    [
        ("base", r"base drafts the continuation .*got None"),
        ("expert", r"expert is a small model .*got None without \.score"),
        ("anti", r"anti is a small model .*got a str without \.score"),
    ],
)
def test_a_part_that_is_none_of_its_kind_is_named(part, words):
    """`expert=None` failed with "'NoneType' object has no attribute 'vocab'" from inside."""
    drafter, pair = ToyDrafter(Toy(1), 4), Toy(2)
    parts = {"base": drafter, "expert": pair, "anti": pair}
    parts[part] = "small" if part == "anti" else None
    with pytest.raises(TypeError, match=words):
        proxy.generate([0], **parts)
    assert drafter.calls == 0


def test_byte_prefix_stops_are_bytes():
    """With BytePrefix scorers a str or id stop, which would never match, is refused."""
    pair = proxy.BytePrefix(Toy(2))
    for stop, words in (["\n"], r"\.encode\(\) it"), ([3], "the stops are bytes"):
        drafter = ToyDrafter(Toy(1), 4)
        with pytest.raises(TypeError, match=words):
            proxy.generate("Hi", base=drafter, expert=pair, anti=pair, stop=stop)
        assert drafter.calls == 0


@dataclass
class GreedyDrafter(ToyDrafter):
    """A drafter that says its temperature, as CompletionsDrafter does (0: greedy drafts)."""

    temperature: float = 0.0


def test_sampling_needs_a_drafter_at_temperature_one():
    """Greedy drafts are no draws from p_B: sample=True would give no samples of q, silently."""
    drafter, pair = GreedyDrafter(Toy(1), 4), Toy(2)
    with pytest.raises(ValueError, match=r"temperature is 0\.0: its drafts are no draws"):
        proxy.generate([0], base=drafter, expert=pair, anti=pair, sample=True)
    assert drafter.calls == 0
    sampled = GreedyDrafter(Toy(1), 4, temperature=1.0)
    assert len(proxy.generate([0], base=sampled, expert=pair, anti=pair, sample=True).ids) == 64


@pytest.mark.parametrize(
    ("prompt", "words"),
    [([], "a prompt of at least one token id"), ([0, V], r"prompt\[1\] is 12, not a token id")],
)
def test_the_prompt_ids_are_checked_before_the_base_is_called(prompt, words):
    """An empty prompt or a foreign id reached the base (a paid call) before score refused it."""
    drafter, pair = ToyDrafter(Toy(1), 4), Toy(2)
    with pytest.raises(ValueError, match=words):
        proxy.generate(prompt, base=drafter, expert=pair, anti=pair)
    assert drafter.calls == 0


def test_a_generator_of_stops_still_stops():
    """The kind check reads the stops once: a generator's are not used up by it."""
    base, pair = Toy(1), Toy(2)
    free = proxy.generate([0], base=ToyDrafter(base, 4), expert=pair, anti=pair, max_tokens=8)
    stop = free.ids[2]
    g = proxy.generate(
        [0], base=ToyDrafter(base, 4), expert=pair, anti=pair, max_tokens=8, stop=iter([stop])
    )
    assert g.finish_reason == "stop"
    assert g.ids == free.ids[: free.ids.index(stop) + 1]


@dataclass
class RecordingDrafter(ToyDrafter):
    """A drafter that keeps every prefix it is asked to continue."""

    prompts: list = field(default_factory=list)

    def draft(self, prompt, n):
        """Record the prefix, then draft as the toy does."""
        self.prompts.append(list(prompt))
        return super().draft(prompt, n)


def test_every_base_call_gets_the_whole_prompt_from_an_iterator():
    """A prompt given as an iterator was used up by the first call: later calls lost it."""
    drafter, pair = RecordingDrafter(Toy(1), 4), Toy(2)
    proxy.generate(iter([0, 3]), base=drafter, expert=pair, anti=pair, max_tokens=12)
    assert len(drafter.prompts) > 1
    assert all(p[:2] == [0, 3] for p in drafter.prompts)


class RawDrafter:
    """A drafter that returns the ids it drafted, not a TokenDistribution."""

    def draft(self, _prompt, n):
        """Token 0, n times."""
        return [0] * n


def test_a_draft_that_is_no_distribution_is_named():
    """A drafter returning a list ended in "'list' object has no attribute 'candidates'"."""
    pair = Toy(2)
    with pytest.raises(TypeError, match=r"draft\(\) returned a list: .* TokenDistribution"):
        proxy.generate([0], base=RawDrafter(), expert=pair, anti=pair, max_tokens=2)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        pytest.param({"sample": "yes"}, TypeError, r"`sample` must be True or False", id="str"),
        pytest.param({"sample": 1}, TypeError, r"`sample` must be True or False", id="int"),
        pytest.param({"seed": "x"}, TypeError, r"seed must be an integer >= 0", id="str seed"),
        pytest.param({"seed": 1.5}, TypeError, r"seed must be an integer >= 0", id="float seed"),
        pytest.param({"seed": True}, TypeError, r"seed must be an integer >= 0", id="bool seed"),
        pytest.param({"seed": -1}, ValueError, r"seed must be at least 0, got -1", id="negative"),
    ],
)
def test_sample_and_seed_are_checked_before_the_base_is_called(kwargs, error, words):
    """`sample="yes"` turned sampling on; `seed="x"` ended in numpy's error after a base call."""
    drafter, pair = GreedyDrafter(Toy(1), 4, temperature=1.0), Toy(2)
    with pytest.raises(error, match=words):
        proxy.generate([0], base=drafter, expert=pair, anti=pair, **({"sample": True} | kwargs))
    assert drafter.calls == 0


def test_a_seed_may_be_a_numpy_generator_and_a_flag_a_numpy_bool():
    """A Generator is drawn from as it is (one state, one output); np.bool_ is a flag."""
    drafter, pair = GreedyDrafter(Toy(1), 4, temperature=1.0), Toy(2)
    expert, anti = steered_pair(3)
    runs = [
        proxy.generate(
            [0], base=drafter, expert=expert, anti=anti, sample=np.True_, max_tokens=8, seed=g
        ).ids
        for g in (np.random.default_rng(5), np.random.default_rng(5), 5)
    ]
    assert runs[0] == runs[1] == runs[2]
    greedy = proxy.generate([0], base=drafter, expert=pair, anti=pair, sample=np.False_)
    assert len(greedy.ids) == 64


def test_an_empty_text_prompt_is_refused_before_the_base_is_called():
    """An empty prompt reached the base with BytePrefix scorers; ids refuse it up front."""
    pair = proxy.BytePrefix(Toy(2))
    for prompt in ("", b""):
        drafter = ToyDrafter(Toy(1), 4)
        with pytest.raises(ValueError, match="a prompt of at least one byte"):
            proxy.generate(prompt, base=drafter, expert=pair, anti=pair)
        assert drafter.calls == 0


class WrongIds(Toy):
    """A scorer whose token_id breaks the contract for some bytes (`answer` says how)."""

    answer: object = None

    def token_id(self, key):
        """The toy's id, but `answer` (returned, or raised) for the bytes of token 5."""
        if key != VOCAB[5]:
            return super().token_id(key)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.mark.parametrize(
    ("answer", "error", "words"),
    [
        pytest.param(None, TypeError, r"token_id\(b'w5 '\) returned None", id="None"),
        pytest.param(-1, ValueError, r"token_id\(b'w5 '\) returned -1, outside its 12", id="-1"),
        pytest.param(V, ValueError, r"returned 12, outside its 12 ids", id="past the end"),
        pytest.param(
            ValueError("not in tuple"), TypeError, r"raised ValueError: a Scorer's", id="ValueError"
        ),
    ],
)
def test_a_token_id_that_breaks_the_scorer_contract_is_named(answer, error, words):
    """-1 read the last token's bytes, None failed inside the scorer, ValueError escaped raw."""
    base = Toy(1)
    base.last[:, 5] += 50.0  # the base drafts token 5 at every position
    expert = WrongIds(2)
    expert.answer = answer
    with pytest.raises(error, match=words) as info:
        proxy.generate([0], base=ToyDrafter(base, V), expert=expert, anti=Toy(3), max_tokens=4)
    assert "raises KeyError when no token has them" in str(info.value)
