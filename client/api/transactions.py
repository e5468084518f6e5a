"""Typed requests and responses with the real wrapper nodes (reference §3.0).

Convention (simple and explicit):

* A request is a dataclass with class attributes ``INFNO`` and ``RESPONSE`` and a method
  ``to_input() -> dict`` that returns the complete ``input`` object *including its wrapper
  node(s)*. Node dataclasses serialise every declared field: ``str`` as is, ``int`` as a JSON
  number, ``Decimal`` as a string (``cnt`` 4 decimals, ``pric`` up to 6, everything else 2),
  ``None`` omitted; ``extra`` (a dict) is merged last for regional / rarely used fields.
* A response is a dataclass built by ``RESPONSE.from_response(resp)``. Amount fields are
  Decimal (quantized 0.01), ratios Decimal as received, all other scalars ``str``; the whole
  received node stays in ``raw``. A missing/garbled node raises MalformedResponse (with
  ``outcome_unknown`` for state-changing infnos: the platform did answer "success").

Send them with ``CentralClient.send(request, operator=...)``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import zipfile
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, ClassVar

from .envelope import Response
from .errors import ApiConfigError, BundleMacError, MalformedResponse
from .infnos import is_state_changing
from .wire import fmt_amount, fmt_cnt, fmt_pric, parse_amount, parse_ratio, s

# --------------------------------------------------------------------------------------------
# Field classes for responses
AMOUNT_FIELDS = frozenset({
    "balc", "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
    "inscp_scp_amt", "act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay",
    "hifob_pay", "maf_pay", "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay",
    "psn_cash_pay", "hosp_part_amt", "acct_mulaid_pay", "psn_pay", "cash_payamt",
    "det_item_fee_sumamt", "pric_uplmt_amt", "overlmt_amt", "crt_payb_lmt_amt", "fund_payamt",
    "cum",
})
RATIO_FIELDS = frozenset({"pool_prop_selfpay", "selfpay_prop", "cnt", "pric", "age"})


def _wire_value(name: str, v: Any) -> Any:
    if isinstance(v, Decimal):
        if name == "cnt":
            return fmt_cnt(v, name)
        if name == "pric":
            return fmt_pric(v, name)
        return fmt_amount(v, name)
    if isinstance(v, _Node):
        return v.to_node()
    if isinstance(v, list):
        return [_wire_value(name, x) for x in v]
    return v


@dataclass
class _Node:
    """Base of request nodes: serialises declared fields + ``extra``."""

    def to_node(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "extra":
                continue
            v = getattr(self, f.name)
            if v is None:
                continue
            out[f.name] = _wire_value(f.name, v)
        for k, v in (getattr(self, "extra", None) or {}).items():
            out[k] = _wire_value(k, v)
        return out


class _DataNode(_Node):
    """A request whose input node is ``{"data": {...}}``. ``insuplc_admdvs`` travels in the
    envelope (``CentralClient.send`` reads it from the request), not inside ``data``."""

    def to_input(self) -> dict[str, Any]:
        n = self.to_node()
        n.pop("insuplc_admdvs", None)
        return {"data": n}


def _bad(resp: Response, cause: str) -> MalformedResponse:
    return MalformedResponse(resp.msgid, resp.infno, is_state_changing(resp.infno), cause)


def _parse_row(cls: type, resp: Response, d: Any, where: str) -> Any:
    if not isinstance(d, dict):
        raise _bad(resp, f"{where} 不是对象")
    kwargs: dict[str, Any] = {}
    try:
        for f in fields(cls):
            if f.name == "raw":
                continue
            v = d.get(f.name)
            if f.name in AMOUNT_FIELDS:
                kwargs[f.name] = parse_amount(v, f.name)
            elif f.name in RATIO_FIELDS:
                kwargs[f.name] = parse_ratio(v, f.name)
            else:
                kwargs[f.name] = s(v)
    except ValueError as exc:
        raise _bad(resp, f"{where}：{exc}") from None
    return cls(**kwargs, raw=d)


def _node(resp: Response, name: str, kind: type = dict, required: bool = True) -> Any:
    v = resp.output.get(name)
    if v is None and not required:
        return kind()
    if not isinstance(v, kind):
        raise _bad(resp, f"缺少 {name} 节点或类型错误")
    return v


@dataclass
class Ack:
    """Responses without a documented output node (2202, 2203, 2205, 2302, 2402, 2404, 2405, 2601)."""

    output: dict[str, Any]
    msgid: str = ""
    inf_refmsgid: str = ""
    warn_msg: str = ""
    review_msg: str = ""     # infcode 0 with a non-success err_msg (Response.review_msg), verbatim

    @classmethod
    def from_response(cls, resp: Response) -> Ack:
        return cls(resp.output, resp.msgid, resp.inf_refmsgid, resp.warn_msg, resp.review_msg)


# --------------------------------------------------------------------------------------------
# 9001 / 9002
@dataclass
class SignInResult:
    sign_no: str
    sign_time: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_response(cls, resp: Response) -> SignInResult:
        n = _node(resp, "signinoutb")
        return cls(s(n.get("sign_no")), s(n.get("sign_time")), n)


@dataclass
class SignIn(_Node):
    INFNO: ClassVar[str] = "9001"
    RESPONSE: ClassVar[type] = SignInResult
    opter_no: str
    mac: str
    ip: str

    def to_input(self) -> dict[str, Any]:
        return {"signIn": self.to_node()}


@dataclass
class SignOutResult:
    sign_time: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_response(cls, resp: Response) -> SignOutResult:
        n = _node(resp, "signoutoutb", required=False)
        return cls(s(n.get("sign_time")), n)


@dataclass
class SignOut(_Node):
    INFNO: ClassVar[str] = "9002"
    RESPONSE: ClassVar[type] = SignOutResult
    sign_no: str
    opter_no: str

    def to_input(self) -> dict[str, Any]:
        return {"signOut": self.to_node()}


# --------------------------------------------------------------------------------------------
# 1101 人员信息获取
@dataclass
class BaseInfo:
    psn_no: str
    psn_cert_type: str
    certno: str
    psn_name: str
    gend: str
    naty: str
    brdy: str
    age: Decimal | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class InsuInfo:
    balc: Decimal | None
    insutype: str
    psn_type: str
    psn_insu_stas: str
    psn_insu_date: str
    paus_insu_date: str
    cvlserv_flag: str
    insuplc_admdvs: str
    emp_name: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class IdetInfo:
    psn_idet_type: str
    psn_type_lv: str
    memo: str
    begntime: str
    endtime: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class PersonInfo:
    baseinfo: BaseInfo
    insuinfo: list[InsuInfo]
    idetinfo: list[IdetInfo]
    warn_msg: str = ""       # the envelope's warn_msg, verbatim
    review_msg: str = ""     # infcode 0 with a non-success err_msg (Response.review_msg), verbatim

    @classmethod
    def from_response(cls, resp: Response) -> PersonInfo:
        return cls(
            _parse_row(BaseInfo, resp, _node(resp, "baseinfo"), "baseinfo"),
            [_parse_row(InsuInfo, resp, r, "insuinfo") for r in _node(resp, "insuinfo", list, False)],
            [_parse_row(IdetInfo, resp, r, "idetinfo") for r in _node(resp, "idetinfo", list, False)],
            resp.warn_msg, resp.review_msg,
        )


@dataclass
class QueryPerson(_Node):
    """1101. mdtrt_cert_type 01 电子凭证 (ecToken) / 02 身份证 / 03 社保卡 (卡号 + card_sn)."""

    INFNO: ClassVar[str] = "1101"
    RESPONSE: ClassVar[type] = PersonInfo
    mdtrt_cert_type: str
    mdtrt_cert_no: str
    psn_cert_type: str = "01"
    certno: str = ""
    psn_name: str = ""
    card_sn: str = ""
    begntime: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_input(self) -> dict[str, Any]:
        return {"data": self.to_node()}


# --------------------------------------------------------------------------------------------
# 1301–1321 catalogue download by version, 9102 file download, 9101 upload
@dataclass
class CatalogFileInfo:
    file_qury_no: str
    filename: str
    dld_end_time: str
    data_cnt: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_response(cls, resp: Response) -> CatalogFileInfo:
        n = resp.output
        if "file_qury_no" not in n and isinstance(n.get("data"), dict):
            n = n["data"]
        try:
            cnt = int(n.get("data_cnt") or 0)
        except (TypeError, ValueError):
            raise _bad(resp, "data_cnt 不是整数") from None
        return cls(s(n.get("file_qury_no")), s(n.get("filename")),
                   s(n.get("dld_end_time") or n.get("dld_endtime")), cnt, n)


@dataclass
class CatalogDownload(_Node):
    """1301/1302/1303/1305/1306/1307/... : {"data": {"ver": ...}} → file_qury_no, filename, data_cnt."""

    RESPONSE: ClassVar[type] = CatalogFileInfo
    ver: str = "0"
    infno: str = "1301"

    @property
    def INFNO(self) -> str:  # noqa: N802 - same protocol as the class attribute of other requests
        return self.infno

    def to_input(self) -> dict[str, Any]:
        return {"data": {"ver": self.ver}}


@dataclass
class FileDownload(_Node):
    """9102: {"fsDownloadIn": {...}} → zip bytes (use CentralClient.download_file)."""

    INFNO: ClassVar[str] = "9102"
    file_qury_no: str
    filename: str
    fixmedins_code: str

    def to_input(self) -> dict[str, Any]:
        return {"fsDownloadIn": self.to_node()}


def tsv_text_from_zip(data: bytes) -> str:
    """The text of every .txt member of a 9102 zip (UTF-8, GBK fallback), members in name order,
    each ending with a newline. Raises ValueError (Chinese) for a file that is not a zip."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ValueError("下载的目录文件不是有效的 zip 文件") from exc
    parts: list[str] = []
    with zf:
        for name in sorted(zf.namelist()):
            if name.endswith("/"):
                continue
            raw = zf.read(name)
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("gb18030")
            if text and not text.endswith("\n"):
                text += "\n"
            parts.append(text)
    return "".join(parts)


