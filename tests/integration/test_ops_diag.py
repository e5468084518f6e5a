"""`medsettle diag`: the support zip has versions, redacted config, store stats and masked logs —
and never the database, the secret store, the machine key or a secret value."""

from __future__ import annotations

import json
import os
import stat
import zipfile

from sqlalchemy import text

from client.secrets import SecretStore
from offline_cache.store import head_revision, open_store
from tests.integration.ops_helpers import CERTNO, medsettle

SECRET = "GW-SECRET-7f3a9c21e5b84d60"
SITE = """
[site]
fixmedins_code = "H31011800001"
fixmedins_name = "上海市青浦区培训医院"
admdvs = "310118"

[platform]
url = "https://hsa.example.test/fsi"
secret_ref = "gateway"
gateway = "x-tif"
paasid = "paas001"

[paths]
data_dir = "data"
"""


def test_diag_bundle_contents_and_exclusions(tmp_path):
    cfg = tmp_path / "site.toml"
    cfg.write_text(SITE, encoding="utf-8")
    data = tmp_path / "data"
    store = open_store(data / "medsettle.sqlite3")
    with store.connection() as c:
        c.execute(text("INSERT INTO persons(psn_no, certno, psn_name, insuinfo_json, idetinfo_json, fetched_at) "
                       "VALUES ('P1', :c, '沈明', '[]', '[]', '2026-11-05 09:00:00')"), {"c": CERTNO})
    store.close()
    SecretStore(data, backend="file").set("gateway", SECRET)
    assert (data / "secrets" / "machine.key").is_file()
    logs = data / "logs"
    logs.mkdir()
    (logs / "medsettle.log").write_text(
        f"2026-11-05 09:00:01 INFO 1 MainThread x: 1101 certno={CERTNO} card_no=K12345678 key {SECRET}\n",
        encoding="utf-8")
    (logs / "crash-20261105-090001-1.txt").write_text(f"Traceback ... {CERTNO}\n", encoding="utf-8")
    (logs / "crash-faults.log").write_text('Fatal Python error: Segmentation fault\n\n'
                                           '  File "client/ui/mainwindow.py", line 1 in show\n', encoding="utf-8")
    (logs / "medsettle.sqlite3").write_bytes(b"SQLite format 3\0 stray copy")   # never included

    out = tmp_path / "bundle.zip"
    r = medsettle("diag", "--config", str(cfg), "--out", str(out), MEDSETTLE_SECRET_BACKEND="file")
    assert r.returncode == 0, r.stderr
    assert str(out) in r.stdout and "不含数据库和密钥" in r.stdout
    if os.name == "posix":
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        assert {"summary.txt", "versions.json", "config.json", "store.json", "logs/medsettle.log",
                "logs/crash-20261105-090001-1.txt", "logs/crash-faults.log"} <= names
        assert not [n for n in names if "sqlite3" in n or "secret" in n or n.endswith((".key", ".toml"))]
        blob = b"".join(z.read(n) for n in names)
        versions = json.loads(z.read("versions.json"))
        config = json.loads(z.read("config.json"))
        store_info = json.loads(z.read("store.json"))
        log_text = z.read("logs/medsettle.log").decode("utf-8")
        summary = z.read("summary.txt").decode("utf-8")
    # secrets: neither the value nor the key file content nor the encrypted store
    assert SECRET.encode() not in blob
    assert (data / "secrets" / "machine.key").read_bytes() not in blob
    assert CERTNO.encode() not in blob and b"K12345678" not in blob
    assert "330421********0016" in log_text
    # versions
    for key in ("medsettle", "python", "sqlite", "sqlalchemy", "reportlab", "alembic", "platform", "qt"):
        assert versions.get(key), key
    # config: effective values with the secret reference redacted
    assert config["source"] == str(cfg)
    assert config["effective"]["site"]["fixmedins_code"] == "H31011800001"
    assert config["effective"]["platform"]["secret_ref"] == "***"
    assert config["data_dir"] == str(data)
    # store statistics, read-only
    assert store_info["alembic_revision"] == head_revision() == store_info["program_head_revision"]
    assert store_info["integrity_check"] == ["ok"]
    assert store_info["row_counts"]["persons"] == 1
    assert "数据库" in summary and head_revision() in summary


def test_diag_without_any_configuration_still_produces_a_bundle(tmp_path):
    out = tmp_path / "d.zip"
    r = medsettle("diag", "--data", str(tmp_path / "empty"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(out) as z:
        config = json.loads(z.read("config.json"))
        store_info = json.loads(z.read("store.json"))
    assert config["errors"] and "未找到站点配置文件" in config["errors"][0]
    assert store_info["exists"] is False


def test_diag_refuses_bad_output_names(tmp_path):
    r = medsettle("diag", "--out", str(tmp_path / "x.txt"))
    assert r.returncode == 2 and ".zip" in r.stderr
    r = medsettle("diag", "--out", str(tmp_path / "no" / "such" / "x.zip"))
    assert r.returncode == 2 and "目录不存在" in r.stderr and "Traceback" not in r.stderr
