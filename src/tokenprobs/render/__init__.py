"""Views of a `TokenDistribution`: notebook HTML, terminal text, rich, matplotlib.

Pure functions; the models' `_repr_html_`, `view`, `to_text`, `__rich_console__` and `plot`
delegate here. rich and matplotlib are imported only inside the function that needs them.

Every view draws *cells*: a run of positions whose character spans overlap (a character split
over two tokens, such as an emoji or a Hangul syllable, is drawn once, spanning both). A cell is
shaded by the least certain of its positions, as the `mode` says (see `_cells.py`): by
default no fill for a confident token and a stronger vermillion fill as its probability drops.
"""

from tokenprobs._public import rehome
from tokenprobs.render._cells import MODES, Mode, canonical_mode, plural, visible
from tokenprobs.render._html import HTMLView, to_html, token_to_html
from tokenprobs.render._plot import plot
from tokenprobs.render._terminal import rich_console, to_rich, to_text

__all__ = [
    "MODES",
    "HTMLView",
    "Mode",
    "canonical_mode",
    "plot",
    "plural",
    "rich_console",
    "to_html",
    "to_rich",
    "to_text",
    "token_to_html",
    "visible",
]

rehome(__name__, HTMLView)
