"""`get_token_distribution` and its async twin: guards, the SDK call (with retries), parse.

The only module that does network I/O. Everything but the I/O (building the request, guarding
it, choosing the client, parsing, stream bookkeeping) is shared by the sync and async twins.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, overload

import openai

from tokenprobs._endpoints import ENDPOINTS as ENDPOINT_TABLE
from tokenprobs._urls import public_url, scrub
from tokenprobs.adapters import parse
from tokenprobs.client import _retry
from tokenprobs.client._answers import failed, fewer, not_an_api_response, undecodable
from tokenprobs.client._defaults import async_client, base_url_of, secrets_of, sync_client
from tokenprobs.client._missing import reworded
from tokenprobs.client._request import Options
from tokenprobs.client._retry import DEFAULT_RETRY, RetryPolicy
from tokenprobs.client._stream import AsyncDistributionStream, DistributionStream
from tokenprobs.exceptions import MissingLogprobsError, TokenprobsError, UnsupportedResponseError
from tokenprobs.guards import detected_server, remember_server

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tokenprobs._endpoints import Endpoint
    from tokenprobs.client._request import Prompt
    from tokenprobs.client._state import Explain
    from tokenprobs.guards import GuardMode, GuardProfile
    from tokenprobs.models import TokenDistribution

__all__ = [
    "acall",
    "aget_token_distribution",
    "call",
    "finish",
    "get_token_distribution",
]


def _create(client: openai.OpenAI | openai.AsyncOpenAI, endpoint: Endpoint) -> Any:  # noqa: ANN401
    resource: object = client
    for name in ENDPOINT_TABLE[endpoint].sdk_attribute:
        resource = getattr(resource, name)
    return resource.create  # type: ignore[attr-defined]


def requested_ids(params: dict[str, object]) -> list[int] | None:
    """The `logprob_token_ids` a request asked vLLM for (in `extra_body`), if any."""
    extra = params.get("extra_body")
    ids = extra.get("logprob_token_ids") if isinstance(extra, dict) else None
    return list(ids) if isinstance(ids, list | tuple) and ids else None


def finish(
    response: object,
    *,
    base_url: str | None = None,
    profile: str | GuardProfile | None = None,
    requested: list[int] | None = None,
) -> TokenDistribution:
    """Parse a response, keeping it reachable as `d.response`.

    Remembers which server answered (from the response's own fields) for the guards of later
    requests to the same base URL, and says how to get logprobs from it when there are none.
    `requested` (vLLM's `logprob_token_ids` of the request) fills `d.requested_logprobs`.
    """
    name = _server(profile, remember_server(response, base_url))
    if (error := failed(response)) is not None:  # a Responses `status: "failed"`
        raise error
    try:
        d = parse(response, logprob_token_ids=requested)
    except UnsupportedResponseError as exc:
        if isinstance(response, str):  # the SDK's answer for a body not labelled JSON
            raise not_an_api_response(response, None) from exc
        if response is None:  # a JSON `null`
            body = "null"
            raise not_an_api_response(body, "application/json") from exc
        raise
    except MissingLogprobsError as exc:
        model = getattr(response, "model", None)
        better = reworded(exc, model, server=name, base_url=base_url)
        if better is None:
            raise
        raise better from exc
    return d if d.response is not None else d.model_copy(update={"response": response})


def _server(profile: str | GuardProfile | None, seen: str | None) -> str | None:
    """The server's name: the profile's (a name or a `GuardProfile`), else the one `seen`."""
    name = profile if isinstance(profile, str) else getattr(profile, "name", None)
    return name if isinstance(name, str) and name else seen


def _name_the_url(exc: openai.APIConnectionError, retry: RetryPolicy | None) -> None:
    """Without our retries, say which URL could not be reached (the retry note says it else)."""
    if retry is None and (where := _retry.reaching(exc)):
        exc.add_note(f"tokenprobs: the request failed{where}.")


def _not_found(exc: openai.NotFoundError) -> None:
    """What a 404 most often means: the base URL is not the API's (its `/v1` left out)."""
    request = getattr(exc, "request", None)
    if request is not None:
        url = public_url(str(request.url))
        exc.add_note(
            f"tokenprobs: the server has no POST {url}: check that the base URL is the API's (on "
            "most servers it ends in /v1) and that the server serves the model"
        )


@contextmanager
def _explained(retry: RetryPolicy | None) -> Iterator[None]:
    """What the sync and async sends say on failure.

    An undecodable body, an unreachable URL, a URL that is not the API's (a 404).
    """
    try:
        yield
    except json.JSONDecodeError as exc:
        raise undecodable(exc) from exc
    except openai.APIConnectionError as exc:
        _name_the_url(exc, retry)
        raise
    except openai.NotFoundError as exc:
        _not_found(exc)
        raise


def _send(
    client: openai.OpenAI, endpoint: Endpoint, params: dict[str, object], retry: RetryPolicy | None
) -> object:
    create = _create(client, endpoint)
    with _explained(retry):
        return _retry.call(retry, lambda: create(**params)) if retry else create(**params)


async def _asend(
    client: openai.AsyncOpenAI,
    endpoint: Endpoint,
    params: dict[str, object],
    retry: RetryPolicy | None,
) -> object:
    create = _create(client, endpoint)

    async def attempt() -> object:
        return await create(**params)

    with _explained(retry):
        return await (_retry.acall(retry, attempt) if retry else attempt())


def _finished(
    response: object,
    client: openai.OpenAI | openai.AsyncOpenAI,
    params: dict[str, object],
    options: Options,
) -> TokenDistribution:
    """`finish` for a response of `client` to the request `params`; no error quotes its key."""
    base_url, requested = str(client.base_url), requested_ids(params)
    try:
        return finish(response, base_url=base_url, profile=options.profile, requested=requested)
    except TokenprobsError as exc:  # a gateway's error body may echo the key it was sent
        scrub(exc, secrets_of(client))
        raise


def call(
    client: openai.OpenAI, options: Options, params: dict[str, object], retry: RetryPolicy | None
) -> TokenDistribution:
    """One request (`params`, built by `options.prepare`) through a prepared client, parsed.

    The client is `sync_client`'s; `options` also give the endpoint and the guards' profile.
    """
    response = _send(client, options.endpoint, params, retry)
    return _finished(response, client, params, options)


def _explain(
    client: openai.OpenAI | openai.AsyncOpenAI, profile: str | GuardProfile | None
) -> Explain:
    """How a stream of `client` says that its answer has no logprobs (see `reworded`)."""
    base_url = str(client.base_url)
    return partial(reworded, server=_server(profile, detected_server(base_url)), base_url=base_url)


async def acall(
    client: openai.AsyncOpenAI,
    options: Options,
    params: dict[str, object],
    retry: RetryPolicy | None,
) -> TokenDistribution:
    """The async twin of `call`."""
    response = await _asend(client, options.endpoint, params, retry)
    return _finished(response, client, params, options)


@overload
def get_token_distribution(
    messages_or_prompt: Prompt,
    /,
    *,
    model: str,
    top_logprobs: int = 5,
    endpoint: Endpoint = "chat.completions",
    client: openai.OpenAI | None = None,
    stream: Literal[False] = False,
    retry: RetryPolicy | None = DEFAULT_RETRY,
    guards: GuardMode = "strict",
    profile: str | GuardProfile | None = None,
    **create_kwargs: object,
) -> TokenDistribution: ...
@overload
def get_token_distribution(
    messages_or_prompt: Prompt,
    /,
    *,
    model: str,
    top_logprobs: int = 5,
    endpoint: Endpoint = "chat.completions",
    client: openai.OpenAI | None = None,
    stream: Literal[True],
    retry: RetryPolicy | None = DEFAULT_RETRY,
    guards: GuardMode = "strict",
    profile: str | GuardProfile | None = None,
    **create_kwargs: object,
) -> DistributionStream: ...
def get_token_distribution(
    messages_or_prompt: Prompt,
    /,
    *,
    model: str,
    top_logprobs: int = 5,
    endpoint: Endpoint = "chat.completions",
    client: openai.OpenAI | None = None,
    stream: bool = False,
    retry: RetryPolicy | None = DEFAULT_RETRY,
    guards: GuardMode = "strict",
    profile: str | GuardProfile | None = None,
    **create_kwargs: object,
) -> TokenDistribution | DistributionStream:
    """Ask a model and get its token distribution: guards, then the call, then `parse`.

    Args:
        messages_or_prompt: A prompt string (one user message; the prompt of legacy
            Completions) or a list of chat messages.
        model: The model id.
        top_logprobs: Alternatives per position (`logprobs=k` on legacy Completions).
        endpoint: `"chat.completions"`, `"responses"` (sets `include` and `top_logprobs`) or
            `"completions"` (legacy; `echo=True` is forwarded like any other argument).
        client: An `OpenAI`, `AzureOpenAI` or any client of an OpenAI-compatible server
            (`base_url`); without one, a default `OpenAI()` from the environment.
        stream: Return a `DistributionStream` of updates instead of waiting for the answer.
        retry: How tokenprobs retries (the SDK's own retries are then off); `None` leaves
            retrying to the client as configured.
        guards: `"strict"` refuses a request the API would refuse before sending it; `"warn"`
            warns instead; `"off"` sends it as is.
        profile: The guards' profile (`"openai"`, `"vllm"`, `"llama.cpp"`, `"compatible"` or a
            `GuardProfile`); by default the one detected from an earlier response of the same
            server, else the one the client's base URL selects.
        **create_kwargs: Passed to the SDK's `create()` (`temperature`, `n`, `max_tokens` ...).

    Returns:
        The distribution of the first choice, with the SDK response as `d.response` (use
        `tp.parse_all(d.response)` for every choice when `n > 1`); or, with `stream=True`, a
        `DistributionStream`.

    Raises:
        GuardError: The API would refuse the request (also the SDK's `BadRequestError`).
        TypeError: A keyword argument the installed SDK's `create()` does not take (a server's
            own parameters go in `extra_body`), refused before any request.
        MissingAPIKeyError: No client was given and `OPENAI_API_KEY` is not set.
        openai.APIError: The call failed (after retries), unchanged.
        MissingLogprobsError: The response carries no logprobs.

    Examples:
        >>> import tokenprobs as tp
        >>> d = tp.get_token_distribution(
        ...     "Capital of France?", model="gpt-4o-mini"
        ... )  # doctest: +SKIP
        >>> d.tokens[0], d.probs[0]  # doctest: +SKIP
        ('Paris', 0.998)
    """
    options = Options(
        model, top_logprobs, endpoint, base_url_of(client), guards, profile, create_kwargs
    )
    params = options.prepare(messages_or_prompt, stream=stream)
    sdk = sync_client(client, retry)
    if not stream:
        return fewer(call(sdk, options, params, retry), options.asked)
    sdk_stream = _send(sdk, endpoint, params, retry)
    explain, requested = _explain(sdk, profile), requested_ids(params)
    return DistributionStream(
        sdk_stream, explain=explain, requested=requested, top_logprobs=options.asked
    )


@overload
async def aget_token_distribution(
    messages_or_prompt: Prompt,
    /,
    *,
    model: str,
    top_logprobs: int = 5,
    endpoint: Endpoint = "chat.completions",
    client: openai.AsyncOpenAI | None = None,
    stream: Literal[False] = False,
    retry: RetryPolicy | None = DEFAULT_RETRY,
    guards: GuardMode = "strict",
    profile: str | GuardProfile | None = None,
    **create_kwargs: object,
) -> TokenDistribution: ...
@overload
async def aget_token_distribution(
    messages_or_prompt: Prompt,
    /,
    *,
    model: str,
    top_logprobs: int = 5,
    endpoint: Endpoint = "chat.completions",
    client: openai.AsyncOpenAI | None = None,
    stream: Literal[True],
    retry: RetryPolicy | None = DEFAULT_RETRY,
    guards: GuardMode = "strict",
    profile: str | GuardProfile | None = None,
    **create_kwargs: object,
) -> AsyncDistributionStream: ...
async def aget_token_distribution(
    messages_or_prompt: Prompt,
    /,
    *,
    model: str,
    top_logprobs: int = 5,
    endpoint: Endpoint = "chat.completions",
    client: openai.AsyncOpenAI | None = None,
    stream: bool = False,
    retry: RetryPolicy | None = DEFAULT_RETRY,
    guards: GuardMode = "strict",
    profile: str | GuardProfile | None = None,
    **create_kwargs: object,
) -> TokenDistribution | AsyncDistributionStream:
    """The async twin of `get_token_distribution` (an `AsyncOpenAI` client; same arguments).

    With `stream=True` it returns an `AsyncDistributionStream` (`async for update in ...`).
    """
    options = Options(
        model, top_logprobs, endpoint, base_url_of(client), guards, profile, create_kwargs
    )
    params = options.prepare(messages_or_prompt, stream=stream)
    sdk = async_client(client, retry)
    if not stream:
        return fewer(await acall(sdk, options, params, retry), options.asked)
    sdk_stream = await _asend(sdk, endpoint, params, retry)
    explain, requested = _explain(sdk, profile), requested_ids(params)
    return AsyncDistributionStream(
        sdk_stream, explain=explain, requested=requested, top_logprobs=options.asked
    )
