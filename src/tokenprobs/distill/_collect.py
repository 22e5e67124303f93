"""`collect`: responses and Batch output files in, `tokenprobs.kd/1` records out, streaming."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tokenprobs import batch
from tokenprobs._gc import paused_gc
from tokenprobs._said import a_type, a_value, among
from tokenprobs.adapters import parse_all
from tokenprobs.distill._jsonl import check_path, json_lines
from tokenprobs.distill._record import DistillError, KDRecord, Teacher
from tokenprobs.exceptions import TokenprobsError, TokenprobsWarning
from tokenprobs.models import TokenDistribution

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["check_settings", "collect", "line_records", "read_inputs", "warn_skipped"]

_INPUT_KEYS = ("messages", "prompt", "input", "prompt_token_ids")
_CONTEXT = {  # the input's key: the request's other fields the model saw, kept beside it
    "messages": ("tools", "tool_choice", "functions", "function_call", "response_format"),
    "input": ("instructions", "tools", "tool_choice", "text"),  # Responses: system text, format
}


def _input_of(body: Mapping[str, object], choice: int) -> dict[str, object] | None:
    """The input of choice `choice`: of a legacy body with several prompts, its own prompt."""
    for key in _INPUT_KEYS:
        if key in body:
            prompt = body[key]
            if key == "prompt" and isinstance(prompt, list) and prompt:
                if isinstance(prompt[0], int):
                    return {"prompt_token_ids": prompt}
                n = body.get("n")
                at = choice // (n if isinstance(n, int) and n > 0 else 1)  # n choices a prompt
                own = prompt[at] if at < len(prompt) else None
                if isinstance(own, str):
                    return {"prompt": own}
                if isinstance(own, list) and own and all(isinstance(i, int) for i in own):
                    return {"prompt_token_ids": own}
            seen = {
                name: body[name] for name in _CONTEXT.get(key, ()) if body.get(name) is not None
            }
            return {key: prompt, **seen}
    return None


_NEUTRAL: dict[str, tuple[object, ...]] = {  # a body's setting: the values that change nothing
    "presence_penalty": (None, 0),
    "frequency_penalty": (None, 0),
    "logit_bias": (None, {}),  # or every bias 0
    "top_k": (None, -1, 0),  # vLLM's sampling top-k (`top_logprobs` is what is returned)
    "min_p": (None, 0),  # vLLM
    "repetition_penalty": (None, 1),  # vLLM
    "min_tokens": (None, 0),  # vLLM: the end of text is masked until then
    "allowed_token_ids": (None,),  # vLLM
    "bad_words": (None, []),  # vLLM
    "guided_json": (None,),  # vLLM's constrained decoding, as its structured_outputs
    "guided_regex": (None,),
    "guided_choice": (None,),
    "guided_grammar": (None,),
    "structured_outputs": (None,),
    "best_of": (None, 1),  # the likeliest n of best_of samples are returned (neutral: <= n)
    "use_beam_search": (None, False),  # vLLM: beam search does not sample at all
    "logits_processors": (None, []),  # vLLM: the request's own processors reshape the logits
}
_FREE_FORMATS = (None, "text")  # a response format that constrains nothing (json_* masks tokens)


def _adjustments(body: Mapping[str, object]) -> tuple[str, ...] | None:
    """The body's settings besides temperature and top_p that reshaped what was sampled."""

    def neutral(name: str, value: object) -> bool:
        if name == "logit_bias" and isinstance(value, Mapping):
            return all(bias == 0 for bias in value.values())
        if name == "best_of" and isinstance(value, int) and not isinstance(value, bool):
            n = body.get("n")
            return value <= (n if isinstance(n, int) and n >= 1 else 1)  # every sample returned
        return value in _NEUTRAL[name]

    found = tuple(name for name in _NEUTRAL if name in body and not neutral(name, body[name]))
    return (*found, *_constrained(body)) or None


