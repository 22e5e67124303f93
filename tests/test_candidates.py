"""The candidate-set base: one rule for the sampled token, duplicates, cap and tail, and `align`."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tokenprobs as tp
from tokenprobs.models import align
from tokenprobs.models._identity import duplicate_alternatives, token_key
from tokenprobs.render._cells import alternative_rows
from tokenprobs.testing import chat_completion, completion

REPLACEMENT = "\ufffd"


def one(token, logprob, top, **entry_bytes):
    """A one-position chat distribution; `entry_bytes` overrides bytes (`sampled`, `alts`)."""
    body = chat_completion([(token, logprob, top)])
    entry = body["choices"][0]["logprobs"]["content"][0]
    if "sampled" in entry_bytes:
        entry["bytes"] = entry_bytes["sampled"]
    for j, raw in enumerate(entry_bytes.get("alts", ())):
        entry["top_logprobs"][j]["bytes"] = raw
    return tp.parse(body)


# (case, distribution, sampled column, in_top, keys in column order, cap)
CASES = [
    (
        "sampled among the alternatives",
        lambda: one("Yes", -0.2, [("Yes", -0.2), ("No", -1.8)]),
        0,
        True,
        [b"Yes", b"No"],
        -1.8,
    ),
    (
        "sampled outside the alternatives: its own last column",
        lambda: one("Maybe", -3.0, [("Yes", -0.2), ("No", -1.8)]),
        2,
        False,
        [b"Yes", b"No", b"Maybe"],
        -1.8,
    ),
    (
        "an alternative returned twice counts once",
        lambda: one("a", -0.5, [("a", -0.5), ("b", -1.0), ("b", -1.0)]),
        0,
        True,
        [b"a", b"b"],
        -1.0,
    ),
    (
        "same string, different bytes: distinct; the sampled one is matched by bytes",
        lambda: one(
            REPLACEMENT,
            -1.2,
            [(REPLACEMENT, -0.9), (REPLACEMENT, -1.2)],
            sampled=[0xF0, 0x9F],
            alts=[[0xE2, 0x80], [0xF0, 0x9F]],
        ),
        1,
        True,
        [b"\xe2\x80", b"\xf0\x9f"],
        -0.9,  # the sampled token is the least likely: it sets no cap (see the k+1 case)
    ),
    (
        "a bytes-null U+FFFD is the character itself: distinct from a split one's bytes",
        lambda: one(
            REPLACEMENT,
            -1.2,
            [(REPLACEMENT, -0.9), (REPLACEMENT, -1.2)],
            sampled=[0xE2],
            alts=[None, [0xE2]],
        ),
        1,
        True,
        [REPLACEMENT.encode(), b"\xe2"],
        -0.9,
    ),
    (
        "the sampled token appended beyond the top k (llama-cpp-python's k+1) sets no cap",
        lambda: one(" ancient", -4.17, [(" heart", -1.19), (" land", -2.49), (" ancient", -4.17)]),
        2,
        True,
        [b" heart", b" land", b" ancient"],
        -2.49,
    ),
    (
        "the sampled token alone, and alone at every position: maybe a top 0 it was added to",
        lambda: one("a", -0.3, [("a", -0.3)]),
        0,
        True,
        [b"a"],
        math.nan,
    ),
    (
        "the sampled token alone where another position shows a top-k: the server's top 1",
        lambda: tp.parse(chat_completion([("a", -0.3, [("a", -0.3)]), ("c", -2.0, [("b", -0.2)])])),
        0,
        True,
        [b"a"],
        -0.3,
    ),
    (
        "a bytes-null sampled U+FFFD matches no split character's bytes",
        lambda: one(
            REPLACEMENT,
            -0.5,
            [(REPLACEMENT, -0.9), (REPLACEMENT, -1.2)],
            sampled=None,
            alts=[[0xE2], [0xE3]],
        ),
        2,
        False,
        [b"\xe2", b"\xe3", REPLACEMENT.encode()],
        -1.2,
    ),
    (
        "bytes null on one side: the strings decide",
        lambda: one("hi", -0.1, [("hi", -0.1), ("ho", -2.5)], sampled=None),
        0,
        True,
        [b"hi", b"ho"],
        -2.5,
    ),
    (
        "the -9999 sentinel is no candidate and sets no cap",
        lambda: one("x", -0.01, [("x", -0.01), ("y", -9999.0)]),
        0,
        True,
        [b"x"],
        -0.01,
    ),
    (
        "an alternative below the sentinel is no candidate and sets no cap: the next one up does",
        lambda: one("x", -0.01, [("x", -0.01), ("y", -5.0), ("z", -1e308)]),
        0,
        True,
        [b"x", b"y"],
        -5.0,
    ),
    (
        "the sampled token the only alternative left once the sentinels go: it is the cap",
        lambda: one("x", -0.01, [("x", -0.01), ("y", -10000.0), ("z", -9999.0)]),
        0,
        True,
        [b"x"],
        -0.01,
    ),
    (
        "no alternatives: the sampled token alone, nothing bounds the rest",
        lambda: one("z", -0.7, []),
        0,
        False,
        [b"z"],
        math.nan,
    ),
]


@pytest.mark.parametrize(
    ("make", "column", "in_top", "keys", "cap"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_candidate_rules(make, column, in_top, keys, cap):
    """Each rule of the candidate set, one row per rule."""
    d = make()
    c = d.candidates
    assert int(c.sampled[0]) == column
    assert bool(c.in_top[0]) is in_top
    assert c.keys(0) == keys
    assert int(c.counts[0]) == len(keys)
    assert c.sampled_key(0) == c._column_keys(0)[column]
    assert c.sampled_key(0) == token_key(d.tokens[0], d.token_bytes[0])  # one rule for both
    if math.isnan(cap):
        assert math.isnan(c.cap[0])
    else:
        assert c.cap[0] == cap
    probs = np.exp(c.logprobs[0][np.isfinite(c.logprobs[0])])
    assert c.tail[0] == pytest.approx(max(0.0, 1 - probs.sum()), abs=1e-12)
    # the distribution's metrics read the same candidates
    assert d.support_logprobs is c.logprobs
    assert d.sampled_in_top[0] == in_top


def test_row_is_bytes_to_logprob_most_likely_first():
    """`row(i)`: the candidates by bytes, sorted by probability, raw (not renormalised)."""
    d = one("No", -1.8, [("Yes", -0.2), ("No", -1.8), ("Maybe", -2.0)])
    assert d.candidates.row(0) == {b"Yes": -0.2, b"No": -1.8, b"Maybe": -2.0}
    assert list(d.candidates.row(-1)) == [b"Yes", b"No", b"Maybe"]
    with pytest.raises(IndexError, match="position 1 out of range for 1 tokens"):
        d.candidates.row(1)


def test_one_rule_for_the_views():
    """The views mark exactly the candidate the base calls sampled (never a duplicate)."""
    d = one("b", -1.0, [("a", -0.5), ("b", -1.0), ("b", -1.0)])
    marked = [sampled for sampled, *_ in alternative_rows(d, 0)]
    assert marked == [False, True, False]


@pytest.mark.extras
def test_one_rule_for_export():
    """`to_pandas(long=True)` marks the same one row as sampled."""
    d = one("b", -1.0, [("a", -0.5), ("b", -1.0), ("b", -1.0)])
    long = d.to_pandas(long=True)
    assert long["sampled"].tolist() == [False, True, False]


def test_align_keys_by_bytes_and_leaves_the_unknown_unknown():
    """The union of the candidates' bytes; NaN where an input did not return a token."""
    a = one("Yes", -0.2, [("Yes", -0.2), ("No", -1.8)])
    b = one("Maybe", -1.5, [("No", -0.5)])
    (p,) = align(a.candidates, b.candidates)
    assert p.keys == (b"Yes", b"No", b"Maybe")
    np.testing.assert_array_equal(p.logprobs, [[-0.2, -1.8, np.nan], [np.nan, -0.5, -1.5]])
    assert p.sampled.tolist() == [0, 2]
    assert p.cap.tolist() == [-1.8, -0.5]
    np.testing.assert_allclose(p.tail, [a.tail_mass[0], b.tail_mass[0]])


