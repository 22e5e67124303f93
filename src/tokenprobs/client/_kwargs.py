"""Refuse, before any I/O, a keyword the installed SDK's `create()` does not take.

The SDK would raise a bare `TypeError: Completions.create() got an unexpected keyword argument`
only once the request is sent; a server's own parameter (vLLM's `prompt_logprobs`) belongs in
`extra_body`, and a misspelt one (`top_logprob=5`) deserves its right spelling.
"""

from __future__ import annotations

import difflib
import inspect
from functools import cache
from typing import TYPE_CHECKING

import openai
from openai.resources.chat.completions import Completions as _Chat
from openai.resources.completions import Completions as _Legacy
from openai.resources.responses import Responses as _Responses

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tokenprobs._endpoints import Endpoint

__all__ = ["check_create_kwargs", "create_parameters"]

_RESOURCES: dict[str, type[_Chat | _Responses | _Legacy]] = {
    "chat.completions": _Chat,
    "responses": _Responses,
    "completions": _Legacy,
}

_SERVER_EXTRAS = (
    "vLLM's prompt_logprobs, logprob_token_ids, top_k; llama.cpp's n_probs, "
    "post_sampling_probs; ..."
)
_KNOWN_EXTRAS = ("prompt_logprobs", "logprob_token_ids", "top_k", "n_probs", "post_sampling_probs")
"""Servers' own logprob parameters, to suggest inside `extra_body` when one is misspelt."""


@cache
def create_parameters(endpoint: Endpoint) -> frozenset[str] | None:
    """The keyword names the installed SDK's `create()` of `endpoint` takes (None: any)."""
    parameters = inspect.signature(_RESOURCES[endpoint].create).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return frozenset(
        p.name
        for p in parameters
        if p.name != "self" and p.kind is not inspect.Parameter.POSITIONAL_ONLY
    )


def check_create_kwargs(endpoint: Endpoint, kwargs: Mapping[str, object]) -> None:
    """Refuse the first of `kwargs` that `endpoint`'s `create()` does not take.

    Raises:
        TypeError: A name is not a parameter of the installed SDK's `create()`: the message says
            which, suggests a close spelling of a real one, and says that a server's extra
            parameters go in `extra_body`.
    """
    accepted = create_parameters(endpoint)
    if accepted is None:
        return
    for name, value in kwargs.items():
        if name not in accepted:
            raise TypeError(_unknown(endpoint, name, value, accepted))


_CLIENT_SETTINGS = frozenset(
    {
        "api_key",
        "base_url",
        "organization",
        "project",
        "azure_endpoint",
        "api_version",
        "default_headers",
        "max_retries",
        "http_client",
    }
)


def _unknown(endpoint: Endpoint, name: str, value: object, accepted: frozenset[str]) -> str:
    where = f"{name}= is not a parameter of client.{endpoint}.create()"
    if name in _CLIENT_SETTINGS:  # its value may be a secret: never shown
        return f"{where}: it is a setting of the client, pass client=openai.OpenAI({name}=...)"
    # 0.85: `top_logprob` finds `top_logprobs`, but vLLM's `top_k` does not find `top_p`
    close = difflib.get_close_matches(name, sorted(accepted), n=1, cutoff=0.85)
    meant = f"did you mean {close[0]}=? Otherwise, " if close else ""
    extra = name
    if not close and name not in _KNOWN_EXTRAS:
        extra = next(iter(difflib.get_close_matches(name, _KNOWN_EXTRAS, n=1, cutoff=0.85)), name)
    return (
        f"{where} in the installed openai SDK ({openai.__version__}), which would refuse it: "
        f"{meant}a server's extra parameters ({_SERVER_EXTRAS}) go in extra_body, "
        f"e.g. extra_body={{{extra!r}: {_shown(value)}}}"
    )


def _shown(value: object) -> str:
    """`repr(value)` if it is a number or a short list of numbers, else `...`.

    Anything else (a string, a mapping of headers) may hold a secret and is not repeated.
    """
    numbers = (bool, int, float)
    if isinstance(value, numbers):
        return repr(value)
    if isinstance(value, list | tuple) and len(value) <= _SHOWN_ITEMS:
        return repr(value) if all(isinstance(v, numbers) for v in value) else "..."
    return "..."


_SHOWN_ITEMS = 8
