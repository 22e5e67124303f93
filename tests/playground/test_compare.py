"""Branches compared through `tp.compare`: divergence intervals where two answers share text."""

import math

import numpy as np
import pytest
from tests.playground.test_prefill import CHAT, events, mocked, page_of

import tokenprobs as tp

pytestmark = pytest.mark.extras

ln = math.log
# every alternative returned, and they sum to 1: the top-k hides nothing, so tp.compare's
# intervals close on the true divergences, which are known by hand
A = [
    ("Yes", ln(0.7), [("Yes", ln(0.7)), ("No", ln(0.3))]),
    (" ok", ln(0.5), [(" ok", ln(0.5)), (" no", ln(0.5))]),
    ("!", ln(0.8), [("!", ln(0.8)), (".", ln(0.2))]),
]
B = [
    ("Yes", ln(0.6), [("Yes", ln(0.6)), ("No", ln(0.4))]),
    (" ok", ln(0.9), [(" ok", ln(0.9)), (" fine", ln(0.1))]),
    (".", ln(0.7), [(".", ln(0.7)), ("!", ln(0.3))]),
]
TRUE_TV = [0.5 * (0.1 + 0.1), 0.5 * (0.4 + 0.5 + 0.1)]
"""TV at the two shared positions: half the summed |p - q| over the union of tokens."""


def saved(page):
    """The session's distributions, by branch id."""
    session = tp.playground.Session.loads(page.get("/api/session").text)
    return {i: b.distribution for i, b in session.branches.items()}


def test_two_runs_of_one_prompt_are_compared_by_tp_compare():
    """Shared positions carry tp.compare's [lo, hi]; here exact, and equal to the true TV."""
    with mocked(answers=(A, B)) as server:
        page, _ = page_of(server, "llama-server")
        with page:
            a = events(page, "/api/run", CHAT)[0]["id"]
            b = events(page, "/api/run", {**CHAT, "temperature": 1.0})[0]["id"]
            cmp = page.get(f"/api/compare?a={a}&b={b}").json()
            d = saved(page)
    assert cmp["diverge"] == 2
    assert cmp["common_prefix"] == cmp["compared"] == 2
    assert cmp["copied"] == 0
    assert cmp["note"] is None
    expected = tp.compare(d[a][:2], d[b][:2])
    rows = {r["i"]: r for r in cmp["rows"]}
    for i in range(2):
        for name in ("tv", "js"):
            assert rows[i][name] == pytest.approx(getattr(expected, name)[i].tolist(), abs=1e-12)
        lo, hi = rows[i]["tv"]
        assert lo == pytest.approx(TRUE_TV[i], abs=1e-9)
        assert hi == pytest.approx(TRUE_TV[i], abs=1e-9)
        kl_lo, kl_hi = rows[i]["kl"]
        assert kl_lo == pytest.approx(float(expected.kl[i, 0]), abs=1e-12)
        assert kl_hi is None or kl_hi == pytest.approx(float(expected.kl[i, 1]))
    assert rows[1]["kl"][1] is None  # " no" is not among B's: KL(A‖B) has no finite upper end
    assert "tv" not in rows[2]  # past the first differing token: other contexts, no divergence
    assert not rows[2]["same"]


def test_a_branch_and_its_parent_share_copied_positions():
    """Positions before the fork are the parent's own: marked copied, with honest intervals."""
    top_k = [(t, lp, alts[:1]) for t, lp, alts in A]  # one alternative: the tail is unseen
    with mocked(answers=(top_k, B[2:])) as server:
        page, _ = page_of(server, "llama-server")
        with page:
            parent = events(page, "/api/run", {**CHAT, "top_logprobs": 1})[0]["id"]
            body = {"parent": parent, "position": 1, "alternative": 0}
            child = events(page, "/api/branch", body)[0]["id"]
            cmp = page.get(f"/api/compare?a={parent}&b={child}").json()
            d = saved(page)
    assert d[child].tokens[:2] == d[parent].tokens[:2]  # forced the sampled token itself
    # position 0 is the parent's, copied; position 1 the parent's distribution, token forced
    assert cmp["copied"] == cmp["compared"] == cmp["diverge"] == 2
    rows = {r["i"]: r for r in cmp["rows"]}
    assert rows[0]["copied"]
    assert rows[1]["copied"]
    assert not rows[2]["copied"]
    expected = tp.compare(d[parent][: cmp["compared"]], d[child][: cmp["compared"]])
    lo, hi = rows[0]["tv"]
    assert [lo, hi] == pytest.approx(expected.tv[0].tolist())
    assert lo == 0
    assert hi > 0  # the same distribution, but top-1 alone cannot prove it: the range says so
    assert np.isclose(hi, 1 - 0.7)


def test_answers_to_different_prompts_get_no_divergence():
    """Same tokens after different prompts are not one context: the page says so."""
    with mocked(answers=(A, A)) as server:
        page, _ = page_of(server, "llama-server")
        with page:
            a = events(page, "/api/run", CHAT)[0]["id"]
            other = [{"role": "user", "content": "Bye"}]
            b = events(page, "/api/run", {**CHAT, "messages": other})[0]["id"]
            cmp = page.get(f"/api/compare?a={a}&b={b}").json()
    assert cmp["diverge"] is None
    assert cmp["compared"] == 0
    assert "different prompts" in cmp["note"]
    assert all("tv" not in r for r in cmp["rows"])
