"""The notebook view in a real headless Chromium (Debian's `chromium`, driven by playwright).

Run `scripts/ensure_chromium.sh` first. Without Chromium these tests skip locally and fail in CI
(`CI=true`). Screenshots go to `test-artifacts/`. One test executes a real notebook with
`jupyter nbconvert --execute` (nbconvert and ipykernel come with the `dev` extra).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tests._recorded import RECORDED
from tests._unavailable import unavailable

import tokenprobs as tp
from tokenprobs import render

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("TOKENPROBS_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TOKENS = ".tpv [data-p]"
"""Every drawn cell of a view: a focusable span whose `data-p` holds its popup."""
BIG_BUDGET_S = 0.5
"""Seconds for a 4,096-token, top-20 view to be inserted, laid out and show a focused popup."""

# A page that runs scripts, as a notebook front end may: only the page's own script may run.
PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>clean</title></head>'
    '<body><script>document.body.dataset.scripts = "on"</script>{}</body></html>'
)


def _unavailable(reason: str) -> None:
    unavailable(f"{reason}; run scripts/ensure_chromium.sh", ci="browser tests must run in CI")


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium, launched once for the module."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _unavailable(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 - a dev dependency
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh 900 by 600 page, closed after the test."""
    pg = browser.new_page(viewport={"width": 900, "height": 600})
    yield pg
    pg.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _columns(rows):
    """A distribution from `(token, logprob, [(alternative, logprob)])` rows (bytes derived)."""
    return tp.TokenDistribution.from_columns(
        source="chat",
        tokens=[r[0] for r in rows],
        token_bytes=[None for _ in rows],
        logprobs=[r[1] for r in rows],
        top_tokens=[[a[0] for a in r[2]] for r in rows],
        top_bytes=[[None for _ in r[2]] for r in rows],
        top_logprobs_flat=[a[1] for r in rows for a in r[2]],
    )


def apiref() -> tp.TokenDistribution:
    """The API reference's recorded top-2 Chat Completions example."""
    name = "chat_gpt-4o-mini_top2_openai_apiref_example.json"
    content = json.loads((RECORDED / name).read_text(encoding="utf-8"))["choices"][0]["logprobs"][
        "content"
    ]
    return _columns(
        [
            (c["token"], c["logprob"], [(a["token"], a["logprob"]) for a in c["top_logprobs"]])
            for c in content
        ]
    )


SCRIPT = "<script>document.title='pwned'</script>"
IMG = ' <img src=x onerror="document.title=&quot;pwned&quot;;document.body.dataset.pwned=1">'


def big(n: int = 4096, k: int = 20) -> tp.TokenDistribution:
    """`n` positions with `k` alternatives each: a long answer at the API's top-20 cap."""
    rng = np.random.default_rng(0)
    words = [" the", " of", " token", " 확률", " 💙", "\n", " naïve", " <b>"]
    lps = np.sort(np.log(rng.dirichlet(np.full(k + 5, 0.3), size=n))[:, :k], axis=1)[:, ::-1]
    return _columns(
        [
            (
                words[i % len(words)],
                float(lps[i, 0]),
                [(f" w{j}", float(lps[i, j])) for j in range(k)],
            )
            for i in range(n)
        ]
    )


def _popup(token) -> str | None:
    """The alternatives a token shows now (its `::after` box), or None when none is shown."""
    return token.evaluate(
        """el => {
            const s = getComputedStyle(el, "::after");
            return s.display === "none" || s.content === "none" || s.content === "normal"
                ? null : el.dataset.p;
        }"""
    )


def test_tokens_and_focus_show_alternatives(page):
    """Each position is a token element; Tab focus and hover reveal its alternatives."""
    d = apiref()
    page.set_content(PAGE.format(render.to_html(d)))
    tokens = page.locator(TOKENS)
    assert tokens.count() == len(d)
    assert [_popup(tokens.nth(i)) for i in range(len(d))] == [None] * len(d)
    page.keyboard.press("Tab")
    shown = _popup(tokens.nth(0))
    assert shown is not None
    assert "#0 Hello  p 72.81%  logprob -0.317" in shown
    assert "\n▸72.8% Hello\n 26.7% Hi" in shown
    assert "tail 0.45%" in shown
    _shot(page, "browser-apiref-focus")
    page.keyboard.press("Tab")
    assert _popup(tokens.nth(0)) is None
    assert _popup(tokens.nth(1)) is not None
    page.evaluate("document.activeElement.blur()")
    tokens.nth(5).hover()
    assert "␣help" in (_popup(tokens.nth(5)) or "")
    _shot(page, "browser-apiref-hover")


