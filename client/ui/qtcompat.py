"""Work-arounds for known problems of the Qt binding in use.

PySide6 6.12 under CPython 3.11 loses one reference to ``None`` (and sometimes to ``True``/``False``)
on many calls: a Python slot that returns ``None`` (most of them), ``QApplication.focusWidget()``
returning ``None``, ``QObject.property()`` of an unset property, ``QCoreApplication.processEvents()``
… CPython 3.11's singletons are not immortal (they are from 3.12 on, PEP 683), so after some hours
of normal use the count reaches zero and the interpreter aborts with "none_dealloc: deallocating
None". :class:`SingletonGuard` keeps a private reserve of references and tops it up from a timer,
long before the count could run out. On CPython ≥ 3.12 it does nothing.
"""

from __future__ import annotations

import ctypes
import logging
import sys

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger("client.ui.qtcompat")

NEEDED = sys.version_info < (3, 12)
LOW_WATER = 200_000
TOP_UP = 1_000_000
_reserve: list[list] = []


def top_up() -> int:
    """Add references to None/True/False whose count is low; returns how many were added."""
    if not NEEDED:
        return 0
    added = 0
    for obj in (None, True, False):
        n = sys.getrefcount(obj)
        if n < LOW_WATER:
            block = [obj] * (TOP_UP - n)             # one C-level reference per slot, cheap
            # the block itself is never freed (not even at interpreter exit, when the leaked
            # references would otherwise come due)
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(block))
            _reserve.append(block)
            added += TOP_UP - n
    if added:
        log.info("refilled singleton references (+%d): PySide6 reference leak work-around", added)
    return added


class SingletonGuard(QObject):
    """A timer that calls :func:`top_up` (every second by default)."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 1000):
        super().__init__(parent)
        top_up()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        if NEEDED:
            self._timer.start()

    def _tick(self) -> None:
        top_up()

    def stop(self) -> None:
        self._timer.stop()
