from __future__ import annotations

import json

import openai
import pytest
import respx

import tokenprobs
from tokenprobs import guards
from tokenprobs.guards import check_request

PATHS = {
    "chat.completions": "/chat/completions",
    "responses": "/responses",
    "completions": "/completions",
}
CREATE = {
    "chat.completions": lambda c: c.chat.completions.create,
    "responses": lambda c: c.responses.create,
    "completions": lambda c: c.completions.create,
}
DEFAULTS = {
    "chat.completions": {"messages": [{"role": "user", "content": "Hi"}]},
    "responses": {"input": "Hi"},
    "completions": {"prompt": "Hi"},
}
# one request per rule; rules whose body is only inferred are included too (the parity holds
# for any body), the recorded/documented ones are the point
REQUESTS = [
    (
        "chat.stream_options.without_stream",
        "chat.completions",
        {"model": "gpt-4o", "stream_options": {"include_usage": True}},
    ),
    ("chat.logprobs.type", "chat.completions", {"model": "gpt-4o", "logprobs": 5}),
    (
        "chat.top_logprobs.type",
        "chat.completions",
        {"model": "gpt-4o", "logprobs": True, "top_logprobs": "3"},
    ),
    (
        "chat.top_logprobs.below_min",
        "chat.completions",
        {"model": "gpt-4o", "logprobs": True, "top_logprobs": -1},
    ),
    (
        "chat.top_logprobs.above_cap",
        "chat.completions",
        {"model": "gpt-5.4", "reasoning_effort": "none", "logprobs": True, "top_logprobs": 21},
    ),
    (
        "chat.top_logprobs.above_max",
        "chat.completions",
        {"model": "gpt-4o", "logprobs": True, "top_logprobs": 21},
    ),
    (
        "chat.top_logprobs.without_logprobs",
        "chat.completions",
        {"model": "gpt-4o", "top_logprobs": 3},
    ),
    ("chat.logprobs.forbidden", "chat.completions", {"model": "o4-mini", "logprobs": True}),
    (
        "chat.logprobs.reasoning",
        "chat.completions",
        {"model": "gpt-5.5", "logprobs": True, "reasoning_effort": "high"},
    ),
    (
        "responses.logprobs.unknown",
        "responses",
        {"model": "gpt-4o", "extra_body": {"logprobs": True}},
    ),
    ("responses.include.unknown", "responses", {"model": "gpt-4o", "include": ["bogus.thing"]}),
    ("responses.top_logprobs.type", "responses", {"model": "gpt-5.6-terra", "top_logprobs": "3"}),
    ("responses.top_logprobs.below_min", "responses", {"model": "gpt-4o", "top_logprobs": -1}),
    (
        "responses.max_output_tokens.below_min",
        "responses",
        {
            "model": "gpt-4o",
            "top_logprobs": 2,
            "include": ["message.output_text.logprobs"],
            "max_output_tokens": 15,
        },
    ),
    (
        "responses.top_logprobs.above_cap",
        "responses",
        {"model": "gpt-5.4", "reasoning": {"effort": "none"}, "top_logprobs": 8},
    ),
    ("responses.top_logprobs.above_max", "responses", {"model": "gpt-4o", "top_logprobs": 21}),
    (
        "responses.include.reasoning",
        "responses",
        {"model": "gpt-5-mini", "include": ["message.output_text.logprobs"], "top_logprobs": 2},
    ),
    ("responses.top_logprobs.reasoning", "responses", {"model": "o3", "top_logprobs": 2}),
    (
        "completions.echo_with_logprobs",
        "completions",
        {"model": "gpt-3.5-turbo-instruct", "echo": True, "logprobs": 1},
    ),
    ("completions.logprobs.type", "completions", {"model": "davinci-002", "logprobs": "2"}),
    ("completions.logprobs.below_min", "completions", {"model": "davinci-002", "logprobs": -2}),
]
PARITY = [pytest.param(*r, id=r[0]) for r in REQUESTS] + [
    pytest.param(
        "vllm.chat.above_max_logprobs",
        "chat.completions",
        {"model": "m", "logprobs": True, "top_logprobs": 21, "profile": "vllm"},
        id="vllm.chat.above_max_logprobs",
    ),
]
FIELDS = ("status_code", "body", "message", "param", "code", "type", "request_id")


def guard_error(endpoint, params, **kwargs):
    """The exception the guard raises for this request."""
    with pytest.raises(tokenprobs.GuardError) as info:
        check_request(endpoint, params, **kwargs)
    return info.value


