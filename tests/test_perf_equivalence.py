"""The vectorised candidate set gives, bit for bit, what the row-by-row rule gave.

`reference_*` below are the rule as it was written before it was vectorised (one position at a
time, byte lists built one by one): the fast `identify` and everything read from it
(`candidates`, `support_logprobs`, `entropy`, `margin`, `tail_mass`) must agree with them on the
recorded responses, the bundled examples, hand-picked hard cases and generated bodies, through
the ordinary parse and through the raw-JSON fast path (bodies over 64 KiB), with its msgspec
accelerator (`adapters._fast_typed`) and without it (the regex split alone), and from the SDK's
objects (validated, and built as its client builds them, unvalidated), whose rows are
`NamedRows` that work out once whether every byte list is what its string spells.
"""

from __future__ import annotations

import json
from contextlib import contextmanager, nullcontext, suppress
from typing import TYPE_CHECKING, Any

import numpy as np
import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.types.chat import ChatCompletion
from tests._recorded import parsed_recordings
from tests.reliability.strategies import positions

import tokenprobs as tp
from tokenprobs import metrics, testing
from tokenprobs.adapters import _fast_typed
from tokenprobs.models._bytes import derive_bytes
from tokenprobs.models._identity import KeyedByteRows, NamedRows, identify

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from numpy.typing import NDArray

FAST_MIN = 1 << 16
# placeholder-only bodies (all 0 / -9999, no alternatives) warn; the values are compared anyway
pytestmark = pytest.mark.filterwarnings("ignore::tokenprobs.exceptions.TokenprobsWarning")


def reference_key(token: str, raw: list[int] | None) -> bytes:
    """The rule's token identity: its bytes, derived from the string when the API gave none."""
    return derive_bytes(token) if raw is None else bytes(raw)


def reference_sampled_index(
    tokens: list[str],
    token_bytes: list[list[int] | None],
    top_tokens: list[list[str]],
    top_bytes: Sequence[list[list[int] | None]],
) -> NDArray[np.intp]:
    """The sampled token's index among the alternatives (first match), -1 when absent.

    A match has the sampled token's string and key: a null's bytes are its string's, so it does
    not match given bytes that differ from them (a U+FFFD of a split character).
    """
    out = np.full(len(tokens), -1, dtype=np.intp)
    for i, (tok, tb, alts) in enumerate(zip(tokens, token_bytes, top_tokens, strict=True)):
        if tok in alts:
            for j, (t, b) in enumerate(zip(alts, top_bytes[i], strict=True)):
                if t == tok and reference_key(t, b) == reference_key(tok, tb):
                    out[i] = j
                    break
    return out


def reference_duplicates(
    top_tokens: list[list[str]],
    top_bytes: Sequence[list[list[int] | None]],
    shape: tuple[int, ...],
) -> NDArray[np.bool_]:
    """True for an alternative repeating an earlier one: its string and its bytes.

    Two strings of one byte string are no repeat (one key, their mass added), whether or not
    another string of the row repeats.
    """
    dup = np.zeros(shape, dtype=bool)
    for i, alts in enumerate(top_tokens):
        seen: set[tuple[str, bytes]] = set()
        for j, (t, b) in enumerate(zip(alts, top_bytes[i], strict=True)):
            key = (t, reference_key(t, b))
            if key in seen:
                dup[i, j] = True
            seen.add(key)
    return dup


