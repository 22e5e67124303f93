"""`parse` and `parse_all`: detect the shape of what was given and hand it to its adapter."""

from __future__ import annotations

import io
import os
import types
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, get_args

import numpy as np
import openai
import pydantic

from tokenprobs._gc import paused_gc
from tokenprobs._json import loads as json_loads
from tokenprobs._said import a_type, a_value, among
from tokenprobs._urls import known_secrets, scrub
from tokenprobs._warn import warn
from tokenprobs.adapters import chat, completions, gemini, ollama, prompt, responses
from tokenprobs.adapters._columns import columns_from_entries
from tokenprobs.adapters._common import NO_CHOICES, error_body, get
from tokenprobs.adapters._plausible import capped, checked, checked_asked
from tokenprobs.adapters._raw import as_data, fast_parse, not_a_body, read_file, read_path
from tokenprobs.adapters._refusals import refuse_anthropic, refuse_message
from tokenprobs.adapters._requested import with_requested
from tokenprobs.adapters._saved import saved_distribution
from tokenprobs.adapters._tool_calls import chat_choices, each_choice, or_none_at_tool_call
from tokenprobs.adapters.frameworks import parse_dumped, parse_framework, refuse_dumped_messages
from tokenprobs.adapters.stream import SSE, StreamAccumulator, chunk_kind, looks_like_sse, parse_sse
from tokenprobs.exceptions import APIResponseError, TokenprobsError, UnsupportedResponseError
from tokenprobs.models import TokenDistribution

__all__ = ["Part", "parse", "parse_all"]

_STR_KINDS = (str, bytes, bytearray, memoryview)


Part = Literal["output", "prompt"]
"""Which tokens to read: the generated `"output"`, or the `"prompt"` the server scored."""


def parse(
    obj: object,
    /,
    *,
    choice: int = 0,
    part: Part = "output",
    logprob_token_ids: Sequence[int] | None = None,
    top_logprobs: int | None = None,
) -> TokenDistribution:
    """The `TokenDistribution` of one choice of any logprobs-bearing response.

    Args:
        obj: A `ChatCompletion`, `Completion` or `Response` (SDK object, dict, JSON `str` or
            `bytes`); a list or iterator of `ChatCompletionChunk` / legacy chunks / Responses
            stream events (or their dicts); raw SSE text or bytes; an Ollama `/api/chat` or
            `/api/generate` body, chunk or NDJSON stream (or the `ollama` client's answers); a
            Gemini `generateContent` response (REST JSON or google-genai's
            `GenerateContentResponse`, or a stream's list of them); a
            bare `logprobs` object or list of token entries; one `Choice` of a chat or legacy
            completion (`response.choices[0]`, or its dict); a `pathlib.Path` or an open file
            (text or binary) holding any of the text forms; an API error body (`{"error":
            {...}}`, or the SDK's `APIStatusError.body`) or the `openai.APIStatusError` itself,
            which raise `APIResponseError`.
        choice: Which choice (its `index`) when the response has several (`n > 1`). A single
            `Choice` is parsed as it is, whatever its index.
        part: `"output"` (default): the generated tokens (all of an `echo`ed legacy choice,
            whose `d.prompt_length` leading positions are the prompt). `"prompt"`: the
            prompt's own distribution, from vLLM's `prompt_logprobs` (chat or completions) or
            the echoed positions of a legacy choice; needs a whole response (not a stream).
        logprob_token_ids: The ids the request asked vLLM for with `logprob_token_ids`: their
            logprobs at each position fill `d.requested_logprobs` `(T, R)` (exact, whatever
            their rank; NaN where not given). The response must name its tokens' ids.
        top_logprobs: The `top_logprobs` the request asked for (legacy Completions: its
            `logprobs=k`), to warn when the server sent fewer, as `get_token_distribution` does.

    Returns:
        The distribution, with `d.response` set to the parsed object when there was one.

    Raises:
        MissingLogprobsError: The response carries no logprobs (the message says how to ask).
        APIResponseError: The body is an API error, not a response.
        UnsupportedResponseError: The shape is not recognised, or a known field is malformed.
        TypeError: `choice` (or `top_logprobs`) is not an integer.

    Warns:
        TokenprobsWarning: Every logprob is 0 or -9999 and there are no alternatives: the server
            sent placeholders that carry no probability information. Or the values are no
            distribution: a logprob above 0, or alternatives whose probabilities sum above 1
            (by more than `SLACK`, a rounding). Or, given `top_logprobs`, every position holds
            one count of alternatives below it (two positions or more), or none holds any:
            the server (or a gateway) caps them.

    Examples:
        >>> import tokenprobs as tp
        >>> d = tp.parse(
        ...     '{"choices": [{"index": 0, "logprobs": {"content": ['
        ...     '{"token": "Hi", "logprob": -0.5, "bytes": [72, 105], "top_logprobs": []}]}}]}'
        ... )
        >>> d.text, d.source
        ('Hi', 'chat')
    """
    return _parsed(obj, choice, part, logprob_token_ids, top_logprobs)[0]


