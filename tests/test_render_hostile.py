"""The views of hostile or unusual text: markup, escape sequences, bidi controls, wide text.

Token text, alternatives and the model name come from a server (or a saved file): whatever they
hold, the views show it as text and are never steered by it.
"""

from __future__ import annotations

import io
import re
import unicodedata

import pytest

import tokenprobs as tp
from tokenprobs import render, testing
from tokenprobs.render._cells import TEXT_MARKED, safe

ESCAPES = "\x1b[31mRED\x1b]0;title\x07"
RICH_MARKUP = ["[/]", "[bold]loud", "[link=http://evil.example]click"]


def _dist(*tokens: str, model: str = "gpt-4o-mini") -> tp.TokenDistribution:
    """A chat answer of `tokens`, each its own only alternative, at 36.79% (logprob -1)."""
    return tp.parse(testing.chat_completion([(t, -1.0, [(t, -1.0)]) for t in tokens], model=model))


def _rich(d: tp.TokenDistribution) -> tuple[str, str]:
    """The rich view printed on a colour terminal: (plain text, text with escapes)."""
    from rich.console import Console  # noqa: PLC0415 - an optional extra

    console = Console(
        file=io.StringIO(), record=True, width=160, color_system="truecolor", force_terminal=True
    )
    console.print(render.to_rich(d))
    return console.export_text(clear=False), console.export_text(styles=True)


@pytest.mark.extras
def test_rich_shows_markup_in_tokens_as_text():
    """Rich markup in tokens is printed as typed: no crash on `[/]`, no style or link applied."""
    plain, styled = _rich(_dist(*RICH_MARKUP))
    for token in RICH_MARKUP:
        assert token in plain.split("alternatives", 1)[1]  # the table, not only the text
    assert "\x1b]8;" not in styled  # no hyperlink escape


@pytest.mark.parametrize("color", [False, True], ids=["plain", "ansi"])
def test_the_header_shows_escapes_in_the_model_name(color):
    r"""A model name's escape sequences are shown (`\x1b`), never sent to the terminal."""
    out = render.to_text(_dist("Hi", model=ESCAPES), color=color)
    header = out.splitlines()[0]
    assert "\x1b" not in header
    assert "\x07" not in header
    assert "\\x1b[31mRED\\x1b]0;title\\x07" in header


@pytest.mark.extras
def test_the_rich_header_shows_escapes_in_the_model_name():
    """The rich view's header shows the model name's escapes as text too."""
    plain, _ = _rich(_dist("Hi", model=ESCAPES))
    assert "\\x1b[31mRED" in plain.splitlines()[0]


@pytest.mark.parametrize(
    ("token", "shown"),
    [
        pytest.param("\u202eevil", "\\u202eevil", id="right-to-left override"),
        pytest.param("a\u2066b\u2069", "a\\u2066b\\u2069", id="isolates"),
        pytest.param("x\u200by", "x\\u200by", id="zero-width space"),
        pytest.param("\u200d", "\\u200d", id="a lone zero-width joiner"),
        pytest.param("\ufeff", "\\ufeff", id="byte order mark"),
        pytest.param("a\u2028b", "a\\u2028b", id="line separator"),
        pytest.param("\U000e0041", "\\U000e0041", id="a tag character"),
    ],
)
def test_invisible_characters_in_a_token_are_shown(token, shown):
    """Format characters (bidi controls, zero-width ones) in a token are shown escaped."""
    assert render.visible(token) == shown
    table = render.to_text(_dist(token), color=False).split("alternatives", 1)[1]
    assert token not in table
    assert f"  {shown}  " in table


@pytest.mark.parametrize("color", [False, True], ids=["plain", "ansi"])
def test_bidi_controls_in_the_text_do_not_reorder_the_terminal(color):
    """An override in the answer is shown, so it cannot reverse the rest of the line."""
    out = render.to_text(_dist("pay", "\u202e", "txt.exe", " ok"), color=color)
    assert "\u202e" not in out
    assert "\\u202e" in out.splitlines()[2]


def test_bidi_controls_in_the_text_do_not_reorder_the_page():
    """In HTML an override is drawn as a faint mark: it cannot reverse the cells after it."""
    out = render.to_html(_dist("pay", "\u202e", "txt.exe"))
    assert "\u202e" not in out
    assert '<span class="z">\\u202e</span>' in out


def test_a_carriage_return_is_marked_not_one_more_line_break():
    r"""`\r\n` in the text is `␍↵` and one line break: a bare CR was read as a second one."""
    out = render.to_html(_dist("a\r\n", "b"))
    assert "\r" not in out
    assert '<span class="z">␍</span><span class="z">↵</span>\n' in out


