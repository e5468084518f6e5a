"""The thread-leak guard shared by the GUI and the integration tests' conftest files.

A test must not leave a thread running: a leaked platform server, connectivity monitor or sync
worker keeps sockets and SQLite files open, races the next test and hides shutdown bugs (the window
must stop its threads on close). ``threads_left(before)`` gives the threads started since
``before`` (a ``threading.enumerate()`` snapshot) that are still alive after a grace period — a
thread that is told to stop in a fixture's teardown may take a moment to finish its last loop.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback


def snapshot() -> set[threading.Thread]:
    return set(threading.enumerate())


def threads_left(before: set[threading.Thread], grace: float = 5.0) -> list[threading.Thread]:
    deadline = time.monotonic() + grace
    while True:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def describe(threads: list[threading.Thread]) -> str:
    """Name, daemon flag and current stack of each thread (what it is stuck in)."""
    frames = sys._current_frames()
    out = []
    for t in threads:
        out.append(f"{t.name} (daemon={t.daemon}, ident={t.ident})")
        frame = frames.get(t.ident) if t.ident is not None else None
        if frame is not None:
            out.extend("    " + ln.rstrip() for ln in traceback.format_stack(frame)[-6:])
    return "\n".join(out)


def assert_no_threads_left(before: set[threading.Thread], grace: float = 5.0) -> None:
    left = threads_left(before, grace)
    assert not left, f"threads left running: {[t.name for t in left]}\n{describe(left)}"
