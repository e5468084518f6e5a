"""Payment-gateway adapter: one interface for the hospital's aggregate-payment provider (聚合支付).

:class:`PaymentGateway` is what the payment service uses — ``pay`` (付款码支付), ``query``,
``reverse`` (撤销), ``refund``, ``refund_query`` and ``statement`` (对账单) — and
:class:`HttpPayGateway` implements it for an aggregate API modelled on WeChat Pay v2 micropay /
orderquery / reverse / refund / refundquery / downloadbill, which also carries Alipay's
trade.pay / query / cancel / refund after the provider's mapping (docs/payments.md has the table and
the sources). The exact wire of a hospital's provider differs; ours is documented as our own
convention (docs/payments.md "Our own conventions").

Every call returns a :class:`GatewayAnswer` with ``outcome``:

``paid``      the money is taken (SUCCESS / TRADE_SUCCESS; query trade_state SUCCESS or REFUND)
``paying``    the patient is confirming on the phone (USERPAYING / WAIT_BUYER_PAY): poll ``query``
``failed``    definitely not taken (NOTENOUGH, AUTHCODEEXPIRE, AUTH_CODE_INVALID, PAYERROR, CLOSED,
              REVOKED, ORDERNOTEXIST on a query, …)
``unknown``   anything else — SYSTEMERROR, BANKERROR, an HTTP error, no answer, a body that is not
              the documented JSON. Never treated as failed: the caller queries, then reverses.
``ok``        reverse / refund / refund query / statement accepted
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

import requests

__all__ = ["DEFINITE_PAY_FAILURES", "GatewayAnswer", "HttpPayGateway", "PaymentGateway", "sign_body"]

# err_code values after which the money was definitely NOT taken (WeChat Pay micropay error codes; the
# Alipay sub_codes map onto them, docs/payments.md). SYSTEMERROR / BANKERROR / USERPAYING are not here.
DEFINITE_PAY_FAILURES = frozenset({
    "NOTENOUGH", "AUTHCODEEXPIRE", "AUTH_CODE_INVALID", "AUTH_CODE_ERROR", "PAYERROR", "ORDERCLOSED",
    "ORDERREVERSED", "NOTSUPORTCARD", "BUYER_MISMATCH", "PARAM_ERROR", "TRADE_ERROR", "NOAUTH",
})
QUERY_PAID = frozenset({"SUCCESS", "REFUND"})
QUERY_FAILED = frozenset({"PAYERROR", "CLOSED", "REVOKED", "NOTPAY"})


@dataclass
class GatewayAnswer:
    outcome: str                         # paid | paying | failed | unknown | ok
    err_code: str = ""
    message: str = ""
    transaction_id: str = ""
    trade_state: str = ""
    raw: dict = field(default_factory=dict)


class PaymentGateway(Protocol):
    def pay(self, out_trade_no: str, auth_code: str, amount: Decimal, subject: str) -> GatewayAnswer: ...
    def query(self, out_trade_no: str) -> GatewayAnswer: ...
    def reverse(self, out_trade_no: str) -> GatewayAnswer: ...
    def refund(self, out_trade_no: str, out_refund_no: str, amount: Decimal, total: Decimal) -> GatewayAnswer: ...
    def refund_query(self, out_refund_no: str) -> GatewayAnswer: ...
    def statement(self, bill_date: str) -> GatewayAnswer: ...


def sign_body(key: str, ts: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256(key, ts + "\\n" + body) — the X-Pay-Signature of our convention."""
    import hashlib
    import hmac

    return hmac.new(key.encode("utf-8"), ts.encode("ascii") + b"\n" + body, hashlib.sha256).hexdigest()


