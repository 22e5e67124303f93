"""What every adapter shares: field access on SDK objects and dicts, choices, error bodies."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from tokenprobs._access import get
from tokenprobs._said import a_type, a_value
from tokenprobs.exceptions import APIResponseError, TokenprobsWarning, UnsupportedResponseError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "NO_CHOICES",
    "choice_index",
    "choice_indices",
    "error_body",
    "get",
    "plain",
    "seen",
    "select",
    "seq",
    "stream_choice_index",
]


def plain(value: Any) -> Any:  # noqa: ANN401 - JSON-like data, as the server sent it
    """`value` as plain JSON data (an SDK object dumped), for fields kept as sent."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_unset=True)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def seq(value: Any, field: str) -> list[Any] | None:  # noqa: ANN401 - untyped input by nature
    """A list field: `None` stays `None`; a list or tuple is returned as a list; else an error."""
    if value is None:
        return None
    if isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    msg = f"expected a list, got {seen(value)}"
    raise UnsupportedResponseError(msg, field=field)


def seen(value: object) -> str:
    """What a message says was found: `a str ('x')`, its repr cut to 60 characters."""
    text = repr(value)
    shown = text if len(text) <= 60 else text[:57] + "..."  # noqa: PLR2004
    return "None" if value is None else f"{a_type(value)} ({shown})"


NO_CHOICES = "the response has no choices (choices: []): it holds no answer, so no logprobs"


def select(choices: list[Any], choice: int | None) -> list[tuple[int, int, Any]]:
    """`[(position, index, choice)]`: all in index order, or the one whose index is `choice`.

    Raises:
        UnsupportedResponseError: There are no choices (`choices: []` is no answer), or a choice
            is not an object (`null`, a string, a number, a list).
        TypeError: `choice` is not an int or None.
    """
    given: object = choice  # typed, but the adapters' parse_choices pass what they were given
    if given is not None and (isinstance(given, bool) or not isinstance(given, int | np.integer)):
        msg = f"choice is a choice's index (an int), got {a_value(given, width=40)}"
        raise TypeError(msg)
    if not choices:
        raise UnsupportedResponseError(NO_CHOICES, field="choices")
    for i, c in enumerate(choices):
        if c is None or isinstance(c, str | bytes | int | float | list | tuple):
            msg = (
                f"expected a choice object (with its message or text, logprobs and "
                f"finish_reason), got {'null' if c is None else seen(c)}: the response is malformed"
            )
            raise UnsupportedResponseError(msg, field=f"choices[{i}]")
    picked = list(zip(range(len(choices)), choice_indices(choices), choices, strict=True))
    if choice is None:
        return sorted(picked, key=lambda row: row[1])
    for row in picked:
        if row[1] == choice:
            return [row]
    msg = f"there is no choice {choice}: the response has {len(choices)} choice(s)"
    raise UnsupportedResponseError(msg, field="choices")


def choice_index(c: Any, position: int) -> int:  # noqa: ANN401 - a choice or its dict
    """A choice's `index` when it is an integer >= 0, else its position.

    A whole body's choice is a whole answer, so reading it at its position misfiles nothing
    (`true`, `-1`); a stream's chunk is checked strictly (`stream_choice_index`).
    """
    index = get(c, "index")
    ok = isinstance(index, int) and not isinstance(index, bool) and index >= 0
    return index if ok else position


def stream_choice_index(c: Any, path: str) -> int:  # noqa: ANN401 - a chunk's choice
    """A stream chunk's choice `index` (0 when it has none: a server that leaves it out).

    Raises:
        UnsupportedResponseError: `index` is not an integer >= 0 (`true`, `1.0`, `"0"`, `-1`):
            it decides which answer the chunk's tokens join, and any guess would splice them
            into another answer.
    """
    index = get(c, "index")
    if index is None:
        return 0
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        msg = f"expected a choice index (an integer >= 0), got {seen(index)}"
        raise UnsupportedResponseError(msg, field=f"{path}.index")
    return index


def choice_indices(choices: Sequence[Any]) -> list[int]:
    """Each choice's `choice_index`; their positions, with a warning, when two would be equal.

    A server that numbers every choice 0 would otherwise give `n` distributions that all say
    `choice == 0`, and `parse(obj, choice=1)` would find none.
    """
    indices = [choice_index(c, i) for i, c in enumerate(choices)]
    if len(set(indices)) == len(indices):
        return indices
    first = next(i for i, index in enumerate(indices) if indices.index(index) != i)
    msg = (
        f"choices[{indices.index(indices[first])}] and choices[{first}] both have index "
        f"{indices[first]}: the server numbered its choices wrongly, so each choice is read as "
        f"its position in the list (choice 0 to {len(indices) - 1})"
    )
    warnings.warn(msg, TokenprobsWarning, stacklevel=2)
    return list(range(len(choices)))


def error_body(obj: dict[str, Any]) -> APIResponseError | None:
    """The API error a body carries instead of a response, or `None` when it is not one."""
    err = obj.get("error")
    if isinstance(err, dict) and ("message" in err or "code" in err):
        return APIResponseError(
            str(err.get("message")),
            type=err.get("type") or err.get("status"),
            param=err.get("param"),
            code=err.get("code"),
            body=err,
        )
    if isinstance(err, str) and "choices" not in obj and "output" not in obj:
        return APIResponseError(err, body=obj)
    # vLLM's {"object": "error", ...}; a Responses stream's `error` event {type: "error", ...}
    event = obj.get("type") == "error" and isinstance(obj.get("message"), str)
    if (obj.get("object") == "error" and "message" in obj) or event:
        return APIResponseError(
            str(obj["message"]),
            type=None if event else obj.get("type"),
            param=obj.get("param"),
            code=obj.get("code"),
            body=obj,
        )
    if "detail" in obj and len(obj) <= 2:  # noqa: PLR2004 - FastAPI's {"detail": ...}
        return APIResponseError(str(obj["detail"]), body=obj)
    if (
        isinstance(obj.get("message"), str)
        and obj.keys() <= _SDK_ERROR_KEYS
        and not obj.keys().isdisjoint(_SDK_ERROR_DETAIL)
    ):  # the SDK's own `APIStatusError.body`: the inner object, without {"error": ...}
        return APIResponseError(
            obj["message"],
            type=obj.get("type") or obj.get("status"),
            param=obj.get("param"),
            code=obj.get("code"),
            body=obj,
        )
    return None


_SDK_ERROR_KEYS = frozenset({"message", "type", "param", "code", "status"})
_SDK_ERROR_DETAIL = frozenset({"type", "param", "code"})
