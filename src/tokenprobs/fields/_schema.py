"""What a JSON Schema allows at a leaf: the finite set of values, when there is one.

Reads the subset Structured Outputs use: `properties`, `items`, `prefixItems`,
`additionalProperties`, local `$ref` (`#/$defs/...`, `#/definitions/...`), `anyOf` / `oneOf` /
`allOf`, `enum`, `const`, `type` (a name or a list: `["string", "null"]` is nullable), and
`boolean` / `null` types. A pydantic model class or a `response_format` dict (OpenAI's
`{"type": "json_schema", "json_schema": {"schema": ...}}`, llama-cpp-python's `{"type":
"json_object", "schema": ...}`) is accepted in place of the schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from tokenprobs._said import a_type, a_value
from tokenprobs.fields._errors import SchemaError
from tokenprobs.fields._numbers import same_value

__all__ = ["OPEN", "Schema"]

OPEN: None = None
"""`Schema.allowed` for a leaf whose values are not a finite set (free strings, numbers)."""

_MAX_DEPTH = 64
_MAX_BRANCHES = 256


def _unwrap(schema: object) -> Mapping[str, Any]:
    if isinstance(schema, type) and hasattr(schema, "model_json_schema"):
        out = schema.model_json_schema()
        if isinstance(out, Mapping):
            return out
    if isinstance(schema, Mapping):
        if schema.get("type") == "json_schema" and "json_schema" in schema:
            box = schema["json_schema"]
            inner = box.get("schema") if isinstance(box, Mapping) else None
            if isinstance(inner, Mapping):
                return inner
            if isinstance(box, Mapping) and inner is None:
                return {}  # a response_format without a schema constrains nothing
            msg = (
                "schema is a response_format whose json_schema.schema is no schema dict (got "
                f"{a_type(inner if isinstance(box, Mapping) else box)}): pass {{'type': "
                "'json_schema', 'json_schema': {'name': ..., 'schema': {...}}}, or the schema "
                "itself"
            )
            raise SchemaError(msg)
        inner = schema.get("schema")
        if schema.get("type") == "json_object" and isinstance(inner, Mapping):
            return inner  # llama-cpp-python's response_format
        return schema
    msg = (
        f"schema must be a JSON Schema dict, a pydantic model class or a response_format dict, "
        f"not {a_type(schema)}"
    )
    raise SchemaError(msg)


class Schema:
    """A JSON Schema, and the finite sets of values it allows at each leaf path (memoised)."""

    def __init__(self, schema: object, /) -> None:
        """Accept a schema dict, a pydantic model class or a `response_format` dict.

        Raises:
            SchemaError: If `schema` is none of those, or a keyword it reads is malformed
                (`{"enum": 5}`, `{"type": 7}`, `{"properties": []}`): the message gives the
                keyword's place in the schema (`#/properties/a/enum`) and what it must be.
        """
        self.root = _unwrap(schema)
        _check(self.root)
        self._memo: dict[tuple[object, ...], tuple[object, ...] | None] = {}

    def _ref(self, ref: str) -> Mapping[str, Any]:
        if not ref.startswith("#"):
            msg = f"only local $ref ('#/...') are read, not {ref!r}"
            raise SchemaError(msg)
        node: Any = self.root
        for part in ref.lstrip("#").strip("/").split("/") if ref != "#" else []:
            key = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or key not in node:
                msg = f"$ref {ref!r} names nothing in the schema"
                raise SchemaError(msg)
            node = node[key]
        if not isinstance(node, Mapping):
            msg = f"$ref {ref!r} is not a schema"
            raise SchemaError(msg)
        return node

    def _branches(self, node: Mapping[str, Any], depth: int = 0) -> list[Mapping[str, Any]]:
        """The alternatives a node stands for, with `$ref` and `anyOf`/`oneOf` expanded."""
        if depth > _MAX_DEPTH:
            return [{}]
        if "$ref" in node:
            target = self._ref(str(node["$ref"]))
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return self._branches({**target, **rest}, depth + 1)
        for key in ("anyOf", "oneOf"):
            if isinstance(node.get(key), list):
                return self._union(node, key, depth)
        if isinstance(node.get("allOf"), list):
            # every combination of the parts' alternatives: `allOf: [{anyOf: [A, null]}]` is A
            # or null, not A
            merged: list[dict[str, Any]] = [{k: v for k, v in node.items() if k != "allOf"}]
            for sub in node["allOf"]:
                if isinstance(sub, Mapping):
                    merged = [{**m, **b} for m in merged for b in self._branches(sub, depth + 1)]
                    if len(merged) > _MAX_BRANCHES:
                        return [{}]  # too many to read: nothing is assumed
            return [b for m in merged for b in self._branches(m, depth + 1)]
        return [node]

    def _union(self, node: Mapping[str, Any], key: str, depth: int) -> list[Mapping[str, Any]]:
        out: list[Mapping[str, Any]] = []
        rest = {k: v for k, v in node.items() if k != key}
        for sub in node[key]:
            if isinstance(sub, Mapping):
                out += self._branches({**rest, **sub}, depth + 1)
        return out

    def _children(self, node: Mapping[str, Any], step: str | int) -> list[Mapping[str, Any]]:
        out: list[Mapping[str, Any]] = []
        for b in self._branches(node):
            if isinstance(step, str):
                props = b.get("properties")
                if isinstance(props, Mapping) and isinstance(props.get(step), Mapping):
                    out.append(props[step])
                elif isinstance(b.get("additionalProperties"), Mapping):
                    out.append(b["additionalProperties"])
            else:
                prefix = b.get("prefixItems", b.get("items"))  # draft 7's tuple `items: [...]`
                if isinstance(prefix, list) and step < len(prefix):
                    out.append(prefix[step])
                elif isinstance(b.get("items"), Mapping):
                    out.append(b["items"])
        return out

    def allowed(self, path: tuple[str | int, ...], /) -> tuple[object, ...] | None:
        """The values the schema allows at `path`, when they are a finite set; else `None`.

        `None` also when the path is not described by the schema (nothing is assumed).
        """
        key = tuple((type(p).__name__, p) for p in path)
        if key in self._memo:
            return self._memo[key]
        nodes: list[Mapping[str, Any]] = [self.root]
        for step in path:
            nodes = [c for n in nodes for c in self._children(n, step)]
        out = self._finite(nodes) if nodes else None
        self._memo[key] = out
        return out

    def _finite(self, nodes: list[Mapping[str, Any]]) -> tuple[object, ...] | None:
        values: list[object] = []
        for n in nodes:
            for b in self._branches(n):
                got = _leaf_values(b)
                if got is None:
                    return None
                for v in got:  # a value listed twice (in one enum, or in two branches) once:
                    # by JSON Schema's equality (`100` and `100.0` are one, `1` and `true` two)
                    if not any(same_value(v, w) for w in values):
                        values.append(v)
        return tuple(values)


_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")
"""JSON Schema's type names."""

