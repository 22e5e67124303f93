"""Build a tiny random-weight llama GGUF that shares another GGUF's tokenizer (for proxy-tuning).

Proxy-tuning needs a small expert / anti-expert pair with the base's vocabulary. This writes a
2-layer llama (n_embd 64, 4 query heads over 2 KV heads, n_ff 128, F32) whose `tokenizer.*`
metadata is copied byte for byte from a real model (SmolLM2-135M-Instruct's GGUF), so all three
tokenise alike and their token ids agree.

The pair is a *tuned twin*: both files have the same weights for a seed, except that the expert's
output matrix adds `--delta` times Gaussian noise. Their hidden states are then identical and the
expert - anti-expert delta is `delta · g_u · h` per token `u` (plus a constant), a context-
dependent steering of about `8 · delta` nats standard deviation (the hidden state is RMS-normed,
64 wide). Usage::

    python tests/integration/proxy/proxy_gguf.py SOURCE.gguf OUT.gguf --seed 1 [--delta 0.05]

Byte-for-byte reproducible for the same source, seed and delta (numpy's PCG64).
"""

from __future__ import annotations

import argparse
import struct
import sys
from pathlib import Path

import numpy as np

_ALIGNMENT = 32
_UINT32, _FLOAT32, _STRING, _ARRAY = 4, 6, 8, 9
_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
N_EMBD, N_HEAD, N_HEAD_KV, N_FF, N_LAYER, N_CTX = 64, 4, 2, 128, 2, 2048
HEAD_DIM = N_EMBD // N_HEAD


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> int:
        (value,) = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return int(value)

    def string(self) -> bytes:
        n = self.take("<Q")
        self.at += n
        return self.data[self.at - n : self.at]

    def skip_value(self, kind: int) -> None:
        if kind == _STRING:
            self.string()
        elif kind == _ARRAY:
            inner, count = self.take("<I"), self.take("<Q")
            if inner in _SIZES:
                self.at += _SIZES[inner] * count
            else:
                for _ in range(count):
                    self.skip_value(inner)
        else:
            self.at += _SIZES[kind]


def tokenizer_metadata(source: Path) -> tuple[list[bytes], int]:
    """The raw `tokenizer.*` key/value entries of a GGUF file, and its vocabulary size."""
    with source.open("rb") as f:
        head = f.read(24)
        magic, _version, _n_tensors, n_kv = struct.unpack("<4sIQQ", head)
        if magic != b"GGUF":
            msg = f"{source} is not a GGUF file"
            raise ValueError(msg)
        data = head + f.read(64 << 20)  # the metadata of a small model fits in 64 MB
    reader = _Reader(data)
    reader.at = 24
    entries: list[bytes] = []
    n_vocab = 0
    for _ in range(n_kv):
        start = reader.at
        key = reader.string()
        kind = reader.take("<I")
        if key == b"tokenizer.ggml.tokens":
            save = reader.at
            reader.take("<I")
            n_vocab = reader.take("<Q")
            reader.at = save
        reader.skip_value(kind)
        if key.startswith(b"tokenizer."):
            entries.append(data[start : reader.at])
    if not n_vocab:
        msg = f"{source} has no tokenizer.ggml.tokens"
        raise ValueError(msg)
    return entries, n_vocab


def _kv(key: str, kind: int, value: float | str) -> bytes:
    raw = key.encode()
    head = struct.pack("<Q", len(raw)) + raw + struct.pack("<I", kind)
    if kind == _STRING:
        text = str(value).encode()
        return head + struct.pack("<Q", len(text)) + text
    return head + struct.pack("<f" if kind == _FLOAT32 else "<I", value)


