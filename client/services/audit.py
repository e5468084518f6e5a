"""Audit trail: what the window records, masked, in the hash-chained ``audit_events`` table.

Storage and verification are ``offline_cache.audit`` (``append`` on an ORM Session,
``verify_chain``, ``head``). This module adds:

* :func:`record` — append one event in its own write transaction (``store``), or inside the
  caller's transaction (pass a ``Session`` or a Core ``Connection`` as ``target``) so that the
  event commits together with the business change it describes;
* a **masking pass** (:func:`mask_detail`) on every detail before it is hashed and stored: full
  identity numbers, card numbers, card identification codes, e-voucher tokens, names and phone
  numbers never land in the audit text; registered secrets become ``***``;
* typed helpers for the events the window must record (see :data:`ACTION_LABELS`).

Core ``Connection`` support is the "thin wrapper": ``offline_cache.audit.append`` needs an ORM
Session, while the checkout service writes with ``store.connection()``; :func:`_append_core`
computes the same chained hash with ``offline_cache.audit.event_hash``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from client.domain.masking import mask_card_no, mask_certno, mask_name, mask_phone
from client.logging_setup import mask_log_text

__all__ = [
    "ACTION_LABELS", "mask_detail", "record", "record_authorization", "record_config_change", "record_export",
    "record_identification", "record_override", "record_partial_refund", "record_precheck_ack", "record_reprint", "record_reversal",
    "record_settlement", "record_signin", "record_signout",
]

ACTION_LABELS = {
    "signin": "登录", "signin_failed": "登录失败", "lockout": "账号锁定", "signout": "退出登录",
    "password_change": "修改密码", "password_change_failed": "修改密码失败", "password_reset": "重置密码",
    "operator_create": "新建操作员", "operator_bootstrap": "创建首位系统管理员", "operator_disable": "停用操作员",
    "operator_enable": "启用操作员", "operator_role": "修改操作员角色", "operator_admin_refused": "操作员管理被拒绝",
    "identify": "患者身份识别", "settle": "结算", "reverse": "结算撤销", "reprint": "补打票据",
    "price_override": "修改价格", "force_shift_close": "强制交班", "config_change": "修改系统设置",
    "export": "导出数据", "precheck_ack": "确认事前提醒", "authorize": "组长授权", "authorize_refused": "授权被拒绝",
    "mapping_import": "导入目录对照", "mapping_upload": "上传目录对照", "mapping_revoke": "撤销目录对照",
    "policy_import": "导入政策参数", "policy_replace": "替换同版本政策参数", "policy_import_refused": "政策参数导入被拒绝",
    "owed_resolve": "核销欠费", "owed_collect": "付款码补收欠费", "partial_refund": "部分退费",
    "deposit_refund": "退预交金（组长授权）",
}

# Keys whose values are masked by kind (lower-case comparison).
_CERTNO_KEYS = frozenset({"certno", "idno", "id_no", "mdtrt_cert_no", "psn_cert_no", "cert_no", "身份证号"})
_CARD_KEYS = frozenset({"card_no", "cardno", "bank_card_no", "card_sn", "卡号", "卡识别码"})
_TOKEN_KEYS = frozenset({"ectoken", "ec_token", "ecqrcode", "qr", "card_data", "password", "secret", "mac_key",
                         "sign_secret", "key"})
_NAME_KEYS = frozenset({"psn_name", "name", "username", "patient_name", "姓名", "payer_name"})
_PHONE_KEYS = frozenset({"phone", "tel", "mob", "mobile", "电话"})


def _mask_value(key: str, value: Any) -> Any:
    k = key.lower()
    if isinstance(value, str):
        if k in _TOKEN_KEYS:
            return "***" if value else ""
        if k in _CERTNO_KEYS:
            return mask_certno(value)
        if k in _CARD_KEYS:
            return mask_card_no(value)
        if k in _NAME_KEYS:
            return mask_name(value)
        if k in _PHONE_KEYS:
            return mask_phone(value)
        return mask_log_text(value)
    return mask_detail(value)


def mask_detail(detail: Any) -> Any:
    """A JSON-ready copy of ``detail`` with personal data masked (recursively).

    Known keys are masked by kind (``certno`` → ``330421********0016``, ``card_no`` → ``X0*****19``,
    names → ``沈*``, tokens/passwords → ``***``); every other string goes through the log masking
    (ID numbers in free text, card reader strings, e-voucher tokens, registered secrets).
    Decimals become two-decimal-or-exact strings, datetimes ISO text; floats are refused upstream.
    """
    if isinstance(detail, Mapping):
        return {str(k): _mask_value(str(k), v) for k, v in detail.items()}
    if isinstance(detail, (list, tuple)):
        return [mask_detail(v) for v in detail]
    if isinstance(detail, str):
        return mask_log_text(detail)
    if isinstance(detail, Decimal):
        return format(detail, "f")
    if isinstance(detail, datetime):
        return detail.isoformat(sep=" ", timespec="seconds")
    if detail is None or isinstance(detail, (bool, int)):
        return detail
    if isinstance(detail, float):
        raise ValueError("审计记录中不允许浮点数（金额请用两位小数的字符串）")
    return mask_log_text(str(detail))


def _append_core(conn: Any, *, actor: str, action: str, detail: dict, at: datetime | None) -> int:
    from offline_cache.audit import GENESIS, event_hash
    from offline_cache.jsonutil import canonical_json

    detail_json = canonical_json(detail)
    time = (at or datetime.now()).astimezone().isoformat(timespec="microseconds")
    last = conn.exec_driver_sql("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").first()
    seq = 1 if last is None else last[0] + 1
    prev = GENESIS if last is None else last[1]
    h = event_hash(prev, seq, time, actor, action, json.loads(detail_json))
    conn.exec_driver_sql("INSERT INTO audit_events (seq, time, actor, action, detail_json, prev_hash, hash) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", (seq, time, actor, action, detail_json, prev, h))
    return seq


def record(target: Any, actor: str, action: str, detail: Mapping[str, Any] | None = None, *,
           at: datetime | None = None) -> int:
    """Append one masked event; returns its ``seq``.

    ``target`` is a ``Store`` (own transaction, committed on return), an ORM ``Session`` or a Core
    ``Connection`` (the caller's transaction: the event commits or rolls back with it).
    """
    if not actor or not isinstance(actor, str):
        raise ValueError("审计记录缺少操作人")
    if action not in ACTION_LABELS:
        raise ValueError(f"未知的审计事件类型 {action!r}")
    masked = mask_detail(dict(detail or {}))
    actor = mask_log_text(actor)
    if hasattr(target, "session") and hasattr(target, "read_connection"):  # a Store
        with target.connection() as conn:
            return _append_core(conn, actor=actor, action=action, detail=masked, at=at)
    from sqlalchemy.orm import Session

    if isinstance(target, Session):
        from offline_cache.audit import append

        return append(target, actor=actor, action=action, detail=masked, at=at).seq
    return _append_core(target, actor=actor, action=action, detail=masked, at=at)


# ---------------------------------------------------------------------------------------------
# typed helpers (what the window / services call)
# ---------------------------------------------------------------------------------------------

def _amt(v: Any) -> str | None:
    if v is None or v == "":
        return None
    try:
        return format(Decimal(str(v)).quantize(Decimal("0.01")), "f")
    except ArithmeticError:
        return str(v)


def record_signin(target: Any, operator: str, *, window: str = "", at: datetime | None = None) -> int:
    return record(target, operator, "signin", {"window": window}, at=at)


def record_signout(target: Any, operator: str, *, window: str = "", reason: str = "",
                   at: datetime | None = None) -> int:
    return record(target, operator, "signout", {"window": window, "reason": reason}, at=at)


def record_identification(target: Any, operator: str, *, method: str, certno: str = "", psn_no: str = "",
                          psn_name: str = "", insuplc_admdvs: str = "", offline: bool = False,
                          at: datetime | None = None) -> int:
    """``method``: ecqr | card | certno. The ID number and name are stored masked."""
    return record(target, operator, "identify",
                  {"method": method, "certno": certno, "psn_no": psn_no, "psn_name": psn_name,
                   "insuplc_admdvs": insuplc_admdvs, "offline": offline}, at=at)


def record_settlement(target: Any, operator: str, *, msgid: str, setl_id: str = "", infno: str = "2207",
                      medfee_sumamt: Any = None, fund_pay_sumamt: Any = None, acct_pay: Any = None,
                      psn_cash_pay: Any = None, psn_no: str = "", offline: bool = False,
                      at: datetime | None = None) -> int:
    return record(target, operator, "settle",
                  {"msgid": msgid, "setl_id": setl_id, "infno": infno, "psn_no": psn_no,
                   "medfee_sumamt": _amt(medfee_sumamt), "fund_pay_sumamt": _amt(fund_pay_sumamt),
                   "acct_pay": _amt(acct_pay), "psn_cash_pay": _amt(psn_cash_pay), "offline": offline}, at=at)


def record_reversal(target: Any, operator: str, *, setl_id: str, revoke_msgid: str, authorized_by: str,
                    reason: str = "", at: datetime | None = None) -> int:
    return record(target, operator, "reverse", {"setl_id": setl_id, "revoke_msgid": revoke_msgid,
                                                "authorized_by": authorized_by, "reason": reason}, at=at)


def record_partial_refund(target: Any, operator: str, *, partial_refund_id: int, old_setl_id: str, new_setl_id: str,
                          old_msgid: str, new_msgid: str, revoke_msgid: str, old_psn_cash_pay: Any,
                          new_psn_cash_pay: Any, old_acct_pay: Any, new_acct_pay: Any, refund: Any, parts: list,
                          returned: list, authorized_by: str, reason: str = "", at: datetime | None = None) -> int:
    """部分退费: ONE event linking the old (reversed) and the new settlement, the amounts and the refund
    per channel (client.services.partial_refund)."""
    return record(target, operator, "partial_refund",
                  {"partial_refund_id": partial_refund_id, "old_setl_id": old_setl_id, "new_setl_id": new_setl_id,
                   "old_msgid": old_msgid, "new_msgid": new_msgid, "revoke_msgid": revoke_msgid,
                   "old_psn_cash_pay": _amt(old_psn_cash_pay), "new_psn_cash_pay": _amt(new_psn_cash_pay),
                   "old_acct_pay": _amt(old_acct_pay), "new_acct_pay": _amt(new_acct_pay), "refund": _amt(refund),
                   "parts": parts, "returned": returned, "authorized_by": authorized_by, "reason": reason}, at=at)


def record_reprint(target: Any, operator: str, *, setl_id: str, document: str, copy_no: int,
                   authorized_by: str = "", at: datetime | None = None) -> int:
    return record(target, operator, "reprint", {"setl_id": setl_id, "document": document, "copy_no": copy_no,
                                                "authorized_by": authorized_by}, at=at)


def record_override(target: Any, operator: str, *, item_code: str, old_price: Any, new_price: Any,
                    authorized_by: str, subject: str = "", reason: str = "", at: datetime | None = None) -> int:
    return record(target, operator, "price_override",
                  {"item_code": item_code, "old_price": str(old_price), "new_price": str(new_price),
                   "authorized_by": authorized_by, "subject": subject, "reason": reason}, at=at)


def record_config_change(target: Any, operator: str, *, key: str, old: Any, new: Any,
                         at: datetime | None = None) -> int:
    """Secret-looking keys (``*secret*``, ``*key*``, ``*password*``) are stored as ``***``."""
    low = key.lower()
    hide = any(w in low for w in ("secret", "password", "mac_key", "token")) or low.endswith("key")
    return record(target, operator, "config_change",
                  {"setting": key, "old": "***" if hide else ("" if old is None else str(old)),
                   "new": "***" if hide else ("" if new is None else str(new))}, at=at)


def record_export(target: Any, operator: str, *, what: str, path: str, rows: int,
                  at: datetime | None = None) -> int:
    return record(target, operator, "export", {"what": what, "path": str(path), "rows": rows}, at=at)


def record_precheck_ack(target: Any, operator: str, *, warnings: Iterable[Any], subject: str = "",
                        at: datetime | None = None) -> int:
    """The cashier acknowledged the 事前提醒 warnings (``PrecheckWarning`` objects or their dicts)."""
    items = []
    for w in warnings:
        d = w.as_dict() if hasattr(w, "as_dict") else dict(w)
        items.append({"code": d.get("code", ""), "severity": d.get("severity", ""),
                      "item_code": d.get("item_code", ""), "line_refs": list(d.get("line_refs") or []),
                      "message": d.get("message", "")})
    return record(target, operator, "precheck_ack", {"subject": subject, "count": len(items), "warnings": items},
                  at=at)


def record_authorization(target: Any, authorization: Any) -> int:
    """A ``client.security.operators.Authorization`` (actor = the requesting operator)."""
    d = authorization.as_dict()
    return record(target, d["requested_by"], "authorize", d, at=authorization.at)
