"""Type-checked use of the public API (mypy --strict checks it; it is never run)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import openai
import pydantic

import tokenprobs as tp

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


def use(raw: bytes) -> None:  # noqa: PLR0915 - one place that touches every public name
    """Every public name used the way a user would, so a signature change breaks mypy."""
    d: tp.TokenDistribution = tp.parse(raw, choice=0)
    ds: list[tp.TokenDistribution] = tp.parse_all(raw)
    first: tp.TokenLogprob = d[0]
    alt: tp.TopLogprob = first.top_logprobs[0]
    p: float = alt.prob + first.prob
    lp: NDArray[np.float64] = d.logprobs
    top: NDArray[np.float64] = d.top_logprobs
    h: NDArray[np.float64] = d.entropy + d.margin + d.tail_mass + d.probs
    bounds: NDArray[np.float64] = d.entropy_bounds(vocab_size=200_000)
    spans: list[tp.Span] = d.uncertain(threshold=0.5, by="prob")
    text: str = d.text
    ppl: float = d.perplexity
    js: str = d.model_dump_json()
    again: tp.TokenDistribution = tp.TokenDistribution.model_validate_json(js)
    tp.check_request("chat.completions", {"model": "gpt-4o", "logprobs": True})
    ent: NDArray[np.float64] = tp.metrics.entropy(lp, base=2)
    html: str = tp.render.to_html(d, mode="entropy")
    client = openai.OpenAI(api_key="sk-typing")
    asked: tp.TokenDistribution = tp.get_token_distribution(
        "Hi", model="gpt-4o-mini", top_logprobs=5, client=client, retry=tp.RetryPolicy()
    )
    stream: tp.DistributionStream = tp.get_token_distribution(
        "Hi", model="gpt-4o-mini", client=client, stream=True, profile="openai"
    )
    many: list[tp.TokenDistribution | Exception] = tp.get_token_distributions(
        ["a", "b"], model="gpt-4o-mini", client=client, concurrency=2, progress=False
    )
    summary: tp.metrics.Summary = tp.metrics.summary(top)
    server: str | None = tp.guards.detect_server(asked.response)
    del stream, many, summary, server
    acc = tp.StreamAccumulator()
    grown: list[tuple[int, int]] = acc.feed({})
    cands: tp.models.Candidates = d.candidates
    cap: NDArray[np.float64] = cands.cap + cands.tail
    aligned: list[tp.models.AlignedPosition] = tp.models.align(cands, again.candidates)
    yes: tp.LabelResult = tp.Labels(["yes", "no"]).probs(d)
    sure: float = yes.probs["yes"] + tp.labels.sequence_probability(d)
    leaves: tp.fields.FieldConfidences = tp.fields.confidence(d)
    prompt: tp.TokenDistribution = tp.parse(raw, part="prompt")
    prompts: list[tp.TokenDistribution] = tp.parse_all(raw, part="prompt")
    length: int | None = prompt.prompt_length
    ranks: NDArray[np.int64] = prompt.ranks + prompt.top_ranks[:, 0]
    asked_ids: tp.TokenDistribution = tp.parse(raw, logprob_token_ids=[1, 2])
    exact: NDArray[np.float64] = asked_ids.requested_logprobs
    which: list[int] = asked_ids.requested_token_ids
    scored: tp.TokenDistribution = tp.score(" b", context="a", model="davinci-002", client=client)
    choices: tp.ChoiceScores = tp.score_choices("a", [" b", " c"], model="m", client=client)
    best: str = choices.best
    chance: NDArray[np.float64] = choices.probs + choices.per_token + choices.per_byte
    ll: tuple[float, bool] = tp.scoring.loglikelihood("a", " b", model="m", client=client)
    texts: list[tp.TokenDistribution | Exception] = tp.scoring.score_many(
        ["a", "b"], model="m", client=client, progress=False
    )
    try:
        tp.score("x", model="m", client=client)
    except tp.ScoringError as exc:
        hint: str = exc.hint
        del hint
    ids: NDArray[np.int64] = d.token_ids
    top_ids: NDArray[np.int64] = d.top_token_ids
    del cap, aligned, sure, leaves
    del (
        ds,
        p,
        top,
        h,
        bounds,
        spans,
        text,
        ppl,
        again,
        ent,
        html,
        grown,
        ids,
        top_ids,
        prompts,
        length,
        ranks,
        exact,
        which,
        scored,
        best,
        chance,
        ll,
        texts,
    )


async def use_async(client: openai.AsyncOpenAI) -> None:
    """The async twins, as a user awaits them."""
    results: tp.labels.LabelResults = await tp.aclassify(
        ["great", "awful"], tp.Labels(["positive", "negative"]), model="gpt-4o-mini", client=client
    )
    head: tp.labels.LabelResults = results[:1]  # a slice keeps .matrix() and .to_pandas()
    first: tp.LabelResult | Exception = results[0]
    del results, head, first


def use_tools(d: tp.TokenDistribution, other: tp.TokenDistribution, client: openai.OpenAI) -> None:
    """The downstream tools, as a user calls them."""
    step: tp.proxy.ProxyStep = tp.proxy.combine(d, other, other, alpha=1.0, support="union")
    certain: NDArray[np.bool_] = step.certified
    diff: tp.Comparison = tp.compare(d, other, floor=None)
    tv: NDArray[np.float64] = diff.tv + diff.js + diff.kl
    labels = tp.Labels(["yes", "no"])
    exact: tp.LabelResult = labels.score("Is it? Answer:", model="m", client=client)
    asked: tp.LabelResult = labels.requested(d, ids={"yes": [1], "no": [2]})
    del step, certain, tv, exact, asked


class Judged(pydantic.BaseModel):
    """A user's model with a distribution as a field."""

    label: str
    dist: tp.TokenDistribution
