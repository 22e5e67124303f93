"""`score` / `ascore`: the logprobs of given text, computed by the server from an echo.

One request per text: legacy `/v1/completions` with `prompt = context + text`, `echo=True`,
`logprobs=k`, `max_tokens=1` (not 0: llama-cpp-python reads 0 as "until the context is full")
and `temperature=0`; the one generated token is dropped. The answer is checked before it is
trusted (see `_echo`).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tokenprobs._counts import at_least
from tokenprobs._listed import not_one_text
from tokenprobs._said import a_type, a_value
from tokenprobs._urls import openai_host, public_url
from tokenprobs.client import (
    DEFAULT_RETRY,
    aget_token_distribution,
    get_token_distribution,
    get_token_distributions,
)
from tokenprobs.client._defaults import base_url_of as client_base_url
from tokenprobs.exceptions import GuardError, ScoringError
from tokenprobs.guards import detect_server, resolve_model
from tokenprobs.scoring._echo import continuation

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    import openai

    from tokenprobs.client import RetryPolicy
    from tokenprobs.guards import GuardMode, GuardProfile
    from tokenprobs.models import TokenDistribution

__all__ = [
    "Texts",
    "ascore",
    "base_url_of",
    "prepare_score",
    "refused",
    "score",
    "score_many",
    "scored",
]

_FIXED = ("echo", "max_tokens", "stream", "n", "logprobs", "prompt")
_COUNT = " (alternatives per position; 0 for the scored token's logprob alone)"
_REFUSED_HINT = (
    "score with a model that accepts echo with logprobs on /v1/completions: an OpenAI base "
    "model (davinci-002, babbage-002), or a vLLM or llama-cpp-python server"
)


def prepare_score(text: str, context: str, create_kwargs: dict[str, object]) -> dict[str, Any]:
    """The arguments of the one request that scores `text` after `context`.

    Raises:
        TypeError: `text` or `context` is not a `str`.
        ValueError: `text` is empty, or a request argument the method fixes was passed (in
            `extra_body` too; `n=1` is what it sends, so it is taken).
    """
    pairs: tuple[tuple[str, object], ...] = (("the text to score", text), ("context", context))
    for name, given in pairs:  # checked as a caller may pass anything
        if not isinstance(given, str):
            msg = f"{name} must be a str, got {a_value(given)}"
            raise TypeError(msg)
    if not text:
        msg = f"score needs a non-empty text to score, got {text!r} (context {context[-20:]!r})"
        raise ValueError(msg)
    create_kwargs = _without_one_n(create_kwargs)
    extra = create_kwargs.get("extra_body")
    for where, given in (("", create_kwargs), (" of extra_body", extra)):
        if not isinstance(given, Mapping):
            continue  # an extra_body that is no mapping is the SDK's to refuse
        fixed = sorted(set(given) & set(_FIXED))
        if fixed:
            msg = (
                f"score sets {', '.join(fixed)} itself (echo=True, logprobs=top_logprobs, "
                f"max_tokens=1, no stream, n=1): leave them out{where}"
            )
            raise ValueError(msg)
    kwargs: dict[str, Any] = {"temperature": 0, **create_kwargs}
    return {"endpoint": "completions", "echo": True, "max_tokens": 1, **kwargs}


def _without_one_n(create_kwargs: dict[str, object]) -> dict[str, object]:
    """The request's arguments without an `n=1` (what is sent anyway); any other `n` refused.

    Raises:
        ValueError: `n` is given and is not the integer 1.
    """
    if "n" not in create_kwargs:
        return create_kwargs
    n = create_kwargs["n"]
    if not isinstance(n, bool) and isinstance(n, numbers.Integral) and n == 1:
        return {k: v for k, v in create_kwargs.items() if k != "n"}
    msg = (
        f"score asks for one choice (n=1), got n={n!r}: the echo scores the same prompt in "
        "every choice, so more choices only cost more; leave n out"
    )
    raise ValueError(msg)


def _checked_top_logprobs(top_logprobs: object) -> int:
    """`top_logprobs` as an `int` when it is a count of alternatives (0 or more).

    Checked whatever the guards: no server scores with a negative or a fractional count (vLLM
    and llama-cpp-python refuse `logprobs < 0` on `/v1/completions`), and a bool is no count;
    the upper limits are each server's, checked by the guards.

    Raises:
        TypeError: It is not an integer (a bool, a float, a str, `None`).
        ValueError: It is negative.
    """
    try:
        return at_least(top_logprobs, "top_logprobs", 0, _COUNT)
    except TypeError as exc:
        msg = str(exc)
        if isinstance(top_logprobs, float) and top_logprobs.is_integer():
            msg += f": pass top_logprobs={int(top_logprobs)}"
        elif top_logprobs is None:
            msg += (
                ": top_logprobs=None would be sent as logprobs: null, no logprobs to score; "
                "pass top_logprobs=0 for the scored token's logprob alone"
            )
        raise TypeError(msg) from None
    except ValueError as exc:
        msg = f"{exc}{_COUNT}: no server scores with a negative count"
        raise ValueError(msg) from None


_OPENAI_CHAT = re.compile(r"(gpt-4|gpt-5|o[1-9]|chatgpt-|gpt-3\.5-turbo(?!-instruct))")


def check_scorable(model: str, client: object) -> None:
    """Refuse, before any request, a model of api.openai.com that cannot score given text.

    OpenAI's chat and reasoning models are not served on `/v1/completions` and have no `echo`
    (neither has the Responses API); only a base model echoes a prompt with logprobs there.

    Raises:
        ScoringError: The model is one of OpenAI's chat models on OpenAI's own API.
    """
    url = client_base_url(client)
    if url is not None and not openai_host(urlsplit(url).hostname):
        return
    if _OPENAI_CHAT.match(resolve_model(model)):
        what = (
            f"OpenAI's {model} cannot score given text: chat models (and the Responses API) "
            "have no echo and no prompt logprobs"
        )
        raise ScoringError(what, server="openai", hint=_REFUSED_HINT)


def scored(
    d: TokenDistribution, *, context: str, text: str, base_url: str | None
) -> TokenDistribution:
    """Check the echoed answer and cut out the positions of `text`."""
    server = detect_server(d.response) or base_url
    return continuation(d, context=context, text=text, server=server)


def refused(exc: GuardError, model: str) -> ScoringError | GuardError:
    """A guard refusal of `echo` with `logprobs` as the `ScoringError` it means; others as is."""
    if "echo" not in str(exc):
        return exc
    what = f"{model} cannot score text: the guards refused echo with logprobs ({exc})"
    return ScoringError(what, server="openai", hint=_REFUSED_HINT)


def score(
    text: str,
    *,
    model: str,
    context: str = "",
    client: openai.OpenAI | None = None,
    top_logprobs: int = 1,
    retry: RetryPolicy | None = DEFAULT_RETRY,
    guards: GuardMode = "strict",
    profile: str | GuardProfile | None = None,
    **create_kwargs: object,
) -> TokenDistribution:
    """The logprobs of `text`'s tokens given `context`, computed by the server.

    The server tokenises `context + text` and echoes every token's logprob; the result holds
    exactly the positions of `text` (the seam rule: a token that straddles the end of `context`
    belongs to `text`, so `d.text` then starts inside `context`). Its sum is the text's
    log-likelihood, `d.perplexity` its perplexity. With `context=""` the first token has no
    logprob (NaN: nothing precedes it) unless the server scores it after a BOS token.

    Args:
        text: The text to score (not empty).
        model: The model id (a base model: instruct models refuse `echo` with `logprobs`).
        context: The text before it, conditioned on but not scored.
        client: An `OpenAI` client of a server that can score (vLLM, llama-cpp-python, an
            OpenAI base model); without one, a default `OpenAI()` from the environment.
        top_logprobs: Alternatives per position (`logprobs=k`), an integer of at least 0
            (whatever `guards`); the upper limit is the server's (OpenAI allows at most 5).
        retry: How tokenprobs retries, as for `get_token_distribution`.
        guards: `"strict"`, `"warn"` or `"off"`, as for `get_token_distribution`.
        profile: The guards' profile, as for `get_token_distribution`.
        **create_kwargs: Passed to `completions.create()` (not `echo`, `max_tokens`, `n`,
            `stream` or `logprobs`, which the method sets, nor in `extra_body`; `n=1` is taken).

    Returns:
        The distribution of `text`'s positions (`d.prompt_length == len(d)`), with the SDK
        response as `d.response`.

    Raises:
        ScoringError: The server cannot score (it ignores `echo`, shifts the echoed logprobs,
            drops the prompt's special tokens from its echo, answers with several choices, or
            refuses `echo` with `logprobs`): the message names the server, what went wrong and
            what to use.
        TypeError: `text` or `context` is not a `str`, or `top_logprobs` is no integer.
        ValueError: `text` is empty, `top_logprobs` is negative, `n` is not 1, or another
            argument the method fixes was passed.
        openai.APIError: The call failed (after retries), unchanged.

    Examples:
        >>> import tokenprobs as tp
        >>> d = tp.score(
        ...     " Paris", context="The capital of France is", model="davinci-002"
        ... )  # doctest: +SKIP
        >>> float(d.logprobs.sum())  # doctest: +SKIP
        -0.73
    """
    one = Texts.of([text], context=context, model=model, client=client, kwargs=create_kwargs)
    options = one.call(top_logprobs, retry, guards, profile)
    with one.refusals():
        d = get_token_distribution(one.prompts[0], **options)
    return one.cut(d, text)


async def ascore(
    text: str,
    *,
    model: str,
    context: str = "",
    client: openai.AsyncOpenAI | None = None,
    top_logprobs: int = 1,
    retry: RetryPolicy | None = DEFAULT_RETRY,
    guards: GuardMode = "strict",
    profile: str | GuardProfile | None = None,
    **create_kwargs: object,
) -> TokenDistribution:
    """The async twin of `score` (an `AsyncOpenAI` client; same arguments)."""
    one = Texts.of([text], context=context, model=model, client=client, kwargs=create_kwargs)
    options = one.call(top_logprobs, retry, guards, profile)
    with one.refusals():
        d = await aget_token_distribution(one.prompts[0], **options)
    return one.cut(d, text)


def base_url_of(client: object) -> str | None:
    """The client's base URL for messages: `public_url`, without its trailing slash."""
    url = getattr(client, "base_url", None)
    return None if url is None else public_url(url).rstrip("/")


