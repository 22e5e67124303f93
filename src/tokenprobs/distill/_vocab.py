"""A student vocabulary keyed by bytes, and how much of the teacher's head it covers."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from tokenprobs._said import a_type, a_value
from tokenprobs.distill._numbers import INT64_MAX, said_int
from tokenprobs.distill._record import DistillError, check_record

if TYPE_CHECKING:
    from tokenprobs.distill._record import KDRecord

__all__ = [
    "Coverage",
    "StudentVocab",
    "check_vocab",
    "coverage",
    "distinct_ids",
    "shares_ids",
    "tokenizer_pieces",
]


@cache
def _gpt2_symbols() -> dict[str, int]:
    """GPT-2's byte-level alphabet: the printable symbol standing for each byte, inverted."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    codes = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, codes, strict=True)}


def _byte_level(token: str) -> bytes | None:
    table = _gpt2_symbols()
    try:
        return bytes(table[ch] for ch in token)
    except KeyError:
        return None


def _fallback(token: str) -> bool:
    """A SentencePiece byte-fallback token (`<0x66>`): one byte with no piece of its own."""
    return len(token) == 6 and token.startswith("<0x") and token.endswith(">")  # noqa: PLR2004


def _sentencepiece(token: str) -> bytes:
    if _fallback(token):
        return bytes([int(token[3:5], 16)])
    return token.replace("\u2581", " ").encode("utf-8")


def tokenizer_pieces(tokenizer: Any) -> dict[int, bytes]:  # noqa: ANN401 - tokenizers is optional
    """Each id's bytes in a Hugging Face `tokenizers.Tokenizer`, added special tokens left out.

    Byte-level BPE vocabularies (GPT-2, Llama 3, Qwen, SmolLM: `Ġ` for a space) are read
    through GPT-2's byte alphabet; others as SentencePiece (`▁` for a space, `<0xNN>` byte
    fallback). Ordered so that a byte-fallback token comes after the piece of the same bytes
    (Gemma's `<0x66>` after `f`): the first id of a key is the one the tokenizer writes.
    """
    config = json.loads(tokenizer.to_str())
    byte_level = "ByteLevel" in json.dumps(config.get("decoder")) or "ByteLevel" in json.dumps(
        config.get("pre_tokenizer")
    )
    special = {t["content"] for t in config.get("added_tokens", []) if t.get("special")}
    vocab = tokenizer.get_vocab(with_added_tokens=False)
    out: dict[int, bytes] = {}
    for token, tid in sorted(vocab.items(), key=lambda kv: (_fallback(kv[0]), kv[1])):
        if token in special:
            continue
        raw = _byte_level(token) if byte_level else _sentencepiece(token)
        if raw is not None:
            out[int(tid)] = raw
    return out


