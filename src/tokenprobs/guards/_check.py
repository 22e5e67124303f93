"""`check_request`: select a profile and a model family, walk the rules, raise the first."""

from __future__ import annotations

import dataclasses
import threading
import warnings
from collections.abc import Mapping

import openai

from tokenprobs._endpoints import ENDPOINTS, NAMES, Endpoint
from tokenprobs._said import a_type, a_value, among, check_type
from tokenprobs.exceptions import GuardWarning
from tokenprobs.guards._detect import detect_server
from tokenprobs.guards._errors import build_error
from tokenprobs.guards._match import url_matches
from tokenprobs.guards._openai import rule_endpoint
from tokenprobs.guards._servers import Registry
from tokenprobs.guards._shape import check_model, shape_problem
from tokenprobs.guards._types import (
    Context,
    GuardMode,
    GuardProfile,
    LogprobsSupport,
    ModelFamily,
    Rule,
)
from tokenprobs.guards._validate import (
    checked_cap,
    checked_family,
    checked_patterns,
    checked_profile,
)

__all__ = [
    "check_request",
    "detected_server",
    "register_model",
    "register_profile",
    "remember_server",
    "reset",
    "resolve_model",
    "rules",
    "select_profile",
]


_MODES = ("strict", "warn", "off")
_DEFAULT_BASE_URL = "https://api.openai.com/v1"
_REGISTRY = Registry()
_WRITING = threading.Lock()
"""Held while a table is replaced: each change builds a new table, so a check in another thread
reads the old one or the new one, never one half changed (or changing while it iterates)."""


def check_request(
    endpoint: Endpoint,
    params: Mapping[str, object],
    /,
    *,
    base_url: str | None = None,
    profile: str | GuardProfile | None = None,
    mode: GuardMode = "strict",
) -> None:
    """Raise what the API would answer to this request, without sending it.

    Args:
        endpoint: `"chat.completions"`, `"completions"` or `"responses"`.
        params: The keyword arguments one would pass to the SDK's `create()`, `model` among
            them. `omit` / `NOT_GIVEN` mean "not given"; `extra_body` is merged in, as the SDK
            sends it.
        base_url: The client's base URL. `None`, api.openai.com (or a regional host of
            OpenAI's data residency, `eu.api.openai.com` ...) or an Azure OpenAI URL (an Azure
            host with a path under `/openai`, as `AzureOpenAI` builds it) selects the
            `"openai"` profile; any other URL a registered profile whose `base_urls` match it,
            else `"compatible"` (which refuses nothing).
        profile: A profile name (`"openai"`, `"vllm"`, `"llama.cpp"`, `"compatible"` or a
            registered one) or a `GuardProfile`; overrides `base_url`'s choice.
        mode: `"strict"` raises; `"warn"` emits a `GuardWarning` instead; `"off"` checks nothing.

    Raises:
        GuardBadRequestError: The API would answer 400 (an `openai.BadRequestError`).
        GuardPermissionDeniedError: The API would answer 403 (an `openai.PermissionDeniedError`).
        ValueError: `endpoint`, `mode` or `profile` is not one we know (a `GuardProfile`'s
            fields are checked as `register_profile` checks them); `model` is empty;
            `n` is below 1 (these two as a `GuardWarning` with `mode="warn"`).
        TypeError: `params` is not a mapping. With `mode="warn"` a `GuardWarning` instead:
            Chat or legacy Completions without a `model` (the SDK's `create()` needs one), or
            one that is not a str; `messages` as one string or dict, or with a string for a
            message; `n` not an int (`True`, `"2"`, `2.5`); a number or flag JSON cannot carry
            (`numpy.int64(5)`, which the SDK fails to encode).

    Warns:
        GuardWarning: The API would accept the request but not honour it as written (e.g. clamp
            legacy `logprobs` above 5), or `mode="warn"` and the API would refuse it.

    Examples:
        >>> check_request("chat.completions", {"model": "gpt-4o", "logprobs": True})
    """
    _check_arguments(endpoint, params, mode)
    if mode == "off":
        return
    chosen = select_profile(base_url, profile)
    sent = _sent(params)
    if (problem := shape_problem(endpoint, sent)) is not None:
        if mode == "strict":
            raise problem
        warnings.warn(GuardWarning(f"the request cannot work as written: {problem}"), stacklevel=2)
        return
    model = sent.get("model")
    family = _family(chosen, model) if isinstance(model, str) else None
    ctx = Context(endpoint, sent, family, chosen)
    for rule in chosen.rules:
        if rule_endpoint(rule) != endpoint or (found := rule.check(ctx)) is None:
            continue
        fields = _fields(rule, found)
        if rule.status is None:
            warnings.warn(GuardWarning(rule.message.format(**fields)), stacklevel=2)
            continue
        error = build_error(rule, fields, base_url or _DEFAULT_BASE_URL, endpoint)
        if mode == "strict":
            raise error
        warnings.warn(
            GuardWarning(f"the API would refuse this request: {error} (rule {rule.id})"),
            stacklevel=2,
        )
        return


