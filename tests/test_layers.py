"""Imports run one way through the layers of the data flow, with no hidden cycles.

leaf → metrics → models → adapters / guards → client / batch → render / export → tools → cli.
A module imports only from its own layer or the ones before it; adapters and guards (the
response side and the request side) do not import each other; and a tokenprobs import inside a
function (which hides a cycle from the import system) is allowed only where a model's display
method calls the views lazily.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "tokenprobs"

LAYERS: dict[str, int] = {
    "leaf": 0,
    "metrics": 1,
    "models": 2,
    "adapters": 3,
    "guards": 3,
    "client": 4,
    "render": 5,
    "tools": 6,
    "cli": 7,
}
"""Rank of each layer; adapters and guards share a rank but may not import each other."""

LAYER_OF: dict[str, str] = {
    "tokenprobs": "cli",  # the package itself re-exports everything
    "tokenprobs._version": "leaf",
    "tokenprobs._endpoints": "leaf",
    "tokenprobs._access": "leaf",
    "tokenprobs._gc": "leaf",
    "tokenprobs.exceptions": "leaf",
    "tokenprobs._optional": "leaf",
    "tokenprobs.metrics": "metrics",
    "tokenprobs._numeric": "metrics",
    "tokenprobs._sequence": "metrics",
    "tokenprobs._calibration": "metrics",
    "tokenprobs._arrays": "models",
    "tokenprobs._text": "models",
    "tokenprobs.models": "models",
    "tokenprobs.adapters": "adapters",
    "tokenprobs.guards": "guards",
    "tokenprobs._guard_types": "guards",
    "tokenprobs._guard_rules": "guards",
    "tokenprobs._guard_profiles": "guards",
    "tokenprobs._guard_docs": "guards",
    "tokenprobs._detect": "guards",
    "tokenprobs.client": "client",
    "tokenprobs._clients": "client",
    "tokenprobs._retry": "client",
    "tokenprobs._stream": "client",
    "tokenprobs._many": "client",
    "tokenprobs.batch": "client",
    "tokenprobs.testing": "client",
    "tokenprobs.examples": "client",
    "tokenprobs.render": "render",
    "tokenprobs._cells": "render",
    "tokenprobs._terminal": "render",
    "tokenprobs.export": "render",
    "tokenprobs.labels": "tools",
    "tokenprobs.fields": "tools",
    "tokenprobs.scoring": "tools",
    "tokenprobs.distill": "tools",
    "tokenprobs.proxy": "tools",
    "tokenprobs.cli": "cli",
    "tokenprobs._cli_ask": "cli",
}

SANCTIONED_LAZY = {
    ("tokenprobs.models", "tokenprobs.render"),
    ("tokenprobs.models", "tokenprobs.export"),
}
"""The models' display dunders (`_repr_html_`, `to_pandas` ...) call the views on demand."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str:
    for name in sorted(LAYER_OF, key=len, reverse=True):
        if module == name or module.startswith(name + "."):
            return LAYER_OF[name]
    msg = f"{module} is in no layer: add it to LAYER_OF in tests/test_layers.py"
    raise AssertionError(msg)


def _imports(path: Path) -> list[tuple[str, bool, int]]:
    """(module, inside a function?, line) of each tokenprobs import run at import or call time."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, bool, int]] = []
    package = (
        _module_name(path) if path.name == "__init__.py" else _module_name(path).rsplit(".", 1)[0]
    )

    def visit(node: ast.AST, lazy: bool, typing_only: bool) -> None:  # noqa: FBT001
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, lazy=True, typing_only=typing_only)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                visit(child, lazy=lazy, typing_only=True)
            elif isinstance(child, ast.Import | ast.ImportFrom) and not typing_only:
                found.extend(
                    (name, lazy, child.lineno)
                    for name in _targets(child, package)
                    if name == "tokenprobs" or name.startswith("tokenprobs.")
                )
            else:
                visit(child, lazy=lazy, typing_only=typing_only)

    visit(tree, lazy=False, typing_only=False)
    return found


def _targets(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = package.split(".")
        base = ".".join([*parts[: len(parts) - node.level + 1], base])
    if base == "tokenprobs":  # `from tokenprobs import render`: each name may be a module
        return [f"tokenprobs.{a.name}" if _is_module(a.name) else base for a in node.names]
    return [base]


def _is_module(name: str) -> bool:
    return (SRC / name).is_dir() or (SRC / f"{name}.py").is_file()


FILES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_follow_the_layers(path):
    """Every tokenprobs import points to the module's own layer or an earlier one."""
    here = _module_name(path)
    mine = _layer(here)
    for target, lazy, line in _imports(path):
        theirs = _layer(target)
        where = f"{path.relative_to(SRC)}:{line} imports {target}"
        if lazy:
            assert (here, target) in SANCTIONED_LAZY, f"{where} inside a function (a hidden cycle?)"
            continue
        if here == "tokenprobs":
            continue
        assert LAYERS[theirs] <= LAYERS[mine], f"{where}: {mine} may not import {theirs}"
        assert {mine, theirs} != {"adapters", "guards"}, f"{where}: the request and response sides"


def test_every_module_has_a_layer():
    """A new module is placed in a layer (so the rule above covers it)."""
    for path in FILES:
        _layer(_module_name(path))
