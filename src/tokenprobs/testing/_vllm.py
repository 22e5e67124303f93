"""vLLM's extensions on top of the builders' bodies: ids as tokens, prompt logprobs, chosen ids.

The shapes are vLLM's (0.32, read from recorded bodies): `"token_id:N"` token strings under
`return_tokens_as_token_ids`, `prompt_logprobs` (per prompt position `null` or a dict keyed by
the token id as a string, each value `{logprob, rank, decoded_token}`, the prompt's own token
first), `prompt_token_ids` / `token_ids` under `return_token_ids`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tokenprobs._said import a_type, a_value
from tokenprobs.testing._entries import checked, choices_of, token_entry_parts

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tokenprobs.testing._entries import Position

__all__ = ["vllm_prompt_logprobs", "vllm_token_ids"]


def _id(vocab: Mapping[str, int], token: str) -> str:
    return f"token_id:{_number(vocab, token)}"


def _number(vocab: Mapping[str, int], token: str) -> int:
    """`vocab[token]`, or a KeyError that names the token and the fix."""
    try:
        number = vocab[token]
    except KeyError:
        msg = f"token {token!r} is not in `vocab`: give every token and alternative an id"
        raise KeyError(msg) from None
    given: object = number  # typed, but built with what users pass
    if isinstance(given, bool) or not isinstance(given, int):
        msg = f"`vocab` maps token strings to int ids, got {a_value(given)} for {token!r}"
        raise TypeError(msg)
    return number


def _vocab(vocab: object, call: str) -> None:
    if not isinstance(vocab, Mapping):
        msg = (
            f"{call}: `vocab` is a mapping of token strings to ids ({{'Hi': 7}}), "
            f"got {a_type(vocab)}"
        )
        raise TypeError(msg)


def vllm_token_ids(body: dict[str, Any], vocab: Mapping[str, int]) -> dict[str, Any]:
    """A copy of a chat or legacy body with every token written as `"token_id:N"` (by `vocab`).

    As vLLM's `return_tokens_as_token_ids` does: a chat entry keeps its token's `bytes`, its
    alternatives get the bytes of their `"token_id:N"` string (vLLM encodes the string it
    returns); legacy Completions have no bytes, so only `text` and `text_offset` spell the text.

    Raises:
        KeyError: A token or alternative has no id in `vocab`.
        TypeError: `body` is not a chat or legacy body (a Responses body, a list of chunks),
            or `vocab` is not a mapping of str to int.

    Examples:
        >>> from tokenprobs.testing import chat_completion
        >>> body = vllm_token_ids(chat_completion([("Hi", -0.1, [])]), {"Hi": 7})
        >>> body["choices"][0]["logprobs"]["content"][0]["token"]
        'token_id:7'
    """
    _vocab(vocab, "vllm_token_ids")
    out = copy.deepcopy(body)
    for choice in choices_of(out, "vllm_token_ids(body)"):
        logprobs = choice["logprobs"]
        if "tokens" in logprobs:
            logprobs["tokens"] = [_id(vocab, t) for t in logprobs["tokens"]]
            if logprobs.get("top_logprobs") is not None:
                logprobs["top_logprobs"] = [
                    None if row is None else {_id(vocab, t): v for t, v in row.items()}
                    for row in logprobs["top_logprobs"]
                ]
            continue
        for entry in logprobs.get("content") or []:
            entry["token"] = _id(vocab, entry["token"])
            for alt in entry["top_logprobs"]:
                alt["token"] = _id(vocab, alt["token"])
                alt["bytes"] = list(alt["token"].encode())  # vLLM encodes the id string
    return out


def vllm_prompt_logprobs(
    positions: Sequence[Position], vocab: Mapping[str, int]
) -> list[dict[str, dict[str, Any]] | None]:
    """The `prompt_logprobs` vLLM gives for a prompt: `null` first, then the token and its alternatives.

    Each position's dict holds the prompt token first (its `rank` is 1 + the number of
    alternatives above it), then the alternatives not already there, ranked 1, 2 ...

    Raises:
        KeyError: A token or alternative has no id in `vocab`.
        ValueError: A position after the first has no logprob.
        TypeError: `positions` is not a list of `(token, logprob, alternatives)` positions,
            or `vocab` is not a mapping of str to int.

    Examples:
        >>> vllm_prompt_logprobs(
        ...     [("A", None, []), (" b", -2.0, [(" c", -0.5)])], {"A": 5, " b": 6, " c": 7}
        ... )
        [None, {'6': {'logprob': -2.0, 'rank': 2, 'decoded_token': ' b'}, '7': {'logprob': -0.5, 'rank': 1, 'decoded_token': ' c'}}]
    """  # noqa: E501 - a doctest line
    _vocab(vocab, "vllm_prompt_logprobs")
    out: list[dict[str, dict[str, Any]] | None] = []
    for i, (tok, lp, alts) in enumerate(checked(positions, "positions", nulls=True)):
        text = token_entry_parts(tok)[0]
        if i == 0:
            out.append(None)
            continue
        if lp is None:
            msg = f"position {i} has logprob None: only the first prompt position has none"
            raise ValueError(msg)
        ranked = sorted(((token_entry_parts(t)[0], v) for t, v in alts), key=lambda a: -a[1])
        above = sum(1 for t, v in ranked if v > lp and t != text)
        row = {str(_number(vocab, text)): {"logprob": lp, "rank": above + 1, "decoded_token": text}}
        for rank, (t, v) in enumerate(ranked, start=1):
            row.setdefault(str(_number(vocab, t)), {"logprob": v, "rank": rank, "decoded_token": t})
        out.append(row)
    return out
