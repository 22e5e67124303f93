"""What `tokenprobs score` reads: at most `--max-bytes` (16 MiB by default), text only.

Every text is held, then sent: a huge file is refused before it is read, an endless standard
input (`yes |`, `/dev/zero`) at the limit or at its first bytes, nothing sent; `ask -` too.
"""

from __future__ import annotations

import gzip
import io
import sys

import pytest
from tests._cli_helpers import scored_texts

from tokenprobs import cli

URL = ["--base-url", "http://127.0.0.1:9/v1"]
BUDGET = 64 * 1024 * 1024
"""What the endless input gives before it fails the test, rather than hang it."""


class _Endless(io.RawIOBase):
    """`yes`-like standard input: `unit` over and over, counting the bytes read."""

    def __init__(self, unit: bytes) -> None:
        self.unit = unit
        self.given = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.given > BUDGET:
            pytest.fail("standard input was read without end")
        n = len(buffer)
        buffer[:] = (self.unit * (n // len(self.unit) + 1))[:n]
        self.given += n
        return n


@pytest.fixture
def sent(monkeypatch):
    """The texts `score` would send (`score_many` faked: nothing leaves the machine)."""
    texts = scored_texts(monkeypatch)
    monkeypatch.setattr("openai.OpenAI.post", lambda *_, **__: pytest.fail("a request was sent"))
    return texts


def _stdin(monkeypatch, unit: bytes) -> _Endless:
    endless = _Endless(unit)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(endless)))
    return endless


def test_an_endless_standard_input_stops_at_the_default_limit(sent, monkeypatch, capsys):
    """`yes | tokenprobs score -` read until memory ran out: it stops at 16 MiB, nothing sent."""
    endless = _stdin(monkeypatch, b"y\n")
    assert cli.main(["score", "-", "--model", "m", *URL]) == cli.EXIT_INPUT
    assert capsys.readouterr().err == (
        "tokenprobs: standard input is over the limit of 16,777,216 bytes (--max-bytes): "
        "pass a larger --max-bytes to read it all, or split it\n"
    )
    assert endless.given <= 16 * 1024 * 1024 + 64 * 1024
    assert sent == []


def test_a_file_over_the_limit_is_refused_before_it_is_read(sent, tmp_path, capsys):
    """A file larger than `--max-bytes` is refused by its size, saying the value that reads it."""
    path = tmp_path / "texts.txt"
    path.write_text("a text\n" * 100)
    argv = ["score", str(path), "--model", "m", *URL]
    assert cli.main([*argv, "--max-bytes", "699"]) == cli.EXIT_INPUT
    assert capsys.readouterr().err == (
        f"tokenprobs: {str(path)!r} is 700 bytes, over the limit of 699 (--max-bytes): "
        "pass --max-bytes 700 to read it all, or split it\n"
    )
    assert sent == []
    assert cli.main([*argv, "--max-bytes", "700"]) == cli.EXIT_SOME_FAILED
    assert sent == ["a text"] * 100
    capsys.readouterr()


def test_a_binary_standard_input_is_refused_at_its_first_bytes(sent, monkeypatch, capsys):
    """`tokenprobs score - < /dev/zero` is refused after one small read, not 16 MiB of NULs."""
    endless = _stdin(monkeypatch, b"\x00")
    assert cli.main(["score", "-", "--model", "m", *URL]) == cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert err == "tokenprobs: standard input looks binary (it has NUL bytes), not text\n"
    assert endless.given <= 64 * 1024
    assert sent == []


def test_a_utf16_file_is_named_as_utf16(sent, tmp_path, capsys):
    """A UTF-16 text (PowerShell's `>`) said it was 'not UTF-8': it is named as UTF-16."""
    path = tmp_path / "texts.txt"
    path.write_text("The cat\n", encoding="utf-16")
    assert cli.main(["score", str(path), "--model", "m", *URL]) == cli.EXIT_INPUT
    assert capsys.readouterr().err.startswith(f"tokenprobs: {str(path)!r} is UTF-16 (it starts")
    assert sent == []


def test_ask_reads_an_endless_standard_input_only_to_the_limit(monkeypatch, capsys):
    """`yes | tokenprobs ask -` read until memory ran out: it stops at 16 MiB, nothing sent."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test")
    monkeypatch.setattr("openai.OpenAI.post", lambda *_, **__: pytest.fail("a request was sent"))
    _stdin(monkeypatch, b"y\n")
    assert cli.main(["ask", "-", "--model", "m", *URL]) == cli.EXIT_INPUT
    assert capsys.readouterr().err == (
        "tokenprobs: standard input is over the limit of 16,777,216 bytes: no prompt needs "
        "that much; check what was piped in\n"
    )


@pytest.mark.parametrize("command", ["show", "score"])
def test_a_gzip_file_says_to_decompress_it(command, sent, tmp_path, capsys):
    """`show out.jsonl.gz` said "looks binary (it has NUL bytes)": it names gzip and the fix."""
    path = tmp_path / "out.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a": 1}\n'))
    argv = [command, str(path)] + (["--model", "m", *URL] if command == "score" else [])
    assert cli.main(argv) == cli.EXIT_INPUT
    name = str(path) if command == "show" else repr(str(path))
    assert capsys.readouterr().err == (
        f"tokenprobs: {name} is gzip-compressed: decompress it and pipe it in, e.g. "
        "`gunzip -c FILE.gz | tokenprobs COMMAND -`\n"
    )
    assert sent == []
