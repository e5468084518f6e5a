"""Keyboard-wedge scanner detection, Qt-free.

A barcode/QR scanner in keyboard-wedge mode "types" its payload very fast and usually ends with
Enter or Tab.  Following Odoo's barcode service (reference desktop-anchors §A3), keys are
buffered; a buffer is a **scan** when

* every gap between consecutive keys is ≤ ``max_gap_ms`` (default 50 ms; slow Bluetooth
  scanners need 100–150 ms, make it a setting),
* it ends with a suffix key (``Enter``/``Tab`` by default) — or, if ``end_on_timeout``, simply
  stops (a scanner configured without suffix),
* and it has at least ``min_length`` characters (default 6).

Anything else is normal typing: the detector hands the buffered keys back (``replay``) so the
caller can deliver them, in order, to the focused field.  The cost is that a typed key reaches
the field up to ``max_gap_ms`` late; the Qt adapter arms a timer at :attr:`ScanDetector.deadline`
and calls :meth:`ScanDetector.tick`.  Scan characters are never replayed, so nothing of a scan
leaks into the field.

Keys are given as one-character strings for text and as names for special keys (``"Enter"``,
``"Tab"``, ``"Backspace"``, ``"Shift"`` …).  Modifier keys are ignored (scanners send Shift for
capitals).  Known limitation (shared with Odoo): a key typed less than ``max_gap_ms`` before a
scan starts is absorbed into the scan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from client.domain.identity import Scan, classify_scan

__all__ = ["ScannerConfig", "DetectorOutput", "ScanDetector", "NOTHING"]

DEFAULT_SUFFIXES = frozenset({"Enter", "Return", "Tab", "\r", "\n", "\t"})
MODIFIER_KEYS = frozenset({"Shift", "Control", "Alt", "AltGr", "Meta", "CapsLock", "NumLock"})


@dataclass(frozen=True)
class ScannerConfig:
    max_gap_ms: int = 50
    min_length: int = 6
    suffixes: frozenset[str] = DEFAULT_SUFFIXES
    end_on_timeout: bool = True

    def __post_init__(self) -> None:
        if self.max_gap_ms <= 0 or self.min_length < 1:
            raise ValueError("扫码枪设置无效：按键间隔须大于0毫秒，最短长度至少为1")


@dataclass(frozen=True)
class DetectorOutput:
    """What the caller must do now.

    ``scan``: a completed scan (already classified) or ``None``.
    ``replay``: keys to deliver to the focused field, in order (after handling ``scan``).
    ``raw``: the scanned characters as received (empty when no scan).
    """

    scan: Scan | None = None
    replay: tuple[str, ...] = ()
    raw: str = ""

    def __bool__(self) -> bool:
        return self.scan is not None or bool(self.replay)


NOTHING = DetectorOutput()


@dataclass
class _Buffer:
    keys: list[str] = field(default_factory=list)
    last_t: int = 0


class ScanDetector:
    """State machine: feed keys with timestamps (ms, monotonic), call tick() when idle."""

    def __init__(self, config: ScannerConfig | None = None,
                 classify: Callable[[str], Scan] = classify_scan):
        self.config = config or ScannerConfig()
        self._classify = classify
        self._buf = _Buffer()

    # -- state -------------------------------------------------------------------------------

    @property
    def pending(self) -> bool:
        """True while keys are held back (a scan may be in progress)."""
        return bool(self._buf.keys)

    @property
    def deadline(self) -> int | None:
        """The time (ms) at which tick() resolves the held keys, or None if nothing is held."""
        if not self._buf.keys:
            return None
        return self._buf.last_t + self.config.max_gap_ms + 1

    # -- input -------------------------------------------------------------------------------

    def feed(self, key: str, t_ms: int) -> DetectorOutput:
        """One key press at ``t_ms``.  Returns the scan and/or keys to replay."""
        if not isinstance(key, str) or not key or key in MODIFIER_KEYS:
            return NOTHING
        cfg = self.config
        before = NOTHING
        if self._buf.keys and t_ms - self._buf.last_t > cfg.max_gap_ms:
            before = self._resolve_timeout()

        if key in cfg.suffixes:
            if self._buf.keys:
                if len(self._buf.keys) >= cfg.min_length:
                    return self._merge(before, self._take_scan())
                return self._merge(before, DetectorOutput(replay=(*self._take_keys(), key)))
            return self._merge(before, DetectorOutput(replay=(key,)))

        if len(key) == 1:  # a character: hold it
            self._buf.keys.append(key)
            self._buf.last_t = t_ms
            return before

        # another special key (Backspace, arrows, F-keys, Escape…): the user is editing
        return self._merge(before, DetectorOutput(replay=(*self._take_keys(), key)))

    def tick(self, t_ms: int) -> DetectorOutput:
        """Call when the timer fires (at :attr:`deadline`); resolves a finished burst."""
        if self._buf.keys and t_ms - self._buf.last_t > self.config.max_gap_ms:
            return self._resolve_timeout()
        return NOTHING

    def flush(self) -> DetectorOutput:
        """Give back everything held (e.g. the focus moved or the window closes)."""
        return DetectorOutput(replay=tuple(self._take_keys()))

    # -- internals ---------------------------------------------------------------------------

    def _resolve_timeout(self) -> DetectorOutput:
        if self.config.end_on_timeout and len(self._buf.keys) >= self.config.min_length:
            return self._take_scan()
        return DetectorOutput(replay=tuple(self._take_keys()))

    def _take_keys(self) -> list[str]:
        keys, self._buf.keys = self._buf.keys, []
        return keys

    def _take_scan(self) -> DetectorOutput:
        raw = "".join(self._take_keys())
        return DetectorOutput(scan=self._classify(raw), raw=raw)

    @staticmethod
    def _merge(first: DetectorOutput, second: DetectorOutput) -> DetectorOutput:
        # At most one of them carries a scan: a scan in `second` means the buffer was fresh,
        # so `first` (a stale-buffer resolution) is empty in that case.
        if not first:
            return second
        if first.scan is not None and second.scan is not None:  # pragma: no cover - impossible
            raise AssertionError("two scans in one step")
        return DetectorOutput(scan=first.scan or second.scan, replay=first.replay + second.replay,
                              raw=first.raw or second.raw)
