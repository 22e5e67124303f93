"""What `pip install pytokenprobs` gets (make test-dist).

The sdist and the wheel built from it, installed in a virtualenv of its own with no extras and
used from outside this checkout.

The editable installs of the other runs read `src/` directly, so they cannot see a file that
the build leaves out, a junk file it ships, or a module that imports an extra at the top.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import os

pytestmark = pytest.mark.dist

REPO = Path(__file__).parents[1]
# the top-level modules of the optional extras: a private module may need one at import time
# (it is imported only where the extra is there); every other module must import without them
OPTIONAL = {"msgspec", "pandas", "rich", "matplotlib", "pyarrow", "dask", "distributed"}
OPTIONAL |= {"starlette", "uvicorn", "llama_cpp", "transformers", "torch", "gguf", "accelerate"}


def run(*argv: str | os.PathLike[str], cwd: Path) -> str:
    """Run a command; its stdout, or a failure that shows its output."""
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 0, f"{argv} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done.stdout


def tracked() -> set[str]:
    """The files git tracks, symlinks left out (the sdist does not follow them)."""
    names = run("git", "ls-files", "-z", cwd=REPO).split("\0")
    return {n for n in names if n and not (REPO / n).is_symlink()}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m build`: the sdist, then the wheel built from the unpacked sdist."""
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, REPO, cwd=REPO)
    return out


def one(folder: Path, pattern: str) -> Path:
    """The one file of `folder` that matches `pattern`."""
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {folder}, found {found}"
    return found[0]


def test_the_sdist_holds_the_tracked_files_and_nothing_else(dist: Path) -> None:
    """Nothing untracked (a stray notebook, a key file) is published; nothing tracked is lost."""
    with tarfile.open(one(dist, "*.tar.gz")) as sdist:
        names = {m.name.split("/", 1)[1] for m in sdist.getmembers() if m.isfile()}
    assert names - {"PKG-INFO"} == tracked()


def test_the_wheel_holds_the_package_its_licence_and_the_command(dist: Path) -> None:
    """The package's tracked files and no others, `py.typed`, the licence, the entry point."""
    with zipfile.ZipFile(one(dist, "*.whl")) as wheel:
        names = set(wheel.namelist())
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
        metadata = wheel.read(f"{info}/METADATA").decode()
    package = {n.removeprefix("src/") for n in tracked() if n.startswith("src/tokenprobs/")}
    assert {n for n in names if not n.startswith(f"{info}/")} == package
    assert "tokenprobs/py.typed" in names  # the types reach users (PEP 561)
    assert f"{info}/licenses/LICENSE" in names
    assert "License-Expression: MIT" in metadata.splitlines()
    assert "tokenprobs = tokenprobs.cli:main" in entry_points.splitlines()


def test_the_installed_wheel_works_without_any_extra(
    dist: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every module imports (but those that need an extra's package), the command runs."""
    home = tmp_path_factory.mktemp("user")  # not this checkout: nothing can come from src/
    venv = home / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=home)
    python, command = venv / "bin" / "python", venv / "bin" / "tokenprobs"
    quiet = ("--quiet", "--disable-pip-version-check")
    run(python, "-m", "pip", "install", *quiet, one(dist, "*.whl"), cwd=home)
    probe = textwrap.dedent(
        f"""
        import importlib, pkgutil, sys
        import tokenprobs
        assert tokenprobs.__file__.startswith(sys.prefix), tokenprobs.__file__
        for m in pkgutil.walk_packages(tokenprobs.__path__, "tokenprobs."):
            if m.name.endswith(".__main__"):
                continue  # runs the command
            try:
                importlib.import_module(m.name)
            except ModuleNotFoundError as e:
                if (e.name or "").split(".")[0] not in {sorted(OPTIONAL)!r}:
                    raise
        print("imported", tokenprobs.__version__)
        """
    )
    assert run(python, "-c", probe, cwd=home).startswith("imported ")
    shown = run(command, "demo", cwd=home)
    assert "Hello! How can I assist you today?" in shown
    version = run(python, "-c", "import tokenprobs; print(tokenprobs.__version__)", cwd=home)
    assert run(command, "--version", cwd=home) == f"tokenprobs {version}"
    assert run(python, "-m", "tokenprobs", "--version", cwd=home) == f"tokenprobs {version}"
