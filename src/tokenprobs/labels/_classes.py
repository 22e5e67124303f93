"""A label set as given: class names, each with its variants, every one checked to be a string.

`Labels(["yes", "no"])` is one variant per class (the name), `Labels({"yes": ["Yes", "y"]})`
the variants of each class; `given_classes` reads either into one shape, which `Labels` then
normalises.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from tokenprobs._said import a_value

__all__ = ["given_classes"]


def _not_text(n: int, name: object) -> str:
    """What is wrong with label `n`, which is no string."""
    return f"label {n} is {a_value(name)}, not a string: give each label as its text"


def _listed(names: list[object]) -> dict[object, object]:
    """A list of labels as classes of one variant each (the name), each label given once."""
    for n, name in enumerate(names):
        if not isinstance(name, str):
            raise TypeError(_not_text(n, name))
    given: dict[object, object] = {k: [k] for k in names}
    if len(given) != len(names):
        repeated = [k for k in given if names.count(k) > 1]
        msg = (
            f"labels {repeated} are given more than once: each label is one class, list it "
            "once (results have one column per label)"
        )
        raise ValueError(msg)
    return given


def given_classes(
    labels: Sequence[str] | Mapping[str, Sequence[str] | str],
) -> dict[str, list[str]]:
    """Each class name with its variants, every one checked to be a string.

    Raises:
        TypeError: The labels are one string, bytes, a set or no list or mapping; a label's
            variants are a mapping; a label name or a variant is not a string.
        ValueError: A label is given twice in a list.
    """
    whole: object = labels  # checked as a caller may pass anything
    if isinstance(whole, str | bytes):
        one = "string" if isinstance(whole, str) else "bytes"
        msg = f"labels must be a list of strings or a mapping, not one {one}"
        raise TypeError(msg)
    if not isinstance(whole, Iterable):
        msg = f"labels must be a list of strings or a mapping, got {a_value(whole)}"
        raise TypeError(msg)
    if isinstance(whole, set | frozenset):  # its order changes from run to run (hash seeds)
        msg = (
            f"labels must be a list of strings or a mapping, got a {type(whole).__name__}: its "
            "order changes from run to run, and the labels' order is the order of the columns "
            "(to_pandas, matrix()) and of ties; pass a list, e.g. sorted(labels)"
        )
        raise TypeError(msg)
    given: dict[object, object] = (
        dict(labels.items()) if isinstance(labels, Mapping) else _listed(list(labels))
    )
    classes: dict[str, list[str]] = {}
    for n, (name, vs) in enumerate(given.items()):
        if not isinstance(name, str):
            raise TypeError(_not_text(n, name))
        if isinstance(vs, str):
            vs = [vs]  # noqa: PLW2901 - one variant, as a list of one
        if isinstance(vs, bytes | Mapping) or not isinstance(vs, Iterable):
            got = f"one bytes ({vs!r})" if isinstance(vs, bytes) else a_value(vs)
            fix = (
                ": a mapping's keys would be read as the variants and its values dropped; pass "
                "the variants as a list (list(mapping) if they are its keys)"
                if isinstance(vs, Mapping)
                else ""
            )
            msg = (
                f"the variants of label {name!r} must be a string or a list of strings, got "
                f"{got}{fix}"
            )
            raise TypeError(msg)
        variants: list[object] = list(vs)
        wrong = [(j, v) for j, v in enumerate(variants) if not isinstance(v, str)]
        if wrong:
            j, v = wrong[0]
            msg = f"variant {j} of label {name!r} is {a_value(v)}, not a string"
            raise TypeError(msg)
        classes[str(name)] = [str(v) for v in variants]  # a numpy str_ as a plain str
    return classes
