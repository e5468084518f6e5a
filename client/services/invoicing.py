"""Electronic invoices (医疗收费电子票据) of settlements: number ranges, issuing, red letter, upload.

Rules (docs/reports.md "Invoice numbering and the outbox"; facts: settlement-rules.md §4.2):

* **Ranges.** The invoice platform (``POST {einvoice.url}/einvoice/api/allocate``) hands this window
  blocks of 10-digit numbers under one 8-digit code. They are stored in ``invoice_ranges``
  (``next_no`` = next number to issue). :func:`ensure_ranges` tops the stock up while online when
  fewer than ``low_water`` numbers are left, so the window can issue while OFFLINE. A lost
  allocation answer only wastes a block (gaps are allowed); numbers never repeat.
* **Issuing.** :func:`issue_for_settlement` runs after the settlement's local commit. In ONE write
  transaction (``BEGIN IMMEDIATE``, so two writers are serialised) it takes the next number
  (advancing ``next_no``), builds the record with :func:`client.domain.invoice.build_invoice`,
  inserts the ``invoices`` row (state ``allocated``, JSON body) and enqueues the upload in the
  outbox (kind ``einvoice.issue``, key ``einv:<code>-<number>``, chain ``einv:<settlement id>``).
  Either all of it is committed or nothing: a number is never used twice, across restarts too.
  Issuing twice for the same settlement returns the existing invoice.
* **Red letter.** :func:`red_letter_for_reversal` issues the 冲红 record of a reversed settlement
  (new number, amounts negated, ``RelatedInvoiceCode/Number`` = the original) the same way; its
  upload is chained after the original's, so the platform always sees the original first.
* **Upload.** :func:`drain_invoice_uploads` (or :func:`handle_outbox_item` from a generic outbox
  drainer) POSTs each pending document to ``/einvoice/api/issue``. The platform is idempotent by
  code+number (the same document answers the same result), so a retry after a lost answer is safe:
  transport errors are retried with back-off; a refusal stops that item for review
  (``needs_review``, invoice state ``failed``) and the cashier is told what to do.

Paper: :func:`begin_print` increments ``settlements.print_count`` BEFORE the paper is produced
and returns the ``flags`` for the renderers (the second and later prints are marked 补打（第N次）).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from client.domain import invoice as dinv
from client.domain.money import ZERO, fmt2, q2, to_amount
from offline_cache import outbox
from offline_cache.models import FeeLine, Invoice, Operator, Payment, Person, Settlement, Visit
from offline_cache.models import InvoiceRange as RangeRow

from .errors import ServiceError

__all__ = [
    "ISSUABLE_STATES", "OUTBOX_KIND", "DrainResult", "EInvoicePlatform", "IssuedInvoice",
    "PlatformRefused", "PlatformUnavailable", "begin_print", "drain_invoice_uploads",
    "ensure_ranges", "export_invoices", "handle_outbox_item", "invoices_of_day", "issue_for_settlement",
    "red_letter_for_reversal", "remaining_numbers", "document_record", "upload_document",
]

log = logging.getLogger("client.services.invoicing")

OUTBOX_KIND = "einvoice.issue"
ISSUABLE_STATES = ("confirmed", "provisional")
DEFAULT_LOW_WATER = 50
DEFAULT_BATCH = 200


# ---------------------------------------------------------------------------------------------
# The invoice platform (財政电子票据平台) over HTTP
# ---------------------------------------------------------------------------------------------

class PlatformUnavailable(ServiceError):
    """No answer from the invoice platform (network down, timeout, HTTP 5xx, not JSON)."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__("offline", message, detail=detail)


