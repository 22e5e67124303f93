from __future__ import annotations

import pathlib
import warnings

import openai
import pytest

import tokenprobs
from tokenprobs import guards
from tokenprobs.guards import check_request

OPENAI_VERSION = tuple(int(p) for p in openai.__version__.split(".")[:2])
DOC = pathlib.Path(__file__).parents[1] / "docs" / "guards.md"
INCLUDE = "message.output_text.logprobs"
SUPPORTED = (
    "'file_search_call.results', 'web_search_call.results', 'web_search_call.action.sources', "
    "'message.input_image.image_url', 'computer_call_output.output.image_url', "
    "'code_interpreter_call.outputs', 'reasoning.encrypted_content', and "
    "'message.output_text.logprobs'"
)
CAP20 = "Invalid value for 'top_logprobs': must be less than or equal to 20."
CAP5 = "Invalid value for 'top_logprobs': must be less than or equal to 5."
BELOW = (
    "Invalid 'top_logprobs': integer below minimum value. Expected a value >= 0, but got -1 "
    "instead."
)
TYPE = "Invalid type for 'top_logprobs': expected an integer, but got {} instead."
WITHOUT = "The 'top_logprobs' parameter is only allowed when 'logprobs' is enabled."
UNSUPPORTED = "Unsupported parameter: 'logprobs' is not supported with this model."
REASONING = "logprobs are not supported with reasoning models."
STREAM_OPTIONS = "The 'stream_options' parameter is only allowed when 'stream' is enabled."
ECHO = "Setting 'echo' and 'logprobs' at the same time is not supported for this model."
VLLM_CAP = (
    "Requested sample logprobs of {0}, which is greater than max allowed: 20 "
    "(parameter=logprobs, value={0})"
)
VLLM_WITHOUT = "when using `top_logprobs`, `logprobs` must be set to true. (parameter=top_logprobs)"
VLLM_PROMPT_CAP = (
    "Requested prompt logprobs of {0}, which is greater than max allowed: 20 "
    "(parameter=prompt_logprobs, value={0})"
)
LLAMA_GE0 = (
    "1 validation error:\n  {{'type': 'greater_than_equal', 'loc': ('body', '{0}'), "
    "'msg': 'Input should be greater than or equal to 0', 'input': -1, 'ctx': {{'ge': 0}}}}"
)
LLAMA_BOOL = (
    "1 validation error:\n  {'type': 'bool_parsing', 'loc': ('body', 'logprobs'), "
    "'msg': 'Input should be a valid boolean, unable to interpret input', 'input': 3}"
)


def err(status, message, param=None, code=None, type_="invalid_request_error"):
    """The expected `(status, inner body)` of the server's answer."""
    return status, {"message": message, "type": type_, "param": param, "code": code}


def case(rule, endpoint, params, expected, *, variant="", profile=None, register=None):
    """One table row: a request that fires `rule`, with the server's answer."""
    return pytest.param(
        rule,
        endpoint,
        params,
        expected,
        {"profile": profile, "register": register},
        id=rule + (f"-{variant}" * bool(variant)),
    )


