"""Checkout at one billing window: outpatient and inpatient-discharge settlement, reversal, ledger.

One :class:`Counter` per window (not thread-safe: the window runs it on its database worker).

Outpatient::

    c = Counter(ctx, his=HttpHisAdapter(...))
    view = c.identify_certno("330421198503150016")   # or identify_ecqr / identify_card / identify_scan
    c.start_outpatient(med_type="11")
    c.add_line("XJ01CRA006A001010104041", "2")       # or c.load_fees(path) / c.load_his()
    c.preview()                                      # LOCAL engine settlement (cached catalogue + bundle)
    trial = c.presettle(acct_used_flag="0")          # 2201 → 2203 → 2204 → 2206, compared with the preview
    record = c.settle([Tender("cash", Decimal("200"))])   # 2207; payments must cover psn_cash_pay exactly

Inpatient discharge: ``start_inpatient(...)`` (2401 at presettle, or ``mdtrt_id=`` to attach to an
existing admission) → lines → ``presettle()`` (2301 in batches of ≤ 50, 2402 discharge, 2303) →
``settle()`` (2304). Reversal (same day): ``reverse(setl_id, authorization)`` (2208 / 2305).

DURABLE BEFORE NETWORK — before every state-changing call the msgid is generated and a local row
holding it is COMMITTED; only then is the call made:

=========  ===============================================  ============================================
infno      committed before the call                        after the call
=========  ===============================================  ============================================
2201/2401  visits row state 'open', reg_msgid                mdtrt_id, state 'registered'
2203/2402  visits.mdtrt_msgid                                (2402: visits.endtime)
2204/2301  fee_lines rows (uploaded 0, chrg_bchno = msgid),  split of each line, uploaded 1, visit
           visits.upload_msgid                               state 'uploaded'
2207/2304  settlements row state 'sent', msgid               state 'confirmed' + setlinfo/setldetail +
           (the platform's medins_setl_id)                   payments, visit 'settled' — one transaction
2208/2305  settlements.revoke_msgid (+ who authorised)       state 'reversed', refund payments
=========  ===============================================  ============================================

An answer lost in transit (``TransportError.outcome_unknown``) marks the settlement 'unknown' (a
reversal: state 'unknown' with revoke_msgid set; a visit step: the visit row keeps its msgid) and
raises ServiceError('unknown'); recovery (client.services.recovery) resolves it the real way: a lost
2207/2304 is reversed by 2601 冲正 with a fresh msgid (then the patient is settled again), a lost
2208/2305 is decided by 5203 with its real inputs — a msgid is never sent twice. A refusal (infcode −1) marks the settlement 'failed' and keeps err_msg
verbatim in ``preview_json.error``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from client.api import ApiError, BusinessError, TransportError
from client.api.transactions import (
    AdmissionInfo,
    Admit,
    CancelInpatientSettle,
    CancelSettle,
    Diagnosis,
    Discharge,
    DischargeInfo,
    FeeDetail,
    InpatientDiagnosis,
    InpatientPreSettle,
    InpatientSettle,
    PreSettle,
    Register,
    Settle,
    SettleResult,
    UploadFees,
    UploadInpatientFees,
    UploadVisit,
    VisitInfo,
)
from client.domain import casebuild, engine
from client.domain.money import fmt2, q2
from client.domain.opsp import OPSP_MED_TYPE, DrugListError, filings_valid_on, load_drug_list, outside_list
from offline_cache import settlements as lifecycle
from offline_cache.jsonutil import jsonable

from .context import ServiceContext
from .drills import kill_point
from .errors import ServiceError, send_central, translate_store_errors
from .fees import FeeInput, HisAdapter, HisVisit, load_fee_file
from .identify import IdentifiedPerson, IdentifyService, PersonView
from .payments import PaymentLine, Tender, allocate, require_references

log = logging.getLogger("client.services.checkout")

MONEY_FIELDS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                "act_pay_dedc", "hifp_pay", "pool_prop_selfpay", "cvlserv_pay", "hifes_pay", "hifmi_pay",
                "hifob_pay", "maf_pay", "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay",
                "hosp_part_amt", "balc", "acct_mulaid_pay")
BATCH = 50
DEFAULT_DIAG = ("Z00.000", "一般性医学检查")
INPATIENT_MED_TYPES = frozenset({"21", "22", "52", "2114", "2101"})
KILL_ENV = "MEDSETTLE_KILL_AT"       # training drills only: SIGKILL this process at a named step
# Outpatient kill points (tests/integration/test_chronic_kill.py), each right after the step named:
# 2201.registered, 2203.answered, 2204.answered, 2206.answered, 2207.prepared (row + msgid committed,
# not sent), 2207.answered (the answer here, not saved), 2207.confirmed (saved, before invoice/receipt).


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _visit_no(prefix: str, fixmedins_code: str, now: datetime) -> str:
    """A visit number unique in practice: prefix + institution tail + time + 4 random hex digits (26 chars)."""
    import secrets

    return f"{prefix}{fixmedins_code[-6:]}{now:%Y%m%d%H%M%S}{secrets.token_hex(2).upper()}"


def is_inpatient_med_type(med_type: str) -> bool:
    return med_type in INPATIENT_MED_TYPES or med_type.startswith("2")


@dataclass
class Line:
    code: str
    name: str
    cnt: Decimal
    pric: Decimal
    amount: Decimal
    spec: str = ""
    unit: str = ""
    off_catalog: bool = False
    extra: dict = field(default_factory=dict)
    fee_line_id: int | None = None       # set once written locally (upload)
    feedetl_sn: str = ""
    split: dict = field(default_factory=dict)
    hosp_code: str = ""                  # medins_list_codg: the hospital's own code ("" = the national code)

    @property
    def medins_list_codg(self) -> str:
        return self.hosp_code or self.code

    def to_dict(self) -> dict:
        d = {"feedetl_sn": self.feedetl_sn, "code": self.code, "medins_list_codg": self.medins_list_codg,
             "name": self.name, "spec": self.spec, "unit": self.unit,
             "cnt": format(self.cnt.normalize(), "f"), "pric": format(self.pric, "f"),
             "det_item_fee_sumamt": fmt2(self.amount), "off_catalog": self.off_catalog,
             "uploaded": self.fee_line_id is not None and bool(self.split)}
        if self.split:
            d["split"] = self.split
        return d


@dataclass
class Presettlement:
    setlinfo: dict
    setldetail: list
    preview: dict | None
    differences: list[dict]
    warnings: list[str]
    acct_used_flag: str
    result: Any = field(default=None, repr=False)      # SettleResult
    request: Any = field(default=None, repr=False)
    prechecks: list = field(default_factory=list)       # client.domain.prechecks.PrecheckWarning (事前提醒)
    acknowledged: set = field(default_factory=set, repr=False)   # keys of the acknowledged ones

    @property
    def pending_prechecks(self) -> list:
        """The 事前提醒 not yet acknowledged by the operator (settle() refuses while there are any)."""
        return [w for w in self.prechecks if _precheck_key(w) not in self.acknowledged]

    @property
    def psn_cash_pay(self) -> Decimal:
        return Decimal(str(self.setlinfo.get("psn_cash_pay") or "0.00"))

    def to_dict(self) -> dict:
        return {"setlinfo": self.setlinfo, "setldetail": self.setldetail, "preview": self.preview,
                "differences": self.differences, "warnings": self.warnings, "acct_used_flag": self.acct_used_flag,
                "prechecks": [dict(w.as_dict(), acknowledged=_precheck_key(w) in self.acknowledged)
                              for w in self.prechecks]}


def _precheck_key(w: Any) -> tuple:
    return (w.code, w.item_code, tuple(w.line_refs), w.message)



class Counter:
    """The checkout service object of one billing window (see module docstring)."""

    on_pay_wait = None      # USERPAYING: called with the out_trade_no while polling; False = cancel (Esc)

    def __init__(self, ctx: ServiceContext, his: HisAdapter | None = None, window: str = ""):
        self.ctx = ctx
        self.his = his
        self.window = window or (ctx.settings.window_id or "")
        self.identifier = IdentifyService(ctx)
        self.reset()

    def reset(self) -> None:
        """Forget the current patient (a new customer at the window)."""
        self.person: IdentifiedPerson | None = None
        self.kind: str | None = None
        self.med_type = "11"
        self.visit_params: dict = {}
        self.opsp: dict | None = None            # 门诊慢特病: the chosen 5301 filing (opsp_dise_code, opsp_dise_name)
        self.lines: list[Line] = []
        self.visit_id: int | None = None
        self.mdtrt_id: str | None = None
        self.discharged = False
        self.trial: Presettlement | None = None
        self.warnings: list[str] = []
        self.prechecks: list = []
        self._acked: set = set()
        self._ack_by = ""
        self._sn = 0
        self.settled: dict | None = None          # the settlement record once this case is settled
        self.his_bills: list[HisVisit] = []       # the HIS bills taken into this case
        self.his_left: list[HisVisit] = []        # the patient's unpaid HIS bills not taken

    def _need_open_case(self) -> None:
        """Nothing may change a settled case: the next patient starts with a reset (window: Esc)."""
        if self.settled is not None:
            raise ServiceError("invalid_input", f"本次已结算（结算号 {self.settled.get('setl_id') or self.settled.get('msgid')}），"
                                                "不能再添加费用或重新预结算。请按 Esc 接待下一位患者；需要撤销或补打请在今日结算（F7）中选择。")

    # ------------------------------------------------------------------------ identification
    @translate_store_errors
    def identify_ecqr(self, payload: str) -> PersonView:
        return self._set_person(self.identifier.by_ecqr(payload))

    @translate_store_errors
    def identify_card(self, card_data: str) -> PersonView:
        return self._set_person(self.identifier.by_card(card_data))

    @translate_store_errors
    def identify_certno(self, certno: str) -> PersonView:
        return self._set_person(self.identifier.by_certno(certno))

    @translate_store_errors
    def identify_device(self, device, method: str) -> PersonView:
        """Identify through a device (client.devices.identify); the view names the method."""
        return self._set_person(self.identifier.by_device(device, method))

    @translate_store_errors
    def identify_scan(self, text: str) -> PersonView:
        return self._set_person(self.identifier.by_scan(text))

    def _set_person(self, p: IdentifiedPerson) -> PersonView:
        self.reset()
        self.person = p
        return p.view

    def _need_person(self) -> IdentifiedPerson:
        if self.person is None:
            raise ServiceError("invalid_input", "请先识别患者（扫医保码、读社保卡或输入身份证号）。")
        return self.person

    # ------------------------------------------------------------------------ visit
    def _check_insured(self, p: IdentifiedPerson) -> None:
        if p.view.suspended:
            raise ServiceError("refused", p.view.warnings[0] if p.view.warnings else "该参保人暂停参保，不能医保结算。")
        if p.view.from_cache:
            raise ServiceError("offline", "医保中心暂时无法连接，当前为缓存信息，不能联网结算。请稍后重试。")

    @translate_store_errors
    def start_outpatient(self, med_type: str = "11", *, ipt_otp_no: str | None = None, begntime: str | None = None,
                         dept_code: str = "A03", dept_name: str = "内科", dr_code: str = "D0001",
                         dr_name: str = "门诊医师", diag_code: str | None = None, diag_name: str | None = None,
                         disease: str | None = None) -> None:
        """An outpatient visit. ``med_type`` 14 (门诊慢特病) needs a 5301 filing valid on the visit date
        (refused otherwise, before anything is sent); ``disease`` picks the filed disease, else the only
        one or the one the HIS diagnosis names is taken — several and none named: ``choose_disease()``
        before presettle."""
        p = self._need_person()
        self._need_open_case()
        self._check_insured(p)
        if is_inpatient_med_type(med_type):
            raise ServiceError("invalid_input", f"医疗类别 {med_type} 是住院类别，请用住院出院结算流程。")
        now = _now()
        self.kind, self.med_type = "outpatient", med_type
        self.visit_params = {"ipt_otp_no": ipt_otp_no or _visit_no("MZ", self.ctx.fixmedins_code, now),
                             "begntime": begntime or _ts(now), "dept_code": dept_code, "dept_name": dept_name,
                             "dr_code": dr_code, "dr_name": dr_name,
                             "diag_code": diag_code or DEFAULT_DIAG[0], "diag_name": diag_name or DEFAULT_DIAG[1]}
        self.opsp = None
        if med_type == OPSP_MED_TYPE:
            filed = self.chronic_filings()
            if not filed:
                self.kind = None
                raise ServiceError("refused", f"该参保人在就诊日（{self.visit_date}）没有有效的门诊慢特病备案（5301），"
                                              "不能按门诊慢特病（医疗类别 14）结算。请改选普通门诊，或先到医保经办机构办理慢特病备案。")
            pick = disease or next((f["opsp_dise_code"] for f in filed if f["opsp_dise_code"] == diag_code), None)
            if pick is None and len(filed) == 1:
                pick = filed[0]["opsp_dise_code"]
            if pick is not None:
                try:
                    self.choose_disease(pick)
                except ServiceError:
                    self.kind = None
                    raise

    def chronic_filings(self) -> list[dict]:
        """The patient's 门诊慢特病 filings (5301) valid on the visit date."""
        p = self._need_person()
        return filings_valid_on(p.chronic, self.visit_date)

    @translate_store_errors
    def choose_disease(self, code: str) -> dict:
        """门诊慢特病: settle under the filed disease ``code`` (must be valid on the visit date and in the
        synced 1309 catalogue). 2203 then carries it in dise_codg / dise_name."""
        self._need_open_case()
        if self.med_type != OPSP_MED_TYPE or self.kind != "outpatient":
            raise ServiceError("invalid_input", "只有门诊慢特病（医疗类别 14）需要选择病种。")
        if self.mdtrt_id is not None:
            raise ServiceError("invalid_input", "就诊信息已上传医保中心，不能再更换病种。")
        filed = self.chronic_filings()
        f = next((x for x in filed if x["opsp_dise_code"] == code), None)
        if f is None:
            names = "、".join(f"{x['opsp_dise_code']} {x['opsp_dise_name']}" for x in filed) or "无"
            raise ServiceError("invalid_input", f"病种“{code}”不是该参保人在就诊日有效的慢特病备案病种（有效备案：{names}）。")
        with self.ctx.store.read_connection() as conn:
            n = conn.exec_driver_sql("SELECT COUNT(*) FROM catalog_dise WHERE infno = '1309'").scalar_one()
            row = conn.exec_driver_sql("SELECT name, vali_flag FROM catalog_dise WHERE infno = '1309' AND code = ?",
                                       (code,)).first()
        if not n:
            raise ServiceError("invalid_input", "本机还没有门诊慢特病种目录（1309），请先同步目录（medsettle sync）后再按慢特病结算。")
        if row is None or str(row[1] or "1") != "1":
            raise ServiceError("invalid_input", f"病种“{code} {f['opsp_dise_name']}”不在本地门诊慢特病种目录（1309）中或已失效，"
                                                "不能按慢特病结算。请同步目录后重试，或联系医保办核实。")
        self.opsp = {"opsp_dise_code": code, "opsp_dise_name": f["opsp_dise_name"] or (row[0] or "")}
        if self.visit_id is not None:     # a visit row written before (2201 not answered yet): keep it in step
            self._exec("UPDATE visits SET opsp_dise_code = ?, opsp_dise_name = ?, updated_at = ? WHERE id = ?",
                       (code, self.opsp["opsp_dise_name"], _now(), self.visit_id))
        self.trial = None
        self.prechecks = []
        return dict(self.opsp)

    def _need_disease(self) -> None:
        if self.kind == "outpatient" and self.med_type == OPSP_MED_TYPE and self.opsp is None:
            names = "、".join(f"{x['opsp_dise_code']} {x['opsp_dise_name']}" for x in self.chronic_filings())
            raise ServiceError("invalid_input", f"门诊慢特病结算请先选择备案病种（{names}）。")

    def _opsp_drug_warnings(self) -> list:
        """事前提醒 opsp_drug_outside: drug lines outside the chosen disease's drug list, when a list is
        configured ([catalog] opsp_drug_list; training: the shipped training list) and has the disease."""
        from client.domain.prechecks import PrecheckWarning

        if self.opsp is None:
            return []
        path = self.ctx.settings.catalog.opsp_drug_list
        if not path and self.ctx.settings.training.enabled:
            from client.resources import resource

            path = str(resource("opsp-drug-list.training.json"))
        if not path:
            return []
        try:
            lists = load_drug_list(path)
        except DrugListError as exc:
            return [PrecheckWarning("opsp_drug_outside", "info", f"{exc}；未能检查慢特病用药范围。")]
        codes = lists.get(self.opsp["opsp_dise_code"])
        if codes is None:
            return []
        rows = []
        for i, ln in enumerate(self.lines, 1):
            item = None if ln.off_catalog else self._catalog_item(ln.code)
            rows.append({"code": ln.code, "name": ln.name, "sn": str(i),
                         "med_chrgitm_type": getattr(item, "med_chrgitm_type", None)})
        name = self.opsp["opsp_dise_name"]
        return [PrecheckWarning("opsp_drug_outside", "medium",
                                f"第{r['sn']}行“{r['name']}”不在慢特病“{name}”的用药范围内，可能不能按慢特病待遇支付。"
                                "请与医生核实，或改按普通门诊结算该药品。", (r["sn"],), r["code"])
                for r in outside_list(rows, codes)]

    @translate_store_errors
    def start_inpatient(self, *, med_type: str = "21", ipt_no: str | None = None, begntime: str | None = None,
                        mdtrt_id: str | None = None, dept_code: str = "A03", dept_name: str = "内科",
                        dr_code: str = "D0001", dr_name: str = "住院医师", bed: str = "01",
                        diag_code: str | None = None, diag_name: str | None = None,
                        endtime: str | None = None, dscg_way: str = "1") -> None:
        """Inpatient discharge settlement: admits (2401) at presettle, or attaches to ``mdtrt_id``."""
        p = self._need_person()
        self._need_open_case()
        self._check_insured(p)
        now = _now()
        self.kind, self.med_type = "inpatient", med_type
        self.mdtrt_id = mdtrt_id
        self.visit_params = {"ipt_otp_no": ipt_no or _visit_no("ZY", self.ctx.fixmedins_code, now),
                             "begntime": begntime or _ts(now), "dept_code": dept_code, "dept_name": dept_name,
                             "dr_code": dr_code, "dr_name": dr_name, "bed": bed,
                             "diag_code": diag_code or DEFAULT_DIAG[0], "diag_name": diag_name or DEFAULT_DIAG[1],
                             "endtime": endtime, "dscg_way": dscg_way}

    def _need_visit(self) -> None:
        self._need_person()
        if self.kind is None:
            raise ServiceError("invalid_input", "请先开始门诊结算或住院出院结算（选择医疗类别）。")

    @property
    def visit_date(self) -> str:
        return str(self.visit_params.get("begntime") or _ts(_now()))[:10]

    # ------------------------------------------------------------------------ charges
    def _catalog_item(self, code: str):
        from offline_cache.catalog import get_item

        return get_item(self.ctx.store, self.ctx.admdvs, code, at=date.fromisoformat(self.visit_date))

    def _make_line(self, fi: FeeInput, *, allow_off_catalog: bool) -> Line:
        from . import mapping

        codes = mapping.resolve_line(self.ctx.store, hosp_code=fi.hosp_code, national=fi.code, name=fi.name,
                                     where=fi.where)
        if (codes.med_list_codg, codes.medins_list_codg) != (fi.code, fi.hosp_code or fi.code):
            fi = FeeInput(codes.med_list_codg, fi.cnt, fi.pric, fi.name, fi.where, fi.extra, codes.medins_list_codg)
        item = self._catalog_item(fi.code)
        if item is None:
            if not allow_off_catalog:
                raise ServiceError("invalid_input", f"{fi.where + '：' if fi.where else ''}医疗目录编码“{fi.code}”不在本院"
                                                    f"（{self.ctx.admdvs}）的有效目录中，请核对编码，或先同步目录（medsettle sync）。")
            if fi.pric is None:
                raise ServiceError("invalid_input", f"{fi.where}：目录外项目“{fi.code}”没有单价。")
            pric, name, spec, unit, off = fi.pric, fi.name or fi.code, "", "", True
        else:
            pric = fi.pric if fi.pric is not None else item.pric
            if pric is None:
                raise ServiceError("invalid_input", f"{fi.where + '：' if fi.where else ''}目录中“{item.name}”没有价格，请指定单价。")
            name, spec, unit, off = fi.name or item.name, item.spec or "", item.unit or "", False
        amount = q2(fi.cnt * pric)
        if amount <= 0:
            raise ServiceError("invalid_input", f"{fi.where + '：' if fi.where else ''}“{name}”金额为0，请核对数量和单价。")
        return Line(fi.code, name, fi.cnt, pric, amount, spec, unit, off, dict(fi.extra), hosp_code=fi.hosp_code)

    def _add(self, new: list[Line]) -> None:
        if self.trial is not None:
            self.trial = None      # charges changed: presettle again
        self.lines.extend(new)
        self.prechecks = []

    @translate_store_errors
    def add_line(self, code: str, cnt: Decimal | str | int, pric: Decimal | str | None = None,
                 name: str = "") -> Line:
        from .fees import _line

        self._need_visit()
        self._need_open_case()
        fi = _line({"code": code, "cnt": str(cnt), "pric": None if pric is None else str(pric), "name": name}, "")
        line = self._make_line(fi, allow_off_catalog=False)
        self._add([line])
        return line

    @translate_store_errors
    def load_fees(self, path) -> list[Line]:
        """A JSON/CSV fee file; any bad line → ServiceError naming it, and NO line is added."""
        self._need_visit()
        self._need_open_case()
        inputs = load_fee_file(path)
        new = [self._make_line(fi, allow_off_catalog=False) for fi in inputs]
        self._add(new)
        return new

    @translate_store_errors
    def pending_bills(self) -> list[HisVisit]:
        """This patient's unpaid HIS bills (the HIS answers; nothing is kept)."""
        p = self._need_person()
        if self.his is None:
            raise ServiceError("config", "没有配置 HIS 接口，请改用费用文件（--fees）或目录录入。", system="his")
        return self.his.pending(p.certno, p.psn_no)

    @translate_store_errors
    def load_his(self, ipt_otp_no: str | list[str] | tuple[str, ...] | None = None) -> HisVisit:
        """Take this patient's unpaid HIS bills into the case: the one named, several named (one
        settlement for all of them: same visit kind and 医疗类别), or — with none named — the only one.
        Several unpaid bills and none named is refused with the list: a bill is never taken silently.

        Sets the kind (outpatient / inpatient by the HIS med_type), the visit number and date (of the
        first bill). Lines whose code is not in the catalogue are accepted as 目录外 (fully self-paid)
        with a warning. The bills not taken are kept in ``his_left`` (named after the settlement)."""
        self._need_person()
        self._need_open_case()
        if self.lines:
            raise ServiceError("invalid_input", "本次已经有费用明细；要改取其他 HIS 单据，请先取消（Esc）再重新识别患者。")
        visits = self.pending_bills()
        if not visits:
            raise ServiceError("invalid_input", "HIS 中没有该患者待缴费的单据。", system="his")
        wanted = [ipt_otp_no] if isinstance(ipt_otp_no, str) else list(ipt_otp_no or [])
        if wanted:
            by_no = {v.ipt_otp_no: v for v in visits}
            missing = [w for w in wanted if w not in by_no]
            if missing:
                raise ServiceError("invalid_input", f"HIS 中没有该患者待缴费的单据 {'、'.join(missing)}（可能已缴费或已作废）。",
                                   system="his")
            chosen = [by_no[w] for w in wanted]
        elif len(visits) == 1:
            chosen = visits
        else:
            raise ServiceError("invalid_input", f"HIS 中该患者有 {len(visits)} 张待缴费单据，请选择要结算的单据：\n"
                               + "\n".join(bill_summary(v) for v in visits), system="his")
        kinds = {(is_inpatient_med_type(v.med_type), v.med_type) for v in chosen}
        if len(kinds) > 1:
            raise ServiceError("invalid_input", "所选单据的就诊类别不同（" + "、".join(sorted(v.med_type for v in chosen))
                               + "），不能合并为一次结算，请分别结算。", system="his")
        self._check_mapped([fi for b in chosen for fi in b.lines])
        v = chosen[0]
        if is_inpatient_med_type(v.med_type):
            if len(chosen) > 1:
                raise ServiceError("invalid_input", "住院单据每次只能结算一张。", system="his")
            self.start_inpatient(med_type=v.med_type, ipt_no=v.ipt_otp_no, begntime=v.begntime,
                                 diag_code=v.dise_codg or None, diag_name=v.dise_name or None)
        else:
            self.start_outpatient(v.med_type, ipt_otp_no=v.ipt_otp_no, begntime=min(b.begntime for b in chosen),
                                  diag_code=v.dise_codg or None, diag_name=v.dise_name or None)
        new = [self._make_line(fi, allow_off_catalog=True) for b in chosen for fi in b.lines]
        off = [ln.name for ln in new if ln.off_catalog]
        if off:
            self.warnings.append(f"以下 {len(off)} 项不在医保目录中，按全自费结算：{'、'.join(off[:5])}"
                                 + ("等" if len(off) > 5 else ""))
        self._add(new)
        taken = {b.ipt_otp_no for b in chosen}
        self.his_bills = chosen
        self.his_left = [b for b in visits if b.ipt_otp_no not in taken]
        return v

    def _check_mapped(self, inputs: list[FeeInput]) -> None:
        """目录对照 pre-check: every HIS item with a hospital code must be mapped (3301 accepted) —
        all unmapped items are named at once, before the case is started or anything is sent."""
        from . import mapping

        problems = []
        for fi in inputs:
            try:
                mapping.resolve_line(self.ctx.store, hosp_code=fi.hosp_code, national=fi.code, name=fi.name)
            except ServiceError as exc:
                problems.append(exc.message)
        if problems:
            raise ServiceError("invalid_input", f"有 {len(problems)} 项未对照医保目录，本次未上传任何明细：\n"
                               + "\n".join(problems), system="local")

    @property
    def total(self) -> Decimal:
        return sum((ln.amount for ln in self.lines), Decimal("0.00"))

    # ------------------------------------------------------------------------ 事前提醒
    @staticmethod
    def _entry(item) -> dict:
        return {"med_list_codg": item.med_list_codg, "name": item.name, "chrgitm_lv": item.chrgitm_lv,
                "med_chrgitm_type": item.med_chrgitm_type,
                "selfpay_prop": None if item.selfpay_prop is None else format(item.selfpay_prop, "f"),
                "pric_uplmt_amt": None if item.pric_uplmt_amt is None else format(item.pric_uplmt_amt, "f"),
                "begndate": item.begndate.isoformat() if item.begndate else None,
                "enddate": item.enddate.isoformat() if item.enddate else None,
                "vali_flag": item.vali_flag}

    def _previous_lines_today(self) -> list[dict]:
        """This person's lines already charged today in OTHER visits (settled or being settled)."""
        p = self.person
        day = self.visit_date
        with self.ctx.store.read_connection() as conn:
            rows = conn.exec_driver_sql(
                "SELECT f.med_list_codg, f.name, f.cnt, f.pric FROM fee_lines f JOIN visits v ON v.id = f.visit_id "
                "WHERE v.psn_no = ? AND v.id IS NOT ? AND substr(f.fee_ocur_time, 1, 10) = ? AND EXISTS (SELECT 1 FROM "
                "settlements s WHERE s.visit_id = v.id AND s.state IN ('confirmed', 'provisional', 'sent', 'unknown')) "
                # a visit settled again after a 部分退费: only the kept lines (its latest batch) were charged
                f"AND (NOT EXISTS ({_PREFUND_OF_VISIT}) OR f.chrg_bchno = ({_PREFUND_OF_VISIT.replace('SELECT 1', 'SELECT r.chrg_bchno')} "
                "ORDER BY r.id DESC LIMIT 1))",
                (p.psn_no, self.visit_id, day)).fetchall()
        return [{"code": code, "name": name or code, "cnt": str(cnt), "pric": str(pric), "date": day}
                for code, name, cnt, pric in rows]

    @translate_store_errors
    def precheck(self) -> list:
        """事前提醒: run ``client.domain.prechecks.run_prechecks`` on the current lines, the person, the local
        catalogue entries and this person's lines charged earlier today — locally, nothing is sent. Line
        references are the 1-based line positions. Returns the PrecheckWarning list (also kept in
        ``self.prechecks``); ``presettle()`` runs it too and ``settle()`` requires every warning acknowledged."""
        from client.domain import prechecks as dprechecks

        self._need_visit()
        p = self.person
        lines, catalog = [], {}
        for i, ln in enumerate(self.lines, 1):
            day = str(ln.extra.get("fee_ocur_time") or self.visit_params.get("begntime") or self.visit_date)[:10]
            lines.append({"feedetl_sn": str(i), "code": ln.code, "name": ln.name, "cnt": format(ln.cnt, "f"),
                          "pric": format(ln.pric, "f"), "date": day})
            if not ln.off_catalog and ln.code not in catalog:
                item = self._catalog_item(ln.code)
                if item is not None:
                    catalog[ln.code] = self._entry(item)
        ins = (p.info.get("insuinfo") or [{}])[0]
        person = {"gend": (p.info.get("baseinfo") or {}).get("gend"), "age": p.view.age,
                  "psn_insu_stas": ins.get("psn_insu_stas")}
        try:
            found = dprechecks.run_prechecks(lines, person, catalog, visit={"med_type": self.med_type,
                                                                             "begndate": self.visit_date},
                                             previous_lines=self._previous_lines_today())
        except ValueError as exc:
            raise ServiceError("invalid_input", f"事前提醒检查无法进行：{exc}") from None
        self.prechecks = list(found) + self._opsp_drug_warnings()
        return self.prechecks

    @translate_store_errors
    def acknowledge_prechecks(self, ids_or_all: Any = "all", operator: Any = None) -> list:
        """The operator acknowledges 事前提醒 warnings: ``"all"``, or 1-based positions / rule codes. Recorded
        in the audit log (``precheck_ack``: codes, lines, messages). Works before or after ``presettle()``.
        Returns the warnings still not acknowledged."""
        from . import audit

        current = self.trial.prechecks if self.trial is not None else (self.prechecks or self.precheck())
        if ids_or_all == "all":
            chosen = list(current)
        else:
            wanted = {ids_or_all} if isinstance(ids_or_all, (str, int)) else set(ids_or_all)
            chosen = [w for i, w in enumerate(current, 1) if i in wanted or w.code in wanted]
        by = operator if isinstance(operator, str) else (getattr(operator, "code", None)
                                                          or getattr(operator, "opter", None) or self.ctx.operator.opter)
        new = [w for w in chosen if _precheck_key(w) not in self._acked]
        if new:
            audit.record_precheck_ack(self.ctx.store, by, warnings=new,
                                      subject=f"{self.kind or ''}:{self.visit_params.get('ipt_otp_no') or ''}")
        self._acked |= {_precheck_key(w) for w in chosen}
        self._ack_by = by
        if self.trial is not None:
            self.trial.acknowledged = {k for k in (_precheck_key(w) for w in self.trial.prechecks) if k in self._acked}
        return [w for w in current if _precheck_key(w) not in self._acked]

    # ------------------------------------------------------------------------ local preview
    @translate_store_errors
    def preview(self, acct_used_flag: str = "0") -> dict:
        """The LOCAL settlement (engine on the cached catalogue and policy bundle) — no network."""
        from .sync import stored_bundle

        self._need_visit()
        if not self.lines:
            raise ServiceError("invalid_input", "还没有费用明细。")
        p = self.person
        bundle = stored_bundle(self.ctx.store, p.insuplc_admdvs, self.visit_date)   # the one valid on the visit date
        if bundle is None:    # policy parameters are site data (medsettle policy import); the platform settles
            from .policies import missing_bundle_message

            raise ServiceError("no_policy", missing_bundle_message(self.ctx.store, p.insuplc_admdvs, self.visit_date),
                               system="local")
        entries = []
        for ln in self.lines:
            item = None if ln.off_catalog else self._catalog_item(ln.code)
            if item is not None:
                entries.append(self._entry(item))
        lines = [{"feedetl_sn": ln.feedetl_sn or str(i), "med_list_codg": ln.code, "cnt": format(ln.cnt, "f"),
                  "pric": format(ln.pric, "f"), "det_item_fee_sumamt": fmt2(ln.amount)}
                 for i, ln in enumerate(self.lines, 1)]
        begndate = self.visit_date
        visit = {"mdtrtarea_admvs": self.ctx.admdvs, "hosp_lv": self.ctx.hosp_lv, "med_type": self.med_type,
                 "begndate": begndate, "filing": casebuild.filing_for_visit(p.filing, self.ctx.admdvs, begndate)}
        if self.opsp is not None:
            visit["opsp_dise_code"] = self.opsp["opsp_dise_code"]
        try:
            case = casebuild.build_case(visit, p.case_person(acct_used_flag), entries, lines, bundle)
            result = engine.settle(case)
        except casebuild.CaseBuildError as exc:
            raise ServiceError("refused", f"本地预算失败：{exc.message}") from None
        except engine.CaseError as exc:
            raise ServiceError("refused", f"本地预算失败：{exc.message}", detail=exc.code) from None
        return {"category": result.get("category"), "policy_id": result.get("policy_id"),
                "setlinfo": result["setlinfo"], "setldetail": result.get("setldetail", []),
                "trace": result.get("trace", []), "bundle_ver": bundle.get("ver")}

    # ------------------------------------------------------------------------ network steps
    def _send(self, request: Any, msgid: str, *, on_refused=None, on_unknown=None, on_not_sent=None,
              cainfo: str = "") -> Any:
        return send_central(self.ctx, request, msgid, on_refused=on_refused, on_unknown=on_unknown,
                            on_not_sent=on_not_sent, cainfo=cainfo)

    def _exec(self, sql: str, params: tuple) -> Any:
        with self.ctx.store.connection() as conn:
            return conn.exec_driver_sql(sql, params)

    def _ensure_registered(self) -> None:
        from offline_cache.models import Visit

        p = self.person
        vp = self.visit_params
        now = _now()
        if self.visit_id is None:
            msgid = self.ctx.new_msgid() if self.mdtrt_id is None else None
            with self.ctx.store.session() as s:
                v = Visit(kind=self.kind, psn_no=p.psn_no, insutype=p.insutype, insuplc_admdvs=p.insuplc_admdvs,
                          mdtrt_cert_type=p.mdtrt_cert_type, mdtrt_id=self.mdtrt_id, ipt_otp_no=vp["ipt_otp_no"],
                          med_type=self.med_type, begntime=datetime.strptime(vp["begntime"][:19], "%Y-%m-%d %H:%M:%S"),
                          state="open" if self.mdtrt_id is None else "registered", reg_msgid=msgid,
                          opter=self.ctx.operator.opter, created_at=now, updated_at=now,
                          opsp_dise_code=(self.opsp or {}).get("opsp_dise_code"),
                          opsp_dise_name=(self.opsp or {}).get("opsp_dise_name"))
                s.add(v)
                s.flush()
                self.visit_id = v.id
        if self.mdtrt_id is not None:
            return
        msgid = self._visit_col("reg_msgid")
        if self.kind == "outpatient":
            req = Register(psn_no=p.psn_no, insutype=p.insutype, begntime=vp["begntime"], mdtrt_cert_type=p.mdtrt_cert_type,
                           mdtrt_cert_no=p.mdtrt_cert_no, ipt_otp_no=vp["ipt_otp_no"], atddr_no=vp["dr_code"],
                           dr_name=vp["dr_name"], dept_code=vp["dept_code"], dept_name=vp["dept_name"],
                           caty=vp["dept_code"], insuplc_admdvs=p.insuplc_admdvs,
                           extra={"card_sn": p.card_sn} if p.card_sn else {})
        else:
            req = Admit(AdmissionInfo(psn_no=p.psn_no, insutype=p.insutype, begntime=vp["begntime"],
                                      mdtrt_cert_type=p.mdtrt_cert_type, mdtrt_cert_no=p.mdtrt_cert_no,
                                      med_type=self.med_type, ipt_no=vp["ipt_otp_no"], atddr_no=vp["dr_code"],
                                      chfpdr_name=vp["dr_name"], adm_diag_dscr=vp["diag_name"],
                                      adm_dept_codg=vp["dept_code"], adm_dept_name=vp["dept_name"],
                                      adm_bed=vp.get("bed") or "01", dscg_maindiag_code=vp["diag_code"],
                                      dscg_maindiag_name=vp["diag_name"]),
                        [self._ipt_diag(vp["begntime"])], insuplc_admdvs=p.insuplc_admdvs)

        def cancelled(_exc):
            self._exec("UPDATE visits SET state = 'cancelled', updated_at = ? WHERE id = ?", (_now(), self.visit_id))
            self.visit_id = None

        out = self._send(req, msgid, on_refused=cancelled, on_not_sent=cancelled)
        self.mdtrt_id = out.mdtrt_id
        self._exec("UPDATE visits SET mdtrt_id = ?, state = 'registered', updated_at = ? WHERE id = ?",
                   (out.mdtrt_id, _now(), self.visit_id))
        self._checkpoint("2201.registered")
        if self.kind == "outpatient":
            self._upload_visit_info()

    def _checkpoint(self, name: str) -> None:
        """Training fault drills: die here when ``MEDSETTLE_KILL_AT`` names this outpatient step."""
        if self.kind == "outpatient":
            kill_point(name, KILL_ENV, allowed=bool(self.ctx.settings.training.enabled))

    def _visit_col(self, col: str) -> Any:
        with self.ctx.store.read_connection() as conn:
            return conn.exec_driver_sql(f"SELECT {col} FROM visits WHERE id = ?", (self.visit_id,)).scalar_one()

    def _ipt_diag(self, when: str) -> InpatientDiagnosis:
        vp = self.visit_params
        return InpatientDiagnosis(psn_no=self.person.psn_no, diag_type="1", maindiag_flag="1", diag_srt_no="1",
                                  diag_code=vp["diag_code"], diag_name=vp["diag_name"], diag_dept=vp["dept_name"],
                                  dise_dor_no=vp["dr_code"], dise_dor_name=vp["dr_name"], diag_time=when,
                                  mdtrt_id=self.mdtrt_id)

    def _upload_visit_info(self) -> None:
        p, vp = self.person, self.visit_params
        msgid = self.ctx.new_msgid()
        self._exec("UPDATE visits SET mdtrt_msgid = ?, updated_at = ? WHERE id = ?", (msgid, _now(), self.visit_id))
        req = UploadVisit(VisitInfo(mdtrt_id=self.mdtrt_id, psn_no=p.psn_no, med_type=self.med_type,
                                    begntime=vp["begntime"],
                                    # 门诊慢特病: the filed disease (5301 opsp_dise_code), not the ICD diagnosis
                                    dise_codg=self.opsp["opsp_dise_code"] if self.opsp else vp["diag_code"],
                                    dise_name=self.opsp["opsp_dise_name"] if self.opsp else vp["diag_name"]),
                          [Diagnosis(diag_type="1", diag_srt_no="1", diag_code=vp["diag_code"], diag_name=vp["diag_name"],
                                     diag_dept=vp["dept_name"], dise_dor_no=vp["dr_code"], dise_dor_name=vp["dr_name"],
                                     diag_time=vp["begntime"])], insuplc_admdvs=p.insuplc_admdvs)
        self._send(req, msgid)
        self._checkpoint("2203.answered")

    def _upload_lines(self) -> None:
        pending = [ln for ln in self.lines if ln.fee_line_id is None]
        if not pending:
            return
        size = BATCH if self.kind == "inpatient" else len(pending)
        for i in range(0, len(pending), size):
            self._upload_batch(pending[i:i + size])

    def _upload_batch(self, batch: list[Line]) -> None:
        from offline_cache.models import FeeLine

        p, vp = self.person, self.visit_params
        msgid = self.ctx.new_msgid()
        now = _now()
        details = []
        with self.ctx.store.session() as s:       # lines + msgid committed BEFORE the call
            for ln in batch:
                self._sn += 1
                ln.feedetl_sn = f"{self.visit_id}-{self._sn:04d}"
                occur = str(ln.extra.get("fee_ocur_time") or vp["begntime"])[:19]
                row = FeeLine(visit_id=self.visit_id, feedetl_sn=ln.feedetl_sn, med_list_codg=ln.code,
                              medins_list_codg=ln.medins_list_codg, name=ln.name, spec=ln.spec or None, cnt=ln.cnt, pric=ln.pric,
                              det_item_fee_sumamt=ln.amount, chrg_bchno=msgid,
                              fee_ocur_time=datetime.strptime(occur, "%Y-%m-%d %H:%M:%S"),
                              bilg_dept_codg=ln.extra.get("bilg_dept_codg") or vp["dept_code"],
                              bilg_dept_name=ln.extra.get("bilg_dept_name") or vp["dept_name"],
                              bilg_dr_codg=ln.extra.get("bilg_dr_codg") or vp["dr_code"],
                              bilg_dr_name=ln.extra.get("bilg_dr_name") or vp["dr_name"], uploaded=False)
                s.add(row)
                s.flush()
                ln.fee_line_id = row.id
                details.append(FeeDetail(
                    feedetl_sn=ln.feedetl_sn, mdtrt_id=self.mdtrt_id, psn_no=p.psn_no, fee_ocur_time=occur,
                    med_list_codg=ln.code, medins_list_codg=ln.medins_list_codg, det_item_fee_sumamt=ln.amount, cnt=ln.cnt,
                    pric=ln.pric, bilg_dept_codg=row.bilg_dept_codg, bilg_dept_name=row.bilg_dept_name,
                    bilg_dr_codg=row.bilg_dr_codg, bilg_dr_name=row.bilg_dr_name,
                    chrg_bchno=msgid if self.kind == "outpatient" else None,
                    rx_circ_flag="0" if self.kind == "outpatient" else None,
                    med_type=self.med_type if self.kind == "inpatient" else None))
            s.execute(_visit_update(), {"m": msgid, "t": now, "id": self.visit_id})
        req = (UploadFees if self.kind == "outpatient" else UploadInpatientFees)(details, insuplc_admdvs=p.insuplc_admdvs)

        def not_applied(_exc):
            ids = [ln.fee_line_id for ln in batch]
            with self.ctx.store.connection() as conn:
                conn.exec_driver_sql(f"DELETE FROM fee_lines WHERE id IN ({','.join('?' * len(ids))})", tuple(ids))
            for ln in batch:
                ln.fee_line_id = None
                ln.feedetl_sn = ""

        out = self._send(req, msgid, on_refused=not_applied, on_not_sent=not_applied)
        by_sn = {r.feedetl_sn: r for r in out.result}
        with self.ctx.store.connection() as conn:
            for ln in batch:
                r = by_sn.get(ln.feedetl_sn)
                split = jsonable(dict(r.raw)) if r is not None else {}
                ln.split = split
                conn.exec_driver_sql(
                    "UPDATE fee_lines SET uploaded = 1, pric_uplmt_amt = ?, selfpay_prop = ?, fulamt_ownpay_amt = ?, "
                    "overlmt_amt = ?, preselfpay_amt = ?, inscp_scp_amt = ?, chrgitm_lv = ?, med_chrgitm_type = ?, "
                    "memo = ? WHERE id = ?",
                    (_dtext(split.get("pric_uplmt_amt")), _dtext(split.get("selfpay_prop")),
                     _fen(split.get("fulamt_ownpay_amt")), _fen(split.get("overlmt_amt")),
                     _fen(split.get("preselfpay_amt")), _fen(split.get("inscp_scp_amt")), split.get("chrgitm_lv"),
                     split.get("med_chrgitm_type"), split.get("memo") or None, ln.fee_line_id))
            conn.exec_driver_sql("UPDATE visits SET state = 'uploaded', updated_at = ? WHERE id = ?", (_now(), self.visit_id))
        self._checkpoint("2204.answered")

    @translate_store_errors
    def admit(self) -> str:
        """Inpatient: 2401 now (normally done by presettle) and return the mdtrt_id."""
        self._need_visit()
        if self.kind != "inpatient":
            raise ServiceError("invalid_input", "只有住院就诊需要办理入院。")
        self._ensure_registered()
        return self.mdtrt_id

    @translate_store_errors
    def discharge(self) -> None:
        """2402 (inpatient): the discharge time is the given endtime or now."""
        if self.kind != "inpatient" or self.discharged:
            return
        p, vp = self.person, self.visit_params
        end = vp.get("endtime") or _ts(_now())
        msgid = self.ctx.new_msgid()
        self._exec("UPDATE visits SET mdtrt_msgid = ?, endtime = ?, updated_at = ? WHERE id = ?",
                   (msgid, datetime.strptime(end[:19], "%Y-%m-%d %H:%M:%S"), _now(), self.visit_id))
        req = Discharge(DischargeInfo(mdtrt_id=self.mdtrt_id, psn_no=p.psn_no, insutype=p.insutype, endtime=end,
                                      dscg_dept_codg=vp["dept_code"], dscg_dept_name=vp["dept_name"],
                                      dscg_way=vp.get("dscg_way") or "1", dise_codg=vp["diag_code"],
                                      dise_name=vp["diag_name"]),
                        [self._ipt_diag(end)], insuplc_admdvs=p.insuplc_admdvs)
        self._send(req, msgid)
        vp["endtime"] = end
        self.discharged = True

    @translate_store_errors
    def presettle(self, acct_used_flag: str = "0") -> Presettlement:
        """Upload what is not uploaded yet, then 2206 (outpatient) / 2402 + 2303 (inpatient); compare with
        the local preview and list every differing setlinfo field as a warning."""
        self._need_visit()
        self._need_open_case()
        if acct_used_flag not in ("0", "1"):
            raise ServiceError("invalid_input", "个人账户使用标志只能是 0（不使用）或 1（使用）。")
        if not self.lines:
            raise ServiceError("invalid_input", "还没有费用明细，请先录入或导入费用。")
        p = self.person
        self._check_insured(p)
        from .shifts import require_shift

        require_shift(self.ctx.store, self.ctx.operator.opter, "收费")   # before anything is sent (2201 …)
        self._need_disease()                   # 门诊慢特病: a filed disease chosen, before anything is sent
        checks = self.precheck()               # 事前提醒, local: before anything is sent
        preview = None
        warnings = list(self.warnings)
        try:
            preview = self.preview(acct_used_flag)
        except ServiceError as exc:
            warnings.append(exc.message if exc.code == "no_policy" else f"本地预算不可用：{exc.message}")
        self._ensure_registered()
        self._upload_lines()
        total = self.total
        if self.kind == "outpatient":
            req: Any = PreSettle(psn_no=p.psn_no, mdtrt_cert_type=p.mdtrt_cert_type, mdtrt_cert_no=p.mdtrt_cert_no,
                                 med_type=self.med_type, medfee_sumamt=total, psn_setlway="01", mdtrt_id=self.mdtrt_id,
                                 chrg_bchno=self._visit_col("upload_msgid") or "", insutype=p.insutype,
                                 acct_used_flag=acct_used_flag, insuplc_admdvs=p.insuplc_admdvs)
        else:
            self.discharge()
            req = InpatientPreSettle(psn_no=p.psn_no, mdtrt_cert_type=p.mdtrt_cert_type, mdtrt_cert_no=p.mdtrt_cert_no,
                                     medfee_sumamt=total, psn_setlway="01", mdtrt_id=self.mdtrt_id, insutype=p.insutype,
                                     acct_used_flag=acct_used_flag, dscg_time=self.visit_params.get("endtime") or "",
                                     insuplc_admdvs=p.insuplc_admdvs)
        try:
            res: SettleResult = self.ctx.call(req)
        except BusinessError as exc:
            raise ServiceError("refused", f"医保中心预结算（{req.INFNO}）未通过：{exc.err_msg}", detail=exc.err_msg,
                               infno=req.INFNO) from None
        except TransportError as exc:
            raise ServiceError("offline", str(exc), infno=req.INFNO) from None
        setlinfo = jsonable(dict(res.setlinfo.raw))
        warnings += central_notes(res, req.INFNO)
        diffs = compare_setlinfo(preview["setlinfo"] if preview else None, setlinfo)
        if diffs:
            warnings.append("本地预算与医保中心预结算不一致：" + "；".join(
                f"{d['field']} 本地 {d['local']} / 中心 {d['central']}" for d in diffs) + "。以医保中心结果为准。")
        self.trial = Presettlement(setlinfo, jsonable([dict(d.raw) for d in res.setldetail]), preview, diffs, warnings,
                                   acct_used_flag, res, req, prechecks=checks,
                                   acknowledged={_precheck_key(w) for w in checks if _precheck_key(w) in self._acked})
        self._checkpoint("2206.answered")
        return self.trial

    # ------------------------------------------------------------------------ settlement
    def password_required(self) -> bool:
        """验密: must the patient type their password for this settlement (region's rule, client.api.password)?"""
        if self.person is None:
            return False
        infno = "2207" if self.kind == "outpatient" else "2304"
        return self.ctx.central.settings.password.required(infno, self.person.insuplc_admdvs, self.ctx.admdvs)

    @translate_store_errors
    def settle(self, tenders: list[Tender], *, password: str | None = None) -> dict:
        """2207 / 2304 after a presettle; ``tenders`` must cover psn_cash_pay (cash may exceed: change).
        ``password``: the patient's 6-digit password where the region checks it (:meth:`password_required`);
        it is encrypted into ``cainfo`` and dropped — never stored, logged or shown."""

        if self.trial is None:
            raise ServiceError("invalid_input", "请先预结算（费用有变动时须重新预结算）。")
        cainfo = ""
        if self.password_required():
            if not password:
                raise ServiceError("invalid_input", "本地区结算需要验证患者密码：请患者在密码键盘上输入医保电子凭证或社保卡密码。")
            from client.api.password import encrypt_password

            try:
                cainfo = encrypt_password(password, self.ctx.central.settings.password)
            except ValueError as exc:
                raise ServiceError("invalid_input", str(exc)) from None
            except ApiError as exc:
                raise ServiceError("config", str(exc)) from None
        password = None   # noqa: F841 - dropped: only the ciphertext goes on
        trial, p = self.trial, self.person
        pending = trial.pending_prechecks
        if pending:
            raise ServiceError("invalid_input", f"还有 {len(pending)} 条事前提醒未经确认，不能结算：\n"
                               + "\n".join(f"{i}. {w.message}" for i, w in enumerate(pending, 1))
                               + "\n请逐条核对（必要时与患者或医生确认）后确认提醒，再结算。")
        due = trial.psn_cash_pay
        paycodes: dict = {}
        require_references(tenders)                 # a card / channel payment is booked only with its reference
        if any(t.method == "code" for t in tenders):  # payment codes: valid, unused (codepay, docs/payments.md)
            from . import codepay

            codepay.gateway(self.ctx)
            tenders, paycodes = codepay.prepare_tenders(self.ctx, due, tenders)
        self._paycodes = paycodes
        lines = allocate(due, tenders)              # refuses bad payments before anything is written
        from .shifts import require_shift

        shift_id = require_shift(self.ctx.store, self.ctx.operator.opter, "结算")
        infno = "2207" if self.kind == "outpatient" else "2304"
        if self.kind == "outpatient":
            req: Any = Settle.from_presettle(trial.request, trial.result)
        else:
            si = trial.result.setlinfo
            req = InpatientSettle(**{k: getattr(trial.request, k) for k in (
                "psn_no", "mdtrt_cert_type", "mdtrt_cert_no", "medfee_sumamt", "psn_setlway", "mdtrt_id", "insutype",
                "acct_used_flag", "mid_setl_flag", "invono", "dscg_time", "insuplc_admdvs")},
                fulamt_ownpay_amt=si.fulamt_ownpay_amt or Decimal("0.00"), overlmt_selfpay=si.overlmt_selfpay or Decimal("0.00"),
                preselfpay_amt=si.preselfpay_amt or Decimal("0.00"), inscp_scp_amt=si.inscp_scp_amt or Decimal("0.00"))
        msgid = self.ctx.new_msgid()
        now = _now()
        meta = {"his_bills": [b.ipt_otp_no for b in self.his_bills],
                "preview": trial.preview, "presettle": trial.setlinfo, "differences": trial.differences,
                "warnings": trial.warnings, "acct_used_flag": trial.acct_used_flag,
                "tenders": [pl.to_dict() for pl in lines], "person": p.view.to_dict(),
                "visit": self._visit_doc(), "lines": [ln.to_dict() for ln in self.lines], "window": self.window,
                "prechecks": [w.as_dict() for w in trial.prechecks],
                "prechecks_ack": {"by": self._ack_by, "count": len(trial.prechecks)} if trial.prechecks else None,
                "cashier": {"opter": self.ctx.operator.opter, "opter_name": self.ctx.operator.opter_name}}
        with self.ctx.store.session() as s:       # the settlement row with its msgid BEFORE the call
            row = lifecycle.new("sent", visit_id=self.visit_id, msgid=msgid, infno=infno, mdtrt_id=self.mdtrt_id,
                             medfee_sumamt=self.total, preview_json=json.dumps(meta, ensure_ascii=False),
                             opter=self.ctx.operator.opter, shift_id=shift_id, created_at=now, updated_at=now)
            s.add(row)
            s.flush()
            sid = row.id
        self._checkpoint("2207.prepared")

        def unknown(_exc):
            with self.ctx.store.connection() as conn:
                lifecycle.move(conn, sid, "unknown", now=_now(), expect=("sent",))

        def failed(exc):
            err = {"infno": infno, "err_msg": getattr(exc, "err_msg", None) or str(exc)}
            with self.ctx.store.connection() as conn:
                lifecycle.move(conn, sid, "failed", now=_now(), expect=("sent",), meta={"error": err})

        out: SettleResult = self._send(req, msgid, on_refused=failed, on_unknown=unknown, on_not_sent=failed,
                                       cainfo=cainfo)
        self._checkpoint("2207.answered")
        info = jsonable(dict(out.setlinfo.raw))
        detail = jsonable([dict(d.raw) for d in out.setldetail])
        warn = list(trial.warnings) + central_notes(out, infno, msgid)
        central = {"warn_msg": out.warn_msg or None,
                   "review": {"err_msg": out.review_msg, "infno": infno, "msgid": msgid} if out.review_msg else None}
        cash = Decimal(str(info.get("psn_cash_pay") or "0.00"))
        if cash != due:
            try:
                lines = allocate(cash, tenders)
            except ServiceError:
                lines = []
                warn.append(f"结算现金支付 {fmt2(cash)} 元与预结算 {fmt2(due)} 元不一致，收款未记录，请按结算单重新收款。")
        acct = Decimal(str(info.get("acct_pay") or "0.00"))
        try:
            self._confirm(sid, info, detail, warn, lines, acct, central)
        except Exception as exc:  # noqa: BLE001 - settled centrally but not saved here: recovery must finish it
            err = self.ctx.store.translate(exc)
            why = err.message if err is not None else f"{exc.__class__.__name__}: {exc}"
            raise ServiceError("unknown", f"医保中心已结算（结算号 {info.get('setl_id')}），但本机保存结算结果失败：{why}\n"
                                          f"请勿重复结算；恢复功能将对报文ID {msgid} 冲正(2601)，完成后提示重新结算。",
                               msgid=msgid, infno=infno) from None
        self.trial = None
        self._checkpoint("2207.confirmed")
        if paycodes or (not lines and cash > 0):
            self._collect_codes(sid, cash if not lines else None)
        issue_invoice(self.ctx, sid, window=self.window or None)
        self._his_paid(sid)
        self.settled = settlement_record(self.ctx, sid)
        return self.settled

    def _collect_codes(self, sid: int, uncollected: Decimal | None) -> None:
        """After the confirmation: charge the prepared payment codes (exactly once, codepay); what is not
        taken is flagged owed for a supervisor and named on the settlement."""
        from . import codepay

        if uncollected is not None:
            codepay.owe(self.ctx, sid, uncollected, "结算现金支付与预结算不一致，收款未记录")
            return
        raw = {t["out_trade_no"]: self._prepared_codes[t["code_hash_key"]] for t in self._prepared}
        for tr in codepay.charge_settlement(self.ctx, sid, raw, on_wait=self.on_pay_wait):
            if tr["state"] == "paid":
                continue
            if tr["state"] == "unknown":
                record_warning(self.ctx, sid, f"{tr['channel_name']}付款码扣款 {tr['amount']} 元结果未知（订单 "
                                              f"{tr['out_trade_no']}）：恢复功能将查询后撤销，请勿重复扫码扣款。")
            else:
                record_warning(self.ctx, sid, f"{tr['channel_name']}付款码未扣款（{tr['err_msg'] or tr['err_code']}）："
                                              f"本次自付 {tr['amount']} 元记为欠费，请改用其他方式收款并由组长核销。")

    def _his_paid(self, sid: int) -> None:
        """Tell the HIS that the bills of this case are paid (after the local commit). A failure is a
        visible warning on the settlement, never an error of the settlement."""
        if self.his is None or not self.his_bills:
            return
        rec = settlement_record(self.ctx, sid)
        try:
            self.his.confirm_paid([b.ipt_otp_no for b in self.his_bills], setl_id=rec.get("setl_id") or "",
                                  msgid=rec["msgid"])
        except ServiceError as exc:
            record_warning(self.ctx, sid, f"HIS 未确认缴费（{exc.message}）：请在 HIS 中核对单据 "
                                            f"{'、'.join(b.ipt_otp_no for b in self.his_bills)} 的缴费状态。")

    def _confirm(self, sid: int, info: dict, detail: list, warn: list, lines: list, acct: Decimal,
                 central: dict | None = None) -> None:
        with self.ctx.store.connection() as conn:       # result + payments + visit in ONE transaction
            now = _now()
            lifecycle.move(conn, sid, "confirmed", now=now, expect=("sent",), setl_id=info.get("setl_id"),
                           mdtrt_id=info.get("mdtrt_id") or self.mdtrt_id,
                           **{k: info.get(k) for k in lifecycle.AMOUNT_FIELDS},
                           setlinfo=info, setldetail=detail, meta={"warnings": warn, **(central or {})})
            rec = lifecycle.load(conn, sid)
            pays = list(lines) + ([PaymentLine("account", acct)] if acct > 0 else [])
            self._prepared, self._prepared_codes = [], {}
            for pl in pays:
                if pl.ref.startswith("paycode:"):      # a payment code: the trade row BEFORE the call
                    from . import codepay

                    pc = self._paycodes[pl.ref]
                    otn = codepay.insert_prepared(conn, self.ctx, sid, pc, pl.amount, now)
                    self._prepared.append({"out_trade_no": otn, "code_hash_key": pl.ref})
                    self._prepared_codes[pl.ref] = pc.code
                    continue
                _insert_payment(conn, sid, pl.method, pl.amount, tendered=pl.tendered, change=pl.change,
                                ref=pl.ref or None, now=now, shift_id=rec.shift_id)
            conn.exec_driver_sql("UPDATE visits SET state = 'settled', updated_at = ? WHERE id = ?", (now, self.visit_id))
            from . import audit

            msgid, infno = rec.msgid, rec.infno
            audit.record_settlement(conn, self.ctx.operator.opter, msgid=msgid, setl_id=info.get("setl_id") or "",
                                    infno=infno, medfee_sumamt=info.get("medfee_sumamt"),
                                    fund_pay_sumamt=info.get("fund_pay_sumamt"), acct_pay=info.get("acct_pay"),
                                    psn_cash_pay=info.get("psn_cash_pay"), psn_no=info.get("psn_no") or "")

    def _visit_doc(self) -> dict:
        vp = self.visit_params
        return {"kind": self.kind, "med_type": self.med_type, "ipt_otp_no": vp.get("ipt_otp_no"),
                "begntime": vp.get("begntime"), "endtime": vp.get("endtime"), "dept_name": vp.get("dept_name"),
                "mdtrt_id": self.mdtrt_id, "visit_id": self.visit_id}

    # ------------------------------------------------------------------------ reversal
    @translate_store_errors
    def reverse(self, setl_id: str, authorization: Any, *, reason: str = "") -> dict:
        return reverse_settlement(self.ctx, setl_id, authorization, reason=reason, his=self.his)


