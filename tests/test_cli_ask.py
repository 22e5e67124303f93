import io
import json
import sys

import httpx
import openai
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
    assert cli.main([*argv, "--max-tokens", "16"]) == 0
    assert json.loads(route.calls.last.request.content)["max_output_tokens"] == 16


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


def usage_error(argv, capsys):
    """The exit code argparse gives `argv`, and its one-line message."""
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    return info.value.code, capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--temperature", "nan", "finite number of at least 0"),
        ("--temperature", "inf", "finite number of at least 0"),
        ("--temperature", "-1", "finite number of at least 0"),
        ("--temperature", "warm", "must be a number"),
        ("--max-tokens", "0", "at least 1"),
        ("--max-tokens", "-1", "at least 1"),
        ("--top-logprobs", "-1", "at least 0"),
        ("--top-logprobs", "2.5", "whole number"),
        ("--top", "-1", "at least 0"),
    ],
)
def test_bad_numbers_are_usage_errors_not_tracebacks(option, value, says, capsys):
    """`--temperature nan` reached the SDK's JSON encoder (a traceback, exit 1): exit 2 now."""
    argv = ["ask", "Hi", "--model", "m", "--base-url", "http://127.0.0.1:9/v1", option, value]
    code, line = usage_error(argv, capsys)
    assert code == cli.EXIT_USAGE
    assert f"argument {option}: must be " in line
    assert says in line


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://[::1/v1", "Invalid IPv6 URL"),
        ("http://h:99999/v1", "out of range"),
        ("http://h:abc/v1", "abc"),
        ("ftp://h/v1", "http:// or https://"),
        ("localhost:8000", "http:// or https://"),
        ("http:///v1", "no host"),
        (" http://h/v1", "a space"),
    ],
)
def test_a_malformed_base_url_is_one_usage_line(url, why, monkeypatch, capsys):
    """A typo'd --base-url ended in urllib's or httpx's traceback, or three retries to nowhere."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    code = cli.main(["ask", "Hi", "--model", "m", "--base-url", url])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert err.count("\n") == 1
    assert err.startswith("tokenprobs: --base-url ")
    assert why in err
    assert "http://HOST[:PORT]/v1" in err


def test_a_malformed_openai_base_url_names_the_variable(monkeypatch, capsys):
    """From the environment, the line names OPENAI_BASE_URL, and shows no credentials."""
    monkeypatch.setenv("OPENAI_BASE_URL", "http://user:sk-url-secret-1@[::1/v1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert cli.main(["ask", "Hi", "--model", "m"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("tokenprobs: OPENAI_BASE_URL 'http://[::1/v1' is not a server URL")
    assert "sk-url-secret-1" not in err


class _Stdin:
    """Standard input as bytes (`sys.stdin.buffer`), as a shell pipes it."""

    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def test_prompt_from_stdin_is_read_as_utf8(served, monkeypatch):
    """`ask -` sends standard input's text, decoded as UTF-8."""
    route = served.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    monkeypatch.setattr(sys, "stdin", _Stdin("café?".encode()))
    assert cli.main(["ask", "-", "--model", "gpt-4o-mini", "--json"]) == 0
    sent = json.loads(route.calls.last.request.content)["messages"][0]["content"]
    assert sent == "café?"


def test_non_utf8_stdin_is_an_input_error(served, monkeypatch, capsys):
    """Latin-1 on standard input failed in the SDK (UnicodeEncodeError traceback): exit 3."""
    route = served.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    monkeypatch.setattr(sys, "stdin", _Stdin(b"caf\xe9?"))
    assert cli.main(["ask", "-", "--model", "gpt-4o-mini"]) == cli.EXIT_INPUT
    err = capsys.readouterr().err
    want = "cannot read standard input: it is not UTF-8 (the bytes b'\\xe9' at byte 3)"
    assert err == f"tokenprobs: {want}\n"
    assert route.call_count == 0


