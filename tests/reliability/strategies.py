"""Hypothesis strategies: hostile values, builder positions, and mutations of JSON-like trees."""

from __future__ import annotations

import copy
import json
import math
import re
from typing import Any

from hypothesis import strategies as st

from tokenprobs import testing  # noqa: TC001 - used at run time in annotations of composites

__all__ = [
    "GARBAGE_TEXT",
    "HOSTILE_FLOATS",
    "hostile_values",
    "mutate",
    "mutate_text",
    "positions",
    "to_wire",
]

HOSTILE_FLOATS = st.one_of(
    st.sampled_from(
        [-9999.0, 0.0, -0.0, 1e-300, 5.0, 1e308, -1e308, -math.inf, math.inf, math.nan, -1e-320]
    ),
    st.floats(allow_nan=True, allow_infinity=True),
)
"""Numbers a buggy or quirky server may send as a logprob."""

GARBAGE_TEXT = st.one_of(
    st.text(max_size=8),
    st.text(st.characters(codec="utf-8"), max_size=4),
    st.sampled_from(
        ["", "\ufffd", "\\xe2\\x80", "bytes:\\xf0\\x9f", "\x00", "\ud800", "\U0001f499", "한", " "]
    ),
)
"""Token strings: unicode garbage, lone surrogates, escaped partial UTF-8, NUL."""

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    HOSTILE_FLOATS,
    GARBAGE_TEXT,
    st.sampled_from([256, -1, 2**64, "choices", "chat.completion", "response.completed"]),
)


def hostile_values() -> st.SearchStrategy[Any]:
    """Any JSON-ish value a field might hold instead of the right one (small trees included)."""
    return st.recursive(
        _SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.sampled_from(["token", "logprob", "bytes", "x", "content"]), inner),
        ),
        max_leaves=6,
    )


_TOKENS = st.one_of(
    GARBAGE_TEXT.filter(lambda t: "\ud800" not in t),  # the builders encode tokens as UTF-8
    st.binary(min_size=1, max_size=4),  # partial or invalid UTF-8, as the API writes it
)
_LOGPROBS = st.one_of(
    st.floats(min_value=-30.0, max_value=0.0),
    st.sampled_from([-9999.0, 0.0, -1e-9, 0.69970703, 1e-5]),
)


@st.composite
def positions(draw: st.DrawFn, *, max_size: int = 6) -> list[testing.Position]:
    """Builder positions: hostile tokens, valid (possibly quirky) logprobs, ragged alternatives."""
    n = draw(st.integers(0, max_size))
    out: list[testing.Position] = []
    for _ in range(n):
        tok = draw(_TOKENS)
        lp = draw(_LOGPROBS)
        alts = draw(st.lists(st.tuples(_TOKENS, _LOGPROBS), max_size=4))
        if alts and draw(st.booleans()):
            alts = [(tok, lp), *alts]
        out.append((tok, lp, alts))
    return out


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


_OPS = ("drop", "replace", "duplicate", "empty", "shuffle", "truncate", "sentinel", "nest")


@st.composite
def mutate(  # noqa: C901, PLR0912 - one branch per mutation
    draw: st.DrawFn, seed: Any, *, max_mutations: int = 3
) -> tuple[Any, list[str]]:
    """Apply 1..max_mutations random mutations to a deep copy of `seed`; say what was done."""
    tree = copy.deepcopy(seed)
    done: list[str] = []
    for _ in range(draw(st.integers(1, max_mutations))):
        paths = _paths(tree)
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(_OPS))
        done.append(f"{op} {'/'.join(map(str, path))}")
        if not path:
            if op == "replace":
                tree = draw(hostile_values())
            continue
        parent = tree
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        value = parent[key]
        if op == "drop":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(hostile_values())
        elif op == "duplicate":
            if isinstance(parent, list):
                parent.insert(key, copy.deepcopy(value))
            else:  # the same value under another known field name
                other = draw(st.sampled_from(["index", "token", "logprob", "bytes", "content"]))
                parent[other] = copy.deepcopy(value)
        elif op == "empty":
            parent[key] = type(value)() if isinstance(value, list | dict | str) else None
        elif op == "shuffle" and isinstance(value, list):
            parent[key] = draw(st.permutations(value))
        elif op == "truncate" and isinstance(value, list | str):
            parent[key] = value[: draw(st.integers(0, max(0, len(value) - 1)))]
        elif op == "sentinel":
            parent[key] = -9999.0
        elif op == "nest":
            parent[key] = [value] if draw(st.booleans()) else {"value": value}
    return tree, done


_DUPLICATE_FIELDS = (
    '"logprob": NaN',
    '"logprob": Infinity',
    '"logprob": 1e999',
    '"logprob": "-0.5"',
    '"token": 7',
    '"bytes": [300, -1]',
    '"bytes": "abc"',
    '"index": -1',
    '"index": 1',
    '"choices": null',
    '"top_logprobs": [[]]',
    '"content": {}',
    '"object": "chat.completion.chunk"',
)


@st.composite
def mutate_text(draw: st.DrawFn, text: bytes) -> tuple[bytes, list[str]]:
    """Text-level mutations: duplicated fields (the last one wins), cuts, invalid UTF-8 bytes."""
    done: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["duplicate-field", "cut", "bad-utf8", "splice", "crlf"]))
        done.append(op)
        if op == "duplicate-field":
            ends = [m.start() for m in re.finditer(rb"\}", text)]
            if ends:
                at = draw(st.sampled_from(ends))
                field = draw(st.sampled_from(_DUPLICATE_FIELDS)).encode()
                text = text[:at] + b", " + field + text[at:]
        elif op == "cut":
            text = text[: draw(st.integers(0, len(text)))]
        elif op == "bad-utf8":
            at = draw(st.integers(0, len(text)))
            junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf0\x9f", b"\x00"]))
            text = text[:at] + junk + text[at:]
        elif op == "splice":
            a, b = sorted(draw(st.tuples(st.integers(0, len(text)), st.integers(0, len(text)))))
            text = text[:b] + text[a:b] + text[b:]  # a duplicated stretch
        else:
            text = text.replace(b"\n", b"\r\n")
    return text, done


def to_wire(obj: Any, how: str) -> Any:
    """The same body as a dict, JSON text, JSON bytes, or (for a list of chunks) SSE text."""
    if how == "object":
        return obj
    if how == "sse" and isinstance(obj, list):
        return "".join(f"data: {json.dumps(c)}\n\n" for c in obj) + "data: [DONE]\n\n"
    text = json.dumps(obj)
    return text if how == "text" else text.encode("utf-8", errors="surrogatepass")
