r"""Mismatched tokenizers: a small model's probability of another tokenizer's token, by its bytes.

When the base and the small pair tokenise differently, a base candidate `t` (bytes `b`) is not
one token of the small vocabulary. Its value under a small model is then the **byte-prefix
probability** that the model's continuation of the context starts with `b`, approximated along
one path: the small model's own tokenisation `u_1 … u_m` of `b`, the chain rule over it, and at
each step `j` the small-vocabulary tokens that hold all the rest of `b` at once (`r_j`, the bytes
of `u_j … u_m`; at the last step every token whose bytes extend `u_m`'s):

    P(b | c) ≈ Σ_{j≤m} Π_{i<j} p(u_i | c, u_<i) · Σ_{v ⊒ r_j} p(v | c, u_<j)

(`v ⊒ r_j`: the bytes of `v` start with `r_j`; every term is a distinct way to write `b`). Where
another candidate scored in the same call extends `b`, `b` is valued at least as high as it.

It is an approximation, and a lower bound on the true prefix probability (the other paths are
left out): other tokenisations of `b` are not counted, nor is a small token that straddles the
end of the context (the context is tokenised on its own, so its last token never merges with
`b`'s first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tokenprobs.models import TokenDistribution
    from tokenprobs.proxy._dense import DenseLogprobs

__all__ = ["BytePrefix", "ByteScorer", "PrefixLogprobs"]


class ByteScorer(Protocol):
    """A dense small model that tokenises bytes: `LlamaCppScorer` or anything alike."""

    def score(self, prompt: Sequence[int], continuation: Sequence[int] = (), /) -> DenseLogprobs:
        """Full-vocabulary logprobs before each continuation token and after the last."""
        ...

    def tokenize(self, text: bytes, /, *, add_bos: bool = True, special: bool = True) -> list[int]:
        """The model's ids for `text`."""
        ...

    @property
    def vocab(self) -> tuple[bytes, ...]:
        """Each id's bytes."""
        ...

    @property
    def controls(self) -> frozenset[int]:
        """Ids of control tokens (they write no text, so they extend no prefix)."""
        ...


@dataclass(frozen=True, eq=False)
class PrefixLogprobs:
    """A small model's byte-prefix logprob of each base candidate, position by position.

    `combine` takes it for the expert and the anti-expert when they tokenise differently from
    the base (build it with `BytePrefix.at`). A base token it has no value for (an empty key: a
    server's lossy string) is left out of the candidates and counted in `unmatched_mass`.
    """

    rows: tuple[dict[bytes, float], ...]
    """Per position, candidate bytes → approximate log P(the continuation starts with them)."""

    def __len__(self) -> int:
        """The number of positions."""
        return len(self.rows)

    def __getitem__(self, where: slice) -> PrefixLogprobs:
        """Positions `where` (a slice)."""
        return PrefixLogprobs(self.rows[where])


@dataclass(eq=False)
class BytePrefix:
    """Score another tokenizer's tokens under a dense small model, by their bytes.

    Examples:
        ```python
        expert = proxy.BytePrefix(proxy.LlamaCppScorer("expert.gguf"))
        expert.logprobs(b"The capital of France is", [b" Paris", b" Par", b" the"])
        e = expert.at(b"The capital of France is", base_answer)  # a PrefixLogprobs
        ```
    """

    scorer: ByteScorer
    """The small model (its own tokenizer)."""
    _extensions: dict[bytes, np.ndarray] = field(default_factory=dict, repr=False)

    def _extending(self, piece: bytes, keys: tuple[bytes, ...]) -> np.ndarray:
        """The columns of `keys` whose bytes start with `piece`, control tokens left out."""
        found = self._extensions.get(piece)
        if found is None:
            vocab = self.scorer.vocab
            names = {vocab[i] for i in self.scorer.controls}
            found = np.fromiter(
                (j for j, k in enumerate(keys) if k.startswith(piece) and k not in names),
                dtype=np.intp,
            )
            self._extensions[piece] = found
        return found

    def logprobs(self, context: bytes, candidates: Sequence[bytes], /) -> np.ndarray:
        """Approximate `log P(continuation starts with b | context)` for each candidate `b`.

        Each value is the path sum of the module's formula, raised to the value of any other
        candidate that extends it (a prefix is at least as likely as its continuations).

        Raises:
            ValueError: An empty candidate (no bytes: nothing to score).
        """
        prompt = self.scorer.tokenize(context, add_bos=True)
        first = self.scorer.score(prompt)
        out = np.empty(len(candidates), dtype=np.float64)
        for n, key in enumerate(candidates):
            if not key:
                msg = "BytePrefix.logprobs: an empty candidate has no bytes to score"
                raise ValueError(msg)
            pieces = self.scorer.tokenize(key, add_bos=False, special=False)
            dense = self.scorer.score(prompt, pieces[:-1]) if len(pieces) > 1 else first
            out[n] = self._path(key, pieces, dense)
        return _at_least_extensions(candidates, out)

    def _path(self, key: bytes, pieces: Sequence[int], dense: DenseLogprobs) -> float:
        """The path sum: at each step j, the tokens that extend the rest of `key` at once."""
        vocab, rows = self.scorer.vocab, dense.logprobs
        total, chain, at = -np.inf, 0.0, 0
        for j, u in enumerate(pieces):
            cols = self._extending(vocab[u], dense.keys)
            if j < len(pieces) - 1:  # a token longer than u_j that holds all of key[at:]
                rest = key[at:]
                cols = cols[[dense.keys[c].startswith(rest) for c in cols]]
            if cols.size:
                total = np.logaddexp(total, chain + np.logaddexp.reduce(rows[j, cols]))
            chain += float(rows[j, dense.index[vocab[u]]])
            at += len(vocab[u])
        return float(total)

    def at(self, context: bytes, base: TokenDistribution, /) -> PrefixLogprobs:
        """The byte-prefix logprobs of the base's candidates at each of its positions.

        Position `i` continues `context` and the bytes the base produced before it. Empty keys
        (a lossy string with no bytes) get no value; from a position whose produced token has no
        bytes, later contexts are unknown, so their rows are empty.
        """
        c = base.candidates
        rows: list[dict[bytes, float]] = []
        so_far: bytes | None = context
        for i in range(len(base)):
            if so_far is None:
                rows.append({})
                continue
            keys = [k for k in c.keys(i) if k]
            rows.append(dict(zip(keys, self.logprobs(so_far, keys).tolist(), strict=True)))
            produced = c.sampled_key(i)
            so_far = so_far + produced if produced else None
        return PrefixLogprobs(tuple(rows))


def _at_least_extensions(candidates: Sequence[bytes], values: np.ndarray) -> np.ndarray:
    """Each value raised to the largest value of a candidate whose bytes extend it.

    Every value is a lower bound on its own prefix probability, and a continuation's is at most
    its prefix's, so the largest is a lower bound too, and the values are ordered as the truth.
    """
    out = values.copy()
    for i, key in enumerate(candidates):
        for j, other in enumerate(candidates):
            if j != i and other.startswith(key) and values[j] > out[i]:
                out[i] = values[j]
    return out
