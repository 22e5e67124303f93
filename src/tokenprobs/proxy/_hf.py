"""The optional dense scorer: a Hugging Face transformers model, every token scored.

`TransformersScorer` has `LlamaCppScorer`'s interface (`vocab`, `controls`, `token_id`,
`tokenize`, `eos`, `next`, `score`), so `combine`, `generate`, `choose` and `BytePrefix` take
either. It loads a model folder or hub id, or a GGUF file (transformers dequantises it to float32;
that needs the `gguf` package). transformers, torch, accelerate and gguf are the `[hf]` extra.
"""

from __future__ import annotations

import inspect
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from tokenprobs._optional import require
from tokenprobs.distill._vocab import tokenizer_pieces
from tokenprobs.proxy._byid import DenseScorer

__all__ = ["TransformersScorer"]


class TransformersScorer(DenseScorer):
    """A transformers causal LM in-process: full-vocabulary logprobs at each position of a text.

    Examples:
        ```python
        expert = TransformersScorer("models/", gguf_file="expert.gguf")  # or a hub id
        d = expert.next("The capital of France is")  # one position, every token id
        ```
    """

    def __init__(
        self,
        model_path: str | Path,
        /,
        *,
        gguf_file: str | None = None,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        dtype: str = "float32",
    ) -> None:
        """Load the tokenizer and the model (evaluation mode).

        Args:
            model_path: A model folder or hub id, or a `.gguf` file (its folder and name).
            gguf_file: The GGUF file's name inside the folder `model_path`.
            n_ctx: The most tokens one `score` call takes.
            n_threads: torch's CPU threads (`torch.set_num_threads`: process-wide).
            dtype: The torch dtype to compute in (`"float32"`; a GGUF is dequantised to it).

        Raises:
            MissingDependencyError: transformers or torch is not installed.
        """
        transformers = require("transformers", extra="hf", feature="proxy.TransformersScorer")
        torch = require("torch", extra="hf", feature="proxy.TransformersScorer")
        path = Path(model_path)
        if gguf_file is None and path.suffix == ".gguf":
            model_path, gguf_file = path.parent, path.name
        kwargs: dict[str, Any] = {} if gguf_file is None else {"gguf_file": gguf_file}
        if n_threads is not None:
            torch.set_num_threads(n_threads)
        self._torch = torch
        self._tok = transformers.AutoTokenizer.from_pretrained(model_path, **kwargs)
        model = transformers.AutoModelForCausalLM.from_pretrained(
            model_path, dtype=getattr(torch, dtype), **kwargs
        )
        self._model = model.eval()
        forward = inspect.signature(model.forward).parameters
        self._cache_arg = "cache" if "cache" in forward else "past_key_values"  # transformers 5.2x
        self.n_ctx = n_ctx
        self.model_path = str(path)

    @cached_property
    def vocab(self) -> tuple[bytes, ...]:
        """Each token id's bytes (control tokens as their text, `<|im_end|>`).

        Raises:
            ValueError: A token id whose bytes the tokenizer's vocabulary does not give.
        """
        tok = self._tok
        n = int(self._model.get_output_embeddings().weight.shape[0])
        out: dict[int, bytes] = tokenizer_pieces(tok.backend_tokenizer)
        for i, added in tok.added_tokens_decoder.items():
            out.setdefault(int(i), added.content.encode())
        missing = [i for i in range(n) if i not in out]
        if missing:
            msg = f"{len(missing)} token ids have no bytes in this tokenizer (first {missing[0]})"
            raise ValueError(msg)
        return tuple(out[i] for i in range(n))

    @cached_property
    def controls(self) -> frozenset[int]:
        """The control tokens' ids: special added tokens (`<|im_end|>`), they write no text."""
        return frozenset(int(i) for i, t in self._tok.added_tokens_decoder.items() if t.special)

    def tokenize(
        self, text: str | bytes, /, *, add_bos: bool = True, special: bool = True
    ) -> list[int]:
        """The model's token ids for `text` (or bytes).

        Special tokens are added only where the tokenizer's configuration asks for them;
        `special=False` reads control-token text (`<|im_end|>`) as plain text. Bytes that are
        no UTF-8 (a character another tokenizer cut, as `BytePrefix` scores them) are read as
        their whole characters' tokens and one byte token per stray byte: one tokenisation of
        those bytes (the tokenizer itself takes text only).

        Raises:
            ValueError: A stray byte that no token of the vocabulary is.
        """
        if isinstance(text, str):
            return self._text_ids(text, specials=add_bos, special=special)
        try:
            data = text.decode()
        except UnicodeDecodeError:
            return self._byte_ids(text, add_bos=add_bos, special=special)
        return self._text_ids(data, specials=add_bos, special=special)

    def _text_ids(self, text: str, *, specials: bool, special: bool) -> list[int]:
        enc = self._tok(text, add_special_tokens=specials, split_special_tokens=not special)
        return [int(i) for i in enc["input_ids"]]

    def _byte_ids(self, data: bytes, *, add_bos: bool, special: bool) -> list[int]:
        """Bytes that are no UTF-8: the valid runs as text, each stray byte as its byte token."""
        ids = self._text_ids("", specials=True, special=special) if add_bos else []
        while data:
            try:
                good, bad, data = data.decode(), b"", b""
            except UnicodeDecodeError as exc:
                good, bad, data = (
                    data[: exc.start].decode(),
                    data[exc.start : exc.end],
                    data[exc.end :],
                )
            ids += self._text_ids(good, specials=False, special=special) if good else []
            for byte in bad:
                try:
                    ids.append(self.token_id(bytes([byte])))
                except KeyError:
                    msg = f"no token of this vocabulary is the byte {bytes([byte])!r} alone"
                    raise ValueError(msg) from None
        return ids

    @property
    def eos(self) -> int:
        """The end-of-sequence token id."""
        return int(self._tok.eos_token_id)

    def _logits(self, tokens: list[int], start: int, *, one_by_one: bool) -> np.ndarray:
        """One forward pass over the whole text (no cache kept between calls)."""
        torch = self._torch
        with torch.no_grad():
            ids = torch.tensor([tokens])
            if one_by_one:
                out = self._model(ids[:, :start], use_cache=True)
                rows = [out.logits[0, -1]]
                for j in range(start, len(tokens)):
                    cache = {self._cache_arg: getattr(out, self._cache_arg)}
                    out = self._model(ids[:, j : j + 1], use_cache=True, **cache)
                    rows.append(out.logits[0, -1])
                logits = torch.stack(rows)
            else:
                logits = self._model(ids).logits[0, start - 1 :]
        return np.asarray(logits.double().numpy())
