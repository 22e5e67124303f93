"""From an echoed legacy completion to the continuation's positions, checked before trusted.

The request was `prompt = context + text`, `echo=True`, `logprobs=k`, `max_tokens=1`: the
answer holds the prompt's tokens (the first with a `null` logprob), then one generated token.
Before any position is read as a score, the answer must prove it is an echo, and an aligned one:

- **echoed**: the first logprob is `null`, the offsets start at 0 and the text starts with the
  prompt. A server that ignores `echo` (llama.cpp's C++ server) fails here; its tokens are
  generated ones, never a score.
- **aligned**: exactly `usage.completion_tokens` positions start at or after the prompt's end,
  and the last prompt position's alternatives differ from the generated one's. llama-cpp-python
  0.3.36 without a BOS token drops the generated token and scores each prompt token with the
  distribution that follows it (upstream issue #1983): both checks catch it.
- **whole**: the echoed tokens spell the prompt. llama-cpp-python 0.3.36 tokenises a prompt's
  special tokens (a chat template's `<|im_start|>`) but leaves their text out of the echo (a
  BOS-id one loses its position, others come back as an empty token), so its offsets no longer
  place the tokens in the prompt: the answer is refused, naming the special tokens it dropped.

**The seam.** The continuation is every prompt position whose characters reach past the end of
`context` (a token with no characters counts where it stands). A token that straddles the seam
(the server merged the end of `context` with the start of `text`) is part of the continuation,
so `d.text` then starts inside `context`; tokenisation never moves a logprob across the seam.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs.adapters import parse_all
from tokenprobs.adapters._common import get
from tokenprobs.exceptions import ScoringError, TokenprobsError
from tokenprobs.guards import servers_that

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["BOS_FLAG", "continuation"]

BOS_FLAG = "--kv_overrides tokenizer.ggml.add_bos_token=bool:true"
_CAN, _CANNOT = servers_that("echo_logprobs")  # the servers' capability table (guards)
_ECHO_HINT = "score on a server that honours echo with logprobs on /v1/completions: " + "; ".join(
    [f"{c.name} ({c.echo_logprobs.how})" for c in _CAN]
    + [f"{c.name} {c.echo_logprobs.how}" for c in _CANNOT]
)
_SHIFT_HINT = (
    "the echoed logprobs are shifted by one position (llama-cpp-python 0.3.36 does this for a "
    f"model that adds no BOS token, upstream issue #1983): restart the server with {BOS_FLAG}, "
    "or score on vLLM"
)
_SPECIAL_HINT = (
    "this server's echo leaves special tokens out (llama-cpp-python 0.3.36's does), so it cannot "
    "score a prompt that holds them: leave them out of context and text (write the turns as "
    "plain text), or score on a server whose echo keeps every prompt token"
)
_ONE_HINT = (
    "score on the server itself, or remove what adds choices on the way (a gateway's or a "
    "proxy's default n)"
)
_BAR = "\uff5c"  # DeepSeek's special tokens are written with full-width bars
_SPECIAL = re.compile(
    r"<\|[^<>|]{1,40}\|>|</?[A-Za-z_][\w.-]{0,40}>|\[/?[A-Z][A-Z_]{1,20}\]"
    f"|<{_BAR}[^<>]{{1,40}}{_BAR}>"
)
"""What a special token's text looks like: `<|im_start|>`, `<s>`, `<bos>`, `[INST]`."""
_SAME = 1e-6


def continuation(
    d: TokenDistribution, *, context: str, text: str, server: str | None
) -> TokenDistribution:
    """The positions of `text` in the echoed distribution `d` of `context + text`.

    Raises:
        ScoringError: The answer is not an echo of the prompt, or not an aligned one.
    """
    _check_one_choice(d, server)
    prompt = context + text
    starts, ends = _spans(d, prompt, server)
    n_prompt = int(np.searchsorted(starts, len(prompt), side="left"))
    _check_aligned(d, n_prompt, server)
    reaches = (ends > len(context)) | ((starts == ends) & (starts >= len(context)))
    first = int(np.argmax(reaches[:n_prompt])) if reaches[:n_prompt].any() else n_prompt
    part = _with_prompt_logprobs(d, n_prompt)[first:n_prompt]
    update: dict[str, object] = {"prompt_length": len(part), "source": f"{d.source}.score"}
    shown = d.content if d.content is not None else d.text
    if spelled := _spelled(part.tokens, starts[first:n_prompt], ends[first:n_prompt], shown):
        update |= {"tokens": spelled, "token_bytes": [None] * len(spelled)}
    return part.model_copy(update=update)