def test_align_merges_spellings_of_the_same_bytes():
    r"""Two spellings of one token (`\xNN` text and real bytes) are one key; their mass adds."""
    d = one(
        "\\xe2\\x80",
        -1.0,
        [("\\xe2\\x80", -1.0), ("bytes:\\xe2\\x80", -2.0)],
        sampled=[0xE2, 0x80],
        alts=[[0xE2, 0x80], [0xE2, 0x80]],
    )
    (p,) = align(d.candidates)
    assert p.keys == (b"\xe2\x80",)
    assert p.logprobs[0, 0] == pytest.approx(np.logaddexp(-1.0, -2.0))


def test_align_refuses_what_cannot_be_aligned():
    """No input, or inputs of different lengths, is a ValueError that says so."""
    short = one("a", -0.1, [("a", -0.1)])
    two = tp.parse(chat_completion([("a", -0.1, [("a", -0.1)]), ("b", -0.2, [("b", -0.2)])]))
    with pytest.raises(ValueError, match="at least one"):
        align()
    with pytest.raises(ValueError, match=r"one length, got lengths \[1, 2\]"):
        align(short.candidates, two.candidates)


def test_align_names_a_distribution_given_for_its_candidates():
    """align(d1, d2) raised "'TokenDistribution' object has no attribute 'row'" from inside."""
    d = one("a", -0.1, [("a", -0.1)])
    with pytest.raises(
        TypeError, match=r"argument 1 is a TokenDistribution; pass its \.candidates"
    ):
        align(d.candidates, d)
    with pytest.raises(TypeError, match=r"argument 0 is a list; pass d\.candidates"):
        align([d.candidates])


