"""Matching one candidate string against a label set: the rules, on text decoded once from bytes.

A candidate (a returned token, or the sampled path's text followed by one more token) is
normalised as the labels are: leading whitespace stripped, an opening quote stripped (JSON
string values), case-folded. Against the normalised variants it is then:

* ``FULL`` for class k: it equals a variant of k, or starts with one and the next character is
  not a word character (``"Yes."``, not ``"Yesterday"``; a combining mark such as a Devanagari
  vowel sign or an accent continues the word: ``"की"`` is not ``"क"``); the longest such
  variant wins;
* ``PREFIX`` of class k: a proper prefix of variants of k only (it commits to k);
* ``AMBIGUOUS``: consistent with several classes (a proper prefix of several, or a complete
  label that is also a proper prefix of a longer one: ``"New"`` with ``"New York"``; every
  label complete inside it counts too, as the longer one may still fail: ``"New York"`` with
  ``"New York City"`` could be ``"New Yorker"``, which is ``"New"`` and a space);
* ``BLANK``: empty or whitespace-only after normalisation: it never matches, but could still
  lead to any label, so it counts in every label's upper bound;
* ``NONE``: no label.
"""

from __future__ import annotations

import codecs
import re
import sys
import unicodedata
from dataclasses import dataclass
from enum import IntEnum
from functools import cache

__all__ = ["Kind", "Normaliser", "Outcome", "decode", "folds_onto", "is_special"]


class Kind(IntEnum):
    """What a candidate is, for a label set."""

    NONE = 0
    BLANK = 1
    FULL = 2
    PREFIX = 3
    AMBIGUOUS = 4


@dataclass(frozen=True, slots=True)
class Outcome:
    """A candidate's kind and the classes it is consistent with (one class unless ambiguous)."""

    kind: Kind
    classes: frozenset[int] = frozenset()


NONE = Outcome(Kind.NONE)
BLANK = Outcome(Kind.BLANK)

_SPECIAL = re.compile(r"<\|[^<>|]{1,40}\|>|</?s>|<(?:eos|bos|pad|unk|end_of_turn|eot)>")
_QUOTES = "\"'`"


def is_special(text: str) -> bool:
    """True for a control token's text (`<|im_end|>`, `</s>`, `<eos>` ...)."""
    return _SPECIAL.fullmatch(text) is not None


