"""The parse-time GC pause restores the collector exactly as it was, across threads."""

from __future__ import annotations

import gc
import threading

from tokenprobs._gc import paused_gc


def test_pause_nests_and_restores():
    """Nested pauses keep the GC off until the outermost ends, then turn it back on."""
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_pause_keeps_a_disabled_gc_disabled():
    """A GC the user turned off stays off after a parse."""
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_threads_leave_the_gc_enabled():
    """Threads whose pauses overlap in any order leave the GC as it was before the first."""
    inside, release = threading.Barrier(3), threading.Event()

    def worker():
        with paused_gc():
            inside.wait()
            release.wait()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    inside.wait()
    assert not gc.isenabled()
    release.set()
    for t in threads:
        t.join()
    assert gc.isenabled()
