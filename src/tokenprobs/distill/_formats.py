"""Writers of the inputs three trainers read: Axolotl's KD plugin, Tinker and DistillKit."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from tokenprobs._files import atomic_file, checked_target
from tokenprobs._optional import require
from tokenprobs._said import a_type, a_value, among
from tokenprobs.distill._arrays import KDArrays, check_k, to_arrays
from tokenprobs.distill._record import DistillError, check_record, check_records
from tokenprobs.distill._text import write_json_lines

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Sequence

    from tokenprobs.distill._record import KDRecord
    from tokenprobs.distill._vocab import StudentVocab

__all__ = [
    "AXOLOTL_PAD_LOGPROB",
    "to_axolotl",
    "to_distillkit",
    "to_tinker",
    "write_axolotl",
    "write_distillkit",
]

AXOLOTL_PAD_LOGPROB = -1e4
"""The logprob of a padding slot in Axolotl rows ("a large negative logprob", its README)."""


def _pad_ids(used: Sequence[int], k: int) -> list[int]:
    """`k - len(used)` ids distinct from `used` (a scatter with repeated ids is ill-defined)."""
    taken = set(used)
    out: list[int] = []
    candidate = 0
    while len(out) < k - len(used):
        if candidate not in taken:
            out.append(candidate)
        candidate += 1
    return out


def _rows(a: KDArrays) -> list[tuple[list[int], list[float]]]:
    """Each row's real targets: ids and logprobs, most likely first."""
    return [
        (a.target_ids[t][a.mask[t]].tolist(), a.target_logprobs[t][a.mask[t]].tolist())
        for t in range(a.target_ids.shape[0])
    ]


def _completion_ids(record: KDRecord, a: KDArrays) -> list[int]:
    if (a.sampled_ids < 0).any():
        t = int(np.flatnonzero(a.sampled_ids < 0)[0])
        msg = (
            f"record {record.id!r}: the sampled token at position {t} "
            f"({record.sampled(t).bytes!r}) has no student id, so the completion cannot be "
            "written as student tokens; distil with a student of the teacher's tokenizer"
        )
        raise DistillError(msg)
    return [int(i) for i in a.sampled_ids]


def _no_empty_rows(record: KDRecord, a: KDArrays) -> None:
    """Raise unless every row has a real target: Axolotl renormalises a padding-only row to NaN."""
    empty = np.flatnonzero(~a.mask.any(axis=1))
    if not empty.size:
        return
    t = int(empty[0])
    msg = (
        f"record {record.id!r}: position {t} ({record.sampled(t).bytes!r}) and {empty.size - 1} "
        "more have no candidate with a student id, so their Axolotl rows would be padding only, "
        "which Axolotl's loader renormalises to NaN: distil with a student of the teacher's "
        "tokenizer"
    )
    raise DistillError(msg)


def _tools(record: KDRecord) -> list[Any] | None:
    """The request's tools, its legacy `functions` as the tools they are (None: neither).

    Raises:
        DistillError: `tools` or `functions` is not a list.
    """
    given = record.input or {}
    found: list[Any] = []
    for name in ("tools", "functions"):
        if (value := given.get(name)) is None:
            continue
        if not isinstance(value, list):
            msg = f"record {record.id!r}: the input's {name} is {a_type(value)}, not a list"
            raise DistillError(msg)
        found += value if name == "tools" else [{"type": "function", "function": f} for f in value]
    return found or None


