"""`tokenprobs playground`: registered, lazy, and saying how to install the extra."""

import importlib.util
import socket
import subprocess
import sys

import pytest

from tokenprobs import cli
from tokenprobs.exceptions import MissingDependencyError


def test_help_lists_the_options(capsys):
    """`tokenprobs playground --help` works and names its options."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(["playground", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for option in ("--base-url", "--model", "--chat", "--port", "--no-browser", "--profile"):
        assert option in out


@pytest.mark.parametrize("missing", ["starlette", "uvicorn"])
def test_without_the_extra_it_gives_the_install_line(monkeypatch, capsys, missing):
    """Without Starlette or uvicorn: exit 2 and `pip install "pytokenprobs[playground]"`."""
    monkeypatch.setitem(sys.modules, missing, None)  # what an uninstalled package looks like
    assert cli.main(["playground", "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert 'pip install "pytokenprobs[playground]"' in err
    # the first missing one is named (without any extra, that is Starlette)
    named = "starlette" if importlib.util.find_spec("starlette") is None else missing
    assert f"needs {named}," in err


@pytest.mark.parametrize(
    ("missing", "call"),
    [
        pytest.param("starlette", lambda pg: pg.create_app(pg.Upstream(None)), id="create_app"),
        pytest.param("uvicorn", lambda pg: pg.serve(pg.Upstream(None)), id="serve"),
    ],
)
def test_the_package_imports_without_the_extra_and_says_what_is_missing(monkeypatch, missing, call):
    """`tokenprobs.playground` imports without the extra; using it names the install line."""
    import tokenprobs.playground as pg  # noqa: PLC0415 - imported here, after the patch

    monkeypatch.setitem(sys.modules, missing, None)
    with pytest.raises(MissingDependencyError, match=r"pytokenprobs\[playground\]"):
        call(pg)


def test_the_cli_does_not_import_the_app_until_run():
    """Importing the command line (and `--help`) loads neither the app nor Starlette."""
    code = (
        "import sys, tokenprobs.cli as c; c._main._parser(); "
        "print('tokenprobs.playground' in sys.modules, 'starlette' in sys.modules)"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter, our own code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.extras
def test_a_taken_port_is_a_usage_error(capsys):
    """`--port` on a port another program listens on: exit 2 and which port, no traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["playground", "--no-browser", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
