"""What the app does with answers that have not finished, and with bodies too large to read.

A run streams over a real HTTP server (uvicorn) here, so that other requests arrive while it
streams, as the page's do.
"""

import asyncio
import json
import threading
import time

import httpx
import pytest
from tests.playground.stub import HOSTILE, Served
from tests.playground.test_app import RUN

from tokenprobs.playground import FORMAT, Request, Session, _fields, create_app
from tokenprobs.playground._runs import run_events
from tokenprobs.playground._view import ViewFrames

pytestmark = pytest.mark.extras


@pytest.fixture
def live(upstream, stub):
    """The playground served by uvicorn, and a client of it; the stub sends a chunk every 0.4 s."""
    stub.delay = 0.4
    with (
        Served(create_app(upstream, model="stub")) as served,
        httpx.Client(base_url=served.url, timeout=30) as client,
    ):
        client.streams = []
        yield client
        for run in client.streams:  # read to their end before the client closes
            run.stop()


class Streaming:
    """A run streamed in a thread: `events` as they arrive; `stop()` stops reading them."""

    def __init__(self, client: httpx.Client, body: dict) -> None:
        """Start the run; return once its first frame arrived."""
        self.events: list[dict] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._read, args=(client, body), daemon=True)
        self.thread.start()
        client.streams.append(self)
        deadline = time.monotonic() + 10
        while not any(e["t"] == "frame" for e in self.events):
            assert time.monotonic() < deadline, self.events
            time.sleep(0.01)
        self.id = self.events[0]["id"]

    def _read(self, client: httpx.Client, body: dict) -> None:
        with client.stream("POST", "/api/run", json=body) as r:
            for line in r.iter_lines():
                if line:
                    self.events.append(json.loads(line))
                if self.stopping.is_set():
                    return  # closes the connection mid-stream, as a page that went away

    def finish(self) -> None:
        """Read to the end."""
        self.thread.join(30)

    def stop(self) -> None:
        """Stop reading (the connection closes) and wait for the thread."""
        self.stopping.set()
        self.thread.join(30)


def test_a_body_past_the_limit_is_a_413_and_is_not_read_whole(page, monkeypatch):
    """Declared (Content-Length) or streamed (chunked) past MAX_BODY: 413, a JSON error."""
    monkeypatch.setattr(_fields, "MAX_BODY", 1000)
    body = json.dumps({**RUN, "prompt": "x" * 2000}).encode()
    declared = page.post("/api/run", content=body, headers={"content-type": "application/json"})
    chunked = page.post(
        "/api/run",
        content=iter([body[:600], body[600:]]),
        headers={"content-type": "application/json"},
    )
    for r in (declared, chunked):
        assert r.status_code == 413, r.text
        error = r.json()
        assert (error["t"], error["kind"]) == ("error", "usage")
        assert error["message"] == (
            "the request's body is larger than the playground reads (1000 bytes)"
        )
    assert page.post("/api/run", json={**RUN, "prompt": "x" * 500}).status_code == 200


def test_a_session_past_the_limit_is_refused_and_the_old_one_kept(page, monkeypatch):
    """Loading is a POST too: a 413, and the page's session as it was."""
    with page.stream("POST", "/api/run", json=RUN) as r:
        r.read()
    before = page.get("/api/session").text
    monkeypatch.setattr(_fields, "MAX_BODY", 1000)
    assert len(json.dumps(json.loads(before))) > 1000
    r = page.post("/api/session", json={"session": json.loads(before)})
    assert r.status_code == 413
    assert page.get("/api/session").text == before


def test_an_answer_still_arriving_cannot_be_branched(live):
    """The API refuses what the page does not offer: a branch of an answer not yet in."""
    run = Streaming(live, RUN)
    r = live.post("/api/branch", json={"parent": run.id, "position": 0, "alternative": 1})
    assert r.status_code == 400
    assert r.json()["message"] == (
        f"branch {run.id}'s answer has not finished arriving: branch when it has"
    )
    run.finish()
    assert run.events[-1]["t"] == "done"
    r = live.post("/api/branch", json={"parent": run.id, "position": 0, "alternative": 1})
    assert r.status_code == 200


def test_a_session_saved_mid_stream_marks_the_running_answer_and_loads_it_so(live):
    """Saved while it streams, an answer is saved with what arrived and says it was cut short."""
    run = Streaming(live, RUN)
    saved = live.get("/api/session").json()
    run.finish()
    (item,) = saved["branches"]
    assert 0 < len(item["distribution"]["tokens"]) < len(HOSTILE)
    assert item["error"] == {
        "kind": "interrupted",
        "message": "the answer was still arriving when the session was saved: only what had "
        "arrived is here",
    }
    loaded = live.post("/api/session", json={"session": saved}).json()["branches"]
    assert loaded[0]["error"]["kind"] == "interrupted"
    assert loaded[0]["n"] == len(item["distribution"]["tokens"])
    again = live.get("/api/session").json()["branches"]
    assert again == saved["branches"]  # saved again, still marked (the run that went on is gone)


