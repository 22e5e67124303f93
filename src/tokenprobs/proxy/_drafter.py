"""The base as a draft model (`CompletionsDrafter`) and what `generate` returns (`Generation`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from tokenprobs._said import a_type, check_flag
from tokenprobs.adapters import parse
from tokenprobs.models import TokenDistribution
from tokenprobs.models._arrays import readonly

if TYPE_CHECKING:
    from collections.abc import Sequence

    import openai
    from numpy.typing import NDArray

    from tokenprobs.proxy._combine import ProxyStep

__all__ = ["CompletionsDrafter", "Drafter", "Generation", "Record", "checked_draft"]


class Drafter(Protocol):
    """The base: continues a prefix by up to `n` tokens, with its top-k at each.

    A drafter may also have a `top_logprobs` attribute (the k it asks for, as
    `CompletionsDrafter` has): `generate(sample=True)` then keeps only that many base tokens in
    its target, for servers that add the drawn token to the top-k (llama-cpp-python).
    """

    def draft(self, prompt: Sequence[int] | str, n: int, /) -> TokenDistribution:
        """The base's continuation of `prompt` (at most `n` tokens) with alternatives.

        `prompt` is token ids when the small pair shares the base's tokenizer, text when it
        does not (`generate` with `BytePrefix` scorers).
        """
        ...


def checked_draft(base: Drafter, prompt: Sequence[int] | str, n: int, /) -> TokenDistribution:
    """`base.draft(prompt, n)`, refused in words when it is no `TokenDistribution`.

    Raises:
        TypeError: The drafter returned something else (a raw response, a list of ids).
    """
    got: object = base.draft(prompt, n)
    if not isinstance(got, TokenDistribution):
        msg = (
            f"the base's draft() returned {a_type(got)}: a drafter returns a TokenDistribution "
            "of its continuation with its top-k (`tp.parse(response)` makes one)"
        )
        raise TypeError(msg)
    return got


@dataclass(frozen=True)
class CompletionsDrafter:
    """A base behind a completions endpoint that continues a prefix (`/v1/completions`).

    `token_ids=True` sends the prefix as token ids (OpenAI legacy completions, vLLM, llama.cpp's
    own server), so nothing is re-tokenised at the seam. llama-cpp-python's server takes text
    only (a list of ids is refused): with `token_ids=False` the prefix is sent as the text of its
    bytes and re-tokenised by the server, which `Generation.seam_mismatches` counts when the
    expert can tokenise. A text prompt (`generate` with `BytePrefix` scorers) is sent as is.
    """

    client: openai.OpenAI
    model: str
    top_logprobs: int = 20
    """The k asked for at each position."""
    token_ids: bool = True
    vocab: tuple[bytes, ...] | None = None
    """Each id's bytes (needed with `token_ids=False`: e.g. `LlamaCppScorer.vocab`)."""
    temperature: float = 0.0
    """0 for greedy drafts; 1 (with top-p 1) for `generate(sample=True)`."""
    extra_body: dict[str, object] | None = None
    """Server-specific parameters, sent as they are (e.g. vLLM's `return_tokens_as_token_ids`)."""

    def __post_init__(self) -> None:
        """Refuse a `token_ids` that is no bool (`"no"` would send ids to a text-only server).

        Raises:
            TypeError: `token_ids` is not True or False.
        """
        check_flag(self.token_ids, "token_ids", "send the prefix as token ids, or as text")

    def draft(self, prompt: Sequence[int] | str, n: int, /) -> TokenDistribution:
        """One call: `max_tokens=n`, `temperature`, `logprobs=top_logprobs` (text sent as is)."""
        if isinstance(prompt, str):
            sent: str | list[int] = prompt
        elif self.token_ids:
            sent = list(prompt)
        elif self.vocab is None:
            msg = "CompletionsDrafter(token_ids=False) needs vocab= to send the prefix as text"
            raise ValueError(msg)
        else:
            sent = b"".join(self.vocab[i] for i in prompt).decode("utf-8", errors="replace")
        response = self.client.completions.create(
            model=self.model,
            prompt=sent,
            max_tokens=n,
            temperature=self.temperature,
            logprobs=self.top_logprobs,
            extra_body=self.extra_body,
        )
        return parse(response)


