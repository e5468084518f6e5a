"""Work off the GUI thread (Anki's TaskManager idea, reference desktop-anchors §B).

* ``run_db``  — ONE serial executor: everything that writes the local store (and the counter
  use cases, which write the store before and after their network calls) runs there, in order;
* ``run_net`` — a small pool for read-only network work (health pings, e-voucher decoding …).

Results come back to the GUI thread through a queued Qt signal and are handed to ``on_done``;
an exception goes to ``on_error`` or, when the caller gave none, to the :attr:`TaskManager.failed`
signal (the window shows it and logs it) — nothing is swallowed. :meth:`TaskManager.shutdown`
waits for running tasks, cancels queued ones and leaves no thread behind.

Progress from a worker: ``progress = task_manager.progress_relay(callback)`` gives a thread-safe
callable; calling it in the worker delivers ``callback(*args)`` on the GUI thread.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

log = logging.getLogger("client.ui.workers")

DB_THREAD_PREFIX = "medsettle-db"
NET_THREAD_PREFIX = "medsettle-net"


class _Relay(QObject):
    """Thread-safe progress callable. Only a bare signal crosses threads; the Python arguments wait
    in a deque (no Python objects are marshalled through queued signals)."""

    fire = Signal()

    def __init__(self, callback: Callable[..., Any], parent: QObject | None = None):
        super().__init__(parent)
        self._callback = callback
        self._queue: deque[tuple] = deque()
        self.fire.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def _deliver(self) -> None:
        while self._queue:
            args = self._queue.popleft()
            self._callback(*args)

    def __call__(self, *args: Any) -> None:
        self._queue.append(args)
        self.fire.emit()


class TaskManager(QObject):
    #: an exception from a task that had no on_error (exception, task description)
    failed = Signal(object, str)
    #: number of tasks queued or running changed (busy indicator)
    busy_changed = Signal(int)
    _finished = Signal(int)

    def __init__(self, parent: QObject | None = None, net_workers: int = 3):
        super().__init__(parent)
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix=DB_THREAD_PREFIX)
        self._net = ThreadPoolExecutor(max_workers=net_workers, thread_name_prefix=NET_THREAD_PREFIX)
        self._pending: dict[int, tuple] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._closed = False
        self._relays: list[_Relay] = []
        self._finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)

    # -- public -------------------------------------------------------------------------------
    @property
    def busy(self) -> int:
        with self._lock:
            return len(self._pending)

    def run_db(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None, label: str = "") -> Future:
        return self._submit(self._db, fn, on_done, on_error, label or getattr(fn, "__name__", "db task"))

    def run_net(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
                on_error: Callable[[BaseException], None] | None = None, label: str = "") -> Future:
        return self._submit(self._net, fn, on_done, on_error, label or getattr(fn, "__name__", "network task"))

    def progress_relay(self, callback: Callable[..., Any]) -> Callable[..., None]:
        relay = _Relay(callback, self)
        self._relays.append(relay)
        return relay

    def shutdown(self, wait: bool = True) -> None:
        """Cancel queued tasks, wait for running ones, stop the threads. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._db.shutdown(wait=wait, cancel_futures=True)
        self._net.shutdown(wait=wait, cancel_futures=True)
        log.info("task manager stopped")

    # -- internals ------------------------------------------------------------------------------
    def _submit(self, executor: ThreadPoolExecutor, fn, on_done, on_error, label: str) -> Future:
        if self._closed:
            raise RuntimeError("task manager is shut down")
        task_id = next(self._ids)
        fut = executor.submit(fn)
        with self._lock:
            self._pending[task_id] = (fut, on_done, on_error, label)
            n = len(self._pending)
        self.busy_changed.emit(n)
        fut.add_done_callback(lambda _f, i=task_id: self._finished.emit(i))
        return fut

    def _on_finished(self, task_id: int) -> None:
        with self._lock:
            entry = self._pending.pop(task_id, None)
            n = len(self._pending)
        if entry is None:
            return
        fut, on_done, on_error, label = entry
        self.busy_changed.emit(n)
        if fut.cancelled():
            return
        exc = fut.exception()
        if exc is not None:
            if on_error is not None:
                on_error(exc)
            else:
                log.error("task %s failed", label, exc_info=exc)
                self.failed.emit(exc, label)
            return
        if on_done is not None:
            on_done(fut.result())