def split_tsv(text: str) -> list[list[str]]:
    """Rows of a catalogue TXT: tab-separated, no header; blank lines ignored."""
    return [line.split("\t") for line in text.splitlines() if line.strip()]


def parse_tsv_zip(data: bytes) -> list[list[str]]:
    """Rows of every .txt member of a 9102 zip: tab-separated, no header, UTF-8 (GBK fallback)."""
    return split_tsv(tsv_text_from_zip(data))


@dataclass
class FileInfo:
    """9101 output / 3202 fileinfo."""

    file_qury_no: str
    filename: str
    dld_endtime: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_response(cls, resp: Response) -> FileInfo:
        n = resp.output
        for key in ("fileinfo", "data"):
            if "file_qury_no" not in n and isinstance(n.get(key), dict):
                n = n[key]
        if not s(n.get("file_qury_no")):
            raise _bad(resp, "缺少 file_qury_no")
        return cls(s(n.get("file_qury_no")), s(n.get("filename")),
                   s(n.get("dld_endtime") or n.get("dld_end_time")), n)


@dataclass
class FileUpload(_Node):
    """9101: {"fsUploadIn": {in (Base64), filename, fixmedins_code}} → file_qury_no.

    ``in`` is sent Base64-encoded (openhis); an int-array form also exists (UNVERIFIED which one a
    region accepts).
    """

    INFNO: ClassVar[str] = "9101"
    RESPONSE: ClassVar[type] = FileInfo
    content: bytes
    filename: str
    fixmedins_code: str

    def to_input(self) -> dict[str, Any]:
        return {"fsUploadIn": {"in": base64.b64encode(self.content).decode("ascii"),
                               "filename": self.filename, "fixmedins_code": self.fixmedins_code}}


