"""Differential: random JSON documents cut at random byte boundaries read back exactly."""

from __future__ import annotations

import itertools
import json

from hypothesis import given
from hypothesis import strategies as st

import tokenprobs as tp
from tokenprobs import fields
from tokenprobs.testing import chat_completion

TEXT = st.text(
    alphabet=st.sampled_from(["a", "Z", " ", '"', "\\", "/", "\n", "\x01", "é", "한", "💙", "😀"]),
    max_size=6,
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
DOCS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
).filter(lambda doc: isinstance(doc, dict | list))


def dump(obj, ascii_, ws, path=(), *, out=None, spans=None):
    """`obj` as JSON bytes, recording each leaf's path and byte span as it is written."""
    out = bytearray() if out is None else out
    spans = [] if spans is None else spans
    sep = b" " * ws
    if isinstance(obj, dict) and obj:
        out += b"{" + sep
        for n, (k, v) in enumerate(obj.items()):
            if n:
                out += b"," + sep
            out += json.dumps(k, ensure_ascii=ascii_).encode() + sep + b":" + sep
            dump(v, ascii_, ws, (*path, k), out=out, spans=spans)
        out += sep + b"}"
    elif isinstance(obj, list) and obj:
        out += b"[" + sep
        for n, v in enumerate(obj):
            if n:
                out += b"," + sep
            dump(v, ascii_, ws, (*path, n), out=out, spans=spans)
        out += sep + b"]"
    else:
        start = len(out)
        out += json.dumps(obj, ensure_ascii=ascii_).encode()
        spans.append((path, start, len(out), obj))
    return bytes(out), spans


@given(
    doc=DOCS,
    ascii_=st.booleans(),
    ws=st.integers(0, 2),
    cuts=st.lists(st.integers(1, 400), max_size=40),
    prose=st.booleans(),
)
def test_random_documents_at_random_token_boundaries(doc, ascii_, ws, cuts, prose):
    """Every leaf's byte span, value and token positions equal the document's, for any cut."""
    body, spans = dump(doc, ascii_, ws)
    head = b"Here you go:\n```json\n" if prose else b""
    raw = head + body + (b"\n```" if prose else b"")
    points = sorted({c for c in cuts if c < len(raw)} | {0, len(raw)})
    pieces = [raw[a:b] for a, b in itertools.pairwise(points)]
    d = tp.parse(chat_completion([(p, -0.5, []) for p in pieces]))
    fc = fields.confidence(d)
    got = [(f.path, *f.byte_span) for f in fc]
    assert got == [(path, a + len(head), b + len(head)) for path, a, b, _ in spans]
    for f, (_, a, b, value) in zip(fc, spans, strict=True):
        assert f.value == json.loads(body[a:b]) == value
        assert type(f.value) is type(value)
        lo, hi = a + len(head), b + len(head)
        expect = [n for n, (x, y) in enumerate(itertools.pairwise(points)) if x < hi and y > lo]
        assert list(f.positions) == expect
        assert f.logprob == -0.5 * len(expect)
        ca, cb = f.char_span
        assert d.content[ca:cb] == raw[lo:hi].decode()


ALTERNATIVES = st.lists(
    st.tuples(
        st.binary(min_size=0, max_size=4) | st.sampled_from([b'"', b'",', b" true", b"\xf0\x9f"]),
        st.floats(-30, -2.5),  # at most 4 x 8 %: with the sampled token, a sub-distribution
    ),
    max_size=4,
)


@given(
    doc=DOCS,
    cuts=st.lists(st.integers(1, 200), max_size=20),
    alts=st.lists(ALTERNATIVES, min_size=1, max_size=8),
    lps=st.lists(st.sampled_from([-0.7, -9999.0, -2.0]), min_size=1, max_size=8),
)
def test_every_decision_is_a_sub_distribution(doc, cuts, alts, lps):
    """Random alternatives (partial UTF-8, empty, sentinel): every decision's masses add to <= 1."""
    raw, _ = dump(doc, False, 0)  # noqa: FBT003 - positional like the other calls
    points = sorted({c for c in cuts if c < len(raw)} | {0, len(raw)})
    pieces = [raw[a:b] for a, b in itertools.pairwise(points)]
    sampled = [-0.7 if n == 0 else lps[n % len(lps)] for n in range(len(pieces))]  # one real
    # a top-k holds the sampled token unless it is less likely than all it returns: put it in
    positions = [
        (p, lp, [(p, lp), *alts[n % len(alts)]] if lp > -9999.0 else alts[n % len(alts)])
        for n, (p, lp) in enumerate(zip(pieces, sampled, strict=True))
    ]
    d = tp.parse(chat_completion(positions))
    for f in fields.confidence(d):
        assert f.logprob <= 0.0
        assert 0.0 <= f.min_prob <= 1.0
        dec = f.decision
        if dec is None:
            assert f.forced
            continue
        total = sum(dec.options.values()) + dec.other + dec.undecided + dec.tail
        assert total <= 1.0 + 1e-9
        if dec.labels is not None:
            assert dec.labels.mass <= 1.0 + 1e-9
            for lo, hi in dec.labels.bounds.values():
                assert 0.0 <= lo <= hi <= 1.0
