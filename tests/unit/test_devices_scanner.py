"""Keyboard-wedge scanner detection with realistic key timings."""

import random

import pytest

from client.devices.scanner import NOTHING, ScanDetector, ScannerConfig

CERTNO = "330421198503150016"
EC_CODE = "4243754826492874240001130000"  # 28 digits, reference §6


class Field:
    """The focused line edit: receives replayed keys; scans are collected separately."""

    def __init__(self):
        self.text = ""
        self.enters = 0
        self.scans = []

    def apply(self, out):
        if out.scan is not None:
            self.scans.append(out.scan)
        for key in out.replay:
            if key == "Backspace":
                self.text = self.text[:-1]
            elif key in ("Enter", "\r", "\n"):
                self.enters += 1
            elif len(key) == 1:
                self.text += key


def run(events, config=None):
    """Drive the detector like the Qt adapter: the timer fires at `deadline` before later keys."""
    det = ScanDetector(config)
    fld = Field()
    for key, t in events:
        if det.deadline is not None and det.deadline <= t:
            fld.apply(det.tick(det.deadline))
        fld.apply(det.feed(key, t))
    if det.deadline is not None:
        fld.apply(det.tick(det.deadline))
    assert not det.pending
    return fld


def burst(text, start, gap, suffix="Enter"):
    keys = list(text) + ([suffix] if suffix else [])
    return [(k, start + i * gap) for i, k in enumerate(keys)]


def human(text, start, gaps):
    t, out = start, []
    for i, ch in enumerate(text):
        out.append((ch, t))
        t += gaps[i % len(gaps)]
    return out


def test_fast_usb_scanner_with_enter():
    fld = run(burst(CERTNO, 1000, 4))
    assert [s.kind for s in fld.scans] == ["certno"]
    assert fld.scans[0].value == CERTNO
    assert fld.text == "" and fld.enters == 0  # nothing leaked, the suffix is consumed


def test_scanner_with_30ms_intercharacter_delay():
    fld = run(burst(EC_CODE, 0, 30))
    assert [s.kind for s in fld.scans] == ["ecqr"]
    assert fld.text == ""


def test_scanner_without_suffix_ends_on_timeout():
    fld = run(burst("XJ01CRA006A001010104041", 500, 8, suffix=None))
    assert [s.kind for s in fld.scans] == ["catalog_code"]
    assert fld.text == ""


def test_tab_suffix_and_custom_suffix():
    assert run(burst("6901234567892", 0, 5, suffix="Tab")).scans[0].kind == "barcode"
    cfg = ScannerConfig(suffixes=frozenset({"F12"}))
    fld = run(burst("6901234567892", 0, 5, suffix="F12"), cfg)
    assert fld.scans[0].kind == "barcode" and fld.text == ""


def test_suffix_required_when_timeout_end_disabled():
    cfg = ScannerConfig(end_on_timeout=False)
    fld = run(burst("6901234567892", 0, 5, suffix=None), cfg)
    assert fld.scans == [] and fld.text == "6901234567892"


def test_fast_human_burst_of_three_keys_is_typing():
    # rollover typing: three keys 20-40 ms apart, then Enter 200 ms later
    events = [("a", 0), ("b", 25), ("c", 60), ("Enter", 260)]
    fld = run(events)
    assert fld.scans == [] and fld.text == "abc" and fld.enters == 1


def test_fast_human_burst_followed_by_fast_enter_is_typing():
    fld = run([("1", 0), ("2", 30), ("3", 55), ("Enter", 90)])
    assert fld.scans == [] and fld.text == "123" and fld.enters == 1


@pytest.mark.parametrize("seed", range(20))
def test_human_typing_80_to_300ms_never_a_scan(seed):
    rng = random.Random(seed)
    text = "".join(rng.choice("0123456789ABCDEFXZ") for _ in range(rng.randint(6, 30)))
    gaps = [rng.randint(80, 300) for _ in range(len(text))]
    events = human(text, 0, gaps) + [("Enter", sum(gaps) + rng.randint(0, 40))]
    fld = run(events)
    assert fld.scans == []
    assert fld.text == text and fld.enters == 1


def test_interleaving_typing_scan_typing():
    events = (human("12", 0, [150]) + [("Backspace", 300)]
              + burst(CERTNO, 600, 6)
              + human("ab", 900, [120]) + [("Enter", 1200)])
    fld = run(events)
    assert [s.value for s in fld.scans] == [CERTNO]
    assert fld.text == "1ab" and fld.enters == 1


def test_two_scans_back_to_back():
    events = burst(CERTNO, 0, 5) + burst("X00000019", 400, 5)
    fld = run(events)
    assert [s.kind for s in fld.scans] == ["certno", "card_no"]
    assert fld.text == ""


def test_short_fast_burst_below_min_length_is_replayed():
    fld = run(burst("12345", 0, 5))
    assert fld.scans == [] and fld.text == "12345" and fld.enters == 1


def test_slow_bluetooth_scanner_needs_larger_threshold():
    events = burst("6901234567892", 0, 90)
    default = run(events)
    assert default.scans == [] and default.text == "6901234567892"
    slow = run(events, ScannerConfig(max_gap_ms=150))
    assert [s.kind for s in slow.scans] == ["barcode"] and slow.text == ""


def test_modifiers_ignored_and_unknown_payload_still_a_scan():
    events = []
    t = 0
    for ch in "Hello-World-42":
        if ch.isupper():
            events.append(("Shift", t))
        events.append((ch, t + 1))
        t += 6
    events.append(("Enter", t))
    fld = run(events)
    assert len(fld.scans) == 1
    assert fld.scans[0].kind == "unknown" and fld.scans[0].value == "Hello-World-42"
    assert fld.text == ""


def test_stale_buffer_resolved_on_next_key_without_tick():
    det = ScanDetector()
    assert det.feed("a", 0) is NOTHING
    assert det.pending and det.deadline == 51
    out = det.feed("b", 500)  # no tick happened: the old key is released first
    assert out.replay == ("a",) and out.scan is None
    assert det.tick(520) is NOTHING  # not yet stale
    assert det.tick(551).replay == ("b",)
    assert not det.pending and det.deadline is None


def test_stale_scan_then_late_enter():
    det = ScanDetector()
    for i, ch in enumerate(CERTNO):
        det.feed(ch, i * 5)
    out = det.feed("Enter", 5000)
    assert out.scan.kind == "certno" and out.replay == ("Enter",) and out.raw == CERTNO


def test_flush_returns_held_keys():
    det = ScanDetector()
    det.feed("x", 0)
    det.feed("y", 10)
    assert det.flush().replay == ("x", "y")
    assert not det.pending


def test_bad_config_rejected():
    with pytest.raises(ValueError, match="扫码枪设置无效"):
        ScannerConfig(max_gap_ms=0)
