"""The playground's strict readers: the page's fields, saved sessions, and the base URL."""

import json
import threading

import pytest

import tokenprobs as tp
from tokenprobs.playground import FORMAT, Request, Session, SessionError, Upstream
from tokenprobs.playground._compare import compare_answers
from tokenprobs.playground._fields import integer, maybe_number, query_integer, text

D = json.loads(tp.examples.load("apiref").model_dump_json())
"""A saved answer of 9 positions."""
OTHER = {
    **D,
    "top_tokens": [D["top_tokens"][0], ["?", " there"], *D["top_tokens"][2:]],
    "top_bytes": [D["top_bytes"][0], [[63], D["top_bytes"][1][1]], *D["top_bytes"][2:]],
}
"""The same answer, whose position 1 offered `?` instead of `!`."""
REQ = {"endpoint": "completions", "model": "m", "prompt": "Hi", "top_logprobs": 2}
FORM = {"endpoint": "completions", "model": "m", "prompt": "x"}


def branch(id_, parent=None, position=None, forced=None, **changes):
    """A saved branch as `Session.dumps` writes it."""
    item = {"id": id_, "parent": parent, "position": position, "forced": forced}
    return {**item, "request": REQ, "distribution": D, **changes}


def saved(*branches):
    """A saved session's text."""
    return json.dumps({"format": FORMAT, "branches": list(branches)})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(12345678901234567, 12345678901234567, id="past-2**53-exact"),
        pytest.param(2**63 - 1, 2**63 - 1, id="int64-max"),
        pytest.param(16.0, 16, id="whole-float"),
    ],
)
def test_integers_are_read_as_integers(value, expected):
    """An integer is never passed through float (which rounds 12345678901234567 up by one)."""
    read = integer({"seed": value}, "seed")
    assert read == expected
    assert type(read) is int


@pytest.mark.parametrize(
    ("value", "says"),
    [
        pytest.param(True, "seed must be an integer, got True (a boolean)", id="bool"),
        pytest.param(1.5, "seed must be an integer, got 1.5", id="fraction"),
        pytest.param("7", "seed must be an integer, got '7' (a string)", id="string"),
        pytest.param(float("inf"), "seed must be an integer, got inf", id="1e400"),
        pytest.param(1e20, "seed must be written as digits, got 1e+20", id="inexact-float"),
        pytest.param(
            2**63, "seed must be an integer from -9223372036854775808 to", id="past-int64"
        ),
        pytest.param(10**400, "(401 characters)", id="10**400-cut"),
        pytest.param(None, "seed is missing", id="missing"),
    ],
)
def test_an_integer_that_is_not_one_is_refused_by_name(value, says):
    """Booleans, fractions, strings, non-finite, inexact or out-of-range values: a SessionError."""
    with pytest.raises(SessionError, match=r"^seed ") as caught:
        integer({"seed": value}, "seed")
    assert says in str(caught.value)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    "value", [10**400, float("inf"), float("nan"), "nan", "0.5", True, [1]], ids=repr
)
def test_a_number_must_be_finite_and_a_number(value):
    """`10**400` (which float() overflows on), infinities, NaN and strings are refused."""
    with pytest.raises(SessionError, match=r"^temperature must be a"):
        maybe_number({"temperature": value}, "temperature")


def test_numbers_and_text_that_are_fine_pass():
    """The ordinary values come back as they were (None when absent)."""
    assert maybe_number({"temperature": 1}, "temperature") == 1.0
    assert maybe_number({}, "temperature") is None
    assert text({"model": "café 🙂"}, "model") == "café 🙂"
    assert text({}, "prompt", default="") == ""


@pytest.mark.parametrize("value", ["m\ud800", "\udc00", "ok\ud83d"], ids=repr)
def test_text_with_a_lone_surrogate_is_refused(value):
    r"""Valid JSON (`"\ud800"`), but UTF-8 cannot encode it: no server could be sent it."""
    with pytest.raises(SessionError, match=r"^model holds a lone surrogate"):
        text({"model": value}, "model")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        pytest.param("1e3", "b must be an integer from 1 up, got '1e3'", id="exponent"),
        pytest.param("true", "got 'true'", id="word"),
        pytest.param("0", "b must be an integer from 1 to", id="below"),
        pytest.param("9" * 5000, "(5002 characters)", id="5000-digits"),
    ],
)
def test_query_integers_are_digits(raw, says):
    """A query string's integer: digits only, in range, the field named; missing says how."""
    with pytest.raises(SessionError) as caught:
        query_integer({"b": raw}, "b", lo=1)
    assert says in str(caught.value)
    with pytest.raises(SessionError, match=r"^b is missing: give it as \?b=<integer>"):
        query_integer({}, "b", lo=1)
    assert query_integer({"b": "12"}, "b", lo=1) == 12


