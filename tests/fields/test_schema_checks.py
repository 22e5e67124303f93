"""A malformed keyword of a schema given to `fields` is a `SchemaError` naming where it is."""

from __future__ import annotations

import pytest

import tokenprobs as tp
from tokenprobs import fields, testing

D = tp.parse(testing.chat_completion([(c, -0.1, []) for c in '{"a": [true, 1]}']))


@pytest.mark.parametrize(
    ("schema", "match"),
    [
        pytest.param({"enum": 5}, "#/enum: enum is a list .*got an int", id="enum-int"),
        pytest.param({"type": 7}, "#/type: type is a type name .*got an int", id="type-int"),
        pytest.param({"type": []}, "#/type: .*non-empty list", id="type-empty"),
        pytest.param({"type": "bool"}, "#/type: 'bool' is no JSON Schema type", id="type-unknown"),
        pytest.param({"properties": []}, "#/properties: properties is a dict", id="props-list"),
        pytest.param({"items": "x"}, "#/items: a schema is a dict .*got a str", id="items-str"),
        pytest.param({"anyOf": {}}, "#/anyOf: anyOf is a non-empty list", id="anyof-dict"),
        pytest.param({"oneOf": []}, "#/oneOf: oneOf is a non-empty list", id="oneof-empty"),
        pytest.param({"allOf": "x"}, "#/allOf: allOf is a non-empty list", id="allof-str"),
        pytest.param({"prefixItems": {}}, "#/prefixItems: ", id="prefix-dict"),
        pytest.param({"additionalProperties": 3}, "#/additionalProperties: ", id="addl-int"),
        pytest.param({"$defs": 3}, r"#/\$defs: \$defs is a dict", id="defs-int"),
        pytest.param({"$ref": 5}, r"#/\$ref: \$ref is a str", id="ref-int"),
        pytest.param(
            {"properties": {"a": {"items": [{"enum": "x"}]}}},
            "#/properties/a/items/0/enum: ",
            id="nested-path",
        ),
        pytest.param(
            {"properties": {"a/b": {"type": 1}}}, "#/properties/a~1b/type: ", id="escaped-path"
        ),
    ],
)
def test_a_malformed_keyword_is_named_with_its_place(schema, match):
    """Each was ignored (the leaf read as unconstrained) or read wrongly; now refused up front."""
    with pytest.raises(fields.SchemaError, match=rf"^schema at {match}"):
        fields.confidence(D, schema=schema)


def test_a_malformed_response_format_schema_is_named():
    """The check runs on the schema inside a `response_format` too."""
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"enum": 5}}}
    with pytest.raises(fields.SchemaError, match=r"^schema at #/enum: "):
        fields.confidence(D, schema=fmt)


def test_draft7_items_list_is_read_as_prefix_items():
    """`items: [{...}]` (draft 7's tuple form) constrains the first item as `prefixItems` does."""
    members = [
        fields.confidence(D, schema={"properties": {"a": {key: [{"type": "boolean"}]}}})[
            ("a", 0)
        ].decision.members
        for key in ("items", "prefixItems")
    ]
    assert members == [{"true": True, "false": False}] * 2


def test_boolean_schemas_unknown_keywords_and_a_self_containing_dict_are_accepted():
    """`true` / `false` are schemas, an `x-` keyword is not read, and a cycle is no recursion."""
    loop: dict[str, object] = {"type": "object"}
    loop["properties"] = {"a": loop}
    for schema in [{"properties": {"a": True}, "additionalProperties": False, "x-foo": 3}, loop]:
        assert fields.confidence(D, schema=schema)[("a", 0)].value is True
