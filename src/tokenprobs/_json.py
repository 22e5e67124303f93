r"""JSON text read as the SDK reads it (`json.loads`), fast: lone surrogates (`"\ud83d"`) kept.

`pydantic_core.from_json` is the fast reader, but it refuses an escaped lone surrogate, which is
valid JSON (RFC 8259 allows any `\uXXXX`), which `json.loads` and so the SDK accept, and which a
server that cuts an emoji in two may send. Only such a body is read a second time, by
`json.loads`; any other error is the fast reader's own.
"""

from __future__ import annotations

import json
from typing import Any

import pydantic_core

__all__ = ["loads"]


def loads(data: str | bytes | bytearray) -> Any:  # noqa: ANN401 - JSON is any value
    r"""The JSON value of `data`, a lone surrogate kept as `json.loads` keeps it.

    Raises:
        ValueError: `data` is not JSON (the fast reader's message: line, column and what).

    Examples:
        >>> loads(b'{"token": "\\ud83d"}')
        {'token': '\ud83d'}
    """
    try:
        return pydantic_core.from_json(data)
    except ValueError as exc:
        if "surrogate" not in str(exc) and "hex escape" not in str(exc):
            raise
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
            raise exc from None