class HttpPayGateway:
    """``POST {url}/paygw/v1/<action>`` with a JSON body, signed with the merchant key (kept in the
    SecretStore; handed in as ``key``). TLS is verified (``verify`` = True or a CA bundle path)."""

    def __init__(self, url: str, mch_id: str, key: str, *, timeout: float = 10.0, connect_timeout: float = 5.0,
                 verify: bool | str = True, session: requests.Session | None = None):
        self.url = url.rstrip("/")
        self.mch_id = mch_id
        self._key = key
        self.timeout = (connect_timeout, timeout)
        self.verify = verify
        self._http = session or requests.Session()

    def close(self) -> None:
        self._http.close()

    def _post(self, action: str, payload: dict) -> tuple[dict | None, str]:
        body = json.dumps({"mch_id": self.mch_id, **payload}, ensure_ascii=False, separators=(",", ":")).encode()
        ts = str(int(time.time()))
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Pay-Merchant": self.mch_id,
                   "X-Pay-Timestamp": ts, "X-Pay-Signature": sign_body(self._key, ts, body)}
        try:
            r = self._http.post(f"{self.url}/paygw/v1/{action}", data=body, headers=headers, timeout=self.timeout,
                                verify=self.verify)
        except requests.exceptions.SSLError as exc:
            return None, f"聚合支付证书校验失败：{exc.__class__.__name__}"
        except requests.RequestException as exc:
            return None, f"聚合支付无应答（{exc.__class__.__name__}）"
        if r.status_code != 200:
            return None, f"聚合支付返回 HTTP {r.status_code}"
        try:
            doc = json.loads(r.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None, "聚合支付返回的不是有效的JSON"
        if not isinstance(doc, dict) or doc.get("return_code") != "SUCCESS":
            msg = doc.get("return_msg") if isinstance(doc, dict) else ""
            return None, f"聚合支付通信失败：{msg or '未知错误'}"
        return doc, ""

    @staticmethod
    def _answer(doc: dict, outcome: str) -> GatewayAnswer:
        return GatewayAnswer(outcome, str(doc.get("err_code") or ""), str(doc.get("err_code_des") or ""),
                             str(doc.get("transaction_id") or ""), str(doc.get("trade_state") or ""), doc)

    def pay(self, out_trade_no: str, auth_code: str, amount: Decimal, subject: str) -> GatewayAnswer:
        doc, why = self._post("micropay", {"out_trade_no": out_trade_no, "auth_code": auth_code,
                                           "total_fee": f"{amount:.2f}", "body": subject})
        if doc is None:
            return GatewayAnswer("unknown", message=why)
        if doc.get("result_code") == "SUCCESS":
            return self._answer(doc, "paid")
        code = str(doc.get("err_code") or "")
        if code == "USERPAYING":
            return self._answer(doc, "paying")
        if code == "ORDERPAID":                 # this out_trade_no was paid before: that payment counts
            return self._answer(doc, "paid")
        return self._answer(doc, "failed" if code in DEFINITE_PAY_FAILURES else "unknown")

    def query(self, out_trade_no: str) -> GatewayAnswer:
        doc, why = self._post("orderquery", {"out_trade_no": out_trade_no})
        if doc is None:
            return GatewayAnswer("unknown", message=why)
        if doc.get("result_code") != "SUCCESS":
            if doc.get("err_code") == "ORDERNOTEXIST":   # never reached the gateway's books
                return self._answer(doc, "failed")
            return self._answer(doc, "unknown")
        state = str(doc.get("trade_state") or "")
        if state in QUERY_PAID:
            return self._answer(doc, "paid")
        if state == "USERPAYING":
            return self._answer(doc, "paying")
        return self._answer(doc, "failed" if state in QUERY_FAILED else "unknown")

    def _simple(self, action: str, payload: dict) -> GatewayAnswer:
        doc, why = self._post(action, payload)
        if doc is None:
            return GatewayAnswer("unknown", message=why)
        if doc.get("result_code") == "SUCCESS":
            return self._answer(doc, "ok")
        if str(doc.get("err_code") or "") in ("SYSTEMERROR", "BANKERROR", "FREQUENCY_LIMITED"):
            return self._answer(doc, "unknown")      # idempotent by its number: retry, never a new one
        return self._answer(doc, "failed")

    def reverse(self, out_trade_no: str) -> GatewayAnswer:
        ans = self._simple("reverse", {"out_trade_no": out_trade_no})
        if ans.outcome == "ok" and ans.raw.get("recall") == "Y":    # WeChat: call reverse again
            return GatewayAnswer("unknown", "RECALL", "撤销需要重试", raw=ans.raw)
        return ans

    def refund(self, out_trade_no: str, out_refund_no: str, amount: Decimal, total: Decimal) -> GatewayAnswer:
        return self._simple("refund", {"out_trade_no": out_trade_no, "out_refund_no": out_refund_no,
                                       "refund_fee": f"{amount:.2f}", "total_fee": f"{total:.2f}"})

    def refund_query(self, out_refund_no: str) -> GatewayAnswer:
        return self._simple("refundquery", {"out_refund_no": out_refund_no})

    def statement(self, bill_date: str) -> GatewayAnswer:
        return self._simple("statement", {"bill_date": bill_date})
