"""msgid generation: fixmedins_code(12) + yyyyMMddHHmmss(14) + sequence(4) = 30 characters.

The pair (second, sequence) is treated as one counter ``value = second * 10000 + sequence``,
so a sequence overflow (9999 → next) simply advances the timestamp part by one second, and
"strictly increasing" is a single integer comparison.

Durability: a *reserved* high-water mark is persisted (atomic write + fsync) before any msgid
at or below it is handed out. Reservation is done in blocks, so a burst of 10,000 msgids
costs about a dozen fsyncs, while a quiet window (one call every few seconds) costs one fsync
per call — negligible next to a network round trip. After a restart the generator continues
strictly after the reserved mark, so a msgid is never repeated even if the restart happens
within the same second or the clock went backwards. If the clock goes backwards while
running, values keep increasing from the last one issued.

Windows of one institution: every window has its own state file, so two windows starting in the
same second would issue the same msgid. With ``slot`` (0–99, one per window of an institution)
the 4-digit sequence is ``slot(2) + counter(2)``: windows draw from disjoint sets, each window
still gets 100 strictly increasing msgids per second (a counter overflow advances the time part),
and no value is thrown away.

One generator per state file per process; the application's single-instance lock keeps a
second process away from the same state directory.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from .errors import ApiConfigError
from .settings import FIXMEDINS_CODE_RE
from .statefile import read_json, write_json_durable

MSGID_RE = re.compile(r"^([0-9A-Za-z]{12})(\d{14})(\d{4})$")
_EPOCH = datetime(2000, 1, 1)
STATE_FORMAT = "msgid-state/1"


@dataclass(frozen=True)
class ParsedMsgId:
    fixmedins_code: str
    time: datetime
    seq: int


def parse_msgid(s: str) -> ParsedMsgId:
    """Validate a 12+14+4 msgid; raises ValueError (Chinese message) if it is malformed."""
    m = MSGID_RE.match(s or "") if isinstance(s, str) else None
    if not m:
        raise ValueError(f"报文ID格式错误（应为12位机构编号+14位时间+4位顺序号，共30位）：{s!r}")
    try:
        t = datetime.strptime(m.group(2), "%Y%m%d%H%M%S")
    except ValueError:
        raise ValueError(f"报文ID中的时间部分无效：{s!r}") from None
    return ParsedMsgId(m.group(1), t, int(m.group(3)))


def _seconds(t: datetime) -> int:
    return (t.replace(microsecond=0) - _EPOCH) // timedelta(seconds=1)


class MsgIdGenerator:
    """Thread-safe, restart-safe msgid generator (see module docstring)."""

    def __init__(self, state_path: Path | str, fixmedins_code: str, *,
                 block: int = 1000, clock: Callable[[], datetime] = datetime.now, slot: int | None = None):
        if not isinstance(fixmedins_code, str) or not FIXMEDINS_CODE_RE.match(fixmedins_code):
            raise ApiConfigError(
                f"定点医药机构编号必须是12位字母或数字，当前为“{fixmedins_code}”"
                f"（{len(fixmedins_code) if isinstance(fixmedins_code, str) else 0}位）。"
                "请在系统设置中填写医保局下发的12位编号。")
        if block < 1:
            raise ValueError("block must be >= 1")
        if slot is not None and (not isinstance(slot, int) or not 0 <= slot <= 99):
            raise ApiConfigError(f"窗口报文ID槽位必须是0到99的整数（当前为 {slot!r}），同一机构的各窗口不能相同。")
        self.slot = slot
        self._per_sec = 10000 if slot is None else 100
        self.state_path = Path(state_path)
        self.fixmedins_code = fixmedins_code
        self._block = block
        self._clock = clock
        self._lock = threading.Lock()
        self._reserved = self._load()
        self._last = self._reserved
        self.fsync_count = 0

    def _load(self) -> int:
        try:
            data = read_json(self.state_path)
        except (ValueError, OSError) as exc:
            raise ApiConfigError(
                f"报文ID状态文件损坏，无法保证报文ID不重复：{self.state_path}（{exc}）。"
                "请联系信息科处理，切勿直接删除。") from exc
        if data is None:
            return -1
        try:
            if data.get("format") != STATE_FORMAT:
                raise ValueError("unknown format")
            p = parse_msgid(data["reserved"])
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ApiConfigError(
                f"报文ID状态文件内容无效：{self.state_path}。请联系信息科处理，切勿直接删除。") from exc
        if self.slot is None:
            return self._value_of(p.time, p.seq)
        if p.seq // 100 == self.slot:
            return self._value_of(p.time, p.seq % 100)
        # The mark was written under another slot (the window was renumbered): continue after that second.
        return self._value_of(p.time, self._per_sec - 1)

    def _value_of(self, t: datetime, k: int) -> int:
        return _seconds(t) * self._per_sec + k

    def _format(self, value: int) -> str:
        secs, k = divmod(value, self._per_sec)
        seq = k if self.slot is None else self.slot * 100 + k
        t = _EPOCH + timedelta(seconds=secs)
        return f"{self.fixmedins_code}{t:%Y%m%d%H%M%S}{seq:04d}"

    def _persist(self, reserved: int) -> None:
        write_json_durable(self.state_path, {
            "format": STATE_FORMAT,
            "fixmedins_code": self.fixmedins_code,
            "reserved": self._format(reserved),
        })
        self.fsync_count += 1

    def next(self) -> str:
        with self._lock:
            candidate = max(self._value_of(self._clock(), 0), self._last + 1)
            if candidate > self._reserved:
                new_reserved = candidate + self._block - 1
                self._persist(new_reserved)   # durable before the msgid leaves this method
                self._reserved = new_reserved
            self._last = candidate
            return self._format(candidate)

    __call__ = next
