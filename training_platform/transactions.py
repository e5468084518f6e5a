"""The training central platform's behaviour: envelope checks and the national transactions.

Training conventions (documented here; the real platform's details are unpublished or regional)
-------------------------------------------------------------------------------------------------
* Envelope: every field of reference §1.1 must be present (``dev_no``, ``dev_safe_info``,
  ``cainfo``, ``signtype`` and ``sign_no`` may be ""), ``msgid`` = fixmedins_code(12) +
  yyyyMMddHHmmss + 4 digits, ``mdtrtarea_admvs`` = the institution's region, ``insuplc_admdvs``
  required when ``input`` carries ``psn_no``; ``sign_no`` from 9001 (same operator, same day, not
  signed out) for every infno except 9001. Envelope errors answer HTTP 200 with infcode -1.
* Responses: ``infcode`` is the number 0 / -1; ``inf_refmsgid`` = institution admdvs(6) +
  yyyyMMddHHmmss + 10-digit serial; ``refmsg_time``/``respond_time`` yyyyMMddHHmmssSSS.
* Message ids: the platform keeps every committed state-changing request (STATE_CHANGING) by
  msgid; a request reusing such a msgid is REFUSED (infcode -1, output null) with
  "发送方报文ID[<msgid>]重复：该报文ID已被<infno>交易使用，请使用新的报文ID" and changes nothing. No
  stored answer is ever replayed (reference §3.8: real clients send a fresh msgid for every
  request). Business refusals (infcode -1) are not kept, so a corrected request may reuse the msgid.
  Settling a settled visit under a new msgid → -1 "该就诊已结算(setl_id=...)…"; reversing a reversed
  settlement → -1.
* 1101 ``baseinfo.age`` is a string with one decimal ("41.0"); ``baseinfo.expContent`` is a JSON
  string ``{"filing": "none|long_term|referral", "filing_admdvs", "filing_begndate",
  "filing_enddate"}`` (training extension: the cross-region filing status).
* 2208/2305 (and 2601 of a settlement) answer the setlinfo of the REVERSAL record: a new
  ``setl_id``, ``refd_setl_flag`` "1", every amount NEGATED (the original amounts with a minus sign),
  ``balc`` = account balance after the refund. The original is marked reversed; the year-to-date
  accumulations and the account are restored; its fee lines become unsettled again (they may be
  settled anew or deleted by 2205/2302).
* 2601 (冲正) ``data{psn_no, omsgid, oinfno}`` only for the transactions the spec lets one reverse
  (REVERSIBLE: 2207, 2208, 2304, 2305, 2401, and a dialect's wire names such as 2207A); any other
  oinfno → -1 "交易[<oinfno>]不允许冲正". Of a committed 2207/2304: the settlement is reversed (as by
  2208/2305; output ``{"data": {"omsgid", "oinfno", "rslt"}}`` + the reversal setlinfo); of a
  settlement already reversed → -1 with the real text of real-messages/2601-output-zjharness.json
  (…退费结算标志不为未退费，不能办理冲正交易…); of an omsgid the platform never committed → -1
  NOTHING_TO_REVERSE "原交易[<omsgid>]不存在，无需冲正" (training wording; the real one is UNVERIFIED,
  docs/central-interface.md). Of a 2208/2305: the reversal is undone (the settlement is valid again,
  its reversal record removed). Of a 2401: the admission is cancelled (no fees, no settlement).
* 中途结算 (2303/2304 ``mid_setl_flag`` "1", before 2402): settles the admission's fee lines not settled
  yet; later lines continue in the same mdtrt_id and the next settlement (mid-stay or final, "0" after
  2402) takes only those. A "per visit" deductible is charged once per admission (the act_pay_dedc of
  the admission's active settlements is credited: ``credit_mid_settlements``); the admission counts once
  in the year's admissions. An earlier settlement of an admission cannot be reversed (2305 / 2601)
  while a later one is active: -1 "…请先撤销后一次结算".
* 5203 input ``data``: ``psn_no``, ``setl_id``, ``mdtrt_id`` — all required (-1
  "必填字段[setl_id]不能为空"). Output setlinfo: the settlement's fields plus (reference §3.12)
  ``psn_pay``, ``cash_payamt``, ``acct_pay``, ``balc``, ``medins_setl_id``, ``refd_setl_flag`` ("1"
  when the settlement has been cancelled / reversed, and for a reversal record; "0" otherwise —
  code values UNVERIFIED, §8), ``fixmedins_code``, ``fixmedins_name``, ``hosp_lv``,
  ``fixmedins_poolarea``, ``insu_optins``, ``pay_loc``, ``begndate``, ``enddate``, ``year``,
  ``invono``, ``opter_id``, ``opter_name``, ``opt_time``; and ``setldetail``.
* 5206 ``cumuinfo`` rows {insutype, year, cum_type_code, cum_type_name, cum}; training
  cum_type_codes: C001 起付线累计 (dedc_paid), C002 住院次数 (admissions), C003 政策范围内费用累计
  (inscp_amt), C004 共付段累计 (seg_amt), C005 统筹基金支付累计 (hifp_pay), ``L1:<layer id>`` a
  layer's accumulated base, ``L2:<layer id>`` what it paid (client.domain.casebuild.CUM_TYPES).
* 5301 output node ``feedetail`` (rows opsp_dise_code, opsp_dise_name, begndate, enddate).
* 1301 (list_type 101/104), 1302 (102), 1303 (103), 1305 (201), 1306 (301): ``{"data": {"ver"}}`` →
  ``{"file_qury_no", "filename", "dld_end_time", "data_cnt"}``; 9102 returns a zip with one TXT,
  UTF-8, tab-separated, no header, rows with ver > requested ordered by (ver, med_list_codg), at
  most ``catalog_page_rows`` rows — extended to the end of the last row's ver so that asking again
  with the last row's ver never skips rows. Columns: the REAL layout of each file
  (client.domain.catalog_layouts: 1301 92 columns, ver at 82; 1305 16, ver at 14; 1306 71, ver at
  69 …), filled from the demo row (code, name, spec, unit, dates, vali_flag, rid, ver, ver_name,
  updt_time; ``FILE_FIELDS``), every other column blank; then two training-only columns after the
  layout: the hospital price and the barcode. No class / ratio / limit in any file: 1312 answers
  the class (chrgitm_lv, med_chrgitm_type), 1318 the limit (hilist_pric_uplmt_amt), 1319 the
  self-pay ratio (selfpay_prop), in the real paging wrapper, updt_time = the demo ver as a time.
  1307 / 1309: the demo's diagnoses / chronic diseases, one version (``DISE_VER``). No rows →
  data_cnt 0 and empty file_qury_no.
* 3201 books = the institution's settlement records (settlements and reversal records, signed)
  with clr_optins = setl_optins, insutype, clr_type and setl date in range; count = settlements −
  reversal records. Optional ``refd_setl_flag`` "0"/"1" restricts to one kind. stmt_rslt "0" 平 /
  "1" 不平 (stmt_rslt_dscr gives the platform's figures).
* 3202 upload file (9101, ``in`` = base64 string or byte array; raw TXT or a zip holding one TXT):
  tab-separated rows setl_id, mdtrt_id, psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay,
  refd_setl_flag. Result file (9102, zip with one TXT): psn_no, mdtrt_id, setl_id, msgid,
  stmt_rslt, refd_setl_flag, memo, medfee_sumamt, fund_pay_sumamt, acct_pay.
* 9102 accepts ``fixmedins_code`` "plc" or the institution's code.
* 3301 目录对照上传 ``{"data": {fixmedins_hilist_id, fixmedins_hilist_name, list_type, med_list_codg,
  begndate, enddate, …}}`` (one item; client.api.catalogmap cites the fields): the national code must be
  in the institution's catalogue with that list_type, else -1 "医疗目录编码[..]在医保目录中不存在…" /
  "目录类别[..]与医保目录[..]不符"; an item already mapped (valid) to another code → -1
  "…已对照医疗目录编码[..]，请先撤销对照(3302)"; the same mapping again is accepted. Output ``{}``
  (the real 3301 output is unpublished). 3302 sets vali_flag "0"; an unknown or already revoked
  mapping → -1. 1317 / 1316 are paged like 1312 over this institution's mappings (1316 rows: the
  mapping's med_list_codg = hilist_code, since the training catalogue is the 医保目录 itself).
* 2204 / 2301 (our convention): when the institution has at least one valid mapping, every fee line's
  ``medins_list_codg`` must be mapped (valid) to the line's ``med_list_codg``, else -1
  "费用明细[sn]医药机构目录编码[..]未对照…" / "…已对照医疗目录编码[..]，与上传的[..]不符". With no
  mapping at all the platform takes the lines as they come (training sites that do not map yet).
* 9901 (extension) ``{"data": {"insuplc_admdvs", "ver"}}`` → ``{"bundle", "mac", "unchanged"}``;
  mac = HMAC-SHA256 hex with the institution's sign_secret over the canonical bundle JSON.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import itertools
import json
import re
import secrets
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from client.domain import casebuild, catalog_layouts
from training_platform import casework, demo
from training_platform.dialects import Dialect
from training_platform.store import Store, dumps

ENVELOPE_FIELDS = ["infno", "msgid", "mdtrtarea_admvs", "insuplc_admdvs", "recer_sys_code", "dev_no",
                   "dev_safe_info", "cainfo", "signtype", "infver", "opter_type", "opter", "opter_name",
                   "inf_time", "fixmedins_code", "fixmedins_name", "sign_no", "input"]
ENVELOPE_REQUIRED = ["infno", "msgid", "mdtrtarea_admvs", "recer_sys_code", "infver", "opter_type", "opter",
                     "opter_name", "inf_time", "fixmedins_code", "fixmedins_name"]

MONEY_FIELDS = ["medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                "act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay",
                "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "hosp_part_amt",
                "acct_mulaid_pay"]
CHECKED_FIELDS = ["medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt"]

FUND_NAMES = {"310100": "城镇职工基本医疗保险统筹基金", "310200": "城镇职工基本医疗保险个人账户基金",
              "320100": "公务员医疗补助基金", "330100": "大额医疗费用补助基金", "370100": "企业补充医疗保险基金",
              "390100": "城乡居民基本医疗保险基金", "390200": "城乡居民大病医疗保险基金", "610100": "医疗救助基金",
              "999997": "其他基金"}

CATALOG_TYPES = {"1301": ("101", "104"), "1302": ("102",), "1303": ("103",), "1305": ("201",), "1306": ("301",)}
# 1307 / 1309 files: the demo's diagnoses and outpatient chronic diseases, one fixed version.
DISE_VER = "20260101000001"
# demo catalogue doc key -> the real layout's column of each file (client.domain.catalog_layouts);
# every other column of the layout stays blank. The hospital price and the barcode (no national
# file has them) follow the last real column: the training extension (catalog.TRAINING_EXTENSION).
FILE_FIELDS = {
    "1301": {"drug_genname": "name", "drug_prodname": "name", "drug_spec": "spec", "min_prcunt": "unit"},
    "1302": {"tcmherb_name": "name"},
    "1303": {"drug_prodname": "name", "drug_spec": "spec", "min_prcunt": "unit"},
    "1305": {"servitem_name": "name", "prcunt_name": "unit"},
    "1306": {"mcs_name": "name", "spec": "spec", "min_salunt": "unit"},
}
TERMS = {"1318": "pric_uplmt_amt", "1319": "selfpay_prop"}
# training values for a few more national columns, so the files look filled like real ones do
_DOSFORMS = (("胶囊", "胶囊剂"), ("缓释片", "缓释片"), ("片", "片剂"), ("注射液", "注射剂"), ("注射用", "注射剂"),
             ("颗粒", "颗粒剂"), ("丸", "丸剂"), ("口服液", "口服溶液剂"), ("散", "散剂"), ("气雾剂", "气雾剂"))


def _training_columns(infno: str, r: dict) -> dict:
    name, code = str(r.get("name") or ""), str(r.get("med_list_codg") or "")
    if infno in ("1301", "1303"):
        form = next((f for k, f in _DOSFORMS if k in name), "")
        return {"drug_dosform_name": form, "dosform_name": form, "prodentp_name": "培训药业有限公司",
                "aprvno": f"国药准字H{code[-8:]}", "lmt_used_flag": "0"}
    if infno == "1306":
        return {"prodentp_name": "培训医疗器械有限公司", "reg_fil_no": f"国械注准{code[-10:]}", "lmt_used_flag": "0"}
    if infno == "1305":
        return {"prcunt": "次" if r.get("unit") == "次" else "", "servitem_type": "01"}
    return {}


def ver_time(ver: str) -> str:
    """The demo's 14-digit ver as an updt_time (yyyy-MM-dd HH:mm:ss), for 1312/1318/1319 rows."""
    v = (ver or "").strip()
    if len(v) == 14 and v.isdigit():
        return f"{v[:4]}-{v[4:6]}-{v[6:8]} {v[8:10]}:{v[10:12]}:{v[12:14]}"
    return "2000-01-01 00:00:00"


def time_ver(updt_time: str) -> str:
    """Inverse of ver_time (digits of an updt_time, padded): the ver to compare with."""
    d = "".join(ch for ch in str(updt_time or "") if ch.isdigit())
    return (d + "0" * 14)[:14]

STATE_CHANGING = {"9001", "9002", "2201", "2202", "2203", "2204", "2205", "2207", "2208", "2301", "2302",
                  "2304", "2305", "2401", "2402", "2403", "2404", "2405", "2601", "9101", "3202", "3301", "3302"}
# 2601 may reverse only these (openhis ClassHelper.cs spec comment, reference §3.8)
REVERSIBLE = ("2207", "2208", "2304", "2305", "2401")
# real refusal of a 2601 of a settlement already cancelled (real-messages/2601-output-zjharness.json)
ALREADY_REFUNDED = ("FSI-调用业务基础子系统冲正失败:冲正的结算信息退费结算标志不为未退费，不能办理冲正交易"
                    "[iptPsnSetlMgtBO_4412][outpatientSettleBO_40]")
NOTHING_TO_REVERSE = "原交易[{omsgid}]不存在，无需冲正"     # training wording (UNVERIFIED)

MSGID_RE = re.compile(r"^[0-9A-Za-z]{12}\d{14}\d{4}$")
INF_TIME_FMT = "%Y-%m-%d %H:%M:%S"
ZERO = Decimal("0")