def test_a_prompt_argument_with_escaped_bytes_is_an_input_error(served, capsys):
    """A non-UTF-8 argument (Python escapes its bytes as surrogates) is refused before sending."""
    route = served.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    assert cli.main(["ask", "caf\udce9?", "--model", "gpt-4o-mini"]) == cli.EXIT_INPUT
    assert "cannot read the prompt: it is not UTF-8 (the bytes b'\\xe9'" in capsys.readouterr().err
    assert route.call_count == 0


@pytest.mark.parametrize("where", ["prompt", "model"])
def test_a_lone_surrogate_argument_is_an_input_error_not_a_traceback(served, capsys, where):
    """Windows' UTF-16 argv can carry half a surrogate pair (not an escaped byte): one line."""
    route = served.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    prompt, model = ("a\ud800", "gpt-4o-mini") if where == "prompt" else ("Hi", "m\ud800")
    assert cli.main(["ask", prompt, "--model", model]) == cli.EXIT_INPUT
    name = "the prompt" if where == "prompt" else "--model"
    err = capsys.readouterr().err
    assert err.startswith(f"tokenprobs: cannot read {name}: it is not UTF-8 ('\\ud800', half of")
    assert route.call_count == 0


def echoing(request) -> httpx.Response:
    """A gateway that quotes the key it was sent in its 401 message."""
    sent = request.headers["authorization"].removeprefix("Bearer ")
    return httpx.Response(401, json={"error": {"message": f"invalid api key: {sent}"}})


def test_a_key_the_server_echoes_is_redacted(api, monkeypatch, capsys):
    """The server's message is printed, with the key as `***`."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-echoed-SECRET-123")
    route_cli_to(api, monkeypatch)
    api.post("/chat/completions").mock(side_effect=echoing)
    assert cli.main(["ask", "Hi", "--model", "gpt-4o-mini"]) == cli.EXIT_API
    err = capsys.readouterr().err
    assert "invalid api key: ***" in err
    assert "SECRET" not in err


def test_the_clients_own_key_is_redacted(api, monkeypatch, capsys):
    """A key the client holds (not from the environment) is redacted too."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    key = "sk-client-SECRET-456"
    monkeypatch.setattr(
        _cli_ask,
        "client_of",
        lambda _args: openai.OpenAI(api_key=key, max_retries=0, http_client=http_client(api)),
    )
    api.post("/chat/completions").mock(side_effect=echoing)
    assert cli.main(["ask", "Hi", "--model", "gpt-4o-mini"]) == cli.EXIT_API
    assert key not in capsys.readouterr().err


