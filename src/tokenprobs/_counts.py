"""One rule for every option that counts something (attempts, requests in flight): an integer >= 1.

(Or >= 0, for a count that may be none: `at_least`.)

`True` is not 1 and `2.5` is not a count: each is refused by name before it reaches `range()`,
a comparison or a retry loop, where it would fail (or run) far from the option that caused it.
"""

from __future__ import annotations

import numbers

__all__ = ["at_least", "at_least_one"]


def at_least_one(
    value: object, name: str, what: str = "", *, error: type[ValueError] = ValueError
) -> int:
    """`value` as an `int` when it is an integer of at least 1 (numpy's too, never a bool).

    Args:
        value: What was given.
        name: The option's name, for the message.
        what: What it counts, for the message (`" (requests in flight)"`).
        error: The `ValueError` raised below 1 (a tool's own, such as `DistillError`).

    Raises:
        TypeError: It is not an integer.
        ValueError: It is below 1 (an `error`).

    Examples:
        >>> at_least_one(3, "concurrency")
        3
        >>> try:
        ...     at_least_one(2.5, "concurrency", " (requests in flight)")
        ... except TypeError as exc:
        ...     print(exc)
        concurrency must be an integer (requests in flight), got 2.5
    """
    return at_least(value, name, 1, what, error=error)


def at_least(
    value: object, name: str, least: int, what: str = "", *, error: type[ValueError] = ValueError
) -> int:
    """`at_least_one` with another least value (0: a count that may be none).

    Examples:
        >>> at_least(0, "top_logprobs", 0)
        0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        msg = f"{name} must be an integer{what}, got {value!r}"
        raise TypeError(msg)
    if value < least:
        msg = f"{name} must be at least {least}, got {value}"
        raise error(msg)
    return int(value)
