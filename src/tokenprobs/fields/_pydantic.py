"""`fields.parse`: the output validated by a pydantic model, with its fields' confidence."""

from __future__ import annotations

import collections.abc
import dataclasses
import types
import typing
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import AliasChoices, AliasPath, BaseModel

from tokenprobs.fields._confidence import confidence, distribution
from tokenprobs.fields._result import FieldConfidences

if TYPE_CHECKING:
    from tokenprobs.fields._result import FieldConfidence

__all__ = ["parse"]

M = TypeVar("M", bound=BaseModel)

_MAX_ARGS = 1


def _aliases(model: type[BaseModel]) -> dict[str, tuple[str, object]]:
    """JSON key -> (field name, annotation) for one model (its aliases and its names)."""
    out: dict[str, tuple[str, object]] = {}
    for name, info in model.model_fields.items():
        out.setdefault(name, (name, info.annotation))
        given: list[object] = [info.alias, info.validation_alias]
        if isinstance(info.validation_alias, AliasChoices):
            given += info.validation_alias.choices
        for alias in given:
            if isinstance(alias, AliasPath) and len(alias.path) == 1:
                alias = alias.path[0]  # noqa: PLW2901 - a one-step path is a key
            if isinstance(alias, str):
                out[alias] = (name, info.annotation)
    return out


def _options(tp: object) -> list[object]:
    """`tp` with `Annotated` and unions opened: the types a value may have."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _options(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [o for a in typing.get_args(tp) for o in _options(a)]
    return [tp]


def _is_model(tp: object) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _is(origin: object, kind: type) -> bool:
    """Whether a generic's origin (`list`, `collections.abc.Sequence` ...) is a `kind`."""
    return isinstance(origin, type) and issubclass(origin, kind)


def _step(tp: object, step: str | int) -> tuple[str | int, object]:  # noqa: PLR0911 - one per kind
    """The field name for `step` inside a value of type `tp`, and the type one step in."""
    for o in _options(tp):
        if isinstance(o, type) and issubclass(o, BaseModel) and o.__pydantic_root_model__:
            return _step(o.model_fields["root"].annotation, step)
        origin, args = typing.get_origin(o), typing.get_args(o)
        if isinstance(step, str):
            if _is_model(o):
                return _aliases(o).get(step, (step, None))  # type: ignore[arg-type]
            if _is(origin, collections.abc.Mapping) and args:
                return step, args[-1]
        elif origin is tuple and args:
            if args[-1] is Ellipsis:
                return step, args[0]
            return step, args[step] if step < len(args) else None
        elif _is(origin, collections.abc.Iterable) and len(args) == _MAX_ARGS:
            return step, args[0]
    return step, None


def field_path(model: type[BaseModel], path: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """`path` (JSON keys) with each key read through the models' aliases into a field name."""
    out: list[str | int] = []
    current: object = model
    for step in path:
        name, current = _step(current, step)
        out.append(name)
    return tuple(out)


def parse(obj: object, model: type[M], /, *, choice: int = 0) -> tuple[M, FieldConfidences]:
    """Validate the output with `model` and give each of its fields' confidence.

    Args:
        obj: A `TokenDistribution`, or a response `tp.parse` reads; the SDK's
            `client.chat.completions.parse(...)` result keeps its own `.parsed` instance.
        model: The pydantic model the output follows (also the schema of `confidence`).
        choice: Which choice of a response with several (`n > 1`).

    Returns:
        The model instance, and the `FieldConfidences` whose leaves' `path` is in the model's
        field names (a JSON key read through its alias); `pointer` stays the JSON pointer.

    Raises:
        pydantic.ValidationError: If the JSON does not validate against `model`.
        FieldsError: As `confidence` does.
        TypeError: If `model` is not a pydantic model class, or `choice` is not an int.
        ValueError: If `obj` is a `TokenDistribution` (one choice already) and `choice` is not 0.
    """
    given: object = model  # checked as a caller may pass anything
    if not (isinstance(given, type) and issubclass(given, BaseModel)):
        msg = f"fields.parse(d, model): model is a pydantic model class, got {given!r}"
        raise TypeError(msg)
    d = distribution(obj, choice, "fields.parse(d, model, choice=")
    fc = confidence(d, schema=model)
    instance = _parsed(obj, model, choice)
    if instance is None:
        a, b = fc.document
        instance = model.model_validate_json(fc.text[a:b])
    leaves: list[FieldConfidence] = [
        dataclasses.replace(leaf, path=field_path(model, leaf.path)) for leaf in fc
    ]
    return instance, FieldConfidences(leaves, distribution=d, document=fc.document, text=fc.text)


def _parsed(obj: object, model: type[M], choice: int) -> M | None:
    """The SDK's own parsed instance (`ParsedChatCompletion.choices[i].message.parsed`)."""
    choices: Any = getattr(obj, "choices", None)
    if not isinstance(choices, list) or not choice < len(choices):
        return None
    parsed = getattr(getattr(choices[choice], "message", None), "parsed", None)
    return parsed if isinstance(parsed, model) else None
