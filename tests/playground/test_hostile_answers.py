"""Answers and requests at the edges: numbers JSON cannot hold, text UTF-8 cannot, what top-k hides.

Each test drives the app through its HTTP API, against respx-mocked servers (the real SDK runs)
or the stub, and checks the page gets a whole answer or a 4xx naming the field, never a 500.
"""

import json
import math

import httpx
import openai
import pytest
import respx
from starlette.testclient import TestClient
from tests.playground.conftest import KEY
from tests.playground.test_prefill import ANSWER, URL, http_client, mocked, page_of

import tokenprobs as tp
from tokenprobs.playground import Upstream, create_app
from tokenprobs.playground._runs import error_event, summary
from tokenprobs.testing import completion, completion_chunks

pytestmark = pytest.mark.extras

RUN = {"endpoint": "completions", "model": "m", "prompt": "Say", "top_logprobs": 2, "max_tokens": 8}
FLOOR = [
    # vLLM floors a logprob at -9999.0 (a token of probability 0): exp(9999 / 2) is no float
    (" a", -9999.0, [(" a", -9999.0), (" b", -0.01)]),
    ("!", -0.1, [("!", -0.1), (".", -2.5)]),
]


def events(page, body, path="/api/run"):
    """The JSON events of one streamed answer (every line must be JSON)."""
    with page.stream("POST", path, json=body) as r:
        assert r.status_code == 200, r.read()
        return [json.loads(line) for line in r.iter_lines() if line]


def test_an_answer_of_infinite_perplexity_streams_to_its_end_and_is_drawn_again():
    """Its summary says the perplexity is infinite (JSON has none); views and loads answer."""
    with mocked(answers=(FLOOR,)) as server:
        page, _ = page_of(server, "vllm", profile="vllm")
        with page:
            evs = events(page, RUN)
            assert [e["t"] for e in evs][-1] == "done"
            done = evs[-1]["summary"]
            assert (done["perplexity"], done["perplexity_infinite"]) == (None, True)
            r = page.post("/api/views", json={"mode": "entropy"})
            assert r.status_code == 200
            assert r.json()["branches"][0]["summary"]["perplexity_infinite"] is True
            saved = page.get("/api/session").json()
            assert page.post("/api/session", json={"session": saved}).status_code == 200
            assert page.get("/api/compare?a=1&b=1").status_code == 200


def test_a_finite_perplexity_is_a_number_and_none_is_no_tokens():
    """The summary's perplexity is the distribution's; an empty answer has none (not infinite)."""
    d = tp.parse(completion([("a", -0.5, [("a", -0.5)]), ("b", -1.5, [("b", -1.5)])]))
    s = summary(d)
    assert s["perplexity"] == pytest.approx(math.exp(1.0))
    assert s["perplexity_infinite"] is False
    s = summary(d[:0])
    assert (s["perplexity"], s["perplexity_infinite"]) == (None, False)


def test_a_servers_finish_reason_and_error_are_shown_not_obeyed():
    """A bidi override in `finish_reason` or an error message reaches the page as its escape."""
    d = tp.parse(completion([("a", -0.5, [("a", -0.5)])], finish_reason="stop\u202eevil"))
    assert summary(d)["finish_reason"] == "stop\\u202eevil"
    err = openai.APIError(
        "bad\u202e\u200bvalue\nline two", request=httpx.Request("POST", URL), body=None
    )
    event = error_event(err, Upstream(None))
    assert event["message"] == "bad\\u202e\\u200bvalue\nline two"  # the line break kept


def surrogate_server():
    r"""A server that streams half an emoji as JSON's `\ud83d` (a lone surrogate in Python)."""
    answer = [
        ("Hello", -0.1, [("Hello", -0.1), ("Hi", -2.5)]),
        ("QQ", -0.2, [("QQ", -0.2), (".", -2.5)]),
        ("!", -0.1, [("!", -0.1), (".", -2.5)]),
    ]
    chunks = completion_chunks(answer, model="m")
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks).replace("QQ", "\\ud83d")
    router = respx.mock(base_url=URL, assert_all_called=False)
    sse = (body + "data: [DONE]\n\n").encode()
    headers = {"content-type": "text/event-stream"}
    router.post("/completions").mock(return_value=httpx.Response(200, content=sse, headers=headers))
    return router


def test_a_session_holding_a_servers_lone_surrogate_saves_and_loads_back():
    """Save session answers (JSON's escapes where UTF-8 has nothing), and the file loads back."""
    with surrogate_server() as router:
        upstream = Upstream(URL, KEY, http_client=lambda: http_client(router))
        with TestClient(create_app(upstream, model="m"), base_url="http://127.0.0.1:8765") as page:
            assert events(page, RUN)[-1]["t"] == "done"
            r = page.get("/api/session")
            assert r.status_code == 200
            assert r.headers["content-disposition"].startswith("attachment")
            text = r.content.decode("utf-8")  # UTF-8, as every response
            loaded = tp.playground.Session.loads(text)
            assert loaded.branches[1].distribution.tokens == ["Hello", "\ud83d", "!"]
            body = json.dumps({"session": json.loads(text)})  # ASCII: the escapes, as a page's
            r = page.post(
                "/api/session", content=body, headers={"content-type": "application/json"}
            )
            assert r.status_code == 200, r.text
            assert r.json()["branches"][0]["n"] == 3
            again = tp.playground.Session.loads(page.get("/api/session").text)
            assert again.branches[1].distribution == loaded.branches[1].distribution


