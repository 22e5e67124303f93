"""The capability table's "no chat prefill" for llama-cpp-python, measured on the real server.

The playground refuses to branch a chat answer on llama-cpp-python because its chat formatter
closes a trailing assistant message and opens a new assistant turn (read in its source:
`Jinja2ChatFormatter` renders with `add_generation_prompt=True`). Here the server says so itself:
the next-token distribution of a chat request ending with an assistant message is the one of the
raw prompt with a new turn opened, not the one of the message continued.

It runs on the server of the model without a BOS token: llama-cpp-python tokenises a chat prompt
without adding one (the template would have to), so only there do the chat and the raw prompt
hold the same tokens, and their logprobs can be compared exactly.
"""

from __future__ import annotations

import os

import numpy as np
import openai
import pytest
from tests._unavailable import unavailable
from tests.integration.conftest import MODEL, TOLERANCE
from tests.integration.tiny_gguf import CHAT_TEMPLATE

import tokenprobs as tp

pytestmark = pytest.mark.integration

MESSAGES = [{"role": "user", "content": "Hello there"}, {"role": "assistant", "content": "the cat"}]
FAR = 0.5
"""nats: a continued message's next-token logprobs are this far from a new turn's at least."""


@pytest.fixture
def client():
    """A client of the server without a BOS token (make integration starts it)."""
    url = os.environ.get("TOKENPROBS_LLAMA_CPP_NOBOS_URL")
    if not url:
        why = "TOKENPROBS_LLAMA_CPP_NOBOS_URL is not set: run `make integration`, which sets it"
        unavailable(why, ci="CI runs make integration, which sets it")
    with openai.OpenAI(base_url=url, api_key="sk-local", max_retries=0) as c:
        yield c


def _rendered(messages, *, add_generation_prompt):
    """The tiny model's chat template, rendered as the server renders it."""
    import jinja2  # noqa: PLC0415 - the template's own engine (a dependency of mkdocs)

    template = jinja2.Environment(autoescape=False).from_string(CHAT_TEMPLATE)  # noqa: S701
    return template.render(messages=messages, add_generation_prompt=add_generation_prompt)


def _next(client, **kwargs):
    """The first next-token distribution of one greedy token, as {token: logprob}."""
    if "messages" in kwargs:
        raw = client.chat.completions.create(model=MODEL, logprobs=True, top_logprobs=5, **kwargs)
    else:
        raw = client.completions.create(model=MODEL, logprobs=5, **kwargs)
    d = tp.parse(raw)
    return raw, d.tokens[0], dict(zip(d.top_tokens[0], d.top_logprobs[0].tolist(), strict=True))


def test_a_trailing_assistant_message_is_answered_with_a_new_turn_not_continued(client):
    """Chat with a final assistant message = raw prompt + a new `<|assistant|>` turn."""
    raw, token, chat = _next(client, messages=MESSAGES, max_tokens=1, temperature=0)
    assert tp.guards.server_kind(raw) == "llama-cpp-python"
    assert tp.guards.CAPABILITIES["llama-cpp-python"].chat_prefill.able is False
    new_turn = _rendered(MESSAGES, add_generation_prompt=True)
    prefill = _rendered(MESSAGES[:-1], add_generation_prompt=True) + MESSAGES[-1]["content"]
    _, turn_token, turn = _next(client, prompt=new_turn, max_tokens=1, temperature=0)
    _, prefill_token, continued = _next(client, prompt=prefill, max_tokens=1, temperature=0)
    assert token == turn_token != prefill_token
    assert set(chat) == set(turn) != set(continued)
    gap = max(abs(chat[t] - turn[t]) for t in chat)
    assert gap < TOLERANCE, f"the chat answer is not the new turn's ({gap:.2e} nats off)"
    shared = set(chat) & set(continued)
    assert not shared or np.max([abs(chat[t] - continued[t]) for t in shared]) > FAR
