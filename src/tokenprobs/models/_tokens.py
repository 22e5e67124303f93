"""One token's logprob and its alternatives, as the SDK has them; the per-output fields."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, NamedTuple, Self, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from tokenprobs._said import a_type
from tokenprobs.models._arrays import SENTINEL

__all__ = ["Bytes", "DistributionMeta", "Span", "TokenLogprob", "TopLogprob"]

Bytes = list[Annotated[int, Field(ge=0, le=255)]] | None
"""A token's UTF-8 bytes (each 0..255), or `None` where the API gave none."""


class DistributionMeta(TypedDict, total=False):
    """The per-output fields of a `TokenDistribution`, as `from_columns` takes them.

    For code that forwards them (each is documented on `TokenDistribution`).
    """

    choice: int
    finish_reason: str | None
    refusal: bool
    incomplete: bool
    model: str | None
    top_null: list[int] | None
    text_offset: list[int] | None
    prompt_length: int | None
    content: str | None
    prompt_filter_results: list[Any] | None
    content_filter_results: list[Any] | None
    values_from: str | None
    bytes_decoded: str | None
    response: object


class Span(NamedTuple):
    """A run of positions `[start, end)` and the characters `[char_start, char_end)` they cover."""

    start: int
    end: int
    char_start: int
    char_end: int


class TopLogprob(BaseModel):
    """One alternative at a position: a token the model could have produced, and its logprob."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    token: str
    """The token as the API gave it (partial UTF-8 may read as `\\xf0\\x9f\\x92` or `�`)."""
    bytes: Bytes = None
    """The token's UTF-8 bytes, or `None` where the API gave none."""
    logprob: float
    """The natural-log probability as given; `-9999.0` means "outside the top 20"."""

    @property
    def prob(self) -> float:
        """`exp(logprob)`: 0 for the `-9999.0` sentinel, clipped to 1 for coarse positive values.

        NaN where the logprob is NaN (the API's `null`: unknown, not zero), as `d.probs` has it.
        """
        if math.isnan(self.logprob):
            return math.nan
        if self.logprob <= SENTINEL:
            return 0.0
        return min(1.0, math.exp(min(self.logprob, 0.0)))

    @classmethod
    def from_openai(cls, obj: Any) -> Self:  # noqa: ANN401 - any SDK object with these attributes
        """Build from the SDK's `TopLogprob`, its dict, or anything with `token` and `logprob`.

        Raises:
            TypeError: `obj` has no `token` or no `logprob`.
            pydantic.ValidationError: a field of the wrong type (a `ValueError`).
        """
        return cls.model_validate(_fields(obj, cls.__name__, ("token", "logprob"), ("bytes",)))

    def to_openai(self) -> Any:  # noqa: ANN401 - the SDK's own class
        """Convert to the SDK's `openai.types.chat.chat_completion_token_logprob.TopLogprob`."""
        from openai.types.chat.chat_completion_token_logprob import TopLogprob as SDKTop  # noqa: PLC0415

        return SDKTop(token=self.token, bytes=self.bytes, logprob=self.logprob)


class TokenLogprob(TopLogprob):
    """One generated token: its logprob and the alternatives the API returned at its position."""

    top_logprobs: list[TopLogprob] = Field(default_factory=list)
    """The most likely tokens at this position, as returned (may or may not include this one)."""

    @classmethod
    def from_openai(cls, obj: Any) -> Self:  # noqa: ANN401 - any SDK object with these attributes
        """Build from the SDK's `ChatCompletionTokenLogprob`, a Responses `Logprob`, or its dict.

        Raises:
            TypeError: `obj` (or one of its `top_logprobs`) has no `token` or no `logprob`, or
                its `top_logprobs` is no list.
            pydantic.ValidationError: a field of the wrong type (a `ValueError`).
        """
        given = _fields(obj, cls.__name__, ("token", "logprob"), ("bytes", "top_logprobs"))
        top = given.pop("top_logprobs", None)
        if top is None:
            top = ()
        if isinstance(top, str | bytes | Mapping) or not isinstance(top, Iterable):
            msg = f"{cls.__name__}.from_openai: top_logprobs is a list, got {a_type(top)}"
            raise TypeError(msg)
        return cls.model_validate(
            {**given, "top_logprobs": [TopLogprob.from_openai(t) for t in top]}
        )

    def _repr_html_(self) -> str:
        from tokenprobs import render  # noqa: PLC0415

        return render.token_to_html(self)

    def to_openai(self) -> Any:  # noqa: ANN401 - the SDK's own class
        """Convert to the SDK's `ChatCompletionTokenLogprob`."""
        from openai.types.chat import ChatCompletionTokenLogprob  # noqa: PLC0415

        return ChatCompletionTokenLogprob(
            token=self.token,
            bytes=self.bytes,
            logprob=self.logprob,
            top_logprobs=[t.to_openai() for t in self.top_logprobs],
        )


def _fields(
    obj: object, kind: str, needed: tuple[str, ...], optional: tuple[str, ...]
) -> dict[str, object]:
    """The fields of an SDK object or its dict; a `TypeError` naming a needed one that is absent."""
    missing = object()
    found: dict[str, object] = {}
    for name in needed + optional:
        value = obj.get(name, missing) if isinstance(obj, Mapping) else getattr(obj, name, missing)
        if value is missing and name in needed:
            msg = (
                f"{kind}.from_openai takes the SDK's object (or its dict) with `token` and "
                f"`logprob`, got {a_type(obj)} without `{name}`"
            )
            raise TypeError(msg)
        if value is not missing:
            found[name] = value
    return found
