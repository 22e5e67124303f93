"""Pausing the cyclic garbage collector while parsing, safely across threads.

Parsing builds tens of thousands of small lists and dicts and no reference cycles, so the
cyclic GC has nothing to find; left on, its collections re-scan every live container (a large
SDK response included) many times over and can double a parse's time. The pause is counted, so
threads that parse at once re-enable the GC only when the last of them is done, and only if it
was enabled before the first began.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["paused_gc"]

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic GC for the block (re-entrant and thread-safe); restore it after."""
    global _depth, _was_enabled  # noqa: PLW0603 - one process-wide switch needs one count
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
