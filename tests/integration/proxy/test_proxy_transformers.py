"""The transformers scorer against llama-cpp-python, on the same GGUF files and the same token ids.

`proxy.TransformersScorer` dequantises a GGUF to float32 and runs it with torch;
`proxy.LlamaCppScorer` runs the file with llama.cpp's kernels. Both see the ids llama.cpp's
tokenizer gives (the transformers tokenizer is checked to give the same ones). Measured
differences of the full-vocabulary next-token logprobs (SmolLM2's 49,152 tokens, December 2026,
transformers 5.24, torch 2.13 CPU, llama-cpp-python 0.3.36):

- SmolLM2-135M-Instruct, Q4_1: up to 1.02 nats on some token, up to 0.74 on tokens above
  p = 1e-3, 0.06-0.30 on average, total variation up to 0.11 per position; the argmax agrees.
  llama.cpp quantises the activations to 8 bits for its Q4_1 matmuls, transformers multiplies the
  dequantised weights in float32: the 30 layers add that rounding up (llama.cpp alone differs by
  up to 0.49 nats between two batch shapes, docs/proxy.md). `Q4_ATOL` and `Q4_HEAD_ATOL` bound
  these with a margin of ~1.4.
- The tuned twin (F32 weights, 2 layers): up to 3.7e-3 nats (llama.cpp keeps keys and values in
  F16); `F32_ATOL` is 1e-2.

llama-cpp-python 0.3.36 detokenises a token longer than 32 bytes as `b""` (47 ids of SmolLM2's
vocabulary, runs of spaces or dashes); `LlamaCppScorer.vocab` reads each piece with a buffer as
long as it needs, so both vocabularies are the same bytes, the long tokens included.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests.integration.proxy.proxy_env import SMOLLM2, proxy_env

from tokenprobs import proxy

pytestmark = [pytest.mark.integration, pytest.mark.extras]

CONTEXTS = (
    "The capital of France is",
    "Once upon a time, a small dog",
    "def fibonacci(n):",
)
Q4_ATOL = 1.5
"""Any token, SmolLM2 Q4_1 (measured 1.02)."""
Q4_HEAD_ATOL = 1.0
"""Tokens above p = 1e-3, SmolLM2 Q4_1 (measured 0.74)."""
Q4_TV = 0.15
"""Total variation per position, SmolLM2 Q4_1 (measured 0.11)."""
F32_ATOL = 1e-2
"""Any token, the F32 twin (measured 3.7e-3)."""
LLAMA_PIECE = 32
"""The longest token llama-cpp-python 0.3.36's own `detokenize` reads (its buffer)."""


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    """The base GGUF and the twin, from scripts/integration-proxy.sh."""
    return dict(zip(SMOLLM2, proxy_env(SMOLLM2), strict=True))


def _pair(path: str) -> tuple[proxy.TransformersScorer, proxy.LlamaCppScorer]:
    return proxy.TransformersScorer(path, n_threads=2), proxy.LlamaCppScorer(path, n_threads=2)


def _shared(a: proxy.DenseLogprobs, b: proxy.DenseLogprobs) -> tuple[np.ndarray, np.ndarray]:
    """Both tables on the keys llama's vocabulary names (every key but an empty one)."""
    keys = [k for k in b.keys if k]
    return a.logprobs[:, [a.index[k] for k in keys]], b.logprobs[:, [b.index[k] for k in keys]]


def _compare(hf: proxy.TransformersScorer, ll: proxy.LlamaCppScorer) -> list[np.ndarray]:
    """Each context's `|hf - llama|` over the shared keys, after checking ids and argmax."""
    out = []
    for text in CONTEXTS:
        ids = ll.tokenize(text)
        assert hf.tokenize(text) == ids, text
        a, b = _shared(hf.score(ids[:1], ids[1:]), ll.score(ids[:1], ids[1:]))
        assert a.shape == b.shape
        assert (a.argmax(axis=1) == b.argmax(axis=1)).all(), text
        out.append(np.stack([a, b]))
    return out


def test_vocabularies_agree_long_tokens_included(files):
    """Same ids, bytes, controls and EOS, also for the 47 tokens longer than llama's buffer."""
    hf, ll = _pair(files["TOKENPROBS_PROXY_ANTI_GGUF"])
    assert len(hf.vocab) == len(ll.vocab) == 49152
    assert hf.vocab == ll.vocab
    assert len(set(ll.vocab)) == len(ll.vocab)  # no merged column
    assert sum(len(b) > LLAMA_PIECE for b in ll.vocab) == 47
    assert hf.controls == ll.controls
    assert hf.eos == ll.eos
    assert hf.tokenize("<|im_start|>user", special=False) != hf.tokenize("<|im_start|>user")