def score_many(
    texts: Sequence[str],
    *,
    model: str,
    context: str = "",
    client: openai.OpenAI | None = None,
    top_logprobs: int = 1,
    concurrency: int = 8,
    progress: bool = True,
    retry: RetryPolicy | None = DEFAULT_RETRY,
    guards: GuardMode = "strict",
    profile: str | GuardProfile | None = None,
    **create_kwargs: object,
) -> list[TokenDistribution | Exception]:
    """`score` for many texts after one `context`, `concurrency` at a time, in input order.

    As `get_token_distributions`: one text's failure (a `ScoringError`, the SDK's error after
    retries ...) is returned in its place and never sinks the run.

    Raises:
        TypeError: `texts` is one `str` or no list, a text or `context` is not a `str`, or
            `top_logprobs` is no integer.
        ValueError: A text is empty, `top_logprobs` is negative, or an argument the method
            fixes was passed.
    """
    many = Texts.of(texts, context=context, model=model, client=client, kwargs=create_kwargs)
    if not many.texts:
        return []
    options = many.options(top_logprobs, concurrency, progress, retry, guards, profile)
    return many.finish(get_token_distributions(many.prompts, **options))


@dataclass(frozen=True)
class Texts:
    """What `score`, `ascore`, `score_many`, the multiple-choice twins and `Labels.score` share.

    The texts to score after one context: built (and so every text and argument checked) before
    any request is sent; `call` and `options` give the arguments of `get_token_distribution` and
    `get_token_distributions` (or their async twins), `refusals`, `cut` and `finish` turn their
    answers into scores. Only the sending differs between the twins.
    """

    texts: Sequence[str]
    context: str
    model: str
    client: Any
    params: dict[str, Any]

    @classmethod
    def of(
        cls,
        texts: Sequence[str],
        *,
        context: str,
        model: str,
        client: object,
        kwargs: dict[str, object],
        name: str = "texts",
    ) -> Texts:
        """Check every text and the arguments (before any request) and refuse unscorable models.

        Raises:
            TypeError: `texts` is one `str` or no list (`name` says which argument it was), or
                a text or `context` is not a `str`.
            ValueError: A text is empty, or an argument the method fixes was passed.
            ScoringError: The model cannot score (OpenAI's chat models on OpenAI's API).
        """
        not_one_text(texts, name, name[:-1])
        given: object = texts  # checked as a caller may pass anything
        if not isinstance(given, Iterable):
            msg = f"{name} must be a list of str, got {a_type(given)}"
            raise TypeError(msg)
        texts = list(texts)  # once: a generator read by the checks would send nothing
        params = []
        for i, t in enumerate(texts):
            try:
                params.append(prepare_score(t, context, kwargs))
            except (TypeError, ValueError) as exc:
                if len(texts) == 1 or (t != "" and isinstance(t, str)):
                    raise  # one text, or an argument of every request: no index to name
                msg = f"{name}[{i}] (of {len(texts)}): {exc}; nothing was sent"
                raise type(exc)(msg) from None
        if params:
            check_scorable(model, client)
        first = params[0] if params else {}
        return cls(texts, context, model, client, first)

    @property
    def prompts(self) -> list[str]:
        """The prompts sent: `context + text` for each text."""
        return [self.context + t for t in self.texts]

    def call(
        self,
        top_logprobs: int,
        retry: RetryPolicy | None,
        guards: GuardMode,
        profile: str | GuardProfile | None,
    ) -> dict[str, Any]:
        """The keyword arguments of `get_token_distribution` (or its async twin) for one text.

        Raises:
            TypeError: `top_logprobs` is not an integer.
            ValueError: `top_logprobs` is negative.
        """
        return {
            "model": self.model,
            "client": self.client,
            "top_logprobs": _checked_top_logprobs(top_logprobs),
            "retry": retry,
            "guards": guards,
            "profile": profile,
            **self.params,
        }

    def options(  # noqa: PLR0917 - positional: each caller passes its own arguments in order
        self,
        top_logprobs: int,
        concurrency: int,
        progress: bool,  # noqa: FBT001 - see above
        retry: RetryPolicy | None,
        guards: GuardMode,
        profile: str | GuardProfile | None,
    ) -> dict[str, Any]:
        """The keyword arguments of `get_token_distributions` (or its async twin)."""
        return {
            "concurrency": concurrency,
            "progress": progress,
            **self.call(top_logprobs, retry, guards, profile),
        }

    @contextmanager
    def refusals(self) -> Iterator[None]:
        """Raise a guard refusal of `echo` with `logprobs` as the `ScoringError` it means."""
        try:
            yield
        except GuardError as exc:
            raise refused(exc, self.model) from exc

    def cut(self, d: TokenDistribution, text: str) -> TokenDistribution:
        """Check the echoed answer for `text` and cut out its positions (`scored`)."""
        return scored(d, context=self.context, text=text, base_url=base_url_of(self.client))

    def finish(
        self, results: Sequence[TokenDistribution | Exception]
    ) -> list[TokenDistribution | Exception]:
        """Each answer checked and cut to its text's positions; each failure in its place."""
        out: list[TokenDistribution | Exception] = []
        for result, text in zip(results, self.texts, strict=True):
            if isinstance(result, GuardError):
                out.append(refused(result, self.model))
            elif isinstance(result, Exception):
                out.append(result)
            else:
                try:
                    out.append(self.cut(result, text))
                except ScoringError as exc:
                    out.append(exc)
        return out
