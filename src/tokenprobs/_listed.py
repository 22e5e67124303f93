"""One rule for every argument that takes a list of texts: a lone `str` is refused.

A `str` is a sequence of `str`, so `f("a text")` where `f` iterates its argument would read one
prompt per character (and pay a request for each). Every such entry point calls `not_one_text`.
"""

from __future__ import annotations

__all__ = ["not_one_text"]

_SHOWN = 40
"""How many characters of the lone text the message shows."""


def not_one_text(given: object, name: str, item: str) -> None:
    """Raise `TypeError` when `given` (argument `name`, a list of `item`s) is one str or bytes.

    Examples:
        >>> not_one_text(["a", "b"], "texts", "text")
        >>> try:
        ...     not_one_text("ab", "texts", "text")
        ... except TypeError as exc:
        ...     print(str(exc).split(": pass ")[1])
        a list of them, e.g. [text]
    """
    if isinstance(given, str | bytes | bytearray):
        kind = type(given).__name__
        msg = (
            f"{name} is one {kind} ({given[:_SHOWN]!r}) where a list goes, not one {kind}: it "
            f"would be one prompt per character: pass a list of them, e.g. [{item}]"
        )
        raise TypeError(msg)