def same(a: NDArray[Any], b: NDArray[Any]) -> bool:
    """Equal shape, dtype kind and values, NaN equal to NaN (bit for bit for floats)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "f":
        return bool(np.array_equal(a.view(np.uint64), b.view(np.uint64)))
    return bool(np.array_equal(a, b))


def check(d: tp.TokenDistribution) -> None:
    """Every quantity read from the candidate set equals the reference rule's."""
    rows = [list(r) for r in d.top_bytes]
    shape = d.top_logprobs.shape
    index = reference_sampled_index(d.tokens, d.token_bytes, d.top_tokens, rows)
    dup = reference_duplicates(d.top_tokens, rows, shape)
    fast_index, fast_dup = identify(d.tokens, d.token_bytes, d.top_tokens, d.top_bytes, shape)
    assert same(fast_index, index)
    assert same(fast_dup, dup)
    in_top = index >= 0
    support = metrics.support(d.logprobs, np.where(dup, -np.inf, d.top_logprobs), in_top=in_top)
    width = shape[1] if len(shape) == 2 else 0
    assert same(d.candidates.logprobs, support)
    assert same(d.support_logprobs, support)
    assert same(d.sampled_in_top, in_top)
    assert same(d.candidates.sampled, np.where(in_top, index, width))
    s = metrics.summary(support)
    has = np.array([len(t) > 0 for t in d.top_tokens], dtype=bool)
    assert same(d.entropy, np.where(has, s.entropy, np.nan))
    two_alternatives = np.isfinite(support[:, :-1]).sum(axis=1) >= 2
    assert same(d.margin, np.where(two_alternatives, s.margin, np.nan))
    assert same(d.tail_mass, s.tail_mass)


def check_raw(
    body: dict[str, Any], *, separators: tuple[str, str] | None = None, lazy: bool = True
) -> None:
    """The body parsed from bytes (fast path when large) and as a dict: both equal the rule.

    `lazy`: a large body must have taken the fast path (false where a byte value 196 or 197
    may send it the ordinary way, to check for GPT-2 symbols).
    """
    raw = json.dumps(body, separators=separators).encode()
    fast, ordinary = tp.parse(raw), tp.parse(body)
    with accelerator_off():
        split = tp.parse(raw)
    if lazy and len(raw) >= FAST_MIN:
        assert isinstance(fast.top_bytes, KeyedByteRows)  # the lazy rows were taken
        assert isinstance(split.top_bytes, KeyedByteRows)
        assert accelerated(fast)
    assert not accelerated(split)
    for d in (fast, split, *sdk_parses(body)):
        assert d == ordinary
        assert [list(r) for r in d.top_bytes] == [list(r) for r in ordinary.top_bytes]
        assert d.top_bytes == ordinary.top_bytes
        check(d)
    check(ordinary)
    spelled = all(
        b == list(derive_bytes(t))
        for ts, bs in zip(ordinary.top_tokens, ordinary.top_bytes, strict=True)
        for t, b in zip(ts, bs, strict=True)
    )
    for d in (ordinary, *sdk_parses(body)):
        assert isinstance(d.top_bytes, NamedRows)
        assert d.top_bytes.spelled() == spelled


def sdk_parses(body: dict[str, Any]) -> list[tp.TokenDistribution]:
    """`body` parsed from the SDK's objects: validated (when the SDK accepts it) and constructed.

    `ChatCompletion.construct` builds the nested objects without validating them, as the SDK's
    client does with a response.
    """
    out = [tp.parse(ChatCompletion.construct(**json.loads(json.dumps(body))))]
    with suppress(pydantic.ValidationError):
        out.append(tp.parse(ChatCompletion.model_validate(body)))
    return out


