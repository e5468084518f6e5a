"""Charges: fee files (JSON / CSV) and the HIS adapter (pending charges of a patient).

Fee file formats (docs/checkout.md):

* JSON: a list of lines in settlement-case ``lines`` form — ``[{"code": "...", "cnt": "2",
  "pric": "26.50", "name": "复方丹参滴丸"}, ...]`` (``pric`` optional: the catalogue's hospital price;
  numbers may be strings or integers, never floats); a document ``{"lines": [...]}`` is accepted too.
* CSV (UTF-8, optional BOM, comma-separated) with a header naming the columns ``code,cnt,pric,name``
  (``pric`` and ``name`` optional).
* A line may carry the hospital's own code ``medins_list_codg`` (or ``hosp_code``) instead of, or
  beside, the national ``code``: the checkout then takes the national code from the 目录对照
  (client.services.mapping.resolve_line) and sends both.

A malformed file raises ServiceError('invalid_input') naming the line; nothing is applied.

HIS adapter: :class:`HisAdapter` is the interface (``pending(person) -> list[HisVisit]``);
:class:`HttpHisAdapter` talks to the training platform's demo HIS (``POST /his/api/pendingCharges``
with ``{"fixmedins_code", "certno"}`` → ``{"code": 0, "data": [visit, ...]}``); a site connects its
own HIS by implementing the same method.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

import requests

from client.domain.money import q2

from .errors import ServiceError

MAX_FILE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class FeeInput:
    code: str
    cnt: Decimal
    pric: Decimal | None = None
    name: str = ""
    where: str = ""                        # "第3行" — for messages
    extra: dict = field(default_factory=dict, compare=False)   # HIS fields (bilg_dept_codg …)
    hosp_code: str = ""                    # the hospital's own code (medins_list_codg); "" = a national-code line


def _num(value: Any, field_name: str, where: str, positive: bool = True) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        raise ServiceError("invalid_input", f"费用文件{where}的 {field_name} 必须写成字符串或整数（如 \"2\" 或 \"26.50\"），不能是小数浮点数。")
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError("invalid_input", f"费用文件{where}的 {field_name}“{value}”不是有效数字，请修改后重试。") from None
    if not d.is_finite() or (positive and d <= 0):
        raise ServiceError("invalid_input", f"费用文件{where}的 {field_name} 必须大于0（当前为“{value}”）。")
    if d.as_tuple().exponent < -6:
        raise ServiceError("invalid_input", f"费用文件{where}的 {field_name} 小数位过多（最多6位）。")
    return d


def _line(obj: Any, where: str) -> FeeInput:
    if not isinstance(obj, dict):
        raise ServiceError("invalid_input", f"费用文件{where}不是对象，应为 {{\"code\": ..., \"cnt\": ..., \"pric\": ...}}。")
    code = obj.get("code") or obj.get("med_list_codg") or ""
    hosp = obj.get("medins_list_codg") or obj.get("hosp_code") or ""
    if not isinstance(hosp, str):
        raise ServiceError("invalid_input", f"费用文件{where}的院内编码 medins_list_codg 应为文字。")
    if not isinstance(code, str) or (not code.strip() and not hosp.strip()):
        raise ServiceError("invalid_input", f"费用文件{where}缺少医疗目录编码 code（或院内编码 medins_list_codg）。")
    if obj.get("cnt") in (None, ""):
        raise ServiceError("invalid_input", f"费用文件{where}缺少数量 cnt。")
    cnt = _num(obj["cnt"], "数量 cnt", where)
    pric = None if obj.get("pric") in (None, "") else _num(obj["pric"], "单价 pric", where, positive=False)
    name = obj.get("name") or ""
    return FeeInput(code.strip(), cnt, pric, str(name), where, hosp_code=hosp.strip())


def parse_fee_text(text: str, fmt: str) -> list[FeeInput]:
    if fmt == "json":
        try:
            doc = json.loads(text, parse_float=lambda s: float(s))
        except ValueError as exc:
            raise ServiceError("invalid_input", f"费用文件不是有效的 JSON（第 {getattr(exc, 'lineno', '?')} 行附近：{exc}）。") from None
        if isinstance(doc, dict) and isinstance(doc.get("lines"), list):
            doc = doc["lines"]
        if not isinstance(doc, list):
            raise ServiceError("invalid_input", "费用文件应为明细数组 [{\"code\":..., \"cnt\":..., \"pric\":...}, ...]。")
        lines = [_line(o, f"第{i}条明细") for i, o in enumerate(doc, 1)]
    else:
        reader = csv.reader(io.StringIO(text))
        rows = [r for r in reader]
        rows = [r for r in rows if any(c.strip() for c in r)]
        if not rows:
            raise ServiceError("invalid_input", "费用文件为空。")
        header = [h.strip().lower() for h in rows[0]]
        if not ({"code", "medins_list_codg"} & set(header)) or "cnt" not in header:
            raise ServiceError("invalid_input", "CSV 费用文件第1行应为表头，至少包含 code（或院内编码 medins_list_codg）和 cnt 列"
                                                "（可选 pric、name）。")
        lines = []
        for n, r in enumerate(rows[1:], 2):
            if len(r) != len(header):
                raise ServiceError("invalid_input", f"CSV 费用文件第{n}行有 {len(r)} 列，与表头的 {len(header)} 列不一致，请检查逗号。")
            lines.append(_line({h: v.strip() for h, v in zip(header, r, strict=True)}, f"第{n}行"))
    if not lines:
        raise ServiceError("invalid_input", "费用文件中没有明细。")
    return lines


def load_fee_file(path: str | Path) -> list[FeeInput]:
    p = Path(path)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise ServiceError("invalid_input", f"费用文件过大（超过 {MAX_FILE_BYTES // 1024 // 1024} MB）：{p}")
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ServiceError("invalid_input", f"找不到费用文件：{p}，请检查路径。") from None
    except IsADirectoryError:
        raise ServiceError("invalid_input", f"{p} 是文件夹，不是费用文件。") from None
    except OSError as exc:
        raise ServiceError("invalid_input", f"无法读取费用文件 {p}（{exc.strerror or exc}）。") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError("invalid_input", "费用文件必须是 UTF-8 编码（Excel 另存为“CSV UTF-8”）。") from None
    fmt = "json" if (p.suffix.lower() == ".json" or text.lstrip()[:1] in ("[", "{")) else "csv"
    return parse_fee_text(text, fmt)


# ------------------------------------------------------------------------------------------ HIS
@dataclass
class HisVisit:
    ipt_otp_no: str
    med_type: str
    begntime: str
    lines: list[FeeInput]
    dise_codg: str = ""
    dise_name: str = ""
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def amount(self) -> Decimal:
        """The bill's total: its lines' amounts (cnt × pric, to the fen)."""
        return sum((q2(fi.cnt * fi.pric) if fi.pric is not None else Decimal(str(fi.extra.get("det_item_fee_sumamt")
                                                                                  or "0")) for fi in self.lines),
                   Decimal("0.00"))

    @property
    def dept_name(self) -> str:
        return str((self.lines[0].extra if self.lines else {}).get("bilg_dept_name") or self.raw.get("dept_name") or "")

    @property
    def doctor_name(self) -> str:
        return str((self.lines[0].extra if self.lines else {}).get("bilg_dr_name") or self.raw.get("dr_name") or "")


class HisAdapter(Protocol):
    def pending(self, certno: str, psn_no: str = "") -> list[HisVisit]: ...

    def confirm_paid(self, bills: list[str], *, setl_id: str, msgid: str) -> None: ...

    def cancel_paid(self, bills: list[str], *, setl_id: str, msgid: str) -> None: ...


def his_visit_from_doc(doc: dict) -> HisVisit:
    lines = []
    for i, ln in enumerate(doc.get("lines") or [], 1):
        fi = _line(ln, f"HIS 第{i}条明细")
        extra = {k: ln[k] for k in ("feedetl_sn", "bilg_dept_codg", "bilg_dept_name", "bilg_dr_codg", "bilg_dr_name",
                                    "fee_ocur_time", "det_item_fee_sumamt") if ln.get(k) not in (None, "")}
        lines.append(FeeInput(fi.code, fi.cnt, fi.pric, fi.name, fi.where, extra, fi.hosp_code))
    return HisVisit(str(doc.get("ipt_otp_no") or ""), str(doc.get("med_type") or "11"), str(doc.get("begntime") or ""),
                    lines, str(doc.get("dise_codg") or ""), str(doc.get("dise_name") or ""), doc)


class HttpHisAdapter:
    """The training platform's demo HIS (``POST {base}/his/api/pendingCharges``, ``/chargeConfirm``,
    ``/chargeCancel``). A real hospital's HIS integration is site-specific: this JSON shape is our own
    convention (docs/central-interface.md)."""

    def __init__(self, base_url: str, fixmedins_code: str, session: requests.Session | None = None,
                 timeout: float = 10.0):
        self.base = base_url.rstrip("/") + "/his/api/"
        self.url = self.base + "pendingCharges"
        self.fixmedins_code = fixmedins_code
        self.session = session or requests.Session()
        self.timeout = timeout

    def _post(self, name: str, body: dict, what: str) -> dict:
        try:
            r = self.session.post(self.base + name, json=dict(body, fixmedins_code=self.fixmedins_code),
                                  timeout=self.timeout)
        except requests.Timeout:
            raise ServiceError("offline", f"HIS 没有在 {self.timeout:.0f} 秒内应答（{what}）。", system="his") from None
        except requests.RequestException:
            raise ServiceError("offline", f"无法连接 HIS（{what}）：HIS 服务器没有响应。", system="his") from None
        try:
            doc = r.json()
        except ValueError:
            raise ServiceError("refused", f"HIS 的应答不是有效数据（{what}，HTTP {r.status_code}）。", system="his") from None
        if not isinstance(doc, dict) or str(doc.get("code")) != "0":
            msg = doc.get("message") if isinstance(doc, dict) else ""
            raise ServiceError("refused", f"HIS 拒绝了{what}：{msg or '未说明原因'}", detail=str(msg or ""), system="his")
        return doc

    def pending(self, certno: str, psn_no: str = "") -> list[HisVisit]:
        doc = self._post("pendingCharges", {"certno": certno, "psn_no": psn_no}, "取待缴费单据")
        visits = []
        for v in doc.get("data") or []:
            if isinstance(v, dict) and v.get("fixmedins_code") not in (None, "", self.fixmedins_code):
                continue   # a visit at another institution
            visits.append(his_visit_from_doc(v))
        return visits

    def stay(self, *, certno: str = "", ipt_no: str = "", day: int | None = None) -> dict:
        """An in-stay patient (住院): the HIS's stay header and the fee lines of ``day`` (1-based day of
        the stay; None = every day so far) — ``POST stayFees`` (our convention, docs/central-interface.md).
        Returns {ipt_no, adm_time, dept_code, dept_name, bed, dr_code, dr_name, dise_codg, dise_name,
        ndays, days, lines: [FeeInput]}."""
        body: dict = {"certno": certno, "ipt_no": ipt_no}
        if day is not None:
            body["day"] = day
        doc = self._post("stayFees", body, "取住院费用")
        data = dict(doc.get("data") or {})
        lines = []
        for i, ln in enumerate(data.get("lines") or [], 1):
            fi = _line(ln, f"HIS 第{i}条住院明细")
            extra = {k: ln[k] for k in ("feedetl_sn", "bilg_dept_codg", "bilg_dept_name", "bilg_dr_codg", "bilg_dr_name",
                                        "fee_ocur_time", "det_item_fee_sumamt") if ln.get(k) not in (None, "")}
            lines.append(FeeInput(fi.code, fi.cnt, fi.pric, fi.name, fi.where, extra, fi.hosp_code))
        data["lines"] = lines
        return data

    def confirm_paid(self, bills: list[str], *, setl_id: str, msgid: str) -> None:
        """The bills are paid (after the local commit of their settlement)."""
        self._post("chargeConfirm", {"ipt_otp_nos": list(bills), "setl_id": setl_id, "medins_setl_id": msgid},
                   "确认缴费")

    def cancel_paid(self, bills: list[str], *, setl_id: str, msgid: str) -> None:
        """The settlement of the bills was reversed: they are unpaid again."""
        self._post("chargeCancel", {"ipt_otp_nos": list(bills), "setl_id": setl_id, "medins_setl_id": msgid},
                   "退费")