def _check_arguments(endpoint: Endpoint, params: Mapping[str, object], mode: GuardMode) -> None:
    """Refuse a call of `check_request` that names no endpoint or mode, or passes no mapping."""
    if not among(mode, _MODES):
        msg = f"mode must be one of {_MODES}, not {mode!r}"
        raise ValueError(msg)
    if not among(endpoint, ENDPOINTS):
        msg = f"endpoint must be one of {NAMES}, not {endpoint!r}"
        raise ValueError(msg)
    check_type(
        params,
        Mapping,
        "params is the mapping of create()'s arguments ({'model': ..., 'logprobs': True})",
    )


def rules(profile: str | GuardProfile = "openai") -> tuple[Rule, ...]:
    """The rules of a profile, in the order they are checked."""
    return select_profile(None, profile).rules


def resolve_model(model: str) -> str:
    """The base model id: `ft:gpt-4o-mini-2024-07-18:org::id` -> `gpt-4o-mini-2024-07-18`.

    Raises:
        TypeError: `model` is not a str (`None`, a number ...), naming what was given.
    """
    given: object = model  # typed, but called with what users pass
    if not isinstance(given, str):
        check_model(given)  # the TypeError every request check raises for it
    if model.startswith("ft:"):
        return model.split(":", 2)[1]
    return model


def select_profile(
    base_url: str | None = None, profile: str | GuardProfile | None = None
) -> GuardProfile:
    """The profile `check_request` uses for this base URL and `profile=` argument.

    Raises:
        TypeError: If `base_url` is not a str, a URL object (`client.base_url`) or None.
    """
    given: object = base_url  # typed, but a caller may pass anything
    url_like = all(hasattr(given, a) for a in ("scheme", "host", "path"))
    if given is not None and not isinstance(given, str) and not url_like:
        msg = (
            "base_url is the client's base URL, a str (or client.base_url) or None (OpenAI's "
            f"API), got {a_value(given, width=40)}"
        )
        raise TypeError(msg)
    if profile is not None and not isinstance(profile, str):
        return checked_profile(profile)  # a GuardProfile checked, anything else a TypeError
    profiles = _REGISTRY.profiles
    if profile is not None:
        if profile not in profiles:
            msg = f"unknown guard profile {profile!r}; known: {sorted(profiles)}"
            raise ValueError(msg)
        return profiles[profile]
    if base_url is None:
        return profiles["openai"]
    url = str(base_url)
    for candidate in reversed(profiles.values()):  # the latest registered wins
        if any(url_matches(url, pattern) for pattern in candidate.base_urls):
            return candidate
    return profiles["compatible"]


