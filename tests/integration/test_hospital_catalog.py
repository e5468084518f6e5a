"""Catalogue once per hospital: IT downloads the 13xx files from the central platform into the
hospital store once; a window refreshes from there and ends with exactly the rows a direct central
download gives (the oracle: a second window synced directly). The hospital store away → the
window downloads directly and says so."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from hospital_store import admin
from tests.integration.cli_inproc import medsettle_inproc as medsettle

ROLE_PW = "catalog-window-pass"
COLS = "code, name, spec, list_type, vali_flag, dosform, prodentp_name, wubi, pinyin, extra_json"


def _items(d: Path) -> list[tuple]:
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    try:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(catalog_items)")]
        keep = [c for c in cols if c not in ("id", "name_id", "updated_at", "synced_at", "created_at")]
        return conn.execute(f"SELECT {', '.join(keep)} FROM catalog_items ORDER BY {keep[0]}").fetchall()
    finally:
        conn.close()


def _vers(d: Path) -> dict[str, str]:
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    try:
        return {n: v for n, v in conn.execute("SELECT name, ver FROM sync_state WHERE name LIKE 'catalog:%'")}
    finally:
        conn.close()


def test_windows_refresh_from_the_hospital_store(platform, hospital, tmp_path):
    srv, dbname, engine = hospital
    # every machine of the institution has its own window id: its msgid slot (a msgid is never reused)
    r = medsettle("hospital", "sync", "--admin-url", srv.url(dbname), "--platform", platform.url,
                  "--data", str(tmp_path / "it"), "--window", "it90", "--no-hilist")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["hospital_files"] >= 3 and "全院目录已下载" in r.stderr
    # the oracle: a window that downloads directly from the central platform
    direct = tmp_path / "direct"
    assert medsettle("sync", "--platform", platform.url, "--data", str(direct), "--window", "d91",
                     "--no-hilist").returncode == 0
    admin.add_window(engine, "w05", ROLE_PW)
    w = tmp_path / "w05"
    opts = ("--platform", platform.url, "--data", str(w), "--window", "w05", "--hospital",
            f"postgresql+psycopg://{admin.window_role_name('w05')}@{srv.host}:{srv.port}/{dbname}")
    assert medsettle("config", "set-secret", "hospital-db", "--stdin", *opts, stdin=ROLE_PW + "\n").returncode == 0
    r = medsettle("sync", *opts, "--no-hilist")
    assert r.returncode == 0, r.stderr
    src = json.loads(r.stdout)["catalogue_source"]
    assert {"1301", "1305", "1306"} <= set(src["hospital"])
    # a catalogue the platform has no file of (training: 1303) is simply asked of the platform
    assert set(src["central"].values()) <= {"医院库没有该目录的文件"}
    assert "经医院库下载" in r.stderr
    assert _items(w) == _items(direct) and len(_items(w)) > 100
    assert _vers(w) == _vers(direct)
    # a second refresh has nothing to do
    r = medsettle("sync", *opts, "--no-hilist")
    assert r.returncode == 0 and sum(s["rows"] for s in json.loads(r.stdout)["streams"]
                                     if s["name"].startswith("catalog:")) == 0

    # the hospital server gone: a new window still gets its catalogue, from the central platform
    srv.stop()
    w2 = tmp_path / "w06"
    opts2 = tuple(str(w2) if x == str(w) else ("w06" if x == "w05" else x) for x in opts)
    r = medsettle("sync", *opts2, "--no-hilist")
    assert r.returncode == 0, r.stderr
    assert "医院库不可用" in r.stderr and _items(w2) == _items(direct)
    srv.start()


def test_policy_parameters_published_once_reach_every_window(platform, hospital, tmp_path):
    """IT publishes a new bundle version to the hospital store; a window imports it at its sync
    through its own policy import — the same bytes' checksum in its store; a changed file under the
    same version is refused by the hospital store and changes nothing."""
    import hashlib

    srv, dbname, engine = hospital
    doc = json.loads(Path("resources/policies/330421.json").read_text(encoding="utf-8"))
    doc["ver"], doc["issued_at"] = "2026.9", "2026-12-01T00:00:00+08:00"      # a version no window holds
    f = tmp_path / "330421-2026.9.json"
    f.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    sha = hashlib.sha256(f.read_bytes()).hexdigest()
    it = ("--admin-url", srv.url(dbname), "--platform", platform.url, "--data", str(tmp_path / "it"), "--window", "it90")
    r = medsettle("hospital", "policy-publish", str(f), *it)
    assert r.returncode == 0, r.stderr
    assert [p["sha256"] for p in json.loads(r.stdout)["published"]] == [sha]
    bad = tmp_path / "changed.json"
    doc["issuer"] += "（改）"
    bad.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    r = medsettle("hospital", "policy-publish", str(bad), *it)
    assert r.returncode == 2 and "同一版本不能覆盖" in r.stderr
    admin.add_window(engine, "w07", ROLE_PW)
    w = tmp_path / "w07"
    opts = ("--platform", platform.url, "--data", str(w), "--window", "w07", "--hospital",
            f"postgresql+psycopg://{admin.window_role_name('w07')}@{srv.host}:{srv.port}/{dbname}")
    assert medsettle("config", "set-secret", "hospital-db", "--stdin", *opts, stdin=ROLE_PW + "\n").returncode == 0
    r = medsettle("sync", *opts, "--no-hilist")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)["hospital_policies"]
    assert [(x["insuplc_admdvs"], x["ver"]) for x in got["imported"]] == [("330421", "2026.9")]
    conn = sqlite3.connect(w / "medsettle.sqlite3")
    rows = conn.execute("SELECT sha256 FROM policy_bundles WHERE insuplc_admdvs = '330421' AND ver = '2026.9'").fetchall()
    conn.close()
    assert rows == [(sha,)]
    r = medsettle("sync", *opts, "--no-hilist")                 # the next sync: nothing new
    assert r.returncode == 0 and json.loads(r.stdout)["hospital_policies"]["imported"] == []