def test_a_session_without_lone_surrogates_is_still_written_as_utf8_text():
    """The fallback to JSON's escapes is for lone surrogates only: `café` stays `café`."""
    session = tp.playground.Session()
    request = tp.playground.Request(endpoint="completions", model="m", prompt="p")
    branch = session.add(request)
    branch.distribution = tp.parse(completion([(" café", -0.1, [(" café", -0.1)])]))
    assert '" café"' in session.dumps()


def test_the_alternatives_panel_says_what_the_top_k_could_not_see():
    """Each position gives its tail: 1 - the returned tokens' p, the popup's `tail`."""
    with mocked() as server:
        page, _ = page_of(server, "llama-server")
        with page:
            events(page, RUN)
            saved = tp.playground.Session.loads(page.get("/api/session").text)
            d = saved.branches[1].distribution
            positions = page.get("/api/branches/1/positions?start=0&stop=3").json()["positions"]
            for pos in positions:
                i = pos["i"]
                assert pos["tail"] == pytest.approx(float(d.tail_mass[i]))
                shown = sum(a["p"] for a in pos["alternatives"])
                assert pos["tail"] == pytest.approx(max(0.0, 1 - shown))
                assert pos["tail"] > 0.005  # the mocked answers' top-2 leave mass unseen


def test_branching_an_answer_without_tokens_says_it_has_none():
    """Not `position 0 is not in the answer (0 to -1)`: the answer has no position at all."""
    with mocked() as server:
        page, _ = page_of(server, "llama-server")
        with page:
            events(page, RUN)
            saved = page.get("/api/session").json()
            d = saved["branches"][0]["distribution"]
            for column in ("tokens", "token_bytes", "logprobs", "top_tokens", "top_bytes"):
                d[column] = []
            d.update(top_logprobs=[], text_offset=[], content="", requested_logprobs=[])
            assert page.post("/api/session", json={"session": saved}).status_code == 200
            r = page.post("/api/branch", json={"parent": 1, "position": 0, "alternative": 0})
            assert r.status_code == 400
            assert r.json()["message"] == (
                "branch 1's answer has no tokens: there is no position to branch at"
            )
            assert len(server.sent) == 1  # the run's


@pytest.mark.parametrize(
    ("extra", "name"),
    [({"max_token": 3}, "max_token"), ({"logprobs": 5}, "logprobs"), ({"n": 2, "x": 1}, "n")],
)
def test_a_run_with_a_field_it_does_not_know_is_refused_by_name(extra, name):
    """A typo (`max_token`) or another API's name (`logprobs`) is not silently left unsent."""
    with mocked() as server:
        page, _ = page_of(server, "llama-server")
        with page:
            r = page.post("/api/run", json={**RUN, **extra, "mode": "entropy"})
            assert r.status_code == 400
            message = r.json()["message"]
            assert message.startswith(f"{name} is not a field of the request")
            assert message.endswith(
                "the fields are endpoint, model, prompt, messages, temperature, max_tokens, "
                "top_logprobs, seed, mode"
            )
            assert server.sent == []
            assert page.post("/api/views", json={}).json()["branches"] == []
            assert events(page, {**RUN, "mode": "entropy"})[-1]["t"] == "done"  # `mode` is one


def test_a_saved_request_with_a_field_it_does_not_know_is_refused_with_its_path():
    """A saved session's request holds the form's fields: another is named, with its path."""
    with mocked() as server:
        page, _ = page_of(server, "llama-server")
        with page:
            events(page, RUN)
            saved = page.get("/api/session").json()
            saved["branches"][0]["request"]["temprature"] = 0.5
            r = page.post("/api/session", json={"session": saved})
            assert r.status_code == 400
            assert r.json()["message"].startswith(
                "branches[0].request.temprature is not a field of the request"
            )


def test_chat_answers_of_the_same_messages_are_compared_whatever_the_prompt_box_held():
    """A chat run sends its messages only: the page's prompt box, sent beside them, is not one."""
    chat = {
        "endpoint": "chat.completions",
        "model": "m",
        "messages": [{"role": "user", "content": "Hi"}],
        "top_logprobs": 2,
        "max_tokens": 8,
    }
    with mocked(answers=(ANSWER,)) as server:  # the same answer to every request
        page, _ = page_of(server, "llama-server")
        with page:
            events(page, {**chat, "prompt": "a completion prompt typed before"})
            events(page, {**chat, "prompt": "", "temperature": 0.9})
            data = page.get("/api/compare?a=1&b=2").json()
            assert data["note"] is None
            assert data["compared"] == data["common_prefix"] > 0
            assert all("tv" in row for row in data["rows"] if row["same"])
            # completion answers of different prompts are still not compared
            events(page, {**RUN, "prompt": "Say"})
            events(page, {**RUN, "prompt": "Tell"})
            assert "continue different prompts" in page.get("/api/compare?a=3&b=4").json()["note"]