def parse_all(
    obj: object,
    /,
    *,
    part: Part = "output",
    logprob_token_ids: Sequence[int] | None = None,
    top_logprobs: int | None = None,
) -> list[TokenDistribution]:
    """One `TokenDistribution` per choice (`n > 1`), in index order. Accepts what `parse` does.

    A choice that is a tool call without logprobs (OpenAI gives its arguments none) is left out
    with a `TokenprobsWarning` naming it, so the other choices' logprobs are still read (each
    `d.choice` says which choice it is); when every choice is one, `MissingLogprobsError`.
    With `top_logprobs`, the choices are taken together for the warning about a cap.
    """
    return _parsed(obj, None, part, logprob_token_ids, top_logprobs)


def _parsed(
    obj: object,
    choice: int | None,
    part: Part,
    requested: Sequence[int] | None,
    top_logprobs: int | None,
) -> list[TokenDistribution]:
    try:
        with paused_gc():
            if not among(part, get_args(Part)):
                msg = f"part must be 'output' or 'prompt', got {part!r}"
                raise ValueError(msg)
            asked = checked_asked(top_logprobs)
            if choice is not None:
                if isinstance(choice, bool) or not isinstance(choice, int | np.integer):
                    msg = f"choice is a choice's index (an int), got {a_value(choice)}"
                    raise TypeError(msg)
                choice = int(choice)
            if part == "prompt":
                return _prompt(obj, choice=choice)
            out = checked(_dispatch(obj, choice=choice))
            if (why := capped(out, asked)) is not None:
                warn(why)
            if requested is not None:
                out = [with_requested(d, requested) for d in out]
            return out
    except TokenprobsError as exc:  # a saved error body may quote the environment's key
        scrub(exc, known_secrets())
        raise


def _prompt(obj: object, *, choice: int | None) -> list[TokenDistribution]:
    """`part="prompt"`: read a whole response, then its prompt's logprobs."""
    if isinstance(obj, TokenDistribution):
        obj = obj.response
    if isinstance(obj, os.PathLike):
        obj = read_path(obj)
    elif isinstance(obj, io.IOBase):
        obj = read_file(obj)
    if isinstance(obj, _STR_KINDS):
        try:
            obj = json_loads(as_data(obj))
        except ValueError as exc:
            msg = f"part='prompt' needs a whole response as JSON ({exc})"
            raise UnsupportedResponseError(msg) from exc
    if (err := _sdk_error(obj)) is not None:
        raise err
    if isinstance(obj, dict) and (err := error_body(obj)) is not None:
        raise err
    if not isinstance(obj, dict | pydantic.BaseModel) or get(obj, "choices") is None:
        msg = (
            f"part='prompt' reads a chat or legacy completion (a whole response), not a "
            f"{type(obj).__name__}: a stream's chunks carry no prompt logprobs"
        )
        raise UnsupportedResponseError(msg)
    return prompt.prompt_choices(obj, choice=choice)


def _dispatch(obj: object, *, choice: int | None) -> list[TokenDistribution]:
    if isinstance(obj, TokenDistribution):
        return [obj]
    if isinstance(obj, types.GeneratorType):  # a framework's stream: its parts, read once
        obj = list(obj)
    if (adapted := parse_framework(obj, choice=choice, generic=_api_shape)) is not None:
        return adapted  # a LangChain, LiteLLM, pydantic-ai or DSPy object
    return _api_shape(obj, choice=choice)