@contextmanager
def accelerator_off() -> Iterator[None]:
    """Parse as without msgspec installed: the regex split alone."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_fast_typed, "DECODE", None)
        yield


def accelerated(d: tp.TokenDistribution) -> bool:
    """Whether msgspec decoded the body (its token entries are structs, not dicts)."""
    choices = d.response.get("choices") if isinstance(d.response, dict) else None
    content = ((choices or [{}])[0].get("logprobs") or {}).get("content") or [{}]
    return not isinstance(content[0], dict)


def enlarged(content: list[dict[str, Any]]) -> dict[str, Any]:
    """A chat body whose token entries repeat `content` until the JSON is over 64 KiB."""
    body = testing.chat_completion([])
    size = max(1, len(json.dumps(content)))
    body["choices"] = [
        {
            "index": 0,
            "message": {"role": "assistant", "content": ""},
            "logprobs": {"content": content * (FAST_MIN // size + 1)},
            "finish_reason": "length",
        }
    ]
    return body


def alt(token: str, raw: list[int] | None, lp: float = -1.0) -> dict[str, Any]:
    """One token entry with exactly the given bytes (`None`: `bytes: null`)."""
    return {"token": token, "logprob": lp, "bytes": raw}


def pos(sampled: dict[str, Any], *alts: dict[str, Any]) -> dict[str, Any]:
    """A position: the sampled entry and its alternatives."""
    return {**sampled, "top_logprobs": list(alts)}


def entries_of(d: tp.TokenDistribution) -> list[dict[str, Any]]:
    """`d`'s positions as the API's token entries (`-9999.0` for a null logprob)."""
    body = json.loads(d.model_dump_json())
    return [
        pos(alt(t, b, lp), *(alt(a, ab, al) for a, ab, al in zip(ts, bs, lps, strict=False)))
        for t, b, lp, ts, bs, lps in zip(
            body["tokens"],
            body["token_bytes"],
            [-9999.0 if x is None else x for x in body["logprobs"]],
            body["top_tokens"],
            body["top_bytes"],
            body["top_logprobs"],
            strict=True,
        )
    ]


FFFD = [239, 191, 189]
HARD: list[pytest.ParameterSet] = [
    pytest.param(
        [pos(alt("\ufffd", [226]), alt("\ufffd", [240], -0.5), alt("\ufffd", [226], -0.7))],
        id="same-string-different-bytes",
    ),
    pytest.param(
        [pos(alt("\\xe2\\x80", None), alt("\\xe2\\x80", [226, 128]), alt("\ufffd", [226, 128]))],
        id="escaped-partial-utf8",
    ),
    pytest.param(
        [pos(alt("a", [97]), alt("a", None), alt("a", [97], -2.0), alt("b", [97], -3.0))],
        id="null-bytes-and-a-string-that-lies",
    ),
    pytest.param(
        [pos(alt("", []), alt("", []), alt("", None, -2.0), alt("x", [120], -3.0))],
        id="empty-tokens",
    ),
    pytest.param(
        [pos(alt("A", None), alt("\\x41", None), alt("A", [65], -2.0), alt("bytes:\\x41", None))],
        id="hex-spellings-of-one-byte",
    ),
    pytest.param(
        [pos(alt("\ufffd", FFFD), alt("\ufffd", [226, 128]), alt("\ufffd", FFFD, -2.0))],
        id="replacement-character-twice",
    ),
    pytest.param(
        [pos(alt("a", [97], -0.1), alt("b", [98], -0.5), alt("c", [99], -1.5))],
        id="sampled-not-among-alternatives",
    ),
    pytest.param([pos(alt("a", [97], -0.1))], id="no-alternatives"),
    pytest.param(
        [pos(alt("a", [97]), alt("a", [98]), alt("a", [97], -2.0))],
        id="sampled-bytes-match-a-later-copy",
    ),
    pytest.param(
        [pos(alt("a", [97]), alt("a", [98], -9999.0), alt("b", [98], -1.0), alt("a", [98]))],
        id="sentinel-duplicate",
    ),
]


@pytest.mark.parametrize("content", HARD)
def test_hard_cases_match_the_rule(content: list[dict[str, Any]]) -> None:
    """Strings that cannot settle identity: small bodies, and the same enlarged (fast path)."""
    small = enlarged([])
    small["choices"][0]["logprobs"]["content"] = content
    check_raw(small)
    check_raw(enlarged(content))
    check_raw(enlarged(content), separators=(",", ":"))


PARSED = parsed_recordings()


def test_most_recordings_are_compared() -> None:
    """8 of the 14 recordings parse (the rest are error bodies and fragments): all are compared."""
    assert len(PARSED) >= 8


@pytest.mark.parametrize("name", sorted(PARSED))
def test_recorded_responses_match_the_rule(name: str) -> None:
    """Every recorded response that parses gives the rule's candidate sets."""
    for d in PARSED[name]:
        check(d)


