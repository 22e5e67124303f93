"""`fields.confidence`: per-leaf confidence of a structured output, from the token bytes."""

from __future__ import annotations

import json
import warnings
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs._said import a_value
from tokenprobs.adapters import parse as parse_response
from tokenprobs.exceptions import TokenprobsWarning
from tokenprobs.fields._decision import Decision, decide, labels_for
from tokenprobs.fields._errors import JSONNotFoundError
from tokenprobs.fields._numbers import NumberSpellings, is_number, same_value, spells
from tokenprobs.fields._result import FieldConfidence, FieldConfidences
from tokenprobs.fields._schema import Schema
from tokenprobs.fields._tokens import Stream, stream
from tokenprobs.fields._walk import Leaf, find, pointer
from tokenprobs.models import TokenDistribution

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import NDArray

    from tokenprobs.labels import Labels

__all__ = ["confidence", "distribution"]

_NO_SCHEMA_VALUES: tuple[object, ...] = (True, False, None)
"""A `true` / `false` / `null` leaf the schema names no finite set for (or without a schema) is
decided among these three."""


def _cumsum0(x: NDArray[np.float64] | NDArray[np.bool_]) -> NDArray[np.float64]:
    out = np.zeros(len(x) + 1)
    np.cumsum(x, out=out[1:])
    return out


def distribution(obj: object, choice: object, where: str) -> TokenDistribution:
    """`obj` as the distribution of its choice `choice` (`where` opens the messages).

    Raises:
        TypeError: If `choice` is not an int.
        ValueError: If `obj` is a `TokenDistribution` (one choice already) and `choice` is not 0.
    """
    if isinstance(choice, bool) or not isinstance(choice, int | np.integer):
        msg = f"{where}): choice is a choice's index (an int), got {a_value(choice)}"
        raise TypeError(msg)
    if isinstance(obj, TokenDistribution):
        if choice != 0:
            msg = (
                f"{where}{choice!r}): d is a TokenDistribution, one choice already; pass the "
                "response to pick a choice, or leave choice out"
            )
            raise ValueError(msg)
        return obj
    return parse_response(obj, choice=int(choice))


def confidence(d: object, /, *, schema: object = None, choice: int = 0) -> FieldConfidences:
    """Per-leaf confidence of a structured (JSON) output.

    The text is the tokens' bytes joined (checked to equal the response's content); the JSON
    document in it (the whole text, a ```json fence, or the first object or array inside prose)
    is walked once, and every leaf gets the tokens whose bytes overlap its literal.

    Args:
        d: A `TokenDistribution`, or any response `tp.parse` reads (a `ChatCompletion`, the
            SDK's `ParsedChatCompletion`, a dict, JSON, a stream's chunks ...).
        schema: The JSON Schema the output follows (a dict, a pydantic model class, or the
            `response_format` dict). It names each leaf's allowed values (`enum`, `const`,
            `boolean`, nullable) for the decision, and marks a value allowed only one way as
            forced. Without it (and where it names no finite set), a `true`/`false`/`null` leaf
            is decided among those three; other leaves get no value distribution.
        choice: Which choice of a response with several (`n > 1`), as `tp.parse` reads it.

    Returns:
        A `FieldConfidences`: iterable, indexable by path, pointer or key.

    Raises:
        FieldsError: If `d` is a refusal, its bytes do not spell its content, it holds no
            complete JSON document (`JSONNotFoundError`), or `schema` is not a schema
            (`SchemaError`).
        MissingLogprobsError: If the response carries no logprobs (a tool call's arguments
            never do on OpenAI: ask for `response_format` instead).
        TypeError: If `choice` is not an int.
        ValueError: If `d` is a `TokenDistribution` (one choice already) and `choice` is not 0.

    Examples:
        >>> from tokenprobs import examples, fields
        >>> fc = fields.confidence(examples.load("structured"))
        >>> fc["date"].value, round(fc["date"].prob, 3), fc["date"].shared
        ('Friday', 0.907, True)
    """
    dist = distribution(d, choice, "fields.confidence(d, choice=")
    s = stream(dist)
    try:
        leaves, doc_start, doc_end = find(s.buf)
    except JSONNotFoundError as exc:
        cut = dist.incomplete or dist.finish_reason == "length"
        hint = (
            f"; the output was cut off (finish_reason={dist.finish_reason!r}): raise max_tokens"
            if cut
            else ""
        )
        msg = f"{exc}{hint}"
        raise JSONNotFoundError(msg) from None
    sch = Schema(schema) if schema is not None else None
    text = s.buf.decode("utf-8", errors="replace")
    out = _leaves(dist, s, leaves, sch)
    return FieldConfidences(
        out,
        distribution=dist,
        document=(int(s.char_of[doc_start]), int(s.char_of[doc_end])),
        text=text,
    )


