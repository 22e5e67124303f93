"""`proxy.CompletionsDrafter`: what it sends a completions server, through the real SDK (respx)."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from tokenprobs import proxy
from tokenprobs.testing import completion, vllm_token_ids

LOCAL = "http://127.0.0.1:8000/v1"
VOCAB = {"Hello": 7, " world": 8, "!": 9}


@pytest.fixture
def local():
    """A respx router for a local vLLM-like server."""
    with respx.mock(base_url=LOCAL, assert_all_called=True) as router:
        yield router


@pytest.fixture
def client(local, make_client):
    """A real `openai.OpenAI` client of the local server."""
    c = make_client(local, base_url=LOCAL)
    yield c
    c.close()


def _draft_body():
    """The answer of vLLM with `return_tokens_as_token_ids`: two tokens, two alternatives each.

    As vLLM does, the alternatives hold the sampled token (greedy: the most likely).
    """
    body = completion(
        [
            (" world", -0.1, [(" world", -0.1), ("!", -2.5)]),
            ("!", -0.2, [("!", -0.2), (" world", -1.9)]),
        ]
    )
    return vllm_token_ids(body, VOCAB)


def test_token_id_prefix_is_sent_as_ids_and_the_drafts_ids_come_back(local, client):
    """token_ids=True: `prompt` is the id list itself (no re-tokenising at the seam)."""
    route = local.post("/completions").respond(200, json=_draft_body())
    drafter = proxy.CompletionsDrafter(
        client, "base", top_logprobs=2, extra_body={"return_tokens_as_token_ids": True}
    )
    d = drafter.draft([7, 8], 2)
    sent = json.loads(route.calls.last.request.content)
    assert sent["prompt"] == [7, 8]
    assert sent["max_tokens"] == 2
    assert sent["logprobs"] == 2
    assert sent["temperature"] == 0.0
    assert sent["return_tokens_as_token_ids"] is True
    assert d.token_ids.tolist() == [8, 9]
    assert d.top_token_ids.tolist() == [[8, 9], [9, 8]]


def test_text_prefix_needs_the_vocabulary_and_is_sent_as_its_bytes(local, client):
    """token_ids=False: the prefix goes as the text of its ids' bytes, refused without them."""
    bare = proxy.CompletionsDrafter(client, "base", token_ids=False)
    with pytest.raises(ValueError, match="needs vocab="):
        bare.draft([7, 8], 1)
    route = local.post("/completions").mock(
        return_value=httpx.Response(200, json=completion([("!", -0.2, [])]))
    )
    vocab = (b"",) * 7 + (b"Hello", b" world", b"!")
    drafter = proxy.CompletionsDrafter(client, "base", token_ids=False, vocab=vocab)
    d = drafter.draft([7, 8], 1)
    assert json.loads(route.calls.last.request.content)["prompt"] == "Hello world"
    assert d.tokens == ["!"]


def test_token_ids_must_be_a_bool(client):
    """`token_ids="no"` was truthy: ids went to a server that takes text only."""
    with pytest.raises(TypeError, match=r"`token_ids` must be True or False .* got a str"):
        proxy.CompletionsDrafter(client, "base", token_ids="no")
