"""The window's runtime helpers, apart from its state (``client.ui.app``) and its widgets
(``client.ui.mainwindow``), so that neither imports the other: the post-show warm-up, lowered
priority for bulk background threads, and the garbage-collector setting for bulk loads.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import threading
import time

log = logging.getLogger("client.ui.app")

# Modules the workers use (reportlab, PIL, pypinyin, the catalogue …). They are NOT imported before
# the window shows: :func:`start_warmup` imports them on a background thread once the sign-in dialog
# has been painted (first use would otherwise pay for them: pypinyin's phrase dictionary alone is
# ~0.5 s). Importing in a worker thread is safe in CPython (the import lock serialises a module's
# first import; a worker needing a module that is still loading waits for it). The crash seen with
# first imports in worker threads was the PySide6 6.12.0 reference-count defect, which
# ``client.ui.qtcompat.check_binding`` refuses at start.
PREIMPORT = ("client.printing.documents", "client.printing.detail_list", "offline_cache.catalog",
             "offline_cache.audit", "client.services.sync", "client.services.recovery",
             "client.services.checkout", "client.services.connectivity", "client.devices.qr", "pypinyin",
             "PIL.Image", "client.services.offline", "client.services.forward", "client.services.dayend",
             "client.services.invoicing", "client.services.reports", "client.printing.reports",
             "client.printing.qtprint", "client.printing.common")


def preimport() -> None:
    import importlib

    for name in PREIMPORT:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional part missing must not stop the window; logged
            log.warning("could not pre-import %s", name, exc_info=True)
        time.sleep(0)    # between modules: let the GUI thread take the GIL


_FROZEN = threading.Event()


def freeze_startup_objects() -> None:
    """``gc.freeze()``: move every object alive now (modules, classes, the window's widgets, the
    catalogue's pinyin tables …, ~300,000 after the imports) to the permanent generation, so that
    later full collections walk only objects created afterwards. Full collections stop every thread,
    the GUI thread included: without this, each took up to ~370 ms during a big sync. Called once,
    after the warm-up imports; later calls are ignored. Garbage is never frozen twice: objects that
    die later are still freed by reference counting (only reference cycles among frozen objects are
    kept, and start-up creates few)."""
    if _FROZEN.is_set():
        return
    _FROZEN.set()
    gc.freeze()
    log.info("gc.freeze(): %d start-up objects left out of later collections", gc.get_freeze_count())


# Niceness of the window's bulk background threads (sync, warm-up). The GUI thread keeps the default
# priority: on a busy 2-core till the scheduler then runs it first when it wakes for an event, which
# is what keeps the event loop's stalls short while a sync converts and writes 300,000 rows.
BACKGROUND_NICE = 10


def lower_this_thread(nice: int = BACKGROUND_NICE) -> None:
    """Raise the calling thread's nice value (Linux: per thread; threads it starts inherit it).
    Elsewhere, or when not permitted, nothing happens."""
    if not sys.platform.startswith("linux") or not hasattr(os, "setpriority"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, max(os.getpriority(os.PRIO_PROCESS, tid), nice))
    except OSError:
        log.debug("could not lower the priority of %s", threading.current_thread().name, exc_info=True)


def run_lowered(fn, *, name: str):
    """Run ``fn()`` on a short-lived thread with a lowered OS priority (:func:`lower_this_thread`)
    and wait for it: the caller (the window's db worker) keeps its normal priority, since a thread
    cannot raise its priority back. Returns ``fn``'s result or raises its exception."""
    box: dict = {}

    def target() -> None:
        lower_this_thread()
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc

    t = threading.Thread(target=target, name=name, daemon=True)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box.get("result")


class Warmup:
    """The post-show warm-up on its own thread: :func:`preimport`, then :func:`freeze_startup_objects`.
    ``join()`` waits for it (the window's shutdown); ``done`` tells whether it finished."""

    def __init__(self):
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="medsettle-warmup", daemon=True)

    def _run(self) -> None:
        try:
            lower_this_thread()
            t = time.perf_counter()
            preimport()
            log.info("warm-up imports took %.2f s", time.perf_counter() - t)
            freeze_startup_objects()
        except Exception:  # noqa: BLE001 - a failed warm-up only costs time at first use; logged
            log.exception("warm-up failed")
        finally:
            self.done.set()

    def start(self) -> Warmup:
        self.thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        if self.thread.is_alive():
            self.thread.join(timeout)


# Garbage collector thresholds while a bulk load (catalogue sync) runs on the db worker: the sync
# allocates millions of short-lived containers; with the default (700, 10, 10) a full collection
# would run every ~70,000 surviving allocations. Generation 2 waits for 1,000 generation-1
# collections instead; the young generations keep their default (cheap, bounded) collections.
# GC is never disabled: reference cycles are still collected.
BULK_GC_THRESHOLD2 = 1000
_bulk_lock = threading.Lock()
_bulk_depth = [0, None]


@contextlib.contextmanager
def bulk_gc():
    """Raise the generation-2 threshold for the duration of a bulk load; restore it afterwards
    (re-entrant: the outermost exit restores)."""
    with _bulk_lock:
        if _bulk_depth[0] == 0:
            _bulk_depth[1] = gc.get_threshold()
            t0, t1, _t2 = _bulk_depth[1]
            gc.set_threshold(t0, t1, BULK_GC_THRESHOLD2)
        _bulk_depth[0] += 1
    try:
        yield
    finally:
        with _bulk_lock:
            _bulk_depth[0] -= 1
            if _bulk_depth[0] == 0 and _bulk_depth[1] is not None:
                gc.set_threshold(*_bulk_depth[1])
                _bulk_depth[1] = None
