"""The `tokenprobs` command: demo and show, their formats, and clear errors on bad files."""

from __future__ import annotations

import concurrent.futures
import io
import json
import os
import re
import subprocess
import sys

import pytest
from tests._cli_helpers import scored_texts
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


def test_an_error_line_shows_escape_sequences_from_the_file(tmp_path, capsys):
    r"""A saved error body's escape sequences are printed as text (`\x1b`), not obeyed."""
    path = tmp_path / "error.json"
    path.write_text(json.dumps({"error": {"message": "bad \x1b[31mRED\x1b]0;title\x07"}}))
    assert cli.main(["show", str(path)]) == cli.EXIT_API
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "bad \\x1b[31mRED\\x1b]0;title\\x07" in err


def test_no_command_is_a_usage_error(capsys):
    """No subcommand prints help and exits 2."""
    assert cli.main([]) == cli.EXIT_USAGE
    assert "demo" in capsys.readouterr().out


def _batch_line(cid: str, *, status: int = 200, body=None, error=None) -> str:
    """One line of a Batch API output file, as the API writes it."""
    response = None if error else {"status_code": status, "request_id": "req_1", "body": body}
    return json.dumps(
        {"id": f"batch_req_{cid}", "custom_id": cid, "response": response, "error": error}
    )


@pytest.fixture
def batch_output(tmp_path):
    """A Batch output file: a good line, a 400, an expired request, another good line."""
    lines = [
        _batch_line("q-alpha", body=testing.chat_completion([("alpha", -0.1, [("alpha", -0.1)])])),
        _batch_line(
            "q-bad",
            status=400,
            body={"error": {"message": "Invalid top_logprobs", "type": "invalid_request_error"}},
        ),
        _batch_line("q-late", error={"code": "batch_expired", "message": "not run in the window"}),
        _batch_line("q-beta", body=testing.chat_completion([("beta", -2.0, [("beta", -2.0)])])),
    ]
    path = tmp_path / "batch_output.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_show_batch_output_labels_each_line(batch_output, capsys, monkeypatch):
    """Each Batch line is shown under its custom_id; failures in place; exit 6 says some failed."""
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.main(["show", str(batch_output)]) == cli.EXIT_SOME_FAILED
    captured = capsys.readouterr()
    out = captured.out
    order = [out.index(f"── {cid} ──") for cid in ("q-alpha", "q-bad", "q-late", "q-beta")]
    assert order == sorted(order)
    assert "· 1 token · top-1\n\nalpha\n" in out
    assert "· 1 token · top-1\n\nbeta\n" in out
    bad = out[order[1] : order[2]]
    assert "failed:" in bad
    assert "Invalid top_logprobs" in bad
    assert "not run in the window" in out[order[2] : order[3]]
    assert captured.err == "tokenprobs: 2 of 4 lines failed\n"


def test_show_batch_output_as_json(batch_output, capsys):
    """In JSON, each Batch line gives its custom_id with a distribution or an error."""
    assert cli.main(["show", str(batch_output), "--format", "json"]) == cli.EXIT_SOME_FAILED
    rows = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    assert [r["custom_id"] for r in rows] == ["q-alpha", "q-bad", "q-late", "q-beta"]
    assert rows[0]["distribution"]["tokens"] == ["alpha"]
    assert "Invalid top_logprobs" in rows[1]["error"]
    assert rows[3]["distribution"]["tokens"] == ["beta"]


def test_show_batch_output_as_html(batch_output, capsys):
    """The HTML page has a section per Batch line, failures included."""
    assert cli.main(["show", str(batch_output), "--format", "html"]) == cli.EXIT_SOME_FAILED
    out = capsys.readouterr().out
    assert out.startswith("<!DOCTYPE html>")
    assert out.count('<div class="tpv"') == 2
    assert "<h2>q-bad</h2><p>failed: " in out


