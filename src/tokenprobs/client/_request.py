"""The request, shared by both twins, the many-prompts functions and Batch files: build, guard."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias, get_args

import numpy as np

from tokenprobs._endpoints import INCLUDE_LOGPROBS, NAMES, Endpoint
from tokenprobs._said import a_type, a_value, among, check_flag
from tokenprobs.client._kwargs import check_create_kwargs
from tokenprobs.guards import GuardMode, check_request, detected_server
from tokenprobs.guards._shape import check_model

if TYPE_CHECKING:
    from tokenprobs.guards import GuardProfile

__all__ = [
    "ENDPOINTS",
    "INCLUDE_LOGPROBS",
    "Options",
    "Prompt",
    "build_params",
    "check_json",
    "check_model",
    "check_options",
    "guard",
    "prepare",
]

Prompt: TypeAlias = str | Sequence[Mapping[str, object]]
"""A prompt string, or a list of chat messages (`{"role": ..., "content": ...}`)."""

ENDPOINTS: tuple[Endpoint, ...] = NAMES


def build_params(
    messages_or_prompt: Prompt,
    /,
    *,
    model: str,
    top_logprobs: int,
    endpoint: Endpoint,
    create_kwargs: Mapping[str, object],
) -> dict[str, object]:
    """The `create()` keyword arguments that ask `endpoint` for logprobs.

    A `str` becomes one user message (Chat, Responses) or the prompt (legacy Completions); a list
    of messages passes through. `create_kwargs` are merged last, except that a Responses
    `include` is extended rather than replaced.

    Raises:
        ValueError: `endpoint` is not one of `ENDPOINTS`; `model` is empty; a number is NaN or
            infinite (JSON has neither); `create_kwargs` holds the field the prompt fills
            (`messages`, `input` or `prompt`), which would replace it.
        TypeError: `model` is not a `str`; messages were given to legacy Completions, which
            takes a prompt string, or `top_logprobs=None`, which asks it for no logprobs; a
            Responses `include` is not a list (one `str` would be read as its characters).
    """
    _check_endpoint(endpoint)
    check_model(model)
    options: object = create_kwargs  # typed, but a caller may pass anything
    if not isinstance(options, Mapping):
        msg = f"build_params: create_kwargs is a mapping of SDK options, got {a_type(options)}"
        raise TypeError(msg)
    kwargs = dict(create_kwargs)
    _no_logprobs_override(endpoint, kwargs)
    _no_prompt_override(endpoint, kwargs)
    if endpoint == "chat.completions":
        messages = _messages(messages_or_prompt)
        params: dict[str, object] = {"model": model, "messages": messages, "logprobs": True}
        params["top_logprobs"] = top_logprobs
    elif endpoint == "responses":
        include = _include(kwargs.pop("include", None))
        if INCLUDE_LOGPROBS not in include:
            include.append(INCLUDE_LOGPROBS)
        params = {"model": model, "input": _messages(messages_or_prompt), "include": include}
        params["top_logprobs"] = top_logprobs
    else:
        given: object = messages_or_prompt  # typed as a prompt, but anything may come
        if isinstance(given, bytes | bytearray | Mapping) or not isinstance(given, Iterable):
            raise TypeError(_not_a_prompt(given, "a str"))
        if not isinstance(messages_or_prompt, str):
            msg = (
                "legacy completions take a prompt string, not a list of messages: pass a str, "
                'or use endpoint="chat.completions"'
            )
            raise TypeError(msg)
        asked: object = top_logprobs  # typed int, but a None would send `logprobs: null`
        if asked is None:
            msg = (
                "top_logprobs=None asks legacy completions for no logprobs (it is sent as their "
                "logprobs: null): pass top_logprobs=0 for the sampled token's logprob alone, or "
                "top_logprobs=k for k alternatives (at most 5 on OpenAI)"
            )
            raise TypeError(msg)
        params = {"model": model, "prompt": messages_or_prompt, "logprobs": top_logprobs}
    params.update(kwargs)
    check_json(params)
    return params


def check_options(*, model: object, endpoint: object, guards: object) -> None:
    """Refuse the options every request of a run shares, once, before the first prompt is read.

    Raises:
        ValueError: `endpoint` or `guards` is not one of its values; `model` is empty.
        TypeError: `model` is not a `str`.
    """
    _check_endpoint(endpoint)
    check_model(model)
    _check_guards(guards)


def _check_endpoint(endpoint: object) -> None:
    """Refuse an `endpoint` that is not one of `ENDPOINTS`, listing them."""
    if not among(endpoint, ENDPOINTS):
        msg = f"endpoint must be one of {', '.join(map(repr, NAMES))}, got {endpoint!r}"
        raise ValueError(msg)


def _check_guards(guards: object) -> None:
    """Refuse a `guards=` that is not a guard mode, naming the argument (not `check_request`'s)."""
    modes = get_args(GuardMode)
    if not among(guards, modes):
        msg = f"guards must be one of {', '.join(map(repr, modes))}, got {guards!r}"
        raise ValueError(msg)


def check_json(value: object, path: str = "", *, str_keys: bool = False) -> None:
    r"""Refuse what JSON cannot carry: NaN, infinity, numpy, and (`str_keys`) a non-`str` key.

    The SDK's encoder fails on a NaN deep inside, and on a lone surrogate (`"\ud800"`, which
    UTF-8 cannot encode) with a position in its own JSON; a file would write an int key as text.
    """
    if isinstance(value, str):
        _check_utf8(value, path)
        return
    if isinstance(value, float) and not math.isfinite(value):
        msg = (
            f"{path} is {value!r}: a request is JSON, which has no NaN or infinity; pass a "
            "finite number"
        )
        raise ValueError(msg)
    if (cast := _plain_cast(value)) is not None:
        kind = f"{type(value).__module__}.{type(value).__qualname__}"
        msg = (
            f"{path or 'the request'} is a {kind}, which a JSON request cannot carry (the SDK "
            f"fails to encode it): pass a plain number, e.g. {cast}({path or 'value'})"
        )
        raise TypeError(msg)
    if getattr(value, "ndim", 0) and hasattr(value, "tolist"):  # a numpy (or similar) array
        kind = f"{type(value).__module__}.{type(value).__qualname__}"
        msg = (
            f"{path or 'the request'} is a {kind}, which a JSON request cannot carry (the SDK "
            f"fails to encode it): pass a list, e.g. {path or 'value'}.tolist()"
        )
        raise TypeError(msg)
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_key(key, path, str_keys=str_keys)
            check_json(item, f"{path}.{key}" if path else str(key), str_keys=str_keys)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_json(item, f"{path}[{i}]", str_keys=str_keys)


def _check_key(key: object, path: str, *, str_keys: bool) -> None:
    """Refuse a key UTF-8 cannot encode, or (`str_keys`) one that is not a `str`."""
    if isinstance(key, str):
        _check_utf8(key, f"{path or 'the request'}'s key {key!r}")
    elif str_keys:
        msg = (
            f"{path or 'the request'} has the key {key!r} ({type(key).__name__}): JSON keys are "
            f"strings, write it as {str(key)!r}"
        )
        raise TypeError(msg)


def _check_utf8(text: str, path: str) -> None:
    """Refuse `text` if it holds a lone surrogate: a request is UTF-8 JSON, which has none."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        msg = (
            f"{path or 'the request'} holds {text[exc.start]!r} at character {exc.start}, half of "
            "a UTF-16 surrogate pair, which a request (UTF-8 JSON) cannot carry: fix the text "
            "where it came from (a file read with errors='surrogateescape', a JSON '\\ud800' "
            "escape), or replace it: text.encode('utf-8', 'replace').decode()"
        )
        raise ValueError(msg) from None


def _plain_cast(value: object) -> str | None:
    """The Python type to cast a number JSON cannot carry to (`numpy.int64`: `int`), else None.

    numpy's scalars (but `float64`, a `float`), `Decimal` and `Fraction` fail in the SDK's encoder
    with "Object of type int64 is not JSON serializable", naming no field.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return None
    dtype = getattr(value, "dtype", None)
    if getattr(dtype, "kind", None) == "b" and getattr(value, "ndim", None) == 0:
        return "bool"  # numpy.bool_
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Number) and not isinstance(value, complex):
        return "float"
    return None


