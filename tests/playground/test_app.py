"""The playground's app through its HTTP API, against a stub server served for real (uvicorn)."""

import json
import logging
from html.parser import HTMLParser

import pytest
from starlette.testclient import TestClient
from tests.playground.conftest import KEY
from tests.playground.stub import BIDI, HOSTILE

import tokenprobs as tp
from tokenprobs import render
from tokenprobs.playground import CSP, FORMAT, Upstream, create_app
from tokenprobs.playground._view import split_view

pytestmark = pytest.mark.extras

RUN = {
    "endpoint": "completions",
    "model": "stub",
    "prompt": "Say hello",
    "top_logprobs": 3,
    "max_tokens": 16,
    "temperature": 0.5,
    "seed": 7,
}


def events(page, path, body):
    """The JSON events of one streamed answer."""
    with page.stream("POST", path, json=body) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("application/x-ndjson")
        return [json.loads(line) for line in r.iter_lines() if line]


def drawn(evs):
    """The cells a page holds after applying the frames, as the page's script applies them."""
    cells = []
    for e in evs:
        if e["t"] == "frame":
            del cells[e["cut"] :]
            cells += e["cells"]
    return cells


def test_a_run_streams_the_notebook_views_cells_then_a_summary(page, stub):
    """Frames add up to `to_html` of the answer; `done` gives its perplexity and uncertain spans."""
    evs = events(page, "/api/run", RUN)
    kinds = [e["t"] for e in evs]
    assert kinds[0] == "branch"
    assert kinds[-1] == "done"
    assert "frame" in kinds
    saved = tp.playground.Session.loads(page.get("/api/session").text)
    d = saved.branches[evs[0]["id"]].distribution
    assert d.tokens == [t for t, _, _ in HOSTILE]
    assert drawn(evs) == split_view(render.to_html(d))[1]
    done = evs[-1]["summary"]
    assert done["tokens"] == len(d)
    assert done["perplexity"] == pytest.approx(d.perplexity)
    assert [(u["start"], u["end"]) for u in done["uncertain"]] == sorted(
        [(s.start, s.end) for s in d.uncertain(threshold=0.5)],
        key=lambda se: float(d.probs[se[0] : se[1]].min()),
    )
    sent = stub.requests[-1]["body"]
    assert (sent["prompt"], sent["logprobs"], sent["max_tokens"], sent["seed"]) == (
        "Say hello",
        3,
        16,
        7,
    )
    assert sent["stream"] is True


def test_a_server_sending_fewer_alternatives_than_asked_is_said_on_the_page(page):
    """Asked 3, the stub's "capped" model sends 1 at every position: a notice before `done`."""
    evs = events(page, "/api/run", {**RUN, "model": "capped"})
    notices = [e["message"] for e in evs if e["t"] == "notice"]
    assert notices == [
        (
            "top_logprobs=3 was asked, but every position holds 1 alternative(s): the server (or "
            "a gateway) caps them without saying so. The tail mass, bounds and exact flags are "
            "those of the 1 returned; ask for top_logprobs=1 to match what it sends"
        )
    ]
    assert [e["t"] for e in evs][-2:] == ["notice", "done"]
    assert not [e for e in events(page, "/api/run", RUN) if e["t"] == "notice"]  # 3 and 2 sent


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.data = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, sorted(name for name, _ in attrs)))

    def handle_data(self, data):
        self.data.append(data)


def test_a_stream_that_breaks_says_so_and_keeps_what_arrived(page):
    """A stream cut by garbage ends in an error event; the tokens that arrived stay drawn."""
    evs = events(page, "/api/run", {**RUN, "model": "broken"})
    assert evs[-1]["t"] == "error"
    assert evs[-1]["type"] == "StreamInterruptedError"
    assert evs[-1]["kind"] == "interrupted"  # the page says "Interrupted", not "Error"
    message = evs[-1]["message"]
    assert message.startswith("the stream broke (JSONDecodeError: ")
    assert message.endswith("after 1 token: what arrived is kept")
    assert ".distributions" not in message  # a Python attribute, no use in the page
    assert len(drawn(evs)) == 1
    saved = tp.playground.Session.loads(page.get("/api/session").text)
    assert saved.branches[evs[0]["id"]].distribution.tokens == ["Hello"]


def test_hostile_tokens_arrive_escaped(page):
    """`<script>` and `"onerror=` tokens reach the page as text, never as markup."""
    cells = "".join(drawn(events(page, "/api/run", RUN)))
    parsed = _Tags()
    parsed.feed(cells)
    assert {tag for tag, _ in parsed.tags} == {"span"}
    assert {tuple(a) for _, a in parsed.tags} <= {
        ("class", "data-p", "tabindex"),
        ("data-p", "tabindex"),
        ("class",),
    }
    text = "".join(parsed.data)
    assert "<script>document.title='pwned'</script>" in text
    assert '"onerror=' in text