# 1312 paged query
@dataclass
class HilistPage:
    page_num: int
    page_size: int
    pages: int
    record_counts: int
    first_page: bool
    last_page: bool
    rows: list[dict[str, Any]]

    @classmethod
    def from_response(cls, resp: Response) -> HilistPage:
        o = resp.output
        if "data" not in o and isinstance(o.get("output"), dict):
            o = o["output"]
        rows = o.get("data") or []
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise _bad(resp, "1312 data 不是列表")

        def num(k: str) -> int:
            try:
                return int(o.get(k) or 0)
            except (TypeError, ValueError):
                raise _bad(resp, f"{k} 不是整数") from None

        return cls(num("pageNum"), num("pageSize"), num("pages"), num("recordCounts"),
                   bool(o.get("firstPage")), bool(o.get("lastPage")), rows)


@dataclass
class QueryHilist(_Node):
    """1312 医保目录信息查询 (paged): updt_time, page_num, page_size required; filters in extra."""

    INFNO: ClassVar[str] = "1312"
    RESPONSE: ClassVar[type] = HilistPage
    updt_time: str
    page_num: int = 1
    page_size: int = 100
    hilist_code: str | None = None
    insu_admdvs: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_input(self) -> dict[str, Any]:
        return {"data": self.to_node()}


@dataclass
class QueryLmtpric(QueryHilist):
    """1318 医保目录限价信息查询 (paged like 1312; input per binzhe ``JBXX/ML1318.cs`` In1318:
    query_date, hilist_code, hilist_lmtpric_type, overlmt_dspo_way, insu_admdvs, begndate, enddate,
    vali_flag, rid, tabname, poolarea_no, updt_time (Y), page_num (Y), page_size (Y))."""

    INFNO: ClassVar[str] = "1318"


@dataclass
class QuerySelfpay(QueryHilist):
    """1319 医保目录先自付比例信息查询 (paged like 1312; input per binzhe ``JBXX/ML1319.cs`` In1319:
    query_date, selfpay_prop_psn_type, selfpay_prop_type, insu_admdvs, begndate, enddate, vali_flag,
    rid, tabname, poolarea_no, updt_time (Y), page_num (Y), page_size (Y))."""

    INFNO: ClassVar[str] = "1319"


# --------------------------------------------------------------------------------------------
# Outpatient 2201–2208
@dataclass
class RegisterResult:
    mdtrt_id: str
    psn_no: str
    ipt_otp_no: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_response(cls, resp: Response) -> RegisterResult:
        n = _node(resp, "data")
        if not s(n.get("mdtrt_id")):
            raise _bad(resp, "2201 应答缺少 mdtrt_id")
        return cls(s(n.get("mdtrt_id")), s(n.get("psn_no")), s(n.get("ipt_otp_no")), n)


@dataclass
class Register(_Node):
    """2201 门诊挂号 (data)."""

    INFNO: ClassVar[str] = "2201"
    RESPONSE: ClassVar[type] = RegisterResult
    psn_no: str
    insutype: str
    begntime: str
    mdtrt_cert_type: str
    mdtrt_cert_no: str
    ipt_otp_no: str
    atddr_no: str
    dr_name: str
    dept_code: str
    dept_name: str
    caty: str
    extra: dict[str, Any] = field(default_factory=dict)
    insuplc_admdvs: str = field(default="", metadata={"envelope": True})

    def to_input(self) -> dict[str, Any]:
        node = self.to_node()
        node.pop("insuplc_admdvs", None)
        return {"data": node}


