"""Logging: owner-only rotating files and a filter that masks personal data and drops secrets.

``setup_logging(log_dir, level)`` installs, on the root logger:

* a :class:`PrivateRotatingFileHandler` writing ``<log_dir>/medsettle[-<window>].log`` (0600 files in
  a 0700 directory; 5 MB × 10 files by default), UTF-8;
* optionally a stderr handler (``console=True``);
* on both, :class:`MaskingFilter`, which rewrites every record *before* it is formatted:
  the message with its ``args`` merged, the formatted exception and stack text:

  - resident ID numbers (18 and 15 digits) via ``client.domain.masking.mask_text``
    (``330421********0016``);
  - social-security card data (the 11-field ``|`` string of the card reader): card number,
    card identification code and name;
  - values of card/credential fields written as ``key=value`` or JSON (``card_no``,
    ``mdtrt_cert_no``, ``card_sn``, ``ecToken``, ``卡号`` …) and e-voucher tokens
    (6 digits + ``ec`` + 30 hex);
  - every secret registered with :func:`register_secret` (gateway keys, MAC keys, passwords typed
    during a session) is replaced by ``***``.

The filter sits on the handlers, so records from every logger (ours and libraries' such as
``urllib3``) pass through it.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
import threading
from pathlib import Path

from client.fsutil import PRIVATE_FILE_MODE, ensure_private_dir

try:  # written by the domain part; keep a local fallback so logging never breaks
    from client.domain.masking import mask_card_no as _mask_card_no
    from client.domain.masking import mask_text as _mask_ids
except ImportError:  # pragma: no cover - exercised only when the domain module is absent
    _ID18 = re.compile(r"(?<![0-9A-Za-z])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")
    _ID15 = re.compile(r"(?<![0-9A-Za-z])([0-9]{6})[0-9]{5}([0-9]{4})(?![0-9A-Za-z])")

    def _mask_ids(text: object) -> str:
        s = "" if text is None else str(text)
        s = _ID18.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), s)
        return _ID15.sub(lambda m: m.group(1) + "*" * 5 + m.group(2), s)

    def _mask_card_no(card_no: object) -> str:
        t = "" if card_no is None else str(card_no).strip()
        return "*" * len(t) if len(t) <= 4 else t[:2] + "*" * (len(t) - 4) + t[-2:]

__all__ = ["LOG_FORMAT", "MaskingFilter", "PrivateRotatingFileHandler", "clear_secrets", "mask_log_text",
           "register_secret", "setup_logging"]

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(process)d %(threadName)s %(name)s: %(message)s"
SECRET_MASK = "***"
MIN_SECRET_LENGTH = 4

_secrets: set[str] = set()
_secrets_lock = threading.Lock()

# card reader string: 发卡地区|社会保障号码|卡号|卡识别码|姓名|...
_CARD_DATA_RE = re.compile(r"(?<![0-9])(\d{6})\|([0-9Xx*]{15,18})\|([^|\s]*)\|([^|\s]*)\|([^|]*)\|")
_KV_RE = re.compile(
    r"""(?P<key>["']?(?:card_no|cardno|card_sn|mdtrt_cert_no|ecToken|ec_token|ecQrCode|authNo|bank_card_no|卡号|卡识别码)["']?)"""
    r"""(?P<sep>\s*[:=：]\s*["']?)(?P<val>[^\s"',}|]+)""",
    re.IGNORECASE,
)
_ECTOKEN_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6}ec)[0-9a-z]{30}(?![0-9A-Za-z])")


def register_secret(value: str | None) -> None:
    """Never let ``value`` reach a log file (replaced by ``***``). Short values are ignored."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        with _secrets_lock:
            _secrets.add(value)


def clear_secrets() -> None:
    with _secrets_lock:
        _secrets.clear()


def _mask_name(name: str) -> str:
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


def mask_log_text(text: str) -> str:
    """Apply every masking rule to one string (what the filter does to each record)."""
    if not text:
        return text
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, SECRET_MASK)
    text = _CARD_DATA_RE.sub(lambda m: f"{m.group(1)}|{m.group(2)}|{_mask_card_no(m.group(3))}|"
                                       f"{_mask_card_no(m.group(4))}|{_mask_name(m.group(5))}|", text)
    text = _ECTOKEN_RE.sub(lambda m: m.group(1) + "*" * 30, text)
    text = _KV_RE.sub(lambda m: m.group("key") + m.group("sep") + _mask_card_no(m.group("val")), text)
    return _mask_ids(text)


class MaskingFilter(logging.Filter):
    """Rewrites each record in place: masked message, no args, masked exception/stack text."""

    _fmt = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_medsettle_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception as exc:  # a bad %-format must not crash logging or leak args
            message = f"{record.msg!r} (日志格式错误: {type(exc).__name__})"
        record.msg = mask_log_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._fmt.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_log_text(record.exc_text)
            record.exc_info = None  # formatter uses exc_text; the raw exception may hold secrets
        if record.stack_info:
            record.stack_info = mask_log_text(record.stack_info)
        record._medsettle_masked = True
        return True


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """RotatingFileHandler whose files are created 0600 (also after each rollover)."""

    def _open(self):  # type: ignore[override]
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        fd = os.open(self.baseFilename, flags, PRIVATE_FILE_MODE)
        if os.name == "posix":
            os.fchmod(fd, PRIVATE_FILE_MODE)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


_MARK = "_medsettle_handler"


def setup_logging(log_dir: str | os.PathLike[str], level: int | str = "INFO", *, window_id: str | None = None,
                  console: bool = False, max_bytes: int = 5 * 1024 * 1024, backup_count: int = 10) -> Path:
    """Install the masked, owner-only rotating log on the root logger; returns the log file path.

    Calling it again replaces the handlers it installed before (no duplicate lines).
    """
    directory = ensure_private_dir(log_dir)
    name = f"medsettle-{window_id}.log" if window_id else "medsettle.log"
    path = directory / name
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, _MARK, False):
            root.removeHandler(h)
            h.close()
    formatter = logging.Formatter(LOG_FORMAT)
    handlers: list[logging.Handler] = [PrivateRotatingFileHandler(path, maxBytes=max_bytes, backupCount=backup_count,
                                                                  encoding="utf-8")]
    if console:
        handlers.append(logging.StreamHandler(sys.stderr))
    for h in handlers:
        h.setFormatter(formatter)
        h.addFilter(MaskingFilter())
        setattr(h, _MARK, True)
        root.addHandler(h)
    if isinstance(level, str):
        level = logging.getLevelName(level.upper())
        if not isinstance(level, int):
            level = logging.INFO
    root.setLevel(level)
    logging.captureWarnings(True)
    return path
