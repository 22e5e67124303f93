"""tokenprobs' own errors never quote the API key, even when a server echoes it.

A gateway or proxy may put the key it was sent in its error message; the SDK's own errors pass
through unchanged (documented), but the errors tokenprobs builds from such a message (an error
body answered with 200, an error event in a stream, a stream broken by the SDK's `APIError`, a
saved error body given to `tp.parse`) show `***` in its place.
"""

from __future__ import annotations

import json

import pytest
from tests._client_helpers import MODEL

import tokenprobs as tp
from tokenprobs.exceptions import APIResponseError, StreamInterruptedError
from tokenprobs.testing import chat_chunks, sse

KEY = "sk-proj-SECRETSECRET12345"
POSITIONS = [("Hi", -0.1, [("Hi", -0.1), ("Hey", -2.5)]), ("!", -0.2, [("!", -0.2)])]
SSE_HEADERS = {"content-type": "text/event-stream"}


def error_body(message):
    """An OpenAI-style error object carrying `message`."""
    return {"error": {"message": message, "type": "invalid_request_error", "code": None}}


def everything_said(exc):
    """The message, the text attributes and the notes of `exc` and of its tokenprobs causes."""
    said = [str(exc), repr(exc), *getattr(exc, "__notes__", [])]
    said += [v for v in vars(exc).values() if isinstance(v, str)]
    cause = exc.__cause__
    if isinstance(cause, tp.TokenprobsError):
        said += everything_said(cause)
    return said


def assert_unquoted(exc):
    """Nothing `exc` says holds the key, and its message was kept (masked, not dropped)."""
    said = everything_said(exc)
    assert not [s for s in said if KEY in s]
    assert any("***" in s for s in said)  # the message is kept, the key masked


@pytest.fixture
def keyed(api, make_client):
    """A client of the `api` router whose key is `KEY`."""
    client = make_client(api, api_key=KEY)
    yield client
    client.close()


def test_an_error_body_answered_with_200_does_not_quote_the_key(api, keyed):
    """`APIResponseError`'s message and `.message` show `***` for the echoed key."""
    api.post("/chat/completions").respond(200, json=error_body(f"bad key {KEY} given"))
    with pytest.raises(APIResponseError) as caught:
        tp.get_token_distribution("Hi", model=MODEL, client=keyed)
    assert_unquoted(caught.value)
    assert caught.value.message == "bad key *** given"


async def test_the_async_twin_does_not_quote_it_either(api, make_client):
    """`aget_token_distribution` goes through the same masking."""
    api.post("/chat/completions").respond(200, json=error_body(f"bad key {KEY}"))
    client = make_client(api, api_key=KEY, async_=True)
    try:
        with pytest.raises(APIResponseError) as caught:
            await tp.aget_token_distribution("Hi", model=MODEL, client=client)
    finally:
        await client.close()
    assert_unquoted(caught.value)


def test_a_stream_broken_by_the_sdks_api_error_does_not_quote_it(api, keyed):
    """The SDK raises `APIError` for an SSE event with an `error`; our wrapper masks the key."""
    chunks = sse(chat_chunks(POSITIONS)).split("\n\n")
    body = "\n\n".join([chunks[0], f"data: {json.dumps(error_body(f'err {KEY}'))}", ""])
    api.post("/chat/completions").respond(200, headers=SSE_HEADERS, content=body.encode())
    stream = tp.get_token_distribution("Hi", model=MODEL, client=keyed, stream=True)
    with pytest.raises(StreamInterruptedError) as caught:
        list(stream)
    assert_unquoted(caught.value)
    assert caught.value.distribution is not None  # what arrived is still kept
    with pytest.raises(StreamInterruptedError) as again:  # raised again, still masked
        stream.until_done()
    assert_unquoted(again.value)


def test_a_responses_error_event_does_not_quote_it(api, keyed):
    """A Responses `error` event is read by tokenprobs (an `APIResponseError`, then the break)."""
    event = {"type": "error", "code": "bad", "message": f"key {KEY} refused", "param": None}
    body = f"event: error\ndata: {json.dumps(event)}\n\n"
    api.post("/responses").respond(200, headers=SSE_HEADERS, content=body.encode())
    stream = tp.get_token_distribution(
        "Hi", model=MODEL, client=keyed, stream=True, endpoint="responses"
    )
    with pytest.raises(tp.TokenprobsError) as caught:
        list(stream)
    assert_unquoted(caught.value)


def test_parse_of_a_saved_error_body_masks_the_environments_key(monkeypatch):
    """`tp.parse` knows no client: it masks `OPENAI_API_KEY`."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with pytest.raises(APIResponseError) as caught:
        tp.parse(json.dumps(error_body(f"bad key {KEY}")))
    assert_unquoted(caught.value)


def test_a_key_in_the_base_url_is_masked_too(make_client):
    """A key in the base URL (`http://user:KEY@host`, as some gateways take it) is masked."""
    secret = "URLSECRET98765"
    import respx  # noqa: PLC0415

    with respx.mock(assert_all_called=False) as router:
        router.route().respond(200, json=error_body(f"saw {secret}"))
        client = make_client(router, base_url=f"http://user:{secret}@127.0.0.1:8000/v1")
        with pytest.raises(APIResponseError) as caught:
            tp.get_token_distribution("Hi", model=MODEL, client=client)
        client.close()
    assert secret not in str(caught.value)
    assert "saw ***" in str(caught.value)


@pytest.mark.parametrize("key", ["EMPTY", "none", "x"])
def test_a_short_placeholder_key_is_no_secret_and_garbles_nothing(api, make_client, key):
    """A local server's placeholder key (`EMPTY`, `none`) is left in the words it is part of."""
    api.post("/chat/completions").respond(200, json=error_body("none of the tokens: EMPTY, x"))
    client = make_client(api, api_key=key)
    with pytest.raises(APIResponseError) as caught:
        tp.get_token_distribution("Hi", model=MODEL, client=client)
    client.close()
    assert caught.value.message == "none of the tokens: EMPTY, x"
