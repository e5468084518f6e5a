"""The training aggregate-payment gateway (聚合支付) on the training platform's HTTP server.

Endpoints (JSON in, JSON out; docs/payments.md describes the wire and the mapping to WeChat Pay /
Alipay): ``POST /paygw/v1/micropay | orderquery | reverse | refund | refundquery | statement``.
Fault scopes (training_platform.faults): ``pay.micropay``, ``pay.orderquery``, ``pay.reverse``,
``pay.refund``, ``pay.refundquery``, ``pay.statement`` (``pay.*`` = all of them).

Every answer has ``return_code`` (SUCCESS = the request was understood) and, when understood,
``result_code`` SUCCESS | FAIL with ``err_code`` / ``err_code_des`` — WeChat Pay v2's layout.

Training payment codes behave by their last two digits (a trainer picks the scenario by the code):

  ``…91``  USERPAYING: the patient must type a password; SUCCESS after ``userpaying_s`` (default 2 s)
  ``…92``  NOTENOUGH (余额不足)                ``…93``  AUTHCODEEXPIRE (付款码已过期)
  ``…94``  SYSTEMERROR answered, but the money WAS taken (the query shows SUCCESS)
  ``…95``  SYSTEMERROR answered, nothing taken (the query shows PAYERROR)
  ``…96``  USERPAYING, then the patient cancels (PAYERROR after the delay)
  others   SUCCESS

A code already used once (any out_trade_no) is refused with AUTH_CODE_INVALID (付款码已使用). The
same out_trade_no sent again is idempotent: ORDERPAID when it was paid, else its current state.
The state lives in ``<data_dir>/paygate.sqlite3``; ``statement`` also writes
``<data_dir>/paygate-statements/<bill_date>.csv``.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import sqlite3
import threading
import time
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

DB_FILE = "paygate.sqlite3"
ACTIONS = ("micropay", "orderquery", "reverse", "refund", "refundquery", "statement")
TRAINING_PAY_KEY_PREFIX = "TRAINING-ONLY-PAY-"

CHANNEL_PREFIXES = (("wechat", ("10", "11", "12", "13", "14", "15"), (18,)),
                    ("alipay", ("25", "26", "27", "28", "29", "30"), tuple(range(16, 25))),
                    ("unionpay", ("62",), (19,)),
                    ("ecny", ("01",), (19,)))

SCHEMA = """
CREATE TABLE IF NOT EXISTS trades (
  out_trade_no TEXT PRIMARY KEY, mch_id TEXT NOT NULL, transaction_id TEXT NOT NULL, channel TEXT NOT NULL,
  auth_code TEXT NOT NULL, total_fee INTEGER NOT NULL, state TEXT NOT NULL, scenario TEXT NOT NULL,
  created REAL NOT NULL, paid_at TEXT, refunded_fee INTEGER NOT NULL DEFAULT 0, body TEXT);
