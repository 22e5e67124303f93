import io
import json
import math
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from tests._recorded import RECORDED

import tokenprobs as tp
from tokenprobs import render, testing

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
@pytest.mark.parametrize(
    "mode", ["least-likely", "most-likely", "full-spectrum", "entropy", "margin"]
)
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
    assert re.search(r'data-p="#10 [^"]*\n────\n#11 [^"]*">💙</span>', render.to_html(emoji))
    assert re.search(r'data-p="#1 [^"]*\n────\n#2 [^"]*">국어</span>', render.to_html(ko))
    assert render.to_html(emoji).count('tabindex="0"') == len(emoji) - 1


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
        "style",
        "tabindex",
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
    assert out.count('tabindex="0"') == 1
    assert "Hi" in out
    assert "26.7%" in out


def test_distribution_repr_html_is_to_html():
    """`_repr_html_` is the default `to_html` view."""
    d = korean()
    assert d._repr_html_() == render.to_html(d)


@pytest.fixture
def plain_env(monkeypatch):
    """No colour setting in the environment, a terminal that can colour."""
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


@pytest.mark.parametrize(
    ("env", "tty", "colored"),
    [
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "0"}, False, True),  # any value, as force-color.org, rich and CPython
        ({"FORCE_COLOR": ""}, False, False),  # empty: as unset
        ({"TERM": "dumb"}, True, False),
        ({"TERM": "dumb", "FORCE_COLOR": "1"}, False, True),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
    ],
    ids=["force", "force-0", "force-empty", "dumb", "force-beats-dumb", "no-color-beats-force"],
)
@pytest.mark.usefixtures("plain_env")
def test_text_auto_color_reads_the_environment_as_the_command_does(monkeypatch, env, tty, colored):
    """`color=None` follows NO_COLOR, then FORCE_COLOR, then TERM=dumb (it read only NO_COLOR)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: tty)
    assert ("\x1b[" in render.to_text(korean())) is colored


@pytest.mark.usefixtures("plain_env")
def test_text_auto_color_respects_no_color(monkeypatch):
    """`color=None` gives no escapes when NO_COLOR is set, even on a terminal."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert "\x1b[" not in render.to_text(korean())


@pytest.mark.usefixtures("plain_env")
def test_text_auto_color_off_when_not_a_tty(monkeypatch):
    """`color=None` gives no escapes when stdout is not a terminal."""
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    assert "\x1b[" not in render.to_text(korean())


@pytest.mark.usefixtures("plain_env")
def test_text_auto_color_on_a_tty(monkeypatch):
    """`color=None` colours on a terminal when NO_COLOR is unset."""
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert "\x1b[1;38;2;213;94;0m국어\x1b[0m" in render.to_text(korean())


def test_text_lists_least_certain_first_chosen():
    """The table lists the `top` least certain positions, in position order."""
    out = render.to_text(korean(), color=False, top=2, width=200)
    rows = [line.split()[0] for line in out.splitlines()[-2:]]
    assert rows == ["1", "3"]


def test_text_top_zero_lists_no_position():
    """`top=0` shows the text without a table; an `np.int64` counts like an int."""
    out = render.to_text(korean(), color=False, top=0)
    assert "least certain" not in out
    assert render.to_text(korean(), color=False, top=np.int64(2), width=200) == render.to_text(
        korean(), color=False, top=2, width=200
    )


@pytest.mark.parametrize("view", [render.to_text, render.to_rich])
@pytest.mark.parametrize("top", [-1, -7])
def test_a_negative_top_is_refused_not_sliced(view, top):
    """`top=-1` was a slice end ("8 least certain of 9"): now a ValueError naming `top`."""
    with pytest.raises(ValueError, match=rf"`top` must be at least 0 .*got {top}"):
        view(korean(), top=top)


@pytest.mark.parametrize("top", [2.5, "3", True, None])
def test_a_top_that_is_not_an_int_is_refused(top):
    """A float, a string, a bool or None is a TypeError naming `top`, not numpy's slice error."""
    with pytest.raises(TypeError, match=r"`top` must be an int \(how many positions"):
        render.to_text(korean(), top=top)
    with pytest.raises(TypeError, match="`top` must be an int"):
        korean().to_text(top=top)


def test_text_width_cuts_lines():
    """No table line is wider than `width`."""
    out = render.to_text(korean(), color=False, width=40)
    table = out.split("positions (by probability):\n", 1)[1]
    assert all(len(line) <= 40 for line in table.splitlines())


def test_text_of_empty_distribution():
    """An empty distribution renders without a table."""
    empty = _built([])
    assert render.to_text(empty, color=False) == "chat · 0 tokens · top-0\n\n\n"
    assert '<div class="tx"></div>' in render.to_html(empty)


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
    assert "한국어 공부를" in re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())
    assert "38;2;" not in out.getvalue()
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