def _leaves(
    d: TokenDistribution, s: Stream, leaves: list[Leaf], sch: Schema | None
) -> list[FieldConfidence]:
    n = len(leaves)
    if n == 0:
        return []
    lo = np.fromiter((leaf.start for leaf in leaves), dtype=np.intp, count=n)
    hi = np.fromiter((leaf.end for leaf in leaves), dtype=np.intp, count=n)
    a = np.searchsorted(s.ends, lo, side="right")
    b = np.searchsorted(s.starts, hi, side="left")
    lead = s.starts[a] < lo
    trail = s.ends[b - 1] > hi
    a_own, b_own = a + lead, b - trail
    lp = s.logprobs
    cs = _cumsum0(lp)
    joint = cs[b] - cs[a]
    own = np.where(b_own > a_own, cs[np.maximum(b_own, a_own)] - cs[a_own], 0.0)
    allowed = [_allowed(sch, leaf, s.buf[leaf.start : leaf.end]) for leaf in leaves]
    single = np.fromiter((v is not None and len(v) == 1 for v in allowed), dtype=bool, count=n)
    free = ~s.forced
    free_lp = np.where(free, lp, 0.0)
    n_free = _cumsum0(free)
    n_free = np.where(single, 0.0, n_free[b] - n_free[a])
    sum_free = _cumsum0(free_lp)
    sum_free = sum_free[b] - sum_free[a]
    idx = np.stack([a, b], axis=1).ravel()
    padded = np.append(free_lp, 0.0)
    min_lp = np.where(single, 0.0, np.minimum.reduceat(padded, idx)[::2])
    unknown = _cumsum0(s.unknown)
    any_unknown = (unknown[b] - unknown[a]) > 0
    labels_cache: dict[tuple[str, ...], tuple[Labels, dict[str, object]] | None] = {}
    out: list[FieldConfidence] = []
    for k, leaf in enumerate(leaves):
        ak, bk = int(a[k]), int(b[k])
        forced_pos = (
            tuple(range(ak, bk))
            if single[k]
            else tuple((np.flatnonzero(s.forced[ak:bk]) + ak).tolist())
        )
        values = allowed[k]
        mean = float(sum_free[k] / n_free[k]) if n_free[k] else None
        low = float(np.exp(min_lp[k]))
        settled = _settled(s, leaf, range(ak, bk), values) - set(forced_pos)
        if settled:
            forced_pos = tuple(sorted({*forced_pos, *settled}))
            free_lp_k = [float(lp[p]) for p in range(ak, bk) if p not in forced_pos]
            mean = sum(free_lp_k) / len(free_lp_k) if free_lp_k else None
            low = float(np.exp(min(free_lp_k, default=0.0)))
        shared = tuple(p for p, on in ((ak, lead[k]), (bk - 1, trail[k])) if on)
        if values is None and (leaf.value is None or isinstance(leaf.value, bool)):
            values = _NO_SCHEMA_VALUES  # as without a schema: it names no finite set here
        out.append(
            FieldConfidence(
                path=leaf.path,
                pointer=pointer(leaf.path),
                value=leaf.value,
                byte_span=(leaf.start, leaf.end),
                char_span=(int(s.char_of[leaf.start]), int(s.char_of[leaf.end])),
                positions=range(ak, bk),
                logprob=float(joint[k]),
                logprob_own=float(own[k]),
                shared=bool(shared),
                shared_positions=tuple(dict.fromkeys(shared)),
                forced_positions=forced_pos,
                min_prob=low,
                mean_logprob=mean,
                exact=not bool(any_unknown[k]),
                unknown_positions=tuple((np.flatnonzero(s.unknown[ak:bk]) + ak).tolist()),
                _decide=_decider(
                    d,
                    s,
                    leaf,
                    positions=range(ak, bk),
                    forced=forced_pos,
                    values=values,
                    cache=labels_cache,
                ),
            )
        )
    return out


