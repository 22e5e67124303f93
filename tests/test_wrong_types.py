"""A wrong type at a public door is a TypeError or ValueError naming it, not an AttributeError."""

from __future__ import annotations

import asyncio
import math

import numpy as np
import openai
import pytest

import tokenprobs as tp
from tokenprobs import fields, proxy, testing

D = tp.parse(testing.chat_completion([("a", -0.1, [("a", -0.1), ("b", -2.5)])]))
BODY = testing.chat_completion([("a", -0.1, [("a", -0.1), ("b", -2.5)])])
JSON = tp.parse(testing.chat_completion([(c, -0.1, []) for c in '{"a": 1}']))


def _accumulated() -> tp.StreamAccumulator:
    acc = tp.StreamAccumulator()
    for chunk in testing.chat_chunks([("a", -0.1, [])]):
        acc.feed(chunk)
    return acc


def _candidates(**wrong: object) -> tp.models.Candidates:
    """`Candidates.of` on `D`'s columns, with `wrong` in place of some."""
    columns: dict[str, object] = {
        "tokens": D.tokens,
        "token_bytes": D.token_bytes,
        "logprobs": D.logprobs,
        "top_tokens": D.top_tokens,
        "top_bytes": D.top_bytes,
        "top_logprobs": D.top_logprobs,
    }
    return tp.models.Candidates.of(**{**columns, **wrong})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("wrong", "error", "match"),
    [
        pytest.param({"top_logprobs": None}, TypeError, "top_logprobs .*got None", id="top-none"),
        pytest.param(
            {"top_logprobs": [[-0.1, -2.5]]}, None, "", id="top-list"
        ),  # an array-like is an array
        pytest.param({"top_logprobs": [[-0.1]]}, ValueError, "1 columns", id="top-narrow"),
        pytest.param(
            {"top_logprobs": [[-0.1, math.inf]]},
            ValueError,
            r"top_logprobs\[0, 1\] is \+inf",
            id="top-posinf",
        ),  # was named `logprobs` at an index of the candidate set
        pytest.param(
            {"logprobs": [math.inf]}, ValueError, r"logprobs\[0\] is \+inf", id="posinf"
        ),  # was accepted: the sampled token's value is read from its alternative
        pytest.param({"top_logprobs": [-0.1]}, ValueError, r"shape \(1, K\)", id="top-1d"),
        pytest.param(
            {"top_logprobs": [[-0.1, -2.5, -1.0]]}, ValueError, "-inf past", id="top-padding"
        ),
        pytest.param({"top_bytes": []}, ValueError, "top_bytes has 0 rows", id="top_bytes-empty"),
        pytest.param({"top_bytes": {}}, TypeError, "top_bytes must be a list", id="top_bytes-dict"),
        pytest.param({"tokens": "a"}, TypeError, r"tokens must be a list of str", id="tokens-str"),
        pytest.param({"top_tokens": [[1, 2]]}, TypeError, r"top_tokens\[0\]", id="top_tokens-int"),
        pytest.param({"token_bytes": [[300]]}, TypeError, "byte values", id="token_bytes-300"),
        pytest.param({"logprobs": "x"}, TypeError, "logprobs must be an array", id="logprobs-str"),
    ],
)
def test_candidates_of_names_a_wrong_column(wrong, error, match):
    """`Candidates.of` names the column that is wrong (was an AttributeError or IndexError)."""
    if error is None:
        assert _candidates(**wrong).row(0) == D.candidates.row(0)
        return
    with pytest.raises(error, match=rf"^Candidates.of: .*{match}"):
        _candidates(**wrong)


