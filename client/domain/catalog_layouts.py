"""Column layouts of the national catalogue download files (1301/1302/1303/1305/1306/1307/1309).

A 13xx download answers ``file_qury_no``; 9102 then returns a zip holding one TXT: UTF-8,
tab-separated, NO header, one catalogue row per line, columns in the order of the spec's output
table. The files carry no local class (``chrgitm_lv``), no self-pay ratio and no price limit:
those come from 1312 (class), 1319 (ratio) and 1318 (limit) — paged queries, not files.

Every layout below is a column map BY NAME (the position of a name = its column index). Sources
(read-only public code; nothing copied but the order of the field names):

* **1301** 西药中成药目录 (92 columns; vali_flag 78, rid 79, crte_time 80, updt_time 81, ver 82,
  ver_name 83): positions from liutao2019/IBORN_HIS_ALL
  ``MEDICAL/广州医保/API.GZSI/UI/frmGoodUpload.cs`` (``InsertYB1301``, ``line.Split('\\t')``), the
  official snake-case names in the same order from newtouch-cloud/openhis
  ``Newtouch.HIS.Sett/Newtouch.Domain/ReportTemplateVO/G_yb_wm_tcmpat_info_bVO.cs``; ver at 82
  agrees with the reader quoted in the reference §3.11 (``DictDownloadService``).
* **1302** 中药饮片目录 (29 columns; vali_flag 13, rid 14, ver 17, ver_name 18): positions from
  IBORN ``frmGoodUpload.cs`` (``InsertYB1302``), names from openhis
  ``Newtouch.HIS.Sett/Newtouch.Domain/ReportTemplateVO/G_yb_tcmherb_info_bVO.cs`` (same order;
  ver at 17 agrees with §3.11).
* **1303** 医疗机构制剂目录 (78 columns; vali_flag 64, rid 67, ver 70, ver_name 71): positions and
  meanings from IBORN ``frmGoodUpload.cs`` (``InsertYB1303``; ver at 70 agrees with §3.11). Names:
  the official snake-case name where the same field has one in 1301 (``drug_prodname``,
  ``drug_spec``, ``min_prcunt``, ``prodentp_name`` …); the others keep IBORN's own property names
  (e.g. ``manufacturer_add``, ``homebrew_license_no``) — their official spelling is UNVERIFIED.
* **1305** 医疗服务项目目录 (16 columns; vali_flag 6, rid 13, ver 14, ver_name 15): IBORN
  ``InsertYB1305`` + openhis ``ReportTemplateVO/G_yb_trt_serv_bVO.cs``.
* **1306** 医用耗材目录 (71 columns; vali_flag 67, rid 68, ver 69, ver_name 70): IBORN
  ``InsertYB1306`` + openhis ``ReportTemplateVO/G_yb_mcs_info_bVO.cs``.
* **1307** 疾病与诊断目录 (24 columns; vali_flag 18, rid 19, ver 22, ver_name 23): positions and
  meanings from IBORN ``InsertYB1307`` (ver at 22 agrees with §3.11). Names: ours in the national
  style (``dise_code``/``dise_name``/``vali_flag``/``rid``/``ver`` …); the official spelling of the
  chapter / section columns is UNVERIFIED.
* **1309** 门诊慢特病种目录 (16 columns; vali_flag 5, rid 6, ver 9, ver_name 11): positions and
  meanings from IBORN ``InsertYB1309`` (note ver_name AFTER a 病种内涵 column, and the disease
  name near the end, at 14). Names: ``opsp_dise_code``/``opsp_dise_name`` as in 5301; the rest
  UNVERIFIED (IBORN uses pinyin abbreviations).

Because the 1303/1307/1309 names and all positions are taken from one reader each, the window can
replace any layout by configuration (``catalog.layouts`` in the settings: ``{"1309": [names…]}``,
see ``layout_for``); docs/central-interface.md lists this in its conventions table.

``Layout.fields`` says which column feeds each field of the window's common catalogue table
(``offline_cache.catalog.CATALOG_COLUMNS`` + the national columns of migration 0006c); a tuple
means "the first non-empty of these". ``Layout.extra`` names the kind-specific columns kept as
JSON (``extra_json``). Pure Python: no Qt, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# --------------------------------------------------------------------------- the column lists

COLUMNS_1301: tuple[str, ...] = (
    "med_list_codg", "drug_prodname", "genname_codg", "drug_genname", "chemname", "alis", "eng_name", "reg_name",
    "drugstdcode", "drug_dosform", "drug_dosform_name", "drug_type", "drug_type_name", "drug_spec",
    "drug_spec_code", "reg_dosform", "reg_spec", "reg_spec_code", "each_dos", "used_frqu", "acdbas",
    "nat_drug_no", "used_mtd", "tcmpat_flag", "prodplac_type", "prodplac_type_name", "prcunt_type", "otc_flag",
    "otc_flag_name", "pacmatl", "pacmatl_name", "pacspec", "pac_cnt", "efcc_atd", "rute", "manl", "begndate",
    "enddate", "min_useunt", "min_salunt", "min_unt", "min_pac_cnt", "min_pacunt", "min_prepunt",
    "minpacunt_name", "min_prepunt_name", "convrat", "drug_expy", "min_prcunt", "wubi", "pinyin", "subpck_fcty",
    "prodentp_code", "prodentp_name", "sp_lmtpric_drug_flag", "sp_drug_flag", "lmt_usescp", "lmt_used_flag",
    "drug_regno", "drug_regcert_begndate", "drug_regcert_enddate", "aprvno", "aprvno_begndate",
    "aprvno_enddate", "mkt_stas", "mkt_stas_name", "drug_reg_appvletr_elecacs", "splm_appy_appvletr_file",
    "nat_hi_druglist_memo", "bas_medn_flag_name", "bas_medn_flag", "advaltax_adjm_drug_flag",
    "advaltax_adjm_drug_name", "lstd_druglist_drug", "hi_nego_drug_flag", "hi_nego_drug_name", "nhc_drug_codg",
    "memo", "vali_flag", "rid", "crte_time", "updt_time", "ver", "ver_name", "chld_medc", "co_name",
    "conseval_drug", "dstr", "dstr_coner", "dstr_auth_file_elecacs", "nat_hi_druglist_dosform",
    "nat_hi_druglist_chrgitm_lv",
)

COLUMNS_1302: tuple[str, ...] = (
    "med_list_codg", "tcmherb_name", "cpnd_flag", "qlt_reg", "tcmherb_year", "med_part", "safe_mtr", "cnvl_used",
    "natfla", "mertpm", "cat", "begndate", "enddate", "vali_flag", "rid", "crte_time", "updt_time", "ver",
    "ver_name", "mlms_name", "efcc_atd", "psdg_mtd", "ecy_type", "mlms_cat_souc", "nat_hi_pay_pol",
    "prov_hi_pay_pol", "std_name", "std_pagen", "std_elecacs",
)

COLUMNS_1303: tuple[str, ...] = (
    "med_list_codg", "drug_prodname", "alis", "eng_name", "dosform", "dosform_name", "reg_dosform", "ing",
    "efcc_atd", "chrt", "drug_spec", "drug_spec_code", "reg_spec", "reg_spec_code", "rute", "stog",
    "used_frqu_dscr", "each_dos", "drug_type", "drug_type_name", "otc_flag", "otc_flag_name", "pacmatl",
    "pacmatl_name", "pacspec", "manl", "pac_cnt", "min_useunt", "min_salunt", "min_unt", "min_pac_cnt",
    "min_pacunt", "min_prepunt", "min_prepunt_name", "drug_expy", "min_prcunt", "defs", "mnan", "tabo",
    "prodentp_code", "prodentp_name", "manufacturer_add", "sp_lmtpric_drug_flag", "aprvno", "aprvno_begndate",
    "aprvno_enddate", "drug_regno", "drug_regcert_begndate", "drug_regcert_enddate", "convrat", "lmt_usescp",
    "minpacunt_name", "reg_name", "subpck_fcty", "mkt_stas", "drug_reg_appvletr_elecacs",
    "splm_appy_appvletr_file", "nat_hi_druglist_codg", "nat_hi_druglist_memo", "advaltax_adjm_drug_flag",
    "advaltax_adjm_drug_name", "lstd_druglist_drug", "nhc_drug_codg", "memo", "vali_flag", "begntime",
    "endtime", "rid", "crte_time", "updt_time", "ver", "ver_name", "homebrew_license_no", "chld_medc",
    "elder_medc", "medins_coner_name", "medins_coner_tel", "homebrew_license_elecacs",
)

COLUMNS_1305: tuple[str, ...] = (
    "med_list_codg", "prcunt", "prcunt_name", "trt_item_dscr", "trt_exct_cont", "trt_item_cont", "vali_flag",
    "memo", "servitem_type", "servitem_name", "item_dscr", "begndate", "enddate", "rid", "ver", "ver_name",
)

COLUMNS_1306: tuple[str, ...] = (
    "med_list_codg", "mcs_name", "udi", "hi_genname_code", "hi_genname", "prod_mol", "spec_code", "spec",
    "mcs_type", "spec_mol", "matl_code", "mcs_matl", "pacspec", "pac_cnt", "prod_pacmatl", "pacunt",
    "prod_convrat", "min_useunt", "prodplac_type", "prodplac_type_name", "prodstrd", "prodexpy",
    "perf_stru_comp", "apb_scp", "prod_istr", "prod_img_no", "prod_qlt_std", "manl", "oth_cert_matl",
    "sped_flag", "sped_name", "comb_name", "case_flag", "lmt_used_flag", "hi_lmt_scp", "min_salunt",
    "highval_mcs_flag", "matl_type_code", "impt_matl_hmorgn_flag", "stlz_flag", "stlz_flag_name",
    "impt_itvt_clss_flag", "impt_itvt_clss_name", "dspo_used_flag", "dspo_used_flag_name", "reger_name",
    "begndate", "enddate", "med_equ_mgt_type", "med_equ_mgt_type_name", "reg_fil_no", "reg_fil_prod_name",
    "stru_comp", "oth_cont", "aprv_date", "reger_addr", "regcert_expy_begntime", "regcert_expy_endtime",
    "prodentp_code", "prodentp_name", "manu_addr", "agnt_entp", "agnt_entp_addr", "manu_nat_regn",
    "aftsal_serins", "reg_fil_elec_file", "prod_img", "vali_flag", "rid", "ver", "ver_name",
)

COLUMNS_1307: tuple[str, ...] = (
    "diag_list_id", "cpr", "cpr_code_scp", "cpr_name", "sec_code_scp", "sec_name", "cgy_code", "cgy_name",
    "sor_code", "sor_name", "dise_code", "dise_name", "used_std", "nat_std_dise_code", "nat_std_dise_name",
    "clnc_dise_code", "clnc_dise_name", "memo", "vali_flag", "rid", "crte_time", "updt_time", "ver", "ver_name",
)

COLUMNS_1309: tuple[str, ...] = (
    "opsp_dise_code", "opsp_dise_majcls_name", "opsp_dise_subd_clss_name", "admdvs", "memo", "vali_flag", "rid",
    "crte_time", "updt_time", "ver", "dise_cont", "ver_name", "trt_guide_pagen", "trt_guide_elecacs",
    "opsp_dise_name", "opsp_dise_majcls_code",
)


# --------------------------------------------------------------------------- layouts

@dataclass(frozen=True)
class Layout:
    """One catalogue file layout: ``columns`` in file order, and where the window's fields are."""

    infno: str
    title: str
    columns: tuple[str, ...]
    source: str
    # "item" = a chargeable catalogue (catalog_items, by list_type); "dise" = a disease list (catalog_dise)
    kind: str
    list_type: str | None
    # window field -> column name, or a tuple of names (first non-empty wins)
    fields: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    # kind-specific columns kept in extra_json (non-empty values only)
    extra: tuple[str, ...] = ()
    verified: bool = True       # False: positions/names from one reader only (see the docstring)

    def index(self, name: str) -> int:
        return self.columns.index(name)

    @property
    def ver_index(self) -> int:
        return self.columns.index("ver")

    @property
    def width(self) -> int:
        return len(self.columns)


