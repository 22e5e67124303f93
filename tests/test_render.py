import io
import json
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from tests._recorded import RECORDED

import tokenprobs as tp
from tokenprobs import render

SNAPSHOTS = Path(__file__).parent / "snapshots" / "render"
UPDATE = os.environ.get("TOKENPROBS_UPDATE_SNAPSHOTS") == "1"


def _chat(name: str) -> tp.TokenDistribution:
    """A recorded Chat Completions response, column by column."""
    obj = json.loads((RECORDED / name).read_text(encoding="utf-8"))
    content = obj["choices"][0]["logprobs"]["content"]
    return tp.TokenDistribution.from_columns(
        source="chat",
        model=obj.get("model"),
        tokens=[c["token"] for c in content],
        token_bytes=[c["bytes"] for c in content],
        logprobs=[c["logprob"] for c in content],
        top_tokens=[[a["token"] for a in c["top_logprobs"]] for c in content],
        top_bytes=[[a["bytes"] for a in c["top_logprobs"]] for c in content],
        top_logprobs_flat=[a["logprob"] for c in content for a in c["top_logprobs"]],
    )


def _printed(name: str) -> tp.TokenDistribution:
    """A recorded response printed token by token (token, logprob, bytes; no alternatives)."""
    text = (RECORDED / name).read_text(encoding="utf-8")
    found = re.findall(r"Log prob: (\S+)\nLinear prob: .*\nBytes: (\[[\d, ]*\])", text)
    token_bytes = [json.loads(b) for _, b in found]
    tokens = [bytes(b).decode("utf-8", "backslashreplace") for b in token_bytes]
    return tp.TokenDistribution.from_columns(
        source="chat",
        tokens=tokens,
        token_bytes=token_bytes,
        logprobs=[float(lp) for lp, _ in found],
        top_tokens=[[] for _ in found],
        top_bytes=[[] for _ in found],
        top_logprobs_flat=[],
    )


def _built(rows: list[tuple[str, list[int], float, list[tuple[str, list[int], float]]]]):
    """A distribution from `(token, bytes, logprob, [(alternative, bytes, logprob)])` rows."""
    return tp.TokenDistribution.from_columns(
        source="chat",
        tokens=[r[0] for r in rows],
        token_bytes=[r[1] for r in rows],
        logprobs=[r[2] for r in rows],
        top_tokens=[[a[0] for a in r[3]] for r in rows],
        top_bytes=[[a[1] for a in r[3]] for r in rows],
        top_logprobs_flat=[a[2] for r in rows for a in r[3]],
    )


def _u(s: str) -> list[int]:
    return list(s.encode())


def korean() -> tp.TokenDistribution:
    """'한국어 공부를' with 국 (EA B5 AD) split over two tokens, the second also holding 어."""
    return _built(
        [
            ("한", _u("한"), -0.05, [("한", _u("한"), -0.05), ("대", _u("대"), -3.1)]),
            ("\\xea\\xb5", [0xEA, 0xB5], -0.7, [("\\xea\\xb5", [0xEA, 0xB5], -0.7)]),
            ("\\xad어", [0xAD, *_u("어")], -0.01, [("\\xad어", [0xAD, *_u("어")], -0.01)]),
            (
                " 공부",
                _u(" 공부"),
                -1.6,
                [(" 수업", _u(" 수업"), -0.5), (" 공부", _u(" 공부"), -1.6)],
            ),
            ("를", _u("를"), -0.2, [("를", _u("를"), -0.2), ("은", _u("은"), -1.8)]),
        ]
    )


PAYLOADS = ["<script>document.title='pwned'</script>", ' <img src=x onerror="document.title=1">']


def hostile() -> tp.TokenDistribution:
    """Tokens and alternatives that are markup: they must show as text."""
    s, i = PAYLOADS
    return _built(
        [
            (s, _u(s), -0.4, [(s, _u(s), -0.4), (i, _u(i), -1.2)]),
            (i, _u(i), -2.0, [("&amp;", _u("&amp;"), -0.3), (i, _u(i), -2.0)]),
            (" \"x'", _u(" \"x'"), -0.1, [(" \"x'", _u(" \"x'"), -0.1)]),
        ]
    )


CASES = {
    "apiref": lambda: _chat("chat_gpt-4o-mini_top2_openai_apiref_example.json"),
    "emoji": lambda: _printed("chat_gpt-4o_blue_heart_emoji_split_PRINTED_STDOUT.txt"),
    "korean": korean,
    "hostile": hostile,
}