_ONE = ("items", "additionalProperties", "not", "if", "then", "else", "contains")
"""Keywords that hold one schema (`items` may also be draft 7's list of them)."""

_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
"""Keywords that hold a non-empty list of schemas."""

_MAPS = ("properties", "$defs", "definitions", "patternProperties")
"""Keywords that hold schemas by name."""


def _check(root: Mapping[str, Any]) -> None:
    """Refuse a malformed keyword of those `Schema` reads, naming where it is in the schema.

    A keyword the reader would skip (`{"enum": 5}`) made a value's set open, silently, and one
    it reads as something else (`{"anyOf": {}}`) gave a wrong answer; unknown keywords pass. The
    walk is iterative and visits each dict once, so a deep or self-containing dict is no
    `RecursionError`.
    """
    stack: list[tuple[str, object]] = [("#", root)]
    seen: set[int] = set()
    while stack:
        at, node = stack.pop()
        if isinstance(node, bool):
            continue  # `true` / `false` are schemas too (allow anything / nothing)
        if not isinstance(node, Mapping):
            _malformed(at, "a schema is a dict (or true / false)", node)
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack += _parts(at, node)


def _parts(at: str, node: Mapping[str, Any]) -> list[tuple[str, object]]:
    """The sub-schemas of `node` (at `at`), once its own keywords are checked."""
    _check_keywords(at, node)
    out: list[tuple[str, object]] = []
    for key in _ONE:
        if key in node:
            sub = node[key]
            if key == "items" and isinstance(sub, list):
                out += [(f"{at}/items/{i}", s) for i, s in enumerate(sub)]
            else:
                out.append((f"{at}/{_escaped(key)}", sub))
    for key in _LISTS:
        if key in node:
            subs = node[key]
            if not isinstance(subs, list) or not subs:
                _malformed(f"{at}/{key}", f"{key} is a non-empty list of schemas", subs)
            out += [(f"{at}/{key}/{i}", s) for i, s in enumerate(subs)]
    for key in _MAPS:
        if key in node:
            subs = node[key]
            if not isinstance(subs, Mapping):
                _malformed(f"{at}/{_escaped(key)}", f"{key} is a dict of names to schemas", subs)
            out += [(f"{at}/{_escaped(key)}/{_escaped(str(k))}", s) for k, s in subs.items()]
    return out


def _check_keywords(at: str, node: Mapping[str, Any]) -> None:
    """Refuse a malformed `enum`, `type` or `$ref` of `node`."""
    if "enum" in node and not isinstance(node["enum"], list):
        _malformed(f"{at}/enum", "enum is a list of the allowed values", node["enum"])
    if "type" in node:
        _check_type(f"{at}/type", node["type"])
    if "$ref" in node and not isinstance(node["$ref"], str):
        _malformed(f"{at}/$ref", "$ref is a str ('#/$defs/Name')", node["$ref"])


def _check_type(at: str, kinds: object) -> None:
    names = [kinds] if isinstance(kinds, str) else kinds
    if not isinstance(names, list) or not names or not all(isinstance(k, str) for k in names):
        _malformed(at, "type is a type name or a non-empty list of them", kinds)
    unknown = [k for k in names if k not in _TYPES]
    if unknown:
        msg = (
            f"schema at {at}: {unknown[0]!r} is no JSON Schema type; the types are "
            f"{', '.join(_TYPES)}"
        )
        raise SchemaError(msg)


def _escaped(key: str) -> str:
    """`key` as one step of a JSON pointer (RFC 6901: `~` and `/` escaped)."""
    return key.replace("~", "~0").replace("/", "~1")


def _malformed(at: str, rule: str, got: object) -> NoReturn:
    msg = f"schema at {at}: {rule}, got {a_value(got, width=60)}"
    raise SchemaError(msg)


def _leaf_values(b: Mapping[str, Any]) -> list[object] | None:
    if "const" in b:
        return [b["const"]]
    if isinstance(b.get("enum"), list):
        return list(b["enum"])
    kinds = b.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if not isinstance(kinds, list) or not kinds:
        return None
    out: list[object] = []
    for k in kinds:
        if k == "boolean":
            out += [True, False]
        elif k == "null":
            out.append(None)
        else:
            return None
    return out
