"""Gemini's own API (`generateContent`): `candidates[i].logprobsResult`, whole or streamed.

The bodies are rebuilt from shapes seen in public recordings: a gemini-1.5-flash-002 answer with
`chosenCandidates` only (`logProbability: 0` written out, a `"  "` token), and Vertex AI answers
with `tokenId`s and `topCandidates`. The google-genai SDK's own objects are read in
`tests/frameworks/test_gemini.py`.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from tests._gemini_bodies import CHUNKS

import tokenprobs as tp


def token(text, logprob=None, ident=None):
    """A `LogprobsResult.Candidate`, with proto3 JSON's habit of leaving out a default."""
    out = {"token": text}
    if logprob is not None:
        out["logProbability"] = logprob
    if ident is not None:
        out["tokenId"] = ident
    return out


def candidate(chosen, top=None, *, text=None, finish="STOP", **extra):
    """A candidate whose text is its tokens' unless given."""
    result = {"chosenCandidates": chosen}
    if top is not None:
        result["topCandidates"] = [{"candidates": row} for row in top]
    body = {
        "content": {
            "parts": [{"text": "".join(c["token"] for c in chosen) if text is None else text}],
            "role": "model",
        },
        "logprobsResult": result,
        **extra,
    }
    if finish is not None:
        body["finishReason"] = finish
    return body


def response(*candidates, model="gemini-2.0-flash"):
    """A `generateContent` body."""
    return {"candidates": list(candidates), "modelVersion": model}


CHOSEN_ONLY = response(
    candidate(
        [
            token("I", -1.08e-05),
            token(" do", -0.000126),
            token(" not", 0),
            token(".", -3.6e-07),
            token("  ", -0.0639),
            token("To", -2.4e-07),
            token("\n", 0),
        ],
        avgLogprobs=-0.0092,
    ),
    model="gemini-1.5-flash-002",
)
WITH_TOP = response(
    candidate(
        [token("YES", -0.1, 42), token(" it", -0.05, 7)],
        [
            [token("YES", -0.1, 42), token("NO", -2.6, 43), token("MAYBE", -4.0, 44)],
            [token(" it", -0.05, 7), token(" is", -3.4, 9), token(".", -4.8, 13)],
        ],
    )
)


def test_chosen_candidates_parse_as_the_answer():
    """Tokens, values, text, model and finish reason; no alternatives, bytes derived."""
    d = tp.parse(CHOSEN_ONLY)
    chosen = CHOSEN_ONLY["candidates"][0]["logprobsResult"]["chosenCandidates"]
    assert d.source == "gemini"
    assert d.tokens == [c["token"] for c in chosen]
    assert d.logprobs.tolist() == [float(c["logProbability"]) for c in chosen]
    assert d.text == d.content == "I do not.  To\n"
    assert d.model == "gemini-1.5-flash-002"
    assert d.finish_reason == "stop"
    assert d.bytes_derived.all()
    assert d.top_tokens == [[] for _ in chosen]
    assert d.perplexity == pytest.approx(math.exp(-sum(c["logProbability"] for c in chosen) / 7))


def test_top_candidates_are_the_alternatives_with_their_ids():
    """`topCandidates` give the alternatives (sampled counted once) and `tokenId`s the ids."""
    d = tp.parse(WITH_TOP)
    assert d.top_tokens == [["YES", "NO", "MAYBE"], [" it", " is", "."]]
    assert d.token_ids.tolist() == [42, 7]
    assert d.top_token_ids.tolist() == [[42, 43, 44], [7, 9, 13]]
    assert d.alternatives(0) == pytest.approx(
        {"YES": math.exp(-0.1), "NO": math.exp(-2.6), "MAYBE": math.exp(-4.0)}
    )
    seen = math.exp(-0.1) + math.exp(-2.6) + math.exp(-4.0)
    assert d.tail_mass[0] == pytest.approx(1 - seen)
    assert bool(d.sampled_in_top.all())


def test_a_chosen_token_outside_the_top_candidates_is_counted_once():
    """Google: "the chosen candidates may or may not be in top_candidates". One outside counts."""
    body = response(
        candidate([token("b", -1.6)], [[token("a", -0.3), token("c", -1.5)]]),
    )
    d = tp.parse(body)
    assert not d.sampled_in_top[0]
    assert d.alternatives(0) == pytest.approx(
        {"a": math.exp(-0.3), "c": math.exp(-1.5), "b": math.exp(-1.6)}
    )


