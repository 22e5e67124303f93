"""`tokenprobs score FILE`: one line per text, the real SDK answered by respx."""

from __future__ import annotations

import io
import json
import math
import sys
from types import SimpleNamespace

import httpx
import pytest
import respx
from tests._client_helpers import http_client
from tests.scoring.test_score import LOCAL, answer, echo_body, fake_logprob, words

from tokenprobs import cli
from tokenprobs.cli import _score
from tokenprobs.exceptions import ScoringError
from tokenprobs.testing import no_sleep


@pytest.fixture
def served(monkeypatch):
    """A local server answering echo requests, reached by the command's own client."""
    with respx.mock(base_url=LOCAL, assert_all_called=False) as router:
        original = _score.client_of
        monkeypatch.setattr(
            _score, "client_of", lambda args: original(args, http_client=http_client(router))
        )
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        yield router


def test_each_line_gets_its_logprob_tokens_and_perplexity(served, tmp_path, capsys):
    """Tab-separated sum, token count, perplexity and text, one line per text, in order."""
    served.post("/completions").mock(side_effect=answer)
    path = tmp_path / "texts.txt"
    path.write_text(" sat on the mat\n\n the dog ran\n", encoding="utf-8")
    code = cli.main(
        ["score", str(path), "--model", "tiny", "--base-url", LOCAL, "--context", "The cat"]
    )
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    for line, text in zip(lines, [" sat on the mat", " the dog ran"], strict=True):
        total, count, ppl, shown = line.split("\t")
        want = sum(fake_logprob(t) for t in words(text))
        assert float(total) == pytest.approx(want)
        assert int(count) == len(words(text))
        assert float(ppl) == pytest.approx(
            pow(2.718281828459045, -want / len(words(text))), rel=1e-6
        )
        assert shown == text


def test_a_line_is_cut_at_line_breaks_only(served, tmp_path, capsys):
    """A form feed or U+2028 inside a line is text: one output line per input line, in order.

    Before, `str.splitlines` cut such a line in two, so the outputs no longer matched the lines.
    """
    served.post("/completions").mock(side_effect=answer)
    path = tmp_path / "texts.txt"
    path.write_bytes(" one\u2028two\n three\x0cfour\r\n five\rsix\n".encode())
    code = cli.main(["score", str(path), "--model", "tiny", "--base-url", LOCAL, "--json"])
    assert code == 0
    shown = [json.loads(line)["text"] for line in capsys.readouterr().out.splitlines()]
    assert shown == [" one\u2028two", " three\x0cfour", " five", "six"]


def test_json_lines_and_a_failed_text_in_its_place(served, tmp_path, capsys):
    """`--json`: one object per text; a text the server cannot score is an error line, exit 6."""

    def some_ignore_echo(request: httpx.Request) -> httpx.Response:
        prompt = json.loads(request.content)["prompt"]
        if "fish" in prompt:
            return httpx.Response(200, json=echo_body("something else entirely"))
        return answer(request)

    served.post("/completions").mock(side_effect=some_ignore_echo)
    path = tmp_path / "texts.txt"
    path.write_text("The cat sat\nA fish swam\n", encoding="utf-8")
    code = cli.main(["score", str(path), "--model", "tiny", "--base-url", LOCAL, "--json"])
    assert code == cli.EXIT_SOME_FAILED
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first["text"] == "The cat sat"
    assert (first["tokens"], first["unscored"]) == (2, 1)  # "The" has no context, no logprob
    assert first["logprob"] == pytest.approx(fake_logprob(" cat") + fake_logprob(" sat"))
    assert second["text"] == "A fish swam"
    assert "did not echo" in second["error"]


def test_a_missing_file_is_an_input_error(tmp_path, capsys):
    """A file that cannot be read exits 3 with one line naming it."""
    code = cli.main(["score", str(tmp_path / "nope.txt"), "--model", "tiny", "--base-url", LOCAL])
    assert code == cli.EXIT_INPUT
    assert "nope.txt" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "-3", "two"])