def to_axolotl(
    record: KDRecord,
    /,
    *,
    k: int,
    vocab: StudentVocab | None = None,
    layout: Literal["v2", "legacy"] = "v2",
) -> dict[str, Any]:
    """One row of Axolotl's KD dataset (`type: axolotl.integrations.kd.chat_template`).

    `messages` is the input's conversation plus the teacher's answer as the assistant turn, and
    `tools` the request's tools when it had them (Axolotl's `field_tools`, by default `tools`,
    gives them to the chat template as the teacher's request gave them to the teacher; legacy
    `functions` are given as the tools they are, `{"type": "function", "function": ...}`); one
    row per completion token of exactly `k` values: the raw top-k (Axolotl renormalises and
    rescales by the dataset's `temperature` itself), padded with `AXOLOTL_PAD_LOGPROB` at ids
    distinct from the real ones. Configure the dataset with `field_messages: messages` and
    `logprobs_field: logprobs`.

    Args:
        record: The teacher's record.
        k: Values per row.
        vocab: The student's vocabulary (by default the teacher's ids).
        layout: `"v2"`, what `chat_template`'s `load` reads in Axolotl 0.21 (its
            `KDStrategyLoaderV2`): `logprobs` as lists of floats beside `target_token_ids`, lists
            of ids. `"legacy"`, what its `load_legacy` (`ChatTemplateStrategyWithKD`) reads:
            `logprobs` as lists of `{"token": "token_id:N", "logprob": x}`.

    Raises:
        TypeError: `record` is not a `KDRecord`.
        DistillError: The record's input has no `messages` (Axolotl's loader needs a chat), its
            `tools` or `functions` are no list, or
            a position has no candidate with a student id (its row would be padding only, which
            Axolotl renormalises to NaN), or no `vocab` and the teacher's ids not known.
        ValueError: An unknown `layout`.
    """
    check_record(record, where="to_axolotl")
    check_k(k, vocab, where="to_axolotl")  # before the record's messages: an argument is said first
    if not among(layout, {"v2", "legacy"}):
        msg = f"layout must be 'v2' or 'legacy', got {layout!r}"
        raise ValueError(msg)
    messages = (record.input or {}).get("messages")
    if not isinstance(messages, list):
        msg = (
            f"record {record.id!r} has no input messages (input {record.input!r}); Axolotl's KD "
            "loader tokenises a chat: collect with the Batch input file (inputs=) or "
            "(messages, response) pairs, or use to_tinker / to_distillkit with prompt ids"
        )
        raise DistillError(msg)
    a = to_arrays(record, k=k, tail="raw", vocab=vocab)
    _no_empty_rows(record, a)
    ids_rows, lp_rows = [], []
    for ids, lps in _rows(a):
        pad = _pad_ids(ids, k)
        ids_rows.append([*ids, *pad])
        lp_rows.append([*lps, *([AXOLOTL_PAD_LOGPROB] * len(pad))])
    conversation = [*messages, {"role": "assistant", "content": record.completion_text}]
    row: dict[str, Any] = {"messages": conversation}
    if (tools := _tools(record)) is not None:
        row["tools"] = tools  # Axolotl's field_tools (default "tools"), given to the template
    if layout == "v2":
        return {**row, "logprobs": lp_rows, "target_token_ids": ids_rows}
    rows = [
        [{"token": f"token_id:{i}", "logprob": lp} for i, lp in zip(ids, lps, strict=True)]
        for ids, lps in zip(ids_rows, lp_rows, strict=True)
    ]
    return {**row, "logprobs": rows}


def write_axolotl(
    records: Iterable[KDRecord],
    path: str | os.PathLike[str],
    /,
    *,
    k: int,
    vocab: StudentVocab | None = None,
    layout: Literal["v2", "legacy"] = "v2",
) -> int:
    """Write `to_axolotl` rows to a JSONL file; returns how many were written.

    The file appears complete or not at all (written beside `path`, then renamed).

    Raises:
        TypeError: `k` is not an int, or `vocab` not a `StudentVocab` (nothing is read).
        DistillError: `k` < 1 or more than the vocabulary's ids (see `to_arrays`; nothing is
            read); what `to_axolotl` refuses; a row whose text holds a lone surrogate (half an
            emoji), which Axolotl's loader cannot read (pyarrow's JSON reader refuses its
            escape) nor a tokenizer encode: the message names the record and the field.
        IsADirectoryError: `path` is a folder (nothing is read).
        FileNotFoundError: `path`'s folder does not exist (nothing is read).
    """
    check_k(k, vocab, where="write_axolotl")  # said by the call, not at the first record
    check_records(records, where="write_axolotl")
    row = functools.partial(to_axolotl, k=k, vocab=vocab, layout=layout)
    return write_json_lines(records, path, row, writer="write_axolotl", escape=False)


