"""Ollama's Python client (`ollama`) and LangChain's `ChatOllama`, read as Ollama's native chunks.

Ollama (0.12.11 and later) answers `/api/chat` and `/api/generate` asked with `"logprobs": true,
"top_logprobs": k` with a `logprobs` list of `{token, logprob, bytes, top_logprobs}` per
response or NDJSON line. The `ollama` client returns it as `ChatResponse.logprobs` /
`GenerateResponse.logprobs` (one response, or one per streamed part); `ChatOllama`
(langchain-ollama) keeps each part's list in the chunk's `response_metadata["logprobs"]`, and
the lists joined in an `invoke()`'s message. Both are turned back into the native chunks they
came from and read like the NDJSON body itself (source `"ollama"`).

The client's token types (`ollama._types.TokenLogprob`, `Logprob`) have no `bytes` field, and
pydantic ignores the field: the bytes the server sent are lost on the way. Where Ollama names a
token that ends inside a UTF-8 character U+FFFD, that token's text cannot be recovered, and a
`TokenprobsWarning` says so.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from tokenprobs.adapters._common import plain
from tokenprobs.adapters.frameworks._base import missing, module_of, only_choice, text_of, version
from tokenprobs.adapters.stream import StreamAccumulator
from tokenprobs.exceptions import TokenprobsWarning, UnsupportedResponseError

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["PREFIX", "from_chat_ollama", "parse_chat_ollama", "parse_ollama_client"]

PREFIX = "ollama."
_SERVER = "Ollama 0.12.11 or later"
_ANSWERS = ("ChatResponse", "GenerateResponse")


def parse_ollama_client(obj: Any, *, choice: int | None) -> list[TokenDistribution]:  # noqa: ANN401
    """A `ChatResponse` / `GenerateResponse`, or the list of a stream's parts: one distribution."""
    parts = list(obj) if isinstance(obj, list | tuple) else [obj]
    kind = type(parts[0]).__name__
    if any(type(p).__name__ not in _ANSWERS for p in parts):
        msg = (
            f"the ollama client's {kind} is not an answer: expected a ChatResponse or "
            "GenerateResponse (ollama.chat / ollama.generate), or the list of a stream's parts"
        )
        raise UnsupportedResponseError(msg)
    only_choice(choice, f"the ollama client's {kind}")
    chunks = []
    for part in parts:
        chunk = part.model_dump(exclude_none=True)
        chunk.setdefault("done", False)
        chunks.append(chunk)
    hint = (
        "ask the client for them: ollama.chat(model=..., messages=..., logprobs=True, "
        f"top_logprobs=k) or ollama.generate(model=..., prompt=..., logprobs=True, "
        f"top_logprobs=k) ({_SERVER})"
    )
    return [_read(chunks, f"the ollama client's {kind}", hint=hint, response=obj)]


def from_chat_ollama(messages: list[Any]) -> bool:
    """Whether LangChain messages come from `ChatOllama` (its marker, or the client's entries)."""
    for m in messages:
        md = m.response_metadata
        if md.get("model_provider") == "ollama":
            return True
        entries = md.get("logprobs")
        if isinstance(entries, list) and entries and module_of(entries[0]).startswith(PREFIX):
            return True
    return False


def parse_chat_ollama(messages: list[Any], *, response: object) -> TokenDistribution:
    """`ChatOllama`'s message, its stream's chunks or their sum, as the native chunks they were."""
    chunks = []
    for m in messages:
        md = m.response_metadata
        model = md.get("model_name") or md.get("model")
        chunk: dict[str, Any] = {
            "message": {"role": "assistant", "content": text_of(m.content)},
            "done": md.get("done") is True,
            "logprobs": md.get("logprobs"),
        }
        if isinstance(model, str):
            chunk["model"] = model
        if isinstance(reason := md.get("done_reason"), str):
            chunk["done_reason"] = reason
        chunks.append(chunk)
    kind = type(messages[0]).__name__
    hint = (
        "ask ChatOllama for them: ChatOllama(model=..., logprobs=True, top_logprobs=k), or "
        "model.bind(logprobs=True, top_logprobs=k); langchain-ollama "
        f"{version('langchain-ollama')} keeps them in response_metadata['logprobs'] ({_SERVER})"
    )
    return _read(chunks, f"the LangChain {kind} from ChatOllama", hint=hint, response=response)


def _read(chunks: list[Any], what: str, *, hint: str, response: object) -> TokenDistribution:
    acc = StreamAccumulator()
    for chunk in chunks:
        chunk["logprobs"] = plain(chunk.get("logprobs"))
        acc.feed(chunk)
    d = acc.distribution(0, response=response)
    if not len(d) and d.content:
        msg = f"{what} carries no logprobs (it has text but no 'logprobs' entries)"
        raise missing(msg, hint=hint)
    if any("\ufffd" in t for t in d.tokens):
        warnings.warn(_bytes_lost(), TokenprobsWarning, stacklevel=5)
    return d


def _bytes_lost() -> str:
    return (
        "a token is U+FFFD: Ollama names a token that ends inside a UTF-8 character so, and "
        f"sends its real bytes beside it, but the ollama client {version('ollama')} drops them "
        "(its TokenLogprob type has only token and logprob); read the HTTP body itself "
        "(/api/chat or /api/generate, e.g. with httpx) and tp.parse that to keep them"
    )
