"""The built-in dense scorer: a GGUF model run in-process by llama-cpp-python, every token scored.

The small pair of proxy-tuning is what you run yourself, so it can give the whole vocabulary:
`LlamaCppScorer.score(prompt, continuation)` evaluates the text once (`logits_all`) and returns
`DenseLogprobs` at each continuation position, keyed by the tokens' bytes. llama-cpp-python is
the `[proxy]` extra.
"""

from __future__ import annotations

import ctypes
import threading
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from tokenprobs._optional import require
from tokenprobs._said import check_flag
from tokenprobs.proxy._byid import DenseScorer

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from types import ModuleType

__all__ = ["LlamaCppScorer", "without_extra_buffers"]

_PATCH = threading.Lock()


@contextmanager
def without_extra_buffers(llama_cpp: ModuleType) -> Iterator[None]:
    """While loading, make llama.cpp's default model parameters say `use_extra_bufts = False`.

    llama.cpp's extra buffer types (the AMX repacking kernels) crash with SIGILL on Q4_1 weights
    on some CPUs, and llama-cpp-python 0.3.36's `Llama()` has no argument for them, so the
    default-parameters function is wrapped for the duration of one load, then restored.
    """
    low = llama_cpp.llama_cpp
    with _PATCH:
        original = low.llama_model_default_params

        def params() -> Any:  # noqa: ANN401 - a ctypes struct of llama-cpp-python's
            p = original()
            p.use_extra_bufts = False
            return p

        low.llama_model_default_params = params
        try:
            yield
        finally:
            low.llama_model_default_params = original


class LlamaCppScorer(DenseScorer):
    """A GGUF model in-process: full-vocabulary logprobs at each position of a text.

    Examples:
        ```python
        expert = LlamaCppScorer("expert.gguf")
        d = expert.next("The capital of France is")  # one position, every token id
        ```
    """

    def __init__(
        self,
        model_path: str | Path,
        /,
        *,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        use_extra_bufts: bool = False,
    ) -> None:
        """Load the model (`logits_all=True`, quiet).

        Args:
            model_path: The GGUF file.
            n_ctx: The context window to allocate.
            n_threads: CPU threads (llama.cpp's default when `None`).
            use_extra_bufts: Let llama.cpp use its extra buffer types (AMX). Off by default:
                they crash on Q4_1 weights on some CPUs.

        Raises:
            MissingDependencyError: llama-cpp-python is not installed.
            TypeError: `use_extra_bufts` is no bool.
        """
        check_flag(use_extra_bufts, "use_extra_bufts", "let llama.cpp use its AMX buffer types")
        llama_cpp = require("llama_cpp", extra="proxy", feature="proxy.LlamaCppScorer")
        kwargs: dict[str, Any] = {"n_ctx": n_ctx, "logits_all": True, "verbose": False}
        if n_threads is not None:
            kwargs.update(n_threads=n_threads, n_threads_batch=n_threads)
        if use_extra_bufts:
            self._llm = llama_cpp.Llama(str(model_path), **kwargs)
        else:
            with without_extra_buffers(llama_cpp):
                self._llm = llama_cpp.Llama(str(model_path), **kwargs)
        self.model_path = str(model_path)
        self.n_ctx = int(self._llm.n_ctx())

    @cached_property
    def vocab(self) -> tuple[bytes, ...]:
        """Each token id's bytes (control tokens as their text, `<|im_end|>`)."""
        llm = self._llm
        return tuple(_piece(llm, i, special=True) for i in range(llm.n_vocab()))

    @cached_property
    def controls(self) -> frozenset[int]:
        """The control tokens' ids: their bytes (`<|im_end|>`) name them, they write no text."""
        llm = self._llm
        return frozenset(
            i for i, key in enumerate(self.vocab) if key and not _piece(llm, i, special=False)
        )

    def tokenize(
        self, text: str | bytes, /, *, add_bos: bool = True, special: bool = True
    ) -> list[int]:
        """The model's token ids for `text` or raw bytes.

        A BOS is added only where the model's metadata asks for one; `special=False` reads
        control-token text (`<|im_end|>`) as plain text.
        """
        data = text.encode() if isinstance(text, str) else text
        return list(self._llm.tokenize(data, add_bos=add_bos, special=special))

    @property
    def eos(self) -> int:
        """The end-of-sequence token id."""
        return int(self._llm.token_eos())

    def _logits(self, tokens: list[int], start: int, *, one_by_one: bool) -> np.ndarray:
        """Evaluate only what the KV cache lacks (a prefix shared with the last call is kept)."""
        llm = self._llm
        shared = 0
        for a, b in zip(llm.input_ids[: llm.n_tokens].tolist(), tokens, strict=False):
            if a != b:
                break
            shared += 1
        llm.n_tokens = min(shared, len(tokens) - 1)  # at least the last token is evaluated
        if one_by_one:
            if llm.n_tokens < start:
                llm.eval(tokens[llm.n_tokens : start])
            for token in tokens[llm.n_tokens :]:
                llm.eval([token])
        else:
            llm.eval(tokens[llm.n_tokens :])
        return np.asarray(llm.scores[start - 1 : len(tokens)], dtype=np.float64)


def _piece(llm: Any, token: int, *, special: bool) -> bytes:  # noqa: ANN401 - a llama_cpp.Llama
    """One token's bytes, however long.

    llama-cpp-python's `detokenize` reads into a 32-byte buffer and gives `b""` for a longer
    piece (0.3.36: 47 ids of SmolLM2's vocabulary, runs of spaces or dashes).
    """
    llama_cpp = require("llama_cpp", extra="proxy", feature="proxy.LlamaCppScorer")
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    size = 64
    while True:
        buf = ctypes.create_string_buffer(size)
        n = llama_cpp.llama_token_to_piece(vocab, token, buf, size, 0, special)
        if n >= 0:
            return buf.raw[:n]
        size = -n  # too short: llama.cpp says how long the piece is
