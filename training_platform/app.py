"""WSGI application of the training central platform (werkzeug Request/Response + routing).

Endpoints
  POST /fsi/api/callService                    national interface, infno in the body
  POST /fsi/api/<service>/<method>             per-service paths of reference §1.3 (PATH_INFNO)
  POST <prefix>/<infno>                        base URL + infno (dialect "national" only)
  (a dialect — training_platform.dialects — keeps only its region's layout and adds its gateway)
  POST /localcfc/api/hsecfc/localQrCodeQuery   e-voucher decoding (transType ec.query)
  POST /his/api/pendingCharges                 demo HIS: pending visits with lines
  POST /his/api/chargeConfirm | /chargeCancel  demo HIS: bills paid (after the settlement) / unpaid again
  POST /his/api/stayFees                       demo HIS: an in-stay patient's fees of one day (住院, by day)
  POST /einvoice/api/allocate | /issue         fiscal e-invoice platform (number ranges, issuing)
  GET  /training/password-key                 the 验密 public key (PEM), when started with password_check
  GET  /health                                 {"status": "ok", "time": ...}
  GET|POST /admin/fault                        list / add fault rules ({"clear": true [, "infno"]})
  GET  /admin/ledger                           settlements as a JSON list (see ledger.py)
  POST /paygw/v1/<action>                      training aggregate-payment gateway (paygate.py; scopes pay.<action>)
  GET  /admin/payledger                        the payment gateway's trades and refunds
"""

from __future__ import annotations

import json
import re
import socket
import time
from decimal import Decimal

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from training_platform.dialects import Dialect
from training_platform.faults import FaultError, FaultPlan, FaultRule
from training_platform.ledger import ledger_rows
from training_platform.transactions import Platform, RawFile, real_shape

# Per-service paths (reference §1.3; Hebei gateway style) → infno.
PATH_INFNO = {
    "/fsi/api/signInSignOutService/signIn": "9001",
    "/fsi/api/signInSignOutService/signOut": "9002",
    "/fsi/api/fsiPsnInfoService/queryPsnInfo": "1101",
    "/fsi/api/outpatientDocInfoService/outpatientRregistration": "2201",
    "/fsi/api/outpatientDocInfoService/outpatientRegistrationCancel": "2202",
    "/fsi/api/outpatientDocInfoService/outpatientMdtrtinfoUp": "2203",
    "/fsi/api/outpatientDocInfoService/outpatientFeeListUp": "2204",
    "/fsi/api/outpatientDocInfoService/outpatientFeeListUpCancel": "2205",
    "/fsi/api/outpatientSettleService/preSettletment": "2206",
    "/fsi/api/outpatientSettleService/saveSettletment": "2207",
    "/fsi/api/outpatientSettleService/cancleSettletment": "2208",
    "/fsi/api/outpatientSettleService/preSettletmentA": "2206A",    # Zhejiang (reference §2)
    "/fsi/api/outpatientSettleService/saveSettletmentA": "2207A",
    "/fsi/api/hospFeeDtlService/feeDtlUp": "2301",
    "/fsi/api/hospFeeDtlService/feeDtlCl": "2302",
    "/fsi/api/hospSettService/preSetl": "2303",
    "/fsi/api/hospSettService/setl": "2304",
    "/fsi/api/hospSettService/setlCl": "2305",
    "/fsi/api/hospitalRegisterService/hospitalRegisterSave": "2401",
    "/fsi/api/dscgService/dischargeProcess": "2402",
    "/fsi/api/hospitalRegisterService/hospitalRegisterCancel": "2404",
    "/fsi/api/dscgService/dischargeUndo": "2405",
    "/fsi/api/reverseService/revsMethod": "2601",
    "/fsi/api/ybSettlementStmtService/stmtTotal": "3201",
    "/fsi/api/ybSettlementStmtService/stmtDetail": "3202",
    "/fsi/api/fsiIntegratedQueryService/querySetlInfo": "5203",
    "/fsi/api/fsiIntegratedQueryService/queryCumInfo": "5206",
    "/fsi/api/fsiIntegratedQueryService/queryPsnOpspReg": "5301",
    "/fsi/api/catalogdownservice/downCatalog1301": "1301",
    "/fsi/api/catalogdownservice/downCatalog1302": "1302",
    "/fsi/api/catalogdownservice/downCatalog1303": "1303",
    "/fsi/api/catalogdownservice/downCatalog1305": "1305",
    "/fsi/api/catalogdownservice/downCatalog1306": "1306",
    "/fsi/api/catalogdownservice/downCatalog1307": "1307",
    "/fsi/api/catalogdownservice/downCatalog1309": "1309",
    "/fsi/api/catalogqueryservice/queryHilist": "1312",
    "/fsi/api/catalogqueryservice/queryHilistLmtpric": "1318",
    "/fsi/api/catalogqueryservice/queryHilistSelfpay": "1319",
    "/fsi/api/fileupload/upload": "9101",
    "/fsi/api/fileupload/download": "9102",
    "/fsi/api/medsettle/policyBundle": "9901",    # MedSettle extension (client DEFAULT_PATHS)
}

