"""The command lines the docs write out are real: `tokenprobs` options, `pip install` names."""

from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path

import pytest

from tokenprobs.cli._main import _parser

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(
    [ROOT / "README.md", *(p for p in (ROOT / "docs").glob("*.md") if p.name != "changelog.md")]
)
# `tokenprobs SUBCOMMAND ...` up to the end of its code span, its line or its comment
COMMAND = re.compile(r"\btokenprobs (?P<sub>[a-z]+)(?P<rest>[^`\n#]*)")
# command lines a page quotes because they are refused
REFUSED = {
    "tokenprobs show --top -1",  # views.md: a negative `top` is a usage error
}


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    """Each subcommand's parser, by name."""
    (sub,) = (a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _problems(sub: argparse.ArgumentParser, name: str, words: list[str]) -> list[str]:
    """The options in `words` that `tokenprobs NAME` has not, or values it would refuse."""
    options = {o: a for a in sub._actions for o in a.option_strings}
    problems = []
    for i, word in enumerate(words):
        if not word.startswith("--"):
            continue
        flag = word.split("=", 1)[0]
        action = options.get(flag)
        if action is None:
            problems.append(f"tokenprobs {name} has no {flag}")
            continue
        value = word.split("=", 1)[1] if "=" in word else (words[i + 1 : i + 2] or [""])[0]
        placeholder = not value or value.isupper() or value in {"...", "-"} or value[0] in "<'\""
        if action.nargs != 0 and not placeholder:
            problems.extend(_value_problem(action, f"tokenprobs {name} {flag}", value))
    return problems


def _value_problem(action: argparse.Action, option: str, value: str) -> list[str]:
    """Why the option would refuse the value, as its parser reads it, if it would."""
    try:
        read = action.type(value) if callable(action.type) else value
    except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
        return [f"{option} refuses {value!r}: {exc}"]
    if action.choices and read not in action.choices:
        return [f"{option} takes {sorted(action.choices)}, not {value!r}"]
    return []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_command_lines_use_real_options(page):
    """Each `tokenprobs SUB --option value` the page writes is one the command accepts."""
    subcommands, problems = _subcommands(), []
    for match in COMMAND.finditer(page.read_text(encoding="utf-8")):
        sub = subcommands.get(match["sub"])
        if sub is None or match[0].strip() in REFUSED:
            continue  # prose ("tokenprobs reads ..."), or a refusal the page shows
        words = match["rest"].replace("[", " ").replace("]", " ").split()
        problems.extend(f"{page.name}: {p}" for p in _problems(sub, match["sub"], words))
    assert not problems, "\n".join(problems)


def test_the_command_lines_are_found():
    """The check reads the pages' command lines (a broken pattern would pass every page)."""
    text = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    found = [m["rest"] for m in COMMAND.finditer(text) if m["sub"] == "show"]
    assert any("--mode entropy --top 10" in rest for rest in found), found


PIP_INSTALL = re.compile(r"pip install \"?(?P<name>[\w.-]+)(?:\[(?P<extras>[\w,-]+)\])?")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_pip_install_lines_name_the_distribution_and_its_extras(page):
    """`pip install` names `pytokenprobs` (`tokenprobs` on PyPI is another project), real extras."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = set(declared["optional-dependencies"])
    wrong = []
    for match in PIP_INSTALL.finditer(page.read_text(encoding="utf-8")):
        if match["name"] == "tokenprobs":
            wrong.append(f"{match[0]}: the distribution is {declared['name']}")
        elif match["name"] == declared["name"]:
            wrong.extend(
                f"{match[0]}: no extra {e!r}"
                for e in (match["extras"] or "").split(",")
                if e and e not in extras
            )
    assert not wrong, f"{page.name}: " + "; ".join(wrong)
