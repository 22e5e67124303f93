"""What `register_model` and `register_profile` accept: refused at registration, not at a check.

A cap of `"50"` or a `base_urls` of one string would be stored as given and fail later, inside
the next `check_request` (a comparison of an int with a str) or silently (the characters of a
string are patterns, and `"*"` matches every URL, OpenAI's included); so would a rule whose id
names no endpoint or whose status the guards cannot raise (a `KeyError` inside every check).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

from tokenprobs._said import a_type, a_value, check_flag
from tokenprobs.guards._openai import rule_endpoint
from tokenprobs.guards._types import GuardProfile, LogprobsSupport, ModelFamily, Rule

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["checked_cap", "checked_family", "checked_patterns", "checked_profile", "checked_rule"]

_SUPPORT: tuple[str, ...] = get_args(LogprobsSupport)
_STATUSES = (400, 403, 500)
"""The statuses a rule can answer with: `GuardBadRequestError`, `GuardPermissionDeniedError`,
`GuardInternalServerError` (`None`: a warning)."""


def _non_empty(value: object, what: str) -> str:
    """`value` if it is a non-empty str, else a `TypeError`: `what`, and the value got.

    A dataclass's fields are not checked at construction: a `Rule`'s id may be anything.
    """
    if not isinstance(value, str) or not value:
        msg = f"{what}, got {value!r}"
        raise TypeError(msg)
    return value


def checked_cap(cap: object, name: str = "max_top_logprobs") -> int | None:
    """`cap` if it is `None` or an int >= 0 (not a bool), else a `TypeError` / `ValueError`."""
    if cap is None:
        return None
    if isinstance(cap, bool) or not isinstance(cap, int):
        msg = f"{name} is a number of alternatives (an int such as 20) or None, got {cap!r}"
        raise TypeError(msg)
    if cap < 0:
        msg = f"{name} is {cap}: a cap on top_logprobs is 0 or more (None: no cap of its own)"
        raise ValueError(msg)
    return cap


def checked_patterns(patterns: object, name: str = "base_urls") -> tuple[str, ...]:
    """`patterns` as a tuple of `fnmatch` patterns; one `str` (its characters) is refused."""
    if isinstance(patterns, str | bytes):
        msg = (
            f"{name} is a tuple of patterns, got one string ({patterns!r}), whose characters "
            f"would each be a pattern ('*' matches every URL): pass ({patterns!r},)"
        )
        raise TypeError(msg)
    items: Sequence[object] = patterns if isinstance(patterns, tuple | list) else ()
    if not isinstance(patterns, tuple | list) or not all(isinstance(p, str) and p for p in items):
        msg = f"{name} is a tuple of fnmatch patterns (non-empty str), got {patterns!r}"
        raise TypeError(msg)
    return tuple(items)  # type: ignore[arg-type]


def checked_family(family: object) -> ModelFamily:
    """A `ModelFamily` whose fields `check_request` can use, else a `TypeError` / `ValueError`."""
    if not isinstance(family, ModelFamily):
        msg = (
            "family is an fnmatch pattern (a str such as 'gpt-6*') or a ModelFamily, "
            f"got {family!r}"
        )
        raise TypeError(msg)
    _non_empty(family.pattern, "the family's pattern is an fnmatch pattern on model ids")
    echo: object = family.echo_with_logprobs
    checked_cap(family.max_top_logprobs)
    if family.logprobs not in _SUPPORT:
        msg = f"logprobs is one of {_SUPPORT}, got {family.logprobs!r}"
        raise ValueError(msg)
    check_flag(echo, "echo_with_logprobs", "whether echo=True returns the prompt's logprobs")
    return family


def checked_profile(profile: object) -> GuardProfile:
    """A `GuardProfile` whose fields `check_request` can use, else a `TypeError` / `ValueError`."""
    if not isinstance(profile, GuardProfile):
        msg = f"profile is a name (a str) or a GuardProfile, got {a_type(profile)}"
        raise TypeError(msg)
    _non_empty(profile.name, "a profile's name is a non-empty str")
    checked_cap(profile.max_top_logprobs)
    checked_patterns(profile.base_urls)
    rules: object = profile.rules
    if not isinstance(rules, tuple | list):
        msg = f"a profile's rules are a tuple of Rules, got {a_type(rules)}"
        raise TypeError(msg)
    for rule in profile.rules:
        checked_rule(rule)
    for family in profile.families:
        checked_family(family)
    return profile


def checked_rule(rule: object) -> Rule:
    """A `Rule` whose fields `check_request` can use, else a `TypeError` / `ValueError`."""
    if not isinstance(rule, Rule):
        msg = f"a profile's rules are Rules, got {a_value(rule)}"
        raise TypeError(msg)
    ident = _non_empty(rule.id, "a rule's id is a non-empty str such as 'gpu.chat.cap'")
    message: object = rule.message
    check: object = rule.check
    rule_endpoint(rule)
    if not callable(check):
        msg = f"rule {ident!r}: check is a function of the request's context, got {check!r}"
        raise TypeError(msg)
    if rule.status is not None and rule.status not in _STATUSES:
        msg = (
            f"rule {ident!r}: status is {rule.status!r}; a guard raises the SDK's class for "
            f"{', '.join(map(str, _STATUSES))}, or warns for None"
        )
        raise ValueError(msg)
    if not isinstance(message, str):
        msg = f"rule {ident!r}: message is a str (a str.format template), got {message!r}"
        raise TypeError(msg)
    return rule