def _shade_of(html_view: str, text: str) -> str:
    """The class of the cell whose text is `text` ("" for a cell with no fill)."""
    found = re.search(r'<span tabindex="0"(?: class="([^"]*)")? data-p="[^"]*">' + text, html_view)
    assert found is not None, text
    return found.group(1) or ""


def three() -> tp.TokenDistribution:
    """A confident, a middling and a doubtful token (99.9 %, 60 %, 5 %)."""
    return _built(
        [
            ("A", _u("A"), np.log(0.999), [("A", _u("A"), np.log(0.999))]),
            ("B", _u("B"), np.log(0.6), [("B", _u("B"), np.log(0.6)), ("b", _u("b"), -1.0)]),
            ("C", _u("C"), np.log(0.05), [("D", _u("D"), -0.2), ("C", _u("C"), np.log(0.05))]),
        ]
    )


@pytest.mark.parametrize(
    ("mode", "shades"),
    [
        pytest.param("least-likely", ("", "w3", "w6"), id="least-likely"),
        pytest.param("most-likely", ("c6", "c3", ""), id="most-likely"),
        pytest.param("full-spectrum", ("c6", "", "w6"), id="full-spectrum"),
    ],
)
def test_the_mode_chooses_what_stands_out(mode, shades):
    """By default the 5 % token has the strongest fill and the confident one none."""
    out = render.to_html(three(), mode=mode)
    assert tuple(_shade_of(out, t) for t in "ABC") == shades


def test_high_entropy_stands_out():
    """In entropy mode the flattest distribution gets the strongest fill."""
    d = three()
    out = render.to_html(d, mode="entropy")
    levels = [int(_shade_of(out, t)[1:] or 0) for t in "ABC"]
    assert levels[0] == 0
    assert np.argsort(levels).tolist() == np.argsort(d.entropy).tolist()


def test_solid_fill_sets_its_own_text_colour():
    """The solid shades set a contrasting text colour; the translucent ones inherit the theme's."""
    css = render.to_html(three())
    assert ".tpv .w6{background:#d55e00;color:#000;font-weight:700}" in css
    assert ".tpv .w5{background:rgba(213,94,0,0.6)}" in css


def test_legend_matches_the_shades():
    """The legend shows one swatch per bin, each with that bin's shade, in bin order."""
    out = render.to_html(three(), mode="full-spectrum")
    legend = re.search(r'<div class="lg">(.*?)</div>', out).group(1)
    swatches = re.findall(r'<span(?: class="([^"]*)")?>([^<]*)</span>', legend)
    assert swatches[1:-1] == [
        ("w6", "&lt;10%"),
        ("w4", "10%\u201325%"),
        ("w2", "25%\u201350%"),
        ("", "50%\u201375%"),
        ("c2", "75%\u201390%"),
        ("c4", "90%\u201399%"),
        ("c6", "≥99%"),
    ]


@pytest.mark.parametrize("alias", ["prob", "least likely", "LEAST_LIKELY"])
def test_old_and_spelled_out_mode_names_work(alias):
    """`"prob"` (the old default) and spelled-out names give the least-likely view."""
    assert render.to_html(korean(), mode=alias) == render.to_html(korean(), mode="least-likely")
    assert render.to_text(korean(), mode=alias) == render.to_text(korean(), mode="least-likely")


def test_unknown_mode_names_the_choices():
    """An unknown mode lists the modes, in every view."""
    for view in (render.to_html, render.to_text):
        with pytest.raises(ValueError, match="'least-likely', 'most-likely', 'full-spectrum'"):
            view(korean(), mode="loud")


def test_to_html_displays_itself_in_a_notebook():
    """`to_html` returns a `str` that IPython displays as HTML, not as a quoted string."""
    from IPython.core.formatters import DisplayFormatter  # noqa: PLC0415 - a dev dependency

    out = render.to_html(korean(), mode="entropy")
    assert isinstance(out, str)
    assert out.startswith('<div class="tpv" data-mode="entropy"')
    bundle, _ = DisplayFormatter().format(out)
    assert bundle["text/html"] == str(out)


