r"""A distribution's JSON round trip, lone surrogates included.

JSON can carry a lone surrogate (`"\ud83d"`, half an emoji a server cut in two) and `tp.parse`
keeps it in the token string, but pydantic's JSON writer and reader refuse one ("surrogates not
allowed"). Only then do these take the slower path: `json.dumps` with `\uXXXX` escapes, read
back by `json.loads` and `model_validate`; every other distribution is pydantic's own JSON.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError

from tokenprobs._json import loads

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Serial"]


class Serial(BaseModel):
    """`model_dump_json` / `model_validate_json` that hold a lone surrogate (see the module)."""

    def model_dump_json(self, **kwargs: Any) -> str:  # noqa: ANN401
        r"""The JSON pydantic writes; with a lone surrogate, the same data in `\uXXXX` escapes.

        Takes pydantic's keyword arguments (`indent`, `include`, `exclude`, ...).
        """
        try:
            return super().model_dump_json(**kwargs)
        except PydanticSerializationError as exc:
            if "surrogates not allowed" not in str(exc):
                raise
        indent = kwargs.pop("indent", None)
        kwargs.pop("ensure_ascii", None)  # escapes are what holds the surrogate
        data = self.model_dump(mode="json", **kwargs)
        return json.dumps(data, indent=indent, separators=(",", ":") if indent is None else None)

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Self:  # noqa: ANN401
        """The distribution pydantic reads from `json_data`, a lone surrogate kept.

        JSON that pydantic's reader refuses for a lone surrogate alone is read by `json.loads`
        and validated as data (`model_validate`).

        Takes pydantic's keyword arguments (`strict`, `context`, ...).
        """
        reader: Callable[..., Self] = super().model_validate_json
        try:
            return reader(json_data, **kwargs)
        except ValidationError as exc:
            if [e["type"] for e in exc.errors()] != ["json_invalid"]:
                raise
            try:
                data = loads(json_data)  # a lone surrogate, or the same error again
            except ValueError:
                raise exc from None
        return cls.model_validate(data, **kwargs)
