"""The `tokenprobs` command: demo and show, their formats, and clear errors on bad files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from tests._recorded import RECORDED

import tokenprobs as tp
from tokenprobs import cli, testing


def test_demo_prints_every_token_and_the_alternatives(capsys, monkeypatch):
    """Demo renders the bundled response: its text, probabilities and alternatives."""
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "Hello! How can I assist you today?" in out
    assert "72.81%" in out  # p(Hello) = exp(-0.31725305)
    assert "Hi" in out
    assert "\x1b[" not in out  # NO_COLOR respected


def test_demo_runs_as_a_console_script():
    """The installed entry point runs (python -m tokenprobs.cli demo)."""
    run = subprocess.run(
        [sys.executable, "-m", "tokenprobs.cli", "demo", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    d = tp.TokenDistribution.model_validate_json(run.stdout)
    assert d.text == "Hello! How can I assist you today?"


@pytest.mark.parametrize("fmt", ["text", "json", "html"])
def test_show_sse_capture(capsys, fmt):
    """Show reads an SSE capture in every format."""
    path = RECORDED / "chat_stream_gpt-4o-2024-08-06_refusal_logprobs.sse"
    assert cli.main(["show", str(path), "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        assert json.loads(out)["refusal"] is True
    elif fmt == "html":
        assert out.lstrip().lower().startswith("<!doctype html>")
        assert "sorry" in out
    else:
        assert "I'm sorry" in out


def test_show_jsonl_of_responses(tmp_path, capsys):
    """A JSONL file of responses shows one distribution per line."""
    lines = [testing.chat_completion([(w, -0.1, [])]) for w in ("alpha", "beta")]
    path = tmp_path / "responses.jsonl"
    path.write_text("\n".join(json.dumps(b) for b in lines) + "\n")
    assert cli.main(["show", str(path), "--format", "json"]) == 0
    shown = [json.loads(ln)["tokens"] for ln in capsys.readouterr().out.splitlines()]
    assert shown == [["alpha"], ["beta"]]


def test_show_choice_of_n(tmp_path, capsys):
    """--choice picks one choice of an n > 1 response."""
    path = tmp_path / "n2.json"
    path.write_text(json.dumps(testing.chat_completion([("a", -1.0, [])], [("b", -1.0, [])])))
    assert cli.main(["show", str(path), "--choice", "1", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["tokens"] == ["b"]
    assert cli.main(["show", str(path), "--choice", "7"]) == cli.EXIT_INPUT


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        pytest.param(b"\x00\x01\x02binary", [], "binary", id="binary"),
        pytest.param(b"{not json", [], "not JSON", id="malformed"),
        pytest.param(b"x" * 100, ["--max-bytes", "10"], "over the limit", id="too-large"),
        pytest.param(
            json.dumps(testing.chat_completion([("a", -1.0, [])]))
            .replace('"logprobs": {', '"logprobs": null, "x": {')
            .encode(),
            [],
            "logprobs=True",
            id="no-logprobs",
        ),
    ],
)
def test_show_bad_files_fail_clearly(tmp_path, capsys, content, args, message):
    """Bad input exits 3 with a one-line message, never a traceback."""
    path = tmp_path / "input.json"
    path.write_bytes(content)
    assert cli.main(["show", str(path), *args]) == cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_show_missing_file(capsys):
    """A missing file exits 3 and names the file."""
    assert cli.main(["show", "/nonexistent/response.json"]) == cli.EXIT_INPUT
    assert "/nonexistent/response.json" in capsys.readouterr().err


def test_show_api_error_body(capsys):
    """A saved API error body exits 4 with the server's message."""
    path = RECORDED / "error_openai_403_o4-mini_logprobs_not_allowed_from_repr.json"
    assert cli.main(["show", str(path)]) == cli.EXIT_API
    assert "not allowed to request logprobs" in capsys.readouterr().err


def test_no_command_is_a_usage_error(capsys):
    """No subcommand prints help and exits 2."""
    assert cli.main([]) == cli.EXIT_USAGE
    assert "demo" in capsys.readouterr().out