OTHER_SCOPES = {"/localcfc/api/hsecfc/localQrCodeQuery": "ec.query", "/his/api/pendingCharges": "his.pendingCharges",
                "/his/api/chargeConfirm": "his.chargeConfirm", "/his/api/stayFees": "his.stayFees", "/his/api/chargeCancel": "his.chargeCancel",
                "/einvoice/api/allocate": "einvoice.allocate", "/einvoice/api/issue": "einvoice.issue"}
PAY_SCOPES = {f"/paygw/v1/{a}": f"pay.{a}" for a in ("micropay", "orderquery", "reverse", "refund", "refundquery",
                                                     "statement")}
OTHER_SCOPES.update(PAY_SCOPES)


class DropConnection(ConnectionError):
    """Raised after the socket was shut down: werkzeug treats it as a dropped connection."""


_NUM_MARK = "\x00num:"
_NUM_RE = re.compile(r'"\\u0000num:(-?[0-9]+(?:\.[0-9]+)?)"')


def _number_mark(v):
    if isinstance(v, Decimal) and v.is_finite():
        return f"{_NUM_MARK}{v:f}"
    raise TypeError(f"{type(v).__name__} is not JSON serializable")


def _json(obj, status: int = 200) -> Response:
    """JSON body; a Decimal is written as a JSON number with exactly its digits (4.52, 0.00, -25.10)."""
    text = _NUM_RE.sub(r"\1", json.dumps(obj, ensure_ascii=False, default=_number_mark))
    return Response(text, status=status, mimetype="application/json")


def _with_note(result: Response, key: str, text: str) -> Response:
    """A successful national answer with ``key`` (warn_msg / err_msg) set to ``text`` (fault modes
    warn-msg / success-with-err-msg); anything else is passed through unchanged."""
    try:
        doc = json.loads(result.get_data().decode("utf-8"), parse_float=Decimal)   # numbers keep their digits
    except (UnicodeDecodeError, ValueError):
        return result
    if not isinstance(doc, dict) or str(doc.get("infcode")) != "0":
        return result
    doc[key] = text
    return _json(doc, result.status_code)


def _drop(request: Request) -> None:
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise DropConnection("training fault: connection dropped")


