"""DSPy: an LM's history and outputs, and a Predict's Prediction, on chat and Responses."""

from __future__ import annotations

import dspy
import pytest
from tests.frameworks._bodies import CHAT, NO_LOGPROBS, RESPONSES, without_logprobs

import tokenprobs as tp


def lm(server, **kwargs):
    """A real `dspy.LM` pointed at the loopback server (no cache, no retries)."""
    return dspy.LM(
        "openai/gpt-4o-mini",
        api_base=server.base_url,
        api_key="sk-test",
        cache=False,
        num_retries=0,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("model_type", "case"),
    [pytest.param("chat", c.values[0], id=f"chat-{c.id}") for c in CHAT]
    + [pytest.param("responses", c.values[0], id=f"responses-{c.id}") for c in RESPONSES],
)
def test_history_entry_parses_as_the_body(server, model_type, case):
    """`lm.history[-1]` keeps the provider's body: it parses as the body the server sent."""
    server.reply(case.body)
    model = lm(server, logprobs=True, top_logprobs=2, model_type=model_type)
    outputs = model("hi")
    assert server.requests[0].path.endswith(
        "/chat/completions" if model_type == "chat" else "/responses"
    )
    expected = tp.parse(case.body)
    assert tp.parse(model.history[-1]) == expected
    assert tp.parse(model.history[-1]["response"]) == expected
    d = tp.parse(outputs)  # the outputs keep the logprobs alone: no model, no finish reason
    assert d.source == "dspy"
    assert (d.tokens, d.token_bytes, d.logprobs.tolist(), d.top_tokens) == (
        expected.tokens,
        expected.token_bytes,
        expected.logprobs.tolist(),
        expected.top_tokens,
    )
    assert d.content == expected.content
    assert tp.parse(outputs[0]) == d


ANSWER = tp.testing.chat_completion(
    [
        ("[[ ## answer ## ]]\n", -0.01, []),
        ("yes", -0.2, [("yes", -0.2), ("no", -1.8)]),
        ("\n\n[[ ## completed ## ]]", -0.05, []),
    ]
)
"""An answer in the format of DSPy's ChatAdapter, with logprobs."""


def test_prediction_keeps_the_logprobs(server):
    """A Predict run on an LM with logprobs: `Prediction.logprobs` parses as the completion's."""
    body = ANSWER
    server.reply(body)
    with dspy.context(lm=lm(server, logprobs=True, top_logprobs=2)):
        prediction = dspy.Predict("question -> answer")(question="Is it?")
    assert prediction.answer == "yes"
    d = tp.parse(prediction)
    expected = tp.parse(body)
    assert (d.tokens, d.logprobs.tolist(), d.top_tokens) == (
        expected.tokens,
        expected.logprobs.tolist(),
        expected.top_tokens,
    )


def test_no_logprobs_names_the_lm_option(server):
    """Asked without logprobs: history and Prediction name `dspy.LM(..., logprobs=True)`."""
    server.reply(NO_LOGPROBS)
    model = lm(server)
    outputs = model("hi")
    with pytest.raises(tp.MissingLogprobsError, match=r"DSPy's LM history.*logprobs=True") as e:
        tp.parse(model.history[-1])
    assert e.value.not_requested
    assert isinstance(outputs[0], str)  # plain text: nothing says it came from DSPy
    server.reply(without_logprobs(ANSWER))
    with dspy.context(lm=model):
        prediction = dspy.Predict("question -> answer")(question="Is it?")
    with pytest.raises(
        tp.MissingLogprobsError, match=r"DSPy Prediction.*dspy\.LM\(model, logprobs"
    ):
        tp.parse(prediction)


