"""Build a tiny random-weight llama model as a GGUF file, with the standard library only.

The integration tests serve this model with a real inference engine (llama-cpp-python's
OpenAI-compatible server), so that they exercise real logprobs without downloading anything.

The model is a 2-layer llama (n_embd 64, 4 query heads sharing 2 KV heads, n_ff 128, all F32,
about 0.55 MB). Its tokenizer is GPT-2-style byte-level BPE: one token per byte, so any text
tokenizes, plus merges that spell a short list of English words, plus `<s>` and `</s>`.

Steering the random model: residual channel 0 carries a constant (the embedding sets it, and no
layer writes into it), so after the final norm it acts as a per-token bias in the output matrix.
Whole words and punctuation get a bias of 0, everything else (single bytes, partial merges, BOS,
EOS) gets about -20 nats. The model therefore writes plain ASCII words, each generated token is
valid UTF-8 on its own, and it never stops by itself (`finish_reason` is `"length"`).

The output is byte-for-byte the same for the same seed. Usage::

    python tests/integration/tiny_gguf.py OUT.gguf [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import struct
import sys
from array import array
from dataclasses import dataclass, field
from pathlib import Path

# --- the GGUF container (v3, little-endian) ----------------------------------------------------

_MAGIC = b"GGUF"
_VERSION = 3
_ALIGNMENT = 32
_UINT32, _INT32, _FLOAT32, _BOOL, _STRING, _ARRAY = 4, 5, 6, 7, 8, 9
_GGML_F32 = 0
_PACK = {_UINT32: "<I", _INT32: "<i", _FLOAT32: "<f", _BOOL: "<?"}


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def _scalar(kind: int, value: object) -> bytes:
    if kind == _STRING:
        return _string(str(value))
    return struct.pack(_PACK[kind], value)


def _pad(n: int) -> int:
    return -n % _ALIGNMENT


@dataclass
class GGUF:
    """A GGUF file being assembled: metadata key/values and F32 tensors, written in one go."""

    meta: list[bytes] = field(default_factory=list)
    tensors: list[tuple[str, tuple[int, ...], array[float]]] = field(default_factory=list)

    def add(self, key: str, kind: int, value: object) -> None:
        """Add a scalar metadata value."""
        self.meta.append(_string(key) + struct.pack("<I", kind) + _scalar(kind, value))

    def add_list(self, key: str, kind: int, values: list[str] | list[int]) -> None:
        """Add an array metadata value whose elements are all of `kind`."""
        head = _string(key) + struct.pack("<IIQ", _ARRAY, kind, len(values))
        self.meta.append(head + b"".join(_scalar(kind, v) for v in values))

    def add_tensor(self, name: str, shape: tuple[int, ...], data: array[float]) -> None:
        """Add an F32 tensor; `shape` is row-major (rows, cols), as numpy would say it."""
        size = 1
        for dim in shape:
            size *= dim
        if len(data) != size:
            msg = f"{name}: {len(data)} values for shape {shape}"
            raise ValueError(msg)
        self.tensors.append((name, shape, data))

    def write(self, path: Path) -> None:
        """Write header, metadata, tensor directory and the aligned tensor data."""
        out = bytearray(_MAGIC + struct.pack("<IQQ", _VERSION, len(self.tensors), len(self.meta)))
        out += b"".join(self.meta)
        offset = 0
        for name, shape, data in self.tensors:
            dims = shape[::-1]  # GGUF lists the fastest-varying dimension first
            out += _string(name) + struct.pack("<I", len(dims))
            out += b"".join(struct.pack("<Q", d) for d in dims)
            out += struct.pack("<IQ", _GGML_F32, offset)
            offset += 4 * len(data) + _pad(4 * len(data))
        out += bytes(_pad(len(out)))
        for _, _, data in self.tensors:
            le = array("f", data)
            if sys.byteorder != "little":
                le.byteswap()
            raw = le.tobytes()
            out += raw + bytes(_pad(len(raw)))
        path.write_bytes(bytes(out))


# --- the tokenizer ------------------------------------------------------------------------------

#: Words the model can write; all but the capitalised openers get a leading space as tokens.
_WORD_LIST = (
    "Hello Yes No The A It I We the a an of to in is it and that for on with as at by from "
    "this be was are not but or you we they he she his her their my your our what which who "
    "when where how why can will would could should may might must do does did have has had "
    "make made say said see saw look find give take go come know think feel want need use "
    "work time day year way world life hand part place case point number water light sound "
    "cat dog bird fish tree sun moon star sky sea red blue green small big old new good one "
    "two three first last long little more most some many all each other such only"
)
WORDS = tuple(_WORD_LIST.split())
PUNCTUATION = (".", ",", "!", "?")
BOS, EOS = "<s>", "</s>"
_CONTROL, _NORMAL = 3, 1


def _byte_alphabet() -> list[str]:
    """GPT-2's printable stand-in character for each byte value (index = byte)."""
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    extra = iter(range(256, 512))
    return [chr(b) if b in printable else chr(next(extra)) for b in range(256)]


