"""Matching one candidate string against a label set: the rules, on text decoded once from bytes.

A candidate (a returned token, or the sampled path's text followed by one more token) is
normalised as the labels are: leading whitespace stripped, an opening quote stripped (JSON
string values), case-folded, and composed (Unicode NFC: ``"cafe\u0301"``, an ``e`` then a
combining acute, is ``"café"``, as the precomposed ``"\u00e9"`` is). Against the normalised
variants it is then:

* ``FULL`` for class k: it equals a variant of k, or starts with one and the next character is
  not a word character (``"Yes."``, not ``"Yesterday"``; a combining mark such as a Devanagari
  vowel sign or an accent continues the word: ``"की"`` is not ``"क"``); the longest such
  variant wins;
* ``PREFIX`` of class k: a proper prefix of variants of k only (it commits to k). A candidate
  that spells or starts no label as written is also the prefix of the labels a combining mark
  would make it start (``"cafe"`` of ``"café"``: the acute may come in the next token); one
  that does is read as written (``"a"`` beside ``"à"`` is ``"a"``: models write accented
  letters precomposed), unless the sampled path shows a mark next (``marked``): then a label
  it spells is not complete yet, and every label it or the mark may make is still open, for
  the chain rule to read on;
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
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cache

__all__ = [
    "Kind",
    "Matches",
    "Normaliser",
    "Outcome",
    "decode",
    "form",
    "forms_onto",
    "is_mark",
    "is_special",
    "is_word",
    "visible",
]


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


_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
"""Unicode's default-ignorable code points: drawn as nothing (zero-width space, joiners, the
soft hyphen, bidirectional controls, variation selectors, Hangul fillers, tags ...)."""


def visible(text: str) -> str:
    """`text` without its invisible characters: default-ignorable or format (category Cf)."""
    if text.isascii():
        return text
    return "".join(
        ch for ch in text if unicodedata.category(ch) != "Cf" and not _IGNORABLE.fullmatch(ch)
    )


def is_word(ch: str) -> bool:
    r"""A letter, digit, `_`, or a combining mark (it changes the character before it).

    Not a variation selector (`"❤\ufe0f"` is the emoji ❤) nor an enclosing mark (a keycap).
    """
    if ch.isalnum() or ch == "_":
        return True
    return unicodedata.category(ch) in ("Mn", "Mc") and not _VARIATION.fullmatch(ch)


def is_mark(ch: str) -> bool:
    """A combining mark: it changes the character before it (NFC may compose the two)."""
    return unicodedata.category(ch) in ("Mn", "Mc", "Me")


def form(text: str, *, case_sensitive: bool, compose: bool = True) -> str:
    """`text` composed (NFC) and, unless `case_sensitive`, case-folded (canonical caseless).

    Case folding is done on the decomposed text and the result composed again, as Unicode's
    canonical caseless match does (`"\u01f0"` folds to `"j"` and a combining caron): two
    strings that differ only in how their accents are encoded have one form. Without
    `compose`, the text as written (case-folded unless `case_sensitive`).
    """
    if text.isascii() or not compose:
        return text if case_sensitive else text.casefold()
    if case_sensitive:
        return unicodedata.normalize("NFC", text)
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold())


@dataclass(slots=True)
class Matches:
    """What a candidate matches in a label set, before it is given one kind."""

    best: int = -1
    """The class of the longest complete variant (-1 if none)."""
    best_len: int = -1
    """The length of that variant."""
    complete: set[int] = field(default_factory=set)
    """The classes with a complete variant: the candidate, or a non-word character follows it."""
    prefix_of: set[int] = field(default_factory=set)
    """The classes with a variant the candidate is a proper prefix of."""
    unwritten: set[int] = field(default_factory=set)
    """The classes the candidate could start only through a continuation it does not show yet
    (a combining mark on its last letter): counted only when it matches nothing else."""

    def add_complete(self, k: int, length: int) -> None:
        """Class `k` is complete in the candidate, with a variant of `length` characters."""
        self.complete.add(k)
        if length > self.best_len:
            self.best, self.best_len = k, length


class Normaliser:
    """Normalises strings and classifies candidates for one label set (results memoised)."""

    def __init__(
        self,
        variants: list[tuple[str, int]],
        *,
        case_sensitive: bool,
        strip_whitespace: bool,
        quotes: bool,
        compose: bool = True,
    ) -> None:
        """Keep the (normalised variant, class) pairs; the same options apply to candidates.

        Without `compose`, text is compared as its code points (JSON strings, which JSON Schema
        compares so): no NFC, and no accent to come is looked for.
        """
        self.case_sensitive = case_sensitive
        self.strip_whitespace = strip_whitespace
        self.quotes = quotes
        self.compose = compose
        self.variants = variants
        self._decomposed = [unicodedata.normalize("NFD", v) if compose else v for v, _ in variants]
        self._memo: dict[tuple[str, bytes], Outcome] = {}

    def normalise(self, text: str) -> str:
        """Leading whitespace and an opening quote stripped, composed, case-folded (as configured).

        Composed: Unicode NFC (`form`), so a label and an answer that spell an accented letter
        differently (precomposed `"\u00e9"`, or `"e"` and a combining acute) are one string.
        """
        if self.strip_whitespace:
            text = text.lstrip()
        if self.quotes and text[:1] in _QUOTES:
            text = text[1:]
            if self.strip_whitespace:
                text = text.lstrip()
        return form(text, case_sensitive=self.case_sensitive, compose=self.compose)

    def classify(
        self, text: str, partial: bytes = b"", *, terminated: bool = False, marked: bool = False
    ) -> Outcome:
        """The outcome of candidate `text` (+ the bytes of a split last character).

        With `terminated`, the candidate is known to end there (an end-of-sequence token came
        next): only an exact label is a match. With `marked`, it is known to be followed by a
        combining mark (the sampled path's next token starts with one): a label it spells is
        not complete yet, and one the mark would make it start is not ruled out (`"a"` then
        `"\u0300"` may be `"à"`); the chain rule reads the mark.
        """
        key = (text, partial + (b"\x00" if terminated else b"") + (b"\x01" if marked else b""))
        out = self._memo.get(key)
        if out is None:
            c = self.normalise(text)
            out = self._classify(c, partial, terminated=terminated, marked=marked)
            self._memo[key] = out
        return out

    def _classify(self, c: str, partial: bytes, *, terminated: bool, marked: bool) -> Outcome:
        if not partial and not c.strip():
            return BLANK
        m = self._matches(c, partial, terminated=terminated, marked=marked)
        best, complete, prefix_of = m.best, m.complete, m.prefix_of
        if marked or (not complete and not prefix_of):
            # read as written first (`"a"` beside `"à"` is `"a"`), unless a mark is seen coming
            prefix_of = prefix_of | m.unwritten
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

    def _matches(self, c: str, partial: bytes, *, terminated: bool, marked: bool) -> Matches:
        """The candidate's matches: the longest complete, the complete ones, the longer ones.

        The class of the longest complete variant (-1 if none), the classes with a complete
        variant (it is the candidate, or a non-word character follows it in the candidate), the
        classes with a variant the candidate is a proper prefix of (or equals, when `marked`: a
        combining mark comes next), and those it would start only with a combining mark it
        does not show yet (`"cafe"` of `"café"`).
        """
        m = Matches()
        decomposed: str | None = None
        for (v, k), vd in zip(self.variants, self._decomposed, strict=True):
            inside = (
                not terminated and len(c) > len(v) and c.startswith(v) and not is_word(c[len(v)])
            )
            if inside or (c == v and not partial and not marked):
                m.add_complete(k, len(v))
            elif partial and v.startswith(c):
                if self._may_continue(v[len(c) :], partial, terminated=terminated):
                    m.prefix_of.add(k)
            elif not partial and not terminated and v.startswith(c):
                m.prefix_of.add(k)
            elif not terminated and vd != v:
                if decomposed is None:
                    decomposed = unicodedata.normalize("NFD", c)
                if self._mark_may_follow(decomposed, vd, partial):
                    m.unwritten.add(k)
        return m

    def _mark_may_follow(self, cd: str, vd: str, partial: bytes) -> bool:
        """Whether the decomposed candidate `cd` is `vd` up to a combining mark still to come.

        `"cafe"` then `"\u0301"` (a combining acute) is `"café"`: decomposed, the label is the
        candidate and a mark, which the next token (or the rest of a split character) may add.
        """
        if len(vd) <= len(cd) or not vd.startswith(cd) or not is_mark(vd[len(cd)]):
            return False
        return not partial or self._may_continue(vd[len(cd) :], partial, terminated=False)

    def _may_continue(self, rest: str, partial: bytes, *, terminated: bool) -> bool:
        """Whether a character starting with the bytes `partial` can begin `rest` of a variant.

        The variant is normalised, the partial character is not (its case and composition are
        unknown until it completes): it fits when some character whose UTF-8 starts with
        `partial` normalises to the start of `rest` (`"Я"`, lead byte `0xd0`, folds to `"я"`,
        lead byte `0xd1`; the Kelvin sign, lead byte `0xe2`, composes to `"K"`). A variant
        already complete (`rest` empty) may still be followed by a non-word character (the
        label then), unless the candidate is known to end with the partial character.
        """
        if not rest:
            return not terminated
        cs, nfc = self.case_sensitive, self.compose
        forms = [rest[0], *forms_onto(case_sensitive=cs, compose=nfc).get(rest[0], ())]
        return any(
            ch.encode("utf-8", errors="surrogatepass").startswith(partial)
            and rest.startswith(form(ch, case_sensitive=cs, compose=nfc))
            for ch in forms
        )


@cache
def forms_onto(*, case_sensitive: bool, compose: bool = True) -> dict[str, tuple[str, ...]]:
    """Each character with the characters whose `form` starts with it (built once per mode).

    Folding case: `"я"` with `("Я",)`, `"k"` with `("K", "\u212a")` (the Kelvin sign), `"s"`
    with `"S"`, `"ß"`, `"\u017f"` (the long s) ...; in both modes `"K"` with the Kelvin sign,
    `"Å"` with the Angstrom sign (NFC composes them): every code point is normalised once, on
    the first split character matched (a third of a second).
    """
    table: dict[str, list[str]] = {}
    if case_sensitive and not compose:
        return {}  # every character is its own form
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        formed = form(ch, case_sensitive=case_sensitive, compose=compose)
        if formed != ch:
            table.setdefault(formed[0], []).append(ch)
    return {k: tuple(v) for k, v in table.items()}