_ITEM_FIELDS_1301 = {
    "med_list_codg": "med_list_codg", "name": ("drug_genname", "drug_prodname", "reg_name"),
    "spec": ("drug_spec", "reg_spec"), "unit": ("min_prcunt", "min_salunt"),
    "dosform": ("drug_dosform_name", "drug_dosform"), "prodentp_name": "prodentp_name", "wubi": "wubi",
    "pinyin": "pinyin", "begndate": "begndate", "enddate": "enddate", "vali_flag": "vali_flag", "rid": "rid",
    "ver": "ver", "lmt_used_flag": "lmt_used_flag",
}

LAYOUTS: dict[str, Layout] = {
    "1301": Layout("1301", "西药中成药目录", COLUMNS_1301,
                   "IBORN_HIS_ALL MEDICAL/广州医保/API.GZSI/UI/frmGoodUpload.cs#InsertYB1301 + "
                   "openhis ReportTemplateVO/G_yb_wm_tcmpat_info_bVO.cs", "item", "101", _ITEM_FIELDS_1301,
                   ("drug_prodname", "lmt_usescp", "nat_hi_druglist_chrgitm_lv", "otc_flag", "bas_medn_flag",
                    "hi_nego_drug_flag", "aprvno")),
    "1302": Layout("1302", "中药饮片目录", COLUMNS_1302,
                   "IBORN_HIS_ALL frmGoodUpload.cs#InsertYB1302 + openhis ReportTemplateVO/G_yb_tcmherb_info_bVO.cs",
                   "item", "102",
                   {"med_list_codg": "med_list_codg", "name": ("tcmherb_name", "mlms_name"), "begndate": "begndate",
                    "enddate": "enddate", "vali_flag": "vali_flag", "rid": "rid", "ver": "ver"},
                   ("cpnd_flag", "med_part", "nat_hi_pay_pol", "prov_hi_pay_pol")),
    "1303": Layout("1303", "医疗机构制剂目录", COLUMNS_1303,
                   "IBORN_HIS_ALL frmGoodUpload.cs#InsertYB1303 (names partly IBORN's own: UNVERIFIED)",
                   "item", "103",
                   {"med_list_codg": "med_list_codg", "name": ("drug_prodname", "reg_name"), "spec": "drug_spec",
                    "unit": ("min_prcunt", "min_salunt"), "dosform": ("dosform_name", "dosform"),
                    "prodentp_name": "prodentp_name", "vali_flag": "vali_flag", "rid": "rid", "ver": "ver"},
                   ("lmt_usescp", "homebrew_license_no", "aprvno"), verified=False),
    "1305": Layout("1305", "医疗服务项目目录", COLUMNS_1305,
                   "IBORN_HIS_ALL frmGoodUpload.cs#InsertYB1305 + openhis ReportTemplateVO/G_yb_trt_serv_bVO.cs",
                   "item", "201",
                   {"med_list_codg": "med_list_codg", "name": "servitem_name", "unit": "prcunt_name",
                    "begndate": "begndate", "enddate": "enddate", "vali_flag": "vali_flag", "rid": "rid",
                    "ver": "ver"},
                   ("prcunt", "trt_item_dscr", "trt_exct_cont", "trt_item_cont", "servitem_type")),
    "1306": Layout("1306", "医用耗材目录", COLUMNS_1306,
                   "IBORN_HIS_ALL frmGoodUpload.cs#InsertYB1306 + openhis ReportTemplateVO/G_yb_mcs_info_bVO.cs",
                   "item", "301",
                   {"med_list_codg": "med_list_codg", "name": ("mcs_name", "hi_genname"), "spec": "spec",
                    "unit": ("min_salunt", "min_useunt", "pacunt"), "prodentp_name": "prodentp_name",
                    "begndate": "begndate", "enddate": "enddate", "vali_flag": "vali_flag", "rid": "rid",
                    "ver": "ver", "lmt_used_flag": "lmt_used_flag"},
                   ("udi", "hi_genname_code", "hi_lmt_scp", "highval_mcs_flag", "reg_fil_no")),
    "1307": Layout("1307", "疾病与诊断目录", COLUMNS_1307,
                   "IBORN_HIS_ALL frmGoodUpload.cs#InsertYB1307 (names UNVERIFIED)", "dise", None,
                   {"code": "dise_code", "name": "dise_name", "vali_flag": "vali_flag", "rid": "rid", "ver": "ver"},
                   ("cpr_name", "sec_name", "cgy_code", "cgy_name", "nat_std_dise_code", "clnc_dise_code"),
                   verified=False),
    "1309": Layout("1309", "门诊慢特病种目录", COLUMNS_1309,
                   "IBORN_HIS_ALL frmGoodUpload.cs#InsertYB1309 (names UNVERIFIED)", "dise", None,
                   {"code": "opsp_dise_code", "name": ("opsp_dise_name", "opsp_dise_subd_clss_name"),
                    "vali_flag": "vali_flag", "rid": "rid", "ver": "ver"},
                   ("opsp_dise_majcls_code", "opsp_dise_majcls_name", "admdvs"), verified=False),
}