def server_error(api, client, endpoint, params, error):
    """The exception the real SDK raises when the mocked server answers with the guard's body."""
    route = api.post(PATHS[endpoint]).respond(error.status_code, json={"error": error.body})
    with pytest.raises(openai.APIStatusError) as info:
        CREATE[endpoint](client)(**DEFAULTS[endpoint], **params)
    assert route.call_count == 1
    return info.value


@pytest.mark.parametrize(("rule", "endpoint", "params"), PARITY)
def test_guard_error_equals_sdk_error(api, openai_client, rule, endpoint, params):
    """The guard's exception and the SDK's for the same server answer agree on every field."""
    params = dict(params)
    profile = params.pop("profile", None)
    ours = guard_error(endpoint, params, profile=profile)
    assert ours.rule == rule
    theirs = server_error(api, openai_client, endpoint, params, ours)
    assert type(theirs) in type(ours).__mro__
    assert {f: getattr(ours, f) for f in FIELDS} == {f: getattr(theirs, f) for f in FIELDS}
    assert str(ours) == str(theirs)
    assert ours.request.url == theirs.request.url


def test_every_openai_rule_has_a_parity_row():
    """Every OpenAI rule that raises is compared with the SDK's own exception."""
    raising = {r.id for r in guards.rules("openai") if r.status is not None}
    # "unsupported" needs a registered family; its body is the "reasoning" rule's
    assert raising - {p.values[0] for p in PARITY} == {"chat.logprobs.unsupported"}


def create_checked(client, endpoint, **params):
    """What get_token_distribution does: the guard first, then the real SDK call."""
    check_request(endpoint, params, base_url=str(client.base_url))
    return CREATE[endpoint](client)(**DEFAULTS[endpoint], **params)


@pytest.mark.parametrize(("rule", "endpoint", "params"), PARITY[:-1])
def test_refused_request_makes_no_http_call(api, openai_client, rule, endpoint, params):
    """A request the guard refuses never reaches the transport."""
    route = api.post(PATHS[endpoint]).respond(200, json={})
    with pytest.raises(tokenprobs.GuardError) as info:
        create_checked(openai_client, endpoint, **params)
    assert info.value.rule == rule
    assert route.call_count == 0
    assert not api.calls


CHAT_OK = {
    "id": "c1",
    "object": "chat.completion",
    "created": 0,
    "model": "gpt-4o",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": "Hi"},
            "logprobs": {
                "content": [
                    {"token": "Hi", "bytes": [72, 105], "logprob": -0.1, "top_logprobs": []}
                ],
                "refusal": None,
            },
        }
    ],
}


def test_accepted_request_reaches_the_server(api, openai_client):
    """A valid request goes through the guard to the (mocked) server once, body intact."""
    route = api.post("/chat/completions").respond(200, json=CHAT_OK)
    completion = create_checked(
        openai_client, "chat.completions", model="gpt-4o", logprobs=True, top_logprobs=0
    )
    assert completion.choices[0].logprobs.content[0].token == "Hi"
    assert route.call_count == 1
    assert json.loads(route.calls.last.request.content)["top_logprobs"] == 0


async def test_async_client_is_served_by_the_router(api, async_openai_client):
    """The async fixture client reaches respx routes too."""
    route = api.post("/chat/completions").respond(200, json=CHAT_OK)
    completion = await async_openai_client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Hi"}], logprobs=True
    )
    assert completion.choices[0].message.content == "Hi"
    assert route.call_count == 1


def test_streaming_is_served_by_the_router(api, openai_client):
    """SSE bodies from a respx route stream through the fixture client, chunk by chunk."""
    chunk = {k: v for k, v in CHAT_OK.items() if k != "choices"} | {
        "object": "chat.completion.chunk"
    }
    choice = {
        "index": 0,
        "delta": {"content": "Hi"},
        "finish_reason": None,
        "logprobs": CHAT_OK["choices"][0]["logprobs"],
    }
    sse = f"data: {json.dumps(chunk | {'choices': [choice]})}\n\ndata: [DONE]\n\n"
    api.post("/chat/completions").respond(
        200, text=sse, headers={"content-type": "text/event-stream"}
    )
    stream = openai_client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Hi"}], logprobs=True, stream=True
    )
    tokens = [t.token for c in stream for t in c.choices[0].logprobs.content]
    assert tokens == ["Hi"]


def test_make_client_serves_a_compatible_base_url(make_client):
    """make_client works for any router and base_url (e.g. a local server's)."""
    router = respx.MockRouter(base_url="http://localhost:8000/v1", assert_all_called=False)
    route = router.post("/chat/completions").respond(200, json=CHAT_OK)
    client = make_client(router, base_url="http://localhost:8000/v1")
    with client:
        create_checked(client, "chat.completions", model="llama", logprobs=True, top_logprobs=50)
    assert route.call_count == 1
