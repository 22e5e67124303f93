"""The prompt's distribution: vLLM's `prompt_logprobs`, or the prompt part of an `echo`.

vLLM sends `prompt_logprobs` (asked for with `prompt_logprobs=k`, or implied by `echo`) beside
the choices: per prompt position `null` (the first, which nothing predicts) or a dict keyed by
the token id as a string, each value `{logprob, rank, decoded_token}`, the prompt's own token
first, then the top `k`. Chat responses carry it at the top level, legacy completions per
choice; `prompt_token_ids` (with `return_token_ids`) names the prompt's tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokenprobs.adapters import completions
from tokenprobs.adapters._columns import Columns
from tokenprobs.adapters._common import get, seen, select, seq
from tokenprobs.adapters._ids import ID_MAX, checked_id
from tokenprobs.exceptions import MissingLogprobsError, UnsupportedResponseError
from tokenprobs.models._ids import UNKNOWN_ID

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["PROMPT_HINT", "prompt_choices", "prompt_columns"]

PROMPT_HINT = (
    "ask for the prompt's logprobs: on vLLM pass extra_body={'prompt_logprobs': k} (chat or "
    "completions); on legacy /v1/completions pass echo=True with logprobs=k (OpenAI allows it "
    "on base models such as davinci-002, not on instruct models); or use tp.score(text, ...)"
)


def prompt_choices(
    obj: Any,  # noqa: ANN401 - a ChatCompletion / Completion or its dict
    *,
    choice: int | None,
) -> list[TokenDistribution]:
    """The prompt's distribution, once per choice asked for (the prompt is the same for all).

    Raises:
        MissingLogprobsError: The response carries no prompt logprobs (the hint says how to ask).
        UnsupportedResponseError: A known field is malformed.
    """
    choices = seq(get(obj, "choices"), "choices")
    if choices is None:
        msg = "a response with a prompt needs a list of choices"
        raise UnsupportedResponseError(msg, field="choices")
    model = get(obj, "model")
    meta: dict[str, Any] = {"model": model if isinstance(model, str) else None, "response": obj}
    chat = get(obj, "object") == "chat.completion" or any(
        get(c, "message") is not None for c in choices
    )
    out = []
    for i, index, c in select(choices, choice):
        meta["choice"] = index
        if chat:
            out.append(_from_vllm(obj, "", "chat.prompt", meta))
        elif get(c, "prompt_logprobs") is not None:
            echoed = seq(get(get(c, "logprobs"), "tokens"), f"choices[{i}].logprobs.tokens")
            first = echoed[0] if echoed and isinstance(echoed[0], str) else None
            out.append(_from_vllm(c, f"choices[{i}].", "completions.prompt", meta, first=first))
        else:
            out.append(_from_echo(obj, i, meta))
    return out


def _from_vllm(
    holder: Any,  # noqa: ANN401 - the response (chat) or its choice (completions)
    path: str,
    source: str,
    meta: dict[str, Any],
    *,
    first: str | None = None,
) -> TokenDistribution:
    """From `prompt_logprobs`; `first` is the echoed first token, which its `null` row lacks."""
    rows = seq(get(holder, "prompt_logprobs"), f"{path}prompt_logprobs")
    if rows is None:
        what = f"{path}prompt_logprobs is absent or null: the response carries no prompt logprobs"
        raise MissingLogprobsError(what, endpoint="chat.completions", hint=PROMPT_HINT)
    ids = seq(get(holder, "prompt_token_ids"), f"{path}prompt_token_ids")
    if ids is not None and len(ids) != len(rows):
        msg = f"has {len(ids)} ids for {len(rows)} prompt positions"
        raise UnsupportedResponseError(msg, field=f"{path}prompt_token_ids")
    cols, top_null = prompt_columns(rows, f"{path}prompt_logprobs", ids=ids)
    if first is not None and rows and rows[0] is None and not cols.tokens[0]:
        cols.tokens[0] = first
    return cols.build(source, top_null=top_null, prompt_length=len(cols), **meta)


def _from_echo(obj: Any, i: int, meta: dict[str, Any]) -> TokenDistribution:  # noqa: ANN401
    """The prompt positions of an echoed legacy choice (`d[:d.prompt_length]`)."""
    d = completions.parse_choices(obj, choice=meta["choice"])[0]
    if not d.prompt_length:
        what = (
            f"choices[{i}] has neither prompt_logprobs nor an echoed prompt"
            if d.prompt_length == 0
            else f"choices[{i}] echoes its prompt but the response has no usage to say where "
            "the prompt ends"
        )
        raise MissingLogprobsError(what, endpoint="completions", hint=PROMPT_HINT)
    part = d[: d.prompt_length]
    return part.model_copy(update={"source": "completions.prompt"})


def prompt_columns(
    rows: list[Any], path: str, *, ids: list[Any] | None = None
) -> tuple[Columns, list[int]]:
    """Columns of vLLM `prompt_logprobs` rows, and the positions that were `null`.

    A `null` row (the first) has no logprob and no alternatives; its token is the id's
    `"token_id:N"` when `ids` names it, else `""` (vLLM does not say which token it was).
    Elsewhere the row's token is its first key (vLLM writes the prompt's own token first; an id
    in `ids` that disagrees is an error); every entry of the row is an alternative, in the
    order given.

    Raises:
        UnsupportedResponseError: Naming the first malformed row or entry.
    """
    cols = Columns()
    cols.token_ids, cols.ranks, cols.top_ids, cols.top_ranks = [], [], [], []
    top_null: list[int] = []
    for i, row in enumerate(rows):
        where = f"{path}[{i}]"
        own_id = UNKNOWN_ID if ids is None else checked_id(ids[i], f"prompt_token_ids[{i}]")
        if row is None:
            top_null.append(i)
            cols.tokens.append("" if own_id == UNKNOWN_ID else f"token_id:{own_id}")
            cols.logprobs.append(None)
            cols.token_ids.append(own_id)
            cols.ranks.append(UNKNOWN_ID)
            for column in (cols.top_tokens, cols.top_ids, cols.top_ranks, cols.top_bytes):
                column.append([])
            cols.token_bytes.append(None)
            continue
        entries = _entries(row, where)
        own = entries[0] if entries else None
        if own is None or (own_id != UNKNOWN_ID and own[0] != own_id):
            msg = (
                f"the prompt's token {own_id} (prompt_token_ids[{i}]) is not the row's first "
                f"entry, where vLLM writes it (keys: {list(row)[:5]})"
            )
            raise UnsupportedResponseError(msg, field=where)
        cols.tokens.append(own[1])
        cols.token_bytes.append(None)
        cols.logprobs.append(own[2])
        cols.token_ids.append(own[0])
        cols.ranks.append(own[3])
        cols.top_tokens.append([e[1] for e in entries])
        cols.top_bytes.append([None] * len(entries))
        cols.top_ids.append([e[0] for e in entries])
        cols.top_ranks.append([e[3] for e in entries])
        cols.flat.extend(e[2] for e in entries)
    return cols, top_null


def _entries(row: Any, where: str) -> list[tuple[int, str, float, int]]:  # noqa: ANN401
    """`(id, token, logprob, rank)` per entry of one prompt position's dict."""
    if not isinstance(row, dict):
        shape = "a dict of token id → {logprob, rank, decoded_token}"
        msg = f"expected {shape} or null, got {seen(row)}"
        raise UnsupportedResponseError(msg, field=where)
    out = []
    for key, value in row.items():
        field = f"{where}[{key!r}]"
        if not (isinstance(key, str) and key.isascii() and key.isdigit() and int(key) <= ID_MAX):
            msg = f"expected a token id as the key, got {key!r}"
            raise UnsupportedResponseError(msg, field=where)
        logprob = get(value, "logprob")
        if not completions.is_logprob(logprob):
            msg = f"expected a number, got {seen(logprob)}"
            raise UnsupportedResponseError(msg, field=f"{field}.logprob")
        rank = get(value, "rank")
        if rank is not None and (type(rank) is not int or not 1 <= rank <= ID_MAX):
            msg = f"expected a rank (an integer from 1 to 2**63 - 1) or null, got {seen(rank)}"
            raise UnsupportedResponseError(msg, field=f"{field}.rank")
        token = get(value, "decoded_token")
        if token is not None and not isinstance(token, str):
            msg = f"expected a string or null, got {seen(token)}"
            raise UnsupportedResponseError(msg, field=f"{field}.decoded_token")
        out.append(
            (
                int(key),
                f"token_id:{key}" if token is None else token,
                float(logprob),
                UNKNOWN_ID if rank is None else rank,
            )
        )
    return out
