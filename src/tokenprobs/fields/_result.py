"""What `fields.confidence` returns: one `FieldConfidence` per leaf, in a `FieldConfidences`."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from tokenprobs._optional import require
from tokenprobs._said import a_type, a_value, check_flag
from tokenprobs.fields import _view
from tokenprobs.fields._walk import pointer
from tokenprobs.models import TokenDistribution

if TYPE_CHECKING:
    from tokenprobs.fields._decision import Decision

__all__ = ["FieldConfidence", "FieldConfidences", "Key"]

_LISTED = 5
"""How many leaves a KeyError's message lists."""

Key = tuple[str | int, ...] | str | int
"""A path tuple (`("items", 0, "sku")`), a JSON pointer (`"/items/0/sku"`), a top-level key
(`"sku"`, no leading `/`) or a leaf's index in document order."""


@dataclass(frozen=True)
class FieldConfidence:
    """One leaf of the JSON output and how sure the model was of it.

    Token attribution is whole-token: every token whose bytes overlap the value's literal
    (quotes included) is in `positions`. A token that also holds structure or a neighbour's bytes
    (`":"`, `","`, `"}`, ` "pos`) is *shared*: it counts in `logprob` and is left out of
    `logprob_own`.
    """

    path: tuple[str | int, ...]
    """The leaf's JSON path: object keys and array indices (`("items", 0, "sku")`)."""
    pointer: str
    """The same as an RFC 6901 JSON pointer (`"/items/0/sku"`)."""
    value: object = field(hash=False)
    """The value exactly as `json.loads` gives it (escapes and surrogate pairs decoded)."""
    byte_span: tuple[int, int]
    """`[start, end)` of the literal (a string's quotes included) in the content's UTF-8 bytes."""
    char_span: tuple[int, int]
    """The same span in characters of the content (`content[a:b]` is the literal)."""
    positions: range
    """The token positions whose bytes overlap the literal."""
    logprob: float
    """Joint logprob of the tokens in `positions` (shared boundary tokens included)."""
    logprob_own: float
    """Joint logprob of the tokens wholly inside the literal (0.0 when there are none)."""
    shared: bool
    """True when a boundary token also holds structure or a neighbouring value."""
    shared_positions: tuple[int, ...]
    """The positions of those boundary tokens."""
    forced_positions: tuple[int, ...]
    """Positions that carried no information: logprob exactly 0 with no returned alternative
    within 15 nats, or, with a schema, a value it allows only one way. Left out of the means."""
    min_prob: float
    """The lowest probability among the leaf's free (not forced) tokens; 1.0 when all are forced."""
    mean_logprob: float | None
    """Mean logprob over the free tokens (`None` when all are forced). Not a probability: length
    dependent and uncalibrated; `logprob` and `decision` are the probabilistic quantities."""
    exact: bool
    """False when a token's sampled logprob is unknown (the `-9999` sentinel: outside the top-k):
    `logprob`, `logprob_own`, `min_prob` and `mean_logprob` are then upper bounds."""
    unknown_positions: tuple[int, ...]
    """Positions whose sampled logprob is the sentinel (or null)."""
    _decide: Callable[[], Decision | None] = field(repr=False, compare=False)

    @property
    def prob(self) -> float:
        """`exp(logprob)`: the probability of this value's tokens given what came before."""
        return math.exp(self.logprob)

    @property
    def forced(self) -> bool:
        """True when every token of the value was forced (the value carried no information)."""
        return len(self.forced_positions) == len(self.positions)

    @cached_property
    def decision(self) -> Decision | None:
        """The alternatives at the first free token, mapped to values (`None` when all forced).

        Computed on first access.
        """
        return self._decide()


