"""Which framework an object comes from, told by the module of its class (or of its items')."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokenprobs.adapters.frameworks import _dspy, _langchain, _litellm, _ollama, _pydantic_ai
from tokenprobs.adapters.frameworks._base import Generic, module_of
from tokenprobs.exceptions import UnsupportedResponseError

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["Generic", "parse_dumped", "parse_framework", "refuse_dumped_messages"]


def parse_framework(
    obj: object, *, choice: int | None, generic: Generic
) -> list[TokenDistribution] | None:
    """The distributions of a framework's object, or `None` when it comes from none we know.

    Args:
        obj: The object `tp.parse` was given; a list or tuple is told by its first item.
        choice: The choice wanted, or `None` for all (`parse_all`).
        generic: `tp.parse`'s own dispatch, for framework objects that wrap an API body.
    """
    first = obj[0] if isinstance(obj, list | tuple) and obj else obj
    module = module_of(first)
    if _langchain.is_langchain(first):
        return _langchain.parse_langchain(obj, choice=choice)
    if module.startswith(_litellm.PREFIX):
        return _litellm.parse_litellm(obj, choice=choice, generic=generic)
    if module.startswith(_pydantic_ai.PREFIX):
        return _pydantic_ai.parse_pydantic_ai(obj, choice=choice)
    if module.startswith(_ollama.PREFIX):
        return _ollama.parse_ollama_client(obj, choice=choice)
    if _dspy.is_dspy(first):
        return _dspy.parse_dspy(obj, choice=choice, generic=generic)
    return None


def refuse_dumped_messages(items: list[object]) -> None:
    """Refuse a list of pydantic-ai messages stored as data, naming the rebuild.

    Raises:
        UnsupportedResponseError: The list's first item is a pydantic-ai `ModelRequest` or
            `ModelResponse` as data (`kind`, `parts`: `all_messages_json()`, `dump_python`).
    """
    first = items[0]
    if (
        isinstance(first, dict)
        and first.get("kind") in {"request", "response"}
        and isinstance(first.get("parts"), list)
    ):
        msg = (
            "a list of pydantic-ai messages stored as data (all_messages_json(), "
            "ModelMessagesTypeAdapter.dump_python): rebuild them first with "
            "pydantic_ai.messages.ModelMessagesTypeAdapter.validate_python(data) (validate_json "
            "for the JSON text), then pass that list (its last ModelResponse is read)"
        )
        raise UnsupportedResponseError(msg)


def parse_dumped(obj: dict[str, object], *, choice: int | None) -> list[TokenDistribution] | None:
    """A LangChain answer's dump, read as the message; a pydantic-ai one's, refused by name.

    Raises:
        UnsupportedResponseError: A pydantic-ai `ModelResponse` as data (`kind: "response"`,
            from `ModelMessagesTypeAdapter.dump_python` or `all_messages_json()`), whose parts
            only pydantic-ai can rebuild.
    """
    if (read := _langchain.parse_dumped(obj, choice=choice)) is not None:
        return read
    if obj.get("kind") == "response" and isinstance(obj.get("parts"), list):
        msg = (
            "a pydantic-ai ModelResponse stored as data (kind 'response'): pass the "
            "ModelResponse itself, or rebuild it first: "
            "pydantic_ai.messages.ModelMessagesTypeAdapter.validate_python([data])[0]"
        )
        raise UnsupportedResponseError(msg)
    return None
