"""LangChain: `AIMessage` / `AIMessageChunk` (one, a list, or their sum) and what wraps them.

A completion LLM's `Generation` (`langchain_openai.OpenAI(logprobs=k).generate(...)`) keeps the
legacy Completions choice's `logprobs` object in `generation_info["logprobs"]`, streamed or not.
`langchain-openai`'s `ChatOpenAI` keeps a Chat Completions choice's `logprobs` object as it came,
in `message.response_metadata["logprobs"]` (per chunk when streaming; summing the chunks
concatenates their lists). On the Responses API it keeps none: its text blocks and
`response_metadata` drop the `output_text` parts' logprobs, streamed or not. `ChatOllama`'s
messages are read as the Ollama chunks they came from (`_ollama`).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from tokenprobs.adapters import chat, completions
from tokenprobs.adapters.frameworks import _litellm, _ollama
from tokenprobs.adapters.frameworks._base import missing, module_of, only_choice, text_of, version
from tokenprobs.adapters.stream import StreamAccumulator
from tokenprobs.exceptions import UnsupportedResponseError

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["ASK", "PREFIX", "is_langchain", "parse_langchain", "unwrap"]

PREFIX = "langchain_core."
ASK = (
    "ask the chat model for them: ChatOpenAI(model=..., logprobs=True, top_logprobs=k), or "
    "model.bind(logprobs=True, top_logprobs=k) (Chat Completions; LangChain keeps them in "
    "message.response_metadata['logprobs']); with_structured_output(..., include_raw=True) "
    "keeps the raw message that holds them"
)
LLM_ASK = (
    "ask the completion LLM for them: OpenAI(model=..., logprobs=k) (langchain_openai; LangChain "
    "keeps them in each Generation's generation_info['logprobs'] of llm.generate([...])'s "
    "result; llm.invoke(...) returns the text alone)"
)
_PATH = "response_metadata['logprobs']"
_TOOL_REASONS = ("tool_calls", "function_call")


def unwrap(obj: Any) -> Any:  # noqa: ANN401 - a LangChain object
    """The message inside a generation (`ChatGeneration`, `ChatGenerationChunk`)."""
    message = getattr(obj, "message", None)
    return obj if message is None else message


def parse_langchain(obj: Any, *, choice: int | None) -> list[TokenDistribution]:  # noqa: ANN401
    """The distributions of a message, its chunks, `include_raw=True`'s dict, or a generation.

    A `ChatResult` or `LLMResult` (`model.generate(...)`, a callback's `on_llm_end`) holds one
    generation per choice (`n > 1`): each is a choice, numbered in order (the first prompt's).
    A completion LLM's `Generation` is read as the legacy Completions choice it came from.
    """
    if isinstance(obj, dict):  # with_structured_output(..., include_raw=True)
        obj = obj["raw"]
    if (generated := _generated(obj, choice=choice)) is not None:
        return generated
    messages = _answers(obj)
    return _from_messages(messages, obj, kind=type(messages[0]).__name__, choice=choice)


_DUMPED = {"ai": "AIMessage", "AIMessageChunk": "AIMessageChunk"}
"""The `type` of a dumped chat model answer (`message.model_dump()`), and its class."""


def parse_dumped(obj: dict[str, Any], *, choice: int | None) -> list[TokenDistribution] | None:
    """A chat model answer's `model_dump()` (or its JSON) read as the message, else `None`.

    Messages are stored that way (a chat history, a trace); `type` (`"ai"`) and
    `response_metadata` tell them. A tool call's and a missing logprobs' errors are the
    message's own.
    """
    kind = _DUMPED.get(str(obj.get("type")))
    md = obj.get("response_metadata")
    if kind is None or not isinstance(md, dict):
        return None
    extra = obj.get("additional_kwargs")
    m = SimpleNamespace(
        content=obj.get("content", ""),
        response_metadata=md,
        additional_kwargs=extra if isinstance(extra, dict) else {},
        tool_calls=obj.get("tool_calls"),
        tool_call_chunks=obj.get("tool_call_chunks"),
    )
    return _from_messages([m], obj, kind=f"{kind} (its model_dump())", choice=choice)


def _from_messages(
    messages: list[Any], obj: object, *, kind: str, choice: int | None
) -> list[TokenDistribution]:
    only_choice(choice, f"a LangChain {kind}")
    if any(_from_responses_api(m) for m in messages):
        raise _responses_api_dropped(kind)
    response = obj if len(messages) > 1 or isinstance(obj, list | tuple) else messages[0]
    if _ollama.from_chat_ollama(messages):
        return [_ollama.parse_chat_ollama(messages, response=response)]
    if not any(m.response_metadata.get("logprobs") is not None for m in messages):
        if any(m.response_metadata.get("model_provider") == "litellm" for m in messages):
            model = messages[-1].response_metadata.get("model_name")
            raise _chat_litellm_dropped(kind, streamed=kind.endswith("Chunk"), model=model)
        what = f"the LangChain {kind} carries no logprobs (no response_metadata['logprobs'])"
        if any(_tool_call(m) for m in messages):
            what += ": it is a tool call, whose arguments carry no logprobs"
            raise missing(
                what, hint=chat.TOOL_CALL_HINT, endpoint="chat.completions", not_requested=False
            )
        raise missing(what, hint=ASK, endpoint="chat.completions")
    if len(messages) == 1 and not kind.endswith("Chunk"):
        return [_message(messages[0], response)]
    return [_chunks(messages, response)]


def _generated(obj: Any, *, choice: int | None) -> list[TokenDistribution] | None:  # noqa: ANN401
    """The distributions of a result, a prompt's generations or an LLM's `Generation`, else None."""
    generations = getattr(obj, "generations", None)
    if isinstance(generations, list):
        return _generations(generations, choice=choice, kind=type(obj).__name__)
    if isinstance(obj, list | tuple) and obj and all(_generation(g) for g in obj):
        return _generations(list(obj), choice=choice)  # one prompt's: result.generations[i]
    if _text_generation(obj):
        only_choice(choice, f"a LangChain {type(obj).__name__}")
        return [_completion(obj)]
    return None


def _answers(obj: Any) -> list[Any]:  # noqa: ANN401
    """The messages of a message or a list of chunks, each checked to be a chat model's answer.

    Raises:
        UnsupportedResponseError: Not a chat model's answer, or several whole answers.
    """
    messages = [unwrap(m) for m in obj] if isinstance(obj, list | tuple) else [unwrap(obj)]
    for m in messages:
        answer = any(c.__name__ == "AIMessage" for c in type(m).__mro__)
        if not answer or not isinstance(getattr(m, "response_metadata", None), dict):
            msg = (
                f"a LangChain {type(m).__name__} is not a chat model's answer: expected an "
                "AIMessage or AIMessageChunk (or a list of chunks, or their sum)"
            )
            raise UnsupportedResponseError(msg)
    if len(messages) > 1 and any(_whole(m, "AIMessage") for m in messages):
        msg = (
            f"a list of {len(messages)} whole LangChain messages (model.batch(...)'s answers), "
            "not the chunks of one stream: parse each ([tp.parse(m) for m in messages])"
        )
        raise UnsupportedResponseError(msg)
    return messages


def _generations(
    generations: list[Any], *, choice: int | None, kind: str = "result"
) -> list[TokenDistribution]:
    """Each generation as a choice, numbered in order.

    Raises:
        UnsupportedResponseError: No generation at all (a malformed `LLMResult` / `ChatResult`),
            several prompts' generations, or no such choice.
    """
    if not generations:
        msg = f"the LangChain {kind} holds no generations: no prompt's output to parse"
        raise UnsupportedResponseError(msg, field="generations")
    first = generations[0]
    if isinstance(first, list) and len(generations) > 1:
        msg = (
            f"the result holds the generations of {len(generations)} prompts: parse each "
            "prompt's ([tp.parse_all(g) for g in result.generations])"
        )
        raise UnsupportedResponseError(msg, field="generations")
    gens = first if isinstance(first, list) else generations
    if not gens:
        msg = f"the LangChain {kind}'s prompt 0 has no generations (no output to parse)"
        raise UnsupportedResponseError(msg, field="generations[0]")
    if choice is not None and not 0 <= choice < len(gens):
        msg = f"there is no choice {choice}: the result has {len(gens)} generation(s)"
        raise UnsupportedResponseError(msg, field="generations")
    picked = list(enumerate(gens)) if choice is None else [(choice, gens[choice])]
    return [
        parse_langchain(unwrap(g), choice=0)[0].model_copy(update={"choice": i}) for i, g in picked
    ]


def _completion(g: Any) -> TokenDistribution:  # noqa: ANN401 - a LangChain Generation
    """A completion LLM's generation, read as the legacy Completions choice it came from."""
    info = g.generation_info if isinstance(g.generation_info, dict) else {}
    if info.get("logprobs") is None:
        what = "the LangChain Generation carries no logprobs (no generation_info['logprobs'])"
        raise missing(what, hint=LLM_ASK, endpoint="completions")
    fields = {k: info.get(k) for k in ("logprobs", "finish_reason")}
    return completions.parse_choice(
        {"text": g.text, **fields}, path="generation_info", choice=0, response=g
    )


def _message(m: Any, response: object) -> TokenDistribution:  # noqa: ANN401
    md = m.response_metadata
    tool_call = _tool_call(m)
    return chat.choice_logprobs(
        md["logprobs"],
        path=_PATH,
        source="chat",
        hint=chat.TOOL_CALL_HINT if tool_call else ASK,
        message={"content": text_of(m.content), "refusal": m.additional_kwargs.get("refusal")},
        tool_call=tool_call,
        choice=0,
        finish_reason=_str(md.get("finish_reason")),
        model=_str(md.get("model_name")),
        response=response,
    )


def _chunks(messages: list[Any], response: object) -> TokenDistribution:
    """The chunks fed to the stream accumulator as the Chat Completions chunks they came from."""
    acc = StreamAccumulator()
    for m in messages:
        md = m.response_metadata
        lp = md.get("logprobs")
        delta = {
            "content": text_of(m.content),
            "refusal": m.additional_kwargs.get("refusal"),
            "tool_calls": getattr(m, "tool_call_chunks", None) or None,
        }
        acc.feed(
            {
                "object": "chat.completion.chunk",
                "model": _str(md.get("model_name")),
                "choices": [
                    {
                        "index": 0,
                        "delta": delta,
                        "logprobs": {"content": lp} if isinstance(lp, list) else lp,
                        "finish_reason": _str(md.get("finish_reason")),
                    }
                ],
            }
        )
    return acc.distribution(0, response=response)


def _from_responses_api(m: Any) -> bool:  # noqa: ANN401
    md = m.response_metadata
    return md.get("object") == "response" or str(md.get("id") or "").startswith("resp_")


def _responses_api_dropped(kind: str) -> Exception:
    v = version("langchain-openai")
    what = (
        f"the LangChain {kind} came from the Responses API, whose logprobs langchain-openai {v} "
        "drops (its text blocks and response_metadata keep none, streamed or not)"
    )
    hint = (
        "call Chat Completions instead, where ChatOpenAI keeps them: ChatOpenAI(model=..., "
        "use_responses_api=False, logprobs=True, top_logprobs=k); on the Responses API this is "
        f"not possible with langchain-openai {v}"
    )
    return missing(what, hint=hint, endpoint="responses", not_requested=False)


def _chat_litellm_dropped(kind: str, *, streamed: bool, model: object) -> Exception:
    provider = model.split("/", 1)[0] if isinstance(model, str) else None
    if provider in _litellm.OLLAMA:
        return _litellm.ollama_dropped(f"the LangChain {kind} from ChatLiteLLM", provider)
    ask = "ChatLiteLLM(model=..., model_kwargs={'logprobs': True, 'top_logprobs': k})"
    if not streamed:
        what = f"the LangChain {kind} from ChatLiteLLM carries no logprobs"
        return missing(what, hint=ask, endpoint="chat.completions")
    v = version("langchain-litellm")
    what = (
        f"the LangChain {kind} came from ChatLiteLLM's stream, which keeps no logprobs in "
        f"langchain-litellm {v}"
    )
    hint = (
        f"call {ask}.invoke(...) without streaming, which keeps them in "
        f"response_metadata['logprobs']; streamed, this is not possible with langchain-litellm {v}"
    )
    return missing(what, hint=hint, endpoint="chat.completions", not_requested=False)


def _tool_call(m: Any) -> bool:  # noqa: ANN401
    return bool(
        getattr(m, "tool_calls", None)
        or getattr(m, "tool_call_chunks", None)
        or m.additional_kwargs.get("tool_calls")
        or m.response_metadata.get("finish_reason") in _TOOL_REASONS
    )


def _generation(obj: object) -> bool:
    """Whether `obj` is a whole generation (not a stream's chunk): a chat model's, or an LLM's."""
    return _whole(obj, "ChatGeneration") or _whole(obj, "Generation")


def _text_generation(obj: object) -> bool:
    """Whether `obj` is a completion LLM's `Generation` (or its chunk): text, no message."""
    kinds = {c.__name__ for c in type(obj).__mro__}
    return "Generation" in kinds and "ChatGeneration" not in kinds


def _whole(obj: object, name: str) -> bool:
    """Whether `obj` is a `name` (`AIMessage`, `ChatGeneration`) itself, not its chunk subclass."""
    return type(obj).__name__ == name


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def is_langchain(obj: object) -> bool:
    """Whether the object (or, for `include_raw=True`'s dict, its `raw`) comes from LangChain."""
    if isinstance(obj, dict):
        return {"raw", "parsing_error"} <= obj.keys() and module_of(obj["raw"]).startswith(PREFIX)
    return module_of(obj).startswith(PREFIX)