class FieldConfidences(Sequence[FieldConfidence]):
    """Every leaf of one structured output, in document order; indexable by path or pointer."""

    def __init__(
        self,
        leaves: list[FieldConfidence],
        /,
        *,
        distribution: TokenDistribution,
        document: tuple[int, int],
        text: str,
    ) -> None:
        """Wrap the leaves of `distribution` whose JSON document is `text[document]` (chars).

        `fields.confidence` builds it; built by hand, each argument is checked.

        Raises:
            TypeError: `leaves` is not a list of `FieldConfidence`, `distribution` not a
                `TokenDistribution`, `document` not two ints or `text` not a str.
            ValueError: `document`, or a leaf's span or positions, falls outside `text` or
                `distribution`.
        """
        leaves = _checked(leaves, distribution, document, text)
        self._leaves = leaves
        self._by_path = {leaf.path: leaf for leaf in leaves}
        self._by_pointer = {leaf.pointer: leaf for leaf in leaves}
        self.distribution = distribution
        self.document = document
        """The character span of the JSON document in the content (prose or a fence around)."""
        self.text = text
        """The content the spans index into."""

    def __len__(self) -> int:
        """The number of leaves."""
        return len(self._leaves)

    def __iter__(self) -> Iterator[FieldConfidence]:
        """The leaves in document order."""
        return iter(self._leaves)

    @overload
    def __getitem__(self, key: Key) -> FieldConfidence: ...
    @overload
    def __getitem__(self, key: slice) -> list[FieldConfidence]: ...
    def __getitem__(self, key: Key | slice) -> FieldConfidence | list[FieldConfidence]:
        """The leaf at a path, pointer, top-level key or index (see `Key`).

        Raises:
            KeyError: If no leaf has that path (the message lists some that exist).
            IndexError: If an index is past the leaves (the message says how many there are).
            TypeError: If `key` is none of those, or a path tuple's step is neither a key (str)
                nor an index (int): a `bool` is no index, alone or in a path (numpy's integers
                are).
        """
        if isinstance(key, slice):
            return self._leaves[key]
        given: object = key  # checked as a caller may pass anything
        if not isinstance(given, bool | np.bool_) and isinstance(given, numbers.Integral):
            at = int(given)  # numpy's integers index too, as they do a list
            if not -len(self._leaves) <= at < len(self._leaves):
                msg = f"leaf index {at} is out of range: there are {len(self._leaves)} leaves"
                raise IndexError(msg)
            return self._leaves[at]
        if not isinstance(given, str | tuple):
            msg = (
                "a leaf is found by a JSON pointer ('/a/b') or top-level key (str), a path "
                f"tuple (('a', 'b')) or an index (int), not {a_type(given)}"
            )
            raise TypeError(msg)
        if isinstance(given, tuple):
            given = _path(given)
        found = self._find(given)
        if found is None:
            raise KeyError(self._missing(given))
        return found

    def _missing(self, key: tuple[str | int, ...] | str) -> str:
        """Why no leaf is at `key`: it holds some (an object or array), or which leaves exist."""
        if isinstance(key, tuple):
            at = pointer(key)
        elif key == "" or key.startswith("/"):
            at = key
        else:
            at = pointer((key,))
        under = [leaf.pointer for leaf in self._leaves if leaf.pointer.startswith(at + "/")]
        if under:
            some = ", ".join(under[:_LISTED]) + (" …" if len(under) > _LISTED else "")
            return (
                f"no leaf at {key!r}: {at} is an object or array, not a leaf; its "
                f"{len(under)} leaves are at {some}"
            )
        some = ", ".join(leaf.pointer or '""' for leaf in self._leaves[:_LISTED])
        return f"no leaf at {key!r}; leaves are at JSON pointers like {some}"

    def _find(self, key: tuple[str | int, ...] | str) -> FieldConfidence | None:
        if isinstance(key, tuple):
            return self._by_path.get(key)
        if key == "" or key.startswith("/"):
            return self._by_pointer.get(key)
        return self._by_path.get((key,))

    def __contains__(self, key: object) -> bool:
        """Whether a leaf has this path, pointer or top-level key."""
        if isinstance(key, FieldConfidence):
            return key in self._leaves
        if not isinstance(key, str | tuple):
            return False
        if isinstance(key, tuple):
            try:
                key = _path(key)
            except TypeError:
                return False  # as for a key of no kind (`1.0 in fc`)
        return self._find(key) is not None

    def paths(self) -> list[tuple[str | int, ...]]:
        """Every leaf's path, in document order."""
        return [leaf.path for leaf in self._leaves]

    def __repr__(self) -> str:
        """The number of leaves and the least sure one."""
        if not self._leaves:
            return "FieldConfidences([])"
        low = min(self._leaves, key=lambda leaf: leaf.logprob)
        return (
            f"FieldConfidences({len(self)} leaves, least sure {low.pointer or '/'!s}="
            f"{low.value!r} p={low.prob:.3g})"
        )

    def to_pandas(self, *, decisions: bool = False) -> Any:  # noqa: ANN401 - pandas is optional
        """One row per leaf: pointer, value, prob, logprob, logprob_own, min_prob, forced, ...

        Args:
            decisions: Also read every leaf's decision: `decided_at` (its position), `decided`
                (the most probable value, or the most probable candidate text for an open
                value), `decided_p` (its probability: normalised over the allowed values, raw
                for open values), `decided_exact`. Costs a labels read per finite-valued leaf.

        Raises:
            MissingDependencyError: Without pandas (`pip install 'pytokenprobs[pandas]'`).
            TypeError: If `decisions` is not True or False.
        """
        check_flag(decisions, "decisions", "also read every leaf's decision")
        pd = require("pandas", extra="pandas", feature="FieldConfidences.to_pandas")
        rows = [_row(leaf, decisions=decisions) for leaf in self._leaves]
        columns = list(rows[0]) if rows else ["pointer", "value", "prob", "logprob"]
        return pd.DataFrame(rows, columns=columns)

    def to_html(self) -> str:
        """The JSON with each value coloured by its probability (`prob`), as HTML."""
        return _view.to_html(self)

    def to_text(self, *, color: bool = True) -> str:
        """The JSON with each value coloured by its probability, for a terminal (ANSI).

        Raises:
            TypeError: If `color` is not True or False.
        """
        check_flag(color, "color", "ANSI colours, or each probability written after its value")
        return _view.to_text(self, color=color)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __rich_console__(self, console: Any, options: Any) -> Any:  # noqa: ANN401 - rich is optional
        """The coloured JSON as a rich renderable."""
        del console, options
        yield _view.to_rich(self)


