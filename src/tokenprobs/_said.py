"""How an error message names what it was given (`an int`, `a str ('no')`).

And the checks that only say so: a value of the wrong type, an item of a list of the wrong type,
a boolean option that is no bool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable

__all__ = ["a_type", "a_value", "among", "check_flag", "check_items", "check_type"]


def a_type(value: object) -> str:
    """`None`, or the type of `value` with its article: what a message says was given.

    Examples:
        >>> import numpy as np
        >>> a_type(5), a_type("x"), a_type(None), a_type(np.zeros(2))
        ('an int', 'a str', 'None', 'an ndarray')
    """
    if value is None:
        return "None"
    name = type(value).__name__
    vowel = name[0].lower() in "aeiou" or name.startswith("nd")  # "an en-dee-array"
    return f"{'an' if vowel else 'a'} {name}"


def a_value(value: object, *, width: int | None = None) -> str:
    """`None`, or `a_type(value)` with the value's repr (cut to `width` characters): `an int (5)`.

    Examples:
        >>> a_value(5), a_value(None), a_value("abcdef", width=3)
        ('an int (5)', 'None', "a str ('ab)")
    """
    if value is None:
        return "None"
    shown = repr(value) if width is None else repr(value)[:width]
    return f"{a_type(value)} ({shown})"


def among(value: object, options: Collection[str]) -> bool:
    """Whether `value` is a str and one of `options`: a list or array given is not (no error).

    `value in options` of an unhashable value raises numpy's or Python's own error ("unhashable
    type: 'list'", "the truth value of an array ... is ambiguous") before the caller can say
    which option it was and what the choices are.

    Examples:
        >>> among("raw", {"raw", "bucket"}), among(["raw"], {"raw", "bucket"})
        (True, False)
    """
    return isinstance(value, str) and value in options


def check_flag(value: object, name: str, meaning: str, *, none: str = "") -> None:
    """Refuse a flag that is not a bool (or `None`, when `none` says what `None` means).

    A string such as `"no"` is truthy and would turn the option on, so it is refused; a numpy
    bool (an element of a mask) is a bool.

    Raises:
        TypeError: `value` is not a bool, naming the option and what it means.

    Examples:
        >>> check_flag(True, "stream", "a stream of updates")
        >>> check_flag("no", "stream", "a stream of updates")
        Traceback (most recent call last):
        TypeError: `stream` must be True or False (a stream of updates), got a str ('no')
    """
    if isinstance(value, bool | np.bool_) or (none and value is None):
        return
    allowed = "True, False or None" if none else "True or False"
    said = f"{meaning}; None {none}" if none else meaning
    msg = f"`{name}` must be {allowed} ({said}), got {a_value(value)}"
    raise TypeError(msg)


def check_type(value: object, kind: type[object], said: str) -> None:
    """Refuse `value` unless it is a `kind`: `said`, then what was given.

    Raises:
        TypeError: `value` is not a `kind`; the message is `said` and `, got <a_type(value)>`.

    Examples:
        >>> check_type("x", str, "name must be a string")
        >>> check_type(5, str, "name must be a string")
        Traceback (most recent call last):
        TypeError: name must be a string, got an int
    """
    if not isinstance(value, kind):
        msg = f"{said}, got {a_type(value)}"
        raise TypeError(msg)


def check_items(
    items: Iterable[object], kind: type[object], name: Callable[[int], str], fix: str
) -> None:
    """Refuse the first of `items` that is not a `kind`, naming it by its index.

    Raises:
        TypeError: An item is not a `kind`; the message is `name(n)`, `is <a_type(item)>`
            and `fix` (what it should be, and how to get it).

    Examples:
        >>> check_items(["a", 1], str, lambda n: f"input {n}", ", not a string")
        Traceback (most recent call last):
        TypeError: input 1 is an int, not a string
    """
    for n, item in enumerate(items):
        if not isinstance(item, kind):
            msg = f"{name(n)} is {a_type(item)}{fix}"
            raise TypeError(msg)
