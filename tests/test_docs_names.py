"""What the docs name exists: their code compiles, and their names, keywords and defaults are real.

`tests/test_docs.py` runs the `>>>` examples. The other ```python blocks (they need a key or a
model) and the prose are checked here for what can be checked without running them: every block
compiles, every dotted `tp.X` / `tokenprobs.X.Y` resolves, every `d.X` is an attribute of a
`TokenDistribution`, every call of a tokenprobs function or class (in a block or in inline code)
passes arguments its signature takes, and every signature the prose writes out (`` `name(a, *,
b=1)` ``) names real parameters with their real defaults.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest

import tokenprobs

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(
    [ROOT / "README.md", *(p for p in (ROOT / "docs").glob("*.md") if p.name != "changelog.md")]
)

# Dotted names that look like tokenprobs attributes but are not meant to be one.
NOT_ATTRIBUTES = {
    "tokenprobs.kd",  # the distillation record's schema name, "tokenprobs.kd/1"
}

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+-]*)")
DOTTED = re.compile(r"(?<![\w.])(?:tp|tokenprobs)(?:\.[A-Za-z_]\w*)+")
D_ATTRIBUTE = re.compile(r"(?<![\w.])d\.([A-Za-z_]\w*)")
INLINE_CALL = re.compile(r"`(?P<code>[A-Za-z_][\w.]*\([^`]*\))`")
MISSING = object()


@dataclass(frozen=True)
class Block:
    """One fenced block of a page: where it starts, its language and its dedented text."""

    line: int
    lang: str
    text: str

    @property
    def is_doctest(self) -> bool:
        """Whether `tests/test_docs.py` runs it (it holds `>>>` examples)."""
        return ">>> " in self.text


def _blocks(page: Path) -> list[Block]:
    """The page's fenced blocks, indented ones (inside a list item) included."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        start = FENCE.match(lines[i])
        if not start:
            i += 1
            continue
        indent, fence = start["indent"], start["fence"]
        end = i + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        body = [x.removeprefix(indent) for x in lines[i + 1 : end]]
        blocks.append(Block(i + 2, start["lang"], "\n".join(body)))
        i = end + 1
    return blocks


def _python_blocks(page: Path) -> list[Block]:
    """The page's ```python blocks."""
    return [b for b in _blocks(page) if b.lang in {"python", "py"}]


def _doctest_source(text: str) -> str:
    """The Python source of a block of `>>>` examples (their output left out)."""
    kept = [line[4:] for line in text.splitlines() if line.startswith((">>> ", "... "))]
    return "\n".join(kept)


def _spelled_out(dotted: str) -> str:
    """`tp.X` as `tokenprobs.X`."""
    return "tokenprobs" + dotted.removeprefix("tp").removeprefix("tokenprobs")


def _resolve(dotted: str) -> object:
    """The object `tokenprobs.a.b` names (submodules imported), or MISSING."""
    parts = dotted.split(".")
    obj: object = tokenprobs
    for depth, part in enumerate(parts[1:], start=2):
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        fields = getattr(obj, "model_fields", None) or getattr(obj, "__dataclass_fields__", {})
        if part in fields:
            return fields[part]
        try:
            obj = importlib.import_module(".".join(["tokenprobs", *parts[1 : depth - 1], part]))
        except ImportError:
            return MISSING
    return obj


