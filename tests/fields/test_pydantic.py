"""`fields.parse`: the user's model validated, confidences keyed by its field paths."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence  # noqa: TC003 - pydantic reads them at run time

import pytest
from pydantic import AliasChoices, AliasPath, BaseModel, Field, RootModel, ValidationError

import tokenprobs as tp
from tokenprobs import examples, fields
from tokenprobs.testing import chat_completion


class Event(BaseModel):
    """The model of the recorded Structured Outputs example."""

    name: str
    date: str
    participants: list[str]


class Line(BaseModel):
    """An invoice line, with an aliased field."""

    sku: str = Field(alias="SKU")
    qty: int


class Invoice(BaseModel):
    """A nested model: a list of models and an optional one."""

    kind: str
    lines: list[Line]
    extra: Line | None = None
    tags: dict[str, int] = {}


def test_parse_a_distribution():
    """The recorded answer validates and its leaves are keyed by the model's fields."""
    event, fc = fields.parse(examples.load("structured"), Event)
    assert event == Event(name="Science Fair", date="Friday", participants=["Alice", "Bob"])
    assert fc[("participants", 1)].value == "Bob"
    assert fc["date"].prob == pytest.approx(
        math.exp(fields.confidence(examples.load("structured"))["date"].logprob)
    )


def test_a_choice_of_a_distribution_is_refused_not_ignored():
    """A `TokenDistribution` is one choice already: `choice=1` would silently read choice 0."""
    d = examples.load("structured")
    assert isinstance(d, tp.TokenDistribution)
    with pytest.raises(ValueError, match=r"choice=1\): d is a TokenDistribution, one choice"):
        fields.parse(d, Event, choice=1)
    assert fields.parse(d, Event, choice=0)[0].name == "Science Fair"


def test_aliases_nested_models_lists_and_dicts():
    """JSON keys are read through aliases into field names, through lists, unions and dicts."""
    doc = '{"kind":"x","lines":[{"SKU":"a","qty":2}],"extra":{"SKU":"b","qty":3},"tags":{"SKU":1}}'
    d = tp.parse(chat_completion([(doc[:20], -0.1, []), (doc[20:], -0.2, [])]))
    invoice, fc = fields.parse(d, Invoice)
    assert invoice.lines[0].sku == "a"
    assert fc.paths() == [
        ("kind",),
        ("lines", 0, "sku"),
        ("lines", 0, "qty"),
        ("extra", "sku"),
        ("extra", "qty"),
        ("tags", "SKU"),  # a dict's key is data, not a field: kept
    ]
    assert fc[("lines", 0, "sku")].pointer == "/lines/0/SKU"
    assert fc[("lines", 0, "sku")].value == "a"


@pytest.mark.parametrize("choice", ["0", True, None, 0.0])
@pytest.mark.parametrize("given", ["distribution", "response"])
def test_a_choice_that_is_no_int_is_a_type_error(given, choice):
    """`choice="0"` of a distribution was "one choice already", `0.0` choice 0, `None` too."""
    d = examples.load("structured")
    obj = d if given == "distribution" else d.response
    with pytest.raises(TypeError, match=r"choice is a choice's index \(an int\), got "):
        fields.parse(obj, Event, choice=choice)


class Order(BaseModel):
    """Models inside abstract containers, and fields read by one of several names."""

    lines: Sequence[Line]
    by_sku: Mapping[str, Line]
    ref: str = Field(validation_alias=AliasChoices("orderRef", "ref_id"))
    note: str = Field(validation_alias=AliasPath("memo"))


@pytest.mark.parametrize(
    ("model", "doc", "paths"),
    [
        pytest.param(
            Order,
            '{"lines":[{"SKU":"a","qty":1}],"by_sku":{"a":{"SKU":"a","qty":1}},'
            '"ref_id":"r","memo":"m"}',
            [
                ("lines", 0, "sku"),
                ("lines", 0, "qty"),
                ("by_sku", "a", "sku"),
                ("by_sku", "a", "qty"),
                ("ref",),
                ("note",),
            ],
            id="sequence-mapping-alias-choices-one-step-alias-path",
        ),
        pytest.param(
            RootModel[list[Line]],
            '[{"SKU":"a","qty":1}]',
            [(0, "sku"), (0, "qty")],
            id="root-model",
        ),
    ],
)
def test_field_names_through_abstract_containers_root_models_and_alias_choices(model, doc, paths):
    """A `Sequence[Model]`, a `RootModel`, an `AliasChoices` key: read into field names too."""
    d = tp.parse(chat_completion([(doc, -0.1, [])]))
    instance, fc = fields.parse(d, model)
    assert instance == model.model_validate_json(doc)
    assert fc.paths() == paths


def test_invalid_output_is_pydantic_validation_error():
    """JSON that does not validate raises pydantic's own error."""
    d = tp.parse(chat_completion([('{"name": 1}', -0.1, [])]))
    with pytest.raises(ValidationError):
        fields.parse(d, Event)


def test_sdk_parse_result(api, openai_client):
    """`client.chat.completions.parse(...)` (the real SDK over a mocked transport) is accepted."""
    body = json.loads(examples.raw("structured"))
    api.post("/chat/completions").respond(json=body)
    completion = openai_client.chat.completions.parse(
        model="gpt-4o-2024-08-06",
        messages=[{"role": "user", "content": "Extract the event"}],
        response_format=Event,
        logprobs=True,
    )
    event, fc = fields.parse(completion, Event)
    assert event is completion.choices[0].message.parsed
    assert [f.value for f in fc] == ["Science Fair", "Friday", "Alice", "Bob"]
    assert fc["date"].logprob == pytest.approx(
        sum(t.logprob for t in completion.choices[0].logprobs.content[7:10])
    )
