"""The playground's page in a real headless Chromium (playwright), against the stub server.

The app is served by uvicorn (`Served`); Chromium is Debian's `/usr/bin/chromium`, as in
tests/test_browser.py. Without Chromium or playwright these tests skip locally and fail in CI.
"""

import json
import os
import shutil
import time
from pathlib import Path

import httpx
import pytest
from tests._unavailable import unavailable
from tests.playground.stub import HOSTILE, Served
from tests.playground.test_app import RUN

import tokenprobs as tp
from tokenprobs import testing
from tokenprobs.playground import FORMAT, create_app
from tokenprobs.playground._session import STOPPED

pytestmark = [pytest.mark.browser, pytest.mark.extras]

CHROMIUM = os.environ.get("TOKENPROBS_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium, launched once for the module."""
    why = "run scripts/ensure_chromium.sh"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        unavailable(f"Chromium not found at {CHROMIUM}; {why}", ci="browser tests must run in CI")
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 - a dev dependency
    except ImportError:
        unavailable(f"the playwright package is not installed; {why}", ci="browser tests run in CI")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def app_url(upstream):
    """The playground in front of the stub, served by uvicorn."""
    with Served(create_app(upstream, model="stub")) as served:
        yield served.url + "/"


@pytest.fixture
def context(browser):
    """A browser context (its tabs share nothing with other tests') that fails on a page error."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    ctx.problems = []
    ctx.on("weberror", lambda e: ctx.problems.append(str(e.error)))
    yield ctx
    ctx.close()
    assert ctx.problems == []


def _open(context, url):
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")
    return page


def _until(page, expression, timeout=20.0):
    """Poll `expression` (not `wait_for_function`: the page's CSP forbids its `eval`)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        time.sleep(0.02)


def _arriving(context, app_url, stub, delay=0.5):
    """A page whose answer arrives a chunk per `delay` seconds, its first token drawn."""
    stub.delay = delay
    page = _open(context, app_url)
    page.fill("#prompt", "Say hello")
    page.click("#run")
    _until(page, "document.querySelector('article.branch .tx > [data-p]') !== null")
    return page


def _run(page, model="stub"):
    page.fill("#model", model)
    page.fill("#prompt", "Say hello")
    page.click("#run")
    _until(page, "document.querySelector('article.branch[data-done]') !== null")


def test_an_answer_without_tokens_offers_no_export(context, app_url):
    """A refused answer has nothing to export: no link (it led off the page to a JSON error)."""
    page = _open(context, app_url)
    _run(page, model="echo-key")  # the stub answers 401
    _until(page, "document.querySelector('#messages .error') !== null")
    column = page.locator("article.branch")
    assert column.locator(".status").text_content() == "failed"
    assert not column.locator(".export").is_visible()
    assert column.locator(".export").get_attribute("href") is None


def test_a_reload_and_a_second_tab_show_the_sessions_answers(context, app_url):
    """The session lives in the playground: a reloaded page, or another tab, draws its answers."""
    page = _open(context, app_url)
    _run(page)
    cells = page.locator("article.branch .tx > [data-p]")
    assert cells.count() == len(HOSTILE)
    assert page.locator("article.branch .export").is_visible()
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    for shown in (page, _open(context, app_url)):
        column = shown.locator("article.branch")
        assert column.count() == 1
        assert column.get_attribute("data-done") == "1"
        assert column.locator(".tx > [data-p]").count() == len(HOSTILE)
        assert column.locator(".export").get_attribute("href").startswith("/api/branches/1/")


def _whole(page):
    """Assert the page's one column is the whole default answer, finished and exportable."""
    column = page.locator("article.branch")
    assert column.count() == 1
    assert column.locator(".tx > [data-p]").count() == len(HOSTILE)
    assert column.locator(".status").text_content() == f"{len(HOSTILE)} tokens"
    assert column.locator(".export").get_attribute("href").startswith("/api/branches/1/")


def test_a_second_tab_follows_an_answer_still_arriving_to_its_end(context, app_url, stub):
    """Another tab's answer still streaming is drawn as far as it came, then as it arrives."""
    first = _arriving(context, app_url, stub)
    second = _open(context, app_url)
    column = second.locator("article.branch")
    assert column.get_attribute("data-done") is None
    assert "still arriving in another page" in column.locator(".status").text_content()
    assert not column.locator(".export").is_visible()
    _until(first, "document.querySelector('article.branch[data-done]') !== null")
    _until(second, "document.querySelector('article.branch[data-done]') !== null")  # no reload
    _whole(second)


def test_a_panel_on_another_tabs_answer_stays_open_as_the_answer_arrives(context, app_url, stub):
    """The panel opened on an answer arriving in another tab stays, and offers its buttons after."""
    first = _arriving(context, app_url, stub)
    second = _open(context, app_url)
    second.locator("article.branch .tx > [data-p]").nth(0).click()
    second.wait_for_selector("#alternatives:not([hidden])")
    assert second.locator("#alternatives .branch-here").count() == 0
    _until(first, "document.querySelector('article.branch[data-done]') !== null")
    _until(second, "document.querySelectorAll('#alternatives .branch-here').length > 0")
    assert second.locator("#alternatives").is_visible()
    assert second.locator("#alt-title").text_content().endswith("position 0")
    _whole(second)


def test_a_tab_looked_at_again_draws_the_answers_another_tab_asked_for(context, app_url, stub):
    """Back on a tab, the answers asked for in another since it was drawn are drawn too."""
    second = _open(context, app_url)  # open before any answer: it draws none
    assert second.locator("article.branch").count() == 0
    first = _arriving(context, app_url, stub, delay=0.1)
    _until(first, "document.querySelector('article.branch[data-done]') !== null")
    time.sleep(0.5)
    assert second.locator("article.branch").count() == 0  # nothing to watch: drawn when seen
    second.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # a switch of tabs
    _until(second, "document.querySelector('article.branch[data-done]') !== null")
    _whole(second)


def test_the_panel_says_why_a_position_offers_no_branch(context, app_url):
    """A position past a token sent without text has no branch button: the panel says why."""
    positions = [
        ("Hi", -0.1, [("Hi", -0.1), ("Yo", -2.3)]),
        ("", -0.5, [("", -0.5), (" z", -1.0)]),  # llama-cpp-python's piece of a character
        (" w", -0.1, [(" w", -0.1), (" v", -3.0)]),
    ]
    d = tp.parse(testing.completion(positions))
    saved = {"id": 1, "request": {**RUN, "prompt": "P"}, "distribution": d.model_dump(mode="json")}
    session = {"session": {"format": FORMAT, "branches": [saved]}}
    assert httpx.post(app_url + "api/session", json=session).status_code == 200
    page = _open(context, app_url)
    page.locator("article.branch .tx > [data-p]").nth(2).click()
    page.wait_for_selector("#alternatives:not([hidden])")
    assert page.locator("#alternatives .branch-here").count() == 0
    why = page.locator("#alternatives .why").text_content()
    assert why.startswith("no branch here: the answer before position 2 is not whole text")
    assert page.locator("#alt-note").text_content() == "no token here can be forced: see why below"


def test_the_summary_names_a_one_token_span_as_one_position(context, app_url):
    """A least certain span of one token reads "position 1", not "positions 1-1"."""
    positions = [
        ("Hi", -0.1, [("Hi", -0.1), ("Yo", -2.3)]),
        (" z", -2.0, [(" w", -0.2), (" z", -2.0)]),
        (" w", -0.1, [(" w", -0.1), (" v", -3.0)]),
        (" v", -1.5, [(" w", -0.4), (" v", -1.5)]),
        (" u", -1.2, [(" u", -1.2), (" w", -0.5)]),
    ]
    d = tp.parse(testing.completion(positions))
    saved = {"id": 1, "request": {**RUN, "prompt": "P"}, "distribution": d.model_dump(mode="json")}
    session = {"session": {"format": FORMAT, "branches": [saved]}}
    assert httpx.post(app_url + "api/session", json=session).status_code == 200
    page = _open(context, app_url)
    spans = page.locator("article.branch .summary li").all_text_contents()
    assert spans == [
        "“ z” (position 1, min p 13.5%)",
        "“ v u” (positions 3\N{EN DASH}4, min p 22.3%)",
    ]


def test_compare_says_one_position_in_common_in_the_singular(context, app_url):
    """Two answers that share their first token only: "1 position in common"."""
    answers = [
        [("Hi", -0.1, [("Hi", -0.1), ("Yo", -2.3)]), (" z", -0.7, [(" z", -0.7), (" w", -0.9)])],
        [("Hi", -0.1, [("Hi", -0.1), ("Yo", -2.3)]), (" w", -0.9, [(" z", -0.7), (" w", -0.9)])],
    ]
    branches = [
        {
            "id": i,
            "request": {**RUN, "prompt": "P"},
            "distribution": tp.parse(testing.completion(a)).model_dump(mode="json"),
        }
        for i, a in enumerate(answers, 1)
    ]
    session = {"session": {"format": FORMAT, "branches": branches}}
    assert httpx.post(app_url + "api/session", json=session).status_code == 200
    page = _open(context, app_url)
    _until(page, "document.querySelector('#cmp-summary').textContent !== ''")
    summary = page.locator("#cmp-summary").text_content()
    assert summary == "1 position in common; they part at position 1"


def test_a_restart_closes_the_alternatives_of_an_answer_from_before(context, app_url):
    """The panel of an answer the restarted playground no longer has closes, with its buttons."""
    page = _open(context, app_url)
    _run(page)
    page.locator("article.branch .tx > [data-p]").nth(1).click()
    page.wait_for_selector("#alternatives:not([hidden])")

    def restarted(route):  # the next answer comes from another run of the playground
        response = route.fetch()
        headers = {**response.headers, "x-playground-instance": "restarted"}
        route.fulfill(response=response, headers=headers)

    page.route("**/api/run", restarted)
    page.click("#run")
    _until(page, "document.querySelector('article.branch[data-stale]') !== null")
    assert "the playground restarted" in page.locator("#messages").text_content()
    assert page.locator("#alternatives").is_hidden()


def test_loading_a_session_closes_the_alternatives_of_the_one_it_replaces(
    context, app_url, tmp_path
):
    """The open panel's buttons would branch the loaded session's #1, another answer."""
    page = _open(context, app_url)
    _run(page)
    page.locator("article.branch .tx > [data-p]").nth(1).click()
    page.wait_for_selector("#alternatives:not([hidden])")
    d = tp.parse(testing.completion([("Other", -0.1, [("Other", -0.1), ("Yo", -2.3)])]))
    saved = {"id": 1, "request": {**RUN, "prompt": "P"}, "distribution": d.model_dump(mode="json")}
    file = tmp_path / "session.json"
    file.write_text(json.dumps({"format": FORMAT, "branches": [saved]}), encoding="utf-8")
    page.set_input_files("#load", str(file))
    _until(page, "document.querySelector('article.branch .tx').textContent === 'Other'")
    assert page.locator("#alternatives").is_hidden()


def test_stop_ends_an_answer_where_it_is_and_keeps_it(context, app_url, stub):
    """Stop, mid-answer: the column keeps what arrived, marked stopped, exportable, branchable."""
    stub.delay = 0.5
    page = _open(context, app_url)
    assert page.locator("#stop").is_hidden()
    page.fill("#prompt", "Say hello")
    page.click("#run")
    _until(page, "document.querySelector('article.branch .tx > [data-p]') !== null")
    page.click("#stop")
    column = page.locator("article.branch")
    _until(page, "document.querySelector('article.branch[data-done]') !== null")
    assert page.locator("#stop").is_hidden()
    n = column.locator(".tx > [data-p]").count()
    assert 0 < n < len(HOSTILE)
    assert column.locator(".status").text_content() == f"{n} tokens · stopped"
    assert column.locator(".export").is_visible()

    def saved_error():
        return httpx.get(app_url + "api/session").json()["branches"][0].get("error", {})

    deadline = time.monotonic() + 10
    while saved_error().get("message") != STOPPED:  # the playground saw the page stop reading
        assert time.monotonic() < deadline, saved_error()
        time.sleep(0.05)
    column.locator(".tx > [data-p]").nth(0).click()
    page.wait_for_selector("#alternatives:not([hidden])")
    page.locator("#alternatives .branch-here").nth(1).click()
    _until(page, "document.querySelectorAll('article.branch[data-done]').length === 2")
    assert page.locator("#messages .error").count() == 0


def _panel_mid_answer(context, app_url, stub):
    """A page whose answer is arriving slowly, its first token's alternatives panel open."""
    page = _arriving(context, app_url, stub)
    page.locator("article.branch .tx > [data-p]").nth(0).click()
    page.wait_for_selector("#alternatives:not([hidden])")
    return page


def test_a_panel_opened_while_its_answer_arrives_gains_its_buttons_when_it_ends(
    context, app_url, stub
):
    """The panel says "still arriving" without buttons, then, the answer whole, offers them."""
    page = _panel_mid_answer(context, app_url, stub)
    assert page.locator("article.branch").get_attribute("data-done") is None  # still arriving
    note = page.locator("#alt-note")
    assert note.text_content() == "the answer is still arriving: branch when it is done"
    assert page.locator("#alternatives .branch-here").count() == 0
    _until(page, "document.querySelector('article.branch[data-done]') !== null")
    _until(page, "document.querySelectorAll('#alternatives .branch-here').length > 0")
    assert note.text_content().startswith("click \N{LEFT DOUBLE QUOTATION MARK}branch")
    buttons = page.locator("#alternatives .branch-here")
    assert buttons.count() == len(HOSTILE[0][2])  # each returned token, the sampled one too


def test_a_closed_panel_stays_closed_when_its_answer_ends(context, app_url, stub):
    """Closing the panel mid-answer is not undone by the answer finishing."""
    page = _panel_mid_answer(context, app_url, stub)
    page.click("#alt-close")
    _until(page, "document.querySelector('article.branch[data-done]') !== null")
    time.sleep(0.3)  # time for a wrongly reopened panel's fetch to land
    assert page.locator("#alternatives").is_hidden()


def test_a_stopped_answer_is_compared_with_the_one_before(context, app_url, stub):
    """Compare is refreshed when Stop ends an answer, once the playground has seen it stop."""
    page = _open(context, app_url)
    _run(page)
    stub.delay = 0.5
    page.click("#run")
    _until(page, "document.querySelectorAll('article.branch')[1]?.querySelector('.tx > [data-p]')")
    page.click("#stop")
    _until(page, "document.querySelector('#cmp-summary').textContent !== ''")
    assert page.locator("#cmp-table tbody tr").count() == len(HOSTILE)  # the longer answer's
