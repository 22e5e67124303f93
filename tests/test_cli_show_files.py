"""`tokenprobs show` on files that are partly bad: each failure in place, the rest shown.

A Batch output file with an unreadable line, a JSONL log with an API-error line, choices of
n > 1 Batch lines (`--choice`), and files that start with a UTF-8 byte order mark.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import threading

import pytest
from tests._recorded import RECORDED

from tokenprobs import cli, testing

APIREF = RECORDED / "chat_gpt-4o-mini_top2_openai_apiref_example.json"
BOM = b"\xef\xbb\xbf"


def _body(word, n=1):
    """A chat completion of one token, `word`, with `n` choices (index 0 to n - 1)."""
    body = testing.chat_completion([(word, -0.1, [(word, -0.1)])])
    body["choices"] = [dict(body["choices"][0], index=i) for i in range(n)]
    return body


def _batch_line(cid, body):
    """One line of a Batch output file whose request succeeded with `body`."""
    response = {"status_code": 200, "request_id": "req_1", "body": body}
    return json.dumps({"id": f"batch_req_{cid}", "custom_id": cid, "response": response})


@pytest.fixture(autouse=True)
def _no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")


def test_a_truncated_batch_line_fails_in_place_and_the_rest_is_shown(tmp_path, capsys):
    """Each line after a truncated one is still shown; the count names every line of the file."""
    lines = [_batch_line("a", _body("alpha")), '{"truncated": ', _batch_line("b", _body("beta"))]
    lines.append(_batch_line("c", _body("gamma")))
    path = tmp_path / "out.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert cli.main(["show", str(path), "--format", "json"]) == cli.EXIT_SOME_FAILED
    captured = capsys.readouterr()
    rows = [json.loads(ln) for ln in captured.out.splitlines()]
    assert [r["custom_id"] for r in rows] == ["a", "", "b", "c"]
    assert f"line 2 of {path} is cut short (it stops after byte 13, " in rows[1]["error"]
    assert [r["distribution"]["tokens"] for r in rows if "distribution" in r] == [
        ["alpha"],
        ["beta"],
        ["gamma"],
    ]
    assert captured.err == "tokenprobs: 1 of 4 lines failed\n"


@pytest.mark.parametrize("end", ["\n", ""], ids=["line-break", "end-of-file"])
def test_a_batch_file_cut_mid_line_says_it_is_truncated(tmp_path, capsys, end):
    """A file cut mid-line said "not JSON (... at line 2 column 0)", a line it has not: no more."""
    cut = _batch_line("b", _body("beta"))[:100]
    path = tmp_path / "out.jsonl"
    path.write_text(_batch_line("a", _body("alpha")) + "\n" + cut + end)
    assert cli.main(["show", str(path), "--format", "json"]) == cli.EXIT_SOME_FAILED
    error = json.loads(capsys.readouterr().out.splitlines()[1])["error"]
    assert error == (
        f"line 2 of {path} is cut short (it stops after byte 100, inside a string): the file is "
        "truncated; download it again, e.g. "
        "client.files.content(batch.output_file_id).write_to_file(path)"
    )


def test_a_batch_line_that_is_not_json_names_its_byte_from_1(tmp_path, capsys):
    """A malformed (not cut) line names the byte of the line where JSON breaks, counted from 1."""
    path = tmp_path / "out.jsonl"
    path.write_text(_batch_line("a", _body("alpha")) + '\n{"custom_id": x}\n')
    assert cli.main(["show", str(path), "--format", "json"]) == cli.EXIT_SOME_FAILED
    error = json.loads(capsys.readouterr().out.splitlines()[1])["error"]
    assert error == f"line 2 of {path} is not JSON at byte 15 of the line (expected value)"


def test_an_unreadable_batch_line_is_labelled_by_its_number(tmp_path, capsys):
    """In text, a line with no legible custom_id is shown under its line number."""
    path = tmp_path / "out.jsonl"
    path.write_text(_batch_line("a", _body("alpha")) + "\n{not json\n")
    assert cli.main(["show", str(path)]) == cli.EXIT_SOME_FAILED
    out = capsys.readouterr().out
    assert "── a ──" in out
    assert f"── line 2 ──\nfailed: line 2 of {path} is not JSON" in out


def test_a_jsonl_log_with_an_api_error_line_shows_the_good_lines(tmp_path, capsys):
    """A plain JSONL of responses: the error line in its place, the others shown, exit 6."""
    good = json.dumps(json.loads(APIREF.read_text()))
    error = json.dumps({"error": {"message": "rate limited", "type": "rate_limit"}})
    path = tmp_path / "mixed.jsonl"
    path.write_text(f"{good}\n{error}\n{good}\n")
    assert cli.main(["show", str(path)]) == cli.EXIT_SOME_FAILED
    captured = capsys.readouterr()
    parts = captured.out.split("── line ")
    assert [p.split(" ──")[0] for p in parts[1:]] == ["1", "2", "3"]
    assert parts[1].count("Hello! How can I assist you today?") == 1
    assert parts[2].startswith("2 ──\nfailed: the body is an API error, not a response: rate")
    assert parts[3].count("Hello! How can I assist you today?") == 1
    assert captured.err == "tokenprobs: 1 of 3 lines failed\n"


def test_a_jsonl_of_nothing_but_errors_still_exits_with_the_error(tmp_path, capsys):
    """No line is a response: the file is not a log of responses, and says why (exit 3)."""
    path = tmp_path / "not_responses.jsonl"
    path.write_text('{"a": 1}\n{"b": 2}\n')
    assert cli.main(["show", str(path)]) == cli.EXIT_INPUT
    assert capsys.readouterr().err.startswith("tokenprobs: line 1: not a response shape")


@pytest.fixture
def n3_output(tmp_path):
    """A Batch output file of two requests with n=3."""
    path = tmp_path / "out_n3.jsonl"
    lines = [_batch_line("q1", _body("one", n=3)), _batch_line("q2", _body("two", n=3))]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_every_choice_of_a_batch_line_is_shown(n3_output, capsys):
    """Without --choice each choice of each line is shown, labelled by custom_id and choice."""
    assert cli.main(["show", str(n3_output)]) == 0
    heads = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("──")]
    assert heads == [f"── q{q} · choice {c} ──" for q in (1, 2) for c in (0, 1, 2)]


def test_choice_picks_one_choice_of_each_batch_line(n3_output, capsys):
    """--choice 1 shows choice 1 of every line; in JSON, under the line's custom_id."""
    assert cli.main(["show", str(n3_output), "--choice", "1", "--format", "json"]) == 0
    rows = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    assert [(r["custom_id"], r["distribution"]["choice"]) for r in rows] == [("q1", 1), ("q2", 1)]


