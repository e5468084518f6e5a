"""Decisions on the platform's refusals are typed fields, not searches in message text (issue #14).

* ``asks_for_sign_in`` is the ONE text rule (the interface documents no code for "sign in again");
  ``BusinessError.needs_sign_in`` carries its answer.
* ``CentralClient`` re-signs in at most once per call: a platform that always answers "please sign
  in" gets exactly one 9001, then the refusal is raised.
* ``retry_after`` comes from HTTP's ``Retry-After`` header only (None without one).
* nothing in client/ decides by searching an ``err_msg`` outside client/api/errors.py.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from requests.structures import CaseInsensitiveDict

from client.api import ApiSettings, BusinessError, CentralClient, Operator, TransportError
from client.api.errors import asks_for_sign_in, retry_after_header

ROOT = Path(__file__).resolve().parents[2]
OP = Operator("0001", "收费员甲")
CODE = "H31011800001"
PLEASE_SIGN_IN = "经办人未签到或签到已失效，请先签到(9001)"   # what the training platform answers


# ------------------------------------------------------------------------------- the text rule


@pytest.mark.parametrize(("infno", "err_msg", "expected"), [
    ("1101", PLEASE_SIGN_IN, True),
    ("2207", "签到流水号[SN1]已失效", True),
    ("2207A", PLEASE_SIGN_IN, True),            # Zhejiang infno variants carry a sign_no too
    ("9001", "签到失败：经办人不存在", False),    # a refused sign-in is not cured by signing in
    ("9002", "签到流水号[SN1]不存在", False),
    ("ec.query", "请先签到", False),              # the e-voucher platform knows no sign_no
    ("1101", "参保人不存在", False),
    ("1101", "", False),
])
def test_the_one_text_rule(infno, err_msg, expected):
    assert asks_for_sign_in(infno, err_msg) is expected
    assert BusinessError(-1, err_msg, "M", infno).needs_sign_in is expected


def test_business_error_has_no_retry_after_unless_given():
    assert BusinessError(-1, "x", "M", "1101").retry_after is None
    assert BusinessError(-1, "x", "M", "1101", retry_after=3.0).retry_after == 3.0
    assert TransportError("M", "1101", False, "c").retry_after is None


def test_retry_after_header():
    now = datetime(2025, 3, 4, 9, 0, 0, tzinfo=UTC)
    assert retry_after_header("120") == 120.0
    assert retry_after_header(" 7 ") == 7.0
    assert retry_after_header("Tue, 04 Mar 2025 09:00:30 GMT", now=now) == 30.0
    assert retry_after_header("Tue, 04 Mar 2025 08:00:00 GMT", now=now) == 0.0   # in the past
    assert retry_after_header("in a minute") is None                                # never parsed from words
    assert retry_after_header("-5") is None
    assert retry_after_header("") is None
    assert retry_after_header(None) is None


# ------------------------------------------------------------------------------- the bound


class _Answer:
    def __init__(self, status: int, doc: dict | str, headers: dict | None = None):
        self.status_code = status
        self.content = (doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False)).encode("utf-8")
        self.headers = CaseInsensitiveDict(headers or {})


class ScriptedSession:
    """Stands in for requests.Session: ``answer(infno, envelope)`` → (status, doc[, headers])."""

    def __init__(self, answer):
        self.answer = answer
        self.sent: list[dict] = []
        self.serial = 0

    def post(self, url, data, headers, timeout, verify):
        env = json.loads(data)
        self.sent.append(env)
        return _Answer(*self.answer(env["infno"], env))

    def close(self):
        pass

    def infnos(self) -> list[str]:
        return [e["infno"] for e in self.sent]

    def signed_in(self) -> tuple[int, dict]:
        self.serial += 1
        return 200, ok({"signinoutb": {"sign_time": "2025-03-04 08:00:00", "sign_no": f"SN{self.serial:028d}"}})


def ok(output) -> dict:
    return {"infcode": 0, "inf_refmsgid": "310000202503040908071234567890", "err_msg": "", "output": output}


def refused(msg: str) -> dict:
    return {"infcode": -1, "inf_refmsgid": "", "err_msg": msg, "output": None}


def client(tmp_path, session, **kw) -> tuple[CentralClient, list[float]]:
    sleeps: list[float] = []
    st = ApiSettings(base_url="http://127.0.0.1:9", fixmedins_code=CODE, fixmedins_name="青浦示范医院",
                     mdtrtarea_admvs="310118", state_dir=tmp_path / "state", sign_in_ip="127.0.0.1",
                     sign_in_mac="00-11-22-33-44-55", **kw)
    c = CentralClient(st, session=session, sleep=sleeps.append)
    c.signins.put(OP.opter, "SN-STALE")        # this morning's sign_no, which the platform no longer accepts
    return c, sleeps


def test_stale_sign_no_one_9001_then_the_call_succeeds(tmp_path):
    def answer(infno, env):
        if infno == "9001":
            return s.signed_in()
        if env["sign_no"] == "SN-STALE":
            return 200, refused(PLEASE_SIGN_IN)
        return 200, ok({"baseinfo": {}, "insuinfo": [], "idetinfo": []})

    s = ScriptedSession(answer)
    c, _ = client(tmp_path, s)
    c.call("1101", {"data": {}}, operator=OP)
    assert s.infnos() == ["1101", "9001", "1101"]
    assert s.sent[2]["sign_no"] == "SN" + "1".zfill(28)        # the repeat carries the new sign_no
    assert c.signins.get(OP.opter) == "SN" + "1".zfill(28)


def test_a_platform_that_always_asks_for_sign_in_gets_exactly_one_9001_then_an_error(tmp_path):
    def answer(infno, env):
        return s.signed_in() if infno == "9001" else (200, refused(PLEASE_SIGN_IN))

    s = ScriptedSession(answer)
    c, sleeps = client(tmp_path, s)
    with pytest.raises(BusinessError) as ei:
        c.call("1101", {"data": {}}, operator=OP)
    assert ei.value.needs_sign_in and ei.value.err_msg == PLEASE_SIGN_IN
    assert s.infnos() == ["1101", "9001", "1101"]
    assert sleeps == []
    # the next call is bounded the same way (one more 9001), it does not loop either
    with pytest.raises(BusinessError):
        c.call("1101", {"data": {}}, operator=OP)
    assert s.infnos().count("9001") == 2 and len(s.sent) == 6


def test_refused_sign_in_itself_ends_the_call(tmp_path):
    s = ScriptedSession(lambda infno, env: (200, refused(PLEASE_SIGN_IN)))   # 9001 refused as well
    c, _ = client(tmp_path, s)
    with pytest.raises(BusinessError) as ei:
        c.call("1101", {"data": {}}, operator=OP)
    assert ei.value.infno == "9001" and not ei.value.needs_sign_in
    assert s.infnos() == ["1101", "9001"]


def test_state_changing_repeat_reuses_the_callers_msgid(tmp_path):
    def answer(infno, env):
        if infno == "9001":
            return s.signed_in()
        return 200, (refused(PLEASE_SIGN_IN) if env["sign_no"] == "SN-STALE" else ok({"setlinfo": {}}))

    s = ScriptedSession(answer)
    c, _ = client(tmp_path, s)
    msgid = c.new_msgid()
    c.call("2207", {"data": {}}, operator=OP, msgid=msgid)
    assert s.infnos() == ["2207", "9001", "2207"]
    assert s.sent[0]["msgid"] == s.sent[2]["msgid"] == msgid     # refused = not processed: same msgid


def test_other_refusals_do_not_sign_in(tmp_path):
    s = ScriptedSession(lambda infno, env: (200, refused("参保人不存在")))
    c, _ = client(tmp_path, s)
    with pytest.raises(BusinessError) as ei:
        c.call("1101", {"data": {}}, operator=OP)
    assert not ei.value.needs_sign_in
    assert s.infnos() == ["1101"]


# ------------------------------------------------------------------------------- retry_after


def test_retry_after_header_reaches_the_error_and_the_pause(tmp_path):
    s = ScriptedSession(lambda infno, env: (503, "busy", {"Retry-After": "1"}))
    c, sleeps = client(tmp_path, s, read_retries=1, backoff_base=0.2, backoff_max=2.0)
    with pytest.raises(TransportError) as ei:
        c.call("1101", {"data": {}}, operator=OP)
    assert ei.value.retry_after == 1.0 and ei.value.http_status == 503
    assert sleeps == [1.0]                      # longer than the 0.2 s backoff, as the gateway asked

    s2 = ScriptedSession(lambda infno, env: (503, "busy", {"Retry-After": "600"}))
    c2, sleeps2 = client(tmp_path / "b", s2, read_retries=1, backoff_base=0.2, backoff_max=2.0)
    with pytest.raises(TransportError):
        c2.call("1101", {"data": {}}, operator=OP)
    assert sleeps2 == [2.0]                     # never beyond backoff_max inside one call

    s3 = ScriptedSession(lambda infno, env: (503, "busy"))
    c3, sleeps3 = client(tmp_path / "c", s3, read_retries=1, backoff_base=0.2, backoff_max=2.0)
    with pytest.raises(TransportError) as e3:
        c3.call("1101", {"data": {}}, operator=OP)
    assert e3.value.retry_after is None and sleeps3 == [0.2]


def test_business_refusal_carries_a_retry_after_header(tmp_path):
    s = ScriptedSession(lambda infno, env: (200, refused("系统繁忙"), {"Retry-After": "5"}))
    c, _ = client(tmp_path, s)
    with pytest.raises(BusinessError) as ei:
        c.call("1101", {"data": {}}, operator=OP)
    assert ei.value.retry_after == 5.0 and not ei.value.needs_sign_in


# ------------------------------------------------------------------------------- nowhere else

# an `in` test or .find() on a platform message: that decision belongs in client/api/errors.py
_TEXT_DECISION = re.compile(r"""\bin\s*\(?\s*\w+\.(err_msg|message)\b|\.(err_msg|message)\s*(or\s*""\)?\s*)?\.find\(|"签到"\s*(not\s+)?in\b""")


def test_no_decision_on_message_text_outside_the_one_rule():
    offenders = []
    for path in sorted((ROOT / "client").rglob("*.py")):
        if path == ROOT / "client" / "api" / "errors.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _TEXT_DECISION.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