def test_concurrency_below_one_is_a_usage_error(tmp_path, capsys, value):
    """`--concurrency 0` was score_many's ValueError traceback (exit 1): argparse's exit 2."""
    path = tmp_path / "texts.txt"
    path.write_text("the cat\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        cli.main(
            ["score", str(path), "--model", "tiny", "--base-url", LOCAL, "--concurrency", value]
        )
    assert exit_.value.code == cli.EXIT_USAGE
    assert "argument --concurrency: must be" in capsys.readouterr().err


def test_non_utf8_stdin_is_an_input_error(monkeypatch, capsys):
    """Latin-1 piped to `score -` is exit 3 with one line, before any request."""
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(b"caf\xe9\n")))
    assert cli.main(["score", "-", "--model", "tiny", "--base-url", LOCAL]) == cli.EXIT_INPUT
    assert "cannot read standard input: it is not UTF-8" in capsys.readouterr().err


def test_a_key_the_server_echoes_is_redacted_in_the_error_line(served, tmp_path, capsys):
    """A text's error line (on standard output) shows the server's message with the key as ***."""
    secret = "sk-score-SECRET-1"

    def echoing(request: httpx.Request) -> httpx.Response:
        sent = request.headers["authorization"].removeprefix("Bearer ")
        return httpx.Response(401, json={"error": {"message": f"invalid api key: {sent}"}})

    served.post("/completions").mock(side_effect=echoing)
    path = tmp_path / "texts.txt"
    path.write_text("The cat sat\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OPENAI_API_KEY", secret)
        code = cli.main(["score", str(path), "--model", "tiny", "--base-url", LOCAL])
    out = capsys.readouterr()
    assert code == cli.EXIT_SOME_FAILED
    assert "invalid api key: ***" in out.out
    assert secret not in out.out + out.err


def test_an_error_that_ends_the_run_is_redacted_too(monkeypatch, tmp_path, capsys):
    """An error `main` prints (here a ScoringError quoting the server) shows the key as ***."""
    secret = "sk-score-SECRET-2"
    monkeypatch.setenv("OPENAI_API_KEY", secret)

    def refusing(*_args: object, **_kwargs: object) -> None:
        msg = f"the server refused key {secret}"
        raise ScoringError(msg, hint="use a base model")

    monkeypatch.setattr(_score, "score_many", refusing)
    path = tmp_path / "texts.txt"
    path.write_text("The cat sat\n", encoding="utf-8")
    assert cli.main(["score", str(path), "--model", "tiny", "--base-url", LOCAL]) == cli.EXIT_INPUT
    assert capsys.readouterr().err == "tokenprobs: the server refused key ***. use a base model.\n"


@pytest.mark.parametrize("as_json", [False, True])
def test_texts_not_sent_name_the_lines_of_the_file(served, tmp_path, capsys, as_json):
    """Texts not sent after a request could not connect name the file's lines, not indices.

    Was: "prompt 2 was not sent: prompt 1's request ...", `score_many`'s count of the non-blank
    texts from 0, which no row of the output shows: which line stopped the run was a riddle.
    """

    def refused_from_the_second(request: httpx.Request) -> httpx.Response:
        if " the dog" in json.loads(request.content)["prompt"]:
            refused = "[Errno 111] Connection refused"
            raise httpx.ConnectError(refused, request=request)
        return answer(request)

    served.post("/completions").mock(side_effect=refused_from_the_second)
    path = tmp_path / "texts.txt"
    path.write_text(" sat on the mat\n\n the dog ran\n\n a bird\n the end\n", encoding="utf-8")
    argv = ["score", str(path), "--model", "tiny", "--base-url", LOCAL, "--context", "The cat"]
    argv += ["--concurrency", "1"]
    with no_sleep():
        code = cli.main(argv + ["--json"] * as_json)
    assert code == cli.EXIT_SOME_FAILED
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 4
    scored = json.loads(rows[0])["logprob"] if as_json else float(rows[0].split("\t")[0])
    assert scored == pytest.approx(sum(fake_logprob(t) for t in words(" sat on the mat")))
    errors = [json.loads(r)["error"] if as_json else r.split("\t")[1] for r in rows[1:]]
    assert errors[0].startswith("APIConnectionError: Connection error")  # the stopper, line 3
    for error, line in zip(errors[1:], [5, 6], strict=True):
        assert error.startswith(
            f"APIConnectionError: line {line} was not sent: line 3's request could not connect "
            f"to {LOCAL}"
        )
        assert "prompt" not in error.split("(")[0]