class PlatformRefused(ServiceError):
    """The invoice platform answered with code != 0; ``detail`` keeps its message verbatim."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__("refused", message, detail=detail)


class EInvoicePlatform:
    """``POST {url}/einvoice/api/allocate`` and ``/einvoice/api/issue`` (JSON, ``{"code", "data", "message"}``)."""

    def __init__(self, url: str, fixmedins_code: str, window: str, *, timeout: float = 10.0,
                 session: requests.Session | None = None):
        if not url:
            raise ServiceError("config", "没有配置电子票据平台地址（einvoice.url 或 platform.url），请信息科在站点配置中填写。")
        self.url = url.rstrip("/")
        self.fixmedins_code = fixmedins_code
        self.window = window or "01"
        self.timeout = timeout
        self.session = session or requests.Session()

    @classmethod
    def from_settings(cls, settings: Any, *, window: str | None = None) -> EInvoicePlatform:
        url = settings.einvoice.url or settings.platform.url
        return cls(url, settings.site.fixmedins_code, window or settings.window_id or "01",
                   timeout=settings.einvoice.timeout)

    def close(self) -> None:
        self.session.close()

    def _post(self, path: str, body: dict) -> dict:
        try:
            r = self.session.post(self.url + path, data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                  headers={"Content-Type": "application/json;charset=UTF-8"}, timeout=self.timeout)
        except requests.RequestException as exc:
            raise PlatformUnavailable("电子票据平台暂时连不上，票据已保存在本机，联网后会自动上传，无需重开。",
                                      detail=type(exc).__name__ + ": " + str(exc)[:200]) from None
        if r.status_code >= 500:
            raise PlatformUnavailable("电子票据平台暂时不可用（服务器错误），稍后会自动重试，无需重开。",
                                      detail=f"HTTP {r.status_code}")
        try:
            doc = r.json()
        except ValueError:
            raise PlatformUnavailable("电子票据平台返回的内容无法识别，稍后会自动重试；多次出现请联系信息科。",
                                      detail=r.text[:200]) from None
        if not isinstance(doc, dict) or doc.get("code") != 0:
            msg = str(doc.get("message") if isinstance(doc, dict) else doc)
            raise PlatformRefused(f"电子票据平台拒绝：{msg}。请联系信息科核对票据号段与开票数据。", detail=msg)
        return doc.get("data") or {}

    def allocate(self, count: int) -> dict:
        return self._post("/einvoice/api/allocate", {"fixmedins_code": self.fixmedins_code, "window": self.window,
                                                      "count": int(count)})

    def issue(self, document: dict) -> dict:
        return self._post("/einvoice/api/issue", document)


# ---------------------------------------------------------------------------------------------
# Number ranges
# ---------------------------------------------------------------------------------------------

def _window(settings: Any = None, window: str | None = None) -> str:
    return window or (getattr(settings, "window_id", None) if settings is not None else None) or "01"


def remaining_numbers(store: Any, window: str = "01") -> int:
    """Numbers this window can still issue from its stored ranges (works offline)."""
    with store.read_session() as s:
        return sum(_as_range(r).remaining for r in _ranges(s, window))


def _ranges(s: Session, window: str) -> list[RangeRow]:
    return list(s.scalars(select(RangeRow).where(RangeRow.window_id == window).order_by(RangeRow.id)))


def _as_range(row: RangeRow) -> dinv.InvoiceRange:
    return dinv.InvoiceRange(row.einvoice_code, int(row.start_no), int(row.end_no), int(row.next_no))


def ensure_ranges(store: Any, platform: EInvoicePlatform, *, window: str | None = None,
                  low_water: int = DEFAULT_LOW_WATER, batch: int = DEFAULT_BATCH,
                  now: datetime | None = None) -> int:
    """Allocate a new block when fewer than ``low_water`` numbers are left; returns the stock after.

    Call while online (start of day, after each upload drain). Raises PlatformUnavailable /
    PlatformRefused only when the stock is EMPTY (otherwise the window can keep issuing and the
    failure is logged)."""
    window = window or platform.window
    left = remaining_numbers(store, window)
    if left >= low_water:
        return left
    try:
        data = platform.allocate(batch)
        code, start, end = str(data["EInvoiceCode"]), int(data["start"]), int(data["end"])
        rng = dinv.InvoiceRange(code, start, end)  # validates code/number format
    except (PlatformUnavailable, PlatformRefused):
        if left > 0:
            log.warning("invoice range top-up failed; %d numbers left", left)
            return left
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ServiceError("refused", f"电子票据平台下发的号段无效（{exc}），请联系信息科。") from None
    with store.session() as s:
        s.add(RangeRow(einvoice_code=rng.code, start_no=f"{rng.start:010d}", end_no=f"{rng.end:010d}",
                       next_no=f"{rng.next:010d}", window_id=window, created_at=now or datetime.now()))
    return left + rng.remaining


def _take_number(s: Session, window: str) -> tuple[str, str]:
    """Next (code, number) of this window, advancing ``next_no`` in the caller's transaction."""
    for row in _ranges(s, window):
        rng = _as_range(row)
        if rng.exhausted:
            continue
        number = rng.next_number()
        row.next_no = f"{rng.next:010d}"
        s.flush()
        return rng.code, number
    raise ServiceError("invalid_input", "本窗口没有可用的电子票据号码（号段已用完或尚未申领）。结算已保存，"
                                        "请联网后在“票据号段”中申领新号段，再对该笔结算补开电子票据。")


