"""事前提醒: local checks run before pre-settlement (2206/2303), shown to the cashier to acknowledge.

Pure Python over plain dicts; nothing here talks to the platform. The checks catch the usual
causes of refused or fully self-paid lines *before* the patient is asked to pay:

========================  ========  ==========================================================
code                      severity  rule
========================  ========  ==========================================================
``coverage_suspended``    high      person's ``psn_insu_stas`` is not ``"1"`` (正常参保)
``not_in_catalog``        high      line code not in the treatment-place catalogue (全额自费)
``catalog_invalid``       high      catalogue entry ``vali_flag == "0"`` or the line date is outside
                                    ``begndate``..``enddate``
``gender_mismatch``       high      item restricted to one sex, person of the other sex
``qty_over_max``          high      ``cnt`` summed over the visit's lines with that code above the
                                    maximum for the item
``duplicate_in_visit``    medium    the same code on several lines of this visit on the same day
``duplicate_today``       medium    the same code already charged to this person today (earlier
                                    visits, ``previous_lines``)
``over_limit_price``      medium    ``pric`` above ``pric_uplmt_amt``: the excess is self-paid
``inpatient_only``        medium    inpatient-only item (catalogue flag or 床位费) in an outpatient visit
``class_c``               info      ``chrgitm_lv == "03"`` (丙类): fully self-paid
========================  ========  ==========================================================

Gender restrictions come from, in order: an explicit ``gend_lmt`` in the catalogue entry
(``"1"`` male only, ``"2"`` female only — a local extension, not an NHSA field), the code lists
``female_codes`` / ``male_codes`` of :class:`PrecheckRules`, then name keywords
(``FEMALE_KEYWORDS`` such as 妇科、宫颈、子宫、卵巢、阴道、孕、产前、产后、输卵管、绒毛膜促性腺,
``MALE_KEYWORDS`` such as 前列腺、睾丸、阴囊、精液、精子). Persons with unknown sex (``gend``
0/9/absent) are not checked. Keywords are deliberately narrow (乳腺 is not in the list: men have
breast disease too).

Maximum quantities: ``PrecheckRules.max_qty`` (per code) overrides ``max_qty_by_type`` (per
``med_chrgitm_type``; default: 诊察费 02、一般诊疗费 12、挂号费 13 → 1 per visit).

Output order is deterministic: person-level warnings first, then by rule order (the table
above) and the first line's position.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .money import fmt2, q2, to_decimal

__all__ = ["FEMALE_KEYWORDS", "MALE_KEYWORDS", "OUTPATIENT_MED_TYPES", "PrecheckRules", "PrecheckWarning",
           "RULE_ORDER", "SEVERITY_LABELS", "WarningGroup", "group_warnings", "run_prechecks"]

FEMALE_KEYWORDS = ("妇科", "宫颈", "子宫", "卵巢", "阴道", "输卵管", "孕", "产前", "产后", "绒毛膜促性腺", "盆底")
MALE_KEYWORDS = ("前列腺", "睾丸", "阴囊", "精液", "精子", "包皮")
OUTPATIENT_MED_TYPES = frozenset({"11", "12", "13", "14", "15", "16", "41", "51"})
DEFAULT_MAX_QTY_BY_TYPE = {"02": Decimal("1"), "12": Decimal("1"), "13": Decimal("1")}
BED_FEE_TYPE = "01"

RULE_ORDER = ("coverage_suspended", "not_in_catalog", "catalog_invalid", "gender_mismatch", "qty_over_max",
              "duplicate_in_visit", "duplicate_today", "over_limit_price", "inpatient_only", "class_c",
              "opsp_drug_outside")  # the last: 门诊慢特病 drug list (client.services.checkout, client.domain.opsp)
SEVERITY_LABELS = {"high": "重要", "medium": "提醒", "info": "提示"}
_INSU_STAS = {"0": "未参保", "1": "正常参保", "2": "暂停参保", "3": "无效参保", "4": "终止参保"}
_GEND = {"1": "男", "2": "女"}


@dataclass(frozen=True)
class PrecheckWarning:
    code: str                        # rule code (see RULE_ORDER)
    severity: str                    # high | medium | info
    message: str                     # Chinese, says what to do
    line_refs: tuple[str, ...] = ()  # feedetl_sn (or 1-based line number) of the lines concerned
    item_code: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "line_refs": list(self.line_refs), "item_code": self.item_code}


@dataclass(frozen=True)
class PrecheckRules:
    max_qty: Mapping[str, Decimal] = field(default_factory=dict)
    max_qty_by_type: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_MAX_QTY_BY_TYPE))
    female_codes: frozenset[str] = frozenset()
    male_codes: frozenset[str] = frozenset()
    female_keywords: tuple[str, ...] = FEMALE_KEYWORDS
    male_keywords: tuple[str, ...] = MALE_KEYWORDS
    inpatient_only_codes: frozenset[str] = frozenset()
    check_inpatient_only: bool = True
    check_class_c: bool = True


@dataclass(frozen=True)
class _Line:
    pos: int
    ref: str
    code: str
    name: str
    cnt: Decimal
    pric: Decimal
    day: str


def _day(value: Any, fallback: str) -> str:
    if value in (None, ""):
        return fallback
    text = str(value)[:10]
    try:
        date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"费用日期格式不正确（{value!r}），应为 YYYY-MM-DD") from exc
    return text


def _num(value: Any, what: str) -> Decimal:
    """Decimal strings, Decimals and ints are accepted; floats never (money rule)."""
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return to_decimal(value, what)


def _lines(raw: Sequence[Mapping[str, Any]], fallback_day: str, what: str) -> list[_Line]:
    out = []
    for i, ln in enumerate(raw, start=1):
        code = str(ln.get("code") or "").strip()
        if not code:
            raise ValueError(f"{what}第 {i} 行缺少项目编码 code")
        ref = str(ln.get("feedetl_sn") or i)
        out.append(_Line(
            pos=i, ref=ref, code=code, name=str(ln.get("name") or code),
            cnt=_num(ln.get("cnt", "1"), f"{what}第 {i} 行数量 cnt"),
            pric=_num(ln.get("pric", "0"), f"{what}第 {i} 行单价 pric"),
            day=_day(ln.get("date") or ln.get("fee_ocur_time"), fallback_day),
        ))
    return out


def _fmt_qty(d: Decimal) -> str:
    return format(d.normalize(), "f") if d == d.to_integral() else format(d, "f")


def _refs_text(lines: Iterable[_Line]) -> str:
    return "、".join(f"第{ln.ref}条" for ln in lines)


def _restricted_sex(code: str, name: str, entry: Mapping[str, Any] | None, rules: PrecheckRules) -> str | None:
    if entry is not None and str(entry.get("gend_lmt") or "") in ("1", "2"):
        return str(entry["gend_lmt"])
    if code in rules.female_codes:
        return "2"
    if code in rules.male_codes:
        return "1"
    text = name + " " + str((entry or {}).get("name") or "")
    if any(k in text for k in rules.female_keywords):
        return "2"
    if any(k in text for k in rules.male_keywords):
        return "1"
    return None


def run_prechecks(lines: Sequence[Mapping[str, Any]], person: Mapping[str, Any],
                  catalog: Mapping[str, Mapping[str, Any]], *, visit: Mapping[str, Any] | None = None,
                  previous_lines: Sequence[Mapping[str, Any]] = (), rules: PrecheckRules | None = None,
                  today: str | None = None) -> list[PrecheckWarning]:
    """Run every rule; returns the warnings in a deterministic order (empty list = nothing to say).

    ``lines``: ``{"feedetl_sn"?, "code", "name"?, "cnt", "pric", "date"?}`` (cnt/pric decimal strings;
    date ``YYYY-MM-DD``, default the visit ``begndate`` or ``today``). ``person``: ``gend``,
    ``age``?, ``psn_insu_stas``?. ``catalog``: code → catalogue entry (``name``, ``chrgitm_lv``,
    ``med_chrgitm_type``, ``pric_uplmt_amt``, ``begndate``, ``enddate``, ``vali_flag``,
    ``gend_lmt``?, ``inpatient_only``?). ``visit``: ``med_type``, ``begndate``.
    ``previous_lines``: the person's lines already charged today in other visits (same shape).
    Bad input raises ``ValueError`` with a Chinese message.
    """
    rules = rules or PrecheckRules()
    visit = visit or {}
    fallback_day = _day(visit.get("begndate") or today or date.today().isoformat(), "")
    cur = _lines(lines, fallback_day, "费用明细")
    prev = _lines(previous_lines, fallback_day, "当日已收费明细")
    found: list[tuple[int, int, str, PrecheckWarning]] = []

    def add(rule: str, severity: str, message: str, refs: Sequence[_Line] = (), item_code: str = "") -> None:
        pos = min((ln.pos for ln in refs), default=0)
        found.append((RULE_ORDER.index(rule), pos, item_code,
                      PrecheckWarning(rule, severity, message, tuple(ln.ref for ln in refs), item_code)))

    # person-level
    stas = person.get("psn_insu_stas")
    if stas is not None and str(stas) != "1":
        label = _INSU_STAS.get(str(stas), f"状态 {stas}")
        add("coverage_suspended", "high", f"患者当前参保状态为“{label}”，医保可能不予结算。"
                                          "请提醒患者到参保地医保经办机构确认，或按自费处理")

    gend = str(person.get("gend") or "")
    med_type = str(visit.get("med_type") or "")
    outpatient = med_type in OUTPATIENT_MED_TYPES

    by_code: dict[str, list[_Line]] = {}
    for ln in cur:
        by_code.setdefault(ln.code, []).append(ln)

    for ln in cur:
        entry = catalog.get(ln.code)
        if entry is None:
            add("not_in_catalog", "high", f"“{ln.name}”（{ln.code}）不在医保目录内，医保不予支付，将全额自费。"
                                          "请与患者确认自费，或请医生更换目录内项目", [ln], ln.code)
            continue
        vali = str(entry.get("vali_flag") or "1")
        begin, end = str(entry.get("begndate") or "")[:10], str(entry.get("enddate") or "")[:10]
        if vali == "0" or (begin and ln.day < begin) or (end and ln.day > end):
            period = f"（有效期 {begin or '…'} 至 {end or '…'}）" if (begin or end) else ""
            add("catalog_invalid", "high", f"“{ln.name}”（{ln.code}）的医保目录信息在 {ln.day} 无效{period}，"
                                           "结算可能被拒绝。请更新目录后重试，或与患者确认自费", [ln], ln.code)
        lv = str(entry.get("chrgitm_lv") or "")
        if lv == "03" and rules.check_class_c:
            add("class_c", "info", f"“{ln.name}”（{ln.code}）为丙类项目，医保不予支付，需全额自费。请告知患者", [ln], ln.code)
        limit = entry.get("pric_uplmt_amt")
        if limit not in (None, ""):
            lim = to_decimal(str(limit), f"目录 {ln.code} 限价 pric_uplmt_amt")
            if ln.pric > lim:
                excess = q2((ln.pric - lim) * ln.cnt)
                add("over_limit_price", "medium", f"“{ln.name}”（{ln.code}）单价 {fmt2(ln.pric)} 元超过医保限价 "
                                                  f"{fmt2(lim)} 元，超出部分约 {fmt2(excess)} 元由患者自付。请告知患者", [ln], ln.code)
        inpatient_only = bool(entry.get("inpatient_only")) or ln.code in rules.inpatient_only_codes or \
            str(entry.get("med_chrgitm_type") or "") == BED_FEE_TYPE
        if rules.check_inpatient_only and outpatient and inpatient_only:
            add("inpatient_only", "medium", f"“{ln.name}”（{ln.code}）为住院项目，不应在门诊收取。请核对后删除或退回医生修改",
                [ln], ln.code)

    # sex restrictions
    if gend in _GEND:
        for ln in cur:
            entry = catalog.get(ln.code)
            sex = _restricted_sex(ln.code, ln.name, entry, rules)
            if sex is not None and sex != gend:
                add("gender_mismatch", "high", f"“{ln.name}”（{ln.code}）限{_GEND[sex]}性使用，但患者性别为{_GEND[gend]}。"
                                               "请核对患者身份和医嘱，确认无误后再继续", [ln], ln.code)

    # quantities
    for code, group in by_code.items():
        entry = catalog.get(code) or {}
        maximum = rules.max_qty.get(code)
        if maximum is None:
            maximum = rules.max_qty_by_type.get(str(entry.get("med_chrgitm_type") or ""))
        if maximum is None:
            continue
        maximum = Decimal(str(maximum))
        total = sum((ln.cnt for ln in group), Decimal(0))
        if total > maximum:
            name = group[0].name
            add("qty_over_max", "high", f"“{name}”（{code}）数量合计 {_fmt_qty(total)}，超过每次就诊上限 "
                                        f"{_fmt_qty(maximum)}。请核对数量，确需超量请由医生说明", group, code)

    # duplicates within the visit (same code, same day)
    for code, group in by_code.items():
        days: dict[str, list[_Line]] = {}
        for ln in group:
            days.setdefault(ln.day, []).append(ln)
        for day, same in sorted(days.items()):
            if len(same) > 1:
                add("duplicate_in_visit", "medium", f"“{same[0].name}”（{code}）在本次就诊 {day} 重复出现 {len(same)} 次"
                                                    f"（{_refs_text(same)}），请确认是否重复录入", same, code)

    # duplicates against earlier charges today
    prev_by_key: dict[tuple[str, str], list[_Line]] = {}
    for p in prev:
        prev_by_key.setdefault((p.code, p.day), []).append(p)
    for code, group in by_code.items():
        for day in sorted({ln.day for ln in group}):
            earlier = prev_by_key.get((code, day))
            if earlier:
                same = [ln for ln in group if ln.day == day]
                add("duplicate_today", "medium", f"“{same[0].name}”（{code}）今天（{day}）已为该患者收过费，"
                                                 "请确认不是重复收费", same, code)

    found.sort(key=lambda t: (t[0], t[1], t[2]))
    return [w for *_, w in found]


@dataclass(frozen=True)
class WarningGroup:
    """Warnings of the same rule about the same item, folded for display (an inpatient bill with the
    same drug on twelve days gives one line "×12", not twelve)."""

    first: PrecheckWarning
    count: int
    line_refs: tuple[str, ...]

    @property
    def severity(self) -> str:
        return self.first.severity

    def text(self) -> str:
        label = SEVERITY_LABELS.get(self.first.severity, self.first.severity)
        if self.count == 1:
            return f"【{label}】{self.first.message}"
        shown = "、".join(self.line_refs[:6]) + ("…" if len(self.line_refs) > 6 else "")
        return f"【{label}】{self.first.message}（×{self.count}，第 {shown} 行）"


def group_warnings(warnings: Iterable[PrecheckWarning]) -> list[WarningGroup]:
    """Fold warnings with the same rule code and item (``item_code``, else the message) into one group,
    keeping the order of first appearance; each group lists the lines it concerns."""
    order: list[tuple] = []
    by_key: dict[tuple, list[PrecheckWarning]] = {}
    for w in warnings:
        key = (w.code, w.item_code or w.message)
        if key not in by_key:
            by_key[key] = []
            order.append(key)
        by_key[key].append(w)
    out = []
    for key in order:
        ws = by_key[key]
        refs = tuple(r for w in ws for r in w.line_refs)
        out.append(WarningGroup(ws[0], len(ws), refs))
    return out
