"""Legacy Completions: parallel `tokens` / `token_logprobs` / `top_logprobs` / `text_offset`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from tokenprobs._said import a_type
from tokenprobs.adapters._columns import Columns
from tokenprobs.adapters._common import (
    choice_index,
    choice_indices,
    get,
    plain,
    seen,
    select,
    seq,
)
from tokenprobs.adapters._ids import checked_id, ids_of_tokens
from tokenprobs.exceptions import MissingLogprobsError, UnsupportedResponseError
from tokenprobs.models._ids import ids_1d

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = [
    "is_logprob",
    "legacy_columns",
    "legacy_logprobs",
    "offset_bytes",
    "parse_choice",
    "parse_choices",
    "with_choice_ids",
]


def parse_choices(
    obj: Any,  # noqa: ANN401 - a Completion or its dict
    *,
    choice: int | None,
    source: str = "completions",
    hint: str | None = None,
) -> list[TokenDistribution]:
    """One distribution per choice of a legacy completion (only `choice` when it is given)."""
    choices = seq(get(obj, "choices"), "choices")
    if choices is None:
        msg = "a completion needs a list of choices"
        raise UnsupportedResponseError(msg, field="choices")
    model = get(obj, "model")
    prompt_filters = get(obj, "prompt_filter_results")
    out = [
        parse_choice(
            c,
            path=f"choices[{i}]",
            choice=index,
            source=source,
            hint=hint,
            model=model if isinstance(model, str) else None,
            response=obj,
            prompt_filter_results=None if prompt_filters is None else plain(prompt_filters),
        )
        for i, index, c in select(choices, choice)
    ]
    if any(_echoed(d) for d in out):
        lengths = _prompt_lengths(obj, choices)
        out = [
            d.model_copy(update={"prompt_length": lengths.get(d.choice)}) if _echoed(d) else d
            for d in out
        ]
    return out


def _echoed(d: TokenDistribution) -> bool:
    """An echoed prompt starts with a `null` logprob: its first token, which nothing predicts."""
    return len(d) > 0 and math.isnan(d.logprobs[0])


def _prompt_lengths(obj: Any, choices: list[Any]) -> dict[int, int]:  # noqa: ANN401
    """How many leading positions of each echoed choice are its prompt, where the body says.

    vLLM's `prompt_logprobs` has one entry per prompt token. Else `usage`: every choice echoes
    the same prompt, and `completion_tokens` counts the generated tokens of all of them, so the
    prompt is `(sum of the choices' lengths - completion_tokens) / n` (`prompt_tokens` is not
    used: llama-cpp-python counts a BOS token there that it does not echo).
    """
    out: dict[int, int] = {}
    sizes: dict[int, int] = {}
    for c, key in zip(choices, choice_indices(choices), strict=True):
        tokens = get(get(c, "logprobs"), "tokens")
        sizes[key] = len(tokens) if isinstance(tokens, list | tuple) else 0
        rows = get(c, "prompt_logprobs")
        if isinstance(rows, list | tuple) and len(rows) <= sizes[key]:
            out[key] = len(rows)
    if len(out) == len(sizes):
        return out
    generated = get(get(obj, "usage"), "completion_tokens")
    if type(generated) is not int or not sizes:
        return out
    prompt, rest = divmod(sum(sizes.values()) - generated, len(sizes))
    if rest or not all(0 < prompt <= n for n in sizes.values()):
        return out
    return {key: out.get(key, prompt) for key in sizes}


def parse_choice(
    c: Any,  # noqa: ANN401 - a CompletionChoice or its dict
    *,
    path: str = "choice",
    choice: int | None = None,
    source: str = "completions",
    hint: str | None = None,
    **meta: Any,  # noqa: ANN401 - model, response, prompt_filter_results
) -> TokenDistribution:
    """The distribution of one legacy choice (`response.choices[i]`, SDK object or dict)."""
    logprobs = get(c, "logprobs")
    if logprobs is None:
        what = f"{path}.logprobs is null: the response carries no logprobs"
        raise MissingLogprobsError(what, endpoint="completions", hint=hint)
    text = get(c, "text")
    filters = get(c, "content_filter_results")
    meta.setdefault("response", c)
    d = legacy_logprobs(
        logprobs,
        path=f"{path}.logprobs",
        source=source,
        choice=choice_index(c, 0) if choice is None else choice,
        finish_reason=_reason(get(c, "finish_reason")),
        content=text if isinstance(text, str) else None,
        content_filter_results=None if filters is None else [plain(filters)],
        **meta,
    )
    return with_choice_ids(d, c, path=path)


def with_choice_ids(d: TokenDistribution, c: Any, *, path: str) -> TokenDistribution:  # noqa: ANN401
    """`d` with vLLM's `return_token_ids` ids (`token_ids`, after `prompt_token_ids` for an echo).

    Used only when the positions have no ids of their own and the count matches them exactly:
    the generated ids alone, or the prompt's then the generated (an echoed legacy choice).
    """
    generated = seq(get(c, "token_ids"), f"{path}.token_ids")
    if generated is None or (d.token_ids >= 0).any():
        return d
    prompt = seq(get(c, "prompt_token_ids"), f"{path}.prompt_token_ids") or []
    ids = generated if len(generated) == len(d) else [*prompt, *generated]
    if len(ids) != len(d):
        return d
    checked = [checked_id(v, f"{path}.token_ids") for v in ids]
    return d.model_copy(update={"token_ids": ids_1d(checked, len(d))})


def legacy_logprobs(
    logprobs: Any,  # noqa: ANN401 - a Logprobs object or its dict
    *,
    path: str = "logprobs",
    source: str = "completions",
    **meta: Any,  # noqa: ANN401 - choice, finish_reason, model, response
) -> TokenDistribution:
    """The distribution of one legacy `logprobs` object."""
    cols, top_null, offsets = legacy_columns(logprobs, path, start=0, text=meta.get("content"))
    return cols.build(source, top_null=top_null, text_offset=offsets, **meta)


def legacy_columns(
    logprobs: Any,  # noqa: ANN401
    path: str,
    *,
    start: int,
    text: str | None = None,
) -> tuple[Columns, list[int], list[int] | None]:
    """Columns, positions whose alternatives were null (offset by `start`), and text offsets.

    Token strings that are ids (vLLM's `return_tokens_as_token_ids`: `"token_id:42"`) fill the
    id columns; the sampled tokens' bytes are then cut from `text` (the choice's text) at their
    `text_offset`, when the offsets fit it.
    """
    tokens = seq(get(logprobs, "tokens"), f"{path}.tokens")
    values = seq(get(logprobs, "token_logprobs"), f"{path}.token_logprobs")
    tops = seq(get(logprobs, "top_logprobs"), f"{path}.top_logprobs")
    offsets = seq(get(logprobs, "text_offset"), f"{path}.text_offset")
    if tokens is None or values is None:
        msg = "expected tokens and token_logprobs lists"
        raise UnsupportedResponseError(msg, field=path)
    n = len(tokens)
    for name, column in (
        ("token_logprobs", values),
        ("top_logprobs", tops),
        ("text_offset", offsets),
    ):
        if column is not None and len(column) != n:
            msg = f"has {len(column)} entries for {n} tokens"
            raise UnsupportedResponseError(msg, field=f"{path}.{name}")
    for i, tok in enumerate(tokens):
        if not isinstance(tok, str):
            msg = f"expected a string, got {a_type(tok)}"
            raise UnsupportedResponseError(msg, field=f"{path}.tokens[{i}]")
    for i, v in enumerate(values):
        if v is not None and not is_logprob(v):
            msg = f"expected a finite number or null, got {seen(v)}"
            raise UnsupportedResponseError(msg, field=f"{path}.token_logprobs[{i}]")
    if offsets is not None and not all(type(o) is int for o in offsets):
        msg = "expected integers"
        raise UnsupportedResponseError(msg, field=f"{path}.text_offset")
    cols = Columns()
    cols.tokens = tokens
    cols.token_bytes = [None] * n
    cols.logprobs = values
    top_null = _alternatives(cols, tops, path, n=n, start=start)
    cols.top_bytes = [[None] * len(t) for t in cols.top_tokens]
    if n and tokens[0].startswith("token_id:"):
        _ids_from_tokens(cols, text, offsets, path)
    return cols, top_null, offsets


def _ids_from_tokens(cols: Columns, text: str | None, offsets: list[int] | None, path: str) -> None:
    """Read vLLM's `"token_id:N"` tokens: their ids, and their bytes from the text (no tokenizer).

    The alternatives' ids too; the bytes as `offset_bytes` cuts them.
    """
    cols.token_ids = ids_of_tokens(cols.tokens, f"{path}.tokens[{{}}]")
    cols.top_ids = [
        ids_of_tokens(row, f"{path}.top_logprobs[{i}]") for i, row in enumerate(cols.top_tokens)
    ]
    if text is not None and offsets is not None:
        offset_bytes(cols, text, offsets)


def offset_bytes(cols: Columns, text: str, offsets: list[int]) -> bool:
    """Cut the sampled tokens' bytes from `text` at their offsets (the tokenizer-free fallback).

    Each token's characters are `text[offset[i] - offset[0] : offset[i + 1] - offset[0]]` (vLLM
    counts offsets from the prompt's start with `echo`, else from the completion's). An
    alternative with the sampled token's id gets its bytes; the others' text is unknown, so
    they keep their `"token_id:N"` string (distinct ids stay distinct alternatives). Nothing
    is changed, and False returned, when the offsets do not fit the text.
    """
    if len(offsets) != len(cols.tokens) or not offsets or cols.token_ids is None:
        return False
    base = offsets[0]
    ends = [*offsets[1:], base + len(text)]
    if any(b < a for a, b in zip(offsets, ends, strict=True)) or ends[-1] - base > len(text):
        return False
    cols.token_bytes = [
        list(text[a - base : b - base].encode()) for a, b in zip(offsets, ends, strict=True)
    ]
    top_ids = cols.top_ids or [[] for _ in cols.tokens]
    cols.top_bytes = [
        [own if tid >= 0 and i == tid else None for i in row]
        for own, tid, row in zip(cols.token_bytes, cols.token_ids, top_ids, strict=True)
    ]
    cols.bytes_decoded = "text_offset"
    return True


def _alternatives(
    cols: Columns, tops: list[Any] | None, path: str, *, n: int, start: int
) -> list[int]:
    """Fill the alternatives' columns from the `top_logprobs` dicts; return the null positions."""
    if tops is None:
        cols.top_tokens = [[] for _ in range(n)]
        return list(range(start, start + n))
    top_null: list[int] = []
    for i, alts in enumerate(tops):
        if alts is None:
            top_null.append(start + i)
            cols.top_tokens.append([])
            continue
        if not isinstance(alts, dict):
            msg = f"expected a token → logprob object or null, got {a_type(alts)}"
            raise UnsupportedResponseError(msg, field=f"{path}.top_logprobs[{i}]")
        for tok, v in alts.items():
            if not is_logprob(v):
                msg = f"expected a finite number for {tok!r}, got {seen(v)}"
                raise UnsupportedResponseError(msg, field=f"{path}.top_logprobs[{i}]")
        cols.top_tokens.append(list(alts))
        cols.flat.extend(alts.values())
    return top_null


def is_logprob(v: object) -> bool:
    """A logprob as the API writes one: a number (not a bool), neither NaN nor +inf.

    An integer too large for a float (JSON can write one) is none, as in the chat entries.
    """
    if not isinstance(v, int | float) or isinstance(v, bool):
        return False
    try:
        return not math.isnan(v) and v != math.inf
    except OverflowError:
        return False


def _reason(value: object) -> str | None:
    """A `finish_reason` as text (a server may send another type): `None` stays `None`."""
    return None if value is None else str(value)