# the partial refunds (client.services.partial_refund) that re-settled visit ``v`` on a new fee batch
_PREFUND_OF_VISIT = ("SELECT 1 FROM partial_refunds r JOIN settlements o ON o.id = r.old_settlement_id "
                     "WHERE o.visit_id = v.id AND r.state NOT IN ('prepared', 'reversed', 'fees_cancelled', 'cancelled')")


def _visit_update():
    from sqlalchemy import text

    return text("UPDATE visits SET upload_msgid = :m, updated_at = :t WHERE id = :id")


def _insert_payment(conn: Any, sid: int, method: str, amount: Decimal, *, now: datetime, shift_id: int | None,
                    tendered: Decimal | None = None, change: Decimal | None = None, ref: str | None = None) -> None:
    """One payments row (amounts through the Money column type)."""
    from sqlalchemy import insert

    from offline_cache.models import Payment

    conn.execute(insert(Payment.__table__).values(settlement_id=sid, method=method, amount=amount, tendered=tendered,
                                                  change=change, ref=ref, created_at=now, shift_id=shift_id))


def _fen(v: Any) -> int | None:
    from offline_cache.types import to_fen

    if v in (None, ""):
        return None
    return to_fen(Decimal(str(v)))


def _dtext(v: Any) -> str | None:
    if v in (None, ""):
        return None
    return format(Decimal(str(v)), "f")


