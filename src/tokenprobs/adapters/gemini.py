"""Gemini's own API: `generateContent` bodies and google-genai's `GenerateContentResponse`.

With `responseLogprobs: true` and `logprobs: k` in the request's `generationConfig`, each
`candidates[i].logprobsResult` holds, per generated token, `chosenCandidates[t]` (`{token,
tokenId, logProbability}`) and `topCandidates[t].candidates` (the k most likely, sorted; the
chosen token may be missing from them). The REST API spells the fields in camelCase; the
google-genai SDK's objects (and their `model_dump()`) in snake_case: both are read. Tokens come
as strings only, so their bytes are derived from them (`d.bytes_derived`). A field proto3 JSON
leaves out has its default: an absent `logProbability` is 0, an absent `index` 0.

A stream (`streamGenerateContent`, as a JSON array or `alt=sse`; the SDK's
`generate_content_stream`) is a list of such responses, each with the next tokens of each
candidate: they are joined, candidate by candidate.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from tokenprobs.adapters._columns import columns_from_entries
from tokenprobs.adapters._common import get, seen, seq
from tokenprobs.exceptions import MissingLogprobsError, UnsupportedResponseError

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["HINT", "looks_like", "parse_responses", "parse_result"]

HINT = (
    'set "responseLogprobs": true and "logprobs": k (1 to 20) in the request\'s '
    "generationConfig (google-genai: config=types.GenerateContentConfig(response_logprobs=True, "
    'logprobs=k)); a model without them answers 400 "Logprobs is not enabled for models/..."'
)

_CANDIDATE_KEYS = (
    "content",
    "logprobsResult",
    "logprobs_result",
    "finishReason",
    "finish_reason",
    "avgLogprobs",
    "avg_logprobs",
)
_FINISH = {"STOP": "stop", "MAX_TOKENS": "length"}
"""Gemini's finish reasons that have an OpenAI name; the others are kept as Gemini says them."""


def _field(obj: Any, camel: str, snake: str) -> Any:  # noqa: ANN401 - untyped input by nature
    """`obj`'s field by its REST (camelCase) name, else by the SDK's (snake_case) one."""
    value = get(obj, camel)
    return get(obj, snake) if value is None else value


def _name(value: object) -> str | None:
    """An enum field's name as Gemini spells it (the SDK's `FinishReason.STOP` is `"STOP"`)."""
    return None if value is None else str(getattr(value, "value", value))


def looks_like(obj: object) -> bool:
    """Whether `obj` is a Gemini response (or stream chunk): `candidates`, no `choices`.

    A response whose prompt was blocked (`promptFeedback`, no candidates) is one too.
    """
    if get(obj, "choices") is not None or get(obj, "output") is not None:
        return False
    candidates = get(obj, "candidates")
    if not isinstance(candidates, list | tuple):
        return candidates is None and _field(obj, "promptFeedback", "prompt_feedback") is not None
    if not candidates:
        return True
    first = candidates[0]
    return any(get(first, key) is not None for key in _CANDIDATE_KEYS)


class _Candidate:
    """One candidate's tokens, text and finish reason, gathered over a stream's responses."""

    __slots__ = ("avg", "entries", "finish", "has_logprobs", "ids", "position", "text")

    def __init__(self, position: int) -> None:
        self.position = position
        self.entries: list[dict[str, Any]] = []
        self.text: list[str] = []
        self.finish: str | None = None
        self.has_logprobs = False
        self.ids = False
        self.avg: object = None