def _no_logprobs_override(endpoint: Endpoint, kwargs: dict[str, object]) -> None:
    """Refuse a `logprobs=` that contradicts the request for logprobs (a usage error)."""
    if "logprobs" not in kwargs:
        return
    value = kwargs["logprobs"]
    if endpoint == "chat.completions" and value is True:
        del kwargs["logprobs"]  # what is sent anyway
        return
    if endpoint == "completions":
        msg = (
            f"logprobs={value!r} was passed for legacy completions, where tokenprobs sets "
            "logprobs=k from top_logprobs: pass top_logprobs=k instead (0 gives the sampled "
            "token alone)"
        )
    elif endpoint == "responses":
        msg = (
            f"logprobs={value!r} is not a Responses API parameter: tokenprobs asks for logprobs "
            'with include=["message.output_text.logprobs"] and top_logprobs=k; remove it'
        )
    else:
        msg = (
            f"logprobs={value!r} contradicts what get_token_distribution is for (it always asks "
            "for logprobs): remove it (top_logprobs=0 gives the sampled token alone), or call "
            "client.chat.completions.create() directly for an answer without them"
        )
    raise ValueError(msg)


_PROMPT_FIELD: Mapping[Endpoint, str] = {
    "chat.completions": "messages",
    "responses": "input",
    "completions": "prompt",
}


def _no_prompt_override(endpoint: Endpoint, kwargs: Mapping[str, object]) -> None:
    """Refuse a `messages=` / `input=` / `prompt=` that would silently replace the prompt given."""
    name = _PROMPT_FIELD[endpoint]
    if name in kwargs:
        msg = (
            f"{name}= would replace the prompt passed as the first argument (it becomes the "
            f"request's {name}): remove it, and pass the messages (or prompt) as the first "
            "argument"
        )
        raise ValueError(msg)