def strict_json(line: str) -> dict:
    """`line` parsed as JSON proper: NaN and Infinity (Python's extensions) are refused."""

    def refuse(constant: str) -> None:
        msg = f"not JSON: {constant}"
        raise ValueError(msg)

    return json.loads(line, parse_constant=refuse)


def test_a_text_without_any_logprob_is_unknown_not_certain(served, tmp_path, capsys):
    """A lone word without context has no logprob: unknown (`null`), not 0.0 (probability 1).

    The perplexity was NaN (not JSON); now 0 tokens are scored and 1 is unscored.
    """
    served.post("/completions").mock(side_effect=answer)
    path = tmp_path / "texts.txt"
    path.write_text("single\n", encoding="utf-8")
    assert cli.main(["score", str(path), "--model", "tiny", "--base-url", LOCAL, "--json"]) == 0
    out = strict_json(capsys.readouterr().out)
    assert out == {
        "text": "single",
        "logprob": None,
        "tokens": 0,
        "unscored": 1,
        "perplexity": None,
    }
    assert cli.main(["score", str(path), "--model", "tiny", "--base-url", LOCAL]) == 0
    assert capsys.readouterr().out == "nan\t0\tnan\tsingle\n"


def test_an_impossible_token_is_null_in_json_and_inf_in_text(served, tmp_path, capsys):
    """A token at the servers' -9999 (probability 0): `null` in JSON, `-inf` / `inf` in text.

    JSON cannot carry an infinity (it printed -Infinity, which JSON parsers refuse).
    """

    def impossible(request: httpx.Request) -> httpx.Response:
        body = echo_body(json.loads(request.content)["prompt"])
        logprobs = body["choices"][0]["logprobs"]["token_logprobs"]
        logprobs[1] = -9999.0
        return httpx.Response(200, json=body)

    served.post("/completions").mock(side_effect=impossible)
    path = tmp_path / "texts.txt"
    path.write_text("The cat sat\n", encoding="utf-8")
    assert cli.main(["score", str(path), "--model", "tiny", "--base-url", LOCAL, "--json"]) == 0
    out = strict_json(capsys.readouterr().out)
    assert (out["logprob"], out["perplexity"], out["tokens"], out["unscored"]) == (None, None, 2, 1)
    assert cli.main(["score", str(path), "--model", "tiny", "--base-url", LOCAL]) == 0
    assert capsys.readouterr().out == "-inf\t2\tinf\tThe cat sat\n"


def test_the_token_count_is_the_one_the_perplexity_averages(served, tmp_path, capsys):
    """Without context the first token is unscored: perplexity = exp(-sum / tokens), as shown."""
    served.post("/completions").mock(side_effect=answer)
    path = tmp_path / "texts.txt"
    path.write_text("The cat sat on the mat\n", encoding="utf-8")
    assert cli.main(["score", str(path), "--model", "tiny", "--base-url", LOCAL]) == 0
    total, tokens, ppl, _ = capsys.readouterr().out.rstrip("\n").split("\t")
    assert int(tokens) == len(words("The cat sat on the mat")) - 1
    assert float(ppl) == pytest.approx(math.exp(-float(total) / int(tokens)), rel=1e-5)