def test_gemma_sentencepiece_vocabularies_agree():
    """Gemma 3's SentencePiece vocabulary: each id the same bytes, EOS and ids in both.

    262,144 ids, `\u2581` for a space, `<0xNN>` byte-fallback tokens sharing their bytes with
    110 pieces (`<0x66>` and `f`). The control sets differ by one token, measured: the GGUF marks
    id 212 `</s>` CONTROL | USER_DEFINED (llama.cpp writes no text for it), transformers' GGUF
    loader makes it a non-special added token (it writes `</s>`).
    """
    (path,) = proxy_env(("TOKENPROBS_PROXY_GEMMA_GGUF",))
    hf, ll = _pair(path)
    assert len(hf.vocab) == len(ll.vocab) == 262144
    differ = [i for i in range(len(ll.vocab)) if hf.vocab[i] != ll.vocab[i]]
    assert not differ, [(i, hf.vocab[i], ll.vocab[i]) for i in differ[:5]]
    assert len(set(ll.vocab)) == len(ll.vocab) - 110  # fallbacks share a piece's bytes
    assert ll.controls - hf.controls == {212}
    assert ll.vocab[212] == b"</s>"
    assert hf.controls < ll.controls
    assert hf.eos == ll.eos
    assert b" Paris" in ll.vocab  # the SentencePiece space came back as a byte
    assert bytes([0xE2]) in ll.vocab  # a byte-fallback token is its one byte
    for text in CONTEXTS:
        assert hf.tokenize(text) == ll.tokenize(text), text
    ids = ll.tokenize(CONTEXTS[0])
    a, b = hf.next(CONTEXTS[0]), ll.score(ids)
    assert a.top(0, 1) == b.top(0, 1)  # the same most likely next token


def test_q4_base_agrees_within_dequantisation(files):
    """SmolLM2 Q4_1: full-vocabulary logprobs within the measured bounds, same argmax."""
    hf, ll = _pair(files["TOKENPROBS_PROXY_BASE_GGUF"])
    worst = head = tv = 0.0
    for a, b in _compare(hf, ll):
        diff = np.abs(a - b)
        worst = max(worst, float(diff.max()))
        head = max(head, float(diff[b > np.log(1e-3)].max()))
        tv = max(tv, float(0.5 * np.abs(np.exp(a) - np.exp(b)).sum(axis=1).max()))
    print(f"\nQ4_1: max {worst:.3f}, above p=1e-3 {head:.3f}, TV {tv:.4f}")  # noqa: T201
    assert worst <= Q4_ATOL
    assert head <= Q4_HEAD_ATOL
    assert tv <= Q4_TV
    assert worst > 1e-3, "the two kernels cannot agree this closely on Q4_1: same backend?"


def test_f32_twin_agrees_and_one_by_one_matches(files):
    """The F32 twin: within float32 and llama.cpp's F16 cache; one token a pass equals a batch."""
    hf, ll = _pair(files["TOKENPROBS_PROXY_ANTI_GGUF"])
    worst = max(float(np.abs(a - b).max()) for a, b in _compare(hf, ll))
    print(f"\nF32 twin: max {worst:.2e}")  # noqa: T201
    assert worst <= F32_ATOL
    ids = ll.tokenize(CONTEXTS[0])
    batch = hf.score(ids[:2], ids[2:]).logprobs
    single = hf.score(ids[:2], ids[2:], one_by_one=True).logprobs
    assert batch.shape == (len(ids) - 1, len(set(hf.vocab)))
    assert np.abs(batch - single).max() <= 1e-4


def test_combine_step_is_the_same_with_either_pair(files):
    """One `combine` step over the base's top 5: transformers twins give llama's choice."""
    base = proxy.LlamaCppScorer(files["TOKENPROBS_PROXY_BASE_GGUF"], n_threads=2)
    hf_e, ll_e = _pair(files["TOKENPROBS_PROXY_EXPERT_GGUF"])
    hf_a, ll_a = _pair(files["TOKENPROBS_PROXY_ANTI_GGUF"])
    compared = 0
    for text in CONTEXTS:
        ids = base.tokenize(text)
        gen = [base.token_id(b" the"), base.token_id(b" a")]
        top = base.score(ids, gen).top_k(5)
        with_hf = proxy.combine(top, hf_e.score(ids, gen), hf_a.score(ids, gen), support="union")
        with_ll = proxy.combine(top, ll_e.score(ids, gen), ll_a.score(ids, gen), support="union")
        assert with_hf.distribution.tokens == with_ll.distribution.tokens, text
        for i in range(len(top)):
            a = with_hf.distribution.candidates.row(i)
            b = with_ll.distribution.candidates.row(i)
            assert a.keys() == b.keys()
            gap = max(abs(a[k] - b[k]) for k in a)
            assert gap <= 4 * F32_ATOL, (text, i, gap)
            compared += 1
        np.testing.assert_array_equal(with_hf.certified, with_ll.certified)
        np.testing.assert_array_equal(with_hf.changed, with_ll.changed)
        np.testing.assert_allclose(with_hf.imputed_mass, with_ll.imputed_mass, atol=4 * F32_ATOL)
    assert compared == 3 * len(CONTEXTS)