def test_the_pages_form_keeps_a_large_seed_exact():
    """`Request.from_page`: seed as written, max_tokens at least 1, wrong types named."""
    assert Request.from_page({**FORM, "seed": 12345678901234567}).seed == 12345678901234567
    with pytest.raises(SessionError, match=r"^max_tokens must be an integer from 1 to"):
        Request.from_page({**FORM, "max_tokens": 0})
    with pytest.raises(SessionError, match=r"^messages\[1\]\.content must be a string"):
        Request.from_page({**FORM, "messages": [{"role": "user", "content": "a"}, {"role": "x"}]})
    with pytest.raises(SessionError, match=r"^messages\[0\] must be a \{role, content\} object"):
        Request.from_page({**FORM, "messages": ["hi"]})


@pytest.mark.parametrize(
    ("session", "says"),
    [
        pytest.param({"format": FORMAT, "branches": 5}, "branches must be a list", id="number"),
        pytest.param({"format": FORMAT, "branches": True}, "branches must be a list", id="true"),
        pytest.param({"format": FORMAT}, "branches must be a list", id="missing"),
        pytest.param(
            {"format": FORMAT, "branches": [[1, 2]]}, "branches[0] must be an object", id="list"
        ),
        pytest.param(
            {"format": FORMAT, "branches": [branch(1, request=["x"])]},
            "branches[0].request must be an object",
            id="request-list",
        ),
        pytest.param(
            {"format": FORMAT, "branches": [branch(1, request="x")]},
            "branches[0].request must be an object",
            id="request-string",
        ),
        pytest.param(
            {"format": FORMAT, "branches": [branch(1, request={**REQ, "seed": "7"})]},
            "branches[0].request.seed must be an integer",
            id="request-field",
        ),
        pytest.param(
            {"format": FORMAT, "branches": [branch(1, distribution=None)]},
            "branches[0].distribution must be an object",
            id="no-distribution",
        ),
        pytest.param(
            {"format": FORMAT, "branches": [branch("1")]},
            "branches[0].id must be an integer",
            id="id-string",
        ),
        pytest.param(
            {"format": FORMAT, "branches": [branch(2**63 - 1)]},
            "branches[0].id must be an integer from 1 to 9007199254740991, got 9223372036854775807",
            id="id-past-2**53",
        ),
        pytest.param(
            {"format": FORMAT, "branches": [branch(1), branch(2, 2**53, 1, "x")]},
            "branches[1].parent must be an integer from 1 to 9007199254740991",
            id="parent-past-2**53",
        ),
        pytest.param(
            {"format": FORMAT, "branches": [branch(1), branch(2, 1, "3", "x")]},
            "branches[1].position must be an integer, got '3' (a string)",
            id="position-string",
        ),
        pytest.param(
            {"format": FORMAT, "branches": [branch(1), branch(1, request={**REQ, "prompt": "o"})]},
            "branches[1].id: 1 is the id of an earlier branch too",
            id="duplicate-id",
        ),
        pytest.param(
            {"format": FORMAT, "branches": [branch(1), branch(2, 2, 5, "x")]},
            "branch 2 names itself as its parent",
            id="self-parent",
        ),
        pytest.param(
            {"format": FORMAT, "branches": [branch(1), branch(2, 3, 1, "!"), branch(3, 2, 1, "!")]},
            "branches 2 → 3 → 2 are each other's parents",
            id="cycle",
        ),
        pytest.param(
            {"format": FORMAT, "branches": [branch(2, 7, 1, "x")]},
            "branch 2: a branch of another gives its parent (a branch in the session)",
            id="unknown-parent",
        ),
        pytest.param(
            {"format": FORMAT, "branches": [branch(1), branch(2, 1, None, "x")]},
            "got parent 1, position None, forced 'x'",
            id="half-a-fork",
        ),
        pytest.param(
            {"format": FORMAT, "branches": [branch(1), branch(2, 1, 9, "x")]},
            "branch 2: position 9 is not in its answer (9 positions)",
            id="position-past-the-answer",
        ),
        pytest.param(
            {"format": FORMAT, "branches": [branch(1), branch(2, 1, 1, " there")]},
            "branch 2: forced ' there' is not its answer's token at position 1 ('!'): give that",
            id="forced-not-the-answers-token",
        ),
        pytest.param(
            {"format": FORMAT, "branches": [branch(1, distribution=OTHER), branch(2, 1, 1, "!")]},
            "branch 2: its token at position 1 ('!') is not one of its parent's alternatives "
            "there (branch 1: ['?', ' there'])",
            id="forced-not-the-parents-alternative",
        ),
        pytest.param(
            {"format": FORMAT, "branches": [branch(1), branch(2, 1, 2, "x\ud800")]},
            "branches[1].forced holds a lone surrogate",
            id="surrogate",
        ),
    ],
)
def test_a_malformed_session_names_what_is_wrong(session, says):
    """Every malformed session: a SessionError (a ValueError) with the path to the bad field."""
    with pytest.raises(SessionError) as caught:
        Session.loads(json.dumps(session))
    assert says in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_session_with_forks_loads():
    """A well-formed session with a chain of forks loads, and its next id follows the largest."""
    session = Session.loads(saved(branch(1), branch(4, 1, 2, " How"), branch(5, 4, 3, " can")))
    assert list(session.branches) == [1, 4, 5]
    assert session.next_id == 6
    assert session.branches[5].label == "#5 ← #4 @ 3"


