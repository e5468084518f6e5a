"""SignInCache: one 9001 per operator per calendar day; sign_no persisted in state_dir."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from .statefile import read_json, write_json_durable

STATE_FORMAT = "signin-state/1"


class SignInCache:
    """Maps operator → (day, sign_no). An entry from an earlier day is never returned."""

    def __init__(self, state_path: Path | str, *, today: Callable[[], date] = lambda: datetime.now().date()):
        self.state_path = Path(state_path)
        self._today = today
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, str]] = {}
        try:
            data = read_json(self.state_path)
        except (ValueError, OSError):
            data = None   # a broken cache only costs one extra 9001
        if isinstance(data, dict) and data.get("format") == STATE_FORMAT:
            entries = data.get("operators")
            if isinstance(entries, dict):
                self._entries = {k: v for k, v in entries.items()
                                 if isinstance(v, dict) and isinstance(v.get("sign_no"), str)}

    def get(self, opter: str) -> str | None:
        with self._lock:
            e = self._entries.get(opter)
            if e and e.get("day") == self._today().isoformat() and e.get("sign_no"):
                return e["sign_no"]
            return None

    def put(self, opter: str, sign_no: str, sign_time: str = "") -> None:
        with self._lock:
            self._entries[opter] = {"day": self._today().isoformat(), "sign_no": sign_no,
                                    "sign_time": sign_time}
            self._save()

    def clear(self, opter: str) -> None:
        with self._lock:
            if self._entries.pop(opter, None) is not None:
                self._save()

    def _save(self) -> None:
        today = self._today().isoformat()
        # Drop stale days so the file stays small.
        self._entries = {k: v for k, v in self._entries.items() if v.get("day") == today}
        write_json_durable(self.state_path, {"format": STATE_FORMAT, "operators": self._entries})
