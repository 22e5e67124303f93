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
    "tokenprobs._files": "leaf",
    "tokenprobs._urls": "leaf",
    "tokenprobs._listed": "leaf",
    "tokenprobs._counts": "leaf",
    "tokenprobs._said": "leaf",
    "tokenprobs._public": "leaf",
    "tokenprobs.exceptions": "leaf",
    "tokenprobs._optional": "leaf",
    "tokenprobs._warn": "leaf",
    "tokenprobs._json": "leaf",
    "tokenprobs._json_walk": "leaf",
    "tokenprobs.metrics": "metrics",
    "tokenprobs.models": "models",
    "tokenprobs.adapters": "adapters",
    "tokenprobs.guards": "guards",
    "tokenprobs.client": "client",
    "tokenprobs.batch": "client",
    "tokenprobs._batch_body": "client",
    "tokenprobs._batch_lines": "client",
    "tokenprobs.testing": "client",
    "tokenprobs.examples": "client",
    "tokenprobs.render": "render",
    "tokenprobs.export": "render",
    "tokenprobs.labels": "tools",
    "tokenprobs.fields": "tools",
    "tokenprobs.scoring": "tools",
    "tokenprobs.distill": "tools",
    "tokenprobs.proxy": "tools",
    "tokenprobs.comparison": "tools",
    "tokenprobs.playground": "tools",
    "tokenprobs.cli": "cli",
}
"""Each package is one layer (its private files with it); the flat modules are placed by name."""

SANCTIONED_LAZY = {
    ("tokenprobs.models", "tokenprobs.render"),
    ("tokenprobs.models", "tokenprobs.export"),
}
"""The models' display dunders (`_repr_html_`, `to_pandas` ...) call the views on demand."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(module: str) -> str:
    """`tokenprobs.models._tokens` → `tokenprobs.models`: the public module a file belongs to."""
    return ".".join(module.split(".")[:2])


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
            pair = (_package(here), _package(target))
            assert pair in SANCTIONED_LAZY, f"{where} inside a function (a hidden cycle?)"
            continue
        if here == "tokenprobs":
            continue
        assert LAYERS[theirs] <= LAYERS[mine], f"{where}: {mine} may not import {theirs}"
        assert {mine, theirs} != {"adapters", "guards"}, f"{where}: the request and response sides"


def test_every_module_has_a_layer():
    """A new module is placed in a layer (so the rule above covers it)."""
    for path in FILES:
        _layer(_module_name(path))


def _imported_names(path: Path) -> list[tuple[str, str, int]]:
    """(module, name, line) of each `from tokenprobs... import name` in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.module or "", alias.name, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tokenprobs")
        for alias in node.names
    ]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_underscored_name_crosses_a_file(path):
    """A name another file imports carries no underscore (a private module may be imported)."""
    for module, name, line in _imported_names(path):
        is_module = (SRC.parent / Path(*module.split("."), name)).with_suffix(".py").is_file()
        assert not name.startswith("_") or is_module, (
            f"{path.relative_to(SRC)}:{line} imports {name} from {module}: a shared name is public"
        )


PUBLIC_MODULES = sorted(
    path.stem if path.suffix == ".py" else path.name
    for path in SRC.iterdir()
    if not path.name.startswith("_") and (path.suffix == ".py" or (path / "__init__.py").is_file())
)


def test_every_public_module_is_checked_for_its_classes_home():
    """The list below is read from the tree, so a new public package is checked too."""
    assert {"fields", "labels", "metrics", "playground", "proxy", "scoring"} <= set(PUBLIC_MODULES)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_reexported_classes_name_their_public_module(name):
    """Classes keep `tokenprobs.<public module>` as `__module__`: pickles and reprs are stable."""
    import importlib  # noqa: PLC0415 - the module under test, by name

    module = importlib.import_module(f"tokenprobs.{name}")
    for attr in module.__all__:
        obj = getattr(module, attr)
        if isinstance(obj, type) and obj.__module__.startswith("tokenprobs."):
            home = obj.__module__
            assert not home.split(".")[-1].startswith("_"), f"{name}.{attr} names {home}"


def test_every_package_init_only_reexports():
    """A package's `__init__` holds imports, `__all__` and `rehome(...)`: no code of its own."""
    for path in SRC.rglob("__init__.py"):
        if path.parent == SRC:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            allowed = isinstance(node, ast.Import | ast.ImportFrom | ast.Assign | ast.Expr)
            assert allowed, f"{path.relative_to(SRC)}:{node.lineno} is more than a re-export"
            if isinstance(node, ast.Assign):
                assert [ast.unparse(t) for t in node.targets] == ["__all__"], path
            if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant):
                assert ast.unparse(node.value).startswith("rehome("), path


@pytest.mark.extras  # export's examples need pandas
def test_every_docstring_example_runs():
    """Each `>>>` example, in every module and package (re-exported classes in their package)."""
    import doctest  # noqa: PLC0415
    import importlib  # noqa: PLC0415

    attempted, failures = 0, []
    for path in FILES:
        name = _module_name(path)
        if name.endswith("__main__"):
            continue
        module = importlib.import_module(name)
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=False)
        attempted += result.attempted
        if result.failed:
            failures.append(name)
    assert not failures, f"docstring examples fail in {failures}"
    assert attempted >= 40  # the examples exist (a finder that finds none fails)