def compare_setlinfo(local: dict | None, central: dict) -> list[dict]:
    """Every money field of setlinfo whose local (preview) and central values differ."""
    if not local:
        return []
    out = []
    for k in MONEY_FIELDS:
        if k == "balc":
            continue
        a, b = local.get(k), central.get(k)
        if a in (None, "") and b in (None, ""):
            continue
        try:
            if Decimal(str(a or "0")) == Decimal(str(b or "0")):
                continue
        except ArithmeticError:
            pass
        out.append({"field": k, "local": a, "central": b})
    return out


def _requester(ctx: ServiceContext):
    """The local operator record of the context's operator (a minimal cashier record when the store does
    not know it, e.g. the training operator T001): only its code is used to check the authorization."""
    from client.security.operators import Operator as SecOperator

    from .operators import StoreOperatorRepository

    code = ctx.operator.opter
    found = StoreOperatorRepository(ctx.store).get_operator(code)
    return found or SecOperator(code=code, name=ctx.operator.opter_name or code, role="cashier", password_hash="")


def check_authorization(ctx: ServiceContext, authorization: Any, action: str, subject: str = "", *,
                        label: str = "") -> dict:
    """Refuse anything but a verified supervisor :class:`~client.security.operators.Authorization` for
    ``action`` by somebody else than the context's operator (``OperatorService.require``); returns the
    authorization as a dict (recorded with the action). A supervisor code, a dict or None is refused:
    authorizations come only from ``OperatorService.authorize`` (password checked, audited)."""
    from client.security.operators import AuthFailure, Authorization

    from .operators import OperatorService

    label = label or {"reverse": "撤销结算", "reprint": "补打票据"}.get(action, action)
    if authorization is None:
        raise ServiceError("invalid_input", f"{label}需要另一位收费组长授权，请由组长当场输入工号和密码。")
    if not isinstance(authorization, Authorization):
        raise ServiceError("invalid_input", f"{label}的授权未经核验：必须由另一位收费组长输入工号和密码核验后才能{label}。")
    if subject and authorization.subject and authorization.subject != subject:
        raise ServiceError("refused", f"授权针对的是 {authorization.subject}，不是 {subject}，请组长重新授权。")
    try:
        OperatorService(ctx.store).require(_requester(ctx), action, authorization=authorization)
    except AuthFailure as exc:
        raise ServiceError("refused", f"授权无效：{exc}") from None
    d = dict(authorization.as_dict())
    d["verified"] = True
    return d