def test_a_choice_no_batch_line_has_exits_3(n3_output, capsys):
    """--choice 7 of n=3 lines: nothing shown, exit 3 'no choice 7', as for a plain response."""
    assert cli.main(["show", str(n3_output), "--choice", "7"]) == cli.EXIT_INPUT
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"tokenprobs: no choice 7 in {n3_output}\n"


def test_choice_keeps_the_failed_batch_lines_in_place(tmp_path, capsys):
    """A failed line has no choices to pick from: it is still reported, and the exit is 6."""
    path = tmp_path / "out.jsonl"
    path.write_text(_batch_line("q1", _body("one", n=2)) + "\n{cut\n")
    assert cli.main(["show", str(path), "--choice", "1", "--format", "json"]) == 6
    rows = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    assert rows[0]["distribution"]["choice"] == 1
    assert "line 2" in rows[1]["error"]


def test_a_response_with_a_byte_order_mark_is_shown(tmp_path, capsys):
    """A JSON file saved by Notepad (UTF-8 with a BOM) is read as the same response."""
    path = tmp_path / "bom.json"
    path.write_bytes(BOM + APIREF.read_bytes())
    assert cli.main(["show", str(path), "--format", "json"]) == 0
    tokens = json.loads(capsys.readouterr().out)["tokens"]
    assert "".join(tokens) == "Hello! How can I assist you today?"


