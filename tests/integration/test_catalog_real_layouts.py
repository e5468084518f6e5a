"""Catalogues in their real files (issue 16 scope 3) on a real SQLite store and the training platform.

* a 1301 file built by hand in the REAL layout (92 columns; ver at index 82, vali_flag 78, rid 79 —
  reference §3.11, IBORN ``InsertYB1301`` / openhis ``G_yb_wm_tcmpat_info_bVO``) is read by column
  name; the file's ver is the ver column of its last usable row; short rows and rows with an empty
  ver are skipped and counted, never taken as the version;
* a 1312 page (the real output field list of reference §3.11, which has no selfpay_prop and no
  price limit) updates the class and leaves the 1319 ratio and the 1318 limit intact;
* 1318 / 1319 rows decide the limit and the ratio the engine uses, by the day's validity;
* a stream answered with the recorded unknown-infno refusal (real-messages/
  error-unknown-infno-zjharness.json) or any business refusal is reported for that stream only.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from client.config import CatalogSettings
from client.domain.catalog_layouts import LAYOUTS, layout_for, row_of
from client.services.context import open_context, training_settings_for
from client.services.sync import SyncService
from offline_cache import hilist
from offline_cache.catalog import (
    CatalogRowError,
    bulk_load,
    get_item,
    prepare_layout,
    upsert_catalog_rows,
    write_page,
)
from offline_cache.store import open_store
from tests.integration.cli_inproc import medsettle_inproc
from training_platform.dialects import Dialect

A = "310118"

# One row as a real 1301 file carries it (values in the national style; the layout's other
# columns are blank, as many regions send them).
REAL_1301 = {
    "med_list_codg": "XA02BCA211A001010100819", "drug_prodname": "奥美拉唑肠溶胶囊", "genname_codg": "XA02BCA211",
    "drug_genname": "奥美拉唑", "reg_name": "奥美拉唑肠溶胶囊", "drug_dosform": "001", "drug_dosform_name": "胶囊剂",
    "drug_type": "101", "drug_type_name": "西药", "drug_spec": "20mg", "reg_spec": "20mg", "each_dos": "20mg",
    "tcmpat_flag": "0", "otc_flag": "0", "pacmatl_name": "铝塑", "pacspec": "14粒/盒", "pac_cnt": "14",
    "begndate": "2019-12-01 00:00:00", "enddate": "", "min_useunt": "粒", "min_salunt": "盒", "min_prcunt": "粒",
    "convrat": "14", "wubi": "TUGM", "pinyin": "AMLZ", "prodentp_code": "91320000134785123X",
    "prodentp_name": "江苏某某制药有限公司", "lmt_usescp": "限有消化道出血的证据", "lmt_used_flag": "1",
    "aprvno": "国药准字H20054731", "nat_hi_druglist_memo": "", "vali_flag": "1",
    "rid": "320000202203251030550000012345", "crte_time": "2021-03-25 10:30:55", "updt_time": "2022-05-01 00:00:00",
    "ver": "20220501000012", "ver_name": "20220501000012_西药中成药", "nat_hi_druglist_chrgitm_lv": "乙",
}


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "w.sqlite3")
    yield s
    s.close()


def _write(store, rows):
    fp = prepare_layout(rows, A, LAYOUTS["1301"])
    with bulk_load(store) as conn:
        write_page(conn, fp.rows, {})
    return fp


def test_hand_built_real_1301_file_is_read_by_name(store):
    layout = LAYOUTS["1301"]
    row = row_of(layout, REAL_1301)
    assert len(row) == 92 and row[82] == "20220501000012" and row[78] == "1" and row[79] == REAL_1301["rid"]
    # an older row of the same file first, then a short line and a line whose ver column is empty
    older = row_of(layout, {**REAL_1301, "med_list_codg": "XA02BCA211A001010100820", "drug_genname": "奥美拉唑镁",
                            "ver": "20220501000011"})
    short = row[:50]
    no_ver = row_of(layout, {**REAL_1301, "med_list_codg": "XA02BCA211A001010100821", "ver": ""})
    fp = _write(store, [older, row, short, no_ver])
    assert (fp.ver, fp.skipped, fp.first_skipped) == ("20220501000012", 2, 3)   # the last USABLE row's ver
    it = get_item(store, A, "XA02BCA211A001010100819", at=date(2026, 12, 1))
    assert (it.name, it.spec, it.unit, it.dosform, it.prodentp_name, it.wubi, it.pinyin, it.lmt_used_flag,
            it.list_type, it.vali_flag, it.rid, it.ver, it.begndate) == \
        ("奥美拉唑", "20mg", "粒", "胶囊剂", "江苏某某制药有限公司", "TUGM", "AMLZ", "1", "101", "1",
         REAL_1301["rid"], "20220501000012", date(2019, 12, 1))
    # the national list's 甲乙 mark is kept as kind-specific data, NOT as the local class
    assert it.chrgitm_lv is None and it.selfpay_prop is None and it.pric_uplmt_amt is None
    assert '"nat_hi_druglist_chrgitm_lv": "乙"' in it.extra_json and '"lmt_usescp"' in it.extra_json
    assert get_item(store, A, "XA02BCA211A001010100821", valid_only=False) is None      # skipped, not stored
    # the kind-specific JSON is exactly json.dumps of the non-empty columns, also for quotes and backslashes
    tricky = row_of(layout, {**REAL_1301, "lmt_usescp": '限"二线"\\用药', "aprvno": "", "otc_flag": "甲\t"})
    ex = prepare_layout([tricky], A, layout).rows[0][-1]
    assert ex == json.dumps({"drug_prodname": "奥美拉唑肠溶胶囊", "lmt_usescp": '限"二线"\\用药',
                             "nat_hi_druglist_chrgitm_lv": "乙", "otc_flag": "甲"}, ensure_ascii=False)


def test_a_file_never_blanks_class_ratio_limit_or_price(store):
    upsert_catalog_rows(store, [{"admdvs": A, "med_list_codg": REAL_1301["med_list_codg"], "name": "奥美拉唑",
                                 "chrgitm_lv": "02", "med_chrgitm_type": "09", "selfpay_prop": "0.10",
                                 "pric_uplmt_amt": "0.95", "pric": "1.02", "ver": "1"}], admdvs=A)
    _write(store, [row_of(LAYOUTS["1301"], REAL_1301)])
    it = get_item(store, A, REAL_1301["med_list_codg"])
    assert (it.chrgitm_lv, it.med_chrgitm_type, it.selfpay_prop, it.pric_uplmt_amt, it.pric) == \
        ("02", "09", Decimal("0.10"), Decimal("0.95"), Decimal("1.02"))
    assert it.ver == "20220501000012" and it.dosform == "胶囊剂"


def test_bad_rows_are_refused_in_chinese(store):
    layout = LAYOUTS["1301"]
    with pytest.raises(CatalogRowError, match="有效标志 vali_flag=9"):
        prepare_layout([row_of(layout, {**REAL_1301, "vali_flag": "9"})], A, layout)
    with pytest.raises(CatalogRowError, match="缺少名称"):
        prepare_layout([row_of(layout, {**REAL_1301, "drug_genname": "", "drug_prodname": "", "reg_name": ""})],
                       A, layout)
    with pytest.raises(CatalogRowError, match="begndate 不是有效日期"):
        prepare_layout([row_of(layout, {**REAL_1301, "begndate": "2019-13-01"})], A, layout)


def test_configured_layout_must_name_the_columns_it_needs():
    from client.domain.catalog_layouts import LayoutError

    cols = list(LAYOUTS["1309"].columns)
    moved = cols[:9] + cols[10:] + ["ver"]                  # a region whose file has ver last
    assert layout_for("1309", {"1309": moved}).ver_index == 15
    with pytest.raises(LayoutError, match="缺少列"):
        layout_for("1309", {"1309": [c for c in cols if c != "opsp_dise_code"]})


def test_1312_page_without_selfpay_prop_leaves_ratio_and_limit_intact(store):
    upsert_catalog_rows(store, [{"admdvs": A, "med_list_codg": "ZA09BAX0367010102963", "name": "复方丹参滴丸",
                                 "spec": "27mg*180丸", "chrgitm_lv": "01", "med_chrgitm_type": "09",
                                 "selfpay_prop": "0.10", "pric_uplmt_amt": "26.00", "ver": "1"}], admdvs=A)
    # a 1312 data[] item with exactly the output fields of reference §3.11 (no ratio, no limit, no spec)
    page = [{"hilist_code": "ZA09BAX0367010102963", "hilist_name": "复方丹参滴丸", "insu_admdvs": A,
             "begndate": "2020-01-01 00:00:00", "enddate": None, "med_chrgitm_type": "09", "chrgitm_lv": "02",
             "lmt_used_flag": "0", "list_type": "101", "med_use_flag": None, "matn_used_flag": None,
             "hilist_use_type": None, "lmt_cpnd_type": None, "wubi": "TJEQ", "pinyin": "FFDS", "memo": "",
             "vali_flag": "1", "rid": "310118R0001", "updt_time": "2026-10-01 08:00:00", "crter_id": "",
             "crter_name": "", "crte_time": "2020-01-01 00:00:00", "crte_optins_no": "", "opter_id": "",
             "opter_name": "", "opt_time": "2026-10-01 08:00:00", "optins_no": "", "poolarea_no": A},
            {"hilist_code": "NOT-HELD", "chrgitm_lv": "01"}, {"hilist_name": "无编码"}]
    with store.connection() as conn:
        updated, skipped, max_updt = hilist.apply_hilist_page(conn, A, page)
    assert (updated, skipped, max_updt) == (1, 1, "2026-10-01 08:00:00")
    it = get_item(store, A, "ZA09BAX0367010102963")
    assert (it.chrgitm_lv, it.selfpay_prop, it.pric_uplmt_amt, it.spec, it.lmt_used_flag) == \
        ("02", Decimal("0.10"), Decimal("26.00"), "27mg*180丸", "0")
    # a row whose class is null does not blank the class either
    with store.connection() as conn:
        hilist.apply_hilist_page(conn, A, [{"hilist_code": "ZA09BAX0367010102963", "chrgitm_lv": None}])
    assert get_item(store, A, "ZA09BAX0367010102963").chrgitm_lv == "02"


def test_1318_1319_rows_decide_limit_and_ratio_by_the_day(store):
    upsert_catalog_rows(store, [{"admdvs": A, "med_list_codg": "C14010203000000000000", "name": "一次性使用输液器",
                                 "ver": "1"}], admdvs=A)
    code = "C14010203000000000000"
    lim = [{"hilist_code": code, "hilist_lmtpric_type": "1", "overlmt_dspo_way": "1", "insu_admdvs": A,
            "begndate": "2020-01-01", "enddate": "2026-06-30", "hilist_pric_uplmt_amt": 0.55, "vali_flag": "1",
            "rid": "L1", "updt_time": "2020-01-01 00:00:00"},
           {"hilist_code": code, "hilist_lmtpric_type": "1", "overlmt_dspo_way": "1", "insu_admdvs": A,
            "begndate": "2026-07-01", "enddate": None, "hilist_pric_uplmt_amt": 0.5, "vali_flag": "1",
            "rid": "L2", "updt_time": "2026-07-01 00:00:00"},
           {"hilist_code": code, "insu_admdvs": A, "begndate": "2026-08-01", "hilist_pric_uplmt_amt": 0.1,
            "vali_flag": "0", "rid": "L3", "updt_time": "2026-08-01 00:00:00"}]
    ratio = [{"hilist_code": code, "selfpay_prop_psn_type": None, "selfpay_prop_type": None, "insu_admdvs": A,
              "begndate": "2020-01-01", "enddate": None, "selfpay_prop": "0.2", "vali_flag": "1", "rid": "S1",
              "updt_time": "2020-01-01 00:00:00"}]
    with store.connection() as conn:
        for infno, rows in (("1318", lim), ("1319", ratio)):
            prepared, skipped, codes, _ = hilist.prepare_terms(infno, rows)
            hilist.upsert_terms(conn, infno, A, prepared)
            hilist.refresh_effective(conn, infno, A, codes=codes, at=date(2026, 12, 1))
    it = get_item(store, A, code)
    assert (it.pric_uplmt_amt, it.selfpay_prop) == (Decimal("0.5"), Decimal("0.2"))    # L2: valid on 2026-12-01
    with store.connection() as conn:
        hilist.refresh_effective(conn, "1318", A, at=date(2026, 3, 1))
    assert get_item(store, A, code).pric_uplmt_amt == Decimal("0.55")                 # L1 on 2026-03-01
    assert [r["rid"] for r in hilist.terms_of(store, "1318", A, code)] == ["L1", "L2", "L3"]
    with pytest.raises(CatalogRowError, match="超出 0–1"):
        hilist.prepare_terms("1319", [{**ratio[0], "selfpay_prop": "1.5"}])


def test_refused_streams_are_reported_and_the_rest_goes_on(platform, tmp_path):
    # this region's platform does not offer 1318 nor 1307: it answers with the recorded text of
    # real-messages/error-unknown-infno-zjharness.json ("FSI-FSI-交易报文不正确：未知交易编号！,异常流水号:…")
    plat = platform.platform
    plat.dialect = Dialect("test", "test", A, "H31011800001", "single", "x-tif", "",
                           unknown_infno_msg="FSI-FSI-交易报文不正确：未知交易编号！")
    for infno in ("1318", "1307"):
        plat.handlers.pop(infno)
    ctx = open_context(training_settings_for(platform.url, tmp_path / "w"))
    try:
        summary = SyncService(ctx).run(bundles=False)
        assert set(summary.failed) == {"1318", "1307"}
        assert all("未知交易编号" in why for why in summary.failed.values())
        names = {s.name.split(":")[1] for s in summary.streams}
        assert names >= {"1301", "1302", "1305", "1306", "1309", "1312", "1319"}
        assert summary.catalog_rows > 100 and summary.to_dict()["failed"] == summary.failed
        # the class (1312) and the ratio (1319) arrived; the limit did not: 头孢克洛胶囊 of the example
        it = get_item(ctx.store, A, "XJ01CRA006A001010104041")
        assert (it.chrgitm_lv, it.selfpay_prop, it.pric_uplmt_amt) == ("01", Decimal("0.00"), None)
    finally:
        ctx.close()
    # the command says which streams failed and exits 2
    r = medsettle_inproc("sync", "--platform", platform.url, "--data", str(tmp_path / "w2"), "--no-bundles", "--quiet")
    assert r.returncode == 2 and "目录 1318 未同步" in r.stderr and "目录 1307 未同步" in r.stderr, r.stderr


def test_a_layout_that_does_not_match_the_file_is_a_clear_error(platform, tmp_path):
    wrong = list(LAYOUTS["1305"].columns[:-2]) + ["x1", "x2", "x3", "x4", "ver", "ver_name"]   # ver at 18, not 14
    settings = training_settings_for(platform.url, tmp_path / "w")
    ctx = open_context(replace(settings, catalog=CatalogSettings(layouts={"1305": tuple(wrong)})))
    try:
        summary = SyncService(ctx).run(catalog_infnos=("1305", "1306"), hilist=False, bundles=False)
        assert set(summary.failed) == {"1305"}
        assert "第 19 列（ver）" in summary.failed["1305"] and "版本号没有前进" not in summary.failed["1305"]
        assert [s.name for s in summary.streams] == [f"catalog:1306:{A}"] and summary.streams[0].rows > 0
    finally:
        ctx.close()