def bill_summary(v: HisVisit) -> str:
    """One line naming a HIS bill for the cashier: number, date, department, doctor, amount."""
    first = v.lines[0].extra if v.lines else {}
    return (f"{v.ipt_otp_no}  {str(v.begntime)[:10]}  {first.get('bilg_dept_name') or ''}  "
            f"{first.get('bilg_dr_name') or ''}  ¥{fmt2(v.amount)}").replace("    ", "  ")


def reverse_settlement(ctx: ServiceContext, setl_id: str, authorization: Any, *, reason: str = "",
                       his: HisAdapter | None = None) -> dict:
    """Same-day reversal (2208 outpatient / 2305 inpatient) of a settlement confirmed at this window's store.

    ``authorization`` must be the verified :class:`client.security.operators.Authorization` of ANOTHER
    supervisor for action ``reverse`` (``OperatorService.authorize``); anything else is refused before
    anything is written or sent."""
    auth = check_authorization(ctx, authorization, "reverse", setl_id)
    from .shifts import require_shift

    shift_id = require_shift(ctx.store, ctx.operator.opter, "撤销结算或退费")
    with ctx.store.read_connection() as conn:
        srec = lifecycle.load_by_setl_id(conn, setl_id)
        if srec is not None:
            psn_no, insuplc = conn.exec_driver_sql("SELECT psn_no, insuplc_admdvs FROM visits WHERE id = ?",
                                                   (srec.visit_id,)).one()
    if srec is None:
        raise ServiceError("invalid_input", f"本机没有结算号为 {setl_id} 的结算记录，请核对结算号（或在结算所在窗口撤销）。")
    sid, state, infno, mdtrt_id, visit_id = srec.id, srec.state, srec.infno, srec.mdtrt_id, srec.visit_id
    if state == "reversed":
        raise ServiceError("refused", f"结算 {setl_id} 已经撤销，不能重复撤销。")
    if state != "confirmed":
        raise ServiceError("refused", f"结算 {setl_id} 当前状态为“{state}”，不能撤销；结果未知的结算请先查询确认。")
    info = srec.setlinfo
    if str(info.get("setl_time") or "")[:10] != date.today().isoformat():
        raise ServiceError("refused", f"只能撤销当日的结算（该结算时间 {info.get('setl_time')}）；跨日退费请按医保经办规定办理。")
    msgid = ctx.new_msgid()
    rec = {"msgid": msgid, "authorization": auth, "reason": reason, "opter": ctx.operator.opter,
           "at": _ts(_now())}
    with ctx.store.connection() as conn:       # revoke_msgid + authorisation BEFORE the call
        lifecycle.move(conn, sid, now=_now(), expect=("confirmed",), revoke_msgid=msgid, meta={"reversal": rec})
    req: Any = (CancelSettle if infno == "2207" else CancelInpatientSettle)(
        setl_id=setl_id, mdtrt_id=mdtrt_id, psn_no=psn_no, insuplc_admdvs=insuplc or "")
    try:
        out = ctx.call(req, msgid=msgid)
    except BusinessError as exc:
        with ctx.store.connection() as conn:
            lifecycle.move(conn, sid, now=_now(), revoke_msgid=None, meta={"reversal.error": exc.err_msg})
        raise ServiceError("refused", f"医保中心拒绝撤销结算：{exc.err_msg}", detail=exc.err_msg, msgid=msgid,
                           infno=req.INFNO) from None
    except TransportError as exc:
        if exc.outcome_unknown:
            with ctx.store.connection() as conn:
                lifecycle.move(conn, sid, "unknown", now=_now(), expect=("confirmed",))
            raise ServiceError("unknown", str(exc), msgid=msgid, infno=req.INFNO) from None
        with ctx.store.connection() as conn:
            lifecycle.move(conn, sid, now=_now(), revoke_msgid=None)
        raise ServiceError("offline", str(exc), msgid=msgid, infno=req.INFNO) from None
    rinfo = jsonable(dict(out.setlinfo.raw))
    with ctx.store.connection() as conn:
        now = _now()
        notes = {"reversal.warn_msg": out.warn_msg or None,
                 "reversal.review": {"err_msg": out.review_msg, "infno": req.INFNO, "msgid": msgid}
                 if out.review_msg else None}
        lifecycle.move(conn, sid, "reversed", now=now, expect=("confirmed",),
                       meta={"reversal.setlinfo": rinfo, **notes})
        from sqlalchemy import select

        from offline_cache.models import Payment

        pt = Payment.__table__
        for method, amount in conn.execute(select(pt.c.method, pt.c.amount).where(
                pt.c.settlement_id == sid, pt.c.amount > 0).order_by(pt.c.id)).all():
            _insert_payment(conn, sid, method, -amount, ref=f"refund:{msgid}", now=now, shift_id=shift_id)
        conn.exec_driver_sql("UPDATE visits SET state = 'reversed', updated_at = ? WHERE id = ?", (_now(), visit_id))
        from .stay_books import restore_applied  # a stay's deposit applied to it goes back to the balance

        restore_applied(conn, sid, now=now, shift_id=shift_id)
        from . import audit

        audit.record_reversal(conn, ctx.operator.opter, setl_id=setl_id, revoke_msgid=msgid,
                              authorized_by=auth["authorized_by"], reason=reason)
    for note in central_notes(out, req.INFNO, msgid, what="撤销"):   # the platform's words, verbatim
        record_warning(ctx, sid, note)
    red_letter(ctx, sid, reason=reason)
    if _codepay().trades_of(ctx, sid):          # payment codes back to their channels (docs/payments.md)
        for note in _codepay().refund_settlement(ctx, sid, reason=reason or "结算撤销"):
            record_warning(ctx, sid, note)
    record = settlement_record(ctx, sid)
    bills = _meta_of(ctx, sid).get("his_bills") or []
    if his is not None and bills:
        try:                 # the bills are unpaid again in the HIS (退费); a failure is a warning
            his.cancel_paid(bills, setl_id=setl_id, msgid=msgid)
        except ServiceError as exc:
            record_warning(ctx, sid, f"HIS 未确认退费（{exc.message}）：请在 HIS 中核对单据 {'、'.join(bills)}。")
            record = settlement_record(ctx, sid)
    return record