def parse_responses(
    responses: list[Any], *, choice: int | None, response: object
) -> list[TokenDistribution]:
    """One distribution per candidate (only `choice` when given) of Gemini responses.

    `responses` is one response, or a stream's responses in order.

    Raises:
        MissingLogprobsError: A candidate has no `logprobsResult` (they were not asked for), or
            the prompt was blocked and there is no candidate.
        UnsupportedResponseError: A field is malformed (the message names it), or there is no
            candidate `choice`.
    """
    gathered: dict[int, _Candidate] = {}
    model: str | None = None
    for k, r in enumerate(responses):
        where = f"[{k}]." if len(responses) > 1 else ""
        version = _field(r, "modelVersion", "model_version")
        model = model or (version if isinstance(version, str) else None)
        seen_here: set[int] = set()
        for position, c in enumerate(seq(get(r, "candidates"), f"{where}candidates") or []):
            path = f"{where}candidates[{position}]"
            index = _index(c, position, path)
            if index in seen_here:
                msg = f"two candidates have index {index}: the response is malformed"
                raise UnsupportedResponseError(msg, field=f"{path}.index")
            seen_here.add(index)
            _gather(gathered.setdefault(index, _Candidate(position)), c, path)
    if not gathered:
        raise _blocked(responses[-1])
    if choice is not None and choice not in gathered:
        msg = f"there is no candidate {choice}: the response has {len(gathered)} candidate(s)"
        raise UnsupportedResponseError(msg, field="candidates")
    wanted = sorted(gathered) if choice is None else [choice]
    return [_build(gathered[i], i, model=model, response=response) for i in wanted]


def _index(c: Any, position: int, path: str) -> int:  # noqa: ANN401
    index = get(c, "index")
    if index is None:  # proto3 JSON leaves out index 0 (and the SDK reads it as None)
        return position
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        msg = f"expected a candidate index (an integer >= 0), got {seen(index)}"
        raise UnsupportedResponseError(msg, field=f"{path}.index")
    return index


def _gather(state: _Candidate, c: Any, path: str) -> None:  # noqa: ANN401
    if c is None or isinstance(c, str | bytes | int | float | list | tuple):
        msg = f"expected a candidate object (content, logprobsResult ...), got {seen(c)}"
        raise UnsupportedResponseError(msg, field=path)
    state.text.extend(_texts(get(c, "content"), f"{path}.content"))
    if (reason := _name(_field(c, "finishReason", "finish_reason"))) is not None:
        state.finish = _FINISH.get(reason, reason)
    if (avg := _field(c, "avgLogprobs", "avg_logprobs")) is not None:
        state.avg = avg
    result = _field(c, "logprobsResult", "logprobs_result")
    if result is not None:
        _read_result(state, result, f"{path}.logprobsResult")


def _read_result(state: _Candidate, result: Any, where: str) -> None:  # noqa: ANN401
    """A `logprobsResult`'s tokens, appended to the candidate's."""
    state.has_logprobs = True
    chosen = seq(
        _field(result, "chosenCandidates", "chosen_candidates"), f"{where}.chosenCandidates"
    )
    top = seq(_field(result, "topCandidates", "top_candidates"), f"{where}.topCandidates")
    chosen, top = chosen or [], top or []
    if top and len(top) != len(chosen):
        msg = (
            f"{len(top)} topCandidates for {len(chosen)} chosenCandidates: each decoding step "
            "has one of each, so the response is malformed"
        )
        raise UnsupportedResponseError(msg, field=f"{where}.topCandidates")
    for t, entry in enumerate(chosen):
        token = _token(entry, f"{where}.chosenCandidates[{t}]", state)
        alternatives = []
        if top:
            step = f"{where}.topCandidates[{t}]"
            listed = seq(get(top[t], "candidates"), f"{step}.candidates") or []
            alternatives = [
                _token(a, f"{step}.candidates[{j}]", state) for j, a in enumerate(listed)
            ]
        token["top_logprobs"] = alternatives
        state.entries.append(token)