@dataclass(frozen=True, eq=False)
class StudentVocab:
    """A student tokenizer's vocabulary as token bytes → id: what candidates are mapped by.

    A teacher candidate maps to the student token with exactly its bytes; one with no such token
    is *unmapped* (its mass goes to the tail and `coverage` counts it).
    """

    ids: Mapping[bytes, int]
    """Token bytes → the student's id."""
    name: str | None = None
    """The tokenizer's name (`"cl100k_base"` ...), written into the coverage report."""
    _shared: bool = field(init=False, repr=False, default=False)
    """Whether some id stands for several byte strings (`to_arrays` then merges them)."""
    _distinct: int = field(init=False, repr=False, default=0)
    """How many distinct ids the vocabulary has (the most targets a row can hold)."""

    def __post_init__(self) -> None:
        """Check that `ids` maps bytes to non-negative int ids (a str key would never match).

        Raises:
            TypeError: `ids` is not a mapping, a key is not bytes, an id is not an int, or
                `name` is not a str or None.
            DistillError: An id below 0 or above 2**63 - 1 (`to_arrays`' int64 targets).
        """
        given: object = self.ids  # typed, but built with what users pass
        if not isinstance(given, Mapping):
            msg = f"StudentVocab takes a mapping of token bytes to ids, got {a_type(given)}"
            raise TypeError(msg)
        for key, tid in given.items():
            if not isinstance(key, bytes):
                hint = f": use {key.encode()!r}" if isinstance(key, str) else ""
                msg = (
                    f"StudentVocab's keys are token bytes, got {a_value(key, width=40)}"
                    f"{hint} (a str key would match no candidate)"
                )
                raise TypeError(msg)
            if isinstance(tid, bool) or not isinstance(tid, int | np.integer):
                msg = f"StudentVocab's ids are ints, got {a_value(tid, width=40)} for {key!r}"
                raise TypeError(msg)
            if not 0 <= tid <= INT64_MAX:
                msg = (
                    f"StudentVocab's ids are from 0 to 2**63 - 1 (the targets' int64), got "
                    f"{said_int(int(tid))} for {key!r}"
                )
                raise DistillError(msg)
        name: object = self.name
        if name is not None and not isinstance(name, str):
            msg = f"StudentVocab.name is a str or None, got {a_value(name)}"
            raise TypeError(msg)
        distinct = len(set(given.values()))
        object.__setattr__(self, "_shared", distinct < len(given))
        object.__setattr__(self, "_distinct", distinct)

    @classmethod
    def from_tiktoken(cls, encoding: Any) -> StudentVocab:  # noqa: ANN401 - tiktoken is optional
        """The vocabulary of a `tiktoken.Encoding` (e.g. `tiktoken.get_encoding("o200k_base")`).

        Special tokens (`<|endoftext|>` ...) are not bytes of text and are left out.

        Raises:
            TypeError: If `encoding` is not a `tiktoken.Encoding` (the name, a str: get it first).
        """
        if not all(hasattr(encoding, a) for a in ("token_byte_values", "encode_single_token")):
            fix = f": pass tiktoken.get_encoding({encoding!r})" if isinstance(encoding, str) else ""
            msg = f"from_tiktoken takes a tiktoken.Encoding, got {a_type(encoding)}{fix}"
            raise TypeError(msg)
        ids = {b: encoding.encode_single_token(b) for b in encoding.token_byte_values()}
        return cls(ids=ids, name=str(encoding.name))

    @classmethod
    def from_tokenizers(cls, tokenizer: Any, *, name: str | None = None) -> StudentVocab:  # noqa: ANN401
        """The vocabulary of a Hugging Face `tokenizers.Tokenizer`, decoded to bytes.

        Byte-level BPE vocabularies (GPT-2, Llama 3, Qwen, SmolLM: `Ġ` for a space) are read
        through GPT-2's byte alphabet; others as SentencePiece (`▁` for a space, `<0xNN>` byte
        fallback). Added special tokens are left out. Where several ids share their bytes,
        the lowest that is not a byte-fallback token (`<0x66>`) stands for them.

        Raises:
            TypeError: If `tokenizer` is not a `tokenizers.Tokenizer` (a transformers tokenizer:
                pass its `.backend_tokenizer`), or `name` is not a str or None.
        """
        if not all(hasattr(tokenizer, a) for a in ("to_str", "get_vocab")):
            fix = (
                ": pass its .backend_tokenizer"
                if hasattr(tokenizer, "backend_tokenizer")
                else ": tokenizers.Tokenizer.from_file(path) or .from_pretrained(name)"
            )
            msg = f"from_tokenizers takes a tokenizers.Tokenizer, got {a_type(tokenizer)}{fix}"
            raise TypeError(msg)
        ids: dict[bytes, int] = {}
        for tid, raw in tokenizer_pieces(tokenizer).items():
            ids.setdefault(raw, tid)
        return cls(ids=ids, name=name)

    def __len__(self) -> int:
        """How many byte strings map to a token."""
        return len(self.ids)

    def lookup(self, keys: Iterable[bytes]) -> np.ndarray[Any, np.dtype[np.int64]]:
        """The student id of each key, `-1` where the student has no token of those bytes."""
        get = self.ids.get
        return np.fromiter((get(k, -1) for k in keys), dtype=np.int64)


