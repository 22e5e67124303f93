"""`generate`: greedy proxy-tuned decoding as speculative decoding, the API base drafting.

Each base call continues the text so far by up to `draft` tokens with their top-k; the small pair
scores the whole draft in one pass each; `combine` gives the proxy-tuned argmax at every drafted
position. Draft tokens are accepted while they equal it; at the first that does not, the
proxy-tuned token is appended instead and the rest of the draft is dropped. Every accepted
position saw exactly the accepted context, so the output is greedy proxy-tuning's (up to the
caps, which `certified` reports), and a base call yields several tokens where proxy-tuning agrees
with the base.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from tokenprobs.adapters import parse
from tokenprobs.models._arrays import readonly
from tokenprobs.proxy._combine import ProxyStep, Support, combine

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    import openai
    from numpy.typing import NDArray

    from tokenprobs.models import TokenDistribution
    from tokenprobs.proxy._dense import DenseLogprobs

__all__ = ["CompletionsDrafter", "Drafter", "Generation", "Scorer", "generate"]


class Drafter(Protocol):
    """The base: continues token ids greedily by up to `n` tokens, with its top-k at each."""

    def draft(self, prompt: Sequence[int], n: int, /) -> TokenDistribution:
        """The base's greedy continuation of `prompt` (at most `n` tokens) with alternatives."""
        ...


class Scorer(Protocol):
    """A dense small model: `LlamaCppScorer` or anything with the same three methods."""

    def score(self, prompt: Sequence[int], continuation: Sequence[int] = (), /) -> DenseLogprobs:
        """Full-vocabulary logprobs before each continuation token and after the last."""
        ...

    def token_id(self, key: bytes, /) -> int:
        """The id of the token with these bytes."""
        ...

    @property
    def vocab(self) -> tuple[bytes, ...]:
        """Each id's bytes."""
        ...


@dataclass(frozen=True)
class CompletionsDrafter:
    """A base behind a completions endpoint that continues a prefix (`/v1/completions`).

    `token_ids=True` sends the prefix as token ids (OpenAI legacy completions, vLLM, llama.cpp's
    own server), so nothing is re-tokenised at the seam. llama-cpp-python's server takes text
    only: with `token_ids=False` the prefix is sent as the text of its bytes and re-tokenised
    by the server, which `Generation.seam_mismatches` counts when `scorer` is given.
    """

    client: openai.OpenAI
    model: str
    top_logprobs: int = 20
    token_ids: bool = True
    vocab: tuple[bytes, ...] | None = None
    """Each id's bytes (needed with `token_ids=False`: e.g. `LlamaCppScorer.vocab`)."""
    temperature: float = 0.0
    """0 for greedy drafts; 1 (with top-p 1) for `generate(sample=True)`."""
    extra_body: dict[str, object] | None = None
    """Server-specific parameters, sent as they are (e.g. vLLM's `return_tokens_as_token_ids`)."""

    def draft(self, prompt: Sequence[int], n: int, /) -> TokenDistribution:
        """One call: `max_tokens=n`, `temperature`, `logprobs=top_logprobs`."""
        if self.token_ids:
            sent: str | list[int] = list(prompt)
        elif self.vocab is None:
            msg = "CompletionsDrafter(token_ids=False) needs vocab= to send the prefix as text"
            raise ValueError(msg)
        else:
            sent = b"".join(self.vocab[i] for i in prompt).decode("utf-8", errors="replace")
        response = self.client.completions.create(
            model=self.model,
            prompt=sent,
            max_tokens=n,
            temperature=self.temperature,
            logprobs=self.top_logprobs,
            extra_body=self.extra_body,
        )
        return parse(response)