def _constrained(body: Mapping[str, object]) -> tuple[str, ...]:
    """`response_format` (chat) or `text.format` (Responses) where it is no free text format.

    Structured outputs decode under a grammar mask: the sampled token is a draw of the masked
    distribution, not of the one returned (vLLM's raw logprobs are from before the mask), and
    the schema-forced tokens come back at logprob 0.0 whatever the model preferred.
    """
    text = body.get("text")
    formats = {
        "response_format": body.get("response_format"),
        "text.format": text.get("format") if isinstance(text, Mapping) else None,
    }
    return tuple(
        name
        for name, given in formats.items()
        if given is not None
        and (given.get("type") if isinstance(given, Mapping) else given) not in _FREE_FORMATS
    )


def _settings(body: Mapping[str, object]) -> dict[str, object]:
    top_k = body.get("top_logprobs")
    if top_k is None and isinstance(body.get("logprobs"), int) and body["logprobs"] is not True:
        top_k = body["logprobs"]  # legacy Completions: logprobs=k
    return {
        "model": body.get("model"),
        "top_k": top_k,
        "temperature": body.get("temperature"),
        "top_p": body.get("top_p"),
        "seed": body.get("seed"),
        "sampling_adjustments": _adjustments(body),
    }


def read_inputs(path: str | os.PathLike[str], /) -> dict[str, Mapping[str, object]]:
    """A Batch API *input* file's request bodies by `custom_id` (what `collect(inputs=)` reads).

    Raises:
        TypeError: `path` is not a str or path.
        DistillError: A line is not a Batch request (`custom_id` and a `body` object).
    """
    check_path(path, where="read_inputs")
    out: dict[str, Mapping[str, object]] = {}
    for number, obj in json_lines(path):
        if "custom_id" not in obj or "body" not in obj:
            msg = (
                f"line {number} of {os.fspath(path)!r} is not a Batch request line "
                "({'custom_id', 'body'}); pass the Batch *input* file as inputs="
            )
            raise DistillError(msg)
        if not isinstance(obj["body"], dict):
            msg = (
                f"line {number} of {os.fspath(path)!r}: the request's body is "
                f"{a_value(obj['body'], width=40)}, not a JSON object"
            )
            raise DistillError(msg)
        out[str(obj["custom_id"])] = obj["body"]
    return out


def _record(
    d: TokenDistribution,
    *,
    teacher: Teacher,
    body: Mapping[str, object] | None,
    given_input: Mapping[str, object] | None,
    rid: str | None,
) -> KDRecord:
    who = teacher
    if body is not None:
        given: object = body  # typed, but taken from what users pass as inputs=
        if not isinstance(given, Mapping):
            msg = f"inputs[{rid!r}] is {a_value(given, width=40)}, not a request body"
            raise DistillError(msg)
        try:
            who = who.with_defaults(**_settings(body))
        except (TypeError, ValueError) as exc:  # a setting Teacher refuses
            exc.add_note(f"in the request body of {rid!r} (collect's inputs=)")
            raise
    who = who.with_defaults(model=d.model)
    data = given_input if given_input is not None else (_input_of(body, d.choice) if body else None)
    return KDRecord.from_distribution(d, teacher=who, input=data, id=rid)


def _as_input(prompt: object) -> dict[str, object]:
    if isinstance(prompt, str):
        return {"prompt": prompt}
    if isinstance(prompt, list) and prompt and all(isinstance(x, int) for x in prompt):
        return {"prompt_token_ids": prompt}
    if isinstance(prompt, list):
        return {"messages": prompt}
    if isinstance(prompt, Mapping):
        return dict(prompt)
    msg = (
        f"a (prompt, response) pair needs a prompt string, a list of messages or of token ids, "
        f"got {a_type(prompt)}"
    )
    raise DistillError(msg)


def _response_id(obj: object, d: TokenDistribution) -> str | None:
    for src in (obj, d.response):
        rid = src.get("id") if isinstance(src, Mapping) else getattr(src, "id", None)
        if isinstance(rid, str):
            return rid
    return None


