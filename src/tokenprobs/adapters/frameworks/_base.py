"""What the framework adapters share: the generic parser, versions, one-choice checks, errors."""

from __future__ import annotations

import importlib.metadata
from typing import TYPE_CHECKING, Any, Protocol

from tokenprobs.exceptions import MissingLogprobsError, UnsupportedResponseError

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["Generic", "missing", "module_of", "only_choice", "renamed", "text_of", "version"]


class Generic(Protocol):
    """The generic dispatch (`tp.parse`'s own), for the framework objects that wrap an API body."""

    def __call__(self, obj: object, /, *, choice: int | None) -> list[TokenDistribution]:
        """The distributions of `obj`: one, or one per choice when `choice` is `None`."""
        ...


def module_of(obj: object) -> str:
    """The module that defines the object's class (`""` when it has none)."""
    return getattr(type(obj), "__module__", None) or ""


def version(distribution: str) -> str:
    """The installed version of a framework's distribution, read from its metadata (no import)."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "(version unknown)"


def only_choice(choice: int | None, what: str) -> None:
    """Refuse `choice > 0` for a framework object that holds one output."""
    if choice not in (None, 0):
        msg = f"there is no choice {choice}: {what} holds one output (choice 0)"
        raise UnsupportedResponseError(msg, field="choices")


def missing(
    what: str, *, hint: str, endpoint: str | None = None, not_requested: bool = True
) -> MissingLogprobsError:
    """A `MissingLogprobsError` whose hint is the framework's own option."""
    err = MissingLogprobsError(what, endpoint=endpoint, hint=hint)
    err.not_requested = not_requested
    return err


def renamed(exc: MissingLogprobsError, framework: str, hint: str) -> MissingLogprobsError | None:
    """The generic error for a body the framework kept, with the framework's name and option.

    `None` for an error about another cause (a tool call's arguments carry no logprobs), which
    the caller re-raises as it is.
    """
    if not exc.not_requested:
        return None
    what = str(exc).split(". To get them, ", 1)[0]
    return missing(f"{framework}: {what}", hint=hint, endpoint=exc.endpoint)


def text_of(content: Any) -> str:  # noqa: ANN401 - a framework's content: text or blocks
    """Text content, or the text blocks of a list of content blocks joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list | tuple):
        return "".join(
            b if isinstance(b, str) else str(b.get("text") or "")
            for b in content
            if isinstance(b, str) or (isinstance(b, dict) and b.get("type") in ("text", None))
        )
    return ""