def test_a_batch_output_with_a_byte_order_mark_is_shown(tmp_path, capsys):
    """A Batch output file with a BOM is recognised as one and every line shown."""
    path = tmp_path / "bom_out.jsonl"
    text = _batch_line("a", _body("alpha")) + "\n" + _batch_line("b", _body("beta")) + "\n"
    path.write_bytes(BOM + text.encode())
    assert cli.main(["show", str(path), "--format", "json"]) == 0
    rows = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    assert [(r["custom_id"], r["distribution"]["tokens"]) for r in rows] == [
        ("a", ["alpha"]),
        ("b", ["beta"]),
    ]


def test_escape_sequences_in_a_batch_file_are_shown_not_obeyed(tmp_path, capsys):
    r"""A custom_id's and an error message's escape sequences are printed as text (`\x1b`)."""
    error = {"error": {"message": "bad \x1b[31mthing\x1b]0;title\x07", "type": "x"}}
    lines = [
        _batch_line("q\x1b[2J", _body("alpha")),
        json.dumps({"id": "b", "custom_id": "q2", "response": {"status_code": 400, "body": error}}),
    ]
    path = tmp_path / "out.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert cli.main(["show", str(path)]) == cli.EXIT_SOME_FAILED
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "── q\\x1b[2J ──" in out
    assert "bad \\x1b[31mthing\\x1b]0;title\\x07" in out


