"""The session's leak scan (issue #8): what the tests' windows left behind, scanned once at the end.

Tests and fixtures that run a window (or a training day) record its data directory with
:func:`record_root`; GUI tests also record the session's masked DEBUG log directory, and add the
passwords they set with :func:`add_secrets`. When the session ends, tests/conftest.py's
``pytest_sessionfinish`` hook calls :func:`scan`: every recorded directory (except the embedded
training platform's own ``training-platform`` directory — the central platform's database, which
legitimately holds everybody's identity) goes through ``client.security.leakscan.scan_tree``. A full
resident ID number, a full card number / card identification code of a demo person, or a training
secret anywhere outside ``leakscan.OPERATIONAL_COLUMNS`` fails the session (exit status 1) and the
findings are printed in the terminal summary. A session that recorded nothing scans nothing.

No test has to be collected last for this, and running one file still scans what that file produced.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

# directories recorded by this session's tests, in order
ROOTS: list[Path] = []
# names of children of a recorded directory that are not scanned
SKIP_CHILDREN = frozenset({"training-platform"})   # client.ui.app._platform_dir: the central platform's data
_EXTRA_SECRETS: set[str] = set()


def record_root(path: str | Path) -> None:
    """Scan ``path`` (a window's data directory, a log directory) when the session ends."""
    p = Path(path)
    if p not in ROOTS:
        ROOTS.append(p)


def add_secrets(*values: str) -> None:
    """Passwords or keys the tests set themselves, to be looked for as well."""
    _EXTRA_SECRETS.update(v for v in values if v)


def demo_cards() -> list[str]:
    """Card numbers and card identification codes of every demo person."""
    from training_platform import demo

    people = demo.generate()["people"]
    return sorted({p["card"][k] for p in people if p.get("card") for k in ("card_no", "card_sn")})


def training_secrets() -> list[str]:
    """Policy MAC keys, gateway sign secrets and the training accounts' initial passwords."""
    from client.services.context import TRAINING_MAC_KEYS
    from client.services.operators import TRAINING_ACCOUNTS
    from training_platform import demo

    passwords = {a["password"] for a in TRAINING_ACCOUNTS}
    return sorted(set(TRAINING_MAC_KEYS.values()) | {i["sign_secret"] for i in demo.FIXED_INSTITUTIONS}
                  | passwords | _EXTRA_SECRETS)


@dataclass
class Report:
    roots: list[Path]
    scanned: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    leaks: list = field(default_factory=list)           # client.security.leakscan.Leak
    errors: list[str] = field(default_factory=list)     # what could not be scanned
    needles: list[str] = field(default_factory=list)    # the cards and secrets looked for

    def mask(self, text: str) -> str:
        """``text`` fit for a CI log: a Leak masks its own value, not a second one in its excerpt."""
        from client.logging_setup import mask_log_text

        for n in sorted(self.needles, key=len, reverse=True):
            if len(n) >= 4:
                text = text.replace(n, n[:2] + "*" * (len(n) - 4) + n[-2:])
        return mask_log_text(text)

    def lines(self, limit: int = 50) -> list[str]:
        """The findings, masked, at most ``limit`` leaks."""
        out = [f"ERROR {self.mask(e)}" for e in self.errors]
        out += [f"LEAK {self.mask(str(x))}" for x in self.leaks[:limit]]
        if len(self.leaks) > limit:
            out.append(f"... and {len(self.leaks) - limit} more")
        return out

    @property
    def ok(self) -> bool:
        return not self.leaks and not self.errors

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.kinds.items()))
        return (f"leak scan: {self.scanned} files scanned in {len(self.roots)} recorded directories"
                f"{f' ({kinds})' if kinds else ''}; {len(self.leaks)} leaks, {len(self.errors)} errors")


def _targets(roots: list[Path]) -> list[Path]:
    out: list[Path] = []
    for root in roots:
        if root.is_file():
            out.append(root)
        elif root.is_dir():
            out += [p for p in sorted(root.iterdir()) if p.name not in SKIP_CHILDREN]
    return out


def scan(roots: list[Path] | None = None) -> Report | None:
    """Scan the recorded directories (or ``roots``); None when there is nothing to scan."""
    from client.security import leakscan

    roots = list(ROOTS if roots is None else roots)
    if not roots:
        return None
    for h in logging.getLogger().handlers:          # everything the windows logged is on disk
        try:
            h.flush()
        except Exception:  # noqa: BLE001 - a closed handler has nothing left to write
            pass
    report = Report(roots)
    missing = [r for r in roots if not r.exists()]
    report.errors += [f"recorded directory is gone before the scan: {r}" for r in missing]
    targets = _targets(roots)
    files = [f for t in targets for f in ([t] if t.is_file() else t.rglob("*")) if f.is_file()]
    for f in files:
        if not f.name.endswith(("-wal", "-shm", "-journal")):
            report.kinds[f.suffix or f.name] = report.kinds.get(f.suffix or f.name, 0) + 1
    if report.kinds.get(".pdf") and shutil.which("pdftotext") is None:
        report.errors.append(f"pdftotext (poppler-utils) is needed to scan {report.kinds['.pdf']} PDF files")
        return report
    cards, secrets = demo_cards(), training_secrets()
    report.needles = cards + secrets
    for t in targets:
        try:
            leaks, n = leakscan.scan_tree(t, cards=cards, secrets=secrets)
        except Exception as exc:  # noqa: BLE001 - an unreadable file is a finding, not a crash of the hook
            report.errors.append(f"could not scan {t}: {type(exc).__name__}: {exc}")
            continue
        report.leaks += leaks
        report.scanned += n
    if report.scanned == 0 and not report.errors:
        report.errors.append("directories were recorded but no file was scanned: "
                             + ", ".join(str(r) for r in roots))
    return report