@pytest.mark.parametrize("name", tp.examples.names())
def test_bundled_examples_match_the_rule(name: str) -> None:
    """The bundled examples, parsed from their bytes and enlarged past the fast-path size."""
    d = tp.examples.load(name)
    check(d)
    if entries := entries_of(d):
        check_raw(enlarged(entries))


_POOL = ["a", " a", "", "\ufffd", "\\xe2\\x80", "bytes:\\xe2\\x80", "A", "\\x41", "é", "한"]
_BYTES = st.one_of(
    st.none(),
    st.sampled_from([[], [97], [32, 97], [65], [226, 128], FFFD, [195, 169], [226]]),
    st.lists(st.integers(0, 255).filter(lambda b: b not in {196, 197}), max_size=4),
)


@st.composite
def _entry(draw: st.DrawFn) -> dict[str, Any]:
    token = draw(st.sampled_from(_POOL))
    raw = derive_bytes(token) if draw(st.booleans()) else draw(_BYTES)
    lp = draw(st.one_of(st.floats(-30.0, 0.0), st.just(-9999.0)))
    return alt(token, None if raw is None else list(raw), lp)


@st.composite
def _position(draw: st.DrawFn) -> dict[str, Any]:
    sampled = draw(_entry())
    alts = draw(st.lists(_entry(), max_size=6))
    if alts and draw(st.booleans()):
        alts.insert(draw(st.integers(0, len(alts))), dict(sampled))
    return pos(sampled, *alts)


@given(st.lists(_position(), min_size=1, max_size=6))
def test_generated_colliding_tokens_match_the_rule(content: list[dict[str, Any]]) -> None:
    """Few strings, many byte spellings, nulls: small bodies and fast-path bodies."""
    small = enlarged([])
    small["choices"][0]["logprobs"]["content"] = content
    check_raw(small)
    check_raw(enlarged(content), separators=(",", ":"))


@given(positions(max_size=6))
def test_fuzz_positions_match_the_rule(drawn: list[testing.Position]) -> None:
    """The reliability suite's hostile tokens (partial UTF-8, U+FFFD, NUL, empty) agree too."""
    body = testing.chat_completion(drawn)
    check_raw(body, lazy=False)
    content = body["choices"][0]["logprobs"]["content"]
    if content:
        check_raw(enlarged(content), lazy=False)


@pytest.mark.parametrize(
    ("bad_row", "raises"),
    [
        pytest.param(0, True, id="in-a-row-the-rule-reads"),
        pytest.param(1, False, id="in-a-row-the-rule-never-reads"),
    ],
)
def test_a_bad_byte_list_fails_where_the_rule_reads_it(bad_row: int, raises: bool) -> None:  # noqa: FBT001
    """A lazy alternative's invalid byte list raises exactly when the row-by-row rule touches it."""
    rows = [
        pos(alt("a", [97]), alt("a", [97], -0.5), alt("b", [98], -1.0)),  # the rule reads this row
        pos(alt("a", [97]), alt("b", [98], -0.5), alt("c", [99], -1.0)),  # ... not this one
    ]
    rows[bad_row]["top_logprobs"][1]["bytes"] = [300]
    body = enlarged([])
    body["choices"][0]["logprobs"]["content"] = (
        rows + enlarged(rows[1:])["choices"][0]["logprobs"]["content"]
    )
    d = tp.parse(json.dumps(body).encode())
    assert isinstance(d.top_bytes, KeyedByteRows)
    if raises:
        with pytest.raises(tp.UnsupportedResponseError, match=r"top_logprobs\[0\]\.bytes"):
            reference_sampled_index(d.tokens, d.token_bytes, d.top_tokens, d.top_bytes)
        with pytest.raises(tp.UnsupportedResponseError, match=r"top_logprobs\[0\]\.bytes"):
            _ = d.entropy
    else:
        index = reference_sampled_index(d.tokens, d.token_bytes, d.top_tokens, d.top_bytes)
        assert same(d.candidates.sampled, np.where(index >= 0, index, d.top_logprobs.shape[1]))
        assert np.isfinite(d.entropy).all()