@dataclass(frozen=True, eq=False)
class Generation:
    """What `generate` produced and what it cost."""

    ids: list[int]
    """The generated token ids (the prompt not included)."""
    text: str
    """Their bytes, decoded."""
    certified: NDArray[np.bool_]
    """Shape `(T,)`: per generated token, the combined argmax was certified at its position."""
    imputed_mass: NDArray[np.float64]
    """Shape `(T,)`: the combined mass on imputed values at each generated token's position."""
    from_base: NDArray[np.bool_]
    """Shape `(T,)`: the token was the base's draft (accepted), not a proxy correction."""
    base_calls: int
    """How many times the base was called."""
    accepted: list[int]
    """Per base call, how many of its drafted tokens were accepted."""
    finish_reason: str
    """`"stop"` (a stop token), `"length"` (`max_tokens`), or `"base"` (the base ended)."""
    steps: tuple[ProxyStep, ...] = ()
    """Per base call, `combine`'s result over its drafted positions (the base's values in
    `steps[c].distribution` are combined ones; the drafts themselves are in `drafts`)."""
    drafts: tuple[TokenDistribution, ...] = ()
    """Per base call, the base's answer as returned."""
    seam_ok: tuple[bool, ...] = ()
    """Per base call, whether its prefix survived the round trip through text (see
    `seam_mismatches`); all `True` when the expert has no `tokenize` method."""
    seam_mismatches: int = 0
    """Calls whose prefix does not survive a round trip through text (the expert's
    `tokenize(text) != ids`): where a base that takes text would see other tokens. Counted only
    when the expert has a `tokenize` method."""

    @property
    def tokens_per_call(self) -> float:
        """Generated tokens per base call."""
        return len(self.ids) / self.base_calls if self.base_calls else 0.0


_UNKNOWN = -1
"""Stands for a drafted token that cannot be identified: never equal to a proxy choice."""


def _identified(expert: Scorer, d: TokenDistribution) -> list[int]:
    """The drafted tokens' ids, up to the first the expert's vocabulary cannot identify.

    A server that sends no bytes and decodes a partial UTF-8 token lossily (llama-cpp-python)
    names it by a shortened string, `""` for a lone byte: no id can be trusted for it.
    """
    ids: list[int] = []
    for j in range(len(d)):
        key = d.candidates.sampled_key(j)
        try:
            ids.append(expert.token_id(key) if key else _UNKNOWN)
        except KeyError:
            ids.append(_UNKNOWN)
        if ids[-1] == _UNKNOWN:
            return ids[:-1]
    return ids


@dataclass
class _Trace:
    """The output so far, with what is known of each token."""

    out: list[int] = field(default_factory=list)
    certified: list[bool] = field(default_factory=list)
    imputed: list[float] = field(default_factory=list)
    from_base: list[bool] = field(default_factory=list)

    def verify(
        self,
        step: ProxyStep,
        d: TokenDistribution,
        drafted: list[int],
        expert: Scorer,
        *,
        rng: np.random.Generator | None,
        stop: Collection[int],
        limit: int,
    ) -> int:
        """Accept drafted tokens while the proxy choice keeps them; return how many."""
        taken = 0
        for j, token in enumerate(drafted):
            if rng is not None:
                choice = _sampled(rng, step, d, j, token, expert)
            else:
                choice = expert.token_id(bytes(step.distribution.token_bytes[j] or b""))
            self.out.append(choice)
            self.certified.append(bool(step.certified[j]))
            self.imputed.append(float(step.imputed_mass[j]))
            self.from_base.append(choice == token)
            if choice != token:
                break
            taken += 1
            if choice in stop or len(self.out) >= limit:
                break
        return taken


def _sampled(  # noqa: PLR0917 - one private call site
    rng: np.random.Generator,
    step: ProxyStep,
    d: TokenDistribution,
    j: int,
    token: int,
    expert: Scorer,
) -> int:
    """Speculative sampling at position j: keep the draft, or draw from the residual."""
    q_d = step.distribution
    count = len(q_d.top_bytes[j])
    keys = [bytes(b or b"") for b in q_d.top_bytes[j]]
    q = np.exp(q_d.top_logprobs[j, :count])
    c = d.candidates
    if not c.in_top[j]:  # the target may not depend on the draw: leave the drawn-only token out
        drawn = c.sampled_key(j)
        q[[k == drawn and k not in _alternatives(d, j) for k in keys]] = 0.0
        q /= q.sum()
    base = c.row(j)
    p = np.array([math.exp(base[k]) if k in base else 0.0 for k in keys])
    lp = float(d.logprobs[j])
    if token != _UNKNOWN and not math.isnan(lp):
        key = expert.vocab[token]
        q_x = float(q[keys.index(key)]) if key in keys else 0.0
        if rng.random() < min(1.0, q_x / max(math.exp(lp), 1e-300)):
            return token
    residual = np.clip(q - p, 0.0, None)
    if residual.sum() <= 0:  # q <= p_B everywhere on C: only float rounding gets here
        residual = q
    pick = int(rng.choice(count, p=residual / residual.sum()))
    return expert.token_id(keys[pick])