def parse_result(
    result: Any,  # noqa: ANN401 - a LogprobsResult, its dict or its model_dump()
    *,
    path: str,
    content: str,
    finish_reason: object,
    model: str | None,
    response: object,
) -> TokenDistribution:
    """The distribution of one candidate's `logprobsResult` kept apart from its response.

    For what a framework keeps (pydantic-ai's `GoogleModel` stores the candidate's
    `logprobs_result.model_dump()`); `path` names where it was, in errors.

    Raises:
        UnsupportedResponseError: A field is malformed (the message names it).
    """
    state = _Candidate(0)
    state.text.append(content)
    if (reason := _name(finish_reason)) is not None:
        state.finish = _FINISH.get(reason, reason)
    _read_result(state, result, path)
    return _build(state, 0, model=model, response=response, path=path)


def _texts(content: Any, path: str) -> list[str]:  # noqa: ANN401
    """The answer's text parts (a thought summary, `thought: true`, is no part of it)."""
    if content is None:
        return []
    parts = seq(get(content, "parts"), f"{path}.parts") or []
    texts = []
    for j, part in enumerate(parts):
        text = get(part, "text")
        if text is None or get(part, "thought"):
            continue
        if not isinstance(text, str):
            msg = f"expected the part's text (a str), got {seen(text)}"
            raise UnsupportedResponseError(msg, field=f"{path}.parts[{j}].text")
        texts.append(text)
    return texts


def _token(entry: Any, path: str, state: _Candidate) -> dict[str, Any]:  # noqa: ANN401
    """A `{token, tokenId, logProbability}` as an OpenAI-style token entry, its types checked."""
    if entry is None or isinstance(entry, str | bytes | int | float | list | tuple):
        msg = f"expected a token object (token, logProbability), got {seen(entry)}"
        raise UnsupportedResponseError(msg, field=path)
    token = get(entry, "token")
    if token is None:
        token = ""  # proto3 JSON leaves out an empty string
    if not isinstance(token, str):
        msg = f"expected the token's text (a str), got {seen(token)}"
        raise UnsupportedResponseError(msg, field=f"{path}.token")
    value = _field(entry, "logProbability", "log_probability")
    if value is None:
        value = 0.0  # proto3 JSON leaves out a zero
    try:
        bad = isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value)
    except OverflowError:  # an integer too large for a float (JSON can write one)
        bad = True
    if bad:
        msg = f"expected a log-probability (a number), got {seen(value)}"
        raise UnsupportedResponseError(msg, field=f"{path}.logProbability")
    out: dict[str, Any] = {"token": token, "logprob": float(value), "bytes": None}
    ident = _field(entry, "tokenId", "token_id")
    if ident is not None:
        state.ids = True
        out["id"] = ident
    return out


def _blocked(last: Any) -> MissingLogprobsError:  # noqa: ANN401
    feedback = _field(last, "promptFeedback", "prompt_feedback")
    reason = _name(_field(feedback, "blockReason", "block_reason"))
    if reason is not None:
        err = MissingLogprobsError(
            f"the Gemini response has no candidate: the prompt was blocked ({reason}), so "
            "there is no answer and no logprobs",
            hint="send a prompt the safety settings let through (promptFeedback says which "
            "rating blocked it)",
        )
    else:
        err = MissingLogprobsError("the Gemini response has no candidate", hint=HINT)
        err.not_requested = False
    return err


def _build(
    state: _Candidate, index: int, *, model: str | None, response: object, path: str | None = None
) -> TokenDistribution:
    content = "".join(state.text)
    if not state.has_logprobs:
        avg = f" (only avgLogprobs, {state.avg!r})" if state.avg is not None else ""
        err = MissingLogprobsError(
            f"Gemini candidate {index} has no logprobsResult{avg}", hint=HINT
        )
        err.not_requested = True
        raise err
    entries = state.entries
    if state.ids:  # an id on some tokens: the others' are unknown
        for e in entries:
            e.setdefault("id", None)
            for a in e["top_logprobs"]:
                a.setdefault("id", None)
    path = path or f"candidates[{state.position}].logprobsResult"
    return columns_from_entries(entries, path).build(
        "gemini",
        choice=index,
        finish_reason=state.finish,
        model=model,
        content=content,
        response=response,
    )
