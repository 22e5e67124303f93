"""How an error message names what it was given: its type with its article (`an int`, `a str`)."""

from __future__ import annotations

__all__ = ["a_type", "a_value"]


def a_type(value: object) -> str:
    """`None`, or the type of `value` with its article: what a message says was given.

    Examples:
        >>> a_type(5), a_type("x"), a_type(None)
        ('an int', 'a str', 'None')
    """
    if value is None:
        return "None"
    name = type(value).__name__
    return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"


def a_value(value: object) -> str:
    """`None`, or `a_type(value)` with the value's repr: `an int (5)`.

    Examples:
        >>> a_value(5), a_value(None)
        ('an int (5)', 'None')
    """
    return "None" if value is None else f"{a_type(value)} ({value!r})"