def test_base_url_credentials_the_server_echoes_are_redacted(api, monkeypatch, capsys):
    """A key in the base URL's password or query, quoted back by the server, is `***`."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    route_cli_to(api, monkeypatch)
    secret = "sk-url-SECRET-789"
    url = f"http://user:{secret}@localhost:8080/v1"

    def quoting(_request) -> httpx.Response:
        return httpx.Response(400, json={"error": {"message": f"no route for {url}"}})

    api.post("http://localhost:8080/v1/chat/completions").mock(side_effect=quoting)
    code = cli.main(["ask", "Hi", "--model", "local", "--base-url", url])
    err = capsys.readouterr().err
    assert code == cli.EXIT_API
    assert "no route for http://user:***@localhost:8080/v1" in err
    assert secret not in err


def test_a_servers_escape_sequences_are_shown_not_sent_to_the_terminal(served, capsys):
    """An error message with `ESC [2J` (clear screen) was printed raw, steering the terminal."""
    error = {"error": {"message": "bad model\x1b[2J\x1b[31m pwned\rline\u202eevil"}}
    served.post("/chat/completions").respond(400, json=error)
    assert cli.main(["ask", "Hi", "--model", "gpt-4o-mini"]) == cli.EXIT_API
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "\r" not in err
    assert "\u202e" not in err
    # openai 3.x gives the server's message (escaped here by tokenprobs); openai 2.x gives the
    # repr of the whole body, which Python's repr escapes already (`\\r` rather than `␍`)
    shown = ("bad model\\x1b[2J\\x1b[31m pwned␍line\\u202eevil", "pwned\\rline\\u202eevil'}}")
    assert any(visible in err for visible in shown), err


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(("sk-cli-secret-key\n", "starts or ends with whitespace"), id="line-break"),
        pytest.param(("sk-cli-secret\u201dkey", "not ASCII"), id="curly-quote"),
    ],
)
@pytest.mark.parametrize("command", ["ask", "score", "playground"])
def test_a_key_no_header_can_carry_is_one_usage_line(api, monkeypatch, capsys, bad, command):
    """An OPENAI_API_KEY with a line break or a curly quote: exit 2 naming it, the key unshown."""
    key, why = bad
    route_cli_to(api, monkeypatch)
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO("Hi\n"))
    argv = {"ask": ["ask", "Hi"], "score": ["score", "-"], "playground": ["playground"]}[command]
    assert cli.main([*argv, "--model", "gpt-4o-mini"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("tokenprobs: OPENAI_API_KEY ")
    assert why in err
    assert err.count("\n") == 1
    assert "secret" not in err


@pytest.mark.parametrize("command", ["ask", "score", "playground"])
@pytest.mark.parametrize("model", ["", "  "], ids=["empty", "blank"])
def test_an_empty_model_is_a_usage_error(command, model, capsys):
    """`--model ""` (an unset variable): argparse's usage error, not a ValueError traceback."""
    argv = {"ask": ["ask", "Hi"], "score": ["score", "-"], "playground": ["playground"]}[command]
    code, line = usage_error([*argv, "--model", model], capsys)
    assert code == cli.EXIT_USAGE
    says = "argument --model: must be a model's name (e.g. gpt-4o-mini, or your server's)"
    assert line.endswith(f"{says}, got {model!r}")


@pytest.mark.parametrize("prompt", ["", "   ", "\n\t"], ids=["empty", "spaces", "blank"])
def test_an_empty_prompt_is_a_usage_error(served, prompt, capsys):
    """`ask ""` (an unset `"$Q"`) was sent, and a greeting's probabilities shown: exit 2 now."""
    route = served.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    code, line = usage_error(["ask", prompt, "--model", "gpt-4o-mini"], capsys)
    assert code == cli.EXIT_USAGE
    says = "argument prompt: must be the question to ask (or - to read it from standard input)"
    assert line == f"tokenprobs ask: error: {says}, got {prompt!r}, which has no text"
    assert route.call_count == 0


@pytest.mark.parametrize("data", [b"", b" \n\n"], ids=["empty", "blank"])
def test_an_empty_standard_input_prompt_is_an_input_error(served, monkeypatch, data, capsys):
    """`ask - < /dev/null` was sent as an empty message: one line and exit 3, nothing sent."""
    route = served.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    monkeypatch.setattr(sys, "stdin", _Stdin(data))
    assert cli.main(["ask", "-", "--model", "gpt-4o-mini"]) == cli.EXIT_INPUT
    said = (
        "standard input has no text: there is no question to ask (pipe one in, or give it in "
        "place of -)"
    )
    assert capsys.readouterr().err == f"tokenprobs: {said}\n"
    assert route.call_count == 0


def test_json_with_format_html_is_a_usage_error(served, capsys):
    """`ask --json --format html` printed JSON, the HTML asked for silently dropped: exit 2."""
    route = served.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    argv = ["ask", "Hi", "--model", "gpt-4o-mini", "--json", "--format", "html"]
    assert cli.main(argv) == cli.EXIT_USAGE
    assert capsys.readouterr().err == (
        "tokenprobs: --json is --format json, and --format html was given too: keep one of them\n"
    )
    assert route.call_count == 0