CHAT, RESP, COMPL = "chat.completions", "responses", "completions"
CASES = [
    case(
        "chat.stream_options.without_stream",
        CHAT,
        {"model": "gpt-4o", "logprobs": True, "stream_options": {"include_usage": True}},
        err(400, STREAM_OPTIONS, "stream_options"),
    ),
    case(
        "chat.stream_options.without_stream",
        CHAT,
        {"model": "o1-mini", "stream": False, "stream_options": {"include_usage": True}},
        err(400, STREAM_OPTIONS, "stream_options"),
        variant="stream-false",
    ),
    case(
        "chat.logprobs.type",
        CHAT,
        {"model": "gpt-4o", "logprobs": 5},
        err(
            400,
            "Invalid type for 'logprobs': expected a boolean, but got an integer instead.",
            "logprobs",
            "invalid_type",
        ),
    ),
    case(
        "chat.top_logprobs.type",
        CHAT,
        {"model": "gpt-4o", "logprobs": True, "top_logprobs": "3"},
        err(400, TYPE.format("a string"), "top_logprobs", "invalid_type"),
    ),
    case(
        "chat.top_logprobs.type",
        CHAT,
        {"model": "gpt-4o", "logprobs": True, "top_logprobs": 2.5},
        err(400, TYPE.format("a decimal number"), "top_logprobs", "invalid_type"),
        variant="decimal",
    ),
    case(
        "chat.top_logprobs.type",
        CHAT,
        {"model": "gpt-4o", "logprobs": True, "top_logprobs": True},
        err(400, TYPE.format("a boolean"), "top_logprobs", "invalid_type"),
        variant="bool",
    ),
    case(
        "chat.top_logprobs.below_min",
        CHAT,
        {"model": "gpt-4o", "logprobs": True, "top_logprobs": -1},
        err(400, BELOW, "top_logprobs", "integer_below_min_value"),
    ),
    case(
        "chat.top_logprobs.above_cap",
        CHAT,
        {"model": "gpt-5.4", "reasoning_effort": "none", "logprobs": True, "top_logprobs": 6},
        err(400, CAP5, "top_logprobs"),
    ),
    case(
        "chat.top_logprobs.above_max",
        CHAT,
        {"model": "gpt-4o", "logprobs": True, "top_logprobs": 21},
        err(400, CAP20, "top_logprobs"),
    ),
    case(
        "chat.top_logprobs.above_max",
        CHAT,
        {"model": "ft:gpt-4o-mini-2024-07-18:acme::abc123", "logprobs": True, "top_logprobs": 25},
        err(400, CAP20, "top_logprobs"),
        variant="fine-tune",
    ),
    case(
        "chat.top_logprobs.above_max",
        CHAT,
        {"model": "my-azure-deployment", "logprobs": True, "top_logprobs": 25},
        err(400, CAP20, "top_logprobs"),
        variant="unknown-model",
    ),
    case(
        "chat.top_logprobs.above_max",
        CHAT,
        {"model": "gpt-4o", "top_logprobs": 25},
        err(400, CAP20, "top_logprobs"),
        variant="before-logprobs-check",
    ),
    case(
        "chat.top_logprobs.without_logprobs",
        CHAT,
        {"model": "gpt-4o", "top_logprobs": 5},
        err(400, WITHOUT, "top_logprobs"),
    ),
    case(
        "chat.top_logprobs.without_logprobs",
        CHAT,
        {"model": "gpt-4o", "logprobs": False, "top_logprobs": 0},
        err(400, WITHOUT, "top_logprobs"),
        variant="false",
    ),
    case(
        "chat.logprobs.forbidden",
        CHAT,
        {"model": "o4-mini", "logprobs": True},
        err(403, "You are not allowed to request logprobs from this model"),
    ),
    case(
        "chat.logprobs.forbidden",
        CHAT,
        {"model": "o1", "logprobs": True},
        err(403, "You are not allowed to request logprobs from this model"),
        variant="o-series-bare",
    ),
    case(
        "chat.logprobs.forbidden",
        CHAT,
        {"model": "ft:o4-mini-2025-04-16:acme::abc123", "logprobs": True},
        err(403, "You are not allowed to request logprobs from this model"),
        variant="o-series-fine-tune",
    ),
    case(
        "chat.logprobs.forbidden",
        CHAT,
        {"model": "gpt-5-chat-latest", "logprobs": True},
        err(403, "You are not allowed to request logprobs from this model"),
        variant="gpt-5",
    ),
    case(
        "chat.logprobs.reasoning",
        CHAT,
        {"model": "gpt-5.5", "reasoning_effort": "high", "logprobs": True, "top_logprobs": 3},
        err(400, UNSUPPORTED, "logprobs", "unsupported_parameter"),
    ),
    case(
        "chat.logprobs.unsupported",
        CHAT,
        {"model": "gpt-6-luna", "logprobs": True},
        err(400, UNSUPPORTED, "logprobs", "unsupported_parameter"),
        register={"family": "gpt-6*", "logprobs": "unsupported"},
    ),
    case(
        "responses.logprobs.unknown",
        RESP,
        {"model": "gpt-4o", "extra_body": {"logprobs": True}},
        err(400, "Unknown parameter: 'logprobs'.", "logprobs", "unknown_parameter"),
    ),
    case(
        "responses.include.unknown",
        RESP,
        {"model": "gpt-4o", "include": [INCLUDE, "bogus.thing"]},
        err(
            400,
            f"Invalid value: 'bogus.thing'. Supported values are: {SUPPORTED}.",
            "include[1]",
            "invalid_value",
        ),
    ),
    case(
        "responses.top_logprobs.type",
        RESP,
        {"model": "gpt-4o", "top_logprobs": "3"},
        err(400, TYPE.format("a string"), "top_logprobs", "invalid_type"),
    ),
    case(
        "responses.top_logprobs.below_min",
        RESP,
        {"model": "gpt-4o", "top_logprobs": -1},
        err(400, BELOW, "top_logprobs", "integer_below_min_value"),
    ),
    case(
        "responses.max_output_tokens.below_min",
        RESP,
        {
            "model": "gpt-4o",
            "top_logprobs": 2,
            "include": [INCLUDE],
            "max_output_tokens": 1,
        },
        err(
            400,
            "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, "
            "but got 1 instead.",
            "max_output_tokens",
            "integer_below_min_value",
        ),
    ),
    case(
        "responses.top_logprobs.above_cap",
        RESP,
        {"model": "gpt-5.4", "reasoning": {"effort": "none"}, "top_logprobs": 6},
        err(400, CAP5, "top_logprobs"),
    ),
    case(
        "responses.top_logprobs.above_max",
        RESP,
        {"model": "gpt-4.1", "top_logprobs": 21},
        err(400, CAP20, "top_logprobs"),
    ),
    case(
        "responses.include.reasoning",
        RESP,
        {"model": "gpt-5-mini", "include": [INCLUDE], "top_logprobs": 3},
        err(400, REASONING, "include", "unsupported_parameter"),
    ),
    case(
        "responses.top_logprobs.reasoning",
        RESP,
        {"model": "o3", "top_logprobs": 3},
        err(400, REASONING, "top_logprobs", "unsupported_parameter"),
    ),
    case(
        "responses.top_logprobs.reasoning",
        RESP,
        {"model": "gpt-5.6-terra", "reasoning": {"effort": "medium"}, "top_logprobs": 3},
        err(400, REASONING, "top_logprobs", "unsupported_parameter"),
        variant="gpt-5.x",
    ),
    case(
        "completions.logprobs.type",
        COMPL,
        {"model": "gpt-3.5-turbo-instruct", "prompt": "Hi", "logprobs": "3"},
        err(
            400,
            "Invalid type for 'logprobs': expected an integer, but got a string instead.",
            "logprobs",
            "invalid_type",
        ),
    ),
    case(
        "completions.logprobs.below_min",
        COMPL,
        {"model": "gpt-3.5-turbo-instruct", "prompt": "Hi", "logprobs": -1},
        err(
            400,
            "Invalid 'logprobs': integer below minimum value. "
            "Expected a value >= 0, but got -1 instead.",
            "logprobs",
            "integer_below_min_value",
        ),
    ),
    case(
        "completions.echo_with_logprobs",
        COMPL,
        {"model": "gpt-3.5-turbo-instruct", "prompt": "Hi", "echo": True, "logprobs": 0},
        err(400, ECHO),
    ),
    case(
        "llama.cpp.chat.logprobs.type",
        CHAT,
        {"model": "m", "logprobs": 3, "top_logprobs": 1},
        err(500, LLAMA_BOOL, type_="internal_server_error"),
        profile="llama.cpp",
    ),
    case(
        "llama.cpp.chat.top_logprobs.below_min",
        CHAT,
        {"model": "m", "logprobs": True, "top_logprobs": -1},
        err(500, LLAMA_GE0.format("top_logprobs"), type_="internal_server_error"),
        profile="llama.cpp",
    ),
    case(
        "llama.cpp.completions.logprobs.below_min",
        COMPL,
        {"model": "m", "prompt": "a", "logprobs": -1},
        err(500, LLAMA_GE0.format("logprobs"), type_="internal_server_error"),
        profile="llama.cpp",
    ),
    case(
        "vllm.chat.above_max_logprobs",
        CHAT,
        {"model": "m", "logprobs": True, "top_logprobs": 21},
        err(400, VLLM_CAP.format(21), "logprobs", 400, "BadRequestError"),
        profile="vllm",
    ),
    case(
        "vllm.completions.above_max_logprobs",
        COMPL,
        {"model": "m", "prompt": "a", "logprobs": 30},
        err(400, VLLM_CAP.format(30), "logprobs", 400, "BadRequestError"),
        profile="vllm",
    ),
    case(
        "vllm.chat.prompt_logprobs.above_max_logprobs",
        CHAT,
        {
            "model": "m",
            "messages": [{"role": "user", "content": "x"}],
            "extra_body": {"prompt_logprobs": 21},
        },
        err(400, VLLM_PROMPT_CAP.format(21), "prompt_logprobs", 400, "BadRequestError"),
        profile="vllm",
    ),
    case(
        "vllm.completions.prompt_logprobs.above_max_logprobs",
        COMPL,
        {"model": "m", "prompt": "a", "echo": True, "logprobs": 1, "prompt_logprobs": 25},
        err(400, VLLM_PROMPT_CAP.format(25), "prompt_logprobs", 400, "BadRequestError"),
        profile="vllm",
    ),
    case(
        "vllm.chat.top_logprobs.without_logprobs",
        CHAT,
        {"model": "m", "top_logprobs": 2},
        err(400, VLLM_WITHOUT, "top_logprobs", 400, "BadRequestError"),
        profile="vllm",
    ),
    case(
        "vllm.chat.top_logprobs.without_logprobs",
        CHAT,
        {"model": "m", "top_logprobs": 25},
        err(400, VLLM_WITHOUT, "top_logprobs", 400, "BadRequestError"),
        variant="before-the-cap",
        profile="vllm",
    ),
]
WARNING_CASES = [
    case(
        "responses.top_logprobs.without_include",
        RESP,
        {"model": "gpt-4o", "top_logprobs": 3},
        "top_logprobs=3 without include=.*returns no logprobs",
    ),
    case(
        "completions.logprobs.clamped",
        COMPL,
        {"model": "gpt-3.5-turbo-instruct", "prompt": "Hi", "logprobs": 10},
        "logprobs=10",
    ),
    case(
        "llama.cpp.chat.top_logprobs.without_logprobs",
        CHAT,
        {"model": "m", "top_logprobs": 3},
        "silently ignored",
        profile="llama.cpp",
    ),
    case(
        "llama.cpp.chat.logprobs.without_top_logprobs",
        CHAT,
        {"model": "m", "logprobs": True},
        "pass top_logprobs=k",
        profile="llama.cpp",
    ),
    case(
        "llama.cpp.completions.echo.stream",
        COMPL,
        {"model": "m", "prompt": "a", "logprobs": 1, "echo": True, "stream": True},
        "ignores echo when streaming",
        profile="llama.cpp",
    ),
]