def test_comparing_branches_whose_parents_form_a_cycle_ends():
    """A session built by hand with a cycle (loads refuses one): the comparison still returns."""
    session = Session.loads(
        saved(branch(1), branch(2, 1, 5, " assist"), branch(3, 1, 5, " assist"))
    )
    session.branches[2].parent, session.branches[3].parent = 3, 2
    out = []
    worker = threading.Thread(
        target=lambda: out.append(
            compare_answers(session, session.branches[2], session.branches[3])
        ),
        daemon=True,
    )
    worker.start()
    worker.join(10)
    assert out, "compare_answers did not return in 10 s"
    assert out[0]["common_prefix"] == 9


@pytest.mark.parametrize(
    ("url", "says"),
    [
        pytest.param("http://[::1/v1", "Invalid IPv6 URL", id="open-bracket"),
        pytest.param("http://127.0.0.1:99999/v1", "Port out of range", id="port"),
        pytest.param("127.0.0.1:8080/v1", "must start with http:// or https://", id="no-scheme"),
        pytest.param("", "must start with http:// or https://", id="empty"),
    ],
)
def test_a_base_url_no_request_can_reach_is_refused(url, says, monkeypatch):
    """At construction, with the URL as `public_url` shows it (credentials cut)."""
    with pytest.raises(ValueError, match="is not a URL a request can reach") as caught:
        Upstream(url, "sk-test")
    assert says in str(caught.value)
    secret = "http://user:sk-proj-SECRET@[::1/v1"
    with pytest.raises(ValueError, match=r"'http://\[::1/v1'") as caught:
        Upstream(secret)
    assert "SECRET" not in str(caught.value)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://[::1/v1")
    with pytest.raises(ValueError, match="Invalid IPv6 URL"):
        Upstream.from_env()


@pytest.mark.parametrize(
    "url", [None, "http://[::1]:8080/v1", "https://gpu-box/v1", "http://user:pw@h:1/v1?x=1"]
)
def test_a_base_url_a_request_can_reach_is_taken(url):
    """Ordinary base URLs, IPv6 in brackets and credentials included, are accepted."""
    assert Upstream(url).base_url == url


@pytest.mark.parametrize(
    ("args", "error", "says"),
    [
        pytest.param((5, "k"), TypeError, "base_url is a str or None, got an int", id="url-int"),
        pytest.param(("http://h:1/v1", 3), TypeError, "api_key is a str or None", id="key-int"),
        pytest.param(
            ("http://h:1/v1", "k", "bogus"), ValueError, "unknown guard profile", id="profile"
        ),
    ],
)
def test_upstreams_arguments_are_checked_at_construction(args, error, says):
    """A wrong type or an unknown profile is refused before a page is served for it."""
    with pytest.raises(error, match=says):
        Upstream(*args)


@pytest.mark.parametrize("key", ["x", "k", "e", "EMPTY"])
def test_a_short_local_key_garbles_no_message(key):
    """`OPENAI_API_KEY=x` for a local server: no letter of every message is masked."""
    line = "Error code: 400 - unknown guard profile; RetryPolicy.max_attempts is 2; EMPTY"
    assert Upstream("http://127.0.0.1:8080/v1", key).scrub(line) == line


def test_a_real_key_and_the_urls_credentials_are_masked():
    """A key of 8 characters or more and the base URL's password are masked."""
    upstream = Upstream("http://user:URLSECRET123@127.0.0.1:8080/v1", "sk-proj-SECRET12345")
    said = upstream.scrub("bad sk-proj-SECRET12345 at http://user:URLSECRET123@127.0.0.1:8080")
    assert said == "bad *** at http://user:***@127.0.0.1:8080"
