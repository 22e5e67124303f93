"""What `write_requests`' keyword arguments may add to a Batch request line's body.

A line is a request body and nothing else, checked as the SDK checks `create()`'s arguments: a
name `create()` does not take (an `api_key`, a `url`, a typo) is a `TypeError` there, so it is
one here too, instead of a field in a file that the Batch API refuses, or a key uploaded with
it. The SDK's request options (headers, query, timeout) and `stream` have no place in a file.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING

import openai
from openai.resources.chat import Completions as ChatCompletions
from openai.resources.completions import Completions
from openai.resources.responses import Responses

from tokenprobs._said import a_type, among
from tokenprobs.client._request import check_json

if TYPE_CHECKING:
    from collections.abc import Callable

    from tokenprobs._endpoints import Endpoint

__all__ = ["body_kwargs"]

NOT_IN_A_FILE = ("extra_headers", "extra_query", "timeout")
"""SDK request options that are not body fields: a Batch file's lines are bodies only."""

FROM_PROMPTS = ("messages", "prompt", "input")
"""The body fields each line's prompt fills in."""

TOKENPROBS_OPTIONS = ("client", "retry", "profile", "concurrency")
"""Options of the functions that send requests: a file for the Batch API sends nothing."""

CREATE: dict[Endpoint, Callable[..., object]] = {
    "chat.completions": ChatCompletions.create,
    "responses": Responses.create,
    "completions": Completions.create,
}
"""The SDK method whose arguments a line's body holds, per endpoint."""


@cache
def create_fields(endpoint: Endpoint) -> frozenset[str]:
    """The keyword arguments the installed SDK's `create()` of `endpoint` takes."""
    return frozenset(inspect.signature(CREATE[endpoint]).parameters) - {"self"}


@cache
def client_options() -> frozenset[str]:
    """The options of the SDK's clients (`api_key`, `organization`, `max_retries` ...)."""
    names: set[str] = set()
    for cls in (openai.OpenAI, openai.AzureOpenAI):
        names |= set(inspect.signature(cls.__init__).parameters)
    return frozenset(names - {"self"})


def body_kwargs(create_kwargs: Mapping[str, object], endpoint: Endpoint) -> dict[str, object]:
    """The fields added to every body: `extra_body` merged in, what a file cannot carry refused.

    Raises:
        ValueError: A request option (`extra_headers`, `extra_query`, `timeout`), `stream`,
            a field the prompts fill (`messages`, `prompt`, `input`), or `model` in
            `extra_body`; a NaN or infinite number in `extra_body` (named by its path there,
            `extra_body.logit_bias.42`).
        TypeError: A name `create()` does not take (its value is never shown: it may be a
            key), an `extra_body` that is not a mapping, or an `extra_body` holding a key that
            is not a `str`, or a numpy value (each named by its path there).
    """
    for name in NOT_IN_A_FILE:
        if name in create_kwargs:
            msg = (
                f"{name}= is an SDK request option, and a Batch file has no headers, query or "
                "timeout (each line is a request body only): remove it (the upload itself, "
                "client.files.create, takes the SDK's options)"
            )
            raise ValueError(msg)
    _known_names(create_kwargs, endpoint)
    kwargs = dict(create_kwargs)
    extra = kwargs.pop("extra_body", None)
    if extra is not None and not isinstance(extra, Mapping):
        msg = f"extra_body must be a mapping of body fields, got {a_type(extra)}"
        raise TypeError(msg)
    if extra and "model" in extra:
        msg = "extra_body sets model: pass it as model= instead"
        raise ValueError(msg)
    check_json(extra, "extra_body", str_keys=True)  # merged, its fields would lose the prefix
    kwargs.update(extra or {})
    if kwargs.get("stream") not in (None, False):  # extra_body's included
        msg = (
            "stream= asks for a stream of events, and the Batch API answers each line with one "
            "whole body in the output file, not a stream: remove it"
        )
        raise ValueError(msg)
    for name in FROM_PROMPTS:
        if name in kwargs:
            msg = (
                f"{name}= would replace every request's prompt: each line's {name} comes from "
                "prompts, so remove it (pass a list of messages per prompt for a system message)"
            )
            raise ValueError(msg)
    return kwargs


def _known_names(create_kwargs: Mapping[str, object], endpoint: Endpoint) -> None:
    """Refuse a name the SDK's `create()` would refuse, naming it (never its value)."""
    if not among(endpoint, CREATE):
        return  # not an endpoint: build_params says which are
    fields = create_fields(endpoint)
    for name in create_kwargs:
        if name in fields or name in FROM_PROMPTS:
            continue
        what = f"client.{endpoint}.create() takes no {name}="
        if name in TOKENPROBS_OPTIONS:
            msg = (
                f"{what}: it is an option of get_token_distribution, and write_requests sends "
                "nothing (the Batch API runs the file): remove it, and upload the file with "
                "client.files.create"
            )
        elif name in client_options():
            msg = (
                f"{what}: it is an option of the OpenAI client, and a Batch file holds request "
                "bodies only (it would be written into the file you upload): remove it; the "
                "upload, client.files.create, goes through your client and its options"
            )
        else:
            msg = (
                f"{what}, so the Batch API would refuse the line: remove it, or pass a field "
                f"of your server's own in extra_body={{{name!r}: ...}}"
            )
        raise TypeError(msg)
