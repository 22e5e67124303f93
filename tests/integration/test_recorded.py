"""The responses recorded from the real server: they parse offline, and the server still agrees.

`recorded/` was written by `record.py` from llama-cpp-python 0.3.36 serving the tiny model
(seed 0); `MANIFEST.json` holds each file's request and HTTP status.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.integration._float32 import CROSS_MACHINE_ATOL, assert_same_answer

import tokenprobs as tp
from tokenprobs.testing import chat_completion

RECORDED = Path(__file__).with_name("recorded")
MANIFEST = json.loads((RECORDED / "MANIFEST.json").read_text(encoding="utf-8"))

OK = sorted(
    name
    for name, entry in MANIFEST.items()
    if entry["status"] == 200
    and entry["request"] is not None
    and "logprobs_ignored" not in name
    and "no_top_logprobs_null" not in name
)
NULL = sorted(n for n in MANIFEST if "logprobs_ignored" in n or "no_top_logprobs_null" in n)
ERRORS = sorted(n for n, e in MANIFEST.items() if e["status"] >= 400)


def _read(name: str) -> bytes:
    return (RECORDED / name).read_bytes()


@pytest.mark.parametrize("name", OK)
def test_recorded_response_parses(name):
    """Every recorded 200 with logprobs parses, with finite logprobs where the API gave one."""
    d = tp.parse(_read(name))
    assert len(d) > 0
    assert d.source.startswith(("chat", "completions"))
    assert np.all(d.bytes_derived), "llama-cpp-python never sends bytes"
    given = d.logprobs[~np.isnan(d.logprobs)]
    assert np.all(np.isfinite(given))
    assert np.all(given <= 0)
    assert np.all(d.sampled_in_top | np.array([i in d.top_null for i in range(len(d))]))


@pytest.mark.parametrize("name", NULL)
def test_recorded_null_logprobs_raise_missing(name):
    """The recorded `logprobs: null` answers raise `MissingLogprobsError`."""
    with pytest.raises(tp.MissingLogprobsError):
        tp.parse(_read(name))


@pytest.mark.parametrize("name", ERRORS)
def test_recorded_errors_are_api_errors(name):
    """The recorded HTTP 500 validation errors are recognised as API error bodies."""
    with pytest.raises(tp.APIResponseError) as caught:
        tp.parse(_read(name))
    assert caught.value.type == "internal_server_error"


@pytest.mark.integration
@pytest.mark.parametrize("name", [*OK, *NULL, *ERRORS])
def test_live_server_still_answers_as_recorded(server, name):
    """Replaying the recorded request gives the same status, tokens and logprobs.

    The logprobs agree within float32 noise between CPUs (`_float32.CROSS_MACHINE_ATOL`): the
    recording came from another machine.
    """
    entry = MANIFEST[name]
    reply = server.post(entry["path"].removeprefix("/v1"), entry["request"])
    assert reply.status == entry["status"]
    if name in ERRORS or name in NULL:
        return
    live, recorded = tp.parse(reply.body), tp.parse(_read(name))
    if entry["request"].get("temperature", 0) == 0 or "seed" in entry["request"]:
        assert assert_same_answer(live, recorded) > 0


def _answer(*positions):
    return tp.parse(chat_completion(list(positions)))


DRIFT = 3.9e-5
"""The drift seen between two machines of the same kind (-2.1335957 live vs -2.1335571)."""


@pytest.mark.parametrize(
    ("live", "agrees"),
    [
        pytest.param(
            _answer(("a", -0.5 + DRIFT, [("a", -0.5 + DRIFT), ("b", -1.5)])), True, id="cpu-drift"
        ),
        pytest.param(
            _answer(("a", -0.5 + 10 * CROSS_MACHINE_ATOL, [("a", -0.5), ("b", -1.5)])),
            False,
            id="sampled-logprob-off",
        ),
        pytest.param(_answer(("a", -0.5, [("a", -0.5), ("b", -1.4)])), False, id="alternative-off"),
        pytest.param(
            _answer(("b", -1.5, [("b", -1.5), ("a", -0.5)])), False, id="other-token-not-tied"
        ),
        pytest.param(
            _answer(("a", -0.5, [("a", -0.5), ("c", -0.9)])), False, id="other-alternative"
        ),
        pytest.param(
            _answer(("a", -0.5, [("a", -0.5), ("c", -1.5002)])), True, id="tied-at-the-cut-off"
        ),
        pytest.param(
            _answer(("a", -0.5, [("a", -0.5), ("b", -1.5)]), ("x", -0.1, [])), False, id="longer"
        ),
    ],
)
def test_cross_machine_comparison_can_fail(live, agrees):
    """The recorded-vs-live check passes on CPU drift and fails on anything larger or different."""
    recorded = _answer(("a", -0.5, [("a", -0.5), ("b", -1.5)]))
    if agrees:
        assert assert_same_answer(live, recorded) == 1
    else:
        with pytest.raises(AssertionError):
            assert_same_answer(live, recorded)


def test_cross_machine_comparison_stops_at_a_tie():
    """A greedy choice between tied candidates may flip on another CPU; the rest then differs."""
    tied = [("a", -0.69315), ("b", -0.69320)]
    recorded = _answer(("a", -0.69315, tied), ("x", -0.1, []))
    live = _answer(("b", -0.69318, [("b", -0.69318), ("a", -0.69316)]), ("y", -0.2, []))
    assert assert_same_answer(live, recorded) == 0
