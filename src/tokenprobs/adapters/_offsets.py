"""Legacy `text_offset` values that place no token in the text: kept as sent, with a warning.

A server counts the offsets from the prompt's start (OpenAI: the first is the prompt's length
without `echo`) or from the completion's (vLLM), so only their differences are read: they never
go down, and none lies beyond the text (the choice's `text`, or the tokens joined when they spell
more: vLLM counts an echoed `<s>` the text lacks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["misplaced"]


def misplaced(d: TokenDistribution) -> str | None:
    """Why `d.text_offset` places no token in the text, naming the first bad position, if so."""
    offsets = d.text_offset
    if not offsets or len(offsets) != len(d):
        return None
    # integers past int64 (JSON allows them) make an object array, compared the same way
    o = np.asarray(offsets)
    base, why, t = offsets[0], None, 0
    if (down := np.flatnonzero(o[1:] < o[:-1])).size:
        t = int(down[0]) + 1
        why = f"below position {t - 1}'s ({offsets[t - 1]})"
    elif d.content is not None:
        length = max(len(d.content), sum(map(len, d.tokens)))
        if (past := np.flatnonzero(o - base > length)).size:
            t = int(past[0])
            why = (
                f"past the end of the text (position 0's offset, {base}, plus {length} characters)"
            )
    if why is None:
        return None
    return (
        f"choice {d.choice}: position {t} ({d.tokens[t]!r}) has text_offset {offsets[t]}, "
        f"{why}, so the offsets place no token in the text: they are kept as sent in "
        "`d.text_offset`, but no token's bytes are cut from the text at them and scoring an "
        "echo refuses them"
    )
