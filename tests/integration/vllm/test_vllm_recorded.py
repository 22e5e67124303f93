"""The responses recorded from vLLM CPU 0.32.0 parse offline (no server needed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import tokenprobs as tp

RECORDED = Path(__file__).parents[1] / "recorded"
MANIFEST = json.loads((RECORDED / "MANIFEST-vllm.json").read_text(encoding="utf-8"))
OK = sorted(n for n, e in MANIFEST.items() if e["status"] == 200 and e["request"] is not None)
ERRORS = sorted(n for n, e in MANIFEST.items() if e["status"] >= 400)


@pytest.mark.parametrize("name", OK)
def test_recorded_vllm_response_parses_with_bytes(name):
    """Every recorded vLLM body parses; chat gives `bytes`, so nothing is derived there."""
    d = tp.parse((RECORDED / name).read_bytes())
    assert len(d) > 0
    if "_chat_" in name:
        assert not np.any(d.bytes_derived)
    else:  # the legacy format has no bytes field at all
        assert np.all(d.bytes_derived)


@pytest.mark.parametrize("name", ERRORS)
def test_recorded_vllm_errors_are_api_errors(name):
    """The recorded 400 bodies are recognised as API errors, with the parameter and code."""
    with pytest.raises(tp.APIResponseError) as caught:
        tp.parse((RECORDED / name).read_bytes())
    assert caught.value.code == 400
    assert caught.value.type == "BadRequestError"
