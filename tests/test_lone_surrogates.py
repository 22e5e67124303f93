r"""A lone surrogate (`"\ud83d"`, valid JSON: half an emoji cut in two) parses and round-trips.

As `json.loads` and the SDK read it: never "not JSON", never pydantic's "surrogates not allowed".
"""

from __future__ import annotations

import json

import pytest

import tokenprobs as tp
from tokenprobs.testing import chat_completion

POSITIONS = [("\ud83d", -0.1, [("\ud83d", -0.1), ("\ude00", -2.5)]), ("!", -0.2, [("!", -0.2)])]


def _entry(token: str, logprob: float) -> dict[str, object]:
    return {"token": token, "logprob": logprob, "bytes": None}


def _content() -> list[dict[str, object]]:
    """The positions as Chat `logprobs.content` entries, with no `bytes` (no UTF-8 has them)."""
    return [
        {**_entry(token, lp), "top_logprobs": [_entry(t, a) for t, a in alts]}
        for token, lp, alts in POSITIONS
    ]


def _answer() -> dict[str, object]:
    text = "".join(token for token, _, _ in POSITIONS)
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{
            "index": 0, "finish_reason": "stop",
            "message": {"role": "assistant", "content": text},
            "logprobs": {"content": _content()},
        }],
    }  # fmt: skip


def _chunks() -> str:
    """The answer as an SSE stream, one position a chunk."""
    events = []
    for entry in _content():
        delta = {"role": "assistant", "content": entry["token"]}
        choice = {
            "index": 0,
            "delta": delta,
            "logprobs": {"content": [entry]},
            "finish_reason": None,
        }
        chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m"}
        events.append(json.dumps({**chunk, "choices": [choice]}))
    return "".join(f"data: {e}\n\n" for e in [*events, "[DONE]"])


def _escaped(obj: object) -> str:
    """`obj` as JSON text in ASCII escapes (what a server writes: UTF-8 cannot hold it)."""
    return json.dumps(obj)


@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
def test_a_raw_body_with_a_lone_surrogate_parses_as_its_decoded_object(as_bytes):
    """The raw body and `json.loads` of it give the same distribution."""
    body = _escaped(_answer())
    raw = body.encode() if as_bytes else body
    d = tp.parse(raw)
    assert d == tp.parse(json.loads(body))
    assert d.tokens == ["\ud83d", "!"]
    assert d.top_tokens[0] == ["\ud83d", "\ude00"]


def test_a_stream_with_a_lone_surrogate_parses():
    """SSE chunks with the escape: the same tokens as the whole answer."""
    d = tp.parse(_chunks())
    assert d.tokens == ["\ud83d", "!"]


def test_a_distribution_with_a_lone_surrogate_round_trips_through_its_json():
    """`model_dump_json` writes escapes UTF-8 can encode; `model_validate_json` reads them back."""
    d = tp.parse(_escaped(_answer()))
    text = d.model_dump_json()
    text.encode("utf-8")  # writable to a file
    assert tp.TokenDistribution.model_validate_json(text) == d
    assert tp.TokenDistribution.model_validate_json(text.encode()) == d
    assert tp.parse(text) == d  # tokenprobs' own JSON, read by parse
    assert json.loads(d.model_dump_json(indent=2)) == json.loads(text)


def test_other_distributions_keep_pydantics_own_json():
    """No surrogate: the bytes pydantic writes, and its errors for what is not JSON."""
    d = tp.parse(chat_completion([("Hi", -0.1, [("Hi", -0.1)])]))
    assert d.model_dump_json() == super(tp.TokenDistribution, d).model_dump_json()
    with pytest.raises(ValueError, match="Invalid JSON: EOF while parsing"):
        tp.TokenDistribution.model_validate_json('{"source":')
    with pytest.raises(ValueError, match="Invalid JSON"):
        tp.TokenDistribution.model_validate_json('{"source": "\\uZZZZ"}')


def test_a_malformed_escape_is_still_not_json():
    """A broken escape is refused with the reader's message, not read by the fallback."""
    with pytest.raises(tp.UnsupportedResponseError, match="not JSON"):
        tp.parse('{"object": "chat.completion", "x": "\\ud8"}')