@dataclass
class CancelRegister(_DataNode):
    """2202 门诊挂号撤销."""

    INFNO: ClassVar[str] = "2202"
    RESPONSE: ClassVar[type] = Ack
    psn_no: str
    mdtrt_id: str
    ipt_otp_no: str
    insuplc_admdvs: str = ""


@dataclass
class VisitInfo(_Node):
    """2203 mdtrtinfo."""

    mdtrt_id: str
    psn_no: str
    med_type: str
    begntime: str
    main_cond_dscr: str = ""
    dise_codg: str = ""
    dise_name: str = ""
    birctrl_type: str = ""
    birctrl_matn_date: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Diagnosis(_Node):
    """2203 diseinfo row."""

    diag_type: str
    diag_srt_no: str
    diag_code: str
    diag_name: str
    diag_dept: str
    dise_dor_no: str
    dise_dor_name: str
    diag_time: str
    vali_flag: str = "1"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class UploadVisit:
    """2203 (or 2203A with variant_a=True): {"mdtrtinfo": {...}, "diseinfo": [...]}."""

    RESPONSE: ClassVar[type] = Ack
    mdtrtinfo: VisitInfo
    diseinfo: list[Diagnosis]
    insuplc_admdvs: str = ""
    variant_a: bool = False

    @property
    def INFNO(self) -> str:  # noqa: N802
        return "2203A" if self.variant_a else "2203"

    def to_input(self) -> dict[str, Any]:
        return {"mdtrtinfo": self.mdtrtinfo.to_node(), "diseinfo": [d.to_node() for d in self.diseinfo]}


@dataclass
class FeeDetail(_Node):
    """2204 / 2301 feedetail row. Amounts are Decimal (det_item_fee_sumamt 2, cnt 4, pric ≤6)."""

    feedetl_sn: str
    mdtrt_id: str
    psn_no: str
    fee_ocur_time: str
    med_list_codg: str
    medins_list_codg: str
    det_item_fee_sumamt: Decimal
    cnt: Decimal
    pric: Decimal
    bilg_dept_codg: str
    bilg_dept_name: str
    bilg_dr_codg: str
    bilg_dr_name: str
    chrg_bchno: str | None = None     # 2204 (Y); not in 2301
    rx_circ_flag: str | None = "0"    # 2204 (Y)
    hosp_appr_flag: str = "1"
    dise_codg: str | None = None
    rxno: str | None = None
    sin_dos_dscr: str | None = None
    used_frqu_dscr: str | None = None
    prd_days: str | None = None
    medc_way_dscr: str | None = None
    acord_dept_codg: str | None = None
    acord_dept_name: str | None = None
    orders_dr_code: str | None = None
    orders_dr_name: str | None = None
    tcmdrug_used_way: str | None = None
    etip_flag: str | None = None
    etip_hosp_code: str | None = None
    dscg_tkdrug_flag: str | None = None
    matn_fee_flag: str | None = None
    init_feedetl_sn: str | None = None   # 2301 refunds
    drord_no: str | None = None          # 2301
    med_type: str | None = None          # 2301
    memo: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class FeeResult:
    feedetl_sn: str
    det_item_fee_sumamt: Decimal | None
    cnt: Decimal | None
    pric: Decimal | None
    pric_uplmt_amt: Decimal | None
    selfpay_prop: Decimal | None
    fulamt_ownpay_amt: Decimal | None
    overlmt_amt: Decimal | None
    preselfpay_amt: Decimal | None
    inscp_scp_amt: Decimal | None
    chrgitm_lv: str
    med_chrgitm_type: str
    bas_medn_flag: str
    hi_nego_drug_flag: str
    chld_medc_flag: str
    list_sp_item_flag: str
    lmt_used_flag: str
    drt_reim_flag: str
    memo: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class FeeUploadResult:
    result: list[FeeResult]

    @classmethod
    def from_response(cls, resp: Response) -> FeeUploadResult:
        rows = _node(resp, "result", list)
        return cls([_parse_row(FeeResult, resp, r, "result") for r in rows])


@dataclass
class UploadFees:
    """2204 门诊费用明细信息上传: {"feedetail": [...]} → {"result": [...]}."""

    INFNO: ClassVar[str] = "2204"
    RESPONSE: ClassVar[type] = FeeUploadResult
    feedetail: list[FeeDetail]
    insuplc_admdvs: str = ""

    def to_input(self) -> dict[str, Any]:
        return {"feedetail": [f.to_node() for f in self.feedetail]}


@dataclass
class UploadInpatientFees(UploadFees):
    """2301 住院费用明细上传 (same shape; set chrg_bchno/rx_circ_flag None, med_type/drord_no)."""

    INFNO: ClassVar[str] = "2301"