# ---------------------------------------------------------------------------------------------
# The settlement record (docs/documents.md) rebuilt from the store
# ---------------------------------------------------------------------------------------------

def _d(value: Any, field_name: str) -> Decimal:
    if isinstance(value, Decimal):
        return q2(value)
    return to_amount(str(value) if value is not None else "0.00", field_name)


def _age(brdy: date | None, on: date) -> int | None:
    if brdy is None:
        return None
    return on.year - brdy.year - ((on.month, on.day) < (brdy.month, brdy.day))


def _age_years(v: Any) -> Any:
    """setlinfo ``age`` is a number ("36.0" on the wire): printed as whole years (36)."""
    try:
        d = Decimal(str(v))
    except (ArithmeticError, ValueError):
        return v
    return int(d) if d == d.to_integral_value() else v


def institution_of(settings: Any) -> dict:
    """The institution block of every printed document (from ``settings.site``)."""
    site = settings.site
    return {"fixmedins_code": site.fixmedins_code, "fixmedins_name": site.fixmedins_name, "admdvs": site.admdvs,
            "hosp_lv": site.hosp_lv}


def document_record(store_or_session: Any, settlement_id: int, settings: Any, *,
                    setlinfo: dict | None = None) -> dict:
    """The settlement record of docs/documents.md for a stored settlement (renderers, invoices).

    Sources: ``settlements.setlinfo_json`` (2207/2304 output or the offline engine result), the
    visit, the cached person (1101), the fee lines with their 2204 split, the payments, the
    operator; the institution from ``settings.site``. ``invoice_split`` follows the engine rule
    (self_cost = min(psn_part_amt, fulamt_ownpay_amt + overlmt_selfpay)).

    ``setlinfo`` stands in for the stored result of a provisional (offline) settlement, whose
    platform result is not in yet: its receipt shows the provisional figures.
    """
    if isinstance(store_or_session, Session):
        return _record(store_or_session, settlement_id, settings, setlinfo)
    with store_or_session.read_session() as s:
        return _record(s, settlement_id, settings, setlinfo)