def _meta_of(ctx: ServiceContext, sid: int) -> dict:
    with ctx.store.read_connection() as conn:
        return json.loads(conn.exec_driver_sql("SELECT preview_json FROM settlements WHERE id = ?",
                                               (sid,)).scalar() or "{}")


# ---------------------------------------------------------------------------- e-invoices
def central_notes(result: Any, infno: str, msgid: str = "", what: str = "结算") -> list[str]:
    """The cashier's lines for what the platform said beside the figures, its words verbatim:
    ``warn_msg``, and an ``err_msg`` that came with infcode 0 (the answer needs review)."""
    out = []
    if getattr(result, "warn_msg", ""):
        out.append(f"医保中心提示（{infno}）：{result.warn_msg}")
    if getattr(result, "review_msg", ""):
        out.append(f"需复核：医保中心对 {infno} 返回成功，但附带信息：{result.review_msg}"
                   + (f"（报文ID {msgid}）。本笔{what}已按医保中心结果记录并标记为待复核，请向医保中心核实后再处理。"
                      if msgid else "。请核实后再结算。"))
    return out


def record_warning(ctx: ServiceContext, sid: int, text: str) -> None:
    """A visible, persistent warning on the settlement (shown with the record); never raises."""
    try:
        with ctx.store.connection() as conn:
            conn.exec_driver_sql("UPDATE settlements SET preview_json = json_set(coalesce(preview_json, '{}'), "
                                 "'$.warnings', json(?)) WHERE id = ?",
                                 (json.dumps(_warnings_of(conn, sid) + [text], ensure_ascii=False), sid))
    except Exception:  # noqa: BLE001 - the settlement is saved; the warning is also logged
        log.exception("could not store the e-invoice warning of settlement %s", sid)


