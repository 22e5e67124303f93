"""The app refuses malformed requests with a 400 that names the field, and sends nothing."""

import json
import math

import pytest
from starlette.testclient import TestClient
from tests.playground.test_app import RUN, events
from tests.playground.test_view import SPLIT

import tokenprobs as tp
from tokenprobs import testing
from tokenprobs.playground import FORMAT, Upstream, create_app
from tokenprobs.playground._app import _encoded

pytestmark = pytest.mark.extras

BIG = "1" + "0" * 400
D = json.loads(tp.examples.load("apiref").model_dump_json())


def post(page, path, raw):
    """POST a body written by hand (JSON the `json=` encoder would not write)."""
    return page.post(path, content=raw, headers={"content-type": "application/json"})


def refused(response, starts):
    """The response is a 400 JSON error whose message starts with `starts`."""
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["t"] == "error"
    assert error["kind"] == "usage"
    assert error["message"].startswith(starts), error["message"]
    return error


@pytest.mark.parametrize(
    ("field", "raw", "starts"),
    [
        pytest.param(
            "max_tokens", BIG, "max_tokens must be an integer from 1 to", id="max-10**400"
        ),
        pytest.param("temperature", BIG, "temperature must be a finite number", id="temp-10**400"),
        pytest.param(
            "temperature", "1e400", "temperature must be a finite number", id="temp-1e400"
        ),
        pytest.param("temperature", '"nan"', "temperature must be a number, got 'nan'", id="nan"),
        pytest.param("seed", BIG, "seed must be an integer from -9223372036854775808", id="seed"),
        pytest.param("seed", "1.5", "seed must be an integer, got 1.5", id="seed-fraction"),
        pytest.param(
            "top_logprobs", "true", "top_logprobs must be an integer, got True", id="bool"
        ),
        pytest.param(
            "endpoint", "[]", "endpoint must be 'chat.completions' or", id="endpoint-list"
        ),
        pytest.param("model", '"m\\ud800"', "model holds a lone surrogate", id="model-surrogate"),
        pytest.param(
            "prompt", '"x\\udc00"', "prompt holds a lone surrogate", id="prompt-surrogate"
        ),
    ],
)
def test_a_run_with_a_field_out_of_reach_is_refused_by_name(page, stub, field, raw, starts):
    """Numbers JSON holds but float() cannot, NaN as text, lone surrogates: a 400, nothing sent.

    No branch is made: the session still draws and saves.
    """
    events(page, "/api/run", RUN)
    body = json.dumps({k: v for k, v in RUN.items() if k != field})
    r = post(page, "/api/run", f'{body[:-1]}, "{field}": {raw}}}')
    refused(r, starts)
    assert len(stub.requests) == 1
    views = page.post("/api/views", json={})
    assert views.status_code == 200
    assert [b["id"] for b in views.json()["branches"]] == [1]
    assert page.get("/api/session").status_code == 200


def test_a_chat_message_with_a_lone_surrogate_is_refused(page, stub):
    """Each message is checked, and the error gives its index."""
    body = {**RUN, "endpoint": "chat.completions", "messages": [{"role": "user", "content": "x"}]}
    raw = json.dumps(body).replace('"content": "x"', '"content": "x\\ud800"')
    refused(post(page, "/api/run", raw), "messages[0].content holds a lone surrogate")
    assert stub.requests == []


def test_a_seed_past_2_53_reaches_the_server_as_written(page, stub):
    """Read as an integer, never through float (which made 12345678901234567 end in 8)."""
    events(page, "/api/run", {**RUN, "seed": 12345678901234567})
    assert stub.requests[-1]["body"]["seed"] == 12345678901234567


@pytest.mark.parametrize(
    ("body", "starts"),
    [
        pytest.param(
            {"parent": 1, "position": 1.9, "alternative": 0},
            "position must be an integer",
            id="fraction",
        ),
        pytest.param(
            {"parent": True, "position": 1, "alternative": 0},
            "parent must be an integer",
            id="parent-true",
        ),
        pytest.param(
            {"parent": 1, "position": True, "alternative": 0},
            "position must be an integer",
            id="position-true",
        ),
        pytest.param(
            {"parent": 1, "position": "2", "alternative": 1},
            "position must be an integer",
            id="position-string",
        ),
        pytest.param(
            {"parent": 1, "position": 1, "alternative": "1"},
            "alternative must be an",
            id="alternative-string",
        ),
        pytest.param(
            {"parent": 1, "position": math.inf, "alternative": 0}, "position must be an", id="1e400"
        ),
        pytest.param({"parent": 1, "position": 1}, "alternative is missing", id="missing"),
        pytest.param(
            {"parent": 1, "position": -1, "alternative": 0},
            "position must be an integer",
            id="negative",
        ),
        pytest.param({"parent": 9, "position": 1, "alternative": 0}, "no branch 9", id="no-parent"),
        pytest.param(
            {"parent": 1, "position": 99, "alternative": 0},
            "position 99 is not in",
            id="past-the-end",
        ),
    ],
)
def test_a_branch_request_is_read_strictly(page, stub, body, starts):
    """No 1.9 read as 1, no `true` as branch 1: a 400 naming the field, and nothing sent."""
    events(page, "/api/run", RUN)
    refused(post(page, "/api/branch", json.dumps(body).replace("Infinity", "1e400")), starts)
    assert len(stub.requests) == 1


