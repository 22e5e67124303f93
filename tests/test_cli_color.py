"""Colour in the `tokenprobs` views: `NO_COLOR`, `FORCE_COLOR` and `TERM=dumb`, read one way.

One rule for `demo`, `show` and `ask`, with or without rich: `NO_COLOR` (set, not empty) turns
colour off; else `FORCE_COLOR` (set, not empty, `0` too) turns it on, on a pipe or a dumb
terminal too; else `TERM=dumb` turns it off; else colour on a terminal only.
"""

from __future__ import annotations

import io
import sys

import pytest
from tests._client_helpers import http_client
from tests._recorded import RECORDED

from tokenprobs import cli
from tokenprobs.cli import _ask as _cli_ask
from tokenprobs.testing import chat_completion

APIREF = RECORDED / "chat_gpt-4o-mini_top2_openai_apiref_example.json"


class _Output(io.BytesIO):
    """Standard output's bytes: a terminal's or a pipe's."""

    def __init__(self, *, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self):
        return self.terminal


@pytest.fixture(params=["rich", "plain"])
def drawn(request, monkeypatch):
    """The views drawn by rich (the `[rich]` extra), or by the plain renderer without it."""
    if request.param == "plain":
        monkeypatch.setitem(sys.modules, "rich.console", None)  # `import` raises ImportError
    return request.param


@pytest.fixture(params=["demo", "show", "ask"])
def argv(request, api, monkeypatch):
    """A command's argv, `ask` answered by the `api` router."""
    if request.param == "ask":
        original = _cli_ask.client_of
        monkeypatch.setattr(
            _cli_ask, "client_of", lambda args: original(args, http_client=http_client(api))
        )
        monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test")
        monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
        api.post("/chat/completions").respond(
            200, json=chat_completion([("Paris", -0.7, [("Paris", -0.7), ("Lyon", -0.9)])])
        )
        return ["ask", "Capital?", "--model", "gpt-4o-mini"]
    return {"demo": ["demo"], "show": ["show", str(APIREF)]}[request.param]


# (environment, coloured on a terminal, coloured on a pipe)
RULES = [
    pytest.param(({}, True, False), id="nothing-set"),
    pytest.param(({"NO_COLOR": "1"}, False, False), id="NO_COLOR"),
    pytest.param(({"NO_COLOR": ""}, True, False), id="NO_COLOR-empty-is-unset"),
    pytest.param(({"FORCE_COLOR": "1"}, True, True), id="FORCE_COLOR"),
    pytest.param(({"FORCE_COLOR": "0"}, True, True), id="FORCE_COLOR-0-forces-too"),
    pytest.param(({"FORCE_COLOR": ""}, True, False), id="FORCE_COLOR-empty-is-unset"),
    pytest.param(({"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, False), id="NO_COLOR-wins"),
    pytest.param(({"TERM": "dumb"}, False, False), id="TERM-dumb"),
    pytest.param(({"TERM": "dumb", "FORCE_COLOR": "1"}, True, True), id="FORCE_COLOR-beats-dumb"),
]


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "pipe"])
@pytest.mark.parametrize("rule", RULES)
def test_colour_follows_one_rule_in_every_view(argv, terminal, rule, drawn, monkeypatch):
    """Each command colours exactly when the rule says, whether rich draws it or not."""
    env, on_terminal, on_pipe = rule
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {"TERM": "xterm-256color", **env}.items():
        monkeypatch.setenv(name, value)
    sent = _Output(terminal=terminal)
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(sent, encoding="utf-8"))
    assert cli.main(argv) == 0
    sys.stdout.flush()
    shown = sent.getvalue().decode()
    assert "%" in shown  # the view itself, whatever its colour
    assert ("\x1b[" in shown) is (on_terminal if terminal else on_pipe), drawn


def test_a_columns_of_no_width_still_shows_the_view(drawn, monkeypatch):
    """`COLUMNS=0` with colour: rich drew at width 0, printing nothing (exit 0); 100 wide now."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "0")
    sent = _Output(terminal=False)
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(sent, encoding="utf-8"))
    assert cli.main(["demo"]) == 0
    sys.stdout.flush()
    assert "How can I assist you today?" in sent.getvalue().decode(), drawn