def _prompt(record: KDRecord, prompt_ids: object) -> list[int]:
    """`prompt_ids` as a list of ints, checked: student token ids (ints >= 0), at least one."""
    if isinstance(prompt_ids, str | bytes) or not isinstance(prompt_ids, Iterable):
        what = "a string" if isinstance(prompt_ids, str | bytes) else a_type(prompt_ids)
        msg = (
            f"prompt_ids must be a sequence of token ids (the student's tokens of the prompt), "
            f"not {what}: {prompt_ids!r:.40}"
        )
        raise TypeError(msg)
    ints = (
        isinstance(prompt_ids, np.ndarray)
        and prompt_ids.ndim == 1
        and prompt_ids.dtype.kind in "iu"
    )
    out = prompt_ids.tolist() if isinstance(prompt_ids, np.ndarray) else list(prompt_ids)
    for i in () if ints else out:  # an integer array needs no per-id check
        if isinstance(i, bool) or not isinstance(i, int | np.integer):
            msg = (
                f"prompt_ids must hold int token ids, got {a_value(i, width=40)}; "
                "tokenise the prompt with the student's tokenizer"
            )
            raise TypeError(msg)
    if not out:
        msg = f"record {record.id!r}: prompt_ids is empty (the student needs a prompt token)"
        raise DistillError(msg)
    if min(out) < 0:
        msg = f"prompt_ids must be non-negative token ids, got {min(out)}"
        raise DistillError(msg)
    return [int(i) for i in out]


def _shifted(
    record: KDRecord, prompt_ids: Sequence[int], a: KDArrays
) -> tuple[list[int], list[int]]:
    return _prompt(record, prompt_ids), _completion_ids(record, a)


def to_tinker(
    record: KDRecord,
    /,
    *,
    k: int,
    prompt_ids: Sequence[int],
    vocab: StudentVocab | None = None,
    kd_temperature: float | None = None,
) -> dict[str, Any]:
    """One Tinker `Datum` as plain data, for `cross_entropy` top-K distillation.

    `model_input` is `prompt_ids + completion_ids[:-1]`; `loss_fn_inputs` holds
    `target_tokens` and `weights`, both `(N, K)` with `N = len(model_input)`: row `j` targets
    token `j + 1`. Completion rows carry the teacher's top-k renormalised (Tinker's docs: the
    weights are the teacher's probabilities renormalised over the top-K); prompt rows and
    padding have weight 0. Build the SDK object with `tinker.types.Datum(model_input=
    ModelInput.from_ints(...), loss_fn_inputs={name: TensorData.from_numpy(array)})`.

    Raises:
        TypeError: `record` is not a `KDRecord`, or `prompt_ids` is not a sequence of ints.
        DistillError: A sampled token with no student id, or `prompt_ids` empty or negative.
    """
    check_record(record, where="to_tinker")
    a = to_arrays(record, k=k, tail="renormalize", vocab=vocab, kd_temperature=kd_temperature)
    prompt, completion = _shifted(record, prompt_ids, a)
    tokens = prompt + completion
    n = len(tokens) - 1
    target_tokens = np.zeros((n, k), dtype=np.int64)
    weights = np.zeros((n, k), dtype=np.float32)
    target_tokens[:, 0] = tokens[1:]
    first = len(prompt) - 1
    target_tokens[first:] = np.where(a.mask, a.target_ids, 0)
    for t in range(len(completion)):
        pad = _pad_ids(a.target_ids[t][a.mask[t]].tolist(), k)
        target_tokens[first + t, ~a.mask[t]] = pad
    weights[first:] = np.where(a.mask, np.exp(a.target_logprobs), 0.0)
    return {
        "model_input": tokens[:-1],
        "loss_fn_inputs": {"target_tokens": target_tokens, "weights": weights},
    }


