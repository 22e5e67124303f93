"""File input in the CLI: size limits, clear errors for binary or malformed files, no evaluation."""

from __future__ import annotations

import json

import pytest

from tokenprobs import cli
from tokenprobs.testing import chat_completion

BODY = chat_completion([("Hi", -0.1, [("Hi", -0.1)])])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"\x00\x01\x02binary" * 10, "binary", id="nul-bytes"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", "binary", id="png"),
        pytest.param(b"", "not JSON", id="empty"),
        pytest.param(b"\xfa\xfb\xfc garbage", "not JSON", id="invalid-utf8"),
        pytest.param(b"\xff\xfe\xfa garbage", "UTF-16", id="utf16-byte-order-mark"),
        pytest.param(b'{"choices": [', "not JSON", id="truncated-json"),
        pytest.param(b"[" * 100_000, "not JSON", id="deeply-nested"),
        pytest.param(b"__import__('os').system('echo PWNED')", "not JSON", id="python-code"),
        pytest.param(b"{{ 7*7 }}\n${7*7}\n", "not JSON", id="templates"),
        pytest.param(b'{"a": 1}', "not a response shape", id="unknown-json"),
    ],
)
def test_bad_files_fail_with_exit_3_and_a_clear_message(tmp_path, capsys, content, message):
    """Binary, malformed, hostile files: exit 3, one clear line on stderr, nothing evaluated."""
    path = tmp_path / "input.json"
    path.write_bytes(content)
    assert cli.main(["show", str(path)]) == cli.EXIT_INPUT
    out = capsys.readouterr()
    assert message in out.err
    assert "Traceback" not in out.err
    assert "PWNED" not in out.out + out.err
    assert "49" not in out.out


def test_size_limit(tmp_path, capsys):
    """A file over --max-bytes is refused before it is read."""
    path = tmp_path / "big.json"
    path.write_text(json.dumps(BODY))
    assert cli.main(["show", str(path), "--max-bytes", "100"]) == cli.EXIT_INPUT
    assert "over the limit" in capsys.readouterr().err


def test_missing_file_and_directory(tmp_path, capsys):
    """A missing path and a directory: exit 3 with the reason."""
    assert cli.main(["show", str(tmp_path / "nope.json")]) == cli.EXIT_INPUT
    assert cli.main(["show", str(tmp_path)]) == cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert "cannot read" in err
    assert "not a file" in err


def test_hostile_tokens_are_shown_not_interpreted(tmp_path, capsys):
    """Tokens holding HTML, ANSI escapes and template syntax are shown inert in every format."""
    hostile = ["<script>alert(1)</script>", "\x1b[2J\x1b[31m", "{{7*7}}", "\u202e", "\x00"]
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(chat_completion([(t, -0.5, [(t, -0.5)]) for t in hostile])))
    assert cli.main(["show", str(path), "--format", "html"]) == 0
    html = capsys.readouterr().out
    assert "<script>alert" not in html
    assert cli.main(["show", str(path), "--format", "text"]) == 0
    text = capsys.readouterr().out
    assert "\x1b[2J" not in text
    assert cli.main(["show", str(path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["tokens"] == hostile
