"""Requested-token logprobs: vLLM's `logprob_token_ids`, matched to each position by id.

vLLM (`logprob_token_ids=[...]` in the request) returns, at every generated position, the
sampled token and each requested id with its exact logprob, whatever its rank, in the place of
the top-k alternatives. Matching an entry to a requested id needs the entries' ids: the
response must name them (`return_tokens_as_token_ids`, or llama.cpp-style `id` fields).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs._said import a_value
from tokenprobs.exceptions import UnsupportedResponseError
from tokenprobs.models._arrays import readonly

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tokenprobs.models import TokenDistribution

__all__ = ["REQUESTED_HINT", "with_requested"]

REQUESTED_HINT = (
    "ask vLLM to name the ids too: extra_body={'logprob_token_ids': [...], "
    "'return_tokens_as_token_ids': True}"
)


def with_requested(d: TokenDistribution, ids: Sequence[int]) -> TokenDistribution:
    """`d` with `requested_token_ids` and `requested_logprobs` filled from its own entries.

    Each requested id's logprob at position `t` is the alternative with that id there (or the
    sampled token's, when it is that id); NaN where the position has no entry for it.

    Raises:
        UnsupportedResponseError: An id is not a non-negative integer, or the response names no
            token ids to match them by (the message says how to ask for them).
    """
    given: object = ids  # typed, but a caller may pass anything
    if not isinstance(given, Iterable) or isinstance(given, str | bytes | Mapping):
        msg = (
            "logprob_token_ids is the list of token ids the request named (integers >= 0), "
            f"got {a_value(given, width=40)}"
        )
        raise UnsupportedResponseError(msg)
    wanted = [i.item() if isinstance(i, np.integer) else i for i in given]
    if not all(type(i) is int and i >= 0 for i in wanted):
        msg = f"logprob_token_ids must be token ids (integers >= 0), got {wanted[:8]}"
        raise UnsupportedResponseError(msg)
    if len(set(wanted)) != len(wanted):
        msg = f"logprob_token_ids names an id twice: {wanted}"
        raise UnsupportedResponseError(msg)
    if len(d) and wanted and not (d.top_token_ids >= 0).any() and not (d.token_ids >= 0).any():
        msg = (
            "the response names no token ids, so its entries cannot be matched to "
            f"logprob_token_ids; {REQUESTED_HINT}"
        )
        raise UnsupportedResponseError(msg)
    want = np.asarray(wanted, dtype=np.int64)
    out = np.full((len(d), want.size), np.nan)
    if want.size and len(d):
        found = np.zeros(out.shape, dtype=bool)
        if d.top_token_ids.shape[1]:  # no alternatives (top_logprobs null): the sampled alone
            # alternatives: (T, K, 1) == (R,) -> (T, K, R); the first match per position wins
            hit = d.top_token_ids[:, :, None] == want[None, None, :]
            found = hit.any(axis=1)
            first = hit.argmax(axis=1)
            values = np.take_along_axis(d.top_logprobs, first, axis=1)
            out[found] = values[found]
        own = d.token_ids[:, None] == want[None, :]
        lp = np.broadcast_to(d.logprobs[:, None], own.shape)
        take = own & ~found
        out[take] = lp[take]
    return d.model_copy(update={"requested_token_ids": wanted, "requested_logprobs": readonly(out)})