@dataclass(frozen=True)
class Vocabulary:
    """Tokens, their types, the BPE merges, and which token ids the model may write."""

    tokens: list[str]
    types: list[int]
    merges: list[str]
    writable: frozenset[int]


def build_vocabulary() -> Vocabulary:
    """Bytes first, then every prefix of every word as a merge of the previous prefix and a byte."""
    alphabet = _byte_alphabet()
    tokens = [BOS, EOS, *alphabet]
    types = [_CONTROL, _CONTROL] + [_NORMAL] * 256
    ids = {t: i for i, t in enumerate(tokens)}
    merges: list[str] = []
    spelled = [w if w[0].isupper() else f" {w}" for w in WORDS]
    for word in spelled:
        chars = [alphabet[b] for b in word.encode()]
        prefix = chars[0]
        for char in chars[1:]:
            if prefix + char not in ids:
                merges.append(f"{prefix} {char}")
                ids[prefix + char] = len(tokens)
                tokens.append(prefix + char)
                types.append(_NORMAL)
            prefix += char
    writable = frozenset(ids["".join(alphabet[b] for b in w.encode())] for w in spelled) | {
        ids[p] for p in PUNCTUATION
    }
    return Vocabulary(tokens, types, merges, writable)


CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

# --- the model ----------------------------------------------------------------------------------

N_EMBD, N_HEAD, N_HEAD_KV, N_FF, N_LAYER, N_CTX = 64, 4, 2, 128, 2, 2048
HEAD_DIM = N_EMBD // N_HEAD
_BIAS_LEVEL = 3.0  # value of residual channel 0
_BIAS_PENALTY = -7.0  # output weight on channel 0 for tokens the model should not write


def _add_metadata(gguf: GGUF, vocab: Vocabulary, *, seed: int) -> None:
    """The llama hyper-parameters and the tokenizer, as llama.cpp reads them."""
    n_vocab = len(vocab.tokens)
    gguf.add("general.architecture", _STRING, "llama")
    gguf.add("general.name", _STRING, f"tokenprobs-tiny-llama-seed{seed}")
    gguf.add("general.file_type", _UINT32, 0)
    gguf.add("llama.vocab_size", _UINT32, n_vocab)
    gguf.add("llama.context_length", _UINT32, N_CTX)
    gguf.add("llama.embedding_length", _UINT32, N_EMBD)
    gguf.add("llama.block_count", _UINT32, N_LAYER)
    gguf.add("llama.feed_forward_length", _UINT32, N_FF)
    gguf.add("llama.attention.head_count", _UINT32, N_HEAD)
    gguf.add("llama.attention.head_count_kv", _UINT32, N_HEAD_KV)
    gguf.add("llama.attention.layer_norm_rms_epsilon", _FLOAT32, 1e-5)
    gguf.add("llama.rope.dimension_count", _UINT32, HEAD_DIM)
    gguf.add("llama.rope.freq_base", _FLOAT32, 10000.0)
    gguf.add("tokenizer.ggml.model", _STRING, "gpt2")
    gguf.add("tokenizer.ggml.pre", _STRING, "default")
    gguf.add_list("tokenizer.ggml.tokens", _STRING, vocab.tokens)
    gguf.add_list("tokenizer.ggml.token_type", _INT32, vocab.types)
    gguf.add_list("tokenizer.ggml.merges", _STRING, vocab.merges)
    gguf.add("tokenizer.ggml.bos_token_id", _UINT32, 0)
    gguf.add("tokenizer.ggml.eos_token_id", _UINT32, 1)
    gguf.add("tokenizer.ggml.add_bos_token", _BOOL, value=True)
    gguf.add("tokenizer.ggml.add_eos_token", _BOOL, value=False)
    gguf.add("tokenizer.chat_template", _STRING, CHAT_TEMPLATE)


