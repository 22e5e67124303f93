"""Reading a field the same way from a dict or an SDK object.

A leaf that both sides of the data flow use: the adapters reading responses, and the guards'
server detection (which must not import the adapters).
"""

from __future__ import annotations

from typing import Any

__all__ = ["get"]


def get(obj: Any, key: str, default: Any = None) -> Any:  # noqa: ANN401 - untyped input by nature
    """`obj[key]` for a dict, `obj.key` for an SDK object; `default` when absent."""
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)
