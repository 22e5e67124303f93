"""A key in the base URL (user name, password or query) never reaches a message or a repr.

Gateways take keys as `http://user:KEY@host`, `http://KEY@host` or `?api-key=KEY` (Azure's
style). Every message that names a server shows `public_url` instead: scheme, host, port, path.
"""

from __future__ import annotations

import logging
import traceback

import openai
import pytest
import respx
from tests._client_helpers import connect_error

import tokenprobs as tp
from tokenprobs._urls import public_url, redact_url, url_secrets
from tokenprobs.playground._upstream import Upstream
from tokenprobs.testing import chat_completion, completion, no_sleep

KEY = "sk-test-SECRET-0123456789"
HOST = "http://gpu-box:8000/v1"
URLS = [
    pytest.param(f"http://user:{KEY}@gpu-box:8000/v1", id="password"),
    pytest.param(f"http://{KEY}@gpu-box:8000/v1", id="user-name"),
    pytest.param(f"http://gpu-box:8000/v1?api-key={KEY}", id="query"),
]
POSITIONS = [("Paris", -0.01, [("Paris", -0.01), ("Lyon", -4.6)])]


def everything(exc: BaseException) -> str:
    """All an error shows: its traceback, str, repr and notes, down its chain."""
    parts = ["".join(traceback.format_exception(exc))]
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen), *getattr(seen, "__notes__", [])]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"http://user:{KEY}@gpu-box:8000/v1?api-key={KEY}#frag", HOST),
        (f"https://{KEY}@example.com/v1/", "https://example.com/v1/"),
        ("http://[::1]:8080/v1", "http://[::1]:8080/v1"),
        ("http://localhost:8000/v1", "http://localhost:8000/v1"),
        (f"http://user:{KEY}@host:99999/v1?k={KEY}", "http://host:99999/v1"),
        (f"http://user:{KEY}@[::1/v1", "http://[::1/v1"),
    ],
    ids=["all-three", "user-name", "ipv6", "plain", "bad-port", "open-bracket"],
)
def test_public_url_keeps_only_scheme_host_port_path(url, shown):
    """Credentials, query and fragment go, even from a URL urllib cannot split."""
    assert public_url(url) == shown
    assert KEY not in public_url(url)


def test_url_secrets_finds_each_form_and_spares_short_names():
    """The password, the query and a key-long user name, as written and as encoded again."""
    assert url_secrets(f"http://user:{KEY}@h/v1") >= {KEY}
    assert url_secrets(f"http://{KEY}@h/v1") >= {KEY}
    assert "user" not in url_secrets("http://user:pw@h/v1")  # a short name is only a name
    assert url_secrets("http://h/v1?api-key=a%20b") >= {"api-key=a%20b", "api-key=a b"}
    assert KEY in url_secrets(f"http://h/v1?api-key={KEY}&v=1")  # a value alone, as echoed
    assert "1" not in url_secrets(f"http://h/v1?api-key={KEY}&v=1")  # a short value is not
    assert url_secrets(None) == set()
    assert url_secrets("http://h:99999/v1") == set()


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("retry", [tp.RetryPolicy(max_attempts=2), None], ids=["retried", "plain"])
def test_connection_error_note_names_the_server_without_its_key(make_client, url, retry):
    """The note `to reach URL` (with and without tokenprobs' retries) shows the public URL."""
    with respx.mock(assert_all_called=False) as router:
        router.route().side_effect = connect_error()
        client = make_client(router, base_url=url)
        with no_sleep(), pytest.raises(openai.APIConnectionError) as caught:
            tp.get_token_distribution("Hi", model="m", client=client, guards="off", retry=retry)
        client.close()
    text = everything(caught.value)
    assert "to reach http://gpu-box:8000/v1" in text  # the SDK moves a query's path
    assert KEY not in text


@pytest.mark.parametrize("url", URLS)
def test_missing_logprobs_names_the_server_without_its_key(make_client, url):
    """A server that ignored `logprobs`: the error names it by its public URL."""
    body = chat_completion(POSITIONS)
    body["choices"][0]["logprobs"] = None
    with respx.mock(assert_all_called=False) as router:
        router.route().respond(200, json=body)
        client = make_client(router, base_url=url)
        with pytest.raises(tp.MissingLogprobsError) as caught:
            tp.get_token_distribution("Hi", model="m", client=client, guards="off")
        client.close()
    text = everything(caught.value)
    assert f"the server at {HOST}" in text
    assert KEY not in text


@pytest.mark.parametrize("url", URLS)
def test_scoring_error_names_the_server_without_its_key(make_client, url):
    """A server that ignored `echo`: the ScoringError and its `server` show the public URL."""
    body = completion([("Hi", -0.1, [("Hi", -0.1)])], model="base")
    with respx.mock(assert_all_called=False) as router:
        router.route().respond(200, json=body)
        client = make_client(router, base_url=url)
        with pytest.raises(tp.ScoringError) as caught:
            tp.scoring.score(
                " Paris", context="The capital of France is", model="base", client=client
            )
        client.close()
    text = everything(caught.value) + repr(vars(caught.value))
    assert HOST in text
    assert KEY not in text


@pytest.mark.parametrize("url", URLS)
def test_playground_upstream_shows_and_scrubs_without_the_key(url):
    """The Playground's upstream: its repr and page URL are public; scrub removes the key."""
    upstream = Upstream(base_url=url, api_key="sk-other-key-98765")
    assert upstream.public_url == HOST
    assert KEY not in repr(upstream)
    assert "sk-other-key" not in repr(upstream)
    echoed = f"upstream said: bad key {KEY} (sk-other-key-98765) for {url}"
    scrubbed = upstream.scrub(echoed)
    assert KEY not in scrubbed
    assert "sk-other-key" not in scrubbed
    assert "***" in scrubbed


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"http://user:{KEY}@h:8000/v1/x?v=1", "http://***:***@h:8000/v1/x?v=1"),
        (f"http://{KEY}@h/v1", "http://***@h/v1"),
        (f"http://h/v1?api-version=2024&api-key={KEY}", "http://h/v1?api-version=2024&api-key=***"),
        (f"http://h/v1?access_token={KEY}&n=1", "http://h/v1?access_token=***&n=1"),
        ("http://h/v1?page=2", "http://h/v1?page=2"),
    ],
    ids=["password", "user-name", "api-key", "token", "nothing-secret"],
)
def test_redact_url_masks_credentials_and_keeps_the_rest(url, shown):
    """For logs: credentials and key-like query values masked; the other parameters kept."""
    assert redact_url(url) == shown


def test_the_http_libraries_request_logs_carry_no_key(make_client, caplog):
    """The HTTP libraries log each request's whole URL (openai 2.x at DEBUG too): masked there."""
    url = f"http://user:{KEY}@gpu-box:8000/v1"
    with respx.mock(assert_all_called=False) as router:
        router.route().respond(200, json=chat_completion(POSITIONS))
        client = make_client(router, base_url=url, default_query={"api-key": KEY})
        with caplog.at_level(logging.DEBUG):
            tp.get_token_distribution("Hi", model="m", client=client, guards="off")
        client.close()
    lines = [r.getMessage() for r in caplog.records]
    assert any("HTTP Request: POST http://***:***@gpu-box:8000" in line for line in lines)
    assert any("api-key=***" in line for line in lines)
    assert not [line for line in lines if KEY in line]