def _warnings_of(conn: Any, sid: int) -> list:
    js = conn.exec_driver_sql("SELECT preview_json FROM settlements WHERE id = ?", (sid,)).scalar()
    return list((json.loads(js or "{}") or {}).get("warnings") or [])


def issue_invoice(ctx: ServiceContext, settlement_id: int, *, window: str | None = None) -> Any:
    """The e-invoice of a locally committed settlement (``invoicing.issue_for_settlement``: number from the
    window's pre-allocated range, upload queued in the outbox). A failure never undoes the settlement: it
    is logged and stored as a warning on the settlement, and :func:`issue_missing_invoices` retries it.
    Returns the IssuedInvoice, or None (e-invoices disabled, or failed)."""
    if not ctx.settings.einvoice.enabled:
        return None
    from . import invoicing

    try:
        return invoicing.issue_for_settlement(ctx.store, settlement_id, settings=ctx.settings, window=window,
                                              secret=ctx.einvoice_secret or None)
    except Exception as exc:  # noqa: BLE001 - settled is settled: the invoice is issued later
        why = exc.message if isinstance(exc, ServiceError) else f"{exc.__class__.__name__}: {exc}"
        log.warning("e-invoice of settlement %s not issued: %s", settlement_id, why)
        record_warning(ctx, settlement_id, f"电子票据暂未开具：{why}。结算已完成，无需重新结算；"
                                             "联网后系统会自动补开（也可由信息科执行 medsettle recover）。")
        return None