def _field_confidences(**wrong: object) -> fields.FieldConfidences:
    """`FieldConfidences` of `JSON`'s leaves built by hand, with `wrong` in place of some parts."""
    fc = fields.confidence(JSON)
    parts: dict[str, object] = {
        "leaves": list(fc),
        "distribution": fc.distribution,
        "document": fc.document,
        "text": fc.text,
        **wrong,
    }
    return fields.FieldConfidences(parts.pop("leaves"), **parts)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("wrong", "error", "match"),
    [
        pytest.param({"leaves": "x"}, TypeError, "leaves must be a list of Fi", id="leaves-str"),
        pytest.param({"leaves": [None]}, TypeError, "got None", id="leaves-none"),
        pytest.param({"distribution": BODY}, TypeError, "distribution must be", id="dist-body"),
        pytest.param({"text": ["{}"]}, TypeError, "text must be the content", id="text-list"),
        pytest.param({"document": [0, 8]}, TypeError, r"\(start, end\) tuple", id="doc-list"),
        pytest.param({"document": (5, 1)}, ValueError, "not a span of text", id="doc-reversed"),
        pytest.param(
            {"text": "{}", "document": (0, 2)}, ValueError, "another output", id="leaf-outside-text"
        ),
        pytest.param({"distribution": D}, ValueError, "another output", id="leaf-outside-dist"),
    ],
)
def test_field_confidences_built_by_hand_names_a_wrong_part(wrong, error, match):
    """A wrong part of a hand-built `FieldConfidences` is named (was an AttributeError later)."""
    with pytest.raises(error, match=rf"^FieldConfidences: .*{match}"):
        _field_confidences(**wrong)


def test_field_confidences_built_by_hand_reads_as_the_original():
    """The same parts by hand give the leaves `fields.confidence` gave."""
    assert _field_confidences().paths() == fields.confidence(JSON).paths() == [("a",)]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        pytest.param(lambda: tp.compare(BODY, D), TypeError, "compare", id="compare-body"),
        pytest.param(
            lambda: tp.adapters.chat.parse_choices(BODY, choice=None, table=[b"x"]),
            tp.UnsupportedResponseError,
            "leave `table` out",
            id="chat-table",
        ),
        pytest.param(
            lambda: tp.guards.server_capabilities(3),  # type: ignore[arg-type]
            TypeError,
            "base_url is the client's base URL, a str or None .*got an int",
            id="server_capabilities-int",
        ),
        pytest.param(
            lambda: tp.guards.servers_that("echo"),
            ValueError,
            "'echo' is no capability; the capabilities are .*echo_logprobs",
            id="servers_that-unknown",
        ),
        pytest.param(
            lambda: proxy.DenseLogprobs.from_logits([[1.0, 2.0]], [b"a", b"b"]).top(None, 1),  # type: ignore[arg-type]
            TypeError,
            "a position is an integer .*not None",
            id="dense-top-none",
        ),
        pytest.param(
            lambda: proxy.DenseLogprobs.from_logits([[1.0, 2.0]], [b"a", b"b"]).top(3, 1),
            IndexError,
            "position 3 out of range for 1 tokens",
            id="dense-top-past",
        ),
        pytest.param(
            lambda: tp.adapters.parse_sse(None),  # type: ignore[arg-type]
            TypeError,
            r"^parse_sse\(\) reads an SSE body as a str, got None",
            id="parse_sse-none",
        ),
        pytest.param(
            lambda: tp.adapters.parse_sse(b"data: {}"),  # type: ignore[arg-type]
            TypeError,
            "got a bytes .*decode",
            id="parse_sse-bytes",
        ),
        pytest.param(
            lambda: tp.adapters.stream.looks_like_sse(3),  # type: ignore[arg-type]
            TypeError,
            r"^looks_like_sse\(\) .*got an int",
            id="looks_like_sse-int",
        ),
        pytest.param(lambda: tp.compare(D, [D]), TypeError, "got a list", id="compare-list"),
        pytest.param(lambda: tp.render.to_html(BODY), TypeError, "to_html", id="to_html-body"),
        pytest.param(lambda: tp.render.to_text(None), TypeError, "to_text", id="to_text-none"),
        pytest.param(lambda: proxy.combine(BODY, D, D), TypeError, "combine", id="combine-body"),
        pytest.param(lambda: proxy.combine(D, "x", D), TypeError, "expert", id="combine-expert"),
        pytest.param(lambda: proxy.combine(D, D, D, floor=5.0), ValueError, "floor", id="floor"),
        pytest.param(
            lambda: proxy.combine(D, D, D, floor=float("nan")), ValueError, "floor", id="floor-nan"
        ),
        pytest.param(
            lambda: tp.check_request("chat.completions", None),  # type: ignore[arg-type]
            TypeError,
            "params is the mapping",
            id="check_request-none",
        ),
        pytest.param(lambda: tp.parse(BODY, choice="0"), TypeError, "choice", id="choice-str"),
        pytest.param(lambda: tp.parse(BODY, choice=True), TypeError, "choice", id="choice-bool"),
        pytest.param(lambda: fields.parse(JSON, None), TypeError, "pydantic", id="fields-model"),
        pytest.param(lambda: fields.confidence(JSON)[None], TypeError, "leaf", id="fields-key"),
        pytest.param(lambda: tp.metrics.entropy(3.0), ValueError, "a scalar", id="metric-scalar"),
        pytest.param(
            lambda: tp.metrics.tail_mass([[-1.0]], axis=2), ValueError, "axis=2", id="metric-axis"
        ),
        pytest.param(
            lambda: proxy.DenseLogprobs.from_logits([[float("nan"), 1.0]], [b"a", b"b"]),
            ValueError,
            "position 0 hold NaN",
            id="logits-nan",
        ),
        pytest.param(
            lambda: proxy.DenseLogprobs.from_logits([[-np.inf, -np.inf]], [b"a", b"b"]),
            ValueError,
            "no finite value",
            id="logits-all-masked",
        ),
        pytest.param(lambda: _accumulated().distribution("0"), TypeError, "choice", id="stream"),
        pytest.param(
            lambda: tp.guards.resolve_model(None),  # type: ignore[arg-type]
            TypeError,
            "model is a model's name, got None",
            id="resolve_model-none",
        ),
        pytest.param(
            lambda: tp.score("hi", model=3),  # type: ignore[arg-type]
            TypeError,
            r"model is a model's name, got an int",
            id="score-model-int",
        ),
        pytest.param(
            lambda: tp.guards.render_markdown("openai"),  # type: ignore[arg-type]
            TypeError,
            "mapping of names to GuardProfiles .*got a str",
            id="render_markdown-str",
        ),
        pytest.param(
            lambda: tp.guards.render_markdown({"a": None}),  # type: ignore[dict-item]
            TypeError,
            "got a mapping holding None",
            id="render_markdown-none",
        ),
    ],
)
def test_a_wrong_type_is_named(call, error, match):
    """Each call fails with the error type and a message that names what was wrong."""
    with pytest.raises(error, match=match):
        call()


