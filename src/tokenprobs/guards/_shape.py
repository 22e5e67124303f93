"""Requests no server could answer as meant: refused with a `TypeError` / `ValueError` of our own.

The rule tables mirror what the API answers, word for word, where that answer was seen. These
checks are for what no table can hold: a request the SDK itself would refuse (its `create()`
needs a `model`), a value JSON cannot carry (a `numpy.int64`: the SDK fails to encode it), or one
that asks for nothing (`n=0`, a `messages` string). What the API answers to them was not found
(`reference/openai_logprobs_api.md`), so no API message is made up: the error says what to pass.
An empty `messages` and a message without a `role` quote the API's observed answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

from tokenprobs._said import a_type

if TYPE_CHECKING:
    from tokenprobs._endpoints import Endpoint

__all__ = ["check_model", "shape_problem"]

_NEEDS_MODEL: tuple[Endpoint, ...] = ("chat.completions", "completions")
_HAS_N: tuple[Endpoint, ...] = ("chat.completions", "completions")
_JSON = (type(None), bool, int, float, str, list, tuple, Mapping)
_SCALARS = ("logprobs", "top_logprobs", "n", "echo", "stream", "prompt_logprobs")
"""The fields the guards read a number or a flag from."""
_EXTRAS = {
    "extra_body": "{'top_k': 5}",
    "extra_query": "{'api-version': '2024-10-21'}",
    "extra_headers": "{'X-Request-Id': '1'}",
}
"""The SDK's pass-through arguments, each merged into the request as a dict (with an example)."""


def check_model(model: object) -> None:
    """A model is a name (a non-empty `str`): the API would refuse anything else with a 400."""
    if not isinstance(model, str):
        msg = (
            f"model is a model's name, got {a_type(model)}: pass a str such as "
            "'gpt-4o-mini' (or your server's model)"
        )
        raise TypeError(msg)
    if not model.strip():
        msg = "model is empty: pass the model's name (e.g. 'gpt-4o-mini', or your server's)"
        raise ValueError(msg)


def shape_problem(endpoint: Endpoint, sent: Mapping[str, object]) -> TypeError | ValueError | None:
    """What makes this request one no server could answer as meant, if anything."""
    try:
        _check_model(endpoint, sent)
        _check_scalars(sent)
        _check_extras(sent)
        _check_n(endpoint, sent.get("n"))
        if endpoint == "chat.completions" and "messages" in sent:
            _check_messages(sent["messages"])
        if endpoint == "responses":
            _check_include(sent.get("include"))
    except (TypeError, ValueError) as exc:
        return exc
    return None


def _check_model(endpoint: Endpoint, sent: Mapping[str, object]) -> None:
    if "model" in sent:
        check_model(sent["model"])
    elif endpoint in _NEEDS_MODEL:
        msg = (
            f"the request has no model, which {endpoint}.create() needs (the SDK raises "
            "TypeError without it): pass 'model': 'gpt-4o-mini' (or your server's model)"
        )
        raise TypeError(msg)


def _check_scalars(sent: Mapping[str, object]) -> None:
    for name in _SCALARS:
        value = sent.get(name)
        if not isinstance(value, _JSON):
            numpy_like = type(value).__module__ != "builtins"  # int(x) / bool(x) convert those
            hint = f", e.g. int({name}) or bool({name})" if numpy_like else ""
            msg = (
                f"{name} is {_named_type(value)}, which a JSON request cannot carry (the SDK "
                f"fails to encode it): pass a plain int or bool{hint}"
            )
            raise TypeError(msg)


def _check_extras(sent: Mapping[str, object]) -> None:
    """`extra_body` / `extra_query` / `extra_headers` are mappings (the SDK merges them as dicts).

    Anything else ends in the SDK's bare "'str' object is not a mapping" from inside `create()`.
    """
    for name, example in _EXTRAS.items():
        value = sent.get(name)
        if value is not None and not isinstance(value, Mapping):
            msg = (
                f"{name} is a dict of extra request fields, got {a_type(value)}: pass e.g. "
                f"{name}={example}"
            )
            raise TypeError(msg)


def _named_type(value: object) -> str:
    """`a set` for a built-in type, `a numpy.int64` with its module for any other."""
    kind = type(value)
    if kind.__module__ == "builtins":
        return a_type(value)
    return f"a {kind.__module__}.{kind.__qualname__}"


def _check_n(endpoint: Endpoint, n: object) -> None:
    if n is None or endpoint not in _HAS_N:
        return
    fractional = isinstance(n, float) and not (math.isfinite(n) and n.is_integer())
    if isinstance(n, bool) or not isinstance(n, int | float) or fractional:
        msg = f"n is the number of choices to generate, got {n!r}: pass an int >= 1, e.g. n=2"
        raise TypeError(msg)
    if n < 1:
        msg = f"n={n!r} asks for no choice at all: pass n=1 (the default) or more"
        raise ValueError(msg)


def _check_messages(messages: object) -> None:
    if isinstance(messages, str | bytes | Mapping):
        what = "a single message dict" if isinstance(messages, Mapping) else "a string"
        msg = (
            f"messages is a list of messages, got {what}: pass [{{'role': 'user', 'content': ...}}]"
        )
        raise TypeError(msg)
    if not isinstance(messages, list | tuple):
        return  # an iterable the SDK lists; its items are the SDK's to check
    if not messages:  # the API: 400 empty_array (CopilotKit #529, the whole body)
        msg = (
            "messages is empty, which the API refuses (\"Invalid 'messages': empty array. "
            'Expected an array with minimum length 1"): pass at least one message, e.g. '
            "[{'role': 'user', 'content': ...}]"
        )
        raise ValueError(msg)
    for i, message in enumerate(messages):
        if isinstance(message, str | bytes):
            msg = (
                f"messages[{i}] is a string, not a message: pass a dict, e.g. "
                f"{{'role': 'user', 'content': {message[:40]!r}}}"
            )
            raise TypeError(msg)
        if isinstance(message, Mapping) and "role" not in message:
            # the API: 400 missing_required_parameter (ServiceNow/TapeAgents #66, the whole body)
            msg = (
                f"messages[{i}] has no 'role', which the API refuses (\"Missing required "
                f"parameter: 'messages[{i}].role'\"): pass a role in each message, e.g. "
                "{'role': 'user', 'content': ...}"
            )
            raise ValueError(msg)


def _check_include(include: object) -> None:
    if include is not None and (isinstance(include, str) or not isinstance(include, list | tuple)):
        msg = (
            f"include is a list of Responses include values, got {include!r}: pass a list, "
            f"e.g. [{include!r}] (one str is not read as one value)"
        )
        raise TypeError(msg)
    for i, value in enumerate(include or ()):
        if not isinstance(value, str):
            msg = (
                f"include[{i}] is {value!r}, not an include value: pass a str, e.g. "
                "'message.output_text.logprobs'"
            )
            raise TypeError(msg)