def build(path: Path, *, seed: int = 0) -> Vocabulary:
    """Write the model to `path` and return its vocabulary."""
    vocab = build_vocabulary()
    n_vocab = len(vocab.tokens)
    rng = random.Random(seed)  # noqa: S311 - reproducible weights, not secrets

    def gaussian(rows: int, cols: int, std: float) -> array[float]:
        return array("f", [rng.gauss(0.0, std) for _ in range(rows * cols)])

    def into_residual(rows: int, cols: int, std: float) -> array[float]:
        """A projection back into the residual stream that leaves channel 0 (row 0) alone."""
        w = gaussian(rows, cols, std)
        w[0:cols] = array("f", bytes(4 * cols))
        return w

    gguf = GGUF()
    embedding = gaussian(n_vocab, N_EMBD, 1.0)
    for t in range(n_vocab):
        embedding[t * N_EMBD] = _BIAS_LEVEL
    gguf.add_tensor("token_embd.weight", (n_vocab, N_EMBD), embedding)
    ones = array("f", [1.0] * N_EMBD)
    q_rows, kv_rows = N_HEAD * HEAD_DIM, N_HEAD_KV * HEAD_DIM
    for layer in range(N_LAYER):
        p = f"blk.{layer}."
        gguf.add_tensor(p + "attn_norm.weight", (N_EMBD,), ones)
        gguf.add_tensor(p + "attn_q.weight", (q_rows, N_EMBD), gaussian(q_rows, N_EMBD, 0.125))
        gguf.add_tensor(p + "attn_k.weight", (kv_rows, N_EMBD), gaussian(kv_rows, N_EMBD, 0.125))
        gguf.add_tensor(p + "attn_v.weight", (kv_rows, N_EMBD), gaussian(kv_rows, N_EMBD, 0.125))
        gguf.add_tensor(
            p + "attn_output.weight", (N_EMBD, q_rows), into_residual(N_EMBD, q_rows, 0.125)
        )
        gguf.add_tensor(p + "ffn_norm.weight", (N_EMBD,), ones)
        gguf.add_tensor(p + "ffn_gate.weight", (N_FF, N_EMBD), gaussian(N_FF, N_EMBD, 0.125))
        gguf.add_tensor(p + "ffn_up.weight", (N_FF, N_EMBD), gaussian(N_FF, N_EMBD, 0.125))
        gguf.add_tensor(p + "ffn_down.weight", (N_EMBD, N_FF), into_residual(N_EMBD, N_FF, 0.09))
    gguf.add_tensor("output_norm.weight", (N_EMBD,), ones)
    output = gaussian(n_vocab, N_EMBD, 0.3)
    for t in range(n_vocab):
        output[t * N_EMBD] = 0.0 if t in vocab.writable else _BIAS_PENALTY
    gguf.add_tensor("output.weight", (n_vocab, N_EMBD), output)

    _add_metadata(gguf, vocab, seed=seed)
    gguf.write(path)
    return vocab


def main(argv: list[str] | None = None) -> None:
    """Command line: write the model and say what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the .gguf file")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    vocab = build(args.out, seed=args.seed)
    sys.stdout.write(
        f"wrote {args.out} ({args.out.stat().st_size} bytes): n_vocab={len(vocab.tokens)}, "
        f"merges={len(vocab.merges)}, writable tokens={len(vocab.writable)}, seed={args.seed}\n"
    )


if __name__ == "__main__":
    main()
