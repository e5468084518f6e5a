"""msgid: 12+14+4 format, uniqueness, durability across restarts, clock going backwards."""

import json
import re
import threading
from datetime import datetime, timedelta

import pytest

from client.api.errors import ApiConfigError
from client.api.msgid import MsgIdGenerator, parse_msgid

CODE = "H31011800001"
MSGID_RE = re.compile(r"^H31011800001\d{14}\d{4}$")


class FakeClock:
    def __init__(self, t: datetime):
        self.t = t

    def __call__(self) -> datetime:
        return self.t


def test_format_is_12_14_4_and_time_is_now(tmp_path):
    clock = FakeClock(datetime(2025, 3, 4, 9, 8, 7))
    g = MsgIdGenerator(tmp_path / "m.json", CODE, clock=clock)
    m = g.next()
    assert len(m) == 30 and MSGID_RE.match(m)
    assert m == "H31011800001" + "20250304090807" + "0000"
    p = parse_msgid(m)
    assert p.fixmedins_code == CODE and p.time == datetime(2025, 3, 4, 9, 8, 7) and p.seq == 0


def test_10000_unique_strictly_increasing_with_few_fsyncs(tmp_path):
    g = MsgIdGenerator(tmp_path / "m.json", CODE)
    ids = [g.next() for _ in range(10_000)]
    assert len(set(ids)) == 10_000
    assert all(MSGID_RE.match(i) for i in ids)
    assert ids == sorted(ids)
    # block reservation: far fewer fsyncs than msgids (one per block or per new second)
    assert g.fsync_count < 200, g.fsync_count


def test_restart_same_second_continues_after_reserved_mark(tmp_path):
    clock = FakeClock(datetime(2025, 3, 4, 9, 8, 7))
    path = tmp_path / "m.json"
    g1 = MsgIdGenerator(path, CODE, clock=clock, block=50)
    first = [g1.next() for _ in range(10)]
    # "crash" without any shutdown hook; new process, same second
    g2 = MsgIdGenerator(path, CODE, clock=clock, block=50)
    second = [g2.next() for _ in range(10)]
    assert not set(first) & set(second)
    assert min(second) > max(first)
    assert second[0] == "H31011800001" + "20250304090807" + "0050"   # strictly after the reserved block
    state = json.loads(path.read_text("utf-8"))
    assert state["reserved"] >= second[-1]


def test_restart_after_clock_went_backwards(tmp_path):
    path = tmp_path / "m.json"
    g1 = MsgIdGenerator(path, CODE, clock=FakeClock(datetime(2025, 3, 4, 12, 0, 0)))
    a = g1.next()
    g2 = MsgIdGenerator(path, CODE, clock=FakeClock(datetime(2025, 3, 4, 11, 0, 0)))  # an hour back
    b = g2.next()
    assert b > a


def test_clock_backwards_while_running_keeps_increasing(tmp_path):
    clock = FakeClock(datetime(2025, 3, 4, 12, 0, 0))
    g = MsgIdGenerator(tmp_path / "m.json", CODE, clock=clock)
    a = g.next()
    clock.t -= timedelta(minutes=5)
    b = g.next()
    assert b > a and parse_msgid(b).time == datetime(2025, 3, 4, 12, 0, 0)


def test_sequence_overflow_advances_timestamp(tmp_path):
    clock = FakeClock(datetime(2025, 12, 31, 23, 59, 59))
    g = MsgIdGenerator(tmp_path / "m.json", CODE, clock=clock, block=20000)
    ids = [g.next() for _ in range(10_001)]
    assert ids[9999].endswith("20251231235959" + "9999")
    assert ids[10000].endswith("20260101000000" + "0000")
    assert len(set(ids)) == len(ids)


def test_thread_safe(tmp_path):
    g = MsgIdGenerator(tmp_path / "m.json", CODE)
    out: list[str] = []
    lock = threading.Lock()

    def work():
        mine = [g.next() for _ in range(500)]
        with lock:
            out.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 4000 and len(set(out)) == 4000


@pytest.mark.parametrize("code", ["H3101180000", "H310118000011", "", "H31011800-01"])
def test_fixmedins_code_must_be_12_alnum(tmp_path, code):
    with pytest.raises(ApiConfigError) as ei:
        MsgIdGenerator(tmp_path / "m.json", code)
    assert "12位" in str(ei.value)


def test_corrupt_state_is_refused_not_reset(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("{not json", "utf-8")
    with pytest.raises(ApiConfigError) as ei:
        MsgIdGenerator(path, CODE)
    assert "损坏" in str(ei.value)


@pytest.mark.parametrize("bad", ["", "H3101180000120250304090807000", "H31011800001202503040908070000X",
                                 "H31011800001202513040908070000", "H31011800001 0250304090807000"])
def test_parse_msgid_rejects(bad):
    with pytest.raises(ValueError):
        parse_msgid(bad)


def test_state_file_written_atomically_no_tmp_left(tmp_path):
    g = MsgIdGenerator(tmp_path / "m.json", CODE, block=1)
    for _ in range(5):
        g.next()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]


def test_window_slots_partition_the_sequence_without_waste(tmp_path):
    clock = FakeClock(datetime(2025, 3, 4, 12, 0, 0))
    a = MsgIdGenerator(tmp_path / "a.json", CODE, clock=clock, slot=7)
    b = MsgIdGenerator(tmp_path / "b.json", CODE, clock=clock, slot=12)
    ids_a = [a.next() for _ in range(250)]   # more than 100 in one second: the time part advances
    ids_b = [b.next() for _ in range(250)]
    assert not set(ids_a) & set(ids_b)
    assert ids_a == sorted(ids_a) and len(set(ids_a)) == 250
    assert {m[-4:-2] for m in ids_a} == {"07"} and {m[-4:-2] for m in ids_b} == {"12"}
    assert ids_a[0].endswith("202503041200000700") and ids_a[100].endswith("202503041200010700")
    for m in ids_a + ids_b:
        parse_msgid(m)
    # restart in the same second continues strictly after the reserved mark, still in its slot
    a2 = MsgIdGenerator(tmp_path / "a.json", CODE, clock=clock, slot=7)
    nxt = a2.next()
    assert nxt > ids_a[-1] and nxt[-4:-2] == "07"


def test_renumbered_window_never_reuses_a_msgid(tmp_path):
    clock = FakeClock(datetime(2025, 3, 4, 12, 0, 0))
    old = [MsgIdGenerator(tmp_path / "m.json", CODE, clock=clock, slot=3).next() for _ in range(1)]
    new = MsgIdGenerator(tmp_path / "m.json", CODE, clock=clock, slot=4).next()
    assert new[12:26] > old[0][12:26]   # a later second: nothing issued under slot 3 can repeat


def test_slot_out_of_range_is_a_configuration_error(tmp_path):
    with pytest.raises(ApiConfigError, match="0到99"):
        MsgIdGenerator(tmp_path / "m.json", CODE, slot=100)
