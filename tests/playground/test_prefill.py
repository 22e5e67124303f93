"""Chat branching by prefill, per server kind, against respx-mocked servers (the real SDK runs).

A chat branch sends the parent's messages plus a final assistant message holding the answer's
text up to the position and the forced token, with the server's own flags from
`tokenprobs.guards.CAPABILITIES`; servers that cannot continue a final assistant message get the
page's refusal, and no request.
"""

import json

import httpx
import pytest
import respx
from starlette.testclient import TestClient
from tests.conftest import OPENAI_MAJOR
from tests.playground.conftest import KEY

import tokenprobs as tp
from tokenprobs.guards import CAPABILITIES
from tokenprobs.playground import Upstream, branch_refusal, create_app
from tokenprobs.testing import chat_chunks, completion_chunks

pytestmark = pytest.mark.extras

URL = "http://127.0.0.1:9/v1"
ANSWER = [
    ("Hello", -0.05, [("Hello", -0.05), ("Hi", -3.2)]),
    (" there", -0.4, [(" there", -0.4), (" world", -1.2)]),
    ("!", -0.1, [("!", -0.1), (".", -2.5)]),
]
TAIL = [("!", -0.3, [("!", -0.3), ("?", -1.4)]), (" Bye", -0.9, [(" Bye", -0.9), (" Ok", -1.1)])]
CHAT = {
    "endpoint": "chat.completions",
    "model": "m",
    "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
    "top_logprobs": 2,
    "max_tokens": 16,
    "temperature": 0.5,
    "seed": 7,
}
SERVERS = {
    "openai": {
        "id": "chatcmpl-AigSM81aLFRN07IUezlC3zlZ9zdaU",
        "system_fingerprint": "fp_f85bea6784",
    },
    # what each server's answers look like, by the fields `server_kind` reads
    "llama-server": {
        "id": "chatcmpl-Zx81kQ0aT7mVbN2cR5dE9fG3hJ6kL4pW",
        "system_fingerprint": "b6123-4e1a2f3",
    },
    "ollama": {"id": "chatcmpl-730", "system_fingerprint": "fp_ollama"},
    "vllm": {"id": "chatcmpl-9f1c2b7d4e6a48b0a3c5d7e9f1a2b3c4"},  # looks like OpenAI's: --profile
    "llama-cpp-python": {"id": "chatcmpl-dfa90eb8-0b5e-4c8e-9d2a-6f1b2c3d4e5f"},
}


def http_client(router):
    """An async HTTP client of the installed SDK's library, answered by `router`."""
    if OPENAI_MAJOR >= 3:
        import httpx2  # noqa: PLC0415 - openai 3.x only
        from tests.conftest import AsyncRespxBridge  # noqa: PLC0415 - defined on 3.x only

        return httpx2.AsyncClient(transport=AsyncRespxBridge(router))
    return httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler))


def sse(chunks, fields):
    """A streamed answer of `chunks`, each with the server's own `fields`."""
    body = "".join(f"data: {json.dumps({**c, **fields})}\n\n" for c in chunks) + "data: [DONE]\n\n"
    return httpx.Response(200, content=body.encode(), headers={"content-type": "text/event-stream"})


def events(page, path, body):
    """The JSON events of one streamed answer."""
    with page.stream("POST", path, json=body) as r:
        assert r.status_code == 200, r.read()
        return [json.loads(line) for line in r.iter_lines() if line]


def mocked(base_url=URL, answers=(ANSWER, TAIL)):
    """A respx router standing in for one server; `router.kind` picks its answers' fields.

    The n-th request is answered with `answers[n]` (the last one again after that).
    """
    router = respx.mock(base_url=base_url, assert_all_called=False)
    router.sent = []

    def answer(request):
        body = json.loads(request.content)
        router.sent.append(body)
        positions = answers[min(len(router.sent), len(answers)) - 1]
        positions = positions[: body["max_tokens"]]
        if request.url.path.endswith("/chat/completions"):
            chunks = chat_chunks(positions, model=body["model"])
        else:
            chunks = completion_chunks(positions, model=body["model"])
        return sse(chunks, SERVERS[router.kind])

    router.post("/chat/completions").mock(side_effect=answer)
    router.post("/completions").mock(side_effect=answer)
    return router


@pytest.fixture
def server():
    """A mocked server on a local URL."""
    with mocked() as router:
        yield router


def page_of(router, kind, *, profile=None, base_url=URL):
    """The app, for a server of `kind` answered by `router`, and its upstream."""
    router.kind = kind
    upstream = Upstream(base_url, KEY, profile, http_client=lambda: http_client(router))
    return TestClient(create_app(upstream, model="m"), base_url="http://127.0.0.1:8765"), upstream


