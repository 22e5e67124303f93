"""DSPy: an LM's history entries and outputs, its `Response` objects, and `Prediction`s.

A `dspy.LM(model, logprobs=True, top_logprobs=k)` keeps the logprobs in three places: each
output of `lm(...)` (`{"text": ..., "logprobs": {"content": [...]}}`), `lm.history[i]` (whose
`"response"` holds the provider's raw body in `provider_data`; for `n > 1` a tuple of such
responses, one per generation), and a `dspy.Predict`'s `Prediction.logprobs`. The history entry
is the complete one: the raw body gives the model, the finish reason and the shape (chat or
Responses); outputs and predictions give the logprobs alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokenprobs.adapters import chat
from tokenprobs.adapters._columns import columns_from_entries
from tokenprobs.adapters._tool_calls import each_choice
from tokenprobs.adapters.frameworks._base import (
    Generic,
    missing,
    module_of,
    only_choice,
    renamed,
    version,
)
from tokenprobs.exceptions import MissingLogprobsError, UnsupportedResponseError

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["PREFIX", "is_dspy", "parse_dspy"]

PREFIX = "dspy."
_HISTORY = frozenset({"outputs", "response", "model_type"})
_ENGINES = (PREFIX, "litellm.")


def _hint() -> str:
    return (
        "configure the LM to ask for them: dspy.LM(model, logprobs=True, top_logprobs=k); DSPy "
        f"{version('dspy')} then keeps them in lm.history[-1] (read it with "
        "tp.parse(lm.history[-1])), in each output of lm(...) and in Prediction.logprobs"
    )


def is_dspy(obj: object) -> bool:
    """A DSPy object, a history entry (a dict) or an output dict (whose logprobs are DSPy's)."""
    if module_of(obj).startswith(PREFIX):
        return True
    if not isinstance(obj, dict):
        return False
    if obj.keys() >= _HISTORY:  # the response: lm15's, or LiteLLM's (DSPy's LiteLLM engine)
        response = obj["response"]
        each = response if isinstance(response, list | tuple) else (response,)  # one a generation
        return response is None or all(module_of(r).startswith(_ENGINES) for r in each)
    return "text" in obj and module_of(obj.get("logprobs")).startswith(PREFIX)


def parse_dspy(obj: Any, *, choice: int | None, generic: Generic) -> list[TokenDistribution]:  # noqa: ANN401
    """The distributions of a DSPy history entry, `Response`, output or `Prediction`."""
    if isinstance(obj, dict) and obj.keys() >= _HISTORY:
        several = isinstance(obj["response"], list | tuple)  # DSPy's n > 1: one per generation
        return (_responses if several else _response)(
            obj["response"],
            obj.get("outputs"),
            choice=choice,
            generic=generic,
            model_type=obj.get("model_type"),
        )
    if isinstance(obj, list | tuple):
        if not obj:
            msg = "an empty list of DSPy outputs"
            raise UnsupportedResponseError(msg)
        if all(type(o).__name__ == "Response" for o in obj):  # a history entry's, n > 1
            return _responses(obj, None, choice=choice, generic=generic)
        outputs = list(obj)
        indexed = list(enumerate(outputs)) if choice is None else [(choice, _pick(outputs, choice))]
        return [_output(o, choice=i) for i, o in indexed]
    if type(obj).__name__ == "Response":  # lm15's, in a history entry
        return _response(obj, None, choice=choice, generic=generic)
    if type(obj).__name__ == "Prediction" or isinstance(obj, dict):
        only_choice(choice, f"a DSPy {type(obj).__name__}")
        return [_output(obj, choice=0)]
    msg = (
        f"a DSPy {type(obj).__name__} holds no logprobs: pass lm.history[-1], an output of "
        "lm(...) or a Prediction"
    )
    raise UnsupportedResponseError(msg)


def _pick(outputs: list[Any], choice: int, what: str = "outputs") -> Any:  # noqa: ANN401
    if not 0 <= choice < len(outputs):
        msg = f"there is no choice {choice}: the DSPy {what} hold {len(outputs)}"
        raise UnsupportedResponseError(msg, field="choices")
    return outputs[choice]


def _responses(
    responses: list[Any] | tuple[Any, ...],
    outputs: Any,  # noqa: ANN401
    *,
    choice: int | None,
    generic: Generic,
    model_type: object = None,
) -> list[TokenDistribution]:
    """A history entry's responses when `n > 1` (DSPy asks once per generation): each a choice.

    Response `i` (and output `i`, when there is one per response) is choice `i`; a tool call
    among them is left out of `parse_all` as in a body's choices.

    Raises:
        UnsupportedResponseError: There are no responses.
    """
    if not responses:
        msg = "the DSPy history entry's response is an empty list: the LM kept no response"
        raise UnsupportedResponseError(msg, field="response")
    matched = isinstance(outputs, list) and len(outputs) == len(responses)

    def one(i: int) -> TokenDistribution:
        response = _pick(list(responses), i, "history entry's responses")
        own = [outputs[i]] if matched else None
        (d,) = _response(response, own, choice=0, generic=generic, model_type=model_type)
        return d.model_copy(update={"choice": i})

    if choice is not None:
        return [one(choice)]
    return each_choice(one, range(len(responses)))


def _response(
    response: Any,  # noqa: ANN401 - lm15's Response, or a LiteLLM ModelResponse
    outputs: Any,  # noqa: ANN401
    *,
    choice: int | None,
    generic: Generic,
    model_type: object = None,
) -> list[TokenDistribution]:
    """The provider's body the history keeps (`provider_data`), else lm15's own logprobs.

    After a stream, `provider_data` is the stream's last chunk only: the logprobs are then read
    from the `Response`'s `logprobs` (lm15's), which hold every chunk's. An entry whose response
    is `None` is read from its outputs, when they carry logprobs.

    Raises:
        UnsupportedResponseError: The response is `None` and the outputs carry no logprobs.
    """
    if response is None:
        if _carry_logprobs(outputs):
            return parse_dspy(outputs, choice=choice, generic=generic)
        msg = (
            "the DSPy history entry's response is None: the LM returned no response, and the "
            "entry's outputs carry no logprobs, so there is nothing to read; parse the entry of "
            "a call that answered (lm.history[-1] right after lm(...) returns)"
        )
        raise UnsupportedResponseError(msg, field="response")
    raw = getattr(response, "provider_data", None)
    if isinstance(raw, dict) and raw and not _is_chunk(raw):
        body: Any = raw
    elif module_of(response).startswith(PREFIX) and getattr(response, "logprobs", None):
        only_choice(choice, "a DSPy Response")
        streamed = isinstance(raw, dict) and _is_chunk(raw)
        return [_lm15(response, model_type=model_type, streamed=streamed)]
    elif module_of(response).startswith(PREFIX):
        if isinstance(outputs, list) and outputs and not isinstance(outputs[0], str):
            return parse_dspy(outputs, choice=choice, generic=generic)
        what = "the DSPy Response carries no logprobs"
        raise missing(what, hint=_hint())
    else:
        body = response  # a LiteLLM ModelResponse (DSPy's LiteLLM engine)
    try:
        return generic(body, choice=choice)
    except MissingLogprobsError as exc:
        if (err := renamed(exc, "DSPy's LM history", _hint())) is None:
            raise
        raise err from exc


def _no_token(logprobs: object) -> bool:
    """Whether logprobs are DSPy's `{"content": []}`, what it keeps of an answer without any."""
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    return isinstance(content, list) and not content


def _carry_logprobs(outputs: object) -> bool:
    """Whether a history entry's outputs are output dicts that each carry logprobs."""
    return (
        isinstance(outputs, list)
        and bool(outputs)
        and all(isinstance(o, dict) and o.get("logprobs") is not None for o in outputs)
    )


def _is_chunk(raw: dict[str, Any]) -> bool:
    kind = raw.get("object") or raw.get("type") or ""
    return str(kind).endswith(".chunk") or str(kind).startswith("response.")


def _lm15(response: Any, *, model_type: object, streamed: bool) -> TokenDistribution:  # noqa: ANN401
    """lm15's `TokenLogprob`s (`token`, `logprob`, `bytes`, `top`) as token entries."""

    def entry(t: Any) -> dict[str, Any]:  # noqa: ANN401
        return {
            "token": t.token,
            "logprob": t.logprob,
            "bytes": None if t.bytes is None else list(t.bytes),
        }

    entries = [
        {**entry(t), "top_logprobs": [entry(a) for a in getattr(t, "top", ())]}
        for t in response.logprobs
    ]
    kind = "responses" if model_type == "responses" else "chat"
    model, finish, text = response.model, response.finish_reason, getattr(response, "text", None)
    return columns_from_entries(entries, "response.logprobs").build(
        f"{kind}.stream" if streamed else kind,
        choice=0,
        model=model if isinstance(model, str) else None,
        finish_reason=finish if isinstance(finish, str) else None,
        content=text if isinstance(text, str) else None,
        response=response,
    )


def _output(obj: Any, *, choice: int) -> TokenDistribution:  # noqa: ANN401
    kind = type(obj).__name__
    logprobs = obj.get("logprobs") if isinstance(obj, dict) else getattr(obj, "logprobs", None)
    if logprobs is None:
        what = f"the DSPy {kind} carries no logprobs"
        if isinstance(obj, str):
            what = "a DSPy output is plain text (the LM was not asked for logprobs)"
        raise missing(what, hint=_hint())
    if kind == "Prediction" and _no_token(logprobs):  # a Predict's answer is never empty
        what = (
            "the DSPy Prediction's logprobs hold no token although it holds an answer: the LM's "
            "answer came without its logprobs"
        )
        hint = "use a server and model that return logprobs (docs/compatibility.md lists which do)"
        raise missing(what, hint=hint, not_requested=False)
    text = obj.get("text") if isinstance(obj, dict) else None
    return chat.choice_logprobs(
        logprobs,
        path="logprobs",
        source="dspy",
        message={"content": text} if isinstance(text, str) else None,
        choice=choice,
        response=obj,
    )