def test_markup_in_tokens_never_executes(page):
    """`<script>` and `<img onerror>` tokens show as text, and nothing of theirs runs."""
    d = _columns(
        [
            (SCRIPT, -0.4, [(SCRIPT, -0.4), (IMG, -1.2)]),
            (IMG, -2.0, [(" ok", -0.3), (IMG, -2.0)]),
        ]
    )
    page.set_content(PAGE.format(render.to_html(d)))
    page.wait_for_timeout(200)  # time for an injected image's onerror to fire
    assert page.evaluate("document.body.dataset.scripts") == "on"  # scripts do run in this page
    assert page.title() == "clean"
    assert page.evaluate("document.body.dataset.pwned") is None
    assert page.locator("script").count() == 1
    assert page.locator("img").count() == 0
    tokens = page.locator(TOKENS)
    assert tokens.count() == 2
    assert page.locator(".tpv .tx").inner_text() == SCRIPT + IMG
    tokens.nth(0).focus()
    # a long alternative shows its first 40 characters, as text, and how long it is
    shown = IMG.replace(" ", "␣")[:40] + f"… ({len(IMG)} characters)"
    assert shown in (_popup(tokens.nth(0)) or "")
    _shot(page, "browser-hostile")
    assert page.title() == "clean"


def test_standalone_page_works_from_file(page, tmp_path):
    """The standalone page opens from a file and reveals alternatives on focus."""
    path = tmp_path / "view.html"
    path.write_text(render.to_html(apiref(), mode="entropy", standalone=True), encoding="utf-8")
    page.goto(path.as_uri())
    assert page.title() == "tokenprobs · chat · 9 tokens"
    page.locator(TOKENS).nth(3).focus()
    assert "␣may" in (_popup(page.locator(TOKENS).nth(3)) or "")


INSERT_AND_FOCUS = """html => {
    const t0 = performance.now();
    const box = document.createElement("div");
    box.innerHTML = html;                       // as a notebook front end inserts an output
    document.body.appendChild(box);
    const tokens = box.querySelectorAll(".tpv [data-p]");
    const last = tokens[tokens.length - 1];
    last.focus();
    const shown = getComputedStyle(last, "::after").display;
    document.body.getBoundingClientRect();      // force style and layout
    return {ms: performance.now() - t0, tokens: tokens.length, shown};
}"""


def test_large_view_is_interactive_within_budget(page, browser):
    """A 4,096-token, top-20 view is inserted, laid out and shows a focused popup in budget."""
    d = big()
    fragment = render.to_html(d)
    runs = []
    for _ in range(3):  # best of three: a loaded CI machine adds noise, not cost
        pg = browser.new_page(viewport={"width": 900, "height": 600})
        pg.set_content('<!DOCTYPE html><html lang="en"><body></body></html>')
        runs.append(pg.evaluate(INSERT_AND_FOCUS, fragment))
        pg.close()
    assert {r["tokens"] for r in runs} == {len(d)}
    assert {r["shown"] for r in runs} == {"block"}
    best = min(r["ms"] for r in runs) / 1000
    print(f"4,096-token view: {[round(r['ms']) for r in runs]} ms (budget {BIG_BUDGET_S} s)")  # noqa: T201
    page.set_content(PAGE.format(fragment))
    page.locator(TOKENS).last.focus()
    _shot(page, "browser-4096")
    assert best < BIG_BUDGET_S


POPUP_BOX = """el => {
    // The popup is el's ::after, absolutely positioned in the view (its containing block):
    // its box is the view's padding box moved by the pseudo-element's used top and left.
    const s = getComputedStyle(el, "::after");
    if (s.display === "none" || s.content === "none" || s.content === "normal") return null;
    const view = el.closest(".tpv"), v = view.getBoundingClientRect();
    const left = v.left + view.clientLeft + parseFloat(s.left) + parseFloat(s.marginLeft);
    const top = v.top + view.clientTop + parseFloat(s.top) + parseFloat(s.marginTop);
    const box = {left, top, right: left + parseFloat(s.width), bottom: top + parseFloat(s.height)};
    const clips = [];
    for (let a = el.parentElement; a; a = a.parentElement) {
        const c = getComputedStyle(a);
        if (c.overflowX !== "visible" || c.overflowY !== "visible") {
            const r = a.getBoundingClientRect(), x = r.left + a.clientLeft, y = r.top + a.clientTop;
            clips.push({name: `${a.tagName}.${a.className}`, left: x, top: y,
                        right: x + a.clientWidth, bottom: y + a.clientHeight});
        }
    }
    clips.push({name: "viewport", left: 0, top: 0, right: innerWidth, bottom: innerHeight});
    // what the user sees: each corner of the box hit-tests to the token (a clipped corner
    // would hit whatever lies under it)
    const inset = 2, corners = [[box.left + inset, box.top + inset],
        [box.right - inset, box.top + inset], [box.left + inset, box.bottom - inset],
        [box.right - inset, box.bottom - inset]];
    const seen = corners.map(([x, y]) => document.elementsFromPoint(x, y).includes(el));
    return {box, clips, seen, text: el.dataset.p};
}"""


