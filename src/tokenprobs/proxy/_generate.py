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
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs._counts import at_least_one
from tokenprobs.proxy._byid import check_ids
from tokenprobs.proxy._bytegen import generate_bytes
from tokenprobs.proxy._bytes import BytePrefix
from tokenprobs.proxy._combine import ProxyStep, Support, combine
from tokenprobs.proxy._drafter import Generation, Record, checked_draft
from tokenprobs.proxy._scorer import token_of
from tokenprobs.proxy._settings import check_parts, check_sampling, checked_stop
from tokenprobs.proxy._strength import check_strength, check_support

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from tokenprobs.models import TokenDistribution
    from tokenprobs.proxy._drafter import Drafter
    from tokenprobs.proxy._scorer import Scorer

__all__ = ["generate"]


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
            ids.append(token_of(expert, key) if key else _UNKNOWN)
        except KeyError:
            ids.append(_UNKNOWN)
        if ids[-1] == _UNKNOWN:
            return ids[:-1]
    return ids


@dataclass
class _Trace(Record):
    """The output so far (ids and bytes), with what is known of each token."""

    out: list[int] = field(default_factory=list)

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
        top: int | None = None,
    ) -> int:
        """Accept drafted tokens while the proxy choice keeps them; return how many."""
        taken = 0
        for j, token in enumerate(drafted):
            if rng is not None:
                choice = _sampled(rng, step, d, (j, token), expert, top)
            else:
                choice = token_of(expert, bytes(step.distribution.token_bytes[j] or b""))
            self.out.append(choice)
            self.token(step, j, expert.vocab[choice], drafted=choice == token)
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
    at: tuple[int, int],
    expert: Scorer,
    top: int | None,
) -> int:
    """Speculative sampling at position j (drafted `token`): keep it, or draw from the residual.

    The target may not depend on the draw, so a base token that is there only because it was
    drawn is left out of it: one the server marks as outside its top-k, or, when the server
    returns more than the `top` alternatives asked for (llama-cpp-python adds the drawn token
    to its top-k dict), any beyond the `top` most likely.
    """
    j, token = at
    q_d = step.distribution
    count = len(q_d.top_bytes[j])
    keys = [bytes(b or b"") for b in q_d.top_bytes[j]]
    q = np.exp(q_d.top_logprobs[j, :count])
    c = d.candidates
    base = c.row(j)
    target = _alternatives(d, j)
    if top is not None and len(target) > top:
        target = set(sorted(target, key=lambda k: -base[k])[:top])
    q[[k in base and k not in target for k in keys]] = 0.0
    q /= q.sum()
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
    return token_of(expert, keys[pick])


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
    prompt: Sequence[int] | str | bytes,
    /,
    *,
    base: Drafter,
    expert: Scorer | BytePrefix,
    anti: Scorer | BytePrefix,
    alpha: float = 1.0,
    max_tokens: int = 64,
    draft: int = 8,
    support: Support = "union",
    stop: Collection[int] | Collection[bytes] = (),
    sample: bool = False,
    seed: int | np.random.Generator | None = None,
    floor: float | None = None,
) -> Generation:
    """Greedy proxy-tuned decoding: the base drafts, the dense small pair verifies.

    Args:
        prompt: The prompt's token ids when the three models share a tokenizer; its text (or
            bytes) when the small pair is `BytePrefix` (another tokenizer).
        base: The drafter, e.g. `CompletionsDrafter(client, model)`.
        expert: The tuned small model (dense, e.g. `LlamaCppScorer`), or a
            `BytePrefix(scorer)` when it tokenises differently from the base: each base
            candidate is then valued by its byte-prefix probability (an approximation, see
            docs/proxy.md), the output is in `Generation.pieces` (bytes) and `ids` is empty.
        anti: The untuned small model, the same kind as `expert`.
        alpha: The strength of the delta.
        max_tokens: The most tokens to generate.
        draft: Tokens asked of the base per call (L).
        support: The candidate set of `combine`.
        stop: Token ids that end the generation (kept in the output); token bytes with
            `BytePrefix` scorers.
        sample: Sample from the proxy-tuned distribution instead of taking its argmax. The base
            must then draft by sampling at temperature 1 (`CompletionsDrafter(temperature=1)`):
            a draft token `x` is accepted with probability `min(1, q(x) / p_B(x))`, and on
            rejection a token is drawn from `(q - p_B)+` renormalised. Exact samples from `q`
            with `support="base"`; with `"union"` the residual uses the imputed base values of
            the expert's extra tokens and is approximate.
        seed: The seed of the acceptance and residual draws (`sample=True`): an integer >= 0,
            a numpy `Generator` (drawn from as it is) or `None` (a fresh seed).
        floor: With `BytePrefix` scorers, the lowest byte-prefix logprob an unseen base token is
            assumed to have (`combine`'s `floor`); `None` certifies nothing.

    Returns:
        A `Generation`: the ids and text, per token `certified` / `imputed_mass` / `from_base`,
        and the cost: `base_calls`, `accepted` per call.

    Raises:
        ValueError: `max_tokens` or `draft` below 1, an unknown `support`, a non-finite
            `alpha`, a `floor` that is no logprob, a negative `seed`, `sample=True` with a
            drafter whose `temperature` is not 1, a prompt of the wrong kind for the scorers,
            an empty one (no id, or no byte with `BytePrefix`) or one with an id outside the
            expert's vocabulary (all checked before the base is called), or an expert whose
            `token_id` returns an id outside its vocabulary.
        TypeError: One of `expert` / `anti` a `BytePrefix` and the other not, `max_tokens` or
            `draft` not an integer, `alpha` no number, `sample` no bool, `seed` no integer,
            `Generator` or `None`, `stop` of the wrong kind (bytes or strings with dense
            scorers, ids or strings with `BytePrefix` ones: it would never match), a draft that
            is no `TokenDistribution`, or an expert whose `token_id` returns no integer or
            raises another error than `KeyError` for bytes it has no token for.
    """
    check_parts(base, expert, anti)
    at_least_one(max_tokens, "max_tokens", " (tokens to generate)")
    at_least_one(draft, "draft", " (tokens asked of the base per call)")
    check_support(support)
    check_strength(alpha, floor)
    stop = checked_stop(
        stop, in_bytes=isinstance(expert, BytePrefix) and isinstance(anti, BytePrefix)
    )
    rng = check_sampling(base, sample=sample, seed=seed)
    if isinstance(expert, BytePrefix) and isinstance(anti, BytePrefix):
        if not isinstance(prompt, str | bytes) or sample:
            msg = (
                "generate() with BytePrefix scorers takes the prompt as text or bytes (not ids) "
                "and decodes greedily (sample=False)"
            )
            raise ValueError(msg)
        if not prompt:
            msg = "generate() needs a prompt of at least one byte (a non-empty text or bytes)"
            raise ValueError(msg)
        return generate_bytes(
            prompt,
            base=base,
            expert=expert,
            anti=anti,
            alpha=alpha,
            max_tokens=max_tokens,
            draft=draft,
            support=support,
            stop=[s for s in stop if isinstance(s, bytes)],
            floor=floor,
        )
    if isinstance(expert, BytePrefix) or isinstance(anti, BytePrefix):
        msg = "expert and anti must both be BytePrefix (another tokenizer) or both not"
        raise TypeError(msg)
    if isinstance(prompt, str | bytes):
        msg = "generate() takes token ids when the small pair shares the base's tokenizer"
        raise TypeError(msg)
    ids = list(prompt)  # read once: each base call resends it
    if not ids:
        msg = "generate() needs a prompt of at least one token id"
        raise ValueError(msg)
    check_ids(ids, len(ids), len(expert.vocab), where="generate()")
    return _generate_ids(
        ids,
        _Loop(
            base,
            expert,
            anti,
            alpha,
            support,
            {int(s) for s in stop if not isinstance(s, bytes)},
        ),
        max_tokens=max_tokens,
        draft=draft,
        rng=rng,
    )