def test_server_capabilities_reads_a_url_object_as_its_text():
    """`client.base_url` (a URL object) is read as `str(client.base_url)` is."""
    url = openai.OpenAI(api_key="sk-test-0000", base_url="http://localhost:8000/v1").base_url
    assert tp.guards.server_capabilities(url) == tp.guards.server_capabilities(str(url))


def test_a_numpy_integer_is_a_choice():
    """`choice=np.int64(0)` is an index like `0`."""
    assert tp.parse(BODY, choice=np.int64(0)) == tp.parse(BODY, choice=0)


def _flagged(call: str, value: object) -> object:
    """Run `call` with `value` for its flag, against a port nothing listens on."""
    url = "http://127.0.0.1:9/v1"
    if call == "stream":
        client = openai.OpenAI(api_key="sk-test-0000", base_url=url)
        return tp.get_token_distribution("x", model="m", client=client, stream=value)
    if call == "progress":
        client = openai.OpenAI(api_key="sk-test-0000", base_url=url)
        return tp.get_token_distributions(["x"], model="m", client=client, progress=value)
    aclient = openai.AsyncOpenAI(api_key="sk-test-0000", base_url=url)
    return asyncio.run(tp.aget_token_distribution("x", model="m", client=aclient, stream=value))


@pytest.mark.parametrize("value", ["no", None, 0])
@pytest.mark.parametrize("call", ["stream", "progress", "async stream"])
def test_a_flag_that_is_no_bool_is_refused_before_any_request(call, value):
    """`stream="no"` is truthy: it streamed; `progress="no"` drew the bar. Now a TypeError."""
    name = call.removeprefix("async ")
    with pytest.raises(TypeError, match=rf"^`{name}` must be True or False .*got "):
        _flagged(call, value)


REC = tp.distill.KDRecord.from_distribution(D, teacher=tp.distill.Teacher(model="m"))


