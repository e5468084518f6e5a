"""Masking of personal data for screens, receipts and logs.  Rules: docs/masking.md.

All functions are idempotent (masking a masked value returns it unchanged), accept ``None``
(returned as ``""``) and never raise on text input.
"""

from __future__ import annotations

import re
from datetime import date

__all__ = ["MASK", "mask_certno", "mask_name", "mask_card_no", "mask_phone", "mask_text"]

MASK = "*"


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _keep(text: str, head: int, tail: int) -> str:
    return text[:head] + MASK * (len(text) - head - tail) + (text[len(text) - tail:] if tail else "")


def mask_certno(certno: object) -> str:
    """Identity numbers: first 6 + ``*`` + last 4 (``330421********0016``).

    Values of 11+ characters keep 6 + 4 (18-digit IDs, 15-digit legacy IDs, passports are
    shorter); 3–10 characters keep the first and last character; 1–2 characters become ``*``.
    """
    text = _text(certno)
    n = len(text)
    if n >= 11:
        return _keep(text, 6, 4)
    if n >= 3:
        return _keep(text, 1, 1)
    return MASK * n


def mask_name(name: object) -> str:
    """Names: 1 character → ``*``; 2 → first + ``*`` (``沈*``); 3+ → first + ``*``… + last (``陆*英``)."""
    text = _text(name)
    n = len(text)
    if n <= 1:
        return MASK * n
    if n == 2:
        return text[0] + MASK
    return _keep(text, 1, 1)


def mask_card_no(card_no: object) -> str:
    """Card numbers: first 2 + ``*`` + last 2 (``X00000019`` → ``X0*****19``); ≤4 chars → all ``*``."""
    text = _text(card_no)
    if len(text) <= 4:
        return MASK * len(text)
    return _keep(text, 2, 2)


def mask_phone(phone: object) -> str:
    """Phone numbers: first 3 + ``*`` + last 4 (``13812345678`` → ``138****5678``).

    Numbers of 8–10 characters keep the first 3 and last 2; shorter ones keep only the last 2.
    """
    text = _text(phone)
    n = len(text)
    if n >= 11:
        return _keep(text, 3, 4)
    if n >= 8:
        return _keep(text, 3, 2)
    if n > 2:
        return _keep(text, 0, 2)
    return MASK * n


# 18-character resident IDs (check character not verified: over-masking is the safe side) and
# 15-digit legacy IDs (6-digit address whose province prefix is plausible + YYMMDD + 3 digits).
# Runs that are part of a longer alphanumeric token (msgids, catalogue codes) are left alone.
_ID18_RE = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_ID15_RE = re.compile(r"(?<![0-9A-Za-z])([1-9][0-9]{5})([0-9]{2})([0-9]{2})([0-9]{2})[0-9]{3}(?![0-9A-Za-z])")
_PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65"
    " 71 81 82 83".split())


def _mask15(m: re.Match[str]) -> str:
    area, _yy, mm, dd = m.group(1), m.group(2), m.group(3), m.group(4)
    if area[:2] not in _PROVINCE_PREFIXES:
        return m.group(0)
    try:
        date(2000, int(mm), int(dd))  # leap year: any real MMDD is accepted
    except ValueError:
        return m.group(0)
    return mask_certno(m.group(0))


def mask_text(text: object) -> str:
    """Mask every ID-like number inside free text (for logs and error reports)."""
    if text is None:
        return ""
    s = str(text)
    s = _ID18_RE.sub(lambda m: mask_certno(m.group(0)), s)
    return _ID15_RE.sub(_mask15, s)
