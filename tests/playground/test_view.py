"""The page's view: `render.to_html` cut into cells, streamed as changes, identical when whole."""

import pytest

import tokenprobs as tp
from tokenprobs import render
from tokenprobs.playground._fork import fork, join
from tokenprobs.playground._session import Branch, Request
from tokenprobs.playground._view import ViewFrames, cell_starts, split_view
from tokenprobs.testing import completion

COMPATIBLE = tp.guards.CAPABILITIES["compatible"]

SPLIT = [
    ("Hi", -0.1, [("Hi", -0.1), ("Yo", -2.3)]),
    (" 한", -0.2, [(" 한", -0.2), (" 국", -1.9)]),
    (b"\xf0\x9f", -0.3, [(b"\xf0\x9f", -0.3), (" x", -1.4)]),  # an emoji split over two tokens
    (b"\x92\x99", -0.01, [(b"\x92\x99", -0.01)]),
    (" <b>", -1.1, [(" <b>", -1.1), ('"onerror=', -1.2)]),
    ("\n", -0.5, []),
]


MARKDOWN = [
    ("Steps", -0.2, [("Steps", -0.2)]),
    ("\n", -0.1, [("\n", -0.1)]),
    ("#1 first", -0.7, [("#1 first", -0.7), ("#2 x", -1.1)]),  # a line that reads like a header
    ("\n#3 ", -0.4, [("\n#3 ", -0.4)]),
]


def distributions():
    """Answers whose cells span several positions (split UTF-8), or none at all."""
    return [
        pytest.param(tp.parse(completion(MARKDOWN * 3)), id="text-like-popup-headers"),
        pytest.param(tp.parse(completion(SPLIT)), id="split-emoji"),
        pytest.param(tp.parse(completion(SPLIT[:1])), id="one-token"),
        pytest.param(tp.parse(completion(SPLIT * 40)), id="240-tokens"),
    ]


@pytest.mark.parametrize("d", distributions())
def test_split_view_is_lossless(d):
    """`head + cells + tail` is the renderer's HTML, one cell per `cell_starts` entry."""
    html = render.to_html(d)
    head, cells, tail = split_view(html)
    assert head + "".join(cells) + tail == html
    assert len(cells) == len(cell_starts(d))


def test_a_split_character_is_one_cell():
    """The emoji's two tokens share one cell, as the notebook view draws it."""
    d = tp.parse(completion(SPLIT))
    assert cell_starts(d) == [0, 1, 2, 4, 5]


@pytest.mark.parametrize("d", distributions())
@pytest.mark.parametrize("mode", render.MODES)
def test_streamed_frames_add_up_to_the_whole_view(d, mode):
    """Token by token, the frames rebuild exactly `to_html` of the whole answer."""
    view, page, starts = ViewFrames(mode=mode), [], []
    head = None
    for n in range(1, len(d) + 1):
        frame = view.frame(d[:n])
        head = frame["head"] or head
        del page[frame["cut"] :]
        del starts[frame["cut"] :]
        page += frame["cells"]
        starts += frame["starts"]
        assert frame["n"] == n
    whole = split_view(render.to_html(d, mode=mode))
    assert page == whole[1]
    assert head == whole[0]
    assert starts == cell_starts(d)


def test_a_frame_sends_only_what_changed():
    """After the first frames, a frame re-sends the last cell and adds the new one."""
    d = tp.parse(completion(SPLIT * 4))
    view = ViewFrames()
    view.frame(d[:10])
    frame = view.frame(d[:11])
    assert frame["cut"] >= len(view.cells) - 2
    assert len(frame["cells"]) <= 2


def test_a_branch_cannot_start_inside_a_split_character():
    """Forcing the emoji's second half, or an alternative that is half a character, is refused."""
    d = tp.parse(completion(SPLIT))
    parent = Branch(1, Request(endpoint="completions", model="m", prompt="P"), d)
    with pytest.raises(ValueError, match="continues a character split"):
        fork(parent, 3, 0, COMPATIBLE)
    with pytest.raises(ValueError, match="part of a character"):
        fork(parent, 2, 0, COMPATIBLE)
    start, forced = fork(parent, 2, 1, COMPATIBLE)
    assert forced == " x"
    assert start.prompt == "P" + "Hi 한" + " x"
    assert start.head.tokens == ["Hi", " 한", " x"]


def test_join_keeps_every_column():
    """Joining two answers keeps tokens, bytes, logprobs and alternatives, position by position."""
    d = tp.parse(completion(SPLIT))
    joined = join(d[:3], d[3:])
    assert joined.tokens == d.tokens
    assert joined.token_bytes == d.token_bytes
    assert joined.top_tokens == d.top_tokens
    assert (joined.top_logprobs == d.top_logprobs).all()
    assert joined.text == d.text
