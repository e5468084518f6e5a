"""Leak scan: find full ID numbers, card numbers and secrets where they must not be.

Used by the no-leak tests (tests/integration/test_no_leaks.py, the GUI tests after their runs) and
usable by diagnostics. Pure standard library (sqlite3, subprocess for ``pdftotext``).

What counts as a leak:

* a **full resident ID number**: 18 characters, 17 digits + digit/``X``, standing alone, with a
  valid GB 11643 check character and a real birth date (masked values such as
  ``330421********0016`` never match);
* any of the given **card numbers** (社保卡卡号) or **card identification codes** in full;
* any of the given **secrets** (gateway secret, policy MAC key, passwords) in full.

Where the scan looks (``scan_tree``): every regular file under the given directories — text
files (logs, CSV/JSON exports) as UTF-8 with replacement, PDFs through ``pdftotext``, SQLite
databases column by column. In a database, the columns listed in :data:`OPERATIONAL_COLUMNS`
are skipped: they hold identifiers the till needs to work (identification cache, the platform's
settlement answer, e-invoice bodies, the outbox) and are protected by the owner-only database file
(0600 in a 0700 directory) instead — see docs/security.md "Where full identifiers may be stored".
Everything else (audit details, operator data, sync state, fee lines, shifts, adjustments …) is
display/audit text and must not contain them.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

__all__ = ["OPERATIONAL_COLUMNS", "Leak", "find_in_text", "is_valid_resident_id", "scan_file", "scan_pdf",
           "scan_sqlite", "scan_tree"]

# table -> columns that legitimately hold full identifiers (certno / card_no / tokens) for operation.
OPERATIONAL_COLUMNS: Mapping[str, frozenset[str]] = {
    # identification cache for offline work (1101 answer)
    "persons": frozenset({"certno", "card_no", "card_sn", "psn_name", "insuinfo_json", "idetinfo_json",
                          "filing_json", "ytd_json", "phone"}),
    # the platform's settlement answer kept verbatim (setlinfo includes certno) + the local preview
    "settlements": frozenset({"setlinfo_json", "setldetail_json", "preview_json"}),
    # e-invoice body (payer identification is a required e-invoice field) and its upload queue
    "invoices": frozenset({"body_json"}),
    "outbox": frozenset({"payload_json"}),
    # visits keep the medical certificate sent with 2201 (mdtrt_cert_no) when a service stores it
    "visits": frozenset({"mdtrt_cert_no"}),
    # an offline self-pay queued for 补结算: the certificate its 1101 is sent with afterwards
    "backsettlements": frozenset({"mdtrt_cert_no", "card_sn"}),
}

_ID18 = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK = "10X98765432"
TEXT_SUFFIXES = frozenset({".log", ".txt", ".json", ".jsonl", ".csv", ".xml", ".toml", ".ini", ".html", ".md"})
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class Leak:
    where: str        # file path, "file.sqlite3:table.column#rowid", "file.pdf"
    kind: str         # certno | card | secret
    excerpt: str      # the surrounding text with the leaked value itself masked

    def __str__(self) -> str:
        return f"{self.kind} in {self.where}: …{self.excerpt}…"


def is_valid_resident_id(s: str) -> bool:
    if len(s) != 18 or not s[:17].isdigit():
        return False
    if _CHECK[sum(int(c) * w for c, w in zip(s[:17], _WEIGHTS, strict=True)) % 11] != s[17].upper():
        return False
    try:
        d = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= d <= date(2100, 1, 1)


def _excerpt(text: str, start: int, end: int) -> str:
    value = text[start:end]
    hidden = value[:2] + "*" * max(0, len(value) - 4) + value[-2:] if len(value) > 4 else "*" * len(value)
    return (text[max(0, start - 30):start] + hidden + text[end:end + 30]).replace("\n", " ")


def find_in_text(text: str, where: str, *, cards: Iterable[str] = (), secrets: Iterable[str] = ()) -> list[Leak]:
    """Every leak in one text."""
    leaks: list[Leak] = []
    if not text:
        return leaks
    for m in _ID18.finditer(text):
        if is_valid_resident_id(m.group(0)):
            leaks.append(Leak(where, "certno", _excerpt(text, m.start(), m.end())))
    for kind, needles in (("card", cards), ("secret", secrets)):
        for n in needles:
            if not n or len(n) < 4:
                continue
            i = text.find(n)
            if i >= 0:
                leaks.append(Leak(where, kind, _excerpt(text, i, i + len(n))))
    return leaks


def scan_sqlite(path: str | Path, *, cards: Iterable[str] = (), secrets: Iterable[str] = (),
                exclude: Mapping[str, Iterable[str]] | None = None) -> list[Leak]:
    """Scan every text column of every table (read-only), except ``exclude`` (default
    :data:`OPERATIONAL_COLUMNS`). FTS shadow tables are skipped (their content is the catalogue)."""
    exclude = OPERATIONAL_COLUMNS if exclude is None else exclude
    cards, secrets = list(cards), list(secrets)
    leaks: list[Leak] = []
    conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                             "AND name NOT LIKE 'sqlite_%'")]
        virtual = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL%'")}
        for t in tables:
            if t in virtual or any(t.startswith(v + "_") for v in virtual):
                continue
            skip = set(exclude.get(t, ()))
            cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")') if r[1] not in skip]
            if not cols:
                continue
            sel = ", ".join(f'"{c}"' for c in cols)
            for row in conn.execute(f'SELECT rowid, {sel} FROM "{t}"'):
                rowid = row[0]
                for c, v in zip(cols, row[1:], strict=True):
                    if isinstance(v, bytes):
                        v = v.decode("utf-8", "replace")
                    if isinstance(v, str) and v:
                        leaks += find_in_text(v, f"{path}:{t}.{c}#{rowid}", cards=cards, secrets=secrets)
    finally:
        conn.close()
    return leaks


def pdf_text(path: str | Path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        raise RuntimeError("pdftotext (poppler-utils) is needed to scan PDFs")
    proc = subprocess.run([exe, "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"pdftotext failed on {path}: {proc.stderr.decode('utf-8', 'replace')[:200]}")
    return proc.stdout.decode("utf-8", "replace")


def scan_pdf(path: str | Path, *, cards: Iterable[str] = (), secrets: Iterable[str] = ()) -> list[Leak]:
    """The PDF's text layer (what a reader can copy) plus its raw bytes (metadata, uncompressed text)."""
    text = pdf_text(path)
    leaks = find_in_text(text, str(path), cards=cards, secrets=secrets)
    raw = Path(path).read_bytes().decode("latin-1")
    leaks += find_in_text(raw, f"{path} (raw)", cards=cards, secrets=secrets)
    return leaks