@pytest.mark.parametrize("fmt", ["text", "json", "html"])
@pytest.mark.parametrize("batch", [True, False], ids=["batch", "jsonl"])
def test_a_key_a_failed_line_quotes_is_redacted(tmp_path, capsys, monkeypatch, fmt, batch):
    """A saved 401 that echoes the key prints `***` in its place, as the whole-file error does."""
    key = "sk-proj-CANARY-show-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    error = {"message": f"Incorrect API key provided: {key}.", "code": "invalid_api_key"}
    if batch:
        failed = json.dumps(
            {"id": "batch_req_a", "custom_id": "a", "response": None, "error": error}
        )
        lines = [failed, _batch_line("b", _body("beta"))]
    else:
        lines = [json.dumps({"error": error}), json.dumps(_body("beta"))]
    path = tmp_path / "out.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert cli.main(["show", str(path), "--format", fmt]) == cli.EXIT_SOME_FAILED
    captured = capsys.readouterr()
    assert key not in captured.out + captured.err
    assert "Incorrect API key provided: ***." in captured.out
    assert "beta" in captured.out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_is_read_as_a_file(tmp_path, capsys, monkeypatch):
    """`tokenprobs show <(curl ...)` (a pipe, `/dev/fd/63`) was refused as "not a file"."""
    monkeypatch.setenv("NO_COLOR", "1")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    body = json.dumps(_body("piped")).encode()
    writer = threading.Thread(target=fifo.write_bytes, args=(body,), daemon=True)
    writer.start()
    try:
        code = cli.main(["show", str(fifo), "--format", "json"])
    finally:
        writer.join(10)
    assert code == 0
    assert json.loads(capsys.readouterr().out)["tokens"] == ["piped"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_over_the_limit_is_refused(tmp_path, capsys):
    """A pipe has no size before it is read: the limit holds for what it sends."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(
        target=_write_ignoring_a_closed_reader, args=(fifo, b"x" * 5000), daemon=True
    )
    writer.start()
    try:
        code = cli.main(["show", str(fifo), "--max-bytes", "100"])
    finally:
        writer.join(10)
    assert code == cli.EXIT_INPUT
    assert "over the limit of 100 bytes (--max-bytes)" in capsys.readouterr().err


def _write_ignoring_a_closed_reader(path, data):
    """Write `data` to the pipe `path`; the reader may close it first (it read enough)."""
    with contextlib.suppress(BrokenPipeError), path.open("wb") as pipe:
        pipe.write(data)


def test_show_of_a_closed_standard_input_is_one_error_line(monkeypatch, capsys):
    """`show - <&-` (Python sets `sys.stdin` to None) was an AttributeError traceback."""
    monkeypatch.setattr(sys, "stdin", None)
    assert cli.main(["show", "-"]) == cli.EXIT_INPUT
    assert (
        capsys.readouterr().err
        == "tokenprobs: cannot read standard input: standard input is closed\n"
    )


def test_show_reads_a_text_standard_input(monkeypatch, capsys):
    """A standard input replaced by a text stream (no `.buffer`) is read, not an AttributeError."""
    body = (RECORDED / "chat_gpt-4o-mini_top2_openai_apiref_example.json").read_text()
    monkeypatch.setattr(sys, "stdin", io.StringIO(body))
    assert cli.main(["show", "-", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["tokens"]


def test_show_of_a_utf16_file_says_so(tmp_path, capsys):
    """A UTF-16 file was "looks binary (it has NUL bytes)"; it is named as UTF-16, with the fix."""
    path = tmp_path / "view.json"
    path.write_text(APIREF.read_text(), encoding="utf-16")
    assert cli.main(["show", str(path)]) == cli.EXIT_INPUT
    assert capsys.readouterr().err.startswith(f"tokenprobs: {path} is UTF-16 (it starts with")


def test_a_utf16_standard_input_is_named_standard_input(monkeypatch, capsys):
    """`Get-Content x | tokenprobs show -` in UTF-16 said "the file is UTF-16": there is none."""
    raw = APIREF.read_text().encode("utf-16")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    assert cli.main(["show", "-"]) == cli.EXIT_INPUT
    assert capsys.readouterr().err.startswith("tokenprobs: standard input is UTF-16 (it starts")


def test_a_jsonl_log_of_good_lines_labels_each_by_its_line(tmp_path, capsys, monkeypatch):
    """Every line of a JSONL log read: each is shown under `line N`, not as `choice 0` of one."""
    monkeypatch.setenv("NO_COLOR", "1")
    lines = [testing.chat_completion([(w, -0.1, [])]) for w in ("alpha", "beta")]
    path = tmp_path / "log.jsonl"
    path.write_text("".join(json.dumps(b) + "\n" for b in lines))
    assert cli.main(["show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "── line 1 ──" in out
    assert "── line 2 ──" in out
    assert "choice 0" not in out


@pytest.mark.parametrize(
    "content", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf\n"], ids=["0", "blank", "bom"]
)
def test_an_empty_file_says_it_is_empty(tmp_path, capsys, content):
    """An empty (or blank) file is named empty, not 'EOF while parsing a value at line 3'."""
    path = tmp_path / "saved.json"
    path.write_bytes(content)
    assert cli.main(["show", str(path)]) == cli.EXIT_INPUT
    assert (
        capsys.readouterr().err
        == f"tokenprobs: {path} is empty: no response in it (not JSON, JSONL or an SSE capture)\n"
    )


def test_a_batch_output_cut_at_its_first_line_shows_the_rest(tmp_path, capsys):
    """A Batch output whose first line is cut is still one: that line fails in place, exit 6."""
    cut = _batch_line("a", _body("alpha"))[:40]
    lines = [cut, _batch_line("b", _body("beta")), _batch_line("c", _body("gamma"))]
    path = tmp_path / "out.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert cli.main(["show", str(path), "--format", "json"]) == cli.EXIT_SOME_FAILED
    rows = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    assert [r["custom_id"] for r in rows] == ["a", "b", "c"]
    assert "error" in rows[0]
    assert [r["distribution"]["tokens"] for r in rows[1:]] == [["beta"], ["gamma"]]


def test_a_jsonl_log_cut_at_its_first_line_shows_the_rest(tmp_path, capsys):
    """A JSONL log whose first line is cut: that line fails in place, the others are shown."""
    good = json.dumps(_body("beta"))
    path = tmp_path / "log.jsonl"
    path.write_text(f"{good[:50]}\n{good}\n")
    assert cli.main(["show", str(path)]) == cli.EXIT_SOME_FAILED
    out = capsys.readouterr().out
    assert "── line 1 ──\nfailed: line 1 is cut short (it stops after byte 50, inside " in out
    assert "── line 2 ──" in out
    assert "beta" in out


def test_a_jsonl_log_line_that_is_not_json_names_its_own_byte(tmp_path, capsys):
    """Line 3 of a log said "at line 1 column 60" (its own first line): it names line 3's byte."""
    good = json.dumps(_body("beta"))
    path = tmp_path / "log.jsonl"
    path.write_text(f"{good}\n{good}\n{good[:60]}\n{good.replace(':', ' ', 1)}\n")
    assert cli.main(["show", str(path), "--format", "json"]) == cli.EXIT_SOME_FAILED
    errors = [json.loads(ln)["error"] for ln in capsys.readouterr().out.splitlines()[2:]]
    cut = (
        "line 3 is cut short (it stops after byte 60, inside a string): the file is truncated "
        "(a log cut as it was written, or a copy that stopped)"
    )
    assert errors == [cut, "line 4 is not JSON at byte 8 of the line (expected `:`)"]


def test_a_file_names_escape_sequences_are_shown_not_obeyed(tmp_path, capsys):
    r"""`show $'\e[2J.json' --choice 5`: the name in 'no choice 5 in ...' is escaped, exit 3."""
    path = tmp_path / "clear\x1b[2J.json"
    path.write_bytes(APIREF.read_bytes())
    assert cli.main(["show", str(path), "--choice", "5"]) == cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert "no choice 5 in " in err
    assert "\x1b" not in err
    assert "clear\\x1b[2J.json" in err


class _Endless(io.RawIOBase):
    """`/dev/urandom`-like standard input: NUL bytes without end, counting what was read."""

    def __init__(self):
        self.given = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = bytes(len(buffer))
        self.given += len(buffer)
        return len(buffer)


def test_a_binary_stream_is_refused_at_its_first_bytes(monkeypatch, capsys):
    """`show - < /dev/zero`: 'looks binary' after one small read, not after --max-bytes of it."""
    endless = _Endless()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(endless)))
    assert cli.main(["show", "-"]) == cli.EXIT_INPUT
    assert capsys.readouterr().err.startswith("tokenprobs: standard input looks binary")
    assert endless.given <= 64 * 1024