async def test_streamed_predict_keeps_them_in_prediction_and_history(server):
    """`dspy.streamify`: the final Prediction and the LM's history hold every chunk's logprobs."""
    stream = tp.testing.sse(
        tp.testing.chat_chunks(
            [
                ("[[ ## answer ## ]]\n", -0.01, []),
                ("yes", -0.2, [("yes", -0.2), ("no", -1.8)]),
                ("\n\n[[ ## completed ## ]]", -0.05, []),
            ]
        )
    )
    expected = tp.parse(stream)
    server.reply(stream)
    model = lm(server, logprobs=True, top_logprobs=2)
    program = dspy.streamify(
        dspy.Predict("question -> answer"),
        stream_listeners=[dspy.streaming.StreamListener(signature_field_name="answer")],
    )
    with dspy.context(lm=model):
        items = [item async for item in program(question="Is it?")]
    assert server.requests[0].body["stream"] is True
    prediction = items[-1]
    assert prediction.answer == "yes"
    for d in (tp.parse(prediction), tp.parse(model.history[-1])):
        assert (d.tokens, d.token_bytes, d.logprobs.tolist(), d.top_tokens) == (
            expected.tokens,
            expected.token_bytes,
            expected.logprobs.tolist(),
            expected.top_tokens,
        )
    d = tp.parse(model.history[-1])
    assert (d.source, d.finish_reason, d.content) == ("chat.stream", "stop", expected.content)


def test_a_history_entry_without_response_says_so(server):
    """A history entry whose `response` is None: its outputs' logprobs, else an error saying so.

    Was: 'cannot parse a NoneType: expected a response ...', nothing about DSPy or the entry.
    """
    server.reply(CHAT[0].values[0].body)
    model = lm(server, logprobs=True, top_logprobs=2)
    outputs = model("hi")
    entry = dict(model.history[-1], response=None)
    assert tp.parse(entry) == tp.parse(outputs)  # the outputs keep the logprobs alone
    for empty in ([], ["Hello"], None):
        with pytest.raises(tp.UnsupportedResponseError, match="response is None") as e:
            tp.parse(dict(entry, outputs=empty))
        assert e.value.field == "response"
        assert "the LM returned no response" in str(e.value)


def test_a_prediction_whose_answer_came_without_logprobs_says_so(server):
    """Asked with logprobs, answered without: DSPy's Prediction holds `{"content": []}`.

    Was: an empty distribution, silently, for a Prediction that holds an answer.
    """
    server.reply(without_logprobs(ANSWER))
    with dspy.context(lm=lm(server, logprobs=True, top_logprobs=2)):
        prediction = dspy.Predict("question -> answer")(question="Is it?")
    assert prediction.answer == "yes"
    with pytest.raises(tp.MissingLogprobsError, match="holds an answer") as e:
        tp.parse(prediction)
    assert "answer came without its logprobs" in str(e.value)
    assert not e.value.not_requested


@pytest.mark.parametrize("model_type", ["chat", "responses"])
def test_a_history_entry_of_several_generations_reads_each(server, model_type):
    """`lm(..., n=2)`: DSPy asks twice and keeps both responses, a tuple, in the one entry.

    Was: 'not a response shape tokenprobs knows', the entry not even seen as DSPy's.
    """
    yes, no = [("yes", -0.2, [("yes", -0.2), ("no", -1.8)])], [("no", -1.8, [("no", -1.8)])]
    build = tp.testing.chat_completion if model_type == "chat" else tp.testing.response
    bodies = [build(yes), build(no)]
    for body in bodies:
        server.reply(body)
    model = lm(server, logprobs=True, top_logprobs=2, model_type=model_type)
    model("hi", n=2)
    entry = model.history[-1]
    assert isinstance(entry["response"], tuple)
    assert len(entry["response"]) == len(server.requests) == 2
    expected = [tp.parse(b).model_copy(update={"choice": i}) for i, b in enumerate(bodies)]
    assert tp.parse_all(entry) == expected
    assert tp.parse_all(entry["response"]) == expected
    assert tp.parse(entry, choice=1) == expected[1]
    with pytest.raises(tp.UnsupportedResponseError, match="no choice 2") as e:
        tp.parse(entry, choice=2)
    assert e.value.field == "choices"
    with pytest.raises(tp.UnsupportedResponseError, match="empty list") as e:
        tp.parse(dict(entry, response=()))
    assert e.value.field == "response"