def collect(
    sources: Iterable[object] | str | os.PathLike[str],
    /,
    *,
    teacher: Teacher | None = None,
    inputs: str | os.PathLike[str] | Mapping[str, Mapping[str, object]] | None = None,
    on_error: Literal["raise", "skip"] = "raise",
) -> Iterator[KDRecord]:
    """Stream `tokenprobs.kd/1` records from responses and Batch output files.

    Each item of `sources` is one of: a `pathlib.Path` of a Batch API output file (read line by
    line as `tokenprobs.batch.read_results` reads it, one line in memory at a time); a
    `TokenDistribution`; any response `tp.parse` reads (SDK object, dict, JSON); or a pair
    `(prompt, response)` that also gives the input (a prompt string, messages, or token ids).
    A single path may be given instead of a list.

    A Batch line is parsed and turned into its record with the cyclic GC paused (as
    `read_results` pauses it to parse), and its parsed objects are freed before the GC is
    resumed, so no collection walks them; the pause never spans a `yield`, so your code runs
    with the GC as you left it.

    The teacher's fields that are None are filled per record: from the request body in `inputs`
    (`model`, `top_logprobs`, `temperature`, `top_p`, `seed`, the names of the settings that
    reshaped the sampling, such as a penalty or a logit bias, and the input itself), then the
    model from the response. Values on disk are raw: nothing is renormalised.

    Args:
        sources: Responses, `(prompt, response)` pairs and Batch output file paths.
        teacher: What is known of the teacher (`provider`, `tokenizer`, `logprob_semantics` ...).
        inputs: The Batch *input* file (or its bodies by `custom_id`, see `read_inputs`), so
            records from output files carry their input and sampling settings.
        on_error: A failed Batch line (an API error, no logprobs, a line that is not JSON, such
            as one cut short, or has no `custom_id`: what `batch.read_results` yields as an
            error): `"raise"` it, or `"skip"` it (one `TokenprobsWarning` at the end counts the
            skipped lines and names the first, by `custom_id` or line number).

    Yields:
        One `KDRecord` per response (per successful Batch line), in order.

    Raises:
        TokenprobsError: A failed Batch line with `on_error="raise"`; a source `tp.parse` cannot
            read.
        DistillError: A bad `(prompt, response)` pair or `inputs` file.
        TypeError: `sources`, `teacher` or `inputs` of the wrong type (raised by the call, not
            at the first record).
        ValueError: An unknown `on_error`.
    """
    _check_arguments(sources, teacher, inputs, on_error)
    who = teacher if teacher is not None else Teacher()
    bodies = read_inputs(inputs) if isinstance(inputs, str | os.PathLike) else (inputs or {})
    items = [sources] if isinstance(sources, str | bytes | os.PathLike) else sources
    return _records(items, who, bodies, on_error)


def check_settings(teacher: object, inputs: object, on_error: object, *, where: str) -> None:
    """The checks of `teacher`, `inputs` and `on_error` that every collection makes first.

    Raises:
        TypeError: `teacher` is not a `Teacher`, or `inputs` not a path or mapping.
        ValueError: An unknown `on_error`.
    """
    if teacher is not None and not isinstance(teacher, Teacher):
        msg = f"{where}'s teacher is a distill.Teacher or None, got {a_type(teacher)}"
        raise TypeError(msg)
    if not among(on_error, {"raise", "skip"}):
        msg = f"{where}'s on_error is 'raise' or 'skip', got {on_error!r}"
        raise ValueError(msg)
    if inputs is not None and not isinstance(inputs, str | os.PathLike | Mapping):
        msg = (
            f"{where}'s inputs is the Batch input file's path (or its bodies by custom_id, "
            f"read_inputs(path)), got {a_type(inputs)}"
        )
        raise TypeError(msg)


