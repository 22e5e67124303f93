"""LiteLLM: `ModelResponse`, its stream (chunks or the wrapper), and `ResponsesAPIResponse`.

The stream is a list of `ModelResponseStream` chunks or the `CustomStreamWrapper` itself. LiteLLM
mirrors the OpenAI SDK's shapes, so the generic adapters read them; what this adds is the
LiteLLM-specific answer when they carry no logprobs: LiteLLM forwards `logprobs` only to the
providers whose parameter mapping has it, and a stream can come back without them. Its native
Ollama providers (`ollama/`, `ollama_chat/`) map none at all, and the error says what to use.
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

__all__ = ["OLLAMA", "PREFIX", "ollama_dropped", "parse_litellm"]

PREFIX = "litellm."
OLLAMA = ("ollama", "ollama_chat")
"""LiteLLM's providers for Ollama's native API, which map no logprobs."""


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
    what = f"LiteLLM's {type(obj).__name__}" + (" of stream chunks" if stream else "")
    provider = _provider(obj, items)
    try:
        out = generic(items, choice=choice)
    except MissingLogprobsError as exc:
        if provider in OLLAMA:
            raise ollama_dropped(what, provider) from exc
        if (err := renamed(exc, what, _hint())) is None:
            raise
        raise err from exc
    if stream:
        for d in out:
            _check_stream(d)
    return out


def _check_stream(d: TokenDistribution) -> None:
    """A stream's choice that lost a token warns (one with text but no logprobs has raised)."""
    if d.content is not None and "\ufffd" in d.text and "\ufffd" not in d.content:
        warnings.warn(_dropped_chunks(d.choice), TokenprobsWarning, stacklevel=5)


def _provider(obj: object, items: object) -> str | None:
    """The LiteLLM provider that answered: the stream wrapper's, or the response's hidden one."""
    provider = getattr(obj, "custom_llm_provider", None)
    if not isinstance(provider, str):
        first = items[0] if isinstance(items, list) and items else items
        hidden = getattr(first, "_hidden_params", None)
        provider = hidden.get("custom_llm_provider") if isinstance(hidden, dict) else None
    return provider if isinstance(provider, str) else None


def ollama_dropped(what: str, provider: str | None) -> MissingLogprobsError:
    """The error for an answer from LiteLLM's `ollama/` or `ollama_chat/` provider."""
    v = version("litellm")
    msg = (
        f"{what} ({provider}/) carries no logprobs: LiteLLM {v} maps none for Ollama's native "
        "API, in the request or the response (logprobs is not among the provider's supported "
        "parameters: drop_params=True drops it, allowed_openai_params puts it in 'options', "
        "where Ollama does not read it; and the response's 'logprobs' are not read)"
    )
    hint = (
        f"this is not possible through {provider}/ with LiteLLM {v}: call Ollama's "
        "OpenAI-compatible endpoint instead, litellm.completion(model='openai/<model>', "
        "api_base='http://localhost:11434/v1', api_key='ollama', logprobs=True, "
        "top_logprobs=k), or call Ollama natively (ollama.chat(..., logprobs=True) or "
        "langchain-ollama's ChatOllama(logprobs=True)) and tp.parse what it returns"
    )
    return missing(msg, hint=hint, not_requested=False)


def _dropped_chunks(choice: int) -> str:
    return (
        f"choice {choice}: the tokens' bytes do not make the streamed text (a UTF-8 character "
        f"is cut): LiteLLM {version('litellm')} drops the stream chunks whose text delta is "
        "empty, as it is for a token that ends inside a character, and their logprobs with "
        "them; stream=False keeps every position"
    )