def test_the_json_text_the_sdk_dump_and_a_path_parse_alike(tmp_path):
    """A body as JSON text (str or bytes) or a file parses as the dict does."""
    expected = tp.parse(WITH_TOP)
    raw = json.dumps(WITH_TOP)
    assert tp.parse(raw) == expected
    assert tp.parse(raw.encode()) == expected
    path = tmp_path / "gemini.json"
    path.write_text(raw, encoding="utf-8")
    assert tp.parse(path) == expected


def test_snake_case_fields_as_the_sdk_dumps_them():
    """google-genai's `model_dump()`: `logprobs_result`, `chosen_candidates`, `log_probability`."""
    snake = {
        "candidates": [
            {
                "content": {"parts": [{"text": "YES it"}], "role": "model"},
                "finish_reason": "STOP",
                "logprobs_result": {
                    "chosen_candidates": [
                        {"token": "YES", "log_probability": -0.1, "token_id": 42},
                        {"token": " it", "log_probability": -0.05, "token_id": 7},
                    ],
                    "top_candidates": [
                        {"candidates": [{"token": "YES", "log_probability": -0.1, "token_id": 42}]},
                        {"candidates": [{"token": " it", "log_probability": -0.05, "token_id": 7}]},
                    ],
                },
                "index": None,
            }
        ],
        "model_version": "gemini-2.0-flash",
    }
    d = tp.parse(snake)
    assert d.tokens == ["YES", " it"]
    assert d.logprobs.tolist() == [-0.1, -0.05]
    assert d.token_ids.tolist() == [42, 7]
    assert d.model == "gemini-2.0-flash"


def test_values_proto3_leaves_out_are_their_defaults():
    """No `logProbability` is 0 (probability 1), no `index` is the candidate's position."""
    body = response(candidate([token("Hi"), token("!", -0.5)]))
    d = tp.parse(body)
    assert d.logprobs.tolist() == [0.0, -0.5]
    assert d.choice == 0


def test_several_candidates_are_choices():
    """`candidateCount > 1`: each candidate is a choice; `choice=` picks one by its index."""
    body = response(
        candidate([token("Yes", -0.2)]),
        candidate([token("No", -1.7)], index=1, finish="MAX_TOKENS"),
    )
    both = tp.parse_all(body)
    assert [d.choice for d in both] == [0, 1]
    assert [d.text for d in both] == ["Yes", "No"]
    assert [d.finish_reason for d in both] == ["stop", "length"]
    assert tp.parse(body, choice=1).text == "No"
    with pytest.raises(tp.UnsupportedResponseError, match="there is no candidate 2"):
        tp.parse(body, choice=2)


def test_a_finish_reason_without_an_openai_name_is_kept():
    """SAFETY, RECITATION ... are Gemini's own: kept as it says them."""
    d = tp.parse(response(candidate([token("x", -0.1)], finish="SAFETY")))
    assert d.finish_reason == "SAFETY"


def test_thought_parts_are_not_the_answers_content():
    """A thought summary (`thought: true`) is left out of `d.content`."""
    body = response(candidate([token("Yes", -0.2)]))
    body["candidates"][0]["content"]["parts"].insert(0, {"text": "Let me think.", "thought": True})
    d = tp.parse(body)
    assert d.content == "Yes"


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(lambda chunks: chunks, id="list"),
        pytest.param(json.dumps, id="json-array"),
        pytest.param(
            lambda chunks: "".join(f"data: {json.dumps(c)}\r\n\r\n" for c in chunks), id="sse"
        ),
        pytest.param(iter, id="iterator"),
    ],
)
def test_a_stream_joins_its_responses_tokens(form):
    """StreamGenerateContent (a JSON array, or `alt=sse`): each response has the next tokens."""
    d = tp.parse(form(CHUNKS))
    assert d.tokens == ["YES", " it"]
    assert d.text == d.content == "YES it"
    assert d.finish_reason == "stop"
    assert d.top_tokens == [["YES", "NO"], [" it", " is"]]
    assert d.token_ids.tolist() == [42, 7]
    assert d.model == "gemini-2.0-flash"


def test_no_logprobs_result_says_how_to_ask():
    """Gemini answers `avgLogprobs` alone unless asked: the error says what to set."""
    body = {
        "candidates": [
            {"content": {"parts": [{"text": "Hi"}]}, "finishReason": "STOP", "avgLogprobs": -0.34}
        ]
    }
    with pytest.raises(tp.MissingLogprobsError, match=r"no logprobsResult \(only avgLogprobs") as e:
        tp.parse(body)
    assert "response_logprobs=True" in str(e.value)
    assert '"responseLogprobs": true' in str(e.value)
    assert e.value.not_requested


