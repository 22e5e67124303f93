"""The errors `tokenprobs.fields` raises (all `TokenprobsError`s, and `ValueError`s)."""

from __future__ import annotations

from tokenprobs.exceptions import TokenprobsError

__all__ = ["FieldsError", "JSONNotFoundError", "SchemaError"]


class FieldsError(TokenprobsError, ValueError):
    """A distribution whose fields cannot be read: the message says what was wrong and the fix."""


class JSONNotFoundError(FieldsError):
    """No complete JSON document in the output's text (the message says where reading stopped)."""


class SchemaError(FieldsError):
    """The schema given is not a JSON Schema, a pydantic model class or a `response_format`."""
