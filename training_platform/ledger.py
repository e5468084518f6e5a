"""The platform's settlement ledger, read straight from its SQLite file.

``ledger_rows(store)`` / ``read_ledger(data_dir)`` return one dict per settlement record (also the
reversal records of 2208/2305/2601): setl_id, medins_setl_id, mdtrt_id, psn_no, infno, kind
("setl" | "revs"), setl_time, clr_type, clr_optins, refd_setl_flag, every setlinfo amount under its
NHSA name, reversed (true/false) and, for reversal records, init_setl_id (the original's setl_id:
an admin view of the training platform, never sent on the wire). From the platform's record of the
settlement's visit: dise_codg / dise_name (the visit's 2203 mdtrtinfo — for 门诊慢特病 the filed
disease, e.g. M01600 — or the 2402 dscginfo of a stay; null when neither was received) and mdtrt_2203
(every 2203 received for the visit: msgid, med_type, dise_codg, dise_name). Reading works while a server is
running on the same directory (WAL).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from training_platform.store import DB_NAME

AMOUNT_FIELDS = ["medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                 "act_pay_dedc", "hifp_pay", "pool_prop_selfpay", "cvlserv_pay", "hifes_pay", "hifmi_pay",
                 "hifob_pay", "maf_pay", "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay",
                 "hosp_part_amt", "balc", "acct_mulaid_pay"]


def _rows(conn: sqlite3.Connection) -> list[dict]:
    out = []
    cur = conn.execute("SELECT setl_id, kind, mdtrt_id, psn_no, fixmedins_code, medins_setl_id, infno, clr_type, "
                       "clr_optins, setl_time, refd_setl_flag, reversed, orig_setl_id, reversal_setl_id, setlinfo, "
                       "(SELECT doc FROM visits v WHERE v.mdtrt_id = settlements.mdtrt_id) "
                       "FROM settlements ORDER BY setl_time, rowid")
    for r in cur:
        info = json.loads(r[14])
        visit = json.loads(r[15]) if r[15] else {}
        dise = next((d for d in (visit.get("mdtrtinfo"), visit.get("dscginfo")) if d and d.get("dise_codg")), {})
        row = {"setl_id": r[0], "medins_setl_id": r[5], "mdtrt_id": r[2], "psn_no": r[3], "fixmedins_code": r[4],
               "infno": r[6], "kind": r[1], "setl_time": r[9], "clr_type": r[7], "clr_optins": r[8],
               "insutype": info.get("insutype"), "med_type": info.get("med_type"), "refd_setl_flag": r[10]}
        for k in AMOUNT_FIELDS:
            if k in info:
                row[k] = info[k]
        row["reversed"] = bool(r[11])
        row["reversal_setl_id"] = r[13]
        row["init_setl_id"] = r[12]
        row["dise_codg"], row["dise_name"] = dise.get("dise_codg"), dise.get("dise_name")
        row["mdtrt_2203"] = visit.get("mdtrt_2203") or []
        out.append(row)
    return out


def ledger_rows(store) -> list[dict]:
    return _rows(store.conn())


def read_ledger(data_dir: str | Path) -> list[dict]:
    path = Path(data_dir) / DB_NAME
    if not path.exists():
        raise FileNotFoundError(f"培训平台数据目录[{data_dir}]中没有数据库文件 {DB_NAME}")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return _rows(conn)
    finally:
        conn.close()