def register_model(
    family: str | ModelFamily,
    /,
    *,
    max_top_logprobs: int | None = None,
    logprobs: LogprobsSupport = "allowed",
    echo_with_logprobs: bool = True,
) -> ModelFamily:
    """Add a model family in front of the built-in ones (for profiles that have families).

    Args:
        family: An `fnmatch` pattern on the model id (e.g. `"gpt-6*"`), or a `ModelFamily`
            (then the other arguments are ignored).
        max_top_logprobs: The enforced `top_logprobs` cap; `None` means the documented 20.
        logprobs: `"allowed"`, `"reasoning"` (400 while reasoning), `"unsupported"` (400) or
            `"forbidden"` (the 403 "not allowed").
        echo_with_logprobs: Whether legacy Completions accept `echo` with `logprobs`.

    Returns:
        The registered family.

    Raises:
        TypeError: `family` is neither a pattern nor a `ModelFamily`; `max_top_logprobs` is no
            int (a bool or a str); `echo_with_logprobs` is no bool.
        ValueError: `max_top_logprobs` is negative; `logprobs` is not one of the four.

    Examples:
        >>> _ = register_model("gpt-6*", max_top_logprobs=5, logprobs="forbidden")
        >>> reset()
    """
    if isinstance(family, str):
        family = ModelFamily(
            pattern=family,
            max_top_logprobs=max_top_logprobs,
            logprobs=logprobs,
            echo_with_logprobs=echo_with_logprobs,
            source="registered at run time",
        )
    checked_family(family)
    with _WRITING:
        _REGISTRY.families = [family, *_REGISTRY.families]
    return family


def register_profile(
    profile: str | GuardProfile,
    /,
    *,
    like: str = "compatible",
    max_top_logprobs: int | None = None,
    base_urls: tuple[str, ...] = (),
) -> GuardProfile:
    """Add (or replace) a server profile.

    Args:
        profile: A name, or a complete `GuardProfile` (then the other arguments are ignored).
        like: The built-in profile whose rules the new one copies (`"vllm"`, `"llama.cpp"` ...).
        max_top_logprobs: The server-wide cap (vLLM's `--max-logprobs`); `None` keeps `like`'s.
        base_urls: `fnmatch` patterns on a client's `base_url` that select this profile, each
            part on that part: the host on the host only (see docs/guards.md).

    Returns:
        The registered profile.

    Raises:
        TypeError: `profile` is neither a name nor a `GuardProfile`; `base_urls` is one str (pass
            a tuple) or holds a non-str; `max_top_logprobs` is no int; a rule of the profile
            is no `Rule`, or its `check` is no function or its `message` no str.
        ValueError: `like` is no known profile; `max_top_logprobs` is negative, or given with a
            `like` whose rules read no server-wide cap (`"compatible"`, `"llama.cpp"`,
            `"openai"`: use `like="vllm"`); a rule's id names no endpoint (`"gpu.cap"`: name
            it `"gpu.chat.cap"`) or its status is none of 400, 403, 500 and `None`.

    Examples:
        >>> p = register_profile(
        ...     "gpu-box", like="vllm", max_top_logprobs=50, base_urls=("http://gpu-box:8000/*",)
        ... )
        >>> select_profile("http://gpu-box:8000/v1").max_top_logprobs
        50
        >>> reset()
    """
    if isinstance(profile, str):
        base = _like(like, max_top_logprobs)
        profile = dataclasses.replace(
            base,
            name=profile,
            max_top_logprobs=base.max_top_logprobs
            if max_top_logprobs is None
            else max_top_logprobs,
            base_urls=checked_patterns(base_urls),
        )
    profile = checked_profile(profile)
    with _WRITING:
        profiles = {k: v for k, v in _REGISTRY.profiles.items() if k != profile.name}
        _REGISTRY.profiles = {**profiles, profile.name: profile}  # the latest last: it wins
    return profile


def _like(like: str, cap: int | None) -> GuardProfile:
    """The profile `register_profile(like=...)` copies, if it can take the cap asked for."""
    profiles = _REGISTRY.profiles
    given: object = like  # checked as a caller may pass anything
    if not isinstance(given, str) or like not in profiles:
        msg = f"like={like!r} is not a guard profile to copy; known: {sorted(profiles)}"
        raise ValueError(msg)
    base = profiles[like]
    if checked_cap(cap) is not None and base.max_top_logprobs is None:
        msg = (
            f"max_top_logprobs={cap} would change nothing: the rules of like={like!r} read no "
            "server-wide cap (vLLM's --max-logprobs); pass like='vllm'"
        )
        raise ValueError(msg)
    return base