def test_a_finished_answer_is_saved_without_an_error(live):
    """The mark is for answers cut short only."""
    run = Streaming(live, RUN)
    run.finish()
    (item,) = live.get("/api/session").json()["branches"]
    assert "error" not in item
    assert len(item["distribution"]["tokens"]) == len(HOSTILE)


def test_an_answer_the_page_stopped_reading_is_marked_interrupted(live):
    """A page that went away mid-stream (closed, reloaded, loaded a session): cut short.

    The answer is saved with what arrived and that error, and branches where it arrived.
    """
    run = Streaming(live, RUN)
    run.stop()
    deadline = time.monotonic() + 10
    while "error" not in (items := live.get("/api/session").json()["branches"])[0]:
        assert time.monotonic() < deadline, items
        time.sleep(0.05)
    assert items[0]["error"] == {
        "kind": "interrupted",
        "message": "the page stopped reading this answer before it finished: only what had "
        "arrived is here",
    }
    r = live.post("/api/branch", json={"parent": run.id, "position": 0, "alternative": 1})
    assert r.status_code == 200


def test_a_broken_streams_error_is_saved_and_loads_back(page):
    """The stream that broke keeps what arrived, and its error, through a save and a load."""
    with page.stream("POST", "/api/run", json={**RUN, "model": "broken"}) as r:
        r.read()
    saved = page.get("/api/session").json()
    (item,) = saved["branches"]
    assert item["error"]["kind"] == "interrupted"
    assert Session.loads(json.dumps(saved)).branches[item["id"]].error == {
        "t": "error",
        **item["error"],
    }


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("x", "branches[0].error must be an object {kind, message}, got 'x' (a string)"),
        ({"kind": "api"}, "branches[0].error.message must be a string"),
        ({"kind": 1, "message": "m"}, "branches[0].error.kind must be a string"),
    ],
)
def test_a_saved_error_is_read_strictly(page, error, says):
    """A hand-edited error is refused with its path, like every field."""
    with page.stream("POST", "/api/run", json=RUN) as r:
        r.read()
    saved = page.get("/api/session").json()
    saved["branches"][0]["error"] = error
    r = page.post("/api/session", json={"session": saved})
    assert r.status_code == 400
    assert r.json()["message"].startswith(says), r.json()["message"]
    assert saved["format"] == FORMAT


def test_an_answer_still_arriving_is_not_compared(live):
    """A comparison of what arrived so far would say the answers agree where one has not spoken."""
    first = Streaming(live, RUN)
    first.finish()
    second = Streaming(live, RUN)
    r = live.get(f"/api/compare?a={first.id}&b={second.id}")
    assert r.status_code == 404
    assert r.json()["message"] == (
        f"branch {second.id}'s answer has not finished arriving: compare it when it has"
    )
    second.finish()
    assert live.get(f"/api/compare?a={first.id}&b={second.id}").json()["diverge"] is None


def test_an_answer_still_arriving_is_not_exported(live):
    """An export is a finished answer's page: mid-stream, it would look whole and not be."""
    run = Streaming(live, RUN)
    r = live.get(f"/api/branches/{run.id}/export")
    assert r.status_code == 404
    assert r.json()["message"] == (
        f"branch {run.id}'s answer has not finished arriving: export it when it has"
    )
    run.finish()
    assert live.get(f"/api/branches/{run.id}/export").status_code == 200


async def test_a_run_cancelled_while_it_waits_leaves_no_task_behind(upstream, stub):
    """A page gone mid-answer cancels its run: no task of it is left pending (or warned of)."""
    stub.delay = 0.4
    branch = Session().add(Request.from_page(RUN))
    framed = asyncio.Event()

    async def read() -> None:
        async for event in run_events(branch, upstream, ViewFrames()):
            if event["t"] == "frame":
                framed.set()

    reader = asyncio.create_task(read())
    await asyncio.wait_for(framed.wait(), 10)
    await asyncio.sleep(0.1)  # waiting for the next chunk, 0.4 s away
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    await asyncio.sleep(0)
    left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert left == []


def test_a_stream_that_just_stops_is_said_and_saved_as_unfinished(page):
    """No finish reason, no `[DONE]`: the page is told, and the session never calls it finished."""
    with page.stream("POST", "/api/run", json={**RUN, "model": "cut"}) as r:
        evs = [json.loads(line) for line in r.iter_lines() if line]
    errors = [e for e in evs if e["t"] == "error"]
    assert [e["kind"] for e in errors] == ["interrupted"]
    assert errors[0]["message"].startswith("the server ended the stream after 2 tokens")
    assert evs[-1]["t"] == "done"
    assert evs[-1]["summary"]["incomplete"]
    (item,) = page.get("/api/session").json()["branches"]
    assert item["error"]["kind"] == "interrupted"
    assert len(item["distribution"]["tokens"]) == 2
