"""目录对照 without a store: header detection, per-row errors, wire shapes, the demo mapping files."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from client.api.catalogmap import QueryMedinsMatch, RevokeMapping, UploadMapping
from client.api.infnos import is_state_changing, name_of
from client.services.errors import ServiceError
from client.services.mapping import parse_rows
from training_platform import demo

ROOT = Path(__file__).resolve().parents[2]


def test_chinese_and_english_headers_any_column_order():
    table = [["医保编码", "单价", "院内名称", "院内编码", "目录类别"],
             ["001102000010000", "25", "诊查费", "ZL1", "201"]]
    good, bad = parse_rows(table, begndate=date(2026, 12, 1))
    assert bad == [] and good[0].fixmedins_hilist_id == "ZL1" and good[0].med_list_codg == "001102000010000"
    assert (good[0].begndate, good[0].enddate) == (date(2026, 12, 1), date(2099, 12, 31))
    en = [["Med_List_Codg", "FIXMEDINS_HILIST_NAME", "fixmedins_hilist_id", "list_type", "begndate"],
          ["X1", "药", "YP1", "101", "2026/01/05"]]
    good, bad = parse_rows(en)
    assert bad == [] and good[0].begndate == date(2026, 1, 5)


def test_bad_rows_named_good_rows_kept():
    table = [["院内编码", "院内名称", "医保编码", "目录类别", "开始日期", "结束日期"],
             ["A 1", "空格编码", "X1", "101", "", ""],
             ["A2", "好的", "X2", "", "", ""],
             ["A3", "日期倒了", "X3", "101", "2026-05-01", "2026-01-01"],
             ["", "", "", "", "", ""],                   # blank lines are skipped, numbering kept
             ["A4", "日期错", "X4", "101", "明天", ""]]
    good, bad = parse_rows(table, list_type_of={"X2": "301"}.get)
    assert [g.fixmedins_hilist_id for g in good] == ["A2"] and good[0].list_type == "301"
    assert [n for n, _ in bad] == [2, 4, 6]
    assert "院内编码“A 1”无效" in bad[0][1] and "结束日期早于开始日期" in bad[1][1] and "开始日期“明天”" in bad[2][1]


def test_header_without_required_columns_refused_in_chinese():
    with pytest.raises(ServiceError) as e:
        parse_rows([["name", "price"], ["a", "1"]])
    assert "院内编码" in e.value.message and "医保编码" in e.value.message
    with pytest.raises(ServiceError):
        parse_rows([])


def test_wire_shapes_follow_the_public_models():
    # field names as in openhis Input_3301.cs / Input_3302.cs / Input_1317.cs
    up = UploadMapping("YP1", "阿莫西林胶囊", "101", "X1", "2026-01-01", "2099-12-31", spec="0.25g").to_input()
    assert up == {"data": {"fixmedins_hilist_id": "YP1", "fixmedins_hilist_name": "阿莫西林胶囊", "list_type": "101",
                           "med_list_codg": "X1", "begndate": "2026-01-01", "enddate": "2099-12-31", "spec": "0.25g"}}
    assert RevokeMapping("H31011800001", "YP1", "101", "X1").to_input() == {
        "data": {"fixmedins_code": "H31011800001", "fixmedins_hilist_id": "YP1", "list_type": "101",
                 "med_list_codg": "X1"}}
    q = QueryMedinsMatch(insu_admdvs="310118", updt_time="2000-01-01 00:00:00", fixmedins_code="H31011800001",
                         medins_list_codg="YP1").to_input()["data"]
    assert q["vali_flag"] == "1" and q["page_num"] == 1 and q["medins_list_codg"] == "YP1"
    assert is_state_changing("3301") and is_state_changing("3302") and not is_state_changing("1317")
    assert name_of("3301") == "目录对照上传" and name_of("1316") == "医疗目录与医保目录匹配信息查询"


@pytest.mark.parametrize("code", [i["fixmedins_code"] for i in demo.FIXED_INSTITUTIONS])
def test_committed_demo_mapping_files_match_the_generator(code):
    path = ROOT / "docs" / "demo-data" / f"his-mapping-{code}.csv"
    with path.open(encoding="utf-8", newline="") as f:
        assert list(csv.reader(f)) == demo.mapping_rows(code)
    rows = demo.mapping_rows(code)[1:]
    assert len({r[0] for r in rows}) == len(rows)          # one hospital code per item
    assert len({r[2] for r in rows}) == len(rows)


def test_demo_his_lines_carry_the_hospital_code_of_the_mapping_file():
    data = demo.generate()
    mapped = {r[2]: r[0] for r in demo.mapping_rows("H31011800001")[1:]}
    lines = [ln for visits in data["his_charges"].values() for v in visits
             if v.get("fixmedins_code") == "H31011800001" for ln in v["lines"]]
    with_code = [ln for ln in lines if "medins_list_codg" in ln]
    assert with_code and all(mapped[ln["code"]] == ln["medins_list_codg"] for ln in with_code)
    # lines without one are the demo's 目录外 items (codes not in the catalogue)
    assert all(ln["code"] not in mapped for ln in lines if "medins_list_codg" not in ln)


def test_xlsx_without_openpyxl_asks_for_csv(tmp_path):
    import importlib.util
    import zipfile

    from client.services.mapping import read_table

    if importlib.util.find_spec("openpyxl") is not None:
        pytest.skip("openpyxl is installed here: the XLSX path is taken")
    f = tmp_path / "items.xlsx"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(ServiceError) as e:
        read_table(f)
    assert "openpyxl" in e.value.message and "CSV UTF-8" in e.value.message


def test_csv_with_bom_semicolons_and_missing_file(tmp_path):
    from client.services.mapping import read_table

    f = tmp_path / "a.csv"
    f.write_bytes("\ufeff院内编码;院内名称;医保编码\nA1;名;X1\n".encode())
    assert read_table(f)[1] == ["A1", "名", "X1"]
    with pytest.raises(ServiceError) as e:
        read_table(tmp_path / "none.csv")
    assert "找不到对照文件" in e.value.message
    g = tmp_path / "gbk.csv"
    g.write_bytes("院内编码,院内名称\n".encode("gbk"))
    with pytest.raises(ServiceError) as e2:
        read_table(g)
    assert "UTF-8" in e2.value.message