def sdk_message(status, body):
    """`str()` of the SDK's exception, in the installed SDK's format (it changed at 3.38)."""
    if OPENAI_VERSION >= (3, 38):
        return f"Error code: {status} - {body['message']}"
    return f"Error code: {status} - { ({'error': body}) }"


@pytest.fixture(autouse=True)
def _clean_registry():
    """Every test starts and ends with the built-in tables."""
    guards.reset()
    yield
    guards.reset()


@pytest.mark.parametrize(("rule", "endpoint", "params", "expected", "options"), CASES)
def test_guard_raises_what_the_api_answers(rule, endpoint, params, expected, options):
    """Each rule raises the SDK's class with the server's status, body, message, param and code."""
    if register := options["register"]:
        guards.register_model(register["family"], logprobs=register["logprobs"])
    status, body = expected
    sdk_class = {
        400: openai.BadRequestError,
        403: openai.PermissionDeniedError,
        500: openai.InternalServerError,
    }[status]
    with pytest.raises(sdk_class) as info:
        check_request(endpoint, params, profile=options["profile"])
    error = info.value
    assert isinstance(error, tokenprobs.GuardError)
    assert isinstance(error, tokenprobs.TokenprobsError)
    assert error.rule == rule
    assert error.status_code == status
    assert error.body == body
    assert str(error) == error.message == sdk_message(status, body)
    assert error.param == body["param"]
    # openai 3.x stringifies a numeric code (vLLM's 400), 2.x keeps it: ask the installed SDK
    assert error.code == openai.APIError("", error.request, body=body).code
    assert (error.code is None) == (body["code"] is None)
    assert error.type == body["type"]
    assert error.request_id is None


