"""A page left open across a restart: its requests name answers the new playground never had."""

import json

import pytest
from starlette.testclient import TestClient

from tokenprobs.playground import create_app

pytestmark = pytest.mark.extras

HEADER = "X-Playground-Instance"
RUN = {"endpoint": "completions", "model": "stub", "prompt": "Let us branch", "top_logprobs": 3}


def client(upstream):
    """A client of a fresh playground app (a restart is a new app on the same server)."""
    return TestClient(create_app(upstream, model="stub"), base_url="http://127.0.0.1:8765")


def first_answer(page):
    """Run one answer to its end; its id."""
    with page.stream("POST", "/api/run", json=RUN) as r:
        events = [json.loads(line) for line in r.iter_lines() if line]
    assert events[-1]["t"] == "done"
    return events[0]["id"]


def test_a_page_of_the_playground_before_a_restart_is_told_so(upstream):
    """Branching, alternatives, export, compare, views and saving from the old page: 409.

    Was: 'no branch 1 in this session' (400) before any new run; and, once the restarted
    playground had answers, the old page's ids named the new answers.
    """
    with client(upstream) as before:
        old = before.get("/api/config").headers[HEADER]
        parent = first_answer(before)
    with client(upstream) as after:
        new = after.get("/api/config").headers[HEADER]
        assert new != old
        stale = {HEADER: old}
        requests = [
            after.post(
                "/api/branch",
                json={"parent": parent, "position": 1, "alternative": 1},
                headers=stale,
            ),
            after.get(f"/api/branches/{parent}/positions", headers=stale),
            after.get(f"/api/branches/{parent}/export?instance={old}"),
            after.get(f"/api/compare?a={parent}&b={parent}", headers=stale),
            after.post("/api/views", json={}, headers=stale),
            after.get("/api/session", headers=stale),  # was: the new, empty session, saved
        ]
        for r in requests:
            assert r.status_code == 409, r.request.url
            assert r.headers[HEADER] == new
            body = r.json()
            assert body["kind"] == "restarted"
            assert body["message"].startswith("the playground restarted since this page was loaded")
            assert "reload the page" in body["message"]
        first_answer(after)  # a new run is not refused: it is how the page learns the new id
        r = after.get(f"/api/branches/{parent}/positions", headers=stale)
        assert r.status_code == 409  # the old #1 does not open the new #1
        assert after.get(f"/api/branches/{parent}/positions", headers={HEADER: new}).is_success
        assert after.get("/api/session", headers={HEADER: new}).is_success
        assert after.get("/api/session").is_success  # an API client sending no instance saves


def test_requests_without_the_instance_are_answered_as_before(page):
    """An API client that sends no instance gets the session's own answers and errors."""
    r = page.post("/api/branch", json={"parent": 9, "position": 0, "alternative": 0})
    assert r.status_code == 400
    assert r.json()["message"] == "no branch 9 in this session"