def _assert_fully_visible(token) -> str:
    """The token's popup is shown, whole, inside every clipping ancestor and the viewport."""
    found = token.evaluate(POPUP_BOX)
    assert found is not None, "no popup shown"
    box = found["box"]
    assert box["bottom"] - box["top"] > 30
    for clip in found["clips"]:
        inside = (
            clip["left"] - 0.5 <= box["left"]
            and box["right"] <= clip["right"] + 0.5
            and clip["top"] - 0.5 <= box["top"]
            and box["bottom"] <= clip["bottom"] + 0.5
        )
        assert inside, f"popup {box} leaves {clip}"
    assert found["seen"] == [True] * 4
    return found["text"]


def _show_last(page, view, how: str):
    """Focus or hover the view's last token, with the view's end scrolled into the viewport."""
    last = view.locator("[data-p]").last
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, 0)
    view.evaluate("v => v.scrollIntoView({block: 'end'})")
    if how == "focus":
        last.focus()
    else:
        last.hover()
    return last


NOTEBOOK_CELLS = [
    """import tokenprobs as tp
from tokenprobs import testing
words = [" The", " sky", " is", " blue", " because", " of", " Rayleigh", " scattering"] * 9
rows = [(w, -0.02 * (i % 5), [(w, -0.02 * (i % 5)), (" alt", -3.0), (" other", -3.5),
         (" third", -4.0), (" fourth", -4.5)]) for i, w in enumerate(words)]
rows[-1] = (" scattering", -3.0, [(" light", -0.2), (" scattering", -3.0), (" dust", -3.4),
            (" air", -4.1), (" water", -4.6)])
d = tp.parse(testing.chat_completion(rows))
tp.render.to_html(d)""",
    'd.view(mode="entropy")',
    "d",
]


def _run_notebook(tmp_path: Path) -> Path:
    """Write the notebook, execute it with nbconvert (lab template) and return its HTML page."""
    import nbformat  # noqa: PLC0415 - a dev dependency, as nbconvert and ipykernel are
    from nbformat.v4 import new_code_cell, new_notebook  # noqa: PLC0415

    # a kernel spec of our own: this interpreter, whatever kernels the machine has installed
    kernels = tmp_path / "jupyter" / "kernels" / "tokenprobs-test"
    kernels.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "tokenprobs test",
        "language": "python",
    }
    (kernels / "kernel.json").write_text(json.dumps(spec))
    nb = new_notebook(cells=[new_code_cell(c) for c in NOTEBOOK_CELLS])
    nb.metadata["kernelspec"] = {"name": "tokenprobs-test", "display_name": "tokenprobs test"}
    path = tmp_path / "view.ipynb"
    nbformat.write(nb, path)
    env = {**os.environ, "JUPYTER_PATH": str(tmp_path / "jupyter")}
    command = [sys.executable, "-m", "nbconvert", "--execute", "--to", "html"]
    command += ["--template", "lab", "--ExecutePreprocessor.timeout=120", str(path)]
    subprocess.run(command, check=True, capture_output=True, env=env, timeout=300)  # noqa: S603 - our own command line
    return path.with_suffix(".html")


@pytest.fixture(scope="module")
def notebook_html(tmp_path_factory):
    """The notebook's views, executed by nbconvert and exported with the lab template."""
    return _run_notebook(tmp_path_factory.mktemp("notebook"))


def _offline(page) -> None:
    """Block the template's CDN scripts: the test needs no network and the view no scripts."""
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
    )


@pytest.mark.parametrize("how", ["hover", "focus"])
def test_notebook_last_token_popup_is_not_clipped(browser, notebook_html, how):
    """In nbconvert's lab page, each output's last token shows its whole popup (hover, focus)."""
    page = browser.new_page(viewport={"width": 900, "height": 700})
    try:
        _offline(page)
        page.goto(notebook_html.as_uri(), wait_until="load")
        # rendered as HTML in the output area (a string's repr would be text in a <pre>)
        views = page.locator(".jp-OutputArea-output.jp-RenderedHTMLCommon > .tpv")
        assert views.count() == len(NOTEBOOK_CELLS)
        for n in range(views.count()):
            last = _show_last(page, views.nth(n), how)
            text = _assert_fully_visible(last)
            assert text.startswith("#71 ␣scattering  p 4.98%")
            assert text.endswith(" 1.01% ␣water")
            if n == 0:
                _shot(page, f"notebook-last-token-{how}")
    finally:
        page.close()


CLIPPED_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body>'
    '<div style="overflow:hidden;width:{width}px;border:1px solid #888">{view}</div>'
    "</body></html>"
)


@pytest.mark.parametrize("width", [700, 320])
def test_clipping_container_shows_the_whole_popup(page, width):
    """In an `overflow:hidden` box (as VS Code sizes an output) the last popup fits, even narrow."""
    page.set_content(CLIPPED_PAGE.format(width=width, view=render.to_html(apiref())))
    view = page.locator(".tpv")
    for how in ("hover", "focus"):
        last = _show_last(page, view, how)
        assert _assert_fully_visible(last).startswith("#8 ?  p 99.92%")