def test_a_branch_at_a_whole_float_position_is_taken(page):
    """`1.0` is the integer 1 (a browser may write a whole number so)."""
    events(page, "/api/run", RUN)
    evs = events(page, "/api/branch", {"parent": 1, "position": 1.0, "alternative": 1})
    assert evs[0]["label"] == "#2 ← #1 @ 1"


@pytest.mark.parametrize(
    ("query", "status", "starts"),
    [
        pytest.param("a=1", 400, "b is missing: give it as ?b=<integer>", id="no-b"),
        pytest.param("a=x&b=1", 400, "a must be an integer from 1 up, got 'x'", id="a-word"),
        pytest.param("a=1&b=1e3", 400, "b must be an integer from 1 up", id="b-exponent"),
        pytest.param("a=1&b=7", 404, "no branch 7 in this session", id="no-branch"),
    ],
)
def test_compare_says_what_is_wrong_with_its_query(page, query, status, starts):
    """A malformed query is a 400 naming the parameter; a branch not in the session a 404."""
    events(page, "/api/run", RUN)
    r = page.get(f"/api/compare?{query}")
    assert r.status_code == status
    assert r.json()["message"].startswith(starts)


def test_positions_and_export_read_their_path_and_query_strictly(page):
    """`start=x` is a 400; an id of 5,000 digits is a branch not found (404), not a 500."""
    events(page, "/api/run", RUN)
    r = page.get("/api/branches/1/positions?start=x")
    refused(r, "start must be an integer from 0 up, got 'x'")
    r = page.get("/api/branches/1/export?mode=nope")
    assert r.status_code == 400
    for path in ("positions", "export"):
        r = page.get(f"/api/branches/{'9' * 5000}/{path}")
        assert r.status_code == 404
        assert r.json()["message"].startswith("id must be an integer from 1 up")
    assert page.get("/api/branches/1/positions?start=1&stop=2").json()["positions"][0]["i"] == 1


@pytest.mark.parametrize(
    ("raw", "starts"),
    [
        pytest.param(b"[" * 100_000, "the request's body is not JSON that can be read", id="deep"),
        pytest.param(
            b'{"seed": ' + b"9" * 5000 + b"}", "the request's body is not JSON", id="long"
        ),
        pytest.param(b"[1, 2]", "the request's body must be a JSON object, got a list", id="list"),
    ],
)
def test_a_body_that_cannot_be_read_is_a_400(page, raw, starts):
    """Nesting too deep for Python's JSON, an integer too long, or not an object."""
    for path in ("/api/run", "/api/branch", "/api/views", "/api/session"):
        refused(post(page, path, raw), starts)


def session(*branches):
    """A saved session holding `branches` (each one a dict of the saved fields)."""
    request = {"endpoint": "completions", "model": "m", "prompt": "Hi", "top_logprobs": 2}
    out = [{"request": request, "distribution": D, **b} for b in branches]
    return {"format": FORMAT, "branches": out}


