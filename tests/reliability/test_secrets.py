"""The API key never appears in anything tokenprobs produces: a canary key, a full run, a scan."""

from __future__ import annotations

import json
import logging
import traceback

import pytest

import tokenprobs as tp
from tokenprobs import cli, render
from tokenprobs.cli import _ask as _cli_ask
from tokenprobs.client import get_token_distribution
from tokenprobs.testing import chat_chunks, chat_completion, no_sleep, sse

KEY = "sk-proj-CANARY7f3a9e1d5c2b8a4f6e0d9c8b7a6f5e4d3c2b1a0"
POSITIONS = [("Hi", -0.1, [("Hi", -0.1), ("Yo", -2.3)]), ("!", -0.4, [("!", -0.4)])]


def _all_text(exc: BaseException) -> str:
    """Everything an exception shows: str, repr, notes, traceback, causes and their bodies."""
    parts = ["".join(traceback.format_exception(exc)), repr(exc)]
    seen = exc
    while seen is not None:
        parts += [str(seen), repr(seen), repr(getattr(seen, "body", None))]
        parts += [str(getattr(seen, "request", None) and seen.request.headers)]  # type: ignore[attr-defined]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


@pytest.fixture
def produced(monkeypatch, caplog, api, make_client, capsys):
    """Run the public API and the CLI with a canary key; return everything they produced."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    out: list[str] = []
    client = make_client(api, api_key=KEY)
    route = api.post("/chat/completions")
    # success, then every view and export of the result
    route.respond(200, json=chat_completion(POSITIONS))
    d = get_token_distribution("Hi", model="gpt-4o-mini", client=client)
    out += [repr(d), str(d), d.text, d.model_dump_json(), render.to_html(d), d.to_text()]
    out += [repr(d[0]), d._repr_html_(), json.dumps(d.model_dump(mode="json"))]
    # streaming
    route.respond(
        200, headers={"content-type": "text/event-stream"}, text=sse(chat_chunks(POSITIONS))
    )
    stream = get_token_distribution("Hi", model="gpt-4o-mini", client=client, stream=True)
    out += [repr(u) for u in stream]
    out += [repr(stream.distribution)]
    # errors: 401 (the API echoes a masked key), a 5xx storm, a guard refusal, a bad body
    for status, body in [
        (
            401,
            {
                "error": {
                    "message": "Incorrect API key provided: sk-proj-****a0.",
                    "code": "invalid_api_key",
                }
            },
        ),
        (500, {"error": {"message": "boom"}}),
        (200, {"error": {"message": "oops", "type": "server_error"}}),
        # a gateway that echoes the key it was sent, in the message and elsewhere in the body
        (200, {"error": {"message": f"bad key {KEY}", "param": KEY, "details": [{KEY: KEY}]}}),
    ]:
        route.respond(status, json=body)
        with no_sleep(), pytest.raises(Exception) as info:  # noqa: PT011 - any error, scanned below
            get_token_distribution("Hi", model="gpt-4o-mini", client=client)
        out.append(_all_text(info.value))
    with pytest.raises(tp.GuardError) as info:
        get_token_distribution("Hi", model="gpt-4o", client=client, top_logprobs=99)
    out.append(_all_text(info.value))
    # the CLI: ask (success, JSON, API error) with the key from the environment
    monkeypatch.setattr(_cli_ask, "client_of", lambda *_, **__: make_client(api, api_key=KEY))
    route.respond(200, json=chat_completion(POSITIONS))
    codes = [cli.main(["ask", "Hi", "--model", "gpt-4o-mini"])]
    codes.append(cli.main(["ask", "Hi", "--model", "gpt-4o-mini", "--json"]))
    route.respond(401, json={"error": {"message": "Incorrect API key", "code": "invalid_api_key"}})
    codes.append(cli.main(["ask", "Hi", "--model", "gpt-4o-mini"]))
    codes.append(cli.main(["demo", "--format", "html"]))
    assert codes == [0, 0, cli.EXIT_API, 0]
    captured = capsys.readouterr()
    out += [captured.out, captured.err]
    out += [r.getMessage() + repr(r.__dict__) for r in caplog.records]
    client.close()
    return out


def test_the_key_appears_nowhere(produced):
    """Not in any repr, str, exception, log record, HTML, JSON export or CLI output."""
    assert len(produced) > 20
    for text in produced:
        assert KEY not in text
        assert KEY[8:30] not in text  # nor a recognisable part of it