@pytest.mark.parametrize(("rule", "endpoint", "params", "expected", "options"), WARNING_CASES)
def test_guard_warns_when_the_api_would_alter(rule, endpoint, params, expected, options):
    """Warning-only rules warn (GuardWarning) and never raise."""
    del rule
    with pytest.warns(tokenprobs.GuardWarning, match=expected):
        check_request(endpoint, params, profile=options["profile"])


def test_every_rule_has_a_row():
    """The table above covers every rule of every built-in profile, and nothing else."""
    tested = {p.values[0] for p in CASES + WARNING_CASES}
    defined = {r.id for name in ("openai", "vllm", "llama.cpp") for r in guards.rules(name)}
    assert tested == defined


def test_docs_match_the_rule_table():
    """docs/guards.md is the rendering of the rule table (run scripts/gen_guards_doc.py)."""
    assert DOC.read_text(encoding="utf-8") == guards.render_markdown() + "\n"


VALID = [
    pytest.param(
        CHAT, {"model": "gpt-4o-mini", "logprobs": True, "top_logprobs": 2}, id="ref-top2"
    ),
    pytest.param(
        CHAT, {"model": "gpt-4o-2024-08-06", "logprobs": True, "stream": True}, id="ref-stream"
    ),
    pytest.param(
        CHAT,
        {"model": "gpt-4o", "logprobs": True, "stream": True, "stream_options": {}},
        id="stream-options-streamed",
    ),
    pytest.param(
        CHAT,
        {"model": "gpt-4o", "logprobs": True, "stream_options": None},
        id="stream-options-null",
    ),
    pytest.param(CHAT, {"model": "gpt-4.1", "logprobs": True, "top_logprobs": 20}, id="cap-20"),
    pytest.param(CHAT, {"model": "gpt-4o", "logprobs": True, "top_logprobs": 0}, id="zero"),
    pytest.param(CHAT, {"model": "gpt-4o", "logprobs": True, "top_logprobs": 3.0}, id="float-int"),
    pytest.param(CHAT, {"model": "gpt-4o", "logprobs": False}, id="logprobs-false"),
    pytest.param(CHAT, {"model": "gpt-4o", "logprobs": None, "top_logprobs": None}, id="nulls"),
    pytest.param(
        CHAT,
        {"model": "gpt-4o", "logprobs": openai.NOT_GIVEN, "top_logprobs": openai.omit},
        id="sentinels",
    ),
    pytest.param(
        CHAT,
        {"model": "ft:gpt-4o-mini-2024-07-18:acme::abc123", "logprobs": True, "top_logprobs": 20},
        id="fine-tune",
    ),
    pytest.param(
        CHAT,
        {"model": "gpt-4o-mini-2024-07-18", "logprobs": True, "top_logprobs": 20},
        id="snapshot",
    ),
    pytest.param(
        CHAT,
        {"model": "my-gpt4o-deployment", "logprobs": True, "top_logprobs": 20},
        id="azure-deployment",
    ),
    pytest.param(
        CHAT,
        {"model": "gpt-5.4", "reasoning_effort": "none", "logprobs": True, "top_logprobs": 5},
        id="gpt-5.x-no-reasoning",
    ),
    pytest.param(CHAT, {"model": "gpt-5.4", "logprobs": True}, id="gpt-5.x-default-effort"),
    pytest.param(
        CHAT,
        {"model": "o4-mini", "messages": [{"role": "user", "content": "x"}]},
        id="o-series-without-logprobs",
    ),
    pytest.param(
        CHAT, {"model": "o365-assistant", "logprobs": True}, id="deployment-named-o-digit"
    ),
    pytest.param(CHAT, {"model": "gpt-5", "logprobs": False}, id="gpt-5-logprobs-false"),
    pytest.param(RESP, {"model": "gpt-4o", "include": [INCLUDE], "top_logprobs": 20}, id="resp-20"),
    pytest.param(
        RESP,
        {
            "model": "gpt-5.4",
            "reasoning": {"effort": "none"},
            "include": [INCLUDE],
            "top_logprobs": 5,
        },
        id="resp-gpt-5.x-no-reasoning",
    ),
    pytest.param(
        RESP, {"model": "gpt-5-mini", "include": ["reasoning.encrypted_content"]}, id="resp-o"
    ),
    pytest.param(
        COMPL, {"model": "gpt-3.5-turbo-instruct", "prompt": "a", "logprobs": 5}, id="compl-5"
    ),
    pytest.param(
        COMPL, {"model": "gpt-3.5-turbo-instruct", "prompt": "a", "echo": True}, id="echo"
    ),
    pytest.param(COMPL, {"model": "davinci-002", "echo": True, "logprobs": 2}, id="echo-davinci"),
]


