"""Helpers shared by the operations tests (test_ops_*, test_upgrade_*): run `medsettle` as a subprocess
and build a store at the previous schema revision with data."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine

from offline_cache.store import migrate

ROOT = Path(__file__).resolve().parents[2]
CERTNO = "330421198503150016"


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"MEDSETTLE_NO_USER_DIRS": "1", "QT_QPA_PLATFORM": "offscreen", "PYTHONIOENCODING": "utf-8"})
    env.pop("MEDSETTLE_CONFIG", None)
    env.pop("MEDSETTLE_DATA", None)
    env.update(extra)
    return env


def medsettle(*args: str, cwd: Path | None = None, timeout: float = 120, exe: list[str] | None = None,
              **env: str) -> subprocess.CompletedProcess:
    cmd = (exe or [sys.executable, "-m", "client"]) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", cwd=cwd or ROOT,
                          env=cli_env(**env), timeout=timeout, stdin=subprocess.DEVNULL)


def make_0001_store(path: Path) -> None:
    """A store at Alembic revision 0001 (the first release) holding a settled outpatient visit."""
    engine = create_engine(f"sqlite:///{path}")
    migrate(engine, "0001")
    engine.dispose()
    c = sqlite3.connect(str(path))
    c.execute("INSERT INTO persons(psn_no, certno, psn_name, insuinfo_json, idetinfo_json, card_no, fetched_at) "
              "VALUES ('33042119850315001601', ?, '沈明', '[{\"insuplc_admdvs\": \"330421\"}]', '[]', "
              "'K12345678', '2026-11-05 09:00:00')", (CERTNO,))
    c.execute("INSERT INTO visits(id, kind, psn_no, insuplc_admdvs, begntime, state, mdtrt_id, created_at, updated_at) "
              "VALUES (1, 'outpatient', '33042119850315001601', '330421', '2026-11-05 09:01:00', 'settled', "
              "'MD310118000000001', '2026-11-05 09:01:00', '2026-11-05 09:05:00')")
    c.execute("INSERT INTO settlements(id, visit_id, msgid, infno, state, setl_id, medfee_sumamt, fund_pay_sumamt, "
              "acct_pay, psn_cash_pay, provisional, offline, print_count, created_at, updated_at) VALUES "
              "(1, 1, 'H31011800001202611050901000001', '2207', 'confirmed', 'S3101182026000001', 123005, 100000, "
              "0, 23005, 0, 0, 1, '2026-11-05 09:02:00', '2026-11-05 09:03:00')")
    c.execute("INSERT INTO payments(settlement_id, method, amount, tendered, change, created_at) "
              "VALUES (1, 'cash', 23005, 30000, 6995, '2026-11-05 09:03:00')")
    for code, name, ini, full in (("XJ01", "头孢克洛胶囊", "tbkljn", "toubaokeluojiaonang"),
                                  ("XJ02", "阿莫西林胶囊", "amxljn", "amoxilinjiaonang")):
        c.execute("INSERT INTO catalog_items(admdvs, med_list_codg, name, vali_flag, pinyin_initials, pinyin_full, "
                  "name_grams, initials_grams) VALUES ('310118', ?, ?, '1', ?, ?, '', '')", (code, name, ini, full))
    c.commit()
    c.close()