@dataclass
class CancelFees(_DataNode):
    """2205 门诊费用明细信息撤销 (chrg_bchno "0000" = all unsettled details)."""

    INFNO: ClassVar[str] = "2205"
    RESPONSE: ClassVar[type] = Ack
    mdtrt_id: str
    psn_no: str
    chrg_bchno: str = "0000"
    insuplc_admdvs: str = ""


@dataclass
class SetlInfo:
    """setlinfo of 2206/2207/2208/2303/2304/2305/5203 (reference §5, 5203 extras)."""

    mdtrt_id: str
    setl_id: str
    psn_no: str
    psn_name: str
    psn_cert_type: str
    certno: str
    gend: str
    naty: str
    brdy: str
    age: Decimal | None
    insutype: str
    psn_type: str
    cvlserv_flag: str
    setl_time: str
    mdtrt_cert_type: str
    med_type: str
    medfee_sumamt: Decimal | None
    fulamt_ownpay_amt: Decimal | None
    overlmt_selfpay: Decimal | None
    preselfpay_amt: Decimal | None
    inscp_scp_amt: Decimal | None
    act_pay_dedc: Decimal | None
    hifp_pay: Decimal | None
    pool_prop_selfpay: Decimal | None
    cvlserv_pay: Decimal | None
    hifes_pay: Decimal | None
    hifmi_pay: Decimal | None
    hifob_pay: Decimal | None
    maf_pay: Decimal | None
    oth_pay: Decimal | None
    fund_pay_sumamt: Decimal | None
    psn_part_amt: Decimal | None
    acct_pay: Decimal | None
    psn_cash_pay: Decimal | None
    hosp_part_amt: Decimal | None
    balc: Decimal | None
    acct_mulaid_pay: Decimal | None
    psn_pay: Decimal | None          # 5203
    cash_payamt: Decimal | None      # 5203
    medins_setl_id: str
    clr_optins: str
    clr_way: str
    clr_type: str
    refd_setl_flag: str              # 5203
    invono: str                      # 5203
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class SetlDetail:
    fund_pay_type: str
    fund_pay_type_name: str
    inscp_scp_amt: Decimal | None
    crt_payb_lmt_amt: Decimal | None
    fund_payamt: Decimal | None
    setl_proc_info: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class SettleResult:
    """{"setlinfo": {...}, "setldetail": [...]} — amounts Decimal, shown as received."""

    setlinfo: SetlInfo
    setldetail: list[SetlDetail]
    msgid: str = ""
    warn_msg: str = ""       # the envelope's warn_msg, verbatim: shown to the cashier and recorded
    review_msg: str = ""     # infcode 0 with a non-success err_msg (Response.review_msg), verbatim

    @classmethod
    def from_response(cls, resp: Response) -> SettleResult:
        info = _parse_row(SetlInfo, resp, _node(resp, "setlinfo"), "setlinfo")
        det = [_parse_row(SetlDetail, resp, r, "setldetail")
               for r in _node(resp, "setldetail", list, required=False)]
        return cls(info, det, resp.msgid, resp.warn_msg, resp.review_msg)


@dataclass
class PreSettle(_DataNode):
    """2206 门诊预结算 (data). Read-only: retried on transport failures."""

    INFNO: ClassVar[str] = "2206"
    RESPONSE: ClassVar[type] = SettleResult
    psn_no: str
    mdtrt_cert_type: str
    mdtrt_cert_no: str
    med_type: str
    medfee_sumamt: Decimal
    psn_setlway: str
    mdtrt_id: str
    chrg_bchno: str
    insutype: str
    acct_used_flag: str = "0"
    insuplc_admdvs: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Settle(PreSettle):
    """2207 门诊结算: the 2206 fields + invono + the four amounts copied from 2206 setlinfo."""

    INFNO: ClassVar[str] = "2207"
    invono: str = ""
    fulamt_ownpay_amt: Decimal = Decimal("0.00")
    overlmt_selfpay: Decimal = Decimal("0.00")
    preselfpay_amt: Decimal = Decimal("0.00")
    inscp_scp_amt: Decimal = Decimal("0.00")

    @classmethod
    def from_presettle(cls, pre: PreSettle, result: SettleResult, invono: str = "") -> Settle:
        si = result.setlinfo

        def amt(v: Decimal | None) -> Decimal:
            return v if v is not None else Decimal("0.00")

        return cls(psn_no=pre.psn_no, mdtrt_cert_type=pre.mdtrt_cert_type,
                   mdtrt_cert_no=pre.mdtrt_cert_no, med_type=pre.med_type,
                   medfee_sumamt=pre.medfee_sumamt, psn_setlway=pre.psn_setlway, mdtrt_id=pre.mdtrt_id,
                   chrg_bchno=pre.chrg_bchno, insutype=pre.insutype, acct_used_flag=pre.acct_used_flag,
                   insuplc_admdvs=pre.insuplc_admdvs, extra=dict(pre.extra), invono=invono,
                   fulamt_ownpay_amt=amt(si.fulamt_ownpay_amt), overlmt_selfpay=amt(si.overlmt_selfpay),
                   preselfpay_amt=amt(si.preselfpay_amt), inscp_scp_amt=amt(si.inscp_scp_amt))


