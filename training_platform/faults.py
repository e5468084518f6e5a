"""Fault injection for the training platform (drills, fault tests).

A rule = mode + scope (one infno, or global when ``infno`` is empty) + trigger (the next N matching
requests, or each matching request with probability P from a seeded RNG, or — neither given —
every matching request until cleared). The first matching rule wins.

Modes:
  latency           sleep delay_ms, then handle normally
  drop-before       close the TCP connection before the request is handled (nothing changes)
  drop-after-commit handle and COMMIT the request, then close the connection without a response
  http-500/http-502 answer with that HTTP status and a text body (nothing changes)
  garbage           200 with a non-JSON body (nothing changes)
  refuse            a normal envelope with infcode -1 and ``message`` (nothing changes)
  trickle           handle normally, send the body in small chunks with delay_ms between them
  warn-msg          handle and commit normally; a successful answer carries ``message`` as warn_msg
  success-with-err-msg  handle and commit normally; a successful answer (infcode 0) carries
                    ``message`` as err_msg — the "needs review" answer (docs/central-interface.md)
  down              the platform is unreachable: every request — /health included — has its
                    connection closed before it is handled (the trainer's "医保中心断网")

Scopes use the national infno, or the pseudo codes ``ec.query``, ``his.pendingCharges``,
``his.chargeConfirm``, ``his.chargeCancel``, ``einvoice.allocate``, ``einvoice.issue`` for the other
training endpoints; a scope ending in ``.*`` matches every pseudo code with that prefix (``his.*``:
the whole demo HIS).
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass

MODES = ("latency", "drop-before", "drop-after-commit", "http-500", "http-502", "garbage", "refuse", "trickle",
         "down", "warn-msg", "success-with-err-msg")


class FaultError(ValueError):
    pass


@dataclass
class FaultRule:
    mode: str
    infno: str | None = None
    next: int | None = None
    prob: float | None = None
    delay_ms: int = 0
    message: str = "培训平台模拟故障：交易被拒绝，请稍后重试"

    def to_json(self) -> dict:
        return asdict(self)


class FaultPlan:
    def __init__(self, seed: int = 20200824):
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._rng = random.Random(seed)

    def add(self, spec: dict) -> FaultRule:
        mode = spec.get("mode")
        if mode not in MODES:
            raise FaultError(f"未知的故障模式[{mode}]，可选：{', '.join(MODES)}")
        nxt = spec.get("next")
        prob = spec.get("prob")
        if nxt is not None and prob is not None:
            raise FaultError("next 与 prob 只能指定其一")
        try:
            nxt = None if nxt in (None, "") else int(nxt)
            prob = None if prob in (None, "") else float(prob)
            delay = int(spec.get("delay_ms") or 0)
        except (TypeError, ValueError):
            raise FaultError("next/prob/delay_ms 必须是数字") from None
        if nxt is not None and nxt < 1:
            raise FaultError("next 必须大于 0")
        if prob is not None and not 0.0 <= prob <= 1.0:
            raise FaultError("prob 必须在 0 到 1 之间")
        if mode in ("latency", "trickle") and delay <= 0:
            delay = 1000 if mode == "latency" else 200
        rule = FaultRule(mode=mode, infno=(spec.get("infno") or None), next=nxt, prob=prob, delay_ms=delay)
        if spec.get("message"):
            rule.message = str(spec["message"])
        if spec.get("seed") is not None:
            self._rng.seed(int(spec["seed"]))
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self, infno: str | None = None) -> None:
        with self._lock:
            if infno:
                self._rules = [r for r in self._rules if r.infno != infno]
            else:
                self._rules = []

    def rules(self) -> list[dict]:
        with self._lock:
            return [r.to_json() for r in self._rules]

    @staticmethod
    def _matches(rule: FaultRule, scope: str | None) -> bool:
        if not rule.infno:
            return True
        if rule.infno.endswith(".*"):
            return bool(scope) and scope.startswith(rule.infno[:-1])
        return rule.infno == scope

    def is_down(self) -> bool:
        """A "down" rule is active: the platform does not answer at all (health checks included)."""
        with self._lock:
            return any(r.mode == "down" for r in self._rules)

    def pick(self, infno: str | None) -> FaultRule | None:
        """The rule that fires for this request (consuming one of its `next` count), or None."""
        with self._lock:
            for rule in list(self._rules):
                if not self._matches(rule, infno):
                    continue
                if rule.next is not None:
                    rule.next -= 1
                    if rule.next <= 0:
                        self._rules.remove(rule)
                    return rule
                if rule.prob is not None:
                    if self._rng.random() < rule.prob:
                        return rule
                    continue
                return rule
        return None