@pytest.mark.parametrize("value", [[], {}, np.array(["raw", "raw"])], ids=["list", "dict", "array"])
@pytest.mark.parametrize(
    ("call", "match"),
    [
        pytest.param(lambda v: tp.check_request(v, {}), "endpoint must be one of", id="endpoint"),
        pytest.param(
            lambda v: tp.check_request("chat.completions", {}, mode=v),
            "mode must be one of",
            id="mode",
        ),
        pytest.param(
            lambda v: tp.metrics.ece([[0.8, 0.2]], [0], binning=v), "binning must be", id="binning"
        ),
        pytest.param(lambda v: tp.parse(BODY, part=v), "part must be", id="part"),
        pytest.param(
            lambda v: tp.distill.to_arrays(REC, k=1, tail=v), "tail must be", id="distill-tail"
        ),
        pytest.param(
            lambda v: tp.distill.to_axolotl(REC, k=1, layout=v), "layout must be", id="layout"
        ),
        pytest.param(
            lambda v: list(tp.distill.collect([BODY], on_error=v)), "on_error is", id="on_error"
        ),
    ],
)
def test_an_option_given_a_list_or_array_names_the_choices(call, value, match):
    """Was "unhashable type: 'list'" or numpy's "truth value ... is ambiguous"."""
    with pytest.raises(ValueError, match=match):
        call(value)


@pytest.mark.parametrize("value", ["no", 1, np.zeros(3)], ids=["str", "int", "array"])
def test_keepdims_must_be_a_bool(value):
    """`keepdims="no"` kept the axis (a truthy str); an array failed inside numpy."""
    with pytest.raises(TypeError, match=r"^`keepdims` must be True or False"):
        tp.metrics.entropy([[-0.1, -2.5]], keepdims=value)


VLLM = testing.vllm_token_ids(
    testing.chat_completion([("a", -0.1, [("a", -0.1), ("b", -2.0)])]), {"a": 1, "b": 2}
)


@pytest.mark.parametrize("ids", [3, "12", {1: 2}], ids=["int", "str", "dict"])
def test_logprob_token_ids_that_are_no_list_are_named(ids):
    """`logprob_token_ids=3` was "'int' object is not iterable"; a str was read as its digits."""
    with pytest.raises(tp.UnsupportedResponseError, match="logprob_token_ids is the list of"):
        tp.parse(VLLM, logprob_token_ids=ids)


def test_logprob_token_ids_may_be_a_numpy_array():
    """An array of ids (numpy integers) is read as the list of ints it holds."""
    with pytest.warns(tp.TokenprobsWarning):
        got = tp.parse(VLLM, logprob_token_ids=np.array([1, 2])).requested_logprobs
    assert got.tolist() == [[-0.1, -2.0]]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        pytest.param(
            lambda p: tp.distill.write_jsonl(REC, p), r"list of KDRecords; for one record pass \["
        ),
        pytest.param(lambda p: tp.distill.write_jsonl(None, p), "iterable of KDRecords .*got None"),
        pytest.param(lambda p: tp.distill.write_parquet(3, p), "iterable of KDRecords .*an int"),
        pytest.param(
            lambda p: tp.distill.write_axolotl("ab", p, k=1), "iterable of KDRecords .*a str"
        ),
        pytest.param(lambda _: tp.ChoiceScores.of(None, [D]), "choices is a list, got None"),
        pytest.param(lambda _: tp.ChoiceScores.of(["a"], D), "distributions is a list; for one"),
        pytest.param(lambda _: tp.Labels(["a", "b"]).probs_many(3), "probs_many takes a list"),
    ],
    ids=["jsonl-one", "jsonl-none", "parquet-int", "axolotl-str", "choices", "dists", "probs_many"],
)
def test_a_list_argument_given_no_list_is_named(call, match, tmp_path):
    """Was "'NoneType' object is not iterable" (or read a record's fields); nothing is written."""
    with pytest.raises(TypeError, match=match):
        call(tmp_path / "out")
    assert not (tmp_path / "out").exists()


async def _chunks():
    for chunk in testing.chat_chunks([("a", -0.1, [])]):
        yield chunk


@pytest.mark.parametrize(
    ("call", "match"),
    [
        pytest.param(lambda: tp.DistributionStream(None), "got None$", id="sync-none"),
        pytest.param(
            lambda: tp.DistributionStream(_chunks()), "wrap it in AsyncDistributionStream", id="a"
        ),
        pytest.param(
            lambda: tp.AsyncDistributionStream(testing.chat_chunks([("a", -0.1, [])])),
            r"got a list \(a sync stream: wrap it in DistributionStream\)",
            id="async-list",
        ),
    ],
)
def test_a_stream_wrapper_names_what_it_was_given(call, match):
    """Was "'NoneType' object is not iterable" (an async stream: "... is not iterable" too)."""
    with pytest.raises(TypeError, match=match):
        call()