@pytest.mark.parametrize(
    ("loaded", "starts"),
    [
        pytest.param(
            session({"id": 1}, {"id": 2, "parent": 2, "position": 5, "forced": "x"}),
            "branch 2 names itself as its parent",
            id="self-parent",
        ),
        pytest.param(
            session(
                {"id": 1},
                {"id": 2, "parent": 3, "position": 5, "forced": " assist"},
                {"id": 3, "parent": 2, "position": 5, "forced": " assist"},
            ),
            "branches 2 → 3 → 2 are each other's parents",
            id="cycle",
        ),
        pytest.param({"format": FORMAT, "branches": 5}, "branches must be a list", id="number"),
        pytest.param(session({"id": 1}, {"id": 1}), "branches[1].id: 1 is the id", id="twice"),
        pytest.param(
            session({"id": 1, "request": "x"}), "branches[0].request must be", id="request"
        ),
        pytest.param(
            session({"id": 1, "request": {"endpoint": {}, "model": "m"}}),
            "branches[0].request.endpoint must be",
            id="endpoint-object",
        ),
        pytest.param(
            session({"id": 1, "distribution": {**D, "logprobs": [{}] * len(D["logprobs"])}}),
            "branches[0].distribution is not a TokenDistribution",
            id="logprob-object",
        ),
        pytest.param(
            session({"id": 1, "distribution": {**D, "logprobs": ["0.5"] * len(D["logprobs"])}}),
            "branches[0].distribution is not a TokenDistribution",
            id="logprob-text",
        ),
    ],
)
def test_loading_a_malformed_session_is_refused_and_keeps_the_old_one(page, loaded, starts):
    """A 400 naming the branch or field; the session before the load is untouched.

    Comparing its branches answers (a cycle of parents once froze the whole server).
    """
    events(page, "/api/run", RUN)
    events(page, "/api/run", RUN)
    refused(page.post("/api/session", json={"session": loaded}), starts)
    assert page.get("/api/compare?a=1&b=2").status_code == 200
    assert [b["id"] for b in page.post("/api/views", json={}).json()["branches"]] == [1, 2]


def test_a_lone_surrogate_from_a_server_is_sent_to_the_page_escaped():
    r"""What the page is sent is always UTF-8: a lone surrogate becomes JSON's `\ud800`."""
    data = {"token": "a\ud800b", "text": "café"}
    assert json.loads(_encoded(data).decode("utf-8")) == data
    assert _encoded({"text": "café"}) == '{"text": "café"}'.encode()


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/v1", "http://[::1]:8080/v1"])
def test_config_answers_for_any_base_url_upstream_takes(url):
    """`/api/config` answers (an unsplittable URL is refused by `Upstream` itself)."""
    with TestClient(create_app(Upstream(url)), base_url="http://127.0.0.1:8765") as c:
        r = c.get("/api/config")
    assert r.status_code == 200
    assert r.json()["base_url"] == url


def test_a_branch_without_an_answer_is_a_404_that_says_so(page):
    """A failed run leaves a branch with no answer: positions, export and compare say so (404)."""
    evs = events(page, "/api/run", {**RUN, "model": "echo-key"})
    assert evs[-1]["t"] == "error"
    events(page, "/api/run", RUN)
    for path in ("/api/branches/1/positions", "/api/branches/1/export", "/api/compare?a=2&b=1"):
        r = page.get(path)
        assert r.status_code == 404, path
        assert r.json()["message"] == "branch 1 has no answer yet", path
    assert page.get("/api/branches/2/positions").status_code == 200


def test_after_the_largest_id_a_session_may_give_the_next_run_is_reachable(page):
    """A loaded id of 2**63 - 1 made the next run #2**63, which no route of the app accepts."""
    saved = {"id": 2**53 - 1, "request": RUN, "distribution": D}
    loaded = page.post("/api/session", json={"session": {"format": FORMAT, "branches": [saved]}})
    assert loaded.status_code == 200
    run = events(page, "/api/run", RUN)
    assert run[0]["id"] == 2**53  # a double holds it exactly: the page's script reads it back
    assert page.get(f"/api/branches/{2**53}/positions").status_code == 200


def _loaded(page, positions):
    """Load a session of one finished answer of `positions` (a completion of prompt "P")."""
    d = tp.parse(testing.completion(positions))
    saved = {
        "id": 1,
        "request": {**RUN, "prompt": "P"},
        "distribution": json.loads(d.model_dump_json()),
    }
    loaded = page.post("/api/session", json={"session": {"format": FORMAT, "branches": [saved]}})
    assert loaded.status_code == 200, loaded.text
    return d


def test_the_alternatives_of_a_character_split_over_tokens_open(page):
    """Clicking an emoji made of two tokens was a 500: its second half's flag was numpy's bool."""
    _loaded(page, SPLIT)
    r = page.get("/api/branches/1/positions?start=2&stop=4")  # the emoji's cell
    assert r.status_code == 200, r.text
    first, second = r.json()["positions"]
    assert [a["branch"] for a in first["alternatives"]] == [False, True]  # half a character, " x"
    assert [a["branch"] for a in second["alternatives"]] == [False]  # inside the character