def scan_file(path: str | Path, *, cards: Iterable[str] = (), secrets: Iterable[str] = (),
              exclude: Mapping[str, Iterable[str]] | None = None) -> list[Leak]:
    p = Path(path)
    with p.open("rb") as fh:
        head = fh.read(16)
    if head == SQLITE_MAGIC:
        return scan_sqlite(p, cards=cards, secrets=secrets, exclude=exclude)
    if head.startswith(b"%PDF"):
        return scan_pdf(p, cards=cards, secrets=secrets)
    data = p.read_bytes()
    return find_in_text(data.decode("utf-8", "replace"), str(p), cards=cards, secrets=secrets)


def scan_tree(*roots: str | Path, cards: Iterable[str] = (), secrets: Iterable[str] = (),
              exclude: Mapping[str, Iterable[str]] | None = None,
              skip_names: Iterable[str] = ("store.json", "machine.key")) -> tuple[list[Leak], int]:
    """Scan every file under ``roots``; returns (leaks, number of files scanned).

    SQLite ``-wal``/``-shm`` side files are skipped (the database is read through SQLite, which
    includes the WAL); ``skip_names`` are the encrypted secret store files.
    """
    cards, secrets = list(cards), list(secrets)
    skip = set(skip_names)
    leaks: list[Leak] = []
    n = 0
    for root in roots:
        root = Path(root)
        files = [root] if root.is_file() else sorted(q for q in root.rglob("*") if q.is_file())
        for f in files:
            if f.name in skip or f.name.endswith(("-wal", "-shm", "-journal")):
                continue
            n += 1
            leaks += scan_file(f, cards=cards, secrets=secrets, exclude=exclude)
    return leaks, n
