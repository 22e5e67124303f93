"""`classify`: label probabilities for many inputs, on the many-prompts machinery."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tokenprobs import guards as guard_tables
from tokenprobs._counts import at_least_one
from tokenprobs._listed import not_one_text, not_unordered
from tokenprobs._said import a_type, check_flag, check_items
from tokenprobs.batch import check_prompt
from tokenprobs.client import DEFAULT_RETRY, RetryPolicy
from tokenprobs.client._defaults import base_url_of
from tokenprobs.client._request import check_model, prepare
from tokenprobs.exceptions import TokenprobsWarning
from tokenprobs.labels._job import Job
from tokenprobs.labels._labels import Labels
from tokenprobs.labels._position import Char, check_at

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import openai

    from tokenprobs.client import Endpoint, Prompt
    from tokenprobs.guards import GuardMode, GuardProfile
    from tokenprobs.labels._position import At
    from tokenprobs.labels._result import LabelResults
    from tokenprobs.models import TokenDistribution

__all__ = ["DEFAULT_PROMPT", "LabelsWarning", "aclassify", "classify"]

DEFAULT_PROMPT = "{input}\n\nAnswer with exactly one of: {labels}. Answer with the label only."
"""The prompt `classify` uses when none is given (`{input}` and `{labels}` are filled in)."""

_DEFAULT_CAP = 20
_RESPONSES_MIN_OUTPUT = 16
"""The least `max_output_tokens` the Responses API takes ("integer below minimum value")."""


class LabelsWarning(TokenprobsWarning):
    """Label probabilities that are less certain than they look (labels not single tokens ...)."""


def _cap(
    model: str,
    client: openai.OpenAI | openai.AsyncOpenAI | None,
    profile: str | GuardProfile | None,
) -> int:
    """The most alternatives the guards allow for this model and server (20 at most)."""
    base_url = None if client is None else str(client.base_url)
    chosen = guard_tables.select_profile(base_url, profile)
    base = guard_tables.resolve_model(model)
    for family in chosen.families:
        if family.matches(base) and family.max_top_logprobs is not None:
            return min(_DEFAULT_CAP, family.max_top_logprobs)
    if chosen.max_top_logprobs is not None:
        return min(_DEFAULT_CAP, chosen.max_top_logprobs)
    return _DEFAULT_CAP


def _prompter(
    prompt: str | Callable[[str], Prompt] | None, labels: Labels
) -> Callable[[str], Prompt]:
    if callable(prompt):
        return prompt
    given: object = prompt  # checked as a caller may pass anything
    if not (given is None or isinstance(given, str)):
        msg = (
            "prompt must be a template string with {input} (and optionally {labels}), or a "
            f"function from an input to a prompt, got {a_type(given)}"
        )
        raise TypeError(msg)
    template = DEFAULT_PROMPT if prompt is None else prompt
    if "{input}" not in template:
        msg = "prompt must contain {input} (where each input goes), or be a function of it"
        raise ValueError(msg)
    names = ", ".join(labels.names)
    return lambda x: template.replace("{labels}", names).replace("{input}", x)


def _prompts(make: Callable[[str], Prompt], items: Sequence[Any]) -> list[Prompt]:
    """Each input's prompt, checked to be a string or a list of messages before any request.

    A function that returns anything else is a bug of that function, the same for every
    input: it is refused once, naming the function, rather than failing in each result.

    Raises:
        TypeError: The `prompt=` function returned neither a str nor a list of messages.
    """
    prompts = []
    for n, x in enumerate(items):
        made = make(x)
        try:
            check_prompt(made, n, None)
        except TypeError as exc:
            name = getattr(make, "__qualname__", type(make).__name__)
            msg = f"the prompt= function {name} returned no prompt for input {n}: {exc}"
            raise TypeError(msg) from exc
        prompts.append(made)
    return prompts


def _check_request(options: Mapping[str, Any], create_kwargs: Mapping[str, object]) -> None:
    """Refuse once, before any request, what is wrong whatever the input (endpoint, options).

    The request of a neutral prompt is built and, under strict guards, guarded, as each
    input's will be; what depends on an input's own prompt is still that input's error.
    """
    guards = options["guards"]
    prepare(
        "x",
        model=options["model"],
        top_logprobs=options["top_logprobs"],
        endpoint=options["endpoint"],
        stream=False,
        guards=guards if guards == "strict" else "off",
        base_url=base_url_of(options["client"]),
        create_kwargs=create_kwargs,
        profile=options["profile"],
    )


def _inputs(inputs: object, *, templated: bool) -> list[Any]:
    """The inputs as a list, checked before any request.

    Raises:
        TypeError: `inputs` is one string (it would be one request per character), a mapping
            or a set (no order to return results in), or not a list; or, with a template
            prompt, an input is not a string.
    """
    not_one_text(inputs, "inputs", "text")
    if not isinstance(inputs, Iterable):
        msg = f"inputs must be a list of texts, got {a_type(inputs)}"
        raise TypeError(msg)
    not_unordered(inputs, "inputs", "texts")
    items = list(inputs)
    if templated:
        check_items(
            items,
            str,
            lambda n: f"input {n}",
            ", not a string: the prompt template takes texts (or pass prompt= a function of "
            "your inputs)",
        )
    return items


def _one_choice(create_kwargs: Mapping[str, object]) -> None:
    """Refuse `n` other than 1: the results are one per input, read from the first choice.

    Raises:
        ValueError: `n` is given and is not 1 (the other choices would be paid for and dropped).
    """
    n = create_kwargs.get("n", 1)
    if isinstance(n, bool) or n != 1:
        msg = (
            f"classify reads one answer per input, got n={n!r}: the other choices would be "
            "paid for and dropped; to read several samples of one prompt, get them with "
            "tp.get_token_distribution(..., n=k), tp.parse_all(d.response) and "
            "Labels.probs_many"
        )
        raise ValueError(msg)


def _reach(at: At) -> int:
    """At most how many tokens come before the answer position `at` names (one a character).

    A position from the start is that many; a `Char` offset at most that many; a JSON key at
    most its `{"key": "` (one token a byte); `None` or a position from the end: none counted.
    """
    if isinstance(at, Char):
        return at.offset
    if isinstance(at, str):
        return len(json.dumps(at).encode("utf-8")) + len('{: "')
    return max(at or 0, 0)


def _max_tokens(labels: Labels, endpoint: Endpoint, at: At) -> int:
    """Enough tokens to reach the answer and see the longest label end.

    The label: about 2 characters a token, then one more, 16 at most; before it, what `at`
    says may come first (`_reach`). On Responses at least 16, the least `max_output_tokens`
    that API takes.
    """
    longest = max(len(v.encode("utf-8")) for vs in labels.variants.values() for v in vs)
    enough = min(16, longest // 2 + 2) + _reach(at)
    return max(enough, _RESPONSES_MIN_OUTPUT) if endpoint == "responses" else enough


def classify(
    inputs: Sequence[str],
    labels: Labels | Sequence[str] | Mapping[str, Sequence[str] | str],
    /,
    *,
    model: str,
    client: openai.OpenAI | None = None,
    concurrency: int = 8,
    prompt: str | Callable[[str], Prompt] | None = None,
    top_logprobs: int | None = None,
    max_tokens: int | None = None,
    at: At = None,
    progress: bool = True,
    endpoint: Endpoint = "chat.completions",
    retry: RetryPolicy | None = DEFAULT_RETRY,
    guards: GuardMode = "strict",
    profile: str | GuardProfile | None = None,
    **create_kwargs: object,
) -> LabelResults:
    """Label probabilities for many inputs: one request each, `concurrency` at a time.

    Each input is put into `prompt`, sent with logprobs (`get_token_distributions`: input
    order kept, retries, a progress bar), and read with `labels.probs`. A failed input holds
    its exception in place. Requests default to `temperature=0`, as many alternatives as the
    model allows (20, or the model's cap in the guard tables) and just enough `max_tokens` to
    see the longest label end, so multi-token labels are read by the chain rule.

    Args:
        inputs: The texts to classify.
        labels: A `Labels`, or what `Labels(...)` takes.
        model: The model id.
        client: An `openai.OpenAI` (any compatible `base_url`); default: one from the environment.
        concurrency: The most requests in flight at once.
        prompt: A template with `{input}` (and optionally `{labels}`), or a function from an
            input to a prompt string or a list of messages. Default: `DEFAULT_PROMPT`.
        top_logprobs: Alternatives per position (default: the model's cap, at most 20).
        max_tokens: Tokens to generate (default: enough for the longest label, at most 16,
            after what `at=` says comes before the answer: a JSON key's `{"key": "`, a
            position's tokens; 16 on Responses, the least it takes).
        at: The answer position, as for `Labels.probs` (default: the first content-bearing one).
        progress: Show a progress bar on a terminal.
        endpoint: `"chat.completions"` (default), `"responses"` or `"completions"`.
        retry: The retry policy of each request, as for `get_token_distributions`.
        guards: `"strict"`, `"warn"` or `"off"`, as for `get_token_distribution`.
        profile: The guards' profile, as for `get_token_distribution`.
        **create_kwargs: Passed to every `create()` call.

    Returns:
        `LabelResults`: a list of `LabelResult` (or the exception of a failed input), in input
        order, with `.matrix()` and `.to_pandas()`.

    Raises:
        TypeError: `inputs` is one string, a mapping or a set (not a list of texts), an input
            is not a string while `prompt` is a template, `prompt` is neither a string nor a
            function (or a function that returns no prompt), `model` is not a string,
            `progress` is not a bool, `max_tokens` is not an integer, or `at` is none of the
            kinds it takes.
        ValueError: A template `prompt` without `{input}`, an empty `model`, `max_tokens`
            below 1, an unknown `endpoint`, or `n` other than 1 (one answer is read per input).
        GuardError: Under strict guards, an option the API would refuse for every input
            (`top_logprobs` over the model's cap ...): raised once, before any request.

    Warns:
        LabelsWarning: When the answers show that some labels are not single tokens for this
            model (their probability off the sampled path is a bound, not a value).
    """
    return _plan(
        inputs,
        labels,
        model=model,
        client=client,
        concurrency=concurrency,
        prompt=prompt,
        top_logprobs=top_logprobs,
        max_tokens=max_tokens,
        at=at,
        progress=progress,
        endpoint=endpoint,
        retry=retry,
        guards=guards,
        profile=profile,
        create_kwargs=create_kwargs,
    ).send()


async def aclassify(
    inputs: Sequence[str],
    labels: Labels | Sequence[str] | Mapping[str, Sequence[str] | str],
    /,
    *,
    model: str,
    client: openai.AsyncOpenAI | None = None,
    concurrency: int = 8,
    prompt: str | Callable[[str], Prompt] | None = None,
    top_logprobs: int | None = None,
    max_tokens: int | None = None,
    at: At = None,
    progress: bool = True,
    endpoint: Endpoint = "chat.completions",
    retry: RetryPolicy | None = DEFAULT_RETRY,
    guards: GuardMode = "strict",
    profile: str | GuardProfile | None = None,
    **create_kwargs: object,
) -> LabelResults:
    """The async twin of `classify` (`concurrency` tasks on one event loop, an `AsyncOpenAI`).

    Everything but the I/O is shared with `classify`: the same prompt, request defaults,
    reading and warnings. Cancelling it cancels the requests in flight (as
    `aget_token_distributions` does).
    """
    return await _plan(
        inputs,
        labels,
        model=model,
        client=client,
        concurrency=concurrency,
        prompt=prompt,
        top_logprobs=top_logprobs,
        max_tokens=max_tokens,
        at=at,
        progress=progress,
        endpoint=endpoint,
        retry=retry,
        guards=guards,
        profile=profile,
        create_kwargs=create_kwargs,
    ).asend()


@dataclass(frozen=True)
class _Job(Job["LabelResults"]):
    """What `classify` and `aclassify` send, and how the answers are read (at `at`)."""

    labels: Labels
    at: At

    def finish(self, answers: Sequence[TokenDistribution | Exception]) -> LabelResults:
        """The label results of the answers, warning when some labels are not single tokens."""
        results = self.labels.probs_many(answers, at=self.at)
        multi = sorted(
            set().union(*(r.multi_token for r in results if not isinstance(r, Exception)))
        )
        if multi:
            warnings.warn(
                f"labels {multi} are not single tokens for {self.options['model']}: where the "
                "model did not write them, their probability is a bound (see .bounds); prefer "
                "single-token labels",
                LabelsWarning,
                stacklevel=4,
            )
        return results


def _plan(
    inputs: Sequence[str],
    labels: Labels | Sequence[str] | Mapping[str, Sequence[str] | str],
    *,
    model: str,
    client: openai.OpenAI | openai.AsyncOpenAI | None,
    concurrency: int,
    prompt: str | Callable[[str], Prompt] | None,
    top_logprobs: int | None,
    max_tokens: int | None,
    at: At,
    progress: bool,
    endpoint: Endpoint,
    retry: RetryPolicy | None,
    guards: GuardMode,
    profile: str | GuardProfile | None,
    create_kwargs: dict[str, object],
) -> _Job:
    """The prompts and request options of one `classify` (or `aclassify`) call."""
    check_model(model)  # before the guard tables read it for the default top_logprobs
    items = _inputs(inputs, templated=not callable(prompt))
    at = check_at(at)
    check_flag(progress, "progress", "whether to show a progress bar")
    if max_tokens is not None:
        max_tokens = at_least_one(max_tokens, "max_tokens", " (tokens to generate)")
    _one_choice(create_kwargs)
    label_set = labels if isinstance(labels, Labels) else Labels(labels)
    make = _prompter(prompt, label_set)
    create_kwargs.setdefault("temperature", 0)
    limit = max_tokens if max_tokens is not None else _max_tokens(label_set, endpoint, at)
    key = "max_output_tokens" if endpoint == "responses" else "max_tokens"
    if "max_completion_tokens" in create_kwargs:
        key = "max_completion_tokens"
    create_kwargs.setdefault(key, limit)
    options: dict[str, Any] = {
        "model": model,
        "top_logprobs": _cap(model, client, profile) if top_logprobs is None else top_logprobs,
        "client": client,
        "concurrency": concurrency,
        "progress": progress,
        "endpoint": endpoint,
        "retry": retry,
        "guards": guards,
        "profile": profile,
        **create_kwargs,
    }
    _check_request(options, create_kwargs)
    return _Job(_prompts(make, items), options, label_set, at)