def _include(include: object) -> list[object]:
    """A Responses `include` as a list (to which the logprobs value is added)."""
    if include is None:
        return []
    if isinstance(include, str) or not isinstance(include, list | tuple):
        msg = (
            f"include is a list of Responses include values, got {include!r}: pass a list, e.g. "
            f"include=[{include!r}] (tokenprobs adds {INCLUDE_LOGPROBS!r} itself)"
        )
        raise TypeError(msg)
    return list(include)


def _messages(messages_or_prompt: Prompt) -> list[Mapping[str, object]]:
    if isinstance(messages_or_prompt, str):
        return [{"role": "user", "content": messages_or_prompt}]
    if isinstance(messages_or_prompt, Mapping):
        msg = "pass a list of messages, not a single message dict"
        raise TypeError(msg)
    given: object = messages_or_prompt  # typed as a prompt, but anything may come
    if isinstance(given, bytes | bytearray) or not isinstance(given, Iterable):
        raise TypeError(_not_a_prompt(given, "a str or a list of messages"))
    return list(messages_or_prompt)


def _not_a_prompt(given: object, wanted: str) -> str:
    """The message for a prompt of the wrong type (bytes would be sent as a list of numbers)."""
    fix = (
        ": decode it first, e.g. prompt.decode('utf-8')"
        if isinstance(given, bytes | bytearray)
        else ", e.g. 'Capital of France?'"
    )
    return f"a prompt must be {wanted}, got {a_type(given)}{fix}"


def guard(
    endpoint: Endpoint,
    params: Mapping[str, object],
    *,
    base_url: str | None,
    mode: GuardMode,
    profile: str | GuardProfile | None = None,
) -> None:
    """Run the guards on a request (nothing when `mode == "off"`).

    Without `profile`, the profile detected from an earlier response of the same server is used,
    else the one its base URL selects.
    """
    _check_guards(mode)
    if mode == "off":
        return
    chosen = profile if profile is not None else detected_server(base_url)
    check_request(endpoint, dict(params), base_url=base_url, mode=mode, profile=chosen)


def prepare(
    messages_or_prompt: Prompt,
    *,
    model: str,
    top_logprobs: int,
    endpoint: Endpoint,
    stream: bool,
    guards: GuardMode,
    base_url: str | None,
    create_kwargs: Mapping[str, object],
    profile: str | GuardProfile | None = None,
) -> dict[str, object]:
    """Build and guard one request: what runs before any I/O (see `Options.prepare`)."""
    options = Options(model, top_logprobs, endpoint, base_url, guards, profile, create_kwargs)
    return options.prepare(messages_or_prompt, stream=stream)


def _whole(value: object) -> int | None:
    """The whole number `value` (a str, a float) reads as, to suggest it; else None."""
    if not isinstance(value, str | float):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


@dataclass(frozen=True)
class Options:
    """What every request of one call shares: `prepare`'s arguments but the prompt and `stream`.

    Built once from the public function's arguments (in the order of its signature), then asked
    for each prompt's request.
    """

    model: str
    top_logprobs: int
    endpoint: Endpoint
    base_url: str | None
    guards: GuardMode
    profile: str | GuardProfile | None
    create_kwargs: Mapping[str, object]

    def __post_init__(self) -> None:
        """Refuse a `top_logprobs` that is no int before any request (unless guards are off).

        Its range is the server's to decide (the guards say it in the server's words: vLLM
        takes -1); its type is tokenprobs' own, and the answer is checked against it.

        Raises:
            TypeError: `top_logprobs` is a str, a float, a bool ... (`guards="off"` sends it).
        """
        given: object = self.top_logprobs  # typed int, but called with what users pass
        if self.guards == "off" or given is None or type(given) is int:
            return
        if isinstance(given, np.ndarray | np.integer):
            return  # the request's own check names an array and its fix (`.tolist()`)
        whole = _whole(given)
        msg = (
            "top_logprobs is the number of alternatives per position, an int, got "
            f"{a_value(given)}" + (f": pass top_logprobs={whole}" if whole is not None else "")
        )
        raise TypeError(msg)

    @property
    def asked(self) -> int | None:
        """The `top_logprobs` the answer is checked against (a cap): `None` if it is no count."""
        k: object = self.top_logprobs
        return k if type(k) is int and k >= 0 else None

    def prepare(self, messages_or_prompt: Prompt, *, stream: bool) -> dict[str, object]:
        """Build and guard the request of one prompt: what runs before any I/O."""
        check_flag(stream, "stream", "a DistributionStream of updates, or the whole answer")
        params = build_params(
            messages_or_prompt,
            model=self.model,
            top_logprobs=self.top_logprobs,
            endpoint=self.endpoint,
            create_kwargs=self.create_kwargs,
        )
        check_create_kwargs(self.endpoint, self.create_kwargs)
        if stream:
            params["stream"] = True
        guard(self.endpoint, params, base_url=self.base_url, mode=self.guards, profile=self.profile)
        return params