def _record(s: Session, settlement_id: int, settings: Any, override: dict | None = None) -> dict:
    st = s.get(Settlement, settlement_id)
    if st is None:
        raise ServiceError("invalid_input", f"本机没有编号为 {settlement_id} 的结算记录，请核对后重试。")
    if not st.setlinfo_json and override is None:
        raise ServiceError("invalid_input", f"结算 {settlement_id} 尚无结算结果（状态：{st.state}），不能开票或打印。")
    info = dict(override) if override is not None else json.loads(st.setlinfo_json)
    visit = s.get(Visit, st.visit_id)
    person = s.get(Person, visit.psn_no) if visit is not None else None
    op = s.scalars(select(Operator).where(Operator.opter == st.opter)).first() if st.opter else None
    meta = json.loads(st.preview_json) if st.preview_json else {}  # checkout's context (visit, cashier)
    meta_visit = meta.get("visit") or {}
    cashier_name = op.opter_name if op else (meta.get("cashier") or {}).get("opter_name") or st.opter or ""
    setl_time = str(info.get("setl_time") or st.created_at.strftime("%Y-%m-%d %H:%M:%S"))
    on = datetime.strptime(setl_time[:10], "%Y-%m-%d").date()
    certno = (person.certno if person else None) or info.get("certno") or ""
    age = _age_years(info.get("age"))
    if age in (None, "") and person is not None:
        age = _age(person.brdy, on)
    setlinfo = {k: v for k, v in info.items()}
    psn_part = _d(info.get("psn_part_amt"), "psn_part_amt")
    self_cost = min(psn_part, _d(info.get("fulamt_ownpay_amt", "0.00"), "fulamt_ownpay_amt")
                    + _d(info.get("overlmt_selfpay", "0.00"), "overlmt_selfpay"))
    lines = []
    # this settlement's own lines: an inpatient stay's settlement (mid-stay / final) names them; a visit
    # settled again after a 部分退费 holds the lines of both settlements, its preview lists its own
    only = set(meta.get("feedetl_sns") or [])
    if not only:
        only = {x.get("feedetl_sn") for x in (meta.get("lines") or []) if isinstance(x, dict)} - {None, ""}
    for ln in s.scalars(select(FeeLine).where(FeeLine.visit_id == st.visit_id).order_by(FeeLine.id)):
        if only and ln.feedetl_sn not in only:
            continue
        lines.append({
            "feedetl_sn": ln.feedetl_sn, "code": ln.med_list_codg, "name": ln.name, "spec": ln.spec or "",
            "unit": "", "cnt": format(ln.cnt, "f"), "pric": format(ln.pric, "f"),
            "det_item_fee_sumamt": fmt2(ln.det_item_fee_sumamt), "med_chrgitm_type": ln.med_chrgitm_type or "14",
            "chrgitm_lv": ln.chrgitm_lv or "",
            "selfpay_prop": format(ln.selfpay_prop, "f") if ln.selfpay_prop is not None else "",
            "fulamt_ownpay_amt": fmt2(ln.fulamt_ownpay_amt or ZERO), "overlmt_amt": fmt2(ln.overlmt_amt or ZERO),
            "preselfpay_amt": fmt2(ln.preselfpay_amt or ZERO), "inscp_scp_amt": fmt2(ln.inscp_scp_amt or ZERO),
        })
    payments = []
    for p in s.scalars(select(Payment).where(Payment.settlement_id == st.id).order_by(Payment.id)):
        if p.method == "account":
            continue  # the personal account is printed from setlinfo.acct_pay
        d = {"method": p.method, "amount": fmt2(p.amount)}
        if p.tendered is not None:
            d["tendered"] = fmt2(p.tendered)
            d["change"] = fmt2(p.change or ZERO)
        if p.ref and p.amount > 0:         # a payment code: the channel and its trade no (docs/payments.md)
            from offline_cache.models import PayTrade

            tr = s.scalars(select(PayTrade).where(PayTrade.out_trade_no == p.ref)).first()
            if tr is not None:
                d["channel"] = tr.channel
                d["trade_no"] = tr.transaction_id or ""
                d["out_trade_no"] = tr.out_trade_no
        payments.append(d)
    from .stay_netting import netting_of

    deposit = netting_of(s.connection(), st.id)   # an inpatient stay's settlement: the deposit netting
    return {
        "deposit_netting": deposit,
        "institution": institution_of(settings),
        "window": meta.get("window") or _window(settings),
        "cashier": {"opter": st.opter or "", "opter_name": cashier_name},
        "person": {"psn_name": (person.psn_name if person else None) or info.get("psn_name") or "",
                   "certno": certno, "gend": (person.gend if person else None) or info.get("gend") or "9",
                   "age": age, "insutype": (visit.insutype if visit else None) or info.get("insutype") or "",
                   "psn_type": info.get("psn_type") or "",
                   "insuplc_admdvs": (visit.insuplc_admdvs if visit else None) or info.get("clr_optins") or "",
                   "psn_no": (visit.psn_no if visit else None) or info.get("psn_no") or ""},
        "visit": {"med_type": (visit.med_type if visit else None) or info.get("med_type") or "11",
                  "ipt_otp_no": (visit.ipt_otp_no if visit else None) or "",
                  "mdtrt_id": st.mdtrt_id or (visit.mdtrt_id if visit else "") or "",
                  "begndate": (visit.begntime if visit else st.created_at).strftime("%Y-%m-%d"),
                  "enddate": visit.endtime.strftime("%Y-%m-%d") if visit and visit.endtime else None,
                  "dept_name": meta_visit.get("dept_name") or ""},
        "setl_id": st.setl_id or "",
        "medins_setl_id": st.msgid,
        "setl_time": setl_time,
        "setlinfo": setlinfo,
        "setldetail": json.loads(st.setldetail_json) if st.setldetail_json else [],
        "invoice_split": {"self_cost": fmt2(self_cost), "self_pay": fmt2(psn_part - self_cost)},
        "lines": lines,
        "payments": payments,
        "einvoice": None,
        "flags": {"training": bool(getattr(getattr(settings, "training", None), "enabled", False)),
                  "offline": bool(st.offline), "reprint": False, "print_count": st.print_count or 0},
    }


