"""Build the tiny random-weight llama of `tiny_gguf.py` as a Hugging Face model, for vLLM.

Same vocabulary and merges (byte-level BPE), same output shaping (a constant residual channel
used as a per-token bias, so only whole words and punctuation are written), but the head size
is 32, the smallest vLLM's CPU attention accepts. Needs torch, transformers and tokenizers
(vLLM's own virtualenv has them); runs offline in a few seconds and is reproducible per seed.

Usage::

    python tests/integration/tiny_hf.py OUT_DIR [--seed 0]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

_BIAS_LEVEL = 3.0
_BIAS_PENALTY = -7.0


def _gguf_builder():
    path = Path(__file__).with_name("tiny_gguf.py")
    spec = importlib.util.spec_from_file_location("tiny_gguf", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tiny_gguf"] = module
    spec.loader.exec_module(module)
    return module


def build(out: Path, *, seed: int = 0) -> None:
    """Write the tokenizer and the model to the directory `out`."""
    gguf = _gguf_builder()
    vocab = gguf.build_vocabulary()
    ids = {t: i for i, t in enumerate(vocab.tokens)}
    bpe = models.BPE(vocab=ids, merges=[tuple(m.split(" ")) for m in vocab.merges])
    tok = Tokenizer(bpe)
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=gguf.BOS, eos_token=gguf.EOS
    )
    tokenizer.chat_template = gguf.CHAT_TEMPLATE
    tokenizer.save_pretrained(out)

    config = LlamaConfig(
        vocab_size=len(vocab.tokens),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=32,
        max_position_embeddings=2048,
        rms_norm_eps=1e-5,
        bos_token_id=0,
        eos_token_id=1,
        tie_word_embeddings=False,
        torch_dtype="float32",
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    writable = torch.zeros(len(vocab.tokens), dtype=torch.bool)
    writable[sorted(vocab.writable)] = True
    with torch.no_grad():
        model.model.embed_tokens.weight[:, 0] = _BIAS_LEVEL
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight[0, :] = 0.0
            layer.mlp.down_proj.weight[0, :] = 0.0
        model.lm_head.weight[:, 0] = torch.where(writable, 0.0, _BIAS_PENALTY)
    model.save_pretrained(out, safe_serialization=True)


def main(argv: list[str] | None = None) -> None:
    """Command line: write the model directory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    build(args.out, seed=args.seed)
    sys.stdout.write(f"wrote {args.out}\n")


if __name__ == "__main__":
    main()