def to_distillkit(
    record: KDRecord,
    /,
    *,
    k: int,
    prompt_ids: Sequence[int],
    vocab: StudentVocab | None = None,
) -> dict[str, Any]:
    """One row of DistillKit's offline dataset, in its raw top-k form (`token_ids` + `top_values`).

    `input_ids` is `prompt_ids + completion_ids`; `labels` is `-100` over the prompt; `token_ids`
    and `top_values` are `(L - 1, K)`, row `j` the distribution over `input_ids[j + 1]` (as
    DistillKit's vLLM sampler writes them), values raw logprobs (`log_values: true`; choose
    `missing_probability_handling` in its config). Prompt rows, masked by `labels`, hold a
    one-hot placeholder on the real next token; padding is `-inf` at distinct ids.

    Raises:
        TypeError: `record` is not a `KDRecord`, or `prompt_ids` is not a sequence of ints.
        DistillError: A sampled token with no student id, or `prompt_ids` empty or negative.
    """
    check_record(record, where="to_distillkit")
    a = to_arrays(record, k=k, tail="raw", vocab=vocab)
    prompt, completion = _shifted(record, prompt_ids, a)
    tokens = prompt + completion
    ids_rows: list[list[int]] = []
    value_rows: list[list[float]] = []
    for j in range(len(tokens) - 1):
        t = j - (len(prompt) - 1)
        if t < 0:
            ids = [tokens[j + 1]]
            values = [0.0]
        else:
            ids, values = (
                a.target_ids[t][a.mask[t]].tolist(),
                a.target_logprobs[t][a.mask[t]].tolist(),
            )
        pad = _pad_ids(ids, k)
        ids_rows.append(ids + pad)
        value_rows.append(values + [float("-inf")] * len(pad))
    return {
        "input_ids": tokens,
        "labels": [-100] * len(prompt) + completion,
        "token_ids": ids_rows,
        "top_values": value_rows,
    }


def write_distillkit(
    records: Iterable[KDRecord],
    path: str | os.PathLike[str],
    /,
    *,
    k: int,
    prompt_ids: Callable[[KDRecord], Sequence[int]],
    vocab: StudentVocab | None = None,
) -> int:
    """Write `to_distillkit` rows to one Parquet file (what `datasets` loads); returns the count.

    The file appears complete or not at all (written beside `path`, then renamed).

    Raises:
        IsADirectoryError: `path` is a folder (nothing is read).
        FileNotFoundError: `path`'s folder does not exist (nothing is read).
        MissingDependencyError: pyarrow is not installed (`pip install "pytokenprobs[distill]"`).
        TypeError: `prompt_ids` is not a function (a list of ids is `to_distillkit`'s), `k`
            not an int, or `vocab` not a `StudentVocab`.
        DistillError: `k` < 1 or more than the vocabulary's ids (see `to_arrays`).
    """
    pa = require("pyarrow", extra="distill", feature="write_distillkit")
    pq = require("pyarrow.parquet", extra="distill", feature="write_distillkit")
    given: object = prompt_ids  # typed, but called with what users pass
    if not callable(given):
        msg = (
            "write_distillkit's prompt_ids is a function of a record giving its prompt's student "
            f"token ids (e.g. lambda r: tokenize(r.input)), got {a_type(given)}; "
            "to_distillkit takes one record's ids"
        )
        raise TypeError(msg)
    check_k(k, vocab, where="write_distillkit")
    checked_target(path, writer="write_distillkit")
    check_records(records, where="write_distillkit")
    rows = [to_distillkit(r, k=k, prompt_ids=prompt_ids(r), vocab=vocab) for r in records]
    schema = pa.schema(
        [
            ("input_ids", pa.list_(pa.uint64())),
            ("labels", pa.list_(pa.int64())),
            ("token_ids", pa.list_(pa.list_(pa.int64()))),
            ("top_values", pa.list_(pa.list_(pa.float32()))),
        ]
    )
    table = pa.Table.from_pylist(rows, schema=schema)
    with atomic_file(path, writer="write_distillkit") as tmp:
        pq.write_table(table, tmp)
    return len(rows)
