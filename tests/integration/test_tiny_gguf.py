"""The tiny-model builder: fast, reproducible, a valid GGUF file (no server needed)."""

from __future__ import annotations

import hashlib
import importlib.util
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

BUILDER = Path(__file__).with_name("tiny_gguf.py")


@pytest.fixture(scope="module")
def tiny_gguf():
    """The builder module, loaded from its file (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location("tiny_gguf", BUILDER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tiny_gguf"] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    yield module
    del sys.modules["tiny_gguf"]


def test_builds_in_under_a_second_and_reproducibly(tiny_gguf, tmp_path):
    """Two builds with the same seed are byte-identical, each under a second of CPU time."""
    start = time.process_time()  # CPU time: a loaded CI machine must not make this flaky
    tiny_gguf.build(tmp_path / "a.gguf", seed=0)
    elapsed = time.process_time() - start
    tiny_gguf.build(tmp_path / "b.gguf", seed=0)
    tiny_gguf.build(tmp_path / "c.gguf", seed=1)
    a, b, c = ((tmp_path / f"{n}.gguf").read_bytes() for n in "abc")
    assert elapsed < 1.0
    assert a == b
    assert a != c
    assert hashlib.sha256(a).hexdigest() == hashlib.sha256(b).hexdigest()


def test_header_and_alignment(tiny_gguf, tmp_path):
    """GGUF v3 magic, tensor and metadata counts, and 32-byte-aligned total size."""
    path = tmp_path / "m.gguf"
    tiny_gguf.build(path)
    raw = path.read_bytes()
    magic, version, n_tensors, n_kv = struct.unpack_from("<4sIQQ", raw)
    assert (magic, version) == (b"GGUF", 3)
    assert n_tensors == 1 + 9 * tiny_gguf.N_LAYER + 2
    assert n_kv == 23
    assert len(raw) % 32 == 0
    assert 400_000 < len(raw) < 1_000_000


def test_vocabulary_covers_every_byte_and_spells_the_words(tiny_gguf):
    """256 byte tokens, BOS/EOS, one token per word; only words and punctuation are writable."""
    vocab = tiny_gguf.build_vocabulary()
    assert vocab.tokens[:2] == ["<s>", "</s>"]
    assert len(set(vocab.tokens[2:258])) == 256
    assert len(set(vocab.tokens)) == len(vocab.tokens)
    assert len(vocab.tokens) == 258 + len(vocab.merges)
    assert 0 not in vocab.writable
    assert 1 not in vocab.writable
    assert len(vocab.writable) == len(set(tiny_gguf.WORDS)) + len(tiny_gguf.PUNCTUATION)


def test_command_line(tmp_path):
    """`python tests/integration/tiny_gguf.py OUT` writes the file and says so."""
    out = tmp_path / "cli.gguf"
    done = subprocess.run(  # noqa: S603 - our own script, run by the current interpreter
        [sys.executable, str(BUILDER), str(out), "--seed", "0"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stat().st_size > 0
    assert "n_vocab=" in done.stdout