@pytest.mark.parametrize(
    ("kind", "profile", "flags"),
    [
        ("llama-server", None, {}),
        ("ollama", None, {}),
        ("vllm", "vllm", {"continue_final_message": True, "add_generation_prompt": False}),
    ],
)
def test_a_chat_branch_sends_the_prefill_and_the_servers_flags(server, kind, profile, flags):
    """The branch's request is the run's, with the prefill message appended and the flags."""
    page, upstream = page_of(server, kind, profile=profile)
    with page:
        run = events(page, "/api/run", CHAT)
        parent = run[0]["id"]
        assert run[-1]["t"] == "done"
        assert upstream.capabilities.kind == kind
        alts = page.get(f"/api/branches/{parent}/positions?start=1&stop=2").json()
        assert alts["refusal"] is None
        assert [a["branch"] for a in alts["positions"][0]["alternatives"]] == [True, True]
        evs = events(page, "/api/branch", {"parent": parent, "position": 1, "alternative": 1})
        assert evs[0]["forced"] == " world"
        assert evs[-1]["t"] == "done"
        first, sent = server.sent
        prefill = {"role": "assistant", "content": "Hello world"}
        assert sent == {
            **first,
            "messages": [*CHAT["messages"], prefill],
            "max_tokens": CHAT["max_tokens"] - 2,
            **flags,
        }
        session = tp.playground.Session.loads(page.get("/api/session").text)
        d = session.branches[evs[0]["id"]].distribution
        assert d.tokens == ["Hello", " world", "!", " Bye"]
        assert d.logprobs[1] == session.branches[parent].distribution.top_logprobs[1, 1]


def test_the_prefill_flags_are_the_capability_tables():
    """What the branch sends is read from the one table, not restated in the playground."""
    assert dict(CAPABILITIES["vllm"].prefill_flags) == {
        "continue_final_message": True,
        "add_generation_prompt": False,
    }
    assert dict(CAPABILITIES["llama-server"].prefill_flags) == {}
    assert CAPABILITIES["llama-cpp-python"].chat_prefill.able is False


@pytest.mark.parametrize(
    ("kind", "base_url", "words"),
    [
        ("llama-cpp-python", URL, "a new assistant turn opened"),
        ("openai", "https://api.openai.com/v1", "start a new assistant message"),
    ],
)
def test_a_server_that_cannot_prefill_refuses_the_branch_and_says_why(kind, base_url, words):
    """llama-cpp-python closes a trailing assistant message; OpenAI starts a new one."""
    with mocked(base_url) as server:
        page, upstream = page_of(server, kind, base_url=base_url)
        with page:
            run = events(page, "/api/run", {**CHAT, "model": "gpt-4o"})
            assert run[-1]["t"] == "done"
            assert upstream.capabilities.kind == kind
            expected = branch_refusal("chat.completions", upstream.capabilities)
            assert words in expected
            assert run[-1]["refusal"] == expected  # known once the server answered
            alts = page.get(f"/api/branches/{run[0]['id']}/positions?start=1&stop=2").json()
            assert alts["refusal"] == expected
            body = {"parent": run[0]["id"], "position": 1, "alternative": 1}
            r = page.post("/api/branch", json=body)
            assert r.status_code == 400
            assert r.json()["message"] == expected
            assert len(server.sent) == 1  # the refused branch sent nothing
            # the same server branches a completion answer: it continues a given prompt
            assert branch_refusal("completions", upstream.capabilities) is None


def test_server_kind_reads_the_answers_not_the_url():
    """An answer that looks like OpenAI's on a local URL does not make the server OpenAI."""
    caps = tp.guards.server_capabilities
    assert caps(URL, seen="openai").kind == "compatible"
    assert caps(URL, profile="vllm", seen="openai").kind == "vllm"
    assert caps(URL, profile="llama.cpp").kind == "llama-cpp-python"
    assert caps(URL, profile="llama.cpp", seen="llama-server").kind == "llama-server"
    assert caps(None, seen="llama-server").kind == "openai"
    # vLLM's streamed ids look like OpenAI's, and its chunks carry none of its own fields
    read = {"vllm": "openai"}
    for kind, fields in SERVERS.items():
        seen = tp.guards.server_kind({**chat_chunks(ANSWER, model="m")[0], **fields})
        assert seen == read.get(kind, kind)


PREFILLED = {
    **CHAT,
    "messages": [*CHAT["messages"], {"role": "assistant", "content": "Well: "}],
}


@pytest.mark.parametrize(
    ("kind", "profile", "flags", "tail"),
    [
        # continues the run's trailing assistant message unasked: the branch extends that message
        ("llama-server", None, {}, [{"role": "assistant", "content": "Well: Hello world"}]),
        ("ollama", None, {}, [{"role": "assistant", "content": "Well: Hello world"}]),
        # answers it with a new turn (no flags on the run): the branch opens that turn
        (
            "vllm",
            "vllm",
            {"continue_final_message": True, "add_generation_prompt": False},
            [
                {"role": "assistant", "content": "Well: "},
                {"role": "assistant", "content": "Hello world"},
            ],
        ),
    ],
)
def test_a_run_ending_with_an_assistant_message_branches_the_context_it_was_answered_in(
    server, kind, profile, flags, tail
):
    """The branch is the same answer up to the position: its context is the run's."""
    page, _ = page_of(server, kind, profile=profile)
    with page:
        run = events(page, "/api/run", PREFILLED)
        assert run[-1]["t"] == "done"
        evs = events(page, "/api/branch", {"parent": run[0]["id"], "position": 1, "alternative": 1})
        assert evs[-1]["t"] == "done", evs[-1]
        first, sent = server.sent
        assert first["messages"] == PREFILLED["messages"]
        assert sent["messages"] == [*CHAT["messages"], *tail]
        assert {k: sent[k] for k in flags} == flags
        assert not set(sent) - set(first) - set(flags)