def test_a_blocked_prompt_says_so():
    """No candidate and `promptFeedback.blockReason`: the prompt was blocked."""
    with pytest.raises(tp.MissingLogprobsError, match=r"prompt was blocked \(SAFETY\)") as e:
        tp.parse({"promptFeedback": {"blockReason": "SAFETY"}, "modelVersion": "m"})
    assert not e.value.not_requested


def test_the_api_error_is_an_api_response_error():
    """Gemini's 400 for a model without logprobs is its error body: `APIResponseError`."""
    body = {
        "error": {
            "code": 400,
            "message": "Logprobs is not enabled for models/gemini-2.5-pro",
            "status": "INVALID_ARGUMENT",
        }
    }
    with pytest.raises(tp.APIResponseError, match="Logprobs is not enabled"):
        tp.parse(body)


@pytest.mark.parametrize(
    ("mutate", "field", "says"),
    [
        pytest.param(
            lambda b: b["candidates"][0]["logprobsResult"]["chosenCandidates"][1].update(
                logProbability="-0.05"
            ),
            "candidates[0].logprobsResult.chosenCandidates[1].logProbability",
            "a log-probability",
            id="logprob-str",
        ),
        pytest.param(
            lambda b: b["candidates"][0]["logprobsResult"]["chosenCandidates"][0].update(
                logProbability=float("nan")
            ),
            "candidates[0].logprobsResult.chosenCandidates[0].logProbability",
            "a log-probability",
            id="logprob-nan",
        ),
        pytest.param(
            lambda b: b["candidates"][0]["logprobsResult"]["topCandidates"][1]["candidates"][
                0
            ].update(token=5),
            "candidates[0].logprobsResult.topCandidates[1].candidates[0].token",
            "the token's text",
            id="top-token-int",
        ),
        pytest.param(
            lambda b: b["candidates"][0]["logprobsResult"]["topCandidates"].pop(),
            "candidates[0].logprobsResult.topCandidates",
            "1 topCandidates for 2 chosenCandidates",
            id="top-short",
        ),
        pytest.param(
            lambda b: b["candidates"][0]["logprobsResult"].update(chosenCandidates="YES"),
            "candidates[0].logprobsResult.chosenCandidates",
            "expected a list",
            id="chosen-str",
        ),
        pytest.param(
            lambda b: b["candidates"][0]["logprobsResult"]["chosenCandidates"].__setitem__(0, None),
            "candidates[0].logprobsResult.chosenCandidates[0]",
            "a token object",
            id="chosen-null",
        ),
        pytest.param(
            lambda b: b["candidates"][0]["content"]["parts"][0].update(text=3),
            "candidates[0].content.parts[0].text",
            "the part's text",
            id="text-int",
        ),
        pytest.param(
            lambda b: b["candidates"][0].update(index="0"),
            "candidates[0].index",
            "a candidate index",
            id="index-str",
        ),
        pytest.param(
            lambda b: b["candidates"][0]["logprobsResult"]["chosenCandidates"][0].update(
                tokenId=-4
            ),
            "candidates[0].logprobsResult[0].id",
            "a token id",
            id="id-negative",
        ),
        pytest.param(
            lambda b: b["candidates"].append(dict(b["candidates"][0], index=0)),
            "candidates[1].index",
            "two candidates have index 0",
            id="index-twice",
        ),
    ],
)
def test_malformed_fields_are_named(mutate, field, says):
    """Each malformed field is an `UnsupportedResponseError` naming it, nothing from deep inside."""
    body = json.loads(json.dumps(WITH_TOP))
    mutate(body)
    with pytest.raises(tp.UnsupportedResponseError, match=says) as e:
        tp.parse(body)
    assert e.value.field == field


def test_metrics_read_the_values_as_any_distribution():
    """Entropy bounds and margins come from the same candidates as every other shape's."""
    d = tp.parse(WITH_TOP)
    chat = tp.parse(
        tp.testing.chat_completion(
            [
                ("YES", -0.1, [("YES", -0.1), ("NO", -2.6), ("MAYBE", -4.0)]),
                (" it", -0.05, [(" it", -0.05), (" is", -3.4), (".", -4.8)]),
            ]
        )
    )
    np.testing.assert_array_equal(d.tail_mass, chat.tail_mass)
    np.testing.assert_array_equal(d.margin, chat.margin)
    np.testing.assert_array_equal(d.entropy, chat.entropy)
    bounds = d.entropy_bounds(vocab_size=256_000)
    np.testing.assert_array_equal(bounds, chat.entropy_bounds(vocab_size=256_000))