def _corrupt(where: str, value: object) -> dict[str, Any]:
    """An enlarged body (over 64 KiB) with one field of its first position set to `value`."""
    body = json.loads(json.dumps(enlarged([pos(alt("a", [97]), alt("b", [98], -1.0))])))
    first = body["choices"][0]["logprobs"]["content"][0]
    target = first["top_logprobs"][0] if where.startswith("alt.") else first
    key = where.removeprefix("alt.")
    if value is _DROP:
        del target[key]
    else:
        target[key] = value
    return body


_DROP = object()
MALFORMED = [
    ("token", 7),
    ("token", _DROP),
    ("logprob", "x"),
    ("logprob", True),
    ("logprob", 1e999),
    ("logprob", -1e999),
    ("logprob", 0),
    ("bytes", [300]),
    ("bytes", [True]),
    ("bytes", [1.0]),
    ("bytes", [97, 1e2]),
    ("logprob", 10**30),
    ("logprob", -(10**400)),
    ("token", "\ud800"),
    ("alt.token", "a\x00"),
    ("bytes", "ab"),
    ("bytes", 3),
    ("bytes", _DROP),
    ("id", 5),
    ("top_logprobs", None),
    ("top_logprobs", "x"),
    ("alt.token", None),
    ("alt.logprob", None),
    ("alt.bytes", [300]),
    ("alt.bytes", [1.5]),
    ("alt.bytes", [[1]]),
    ("alt.bytes", [-1]),
    ("alt.bytes", None),
    ("alt.bytes", 0),
    ("alt.bytes", {"a": 1}),
    ("alt.bytes", _DROP),
    ("alt.id", 3),
    ("alt.extra", 1),
]


def _outcome(response: object) -> tuple[str, str] | tp.TokenDistribution:
    """`response` parsed and its metrics read, or its typed error's class name and message."""
    try:
        d = tp.parse(response)
        _ = d.entropy, d.margin, list(d.top_bytes)
    except tp.TokenprobsError as exc:
        return type(exc).__name__, str(exc)
    return d