def decode(raw: bytes) -> tuple[str, bytes]:
    """The complete characters of `raw` and the bytes of a trailing partial character."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = decoder.decode(raw, final=False)
    return text, decoder.getstate()[0]


_VARIATION = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
"""The variation selectors: marks that choose a glyph (text or emoji), not another character."""


def _is_word(ch: str) -> bool:
    r"""A letter, digit, `_`, or a combining mark (it changes the character before it).

    Not a variation selector (`"❤\ufe0f"` is the emoji ❤) nor an enclosing mark (a keycap).
    """
    if ch.isalnum() or ch == "_":
        return True
    return unicodedata.category(ch) in ("Mn", "Mc") and not _VARIATION.fullmatch(ch)


class Normaliser:
    """Normalises strings and classifies candidates for one label set (results memoised)."""

    def __init__(
        self,
        variants: list[tuple[str, int]],
        *,
        case_sensitive: bool,
        strip_whitespace: bool,
        quotes: bool,
    ) -> None:
        """Keep the (normalised variant, class) pairs; the same options apply to candidates."""
        self.case_sensitive = case_sensitive
        self.strip_whitespace = strip_whitespace
        self.quotes = quotes
        self.variants = variants
        self._memo: dict[tuple[str, bytes], Outcome] = {}

    def normalise(self, text: str) -> str:
        """Leading whitespace and an opening quote stripped, case-folded (as configured)."""
        if self.strip_whitespace:
            text = text.lstrip()
        if self.quotes and text[:1] in _QUOTES:
            text = text[1:]
            if self.strip_whitespace:
                text = text.lstrip()
        return text if self.case_sensitive else text.casefold()

    def classify(self, text: str, partial: bytes = b"", *, terminated: bool = False) -> Outcome:
        """The outcome of candidate `text` (+ the bytes of a split last character).

        With `terminated`, the candidate is known to end there (an end-of-sequence token came
        next): only an exact label is a match.
        """
        key = (text, partial + (b"\x00" if terminated else b""))
        out = self._memo.get(key)
        if out is None:
            out = self._classify(self.normalise(text), partial, terminated=terminated)
            self._memo[key] = out
        return out

    def _classify(self, c: str, partial: bytes, *, terminated: bool) -> Outcome:
        if not partial and not c.strip():
            return BLANK
        best, complete, prefix_of = self._matches(c, partial, terminated=terminated)
        if best >= 0 and not prefix_of:
            return Outcome(Kind.FULL, frozenset({best}))  # decided: the longest complete label
        # undecided: a longer label may complete, or fail and leave a shorter one complete
        # ("New York" then "er" is "New Yorker": "New" and a space)
        classes = frozenset(complete | prefix_of)
        if not classes:
            return NONE
        if len(classes) == 1:
            return Outcome(Kind.FULL if complete else Kind.PREFIX, classes)
        return Outcome(Kind.AMBIGUOUS, classes)

    def _matches(
        self, c: str, partial: bytes, *, terminated: bool
    ) -> tuple[int, set[int], set[int]]:
        """The candidate's matches: the longest complete, the complete ones, the longer ones.

        The class of the longest complete variant (-1 if none), the classes with a complete
        variant (it is the candidate, or a non-word character follows it in the candidate), and
        the classes with a variant the candidate is a proper prefix of.
        """
        best, best_len = -1, -1
        complete: set[int] = set()
        prefix_of: set[int] = set()
        for v, k in self.variants:
            inside = (
                not terminated and len(c) > len(v) and c.startswith(v) and not _is_word(c[len(v)])
            )
            if inside or (c == v and not partial):
                complete.add(k)
                if len(v) > best_len:
                    best, best_len = k, len(v)
            elif partial:
                if v.startswith(c) and self._may_continue(
                    v[len(c) :], partial, terminated=terminated
                ):
                    prefix_of.add(k)
            elif not terminated and v.startswith(c):
                prefix_of.add(k)
        return best, complete, prefix_of

    def _may_continue(self, rest: str, partial: bytes, *, terminated: bool) -> bool:
        """Whether a character starting with the bytes `partial` can begin `rest` of a variant.

        The variant is normalised, the partial character is not (its case is unknown until it
        completes): it fits when some character whose UTF-8 starts with `partial` normalises to
        the start of `rest` (`"Я"`, lead byte `0xd0`, folds to `"я"`, lead byte `0xd1`). A
        variant already complete (`rest` empty) may still be followed by a non-word character
        (the label then), unless the candidate is known to end with the partial character.
        """
        if not rest:
            return not terminated
        forms = [rest[0]] if self.case_sensitive else [rest[0], *folds_onto().get(rest[0], ())]
        return any(
            ch.encode("utf-8", errors="surrogatepass").startswith(partial)
            and rest.startswith(ch if self.case_sensitive else ch.casefold())
            for ch in forms
        )


@cache
def folds_onto() -> dict[str, tuple[str, ...]]:
    """Each character with the characters whose case folding starts with it (built once).

    `"я"` with `("Я",)`, `"k"` with `("K", "\u212a")` (the Kelvin sign), `"s"` with `"S"`,
    `"ß"`, `"\u017f"` (the long s) ...: every code point is folded once, on the first split
    character matched (a fifth of a second).
    """
    table: dict[str, list[str]] = {}
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        folded = ch.casefold()
        if folded != ch:
            table.setdefault(folded[0], []).append(ch)
    return {k: tuple(v) for k, v in table.items()}