ITEM_INFNOS = tuple(k for k, v in LAYOUTS.items() if v.kind == "item")
DISE_INFNOS = tuple(k for k, v in LAYOUTS.items() if v.kind == "dise")


class LayoutError(ValueError):
    """A configured layout is unusable; ``message`` is Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def layout_for(infno: str, overrides: Mapping[str, Sequence[str]] | None = None) -> Layout:
    """The layout of ``infno``: the built-in one, or the column list configured for it (the built-in
    field map is kept; every column it names must exist in the configured list, and ``ver`` too)."""
    base = LAYOUTS.get(infno)
    if base is None:
        raise LayoutError(f"没有目录 {infno} 的文件格式定义")
    cols = (overrides or {}).get(infno)
    if not cols:
        return base
    cols = tuple(str(c) for c in cols)
    needed = {n for v in base.fields.values() for n in ((v,) if isinstance(v, str) else v)}
    missing = sorted(n for n in needed | {"ver"} if n not in cols and (n == "ver" or _required(base, n)))
    if missing:
        raise LayoutError(f"配置的目录 {infno} 文件格式缺少列：{', '.join(missing)}")
    return Layout(base.infno, base.title, cols, "configuration (catalog.layouts)", base.kind, base.list_type,
                  {k: _present(v, cols) for k, v in base.fields.items() if _present(v, cols)},
                  tuple(c for c in base.extra if c in cols), False)


def _required(base: Layout, name: str) -> bool:
    """A column the window cannot do without: the code / name and ver (others may be missing)."""
    for key in ("med_list_codg", "code", "name"):
        v = base.fields.get(key)
        if v is not None and name == (v if isinstance(v, str) else v[0]):
            return True
    return False


def _present(v: str | tuple[str, ...], cols: tuple[str, ...]) -> str | tuple[str, ...] | None:
    if isinstance(v, str):
        return v if v in cols else None
    kept = tuple(x for x in v if x in cols)
    return kept or None


def row_of(layout: Layout, values: Mapping[str, object]) -> list[str]:
    """A file row (list of strings) in ``layout`` order from a mapping column name -> value; the
    columns without a value are blank (for writing files: the training platform, tests, benches)."""
    return ["" if values.get(c) is None else str(values[c]) for c in layout.columns]