@pytest.mark.parametrize(
    ("call", "match"),
    [
        pytest.param(lambda: tp.render.visible(None), "visible: token is a str, got None", id="v"),
        pytest.param(lambda: tp.render.visible(["a"]), r"got a list \(\['a'\]\)", id="v-list"),
        pytest.param(lambda: tp.render.visible("a", keep=None), "keep is a str", id="keep"),
        pytest.param(lambda: tp.render.plural(None, "token"), "n is the count", id="plural-n"),
        pytest.param(lambda: tp.render.plural(2, 3), "noun is the word", id="plural-noun"),
    ],
)
def test_the_render_helpers_name_a_wrong_argument(call, match):
    """Was "'NoneType' object is not iterable", "unhashable type: 'list'" or a format error."""
    with pytest.raises(TypeError, match=match):
        call()


@pytest.mark.parametrize(
    ("seed", "error"),
    [(2.5, TypeError), ("x", TypeError), (True, TypeError), (-1, ValueError)],
    ids=["float", "str", "bool", "negative"],
)
def test_ece_interval_names_a_wrong_seed(seed, error):
    """Was numpy's "SeedSequence expects int or sequence of ints" (True drew as seed 1)."""
    with pytest.raises(error, match=r"^seed is an int >= 0, a numpy Generator or None"):
        tp.metrics.ece_interval([[0.8, 0.2], [0.3, 0.7]], [0, 1], n_resamples=10, seed=seed)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        pytest.param(lambda v: tp.metrics.renormalize([-0.1, -2.0], log=v), "log", id="log"),
        pytest.param(lambda v: _accumulated().distribution(incomplete=v), "incomplete", id="inc"),
        pytest.param(lambda v: testing.chat_completion([], refusal=v), "refusal", id="refusal"),
        pytest.param(lambda v: testing.chat_chunks([], usage=v), "usage", id="usage"),
        pytest.param(lambda v: testing.response_events([], rounded=v), "rounded", id="rounded"),
        pytest.param(lambda v: testing.sse([], done=v), "done", id="done"),
    ],
)
def test_a_flag_given_a_str_is_refused(call, name):
    """`log="no"` returned logprobs (a truthy str); an array failed with numpy's ambiguity."""
    for value in ("no", np.zeros(3)):
        with pytest.raises(TypeError, match=rf"^`{name}` must be True(, False or None| or False)"):
            call(value)


@pytest.mark.parametrize("value", ["x", {}, [["a", "b"]]], ids=["str", "dict", "strings"])
def test_a_table_of_no_numbers_is_named(value):
    """Was numpy's "could not convert string to float: 'x'" or its float() error."""
    with pytest.raises(TypeError, match=r"^logits must be an array-like of real numbers"):
        proxy.DenseLogprobs.from_logits(value, [b"a", b"b"])
    targets = tp.distill.to_arrays(REC, k=1, vocab=tp.distill.StudentVocab({b"a": 0, b"b": 1}))
    with pytest.raises(TypeError, match=r"^student_logprobs must be an array-like of real"):
        tp.distill.topk_loss(value, targets)


COLUMNS: dict[str, object] = {
    "source": "chat",
    "tokens": ["a"],
    "token_bytes": [None],
    "logprobs": [-0.1],
    "top_tokens": [["a"]],
    "top_bytes": [[None]],
    "top_logprobs_flat": [-0.1],
}


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        pytest.param({"source": None}, "source is the response's kind", id="source"),
        pytest.param({"tokens": "a"}, "tokens is a list with one entry per token", id="tokens"),
        pytest.param({"logprobs": None}, "logprobs is a list .*got None", id="logprobs"),
        pytest.param({"top_tokens": [3]}, r"top_tokens\[0\] is the list of", id="top-row"),
        pytest.param({"top_logprobs_flat": ["x"]}, "top_logprobs_flat must be an", id="flat"),
    ],
)
def test_from_columns_names_a_column_of_the_wrong_type(wrong, match):
    """Was "object of type 'NoneType' has no len()" or numpy's float conversion error."""
    with pytest.raises(TypeError, match=match):
        tp.TokenDistribution.from_columns(**{**COLUMNS, **wrong})  # type: ignore[arg-type]