def test_the_page_is_served_by_the_app_with_a_strict_policy(page):
    """The page, its script and style come from the app; no script but the app's may run."""
    index = page.get("/")
    assert index.headers["content-security-policy"] == CSP
    assert "script-src 'self'" in CSP
    assert "unsafe-inline" not in CSP.split("style-src")[0]
    assert "http" not in index.text.replace('href="/static', "").split("<body>")[0]  # no CDN
    for asset in ("/static/app.js", "/static/app.css"):
        assert page.get(asset).status_code == 200


@pytest.mark.parametrize(
    ("profile", "top_logprobs"),
    [
        pytest.param("openai", -1, id="openai-below-min"),
        pytest.param("vllm", 25, id="vllm-above-max"),
    ],
)
def test_guards_refuse_before_sending_in_the_apis_words(stub, monkeypatch, profile, top_logprobs):
    """A request the API would refuse never leaves; the page gets the SDK's own message."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    upstream = Upstream.from_env(stub.url, profile=profile)
    with TestClient(create_app(upstream), base_url="http://127.0.0.1:1") as page:
        evs = events(page, "/api/run", {**RUN, "top_logprobs": top_logprobs})
    params = {
        "model": "stub",
        "prompt": "Say hello",
        "logprobs": top_logprobs,
        "max_tokens": 16,
        "temperature": 0.5,
        "seed": 7,
        "stream": True,
    }
    with pytest.raises(tp.GuardError) as expected:
        tp.check_request("completions", params, base_url=stub.url, profile=profile)
    error = evs[-1]
    assert error["t"] == "error"
    assert error["kind"] == "guard"
    assert error["message"] == str(expected.value)
    assert error["status"] == expected.value.status_code
    assert error["param"] == expected.value.param
    assert stub.requests == []


def test_the_key_reaches_the_server_and_nothing_else(page, stub, caplog):
    """A server that echoes the key: the page, its HTML, the session and the logs never show it."""
    caplog.set_level(logging.DEBUG)
    seen = [page.get("/").text, page.get("/static/app.js").text, page.get("/api/config").text]
    evs = events(page, "/api/run", {**RUN, "model": "echo-key"})
    assert stub.requests[-1]["headers"]["authorization"] == f"Bearer {KEY}"
    error = evs[-1]
    assert error["kind"] == "api"
    assert error["status"] == 401
    assert "Incorrect API key provided: ***" in error["message"]
    events(page, "/api/run", RUN)
    seen += [json.dumps(evs), page.get("/api/session").text, caplog.text]
    seen += [page.get("/api/branches/2/export").text]
    assert all(KEY not in s for s in seen)
    assert KEY not in repr(Upstream.from_env(stub.url))


def test_a_branch_forces_the_token_and_keeps_the_text_before(page, stub):
    """Branching at position 1 on an alternative: same position 0, the chosen token, a new tail."""
    first = events(page, "/api/run", {**RUN, "prompt": "Let us branch"})
    parent = first[0]["id"]
    alts = page.get(f"/api/branches/{parent}/positions?start=1&stop=2").json()
    assert alts["refusal"] is None
    pos = alts["positions"][0]
    assert [a["token"] for a in pos["alternatives"]][1] == "␣world"
    evs = events(page, "/api/branch", {"parent": parent, "position": 1, "alternative": 1})
    assert evs[0]["parent"] == parent
    assert evs[0]["forced"] == " world"
    assert evs[0]["forced_shown"] == "␣world"
    assert evs[-1]["t"] == "done"
    sent = stub.requests[-1]["body"]
    assert sent["prompt"] == "Let us branch" + " branch" + " world"
    assert sent["max_tokens"] == 16 - 2
    session = tp.playground.Session.loads(page.get("/api/session").text)
    a, b = session.branches[parent].distribution, session.branches[evs[0]["id"]].distribution
    assert b.tokens[:1] == a.tokens[:1]
    assert b.tokens[1] == " world"
    assert b.logprobs[1] == a.top_logprobs[1, 1]
    assert b.top_tokens[1] == a.top_tokens[1]
    assert b.tokens[2] == " world"  # the stub's continuation starts with the prompt's last word
    cmp = page.get(f"/api/compare?a={parent}&b={evs[0]['id']}").json()
    assert cmp["diverge"] == 1
    assert cmp["rows"][0]["same"]
    assert not cmp["rows"][1]["same"]


def test_chat_answers_say_why_they_cannot_branch(page):
    """A server nothing identifies may not continue a prefill: the page says so, and refuses."""
    chat = {**RUN, "endpoint": "chat.completions", "messages": [{"role": "user", "content": "Hi"}]}
    evs = events(page, "/api/run", chat)
    assert evs[-1]["refusal"] == evs[0]["refusal"]
    assert evs[0]["refusal"] == tp.playground.branch_refusal(
        "chat.completions", tp.guards.CAPABILITIES["compatible"]
    )
    assert "nothing identified the server" in evs[0]["refusal"]
    alts = page.get(f"/api/branches/{evs[0]['id']}/positions?start=0&stop=1").json()
    assert alts["refusal"] == evs[0]["refusal"]
    r = page.post("/api/branch", json={"parent": evs[0]["id"], "position": 1, "alternative": 1})
    assert r.status_code == 400
    assert r.json()["message"] == evs[0]["refusal"]


def test_a_saved_session_loads_back_the_same_distributions(page, upstream):
    """Save, load into a fresh app: every distribution equals the original (its own JSON)."""
    events(page, "/api/run", RUN)
    events(page, "/api/run", {**RUN, "prompt": "Let us branch"})
    saved = page.get("/api/session")
    assert saved.headers["content-disposition"].startswith("attachment")
    data = saved.json()
    assert data["format"] == FORMAT
    assert len(data["branches"]) == 2
    originals = tp.playground.Session.loads(saved.text)
    with TestClient(create_app(upstream), base_url="http://127.0.0.1:1") as fresh:
        loaded = fresh.post("/api/session", json={"session": data, "mode": "entropy"})
        assert loaded.status_code == 200
        again = tp.playground.Session.loads(fresh.get("/api/session").text)
        drawn_again = loaded.json()["branches"]
    for bid, branch in originals.branches.items():
        d = branch.distribution
        assert again.branches[bid].distribution == d
        assert tp.TokenDistribution.model_validate_json(d.model_dump_json()) == d
    first = originals.branches[1].distribution
    assert drawn_again[0]["cells"] == split_view(render.to_html(first, mode="entropy"))[1]


def test_a_broken_session_file_is_refused_with_a_reason(page):
    """Not a session, or a malformed distribution: a 400 that says what is wrong."""
    r = page.post("/api/session", json={"session": {"format": "other"}})
    assert r.status_code == 400
    assert "not a saved session" in r.json()["message"]
    bad = {"format": FORMAT, "branches": [{"id": 1, "request": RUN, "distribution": {"tokens": 3}}]}
    r = page.post("/api/session", json={"session": bad})
    assert r.status_code == 400
    assert r.json()["message"].startswith("branches[0].distribution is not a TokenDistribution")


def test_export_is_the_standalone_view(page):
    """Export gives `render.to_html(d, standalone=True)` as a download."""
    evs = events(page, "/api/run", RUN)
    r = page.get(f"/api/branches/{evs[0]['id']}/export?mode=margin")
    d = tp.playground.Session.loads(page.get("/api/session").text).branches[1].distribution
    assert r.text == render.to_html(d, mode="margin", standalone=True)
    assert r.headers["content-disposition"].startswith("attachment")


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({"Origin": "http://evil.example"}, 403, id="foreign-origin"),
        pytest.param({"Content-Type": "text/plain"}, 403, id="cross-site-form-body"),
        pytest.param({"Host": "evil.example"}, 400, id="dns-rebinding-host"),
    ],
)
def test_other_sites_cannot_drive_the_app(page, stub, headers, status):
    """Only the app's own page may start a request: other origins, bodies and hosts are refused."""
    body = json.dumps(RUN)
    r = page.post("/api/run", content=body, headers={"Content-Type": "application/json", **headers})
    assert r.status_code == status
    assert stub.requests == []