class Refusal(Exception):
    """A business or envelope refusal: infcode -1 with this Chinese message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class RawFile:
    content: bytes
    filename: str


def D(value, field: str) -> Decimal:
    if isinstance(value, (float, bool)) or value is None or value == "":
        raise Refusal(f"入参[{field}]必须是十进制数字字符串")
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Refusal(f"入参[{field}]不是合法的数字：{value}") from None
    if not d.is_finite():
        raise Refusal(f"入参[{field}]不是合法的数字：{value}")
    return d


def f2(d: Decimal) -> str:
    return casebuild.f2(d)


def now() -> dt.datetime:
    return dt.datetime.now()


def ts17(t: dt.datetime) -> str:
    return t.strftime("%Y%m%d%H%M%S") + f"{t.microsecond // 1000:03d}"


def tstr(t: dt.datetime) -> str:
    return t.strftime(INF_TIME_FMT)


def zip_one(name: str, text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, text.encode("utf-8"))
    return buf.getvalue()


def _clean(v) -> str:
    return "" if v is None else str(v).replace("\t", " ").replace("\n", " ").replace("\r", " ")


class Platform:
    def __init__(self, store: Store, catalog_page_rows: int = 20000, dialect: Dialect | None = None,
                 password=None):
        self.store = store
        self.catalog_page_rows = catalog_page_rows
        self._page_keys: dict = {}         # paged queries: the last key of each page served (see paged)
        # catalogue zips already built, by (spec, rows fingerprint); None = build every time. A
        # benchmark sets {} so that its timed sync does not share the machine with the zip building
        # (a real platform is remote); the fingerprint (count and newest ver of the spec's rows)
        # changes with every catalogue change, since a changed row always gets a new ver.
        self.file_cache: dict | None = None
        self.dialect = dialect
        self.password = password          # training_platform.password.PasswordVerifier (None = no 验密)
        self._serial = itertools.count(int(dt.datetime.now().timestamp() * 1000) % 10**9)
        self.handlers = {
            "9001": self.t9001, "9002": self.t9002, "1101": self.t1101,
            "2201": self.t2201, "2202": self.t2202, "2203": self.t2203, "2204": self.t2204,
            "2205": self.t2205, "2206": self.t2206, "2207": self.t2207, "2208": self.t2208,
            "2301": self.t2301, "2302": self.t2302, "2403": self.t2403, "2303": self.t2303, "2304": self.t2304,
            "2305": self.t2305, "2401": self.t2401, "2402": self.t2402, "2404": self.t2404,
            "2405": self.t2405, "2601": self.t2601, "5203": self.t5203, "5206": self.t5206,
            "5301": self.t5301, "3201": self.t3201, "3202": self.t3202, "9101": self.t9101,
            "9102": self.t9102, "1301": self.tcatalog, "1302": self.tcatalog, "1303": self.tcatalog,
            "1305": self.tcatalog, "1306": self.tcatalog, "1307": self.tdise, "1309": self.tdise,
            "1312": self.t1312, "1318": self.tterms, "1319": self.tterms, "9901": self.t9901,
            "3301": self.t3301, "3302": self.t3302, "1316": self.t1316, "1317": self.t1317,
        }
        # Infnos this platform answers as a real one answers an infno it does not know, with the recorded
        # shape (real-messages/error-unknown-infno-zjharness.json: type/infcode/err_msg only), e.g.
        # {"9901"} to play a real platform for the MedSettle extension (tests, training exercises).
        self.unknown_infnos: set[str] = set()
        # A regional dialect renames some transactions (Zhejiang 2207 → 2207A): the national name is
        # then unknown there, as on the real platform.
        for national, wire in (dialect.variants if dialect else {}).items():
            self.handlers[wire] = self.handlers.pop(national)

    def unknown_infno_answer(self) -> dict:
        """The recorded answer to an infno the platform does not know: only type / infcode / err_msg
        (real-messages/error-unknown-infno-zjharness.json); served verbatim, not through real_shape."""
        return {"type": "error", "infcode": -1,
                "err_msg": f"FSI-FSI-交易报文不正确：未知交易编号！,异常流水号:{next(self._serial) % 10**10:010d}"}

    def base_infno(self, wire: str) -> str:
        """The national infno behind a wire infno (2207A → 2207); itself without a dialect."""
        return self.dialect.base_infno(wire) if self.dialect else wire

    # ================================================================ envelope
    def refmsgid(self, admdvs: str, t: dt.datetime) -> str:
        adm = admdvs if (len(admdvs) == 6 and admdvs.isdigit()) else "000000"
        return adm + t.strftime("%Y%m%d%H%M%S") + f"{next(self._serial) % 10**10:010d}"

    def envelope(self, received: dt.datetime, admdvs: str, infcode: int, output=None, err_msg: str = "") -> dict:
        t = now()
        if infcode == 0 and not err_msg and self.dialect is not None:
            err_msg = self.dialect.ok_err_msg      # e.g. Zhejiang answers "success"
        return {"infcode": infcode, "inf_refmsgid": self.refmsgid(admdvs, received),
                "refmsg_time": ts17(received), "respond_time": ts17(t), "err_msg": err_msg,
                "warn_msg": "", "cainfo": "", "signtype": "", "output": output if output is not None else {}}

    def institution(self, code: str) -> dict | None:
        return self.store.doc("SELECT doc FROM institutions WHERE fixmedins_code=?", (code,))

    def check_envelope(self, env) -> tuple[dict, dict]:
        if not isinstance(env, dict):
            raise Refusal("请求报文必须是JSON对象")
        missing = [f for f in ENVELOPE_FIELDS if f not in env]
        if missing:
            raise Refusal(f"交易报文缺少字段[{','.join(missing)}]，请按接口规范补全报文")
        for f in ENVELOPE_REQUIRED:
            if env.get(f) in (None, ""):
                raise Refusal(f"交易报文字段[{f}]不能为空")
        for f in ENVELOPE_FIELDS:
            if f != "input" and env[f] is not None and not isinstance(env[f], str):
                raise Refusal(f"交易报文字段[{f}]必须是字符串")
        infno = env["infno"]
        if infno not in self.handlers:
            if self.dialect is not None and self.dialect.unknown_infno_msg:
                raise Refusal(self.dialect.unknown_infno_refusal())
            raise Refusal(f"交易编号[{infno}]不存在或培训平台不支持该交易")
        inst = self.institution(env["fixmedins_code"])
        if inst is None:
            raise Refusal(f"定点医药机构编号[{env['fixmedins_code']}]不存在")
        msgid = env["msgid"]
        if not MSGID_RE.match(msgid) or not msgid.startswith(env["fixmedins_code"]):
            raise Refusal(f"发送方报文ID[{msgid}]格式错误：应为定点医药机构编号(12位)+时间(14位yyyyMMddHHmmss)+顺序号(4位)")
        try:
            dt.datetime.strptime(msgid[12:26], "%Y%m%d%H%M%S")
        except ValueError:
            raise Refusal(f"发送方报文ID[{msgid}]中的时间部分不是合法时间") from None
        try:
            dt.datetime.strptime(env["inf_time"], INF_TIME_FMT)
        except ValueError:
            raise Refusal(f"交易时间[{env['inf_time']}]格式错误，应为 yyyy-MM-dd HH:mm:ss") from None
        if env["opter_type"] not in ("1", "2", "3"):
            raise Refusal(f"经办人类别[{env['opter_type']}]错误，应为1经办人/2自助终端/3移动终端")
        if env["mdtrtarea_admvs"] != inst["admdvs"]:
            raise Refusal(f"就医地医保区划[{env['mdtrtarea_admvs']}]与定点医药机构所在区划[{inst['admdvs']}]不一致")
        if not isinstance(env["input"], dict):
            raise Refusal("交易输入(input)必须是JSON对象")
        data = env["input"].get("data")
        carries_psn = isinstance(data, dict) and data.get("psn_no")
        if not carries_psn:
            for key in ("mdtrtinfo", "dscginfo"):
                if isinstance(env["input"].get(key), dict) and env["input"][key].get("psn_no"):
                    carries_psn = True
        if carries_psn and not env.get("insuplc_admdvs"):
            raise Refusal("交易涉及参保人，参保地医保区划(insuplc_admdvs)不能为空")
        if infno != "9001":
            row = self.store.conn().execute(
                "SELECT sign_date, signed_out FROM signins WHERE sign_no=? AND fixmedins_code=? AND opter=?",
                (env.get("sign_no") or "", env["fixmedins_code"], env["opter"])).fetchone()
            if row is None or row["signed_out"] or row["sign_date"] != now().strftime("%Y-%m-%d"):
                raise Refusal("经办人未签到或签到已失效，请先签到(9001)")
        return env, inst

    def handle(self, env) -> tuple[dict | RawFile, bool]:
        """Process one national-interface request. Returns (response, committed_state_change)."""
        received = now()
        fallback_adm = ""
        if isinstance(env, dict):
            inst0 = self.institution(str(env.get("fixmedins_code") or "")) if isinstance(env.get("fixmedins_code"), str) else None
            fallback_adm = (inst0 or {}).get("admdvs") or str(env.get("mdtrtarea_admvs") or "")
        try:
            env, inst = self.check_envelope(env)
        except Refusal as r:
            return self.envelope(received, fallback_adm, -1, err_msg=r.message), False
        infno = env["infno"]
        handler = self.handlers[infno]
        adm = inst["admdvs"]
        if self.base_infno(infno) not in STATE_CHANGING:
            try:
                out = handler(self.store.conn(), env, inst)
            except Refusal as r:
                return self.envelope(received, adm, -1, err_msg=r.message), False
            if isinstance(out, RawFile):
                return out, False
            return self.envelope(received, adm, 0, out), False
        with self.store.lock:
            c = self.store.conn()
            row = c.execute("SELECT infno FROM messages WHERE msgid=?", (env["msgid"],)).fetchone()
            if row is not None:      # never a replay: a used msgid is a duplicate
                return self.envelope(received, adm, -1, err_msg=f"发送方报文ID[{env['msgid']}]重复：该报文ID已被"
                                                            f"{row['infno']}交易使用，请使用新的报文ID"), False
            c.execute("BEGIN IMMEDIATE")
            try:
                out = handler(c, env, inst)
                resp = self.envelope(received, adm, 0, out)
                c.execute("INSERT INTO messages VALUES(?, ?, ?, ?, ?)",
                          (env["msgid"], infno, env["fixmedins_code"], tstr(received), dumps(resp)))
                c.execute("COMMIT")
                return resp, True
            except Refusal as r:
                c.execute("ROLLBACK")
                return self.envelope(received, adm, -1, err_msg=r.message), False
            except BaseException:
                c.execute("ROLLBACK")
                raise

    # ================================================================ helpers
    @staticmethod
    def data(env, node: str = "data") -> dict:
        d = env["input"].get(node)
        if not isinstance(d, dict):
            raise Refusal(f"交易输入缺少[{node}]节点")
        return d

    @staticmethod
    def req(d: dict, *fields: str) -> None:
        for f in fields:
            if d.get(f) in (None, ""):
                raise Refusal(f"入参[{f}]不能为空")

    @staticmethod
    def required(d: dict, *fields: str) -> None:
        """The wording of the real platforms' missing-field refusal (issue 16: 必填字段[setl_id]不能为空)."""
        for f in fields:
            if d.get(f) in (None, ""):
                raise Refusal(f"必填字段[{f}]不能为空")

    def person(self, c, psn_no: str) -> dict:
        row = c.execute("SELECT doc FROM people WHERE psn_no=?", (psn_no,)).fetchone()
        if row is None:
            raise Refusal(f"未查询到参保信息(人员编号[{psn_no}]不存在)")
        p = json.loads(row[0])
        for ins in p.get("insuinfo", []):
            r = c.execute("SELECT balc FROM accounts WHERE psn_no=? AND insutype=?",
                          (psn_no, ins["insutype"])).fetchone()
            if r:
                ins["balc"] = r[0]
        return p

    @staticmethod
    def insu(p: dict, insutype: str | None) -> dict:
        rows = p.get("insuinfo") or []
        for r in rows:
            if not insutype or r.get("insutype") == insutype:
                return r
        raise Refusal(f"参保人[{p.get('psn_name')}]没有险种[{insutype}]的参保信息")

    def check_insured(self, env, p: dict, insutype: str | None) -> dict:
        ins = self.insu(p, insutype)
        if ins.get("psn_insu_stas") == "2":
            raise Refusal("参保人参保状态为暂停参保，不能享受待遇")
        if ins.get("psn_insu_stas") not in (None, "1"):
            raise Refusal(f"参保人参保状态[{ins.get('psn_insu_stas')}]不是正常参保，不能享受待遇")
        if env.get("insuplc_admdvs") and env["insuplc_admdvs"] != ins.get("insuplc_admdvs"):
            raise Refusal(f"参保地医保区划[{env['insuplc_admdvs']}]与参保人参保地[{ins.get('insuplc_admdvs')}]不一致")
        return ins

    def check_cert(self, c, p: dict, d: dict) -> None:
        kind, no = d.get("mdtrt_cert_type"), d.get("mdtrt_cert_no")
        if not kind and not no:
            return
        if kind == "01":
            row = c.execute("SELECT psn_no, valid_date FROM ectokens WHERE ec_token=?", (no,)).fetchone()
            if row is None or row["valid_date"] != now().strftime("%Y-%m-%d"):
                raise Refusal("电子凭证令牌无效或已过期，请患者重新出示医保电子凭证扫码")
            ok = row["psn_no"] == p["psn_no"]
        elif kind == "02":
            ok = no == p.get("certno")
        elif kind == "03":
            ok = no == (p.get("card") or {}).get("card_no")
        else:
            raise Refusal(f"就诊凭证类型[{kind}]错误，应为01电子凭证/02身份证/03社保卡")
        if not ok:
            raise Refusal("就诊凭证与人员编号不匹配，请核对患者身份")

    @staticmethod
    def age(brdy: str | None) -> str:
        if not brdy:
            return ""
        b = dt.date.fromisoformat(brdy[:10])
        t = dt.date.today()
        return f"{t.year - b.year - ((t.month, t.day) < (b.month, b.day))}.0"

    def visit(self, c, mdtrt_id: str, psn_no: str | None, inst: dict, kind: str | None = None) -> dict:
        row = c.execute("SELECT doc, status, kind, fixmedins_code, psn_no FROM visits WHERE mdtrt_id=?",
                        (mdtrt_id or "",)).fetchone()
        if row is None or row["fixmedins_code"] != inst["fixmedins_code"]:
            raise Refusal(f"就诊ID[{mdtrt_id}]不存在")
        if psn_no and row["psn_no"] != psn_no:
            raise Refusal(f"就诊ID[{mdtrt_id}]不属于人员[{psn_no}]")
        if kind and row["kind"] != kind:
            raise Refusal(f"就诊ID[{mdtrt_id}]是{'门诊' if row['kind'] == 'otp' else '住院'}就诊，不能办理此交易")
        v = json.loads(row["doc"])
        v["status"] = row["status"]
        return v

    def save_visit(self, c, v: dict) -> None:
        c.execute("UPDATE visits SET status=?, doc=? WHERE mdtrt_id=?", (v["status"], dumps(v), v["mdtrt_id"]))

    def active_settlement(self, c, mdtrt_id: str):
        return c.execute("SELECT * FROM settlements WHERE mdtrt_id=? AND kind='setl' AND reversed=0 "
                         "ORDER BY setl_time DESC", (mdtrt_id,)).fetchall()

    def ytd_get(self, c, psn_no: str, year: str) -> dict:
        row = c.execute("SELECT doc FROM ytd WHERE psn_no=? AND year=?", (psn_no, year)).fetchone()
        return json.loads(row[0]) if row else {}

    def ytd_put(self, c, psn_no: str, year: str, ytd: dict) -> None:
        c.execute("INSERT OR REPLACE INTO ytd VALUES(?, ?, ?)", (psn_no, year, dumps(ytd)))

    def catalog_entries(self, c, admdvs: str, codes) -> dict[str, dict]:
        out = {}
        codes = list(codes)
        for i in range(0, len(codes), 500):
            chunk = codes[i:i + 500]
            q = ",".join("?" * len(chunk))
            for r in c.execute(f"SELECT med_list_codg, doc FROM catalog WHERE admdvs=? AND med_list_codg IN ({q})",
                               (admdvs, *chunk)):
                out[r[0]] = json.loads(r[1])
        return out

    # ================================================================ 9001 / 9002 / 1101
    def t9001(self, c, env, inst):
        d = self.data(env, "signIn")
        self.req(d, "opter_no", "ip")
        t = now()
        sign_no = inst["admdvs"] + t.strftime("%Y%m%d%H%M%S") + f"{self.store.next_serial(c, 'sign'):010d}"
        c.execute("INSERT INTO signins VALUES(?, ?, ?, ?, ?, 0)",
                  (sign_no, inst["fixmedins_code"], env["opter"], t.strftime("%Y-%m-%d"), tstr(t)))
        return {"signinoutb": {"sign_time": tstr(t), "sign_no": sign_no}}

    def t9002(self, c, env, inst):
        d = self.data(env, "signOut")
        self.req(d, "sign_no")
        cur = c.execute("UPDATE signins SET signed_out=1 WHERE sign_no=? AND fixmedins_code=?",
                        (d["sign_no"], inst["fixmedins_code"]))
        if cur.rowcount == 0:
            raise Refusal(f"签到流水号[{d['sign_no']}]不存在")
        return {"signoutoutb": {"sign_time": tstr(now())}}

    def find_person(self, c, d: dict) -> dict:
        kind = d.get("mdtrt_cert_type")
        no = d.get("mdtrt_cert_no") or ""
        row = None
        if kind == "01":
            t = c.execute("SELECT psn_no, valid_date FROM ectokens WHERE ec_token=?", (no,)).fetchone()
            if t is None or t["valid_date"] != now().strftime("%Y-%m-%d"):
                raise Refusal("电子凭证令牌无效或已过期，请患者重新出示医保电子凭证扫码")
            row = c.execute("SELECT psn_no FROM people WHERE psn_no=?", (t["psn_no"],)).fetchone()
        elif kind == "02":
            certno = no or d.get("certno") or ""
            row = c.execute("SELECT psn_no FROM people WHERE certno=?", (certno.upper(),)).fetchone()
        elif kind == "03":
            if not d.get("card_sn"):
                raise Refusal("就诊凭证类型为社会保障卡时卡识别码(card_sn)不能为空")
            row = c.execute("SELECT psn_no, doc FROM people WHERE card_no=?", (no,)).fetchone()
            if row is not None and (json.loads(row["doc"]).get("card") or {}).get("card_sn") != d["card_sn"]:
                raise Refusal("社会保障卡卡识别码与卡号不匹配，请重新读卡")
        else:
            raise Refusal(f"就诊凭证类型[{kind}]错误，应为01电子凭证/02身份证/03社保卡")
        if row is None:
            raise Refusal("未查询到参保信息，请核对就诊凭证")
        return self.person(c, row["psn_no"])

    def t1101(self, c, env, inst):
        d = self.data(env)
        self.req(d, "mdtrt_cert_type")
        if d.get("mdtrt_cert_type") != "02" or not d.get("certno"):
            self.req(d, "mdtrt_cert_no")
        p = self.find_person(c, d)
        f = p.get("filing") or {}
        exp = {"filing": f.get("type") or "none", "filing_admdvs": f.get("admdvs"),
               "filing_begndate": f.get("begndate"), "filing_enddate": f.get("enddate")}
        base = {k: p.get(k) for k in ("psn_no", "psn_cert_type", "certno", "psn_name", "gend", "naty", "brdy")}
        base["age"] = self.age(p.get("brdy"))
        base["expContent"] = json.dumps(exp, ensure_ascii=False)
        insuinfo = [{k: ins.get(k) for k in ("balc", "insutype", "psn_type", "psn_insu_stas", "psn_insu_date",
                                             "paus_insu_date", "cvlserv_flag", "insuplc_admdvs", "emp_name")}
                    for ins in p.get("insuinfo", [])]
        idet = [{k: r.get(k) for k in ("psn_idet_type", "psn_type_lv", "memo", "begntime", "endtime")}
                for r in p.get("idetinfo", [])]
        return {"baseinfo": base, "insuinfo": insuinfo, "idetinfo": idet}

    # ================================================================ outpatient
    def new_mdtrt_id(self, c, inst) -> str:
        return inst["admdvs"] + now().strftime("%Y%m%d") + f"{self.store.next_serial(c, 'mdtrt'):08d}"

    def register(self, c, env, inst, kind: str, d: dict, ipt_otp_no: str, begntime: str, extra: dict) -> dict:
        p = self.person(c, d["psn_no"])
        self.check_insured(env, p, d.get("insutype"))
        self.check_cert(c, p, d)
        try:
            dt.datetime.strptime(begntime[:10], "%Y-%m-%d")
        except ValueError:
            raise Refusal(f"开始时间[{begntime}]格式错误，应为 yyyy-MM-dd HH:mm:ss") from None
        dup = c.execute("SELECT mdtrt_id FROM visits WHERE fixmedins_code=? AND ipt_otp_no=? AND kind=? "
                        "AND status NOT IN ('cancelled')", (inst["fixmedins_code"], ipt_otp_no, kind)).fetchone()
        if dup is not None:
            raise Refusal(f"{'门诊号' if kind == 'otp' else '住院号'}[{ipt_otp_no}]已登记(mdtrt_id={dup[0]})，请勿重复登记")
        mdtrt_id = self.new_mdtrt_id(c, inst)
        v = {"mdtrt_id": mdtrt_id, "kind": kind, "psn_no": d["psn_no"], "insutype": d.get("insutype"),
             "insuplc_admdvs": self.insu(p, d.get("insutype")).get("insuplc_admdvs"),
             "ipt_otp_no": ipt_otp_no, "begntime": begntime, "mdtrt_cert_type": d.get("mdtrt_cert_type"),
             "mdtrt_cert_no": d.get("mdtrt_cert_no"), "med_type": d.get("med_type") or ("11" if kind == "otp" else "21"),
             "status": "registered" if kind == "otp" else "admitted", **extra}
        c.execute("INSERT INTO visits VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                  (mdtrt_id, kind, d["psn_no"], inst["fixmedins_code"], ipt_otp_no, v["status"], env["msgid"], dumps(v)))
        return v

    def t2201(self, c, env, inst):
        d = self.data(env)
        self.req(d, "psn_no", "insutype", "begntime", "mdtrt_cert_type", "ipt_otp_no")
        v = self.register(c, env, inst, "otp", d, d["ipt_otp_no"], d["begntime"],
                          {k: d.get(k) for k in ("atddr_no", "dr_name", "dept_code", "dept_name", "caty")})
        return {"data": {"mdtrt_id": v["mdtrt_id"], "psn_no": v["psn_no"], "ipt_otp_no": v["ipt_otp_no"]}}

    def cancel_visit(self, c, v: dict, what: str) -> None:
        if v["status"] == "cancelled":
            raise Refusal(f"就诊ID[{v['mdtrt_id']}]已撤销")
        act = self.active_settlement(c, v["mdtrt_id"])
        if act:
            raise Refusal(f"该就诊已结算(setl_id={act[0]['setl_id']})，请先撤销结算再撤销{what}")
        n = c.execute("SELECT COUNT(*) FROM fees WHERE mdtrt_id=?", (v["mdtrt_id"],)).fetchone()[0]
        if n and v["kind"] == "ipt":
            raise Refusal(f"该住院已上传{n}条费用明细，请先撤销费用明细(2302)再撤销入院")
        c.execute("DELETE FROM fees WHERE mdtrt_id=? AND setl_id IS NULL", (v["mdtrt_id"],))
        v["status"] = "cancelled"
        self.save_visit(c, v)

    def t2202(self, c, env, inst):
        d = self.data(env)
        self.req(d, "psn_no", "mdtrt_id")
        v = self.visit(c, d["mdtrt_id"], d["psn_no"], inst, "otp")
        self.cancel_visit(c, v, "挂号")
        return {}

    def t2203(self, c, env, inst):
        info = self.data(env, "mdtrtinfo")
        self.req(info, "mdtrt_id", "psn_no", "med_type")
        v = self.visit(c, info["mdtrt_id"], info["psn_no"], inst, "otp")
        if v["status"] == "cancelled":
            raise Refusal("该就诊已撤销，不能上传就诊信息")
        dise = env["input"].get("diseinfo") or []
        if not isinstance(dise, list):
            raise Refusal("diseinfo 必须是数组")
        v["med_type"] = info["med_type"]
        v["mdtrtinfo"] = info
        v["diseinfo"] = dise
        # every 2203 received for the visit (admin view: /admin/ledger's mdtrt_2203): a re-sent one replaces
        # mdtrtinfo, this list keeps what each carried
        v.setdefault("mdtrt_2203", []).append({"msgid": env["msgid"], "med_type": info["med_type"],
                                               "dise_codg": info.get("dise_codg"), "dise_name": info.get("dise_name")})
        self.save_visit(c, v)
        return {}

    def upload_fees(self, c, env, inst, kind: str, limit: int | None) -> dict:
        rows = env["input"].get("feedetail")
        if not isinstance(rows, list) or not rows:
            raise Refusal("交易输入缺少[feedetail]节点或明细为空")
        if limit and len(rows) > limit:
            raise Refusal(f"单次上传费用明细不能超过{limit}条(本次{len(rows)}条)，请分批上传")
        visits: dict[str, dict] = {}
        seen = set()
        codes = set()
        for i, r in enumerate(rows, 1):
            if not isinstance(r, dict):
                raise Refusal(f"第{i}条费用明细格式错误")
            self.req(r, "feedetl_sn", "mdtrt_id", "psn_no", "med_list_codg", "det_item_fee_sumamt", "cnt", "pric",
                     "fee_ocur_time")
            if kind == "otp":
                self.req(r, "chrg_bchno")
            amt, cnt, pric = D(r["det_item_fee_sumamt"], "det_item_fee_sumamt"), D(r["cnt"], "cnt"), D(r["pric"], "pric")
            if cnt <= 0 or amt <= 0 or pric < 0:
                raise Refusal(f"费用明细[{r['feedetl_sn']}]数量和金额必须大于0(培训平台不支持负数退费明细)")
            if abs(casebuild.q2(cnt * pric) - amt) > Decimal("0.01"):
                raise Refusal(f"费用明细[{r['feedetl_sn']}]明细项目费用总额[{amt}]与数量×单价[{casebuild.q2(cnt * pric)}]不符")
            key = (r["mdtrt_id"], str(r["feedetl_sn"]))
            if key in seen:
                raise Refusal(f"费用明细流水号[{r['feedetl_sn']}]在本次上传中重复")
            seen.add(key)
            if r["mdtrt_id"] not in visits:
                v = self.visit(c, r["mdtrt_id"], r["psn_no"], inst, kind)
                if v["status"] == "cancelled":
                    raise Refusal(f"就诊ID[{v['mdtrt_id']}]已撤销，不能上传费用")
                if kind == "otp" and self.active_settlement(c, v["mdtrt_id"]):
                    raise Refusal(f"就诊ID[{v['mdtrt_id']}]已结算，不能再上传费用")
                if kind == "ipt" and v["status"] == "settled":
                    raise Refusal(f"就诊ID[{v['mdtrt_id']}]已出院结算，不能再上传费用")
                visits[r["mdtrt_id"]] = v
            if c.execute("SELECT 1 FROM fees WHERE mdtrt_id=? AND feedetl_sn=?", key).fetchone():
                raise Refusal(f"费用明细流水号[{r['feedetl_sn']}]已上传，请勿重复上传")
            codes.add(r["med_list_codg"])
        entries = self.catalog_entries(c, inst["admdvs"], codes)
        self.check_mapped(c, inst, rows, entries)
        result = []
        for r in rows:
            e = entries.get(r["med_list_codg"])
            date = str(r["fee_ocur_time"])[:10]
            if e is not None and not casework.entry_valid_on(e, date):
                e = None
            res = casework.split_line(r, e)
            c.execute("INSERT INTO fees VALUES(?, ?, ?, ?, NULL, ?, ?)",
                      (r["mdtrt_id"], str(r["feedetl_sn"]), r.get("chrg_bchno"), env["msgid"], dumps(r), dumps(res)))
            result.append(res)
        return {"result": result}

    def t2204(self, c, env, inst):
        return self.upload_fees(c, env, inst, "otp", None)

    def t2205(self, c, env, inst):
        d = self.data(env)
        self.req(d, "mdtrt_id", "psn_no", "chrg_bchno")
        v = self.visit(c, d["mdtrt_id"], d["psn_no"], inst, "otp")
        if self.active_settlement(c, v["mdtrt_id"]):
            raise Refusal("该就诊已结算，不能撤销费用明细，请先撤销结算(2208)")
        if d["chrg_bchno"] == "0000":
            c.execute("DELETE FROM fees WHERE mdtrt_id=? AND setl_id IS NULL", (v["mdtrt_id"],))
        else:
            c.execute("DELETE FROM fees WHERE mdtrt_id=? AND chrg_bchno=? AND setl_id IS NULL",
                      (v["mdtrt_id"], d["chrg_bchno"]))
        return {}

    # ================================================================ settlement core
    @staticmethod
    def opsp_filed(p: dict, v: dict, begndate: str) -> str:
        """门诊慢特病: 2203 dise_codg must be one of the person's 5301 filings valid on the visit date."""
        code = str((v.get("mdtrtinfo") or {}).get("dise_codg") or v.get("dise_codg") or "")
        for f in p.get("chronic") or []:
            if f.get("opsp_dise_code") == code and str(f.get("begndate") or "")[:10] <= begndate \
                    and (not f.get("enddate") or begndate <= str(f["enddate"])[:10]):
                return code
        raise Refusal(f"门诊慢特病结算：就诊信息的病种编码[{code}]不是该参保人在就诊日有效的慢特病备案病种，不能按慢特病结算")

    def compute(self, c, env, inst, v: dict, d: dict):
        """Build the case of the visit's unsettled lines and run the engine on it."""
        from client.domain import engine  # noqa: PLC0415 (keeps the server startable without it)

        p = self.person(c, v["psn_no"])
        ins = self.check_insured(env, p, d.get("insutype") or v.get("insutype"))
        self.check_cert(c, p, d)
        fee_rows = c.execute("SELECT doc FROM fees WHERE mdtrt_id=? AND setl_id IS NULL ORDER BY rowid",
                             (v["mdtrt_id"],)).fetchall()
        lines = [json.loads(r[0]) for r in fee_rows]
        if not lines:
            raise Refusal("没有可结算的费用明细，请先上传费用明细" + ("(2204)" if v["kind"] == "otp" else "(2301)"))
        total = sum((D(ln["det_item_fee_sumamt"], "det_item_fee_sumamt") for ln in lines), ZERO)
        if D(d["medfee_sumamt"], "medfee_sumamt") != total:
            raise Refusal(f"医疗费总额[{d['medfee_sumamt']}]与已上传未结算明细合计[{f2(total)}]不符，请核对明细")
        begndate = str(v["begntime"])[:10]
        year = begndate[:4]
        med_type = d.get("med_type") or v.get("med_type")
        bundle = self.store.doc("SELECT doc FROM bundles WHERE insuplc_admdvs=?", (ins["insuplc_admdvs"],))
        if bundle is None:
            raise Refusal(f"参保地[{ins['insuplc_admdvs']}]暂无可用的待遇政策，不能结算")
        entries = self.catalog_entries(c, inst["admdvs"], {ln["med_list_codg"] for ln in lines})
        visit = {"mdtrtarea_admvs": inst["admdvs"], "hosp_lv": inst["hosp_lv"], "med_type": med_type,
                 "begndate": begndate,
                 "filing": casebuild.filing_for_visit(p.get("filing"), inst["admdvs"], begndate)}
        if med_type == "14":
            visit["opsp_dise_code"] = self.opsp_filed(p, v, begndate)
        person = dict(p, insutype=ins["insutype"], insuinfo=[ins], acct_used_flag=d.get("acct_used_flag") or "0",
                      ytd=self.ytd_get(c, p["psn_no"], year))
        try:
            case = casebuild.build_case(visit, person, list(entries.values()), lines, bundle)
            if v["kind"] == "ipt":
                self.credit_mid_settlements(c, v, case)
            result = engine.settle(case)
        except casebuild.CaseBuildError as e:
            raise Refusal(e.message) from None
        except engine.CaseError as e:
            raise Refusal(getattr(e, "message", None) or str(e)) from None
        s = result["setlinfo"]
        info = {"mdtrt_id": v["mdtrt_id"], "psn_no": p["psn_no"], "psn_name": p.get("psn_name"),
                "psn_cert_type": p.get("psn_cert_type"), "certno": p.get("certno"), "gend": p.get("gend"),
                "naty": p.get("naty"), "brdy": p.get("brdy"), "age": self.age(p.get("brdy")),
                "insutype": ins["insutype"], "psn_type": ins.get("psn_type"), "cvlserv_flag": ins.get("cvlserv_flag"),
                "setl_time": tstr(now()), "mdtrt_cert_type": d.get("mdtrt_cert_type") or v.get("mdtrt_cert_type"),
                "med_type": med_type, "psn_setlway": d.get("psn_setlway") or "01"}
        for k in MONEY_FIELDS:
            info[k] = s.get(k, "0.00")
        info["pool_prop_selfpay"] = s.get("pool_prop_selfpay", "0.0000")
        info["balc"] = s.get("balc", "0.00")
        info.update({"medins_setl_id": env["msgid"], "clr_optins": ins["insuplc_admdvs"], "clr_way": "01",
                     "clr_type": "11" if v["kind"] == "otp" else "21"})
        detail = [dict(row, fund_pay_type_name=FUND_NAMES.get(row.get("fund_pay_type"), ""),
                       crt_payb_lmt_amt=row.get("crt_payb_lmt_amt", "0.00"), setl_proc_info=row.get("setl_proc_info", ""))
                  for row in result.get("setldetail", [])]
        return case, result, info, detail, ins, year

    def credit_mid_settlements(self, c, v: dict, case: dict) -> None:
        """中途结算 (training convention): a later settlement of the same admission (mdtrt_id) settles
        only the fee lines not settled yet (``fees.setl_id IS NULL``), and a deductible charged "per
        visit" is charged once per admission: what the admission's active settlements already paid
        (their act_pay_dedc) is taken off the standard of every per-visit policy for this case."""
        paid = ZERO
        for row in self.active_settlement(c, v["mdtrt_id"]):
            paid += D(json.loads(row["setlinfo"]).get("act_pay_dedc") or "0", "act_pay_dedc")
        if paid <= 0:
            return
        policies = []
        for pol in case.get("policies") or []:
            ded = pol.get("deductible") or {}
            if ded.get("per") == "visit":
                pol = json.loads(json.dumps(pol))
                lv = pol["deductible"].get("by_hosp_lv") or {}
                pol["deductible"]["by_hosp_lv"] = {k: f2(max(ZERO, D(x, "deductible") - paid)) for k, x in lv.items()}
                pol["deductible"].pop("nth_admission", None)
            policies.append(pol)
        case["policies"] = policies

    def presettle(self, c, env, inst, kind: str):
        d = self.data(env)
        self.req(d, "psn_no", "mdtrt_id", "medfee_sumamt", "insutype")
        v = self.visit(c, d["mdtrt_id"], d["psn_no"], inst, kind)
        self.check_settleable(c, v)
        _, _, info, detail, _, _ = self.compute(c, env, inst, v, d)
        return {"setlinfo": info, "setldetail": detail}

    def check_settleable(self, c, v: dict) -> None:
        if v["status"] == "cancelled":
            raise Refusal(f"就诊ID[{v['mdtrt_id']}]已撤销，不能结算")
        act = self.active_settlement(c, v["mdtrt_id"])
        if act and (v["kind"] == "otp" or v["status"] == "settled"):
            raise Refusal(f"该就诊已结算(setl_id={act[0]['setl_id']})，请勿重复结算")

    def settle(self, c, env, inst, kind: str, infno: str):
        d = self.data(env)
        self.req(d, "psn_no", "mdtrt_id", "medfee_sumamt", "insutype", *CHECKED_FIELDS[1:])
        v = self.visit(c, d["mdtrt_id"], d["psn_no"], inst, kind)
        self.check_settleable(c, v)
        if self.password is not None:
            p = self.person(c, v["psn_no"])
            why = self.password.refusal(env.get("cainfo") or "", p["certno"], env.get("insuplc_admdvs") or "",
                                        inst["admdvs"])
            if why:
                raise Refusal(why)
        mid = str(d.get("mid_setl_flag") or "0")
        if kind == "ipt":
            if mid not in ("0", "1"):
                raise Refusal("中途结算标志(mid_setl_flag)应为0或1")
            if mid == "0" and v["status"] != "discharged":
                raise Refusal("该患者尚未办理出院(2402)，不能进行出院结算；中途结算请传 mid_setl_flag=1")
        case, result, info, detail, ins, year = self.compute(c, env, inst, v, d)
        for f in CHECKED_FIELDS:
            if D(d[f], f) != D(info[f], f):
                raise Refusal(f"结算金额与医保计算不一致：{f} 传入[{d[f]}]，医保计算[{info[f]}]，请重新预结算后再结算")
        t = now()
        setl_id = inst["admdvs"] + t.strftime("%Y%m%d") + f"{self.store.next_serial(c, 'setl'):010d}"
        info = dict(info, setl_id=setl_id, setl_time=tstr(t))
        delta = casework.ytd_delta(case, result)
        if kind == "ipt" and self.active_settlement(c, v["mdtrt_id"]):
            delta["admissions"] = 0  # an earlier mid-settlement of this admission already counted it
        self.ytd_put(c, v["psn_no"], year, casework.apply_ytd(self.ytd_get(c, v["psn_no"], year), delta))
        c.execute("UPDATE accounts SET balc=? WHERE psn_no=? AND insutype=?", (info["balc"], v["psn_no"], ins["insutype"]))
        c.execute("UPDATE fees SET setl_id=? WHERE mdtrt_id=? AND setl_id IS NULL", (setl_id, v["mdtrt_id"]))
        extra = {"year": year, "ytd_delta": delta, "acct_insutype": ins["insutype"], "case": case,
                 "begndate": str(v["begntime"])[:10], "mid_setl_flag": mid, "category": result.get("category"),
                 "policy_id": result.get("policy_id"), "opter": env.get("opter"), "opter_name": env.get("opter_name"),
                 "invono": d.get("invono") or ""}
        c.execute("INSERT INTO settlements(setl_id, kind, mdtrt_id, psn_no, fixmedins_code, medins_setl_id, infno, "
                  "insutype, clr_type, clr_optins, setl_date, setl_time, refd_setl_flag, reversed, setlinfo, setldetail, "
                  "extra) VALUES(?, 'setl', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '0', 0, ?, ?, ?)",
                  (setl_id, v["mdtrt_id"], v["psn_no"], inst["fixmedins_code"], env["msgid"], infno, ins["insutype"],
                   info["clr_type"], info["clr_optins"], t.strftime("%Y-%m-%d"), tstr(t), dumps(info), dumps(detail),
                   dumps(extra)))
        if kind == "ipt" and mid == "0":
            v["status"] = "settled"
            self.save_visit(c, v)
        return {"setlinfo": info, "setldetail": detail}

    def reverse(self, c, env, inst, setl_id: str, mdtrt_id: str | None, psn_no: str | None, infnos: tuple) -> dict:
        row = c.execute("SELECT * FROM settlements WHERE setl_id=? AND fixmedins_code=?",
                        (setl_id or "", inst["fixmedins_code"])).fetchone()
        if row is None or row["kind"] != "setl":
            raise Refusal(f"未找到结算信息(setl_id={setl_id})")
        if (mdtrt_id and row["mdtrt_id"] != mdtrt_id) or (psn_no and row["psn_no"] != psn_no):
            raise Refusal(f"结算ID[{setl_id}]与就诊ID/人员编号不匹配")
        if self.base_infno(row["infno"]) not in infnos:
            raise Refusal(f"结算ID[{setl_id}]不是{'门诊' if '2207' in infnos else '住院'}结算，不能用此交易撤销")
        if row["reversed"]:
            raise Refusal(f"该结算已撤销(setl_id={setl_id}，撤销结算ID={row['reversal_setl_id']})，不能重复撤销")
        later = [r for r in self.active_settlement(c, row["mdtrt_id"])
                 if r["setl_id"] != setl_id and (r["setl_time"], r["setl_id"]) > (row["setl_time"], row["setl_id"])]
        if later:    # 中途结算: the later settlement's deductible credit rests on this one
            raise Refusal(f"该住院在此结算之后还有结算(setl_id={later[0]['setl_id']})，请先撤销后一次结算")
        orig = json.loads(row["setlinfo"])
        extra = json.loads(row["extra"])
        t = now()
        rev_id = inst["admdvs"] + t.strftime("%Y%m%d") + f"{self.store.next_serial(c, 'setl'):010d}"
        acct_pay = D(orig["acct_pay"], "acct_pay")
        bal_row = c.execute("SELECT balc FROM accounts WHERE psn_no=? AND insutype=?",
                            (row["psn_no"], extra["acct_insutype"])).fetchone()
        new_balc = (D(bal_row[0], "balc") if bal_row else ZERO) + acct_pay
        info = dict(orig)
        for k in MONEY_FIELDS:
            info[k] = f2(-D(orig.get(k, "0.00"), k))
        info.update({"setl_id": rev_id, "setl_time": tstr(t), "medins_setl_id": env["msgid"],
                     "balc": f2(new_balc), "refd_setl_flag": "1"})
        detail = [dict(r, inscp_scp_amt=f2(-D(r.get("inscp_scp_amt", "0"), "inscp_scp_amt")),
                       fund_payamt=f2(-D(r.get("fund_payamt", "0"), "fund_payamt")))
                  for r in json.loads(row["setldetail"])]
        self.ytd_put(c, row["psn_no"], extra["year"],
                     casework.apply_ytd(self.ytd_get(c, row["psn_no"], extra["year"]), extra["ytd_delta"], -1))
        c.execute("UPDATE accounts SET balc=? WHERE psn_no=? AND insutype=?",
                  (f2(new_balc), row["psn_no"], extra["acct_insutype"]))
        fee_sns = [r[0] for r in c.execute("SELECT feedetl_sn FROM fees WHERE setl_id=?", (setl_id,))]
        c.execute("UPDATE fees SET setl_id=NULL WHERE setl_id=?", (setl_id,))
        c.execute("UPDATE settlements SET reversed=1, reversal_setl_id=? WHERE setl_id=?", (rev_id, setl_id))
        c.execute("INSERT INTO settlements(setl_id, kind, mdtrt_id, psn_no, fixmedins_code, medins_setl_id, infno, "
                  "insutype, clr_type, clr_optins, setl_date, setl_time, refd_setl_flag, reversed, orig_setl_id, "
                  "setlinfo, setldetail, extra) VALUES(?, 'revs', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '1', 0, ?, ?, ?, ?)",
                  (rev_id, row["mdtrt_id"], row["psn_no"], inst["fixmedins_code"], env["msgid"], env["infno"],
                   row["insutype"], row["clr_type"], row["clr_optins"], t.strftime("%Y-%m-%d"), tstr(t), setl_id,
                   dumps(info), dumps(detail), dumps({"year": extra["year"]})))
        vrow = c.execute("SELECT doc, status FROM visits WHERE mdtrt_id=?", (row["mdtrt_id"],)).fetchone()
        was = vrow["status"] if vrow else None
        if vrow and vrow["status"] == "settled":
            v = json.loads(vrow["doc"])
            v["status"] = "discharged"
            self.save_visit(c, v)
        c.execute("UPDATE settlements SET extra=? WHERE setl_id=?",
                  (dumps({"year": extra["year"], "fees": fee_sns, "visit_status": was, "new_balc": f2(new_balc)}), rev_id))
        return {"setlinfo": info, "setldetail": detail}

    def unreverse(self, c, inst, rev) -> None:
        """2601 of a 2208/2305: the reversal never happened — the settlement is valid again."""
        orig = c.execute("SELECT * FROM settlements WHERE setl_id=? AND fixmedins_code=?",
                         (rev["orig_setl_id"], inst["fixmedins_code"])).fetchone()
        if orig is None or not orig["reversed"]:
            raise Refusal(f"原结算[{rev['orig_setl_id']}]不是已撤销状态，不能冲正撤销交易")
        if self.active_settlement(c, orig["mdtrt_id"]):
            raise Refusal(f"就诊ID[{orig['mdtrt_id']}]已重新结算，不能冲正原撤销交易")
        rx = json.loads(rev["extra"])
        ox = json.loads(orig["extra"])
        info = json.loads(orig["setlinfo"])
        fees = rx.get("fees") or []
        if fees:
            unsettled = c.execute(f"SELECT COUNT(*) FROM fees WHERE mdtrt_id=? AND setl_id IS NULL AND feedetl_sn IN "
                                  f"({','.join('?' * len(fees))})", (orig["mdtrt_id"], *fees)).fetchone()[0]
            if unsettled != len(fees):
                raise Refusal("原结算的费用明细已撤销或变更，不能冲正原撤销交易")
            c.execute(f"UPDATE fees SET setl_id=? WHERE mdtrt_id=? AND feedetl_sn IN ({','.join('?' * len(fees))})",
                      (orig["setl_id"], orig["mdtrt_id"], *fees))
        bal_row = c.execute("SELECT balc FROM accounts WHERE psn_no=? AND insutype=?",
                            (orig["psn_no"], ox["acct_insutype"])).fetchone()
        balc = (D(bal_row[0], "balc") if bal_row else ZERO) - D(info["acct_pay"], "acct_pay")
        c.execute("UPDATE accounts SET balc=? WHERE psn_no=? AND insutype=?", (f2(balc), orig["psn_no"], ox["acct_insutype"]))
        self.ytd_put(c, orig["psn_no"], ox["year"],
                     casework.apply_ytd(self.ytd_get(c, orig["psn_no"], ox["year"]), ox["ytd_delta"]))
        c.execute("UPDATE settlements SET reversed=0, reversal_setl_id=NULL WHERE setl_id=?", (orig["setl_id"],))
        c.execute("DELETE FROM settlements WHERE setl_id=?", (rev["setl_id"],))
        if rx.get("visit_status") == "settled":
            v = self.visit(c, orig["mdtrt_id"], None, inst)
            v["status"] = "settled"
            self.save_visit(c, v)

    def t2206(self, c, env, inst):
        return self.presettle(c, env, inst, "otp")

    def t2207(self, c, env, inst):
        return self.settle(c, env, inst, "otp", env["infno"])     # 2207, or the region's 2207A

    def t2208(self, c, env, inst):
        d = self.data(env)
        self.req(d, "setl_id", "mdtrt_id", "psn_no")
        return self.reverse(c, env, inst, d["setl_id"], d["mdtrt_id"], d["psn_no"], ("2207",))

    # ================================================================ inpatient
    def t2401(self, c, env, inst):
        info = self.data(env, "mdtrtinfo")
        self.req(info, "psn_no", "insutype", "begntime", "mdtrt_cert_type", "med_type", "ipt_no")
        v = self.register(c, env, inst, "ipt", info, info["ipt_no"], info["begntime"],
                          {"mdtrtinfo": info, "diseinfo": env["input"].get("diseinfo") or []})
        return {"result": {"mdtrt_id": v["mdtrt_id"], "psn_no": v["psn_no"], "ipt_no": v["ipt_otp_no"]}}

    def t2402(self, c, env, inst):
        info = self.data(env, "dscginfo")
        self.req(info, "mdtrt_id", "psn_no", "endtime", "dscg_way")
        v = self.visit(c, info["mdtrt_id"], info["psn_no"], inst, "ipt")
        if v["status"] != "admitted":
            raise Refusal(f"就诊ID[{v['mdtrt_id']}]当前状态不能办理出院({v['status']})")
        v["status"] = "discharged"
        v["dscginfo"] = info
        v["dscg_diseinfo"] = env["input"].get("diseinfo") or []
        self.save_visit(c, v)
        return {}

    def t2403(self, c, env, inst):
        """2403 住院信息变更 (training): node ``adminfo`` (openhis Input_2403) with mdtrt_id, psn_no; an
        admitted (在院) stay only; the given fields replace the admission's, ``diseinfo`` (if sent) the
        diagnoses. Output ``{}``."""
        info = self.data(env, "adminfo")
        self.req(info, "mdtrt_id", "psn_no")
        v = self.visit(c, info["mdtrt_id"], info["psn_no"], inst, "ipt")
        if v["status"] != "admitted":
            raise Refusal(f"就诊ID[{v['mdtrt_id']}]当前状态不能变更住院信息({v['status']})")
        if info.get("ipt_otp_no") and info["ipt_otp_no"] != v["ipt_otp_no"]:
            raise Refusal(f"住院号[{info['ipt_otp_no']}]与就诊ID[{v['mdtrt_id']}]的住院号[{v['ipt_otp_no']}]不符")
        m = dict(v.get("mdtrtinfo") or {})
        m.update({k: x for k, x in info.items() if k not in ("mdtrt_id", "psn_no", "ipt_otp_no") and x not in (None, "")})
        v["mdtrtinfo"] = m
        if isinstance(env["input"].get("diseinfo"), list):
            v["diseinfo"] = env["input"]["diseinfo"]
        v.setdefault("changes", []).append({"msgid": env["msgid"], "at": tstr(now()), "fields": sorted(info)})
        self.save_visit(c, v)
        return {}

    def t2404(self, c, env, inst):
        d = self.data(env)
        self.req(d, "mdtrt_id", "psn_no")
        v = self.visit(c, d["mdtrt_id"], d["psn_no"], inst, "ipt")
        if v["status"] != "admitted":
            raise Refusal("只有在院状态可以撤销入院，请先撤销出院(2405)")
        self.cancel_visit(c, v, "入院")
        return {}

    def t2405(self, c, env, inst):
        d = self.data(env)
        self.req(d, "mdtrt_id", "psn_no")
        v = self.visit(c, d["mdtrt_id"], d["psn_no"], inst, "ipt")
        if v["status"] != "discharged":
            raise Refusal("该患者不是已出院未结算状态，不能撤销出院" + ("，请先撤销结算(2305)" if v["status"] == "settled" else ""))
        v["status"] = "admitted"
        self.save_visit(c, v)
        return {}

    def t2301(self, c, env, inst):
        return self.upload_fees(c, env, inst, "ipt", 50)

    def t2302(self, c, env, inst):
        d = self.data(env)
        self.req(d, "feedetl_sn", "mdtrt_id", "psn_no")
        v = self.visit(c, d["mdtrt_id"], d["psn_no"], inst, "ipt")
        if d["feedetl_sn"] == "0000":
            c.execute("DELETE FROM fees WHERE mdtrt_id=? AND setl_id IS NULL", (v["mdtrt_id"],))
        else:
            row = c.execute("SELECT setl_id FROM fees WHERE mdtrt_id=? AND feedetl_sn=?",
                            (v["mdtrt_id"], d["feedetl_sn"])).fetchone()
            if row is None:
                raise Refusal(f"费用明细流水号[{d['feedetl_sn']}]不存在")
            if row[0]:
                raise Refusal(f"费用明细[{d['feedetl_sn']}]已结算(setl_id={row[0]})，不能撤销")
            c.execute("DELETE FROM fees WHERE mdtrt_id=? AND feedetl_sn=?", (v["mdtrt_id"], d["feedetl_sn"]))
        return {}

    def t2303(self, c, env, inst):
        return self.presettle(c, env, inst, "ipt")

    def t2304(self, c, env, inst):
        return self.settle(c, env, inst, "ipt", "2304")

    def t2305(self, c, env, inst):
        d = self.data(env)
        self.req(d, "setl_id", "mdtrt_id", "psn_no")
        return self.reverse(c, env, inst, d["setl_id"], d["mdtrt_id"], d["psn_no"], ("2304",))

    # ================================================================ 2601
    def t2601(self, c, env, inst):
        d = self.data(env)
        self.required(d, "psn_no", "omsgid", "oinfno")
        oinfno = self.base_infno(d["oinfno"])     # 2207A names a 2207 in Zhejiang
        if oinfno not in REVERSIBLE:
            raise Refusal(f"交易[{d['oinfno']}]不允许冲正")
        row = c.execute("SELECT infno, fixmedins_code FROM messages WHERE msgid=?", (d["omsgid"],)).fetchone()
        if row is None or row["fixmedins_code"] != inst["fixmedins_code"]:
            raise Refusal(NOTHING_TO_REVERSE.format(omsgid=d["omsgid"]))
        if self.base_infno(row["infno"]) != oinfno:
            raise Refusal(f"原交易编号不符：报文[{d['omsgid']}]是{row['infno']}交易，不是{d['oinfno']}")
        out = {"data": {"omsgid": d["omsgid"], "oinfno": d["oinfno"], "rslt": "1"}}
        if oinfno in ("2207", "2304"):
            s = c.execute("SELECT setl_id, psn_no, reversed FROM settlements WHERE medins_setl_id=? AND kind='setl'",
                          (d["omsgid"],)).fetchone()
            if s is None:
                raise Refusal(NOTHING_TO_REVERSE.format(omsgid=d["omsgid"]))
            if s["psn_no"] != d["psn_no"]:
                raise Refusal(f"原交易报文[{d['omsgid']}]不属于人员[{d['psn_no']}]")
            if s["reversed"]:
                raise Refusal(ALREADY_REFUNDED)
            out.update(self.reverse(c, env, inst, s["setl_id"], None, d["psn_no"], (oinfno,)))
        elif oinfno in ("2208", "2305"):
            rev = c.execute("SELECT * FROM settlements WHERE medins_setl_id=? AND kind='revs'", (d["omsgid"],)).fetchone()
            if rev is None:
                raise Refusal(NOTHING_TO_REVERSE.format(omsgid=d["omsgid"]))
            if rev["psn_no"] != d["psn_no"]:
                raise Refusal(f"原交易报文[{d['omsgid']}]不属于人员[{d['psn_no']}]")
            self.unreverse(c, inst, rev)
        else:                                      # 2401
            r = c.execute("SELECT mdtrt_id FROM visits WHERE msgid=?", (d["omsgid"],)).fetchone()
            if r is None:
                raise Refusal(NOTHING_TO_REVERSE.format(omsgid=d["omsgid"]))
            v = self.visit(c, r[0], d["psn_no"], inst)
            if v["status"] == "cancelled":
                raise Refusal(NOTHING_TO_REVERSE.format(omsgid=d["omsgid"]))
            self.cancel_visit(c, v, "入院")
        return out

    # ================================================================ queries
    def setl_query_row(self, c, inst, d: dict):
        self.required(d, "psn_no", "setl_id", "mdtrt_id")
        row = c.execute("SELECT * FROM settlements WHERE setl_id=? AND fixmedins_code=?",
                        (d["setl_id"], inst["fixmedins_code"])).fetchone()
        if row is None or row["psn_no"] != d["psn_no"] or row["mdtrt_id"] != d["mdtrt_id"]:
            raise Refusal("未找到结算信息")
        return row

    def setl5203(self, c, inst, row) -> dict:
        info = json.loads(row["setlinfo"])
        extra = json.loads(row["extra"] or "{}")
        if row["kind"] == "revs":        # a reversal record: the original's facts
            orig = c.execute("SELECT extra FROM settlements WHERE setl_id=?", (row["orig_setl_id"],)).fetchone()
            extra = dict(json.loads(orig[0]) if orig else {}, **extra)
        refunded = row["kind"] == "revs" or bool(row["reversed"])
        vrow = c.execute("SELECT doc FROM visits WHERE mdtrt_id=?", (row["mdtrt_id"],)).fetchone()
        v = json.loads(vrow[0]) if vrow else {}
        out = dict(info)
        out.update({"psn_pay": info["psn_part_amt"], "cash_payamt": info["psn_cash_pay"],
                    "refd_setl_flag": "1" if refunded else "0",
                    "fixmedins_code": inst["fixmedins_code"], "fixmedins_name": inst["fixmedins_name"],
                    "hosp_lv": inst["hosp_lv"], "fixmedins_poolarea": inst["admdvs"], "insu_optins": info.get("clr_optins"),
                    "pay_loc": "2", "begndate": extra.get("begndate", ""),
                    "enddate": str((v.get("dscginfo") or {}).get("endtime") or info.get("setl_time") or "")[:10],
                    "year": extra.get("year", ""), "invono": extra.get("invono", ""),
                    "dise_codg": v.get("dise_codg") or "", "dise_name": v.get("dise_name") or "",
                    "opter_id": extra.get("opter", ""), "opter_name": extra.get("opter_name", ""),
                    "opt_time": info.get("setl_time", "")})
        return out

    def t5203(self, c, env, inst):
        d = self.data(env)
        row = self.setl_query_row(c, inst, d)
        return {"setlinfo": self.setl5203(c, inst, row), "setldetail": json.loads(row["setldetail"])}

    def t5206(self, c, env, inst):
        d = self.data(env)
        self.req(d, "psn_no")
        p = self.person(c, d["psn_no"])
        insutype = (p.get("insuinfo") or [{}])[0].get("insutype", "")
        rows = []
        years = [r[0] for r in c.execute("SELECT year FROM ytd WHERE psn_no=? ORDER BY year", (d["psn_no"],))]
        year_now = str(now().year)
        if year_now not in years:
            years.append(year_now)
        if d.get("cum_ym"):
            years = [str(d["cum_ym"])[:4]]
        for y in years:
            rows += casework.cumuinfo_from_ytd(self.ytd_get(c, d["psn_no"], y), insutype, y)
        return {"cumuinfo": rows}

    def t5301(self, c, env, inst):
        d = self.data(env)
        self.req(d, "psn_no")
        p = self.person(c, d["psn_no"])
        return {"feedetail": [{k: r.get(k) for k in ("opsp_dise_code", "opsp_dise_name", "begndate", "enddate")}
                              for r in p.get("chronic") or []]}

    def books(self, c, inst, d: dict, flag: str | None = None):
        q = ("SELECT * FROM settlements WHERE fixmedins_code=? AND clr_optins=? AND setl_date BETWEEN ? AND ?")
        args = [inst["fixmedins_code"], d["setl_optins"], d["stmt_begndate"][:10], d["stmt_enddate"][:10]]
        if d.get("insutype"):
            q += " AND insutype=?"
            args.append(d["insutype"])
        if d.get("clr_type"):
            q += " AND clr_type=?"
            args.append(d["clr_type"])
        if flag in ("0", "1"):
            q += " AND refd_setl_flag=?"
            args.append(flag)
        return c.execute(q + " ORDER BY setl_time, rowid", args).fetchall()

    def t3201(self, c, env, inst):
        d = self.data(env)
        self.req(d, "insutype", "clr_type", "setl_optins", "stmt_begndate", "stmt_enddate", "medfee_sumamt",
                 "fund_pay_sumamt", "acct_pay", "fixmedins_setl_cnt")
        flag = d.get("refd_setl_flag") or None
        rows = self.books(c, inst, d, flag)
        tot = {"medfee_sumamt": ZERO, "fund_pay_sumamt": ZERO, "acct_pay": ZERO}
        cnt = 0
        for r in rows:
            info = json.loads(r["setlinfo"])
            for k in tot:
                tot[k] += D(info[k], k)
            cnt += 1 if (r["kind"] == "setl" or flag == "1") else -1
        try:
            theirs_cnt = int(str(d["fixmedins_setl_cnt"]))
        except ValueError:
            raise Refusal("入参[fixmedins_setl_cnt]必须是整数") from None
        same = all(D(d[k], k) == v for k, v in tot.items()) and theirs_cnt == cnt
        figures = (f"医保方：医疗费总额{f2(tot['medfee_sumamt'])}，基金支付总额{f2(tot['fund_pay_sumamt'])}，"
                   f"个人账户支出{f2(tot['acct_pay'])}，结算笔数{cnt}")
        if same:
            dscr = "对账平：" + figures
        else:
            dscr = (f"对账不平：{figures}；机构方：医疗费总额{d['medfee_sumamt']}，基金支付总额{d['fund_pay_sumamt']}，"
                    f"个人账户支出{d['acct_pay']}，结算笔数{theirs_cnt}。请用3202对明细账查找差异")
        return {"stmtinfo": {"setl_optins": d["setl_optins"], "stmt_rslt": "0" if same else "1", "stmt_rslt_dscr": dscr}}

    def new_file(self, c, inst, filename: str, content: bytes | None, spec: dict | None) -> dict:
        t = now()
        no = inst["fixmedins_code"] + t.strftime("%Y%m%d%H%M%S") + f"{self.store.next_serial(c, 'file'):08d}"
        c.execute("INSERT INTO files VALUES(?, ?, ?, ?, ?, ?)",
                  (no, filename, inst["fixmedins_code"], tstr(t), content, dumps(spec) if spec else None))
        return {"file_qury_no": no, "filename": filename,
                "dld_endtime": tstr(t + dt.timedelta(days=1))}

    def t9101(self, c, env, inst):
        d = self.data(env, "fsUploadIn")
        self.req(d, "in", "filename")
        raw = d["in"]
        try:
            if isinstance(raw, list):
                content = bytes(raw)
            else:
                content = base64.b64decode(str(raw), validate=True)
        except (ValueError, TypeError):
            raise Refusal("文件数据(in)必须是Base64字符串或字节数组") from None
        return self.new_file(c, inst, d["filename"], content, None)

    @staticmethod
    def read_upload(content: bytes) -> str:
        if content[:2] == b"PK":
            try:
                with zipfile.ZipFile(io.BytesIO(content)) as z:
                    names = [n for n in z.namelist() if not n.endswith("/")]
                    content = z.read(names[0])
            except (zipfile.BadZipFile, IndexError):
                raise Refusal("对账明细文件不是有效的zip文件") from None
        try:
            return content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Refusal("对账明细文件必须是UTF-8编码的文本") from None

    def t3202(self, c, env, inst):
        d = self.data(env)
        self.req(d, "setl_optins", "file_qury_no", "stmt_begndate", "stmt_enddate")
        f = c.execute("SELECT content FROM files WHERE file_qury_no=? AND fixmedins_code=?",
                      (d["file_qury_no"], inst["fixmedins_code"])).fetchone()
        if f is None or f[0] is None:
            raise Refusal(f"文件查询号[{d['file_qury_no']}]不存在，请先用9101上传对账明细文件")
        theirs = {}
        for n, line in enumerate(self.read_upload(f[0]).splitlines(), 1):
            if not line.strip():
                continue
            cols = line.split("\t")
            if len(cols) < 7:
                raise Refusal(f"对账明细文件第{n}行应有7列(setl_id、mdtrt_id、psn_no、medfee_sumamt、fund_pay_sumamt、acct_pay、refd_setl_flag)")
            theirs[cols[0].strip()] = [x.strip() for x in cols[:7]]
        out_rows = []
        ours = {r["setl_id"]: r for r in self.books(c, inst, d)}
        for sid, r in ours.items():
            info = json.loads(r["setlinfo"])
            mine = [info["medfee_sumamt"], info["fund_pay_sumamt"], info["acct_pay"]]
            t = theirs.pop(sid, None)
            if t is None:
                rslt, memo = "1", "机构无此结算记录"
            else:
                try:
                    ok = all(D(a, "amount") == D(b, "amount") for a, b in zip(mine, t[3:6], strict=True)) \
                        and t[6] == r["refd_setl_flag"]
                except Refusal:
                    ok = False
                rslt, memo = ("0", "") if ok else ("1", f"金额或退费标志不符(机构方：{t[3]}/{t[4]}/{t[5]}/{t[6]})")
            out_rows.append([r["psn_no"], r["mdtrt_id"], sid, r["medins_setl_id"], rslt, r["refd_setl_flag"], memo, *mine])
        for sid, t in theirs.items():
            out_rows.append([t[2], t[1], sid, "", "1", t[6], "医保无此结算记录", t[3], t[4], t[5]])
        text = "".join("\t".join(_clean(x) for x in row) + "\n" for row in out_rows)
        name = f"stmt_{d['file_qury_no']}.txt"
        info = self.new_file(c, inst, name.replace(".txt", ".zip"), zip_one(name, text), None)
        return {"fileinfo": info}

    def t9102(self, c, env, inst):
        d = self.data(env, "fsDownloadIn")
        self.req(d, "file_qury_no")
        if d.get("fixmedins_code") not in (None, "", "plc", inst["fixmedins_code"]) and d.get("filename") != "plc":
            raise Refusal("fixmedins_code 应为本机构编号或 plc")
        f = c.execute("SELECT * FROM files WHERE file_qury_no=? AND fixmedins_code=?",
                      (d["file_qury_no"], inst["fixmedins_code"])).fetchone()
        if f is None:
            raise Refusal(f"文件查询号[{d['file_qury_no']}]不存在或已过期")
        if f["spec"]:
            spec = json.loads(f["spec"])
            if self.file_cache is None:
                return RawFile(self.catalog_zip(c, spec), f["filename"])
            q = ",".join("?" * len(spec["types"]))
            fingerprint = tuple(c.execute(f"SELECT count(*), max(ver) FROM catalog WHERE admdvs=? AND list_type IN ({q}) "
                                          "AND ver > ?", (spec["admdvs"], *spec["types"], spec["ver"])).fetchone())
            key = (f["spec"], fingerprint)
            if key not in self.file_cache:
                self.file_cache[key] = self.catalog_zip(c, spec)
            return RawFile(self.file_cache[key], f["filename"])
        return RawFile(f["content"], f["filename"])

    # ================================================================ catalogue
    def catalog_query(self, c, admdvs: str, types, ver: str, limit: int):
        q = ",".join("?" * len(types))
        rows = c.execute(f"SELECT ver, med_list_codg FROM catalog WHERE admdvs=? AND list_type IN ({q}) AND ver > ? "
                         f"ORDER BY ver, med_list_codg LIMIT ?", (admdvs, *types, ver, limit)).fetchall()
        n = len(rows)
        if n == limit and n:
            last_ver, last_code = rows[-1][0], rows[-1][1]
            n += c.execute(f"SELECT COUNT(*) FROM catalog WHERE admdvs=? AND list_type IN ({q}) AND ver=? "
                           f"AND med_list_codg > ?", (admdvs, *types, last_ver, last_code)).fetchone()[0]
        return n

    def tcatalog(self, c, env, inst):
        d = self.data(env)
        self.req(d, "ver")
        types = CATALOG_TYPES[env["infno"]]
        n = self.catalog_query(c, inst["admdvs"], types, str(d["ver"]), self.catalog_page_rows)
        if n == 0:
            return {"file_qury_no": "", "filename": "", "dld_end_time": "", "data_cnt": 0}
        spec = {"admdvs": inst["admdvs"], "types": list(types), "ver": str(d["ver"]), "count": n,
                "infno": env["infno"]}
        with self.store.lock:
            c.execute("BEGIN IMMEDIATE")
            try:
                info = self.new_file(c, inst, f"{env['infno']}_{d['ver']}.zip", None, spec)
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
        return {"file_qury_no": info["file_qury_no"], "filename": info["filename"],
                "dld_end_time": info["dld_endtime"][:10], "data_cnt": n}

    def catalog_zip(self, c, spec: dict) -> bytes:
        q = ",".join("?" * len(spec["types"]))
        cur = c.execute(f"SELECT doc FROM catalog WHERE admdvs=? AND list_type IN ({q}) AND ver > ? "
                        f"ORDER BY ver, med_list_codg LIMIT ?", (spec["admdvs"], *spec["types"], spec["ver"], spec["count"]))
        layout = catalog_layouts.LAYOUTS[spec["infno"]]
        mapping = FILE_FIELDS[spec["infno"]]
        common = {c: c for c in ("med_list_codg", "begndate", "enddate", "vali_flag", "rid", "ver") if c in layout.columns}
        parts = []
        for (doc,) in cur:
            r = json.loads(doc)
            vals = {**_training_columns(spec["infno"], r),
                    **{col: r.get(key) for col, key in {**common, **mapping}.items()}}
            vals["ver_name"] = f"培训目录{r.get('ver')}"
            if "updt_time" in layout.columns:
                vals["updt_time"] = ver_time(str(r.get("ver") or ""))
            row = catalog_layouts.row_of(layout, vals) + [r.get("pric"), r.get("barcode")]
            parts.append("\t".join(_clean(x) for x in row))
        text = "\n".join(parts) + ("\n" if parts else "")
        return zip_one(f"{spec['infno']}_{spec['ver']}.txt", text)

    def dise_rows(self, infno: str) -> list[list[str]]:
        layout = catalog_layouts.LAYOUTS[infno]
        if infno == "1309":
            items = [{"opsp_dise_code": c, "opsp_dise_name": n} for c, n in demo.CHRONIC_DISEASES]
        else:
            seen = dict.fromkeys(t[2] for t in demo.VISIT_TEMPLATES)
            items = [{"dise_code": c, "dise_name": n} for c, n in seen]
        return [catalog_layouts.row_of(layout, {**it, "vali_flag": "1", "rid": f"{infno}{i:06d}", "ver": DISE_VER,
                                                "ver_name": "培训病种目录"}) for i, it in enumerate(items, 1)]

    def tdise(self, c, env, inst):
        d = self.data(env)
        self.req(d, "ver")
        infno = env["infno"]
        if str(d["ver"]) >= DISE_VER:
            return {"file_qury_no": "", "filename": "", "dld_end_time": "", "data_cnt": 0}
        rows = self.dise_rows(infno)
        text = "".join("\t".join(_clean(x) for x in row) + "\n" for row in rows)
        with self.store.lock:
            c.execute("BEGIN IMMEDIATE")
            try:
                info = self.new_file(c, inst, f"{infno}_{d['ver']}.zip", zip_one(f"{infno}_{d['ver']}.txt", text), None)
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
        return {"file_qury_no": info["file_qury_no"], "filename": info["filename"],
                "dld_end_time": info["dld_endtime"][:10], "data_cnt": len(rows)}

    @staticmethod
    def paging(d: dict) -> tuple[int, int]:
        try:
            page, size = int(d["page_num"]), int(d["page_size"])
        except (TypeError, ValueError):
            raise Refusal("page_num/page_size 必须是整数") from None
        if page < 1 or not 1 <= size <= 1000:
            raise Refusal("page_num 从1开始，page_size 取1到1000")
        return page, size

    def paged(self, c, sig: tuple, where: str, args: list, order: tuple[str, ...], page: int, size: int):
        """(total, [(doc,)…]) of one page of ``SELECT doc FROM catalog WHERE … ORDER BY order``. A
        client walking the pages in order is served by keyset (the last key of its previous page,
        remembered here) instead of OFFSET, so a 300,000-row pass stays linear; page 1 (or any page
        out of order) counts and offsets as usual."""
        cache = self._page_keys
        if len(cache) > 20000:
            cache.clear()
        total = cache.get((sig, "total")) if page > 1 else None
        if total is None:
            total = c.execute(f"SELECT COUNT(*) FROM catalog WHERE {where}", args).fetchone()[0]
            cache[(sig, "total")] = total
        cols = ", ".join(order)
        start = cache.get((sig, page - 1)) if page > 1 else None
        if start is not None:
            rows = c.execute(f"SELECT {cols}, doc FROM catalog WHERE {where} AND ({cols}) > ({', '.join('?' * len(order))}) "
                             f"ORDER BY {cols} LIMIT ?", (*args, *start, size)).fetchall()
        else:
            rows = c.execute(f"SELECT {cols}, doc FROM catalog WHERE {where} ORDER BY {cols} LIMIT ? OFFSET ?",
                             (*args, size, (page - 1) * size)).fetchall()
        if rows:
            cache[(sig, page)] = tuple(rows[-1][:len(order)])
        return total, [(r[-1],) for r in rows]

    @staticmethod
    def page_answer(page: int, size: int, total: int, items: list) -> dict:
        pages = (total + size - 1) // size
        return {"firstPage": page == 1, "lastPage": page >= pages, "size": len(items), "startRow": (page - 1) * size + 1,
                "pageSize": size, "pageNum": page, "recordCounts": total, "pages": pages, "data": items}

    def tterms(self, c, env, inst):
        """1318 limits / 1319 self-pay ratios of the demo catalogue (paged, ordered by updt_time):
        every item whose demo row has the value, updt_time from its ver, filtered by updt_time."""
        d = self.data(env)
        self.req(d, "updt_time", "page_num", "page_size")
        page, size = self.paging(d)
        infno = env["infno"]
        key = TERMS[infno]
        where, args = f"admdvs=? AND ver >= ? AND json_extract(doc, '$.{key}') IS NOT NULL", \
            [inst["admdvs"], time_ver(d["updt_time"])]
        if d.get("hilist_code"):
            where += " AND med_list_codg=?"
            args.append(d["hilist_code"])
        total, rows = self.paged(c, (infno, size, where, *args), where, args, ("ver", "med_list_codg"), page, size)
        items = []
        for (doc,) in rows:
            r = json.loads(doc)
            updt = ver_time(str(r.get("ver") or ""))
            item = {"hilist_code": r["med_list_codg"], "insu_admdvs": r["admdvs"], "begndate": r.get("begndate"),
                    "enddate": r.get("enddate"), "vali_flag": "1", "rid": f"{infno}{r['admdvs']}{r['med_list_codg']}",
                    "updt_time": updt, "crter_id": "", "crter_name": "", "crte_time": updt, "crte_optins_no": "",
                    "opter_id": "", "opter_name": "", "opt_time": updt, "optins_no": "", "tabname": "",
                    "poolarea_no": r["admdvs"]}
            if infno == "1318":
                item.update({"hilist_lmtpric_type": "1", "overlmt_dspo_way": "1",
                             "hilist_pric_uplmt_amt": Decimal(str(r[key]))})
            else:
                item.update({"selfpay_prop_psn_type": None, "selfpay_prop_type": None,
                             "selfpay_prop": Decimal(str(r[key]))})
            items.append(item)
        return self.page_answer(page, size, total, items)

    def t1312(self, c, env, inst):
        d = self.data(env)
        self.req(d, "page_num", "page_size")
        try:
            page, size = int(d["page_num"]), int(d["page_size"])
        except (TypeError, ValueError):
            raise Refusal("page_num/page_size 必须是整数") from None
        if page < 1 or not 1 <= size <= 1000:
            raise Refusal("page_num 从1开始，page_size 取1到1000")
        where, args = "admdvs=?", [inst["admdvs"]]
        for key, col in (("hilist_code", "med_list_codg"), ("list_type", "list_type"), ("chrgitm_lv", "chrgitm_lv")):
            if d.get(key):
                where += f" AND {col}=?"
                args.append(d[key])
        if d.get("hilist_name"):
            where += " AND name LIKE ?"
            args.append(f"%{d['hilist_name']}%")
        total, rows = self.paged(c, ("1312", size, where, *args), where, args, ("med_list_codg",), page, size)
        items = []
        for (doc,) in rows:
            r = json.loads(doc)
            items.append({"hilist_code": r["med_list_codg"], "hilist_name": r.get("name"), "insu_admdvs": r["admdvs"],
                          "begndate": r.get("begndate"), "enddate": r.get("enddate"),
                          "med_chrgitm_type": r.get("med_chrgitm_type"), "chrgitm_lv": r.get("chrgitm_lv"),
                          "lmt_used_flag": "0", "list_type": r.get("list_type"), "vali_flag": r.get("vali_flag"),
                          "rid": r.get("rid"), "updt_time": ver_time(str(r.get("ver") or "")), "memo": "",
                          "med_use_flag": None, "matn_used_flag": None, "hilist_use_type": None,
                          "lmt_cpnd_type": None, "wubi": None, "pinyin": None, "poolarea_no": r["admdvs"]})
        pages = (total + size - 1) // size
        return {"firstPage": page == 1, "lastPage": page >= pages, "size": len(items), "startRow": (page - 1) * size + 1,
                "pageSize": size, "pageNum": page, "recordCounts": total, "pages": pages, "data": items}

    # ================================================================ 目录对照 3301 / 3302 / 1316 / 1317
    def check_mapped(self, c, inst, rows: list[dict], entries: dict) -> None:
        """2204/2301: with any valid mapping on file, each line's medins_list_codg must map to its
        med_list_codg — except 目录外 lines (a code not in the catalogue: nothing to map it to; fully self-paid)."""
        code = inst["fixmedins_code"]
        if not c.execute("SELECT 1 FROM mappings WHERE fixmedins_code=? AND vali_flag='1' LIMIT 1", (code,)).fetchone():
            return
        for r in rows:
            if r["med_list_codg"] not in entries:
                continue
            hosp = r.get("medins_list_codg")
            if hosp in (None, ""):
                raise Refusal(f"入参[medins_list_codg]不能为空(费用明细[{r['feedetl_sn']}])")
            m = c.execute("SELECT med_list_codg FROM mappings WHERE fixmedins_code=? AND fixmedins_hilist_id=? "
                          "AND vali_flag='1'", (code, hosp)).fetchone()
            if m is None:
                raise Refusal(f"费用明细[{r['feedetl_sn']}]医药机构目录编码[{hosp}]未对照医保目录，请先上传目录对照(3301)")
            if m[0] != r["med_list_codg"]:
                raise Refusal(f"费用明细[{r['feedetl_sn']}]医药机构目录编码[{hosp}]已对照医疗目录编码[{m[0]}]，"
                              f"与上传的[{r['med_list_codg']}]不符")

    def t3301(self, c, env, inst):
        d = self.data(env)
        self.req(d, "fixmedins_hilist_id", "fixmedins_hilist_name", "list_type", "med_list_codg", "begndate", "enddate")
        code, hosp, nat = inst["fixmedins_code"], str(d["fixmedins_hilist_id"]), str(d["med_list_codg"])
        if len(hosp) > 30:
            raise Refusal("入参[fixmedins_hilist_id]长度不能超过30")
        row = c.execute("SELECT list_type, doc FROM catalog WHERE admdvs=? AND med_list_codg=?",
                        (inst["admdvs"], nat)).fetchone()
        if row is None:
            raise Refusal(f"医疗目录编码[{nat}]在医保目录中不存在或已失效，不能对照")
        if row[0] and row[0] != str(d["list_type"]):
            raise Refusal(f"目录类别[{d['list_type']}]与医保目录[{nat}]的目录类别[{row[0]}]不符")
        old = c.execute("SELECT med_list_codg FROM mappings WHERE fixmedins_code=? AND fixmedins_hilist_id=? "
                        "AND vali_flag='1'", (code, hosp)).fetchone()
        if old is not None and old[0] != nat:
            raise Refusal(f"医药机构目录编码[{hosp}]已对照医疗目录编码[{old[0]}]，请先撤销对照(3302)")
        t = tstr(now())
        doc = {k: d.get(k) for k in ("fixmedins_hilist_id", "fixmedins_hilist_name", "list_type", "med_list_codg",
                                     "begndate", "enddate", "aprvno", "dosform", "exct_cont", "item_cont", "prcunt",
                                     "spec", "pacspec", "memo")}
        rid = f"TR{env['msgid']}"
        c.execute("INSERT OR REPLACE INTO mappings VALUES(?, ?, ?, ?, '1', ?, ?, ?)",
                  (code, hosp, nat, str(d["list_type"]), t, rid, dumps(dict(doc, crte_time=t))))
        return {}

    def t3302(self, c, env, inst):
        d = self.data(env)
        self.req(d, "fixmedins_code", "fixmedins_hilist_id", "list_type", "med_list_codg")
        if d["fixmedins_code"] != inst["fixmedins_code"]:
            raise Refusal(f"入参[fixmedins_code]与报文的定点医药机构编号[{inst['fixmedins_code']}]不一致")
        m = c.execute("SELECT med_list_codg, list_type FROM mappings WHERE fixmedins_code=? AND fixmedins_hilist_id=? "
                      "AND vali_flag='1'", (inst["fixmedins_code"], d["fixmedins_hilist_id"])).fetchone()
        if m is None or m[0] != d["med_list_codg"] or m[1] != str(d["list_type"]):
            raise Refusal(f"未查询到医药机构目录编码[{d['fixmedins_hilist_id']}]与医疗目录编码[{d['med_list_codg']}]"
                          "的有效对照信息")
        c.execute("UPDATE mappings SET vali_flag='0', updt_time=? WHERE fixmedins_code=? AND fixmedins_hilist_id=?",
                  (tstr(now()), inst["fixmedins_code"], d["fixmedins_hilist_id"]))
        return {}

    def _mapping_page(self, c, env, inst, kind: str) -> dict:
        d = self.data(env)
        self.req(d, "insu_admdvs", "vali_flag", "updt_time", "page_num", "page_size")
        try:
            page, size = int(d["page_num"]), int(d["page_size"])
        except (TypeError, ValueError):
            raise Refusal("page_num/page_size 必须是整数") from None
        if page < 1 or not 1 <= size <= 1000:
            raise Refusal("page_num 从1开始，page_size 取1到1000")
        where, args = "fixmedins_code=? AND vali_flag=? AND updt_time>=?", [inst["fixmedins_code"], str(d["vali_flag"]),
                                                                           str(d["updt_time"])]
        nat_key = "hilist_code" if kind == "1316" else "med_list_codg"
        for key, col in (("medins_list_codg", "fixmedins_hilist_id"), (nat_key, "med_list_codg"),
                         ("list_type", "list_type")):
            if d.get(key):
                where += f" AND {col}=?"
                args.append(d[key])
        total = c.execute(f"SELECT COUNT(*) FROM mappings WHERE {where}", args).fetchone()[0]
        rows = c.execute(f"SELECT * FROM mappings WHERE {where} ORDER BY fixmedins_hilist_id LIMIT ? OFFSET ?",
                         (*args, size, (page - 1) * size)).fetchall()
        items = []
        for r in rows:
            doc = json.loads(r["doc"])
            base = {"list_type": r["list_type"], "insu_admdvs": d["insu_admdvs"], "med_list_codg": r["med_list_codg"],
                    "begndate": doc.get("begndate"), "enddate": doc.get("enddate"), "memo": doc.get("memo"),
                    "vali_flag": r["vali_flag"], "rid": r["rid"], "updt_time": r["updt_time"],
                    "crte_time": doc.get("crte_time"), "poolarea_no": inst["admdvs"]}
            if kind == "1316":
                items.append(dict(base, hilist_code=r["med_list_codg"]))
            else:
                items.append(dict(base, fixmedins_code=r["fixmedins_code"], medins_list_codg=r["fixmedins_hilist_id"],
                                  medins_list_name=doc.get("fixmedins_hilist_name"),
                                  **{k: doc.get(k) for k in ("aprvno", "dosform", "exct_cont", "item_cont", "prcunt",
                                                             "spec", "pacspec")}))
        pages = (total + size - 1) // size
        return {"firstPage": page == 1, "lastPage": page >= pages, "size": len(items), "startRow": (page - 1) * size + 1,
                "pageSize": size, "pageNum": page, "recordCounts": total, "pages": pages, "data": items}

    def t1316(self, c, env, inst):
        return self._mapping_page(c, env, inst, "1316")

    def t1317(self, c, env, inst):
        return self._mapping_page(c, env, inst, "1317")

    def t9901(self, c, env, inst):
        d = self.data(env)
        self.req(d, "insuplc_admdvs")
        bundle = self.store.doc("SELECT doc FROM bundles WHERE insuplc_admdvs=?", (d["insuplc_admdvs"],))
        if bundle is None:
            raise Refusal(f"未找到参保地[{d['insuplc_admdvs']}]的待遇政策包")
        canon = json.dumps(bundle, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        mac = hmac.new(inst["sign_secret"].encode(), canon, hashlib.sha256).hexdigest()
        return {"bundle": bundle, "mac": mac, "unchanged": bool(d.get("ver")) and d.get("ver") == bundle.get("ver")}

    # ================================================================ other training endpoints
    #: The Shanghai SE01 / keyboard-wedge variant: the raw QR in data.ecQrCode (reference §6).
    accept_ec_qr: bool = True

    def ec_query(self, body) -> dict:
        """The e-voucher platform behind the SDK (reference §6). National ``ec.query`` carries no QR:
        the person in front of the TRAINING scan box is named in the training-only top-level field
        ``trainingScanBox`` ({"ecQrCode": 28 digits} or {"certno": ...}); the raw ``data.ecQrCode`` is
        accepted only as the configured SE01/wedge variant (``accept_ec_qr``). ``cn.nhsa.ec.auth`` with
        gainWay FACE answers the same person with an ``authNo``; ``localEcTokenCheck`` checks a token."""
        def fail(msg: str, code: int = 1) -> dict:
            return {"code": code, "data": "", "message": msg}

        if not isinstance(body, dict):
            return fail("请求报文必须是JSON对象")
        trans = body.get("transType")
        if trans not in ("ec.query", "cn.nhsa.ec.auth", "localEcTokenCheck"):
            return fail(f"不支持的交易类型[{trans}]，应为 ec.query、cn.nhsa.ec.auth 或 localEcTokenCheck")
        if self.institution(str(body.get("orgId") or "")) is None:
            return fail(f"机构编号[{body.get('orgId')}]未在电子凭证中台登记")
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        box = body.get("trainingScanBox") if isinstance(body.get("trainingScanBox"), dict) else {}
        today = now().strftime("%Y-%m-%d")
        if trans == "localEcTokenCheck":
            tok = str(data.get("ecToken") or "")
            row = self.store.conn().execute("SELECT psn_no FROM ectokens WHERE ec_token=? AND valid_date=?",
                                            (tok, today)).fetchone()
            if row is None:
                return fail("电子凭证令牌(ecToken)无效或已过期，请患者重新出示医保电子凭证")
            return {"code": 0, "data": {"ecToken": tok, "valid": True}, "message": "成功"}
        face = trans == "cn.nhsa.ec.auth"
        if face and str(data.get("gainWay") or "") != "FACE":
            return fail("授权方式(gainWay)应为 FACE（刷脸授权）")
        qr = box.get("ecQrCode") or (None if face else data.get("ecQrCode"))
        if data.get("ecQrCode") and not box and not self.accept_ec_qr:
            return fail("本平台的 ec.query 不接受二维码内容(ecQrCode)，请通过电子凭证SDK和扫码盒识别")
        certno = box.get("certno")
        if not qr and not certno:
            if box:
                return fail("扫码盒未读到医保电子凭证或人脸，请患者重新出示")
            if "ecQrCode" in data:
                return fail("电子凭证二维码(ecQrCode)不能为空")
            return fail("扫码盒前没有出示医保电子凭证的人员（培训：请在培训扫码盒中选择培训人员）")
        with self.store.lock:
            c = self.store.conn()
            if qr:
                row = c.execute("SELECT psn_no FROM people WHERE ecqr=?", (str(qr),)).fetchone()
            else:
                row = c.execute("SELECT psn_no FROM people WHERE certno=?", (str(certno),)).fetchone()
            if row is None:
                return fail("人脸识别未通过：未找到该人员的医保电子凭证" if face else
                            "电子凭证二维码无效或已过期，请患者在医保App中刷新二维码后重新出示")
            p = self.person(c, row[0])
            t = c.execute("SELECT ec_token FROM ectokens WHERE psn_no=? AND valid_date=?", (p["psn_no"], today)).fetchone()
            if t is None:
                adm = (p.get("insuinfo") or [{}])[0].get("insuplc_admdvs") or p["certno"][:6]
                token = adm + "ec" + secrets.token_hex(15)
                c.execute("INSERT INTO ectokens VALUES(?, ?, ?)", (token, p["psn_no"], today))
            else:
                token = t[0]
            ec_code = c.execute("SELECT ecqr FROM people WHERE psn_no=?", (p["psn_no"],)).fetchone()[0]
        ins = (p.get("insuinfo") or [{}])[0]
        payload = {"userName": p.get("psn_name"), "idNo": p["certno"], "idType": p.get("psn_cert_type") or "01",
                   "insuOrg": ins.get("insuplc_admdvs"), "ecIndexNo": hashlib.md5(p["psn_no"].encode()).hexdigest().upper(),
                   "ecToken": token, "gender": p.get("gend"), "birthday": (p.get("brdy") or "").replace("-", "."),
                   "nationality": "CHN", "email": None,
                   "chnlId": hashlib.md5((p["psn_no"] + ":chnl").encode()).hexdigest().upper(),
                   "ecQrCode": None if face else ec_code,
                   "authNo": ("AUTH" + secrets.token_hex(14).upper()) if face else None}
        if "ecQrCode" in data and not box:   # SE01/wedge variant: the data as a JSON string, as before
            return {"code": 0, "data": json.dumps(payload, ensure_ascii=False), "message": "成功"}
        return {"code": 0, "type": "success", "data": payload, "message": "成功"}

    def training_cards(self, limit: int = 40) -> dict:
        """The training card deck (the cards handed out with the training devices): holder, masked
        ID number, insured place and the card's reader output, for the window's card picker."""
        from client.domain.masking import mask_certno

        out = []
        for (doc,) in self.store.conn().execute("SELECT doc FROM people ORDER BY rowid LIMIT ?", (int(limit),)):
            d = json.loads(doc)
            card = (d.get("card") or {}).get("card_data")
            if not card:
                continue
            ins = (d.get("insuinfo") or [{}])[0]
            out.append({"psn_name": d.get("psn_name"), "certno_masked": mask_certno(d.get("certno")),
                        "insuplc_admdvs": ins.get("insuplc_admdvs") or "", "card_data": card})
        return {"code": 0, "data": out, "message": "成功"}

    def his_pending(self, body) -> dict:
        if not isinstance(body, dict) or self.institution(str(body.get("fixmedins_code") or "")) is None:
            return {"code": 1, "data": [], "message": "机构编号(fixmedins_code)缺失或不存在"}
        c = self.store.conn()
        certno = body.get("certno")
        if not certno and body.get("psn_no"):
            r = c.execute("SELECT certno FROM people WHERE psn_no=?", (body["psn_no"],)).fetchone()
            certno = r[0] if r else None
        if not certno:
            return {"code": 1, "data": [], "message": "请提供患者身份证号(certno)或人员编号(psn_no)"}
        visits = self.store.doc("SELECT doc FROM his_charges WHERE certno=?", (str(certno).upper(),)) or []
        pending = []
        for v in visits:
            if v.get("fixmedins_code") not in (None, body["fixmedins_code"]):
                continue  # a bill of another hospital: its lines use that hospital's catalogue
            paid = c.execute("SELECT 1 FROM his_paid WHERE fixmedins_code=? AND ipt_otp_no=?",
                             (body["fixmedins_code"], v.get("ipt_otp_no"))).fetchone()
            done = paid or c.execute("SELECT 1 FROM visits v JOIN settlements s ON s.mdtrt_id=v.mdtrt_id "
                                     "WHERE v.fixmedins_code=? AND v.ipt_otp_no=? AND s.kind='setl' AND s.reversed=0 "
                                     "AND v.status!='cancelled'", (body["fixmedins_code"], v.get("ipt_otp_no"))).fetchone()
            if not done:
                pending.append(v)
        return {"code": 0, "data": pending, "message": "成功"}

    def his_stay_fees(self, body) -> dict:
        """Demo HIS, in-stay patients (住院): ``{fixmedins_code, certno | ipt_no, day?}`` → the stay
        (ipt_no, adm_time, dept, bed, doctor, diagnosis, ndays) and the fee lines of ``day`` (1-based
        day of the stay; none = every day so far). Day k of an N-day demo stay is dated today − (N − k)
        (training convention: the stay is always in progress, its last day today)."""
        if not isinstance(body, dict) or self.institution(str(body.get("fixmedins_code") or "")) is None:
            return {"code": 1, "data": None, "message": "机构编号(fixmedins_code)缺失或不存在"}
        code = body["fixmedins_code"]
        stays = []
        for row in self.store.conn().execute("SELECT certno, doc FROM his_stays"):
            for st in json.loads(row[1]):
                if st.get("fixmedins_code") == code and (body.get("certno") == row[0] or body.get("ipt_no") == st["ipt_no"]):
                    stays.append((row[0], st))
        if not stays:
            return {"code": 1, "data": None, "message": "HIS中没有该患者的在院记录"}
        certno, st = stays[0]
        n = len(st["days"])
        first = dt.date.today() - dt.timedelta(days=n - 1)

        def dated(s: str) -> str:
            k, at = s.split(" ", 1)
            return f"{(first + dt.timedelta(days=int(k[1:]))).isoformat()} {at}"

        want = body.get("day")
        if want not in (None, ""):
            try:
                k = int(want)
            except (TypeError, ValueError):
                return {"code": 1, "data": None, "message": f"住院日[{want}]必须是整数"}
            if not 1 <= k <= n:
                return {"code": 1, "data": None, "message": f"住院日[{want}]超出范围(1-{n})"}
            days = [k]
        else:
            days = list(range(1, n + 1))
        lines = [dict(ln, fee_ocur_time=dated(ln["fee_ocur_time"])) for k in days for ln in st["days"][k - 1]]
        head = {k: v for k, v in st.items() if k != "days"}
        return {"code": 0, "message": "成功",
                "data": dict(head, certno=certno, adm_time=dated(st["adm_time"]), ndays=n, days=days, lines=lines)}

    def his_mark_paid(self, body, *, paid: bool) -> dict:
        """Demo HIS: the window reports bills paid after their settlement (``chargeConfirm``) or unpaid
        again after its reversal (``chargeCancel``). Unknown bills are refused, as a HIS would."""
        if not isinstance(body, dict) or self.institution(str(body.get("fixmedins_code") or "")) is None:
            return {"code": 1, "data": None, "message": "机构编号(fixmedins_code)缺失或不存在"}
        bills = body.get("ipt_otp_nos")
        if not isinstance(bills, list) or not bills or not all(isinstance(b, str) and b for b in bills):
            return {"code": 1, "data": None, "message": "单据号(ipt_otp_nos)必须是非空的单据号列表"}
        code = body["fixmedins_code"]
        known = {v.get("ipt_otp_no") for row in self.store.conn().execute("SELECT doc FROM his_charges")
                 for v in json.loads(row[0]) if v.get("fixmedins_code") in (None, code)}
        unknown = [b for b in bills if b not in known]
        if unknown:
            return {"code": 1, "data": None, "message": f"HIS中没有单据{'、'.join(unknown)}"}
        with self.store.lock:
            c = self.store.conn()
            for b in bills:
                if paid:
                    c.execute("INSERT OR REPLACE INTO his_paid(fixmedins_code, ipt_otp_no, setl_id, medins_setl_id, "
                              "paid_at) VALUES (?, ?, ?, ?, ?)", (code, b, str(body.get("setl_id") or ""),
                                                                  str(body.get("medins_setl_id") or ""), tstr(now())))
                else:
                    c.execute("DELETE FROM his_paid WHERE fixmedins_code=? AND ipt_otp_no=?", (code, b))
            c.commit()
        return {"code": 0, "data": {"ipt_otp_nos": bills, "paid": paid}, "message": "成功"}

    def einv_allocate(self, body) -> dict:
        if not isinstance(body, dict):
            return {"code": 1, "data": None, "message": "请求报文必须是JSON对象"}
        code = str(body.get("fixmedins_code") or "")
        cfg = self.store.doc("SELECT doc FROM einvoice_cfg WHERE fixmedins_code=?", (code,))
        if cfg is None:
            return {"code": 1, "data": None, "message": f"开票单位[{code}]未在财政电子票据平台登记"}
        try:
            count = int(body.get("count"))
        except (TypeError, ValueError):
            count = 0
        if not 1 <= count <= 100000:
            return {"code": 1, "data": None, "message": "申领数量(count)应为1到100000的整数"}
        window = str(body.get("window") or "")
        if not window:
            return {"code": 1, "data": None, "message": "窗口号(window)不能为空"}
        with self.store.lock:
            c = self.store.conn()
            c.execute("BEGIN IMMEDIATE")
            try:
                last = c.execute("SELECT MAX(end_no) FROM einv_ranges WHERE code=?", (cfg["EInvoiceCode"],)).fetchone()[0] or 0
                start, end = last + 1, last + count
                if end > 9999999999:
                    raise Refusal("票据号码已用尽")
                c.execute("INSERT INTO einv_ranges(fixmedins_code, window, code, start_no, end_no, created) "
                          "VALUES(?, ?, ?, ?, ?, ?)", (code, window, cfg["EInvoiceCode"], start, end, tstr(now())))
                c.execute("COMMIT")
            except Refusal as r:
                c.execute("ROLLBACK")
                return {"code": 1, "data": None, "message": r.message}
            except BaseException:
                c.execute("ROLLBACK")
                raise
        return {"code": 0, "message": "成功",
                "data": {"EInvoiceCode": cfg["EInvoiceCode"], "EInvoiceSpecimenCode": cfg.get("EInvoiceSpecimenCode"),
                         "SupervisorAreaCode": cfg.get("SupervisorAreaCode"), "window": window,
                         "start": f"{start:010d}", "end": f"{end:010d}", "count": count}}

    def einv_issue(self, rec) -> dict:
        def fail(msg):
            return {"code": 1, "data": None, "message": msg}

        if not isinstance(rec, dict):
            return fail("票据数据必须是JSON对象")
        code, number = str(rec.get("EInvoiceCode") or ""), str(rec.get("EInvoiceNumber") or "")
        if not re.fullmatch(r"\d{8}", code) or not re.fullmatch(r"\d{10}", number):
            return fail("票据代码应为8位数字、票据号码应为10位数字")
        try:
            total = D(rec.get("TotalAmount"), "TotalAmount")
        except Refusal as r:
            return fail(r.message)
        rnd = rec.get("RandomNumber")
        if rnd not in (None, "") and not re.fullmatch(r"[0-9a-z]{6}", str(rnd)):
            return fail("校验码(RandomNumber)应为6位小写字母或数字")
        ext = rec.get("MainExt") if isinstance(rec.get("MainExt"), dict) else {}
        rel_code = rec.get("RelatedInvoiceCode") or ext.get("RelatedInvoiceCode")
        rel_no = rec.get("RelatedInvoiceNumber") or ext.get("RelatedInvoiceNumber")
        body = {k: v for k, v in rec.items() if k != "RandomNumber"}
        with self.store.lock:
            c = self.store.conn()
            prev = c.execute("SELECT doc, response FROM einv_issued WHERE code=? AND number=?", (code, number)).fetchone()
            if prev is not None:
                if json.loads(prev["doc"]) == body:
                    return json.loads(prev["response"])
                return fail(f"票据号码[{code}-{number}]已使用，请使用下一个号码")
            rng = c.execute("SELECT fixmedins_code FROM einv_ranges WHERE code=? AND ? BETWEEN start_no AND end_no",
                            (code, int(number))).fetchone()
            if rng is None:
                return fail(f"票据号码[{code}-{number}]不在已申领的号段内，请先申领票据号段")
            if rel_no:
                orig = c.execute("SELECT doc, red_of, reddened FROM einv_issued WHERE code=? AND number=?",
                                 (str(rel_code or code), str(rel_no))).fetchone()
                if orig is None:
                    return fail(f"红字票据对应的原票据[{rel_code}-{rel_no}]未开具，不能冲红")
                if orig["red_of"]:
                    return fail("红字票据不能再冲红")
                if orig["reddened"]:
                    return fail(f"原票据[{rel_code}-{rel_no}]已冲红，不能重复冲红")
                otot = D(json.loads(orig["doc"]).get("TotalAmount"), "TotalAmount")
                if total != -otot:
                    return fail(f"红字票据金额应为原票据金额的负数(-{f2(otot)})")
            elif total < 0:
                return fail("蓝字票据金额不能为负数；冲红请填写原票据代码和号码(RelatedInvoiceCode/RelatedInvoiceNumber)")
            check = str(rnd) if rnd else "".join(secrets.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(6))
            t = now()
            resp = {"code": 0, "message": "成功",
                    "data": {"EInvoiceCode": code, "EInvoiceNumber": number, "RandomNumber": check,
                             "IssueDate": t.strftime("%Y%m%d"), "IssueTime": t.strftime("%H:%M:%S"),
                             "TotalAmount": f2(total), "red": bool(rel_no)}}
            c.execute("BEGIN IMMEDIATE")
            try:
                c.execute("INSERT INTO einv_issued VALUES(?, ?, ?, ?, ?, 0, ?, ?)",
                          (code, number, rng[0], check, f"{rel_code or code}-{rel_no}" if rel_no else None,
                           dumps(body), dumps(resp)))
                if rel_no:
                    c.execute("UPDATE einv_issued SET reddened=1 WHERE code=? AND number=?", (str(rel_code or code), str(rel_no)))
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
        return resp


# ==================================================================== the real answer shape
# The platform keeps amounts as exact strings internally (its store and its arithmetic); on the wire it
# answers in the shape real platforms use (tests/fixtures/real/, reference §1.2/§5): amounts, ratios,
# counts and ages as JSON NUMBERS (exact: Decimal, written with the same digits), null where real
# answers have null (empty envelope fields, empty optional scalars of setldetail/insuinfo/baseinfo),
# and a few fields real answers carry beyond the documented ones (enctype, expContent, exp_content).
WIRE_NUMBER_FIELDS = frozenset({
    "balc", "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
    "act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay",
    "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "hosp_part_amt", "acct_mulaid_pay",
    "psn_pay", "cash_payamt", "det_item_fee_sumamt", "pric_uplmt_amt", "overlmt_amt", "crt_payb_lmt_amt",
    "fund_payamt", "cum", "pool_prop_selfpay", "selfpay_prop", "cnt", "pric", "age",
})
_NUMBER_TEXT = re.compile(r"^-?\d+(\.\d+)?$")
# scalars that real answers send as null when there is nothing (2207/2208/1101 recordings)
_NULL_WHEN_EMPTY = frozenset({"setl_proc_info", "crt_payb_lmt_amt", "paus_insu_date", "memo", "exp_content",
                              "list_sp_item_flag", "chld_medc_flag", "fund_pay_type_name"})
_ENVELOPE_NULLS = ("warn_msg", "cainfo", "signtype")


def _wire_value(key: str | None, v):
    if isinstance(v, dict):
        return {k: _wire_value(k, x) for k, x in v.items()}
    if isinstance(v, list):
        return [_wire_value(key, x) for x in v]
    if key in WIRE_NUMBER_FIELDS and isinstance(v, str):
        if _NUMBER_TEXT.match(v.strip()):
            return Decimal(v.strip())
        if v == "":
            return None
    if key in _NULL_WHEN_EMPTY and v == "":
        return None
    return v


def real_shape(resp: dict) -> dict:
    """The answer as real platforms write it (see above). ``resp`` is not changed."""
    if not isinstance(resp, dict) or "infcode" not in resp:
        return resp
    out = dict(resp)
    for k in _ENVELOPE_NULLS:
        if out.get(k) == "":
            out[k] = None
    out.setdefault("enctype", "")
    output = out.get("output")
    if out.get("infcode") not in (0, "0") and output in ({}, "", None):
        out["output"] = None                               # 2601 recording: refusals carry output null
    elif isinstance(output, dict):
        output = _wire_value(None, output)
        if "setlinfo" in output:
            output.setdefault("expContent", None)          # 2207/2208 recordings
        base = output.get("baseinfo")
        if isinstance(base, dict):
            base.setdefault("exp_content", None)           # 1101 recording
        out["output"] = output
    return out
