"""The built-in dense scorer: a GGUF model run in-process by llama-cpp-python, every token scored.

The small pair of proxy-tuning is what you run yourself, so it can give the whole vocabulary:
`LlamaCppScorer.score(prompt, continuation)` evaluates the text once (`logits_all`) and returns
`DenseLogprobs` at each continuation position, keyed by the tokens' bytes. llama-cpp-python is
the `[proxy]` extra.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from tokenprobs._optional import require
from tokenprobs.proxy._byid import ByBytes, fitted
from tokenprobs.proxy._dense import DenseLogprobs

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
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


class LlamaCppScorer(ByBytes):
    """A GGUF model in-process: full-vocabulary logprobs at each position of a text.

    Examples:
        ```python
        expert = LlamaCppScorer("expert.gguf")
        ids = expert.tokenize("The capital of France is")
        d = expert.score(ids, [expert.token_id(b" Paris")])  # 2 positions: before and after
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
        """
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

    @cached_property
    def vocab(self) -> tuple[bytes, ...]:
        """Each token id's bytes (control tokens as their text, `<|im_end|>`)."""
        llm = self._llm
        return tuple(llm.detokenize([i], special=True) for i in range(llm.n_vocab()))

    @cached_property
    def controls(self) -> frozenset[int]:
        """The control tokens' ids: their bytes (`<|im_end|>`) name them, they write no text."""
        llm = self._llm
        return frozenset(
            i for i, key in enumerate(self.vocab) if key and not llm.detokenize([i], special=False)
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

    def next(self, text: str, /) -> DenseLogprobs:
        """The next-token distribution after `text` (one position): for `proxy.choose`."""
        return self.score(self.tokenize(text))

    def score(
        self,
        prompt: Sequence[int],
        continuation: Sequence[int] = (),
        /,
        *,
        one_by_one: bool = False,
    ) -> DenseLogprobs:
        """The next-token distribution before each continuation token and after the last.

        Position `j` is the distribution of `continuation[j]` given `prompt + continuation[:j]`;
        there are `len(continuation) + 1` positions. A prefix shared with the previous call is
        not evaluated again (the KV cache is kept).

        Args:
            prompt: The context's token ids (at least one).
            continuation: The tokens to score after it.
            one_by_one: Evaluate the continuation one token per batch, as a server generates it.
                With quantised weights llama.cpp's batched kernels round differently from its
                one-token ones (up to ~0.5 nats on unlikely tokens of SmolLM2's Q4_1), so this is
                how to reproduce a server's logprobs for its own output.

        Raises:
            ValueError: An empty prompt, or more tokens than the context holds.
        """
        llm = self._llm
        tokens = fitted(prompt, continuation, llm.n_ctx())
        shared = 0
        for a, b in zip(llm.input_ids[: llm.n_tokens].tolist(), tokens, strict=False):
            if a != b:
                break
            shared += 1
        llm.n_tokens = min(shared, len(tokens) - 1)  # at least the last token is evaluated
        if one_by_one:
            if llm.n_tokens < len(prompt):
                llm.eval(tokens[llm.n_tokens : len(prompt)])
            for token in tokens[llm.n_tokens :]:
                llm.eval([token])
        else:
            llm.eval(tokens[llm.n_tokens :])
        logits = np.asarray(llm.scores[len(prompt) - 1 : len(tokens)], dtype=np.float64)
        return DenseLogprobs.from_logits(logits, self.vocab)
