"""Multiple choice, lm-eval style: each choice scored as a continuation of the same context."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs._listed import not_unordered
from tokenprobs._said import a_type, a_value
from tokenprobs.client import DEFAULT_RETRY, aget_token_distributions, get_token_distributions
from tokenprobs.models import TokenDistribution
from tokenprobs.models._arrays import readonly
from tokenprobs.scoring._score import Texts, score

if TYPE_CHECKING:
    from collections.abc import Sequence

    import openai
    from numpy.typing import NDArray

    from tokenprobs.client import RetryPolicy
    from tokenprobs.guards import GuardMode, GuardProfile

__all__ = ["ChoiceScores", "ascore_choices", "greedy", "loglikelihood", "score_choices"]

_TIE = 1e-6


def greedy(d: TokenDistribution) -> bool:
    """Whether every position's token is the most likely there (greedy decoding writes it).

    Within 1e-6 of the best returned alternative (ties count); False where a position has no
    logprob, probability 0 (`-inf`, the `-9999` sentinel: greedy decoding writes no token of
    probability 0, even where every alternative is at the sentinel too) or no alternatives to
    compare with, and for a distribution with no positions.

    Raises:
        TypeError: `d` is not a `TokenDistribution`.
    """
    given: object = d  # checked as a caller may pass anything
    if not isinstance(given, TokenDistribution):
        msg = f"greedy(d) takes a TokenDistribution (tp.score's result), got {a_type(given)}"
        raise TypeError(msg)
    if not len(d):
        return False
    has_alternatives = np.fromiter(map(len, d.top_tokens), dtype=np.intp, count=len(d)) > 0
    best = d.top_logprobs.max(axis=1, initial=-np.inf)
    with np.errstate(invalid="ignore"):
        ok = (d.logprobs >= best - _TIE) & (d.logprobs > -np.inf)  # NaN compares False
    return bool((ok & has_alternatives).all())


@dataclass(frozen=True, eq=False)
class ChoiceScores:
    """The scores of each choice as a continuation of one context.

    Attributes:
        choices: The choices, as given (a tuple: the scores below are theirs, in this order).
        distributions: Each choice's scored positions (`tp.score`'s result), a tuple.
        logprobs: `(C,)` the summed logprob of each choice (its log-likelihood, nats).
        token_counts: `(C,)` how many tokens each choice has.
        byte_counts: `(C,)` the UTF-8 length of each choice.
        greedy: `(C,)` whether greedy decoding from the context writes the choice.
    """

    choices: tuple[str, ...]
    distributions: tuple[TokenDistribution, ...]
    logprobs: NDArray[np.float64]
    token_counts: NDArray[np.int64]
    byte_counts: NDArray[np.int64]
    greedy: NDArray[np.bool_]

    def __post_init__(self) -> None:
        """Keep `choices` and `distributions` as tuples, built directly too (not through `of`).

        A list could be changed after the scores were computed from it, and `best` would then
        name another choice than the one that scored best.
        """
        object.__setattr__(self, "choices", tuple(self.choices))
        object.__setattr__(self, "distributions", tuple(self.distributions))

    @classmethod
    def of(cls, choices: Sequence[str], distributions: Sequence[TokenDistribution]) -> ChoiceScores:
        """Build from each choice's scored distribution (`tp.score`'s result), in order.

        A choice's logprob is the sum over all its positions: NaN when one has no logprob (the
        first token of a text scored with `context=""`), `-inf` when one is below the returned
        alternatives (the `-9999` sentinel). A positive logprob (a server's rounding, which
        `tp.parse` warns of) counts as 0, as `d.perplexity` and `tp.metrics` read it: no choice
        has a log-likelihood above 0.

        Raises:
            TypeError: A choice is not a `str`, or a distribution not a `TokenDistribution`.
            ValueError: No choices, not one distribution per choice, or a choice that is empty,
                given twice or has no scored position.
        """
        _check_lists(choices, distributions)
        texts, scored = tuple(choices), tuple(distributions)
        for what, items, kind in (
            ("choice", texts, str),
            ("distribution", scored, TokenDistribution),
        ):
            for i, given in enumerate(items):
                if not isinstance(given, kind):
                    msg = (
                        f"ChoiceScores.of: {what} {i} must be a {kind.__name__} (choices are the "
                        "texts, distributions what `tp.score` returned for them), got "
                        f"{a_type(given)}"
                    )
                    raise TypeError(msg)
        if len(texts) != len(scored):
            msg = (
                f"ChoiceScores.of needs one distribution per choice, got {len(texts)} choices "
                f"and {len(scored)} distributions"
            )
            raise ValueError(msg)
        if not texts:
            msg = "ChoiceScores.of needs at least one choice, got none"
            raise ValueError(msg)
        for i, (c, d) in enumerate(zip(texts, scored, strict=True)):
            if not c:
                msg = f"choice {i} ({c!r}) is empty: every choice needs a text to score"
                raise ValueError(msg)
            if not len(d):
                msg = (
                    f"choice {i} ({c!r}) has no scored position: pass the distribution "
                    "`tp.score` returned for it"
                )
                raise ValueError(msg)
        _once(texts)
        return cls(
            choices=texts,
            distributions=scored,
            logprobs=readonly(np.array([_summed(d) for d in scored])),
            token_counts=readonly(np.array([len(d) for d in scored], dtype=np.int64)),
            byte_counts=readonly(np.array([len(c.encode("utf-8")) for c in texts], dtype=np.int64)),
            greedy=readonly(np.array([greedy(d) for d in scored], dtype=bool)),
        )

    @property
    def per_token(self) -> NDArray[np.float64]:
        """`(C,)` the mean logprob per token of each choice."""
        return readonly(self.logprobs / self.token_counts)

    @property
    def per_byte(self) -> NDArray[np.float64]:
        """`(C,)` the logprob per UTF-8 byte of each choice.

        lm-eval's `acc_norm` divides by characters (`len(choice)`), which is the same for an
        ASCII choice only: `self.logprobs / [len(c) for c in self.choices]` is its measure.
        """
        return readonly(self.logprobs / self.byte_counts)

    @property
    def probs(self) -> NDArray[np.float64]:
        """`(C,)` the softmax of the summed logprobs over the choices (they sum to 1).

        `p_i = exp(l_i - logsumexp(l))`: the probability of each choice given that one of them
        is the answer. All NaN when a choice's logprob is unknown (NaN) or every choice has
        probability 0 (all `-inf`): the normalisation is then undefined.
        """
        with np.errstate(invalid="ignore"):
            shifted = self.logprobs - np.max(self.logprobs)
            weights = np.exp(shifted)
            return readonly(weights / weights.sum())

    @property
    def best_index(self) -> int:
        """The index of the most likely choice by summed logprob.

        Raises:
            ValueError: A choice's logprob is unknown (NaN: a position with no logprob, such as
                the first token scored with `context=""`), or every choice has probability 0.
        """
        unknown = np.flatnonzero(np.isnan(self.logprobs))
        if unknown.size:
            which = ", ".join(f"{i} ({self.choices[i]!r})" for i in unknown)
            msg = (
                f"no best choice: choice {which} has a position with no logprob, so its "
                "log-likelihood is unknown; score the choices after a non-empty context "
                "(or with a server that scores the first token after a BOS token)"
            )
            raise ValueError(msg)
        if np.isneginf(self.logprobs).all():
            msg = (
                "no best choice: every choice has probability 0 (each has a token at the -9999 "
                "sentinel, below every returned alternative), so they cannot be ranked from "
                "these logprobs"
            )
            raise ValueError(msg)
        return int(np.argmax(self.logprobs))

    @property
    def best(self) -> str:
        """The most likely choice by summed logprob (lm-eval's `acc`).

        Raises:
            ValueError: As `best_index`: no choice can be said to be the most likely.
        """
        return self.choices[self.best_index]


def _summed(d: TokenDistribution) -> float:
    """A scored text's log-likelihood: the sum of its logprobs, each at most 0, NaN kept.

    A logprob above 0 is a server's rounding of a near-certain token (float32 on llama.cpp and
    vLLM): read as 0, as `d.probs`, `d.perplexity` and the metrics read it, so the sum is never
    a probability above 1 and `exp(-sum / n)` is `d.perplexity`.
    """
    return float(np.sum(np.minimum(d.logprobs, 0.0)))  # NaN stays NaN


def loglikelihood(
    context: str,
    continuation: str,
    *,
    model: str,
    client: openai.OpenAI | None = None,
    top_logprobs: int = 1,
    retry: RetryPolicy | None = DEFAULT_RETRY,
    guards: GuardMode = "strict",
    profile: str | GuardProfile | None = None,
    **create_kwargs: object,
) -> tuple[float, bool]:
    """lm-eval-harness's `loglikelihood`: `(sum of the continuation's logprobs, is_greedy)`.

    The sum reads a positive logprob (a server's rounding) as 0, as `ChoiceScores.logprobs` does.

    The arguments are `tp.score`'s. `is_greedy` needs at least one alternative per position
    (`top_logprobs >= 1`): with `top_logprobs=0` it is False, as nothing shows the best token
    (vLLM and llama-cpp-python then return the scored token alone as its own alternative,
    which would make every continuation look greedy).

    Raises:
        ScoringError: The server cannot score (see `tp.score`).
    """
    d = score(
        continuation,
        model=model,
        context=context,
        client=client,
        top_logprobs=top_logprobs,
        retry=retry,
        guards=guards,
        profile=profile,
        **create_kwargs,
    )
    return _summed(d), _shows_best(top_logprobs) and greedy(d)


def score_choices(
    context: str,
    choices: Sequence[str],
    *,
    model: str,
    client: openai.OpenAI | None = None,
    top_logprobs: int = 1,
    concurrency: int = 8,
    progress: bool = False,
    retry: RetryPolicy | None = DEFAULT_RETRY,
    guards: GuardMode = "strict",
    profile: str | GuardProfile | None = None,
    **create_kwargs: object,
) -> ChoiceScores:
    """Score each choice as a continuation of `context`, `concurrency` requests at a time.

    Each choice is one `tp.score` request (through the many-prompts machinery); the seam rule
    is `tp.score`'s, so start each choice with the space that separates it from the context
    (`" Paris"`). `tp.ascore_choices` is the async twin. `.greedy` needs `top_logprobs >= 1`:
    with 0 it is False for every choice (see `loglikelihood`).

    Raises:
        ScoringError: The server cannot score (see `tp.score`).
        TypeError: `choices` is one `str` or no list, a choice or `context` is not a `str`,
            or `top_logprobs` is no integer.
        ValueError: No choices, an empty one, or one given twice; `top_logprobs` negative.
        openai.APIError: A request failed (after retries): the first failure is raised.

    Examples:
        >>> import tokenprobs as tp
        >>> s = tp.score_choices(
        ...     "Capital of France:", [" Paris", " Rome"], model="davinci-002"
        ... )  # doctest: +SKIP
        >>> s.best, s.probs.round(2).tolist()  # doctest: +SKIP
        (' Paris', [0.97, 0.03])
    """
    many = _many(context, choices, model, client, create_kwargs)
    options = many.options(top_logprobs, concurrency, progress, retry, guards, profile)
    return _scores(many, get_token_distributions(many.prompts, **options), top_logprobs)


async def ascore_choices(
    context: str,
    choices: Sequence[str],
    *,
    model: str,
    client: openai.AsyncOpenAI | None = None,
    top_logprobs: int = 1,
    concurrency: int = 8,
    progress: bool = False,
    retry: RetryPolicy | None = DEFAULT_RETRY,
    guards: GuardMode = "strict",
    profile: str | GuardProfile | None = None,
    **create_kwargs: object,
) -> ChoiceScores:
    """The async twin of `score_choices`: an `AsyncOpenAI` client, the same arguments and result.

    The `concurrency` requests in flight are tasks on the running event loop; the checks before
    any request, the scoring and the first failure raised are `score_choices`' own.
    """
    many = _many(context, choices, model, client, create_kwargs)
    options = many.options(top_logprobs, concurrency, progress, retry, guards, profile)
    return _scores(many, await aget_token_distributions(many.prompts, **options), top_logprobs)


def _many(
    context: str, choices: Sequence[str], model: str, client: object, kwargs: dict[str, object]
) -> Texts:
    """The requests of a multiple choice, checked before any is sent (the twins' shared start).

    A choice given twice is refused: the softmax over the choices would split its probability
    between its copies, and `best` would name the first. A mapping is refused too (it iterates as
    its keys, where a caller mapping labels to texts meant its values), and so is a set.
    """
    not_unordered(choices, "choices", "texts to score")
    many = Texts.of(
        choices, context=context, model=model, client=client, kwargs=kwargs, name="choices"
    )
    if not many.texts:
        msg = "score_choices needs at least one choice"
        raise ValueError(msg)
    _once(many.texts)
    return many


def _once(choices: Sequence[str]) -> None:
    """Refuse a choice given twice: the softmax over the choices would split its probability.

    Raises:
        ValueError: Two choices are the same text (the message names both indices).
    """
    seen: dict[str, int] = {}
    for i, choice in enumerate(choices):
        if choice in seen:
            msg = (
                f"choices {seen[choice]} and {i} are the same text ({choice!r}): the softmax "
                "over the choices would split its probability between them; pass each choice once"
            )
            raise ValueError(msg)
        seen[choice] = i


def _shows_best(top_logprobs: int) -> bool:
    """Whether a score asked for `top_logprobs` alternatives shows each position's best token.

    With 0 it does not: vLLM and llama-cpp-python return the scored token alone as the one
    alternative (they always add it), so every token would look like the best one. The count
    was checked (an integer of at least 0) before the request was sent.
    """
    return int(top_logprobs) > 0


def _scores(
    many: Texts, results: list[TokenDistribution | Exception], top_logprobs: int
) -> ChoiceScores:
    """The scores of every choice, or the first failure raised (the twins' shared end)."""
    out = []
    for result in many.finish(results):
        if isinstance(result, Exception):
            raise result
        out.append(result)
    scores = ChoiceScores.of(many.texts, out)
    if _shows_best(top_logprobs):
        return scores
    return replace(scores, greedy=readonly(np.zeros(len(out), dtype=bool)))


def _check_lists(choices: object, distributions: object) -> None:
    """Refuse `ChoiceScores.of` arguments that are no lists (one choice, one distribution)."""
    given: dict[str, object] = {"choices": choices, "distributions": distributions}
    for name, value in given.items():
        one = isinstance(value, str | TokenDistribution)
        if one or not isinstance(value, Iterable) or isinstance(value, bytes | Mapping):
            fix = "; for one choice, a list of one" if one else ""
            msg = f"ChoiceScores.of: {name} is a list{fix}, got {a_value(value, width=40)}"
            raise TypeError(msg)