@dataclass(frozen=True)
class _Loop:
    """What the loop over token ids needs, fixed for one generation."""

    base: Drafter
    expert: Scorer
    anti: Scorer
    alpha: float
    support: Support
    stop: set[int]


def _generate_ids(
    prompt: Sequence[int],
    loop: _Loop,
    *,
    max_tokens: int,
    draft: int,
    rng: np.random.Generator | None,
) -> Generation:
    base, expert, anti, stop_ids = loop.base, loop.expert, loop.anti, loop.stop
    top = getattr(base, "top_logprobs", None)  # the k asked for, where the drafter says it
    trace = _Trace()
    seams: list[bool] = []
    finish = "length"
    while len(trace.out) < max_tokens:
        context = [*prompt, *trace.out]
        seams.append(not _seam_breaks(expert, context))
        d = checked_draft(base, context, min(draft, max_tokens - len(trace.out)))
        if not len(d):
            finish = "base"
            break
        drafted = _identified(expert, d)
        if len(drafted) < len(d):  # a drafted token with no identity: verify up to it, no further
            d = d[: len(drafted) + 1]
        e = expert.score(context, drafted)[: len(d)]
        a = anti.score(context, drafted)[: len(d)]
        step = combine(d, e, a, alpha=loop.alpha, support=loop.support)
        trace.steps.append(step)
        trace.drafts.append(d)
        taken = trace.verify(
            step,
            d,
            [*drafted, _UNKNOWN][: len(d)],
            expert,
            rng=rng,
            stop=stop_ids,
            limit=max_tokens,
            top=top,
        )
        trace.accepted.append(taken)
        if trace.out[-1] in stop_ids:
            finish = "stop"
            break
        if taken == len(d) and d.finish_reason == "stop" and len(d) < draft:
            finish = "base"
            break
    return trace.generation(finish, ids=trace.out, seams=seams)
