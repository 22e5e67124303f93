"""What every reliability test checks: the invariants of a `TokenDistribution`, and counters.

Imported as `tests.reliability._checks`; the conftest reports `COUNTS` at the end of the run.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from itertools import pairwise
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from tests._recorded import RECORDED

import tokenprobs as tp
from tokenprobs.models._identity import token_key

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["COUNTS", "RECORDED", "agree", "check_distribution", "outcome", "recorded_texts"]

T = TypeVar("T")

COUNTS: Counter[str] = Counter()
"""Generated inputs tried, per category (reported by the conftest's terminal summary)."""

_LEGACY_SOURCES = ("completions", "completions.stream", "logprobs.legacy", "chat.legacy")


def recorded_texts() -> dict[str, bytes]:
    """Every recorded fixture's bytes, by file name (SOURCES.md excluded)."""
    return {p.name: p.read_bytes() for p in sorted(RECORDED.iterdir()) if p.name != "SOURCES.md"}


def check_distribution(d: tp.TokenDistribution) -> None:  # noqa: PLR0915
    """Assert every documented invariant of a successfully parsed distribution."""
    assert isinstance(d, tp.TokenDistribution)
    n = len(d)
    assert n == len(d.tokens) == d.logprobs.shape[0] == d.top_logprobs.shape[0]
    assert d.logprobs.ndim == 1
    assert d.top_logprobs.ndim == 2
    assert len(d.token_bytes) == len(d.top_tokens) == len(d.top_bytes) == n
    assert all(isinstance(t, str) for t in d.tokens)
    assert all(isinstance(t, str) for row in d.top_tokens for t in row)
    for raw in d.token_bytes:
        assert raw is None or all(type(b) is int and 0 <= b <= 255 for b in raw)
    for row in d.top_bytes:
        for raw in row:
            assert raw is None or all(type(b) is int and 0 <= b <= 255 for b in raw)
    for i, row in enumerate(d.top_tokens):
        assert len(d.top_bytes[i]) == len(row)
        assert d.top_logprobs.shape[1] >= len(row)
        assert np.all(np.isneginf(d.top_logprobs[i, len(row) :]))
    # numbers: never NaN or +inf where the API gave a number
    assert not np.isnan(d.top_logprobs).any()
    assert not np.isposinf(d.top_logprobs).any()
    assert not np.isposinf(d.logprobs).any()
    if not d.source.startswith(_LEGACY_SOURCES) and "legacy" not in d.source:
        assert not np.isnan(d.logprobs).any(), "NaN logprob outside the legacy shape (null)"
    # text and spans
    assert isinstance(d.text, str)
    spans = d.char_spans()
    assert spans.shape == (n, 2)
    if n:
        assert (spans[:, 0] >= 0).all()
        assert (spans[:, 1] <= len(d.text)).all()
        assert (spans[:, 0] <= spans[:, 1]).all()
        assert (np.diff(spans[:, 0]) >= 0).all()
        assert (np.diff(spans[:, 1]) >= 0).all()
    # metrics
    given = ~np.isnan(d.logprobs)
    probs = d.probs
    assert probs.shape == (n,)
    assert np.array_equal(np.isnan(probs), ~given)
    assert ((probs[given] >= 0) & (probs[given] <= 1)).all()
    tail = d.tail_mass
    assert tail.shape == (n,)
    ok = ~np.isnan(tail)
    assert ((tail[ok] >= 0) & (tail[ok] <= 1)).all()
    entropy = d.entropy
    assert entropy.shape == (n,)
    has_alts = np.array([len(t) > 0 for t in d.top_tokens], dtype=bool)
    with np.errstate(invalid="ignore"):
        assert not (entropy < 0).any()
    assert np.isnan(entropy[~has_alts]).all()
    # NaN entropy only where there are no alternatives, no returned token has any mass (every
    # one the -9999.0 sentinel: renormalising nothing), or the sampled logprob itself is null
    massive = np.isfinite(d.support_logprobs).any(axis=-1) if n else np.zeros(0, dtype=bool)
    defined = has_alts & given & massive
    assert not np.isnan(entropy[defined]).any(), "NaN entropy at a position with mass"
    margin = d.margin
    assert margin.shape == (n,)
    m_ok = ~np.isnan(margin)
    assert ((margin[m_ok] >= 0) & (margin[m_ok] <= 1)).all()
    assert not np.isnan(tail[given]).any(), "NaN tail mass at a position with a logprob"
    assert isinstance(d.perplexity, float)
    if given.any():
        assert not math.isnan(d.perplexity)
    # positions built on access agree with the columns
    for i in range(min(n, 3)):
        pos = d[i]
        assert pos.token == d.tokens[i]
        assert len(pos.top_logprobs) == len(d.top_tokens[i])
    # the views never crash
    repr(d)
    str(d)
    # lossless JSON round trip
    dumped = d.model_dump_json()
    again = tp.TokenDistribution.model_validate_json(dumped)
    assert again == d, "JSON round trip changed the distribution"
    assert again.text == d.text


def _quiet(parse: Callable[[object], T], obj: object) -> T:
    """`parse(obj)`, allowing only the warnings that are due.

    They are: placeholder values, impossible values, logprobs for a fragment of the content,
    choices numbered alike, a stream's choice that comes twice (a mutation repeats a chunk or a
    choice), and legacy text offsets that place no token (a splice repeats a chunk's offsets).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", tp.TokenprobsWarning)
        out = parse(obj)
    dists = out if isinstance(out, list) else [out]
    for w in caught:
        assert issubclass(w.category, tp.TokenprobsWarning), w
        if "not the logprobs of a probability distribution" in str(w.message):
            assert any(_impossible(d) for d in dists), f"an impossible-values warning for {dists}"
            continue
        if "the alternatives are not the k most likely tokens" in str(w.message):
            assert any(_not_the_top(d) for d in dists), f"a not-the-top-k warning for {dists}"
            continue
        if "came twice in one chunk, finished twice" in str(w.message):  # a chunk repeated
            assert all(d.source.endswith("stream") for d in dists), f"not a stream: {dists}"
            continue
        if "numbered its choices wrongly" in str(w.message):
            assert len(dists) == len({d.choice for d in dists}), f"choices still equal: {dists}"
            continue
        if "so the offsets place no token in the text" in str(w.message):
            assert any(_misplaced(d) for d in dists), f"a misplaced-offsets warning for {dists}"
            continue
        if "they are for a fragment of the answer" in str(w.message):
            assert any(_fragment(d) for d in dists), f"a fragment warning for {dists}"
            continue
        assert "carry no probability information" in str(w.message), w
        assert any(_placeholder(d) for d in dists), f"a placeholder warning for {dists}"
    warned = sum("not the logprobs of a probability" in str(w.message) for w in caught)
    assert warned >= sum(map(_impossible, dists)), f"impossible values without a warning: {dists}"
    return out


def _not_the_top(d: tp.TokenDistribution) -> bool:
    """A sampled token outside its position's alternatives yet above the least likely one.

    Against the finite alternatives, by more than 1e-3, position by position in plain Python;
    "outside" by the identity rule: no alternative with its string and its `token_key` (the
    bytes, a null's derived from the string).
    """
    for t in range(len(d)):
        returned = [
            (tok, raw, v)
            for tok, raw, v in zip(
                d.top_tokens[t], d.top_bytes[t], d.top_logprobs[t].tolist(), strict=False
            )
            if v > -math.inf
        ]
        lp, own, own_raw = float(d.logprobs[t]), d.tokens[t], d.token_bytes[t]
        among = any(
            tok == own and token_key(tok, raw) == token_key(own, own_raw)
            for tok, raw, _ in returned
        )
        if returned and not among and lp > min(v for _, _, v in returned) + 1e-3:
            return True
    return False


def _impossible(d: tp.TokenDistribution) -> bool:
    """A logprob above 1e-3, or a position whose alternatives' probabilities sum above 1.001.

    An alternative returned twice (the same token with the same value) counts once.
    """
    masses = [
        sum(
            math.exp(v)
            for _, v in {(t, v) for t, v in zip(toks, row, strict=False) if v > -math.inf}
        )
        for toks, row in zip(d.top_tokens, d.top_logprobs.tolist(), strict=True)
    ]
    return any(v > 1e-3 for v in d.logprobs.tolist()) or any(m > 1.001 for m in masses)


def _placeholder(d: tp.TokenDistribution) -> bool:
    """Every logprob and every returned alternative's 0 or -inf (probability 1 or 0)."""
    values = d.logprobs.tolist() + [v for row in d.top_logprobs.tolist() for v in row]
    return all(v in (0.0, -math.inf) for v in values)


def _fragment(d: tp.TokenDistribution) -> bool:
    """The tokens, joined, are a shorter piece of the content, which has more than them."""
    joined = "".join(d.tokens)
    rest = d.content.replace(joined, "", 1)
    return bool(joined) and joined in d.content and bool(rest.strip())


def _misplaced(d: tp.TokenDistribution) -> bool:
    """Legacy offsets that go down, or reach past the text (or the tokens joined, if longer)."""
    offsets = d.text_offset or []
    if len(offsets) != len(d) or len(offsets) < 1:
        return False
    down = any(b < a for a, b in pairwise(offsets))
    reach = max(len(d.content or ""), len("".join(d.tokens)))
    return down or (d.content is not None and max(offsets) - offsets[0] > reach)


def outcome(obj: object, *, category: str) -> list[tp.TokenDistribution] | tp.TokenprobsError:
    """`parse_all(obj)` and `parse(obj)`: distributions whose invariants hold, or a typed error.

    Any other exception propagates (and fails the test). A typed error must say something.
    """
    COUNTS[category] += 1
    try:
        dists = _quiet(tp.parse_all, obj)
    except tp.TokenprobsError as exc:
        assert str(exc), "a typed error with an empty message"  # noqa: PT017 - a fuzz oracle inspects what it caught
        return exc
    for d in dists:
        check_distribution(d)
    assert len({d.choice for d in dists}) == len(dists), f"two distributions, one choice: {dists}"
    try:
        first = _quiet(tp.parse, obj)
    except tp.TokenprobsError as exc:
        # parse(choice=0) may fail where parse_all succeeds only when there is no choice 0
        assert all(d.choice != 0 for d in dists), f"parse failed where parse_all did not: {exc}"  # noqa: PT017 - a fuzz oracle inspects what it caught
    else:
        check_distribution(first)
    return dists


def agree(
    obj: object, reference: list[tp.TokenDistribution] | tp.TokenprobsError, *, category: str
) -> None:
    """`parse_all(obj)` gives what `reference` is (the same body in another form): differential."""
    COUNTS[category] += 1
    try:
        dists = _quiet(tp.parse_all, obj)
    except tp.TokenprobsError as exc:
        # a known limit: JSON text with a lone-surrogate escape ("\ud800") is refused whole, even
        # in a field tokenprobs ignores, while the same value in a dict is harmless
        surrogate = "hex escape" in str(exc) or "code point" in str(exc)
        assert surrogate or isinstance(reference, tp.TokenprobsError), (  # noqa: PT017 - a fuzz oracle inspects what it caught
            f"only this form fails: {exc}"
        )
        return
    assert not isinstance(reference, tp.TokenprobsError), f"only this form parses: {reference}"
    assert dists == reference