def test_align_keeps_a_sampled_token_without_a_logprob():
    """An echoed prompt's first token (logprob null) is still a key, with no value."""
    body = {
        "object": "text_completion",
        "choices": [
            {
                "index": 0,
                "text": "ab",
                "logprobs": {
                    "tokens": ["a", "b"],
                    "token_logprobs": [None, -0.3],
                    "top_logprobs": [None, {"b": -0.3}],
                    "text_offset": [0, 1],
                },
            }
        ],
    }
    d = tp.parse(body)
    (first, second) = align(d.candidates, d.candidates)
    assert first.keys == (b"a",)
    assert np.isnan(first.logprobs).all()
    assert second.sampled.tolist() == [0, 0]


def test_tokens_follow_keys_where_a_row_is_narrower_than_the_widest():
    """A position with fewer alternatives than the widest, its sampled token outside them."""
    body = chat_completion([("a", -0.1, [("a", -0.1), ("b", -2.0)]), ("z", -3.0, [("y", -0.2)])])
    c = tp.parse(body).candidates
    assert c.keys(1) == [b"y", b"z"]
    assert c.tokens(1) == ["y", "z"]


def test_repr_is_short():
    """repr(d.candidates) printed every token list: 1.7 MB for 4,096 positions of top-20."""
    positions = [(f"w{i}", -0.1, [(f"w{i}", -0.1), (f"x{i}", -5.0)]) for i in range(4096)]
    text = repr(tp.parse(chat_completion(positions)).candidates)
    assert text.startswith("Candidates(logprobs=array(")
    assert "cap=array(" in text
    assert len(text) < 1000