def _trickle(payload: bytes, delay_ms: int):
    step = max(1, len(payload) // 8)
    for i in range(0, len(payload), step):
        if i:
            time.sleep(delay_ms / 1000.0)
        yield payload[i:i + step]


class SandboxApp:
    def __init__(self, platform: Platform, faults: FaultPlan, gateway=None, dialect: Dialect | None = None,
                 paygate=None):
        """``dialect`` (training_platform.dialects) restricts the URL layout to the region's and puts
        its gateway in front of the national interface; None = every layout, no gateway (default)."""
        self.platform = platform
        self.faults = faults
        self.paygate = paygate             # training_platform.paygate.PayGate (None = no payment gateway)
        self.dialect = dialect
        self.gateway = gateway if gateway is not None or dialect is None else dialect.make_gateway()
        mode = dialect.url_mode if dialect else None
        rules = []
        if mode in (None, "single"):
            rules.append(Rule("/fsi/api/callService", endpoint="call", methods=["POST"]))
        if mode in (None, "paths"):
            rules += [Rule(path, endpoint="call", methods=["POST"]) for path in PATH_INFNO]
        if mode == "infno":
            rules.append(Rule(dialect.infno_prefix + "/<infno>", endpoint="call", methods=["POST"]))
        rules += [Rule("/localcfc/api/hsecfc/localQrCodeQuery", endpoint="ec", methods=["POST"]),
                 Rule("/his/api/pendingCharges", endpoint="his", methods=["POST"]),
                 Rule("/his/api/chargeConfirm", endpoint="his_confirm", methods=["POST"]),
                 Rule("/his/api/stayFees", endpoint="his_stay", methods=["POST"]),
                 Rule("/his/api/chargeCancel", endpoint="his_cancel", methods=["POST"]),
                 Rule("/einvoice/api/allocate", endpoint="einv_allocate", methods=["POST"]),
                 Rule("/einvoice/api/issue", endpoint="einv_issue", methods=["POST"]),
                 Rule("/health", endpoint="health", methods=["GET"]),
                 Rule("/training/cards", endpoint="cards", methods=["GET"]),
                 Rule("/training/password-key", endpoint="password_key", methods=["GET"]),
                 Rule("/admin/fault", endpoint="fault", methods=["GET", "POST"]),
                 Rule("/admin/ledger", endpoint="ledger", methods=["GET"]),
                 Rule("/admin/payledger", endpoint="payledger", methods=["GET"])]
        rules += [Rule(path, endpoint="pay", methods=["POST"]) for path in PAY_SCOPES]
        self.url_map = Map(rules)

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except HTTPException as e:
            response = _json({"code": e.code, "message": e.description or e.name}, e.code or 500)
        finally:
            self.platform.store.release()
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except NotFound:
            return _json({"code": 404, "message": f"接口地址[{request.path}]不存在"}, 404)
        except MethodNotAllowed:
            return _json({"code": 405, "message": f"接口[{request.path}]不支持{request.method}方法"}, 405)
        if endpoint == "health":
            if self.faults.is_down():
                _drop(request)
            return _json({"status": "ok", "time": time.strftime("%Y-%m-%d %H:%M:%S")})
        if endpoint == "fault":
            return self.admin_fault(request)
        if endpoint == "ledger":
            return _json(ledger_rows(self.platform.store))
        if endpoint == "payledger":
            return _json(self.paygate.ledger() if self.paygate else {"trades": [], "refunds": []})
        if endpoint == "pay":
            if self.paygate is None:
                return _json({"code": 404, "message": "培训平台未启用聚合支付"}, 404)
            why = self.paygate.refusal(request.headers, request.get_data(cache=True))
            if why is not None:
                return _json({"return_code": "FAIL", "return_msg": why}, 401)
        if endpoint == "cards":
            return _json(self.platform.training_cards())
        if endpoint == "password_key":
            if self.platform.password is None:
                return _json({"code": 404, "message": "培训平台未启用验密"}, 404)
            return Response(self.platform.password.public_pem(), mimetype="application/x-pem-file")
        if endpoint == "call" and self.gateway is not None:
            why = self.gateway.refusal(request.headers, request.get_data(cache=True))
            if why is not None:                # the gateway refuses; the platform never sees it
                resp = _json({"message": why}, 400)
                if self.gateway.name == "x-ca":
                    resp.headers["X-Ca-Error-Message"] = why
                return resp
        body = self.parse_body(request)
        request.environ["medsettle.path_infno"] = args.get("infno") or PATH_INFNO.get(request.path)
        if endpoint == "call":
            path_infno = request.environ["medsettle.path_infno"]
            scope = body.get("infno") if isinstance(body, dict) else None
            scope = scope or path_infno
            if isinstance(scope, str):
                scope = self.platform.base_infno(scope)     # fault scopes use national infnos
        else:
            scope = OTHER_SCOPES[request.path]
        rule = self.faults.pick(scope if isinstance(scope, str) else None)
        if rule is not None:
            pre = self.apply_fault_before(request, rule, body, scope)
            if pre is not None:
                return pre
        if endpoint == "call":
            result, _committed = self.national(request, body)
        elif endpoint == "ec":
            result = _json(self.platform.ec_query(body))
        elif endpoint == "his":
            result = _json(self.platform.his_pending(body))
        elif endpoint == "his_stay":
            result = _json(self.platform.his_stay_fees(body))
        elif endpoint in ("his_confirm", "his_cancel"):
            result = _json(self.platform.his_mark_paid(body, paid=endpoint == "his_confirm"))
        elif endpoint == "pay":
            result = _json(self.paygate.handle(request.path.rsplit("/", 1)[1], body))
        elif endpoint == "einv_allocate":
            result = _json(self.platform.einv_allocate(body))
        else:
            result = _json(self.platform.einv_issue(body))
        if rule is not None:
            if rule.mode == "drop-after-commit":
                _drop(request)
            if rule.mode in ("warn-msg", "success-with-err-msg") and result.mimetype == "application/json":
                result = _with_note(result, "warn_msg" if rule.mode == "warn-msg" else "err_msg", rule.message)
            if rule.mode == "trickle":
                payload = result.get_data()
                return Response(_trickle(payload, rule.delay_ms), status=result.status_code,
                                mimetype=result.mimetype, direct_passthrough=True)
        return result

    @staticmethod
    def parse_body(request: Request):
        raw = request.get_data(cache=True)
        try:
            return json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            return None

    def apply_fault_before(self, request: Request, rule: FaultRule, body, scope) -> Response | None:
        mode = rule.mode
        if mode == "down":
            _drop(request)
        if mode == "latency":
            time.sleep(rule.delay_ms / 1000.0)
            return None
        if mode == "drop-before":
            _drop(request)
        if mode == "http-500":
            return Response("500 Internal Server Error\n培训平台模拟故障：服务器内部错误", status=500, mimetype="text/plain")
        if mode == "http-502":
            return Response("<html><body><h1>502 Bad Gateway</h1></body></html>", status=502, mimetype="text/html")
        if mode == "garbage":
            return Response("<html><body>系统维护中 ... \x00\x01 not json", status=200, mimetype="text/html")
        if mode == "refuse":
            from training_platform.transactions import now

            adm = ""
            if isinstance(body, dict):
                inst = self.platform.institution(str(body.get("fixmedins_code") or ""))
                adm = (inst or {}).get("admdvs", "")
            if request.path in OTHER_SCOPES:
                return _json({"code": 1, "data": None, "message": rule.message})
            return _json(self.platform.envelope(now(), adm, -1, err_msg=rule.message))
        return None  # drop-after-commit and trickle act after handling

    def national(self, request: Request, body) -> tuple[Response, bool]:
        from training_platform.transactions import Refusal, now

        path_infno = request.environ.get("medsettle.path_infno")
        if body is None:
            return _json(self.platform.envelope(now(), "", -1, err_msg="请求报文不是合法的JSON，请检查报文格式")), False
        if path_infno and isinstance(body, dict) and body.get("infno") not in (None, "", path_infno):
            if self.dialect is not None and self.dialect.unknown_infno_msg:
                # the recorded Zhejiang answer: only type / infcode / err_msg
                # (real-messages/error-unknown-infno-zjharness.json)
                return _json({"type": "error", "infcode": -1,
                              "err_msg": self.dialect.unknown_infno_refusal()}), False
            msg = f"交易编号[{body.get('infno')}]与接口地址对应的交易[{path_infno}]不一致"
            return _json(self.platform.envelope(now(), "", -1, err_msg=msg)), False
        if path_infno and isinstance(body, dict) and not body.get("infno"):
            body = dict(body, infno=path_infno)
        if isinstance(body, dict) and body.get("infno") in self.platform.unknown_infnos:
            return _json(self.platform.unknown_infno_answer()), False   # e.g. 9901 played as a real platform
        try:
            result, committed = self.platform.handle(body)
        except Refusal as r:  # pragma: no cover - handle() turns refusals into envelopes
            return _json(self.platform.envelope(now(), "", -1, err_msg=r.message)), False
        if isinstance(result, RawFile):
            resp = Response(result.content, mimetype="application/octet-stream")
            resp.headers["Content-Disposition"] = f'attachment; filename="{result.filename}"'
            return resp, committed
        return _json(real_shape(result)), committed

    def admin_fault(self, request: Request) -> Response:
        if request.method == "GET":
            return _json({"rules": self.faults.rules()})
        body = self.parse_body(request)
        if not isinstance(body, dict):
            return _json({"code": 1, "message": "请求报文必须是JSON对象"}, 400)
        if body.get("clear"):
            self.faults.clear(body.get("infno"))
            return _json({"code": 0, "message": "故障已清除", "rules": self.faults.rules()})
        try:
            rule = self.faults.add(body)
        except FaultError as e:
            return _json({"code": 1, "message": str(e)}, 400)
        return _json({"code": 0, "message": "故障已设置", "rule": rule.to_json(), "rules": self.faults.rules()})
