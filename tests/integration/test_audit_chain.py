"""`medsettle audit verify|list|export|head` over a real store, and tampering done directly in the
SQLite file (protective triggers dropped first): edit, delete, insert, swap → verify names the
first broken link."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from client.cli import main
from client.services import audit
from offline_cache.audit import GENESIS, event_hash
from offline_cache.jsonutil import canonical_json
from offline_cache.store import open_store

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 20, 8, 30, 0)


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    with open_store(d / "medsettle.sqlite3") as st:
        audit.record_signin(st, "0001", window="w01", at=T0)
        audit.record_identification(st, "0001", method="certno", certno="330421198503150016", psn_no="33042100000001",
                                    psn_name="沈明", insuplc_admdvs="330421", at=T0 + timedelta(minutes=1))
        audit.record_settlement(st, "0001", msgid="H311018000012026112008320001", setl_id="S0001",
                                medfee_sumamt="120.50", fund_pay_sumamt="84.35", acct_pay="0", psn_cash_pay="36.15",
                                at=T0 + timedelta(minutes=2))
        audit.record_reprint(st, "0001", setl_id="S0001", document="slip", copy_no=2, authorized_by="0009",
                             at=T0 + timedelta(minutes=3))
        audit.record_config_change(st, "admin", key="platform.secret_ref", old="a", new="b", at=T0 + timedelta(minutes=4))
        audit.record_signout(st, "0001", window="w01", at=T0 + timedelta(minutes=5))
    return d


def _db(data_dir) -> sqlite3.Connection:
    conn = sqlite3.connect(data_dir / "medsettle.sqlite3", isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    return conn


def _verify(data_dir, capsys, *extra) -> tuple[int, str]:
    rc = main(["audit", "verify", "--data", str(data_dir), *extra])
    return rc, capsys.readouterr().out


def test_clean_log_verifies(data_dir, capsys):
    rc, out = _verify(data_dir, capsys)
    assert rc == 0 and "审计日志完整" in out and "共 6 条" in out


def test_triggers_refuse_update_and_delete(data_dir):
    conn = sqlite3.connect(data_dir / "medsettle.sqlite3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit_events SET actor = 'x' WHERE seq = 1")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit_events WHERE seq = 1")
    conn.close()


def test_edited_amount_is_named(data_dir, capsys):
    conn = _db(data_dir)
    (detail,) = conn.execute("SELECT detail_json FROM audit_events WHERE seq = 3").fetchone()
    assert '"medfee_sumamt":"120.50"' in detail
    conn.execute("UPDATE audit_events SET detail_json = ? WHERE seq = 3", (detail.replace("120.50", "12.50"),))
    conn.close()
    rc, out = _verify(data_dir, capsys)
    assert rc == 1
    assert "第 3 条" in out and "settle（结算）" in out and "2026-11-20T08:32:00" in out and "被修改" in out


def test_deleted_event_is_named(data_dir, capsys):
    conn = _db(data_dir)
    conn.execute("DELETE FROM audit_events WHERE seq = 4")
    conn.close()
    rc, out = _verify(data_dir, capsys)
    assert rc == 1 and "第 4 条" in out and "已不存在" in out and "删除" in out


def test_deleted_event_with_renumbering_is_named(data_dir, capsys):
    """A careful attacker deletes #2 and renumbers the rest so seq has no gap: #3 (now #2) breaks."""
    conn = _db(data_dir)
    conn.execute("DELETE FROM audit_events WHERE seq = 2")
    for seq in range(3, 7):
        conn.execute("UPDATE audit_events SET seq = ? WHERE seq = ?", (seq - 1, seq))
    conn.close()
    rc, out = _verify(data_dir, capsys)
    assert rc == 1 and "第 2 条" in out and "settle（结算）" in out and "前序哈希" in out


def test_inserted_event_is_named(data_dir, capsys):
    """A forged event with a correctly computed hash is slipped in as #3; the old #3 (now #4) breaks."""
    conn = _db(data_dir)
    for seq in range(6, 2, -1):
        conn.execute("UPDATE audit_events SET seq = ? WHERE seq = ?", (seq + 1, seq))
    prev = conn.execute("SELECT hash FROM audit_events WHERE seq = 2").fetchone()[0]
    detail = {"setl_id": "S0000", "revoke_msgid": "X", "authorized_by": "0009", "reason": ""}
    time = (T0 + timedelta(minutes=1, seconds=30)).astimezone().isoformat(timespec="microseconds")
    h = event_hash(prev, 3, time, "0001", "reverse", detail)
    conn.execute("INSERT INTO audit_events VALUES (3, ?, '0001', 'reverse', ?, ?, ?)",
                 (time, canonical_json(detail), prev, h))
    conn.close()
    rc, out = _verify(data_dir, capsys)
    assert rc == 1 and "第 4 条" in out and "settle（结算）" in out