def _spelled(tokens: list[str], starts: np.ndarray, ends: np.ndarray, shown: str) -> list[str]:
    """The tokens' text read from their offsets, where the server gave pieces of a character none.

    llama-cpp-python detokenises each token alone, so a token that ends inside a character (a
    byte of `日`, of an emoji) comes back as `""`, and the tokens no longer spell the text; its
    `text_offset` still places each one. Each token then reads `shown[start:end]`: a split
    character belongs to the token that completes it, the others stay empty. Returns `[]` when
    the tokens spell the text already, or when any non-empty token disagrees with its offsets.
    """
    if "" not in tokens:
        return []
    spelled = [shown[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
    if spelled == tokens or any(t and t != r for t, r in zip(tokens, spelled, strict=True)):
        return []
    return spelled


def _check_one_choice(d: TokenDistribution, server: str | None) -> None:
    """Refuse an answer with several choices: the request asked for one (`n=1`).

    Every choice of an honest echo would score the same prompt, so which one to read is not
    the question: a server (or a gateway) that answers a request for one choice with several
    did not run the request as it was sent, and nothing in its answer is trusted.
    """
    choices = get(d.response, "choices")
    if isinstance(choices, list) and len(choices) > 1:
        what = (
            f"{_who(server)} answered with {len(choices)} choices a request for one (n=1): it "
            "did not run the request as sent, so its echo is not trusted as a score"
        )
        raise ScoringError(what, server=server, hint=_ONE_HINT)


def _with_prompt_logprobs(d: TokenDistribution, n_prompt: int) -> TokenDistribution:
    """Use vLLM's `prompt_logprobs` beside the echo, when they agree with it: ids and ranks too.

    The echo's tokens (the server's own text) are kept; the ids, the ranks and the alternatives
    come from `prompt_logprobs`, whose values are the echo's.
    """
    choices = get(d.response, "choices")
    rows = get(choices[0], "prompt_logprobs") if isinstance(choices, list) and choices else None
    if not isinstance(rows, list) or len(rows) != n_prompt:
        return d
    try:
        p = parse_all(d.response, part="prompt")[0]
    except TokenprobsError:
        return d
    ours, theirs = d.logprobs[1:n_prompt], p.logprobs[1:]
    if not np.allclose(ours, theirs, rtol=0, atol=_SAME, equal_nan=True):
        return d
    return p.model_copy(
        update={"tokens": d.tokens[:n_prompt], "token_bytes": d.token_bytes[:n_prompt]}
    )


def _spans(d: TokenDistribution, prompt: str, server: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Each position's characters `[start, end)` in the echoed text (`text_offset`, else bytes)."""
    shown = d.content if d.content is not None else d.text
    echoed = len(d) > 0 and bool(np.isnan(d.logprobs[0]))
    offsets = d.text_offset
    if not echoed or not shown.startswith(prompt) or (offsets and offsets[0] != 0):
        what = (
            f"{_who(server)} did not echo the prompt: its answer starts with "
            f"{shown[: max(len(prompt), 20)]!r}"
            + (
                ""
                if echoed
                else " and holds no token"
                if not len(d)
                else " and has a logprob for its first token, so it is generated"
            )
        )
        raise ScoringError(what, server=server, hint=_ECHO_HINT)
    _check_whole(d, prompt, server)
    extra = len(d.text) - len(shown)
    if extra > 0 and d.text.endswith(shown):
        # the tokens spell a prefix the text lacks (vLLM echoes a BOS token as "<s>" but not in
        # `text`, and counts offsets over the tokens): place the tokens in the text without it,
        # the prefix's positions before its start
        spans = d.char_spans() - extra
        starts, ends = spans[:, 0], spans[:, 1]
    elif offsets is not None and len(offsets) == len(d):
        starts = np.asarray(offsets, dtype=np.intp)
        ends = np.append(starts[1:], len(shown))
    else:
        spans = d.char_spans()
        starts, ends = spans[:, 0], spans[:, 1]
    if (np.diff(starts) < 0).any() or starts[-1] > len(shown):
        how = "go backwards" if (np.diff(starts) < 0).any() else "run past the end of its text"
        what = f"{_who(server)} sent text offsets that {how}"
        raise ScoringError(what, server=server, hint=_ECHO_HINT)
    return starts, np.maximum(ends, starts)


def _check_whole(d: TokenDistribution, prompt: str, server: str | None) -> None:
    """Refuse an echo whose tokens spell the prompt without its special tokens."""
    if prompt in d.text:
        return
    gaps = _gaps(d.tokens, prompt)
    dropped = [m.group() for piece in gaps for m in _SPECIAL.finditer(piece)]
    if not dropped or any(_SPECIAL.sub("", piece) for piece in gaps):
        return  # the tokens miss something other than special tokens: the checks below decide
    named = ", ".join(f"{t!r}" + (f" x{n}" if n > 1 else "") for t, n in Counter(dropped).items())
    what = (
        f"{_who(server)} echoed the prompt without its {len(dropped)} special token(s) "
        f"({named}): their text is missing from the echoed tokens, so the echoed positions "
        "cannot be placed in the prompt and no score can be trusted"
    )
    raise ScoringError(what, server=server, hint=_SPECIAL_HINT)


def _gaps(tokens: list[str], prompt: str) -> list[str]:
    """The pieces of `prompt` that the echoed `tokens`, matched in order, leave out."""
    gaps, at = [], 0
    for token in tokens:
        found = prompt.find(token, at)
        if found < 0:
            break  # the generated token(s), or a token not in the prompt
        if found > at:
            gaps.append(prompt[at:found])
        at = found + len(token)
    if at < len(prompt):
        gaps.append(prompt[at:])
    return gaps


def _check_aligned(d: TokenDistribution, n_prompt: int, server: str | None) -> None:
    generated = len(d) - n_prompt
    usage = get(get(d.response, "usage"), "completion_tokens")
    if type(usage) is int and generated != usage:
        what = (
            f"{_who(server)} echoed {n_prompt} prompt positions and {generated} generated ones "
            f"while its usage counts {usage} generated token(s)"
        )
        raise ScoringError(what, server=server, hint=_SHIFT_HINT)
    if generated == 0:
        what = (
            f"{_who(server)} sent no generated position after the echo, so its alignment "
            "cannot be checked"
        )
        raise ScoringError(what, server=server, hint=_SHIFT_HINT)
    if n_prompt >= 2 and _same_alternatives(d, n_prompt - 1, n_prompt):  # noqa: PLR2004
        what = (
            f"{_who(server)} gave the last prompt position the alternatives of the generated "
            "one: each prompt token is scored with the distribution that follows it"
        )
        raise ScoringError(what, server=server, hint=_SHIFT_HINT)


def _same_alternatives(d: TokenDistribution, i: int, j: int) -> bool:
    """Whether positions `i` and `j` show the same top alternatives (tokens and logprobs)."""
    k = min(len(d.top_tokens[i]), len(d.top_tokens[j]))
    if k < 2:  # noqa: PLR2004 - one alternative is too little evidence
        return False

    def top(p: int) -> list[tuple[str, float]]:
        pairs = sorted(
            zip(d.top_tokens[p], d.top_logprobs[p, : len(d.top_tokens[p])].tolist(), strict=True),
            key=lambda t: -t[1],
        )
        return pairs[:k]

    a, b = top(i), top(j)
    return all(x[0] == y[0] and abs(x[1] - y[1]) <= _SAME for x, y in zip(a, b, strict=True))


def _who(server: str | None) -> str:
    return f"the server ({server})" if server else "the server"
