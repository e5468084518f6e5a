"""Application-wide keyboard-wedge scanner detection: the Qt adapter of ``client.devices.scanner``.

A :class:`ScannerFilter` is installed on the ``QApplication``. Every key press aimed at the focused
widget goes through the Qt-free :class:`~client.devices.scanner.ScanDetector` with a monotonic
timestamp (``QElapsedTimer``, or an injected ``clock`` in tests):

* characters are held back while a burst may be a scan;
* a completed scan (fast burst + Enter/Tab, or a fast burst that stops) is classified
  (``client.domain.identity.classify_scan``) and emitted as :attr:`ScannerFilter.scanned` — the
  characters never reach the field, whatever has focus;
* anything else is normal typing: the held keys are replayed, in order, to the widget that has
  focus, so a cashier typing into a search box sees every character (up to ``inter_key_ms`` late).

A ``QTimer`` is armed at the detector's deadline so that a burst without suffix, or a single typed
key, is resolved without waiting for the next key. Key releases, shortcut overrides and keys with
Ctrl/Alt/Meta are never held. A key that may trigger a shortcut (an F-key, Esc, Alt+n, Ctrl+…)
first delivers everything held (Qt matches shortcuts before the key press reaches any widget), so
typed digits are in their field before F9 acts on it. Widgets can opt out with the dynamic property ``medsettle_no_scan``
(password fields): their keys go straight through.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

from client.devices.scanner import DEFAULT_SUFFIXES, DetectorOutput, ScanDetector, ScannerConfig

log = logging.getLogger("client.ui.scanner")

NO_SCAN_PROPERTY = "medsettle_no_scan"

_SPECIAL_NAMES = {
    Qt.Key.Key_Return: "Enter",
    Qt.Key.Key_Enter: "Enter",
    Qt.Key.Key_Tab: "Tab",
    Qt.Key.Key_Shift: "Shift",
    Qt.Key.Key_Control: "Control",
    Qt.Key.Key_Alt: "Alt",
    Qt.Key.Key_AltGr: "AltGr",
    Qt.Key.Key_Meta: "Meta",
    Qt.Key.Key_CapsLock: "CapsLock",
    Qt.Key.Key_NumLock: "NumLock",
}
_COMMAND_MODIFIERS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                      | Qt.KeyboardModifier.MetaModifier)


def scanner_config_from_settings(scanner) -> ScannerConfig:
    """``client.config.ScannerSettings`` → ``ScannerConfig``."""
    suffixes = {
        "enter": frozenset({"Enter", "Return", "\r", "\n"}),
        "tab": frozenset({"Tab", "\t"}),
        "both": DEFAULT_SUFFIXES,
        "none": frozenset(),
    }[scanner.suffix]
    return ScannerConfig(max_gap_ms=scanner.inter_key_ms, min_length=scanner.min_length, suffixes=suffixes,
                         end_on_timeout=True)


@dataclass
class _Held:
    name: str
    key: int
    modifiers: Qt.KeyboardModifier
    text: str
    target: QWidget | None


def key_name(event: QKeyEvent) -> str:
    """The detector's name for a key event: a single character, or a special-key name."""
    key = event.key()
    try:
        special = _SPECIAL_NAMES.get(Qt.Key(key))
    except ValueError:
        special = None
    if special:
        return special
    text = event.text()
    if len(text) == 1 and text.isprintable() and not (event.modifiers() & _COMMAND_MODIFIERS):
        return text
    return f"key:{int(key)}"