def test_view_is_to_html_in_the_mode():
    """`d.view(mode=...)` is the notebook view in that mode, displayed as HTML."""
    d = korean()
    assert d.view(mode="most-likely") == render.to_html(d, mode="most-likely")
    assert d.view()._repr_html_() == render.to_html(d)


def test_popups_have_room_below_the_text():
    """The view reserves, below its text, the height of its tallest popup (and a spare line)."""
    d = three()  # popups of 2 + 1, 2 + 2 and 2 + 2 lines
    out = render.to_html(d)
    reserved = int(re.search(r'style="padding-bottom:(\d+)px"', out).group(1))
    assert reserved >= (4 + 1) * 12 * 1.45 + 8


def _popups(out: str) -> list[str]:
    """Each cell's popup text (its `data-p`, unescaped)."""
    import html  # noqa: PLC0415 - only these tests read the attribute back

    return [html.unescape(p) for p in re.findall(r'data-p="([^"]*)"', out)]


def test_a_long_token_is_cut_in_its_popup_with_its_length():
    """A 2,000-character token or a run of newlines shows 40 characters and says how long it is."""
    long, newlines, hidden = "x" * 2000, "\n" * 300, "\u200b" * 30
    d = tp.parse(
        testing.chat_completion(
            [(long, -1.0, [(long, -1.0), (newlines, -2.0), (hidden, -3.0), (" b", -4.0)])]
        )
    )
    (popup,) = _popups(render.to_html(d))
    header, _, *alternatives = popup.split("\n")
    assert header.startswith(f"#0 {'x' * 40}… (2,000 characters)  p ")
    assert alternatives[0].endswith(f"{'x' * 40}… (2,000 characters)")
    assert alternatives[1].endswith(f"{'↵' * 40}… (300 characters)")
    assert alternatives[2].endswith("\\u200b" * 6 + "… (30 characters)")  # never half an escape
    assert alternatives[3].endswith(" ␣b")
    assert max(map(len, popup.split("\n"))) <= 90  # two lines at most in a 450 px view


def test_the_room_below_the_text_counts_the_lines_a_long_one_wraps_to():
    """A popup line longer than 60 characters is reserved the lines it wraps to."""
    short = tp.parse(testing.chat_completion([(" a", -1.0, [(" a", -1.0), (" b", -2.0)])]))
    long = tp.parse(testing.chat_completion([(" a", -1.0, [(" a", -1.0), ("y" * 70, -2.0)])]))

    def reserved(d):
        return int(re.search(r"padding-bottom:(\d+)px", render.to_html(d)).group(1))

    # 4 lines and a spare; then the alternative's line (` 26.9% yyy… (70 characters)`) is two
    assert reserved(short) == math.ceil(5 * 12 * 1.45 + 12)
    assert reserved(long) == math.ceil(6 * 12 * 1.45 + 12)


BIG_BUDGET_BYTES = 1_900_000
"""A 4,096-token, top-20 view (2.87 MB before 0.2): about 460 bytes a position, of which the
21 lines of alternatives (a 3-digit probability and the token, about 14 bytes each) are most;
the CSS is written once and a cell's markup is about 55 bytes."""


def test_large_view_stays_small():
    """A 4,096-token, top-20 view keeps every alternative within its byte budget."""
    from tests.test_browser import big  # noqa: PLC0415 - the shared large fixture

    d = big()
    out = render.to_html(d)
    size = len(out.encode())
    print(f"4,096 x top-20 view: {size:,} bytes")  # noqa: T201
    assert size <= BIG_BUDGET_BYTES
    assert out.count('tabindex="0"') == len(d)
    last = out.rsplit('data-p="', 1)[1]
    assert all(f"␣w{j}\n" in last or last.endswith(f"␣w{j}") for j in range(20))


def test_one_token_is_singular():
    """One token and one position are written in the singular, in every view."""
    d = _built([("Yes", _u("Yes"), -0.1, [("Yes", _u("Yes"), -0.1), ("No", _u("No"), -2.4)])])
    text = render.to_text(d, color=False)
    assert text.startswith("chat · 1 token · top-2\n")
    assert "1 least certain of 1 position (by probability):" in text
    assert "<title>tokenprobs · chat · 1 token</title>" in render.to_html(d, standalone=True)