CREATE TABLE IF NOT EXISTS refunds (
  out_refund_no TEXT PRIMARY KEY, out_trade_no TEXT NOT NULL, refund_id TEXT NOT NULL, refund_fee INTEGER NOT NULL,
  created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS used_codes (auth_code TEXT PRIMARY KEY, out_trade_no TEXT NOT NULL);
"""


def training_pay_key(mch_id: str) -> str:
    """The training-only signing key of a merchant (documented training data, never a real key)."""
    return TRAINING_PAY_KEY_PREFIX + mch_id


def sign(key: str, ts: str, body: bytes) -> str:
    """``X-Pay-Signature`` = lowercase hex HMAC-SHA256(key, ts + "\\n" + body) — our convention."""
    return hmac.new(key.encode("utf-8"), ts.encode("ascii") + b"\n" + body, hashlib.sha256).hexdigest()


def channel_of(code: str) -> str | None:
    for name, prefixes, lengths in CHANNEL_PREFIXES:
        if code.isdigit() and len(code) in lengths and code[:2] in prefixes:
            return name
    return None


def _fen(v) -> int:
    d = Decimal(str(v))
    if d != d.quantize(Decimal("0.01")) or d <= 0:
        raise ValueError(v)
    return int(d * 100)


def _yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


class PayGate:
    def __init__(self, data_dir: str | Path, *, userpaying_s: float = 2.0):
        self.data_dir = Path(data_dir)
        self.userpaying_s = userpaying_s
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.data_dir / DB_FILE, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)
        self._seq = int(time.time() * 1000) % 10**9

    def close(self) -> None:
        self._conn.close()

    # -- auth ---------------------------------------------------------------------------------
    @staticmethod
    def refusal(headers, body: bytes) -> str | None:
        mch = headers.get("X-Pay-Merchant") or ""
        ts = headers.get("X-Pay-Timestamp") or ""
        sig = headers.get("X-Pay-Signature") or ""
        if not (mch and ts and sig):
            return "缺少签名头 X-Pay-Merchant / X-Pay-Timestamp / X-Pay-Signature"
        if not ts.isdigit() or abs(time.time() - int(ts)) > 900:
            return "签名时间戳无效或已过期"
        if not hmac.compare_digest(sig, sign(training_pay_key(mch), ts, body)):
            return "签名错误（SIGNERROR）"
        return None

    # -- dispatch -----------------------------------------------------------------------------
    def handle(self, action: str, body: dict) -> dict:
        if not isinstance(body, dict):
            return {"return_code": "FAIL", "return_msg": "请求报文不是JSON对象"}
        with self._lock:
            try:
                return getattr(self, "_" + action)(body)
            except (KeyError, ValueError, InvalidOperation) as exc:
                return {"return_code": "FAIL", "return_msg": f"参数错误：{exc}"}

    def _new_id(self, prefix: str) -> str:
        self._seq += 1
        return prefix + datetime.now().strftime("%Y%m%d") + f"{self._seq:012d}"

    def _row(self, out_trade_no: str):
        cur = self._conn.execute("SELECT out_trade_no, mch_id, transaction_id, channel, auth_code, total_fee, state, "
                                 "scenario, created, paid_at, refunded_fee FROM trades WHERE out_trade_no = ?",
                                 (out_trade_no,))
        r = cur.fetchone()
        if r is None:
            return None
        keys = ("out_trade_no", "mch_id", "transaction_id", "channel", "auth_code", "total_fee", "state", "scenario",
                "created", "paid_at", "refunded_fee")
        return dict(zip(keys, r, strict=True))

    def _advance(self, t: dict) -> dict:
        """USERPAYING resolves after the delay (SUCCESS, or PAYERROR for the ``96`` scenario)."""
        if t["state"] == "USERPAYING" and time.time() - t["created"] >= self.userpaying_s:
            new = "PAYERROR" if t["scenario"] == "96" else "SUCCESS"
            paid = datetime.now().strftime("%Y%m%d%H%M%S") if new == "SUCCESS" else None
            self._conn.execute("UPDATE trades SET state = ?, paid_at = ? WHERE out_trade_no = ?",
                               (new, paid, t["out_trade_no"]))
            t = dict(t, state=new, paid_at=paid)
        return t

    @staticmethod
    def _ok(**kw) -> dict:
        return {"return_code": "SUCCESS", "result_code": "SUCCESS", **kw}

    @staticmethod
    def _fail(code: str, des: str, **kw) -> dict:
        return {"return_code": "SUCCESS", "result_code": "FAIL", "err_code": code, "err_code_des": des, **kw}

    def _trade_fields(self, t: dict) -> dict:
        return {"out_trade_no": t["out_trade_no"], "transaction_id": t["transaction_id"], "channel": t["channel"],
                "total_fee": _yuan(t["total_fee"]), "trade_state": t["state"], "time_end": t["paid_at"] or "",
                "refunded_fee": _yuan(t["refunded_fee"])}

    def _micropay(self, b: dict) -> dict:
        out, code, mch = str(b["out_trade_no"]), str(b["auth_code"]), str(b["mch_id"])
        fee = _fen(b["total_fee"])
        t = self._row(out)
        if t is not None:                       # the same order again: idempotent
            t = self._advance(t)
            if t["state"] == "SUCCESS":
                return self._fail("ORDERPAID", "该订单已支付", **self._trade_fields(t))
            if t["state"] == "USERPAYING":
                return self._fail("USERPAYING", "需要用户输入支付密码", **self._trade_fields(t))
            if t["state"] in ("REVOKED", "CLOSED"):
                return self._fail("ORDERREVERSED", "订单已撤销", **self._trade_fields(t))
            return self._fail("PAYERROR", "支付失败", **self._trade_fields(t))
        channel = channel_of(code)
        if channel is None:
            return self._fail("AUTH_CODE_INVALID", "付款码无效，请重新扫码")
        used = self._conn.execute("SELECT out_trade_no FROM used_codes WHERE auth_code = ?", (code,)).fetchone()
        if used is not None:
            return self._fail("AUTH_CODE_INVALID", "付款码已使用，请患者刷新付款码")
        scenario = code[-2:]
        if scenario == "92":
            return self._fail("NOTENOUGH", "用户余额不足")
        if scenario == "93":
            return self._fail("AUTHCODEEXPIRE", "二维码已过期，请用户在微信上刷新后再试")
        state = {"91": "USERPAYING", "96": "USERPAYING", "95": "PAYERROR"}.get(scenario, "SUCCESS")
        paid = datetime.now().strftime("%Y%m%d%H%M%S") if state == "SUCCESS" else None
        tid = self._new_id({"wechat": "42", "alipay": "20", "unionpay": "62", "ecny": "01"}[channel])
        self._conn.execute("INSERT INTO trades (out_trade_no, mch_id, transaction_id, channel, auth_code, total_fee, state, "
                           "scenario, created, paid_at, body) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                           (out, mch, tid, channel, code, fee, state, scenario, time.time(), paid, str(b.get("body") or "")))
        self._conn.execute("INSERT INTO used_codes VALUES (?, ?)", (code, out))
        t = self._row(out)
        if scenario in ("94", "95"):
            return self._fail("SYSTEMERROR", "系统超时，请查询订单状态")
        if state == "USERPAYING":
            return self._fail("USERPAYING", "需要用户输入支付密码", **self._trade_fields(t))
        return self._ok(**self._trade_fields(t))

    def _orderquery(self, b: dict) -> dict:
        t = self._row(str(b["out_trade_no"]))
        if t is None:
            return self._fail("ORDERNOTEXIST", "此交易订单号不存在")
        t = self._advance(t)
        if t["state"] == "SUCCESS" and t["refunded_fee"]:
            return self._ok(**dict(self._trade_fields(t), trade_state="REFUND"))
        return self._ok(**self._trade_fields(t))

    def _reverse(self, b: dict) -> dict:
        t = self._row(str(b["out_trade_no"]))
        if t is None:
            return self._fail("ORDERNOTEXIST", "此交易订单号不存在")
        t = self._advance(t)
        if t["refunded_fee"]:
            return self._fail("REVERSE_EXPIRE", "订单已退款，不能撤销")
        self._conn.execute("UPDATE trades SET state = 'REVOKED' WHERE out_trade_no = ?", (t["out_trade_no"],))
        return self._ok(recall="N", out_trade_no=t["out_trade_no"], trade_state="REVOKED")

    def _refund(self, b: dict) -> dict:
        t = self._row(str(b["out_trade_no"]))
        if t is None:
            return self._fail("ORDERNOTEXIST", "此交易订单号不存在")
        rno = str(b["out_refund_no"])
        fee = _fen(b["refund_fee"])
        old = self._conn.execute("SELECT refund_id, refund_fee FROM refunds WHERE out_refund_no = ?", (rno,)).fetchone()
        if old is not None:                     # idempotent by out_refund_no
            return self._ok(out_trade_no=t["out_trade_no"], out_refund_no=rno, refund_id=old[0], refund_fee=_yuan(old[1]))
        t = self._advance(t)
        if t["state"] != "SUCCESS":
            return self._fail("TRADE_STATE_ERROR", "订单状态错误，未支付的订单不能退款")
        if t["refunded_fee"] + fee > t["total_fee"]:
            return self._fail("NOTENOUGH", "退款金额超过订单可退金额")
        rid = self._new_id("50")
        self._conn.execute("INSERT INTO refunds VALUES (?,?,?,?,?)", (rno, t["out_trade_no"], rid, fee,
                                                                      datetime.now().strftime("%Y%m%d%H%M%S")))
        self._conn.execute("UPDATE trades SET refunded_fee = refunded_fee + ? WHERE out_trade_no = ?",
                           (fee, t["out_trade_no"]))
        return self._ok(out_trade_no=t["out_trade_no"], out_refund_no=rno, refund_id=rid, refund_fee=_yuan(fee))

    def _refundquery(self, b: dict) -> dict:
        r = self._conn.execute("SELECT out_trade_no, refund_id, refund_fee FROM refunds WHERE out_refund_no = ?",
                               (str(b["out_refund_no"]),)).fetchone()
        if r is None:
            return self._fail("REFUNDNOTEXIST", "退款订单不存在")
        return self._ok(out_trade_no=r[0], out_refund_no=str(b["out_refund_no"]), refund_id=r[1],
                        refund_fee=_yuan(r[2]), refund_status="SUCCESS")

    def _statement(self, b: dict) -> dict:
        day = str(b["bill_date"])
        if len(day) != 8 or not day.isdigit():
            raise ValueError("bill_date 应为 YYYYMMDD")
        text = self.statement_csv(day)
        d = self.data_dir / "paygate-statements"
        d.mkdir(exist_ok=True)
        (d / f"{day}.csv").write_text(text, encoding="utf-8")
        return self._ok(bill_date=day, csv=text)

    def statement_csv(self, day: str) -> str:
        """One line per trade paid that day and kept (a reversed one returned its money: not listed) and
        per refund made that day."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["kind", "time", "channel", "out_trade_no", "transaction_id", "out_refund_no", "refund_id", "amount"])
        for r in self._conn.execute("SELECT paid_at, channel, out_trade_no, transaction_id, total_fee FROM trades "
                                    "WHERE paid_at LIKE ? AND state = 'SUCCESS' ORDER BY paid_at, out_trade_no", (day + "%",)):
            w.writerow(["trade", r[0], r[1], r[2], r[3], "", "", _yuan(r[4])])
        for r in self._conn.execute("SELECT f.created_at, t.channel, f.out_trade_no, t.transaction_id, f.out_refund_no, "
                                    "f.refund_id, f.refund_fee FROM refunds f JOIN trades t USING (out_trade_no) "
                                    "WHERE f.created_at LIKE ? ORDER BY f.created_at", (day + "%",)):
            w.writerow(["refund", r[0], r[1], r[2], r[3], r[4], r[5], "-" + _yuan(r[6])])
        return buf.getvalue()

    def ledger(self) -> dict:
        """Admin view: every trade (with its state; a reversed paid trade shows REVOKED) and refund."""
        with self._lock:
            trades = [dict(self._trade_fields(self._advance(self._row(r[0]))), mch_id=r[1], auth_code=r[2])
                      for r in self._conn.execute("SELECT out_trade_no, mch_id, auth_code FROM trades ORDER BY created")]
            refunds = [{"out_refund_no": r[0], "out_trade_no": r[1], "refund_id": r[2], "refund_fee": _yuan(r[3]),
                        "created_at": r[4]} for r in self._conn.execute("SELECT * FROM refunds ORDER BY created_at")]
        return {"trades": trades, "refunds": refunds}


def read_ledger(data_dir: str | Path) -> dict:
    """The gateway's trades and refunds read from ``<data_dir>/paygate.sqlite3`` (empty when none)."""
    if not (Path(data_dir) / DB_FILE).exists():
        return {"trades": [], "refunds": []}
    gate = PayGate(data_dir)
    try:
        return gate.ledger()
    finally:
        gate.close()