class ScannerFilter(QObject):
    """Install with ``app.installEventFilter(f)``; connect :attr:`scanned`."""

    #: (client.domain.identity.Scan, raw text)
    scanned = Signal(object, str)

    def __init__(self, config: ScannerConfig | None = None, clock: Callable[[], int] | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._detector = ScanDetector(config)
        self._elapsed = QElapsedTimer()
        self._elapsed.start()
        self._clock = clock or self._elapsed.elapsed
        self._held: list[_Held] = []
        self._replaying = False
        self._ts_offset: int | None = None
        self.enabled = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)

    # -- configuration ------------------------------------------------------------------------
    @property
    def config(self) -> ScannerConfig:
        return self._detector.config

    def set_config(self, config: ScannerConfig) -> None:
        self.flush()
        self._detector = ScanDetector(config)

    @property
    def pending(self) -> bool:
        return bool(self._held)

    # -- Qt ----------------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ShortcutOverride and self._held and not self._replaying:
            self._before_shortcut(event)
            return False
        if event.type() != QEvent.Type.KeyPress or self._replaying or not self.enabled:
            return False
        if not isinstance(obj, QWidget):
            return False                       # the QWindow copy of the event: handled at the widget
        target = QApplication.focusWidget() or QApplication.activeWindow()
        if target is None and obj.isWindow():
            target = obj                       # no active window yet (just after a dialog closed): its window
        if obj is not target:
            return False                       # propagation to a parent, or not the focused widget
        if obj.property(NO_SCAN_PROPERTY):
            self.flush()
            return False
        assert isinstance(event, QKeyEvent)
        name = key_name(event)
        if name in ("Shift", "Control", "Alt", "AltGr", "Meta", "CapsLock", "NumLock"):
            return False
        if (event.modifiers() & _COMMAND_MODIFIERS) and not self._held:
            return False                       # Ctrl+C etc.: never part of a scan
        held = _Held(name, event.key(), event.modifiers(), event.text(), obj)
        self._held.append(held)
        out = self._detector.feed(name, self._event_time(event))
        consumed = self._apply(out, current=held)
        self._arm()
        return consumed

    def _before_shortcut(self, event: QEvent) -> None:
        """A key that may be a shortcut (F9, Alt+1, Ctrl+D …) is about to be matched against the
        window's shortcuts — which happens BEFORE its KeyPress reaches this filter, and a matched
        shortcut never produces a KeyPress at all. Everything held is delivered first, in order, so
        the cashier's "50" is in 实收 when F9 settles. A plain character (it may belong to a scan in
        progress) keeps the held keys."""
        assert isinstance(event, QKeyEvent)
        if key_name(event) in ("Shift", "Control", "Alt", "AltGr", "Meta", "CapsLock", "NumLock"):
            return
        if len(key_name(event)) == 1 and not (event.modifiers() & _COMMAND_MODIFIERS):
            return
        if key_name(event) in ("Enter", "Tab"):
            return                             # a scan suffix or the end of typing: the KeyPress decides
        self.flush()

    def _event_time(self, event: QKeyEvent) -> int:
        """When the key was pressed. The window system stamps every key event (X11: server
        milliseconds); a busy GUI thread processes a scanner's burst late, but the stamps keep the real
        gaps, so a scan is not split by a stall. The detector therefore runs on the stamps' time line;
        :meth:`_now` maps this filter's clock onto it with the smallest delay seen (re-synchronised when
        the stamps jump). Events without a stamp (synthetic, some platforms) are timed when processed."""
        ts = int(event.timestamp() or 0)
        if ts <= 0:
            return self._now()
        delay = int(self._clock()) - ts
        if self._ts_offset is None or delay < self._ts_offset or delay - self._ts_offset > 10_000:
            self._ts_offset = delay
        return ts

    def _now(self) -> int:
        """The present on the detector's time line (the stamps' when they are known)."""
        return int(self._clock()) - (self._ts_offset or 0)

    def _on_timeout(self) -> None:
        if not self._held:
            return
        out = self._detector.tick(self._now())
        self._apply(out, current=None)
        self._arm()

    def _arm(self) -> None:
        deadline = self._detector.deadline
        if deadline is None:
            self._timer.stop()
            return
        self._timer.start(max(1, int(deadline - self._now())))

    # -- plumbing --------------------------------------------------------------------------------
    def _apply(self, out: DetectorOutput, current: _Held | None) -> bool:
        """Carry out the detector's answer. Returns True when the current event is consumed."""
        pass_current = False
        scan = None
        if out.scan is not None:
            n = len(out.raw)
            taken, self._held = self._held[:n], self._held[n:]
            if "".join(h.name for h in taken) != out.raw:  # pragma: no cover - detector contract
                log.error("scanner filter out of step with the detector")
            scan = out.scan
        to_replay: list[_Held] = []
        for name in out.replay:
            if not self._held:  # pragma: no cover - detector contract
                log.error("scanner filter: nothing held for replayed key %r", name)
                break
            h = self._held.pop(0)
            if h is current:
                pass_current = True
            else:
                to_replay.append(h)
        if current is not None and len(current.name) != 1 and current in self._held:
            self._held.remove(current)          # a scan suffix: swallowed
        self._replay(to_replay)
        if scan is not None:
            log.info("scan detected: kind=%s length=%d", scan.kind, len(out.raw))
            self.scanned.emit(scan, out.raw)
        return not pass_current

    def _replay(self, items: list[_Held]) -> None:
        if not items:
            return
        self._replaying = True
        try:
            for h in items:
                target = QApplication.focusWidget() or h.target
                if target is None:
                    continue
                ev = QKeyEvent(QEvent.Type.KeyPress, h.key, h.modifiers, h.text)
                QApplication.sendEvent(target, ev)
        finally:
            self._replaying = False

    def flush(self) -> None:
        """Deliver everything held now (focus change, window closing, opting out)."""
        out = self._detector.flush()
        self._apply(out, current=None)
        self._timer.stop()