def test_from_columns_builds_from_lists():
    """The same columns, well typed, build the distribution."""
    assert tp.TokenDistribution.from_columns(**COLUMNS).tokens == ["a"]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        pytest.param(
            lambda: tp.distill.Teacher(logprob_semantics=np.zeros(3)),  # type: ignore[arg-type]
            tp.distill.DistillError,
            "logprob_semantics must be one of",
            id="teacher-semantics",
        ),
        pytest.param(
            lambda: tp.labels.expected_score(D, at=np.zeros(3)),  # type: ignore[arg-type]
            TypeError,
            "at must be an int, got an ndarray",
            id="expected-score-at",
        ),
        pytest.param(
            lambda: tp.guards.detected_server(np.array(["x"])),  # type: ignore[arg-type]
            TypeError,
            "base_url is a str or None",
            id="detected-server-array",
        ),
    ],
)
def test_an_array_where_a_name_belongs_is_named(call, error, match):
    """Each failed with numpy's "truth value ... is ambiguous" or "unhashable type"."""
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("option", ["top_logprobs", "temperature", "stop"])
def test_a_numpy_array_in_a_request_is_named_before_it_is_sent(option, tmp_path):
    """Was the SDK's (or json's) "Object of type ndarray is not JSON serializable"."""
    value = {"top_logprobs": np.array([2]), "temperature": np.array([0.5])}.get(
        option, np.array(["x"])
    )
    with pytest.raises(TypeError, match=rf"^{option} is a numpy.ndarray, .*{option}.tolist\(\)"):
        tp.batch.write_requests(
            tmp_path / "r.jsonl", ["hi"], model="gpt-4o-mini", **{option: value}
        )
    client = openai.OpenAI(api_key="sk-test-0000", base_url="http://127.0.0.1:9/v1", max_retries=0)
    with pytest.raises(TypeError, match=rf"^{option} is a numpy.ndarray"):
        tp.get_token_distribution("hi", model="gpt-4o-mini", client=client, **{option: value})


@pytest.mark.parametrize(
    ("call", "match"),
    [
        pytest.param(lambda: tp.distill.read_parquet(None), "read_parquet reads a folder", id="pq"),
        pytest.param(lambda: tp.distill.read_parquet([3]), "each file is a str or Path", id="pq3"),
        pytest.param(
            lambda: tp.client.build_params(
                "hi", model="m", top_logprobs=1, endpoint="chat.completions", create_kwargs=None
            ),
            "create_kwargs is a mapping",
            id="build_params",
        ),
        pytest.param(
            lambda: tp.labels.LabelResults(None, labels=("a",)), "wraps a list", id="results"
        ),
        pytest.param(
            lambda: tp.labels.LabelResults([], labels=["a"]), "labels is the tuple", id="labels"
        ),
        pytest.param(
            lambda: tp.guards.servers_that(np.zeros(3)), "capability is a field's name", id="cap"
        ),
    ],
)
def test_a_container_of_the_wrong_kind_is_named(call, match):
    """Was "'NoneType' object is not iterable", numpy's ambiguity, or accepted as it was."""
    with pytest.raises(TypeError, match=match):
        list(call())


@pytest.mark.parametrize("base_url", [3, float("nan"), ["http://x"]], ids=["int", "nan", "list"])
def test_a_base_url_that_is_no_url_is_named(base_url):
    """`base_url=3` was read as the text "3": the "compatible" rules, silently."""
    params = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(TypeError, match=r"^base_url is the client's base URL, a str"):
        tp.check_request("chat.completions", params, base_url=base_url)
    with pytest.raises(TypeError, match=r"^base_url is the client's base URL"):
        tp.guards.select_profile(base_url)


def test_select_profile_reads_client_base_url():
    """`client.base_url` (a URL object) selects as its text does."""
    url = openai.OpenAI(api_key="sk-test-0000", base_url="https://api.openai.com/v1").base_url
    assert tp.guards.select_profile(url).name == tp.guards.select_profile(str(url)).name


@pytest.mark.parametrize("choice", [np.zeros(3), "0", 2.5], ids=["array", "str", "float"])
def test_the_adapters_parse_choices_name_a_choice_that_is_no_int(choice):
    """An array was numpy's "truth value ... is ambiguous"; "0" was "there is no choice '0'"."""
    with pytest.raises(TypeError, match=r"^choice is a choice's index \(an int\)"):
        tp.adapters.chat.parse_choices(BODY, choice=choice)
    with pytest.raises(TypeError, match=r"^choice is a choice's index \(an int\)"):
        tp.adapters.completions.parse_choices(testing.completion([("a", -0.1, [])]), choice=choice)