def _check_arguments(sources: object, teacher: object, inputs: object, on_error: object) -> None:
    """`collect`'s checks, made by the call (its records are read lazily, later)."""
    check_settings(teacher, inputs, on_error, where="collect")
    single = isinstance(sources, str | bytes | os.PathLike)
    if not single and (not isinstance(sources, Iterable) or isinstance(sources, Mapping)):
        msg = (
            "collect reads a list of responses, (prompt, response) pairs and Batch output "
            f"files, or one file's path; got {a_type(sources)} (a single response: "
            "collect([response]))"
        )
        raise TypeError(msg)


def _records(
    items: Iterable[object],
    who: Teacher,
    bodies: Mapping[str, Mapping[str, object]],
    on_error: Literal["raise", "skip"],
) -> Iterator[KDRecord]:
    """`collect`'s records, once its arguments are checked."""
    skipped: list[str] = []
    for n, item in enumerate(items):
        if isinstance(item, os.PathLike):  # a str is a response (as for tp.parse): use a Path
            with Path(item).open("rb") as f:
                yield from line_records(
                    batch.numbered_lines(f),
                    item,
                    teacher=who,
                    bodies=bodies,
                    on_error=on_error,
                    skipped=skipped,
                )
            continue
        prompt: object = None
        obj = item
        if isinstance(item, tuple) and len(item) == 2:  # noqa: PLR2004 - a (prompt, response) pair
            prompt, obj = item
        ds = [obj] if isinstance(obj, TokenDistribution) else parse_all(obj)
        given = _as_input(prompt) if prompt is not None else None
        for d in ds:
            rid = _choice_id(_response_id(obj, d) or str(n), d, len(ds))
            yield _record(d, teacher=who, body=None, given_input=given, rid=rid)
    warn_skipped(skipped, stacklevel=3)


def line_records(
    lines: Iterable[tuple[int, bytes]],
    path: str | os.PathLike[str],
    /,
    *,
    teacher: Teacher,
    bodies: Mapping[str, Mapping[str, object]],
    on_error: Literal["raise", "skip"],
    skipped: list[str],
    label: Callable[[int], str] = "line {}".format,
) -> Iterator[KDRecord]:
    """The records of a Batch output file's numbered lines (`batch.numbered_lines`).

    A line is parsed and turned into its record, and its distribution freed, in one pause of
    the cyclic GC (never across a yield): a line is tens of thousands of small containers and no
    reference cycles, which the GC would otherwise walk at each collection while the record is
    built. A failed line, as `batch.read_results` reads it (an API error, no logprobs, a line
    that is not JSON or has no `custom_id`), is raised (`on_error="raise"`) or its `custom_id`
    appended to `skipped` (`label(number)` for a line without one, `"line 7"`).

    Raises:
        TokenprobsError: A failed line with `on_error="raise"` (`UnsupportedResponseError`: a
            line that is not a Batch output line, named by its number).
    """
    file_who = teacher.with_defaults(provider="openai")
    where = repr(os.fspath(path))
    for number, line in lines:
        with paused_gc():
            results = batch.line_results(line, number, where)
            records = []
            for cid, result in results:
                if isinstance(result, TokenprobsError):
                    name = cid or label(number)
                    if on_error == "raise":
                        which = f"line {cid!r}" if cid else name
                        result.add_note(f"Batch {which}; collect(on_error='skip') skips it")
                        raise result
                    skipped.append(name)
                    continue
                rid = _choice_id(cid, result, len(results))
                records.append(
                    _record(
                        result, teacher=file_who, body=bodies.get(cid), given_input=None, rid=rid
                    )
                )
            del results, result  # the line's objects go now, by their reference counts
        yield from records


def _choice_id(rid: str, d: TokenDistribution, choices: int) -> str:
    """A record's id: the source's, and `#k` after it for choice k when the source has several."""
    return f"{rid}#{d.choice}" if choices > 1 else rid


def warn_skipped(skipped: list[str], *, stacklevel: int = 2) -> None:
    """The one warning that counts the skipped Batch lines and names the first (if any)."""
    if skipped:
        warnings.warn(
            f"collect() skipped {len(skipped)} failed Batch line(s), the first {skipped[0]!r}",
            TokenprobsWarning,
            stacklevel=stacklevel,
        )
