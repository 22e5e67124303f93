"""LiteLLM: `ModelResponse`, its stream (chunks or the wrapper), and `ResponsesAPIResponse`.

The stream is a list of `ModelResponseStream` chunks or the `CustomStreamWrapper` itself. LiteLLM
mirrors the OpenAI SDK's shapes, so the generic adapters read them; what this adds is the
LiteLLM-specific answer when they carry no logprobs: LiteLLM forwards `logprobs` only to the
providers whose parameter mapping has it, and a stream can come back without them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pydantic

from tokenprobs.adapters.frameworks._base import Generic, missing, renamed, version
from tokenprobs.exceptions import MissingLogprobsError, TokenprobsWarning

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["PREFIX", "parse_litellm"]

PREFIX = "litellm."


def _hint() -> str:
    return (
        "pass logprobs=True, top_logprobs=k to litellm.completion() (litellm.responses(): "
        "include=['message.output_text.logprobs'], top_logprobs=k); LiteLLM "
        f"{version('litellm')} forwards them only to providers whose parameter mapping has "
        "them: 'logprobs' in litellm.get_supported_openai_params(model=..., "
        "custom_llm_provider=...) says whether yours does"
    )


def parse_litellm(obj: Any, *, choice: int | None, generic: Generic) -> list[TokenDistribution]:  # noqa: ANN401
    """The generic adapters on LiteLLM's objects, with LiteLLM's option when logprobs are absent."""
    stream = not isinstance(obj, pydantic.BaseModel | dict) and isinstance(obj, Iterable)
    items = list(obj) if stream else obj
    what = f"LiteLLM's {type(obj).__name__}"
    try:
        out = generic(items, choice=choice)
    except MissingLogprobsError as exc:
        if (err := renamed(exc, what, _hint())) is None:
            raise
        raise err from exc
    if stream:
        for d in out:
            if not len(d) and d.content:
                msg = (
                    f"{what} of stream chunks carries no logprobs (choice {d.choice} has text "
                    "but no chunk had logprobs)"
                )
                raise missing(msg, hint=_hint(), endpoint="chat.completions")
            if d.content is not None and "\ufffd" in d.text and "\ufffd" not in d.content:
                warnings.warn(_dropped_chunks(d.choice), TokenprobsWarning, stacklevel=4)
    return out


def _dropped_chunks(choice: int) -> str:
    return (
        f"choice {choice}: the tokens' bytes do not make the streamed text (a UTF-8 character "
        f"is cut): LiteLLM {version('litellm')} drops the stream chunks whose text delta is "
        "empty, as it is for a token that ends inside a character, and their logprobs with "
        "them; stream=False keeps every position"
    )