# ---------------------------------------------------------------------------------------------
# Issuing
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IssuedInvoice:
    id: int
    settlement_id: int
    code: str
    number: str
    check_code: str
    kind: str                      # normal | red
    state: str                     # allocated (numbered, not yet accepted) | issued | failed
    body: dict = field(repr=False)
    created: bool = True           # False when an existing invoice was returned


def _issued(row: Invoice, created: bool) -> IssuedInvoice:
    return IssuedInvoice(row.id, row.settlement_id, row.einvoice_code, row.einvoice_number, row.random_number or "",
                         row.kind, row.state, json.loads(row.body_json or "{}"), created)


def upload_document(inv: dict) -> dict:
    """The body POSTed to /einvoice/api/issue: Main's fields at the top level, plus Details/AuxDetails."""
    return {"EInvoiceTag": inv.get("EInvoiceTag"), "Version": inv.get("Version"), **inv["Main"],
            "Details": inv.get("Details", []), "AuxDetails": inv.get("AuxDetails", [])}


def _enqueue(s: Session, row: Invoice, body: dict, chain: str, now: datetime) -> None:
    key = f"einv:{row.einvoice_code}-{row.einvoice_number}"
    outbox.enqueue(s, key=key, kind=OUTBOX_KIND, chain=chain, now=now,
                   payload={"invoice_id": row.id, "document": upload_document(body)})


def _check_code(code: str, number: str, amount: str, secret: bytes | None) -> str:
    return dinv.make_check_code(code, number, amount, secret)


def issue_for_settlement(store: Any, settlement_id: int, *, settings: Any, window: str | None = None,
                         when: datetime | None = None, secret: bytes | None = None) -> IssuedInvoice:
    """Number, build, store and enqueue the e-invoice of a locally committed settlement (see module doc).

    Idempotent per settlement: a second call returns the existing (blue) invoice with ``created=False``.
    Raises ServiceError (Chinese) when the settlement is not settled, the stock of numbers is
    empty, or the amounts do not allow an invoice; nothing is written then.
    """
    window = _window(settings, window)
    when = when or datetime.now()
    e = settings.einvoice
    try:
        with store.session() as s:
            existing = s.scalars(select(Invoice).where(Invoice.settlement_id == settlement_id,
                                                       Invoice.kind == "normal")).first()
            if existing is not None:
                return _issued(existing, False)
            st = s.get(Settlement, settlement_id)
            if st is None or st.state not in ISSUABLE_STATES:
                state = st.state if st else "不存在"
                raise ServiceError("invalid_input", f"结算 {settlement_id} 当前状态为“{state}”，只有已结算（含离线结算）"
                                                    "的记录才能开具电子票据。请先完成结算或查询结算结果。")
            record = _record(s, settlement_id, settings)
            code, number = _take_number(s, window)
            amount = record["setlinfo"].get("medfee_sumamt", "0.00")
            inv = dinv.build_invoice(record, code, number, _check_code(code, number, amount, secret), when,
                                     specimen_code="", supervisor_area_code=e.supervisor_area_code or None)
            row = Invoice(settlement_id=settlement_id, einvoice_code=code, einvoice_number=number,
                          random_number=inv["Main"]["RandomNumber"], kind="normal", state="allocated",
                          body_json=json.dumps(inv, ensure_ascii=False), created_at=when)
            s.add(row)
            s.flush()
            _enqueue(s, row, inv, f"einv:{settlement_id}", when)
            return _issued(row, True)
    except dinv.InvoiceError as exc:
        raise ServiceError("invalid_input", str(exc)) from None


