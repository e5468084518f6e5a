"""The thread-leak guard (tests/threads.py) is on for the integration tests and finds a leak."""

from __future__ import annotations

import threading

from tests.threads import describe, snapshot, threads_left


def test_the_guard_is_autouse_here(request):
    assert "no_threads_left" in request.fixturenames


def test_a_planted_thread_is_found_and_a_joined_one_is_not():
    before = snapshot()
    stop = threading.Event()
    t = threading.Thread(target=stop.wait, name="planted-worker", daemon=True)
    t.start()
    try:
        left = threads_left(before, grace=0.1)
        assert left == [t]
        assert "planted-worker (daemon=True" in describe(left) and "wait" in describe(left)
    finally:
        stop.set()
        t.join(5)
    assert threads_left(before, grace=1.0) == []