def red_letter(ctx: ServiceContext, settlement_id: int, *, reason: str = "", window: str | None = None) -> Any:
    """The red-letter (冲红) invoice after a reversal, when the settlement had a blue one; a failure is a
    warning (retried by :func:`issue_missing_invoices`), never an error of the reversal."""
    if not ctx.settings.einvoice.enabled:
        return None
    from . import invoicing

    with ctx.store.read_connection() as conn:
        blue = conn.exec_driver_sql("SELECT count(*) FROM invoices WHERE settlement_id = ? AND kind = 'normal'",
                                    (settlement_id,)).scalar_one()
    if not blue:
        return None
    try:
        return invoicing.red_letter_for_reversal(ctx.store, settlement_id, settings=ctx.settings, window=window,
                                                 reason=reason or "撤销结算", secret=ctx.einvoice_secret or None)
    except Exception as exc:  # noqa: BLE001 - the reversal is done; the red letter is issued later
        why = exc.message if isinstance(exc, ServiceError) else f"{exc.__class__.__name__}: {exc}"
        log.warning("red-letter invoice of settlement %s not issued: %s", settlement_id, why)
        record_warning(ctx, settlement_id, f"红字电子票据暂未开具：{why}。撤销已完成；联网后系统会自动补开。")
        return None