@dataclass
class CancelSettle(_DataNode):
    """2208 门诊结算撤销 (data: setl_id, mdtrt_id, psn_no)."""

    INFNO: ClassVar[str] = "2208"
    RESPONSE: ClassVar[type] = SettleResult
    setl_id: str
    mdtrt_id: str
    psn_no: str
    insuplc_admdvs: str = ""


# --------------------------------------------------------------------------------------------
# Inpatient 2301–2305, 2401–2405
@dataclass
class CancelInpatientFees(_DataNode):
    """2302 住院费用明细撤销 (feedetl_sn "0000" = all)."""

    INFNO: ClassVar[str] = "2302"
    RESPONSE: ClassVar[type] = Ack
    mdtrt_id: str
    psn_no: str
    feedetl_sn: str = "0000"
    insuplc_admdvs: str = ""


@dataclass
class InpatientPreSettle(_DataNode):
    """2303 住院预结算 (data). Read-only: retried on transport failures."""

    INFNO: ClassVar[str] = "2303"
    RESPONSE: ClassVar[type] = SettleResult
    psn_no: str
    mdtrt_cert_type: str
    mdtrt_cert_no: str
    medfee_sumamt: Decimal
    psn_setlway: str
    mdtrt_id: str
    insutype: str
    acct_used_flag: str = "0"
    mid_setl_flag: str = "0"
    invono: str = ""
    fulamt_ownpay_amt: Decimal = Decimal("0.00")
    overlmt_selfpay: Decimal = Decimal("0.00")
    preselfpay_amt: Decimal = Decimal("0.00")
    inscp_scp_amt: Decimal = Decimal("0.00")
    dscg_time: str = ""
    insuplc_admdvs: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class InpatientSettle(InpatientPreSettle):
    """2304 住院结算 (same data as 2303)."""

    INFNO: ClassVar[str] = "2304"


@dataclass
class CancelInpatientSettle(_DataNode):
    """2305 住院结算撤销 (data: mdtrt_id, setl_id, psn_no)."""

    INFNO: ClassVar[str] = "2305"
    RESPONSE: ClassVar[type] = SettleResult
    mdtrt_id: str
    setl_id: str
    psn_no: str
    insuplc_admdvs: str = ""


@dataclass
class AdmitResult:
    mdtrt_id: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_response(cls, resp: Response) -> AdmitResult:
        n = _node(resp, "result")
        if not s(n.get("mdtrt_id")):
            raise _bad(resp, "2401 应答缺少 mdtrt_id")
        return cls(s(n.get("mdtrt_id")), n)


@dataclass
class AdmissionInfo(_Node):
    """2401 mdtrtinfo (core fields; the birth/maternity/operation fields go in extra)."""

    psn_no: str
    insutype: str
    begntime: str
    mdtrt_cert_type: str
    mdtrt_cert_no: str
    med_type: str
    ipt_no: str
    atddr_no: str
    chfpdr_name: str
    adm_diag_dscr: str
    adm_dept_codg: str
    adm_dept_name: str
    adm_bed: str
    dscg_maindiag_code: str
    dscg_maindiag_name: str
    coner_name: str = ""
    tel: str = ""
    medrcdno: str = ""
    main_cond_dscr: str = ""
    dise_codg: str = ""
    dise_name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class InpatientDiagnosis(_Node):
    """2401/2402 diseinfo row."""

    psn_no: str
    diag_type: str
    maindiag_flag: str
    diag_srt_no: str
    diag_code: str
    diag_name: str
    diag_dept: str
    dise_dor_no: str
    dise_dor_name: str
    diag_time: str
    adm_cond: str | None = None
    mdtrt_id: str | None = None     # 2402 rows carry mdtrt_id
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Admit:
    """2401 入院办理: {"mdtrtinfo": {...}, "diseinfo": [...]} → {"result": {mdtrt_id}}."""

    INFNO: ClassVar[str] = "2401"
    RESPONSE: ClassVar[type] = AdmitResult
    mdtrtinfo: AdmissionInfo
    diseinfo: list[InpatientDiagnosis]
    insuplc_admdvs: str = ""

    def to_input(self) -> dict[str, Any]:
        return {"mdtrtinfo": self.mdtrtinfo.to_node(), "diseinfo": [d.to_node() for d in self.diseinfo]}


@dataclass
class DischargeInfo(_Node):
    """2402 dscginfo (core fields; others in extra)."""

    mdtrt_id: str
    psn_no: str
    insutype: str
    endtime: str
    dscg_dept_codg: str
    dscg_dept_name: str
    dscg_way: str
    dise_codg: str = ""
    dise_name: str = ""
    dscg_bed: str = ""
    die_date: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Discharge:
    """2402 出院办理: {"dscginfo": {...}, "diseinfo": [...]}."""

    INFNO: ClassVar[str] = "2402"
    RESPONSE: ClassVar[type] = Ack
    dscginfo: DischargeInfo
    diseinfo: list[InpatientDiagnosis]
    insuplc_admdvs: str = ""

    def to_input(self) -> dict[str, Any]:
        return {"dscginfo": self.dscginfo.to_node(), "diseinfo": [d.to_node() for d in self.diseinfo]}


