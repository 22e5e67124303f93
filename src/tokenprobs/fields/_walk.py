"""The byte-level JSON walk (`tokenprobs._json_walk`), failing with the fields' own error.

The walk itself is shared with `tokenprobs.labels`, which may not import this package (this
package imports labels), so it lives in the leaf module; here it raises `JSONNotFoundError`.
"""

from __future__ import annotations

from tokenprobs._json_walk import JSONWalkError, Leaf, pointer
from tokenprobs._json_walk import find as find_json
from tokenprobs.fields._errors import JSONNotFoundError

__all__ = ["Leaf", "find", "pointer"]


def find(buf: bytes) -> tuple[list[Leaf], int, int]:
    """The JSON document in `buf` and its leaves, as `tokenprobs._json_walk.find` finds them.

    Returns:
        The leaves, and the byte span `[start, end)` of the document.

    Raises:
        JSONNotFoundError: If no JSON object or array (or whole-text scalar) is in `buf` (the
            message says where the first attempt stopped reading).
    """
    try:
        return find_json(buf)
    except JSONWalkError as exc:
        raise JSONNotFoundError(str(exc)) from None