@dataclass
class Names:
    """What a page's code calls tokenprobs things: `tp`, imported names, and the `d` of the docs."""

    bound: dict[str, object] = field(
        default_factory=lambda: {
            "tp": tokenprobs,
            "tokenprobs": tokenprobs,
            "d": tokenprobs.examples.load("apiref"),
        }
    )

    missing: list[str] = field(default_factory=list)

    def learn(self, tree: ast.AST) -> None:
        """Take in the block's imports from tokenprobs; forget the names it assigns (but `d`)."""
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "tokenprobs":
                        self._bind(alias.asname or "tokenprobs", alias.name, whole=not alias.asname)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tokenprobs"):
                for alias in node.names:
                    self._bind(alias.asname or alias.name, f"{node.module}.{alias.name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id != "d":
                self.bound.pop(node.id, None)

    def _bind(self, name: str, dotted: str, *, whole: bool = False) -> None:
        """Bind `name` to what `dotted` imports (`import tokenprobs.x` binds `tokenprobs`)."""
        obj = _resolve(dotted)
        if obj is MISSING:
            self.missing.append(dotted)
        self.bound[name] = tokenprobs if whole else obj

    def lookup(self, func: ast.expr) -> object:
        """The tokenprobs object a call's function names, or MISSING (a variable, a builtin)."""
        chain: list[str] = []
        while isinstance(func, ast.Attribute):
            chain.insert(0, func.attr)
            func = func.value
        if not isinstance(func, ast.Name) or func.id not in self.bound:
            return MISSING
        obj = self.bound[func.id]
        for part in chain:
            obj = getattr(obj, part, MISSING)
        if isinstance(obj, ModuleType) or obj is MISSING:
            return MISSING
        return obj


def _signature(obj: object) -> inspect.Signature | None:
    """The signature of a tokenprobs callable, None where it has none to check."""
    if not callable(obj) or not (getattr(obj, "__module__", "") or "").startswith("tokenprobs"):
        return None
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None


def _call_problem(call: ast.Call, names: Names) -> str | None:
    """What is wrong with the arguments a call passes to a tokenprobs callable, if anything."""
    sig = _signature(names.lookup(call.func))
    if sig is None or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    keywords = {k.arg: None for k in call.keywords if k.arg is not None}
    try:
        sig.bind_partial(*[None] * len(call.args), **keywords)
    except TypeError as exc:
        return f"{ast.unparse(call.func)}{sig}: {exc}"
    return None


def _calls(tree: ast.AST) -> list[ast.Call]:
    """Every call in a tree, in source order."""
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def _inline_codes(page: Path) -> list[str]:
    """The page's inline code spans that read as a call or a signature (`name(...)`)."""
    text = page.read_text(encoding="utf-8")
    prose = re.sub(
        r"^[ \t]*(`{3,}|~{3,}).*?^[ \t]*\1[ \t]*$", "", text, flags=re.MULTILINE | re.DOTALL
    )
    return [" ".join(m["code"].split()) for m in INLINE_CALL.finditer(prose)]


def _signature_problems(code: str, names: Names) -> list[str]:
    """What a signature written in prose (`name(a, *, b=1)`) gets wrong about the real one.

    Positional parameters are compared by place (the prose may give them a maths name, or
    `d1`), keyword parameters by name; both by their default where the prose writes a literal.
    """
    name, params = code.split("(", 1)
    try:
        written = ast.parse(f"def f({params[:-1]}): pass").body[0]
    except SyntaxError:
        return []
    assert isinstance(written, ast.FunctionDef)
    sig = _signature(names.lookup(ast.parse(name, mode="eval").body))
    if sig is None:
        return []
    args, real = written.args, list(sig.parameters.values())
    positional = [p for p in real if p.kind in {p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD}]
    kinds = {p.kind for p in real}
    said = f"{code} is not {name}{sig}"
    problems = []
    written_positional = [*args.posonlyargs, *args.args]
    if len(written_positional) > len(positional) and inspect.Parameter.VAR_POSITIONAL not in kinds:
        problems.append(f"{said}: {len(written_positional)} positional parameters")
    first_default = len(written_positional) - len(args.defaults)
    for i, default in enumerate(args.defaults, start=first_default):
        if i < len(positional):
            problems.extend(_default_problem(said, positional[i], default))
    by_name = sig.parameters
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if arg.arg not in by_name:
            problems.append(f"{said}: no parameter {arg.arg!r}")
        elif default is not None:
            problems.extend(_default_problem(said, by_name[arg.arg], default))
    if args.kwarg and inspect.Parameter.VAR_KEYWORD not in kinds:
        problems.append(f"{said}: no **{args.kwarg.arg}")
    return problems


def _default_problem(said: str, param: inspect.Parameter, written: ast.expr) -> list[str]:
    """The written default of a parameter, where it is a literal that differs from the real one."""
    try:
        value = ast.literal_eval(written)
    except ValueError:
        value = getattr(tokenprobs, written.id, MISSING) if isinstance(written, ast.Name) else None
        if value is MISSING or value is None:
            return []
    if value is Ellipsis:  # the docs' "whatever goes there"
        return []
    if param.default is inspect.Parameter.empty or param.default != value:
        shown = "none" if param.default is inspect.Parameter.empty else repr(param.default)
        return [f"{said}: {param.name}'s default is {shown}, not {ast.unparse(written)}"]
    return []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_python_block_compiles(page):
    """Each ```python block is Python (a notebook's top-level `await` allowed)."""
    broken = []
    for block in _python_blocks(page):
        source = _doctest_source(block.text) if block.is_doctest else block.text
        try:
            compile(source, f"{page.name}:{block.line}", "exec", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        except SyntaxError as exc:
            broken.append(f"{page.name}:{block.line}: {exc}")
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_dotted_name_resolves(page):
    """Each `tp.X` / `tokenprobs.X.Y` in the page, prose or code, is a real attribute or module."""
    named = {_spelled_out(n) for n in DOTTED.findall(page.read_text(encoding="utf-8"))}
    unknown = sorted(n for n in named - NOT_ATTRIBUTES if _resolve(n) is MISSING)
    assert not unknown, f"{page.name} names what tokenprobs does not have: {unknown}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_d_attribute_belongs_to_a_distribution(page):
    """Each `d.X` in the page (the docs' name for a distribution) is a `TokenDistribution`'s."""
    d = tokenprobs.examples.load("apiref")
    text = page.read_text(encoding="utf-8")
    unknown = sorted({a for a in D_ATTRIBUTE.findall(text) if not hasattr(d, a)})
    assert not unknown, f"{page.name}: a TokenDistribution has no {unknown}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_calls_in_python_blocks_pass_arguments_the_signature_takes(page):
    """A call of a tokenprobs function or class in a block uses parameters it has, no more."""
    names, problems = Names(), []
    for block in _python_blocks(page):
        source = _doctest_source(block.text) if block.is_doctest else block.text
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue  # test_every_python_block_compiles says where
        names.learn(tree)
        if block.is_doctest:
            continue  # tests/test_docs.py runs it
        problems.extend(
            _call_problem(call, names)
            for call in _calls(tree)
            if not any(_is_ellipsis(a) for a in call.args)  # `f(...)`: whatever goes there
        )
    wrong = [f"{page.name}: {p}" for p in problems if p]
    wrong += [f"{page.name}: imports {m}, which tokenprobs does not have" for m in names.missing]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_calls_and_signatures_in_prose_match_the_code(page):
    """Inline `name(...)`: a call passes real parameters; a signature has the real defaults."""
    names, problems = Names(), []
    for block in _python_blocks(page):
        names.learn(ast.parse(_doctest_source(block.text) if block.is_doctest else block.text))
    for code in _inline_codes(page):
        name = code.split("(", 1)[0]
        if "." not in name and name not in names.bound:
            names.bound[name] = _find(name, names)
        try:
            call = ast.parse(code, mode="eval").body
        except SyntaxError:
            problems.extend(_signature_problems(code, names))
            continue
        if isinstance(call, ast.Call) and not any(_is_ellipsis(a) for a in call.args):
            problems.append(_call_problem(call, names))
    wrong = [f"{page.name}: {p}" for p in problems if p]
    assert not wrong, "\n".join(wrong)


def _is_ellipsis(node: ast.expr) -> bool:
    """Whether an argument is the docs' `...` (whatever goes there)."""
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _find(name: str, names: Names) -> object:
    """The object a bare name in prose stands for, else MISSING.

    It is the one public object of that name in the tokenprobs packages the page imports
    (`tokenprobs` itself only when it imports no other); anything else (a method, a variable, a
    name of another library) is not checked.
    """
    modules = [m for m in names.bound.values() if isinstance(m, ModuleType)]
    modules = [m for m in modules if m is not tokenprobs] or [tokenprobs]
    found = {
        id(obj): obj
        for module in modules
        for obj in [getattr(module, name, MISSING)]
        if obj is not MISSING and name in getattr(module, "__all__", ())
    }
    return next(iter(found.values())) if len(found) == 1 else MISSING
