"""目录对照 (issue 16 scope 5) against the training platform on 127.0.0.1 with real SQLite stores.

Import of the HIS item list (good rows kept, bad rows named in Chinese), 3301 upload with accepted and
refused rows, list --unmapped / --refused, 1317 / 1316, 3302; a checkout whose 2204 carries the
hospital's own codes (checked in the platform's own record of the request); an unmapped item stopped
before anything is sent; the `medsettle mapping` command.

Expected codes come from outside the code under test: the demo HIS mapping file committed in
docs/demo-data (what IT would import) and the platform's stored request.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest

from client.security.operators import Operator as SecOperator
from client.services import dayend, mapping
from client.services.checkout import Counter
from client.services.context import open_context, training_settings_for
from client.services.errors import ServiceError
from client.services.fees import HttpHisAdapter
from client.services.payments import Tender
from client.services.sync import SyncService
from tests.integration.cli_inproc import medsettle_inproc
from tests.integration.conftest import platform_db

ROOT = Path(__file__).resolve().parents[2]
DEMO_MAP = ROOT / "docs" / "demo-data" / "his-mapping-H31011800001.csv"
ZHOU = "310118196804120067"     # 周丽: the standard counter case (docs/demo-data.md), four class-A lines
IT = SecOperator(code="IT01", name="信息科", role="admin", password_hash="x", must_change_password=False)
CASHIER = SecOperator(code="0001", name="收费员", role="cashier", password_hash="x", must_change_password=False)


def demo_map() -> dict[str, str]:
    """national code → hospital code, read from the committed demo mapping file."""
    with DEMO_MAP.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["院内编码", "院内名称", "医保编码"]
    return {r[2]: r[0] for r in rows[1:]}


@pytest.fixture
def window(platform, tmp_path):
    ctx = open_context(training_settings_for(platform.url, tmp_path / "w"), msgid_slot=0)
    SyncService(ctx).run(hilist=False)
    dayend.open_shift(ctx.store, ctx.operator.opter, Decimal("200.00"))
    yield ctx
    ctx.close()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def count(ctx, table: str) -> int:
    with ctx.store.read_connection() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


def test_import_keeps_good_rows_and_names_bad_ones(window, tmp_path):
    f = write(tmp_path / "items.csv",
              "院内编码,院内名称,医保编码,目录类别,单价\n"
              "ZL0001,普通门诊诊查费(院内),001102000010000,201,25.00\n"       # good
              "ZL0002,挂号费(院内),001101000010000,,1.00\n"                  # good: list type from the catalogue
              "YP0003,无医保编码的药,,101,3.00\n"                             # bad: no national code
              "YP0004,类别错的药,XJ01CRA006A001010104041,999,3.10\n"          # bad: list type
              "ZL0001,重复的院内编码,001102000020000,201,35.00\n"              # bad: duplicate
              "YP0006,价格错的药,XJ01CRA006A001010104041,101,abc\n"          # bad: price
              "YP0007,目录里没有的药,XNOTINCATALOG000001,,1.00\n")            # bad: no list type, not in catalogue
    with pytest.raises(ServiceError) as denied:
        mapping.import_file(window, f, actor=CASHIER)
    assert denied.value.code == "authorization" and "系统管理员" in denied.value.message
    assert count(window, "medins_mappings") == 0
    rep = mapping.import_file(window, f, actor=IT)
    assert (rep.rows, rep.added) == (7, 2)
    bad = dict(rep.errors)
    assert sorted(bad) == [4, 5, 6, 7, 8]
    assert "缺少医保编码" in bad[4]
    assert "目录类别“999”无效" in bad[5]
    assert "与第2行重复" in bad[6]
    assert "单价“abc”不是有效数字" in bad[7]
    assert "没有目录类别" in bad[8] and "XNOTINCATALOG000001" in bad[8]
    rows = {m.fixmedins_hilist_id: m for m in mapping.list_mappings(window.store)}
    assert set(rows) == {"ZL0001", "ZL0002"} and all(m.state == "pending" for m in rows.values())
    assert rows["ZL0002"].list_type == "201" and rows["ZL0001"].pric == Decimal("25.00")
    # English headers and a re-import: unchanged rows stay as they are
    g = write(tmp_path / "items-en.csv", "fixmedins_hilist_id,fixmedins_hilist_name,med_list_codg,list_type\n"
                                         "ZL0001,普通门诊诊查费(院内),001102000010000,201\n")
    rep2 = mapping.import_file(window, g, actor=IT)
    assert (rep2.added, rep2.changed, rep2.errors) == (0, 1, [])   # price column absent → price cleared


def test_missing_required_column_is_one_clear_message(window, tmp_path):
    f = write(tmp_path / "x.csv", "code,name\nA,B\n")
    with pytest.raises(ServiceError) as e:
        mapping.import_file(window, f, actor=IT)
    assert "缺少列" in e.value.message and "院内编码" in e.value.message


def test_upload_accepts_and_refuses_then_query_and_revoke(window, platform, tmp_path):
    f = write(tmp_path / "items.csv",
              "院内编码,院内名称,医保编码,目录类别\n"
              "ZL0001,普通门诊诊查费,001102000010000,201\n"
              "HC0002,一次性使用无菌注射器,C14010203000000000000,301\n"
              "YP0003,不在医保目录的药,XNOTINCATALOG000001,101\n"      # the platform refuses: not in its catalogue
              "YP0004,类别不符,001101000010000,101\n")                 # the platform refuses: 201 there
    mapping.import_file(window, f, actor=IT)
    rep = mapping.upload(window, actor=IT)
    assert rep.sent == 4 and sorted(rep.accepted) == ["HC0002", "ZL0001"] and not rep.unknown
    assert "XNOTINCATALOG000001" in rep.refused["YP0003"] and "不存在" in rep.refused["YP0003"]
    assert "目录类别" in rep.refused["YP0004"] and "201" in rep.refused["YP0004"]
    refused = mapping.list_mappings(window.store, "refused")
    assert [m.fixmedins_hilist_id for m in refused] == ["YP0003", "YP0004"]
    assert refused[0].err_msg == rep.refused["YP0003"]           # the platform's words, verbatim
    assert [m.fixmedins_hilist_id for m in mapping.list_mappings(window.store, "unmapped")] == ["YP0003", "YP0004"]
    up = {m.fixmedins_hilist_id: m for m in mapping.list_mappings(window.store, "uploaded")}
    assert set(up) == {"HC0002", "ZL0001"} and all(m.msgid and m.uploaded_at for m in up.values())
    # the platform's own record
    with platform_db(platform) as db:
        got = dict(db.execute("SELECT fixmedins_hilist_id, med_list_codg FROM mappings "
                              "WHERE fixmedins_code='H31011800001' AND vali_flag='1'").fetchall())
    assert got == {"ZL0001": "001102000010000", "HC0002": "C14010203000000000000"}
    # nothing pending: a second upload sends nothing
    assert mapping.upload(window, actor=IT).sent == 0
    # 1317: this institution's mappings as the platform holds them
    rows = mapping.query(window, infno="1317")
    assert {(r["medins_list_codg"], r["med_list_codg"], r["list_type"]) for r in rows} == {
        ("ZL0001", "001102000010000", "201"), ("HC0002", "C14010203000000000000", "301")}
    assert all(r["fixmedins_code"] == "H31011800001" and r["vali_flag"] == "1" for r in rows)
    one = mapping.query(window, infno="1317", code="HC0002")
    assert [r["medins_list_name"] for r in one] == ["一次性使用无菌注射器"]
    assert {r["hilist_code"] for r in mapping.query(window, infno="1316")} == {"001102000010000",
                                                                               "C14010203000000000000"}
    # 3302
    m = mapping.revoke(window, "HC0002", actor=IT)
    assert m.state == "revoked"
    assert [r["medins_list_codg"] for r in mapping.query(window, infno="1317")] == ["ZL0001"]
    with pytest.raises(ServiceError) as again:
        mapping.revoke(window, "HC0002", actor=IT)
    assert "已撤销" in again.value.message


def _zhou_bill(window, platform):
    c = Counter(window, his=HttpHisAdapter(platform.url, window.fixmedins_code))
    c.identify_certno(ZHOU)
    return c


def test_checkout_fee_upload_carries_the_hospital_codes(window, platform):
    rep = mapping.import_file(window, DEMO_MAP, actor=IT)
    assert rep.errors == [] and rep.added == len(demo_map())
    up = mapping.upload(window, actor=IT)
    assert not up.refused and len(up.accepted) == rep.added
    c = _zhou_bill(window, platform)
    c.load_his()
    trial = c.presettle("0")
    # 周丽's bill (docs/demo-data.md): 25.00 + 24.75 + 12.38 + 6.73 = 68.86, fund 41.32, cash 27.54
    assert trial.setlinfo["medfee_sumamt"] == "68.86" and trial.psn_cash_pay == Decimal("27.54")
    rec = c.settle([Tender("cash", Decimal("30.00"))])
    assert rec["state"] == "confirmed"
    expected = demo_map()
    with platform_db(platform) as db:
        sent = [json.loads(r[0]) for r in db.execute(
            "SELECT f.doc FROM fees f JOIN visits v ON v.mdtrt_id = f.mdtrt_id WHERE v.fixmedins_code='H31011800001'")]
    assert len(sent) == 4
    for line in sent:
        assert line["medins_list_codg"] == expected[line["med_list_codg"]], line
        assert line["medins_list_codg"] != line["med_list_codg"]
    with window.store.read_connection() as conn:
        local = conn.exec_driver_sql("SELECT med_list_codg, medins_list_codg FROM fee_lines").fetchall()
    assert sorted(local) == sorted((ln["med_list_codg"], ln["medins_list_codg"]) for ln in sent)


def test_unmapped_item_is_stopped_before_anything_is_sent(window, platform, tmp_path):
    expected = demo_map()
    # the demo file without 盐酸氨溴索片 (one of 周丽's four items)
    rows = list(csv.reader(DEMO_MAP.open(encoding="utf-8")))
    kept = [r for r in rows if r[1] != "盐酸氨溴索片"]
    assert len(kept) == len(rows) - 1
    f = tmp_path / "partial.csv"
    with f.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(kept)
    mapping.import_file(window, f, actor=IT)
    mapping.upload(window, actor=IT)
    with platform_db(platform) as db:
        before = db.execute("SELECT count(*) FROM messages").fetchone()[0]
    c = _zhou_bill(window, platform)
    with pytest.raises(ServiceError) as e:
        c.load_his()
    hosp = next(r[0] for r in rows if r[1] == "盐酸氨溴索片")
    assert hosp in expected.values()
    assert e.value.code == "invalid_input" and "未对照" in e.value.message
    assert "盐酸氨溴索片" in e.value.message and hosp in e.value.message and "有 1 项" in e.value.message
    assert c.lines == [] and count(window, "visits") == 0 and count(window, "fee_lines") == 0
    with platform_db(platform) as db:
        assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == before
        assert db.execute("SELECT count(*) FROM visits WHERE fixmedins_code='H31011800001'").fetchone()[0] == 0
    # imported but not yet uploaded: also stopped, saying so
    write(tmp_path / "one.csv", "院内编码,院内名称,医保编码,目录类别\n"
                                f"{hosp},盐酸氨溴索片,{next(k for k, v in expected.items() if v == hosp)},101\n")
    mapping.import_file(window, tmp_path / "one.csv", actor=IT)
    with pytest.raises(ServiceError) as e2:
        _zhou_bill(window, platform).load_his()
    assert "对照尚未上传" in e2.value.message


def test_platform_refuses_an_unmapped_hospital_code(window, platform, nhsa, tmp_path):
    """The training platform's own check (our convention): with mappings on file, a 2204 line whose
    medins_list_codg is not mapped to its med_list_codg is refused."""
    write(tmp_path / "m.csv", "院内编码,院内名称,医保编码,目录类别\nZL0001,普通门诊诊查费,001102000010000,201\n")
    mapping.import_file(window, tmp_path / "m.csv", actor=IT)
    assert mapping.upload(window, actor=IT).accepted == ["ZL0001"]
    w = nhsa(platform)
    person = w.person(ZHOU)
    mdtrt_id = w.register(person, "MZTEST0001")
    line = {"feedetl_sn": "1", "code": "001102000010000", "cnt": "1", "pric": "25.00",
            "det_item_fee_sumamt": "25.00", "fee_ocur_time": "2026-11-20 09:40:00"}
    detail = w.feedetail(person, mdtrt_id, [line])
    detail[0]["medins_list_codg"] = "ZL9999"
    out = w.call("2204", {"feedetail": detail}, person["insuplc"], expect_ok=False)
    assert out["infcode"] == -1 and "ZL9999" in out["err_msg"] and "未对照" in out["err_msg"]
    detail[0]["medins_list_codg"] = "ZL0001"
    ok = w.call("2204", {"feedetail": detail}, person["insuplc"])
    assert ok["infcode"] == 0


def test_cli_import_upload_list(platform, tmp_path):
    from client.security.passwords import TEST_PARAMS, make_hasher
    from client.services.context import open_store_for
    from client.services.operators import OperatorService

    d = tmp_path / "cli"
    base = ("--platform", platform.url, "--data", str(d))
    assert medsettle_inproc("sync", *base, "--no-hilist", "--no-bundles", "--quiet").returncode == 0
    store = open_store_for(training_settings_for(platform.url, d))
    try:
        svc = OperatorService(store, hasher=make_hasher(TEST_PARAMS))
        svc.create("IT01", "信息科", "admin", "It-Admin-2026", must_change=False)
        svc.create("0001", "收费员", "cashier", "Cash-0001-2026", must_change=False)
    finally:
        store.close()
    f = write(tmp_path / "items.csv", "院内编码,院内名称,医保编码,目录类别\n"
                                      "ZL0001,普通门诊诊查费,001102000010000,201\n"
                                      "YP0003,不在医保目录的药,XNOTINCATALOG000001,101\n"
                                      ",缺编码,001101000010000,201\n")
    env = {"PW": "It-Admin-2026", "CPW": "Cash-0001-2026"}
    no = medsettle_inproc("mapping", "import", str(f), *base, "--by", "0001", "--by-password-env", "CPW", env=env)
    assert no.returncode == 2 and "系统管理员" in no.stderr
    r = medsettle_inproc("mapping", "import", str(f), *base, "--by", "IT01", "--by-password-env", "PW", env=env)
    assert r.returncode == 2 and "第4行：缺少院内编码" in r.stderr      # bad row named; good rows kept
    assert json.loads(r.stdout)["added"] == 2
    u = medsettle_inproc("mapping", "upload", *base, "--by", "IT01", "--by-password-env", "PW", env=env)
    assert u.returncode == 2 and json.loads(u.stdout)["accepted"] == ["ZL0001"] and "被拒绝 YP0003" in u.stderr
    lr = medsettle_inproc("mapping", "list", *base, "--refused")
    assert lr.returncode == 0 and [m["fixmedins_hilist_id"] for m in json.loads(lr.stdout)["mappings"]] == ["YP0003"]
    assert "被拒绝" in lr.stderr
    q = medsettle_inproc("mapping", "query", *base)
    assert q.returncode == 0 and [x["medins_list_codg"] for x in json.loads(q.stdout)["rows"]] == ["ZL0001"]


def test_line_typed_from_the_national_catalogue_takes_the_mapped_hospital_code(window, platform, tmp_path):
    write(tmp_path / "m.csv", "院内编码,院内名称,医保编码,目录类别\nZL0001,普通门诊诊查费,001102000010000,201\n")
    mapping.import_file(window, tmp_path / "m.csv", actor=IT)
    mapping.upload(window, actor=IT)
    c = Counter(window)
    c.identify_certno(ZHOU)
    c.start_outpatient("11")
    line = c.add_line("001102000010000", "1")
    assert (line.code, line.medins_list_codg) == ("001102000010000", "ZL0001")
    c.presettle("0")
    with platform_db(platform) as db:
        docs = [json.loads(r[0]) for r in db.execute("SELECT doc FROM fees")]
    assert [(d["med_list_codg"], d["medins_list_codg"]) for d in docs] == [("001102000010000", "ZL0001")]


def test_remapping_an_uploaded_code_revokes_the_old_mapping_first(window, platform, tmp_path):
    write(tmp_path / "a.csv", "院内编码,院内名称,医保编码,目录类别\nZL0001,门诊诊查费,001102000010000,201\n")
    mapping.import_file(window, tmp_path / "a.csv", actor=IT)
    assert mapping.upload(window, actor=IT).accepted == ["ZL0001"]
    write(tmp_path / "b.csv", "院内编码,院内名称,医保编码,目录类别\nZL0001,门诊诊查费,001102000020000,201\n")
    rep = mapping.import_file(window, tmp_path / "b.csv", actor=IT)
    assert rep.changed == 1 and mapping.get_mapping(window.store, "ZL0001").state == "pending"
    up = mapping.upload(window, actor=IT)
    assert up.accepted == ["ZL0001"] and up.sent == 2 and not up.refused       # 3302 of the old, then 3301
    with platform_db(platform) as db:
        rows = db.execute("SELECT med_list_codg, vali_flag FROM mappings WHERE fixmedins_hilist_id='ZL0001'").fetchall()
        infnos = [r[0] for r in db.execute("SELECT infno FROM messages WHERE infno IN ('3301', '3302') "
                                           "ORDER BY created, rowid")]
    assert rows == [("001102000020000", "1")] and infnos == ["3301", "3302", "3301"]
    assert [r["med_list_codg"] for r in mapping.query(window, code="ZL0001")] == ["001102000020000"]