def _alternatives(d: TokenDistribution, j: int) -> set[bytes]:
    c = d.candidates
    keys = c.keys(j)
    sampled_column = int(c.sampled[j]) == c.logprobs.shape[1] - 1
    return set(keys[:-1] if sampled_column and not c.in_top[j] else keys)


def _seam_breaks(expert: Scorer, ids: list[int]) -> int:
    tokenize = getattr(expert, "tokenize", None)
    if tokenize is None:
        return 0
    text = b"".join(expert.vocab[i] for i in ids).decode("utf-8", errors="replace")
    return int(list(tokenize(text)) != ids)


def generate(
    prompt: Sequence[int],
    /,
    *,
    base: Drafter,
    expert: Scorer,
    anti: Scorer,
    alpha: float = 1.0,
    max_tokens: int = 64,
    draft: int = 8,
    support: Support = "union",
    stop: Collection[int] = (),
    sample: bool = False,
    seed: int | None = None,
) -> Generation:
    """Greedy proxy-tuned decoding: the base drafts, the dense small pair verifies.

    Args:
        prompt: The prompt's token ids (the three models share a tokenizer).
        base: The drafter, e.g. `CompletionsDrafter(client, model)`.
        expert: The tuned small model (dense, e.g. `LlamaCppScorer`).
        anti: The untuned small model (dense).
        alpha: The strength of the delta.
        max_tokens: The most tokens to generate.
        draft: Tokens asked of the base per call (L).
        support: The candidate set of `combine`.
        stop: Token ids that end the generation (kept in the output).
        sample: Sample from the proxy-tuned distribution instead of taking its argmax. The base
            must then draft by sampling at temperature 1 (`CompletionsDrafter(temperature=1)`):
            a draft token `x` is accepted with probability `min(1, q(x) / p_B(x))`, and on
            rejection a token is drawn from `(q - p_B)+` renormalised. Exact samples from `q`
            with `support="base"`; with `"union"` the residual uses the imputed base values of
            the expert's extra tokens and is approximate.
        seed: The seed of the acceptance and residual draws (`sample=True`).

    Returns:
        A `Generation`: the ids and text, per token `certified` / `imputed_mass` / `from_base`,
        and the cost: `base_calls`, `accepted` per call.

    Raises:
        ValueError: `max_tokens` or `draft` below 1.
    """
    if max_tokens < 1 or draft < 1:
        msg = f"max_tokens and draft must be at least 1, got {max_tokens} and {draft}"
        raise ValueError(msg)
    trace = _Trace()
    accepted: list[int] = []
    steps: list[ProxyStep] = []
    drafts: list[TokenDistribution] = []
    seams: list[bool] = []
    finish = "length"
    rng = np.random.default_rng(seed) if sample else None
    while len(trace.out) < max_tokens:
        context = [*prompt, *trace.out]
        seams.append(not _seam_breaks(expert, context))
        d = base.draft(context, min(draft, max_tokens - len(trace.out)))
        if not len(d):
            finish = "base"
            break
        drafted = _identified(expert, d)
        if len(drafted) < len(d):  # a drafted token with no identity: verify up to it, no further
            d = d[: len(drafted) + 1]
        e = expert.score(context, drafted)[: len(d)]
        a = anti.score(context, drafted)[: len(d)]
        step = combine(d, e, a, alpha=alpha, support=support)
        steps.append(step)
        drafts.append(d)
        taken = trace.verify(
            step, d, [*drafted, _UNKNOWN][: len(d)], expert, rng=rng, stop=stop, limit=max_tokens
        )
        accepted.append(taken)
        if trace.out[-1] in stop:
            finish = "stop"
            break
        if taken == len(d) and d.finish_reason == "stop" and len(d) < draft:
            finish = "base"
            break
    return Generation(
        ids=trace.out,
        text=b"".join(expert.vocab[i] for i in trace.out).decode("utf-8", errors="replace"),
        certified=readonly(np.array(trace.certified, dtype=np.bool_)),
        imputed_mass=readonly(np.array(trace.imputed, dtype=np.float64)),
        from_base=readonly(np.array(trace.from_base, dtype=np.bool_)),
        base_calls=len(accepted),
        accepted=accepted,
        finish_reason=finish,
        steps=tuple(steps),
        drafts=tuple(drafts),
        seam_ok=tuple(seams),
        seam_mismatches=seams.count(False),
    )