def red_letter_for_reversal(store: Any, settlement_id: int, *, settings: Any, window: str | None = None,
                            reason: str = "", when: datetime | None = None,
                            secret: bytes | None = None) -> IssuedInvoice:
    """The red-letter (冲红) invoice of a reversed settlement, linked to its blue invoice; idempotent."""
    window = _window(settings, window)
    when = when or datetime.now()
    try:
        with store.session() as s:
            st = s.get(Settlement, settlement_id)
            if st is None or st.state != "reversed":
                raise ServiceError("invalid_input", f"结算 {settlement_id} 尚未冲销（撤销结算），不能开具红字票据。"
                                                    "请先撤销结算，再冲红。")
            blue = s.scalars(select(Invoice).where(Invoice.settlement_id == settlement_id,
                                                   Invoice.kind == "normal")).first()
            if blue is None:
                raise ServiceError("invalid_input", f"结算 {settlement_id} 没有开具过电子票据，无需冲红。")
            red = s.scalars(select(Invoice).where(Invoice.related_invoice_id == blue.id,
                                                  Invoice.kind == "red")).first()
            if red is not None:
                return _issued(red, False)
            original = json.loads(blue.body_json)
            code, number = _take_number(s, window)
            total = original["Main"]["TotalAmount"]
            body = dinv.build_red_letter(original, code, number,
                                         _check_code(code, number, fmt2(-Decimal(total)), secret), when,
                                         reason or "撤销结算")
            row = Invoice(settlement_id=settlement_id, einvoice_code=code, einvoice_number=number,
                          random_number=body["Main"]["RandomNumber"], kind="red", related_invoice_id=blue.id,
                          state="allocated", body_json=json.dumps(body, ensure_ascii=False), created_at=when)
            s.add(row)
            s.flush()
            _enqueue(s, row, body, f"einv:{settlement_id}", when)
            return _issued(row, True)
    except dinv.InvoiceError as exc:
        raise ServiceError("invalid_input", str(exc)) from None


# ---------------------------------------------------------------------------------------------
# Upload (outbox handler)
# ---------------------------------------------------------------------------------------------

@dataclass
class DrainResult:
    acked: int = 0
    failed: int = 0           # will be retried (platform unreachable)
    needs_review: int = 0     # refused by the platform: a person decides
    messages: list[str] = field(default_factory=list)


def handle_outbox_item(store: Any, platform: EInvoicePlatform, item: outbox.OutboxItem, *,
                       now: datetime | None = None) -> str:
    """Send one claimed ``einvoice.issue`` item (state ``sending``). Returns ``acked`` | ``failed``
    | ``needs_review``; the outbox row and the invoice row are updated in one transaction."""
    try:
        data = platform.issue(item.payload["document"])
    except PlatformUnavailable as exc:
        with store.session() as s:
            outbox.mark_failed(s, item.id, exc.detail or exc.message, now=now)
        return "failed"
    except PlatformRefused as exc:
        with store.session() as s:
            outbox.mark_needs_review(s, item.id, exc.detail, now=now)
            row = s.get(Invoice, item.payload["invoice_id"])
            if row is not None:
                row.state = "failed"
        return "needs_review"
    t = now or datetime.now()
    with store.session() as s:
        row = s.get(Invoice, item.payload["invoice_id"])
        if row is not None:
            row.state = "issued"
            row.issued_at = t
            check = str(data.get("RandomNumber") or "")
            if check and re.fullmatch(r"[0-9a-z]{6}", check) and check != row.random_number:
                body = json.loads(row.body_json)
                body["Main"]["RandomNumber"] = check  # the platform's 赋码 wins
                row.body_json = json.dumps(body, ensure_ascii=False)
                row.random_number = check
        outbox.mark_acked(s, item.id, server_ref=f"{data.get('EInvoiceCode', '')}-{data.get('EInvoiceNumber', '')}",
                          now=t)
    return "acked"


