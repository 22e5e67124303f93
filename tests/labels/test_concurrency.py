"""One `Labels` read from several threads at once gives each thread the numbers it gets alone."""

from __future__ import annotations

import math
import random
import sys
import threading

import pytest

import tokenprobs as tp
from tokenprobs.labels import Labels
from tokenprobs.testing import chat_completion

LN = math.log
NAMES = [f"label{i}" for i in range(30)]


def answer(seed):
    """A distribution of 20 alternatives: labels, labels with punctuation, one other token."""
    rnd = random.Random(seed)  # noqa: S311 - reproducible test data
    texts = [rnd.choice(NAMES) + rnd.choice(["", ".", ",", "!", " x"]) for _ in range(20)]
    texts = list(dict.fromkeys([*texts, f"other{seed}"]))
    return tp.parse(chat_completion([(texts[0], LN(0.01), [(t, LN(0.01)) for t in texts])]))


@pytest.fixture
def often_switching():
    """Threads switch every microsecond, so that they interleave inside one read."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("often_switching")
def test_one_label_set_shared_by_threads():
    """The outcome table is each read's own: no crash, no outcome given another's column."""
    ds = [answer(seed) for seed in range(160)]
    alone = [Labels(NAMES).probs(d).raw for d in ds]
    for _ in range(3):
        labels = Labels(NAMES)  # fresh: every thread meets new candidates at the same time
        got: list[object] = [None] * len(ds)

        def read(rows, labels=labels, got=got):
            for n in rows:
                try:
                    got[n] = labels.probs(ds[n]).raw
                except Exception as exc:  # noqa: BLE001 - reported below as a wrong result
                    got[n] = exc

        threads = [threading.Thread(target=read, args=(range(k, len(ds), 8),)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wrong = [(n, g) for n, (g, a) in enumerate(zip(got, alone, strict=True)) if g != a]
        assert wrong == []
