import json

import pytest
from tests._client_helpers import http_client

from tokenprobs import cli
from tokenprobs.cli import _ask as _cli_ask
from tokenprobs.testing import chat_completion, response

POSITIONS = [("Paris", -0.01, [("Paris", -0.01), ("Lyon", -4.6)])]


def route_cli_to(api, monkeypatch):
    """`ask` builds its client as usual, with HTTP answered by the `api` router."""
    original = _cli_ask.client_of
    monkeypatch.setattr(
        _cli_ask, "client_of", lambda args: original(args, http_client=http_client(api))
    )


@pytest.fixture
def served(api, monkeypatch):
    """The `api` router serves `ask`, with a key in the environment."""
    route_cli_to(api, monkeypatch)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return api


def test_ask_prints_the_distribution_as_json(served, capsys):
    """`ask --json` calls the API once and prints the distribution."""
    route = served.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    code = cli.main(["ask", "Capital?", "--model", "gpt-4o-mini", "--top-logprobs", "2", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tokens"] == ["Paris"]
    body = json.loads(route.calls.last.request.content)
    assert (body["top_logprobs"], body["logprobs"]) == (2, True)
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-cli-test"


def test_ask_text_view(served, capsys):
    """Without --json, the terminal view is printed."""
    served.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    assert cli.main(["ask", "Capital?", "--model", "gpt-4o-mini"]) == 0
    assert "Paris" in capsys.readouterr().out


def test_ask_responses_endpoint(served):
    """`--endpoint responses` calls /responses."""
    route = served.post("/responses").respond(200, json=response(POSITIONS))
    argv = ["ask", "Hi", "--model", "gpt-4o-mini", "--endpoint", "responses", "--json"]
    assert cli.main([*argv, "--max-tokens", "5"]) == 0
    assert json.loads(route.calls.last.request.content)["max_output_tokens"] == 5


def test_no_key_prints_one_line_and_exits_with_usage(monkeypatch, capsys):
    """No key and no --base-url: one line naming OPENAI_API_KEY, --base-url, demo and show."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    code = cli.main(["ask", "Hi", "--model", "gpt-4o-mini"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert err.count("\n") == 1
    for word in ("OPENAI_API_KEY", "--base-url", "demo", "show"):
        assert word in err


def test_base_url_needs_no_key(api, monkeypatch):
    """With --base-url and no key, a compatible server is asked (with a placeholder key)."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    route_cli_to(api, monkeypatch)
    route = api.post("http://localhost:8080/v1/chat/completions").respond(
        200, json=chat_completion(POSITIONS)
    )
    argv = ["ask", "Hi", "--model", "local", "--base-url", "http://localhost:8080/v1", "--json"]
    assert cli.main(argv) == 0
    assert route.call_count == 1


def test_api_error_exit_code(served, capsys):
    """An API error (after the CLI's retries) exits with EXIT_API and one line on stderr."""
    served.post("/chat/completions").respond(401, json={"error": {"message": "bad key"}})
    assert cli.main(["ask", "Hi", "--model", "gpt-4o-mini"]) == cli.EXIT_API
    err = capsys.readouterr().err
    assert "bad key" in err
    assert "sk-cli-test" not in err


def test_guard_refusal_exit_code(served, capsys):
    """A request the guards refuse exits with EXIT_GUARD, nothing sent."""
    route = served.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    code = cli.main(["ask", "Hi", "--model", "gpt-4o", "--top-logprobs", "21"])
    assert code == cli.EXIT_GUARD
    assert route.call_count == 0
    assert "top_logprobs" in capsys.readouterr().err


def test_usage_error_exit_code():
    """A missing --model is argparse's usage error."""
    with pytest.raises(SystemExit) as info:
        cli.main(["ask", "Hi"])
    assert info.value.code == cli.EXIT_USAGE


def test_exit_codes_are_distinct():
    """Usage, API and guard refusals exit differently."""
    assert len({cli.EXIT_USAGE, cli.EXIT_API, cli.EXIT_GUARD}) == 3