def test_a_branch_after_bytes_that_are_no_character_is_refused(page, stub):
    r"""A lone `\xf0` before the position would be sent as U+FFFD: another prompt, refused."""
    positions = [
        ("Hi", -0.1, [("Hi", -0.1), ("Yo", -2.3)]),
        (b"\xf0", -0.5, [(b"\xf0", -0.5), (" z", -1.0)]),  # no later token completes it
        (" x", -0.2, [(" x", -0.2), (" y", -1.5)]),
        (" w", -0.1, [(" w", -0.1), (" v", -3.0)]),
    ]
    with pytest.warns(tp.TokenprobsWarning):  # the hand-made logprobs sum past 1
        _loaded(page, positions)
    sent = len(stub.requests)
    error = refused(
        page.post("/api/branch", json={"parent": 1, "position": 3, "alternative": 1}),
        "the answer before position 3 is not UTF-8 text: position 1 holds bytes",
    )
    assert "branch before it, or at its position" in error["message"]
    assert len(stub.requests) == sent
    panel = page.get("/api/branches/1/positions?start=3&stop=4").json()["positions"][0]
    assert [a["branch"] for a in panel["alternatives"]] == [False, False]  # no button offered
    at = events(page, "/api/branch", {"parent": 1, "position": 1, "alternative": 1})
    assert at[-1]["t"] == "done"
    assert stub.requests[-1]["body"]["prompt"] == "P" + "Hi" + " z"  # before it: whole text


def test_a_branch_after_a_token_without_text_is_refused(page, stub):
    """llama-cpp-python streams a split character's pieces as "": the text before is not whole."""
    positions = [
        ("Hi", -0.1, [("Hi", -0.1), ("Yo", -2.3)]),
        ("", -0.5, [("", -0.5), (" z", -1.0)]),  # a piece of a character, sent with no text
        ("", -0.2, [("", -0.2)]),
        (" w", -0.1, [(" w", -0.1), (" v", -3.0)]),
    ]
    _loaded(page, positions)
    sent = len(stub.requests)
    error = refused(
        page.post("/api/branch", json={"parent": 1, "position": 3, "alternative": 1}),
        "the answer before position 3 is not whole text: the server sent no text for position 1",
    )
    assert "branch before it, or at its position" in error["message"]
    refused(
        page.post("/api/branch", json={"parent": 1, "position": 1, "alternative": 0}),
        "the alternative '' at position 1 has no text",
    )
    assert len(stub.requests) == sent
    panel = page.get("/api/branches/1/positions?start=1&stop=4").json()["positions"]
    assert [p["why"] is None for p in panel] == [True, False, False]  # the panel says why
    assert panel[2]["why"] == error["message"]
    assert [[a["branch"] for a in p["alternatives"]] for p in panel] == [
        [False, True],
        [False],
        [False, False],
    ]
    at = events(page, "/api/branch", {"parent": 1, "position": 1, "alternative": 1})
    assert at[-1]["t"] == "done"
    assert stub.requests[-1]["body"]["prompt"] == "P" + "Hi" + " z"


def test_a_least_certain_span_without_text_is_shown_as_the_view_draws_it(page):
    """An uncertain span of empty tokens read “” in the summary; the view draws them as ∅."""
    positions = [
        ("Hi", -0.1, [("Hi", -0.1), ("Yo", -2.3)]),
        ("", -1.5, [(" z", -0.3), ("", -1.5)]),  # llama-cpp-python's piece of a character
        (" w", -0.1, [(" w", -0.1), (" v", -3.0)]),
    ]
    _loaded(page, positions)
    (branch,) = page.post("/api/views", json={"mode": "least-likely"}).json()["branches"]
    assert [u["text"] for u in branch["summary"]["uncertain"]] == ["\N{EMPTY SET}"]


@pytest.mark.parametrize("mode", ["xx", 5, ["entropy"]])
def test_a_mode_that_is_no_mode_is_a_400_and_changes_nothing(page, mode):
    """It was drawn as least-likely with a 200, where every other malformed field is a 400.

    Nothing is run, branched or replaced: the session is as it was.
    """
    before = page.post("/api/views", json={}).json()
    for path in ("/api/run", "/api/views"):
        error = refused(page.post(path, json={**RUN, "mode": mode}), "mode must be one of")
        assert "'least-likely'" in error["message"]
    saved = page.get("/api/session").json()
    refused(page.post("/api/session", json={"session": saved, "mode": mode}), "mode must be one")
    assert page.post("/api/views", json={}).json() == before
    for ok in ("entropy", "least likely", "prob", None, ""):
        assert page.post("/api/views", json={"mode": ok}).status_code == 200