def _check_snapshot(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
        if not UPDATE:
            pytest.fail(f"snapshot {name} was missing and has been written; run again")
    assert actual == path.read_bytes().decode("utf-8")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [k for k, _ in attrs]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("mode", ["prob", "entropy", "margin"])
def test_html_snapshot(case, mode):
    """The notebook view of each recorded case matches its snapshot."""
    _check_snapshot(f"{case}.{mode}.html", render.to_html(CASES[case](), mode=mode))


@pytest.mark.parametrize("case", list(CASES))
def test_text_snapshot(case):
    """The plain-text view of each recorded case matches its snapshot."""
    _check_snapshot(f"{case}.txt", render.to_text(CASES[case](), color=False, width=100))


def test_text_color_snapshot():
    """The coloured terminal view matches its snapshot."""
    _check_snapshot("korean.ansi.txt", render.to_text(korean(), color=True, width=100))


def test_standalone_snapshot():
    """The standalone page matches its snapshot and carries a script-forbidding CSP."""
    page = render.to_html(CASES["apiref"](), standalone=True)
    _check_snapshot("apiref.standalone.html", page)
    assert page.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in page


def test_split_characters_are_one_cell():
    """A character split over tokens is drawn once, in a cell spanning those positions."""
    emoji, ko = CASES["emoji"](), korean()
    assert re.search(r'data-pos="10-11" data-p="[^"]*">💙</span>', render.to_html(emoji))
    assert re.search(r'data-pos="1-2" data-p="[^"]*">국어</span>', render.to_html(ko))
    assert render.to_html(emoji).count('class="tp-t ') == len(emoji) - 1


@pytest.mark.parametrize("case", list(CASES))
def test_html_has_no_markup_from_tokens(case):
    """Only the view's own tags and attributes appear, whatever the tokens contain."""
    parser = _Tags()
    parser.feed(render.to_html(CASES[case](), standalone=True))
    assert set(parser.tags) <= {"html", "head", "meta", "title", "style", "body", "div", "span"}
    assert set(parser.attrs) <= {
        "lang",
        "charset",
        "http-equiv",
        "content",
        "name",
        "class",
        "data-mode",
        "tabindex",
        "data-pos",
        "data-p",
    }


def test_hostile_tokens_are_escaped():
    """Markup in tokens and alternatives comes out as escaped text."""
    out = render.to_html(hostile())
    assert "<script" not in out
    assert "<img" not in out
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in out


def test_every_position_gets_a_cell():
    """A cell per position where nothing is split; each is focusable."""
    d = CASES["apiref"]()
    out = render.to_html(d)
    assert out.count('tabindex="0"') == len(d)


def test_unknown_mode_is_refused():
    """An unknown mode names the allowed ones."""
    with pytest.raises(ValueError, match="`mode` must be one of"):
        render.to_html(korean(), mode="surprise")  # type: ignore[arg-type]


def test_token_to_html_shows_alternatives():
    """A single `TokenLogprob` renders as one cell with its alternatives."""
    out = CASES["apiref"]()[0]._repr_html_()
    assert out.count('class="tp-t ') == 1
    assert "Hi" in out
    assert "26.74%" in out


def test_distribution_repr_html_is_to_html():
    """`_repr_html_` is the default `to_html` view."""
    d = korean()
    assert d._repr_html_() == render.to_html(d)


def test_text_auto_color_respects_no_color(monkeypatch):
    """`color=None` gives no escapes when NO_COLOR is set, even on a terminal."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert "\x1b[" not in render.to_text(korean())


def test_text_auto_color_off_when_not_a_tty(monkeypatch):
    """`color=None` gives no escapes when stdout is not a terminal."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    assert "\x1b[" not in render.to_text(korean())


def test_text_auto_color_on_a_tty(monkeypatch):
    """`color=None` colours on a terminal when NO_COLOR is unset."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert "\x1b[48;2;" in render.to_text(korean())


def test_text_lists_least_certain_first_chosen():
    """The table lists the `top` least certain positions, in position order."""
    out = render.to_text(korean(), color=False, top=2, width=200)
    rows = [line.split()[0] for line in out.splitlines()[-2:]]
    assert rows == ["1", "3"]


def test_text_width_cuts_lines():
    """No table line is wider than `width`."""
    out = render.to_text(korean(), color=False, width=40)
    table = out.split("positions (by prob):\n", 1)[1]
    assert all(len(line) <= 40 for line in table.splitlines())


def test_text_of_empty_distribution():
    """An empty distribution renders without a table."""
    empty = _built([])
    assert render.to_text(empty, color=False) == "chat · 0 tokens · top-0\n\n\n"
    assert 'class="tp-text"></div>' in render.to_html(empty)


def test_visible_whitespace():
    """Whitespace and control characters become visible marks."""
    assert render.visible(" a\n\tb\x07") == "␣a↵⇥b\\x07"


@pytest.mark.extras
def test_rich_view_renders():
    """The rich view prints the text and a table of the least certain positions."""
    from rich.console import Console  # noqa: PLC0415 - an optional extra

    console = Console(record=True, width=100, color_system="truecolor", force_terminal=True)
    console.print(korean())
    out = console.export_text(clear=False)
    assert "한국어 공부를" in out
    assert "␣수업 60.65%" in out
    assert "\x1b[" in console.export_text(styles=True)


@pytest.mark.extras
def test_rich_respects_no_color(monkeypatch):
    """Rich drops colour when NO_COLOR is set."""
    from rich.console import Console  # noqa: PLC0415 - an optional extra

    monkeypatch.setenv("NO_COLOR", "1")
    out = io.StringIO()
    Console(file=out, width=100, force_terminal=True, color_system="truecolor").print(korean())
    assert "한국어 공부를" in out.getvalue()
    assert "48;2;" not in out.getvalue()


@pytest.mark.extras
def test_plot_returns_axes():
    """`plot()` draws probability and entropy and labels short outputs with their tokens."""
    import matplotlib as mpl  # noqa: PLC0415 - an optional extra

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415 - an optional extra

    d = CASES["apiref"]()
    ax = d.plot()
    try:
        assert len(ax.patches) == len(d)
        assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["Hello", "!"]
        np.testing.assert_allclose([p.get_height() for p in ax.patches], d.probs)
    finally:
        plt.close(ax.figure)


@pytest.mark.parametrize(
    ("module", "call"),
    [
        pytest.param("rich", lambda d: list(render.rich_console(d, None, None)), id="rich"),
        pytest.param("matplotlib", lambda d: d.plot(), id="matplotlib"),
    ],
)
def test_missing_extra_raises(monkeypatch, module, call):
    """A missing extra raises MissingDependencyError with the install line."""
    for name in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(tp.MissingDependencyError, match=r"pip install \"pytokenprobs\["):
        call(korean())
