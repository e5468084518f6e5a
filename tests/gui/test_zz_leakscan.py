"""Issue #8 acceptance, GUI part: after the GUI test runs of this session (the file is named to be
collected last in tests/gui), scan what the windows left behind — every data directory a window
used (store databases, receipts and Z-report PDFs, exports) and the session's masked DEBUG log —
with ``client.security.leakscan.scan_tree``: no full resident ID number, no full card number / card
identification code of the demo people, no training secret (MAC keys, gateway sign secrets,
training passwords, the passwords the tests set) anywhere, except in the operational database
columns of ``leakscan.OPERATIONAL_COLUMNS``. The embedded training platform's own directory (the
central platform's database, which legitimately holds everybody's identity) is not scanned.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from client.security import leakscan
from client.services.context import TRAINING_MAC_KEYS
from client.ui.accounts import training_accounts
from tests.gui.conftest import CASHIER_PASSWORD, LEAK_ROOTS, PLATFORM_DIR_NAME, SESSION_LOGS
from training_platform import demo


def _cards() -> list[str]:
    people = demo.generate()["people"]
    return sorted({p["card"][k] for p in people if p.get("card") for k in ("card_no", "card_sn")})


def _secrets() -> list[str]:
    return sorted(set(TRAINING_MAC_KEYS.values()) | {i["sign_secret"] for i in demo.FIXED_INSTITUTIONS}
                  | {a.password for a in training_accounts()} | {CASHIER_PASSWORD, "Practice-0001"})


def _roots() -> list[Path]:
    """Every file and directory under the recorded data directories except the platform's own."""
    out: list[Path] = []
    for root in LEAK_ROOTS:
        if not root.exists():
            continue
        out += [p for p in sorted(root.iterdir()) if p.name != PLATFORM_DIR_NAME]
    if SESSION_LOGS.get("dir"):
        out.append(Path(SESSION_LOGS["dir"]))
    return out


def test_zz_no_leaks_after_the_gui_runs():
    if not LEAK_ROOTS:
        pytest.skip("no GUI window ran in this session (run tests/gui as a whole for the leak scan)")
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to scan the receipts")
    for h in logging.getLogger().handlers:          # everything the windows logged is on disk
        h.flush()
    cards, secrets = _cards(), _secrets()
    assert len(cards) >= 10 and len(secrets) >= 5
    roots = _roots()
    leaks, scanned = leakscan.scan_tree(*roots, cards=cards, secrets=secrets)
    kinds: dict[str, int] = {}
    for r in roots:
        for f in ([r] if r.is_file() else r.rglob("*")):
            if f.is_file() and not f.name.endswith(("-wal", "-shm", "-journal")):
                kinds[f.suffix or f.name] = kinds.get(f.suffix or f.name, 0) + 1
    print(f"\nleak scan: {scanned} files scanned in {len(LEAK_ROOTS)} window data directories + the session log "
          f"({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}); {len(leaks)} leaks")
    # the scan really covered the windows' output: stores, receipts and the log
    assert kinds.get(".sqlite3", 0) >= len(LEAK_ROOTS)
    assert kinds.get(".pdf", 0) >= 1 and kinds.get(".log", 0) >= 1
    assert not leaks, "leaks found after the GUI runs:\n" + "\n".join(str(x) for x in leaks[:50])
