"""Exact label probabilities from scoring calls: each variant scored as the continuation.

What "exact" means here: for each variant string `s` *as written*, `P(s) = exp(sum of the
server's logprobs of the tokens of s after context)`, the server's own tokenisation of
`context + s` (the probability that the answer's first tokens are exactly those); a label's
probability is the sum over its variants. As in the chain rule of `Labels.probs`, a label ends
at the token boundary where its text ends: what comes after (`"Yes."`, `"Yes!"`) is not looked
at. The variants must be disjoint events, so none may be a prefix of another (`"New"` with
`"New York"`: the chance of starting with `"New"` contains the other's; deciding between them
needs the whole next-token distribution, which a score does not give). Nothing is bounded:
`.bounds` collapse to the value, `.tail` is everything else the model might write,
`1 - sum(raw)`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs._said import a_type, a_value, check_type
from tokenprobs.client import DEFAULT_RETRY
from tokenprobs.exceptions import ScoringError
from tokenprobs.labels._job import Job
from tokenprobs.labels._position import resolve
from tokenprobs.labels._result import LabelResult, build
from tokenprobs.models._expect import expect_distribution
from tokenprobs.scoring._score import Texts

if TYPE_CHECKING:
    import openai
    from numpy.typing import NDArray

    from tokenprobs.client import RetryPolicy
    from tokenprobs.guards import GuardMode, GuardProfile
    from tokenprobs.labels._match import Normaliser
    from tokenprobs.labels._position import At
    from tokenprobs.models import TokenDistribution

__all__ = ["Exact", "collapsed", "from_requested"]

_SEAM_HINT = (
    "end the context where a token ends (after the chat template's newline, or before the "
    "space that starts the answer, with the space written into each variant: ' Yes')"
)


def _disjoint(variants: list[str]) -> None:
    """Refuse variants that are not disjoint events: one written twice, or one a prefix of another.

    Raises:
        ValueError: Naming the repeated variant or the pair.
    """
    repeated = sorted({v for v in variants if variants.count(v) > 1})
    if repeated:
        msg = (
            f"variants {repeated} are given more than once: a string is one event, scored once; "
            "list each variant once"
        )
        raise ValueError(msg)
    for a in variants:
        for b in variants:
            if a != b and b.startswith(a):
                msg = (
                    f"variant {a!r} is a prefix of {b!r}: the probability of an answer starting "
                    f"with {a!r} contains the answers starting with {b!r}, and only the whole "
                    "next-token distribution could tell them apart; score disjoint strings, or "
                    "use Labels.probs (the chain rule along the sampled path)"
                )
                raise ValueError(msg)


def _logprob(d: TokenDistribution, variant: str, context: str) -> float:
    if d.text != variant or np.isnan(d.logprobs).any():
        what = (
            f"the server's tokens of the context and {variant!r} cross the seam: the scored "
            f"positions spell {d.text!r}, so their logprobs are not those of {variant!r} after "
            f"the context (…{context[-20:]!r})"
        )
        raise ScoringError(what, hint=_SEAM_HINT)
    return math.fsum(d.logprobs.tolist())


def _variants(
    names: tuple[str, ...], variants: dict[str, tuple[str, ...]], context: str
) -> list[tuple[str, int]]:
    check_type(
        context,
        str,
        "context must be the prompt as one string, exactly as the model sees it (a chat's "
        "messages rendered through its template)",
    )
    if not context:
        msg = "Labels.score needs the prompt as context: the first token of a text has no logprob"
        raise ValueError(msg)
    flat = [(v, k) for k, name in enumerate(names) for v in variants[name]]
    _disjoint([v for v, _ in flat])
    return flat


def _exact_result(
    names: tuple[str, ...],
    flat: list[tuple[str, int]],
    results: Sequence[TokenDistribution | Exception],
    context: str,
) -> LabelResult:
    logprobs = np.full(len(names), -math.inf)
    multi: set[str] = set()
    for (v, k), result in zip(flat, results, strict=True):
        if isinstance(result, Exception):
            raise result
        logprobs[k] = np.logaddexp(logprobs[k], _logprob(result, v, context))
        if len(result) > 1:
            multi.add(names[k])
    return collapsed(names, np.exp(logprobs), position=0, multi_token=frozenset(multi))


def collapsed(
    names: tuple[str, ...],
    raw: NDArray[np.float64],
    *,
    position: int,
    multi_token: frozenset[str] = frozenset(),
) -> LabelResult:
    """An exact `LabelResult`: bounds `(raw, raw)`, tail `1 - sum(raw)`, nothing else unknown."""
    return build(
        names,
        raw,
        raw,
        raw,
        unmatched=0.0,
        ambiguous_sets={},
        tail=max(0.0, 1.0 - math.fsum(raw.tolist())),
        position=position,
        all_seen=True,
        multi_token=multi_token,
    )


@dataclass(frozen=True)
class _Job(Job[LabelResult]):
    """What `Labels.score` and `Labels.ascore` send: the context followed by each variant."""

    names: tuple[str, ...]
    flat: list[tuple[str, int]]
    many: Texts

    def finish(self, answers: Sequence[TokenDistribution | Exception]) -> LabelResult:
        """The exact `LabelResult` of the answers, or the first failure raised."""
        return _exact_result(self.names, self.flat, self.many.finish(answers), self.many.context)


def _plan(
    names: tuple[str, ...],
    variants: dict[str, tuple[str, ...]],
    context: str,
    *,
    model: str,
    client: openai.OpenAI | openai.AsyncOpenAI | None,
    top_logprobs: int,
    concurrency: int,
    retry: RetryPolicy | None,
    guards: GuardMode,
    profile: str | GuardProfile | None,
    create_kwargs: dict[str, object],
) -> _Job:
    """The scoring requests of every variant after `context` (see the module docstring)."""
    flat = _variants(names, variants, context)
    many = Texts.of(
        [v for v, _ in flat], context=context, model=model, client=client, kwargs=create_kwargs
    )
    options = many.options(
        top_logprobs=top_logprobs,
        concurrency=concurrency,
        progress=False,
        retry=retry,
        guards=guards,
        profile=profile,
    )
    return _Job(many.prompts, options, names, flat, many)


def _token_ids(ids: object) -> dict[object, list[int]]:
    """`ids` checked to map each label to a list of int token ids.

    Raises:
        TypeError: `ids` is not a mapping, a label's ids are not a list, or an id is no int.
    """
    if not isinstance(ids, Mapping):
        msg = (
            f"ids maps each label to a list of int token ids ({{'yes': [9891], 'no': [2201]}}), "
            f"got {a_type(ids)}"
        )
        raise TypeError(msg)
    out: dict[object, list[int]] = {}
    for name, given in ids.items():
        if isinstance(given, str | bytes) or not isinstance(given, Sequence):
            hint = f" (write [{given!r}] for one id)" if isinstance(given, numbers.Integral) else ""
            msg = f"the ids of {name!r} must be a list of int token ids, got {a_value(given)}{hint}"
            raise TypeError(msg)
        wrong = [t for t in given if isinstance(t, bool) or not isinstance(t, numbers.Integral)]
        if wrong:
            msg = (
                f"token id {wrong[0]!r} of {name!r} is {a_type(wrong[0])}, not an int: "
                "ids are the tokenizer's integer ids"
            )
            raise TypeError(msg)
        out[name] = [int(t) for t in given]
    return out


def from_requested(
    names: tuple[str, ...], d: TokenDistribution, i: int, ids: Mapping[str, Sequence[int]]
) -> LabelResult:
    """The exact `LabelResult` at position `i` from vLLM's requested-token logprobs.

    Raises:
        TypeError: `d` is not a `TokenDistribution`, or `ids` is not a mapping of labels to
            lists of int ids.
        ValueError: A label is not in the set or has no id, an id is given twice, was not
            requested (`logprob_token_ids`), or has no logprob at the position.
    """
    d = expect_distribution(d, "Labels.requested(d)")
    table = _token_ids(ids)
    unknown = sorted(set(table) - set(names), key=str)
    if unknown:
        msg = f"ids names labels not in the set: {unknown} (the labels are {list(names)})"
        raise ValueError(msg)
    flat = [(t, k) for k, name in enumerate(names) for t in table.get(name, ())]
    missing = [n for n in names if not table.get(n)]
    if missing:
        msg = f"no token id for {missing}: give every label the ids of its one-token variants"
        raise ValueError(msg)
    if len({t for t, _ in flat}) != len(flat):
        msg = "a token id is given twice in ids: each id is one label's"
        raise ValueError(msg)
    column = {t: c for c, t in enumerate(d.requested_token_ids)}
    absent = [t for t, _ in flat if t not in column]
    if absent:
        msg = (
            f"token ids {absent} were not requested: add them to the request's "
            f"logprob_token_ids and to tp.parse(obj, logprob_token_ids=...) "
            f"(requested: {d.requested_token_ids})"
        )
        raise ValueError(msg)
    lps = np.array([d.requested_logprobs[i, column[t]] for t, _ in flat])
    if np.isnan(lps).any():
        gone = [t for (t, _), lp in zip(flat, lps, strict=True) if np.isnan(lp)]
        msg = f"the server gave no logprob for the requested ids {gone} at position {i}"
        raise ValueError(msg)
    raw = np.zeros(len(names))
    np.add.at(raw, [k for _, k in flat], np.exp(np.minimum(lps, 0.0)))
    return collapsed(names, raw, position=i)


class Exact:
    """`Labels`' exact readings: scoring calls (`score`, `ascore`) and vLLM's requested ids."""

    names: tuple[str, ...]
    variants: dict[str, tuple[str, ...]]
    _norm: Normaliser

    def score(
        self,
        context: str,
        /,
        *,
        model: str,
        client: openai.OpenAI | None = None,
        top_logprobs: int = 1,
        concurrency: int = 8,
        retry: RetryPolicy | None = DEFAULT_RETRY,
        guards: GuardMode = "strict",
        profile: str | GuardProfile | None = None,
        **create_kwargs: object,
    ) -> LabelResult:
        """The exact label probabilities after `context`, from one scoring call per variant.

        Opt-in and the only method here that does I/O: each variant, **as written**, is scored
        by `tp.score` as the continuation of `context` (the whole prompt, chat template and all,
        on a server that echoes: vLLM, llama-cpp-python, an OpenAI base model). A variant's
        probability is `exp` of the sum of its tokens' logprobs (the server's tokenisation of
        `context + variant`; as in the chain rule, the label ends where its text ends); a
        label's is the sum over its variants. The matching options play no part: write every
        surface form you want counted (`{"yes": ["Yes", "yes"], ...}`, with a leading space
        where the answer starts with one).

        Args:
            context: The prompt the answer follows (not empty), exactly as the model sees it.
            model: The model id.
            client: An `OpenAI` client of a server that can score (see `tp.score`).
            top_logprobs: Alternatives per scored position (`tp.score`'s).
            concurrency: Scoring requests in flight at once.
            retry: How tokenprobs retries, as for `get_token_distribution`.
            guards: `"strict"`, `"warn"` or `"off"`, as for `get_token_distribution`.
            profile: The guards' profile, as for `get_token_distribution`.
            **create_kwargs: Passed to `completions.create()`, as for `tp.score`.

        Returns:
            A `LabelResult` with `exact=True`: `.raw` the label probabilities, `.bounds` each
            collapsed to `(raw, raw)`, `.tail = 1 - sum(raw)` (whatever else the model might
            write), `.unmatched` and `.ambiguous` 0, `.position` 0 (the first position after
            `context`), `.multi_token` the labels with a variant of several tokens.

        Raises:
            ScoringError: The server cannot score (see `tp.score`), or a variant's tokens cross
                the seam with `context` (its logprobs would not be the variant's).
            TypeError: `context` is not a string (a list of messages: render the template).
            ValueError: `context` is empty, or a variant is given twice or is a prefix of
                another (`"New"`, `"New York"`: not disjoint events).
            openai.APIError: A request failed (after retries): the first failure is raised.
        """
        return _plan(
            self.names,
            self.variants,
            context,
            model=model,
            client=client,
            top_logprobs=top_logprobs,
            concurrency=concurrency,
            retry=retry,
            guards=guards,
            profile=profile,
            create_kwargs=create_kwargs,
        ).send()

    async def ascore(
        self,
        context: str,
        /,
        *,
        model: str,
        client: openai.AsyncOpenAI | None = None,
        top_logprobs: int = 1,
        concurrency: int = 8,
        retry: RetryPolicy | None = DEFAULT_RETRY,
        guards: GuardMode = "strict",
        profile: str | GuardProfile | None = None,
        **create_kwargs: object,
    ) -> LabelResult:
        """The async twin of `score` (an `AsyncOpenAI` client; same arguments and result)."""
        return await _plan(
            self.names,
            self.variants,
            context,
            model=model,
            client=client,
            top_logprobs=top_logprobs,
            concurrency=concurrency,
            retry=retry,
            guards=guards,
            profile=profile,
            create_kwargs=create_kwargs,
        ).asend()

    def requested(
        self, d: TokenDistribution, /, *, ids: Mapping[str, Sequence[int]], at: At = None
    ) -> LabelResult:
        """Exact label probabilities at the answer position from vLLM's requested-token logprobs.

        No I/O: `d` came from vLLM asked for `logprob_token_ids` (parsed with
        `tp.parse(obj, logprob_token_ids=[...])`), whose logprobs are exact whatever their
        rank. `ids` gives each label the ids of the tokens that by themselves spell one of its
        variants (`{"yes": [9891, 7566], "no": [2201, 912]}`); a label's probability is the sum
        of its ids' probabilities at the position, the chance that the answer's token there is
        one of them. A multi-token variant is not covered by its first token's id (that id only
        starts it): score it with `Labels.score`.

        Returns:
            A `LabelResult` with `exact=True`, `.bounds` collapsed, `.tail = 1 - sum(raw)`.

        Raises:
            LabelPositionError: If `at` names no position of `d`.
            TypeError: `d` is not a `TokenDistribution` (a raw response: `tp.parse` it with
                `logprob_token_ids=`), or `ids` does not map labels to lists of int ids.
            ValueError: A label has no id, an id is given twice, was not requested, or has no
                logprob at the position.
        """
        d = expect_distribution(d, "Labels.requested(d)")
        return from_requested(self.names, d, resolve(d, at, self._norm), ids)