@pytest.mark.parametrize(("where", "value"), MALFORMED, ids=lambda v: repr(v)[:20])
def test_odd_large_bodies_give_the_same_result_with_and_without_the_accelerator(
    where: str, value: object
) -> None:
    """Malformed or unusual fields: the same distribution or the same typed error either way."""
    raw = json.dumps(_corrupt(where, value)).encode()
    assert len(raw) >= FAST_MIN
    with_it = _outcome(raw)
    with accelerator_off():
        without = _outcome(raw)
    assert with_it == without
    assert isinstance(with_it, tuple) or without.top_bytes == with_it.top_bytes


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda b: {**b, "object": "chat.completion.chunk"}, id="another-object"),
        pytest.param(lambda b: {**b, "prompt_logprobs": None}, id="an-unknown-top-key"),
        pytest.param(lambda b: {**b, "choices": "x"}, id="choices-not-a-list"),
        pytest.param(lambda b: {**b, "choices": []}, id="no-choices"),
        pytest.param(
            lambda b: {**b, "choices": [{**b["choices"][0], "logprobs": None}]}, id="null-logprobs"
        ),
        pytest.param(
            lambda b: {**b, "choices": [b["choices"][0], {**b["choices"][0], "index": 1}]},
            id="two-choices",
        ),
    ],
)
def test_other_shapes_give_the_same_result_with_and_without_the_accelerator(
    edit: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    """Shapes the accelerator declines or reads: the same outcome as the regex split's."""
    body = edit(enlarged([pos(alt("a", [97]), alt("a", [97], -0.5), alt("b", [98], -1.0))]))
    raw = json.dumps(body).encode()
    results = []
    for off in (False, True):
        with accelerator_off() if off else nullcontext():
            try:
                results.append(tp.parse_all(raw))
            except tp.TokenprobsError as exc:
                results.append([type(exc).__name__, str(exc)])  # type: ignore[list-item]
    assert results[0] == results[1]


@pytest.mark.parametrize("large", [False, True], ids=["small-body", "large-body"])
def test_an_integer_logprob_too_large_for_a_float_is_named(large: bool) -> None:  # noqa: FBT001
    """`-1e400` written as an integer: the typed error naming it, on every path (no Overflow)."""
    body = json.loads(json.dumps(enlarged([pos(alt("a", [97]), alt("b", [98], -1.0))])))
    content = body["choices"][0]["logprobs"]["content"]
    if not large:
        del content[1:]
    content[0]["logprob"] = -(10**400)
    raw = json.dumps(body).encode()
    for off in (False, True):
        with (
            accelerator_off() if off else nullcontext(),
            pytest.raises(tp.UnsupportedResponseError, match=r"content\[0\]\.logprob"),
        ):
            tp.parse(raw)


def test_spelled_rows_travel_and_slice_as_plain_lists() -> None:
    """What the rows learnt does not travel: a pickle or a slice holds plain lists, equal."""
    import pickle  # noqa: PLC0415 - this test only

    d = tp.parse(testing.chat_completion([("a", -0.1, [("a", -0.1), ("b", -2.0), ("a", -3.0)])]))
    assert isinstance(d.top_bytes, NamedRows)
    assert d.top_bytes.spelled()
    back = pickle.loads(pickle.dumps(d))  # noqa: S301 - our own bytes
    assert type(back.top_bytes) is list
    assert back == d
    assert same(back.entropy, d.entropy)
    assert same(back.candidates.logprobs, d.candidates.logprobs)
    assert type(d[0:1].top_bytes) is list
    check(back)


@pytest.mark.parametrize(("where", "value"), MALFORMED, ids=lambda v: repr(v)[:20])
def test_the_sdk_clients_unvalidated_objects_are_checked(
    api: Any, openai_client: Any, where: str, value: object
) -> None:
    """What `create()` returns is built without validation: a malformed value reaches the parse.

    The SDK's client (`_strict_response_validation=False`, its default) builds the response
    with `construct_type`, which keeps a value of the wrong type as it is and only coerces a
    few (`true` to `1.0` as a float, `1.0` to `1` in a list of ints), so `tp.parse(sdk_obj)`
    checks every value itself: the same result as the same values in dicts, and, where the
    SDK kept the JSON's value, the raw path's typed error or distribution. (A lone surrogate
    is refused only as JSON text: docs/reliability.md, Known limits.)
    """
    raw = json.dumps(_corrupt(where, value)).encode()
    api.post("/chat/completions").respond(
        200, content=raw, headers={"content-type": "application/json"}
    )
    response = openai_client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], logprobs=True
    )
    got = _outcome(response)
    as_dicts = _outcome(response.to_dict(warnings=False))
    assert got[0] == as_dicts[0] if isinstance(got, tuple) else got == as_dicts
    first = response.choices[0].logprobs.content[0]
    target = first.top_logprobs[0] if where.startswith("alt.") else first
    kept = getattr(target, where.removeprefix("alt."), _DROP)
    if value is _DROP or (kept is not _DROP and json.dumps(kept) == json.dumps(value)):
        expected = _outcome(raw)
        if isinstance(expected, tuple) and "JSON" not in expected[1]:
            assert isinstance(got, tuple), f"{where}={value!r} parsed from the SDK's object"
            assert got[0] == expected[0]
        elif not isinstance(expected, tuple):
            assert got == expected
            assert isinstance(got, tp.TokenDistribution)
            assert got.top_bytes == expected.top_bytes
    else:  # the SDK coerced the value into a valid one, or left the field out
        assert isinstance(got, tp.TokenDistribution) or kept is _DROP
