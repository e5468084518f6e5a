"""client.domain.catalog_layouts against the reference (nhsa-interface.md §3.11) and the [catalog] settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from client.config import check_config, load_settings
from client.domain.catalog_layouts import LAYOUTS, LayoutError, layout_for, row_of

MINIMAL = """
[site]
fixmedins_code = "H32050900007"
fixmedins_name = "苏州市吴江区第一人民医院"
admdvs = "320509"
hosp_lv = 3

[platform]
url = "https://hsa.example.gov.cn"
"""


def test_positions_are_the_ones_the_reference_gives():
    # §3.11: 1301 92 columns (vali_flag 78, rid 79, crte_time 80, updt_time 81, ver 82, ver_name 83),
    # 1305 16 (vali_flag 6, rid 13, ver 14, ver_name 15), 1306 71 (vali_flag 67, rid 68, ver 69,
    # ver_name 70); the DictDownloadService reader: ver at 17 for 1302, 70 for 1303, 22 for 1307
    c = LAYOUTS["1301"].columns
    assert len(c) == 92 and [c.index(n) for n in ("vali_flag", "rid", "crte_time", "updt_time", "ver", "ver_name")] \
        == [78, 79, 80, 81, 82, 83]
    assert c[:4] == ("med_list_codg", "drug_prodname", "genname_codg", "drug_genname")
    assert c[-1] == "nat_hi_druglist_chrgitm_lv"
    c = LAYOUTS["1305"].columns
    assert len(c) == 16 and [c.index(n) for n in ("vali_flag", "rid", "ver", "ver_name")] == [6, 13, 14, 15]
    c = LAYOUTS["1306"].columns
    assert len(c) == 71 and [c.index(n) for n in ("vali_flag", "rid", "ver", "ver_name")] == [67, 68, 69, 70]
    assert {k: LAYOUTS[k].ver_index for k in ("1302", "1303", "1307")} == {"1302": 17, "1303": 70, "1307": 22}
    for lay in LAYOUTS.values():
        assert len(set(lay.columns)) == len(lay.columns), lay.infno
        assert lay.source
        # no layout carries the local class, a self-pay ratio or a price limit (1312 / 1319 / 1318)
        assert not {"chrgitm_lv", "selfpay_prop", "pric_uplmt_amt", "hilist_pric_uplmt_amt"} & set(lay.columns)
    assert [k for k, v in LAYOUTS.items() if not v.verified] == ["1303", "1307", "1309"]


def test_row_of_blanks_what_it_is_not_given():
    row = row_of(LAYOUTS["1305"], {"med_list_codg": "001102000010000", "servitem_name": "普通门诊诊查费", "ver": "V9"})
    assert len(row) == 16 and row[0] == "001102000010000" and row[9] == "普通门诊诊查费" and row[14] == "V9"
    assert row.count("") == 13


def test_override_keeps_the_field_map_and_checks_the_columns():
    cols = [*LAYOUTS["1305"].columns, "new_col"]
    lay = layout_for("1305", {"1305": cols})
    assert lay.width == 17 and lay.fields["name"] == "servitem_name" and not lay.verified
    with pytest.raises(LayoutError, match="缺少列：servitem_name"):
        layout_for("1305", {"1305": [c for c in cols if c != "servitem_name"]})
    with pytest.raises(LayoutError, match="没有目录 1399"):
        layout_for("1399")


def test_catalog_settings_are_validated(tmp_path: Path):
    ok = tmp_path / "ok.toml"
    ok.write_text(MINIMAL + '\n[catalog]\nselfpay_psn_type = "1"\nlayouts = { "1309" = ["opsp_dise_code", '
                  '"opsp_dise_name", "vali_flag", "rid", "ver"] }\n', encoding="utf-8")
    s = load_settings(ok)
    assert s.catalog.selfpay_psn_type == "1" and s.catalog.layouts["1309"][-1] == "ver"
    bad = tmp_path / "bad.toml"
    bad.write_text(MINIMAL + '\n[catalog]\nlayouts = { "1309" = ["opsp_dise_code", "opsp_dise_name"] }\n',
                   encoding="utf-8")
    report = check_config(bad)
    assert [e.path for e in report.errors] == ["catalog.layouts"]
    assert "必须包含 ver" in report.errors[0].message