def missing_invoices(ctx: ServiceContext) -> tuple[list[int], list[int]]:
    """Settlements still owed an e-invoice: (confirmed/provisional without a blue invoice, reversed
    whose blue invoice has no red letter). Empty when e-invoicing is off."""
    if not ctx.settings.einvoice.enabled:
        return [], []
    with ctx.store.read_connection() as conn:
        blue = [r[0] for r in conn.exec_driver_sql(
            "SELECT s.id FROM settlements s WHERE s.state IN ('confirmed', 'provisional') AND s.setlinfo_json IS NOT "
            "NULL AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.settlement_id = s.id AND i.kind = 'normal') "
            "ORDER BY s.id")]
        red = [r[0] for r in conn.exec_driver_sql(
            "SELECT s.id FROM settlements s JOIN invoices b ON b.settlement_id = s.id AND b.kind = 'normal' "
            "WHERE s.state = 'reversed' AND NOT EXISTS (SELECT 1 FROM invoices r WHERE r.related_invoice_id = b.id "
            "AND r.kind = 'red') ORDER BY s.id")]
    return blue, red


def issue_missing_invoices(ctx: ServiceContext, *, window: str | None = None) -> int:
    """Retry: blue invoices of confirmed/provisional settlements without one, red letters of reversed ones
    whose blue invoice has no red letter. Returns how many were issued now."""
    blue, red = missing_invoices(ctx)
    done = sum(issue_invoice(ctx, sid, window=window) is not None for sid in blue)
    return done + sum(red_letter(ctx, sid, window=window) is not None for sid in red)


def _invoices_of(conn: Any, settlement_id: int) -> dict:
    out: dict = {}
    for kind, code, number, check, state, body in conn.exec_driver_sql(
            "SELECT kind, einvoice_code, einvoice_number, random_number, state, body_json FROM invoices "
            "WHERE settlement_id = ? ORDER BY id", (settlement_id,)).fetchall():
        out[kind] = ({"EInvoiceCode": code, "EInvoiceNumber": number, "RandomNumber": check or "", "state": state},
                     json.loads(body) if body else None)
    return out


# ---------------------------------------------------------------------------- records / ledger
def settlement_record(ctx_or_store: Any, settlement_id: int) -> dict:
    """The settlement record (JSON-ready): what the CLI prints and the slip is rendered from
    (``invoicing.document_record`` is the fuller record of docs/documents.md for the forms)."""
    from sqlalchemy import select

    from offline_cache.models import Payment

    store = getattr(ctx_or_store, "store", ctx_or_store)
    pt = Payment.__table__
    with store.read_connection() as conn:
        srec = lifecycle.load(conn, settlement_id)
        if srec is None:
            raise ServiceError("invalid_input", f"本机没有编号为 {settlement_id} 的结算记录，请核对后重试。")
        pays = conn.execute(select(pt.c.method, pt.c.amount, pt.c.tendered, pt.c.change, pt.c.ref).where(
            pt.c.settlement_id == settlement_id).order_by(pt.c.id)).all()
        invoices = _invoices_of(conn, settlement_id)
    meta = srec.meta
    info = srec.setlinfo or None
    payments = []
    for m, a, t, c, ref in pays:
        d = {"method": m, "amount": fmt2(a)}
        if t is not None:
            d["tendered"] = fmt2(t)
            d["change"] = fmt2(c or Decimal("0"))
        if ref:
            d["ref"] = ref
        payments.append(d)
    trades = _codepay().trades_of(store, settlement_id)
    by_otn = {t["out_trade_no"]: t for t in trades}
    for d in payments:                      # a payment code: its channel and trade no (docs/payments.md)
        t = by_otn.get(d.get("ref") or "")
        if t is not None:
            d.update(channel=t["channel"], trade_no=t["transaction_id"] or "", out_trade_no=t["out_trade_no"])
    person = dict(meta.get("person") or {})
    rec = {"settlement_id": srec.id, "msgid": srec.msgid, "medins_setl_id": srec.msgid, "infno": srec.infno,
           "state": srec.state, "setl_id": srec.setl_id, "mdtrt_id": srec.mdtrt_id,
           "setl_time": (info or {}).get("setl_time"), "setlinfo": info,
           "setldetail": srec.setldetail or None, "preview": meta.get("preview"),
           "presettle": meta.get("presettle"), "differences": meta.get("differences") or [],
           "warnings": meta.get("warnings") or [], "prechecks": meta.get("prechecks") or [],
           # what the platform said beside the figures (docs/central-interface.md "Response handling")
           "warn_msg": meta.get("warn_msg"), "review": meta.get("review"),
           "payments": payments, "revoke_msgid": srec.revoke_msgid,
           "pay_trades": trades, "owed": _codepay().owed_of(store, settlement_id),
           "reversal": meta.get("reversal"), "error": meta.get("error"),
           "person": {"psn_no": person.get("psn_no"), "psn_name": person.get("name"),
                      "certno": person.get("masked_certno"), "gend": (info or {}).get("gend"),
                      "age": person.get("age"), "insuplc_admdvs": person.get("insuplc_admdvs"),
                      "insutype": person.get("insutype"), "psn_type": person.get("psn_type"),
                      "status": person.get("status")},
           "visit": meta.get("visit"), "lines": meta.get("lines") or [], "cashier": meta.get("cashier") or {"opter": srec.opter},
           "window": meta.get("window", ""),
           # e-invoice (医疗收费电子票据): the summary, and the full record for the renderers (QR = MSEI1 payload)
           "invoice": invoices.get("normal", (None, None))[0], "einvoice": invoices.get("normal", (None, None))[1],
           "red_invoice": invoices.get("red", (None, None))[0]}
    return rec


def _codepay():
    from . import codepay

    return codepay


def ledger(store) -> list[dict]:
    """Local settlements, oldest first: setl_id, mdtrt_id, msgid, state + every setlinfo amount by NHSA name."""
    with store.read_connection() as conn:
        rows = conn.exec_driver_sql("SELECT id, setl_id, mdtrt_id, msgid, infno, state, setlinfo_json, revoke_msgid, "
                                    "created_at FROM settlements ORDER BY id").fetchall()
    out = []
    for _sid, setl_id, mdtrt_id, msgid, infno, state, js, revoke, created in rows:
        info = json.loads(js) if js else {}
        row = {"setl_id": setl_id, "mdtrt_id": mdtrt_id, "msgid": msgid, "infno": infno, "state": state,
               "revoke_msgid": revoke, "created_at": str(created)[:19], "setl_time": info.get("setl_time")}
        for k in MONEY_FIELDS:
            if k in info:
                row[k] = info[k]
        out.append(row)
    return out