@dataclass
class AdmissionChangeInfo(_Node):
    """2403 adminfo (openhis ``Input_2403.cs``: mdtrt_id, psn_no, coner_name, tel, begntime, endtime,
    mdtrt_cert_type, med_type, ipt_otp_no — not ipt_no as in 2401 — medrcdno, atddr_no, chfpdr_name,
    adm_diag_dscr, adm_dept_codg, adm_dept_name, adm_bed, dscg_maindiag_code, dscg_maindiag_name,
    main_cond_dscr, dise_codg, dise_name, oprn/birth fields in extra). Whether the platform wants the
    whole record again or only what changed is UNVERIFIED: we send the whole current record."""

    mdtrt_id: str
    psn_no: str
    begntime: str
    mdtrt_cert_type: str
    med_type: str
    ipt_otp_no: str
    atddr_no: str
    chfpdr_name: str
    adm_diag_dscr: str
    adm_dept_codg: str
    adm_dept_name: str
    adm_bed: str
    dscg_maindiag_code: str
    dscg_maindiag_name: str
    coner_name: str = ""
    tel: str = ""
    medrcdno: str = ""
    main_cond_dscr: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ChangeAdmission:
    """2403 住院信息变更: {"<node>": {...}, "diseinfo": [...]} → no documented output (Ack).

    ``node`` is "adminfo" (openhis) and ``diseinfo`` is sent when given (its rows carry mdtrt_id);
    both are UNVERIFIED against the national spec text and configurable ([inpatient] in
    docs/central-interface.md's conventions table)."""

    INFNO: ClassVar[str] = "2403"
    RESPONSE: ClassVar[type] = Ack
    adminfo: AdmissionChangeInfo
    diseinfo: list[InpatientDiagnosis] | None = None
    insuplc_admdvs: str = ""
    node: str = "adminfo"

    def to_input(self) -> dict[str, Any]:
        out: dict[str, Any] = {self.node: self.adminfo.to_node()}
        if self.diseinfo is not None:
            out["diseinfo"] = [d.to_node() for d in self.diseinfo]
        return out


@dataclass
class CancelAdmit(_DataNode):
    """2404 入院办理撤销 (data: mdtrt_id, psn_no)."""

    INFNO: ClassVar[str] = "2404"
    RESPONSE: ClassVar[type] = Ack
    mdtrt_id: str
    psn_no: str
    insuplc_admdvs: str = ""


@dataclass
class CancelDischarge(CancelAdmit):
    """2405 出院办理撤销 (data: mdtrt_id, psn_no)."""

    INFNO: ClassVar[str] = "2405"


# --------------------------------------------------------------------------------------------
# 2601 冲正
@dataclass
class Reverse(_DataNode):
    """2601 冲正交易 (data: psn_no, omsgid, oinfno)."""

    INFNO: ClassVar[str] = "2601"
    RESPONSE: ClassVar[type] = Ack
    psn_no: str
    omsgid: str
    oinfno: str
    insuplc_admdvs: str = ""


# --------------------------------------------------------------------------------------------
# 3201 / 3202 reconciliation
@dataclass
class StatementResult:
    setl_optins: str
    stmt_rslt: str
    stmt_rslt_dscr: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_response(cls, resp: Response) -> StatementResult:
        n = _node(resp, "stmtinfo")
        return cls(s(n.get("setl_optins")), s(n.get("stmt_rslt")), s(n.get("stmt_rslt_dscr")), n)


@dataclass
class StatementTotal(_Node):
    """3201 对总账: once per (insutype, clr_type, setl_optins)."""

    INFNO: ClassVar[str] = "3201"
    RESPONSE: ClassVar[type] = StatementResult
    insutype: str
    clr_type: str
    setl_optins: str
    stmt_begndate: str
    stmt_enddate: str
    medfee_sumamt: Decimal
    fund_pay_sumamt: Decimal
    acct_pay: Decimal
    fixmedins_setl_cnt: int
    refd_setl_flag: str | None = None

    def to_input(self) -> dict[str, Any]:
        return {"data": self.to_node()}


@dataclass
class StatementDetail(_Node):
    """3202 对明细账 (file_qury_no from 9101; note cash_payamt, not acct_pay) → fileinfo."""

    INFNO: ClassVar[str] = "3202"
    RESPONSE: ClassVar[type] = FileInfo
    setl_optins: str
    file_qury_no: str
    stmt_begndate: str
    stmt_enddate: str
    medfee_sumamt: Decimal
    fund_pay_sumamt: Decimal
    cash_payamt: Decimal
    fixmedins_setl_cnt: int
    clr_type: str | None = None

    def to_input(self) -> dict[str, Any]:
        return {"data": self.to_node()}