def test_show_batch_output_all_good_exits_0(tmp_path, capsys):
    """A Batch output file with no failed line exits 0, from standard input too."""
    body = testing.chat_completion([("ok", -0.1, [("ok", -0.1)])])
    raw = (_batch_line("only", body=body) + "\n").encode()
    path = tmp_path / "ok.jsonl"
    path.write_bytes(raw)
    assert cli.main(["show", str(path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["custom_id"] == "only"


def test_show_truncated_pretty_json_names_line_and_column(tmp_path, capsys):
    """A truncated, indented response names the line and column where it breaks, as parse does."""
    text = json.dumps(testing.chat_completion([("a", -1.0, [("a", -1.0)])]), indent=2)
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(tp.TokenprobsError) as parsed:
        tp.parse(path.read_bytes())
    where = re.search(r"line \d+ column \d+", str(parsed.value)).group()
    assert where != "line 1 column 1"
    assert cli.main(["show", str(path)]) == cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert where in err
    assert not err.startswith("tokenprobs: line 1:")


@pytest.mark.parametrize(
    "mode",
    ["least-likely", "most-likely", "full-spectrum", "entropy", "margin", "prob", "least likely"],
)
def test_show_accepts_every_mode(capsys, mode):
    """--mode takes every highlight, the old `prob` and spelled-out names."""
    path = RECORDED / "chat_gpt-4o-mini_top2_openai_apiref_example.json"
    assert cli.main(["show", str(path), "--mode", mode, "--format", "html"]) == 0
    assert 'class="tpv" data-mode="' in capsys.readouterr().out


def test_show_unknown_mode_is_a_usage_error(capsys):
    """An unknown --mode exits 2 and lists the modes."""
    path = RECORDED / "chat_gpt-4o-mini_top2_openai_apiref_example.json"
    with pytest.raises(SystemExit) as exit_:
        cli.main(["show", str(path), "--mode", "loud"])
    assert exit_.value.code == cli.EXIT_USAGE
    assert "'least-likely', 'most-likely'" in capsys.readouterr().err


@pytest.mark.extras
@pytest.mark.parametrize("mode", ["least-likely", "entropy"])
def test_rich_terminal_honours_top_and_shows_the_header(capsys, monkeypatch, mode):
    """With colour (rich), show prints the header line and `--top` rows, in every mode."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "160")
    path = RECORDED / "chat_gpt-4o-mini_top2_openai_apiref_example.json"
    assert cli.main(["show", str(path), "--top", "2", "--mode", mode]) == 0
    out = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)
    assert out.startswith("chat · gpt-4o-mini · 9 tokens · top-2\n")
    assert "2 least certain of 9 positions" in out
    assert len(re.findall(r"^│\s+\d+ │", out, flags=re.MULTILINE)) == 2


@pytest.mark.parametrize("top", ["-1", "-7", "2.5"])
def test_show_a_negative_top_is_a_usage_error(capsys, top):
    """`--top -1` was a slice end ("8 least certain of 9 positions"): argparse's exit 2 now."""
    path = RECORDED / "chat_gpt-4o-mini_top2_openai_apiref_example.json"
    with pytest.raises(SystemExit) as exit_:
        cli.main(["show", str(path), "--top", top])
    assert exit_.value.code == cli.EXIT_USAGE
    assert "argument --top: must be" in capsys.readouterr().err


def test_show_top_zero_lists_no_position(capsys, monkeypatch):
    """`--top 0` shows the text and no table."""
    monkeypatch.setenv("NO_COLOR", "1")
    path = RECORDED / "chat_gpt-4o-mini_top2_openai_apiref_example.json"
    assert cli.main(["show", str(path), "--top", "0"]) == 0
    out = capsys.readouterr().out
    assert "Hello! How can I assist you today?" in out
    assert "least certain" not in out


@pytest.mark.parametrize("port", ["99999", "65536", "-1", "http"])
def test_playground_a_port_out_of_range_is_a_usage_error(capsys, port):
    """`--port 99999` ended in socket's OverflowError traceback: argparse's exit 2 now."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(["playground", "--no-browser", "--port", port])
    assert exit_.value.code == cli.EXIT_USAGE
    assert "argument --port: must be" in capsys.readouterr().err


def test_playground_a_malformed_base_url_is_a_usage_error(capsys):
    """A base URL the page could never use is refused before anything starts."""
    code = cli.main(["playground", "--no-browser", "--base-url", "http://[::1/v1"])
    assert code == cli.EXIT_USAGE
    assert capsys.readouterr().err.startswith("tokenprobs: --base-url 'http://[::1/v1' is not")


@pytest.mark.parametrize(
    ("argv", "what"),
    [
        (["ask", "Hi", "--model", "caf\udce9"], "--model"),
        (["score", "-", "--model", "caf\udce9"], "--model"),
        (["score", "-", "--model", "m", "--context", "caf\udce9"], "--context"),
        (["playground", "--no-browser", "--model", "caf\udce9"], "--model"),
    ],
)
def test_an_argument_with_escaped_bytes_is_an_input_error(argv, what, capsys, monkeypatch):
    """An argument of Latin-1 bytes ended in the SDK's UnicodeEncodeError traceback (per text)."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test")
    monkeypatch.setattr(sys, "stdin", io.StringIO("a text\n"))
    sent = []
    monkeypatch.setattr("openai.OpenAI.post", lambda *a, **_: sent.append(a))
    assert cli.main([*argv, "--base-url", "http://127.0.0.1:9/v1"]) == cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert (
        err
        == f"tokenprobs: cannot read {what}: it is not UTF-8 (the bytes b'\\xe9' at character 3)\n"
    )
    assert sent == []


@pytest.mark.parametrize("command", ["ask", "playground"])
def test_a_base_url_with_escaped_bytes_is_a_usage_error(command, capsys, monkeypatch):
    """A non-UTF-8 `--base-url` ended in a UnicodeEncodeError traceback: one usage line now."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test")
    argv = ["ask", "Hi", "--model", "m"] if command == "ask" else ["playground", "--no-browser"]
    assert cli.main([*argv, "--base-url", "http://h\udce9:8000/v1"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("tokenprobs: --base-url 'http://h\\udce9:8000/v1' is not a server URL")
    assert "(it holds bytes that are not UTF-8)" in err


def test_show_a_negative_max_bytes_is_a_usage_error(capsys):
    """`--max-bytes -1` refused every file as "over the limit of -1": argparse's exit 2 now."""
    path = RECORDED / "chat_gpt-4o-mini_top2_openai_apiref_example.json"
    with pytest.raises(SystemExit) as exit_:
        cli.main(["show", str(path), "--max-bytes", "-1"])
    assert exit_.value.code == cli.EXIT_USAGE
    assert "argument --max-bytes: must be at least 0, got -1" in capsys.readouterr().err


def test_score_reads_one_text_per_line_whatever_the_line_holds(tmp_path, monkeypatch, capsys):
    """A form feed, a vertical tab or U+2028 inside a line split it into two texts scored apart."""
    scored = scored_texts(monkeypatch)
    path = tmp_path / "texts.txt"
    path.write_bytes("one\x0btwo\nthree\u2028four\r\n\nfive\x0csix\rseven\n".encode())
    cli.main(["score", str(path), "--model", "m", "--base-url", "http://127.0.0.1:9/v1"])
    assert scored == ["one\x0btwo", "three\u2028four", "five\x0csix", "seven"]
    monkeypatch.setattr(sys, "stdin", io.StringIO(path.read_bytes().decode()))
    scored.clear()
    cli.main(["score", "-", "--model", "m", "--base-url", "http://127.0.0.1:9/v1"])
    assert scored == ["one\x0btwo", "three\u2028four", "five\x0csix", "seven"]
    capsys.readouterr()


class _Interrupted(io.BytesIO):
    """A standard input at which the user presses Ctrl-C."""

    def read(self, *_):
        raise KeyboardInterrupt


def test_ctrl_c_is_one_line_and_exit_130(monkeypatch, capsys):
    """Ctrl-C while a command waits (`show -` on a terminal) says so and exits 130, no traceback."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(_Interrupted()))
    try:
        code = cli.main(["show", "-"])
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C escaped main: a traceback")
    assert code == cli.EXIT_INTERRUPTED == 130
    assert capsys.readouterr().err == "tokenprobs: interrupted\n"


def test_score_interrupted_prints_what_finished_and_exits_130(tmp_path, monkeypatch, capsys):
    """Ctrl-C during `score`: the scored texts are printed, the rest say not run; exit 130."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test")
    scored = tp.parse(testing.chat_completion([("one", -0.5, []), ("two", -1.5, [])]))
    not_run = concurrent.futures.CancelledError("not run: the run was interrupted")
    monkeypatch.setattr("tokenprobs.cli._score.score_many", lambda *_, **__: [scored, not_run])
    path = tmp_path / "texts.txt"
    path.write_text("one two\nthree\n")
    argv = ["score", str(path), "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]
    assert cli.main(argv) == cli.EXIT_INTERRUPTED
    out, err = capsys.readouterr()
    assert out.splitlines()[0].startswith("-2.000000\t2\t")
    assert "not run" in out.splitlines()[1]
    assert err == "tokenprobs: interrupted (1 of 2 texts not scored)\n"


@pytest.mark.parametrize("color", ["FORCE_COLOR", "NO_COLOR"])
def test_output_closed_by_its_reader_ends_quietly_with_0(color):
    """`tokenprobs demo | head`: the reader closes the pipe; exit 0, silent stderr (rich too)."""
    pytest.importorskip("rich")
    read, write = os.pipe()
    os.close(read)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "tokenprobs.cli", "demo"],
            stdout=write,
            stderr=subprocess.PIPE,
            env={**os.environ, "FORCE_COLOR": "", "NO_COLOR": "", color: "1"},
            check=False,
        )
    finally:
        os.close(write)
    assert (run.returncode, run.stderr) == (0, b"")


@pytest.mark.parametrize(
    ("fmt", "color"),
    [("text", "NO_COLOR"), ("text", "FORCE_COLOR"), ("json", "NO_COLOR"), ("html", "NO_COLOR")],
)
def test_output_closed_early_still_exits_6_when_lines_failed(fmt, color, tmp_path):
    """`show batch.jsonl | head -1` exited 0 though a line had failed: 6 now, and the count."""
    good = testing.chat_completion([("alpha", -0.1, [("alpha", -0.1)])] * 50)
    failed = _batch_line("bad", status=500, body={"error": {"message": "boom"}})
    path = tmp_path / "batch_output.jsonl"
    path.write_text("\n".join([failed, *(_batch_line(f"q{i}", body=good) for i in range(200))]))
    read, write = os.pipe()
    os.close(read)
    try:
        run = subprocess.run(  # noqa: S603 - our own command line
            [sys.executable, "-m", "tokenprobs.cli", "show", str(path), "--format", fmt],
            stdout=write,
            stderr=subprocess.PIPE,
            env={
                **os.environ,
                "FORCE_COLOR": "",
                "NO_COLOR": "",
                color: "1",
            },  # FORCE_COLOR: rich draws
            check=False,
        )
    finally:
        os.close(write)
    assert (run.returncode, run.stderr) == (
        cli.EXIT_SOME_FAILED,
        b"tokenprobs: 1 of 201 lines failed\n",
    )


class _ClosedPipe(io.StringIO):
    """A standard output whose reader has gone (`| head -1` done)."""

    def write(self, _):
        raise BrokenPipeError(32, "Broken pipe")


def test_score_output_closed_early_still_exits_6_when_texts_failed(tmp_path, monkeypatch, capsys):
    """`score texts.txt | head -1` exited 0 though texts had failed: 6 now, and the count."""
    scored_texts(monkeypatch)
    path = tmp_path / "texts.txt"
    path.write_text("one\ntwo\n")
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    argv = ["score", str(path), "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]
    assert cli.main(argv) == cli.EXIT_SOME_FAILED
    assert capsys.readouterr().err == "tokenprobs: 2 of 2 texts failed\n"


@pytest.mark.filterwarnings("always::tokenprobs.exceptions.TokenprobsWarning")
def test_a_warning_is_one_line_naming_tokenprobs(tmp_path, capsys):
    """A file's warning is `tokenprobs: warning: ...` on one line, not Python's file:line form."""
    path = tmp_path / "positive.json"
    path.write_text(json.dumps(testing.chat_completion([("a", 5.0, [])])))
    assert cli.main(["show", str(path), "--format", "json"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("tokenprobs: warning: choice 0: position 0 ('a') has logprob 5.0 > 0")
    assert err.count("\n") == 1
    assert ".py:" not in err


@pytest.mark.filterwarnings("always::tokenprobs.exceptions.TokenprobsWarning")
def test_show_top_logprobs_warns_when_the_lines_were_capped(tmp_path, capsys):
    """`--top-logprobs 5` over a log of two answers holding 2 everywhere: one warning line."""
    two = [("a", -0.1, [("a", -0.1), ("b", -3.0)]), ("c", -0.2, [("c", -0.2), ("d", -2.0)])]
    path = tmp_path / "log.jsonl"
    body = json.dumps(testing.chat_completion(two))
    path.write_text(f"{body}\n{body}\n")
    assert cli.main(["show", str(path), "--format", "json", "--top-logprobs", "5"]) == 0
    err = capsys.readouterr().err
    assert err == (
        "tokenprobs: warning: top_logprobs=5 was asked, but every position holds 2 "
        "alternative(s): the server (or a gateway) caps them without saying so. The tail mass, "
        "bounds and exact flags are those of the 2 returned; ask for top_logprobs=2 to match "
        "what it sends\n"
    )
    for quiet in (["--top-logprobs", "2"], []):
        assert cli.main(["show", str(path), "--format", "json", *quiet]) == 0
        assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "argv",
    [["demo"], ["score", "-", "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]],
    ids=["demo", "score"],
)
def test_a_closed_standard_output_is_one_usage_line(argv, monkeypatch, capsys):
    """`tokenprobs demo >&-`: one line and exit 2, not an AttributeError (or score's silence)."""
    monkeypatch.setattr("tokenprobs.cli._score.score_many", lambda *_, **__: pytest.fail("sent"))
    monkeypatch.setattr(sys, "stdin", io.StringIO("a text\n"))
    monkeypatch.setattr(sys, "stdout", None)
    assert cli.main(argv) == cli.EXIT_USAGE
    assert capsys.readouterr().err.startswith("tokenprobs: standard output is closed")


@pytest.mark.parametrize(
    ("choice", "says"),
    [("-1", "must be at least 0, got -1"), ("x", "must be a whole number, got 'x'")],
)
def test_show_a_negative_choice_is_a_usage_error(choice, says, capsys):
    """`--choice -1` no response can have: argparse's usage error (2), not 'no choice -1' (3)."""
    path = RECORDED / "chat_gpt-4o-mini_top2_openai_apiref_example.json"
    with pytest.raises(SystemExit) as exit_:
        cli.main(["show", str(path), "--choice", choice])
    assert exit_.value.code == cli.EXIT_USAGE
    assert f"argument --choice: {says}" in capsys.readouterr().err


def test_score_drops_a_files_byte_order_mark(tmp_path, monkeypatch, capsys):
    """A text file saved by Notepad (a UTF-8 BOM first) scores its first line without the mark."""
    scored = scored_texts(monkeypatch)
    path = tmp_path / "texts.txt"
    path.write_bytes(b"\xef\xbb\xbfThe cat\r\nsat\r\n")
    argv = ["score", str(path), "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]
    cli.main(argv)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    cli.main([*argv[:1], "-", *argv[2:]])
    assert scored == ["The cat", "sat"] * 2
    capsys.readouterr()


def test_help_lists_every_exit_code(capsys):
    """`tokenprobs --help` says what each exit code means, the codes the command returns."""
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    said = " ".join(capsys.readouterr().out.split())
    codes = [cli.EXIT_USAGE, cli.EXIT_INPUT, cli.EXIT_API, cli.EXIT_GUARD, cli.EXIT_SOME_FAILED]
    for code in [0, *codes, cli.EXIT_INTERRUPTED]:
        assert re.search(rf"\b{code} [A-Za-z]", said), code


def test_version_and_python_m_tokenprobs(capsys):
    """`tokenprobs --version` prints the version; `python -m tokenprobs` is the command."""
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"tokenprobs {tp.__version__}\n"
    argv = [sys.executable, "-m", "tokenprobs", "--version"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603 - ours
    assert (done.returncode, done.stdout) == (0, f"tokenprobs {tp.__version__}\n"), done.stderr


@pytest.mark.parametrize(
    "argv",
    [["demo", "--bogus"], ["ask", "Hi", "--model", "m", "--top-logprob", "3", "--bogus"]],
    ids=["demo", "ask"],
)
def test_an_unknown_option_is_named_by_its_subcommand(argv, capsys):
    """`tokenprobs demo --bogus`: the subcommand's usage and name, as for its other errors."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith(f"usage: tokenprobs {argv[0]} [-h]")
    assert err.endswith(f"tokenprobs {argv[0]}: error: unrecognized arguments: --bogus\n")


class _Terminal(io.BytesIO):
    """The bytes a terminal was sent."""

    def isatty(self):
        return True


@pytest.mark.parametrize("fmt", ["text", "json", "html"])
def test_a_redirected_output_in_a_code_page_gets_utf8(fmt, tmp_path, monkeypatch):
    """Windows' cp1252 for `> out.txt`: every format is written, as UTF-8, never a traceback."""
    monkeypatch.setenv("NO_COLOR", "1")
    sent = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(sent, encoding="cp1252"))
    path = tmp_path / "korean.json"
    path.write_text(json.dumps(testing.chat_completion([("한", -0.1, [("한", -0.1)])])))
    assert cli.main(["show", str(path), "--format", fmt]) == 0
    sys.stdout.flush()
    assert "한" in sent.getvalue().decode("utf-8")


def test_a_terminal_in_a_code_page_shows_what_it_cannot_encode_escaped(monkeypatch):
    r"""A cp1252 terminal: the view is written, `▸` as `\u25b8`, not a UnicodeEncodeError."""
    monkeypatch.setenv("NO_COLOR", "1")
    sent = _Terminal()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(sent, encoding="cp1252"))
    assert cli.main(["demo"]) == 0
    sys.stdout.flush()
    shown = sent.getvalue().decode("cp1252")
    assert "Hello" in shown
    assert "\\u25b8" in shown


@pytest.mark.parametrize("content", ["", "\n \n\t\n"], ids=["empty", "blank"])
def test_score_of_a_file_with_no_text_is_an_input_error(content, tmp_path, monkeypatch, capsys):
    """`score empty.txt`: one line saying there is no text, exit 3, not a silent exit 0."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test")
    monkeypatch.setattr("tokenprobs.cli._score.score_many", lambda *_, **__: [])  # no text, none
    path = tmp_path / "texts.txt"
    path.write_text(content)
    argv = ["score", str(path), "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]
    assert cli.main(argv) == cli.EXIT_INPUT
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"tokenprobs: {str(path)!r} has no text to score: every line is empty")


def test_score_shows_a_texts_escape_sequences_on_a_terminal_not_obeys_them(tmp_path, monkeypatch):
    """A line holding `ESC [2J` cleared the terminal when `score` echoed it; a pipe keeps it."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test")
    scored = tp.parse(testing.chat_completion([("a", -0.5, [])]))
    monkeypatch.setattr("tokenprobs.cli._score.score_many", lambda *_, **__: [scored] * 2)
    path = tmp_path / "texts.txt"
    path.write_bytes(b"clear\x1b[2J here\ntab\tin it\n")
    argv = ["score", str(path), "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]
    for sent, shown in [
        (_Terminal(), ["clear\\x1b[2J here", "tab\u21e5in it"]),
        (io.BytesIO(), ["clear\x1b[2J here", "tab\tin it"]),
    ]:
        monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(sent, encoding="utf-8"))
        assert cli.main(argv) == 0
        sys.stdout.flush()
        lines = sent.getvalue().decode().splitlines()
        assert [line.split("\t", 3)[3] for line in lines] == shown


@pytest.mark.parametrize(
    "argv",
    [["show", "/nonexistent/response.json"], ["show", "-"]],
    ids=["error-line", "failed-count"],
)
def test_a_closed_standard_error_keeps_error_lines_out_of_the_output(argv, monkeypatch, capsys):
    """`2>&-`: print(file=None) wrote `tokenprobs: ...` into stdout, the data; now it is lost."""
    good = testing.chat_completion([("ok", -0.1, [("ok", -0.1)])])
    lines = [_batch_line("a", body=good), _batch_line("b", error={"message": "expired"})]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines)))
    monkeypatch.setattr(sys, "stderr", None)
    assert cli.main([*argv, "--format", "json"]) in {cli.EXIT_INPUT, cli.EXIT_SOME_FAILED}
    out = capsys.readouterr().out
    assert "tokenprobs:" not in out
    assert sys.stderr is None