@pytest.mark.parametrize(("endpoint", "params"), VALID)
def test_valid_requests_pass(endpoint, params):
    """Requests the API accepts pass untouched: no error, no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_request(endpoint, params) is None


@pytest.mark.parametrize(
    "base_url",
    [
        pytest.param("https://api.openai.com/v1", id="openai"),
        pytest.param("https://my-resource.openai.azure.com/openai/v1", id="azure"),
        pytest.param(
            "https://my-resource.cognitiveservices.azure.com/openai/deployments/gpt4o/",
            id="azure-deployment",
        ),
        pytest.param("https://my-resource.openai.azure.us/openai/", id="azure-government"),
        pytest.param("https://eu.api.openai.com/v1", id="data-residency-eu"),
        pytest.param("https://us.api.openai.com/v1", id="data-residency-us"),
        pytest.param(None, id="default"),
    ],
)
def test_openai_urls_select_the_openai_profile(base_url):
    """api.openai.com (and its regional hosts), Azure and no base_url use OpenAI's rules."""
    assert guards.select_profile(base_url).name == "openai"
    assert guards.server_capabilities(base_url).kind == "openai"
    with pytest.raises(openai.BadRequestError) as info:
        check_request(CHAT, {"model": "gpt-4o", "top_logprobs": 21}, base_url=base_url)
    assert str(info.value.request.url).startswith(base_url or "https://api.openai.com/v1")