_SHOWN = 5
"""How many allowed values a warning lists."""


def _allowed(sch: Schema | None, leaf: Leaf, literal: bytes) -> tuple[object, ...] | None:
    """The values the schema allows at `leaf`, or None: none said, or the text is not one of them.

    A value outside them (a schema the server did not enforce, or not the one it used) is read
    as free, with a warning: forcing it would make a guess look certain. Numbers are compared by
    value (JSON Schema's equality: `1e2` is 100), an integer exactly from the `literal` (`1e30`
    is 10**30, which its float is not); a boolean is no number.
    """
    values = sch.allowed(leaf.path) if sch is not None else None
    if values is None or any(_is(leaf.value, literal, v) for v in values):
        return values
    path = pointer(leaf.path) or "/"
    shown = ", ".join(map(repr, values[:_SHOWN])) + (" …" if len(values) > _SHOWN else "")
    msg = (
        f"{path} is {leaf.value!r}, which the schema does not allow (it allows "
        f"{shown or 'no value: an empty enum'}): the "
        "server did "
        "not enforce this schema, or it is not the one the request used; its tokens are read "
        "as free, not forced"
    )
    warnings.warn(msg, TokenprobsWarning, stacklevel=5)  # the caller of confidence()
    return None


def _is(value: object, literal: bytes, member: object) -> bool:
    """Whether the leaf's `value` (its text `literal`) is `member`, by JSON Schema's equality."""
    if same_value(value, member):
        return True
    return isinstance(value, float) and spells(literal, member)


def _settled(
    s: Stream, leaf: Leaf, positions: range, values: tuple[object, ...] | None
) -> set[int]:
    """Positions a schema leaves no choice: the value so far starts one allowed value only.

    A token wholly inside the literal whose preceding bytes of the value are a prefix of exactly
    one allowed value's JSON text (`"inv` of `"invoice"`, `tr` of `true`), or start a spelling
    of one allowed number only (`1` of 100 beside 200, but not `1e-` of 0.00001 beside 0.0001:
    `1e-4` is that), is schema-forced.
    """
    if values is None or len(values) < 2:  # noqa: PLR2004 - one value is `single`, forced whole
        return set()
    forms = [
        (k, json.dumps(v, ensure_ascii=a).encode())
        for k, v in enumerate(values)
        if not is_number(v)
        for a in (False, True)
    ]
    spelled = NumberSpellings({k: v for k, v in enumerate(values) if is_number(v)})
    out: set[int] = set()
    for p in positions[1:]:
        if int(s.ends[p]) > leaf.end:
            break
        head = s.buf[leaf.start : int(s.starts[p])]
        if head and len({k for k, f in forms if f.startswith(head)} | spelled.started(head)) == 1:
            out.add(p)
    return out


def _decider(
    d: TokenDistribution,
    s: Stream,
    leaf: Leaf,
    *,
    positions: range,
    forced: tuple[int, ...],
    values: tuple[object, ...] | None,
    cache: dict[tuple[str, ...], tuple[Labels, dict[str, object]] | None],
) -> Callable[[], Decision | None]:
    def run() -> Decision | None:
        skip = set(forced)
        if isinstance(leaf.value, str) and len(positions) > 1:
            # a token holding only the opening quote of the value decides "a string", not which
            p0 = positions.start
            if int(s.ends[p0]) == leaf.start + 1:
                skip.add(p0)
        first = next((p for p in positions if p not in skip), None)
        if first is None:
            return None
        labels = None
        if values is not None:
            key = tuple(json.dumps(v, sort_keys=True) for v in values)
            if key not in cache:
                cache[key] = labels_for(values)
            labels = cache[key]
        return decide(d, s, first, start=leaf.start, end_position=positions.stop, labels=labels)

    return run