@dataclass(frozen=True)
class Coverage:
    """How much of the teacher's returned head a student vocabulary can take."""

    vocab: str | None
    positions: int
    """Positions seen."""
    sampled_mapped: int
    """Positions whose sampled token maps to a student token."""
    candidates: int
    """Candidates seen (sampled included)."""
    candidates_mapped: int
    """Candidates that map."""
    mass: float
    """Σ p over all candidates (the returned head's mass)."""
    mass_mapped: float
    """Σ p over the candidates that map (the rest is counted in the tail by `to_arrays`)."""

    @property
    def share_positions(self) -> float:
        """Share of positions whose sampled token maps (a hard label exists there)."""
        return self.sampled_mapped / self.positions if self.positions else float("nan")

    @property
    def share_mass(self) -> float:
        """Share of the returned top-k mass that maps to student tokens."""
        return self.mass_mapped / self.mass if self.mass > 0 else float("nan")


def shares_ids(vocab: StudentVocab, /) -> bool:
    """Whether `vocab` gives one id to several byte strings (their candidates are one target)."""
    return vocab._shared  # noqa: SLF001 - this module's own class


def distinct_ids(vocab: StudentVocab, /) -> int:
    """How many distinct ids `vocab` gives: the most targets a row can hold."""
    return vocab._distinct  # noqa: SLF001 - this module's own class


def check_vocab(vocab: object, *, where: str) -> None:
    """A TypeError naming `where` unless `vocab` is a `StudentVocab` (a mapping: wrap it)."""
    if not isinstance(vocab, StudentVocab):
        wrap = " (wrap the mapping: StudentVocab(ids))" if isinstance(vocab, Mapping) else ""
        msg = f"{where} takes a distill.StudentVocab as vocab, got {a_type(vocab)}{wrap}"
        raise TypeError(msg)


def coverage(records: Iterable[KDRecord], vocab: StudentVocab, /) -> Coverage:
    """The coverage report of `vocab` over `records`: positions and top-k mass mapped.

    Raises:
        TypeError: An item of `records` is not a `KDRecord`, `records` is not iterable, or
            `vocab` is not a `StudentVocab`.

    Examples:
        >>> import tokenprobs as tp
        >>> from tokenprobs.distill import StudentVocab, collect, coverage
        >>> from tokenprobs.testing import chat_completion
        >>> body = chat_completion([("Hi", -0.1, [("Hi", -0.1), ("Hey", -2.5)])])
        >>> report = coverage(collect([body]), StudentVocab({b"Hi": 7}))
        >>> report.share_positions, round(report.share_mass, 3)
        (1.0, 0.917)
    """
    check_vocab(vocab, where="coverage")
    given: object = records  # typed, but called with what users pass
    if not isinstance(given, Iterable):
        msg = f"coverage takes an iterable of KDRecords (collect(...)), got {a_type(given)}"
        raise TypeError(msg)
    positions = sampled = cands = mapped = 0
    mass = mass_mapped = 0.0
    for r in records:
        check_record(r, where="coverage")
        ids = vocab.lookup(r.cand_bytes)
        p = np.exp(np.nan_to_num(r.cand_logprobs, nan=-np.inf))
        positions += len(r)
        sampled += int(np.count_nonzero(ids[r.sampled_flat] >= 0))
        cands += len(ids)
        mapped += int(np.count_nonzero(ids >= 0))
        mass += float(p.sum())
        mass_mapped += float(p[ids >= 0].sum())
    return Coverage(vocab.name, positions, sampled, cands, mapped, mass, mass_mapped)