def _api_shape(obj: object, *, choice: int | None) -> list[TokenDistribution]:  # noqa: C901
    """The shapes of the APIs themselves (which some framework objects wrap or mirror)."""
    if isinstance(obj, _STR_KINDS):
        return _from_text(obj, choice=choice)
    if isinstance(obj, os.PathLike):
        return _from_text(read_path(obj), choice=choice)
    if isinstance(obj, io.IOBase) or (
        callable(getattr(obj, "read", None)) and not isinstance(obj, pydantic.BaseModel | Mapping)
    ):
        return _from_text(read_file(obj), choice=choice)
    if (err := _sdk_error(obj)) is not None:
        raise err
    if isinstance(obj, Mapping) and not isinstance(obj, dict):
        obj = dict(obj)
    if isinstance(obj, dict):
        if (err := error_body(obj)) is not None:
            raise err
        return _from_object(obj, choice=choice)
    if isinstance(obj, pydantic.BaseModel):  # an SDK object
        extra = obj.model_extra or {}
        # a 200 carrying an error body, which the SDK read into a response object anyway
        empty = not get(obj, "choices") and not get(obj, "output")
        if "error" in extra and empty and (err := error_body(dict(extra))) is not None:
            raise err
        return _from_object(obj, choice=choice)
    if isinstance(obj, Iterable):
        return _from_items(list(obj), choice=choice, response=obj)
    msg = (
        f"cannot parse {a_type(obj)}: expected a response, its dict or JSON, "
        "or a list of stream chunks"
    )
    raise UnsupportedResponseError(msg)


def _sdk_error(obj: object) -> APIResponseError | None:
    """The `APIResponseError` for an `openai.APIStatusError` given in place of a response."""
    if not isinstance(obj, openai.APIStatusError):
        return None
    body = obj.body
    err = error_body(body) if isinstance(body, dict) else None
    if err is None:
        err = APIResponseError(str(obj.message), code=obj.status_code, body=body)
    err.__cause__ = obj
    return err


def _from_text(
    raw: str | bytes | bytearray | memoryview, *, choice: int | None
) -> list[TokenDistribution]:
    data = as_data(raw)
    fast = or_none_at_tool_call(lambda: fast_parse(data, choice=choice), choice)
    if fast is not None:
        return fast
    try:
        parsed = json_loads(data)
    except ValueError as exc:
        text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
        if looks_like_sse(text):
            sse = parse_sse(text)
            return _from_stream(sse.payloads, choice=choice, sse=sse, response=sse)
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1:
            try:
                items = [json_loads(ln) for ln in lines]
            except ValueError:
                pass
            else:
                return _from_items(items, choice=choice, response=items)
        raise UnsupportedResponseError(not_a_body(raw, exc)) from exc
    if isinstance(parsed, dict):
        if (err := error_body(parsed)) is not None:
            raise err
        return _from_object(parsed, choice=choice)
    if isinstance(parsed, list):
        return _from_items(parsed, choice=choice, response=parsed)
    msg = f"the JSON is {a_type(parsed)}, not a response object"
    raise UnsupportedResponseError(msg)


def _from_object(obj: Any, *, choice: int | None) -> list[TokenDistribution]:  # noqa: ANN401, C901, PLR0911
    if (saved := saved_distribution(obj, choice=choice)) is not None:
        return [saved]
    kind = get(obj, "object")
    if kind == "chat.completion" or _first_choice_has(obj, "message") or _chat_logprobs(obj):
        return chat_choices(obj, choice=choice)
    if kind == "response" or (get(obj, "output") is not None and get(obj, "choices") is None):
        return [responses.parse_response(obj)]
    if kind == "text_completion":
        return completions.parse_choices(obj, choice=choice)
    if chunk_kind(obj) is not None:
        return _from_stream([obj], choice=choice, response=obj)
    if gemini.looks_like(obj):
        return gemini.parse_responses([obj], choice=choice, response=obj)
    if (one := _one_choice(obj)) is not None:
        return [one]
    batch = get(obj, "response")
    if isinstance(batch, dict) and "custom_id" in obj:  # a line of a Batch output file
        if (err := error_body(obj)) is not None:
            raise err
        body = batch.get("body")
        if isinstance(body, dict) and (err := error_body(body)) is not None:
            raise err
        return _dispatch(body, choice=choice)
    if isinstance(obj, dict) and (dumped := parse_dumped(obj, choice=choice)) is not None:
        return dumped  # a LangChain message's model_dump(), stored as JSON
    refuse_anthropic(obj)
    refuse_message(obj)
    bare_legacy = get(obj, "tokens") is not None and get(obj, "token_logprobs") is not None
    if bare_legacy or get(obj, "content", ...) is not ... or get(obj, "refusal", ...) is not ...:
        return [chat.choice_logprobs(obj, source="logprobs", response=obj)]
    raise _unknown_shape(obj)


