"""The responses recorded from the real server: they parse offline, and the server still agrees.

`recorded/` was written by `record.py` from llama-cpp-python 0.3.36 serving the tiny model
(seed 0); `MANIFEST.json` holds each file's request and HTTP status.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import tokenprobs as tp

RECORDED = Path(__file__).with_name("recorded")
MANIFEST = json.loads((RECORDED / "MANIFEST.json").read_text(encoding="utf-8"))
TOLERANCE = 1e-5

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
    """Replaying the recorded request gives the same status, tokens and logprobs (within 1e-5)."""
    entry = MANIFEST[name]
    reply = server.post(entry["path"].removeprefix("/v1"), entry["request"])
    assert reply.status == entry["status"]
    if name in ERRORS or name in NULL:
        return
    live, recorded = tp.parse(reply.body), tp.parse(_read(name))
    if entry["request"].get("temperature", 0) == 0 or "seed" in entry["request"]:
        assert live.tokens == recorded.tokens
        assert live.top_tokens == recorded.top_tokens
        both = ~np.isnan(recorded.logprobs)
        np.testing.assert_allclose(
            live.logprobs[both], recorded.logprobs[both], rtol=0, atol=TOLERANCE
        )
        assert math.isclose(live.perplexity, recorded.perplexity, abs_tol=TOLERANCE)