# --------------------------------------------------------------------------------------------
# Queries 5203 / 5206 / 5301
@dataclass
class QuerySettlement(_DataNode):
    """5203 结算信息查询 (data: psn_no, setl_id, mdtrt_id — all three required, reference §3.12) →
    setlinfo (psn_pay, cash_payamt, refd_setl_flag 退费结算标志, …) + setldetail."""

    INFNO: ClassVar[str] = "5203"
    RESPONSE: ClassVar[type] = SettleResult
    psn_no: str
    setl_id: str
    mdtrt_id: str
    insuplc_admdvs: str = ""

    def __post_init__(self) -> None:
        missing = [f for f in ("psn_no", "setl_id", "mdtrt_id") if not getattr(self, f)]
        if missing:
            raise ApiConfigError(f"结算信息查询(5203)缺少必填项：{'、'.join(missing)}。")


@dataclass
class CumuRow:
    insutype: str
    year: str
    cum_type_code: str
    cum: Decimal | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class CumulativeInfo:
    cumuinfo: list[CumuRow]

    @classmethod
    def from_response(cls, resp: Response) -> CumulativeInfo:
        rows = _node(resp, "cumuinfo", list, required=False)
        return cls([_parse_row(CumuRow, resp, r, "cumuinfo") for r in rows])


@dataclass
class QueryCumulative(_DataNode):
    """5206 人员累计信息查询 (data: psn_no, cum_ym yyyyMM) → cumuinfo[] (best known; UNVERIFIED)."""

    INFNO: ClassVar[str] = "5206"
    RESPONSE: ClassVar[type] = CumulativeInfo
    psn_no: str
    cum_ym: str
    insuplc_admdvs: str = ""


@dataclass
class OpspReg:
    opsp_dise_code: str
    opsp_dise_name: str
    begndate: str
    enddate: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class SpecialDiseaseFilings:
    rows: list[OpspReg]

    @classmethod
    def from_response(cls, resp: Response) -> SpecialDiseaseFilings:
        for key in ("feedetail", "data", "result"):   # node name UNVERIFIED (reference §3.12)
            if isinstance(resp.output.get(key), list):
                return cls([_parse_row(OpspReg, resp, r, key) for r in resp.output[key]])
        return cls([])


@dataclass
class QuerySpecialDiseaseFiling(_Node):
    """5301 人员慢特病备案查询 (data: psn_no)."""

    INFNO: ClassVar[str] = "5301"
    RESPONSE: ClassVar[type] = SpecialDiseaseFilings
    psn_no: str
    insuplc_admdvs: str = ""

    def to_input(self) -> dict[str, Any]:
        return {"data": {"psn_no": self.psn_no}}


# --------------------------------------------------------------------------------------------
# 9901 MedSettle extension: policy bundle
def canonical_bundle_bytes(bundle: dict[str, Any]) -> bytes:
    """The MAC input: json.dumps(bundle, sort_keys=True, ensure_ascii=False, separators=(",", ":"))."""
    return json.dumps(bundle, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def bundle_mac(bundle: dict[str, Any], key: bytes) -> str:
    return hmac.new(key, canonical_bundle_bytes(bundle), hashlib.sha256).hexdigest()


def _has_decimal(obj: Any) -> bool:
    if isinstance(obj, Decimal):
        return True
    if isinstance(obj, dict):
        return any(_has_decimal(v) for v in obj.values())
    if isinstance(obj, list):
        return any(_has_decimal(v) for v in obj)
    return False


@dataclass
class PolicyBundleResult:
    bundle: dict[str, Any]
    mac: str

    @classmethod
    def from_response(cls, resp: Response) -> PolicyBundleResult:
        b = _node(resp, "bundle")
        mac = resp.output.get("mac")
        if not isinstance(mac, str) or not mac:
            raise _bad(resp, "9901 应答缺少 mac")
        if _has_decimal(b):
            raise _bad(resp, "政策包中含有非整数的数值（金额和比例必须是字符串）")
        return cls(b, mac)

    def verified(self, key: bytes) -> dict[str, Any]:
        """The bundle if its MAC matches (constant-time compare), else BundleMacError."""
        if not key:
            raise BundleMacError(str(self.bundle.get("ver", "")))
        expected = bundle_mac(self.bundle, key)
        if not hmac.compare_digest(expected, self.mac.lower()):
            raise BundleMacError(str(self.bundle.get("ver", "")))
        if self.bundle.get("format") != "policy-bundle/1":
            raise BundleMacError(str(self.bundle.get("ver", "")))
        return self.bundle


@dataclass
class FetchPolicyBundle(_Node):
    """9901 (MedSettle extension): {"data": {insuplc_admdvs, ver}} → {"bundle": {...}, "mac": hex}."""

    INFNO: ClassVar[str] = "9901"
    RESPONSE: ClassVar[type] = PolicyBundleResult
    insuplc_admdvs: str
    ver: str = ""

    def to_input(self) -> dict[str, Any]:
        return {"data": {"insuplc_admdvs": self.insuplc_admdvs, "ver": self.ver}}
