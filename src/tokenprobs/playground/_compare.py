"""Two answers side by side: their tokens position by position, and `tp.compare`'s intervals.

Where two answers continue the same prompt with the same tokens (the positions they share), each
position is one context seen twice, so `tp.compare` bounds how far apart the two next-token
distributions can be: TV, JS and KL as `[lo, hi]` intervals that contain the true divergence for
every completion of what the top-k returned (never a point guess). Past the first differing
token the contexts differ and no divergence is defined: those rows show the tokens only.

A branch's positions before its fork are its parent's own (copied when it was branched), and at
the fork it holds the parent's distribution with the forced token: the same distributions, so
their divergence is exactly 0; the rows say so (`copied`), beside the interval the top-k alone
can prove.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs import render
from tokenprobs.comparison import ComparisonError, compare
from tokenprobs.playground._fields import SessionError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from tokenprobs.models import TokenDistribution
    from tokenprobs.playground._session import Branch, Request, Session

__all__ = ["COMPARE_ROWS", "compare_answers"]

COMPARE_ROWS = 400
"""At most this many positions in a comparison, from just before where the answers part."""


def compare_answers(session: Session, a: Branch, b: Branch) -> dict[str, object]:
    """Two finished answers position by position, with divergence intervals where they share text.

    Raises:
        SessionError: A branch has no answer yet, or it is still arriving.
    """
    for branch in (a, b):
        if branch.running:
            msg = f"branch {branch.id}'s answer has not finished arriving: compare it when it has"
            raise SessionError(msg)
    da, db = a.answer(), b.answer()
    n = max(len(da), len(db))
    shared = _shared(da, db)
    diverge = None if shared == len(da) == len(db) else shared
    intervals, note = _intervals(a, b, da, db, shared)
    copied = _copied(session, a, b, shared)
    first = max(0, (diverge if diverge is not None else 0) - 5)
    last = min(n, first + COMPARE_ROWS)
    pa, pb = da.probs, db.probs
    rows = []
    for i in range(first, last):
        row: dict[str, object] = {
            "i": i,
            "a": _token(da, i),
            "pa": _prob(pa, i),
            "b": _token(db, i),
            "pb": _prob(pb, i),
            "same": i < shared,
            "copied": i < copied,
        }
        if intervals is not None and i < shared:
            row |= {m: _pair(intervals[m][i]) for m in ("tv", "js", "kl")}
        rows.append(row)
    return {
        "diverge": diverge,
        "common_prefix": shared,
        "positions": n,
        "compared": shared if intervals is not None else 0,
        "copied": copied,
        "note": note,
        "rows": rows,
    }


def _shared(a: TokenDistribution, b: TokenDistribution) -> int:
    """How many leading positions hold the same token (its text and its bytes)."""
    for i in range(min(len(a), len(b))):
        if a.tokens[i] != b.tokens[i] or a.token_bytes[i] != b.token_bytes[i]:
            return i
    return min(len(a), len(b))


def _intervals(
    a: Branch, b: Branch, da: TokenDistribution, db: TokenDistribution, shared: int
) -> tuple[dict[str, NDArray[np.float64]] | None, str | None]:
    """`tp.compare` over the shared positions, or why there is none."""
    if _context(a.request) != _context(b.request):
        return None, (
            "the two answers continue different prompts: a position of one is not the same "
            "context as in the other, so no divergence is defined"
        )
    if shared == 0:
        return None, "the answers share no position: no divergence is defined"
    try:
        c = compare(da[:shared], db[:shared])
    except ComparisonError as exc:
        return None, str(exc)
    return {"tv": c.tv, "js": c.js, "kl": c.kl}, None


def _context(request: Request) -> tuple[object, ...]:
    """What an answer continues: the prompt of a completion, the messages of a chat answer.

    The other field is not sent (the page sends its prompt box with a chat run, too), so two
    answers that differ in it alone continue the same context.
    """
    if request.endpoint == "completions":
        return (request.endpoint, request.prompt)
    return (request.endpoint, request.messages)


def _origin(session: Session, branch: Branch, i: int) -> int:
    """The branch whose distribution position `i` of `branch` holds (itself if its own).

    A branch holds its parent's positions before the fork, and at the fork the parent's
    distribution with the forced token. A cycle of parents (never made by the page, refused by
    `Session.loads`) ends the walk where it closes.
    """
    seen = {branch.id}
    while branch.parent is not None and branch.position is not None and i <= branch.position:
        parent = session.branches.get(branch.parent)
        if parent is None or parent.id in seen:
            break
        seen.add(parent.id)
        branch = parent
    return branch.id


def _copied(session: Session, a: Branch, b: Branch, shared: int) -> int:
    """How many leading positions the two hold as copies of one answer's positions."""
    for i in range(shared):
        if _origin(session, a, i) != _origin(session, b, i):
            return i
    return shared


def _token(d: TokenDistribution, i: int) -> str | None:
    return render.visible(d.tokens[i]) if i < len(d) else None


def _prob(p: NDArray[np.float64], i: int) -> float | None:
    return None if i >= len(p) or np.isnan(p[i]) else float(p[i])


def _pair(bounds: NDArray[np.float64]) -> list[float | None]:
    """`[lo, hi]` for JSON: an infinite or undefined end is `None` (the page shows `∞`)."""
    return [None if not math.isfinite(x) else float(x) for x in bounds.tolist()]