def test_swapped_events_are_named(data_dir, capsys):
    conn = _db(data_dir)
    conn.execute("UPDATE audit_events SET seq = -1 WHERE seq = 3")
    conn.execute("UPDATE audit_events SET seq = 3 WHERE seq = 4")
    conn.execute("UPDATE audit_events SET seq = 4 WHERE seq = -1")
    conn.close()
    rc, out = _verify(data_dir, capsys)
    assert rc == 1 and "第 3 条" in out and "reprint（补打票据）" in out and "调换" in out


def test_rewritten_chain_detected_only_with_recorded_head(data_dir, capsys):
    """Rewriting the whole chain from a point on passes the plain check; the head written on the
    day-end report catches it (documented limit, docs/security.md)."""
    assert main(["audit", "head", "--data", str(data_dir)]) == 0
    recorded = capsys.readouterr().out.strip()
    conn = _db(data_dir)
    rows = conn.execute("SELECT seq, time, actor, action, detail_json FROM audit_events ORDER BY seq").fetchall()
    prev = GENESIS
    for seq, time, actor, action, detail_json in rows:
        d = json.loads(detail_json)
        if action == "settle":
            d["medfee_sumamt"] = "12.50"
        h = event_hash(prev, seq, time, actor, action, d)
        conn.execute("UPDATE audit_events SET detail_json = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                     (canonical_json(d), prev, h, seq))
        prev = h
    conn.close()
    assert _verify(data_dir, capsys)[0] == 0
    rc, out = _verify(data_dir, capsys, "--expect-head", recorded)
    assert rc == 1 and "链头" in out and "第 6 条" in out
    rc, _ = _verify(data_dir, capsys, "--expect-head", "garbage")
    assert rc == 2


def test_list_is_masked_and_filtered(data_dir, capsys):
    assert main(["audit", "list", "--data", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "共 6 条" in out and "330421********0016" in out and "沈*" in out
    assert "330421198503150016" not in out and "沈明" not in out
    assert main(["audit", "list", "--data", str(data_dir), "--action", "settle"]) == 0
    out = capsys.readouterr().out
    assert "共 1 条" in out and "120.50" in out
    assert main(["audit", "list", "--data", str(data_dir), "--since", "2026-11-20 08:34"]) == 0
    out = capsys.readouterr().out
    assert "共 2 条" in out and "config_change" in out and "***" in out
    assert main(["audit", "list", "--data", str(data_dir), "--since", "yesterday"]) == 2


def test_export_recorded_and_owner_only(data_dir, tmp_path, capsys):
    out_file = tmp_path / "export" / "audit.jsonl"
    assert main(["audit", "export", "--data", str(data_dir), "--out", str(out_file), "--operator", "0009"]) == 0
    assert "已导出 6 条" in capsys.readouterr().out
    lines = [json.loads(x) for x in out_file.read_text(encoding="utf-8").splitlines()]
    assert [x["seq"] for x in lines] == [1, 2, 3, 4, 5, 6]
    prev = GENESIS                                  # the export verifies offline
    for x in lines:
        assert x["prev_hash"] == prev
        assert event_hash(prev, x["seq"], x["time"], x["actor"], x["action"], x["detail"]) == x["hash"]
        prev = x["hash"]
    assert "330421198503150016" not in out_file.read_text(encoding="utf-8")
    if os.name == "posix":
        assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    assert main(["audit", "list", "--data", str(data_dir), "--action", "export"]) == 0
    out = capsys.readouterr().out
    assert "0009" in out and "audit.jsonl" in out and '"rows": 6' in out
    csv_file = tmp_path / "audit.csv"
    assert main(["audit", "export", "--data", str(data_dir), "--out", str(csv_file)]) == 0
    assert csv_file.read_text(encoding="utf-8").startswith("seq,time,actor,action,detail")
    assert _verify(data_dir, capsys)[0] == 0


def test_missing_database_is_a_clear_error(tmp_path, capsys):
    assert main(["audit", "verify", "--data", str(tmp_path / "nowhere")]) == 2
    assert "找不到本机数据库" in capsys.readouterr().err


def test_verify_subprocess_exit_codes(data_dir):
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    cmd = [sys.executable, "-m", "client", "audit", "verify", "--data", str(data_dir)]
    ok = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert ok.returncode == 0 and "审计日志完整" in ok.stdout
    conn = _db(data_dir)
    conn.execute("UPDATE audit_events SET actor = '0002' WHERE seq = 2")
    conn.close()
    bad = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert bad.returncode == 1 and "第 2 条" in bad.stdout and "identify" in bad.stdout, bad.stdout + bad.stderr
