"""The training platform's own SQLite database (stdlib sqlite3, WAL).

One file ``platform.sqlite3`` in the data directory. Reference data (institutions, people,
catalogue, policy bundles, HIS charges, e-invoice settings) is loaded once from
``training_platform.demo.generate(seed)``; the rest is the platform's state (sign-ins, tokens,
visits, fee lines, settlements, accumulations, processed messages, files, e-invoice ranges).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

DB_NAME = "platform.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS institutions (fixmedins_code TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS people (psn_no TEXT PRIMARY KEY, certno TEXT NOT NULL, card_no TEXT,
    ecqr TEXT, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS people_certno ON people(certno);
CREATE INDEX IF NOT EXISTS people_card ON people(card_no);
CREATE INDEX IF NOT EXISTS people_ecqr ON people(ecqr);
CREATE TABLE IF NOT EXISTS accounts (psn_no TEXT NOT NULL, insutype TEXT NOT NULL, balc TEXT NOT NULL,
    PRIMARY KEY (psn_no, insutype));
CREATE TABLE IF NOT EXISTS ytd (psn_no TEXT NOT NULL, year TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (psn_no, year));
CREATE TABLE IF NOT EXISTS catalog (admdvs TEXT NOT NULL, med_list_codg TEXT NOT NULL, list_type TEXT,
    name TEXT, chrgitm_lv TEXT, ver TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (admdvs, med_list_codg));
CREATE INDEX IF NOT EXISTS catalog_ver ON catalog(admdvs, list_type, ver, med_list_codg);
CREATE INDEX IF NOT EXISTS catalog_admdvs_ver ON catalog(admdvs, ver, med_list_codg);
CREATE TABLE IF NOT EXISTS bundles (insuplc_admdvs TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS his_charges (certno TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS his_stays (certno TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS his_paid (fixmedins_code TEXT NOT NULL, ipt_otp_no TEXT NOT NULL, setl_id TEXT,
    medins_setl_id TEXT, paid_at TEXT NOT NULL, PRIMARY KEY (fixmedins_code, ipt_otp_no));
CREATE TABLE IF NOT EXISTS einvoice_cfg (fixmedins_code TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS signins (sign_no TEXT PRIMARY KEY, fixmedins_code TEXT NOT NULL, opter TEXT NOT NULL,
    sign_date TEXT NOT NULL, sign_time TEXT NOT NULL, signed_out INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS ectokens (ec_token TEXT PRIMARY KEY, psn_no TEXT NOT NULL, valid_date TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS visits (mdtrt_id TEXT PRIMARY KEY, kind TEXT NOT NULL, psn_no TEXT NOT NULL,
    fixmedins_code TEXT NOT NULL, ipt_otp_no TEXT, status TEXT NOT NULL, msgid TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS visits_otp ON visits(fixmedins_code, ipt_otp_no);
CREATE TABLE IF NOT EXISTS fees (mdtrt_id TEXT NOT NULL, feedetl_sn TEXT NOT NULL, chrg_bchno TEXT,
    msgid TEXT NOT NULL, setl_id TEXT, doc TEXT NOT NULL, result TEXT NOT NULL,
    PRIMARY KEY (mdtrt_id, feedetl_sn));
CREATE INDEX IF NOT EXISTS fees_msgid ON fees(msgid);
CREATE TABLE IF NOT EXISTS settlements (setl_id TEXT PRIMARY KEY, kind TEXT NOT NULL, mdtrt_id TEXT NOT NULL,
    psn_no TEXT NOT NULL, fixmedins_code TEXT NOT NULL, medins_setl_id TEXT NOT NULL, infno TEXT NOT NULL,
    insutype TEXT, clr_type TEXT, clr_optins TEXT, setl_date TEXT NOT NULL, setl_time TEXT NOT NULL,
    refd_setl_flag TEXT NOT NULL DEFAULT '0', reversed INTEGER NOT NULL DEFAULT 0, orig_setl_id TEXT,
    reversal_setl_id TEXT, setlinfo TEXT NOT NULL, setldetail TEXT NOT NULL, extra TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS setl_mdtrt ON settlements(mdtrt_id);
CREATE INDEX IF NOT EXISTS setl_medins ON settlements(medins_setl_id);
CREATE TABLE IF NOT EXISTS messages (msgid TEXT PRIMARY KEY, infno TEXT NOT NULL, fixmedins_code TEXT NOT NULL,
    created TEXT NOT NULL, response TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (file_qury_no TEXT PRIMARY KEY, filename TEXT NOT NULL,
    fixmedins_code TEXT NOT NULL, created TEXT NOT NULL, content BLOB, spec TEXT);
CREATE TABLE IF NOT EXISTS mappings (fixmedins_code TEXT NOT NULL, fixmedins_hilist_id TEXT NOT NULL,
    med_list_codg TEXT NOT NULL, list_type TEXT NOT NULL, vali_flag TEXT NOT NULL, updt_time TEXT NOT NULL,
    rid TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (fixmedins_code, fixmedins_hilist_id));
CREATE TABLE IF NOT EXISTS einv_ranges (id INTEGER PRIMARY KEY AUTOINCREMENT, fixmedins_code TEXT NOT NULL,
    window TEXT NOT NULL, code TEXT NOT NULL, start_no INTEGER NOT NULL, end_no INTEGER NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS einv_issued (code TEXT NOT NULL, number TEXT NOT NULL, fixmedins_code TEXT NOT NULL,
    check_code TEXT NOT NULL, red_of TEXT, reddened INTEGER NOT NULL DEFAULT 0, doc TEXT NOT NULL,
    response TEXT NOT NULL, PRIMARY KEY (code, number));
"""


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class Store:
    """Thread-safe access to the platform database: one connection per thread, one write lock."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_NAME
        self.lock = threading.RLock()
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._pool: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._schema_done = False

    @property
    def initialised(self) -> bool:
        if not self.path.exists():
            return False
        try:
            row = self.conn().execute("SELECT value FROM meta WHERE key='initialised'").fetchone()
        except sqlite3.Error:
            return False
        return bool(row)

    def _connect(self) -> sqlite3.Connection:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        c = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        c.row_factory = sqlite3.Row
        c.execute("PRAGMA busy_timeout=30000")
        with self._conns_lock:
            if not self._schema_done:
                c.execute("PRAGMA journal_mode=WAL")
                c.executescript(SCHEMA)
                self._schema_done = True
            self._conns.append(c)
        c.execute("PRAGMA synchronous=NORMAL")
        return c

    def conn(self) -> sqlite3.Connection:
        """This thread's connection, checked out of the pool until ``release()``."""
        c = getattr(self._local, "conn", None)
        if c is None:
            with self._conns_lock:
                c = self._pool.pop() if self._pool else None
            if c is None:
                c = self._connect()
            self._local.conn = c
        return c

    def release(self) -> None:
        """Return this thread's connection to the pool (end of a request)."""
        c = getattr(self._local, "conn", None)
        if c is None:
            return
        self._local.conn = None
        if c.in_transaction:
            c.execute("ROLLBACK")
        with self._conns_lock:
            self._pool.append(c)

    def close(self) -> None:
        with self._conns_lock:
            for c in self._conns:
                try:
                    c.close()
                except sqlite3.Error:
                    pass
            self._conns.clear()
            self._pool.clear()
        self._local = threading.local()

    # -- transactions --------------------------------------------------------------------------
    def begin(self) -> sqlite3.Connection:
        c = self.conn()
        c.execute("BEGIN IMMEDIATE")
        return c

    def next_serial(self, c: sqlite3.Connection, name: str) -> int:
        row = c.execute("SELECT value FROM counters WHERE name=?", (name,)).fetchone()
        v = (row["value"] if row else 0) + 1
        c.execute("INSERT INTO counters(name, value) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET value=?",
                  (name, v, v))
        return v

    # -- loading demo data -----------------------------------------------------------------------
    def load(self, data: dict, seed: int | None = None) -> None:
        c = self.begin()
        try:
            for inst in data.get("institutions", []):
                c.execute("INSERT OR REPLACE INTO institutions VALUES(?, ?)", (inst["fixmedins_code"], dumps(inst)))
            for p in data.get("people", []):
                card = (p.get("card") or {}).get("card_no")
                c.execute("INSERT OR REPLACE INTO people VALUES(?, ?, ?, ?, ?)",
                          (p["psn_no"], p["certno"], card, p.get("ecqr"), dumps(p)))
                for ins in p.get("insuinfo", []):
                    c.execute("INSERT OR REPLACE INTO accounts VALUES(?, ?, ?)",
                              (p["psn_no"], ins["insutype"], str(ins.get("balc") or "0.00")))
                for year, y in (p.get("ytd") or {}).items():
                    c.execute("INSERT OR REPLACE INTO ytd VALUES(?, ?, ?)", (p["psn_no"], str(year), dumps(y)))
            c.executemany(
                "INSERT OR REPLACE INTO catalog VALUES(?, ?, ?, ?, ?, ?, ?)",
                ((r["admdvs"], r["med_list_codg"], r.get("list_type"), r.get("name"), r.get("chrgitm_lv"),
                  str(r.get("ver") or "0"), dumps(r)) for r in data.get("catalog", [])))
            for adm, b in (data.get("policy_bundles") or {}).items():
                c.execute("INSERT OR REPLACE INTO bundles VALUES(?, ?)", (adm, dumps(b)))
            for certno, visits in (data.get("his_charges") or {}).items():
                c.execute("INSERT OR REPLACE INTO his_charges VALUES(?, ?)", (certno, dumps(visits)))
            for certno, stays in (data.get("his_stays") or {}).items():
                c.execute("INSERT OR REPLACE INTO his_stays VALUES(?, ?)", (certno, dumps(stays)))
            for code, cfg in (data.get("einvoice") or {}).items():
                c.execute("INSERT OR REPLACE INTO einvoice_cfg VALUES(?, ?)", (code, dumps(cfg)))
            c.execute("INSERT OR REPLACE INTO meta VALUES('seed', ?)", (str(seed),))
            c.execute("INSERT OR REPLACE INTO meta VALUES('initialised', '1')")
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    # -- small readers ---------------------------------------------------------------------------
    def doc(self, sql: str, args=()) -> dict | None:
        row = self.conn().execute(sql, args).fetchone()
        return json.loads(row[0]) if row else None
