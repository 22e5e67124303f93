"""A GGUF token's bytes, however long, read from llama.cpp itself: for ground truths.

llama-cpp-python 0.3.36's `Llama.detokenize([i])` reads each piece into a 32-byte buffer and
gives `b""` for a longer one (47 of SmolLM2's 49,152 tokens: runs of spaces or dashes), so a
vocabulary built with it merges those tokens into one empty key. The truths here call llama.cpp's
`llama_token_to_piece` with a buffer far longer than any piece, and fail rather than truncate.
This is written out apart from `tokenprobs.proxy.LlamaCppScorer`, which it checks.
"""

from __future__ import annotations

import ctypes
from typing import Any

BUFFER = 4096
"""Bytes; SmolLM2's longest piece is 81 (measured); a longer one fails loudly."""


def pieces(llm: Any, *, special: bool) -> list[bytes]:
    """Every token id's bytes; `special=True` spells control tokens (`<|im_end|>`) as text."""
    import llama_cpp  # noqa: PLC0415 - only the integration venvs have it

    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    buf = ctypes.create_string_buffer(BUFFER)
    out = []
    for token in range(llm.n_vocab()):
        n = llama_cpp.llama_token_to_piece(vocab, token, buf, BUFFER, 0, special)
        if n < 0:
            msg = f"token {token} is {-n} bytes, longer than BUFFER ({BUFFER})"
            raise AssertionError(msg)
        out.append(buf.raw[:n])
    return out