@pytest.mark.parametrize(
    "base_url",
    [
        pytest.param("https://my-endpoint.eastus.inference.ml.azure.com/v1", id="azure-ml"),
        pytest.param("https://my-endpoint.inference.ai.azure.com/v1", id="azure-ai-inference"),
        pytest.param("https://my-resource.services.ai.azure.com/models", id="foundry-models"),
    ],
)
def test_other_azure_services_are_not_openai(base_url):
    """Azure hosts that serve other models (a vLLM behind an ML endpoint) get no OpenAI 400s."""
    assert guards.select_profile(base_url).name == "compatible"
    assert guards.server_capabilities(base_url).kind == "compatible"
    params = {"model": "llama", "logprobs": True, "top_logprobs": 30}
    assert check_request(CHAT, params, base_url=base_url) is None


def test_compatible_servers_never_get_openai_errors():
    """Another base_url gets the compatible profile, which refuses nothing."""
    params = {"model": "llama", "top_logprobs": 50}
    assert check_request(CHAT, params, base_url="http://localhost:8000/v1") is None


@pytest.mark.parametrize("value", [1, "true", "YES", 1.0, 0.5, [1]])
def test_llama_cpp_takes_what_pydantic_reads_as_a_boolean(value):
    """llama-cpp-python reads 1, "true", 1.0 as true; 0.5 or a list get another answer (sent)."""
    params = {"model": "m", "logprobs": value, "top_logprobs": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_request(CHAT, params, profile="llama.cpp") is None


@pytest.mark.parametrize("value", [0, "no", 0.0])
def test_llama_cpp_reads_0_as_false(value):
    """logprobs=0 or "no" is read as false by llama-cpp-python: top_logprobs is then ignored."""
    params = {"model": "m", "logprobs": value, "top_logprobs": 1}
    with pytest.warns(tokenprobs.GuardWarning, match="silently ignored"):
        check_request(CHAT, params, profile="llama.cpp")


def test_llama_cpp_logprobs_1_alone_warns_like_true():
    """logprobs=1 without top_logprobs is True to the server: the same missing-logprobs warning."""
    with pytest.warns(tokenprobs.GuardWarning, match="pass top_logprobs=k"):
        check_request(CHAT, {"model": "m", "logprobs": 1}, profile="llama.cpp")


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"logprobs": 1, "top_logprobs": 3}, id="logprobs-1"),
        pytest.param({"logprobs": "yes", "top_logprobs": 3}, id="logprobs-truthy-str"),
        pytest.param({"top_logprobs": 0}, id="top-0-alone"),
        pytest.param({"top_logprobs": -1}, id="top-minus-1-alone"),
    ],
)
def test_vllm_reads_logprobs_as_python_truth(params):
    """The vLLM test is `not logprobs` on the raw body, for `top_logprobs > 0` only: these pass."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_request(CHAT, {"model": "m", **params}, profile="vllm") is None


def test_register_profile_by_base_url():
    """A registered profile is chosen by its base_url pattern and carries its own cap."""
    guards.register_profile(
        "gpu-box", like="vllm", max_top_logprobs=50, base_urls=("http://gpu-box*",)
    )
    check_request(
        CHAT, {"model": "m", "logprobs": True, "top_logprobs": 50}, base_url="http://gpu-box/v1"
    )
    with pytest.raises(tokenprobs.GuardError, match="max allowed: 50"):
        check_request(
            CHAT, {"model": "m", "logprobs": True, "top_logprobs": 51}, base_url="http://gpu-box/v1"
        )


def test_register_model_overrides_builtin_family():
    """A registered family wins over the built-in table."""
    guards.register_model("gpt-6*", max_top_logprobs=5, logprobs="forbidden")
    with pytest.raises(openai.BadRequestError, match="less than or equal to 5"):
        check_request(CHAT, {"model": "gpt-6-luna", "logprobs": True, "top_logprobs": 6})
    with pytest.raises(openai.PermissionDeniedError):
        check_request(CHAT, {"model": "gpt-6-luna", "logprobs": True})
    guards.reset()
    check_request(CHAT, {"model": "gpt-6-luna", "logprobs": True, "top_logprobs": 20})


def test_warn_mode_warns_instead_of_raising():
    """mode="warn" turns the would-be error into a GuardWarning."""
    with pytest.warns(tokenprobs.GuardWarning, match="less than or equal to 20"):
        check_request(CHAT, {"model": "gpt-4o", "top_logprobs": 25}, mode="warn")


def test_off_mode_checks_nothing():
    """mode="off" accepts anything."""
    assert (
        check_request(CHAT, {"model": "o4-mini", "logprobs": True, "top_logprobs": 99}, mode="off")
        is None
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"mode": "loud"}, "mode", id="mode"),
        pytest.param({"profile": "nope"}, "unknown guard profile", id="profile"),
    ],
)
def test_bad_options_are_value_errors(kwargs, match):
    """Unknown modes and profiles are the caller's mistake, said plainly."""
    with pytest.raises(ValueError, match=match):
        check_request(CHAT, {"model": "gpt-4o"}, **kwargs)


def test_bad_endpoint_is_a_value_error():
    """An unknown endpoint is refused with the list of known ones."""
    with pytest.raises(ValueError, match="endpoint"):
        check_request("embeddings", {"model": "gpt-4o"})  # type: ignore[arg-type]