def _unknown_shape(obj: object) -> UnsupportedResponseError:
    """The error for what no shape took: no choices (whichever endpoint's), or no known shape."""
    if isinstance(choices := get(obj, "choices"), list | tuple) and not choices:
        return UnsupportedResponseError(NO_CHOICES, field="choices")
    keys = sorted(obj)[:8] if isinstance(obj, dict) else type(obj).__name__
    msg = (
        f"not a response shape tokenprobs knows (saw {keys}); expected a chat completion, "
        "completion, Responses response, stream chunk, or logprobs object"
    )
    return UnsupportedResponseError(msg)


def _one_choice(obj: Any) -> TokenDistribution | None:  # noqa: ANN401
    """One `Choice` of a chat or legacy completion (`response.choices[i]`), else `None`."""
    if get(obj, "choices") is not None or get(obj, "logprobs", ...) is ...:
        return None
    if get(obj, "message") is not None:
        return chat.parse_choice(obj)
    if isinstance(get(obj, "text"), str) and get(obj, "index") is not None:
        return completions.parse_choice(obj)
    return None


def _chat_logprobs(obj: Any) -> bool:  # noqa: ANN401
    choices = get(obj, "choices")
    if not isinstance(choices, list) or not choices or get(choices[0], "delta") is not None:
        return False
    lp = get(choices[0], "logprobs")
    return get(lp, "content", ...) is not ... or get(lp, "refusal", ...) is not ...


def _first_choice_has(obj: Any, key: str) -> bool:  # noqa: ANN401
    choices = get(obj, "choices")
    return isinstance(choices, list) and bool(choices) and get(choices[0], key) is not None


def _from_items(
    items: list[Any], *, choice: int | None, response: object
) -> list[TokenDistribution]:
    if not items:
        msg = "an empty list: no chunks, events or token entries"
        raise UnsupportedResponseError(msg)
    first = items[0]
    if get(first, "token") is not None and get(first, "logprob", ...) is not ...:
        return [columns_from_entries(items, "logprobs").build("logprobs", response=response)]
    if chunk_kind(first) is None and _one_choice(first) is not None:
        msg = (
            "a list of choices (response.choices): pass the whole response (tp.parse_all "
            "gives one distribution per choice), or one choice (response.choices[i])"
        )
        raise UnsupportedResponseError(msg)
    if gemini.looks_like(first):  # a Gemini stream: its responses, each the next tokens
        return gemini.parse_responses(items, choice=choice, response=response)
    refuse_dumped_messages(items)
    if (kind := get(first, "object")) in ("chat.completion", "response"):
        msg = (
            f"a list of whole responses ({kind!r}), not the chunks of one stream: parse each "
            "(`[tp.parse(r) for r in responses]`)"
        )
        raise UnsupportedResponseError(msg)
    return _from_stream(items, choice=choice, response=response)


def _from_stream(
    chunks: list[Any], *, choice: int | None, response: object, sse: SSE | None = None
) -> list[TokenDistribution]:
    if chunks and gemini.looks_like(chunks[0]):  # streamGenerateContent?alt=sse
        return gemini.parse_responses(chunks, choice=choice, response=response)
    acc = StreamAccumulator()
    for chunk in chunks:
        acc.feed(chunk)
    if acc.kind is None:
        msg = "the stream carried no chunks"
        raise UnsupportedResponseError(msg)
    truncated = sse is not None and sse.truncated
    # no choice at all (only usage chunks): choice 0's error says the stream held none
    wanted = (acc.choices or [0]) if choice is None else [choice]
    out = each_choice(
        lambda c: acc.distribution(c, incomplete=True if truncated else None, response=response),
        wanted,
    )
    return ollama.checked(out) if acc.kind == "ollama" else out
