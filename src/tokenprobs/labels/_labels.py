"""`Labels`: a label set, and its probabilities at an answer position of a `TokenDistribution`.

Many distributions are read in one pass: each distinct candidate token is classified once (a
memoised lookup), the masses are gathered into `(N, outcomes)` by `np.bincount` and turned into
per-label arrays by matrix products. Only a sampled path that is still a label prefix is
followed token by token (the chain rule), and it is as long as the label.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs._said import a_type, check_flag
from tokenprobs.labels._chain import Chain, follow, mark_follows
from tokenprobs.labels._classes import given_classes
from tokenprobs.labels._exact import Exact
from tokenprobs.labels._match import Kind, Normaliser, Outcome, decode, visible
from tokenprobs.labels._position import At, LabelPositionError, resolve
from tokenprobs.labels._result import LabelResult, LabelResults, build
from tokenprobs.labels._rows import plain_results, tails_at
from tokenprobs.models import TokenDistribution
from tokenprobs.models._expect import expect_distribution
from tokenprobs.models._identity import token_key

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

__all__ = ["Labels"]


def _normalised(probe: Normaliser, v: str, name: str) -> str:
    """Variant `v` of label `name` normalised, its trailing whitespace stripped too.

    Raises:
        ValueError: It is empty then, or holds only invisible characters (`"\u200b"`).
    """
    nv = probe.normalise(v).rstrip()
    if not nv:
        msg = f"variant {v!r} of label {name!r} is empty after normalisation"
        raise ValueError(msg)
    if not visible(nv).strip():
        points = ", ".join(f"U+{ord(ch):04X}" for ch in nv.strip())
        msg = (
            f"variant {v!r} of label {name!r} is empty after normalisation: it holds only "
            f"invisible characters ({points}: zero-width spaces or joiners, format "
            "characters), so an answer spelling it could not be told apart from no answer"
        )
        raise ValueError(msg)
    return nv


class Labels(Exact):
    """A label set: class names, each with the strings (variants) that express it.

    `Labels(["yes", "no"])` has one variant per class (the name); `Labels({"positive":
    ["Positive", "pos"], "negative": ["Negative", "neg"]})` gives each class its variants (the
    key is only the name). Candidates and variants are compared after the same normalisation:
    leading whitespace stripped (`strip_whitespace`), an opening quote stripped (`quotes`: JSON
    string values, `'quoted'` answers), case folded (unless `case_sensitive`), and composed to
    Unicode NFC: `"café"` written with a precomposed `"\u00e9"` and an answer writing `"e"` and
    a combining acute (`"cafe\u0301"`) are one string, either way round, also when the accent
    comes in the next token (then the sampled path is followed, as for any label of several
    tokens). Only canonical equivalents are one string (not NFKC's `"ﬁ"` and `"fi"`, nor
    `"e"` and `"é"`); the results keep the names as given. A token that spells a label is that
    label even where a combining mark could make it another (`"a"` beside `"à"`: models write
    accented letters precomposed), unless the sampled path shows the mark.

    Examples:
        >>> import tokenprobs as tp
        >>> from tokenprobs.testing import chat_completion
        >>> body = chat_completion([("Yes", -0.22, [("Yes", -0.22), (" yes", -2.3), ("No", -2.5)])])
        >>> res = tp.Labels(["yes", "no"]).probs(tp.parse(body))
        >>> res.label, round(res.raw["yes"], 3), round(res.probs["yes"], 3)
        ('yes', 0.903, 0.917)

    Raises:
        TypeError: If the labels are one string, bytes, or neither a list nor a mapping (None,
            a number), a label's variants are a mapping (not a list), a label or a variant is
            not a string, or an option is not a bool.
        ValueError: If a label is given twice, a class has no variant, a variant normalises to
            nothing or to invisible characters only (`"\u200b"`, a zero-width space, or other
            format characters), or two classes share a variant (also two that differ only in
            case, unless `case_sensitive`, or in how their accents are encoded).
    """

    def __init__(
        self,
        labels: Sequence[str] | Mapping[str, Sequence[str] | str],
        /,
        *,
        case_sensitive: bool = False,
        strip_whitespace: bool = True,
        quotes: bool = True,
    ) -> None:
        """Build the label set (see the class docstring)."""
        check_flag(case_sensitive, "case_sensitive", "compare without folding case")
        check_flag(strip_whitespace, "strip_whitespace", "strip leading whitespace first")
        check_flag(quotes, "quotes", "strip an opening quote first")
        classes = given_classes(labels)
        if len(classes) < 1:
            msg = "a label set needs at least one label"
            raise ValueError(msg)
        self.names: tuple[str, ...] = tuple(classes)
        self.variants: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in classes.items()}
        self.options = {
            "case_sensitive": case_sensitive,
            "strip_whitespace": strip_whitespace,
            "quotes": quotes,
        }
        probe = self._normaliser([])
        seen: dict[str, tuple[str, str]] = {}  # each normalised variant: its class and variant
        pairs: list[tuple[str, int]] = []
        for k, (name, vs) in enumerate(classes.items()):
            if not vs:
                msg = f"label {name!r} has no variants"
                raise ValueError(msg)
            for v in vs:
                nv = _normalised(probe, v, name)
                first, given = seen.get(nv, (name, v))
                if first != name:
                    same = (
                        f" ({given!a} and {v!a} are one string once normalised)"
                        if given != v
                        else ""
                    )
                    msg = (
                        f"variant {v!r} is in both {first!r} and {name!r}{same}: "
                        "a string can express one label only"
                    )
                    raise ValueError(msg)
                seen[nv] = (name, v)
                pairs.append((nv, k))
        self._norm = self._normaliser(pairs)
        self._keys: dict[object, Outcome] = {}  # shared by reads: a value is always the same

    def _normaliser(self, pairs: list[tuple[str, int]]) -> Normaliser:
        """The matching rule of the (normalised variant, class) pairs (a subclass may widen it)."""
        return Normaliser(pairs, **self.options)

    def __repr__(self) -> str:
        """The classes and their variants."""
        return f"Labels({self.variants!r})"

    # --- candidates ---------------------------------------------------------------------------

    def _outcome(self, token: str, raw: list[int] | None, *, marked: bool = False) -> Outcome:
        if marked:  # the sampled token, a combining mark next: rare, memoised by the normaliser
            return self._norm.classify(*decode(token_key(token, raw)), marked=True)
        key: object = token if raw is None else bytes(raw)  # the bytes derived only once
        out = self._keys.get(key)
        if out is None:
            text, partial = decode(token_key(token, raw))
            out = self._norm.classify(text, partial)
            self._keys[key] = out
        return out

    # --- reading ------------------------------------------------------------------------------

    def probs(self, d: TokenDistribution, /, *, at: At = None) -> LabelResult:
        """The label probabilities at the answer position of `d`.

        Args:
            d: One output's distribution.
            at: The answer position: `None` (the first content-bearing generated position: not
                whitespace, quotes, markdown emphasis such as `**` that starts no label, or a
                control token; past reasoning tokens the content does not hold, or a leading
                `<think>...</think>` block), a position, a `Char(offset)` into `d.text`, or a
                JSON key whose string value is the answer.

        Returns:
            A `LabelResult`: `.probs` (normalised over the labels), `.raw`, `.unmatched`,
            `.ambiguous`, `.tail`, `.bounds`, `.exact` (the bounds closed), `.all_seen`,
            `.label`, `.margin`.

        Raises:
            LabelPositionError: If `at` names no position of `d`; with `at=None`, also if a
                `<think>` block is never closed or the answer is JSON (the message names its
                keys for `at=`).
            TypeError: If `d` is not a `TokenDistribution` (a raw response: `tp.parse` it).
        """
        out = self.probs_many([expect_distribution(d, "Labels.probs(d)")], at=at)[0]
        if isinstance(out, Exception):
            raise out
        return out

    def probs_many(
        self, ds: Iterable[TokenDistribution | Exception], /, *, at: At = None
    ) -> LabelResults:
        """`probs` for many distributions in one vectorised pass, in order.

        An input that is an exception (a failed request from `get_token_distributions`) or has
        no such position gives its exception in place.

        Raises:
            TypeError: If an input is neither a `TokenDistribution` nor an exception, or `ds`
                is one distribution (use `probs`).
        """
        given: object = ds
        if isinstance(given, TokenDistribution):
            msg = "probs_many takes a list of distributions; for one distribution use probs(d)"
            raise TypeError(msg)
        if not isinstance(given, Iterable) or isinstance(given, str | bytes | Mapping):
            msg = f"probs_many takes a list of distributions (tp.parse each), got {a_type(given)}"
            raise TypeError(msg)
        items = list(ds)
        results: list[LabelResult | Exception] = list(items)  # type: ignore[arg-type]
        rows: list[tuple[int, TokenDistribution, int]] = []
        for n, item in enumerate(items):
            d: object = item
            if isinstance(d, Exception):
                continue
            d = expect_distribution(d, f"Labels.probs_many: item {n}")
            try:
                rows.append((n, d, resolve(d, at, self._norm)))
            except LabelPositionError as exc:
                results[n] = exc
        for (n, _, _), res in zip(rows, self._read(rows), strict=True):
            results[n] = res
        return LabelResults(results, labels=self.names)

    def _read(self, rows: list[tuple[int, TokenDistribution, int]]) -> list[LabelResult]:
        N = len(rows)  # noqa: N806 - the maths' name
        flat_row: list[int] = []
        flat_oid: list[int] = []
        flat_lp: list[float] = []
        supports: list[NDArray[np.float64]] = []
        chains: dict[int, Chain] = {}
        outcomes: dict[Outcome, int] = {}  # this read's own numbering: see _tables
        for r, (_, d, i) in enumerate(rows):
            support = d.support_logprobs[i]
            supports.append(support)
            width = support.shape[0] - 1
            tops, top_b = d.top_tokens[i], d.top_bytes[i]
            # the sampled token followed by a combining mark: it (and the same bytes among the
            # alternatives) is read with the mark, along the sampled path
            marked = mark_follows(d, i)
            sampled = self._outcome(d.tokens[i], d.token_bytes[i], marked=marked)
            sampled_key = token_key(d.tokens[i], d.token_bytes[i]) if marked else None
            for j in range(len(tops)):
                lp = support[j]
                if lp > -math.inf:
                    alt = (
                        sampled
                        if marked and token_key(tops[j], top_b[j]) == sampled_key
                        else self._outcome(tops[j], top_b[j])
                    )
                    flat_row.append(r)
                    flat_oid.append(outcomes.setdefault(alt, len(outcomes)))
                    flat_lp.append(lp)
            if support[width] > -math.inf:
                flat_row.append(r)
                flat_oid.append(outcomes.setdefault(sampled, len(outcomes)))
                flat_lp.append(support[width])
            if sampled.kind in (Kind.PREFIX, Kind.AMBIGUOUS):
                chain = follow(self._norm, len(self.names), d, i, sampled)
                if chain is not None:
                    chains[r] = chain
        n_out = len(outcomes)
        mass = np.bincount(
            np.asarray(flat_row, dtype=np.intp) * n_out + np.asarray(flat_oid, dtype=np.intp),
            weights=np.exp(np.minimum(np.asarray(flat_lp, dtype=np.float64), 0.0)),
            minlength=N * n_out,
        ).reshape(N, n_out)
        tails = tails_at(supports)
        commit, full, amb, blank, none, amb_sets = self._tables(outcomes)
        raw, lo = mass @ commit, mass @ full
        amb_mass = mass @ amb
        blank_mass, none_mass = mass @ blank, mass @ none
        multi = ((raw - lo) > 0) & (lo <= 0)  # only ever seen as a prefix at that position
        plain = np.array([r not in chains for r in range(N)], dtype=bool)
        out: list[LabelResult] = plain_results(
            self.names,
            [rows[r][2] for r in np.flatnonzero(plain)],
            raw=raw[plain],
            lo=lo[plain],
            amb_mass=amb_mass[plain],
            amb_sets=amb_sets,
            blank=blank_mass[plain],
            none=none_mass[plain],
            tail=tails[plain],
            multi=multi[plain],
        )
        if plain.all():
            return out
        merged: list[LabelResult] = []
        done = iter(out)
        for r in range(N):
            if plain[r]:
                merged.append(next(done))
                continue
            merged.append(
                self._result(
                    rows[r][2],
                    raw[r],
                    lo[r],
                    {amb_sets[a]: float(amb_mass[r, a]) for a in np.flatnonzero(amb_mass[r] > 0)},
                    blank=float(blank_mass[r]),
                    none=float(none_mass[r]),
                    tail=float(tails[r]),
                    multi={int(k) for k in np.flatnonzero(multi[r])},
                    chain=chains[r],
                )
            )
        return merged

    def _tables(
        self, outcomes: dict[Outcome, int]
    ) -> tuple[
        NDArray[np.float64],
        NDArray[np.float64],
        NDArray[np.float64],
        NDArray[np.float64],
        NDArray[np.float64],
        list[frozenset[int]],
    ]:
        """Per distinct outcome of one read: its class (committed, complete), ambiguous set ...

        `outcomes` numbers the read's outcomes from 0; a read's own table, as threads may share
        one `Labels`.
        """
        C, n_out = len(self.names), len(outcomes)  # noqa: N806
        commit, full = np.zeros((n_out, C)), np.zeros((n_out, C))
        blank, none = np.zeros(n_out), np.zeros(n_out)
        amb_sets = sorted({o.classes for o in outcomes if o.kind is Kind.AMBIGUOUS}, key=sorted)
        index = {s: a for a, s in enumerate(amb_sets)}
        amb = np.zeros((n_out, len(amb_sets)))
        for o, oid in outcomes.items():
            ks = list(o.classes)
            if o.kind is Kind.FULL:
                commit[oid, ks] = full[oid, ks] = 1.0
            elif o.kind is Kind.PREFIX:
                commit[oid, ks] = 1.0
            elif o.kind is Kind.AMBIGUOUS:
                amb[oid, index[o.classes]] = 1.0
            elif o.kind is Kind.BLANK:
                blank[oid] = 1.0
            else:
                none[oid] = 1.0
        return commit, full, amb, blank, none, amb_sets

    def _result(
        self,
        position: int,
        raw: NDArray[np.float64],
        lo: NDArray[np.float64],
        amb: dict[frozenset[int], float],
        *,
        blank: float,
        none: float,
        tail: float,
        multi: set[int],
        chain: Chain | None,
    ) -> LabelResult:
        hi_extra = np.zeros(len(self.names))
        unmatched = blank + none
        if chain is not None:
            raw, lo = raw + chain.raw, lo + chain.lo
            for s, v in chain.amb.items():
                amb[s] = amb.get(s, 0.0) + v
            amb = {s: v for s, v in amb.items() if v > 1e-15}  # noqa: PLR2004 - rounding
            unmatched += chain.unmatched
            hi_extra += chain.hi
            multi |= chain.multi
        raw, lo = np.maximum(raw, 0.0), np.maximum(lo, 0.0)
        hi = raw + hi_extra + blank + tail
        if chain is not None:
            tail += chain.tail
        for s, v in amb.items():
            hi[list(s)] += v
        hi = np.minimum(hi, 1.0 - (lo.sum() - lo))
        hi = np.clip(np.maximum(hi, lo), 0.0, 1.0)
        lo = np.minimum(lo, 1.0)
        all_seen = not amb and bool(np.all(raw > 0)) and bool(np.allclose(raw, lo, atol=1e-12))
        return build(
            self.names,
            raw,
            lo,
            hi,
            unmatched=unmatched,
            ambiguous_sets={frozenset(self.names[k] for k in s): v for s, v in amb.items()},
            tail=tail,
            position=position,
            all_seen=all_seen,
            multi_token=frozenset(self.names[k] for k in multi),
        )
