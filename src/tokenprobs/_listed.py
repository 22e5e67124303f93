"""Rules for every argument that takes a list of texts: a lone `str` and an unordered one refused.

A `str` is a sequence of `str`, so `f("a text")` where `f` iterates its argument would read one
prompt per character (and pay a request for each). Every such entry point calls `not_one_text`.
A dict iterates as its keys (a caller mapping ids to texts meant the values) and a set in an
order that changes from run to run; where results come back in the items' order,
`not_unordered` refuses both.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet

from tokenprobs._said import a_type

__all__ = ["not_one_text", "not_unordered"]

_SHOWN = 40
"""How many characters of the lone text the message shows."""


def not_one_text(given: object, name: str, item: str) -> None:
    """Raise `TypeError` when `given` (argument `name`, a list of `item`s) is one str or bytes.

    Examples:
        >>> not_one_text(["a", "b"], "texts", "text")
        >>> try:
        ...     not_one_text("ab", "texts", "text")
        ... except TypeError as exc:
        ...     said = str(exc)
        >>> said.split(": pass ")[1]
        'a list of them, e.g. [text]'
    """
    if isinstance(given, str | bytes | bytearray):
        kind = type(given).__name__
        msg = (
            f"{name} is one {kind} ({given[:_SHOWN]!r}) where a list goes, not one {kind}: it "
            f"would be one prompt per character: pass a list of them, e.g. [{item}]"
        )
        raise TypeError(msg)


def not_unordered(given: object, name: str, what: str) -> None:
    """Raise `TypeError` when `given` (argument `name`, a list of `what`) is a mapping or a set.

    Examples:
        >>> not_unordered(["a", "b"], "texts", "texts to score")
        >>> try:
        ...     not_unordered({"id": "a"}, "texts", "texts to score")
        ... except TypeError as exc:
        ...     said = str(exc)
        >>> said.split("; ")[1]
        'pass list(texts.values()) for the values, or list(texts) for the keys'
    """
    if isinstance(given, Mapping):
        msg = (
            f"{name} is a list of {what}, got {a_type(given)}: it iterates as its keys; "
            f"pass list({name}.values()) for the values, or list({name}) for the keys"
        )
        raise TypeError(msg)
    if isinstance(given, AbstractSet):
        msg = (
            f"{name} is a list of {what}, got {a_type(given)}: its order changes from "
            f"run to run, and the results come in {name}' order; pass a list, e.g. sorted({name})"
        )
        raise TypeError(msg)