def drain_invoice_uploads(store: Any, platform: EInvoicePlatform, *, now: datetime | None = None,
                          limit: int = 1000) -> DrainResult:
    """Upload pending e-invoices in outbox order until none is due; stops at the first transport
    failure (the platform is down: the rest stays pending)."""
    res = DrainResult()
    for _ in range(limit):
        with store.session() as s:
            item = outbox.claim_next(s, now=now, kinds=(OUTBOX_KIND,))
        if item is None:
            break
        outcome = handle_outbox_item(store, platform, item, now=now)
        if outcome == "acked":
            res.acked += 1
        elif outcome == "failed":
            res.failed += 1
            res.messages.append("电子票据平台暂时连不上，未上传的票据已保留，联网后会自动上传。")
            break
        else:
            res.needs_review += 1
            res.messages.append(f"票据 {item.idempotency_key[5:]} 被电子票据平台拒绝，请联系信息科处理后重新上传。")
    return res


# ---------------------------------------------------------------------------------------------
# Paper: print count
# ---------------------------------------------------------------------------------------------

def begin_print(store: Any, settlement_id: int) -> dict:
    """Count a print of the settlement's documents (committed BEFORE the paper comes out, so every
    sheet is counted) and return the renderer ``flags`` update: the first print is the original;
    later ones are ``{"reprint": True, "print_count": N}`` = 补打（第N次）, N = 1 for the first reprint."""
    with store.session() as s:
        st = s.get(Settlement, settlement_id)
        if st is None:
            raise ServiceError("invalid_input", f"本机没有编号为 {settlement_id} 的结算记录，不能打印。")
        if st.state not in ISSUABLE_STATES + ("reversed",):
            raise ServiceError("invalid_input", f"结算 {settlement_id} 当前状态为“{st.state}”，尚未结算完成，不能打印票据。"
                                                "请先完成结算或查询结算结果。")
        before = st.print_count or 0
        st.print_count = before + 1
        st.updated_at = datetime.now()
    return {"reprint": before > 0, "print_count": before}


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------

def invoices_of_day(store: Any, day: date) -> list[dict]:
    """Invoice rows created on ``day`` (code, number, kind, state, body), in number order."""
    start = datetime.combine(day, time.min)
    with store.read_session() as s:
        rows = s.scalars(select(Invoice).where(Invoice.created_at >= start,
                                               Invoice.created_at < start + timedelta(days=1))
                         .order_by(Invoice.einvoice_code, Invoice.einvoice_number))
        return [{"id": r.id, "settlement_id": r.settlement_id, "code": r.einvoice_code, "number": r.einvoice_number,
                 "kind": r.kind, "state": r.state, "body": json.loads(r.body_json or "{}")} for r in rows]


def export_invoices(store: Any, day: date, fmt: str, out_dir: str | Path) -> list[Path]:
    """Write each invoice of ``day`` as ``<code>-<number>.xml|json`` into ``out_dir`` (XML validated
    against resources/schemas/einvoice.xsd first; a failing document stops the export with nothing
    of it written)."""
    from client.printing.common import write_out
    from client.printing.einvoice_xml import EInvoiceXmlError, to_xml, validate_xml

    if fmt not in ("xml", "json"):
        raise ServiceError("invalid_input", f"导出格式只能是 xml 或 json，收到“{fmt}”。")
    out = Path(out_dir)
    paths = []
    for inv in invoices_of_day(store, day):
        if fmt == "xml":
            data = to_xml(inv["body"])
            try:
                validate_xml(data)
            except EInvoiceXmlError as exc:
                raise ServiceError("invalid_input", f"票据 {inv['code']}-{inv['number']} 不符合票据格式：{exc}") from None
        else:
            data = (dinv.to_json(inv["body"]) + "\n").encode("utf-8")
        p = out / f"{inv['code']}-{inv['number']}.{fmt}"
        write_out(data, p)
        paths.append(p)
    return paths


def invoice_counts(store: Any) -> dict[str, int]:
    """Invoices per state (allocated / issued / failed / cancelled)."""
    with store.read_session() as s:
        return dict(s.execute(select(Invoice.state, func.count()).group_by(Invoice.state)).all())