def test_joiners_in_the_text_still_join():
    """A zero-width joiner inside the text (an emoji sequence) is left to join it."""
    family = "\U0001f468\u200d\U0001f469"
    out = render.to_text(_dist(family), color=False)
    assert out.splitlines()[2] == family


def test_combining_marks_keep_the_table_aligned():
    """A token with a combining accent takes the columns it shows in, not one per code point."""
    accented = unicodedata.normalize("NFD", "é")
    table = render.to_text(_dist(accented, "e", "한"), color=False).split("alternatives", 1)[1]
    rows = {line.split()[1]: line for line in table.splitlines()[1:]}
    start = {token: row.index("36.79%") for token, row in rows.items()}
    assert start[accented] - 1 == start["e"]  # one more code point, the same column
    assert start["한"] + 1 == start["e"]  # one fewer code point, two columns wide


def test_a_long_token_does_not_push_the_numbers_out_of_the_table():
    """A 64-space token is cut in the token column, so every row keeps its probability."""
    d = tp.parse(
        testing.chat_completion(
            [("def", -1.0, [("def", -1.0)]), (" " * 64, -0.5, [(" " * 64, -0.5)])]
        )
    )
    table = render.to_text(d, color=False, width=100).split("alternatives", 1)[1]
    rows = table.splitlines()[1:]
    assert ["36.79%" in rows[0], "60.65%" in rows[1]] == [True, True]
    assert "␣" * 23 + "…" in rows[1]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param({"width": "80"}, TypeError, "`width` must be an int", id="width str"),
        pytest.param({"width": 2.5}, TypeError, "`width` must be an int", id="width float"),
        pytest.param({"width": True}, TypeError, "`width` must be an int", id="width bool"),
        pytest.param({"width": -5}, ValueError, "`width` must be at least 1", id="width -5"),
        pytest.param({"width": 0}, ValueError, "`width` must be at least 1", id="width 0"),
        pytest.param({"color": "no"}, TypeError, "`color` must be True, False or None", id="str"),
        pytest.param({"color": 0}, TypeError, "`color` must be True, False or None", id="int"),
    ],
)
def test_text_options_are_checked(kwargs, error, message):
    """A width or colour of the wrong kind is refused, naming the option."""
    with pytest.raises(error, match=re.escape(message)):
        render.to_text(_dist("Hi"), **kwargs)


def test_standalone_must_be_a_bool():
    """`standalone="no"` is refused (it read as true and gave a whole page)."""
    with pytest.raises(TypeError, match="`standalone` must be True or False"):
        render.to_html(_dist("Hi"), standalone="no")


@pytest.mark.parametrize("t", [None, "Hi", 5], ids=["None", "str", "int"])
def test_token_to_html_refuses_what_is_not_a_token(t):
    """`token_to_html` takes a `TokenLogprob` (`d[i]`); anything else is a TypeError saying so."""
    with pytest.raises(TypeError, match=r"token_to_html\(t\) takes a TokenLogprob"):
        render.token_to_html(t)


def test_token_to_html_refuses_a_distribution():
    """A whole distribution is pointed to `to_html`."""
    with pytest.raises(TypeError, match="to_html"):
        render.token_to_html(_dist("Hi"))


@pytest.mark.extras
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param({"max_labels": "4"}, TypeError, "`max_labels` must be an int", id="str"),
        pytest.param({"max_labels": -1}, ValueError, "`max_labels` must be at least 0", id="neg"),
        pytest.param({"ax": 5}, TypeError, "`ax` must be a matplotlib Axes", id="ax"),
    ],
)
def test_plot_options_are_checked(kwargs, error, message):
    """A wrong `max_labels` or `ax` is refused before anything is drawn."""
    import matplotlib as mpl  # noqa: PLC0415 - an optional extra

    mpl.use("Agg")
    with pytest.raises(error, match=re.escape(message)):
        render.plot(_dist("Hi"), **kwargs)


@pytest.mark.extras
@pytest.mark.parametrize("token", ["$$", "$x^2$", "$\\foo$"])
def test_plot_labels_dollar_tokens_as_typed(token):
    """A token with two `$` is a label, not mathtext: `$$` made drawing the figure fail."""
    import matplotlib as mpl  # noqa: PLC0415 - an optional extra

    mpl.use("Agg")
    ax = render.plot(_dist(token, " ok"))
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == [token, "␣ok"]
    assert not ax.get_xticklabels()[0].get_parse_math()