@dataclass(frozen=True, eq=False)
class Generation:
    """What `generate` produced and what it cost."""

    ids: list[int]
    """The generated token ids (the prompt not included); empty when the small pair has another
    tokenizer than the base (its ids are not known here: see `pieces`)."""
    text: str
    """Their bytes, decoded."""
    certified: NDArray[np.bool_]
    """Shape `(T,)`: per generated token, the combined argmax was certified at its position."""
    imputed_mass: NDArray[np.float64]
    """Shape `(T,)`: the combined mass on imputed values at each generated token's position."""
    from_base: NDArray[np.bool_]
    """Shape `(T,)`: the token was the base's draft (accepted), not a proxy correction."""
    base_calls: int
    """How many times the base was called."""
    accepted: list[int]
    """Per base call, how many of its drafted tokens were accepted."""
    finish_reason: str
    """`"stop"` (a stop token), `"length"` (`max_tokens`), or `"base"` (the base ended)."""
    steps: tuple[ProxyStep, ...] = ()
    """Per base call, `combine`'s result over its drafted positions (the base's values in
    `steps[c].distribution` are combined ones; the drafts themselves are in `drafts`)."""
    drafts: tuple[TokenDistribution, ...] = ()
    """Per base call, the base's answer as returned."""
    seam_ok: tuple[bool, ...] = ()
    """Per base call, whether its prefix survived the round trip through text (see
    `seam_mismatches`); all `True` when the expert has no `tokenize` method."""
    seam_mismatches: int = 0
    """Calls whose prefix does not survive a round trip through text (the expert's
    `tokenize(text) != ids`): where a base that takes text would see other tokens. Counted only
    when the expert has a `tokenize` method."""

    pieces: tuple[bytes, ...] = ()
    """Each generated token's bytes."""

    @property
    def tokens_per_call(self) -> float:
        """Generated tokens per base call."""
        return len(self.pieces) / self.base_calls if self.base_calls else 0.0


@dataclass
class Record:
    """What a generation loop collects, call by call and token by token."""

    pieces: list[bytes] = field(default_factory=list)
    certified: list[bool] = field(default_factory=list)
    imputed: list[float] = field(default_factory=list)
    from_base: list[bool] = field(default_factory=list)
    accepted: list[int] = field(default_factory=list)
    steps: list[ProxyStep] = field(default_factory=list)
    drafts: list[TokenDistribution] = field(default_factory=list)

    def token(self, step: ProxyStep, j: int, piece: bytes, *, drafted: bool) -> None:
        """One output token, chosen at position j of `step` (`drafted`: the base's own)."""
        self.pieces.append(piece)
        self.certified.append(bool(step.certified[j]))
        self.imputed.append(float(step.imputed_mass[j]))
        self.from_base.append(drafted)

    def generation(
        self, finish: str, ids: Sequence[int] = (), seams: Sequence[bool] = ()
    ) -> Generation:
        """The `Generation` this record makes."""
        return Generation(
            ids=list(ids),
            text=b"".join(self.pieces).decode("utf-8", errors="replace"),
            certified=readonly(np.array(self.certified, dtype=np.bool_)),
            imputed_mass=readonly(np.array(self.imputed, dtype=np.float64)),
            from_base=readonly(np.array(self.from_base, dtype=np.bool_)),
            base_calls=len(self.accepted),
            accepted=self.accepted,
            finish_reason=finish,
            steps=tuple(self.steps),
            drafts=tuple(self.drafts),
            seam_ok=tuple(seams),
            seam_mismatches=list(seams).count(False),
            pieces=tuple(self.pieces),
        )