def test_entropy_bounds_hold_for_a_sampled_token_appended_beyond_the_top_k():
    """llama-cpp-python appends the sampled token (k+1 entries): the bounds still hold.

    A distribution that fits what was returned puts the tail in pieces as likely as the least
    likely *other* alternative (a token not returned may be that likely); its entropy, computed
    here from first principles, must lie within the bounds (it fell below the lower bound while
    the appended token set the cap).
    """
    returned = [(" heart", -1.19), (" land", -2.49), (" ancient", -4.17)]
    d = one(" ancient", -4.17, returned)
    probs = [math.exp(v) for _, v in returned]
    piece, tail = math.exp(-2.49), 1.0 - sum(probs)
    pieces = [piece] * int(tail // piece) + [tail - piece * int(tail // piece)]
    truth = -sum(p * math.log(p) for p in probs + pieces if p > 0)
    eps = 1e-12  # the lower bound is attained by this very distribution: equal up to rounding
    for vocab_size in (len(probs) + len(pieces), 49152):
        lower, upper = d.entropy_bounds(vocab_size=vocab_size)[0]
        assert lower - eps <= truth <= upper + eps
    many = tp.labels.mean_token_entropy_bounds([d], vocab_size=49152)[0]
    assert many[0] - eps <= truth <= many[1] + eps


@pytest.mark.parametrize(
    "dropped",
    [
        pytest.param(-1e308, id="a huge negative"),
        pytest.param(-10000.0, id="below the sentinel"),
        pytest.param(-9999.0, id="the sentinel"),
    ],
)
def test_cap_is_the_least_likely_alternative_align_keeps(dropped):
    """The cap came from an alternative `align` drops (-1e308), while the candidates lacked it."""
    d = one("a", -0.5, [("a", -0.5), ("b", -2.0), ("c", dropped)])
    (p,) = align(d.candidates)
    assert p.keys == (b"a", b"b")
    assert p.cap.tolist() == [-2.0]  # the least likely of the kept, the sampled token aside
    lower, upper = d.entropy_bounds(vocab_size=1000)[0]  # refused a cap of -1e308 as no mass
    assert 0 < lower <= upper


def test_align_derives_each_string_once(monkeypatch):
    """Keys were worked out twice per alternative: 840,000 derivations for 10,000 x top-20."""
    from tokenprobs.models import _identity  # noqa: PLC0415 - the function counted

    positions = [
        (f"w{i % 7}", -1.0, [(f"w{(i + j) % 7}", -1.0 - j) for j in range(5)]) for i in range(50)
    ]
    body = chat_completion(positions)
    for entry in body["choices"][0]["logprobs"]["content"]:  # no bytes, as llama.cpp or TGI send
        entry["bytes"] = None
        for alt in entry["top_logprobs"]:
            alt["bytes"] = None
    a, b = tp.parse(body), tp.parse(body)
    cs = a.candidates, b.candidates
    calls = []
    derive = _identity.derive_bytes
    monkeypatch.setattr(_identity, "derive_bytes", lambda t: calls.append(t) or derive(t))
    rows = align(*cs)
    assert len(calls) <= 2 * 7  # once per distinct string and input (was 2 * 50 * 2 * 6)
    for i, p in enumerate(rows):  # what align gives is what row and sampled_key say
        for m, c in enumerate(cs):
            given = {k: v for k, v in zip(p.keys, p.logprobs[m], strict=True) if not np.isnan(v)}
            assert given == c.row(i)
            assert list(given) == list(c.row(i))
            assert p.keys[p.sampled[m]] == c.sampled_key(i)


def test_align_matches_row_for_merged_spellings_and_unknowns():
    """Merged spellings, the sentinel and a token one input lacks align as `row` reads them."""
    d = one(
        "\\xe2\\x80",
        -1.0,
        [("\\xe2\\x80", -1.0), ("bytes:\\xe2\\x80", -2.0), ("y", -9999.0), ("z", -1.5)],
        sampled=[0xE2, 0x80],
        alts=[[0xE2, 0x80], [0xE2, 0x80], None, None],
    )
    e = one("z", -0.3, [("z", -0.3)])
    merged = np.logaddexp(-1.0, -2.0)
    (p,), (q,) = align(d.candidates, e.candidates), align(e.candidates, d.candidates)
    assert p.keys == (b"\xe2\x80", b"z")
    np.testing.assert_array_equal(p.logprobs, [[merged, -1.5], [np.nan, -0.3]])
    assert p.sampled.tolist() == [0, 1]
    assert q.keys == (b"z", b"\xe2\x80")
    np.testing.assert_array_equal(q.logprobs, [[-0.3, np.nan], [-1.5, merged]])
    assert q.sampled.tolist() == [0, 1]


def test_a_top_0_with_the_sampled_token_added_bounds_nothing():
    """At `top_logprobs=0`, vLLM and llama-cpp-python list the sampled token alone everywhere.

    That entry is no top 1: where it was sampled at p = 0.1 while another token held 0.8, a cap
    of log 0.1 would claim no unseen token is above 0.1, and `compare` would exclude the truth
    (two outputs of one distribution, TV 0, bounded in [0.7, 0.9]).
    """
    alone = tp.parse(completion([("a", math.log(0.1), [("a", math.log(0.1))])]))
    full = tp.parse(
        completion([("a", math.log(0.1), [("b", math.log(0.8)), ("a", math.log(0.1))])])
    )
    assert math.isnan(alone.candidates.cap[0])
    tv = tp.compare(alone, full).tv[0]
    assert tv[0] <= 0.0 <= tv[1]  # the truth (one distribution twice) is inside


def test_two_spellings_merge_even_where_another_string_repeats():
    r"""`é` and `\xc3\xa9` are two entries of one key (their mass adds), a repeated `x` one entry.

    A row whose strings repeat was deduplicated by bytes alone, which dropped the second spelling
    (-1.0 instead of logaddexp(-1, -2)); a repeat is the same string with the same bytes.
    """
    alts = [
        ("é", -1.0, [195, 169]),
        ("\\xc3\\xa9", -2.0, None),
        ("x", -3.0, [120]),
        ("x", -3.0, [120]),
    ]
    body = chat_completion([("é", -1.0, [(t, lp) for t, lp, _ in alts])])
    entry = body["choices"][0]["logprobs"]["content"][0]
    for j, (_, _, raw) in enumerate(alts):
        entry["top_logprobs"][j]["bytes"] = raw
    d = tp.parse(body)
    assert d.candidates.row(0) == pytest.approx(
        {"é".encode(): np.logaddexp(-1.0, -2.0), b"x": -3.0}
    )
    tokens, raw = [t for t, _, _ in alts], [b for _, _, b in alts]
    mask = duplicate_alternatives([tokens], [raw], (1, 4))  # the row-by-row form of the rule
    assert mask.tolist() == [[False, False, False, True]]