@pytest.mark.extras
def test_plot_cuts_a_long_token_in_its_label_and_says_its_length():
    """A 3,000-character token is labelled by its start and length: the figure stays small."""
    import io  # noqa: PLC0415 - only here

    import matplotlib as mpl  # noqa: PLC0415 - an optional extra

    mpl.use("Agg")
    ax = render.plot(_dist("a", "x" * 3000, " " * 2000))
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["a", "x" * 20 + "… (3,000 characters)", "␣" * 20 + "… (2,000 characters)"]
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", bbox_inches="tight", dpi=50)
    height = int.from_bytes(buf.getvalue()[20:24], "big")  # the PNG header's IHDR height
    assert height < 800


@pytest.mark.parametrize(
    ("token", "shown"),
    [
        pytest.param("\x1b", "\\x1b", id="esc"),
        pytest.param("\x00", "\\x00", id="nul"),
        pytest.param("\x07", "\\x07", id="bel"),
        pytest.param("\x9b", "\\x9b", id="c1-csi"),
        pytest.param("\u2028", "\\u2028", id="line-separator"),
    ],
)
def test_a_control_token_is_a_cell_one_can_see_and_hover(token, shown):
    """A token of one control character is drawn as its escape, not as an empty cell."""
    out = render.to_html(_dist("a", token, "b"))
    assert token not in out
    assert f'data-p="{_popup_of(out, 1)}"><span class="z">{shown}</span></span>' in out


def test_escape_sequences_in_the_text_are_shown_in_the_page():
    """ESC, BEL in running text are escapes, the printable rest of the sequence as typed."""
    out = render.to_html(_dist("red:", ESCAPES))
    assert "\x1b" not in out
    assert "\x07" not in out
    assert '<span class="z">\\x1b</span>[31mRED<span class="z">\\x1b</span>]0;title' in out


def test_the_page_marks_exactly_what_the_terminal_text_escapes():
    """`TEXT_MARKED` (the page) and `safe` (the terminal's text) agree on every BMP character."""
    marked = re.compile(f"[{TEXT_MARKED}]")
    differ = [
        hex(c) for c in range(0x10000) if bool(marked.fullmatch(chr(c))) != (safe(chr(c)) != chr(c))
    ]
    assert differ == []


def _popup_of(html: str, cell: int) -> str:
    """The `data-p` attribute of the view's `cell`-th cell."""
    return re.findall(r'data-p="([^"]*)"', html)[cell]


def test_the_page_title_shows_escapes_in_the_source():
    """A source given to `from_columns` is shown in the standalone page's title, not obeyed.

    Was: a bidi override and a NUL went into `<title>` as they were (the tab's title reversed).
    """
    d = tp.TokenDistribution.from_columns(
        source="chat\u202e\x00<b>",
        tokens=["Hi"],
        token_bytes=[[72, 105]],
        logprobs=[-0.1],
        top_tokens=[["Hi"]],
        top_bytes=[[None]],
        top_logprobs_flat=[-0.1],
    )
    title = re.findall(r"<title>(.*)</title>", render.to_html(d, standalone=True))
    assert title == ["tokenprobs · chat\\u202e\\x00&lt;b&gt; · 1 token"]


@pytest.mark.parametrize(
    ("logprob", "shown"),
    [
        pytest.param(-3.4028234663852886e38, "-3.4e+38", id="float32-min"),
        pytest.param(-12345.678, "-1.2e+04", id="-12345"),
        pytest.param(-1000.0, "-1.0e+03", id="-1000"),
    ],
)
def test_a_huge_logprob_keeps_the_table_aligned(logprob, shown):
    """Was written in fixed point: 45 characters for the float32 minimum, the columns pushed."""
    d = tp.parse(testing.chat_completion([("a", logprob, [("a", logprob)]), ("b", -0.5, [])]))
    rows = render.to_text(d, color=False, width=200).splitlines()[-2:]
    assert rows[0].split()[3] == shown
    assert rows[0].index("▸a") == rows[1].index("—")
    assert f"logprob {shown}\n" in _popup_of(render.to_html(d), 0)


def test_positions_past_99999_keep_the_table_aligned():
    """Was a fixed 5-column position: row 100,000 pushed its numbers one column right."""
    n = 100_001
    d = tp.TokenDistribution.from_columns(
        source="chat",
        tokens=["a"] * n,
        token_bytes=[None] * n,
        logprobs=[-0.01] * (n - 1) + [-0.5],
        top_tokens=[[]] * n,
        top_bytes=[[]] * n,
        top_logprobs_flat=[],
    )
    header, first, last = render.to_text(d, color=False, top=2, width=200).splitlines()[-3:]
    assert last.startswith("100000  a")
    assert header.index("prob") + 4 == first.index("%") + 1 == last.index("%") + 1