def build(source: Path, out: Path, *, seed: int, delta: float) -> int:
    """Write the model; return its vocabulary size."""
    entries, n_vocab = tokenizer_metadata(source)
    rng = np.random.default_rng(seed)

    def gaussian(rows: int, cols: int, std: float) -> np.ndarray:
        return rng.normal(0.0, std, size=(rows, cols)).astype(np.float32)

    tensors: list[tuple[str, np.ndarray]] = [("token_embd.weight", gaussian(n_vocab, N_EMBD, 1.0))]
    ones = np.ones((1, N_EMBD), dtype=np.float32)
    q_rows, kv_rows = N_HEAD * HEAD_DIM, N_HEAD_KV * HEAD_DIM
    for layer in range(N_LAYER):
        p = f"blk.{layer}."
        tensors += [
            (p + "attn_norm.weight", ones),
            (p + "attn_q.weight", gaussian(q_rows, N_EMBD, 0.125)),
            (p + "attn_k.weight", gaussian(kv_rows, N_EMBD, 0.125)),
            (p + "attn_v.weight", gaussian(kv_rows, N_EMBD, 0.125)),
            (p + "attn_output.weight", gaussian(N_EMBD, q_rows, 0.125)),
            (p + "ffn_norm.weight", ones),
            (p + "ffn_gate.weight", gaussian(N_FF, N_EMBD, 0.125)),
            (p + "ffn_up.weight", gaussian(N_FF, N_EMBD, 0.125)),
            (p + "ffn_down.weight", gaussian(N_EMBD, N_FF, 0.09)),
        ]
    output = gaussian(n_vocab, N_EMBD, 0.3)
    if delta:
        output = output + (
            delta * np.random.default_rng([seed, 1]).normal(size=output.shape)
        ).astype(np.float32)
    tensors += [("output_norm.weight", ones), ("output.weight", output)]

    meta = [
        _kv("general.architecture", _STRING, "llama"),
        _kv("general.name", _STRING, f"tokenprobs-proxy-tiny-seed{seed}-delta{delta}"),
        _kv("general.file_type", _UINT32, 0),
        _kv("llama.vocab_size", _UINT32, n_vocab),
        _kv("llama.context_length", _UINT32, N_CTX),
        _kv("llama.embedding_length", _UINT32, N_EMBD),
        _kv("llama.block_count", _UINT32, N_LAYER),
        _kv("llama.feed_forward_length", _UINT32, N_FF),
        _kv("llama.attention.head_count", _UINT32, N_HEAD),
        _kv("llama.attention.head_count_kv", _UINT32, N_HEAD_KV),
        _kv("llama.attention.layer_norm_rms_epsilon", _FLOAT32, 1e-5),
        _kv("llama.rope.dimension_count", _UINT32, HEAD_DIM),
        _kv("llama.rope.freq_base", _FLOAT32, 10000.0),
        *entries,
    ]
    body = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(meta)))
    body += b"".join(meta)
    offset = 0
    for name, arr in tensors:
        raw = name.encode()
        dims = arr.shape[::-1] if arr.shape[0] != 1 else (arr.shape[1],)
        body += struct.pack("<Q", len(raw)) + raw + struct.pack("<I", len(dims))
        body += b"".join(struct.pack("<Q", d) for d in dims)
        body += struct.pack("<IQ", 0, offset)
        offset += arr.nbytes + (-arr.nbytes % _ALIGNMENT)
    body += bytes(-len(body) % _ALIGNMENT)
    with out.open("wb") as f:
        f.write(body)
        for _, arr in tensors:
            raw = arr.astype("<f4").tobytes()
            f.write(raw + bytes(-len(raw) % _ALIGNMENT))
    return n_vocab


def main(argv: list[str] | None = None) -> None:
    """Command line: write the model and say what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the GGUF whose tokenizer to copy")
    parser.add_argument("out", type=Path, help="where to write the .gguf file")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--delta", type=float, default=0.0, help="output perturbation (expert)")
    args = parser.parse_args(argv)
    n_vocab = build(args.source, args.out, seed=args.seed, delta=args.delta)
    sys.stdout.write(
        f"wrote {args.out} ({args.out.stat().st_size} bytes): n_vocab={n_vocab}, "
        f"tokenizer of {args.source.name}, seed={args.seed}, delta={args.delta}\n"
    )


if __name__ == "__main__":
    main()