def test_what_show_writes_as_json_it_reads_back(n3_output, tmp_path, capsys):
    """`show out.jsonl --format json > views.jsonl; show views.jsonl` said 'not a response shape'.

    Read back, each line is shown under its custom_id (and choice), a failure in its place, and
    `--format json` writes the same lines again.
    """
    lines = [*n3_output.read_text().splitlines()[:1], "{cut", _batch_line("b", _body("beta"))]
    (tmp_path / "out.jsonl").write_text("\n".join(lines) + "\n")
    assert cli.main(["show", str(tmp_path / "out.jsonl"), "--format", "json"]) == 6
    written = capsys.readouterr().out
    views = tmp_path / "views.jsonl"
    views.write_text(written)
    assert cli.main(["show", str(views), "--format", "json"]) == cli.EXIT_SOME_FAILED
    captured = capsys.readouterr()
    assert captured.out == written
    assert captured.err == "tokenprobs: 1 of 5 lines failed\n"
    assert cli.main(["show", str(views)]) == cli.EXIT_SOME_FAILED
    heads = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("──")]
    choices = [f"── q1 · choice {c} ──" for c in range(3)]
    assert heads == [*choices, "── line 4 ──", "── b ──"]


def test_a_file_named_dash_is_read_as_dot_slash_dash(tmp_path, monkeypatch, capsys):
    """`show ./-` read standard input (the path was made a Path, and `Path("./-")` is `-`)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-").write_bytes(APIREF.read_bytes())
    monkeypatch.setattr(sys, "stdin", _NotToBeRead())
    assert cli.main(["show", "./-", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["tokens"][0] == "Hello"


class _NotToBeRead(io.StringIO):
    """A standard input that must not be read."""

    def read(self, *_):
        pytest.fail("standard input was read")


def test_a_batch_input_file_is_named_as_one(tmp_path, capsys):
    """A Batch input file said line 1 was "not a response shape": it is named, with the fix."""
    request = {"method": "POST", "url": "/v1/chat/completions", "body": {"model": "m"}}
    path = tmp_path / "batch_input.jsonl"
    path.write_text("".join(json.dumps({"custom_id": c, **request}) + "\n" for c in "ab"))
    assert cli.main(["show", str(path)]) == cli.EXIT_INPUT
    assert capsys.readouterr().err == (
        f"tokenprobs: {path} is a Batch input file: its lines are requests (custom_id, method, "
        "url, body), not results; show the batch's output file, "
        "client.files.content(batch.output_file_id).write_to_file(path)\n"
    )
