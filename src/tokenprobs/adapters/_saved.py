"""tokenprobs' own JSON: a `TokenDistribution` saved by `model_dump_json()` or `show --format json`.

Read back as the distribution it was, so `tp.parse` and `tokenprobs show` take what tokenprobs
writes, not only what servers send.
"""

from __future__ import annotations

from typing import Any

import pydantic

from tokenprobs.exceptions import UnsupportedResponseError
from tokenprobs.models import TokenDistribution

__all__ = ["saved_distribution"]

_MARKS = ("source", "tokens", "token_bytes", "logprobs", "top_tokens", "top_logprobs")
"""Keys every saved distribution has, and together no API response: a response names its tokens
inside `choices` / `output`, never `token_bytes` at the top."""


def saved_distribution(obj: Any, *, choice: int | None) -> TokenDistribution | None:  # noqa: ANN401
    """The distribution `obj` (a dict read from JSON) saves, or `None` when it is not one.

    Raises:
        UnsupportedResponseError: It has a saved distribution's keys but does not validate as
            one (the error names the field), or `choice` is not its choice.
    """
    if not isinstance(obj, dict) or not all(key in obj for key in _MARKS):
        return None
    try:
        d = TokenDistribution.model_validate(obj)
    except pydantic.ValidationError as exc:
        wrong = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'the columns'}: {e['msg']}" for e in exc.errors()[:3]
        )
        msg = f"a saved TokenDistribution (tokenprobs' own JSON) that does not validate: {wrong}"
        raise UnsupportedResponseError(msg) from exc
    if choice is not None and choice != d.choice:
        msg = f"there is no choice {choice}: the saved distribution is choice {d.choice}"
        raise UnsupportedResponseError(msg, field="choice")
    return d
