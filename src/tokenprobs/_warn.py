"""`warn`: a `TokenprobsWarning` that points at the user's line, however deep it is raised.

A leaf: imports nothing of tokenprobs but the exceptions.
"""

from __future__ import annotations

import inspect
import warnings

from tokenprobs.exceptions import TokenprobsWarning

__all__ = ["warn"]


def warn(msg: str, category: type[Warning] = TokenprobsWarning) -> None:
    """Warn `msg`, attributed to the first frame outside tokenprobs (who called the library)."""
    warnings.warn(msg, category, stacklevel=_caller())


def _caller() -> int:
    """The `stacklevel`, for `warn`'s own call, of the first frame outside tokenprobs."""
    level, frame = 1, inspect.currentframe()
    while frame is not None and frame.f_globals.get("__name__", "").startswith("tokenprobs."):
        level, frame = level + 1, frame.f_back
    return level - 1