def _path(key: tuple[object, ...]) -> tuple[str | int, ...]:
    """A path tuple's steps as keys (str) and indices (int, numpy's integers too).

    Raises:
        TypeError: If a step is neither: a `bool` is no index (`("b", True)` is not `/b/1`, as
            `fc[True]` is no leaf), nor is a float.
    """
    out: list[str | int] = []
    for n, step in enumerate(key):
        if isinstance(step, str):
            out.append(step)
        elif not isinstance(step, bool | np.bool_) and isinstance(step, numbers.Integral):
            out.append(int(step))
        else:
            msg = (
                f"a leaf is found by a path tuple of object keys (str) and array indices (int), "
                f"not {a_type(step)}: step {n} of {key!r}"
            )
            raise TypeError(msg)
    return tuple(out)


def _checked(
    leaves: object, distribution: object, document: object, text: object
) -> list[FieldConfidence]:
    """`leaves` as a list, once every argument of `FieldConfidences` is what it reads."""
    if not isinstance(leaves, list | tuple) or not all(
        isinstance(leaf, FieldConfidence) for leaf in leaves
    ):
        bad = (
            leaves
            if not isinstance(leaves, list | tuple)
            else next(leaf for leaf in leaves if not isinstance(leaf, FieldConfidence))
        )
        msg = (
            "FieldConfidences: leaves must be a list of FieldConfidence (what "
            f"fields.confidence gives), got {a_value(bad, width=40)}"
        )
        raise TypeError(msg)
    if not isinstance(distribution, TokenDistribution):
        msg = (
            "FieldConfidences: distribution must be the TokenDistribution the leaves were read "
            f"from (tp.parse(response)), got {a_type(distribution)}"
        )
        raise TypeError(msg)
    if not isinstance(text, str):
        msg = f"FieldConfidences: text must be the content, a str, got {a_type(text)}"
        raise TypeError(msg)
    if not (
        isinstance(document, tuple)
        and len(document) == 2  # noqa: PLR2004
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in document)
    ):
        msg = (
            "FieldConfidences: document must be a (start, end) tuple of ints, "
            f"got {a_value(document)}"
        )
        raise TypeError(msg)
    if not 0 <= document[0] <= document[1] <= len(text):
        msg = (
            f"FieldConfidences: document {document} is not a span of text "
            f"({len(text)} characters): 0 <= start <= end <= len(text)"
        )
        raise ValueError(msg)
    for leaf in leaves:
        if not 0 <= leaf.char_span[0] <= leaf.char_span[1] <= len(text) or not (
            0 <= leaf.positions.start <= leaf.positions.stop <= len(distribution)
        ):
            msg = (
                f"FieldConfidences: the leaf at {leaf.pointer or '/'} spans characters "
                f"{leaf.char_span} and positions {leaf.positions}, outside text "
                f"({len(text)} characters) or distribution ({len(distribution)} tokens): "
                "was it read from another output?"
            )
            raise ValueError(msg)
    return list(leaves)


def _row(leaf: FieldConfidence, *, decisions: bool) -> dict[str, object]:
    row: dict[str, object] = {
        "pointer": leaf.pointer,
        "value": leaf.value,
        "prob": leaf.prob,
        "logprob": leaf.logprob,
        "logprob_own": leaf.logprob_own,
        "min_prob": leaf.min_prob,
        "mean_logprob": leaf.mean_logprob,
        "shared": leaf.shared,
        "forced": leaf.forced,
        "exact": leaf.exact,
        "first": leaf.positions.start,
        "stop": leaf.positions.stop,
        "byte_start": leaf.byte_span[0],
        "byte_end": leaf.byte_span[1],
    }
    if decisions:
        dec = leaf.decision
        best: tuple[object, float] | tuple[None, None] = (None, None)
        if dec is not None and dec.labels is not None and dec.labels.label is not None:
            label = dec.labels.label
            best = (dec.members[label], dec.labels.probs[label])
        elif dec is not None and dec.options:
            best = next(iter(dec.options.items()))
        row["decided_at"] = None if dec is None else dec.position
        row["decided"], row["decided_p"] = best
        row["decided_exact"] = None if dec is None else dec.exact
    return row