def test_the_same_origin_may(page, stub):
    """The page's own origin passes the check."""
    r = page.post("/api/run", json=RUN, headers={"Origin": "http://127.0.0.1:8765"})
    assert r.status_code == 200
    assert len(stub.requests) == 1


def test_text_the_page_shows_as_text_is_shown_not_obeyed(page, stub):
    """The summary's spans and a forced token come with bidi controls and newlines as marks.

    The page sets them as text (no markup can run), but a right-to-left override would still
    reverse the line it is in, and 300 newlines stretch it: they come as `render.visible` does.
    """
    first = events(page, "/api/run", {**RUN, "model": "long"})
    spans = [u["text"] for u in first[-1]["summary"]["uncertain"]]
    assert spans == ["x" * 2000 + "\\u202eevil\\u202c" + "↵" * 300]  # positions 2 to 4
    evs = events(page, "/api/branch", {"parent": first[0]["id"], "position": 1, "alternative": 2})
    assert evs[0]["forced"] == BIDI  # what was sent
    assert evs[0]["forced_shown"] == "\\u202eevil\\u202c"  # what the page shows
    assert stub.requests[-1]["body"]["prompt"] == RUN["prompt"] + "Hello" + BIDI


def test_a_404_says_which_url_and_that_the_base_url_may_lack_v1(stub):
    """A base URL without its `/v1` gets a bare 404: the page names the URL and the likely fix."""
    upstream = Upstream("http://user:sk-url-secret@" + stub.url.removesuffix("/v1")[7:], KEY)
    with TestClient(create_app(upstream), base_url="http://127.0.0.1:1") as page:
        error = events(page, "/api/run", RUN)[-1]
    assert error["status"] == 404
    path = stub.url.removesuffix("/v1") + "/completions"
    assert f"POST {path}" in error["message"]
    assert "on most servers it ends in /v1" in error["message"]
    assert "sk-url-secret" not in error["message"]