def reset() -> None:
    """Back to the built-in tables: forget registered families, profiles and detected servers."""
    fresh = Registry()
    with _WRITING:
        _REGISTRY.families = fresh.families
        _REGISTRY.profiles = fresh.profiles
        _DETECTED.clear()


_DETECTED: dict[str, str] = {}
"""Base URL → the profile detected from a response of that server (llama.cpp, vLLM)."""


def remember_server(response: object, base_url: str | None) -> str | None:
    """The server `detect_server` sees in `response`, remembered for `base_url`'s next requests.

    Only llama.cpp is remembered: its rules are the server's own validation. vLLM's depend on its
    `--max-logprobs`, which no answer shows (name it: `profile="vllm"`, or `register_profile`).
    Nothing is remembered for a base URL a profile claims: OpenAI's (its answers can look like
    anything) or one registered with `base_urls`, which stays the user's choice. `reset()`
    forgets them.
    """
    server = detect_server(response)
    if server == "llama.cpp" and base_url and not _claimed(base_url):
        _DETECTED[base_url] = server
    return server


def detected_server(base_url: str | None) -> str | None:
    """The server remembered for `base_url` by `remember_server`, while no profile claims it.

    Raises:
        TypeError: If `base_url` is not a str or None.
    """
    given: object = base_url  # typed, but a caller may pass anything
    if given is not None and not isinstance(given, str):
        msg = f"detected_server: base_url is a str or None (the client's), got {a_type(given)}"
        raise TypeError(msg)
    server = _DETECTED.get(base_url or "")
    return None if server is None or _claimed(base_url) else server


def _claimed(base_url: str | None) -> bool:
    """Whether a profile's `base_urls` (OpenAI's, or registered ones) select this base URL."""
    return select_profile(base_url).name != "compatible"


def _sent(params: Mapping[str, object]) -> dict[str, object]:
    """What the SDK would send: sentinels dropped, `extra_body` merged over the rest.

    An `extra_body` that is no mapping is kept under its name, for `shape_problem` to refuse.
    """
    sent = {
        k: v
        for k, v in params.items()
        if k != "extra_body" and not isinstance(v, openai.NotGiven | openai.Omit)
    }
    extra = params.get("extra_body")
    if isinstance(extra, Mapping):
        sent.update({str(k): v for k, v in extra.items()})
    elif extra is not None and not isinstance(extra, openai.NotGiven | openai.Omit):
        sent["extra_body"] = extra
    return sent


def _fields(rule: Rule, found: object) -> dict[str, object]:
    """What a rule's check returned, once its message and param can be filled from it."""
    if not isinstance(found, Mapping):
        msg = (
            f"rule {rule.id!r}: its check returns the message's fields (a dict, {{}} for none) "
            f"when it fires, else None; got {found!r}"
        )
        raise TypeError(msg)
    fields = {str(k): _encodable(v) for k, v in found.items()}
    try:
        rule.body(fields)
    except (KeyError, IndexError) as exc:
        msg = (
            f"rule {rule.id!r}: its message or param names the field {exc}, which its check "
            f"did not return (it returned {sorted(fields)})"
        )
        raise ValueError(msg) from None
    except ValueError as exc:
        msg = f"rule {rule.id!r}: its message or param is no str.format template ({exc})"
        raise ValueError(msg) from None
    return fields


def _encodable(value: object) -> object:
    """A lone surrogate (JSON can carry one) as its escape: the error body must be UTF-8."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def _family(profile: GuardProfile, model: str) -> ModelFamily | None:
    if not profile.families:
        return None
    base = resolve_model(model)
    return next((f for f in (*_REGISTRY.families, *profile.families) if f.matches(base)), None)