def test_text_most_likely_lists_the_most_probable():
    """In most-likely mode the table lists the most probable positions."""
    out = render.to_text(korean(), color=False, mode="most-likely", top=1, width=200)
    assert "1 most likely of 5 positions (by probability):" in out
    assert out.splitlines()[-1].split()[0] == "2"


def test_ansi_marks_doubt_with_a_solid_fill():
    """The ANSI view gives the 5 % token bold black on vermillion and the confident none."""
    out = render.to_text(three(), color=True, width=100)
    assert "\x1b[1;38;2;0;0;0;48;2;213;94;0mC\x1b[0m" in out
    assert "\nA\x1b[38;2;213;94;0mB" in out


@pytest.mark.extras
@pytest.mark.parametrize("mode", ["least-likely", "entropy"])
def test_rich_view_has_the_plain_layout(mode):
    """The rich view shows the header line and honours `top`, in every mode."""
    from rich.console import Console  # noqa: PLC0415 - an optional extra

    console = Console(record=True, width=120, color_system="truecolor", force_terminal=True)
    console.print(render.to_rich(korean(), mode=mode, top=2))
    out = console.export_text(clear=False)
    assert out.startswith("chat · 5 tokens · top-2\n\n한국어 공부를\n")
    by = "probability" if mode == "least-likely" else "entropy"
    assert f"2 least certain of 5 positions (by {by})" in out
    assert len([ln for ln in out.splitlines() if re.match(r"│\s+\d+ │", ln)]) == 2


@pytest.mark.extras
def test_rich_marks_doubt_with_a_solid_fill():
    """The rich view draws the 5 % token bold black on vermillion."""
    from rich.console import Console  # noqa: PLC0415 - an optional extra

    console = Console(width=100, color_system="truecolor", force_terminal=True)
    segments = [seg for seg in console.render(three()) if seg.text == "C"]
    style = segments[0].style
    assert style.bold
    assert style.bgcolor.triplet == (213, 94, 0)
    assert style.color.triplet == (0, 0, 0)


@pytest.mark.extras
def test_plot_colours_doubt():
    """The plot shades the bars as the view does and has a legend of the bins."""
    import matplotlib as mpl  # noqa: PLC0415 - an optional extra

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415 - an optional extra

    ax = three().plot()
    try:
        colors = [p.get_facecolor() for p in ax.patches]
        assert colors[2] == pytest.approx((213 / 255, 94 / 255, 0, 1.0))
        assert colors[0] == pytest.approx(mpl.colors.to_rgba("#c8c8c8"))
        legend = ax.get_legend()
        assert legend.get_texts()[0].get_text() == "<10%"
        assert legend.get_title().get_text() == "p(sampled token), least likely"
    finally:
        plt.close(ax.figure)


def test_control_tokens_are_dimmed_whatever_their_probability():
    """`<|im_end|>` (a `d.special` token) is drawn dimmed in HTML and colour terminals."""
    d = tp.parse(testing.chat_completion([("Hi", -2.5, [("Hi", -2.5)]), ("<|im_end|>", -3.0, [])]))
    assert d.special.tolist() == [False, True]
    page = render.to_html(d)
    assert page.count('class="sp"') == 1
    assert 'class="sp" data-p="' in page
    assert "&lt;|im_end|&gt;</span>" in page
    colored = render.to_text(d, color=True)
    assert "\x1b[3;38;2;128;128;128m<|im_end|>\x1b[0m" in colored


def test_a_token_without_text_is_drawn_as_empty_set_everywhere():
    """An empty token is `∅` in the terminal table and the page's popup, as in the page's text.

    A piece of a split character (llama-cpp-python streams them as "") was a blank cell there.
    """
    positions = [("Hi", -0.1, [("Hi", -0.1)]), ("", -0.5, [("", -0.5), ("!", -1.2)])]
    d = tp.parse(testing.chat_completion(positions))
    row = next(line for line in render.to_text(d, color=False).splitlines() if "60.65%" in line)
    assert row.split()[:2] == ["1", "∅"]
    assert "▸∅ 60.65%" in row
    page = render.to_html(d)
    assert "#1 ∅  p 60.65%" in page
    assert "▸60.7% ∅" in page
