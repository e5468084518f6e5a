"""The application-wide scanner filter with an injected clock: scans are routed by kind whatever has
focus, typing is replayed to the focused field in order, never mistaken for a scan."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from client.devices.scanner import ScannerConfig
from client.ui.scanner_filter import NO_SCAN_PROPERTY, ScannerFilter


class Clock:
    def __init__(self):
        self.t = 1000

    def __call__(self) -> int:
        return self.t


@pytest.fixture
def rig(qtbot, qapp):
    w = QWidget()
    lay = QVBoxLayout(w)
    a, b = QLineEdit(), QLineEdit()
    b.setProperty(NO_SCAN_PROPERTY, True)
    lay.addWidget(a)
    lay.addWidget(b)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    a.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is a)
    clock = Clock()
    f = ScannerFilter(ScannerConfig(max_gap_ms=50, min_length=6), clock=clock)
    qapp.installEventFilter(f)
    scans = []
    f.scanned.connect(lambda s, raw: scans.append((s.kind, raw)))
    yield w, a, b, clock, f, scans
    qapp.removeEventFilter(f)


def _key(ch: str):
    if ch == "\r":
        return QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r")
    key = Qt.Key(ord(ch.upper())) if ch.isalnum() else Qt.Key.Key_unknown
    return QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier, ch)


def _type(qtbot, clock, text, gap):
    for ch in text:
        QApplication.sendEvent(QApplication.focusWidget(), _key(ch))
        clock.t += gap


def test_gui_scan_is_routed_and_does_not_leak(qtbot, rig):
    w, a, b, clock, f, scans = rig
    _type(qtbot, clock, "330421198503150016\r", gap=8)
    assert scans == [("certno", "330421198503150016")]
    assert a.text() == ""


def test_gui_slow_typing_replayed_in_order(qtbot, rig):
    w, a, b, clock, f, scans = rig
    _type(qtbot, clock, "abc123", gap=200)     # a person: every gap above 50 ms
    clock.t += 200
    f._on_timeout()                           # what the deadline timer does
    assert a.text() == "abc123"
    assert scans == []


def test_gui_short_fast_burst_is_typing(qtbot, rig):
    w, a, b, clock, f, scans = rig
    _type(qtbot, clock, "12\r", gap=5)         # below min_length: typed text + Enter reach the field
    assert a.text() == "12" and scans == []


def test_gui_opt_out_field_gets_keys_directly(qtbot, rig):
    w, a, b, clock, f, scans = rig
    b.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is b)
    _type(qtbot, clock, "Secret-123\r", gap=2)
    assert b.text() == "Secret-123" and scans == []


def test_gui_burst_without_suffix_ends_on_timeout(qtbot, rig):
    w, a, b, clock, f, scans = rig
    _type(qtbot, clock, "XJ01CRA006A001010104041", gap=3)
    assert f.pending
    clock.t += 60
    f._on_timeout()
    assert scans and scans[0][0] == "catalog_code"
    assert a.text() == ""


def test_gui_scan_kept_whole_when_the_gui_stalls(qtbot, rig):
    """A busy GUI thread processes the scanner's keys late and in a burst: the window-system stamps of the
    events (not the time they are processed) keep the real 8 ms gaps, so the scan is not split in two."""
    w, a, b, clock, f, scans = rig
    text = "330421198503150016"
    stamp = 5_000_000                                # X server milliseconds: another epoch than the clock
    for i, ch in enumerate(text + "\r"):
        ev = _key(ch)
        ev.setTimestamp(stamp + 8 * i)
        QApplication.sendEvent(QApplication.focusWidget(), ev)
        clock.t += 250 if i == 1 else 1              # the GUI thread stalled 250 ms after the second key
    assert scans == [("certno", text)]
    assert a.text() == ""


def test_gui_stamped_typing_is_still_typing(qtbot, rig):
    """Stamped events of a person typing (120 ms apart) stay typing, even when processed in a burst."""
    w, a, b, clock, f, scans = rig
    stamp = 9_000_000
    for i, ch in enumerate("abc123"):
        ev = _key(ch)
        ev.setTimestamp(stamp + 120 * i)
        QApplication.sendEvent(QApplication.focusWidget(), ev)
        clock.t += 1
    clock.t += 200
    f._on_timeout()
    assert a.text() == "abc123" and scans == []
