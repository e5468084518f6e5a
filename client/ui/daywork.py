"""The window's work around the counter (issues #6/#7): connectivity, start-up recovery, the
offline emergency settlement (离线应急结算), store-and-forward, adjustments (退补差额), shifts.

:class:`DayworkMixin` is mixed into :class:`client.ui.mainwindow.MainWindow`; it only uses the
window's widgets, its TaskManager and :class:`client.ui.app.AppState`:

* connectivity — ``ConnectivityMonitor.check`` runs on the network pool every ``poll_seconds``
  (``MEDSETTLE_CONN_POLL_S`` or 10 s); its subscriber callback (a worker thread) is relayed to the
  :attr:`connectivity_changed` Qt signal. Back online → ``AppState.drain`` on the database worker
  (offline settlements, then e-invoice uploads), adjustments announced;
* start-up recovery after sign-in (``AppState.recover``) with a red banner while something stays
  unresolved;
* offline case — identification from the cache by card / ID number (an e-voucher is refused with a
  clear message), charges from the local catalogue (or the HIS when it answers), F5 =
  ``OfflineService.quote`` (离线·临时结算) with the limits' reasons and the full self-pay offer,
  F9 = ``OfflineService.settle`` / ``settle_self_pay`` with the receipt marked 离线结算;
* shift open (opening float) / close (blockers, supervisor force, cash count, 3201/3202, Z report)
  and the adjustments list (Ctrl+J).
"""

from __future__ import annotations

import logging
import os
from decimal import Decimal

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox

from client.domain.money import fmt_display, q2

log = logging.getLogger("client.ui.daywork")


def poll_seconds_default() -> float:
    try:
        return max(1.0, float(os.environ.get("MEDSETTLE_CONN_POLL_S", "10")))
    except ValueError:
        return 10.0


class LocalCase:
    """A patient settled without an insurance transaction now: offline (离线应急结算, the cached
    person, a provisional settlement or full self-pay) or 转自费 at an online window (mode
    ``self_pay``: the whole amount paid by the patient, with the reason)."""

    def __init__(self, person, mode: str = "offline", *, reason_code: str = "", note: str = ""):
        self.person = person            # IdentifiedPerson (cache or 1101), or SelfPayPatient
        self.mode = mode                # offline | self_pay
        self.fees: list = []            # client.services.fees.FeeInput
        self.lines: list[dict] = []     # display rows (ChargesModel)
        self.quote = None               # OfflineQuote after F5
        self.self_pay = mode == "self_pay"
        self.reason_code = reason_code
        self.note = note
        self.bills: list[str] = []      # HIS bills taken into this case

    def add(self, fee, line: dict) -> None:
        self.fees.append(fee)
        self.lines.append(dict(line, seq=len(self.lines) + 1))
        self.quote = None
        self.self_pay = self.mode == "self_pay"

    def remove(self, row: int) -> None:
        del self.fees[row]
        del self.lines[row]
        for i, ln in enumerate(self.lines, 1):
            ln["seq"] = i
        self.quote = None
        self.self_pay = self.mode == "self_pay"


# 转自费 reasons as the cashier reads them (English source; zh_CN from the translations). The codes are
# client.services.cashdesk.SELF_PAY_REASONS's; the receipt and the audit log use that module's words.
def _self_pay_labels() -> dict[str, str]:
    return {"uninsured": QCoreApplication.translate("DayworkMixin", "not insured / no insurance record"),
            "suspended": QCoreApplication.translate("DayworkMixin", "insurance suspended (暂停参保)"),
            "refused": QCoreApplication.translate("DayworkMixin", "refused by the insurance centre"),
            "declined": QCoreApplication.translate("DayworkMixin", "the patient does not use the insurance"),
            "other": QCoreApplication.translate("DayworkMixin", "other reason")}


class DayworkMixin:
    def tr(self, text: str, disambiguation: str | None = None, n: int = -1) -> str:  # noqa: D401
        """Strings written here are in the ``DayworkMixin`` context (as lupdate sees them); the
        window's own strings fall through to the runtime class context (``MainWindow``)."""
        out = QCoreApplication.translate("DayworkMixin", text, disambiguation, n)
        if out != text:
            return out
        return super().tr(text, disambiguation, n)

    # ================================================================== connectivity
    def _setup_connectivity(self, poll_seconds: float | None) -> None:
        self.local_case: LocalCase | None = None
        self.conn_status = None
        self._draining = False
        self._recovery_due = False
        self.poll_seconds = poll_seconds or poll_seconds_default()
        self._conn_timer.setInterval(int(self.poll_seconds * 1000))
        monitor = self.state.monitor
        self._unsubscribe = None
        if monitor is not None:
            relay = self.tasks.progress_relay(self.connectivity_changed.emit)
            self._unsubscribe = monitor.subscribe(relay)
        self.connectivity_changed.connect(self._on_connectivity)

    def check_connectivity(self) -> None:
        monitor = self.state.monitor
        if monitor is None or self._shut:
            return
        self.tasks.run_net(monitor.check, self._conn_status, lambda exc: log.warning("connectivity check: %s", exc),
                           label="connectivity")

    def _conn_status(self, status) -> None:
        """Every check (changed or not): refresh the status bar; drain when there is work."""
        self._show_status(status)
        if status.reachable and self.operator is not None and not self._shut:
            if self._recovery_due:
                self._recovery_due = False
                self.run_recovery()
            elif (status.outbox_pending or status.backsettle_pending) and not self._draining:
                self.drain_outbox()
        self.step_done.emit("connectivity")

    def _on_connectivity(self, status) -> None:
        """The monitor's state changed (relayed from the worker): banner + status bar."""
        self._show_status(status)

    def _show_status(self, status) -> None:
        self.conn_status = status
        self.online = bool(status.reachable)
        self.outbox_count = status.outbox_pending + status.outbox_needs_review
        self.offline_banner.setVisible(not status.reachable)
        state = status.state
        faults = dict(getattr(self, "system_faults", {}) or {})
        if state != "offline" and faults:
            state = "partial"           # the probe answers, but a real call to some system failed
        words = {"online": self.tr("Online"), "offline": self.tr("OFFLINE"), "recovering": self.tr("Recovering"),
                 "partial": self.tr("Partly down")}[state]
        self.st_conn.setText(words)
        names = {"insurance": self.tr("insurance centre"), "his": self.tr("HIS"),
                 "einvoice": self.tr("e-invoice platform")}
        self.st_conn.setToolTip("\n".join(f"{names.get(k, k)}: {v}" for k, v in faults.items()))
        self.st_conn.setProperty("online", state == "online")
        self.st_conn.setProperty("state", state)
        self.st_conn.style().unpolish(self.st_conn)
        self.st_conn.style().polish(self.st_conn)
        out = self.tr("Outbox %1").replace("%1", str(status.outbox_pending))
        if status.outbox_needs_review:
            out += " · " + self.tr("refused %1").replace("%1", str(status.outbox_needs_review))
        if status.unknown_settlements:
            out += " · " + self.tr("unknown %1").replace("%1", str(status.unknown_settlements))
        if status.backsettle_pending:
            out += " · " + self.tr("to back-settle %1").replace("%1", str(status.backsettle_pending))
        self.st_outbox.setText(out)
        ages = status.cache.hours()
        known = [h for h in ages.values() if h is not None]
        if known:
            self.st_cache.setText(self.tr("Cache %1 h old").replace("%1", f"{max(known):.1f}"))
        else:
            self.st_cache.setText(self.tr("No cache"))
        if not self.last_sync:
            self.st_sync.setText(self.tr("Not synced yet"))

    def set_online(self, online: bool, outbox: int | None = None) -> None:
        """Show a connection state without asking the platform (screenshots, tests of the display)."""
        from datetime import datetime

        from client.services.connectivity import CacheAges, ConnStatus

        n = self.outbox_count if outbox is None else outbox
        state = "offline" if not online else ("recovering" if n else "online")
        cache = self.conn_status.cache if self.conn_status is not None else CacheAges()
        self._show_status(ConnStatus(state, online, datetime.now(), n, 0, 0, cache))

    def refresh_counts(self) -> None:
        self.check_connectivity()

    # ================================================================== recovery / forward
    def run_recovery(self) -> None:
        """Start-up recovery (after sign-in, online): unknown outcomes, stuck outbox items, drain."""
        self._draining = True
        self.st_busy.setText(self.tr("Recovery: confirming unknown results and sending queued items…"))

        def failed(exc: BaseException) -> None:
            self._draining = False
            self._show_recovery_banner(self.tr("Start-up recovery could not run: %1\nDo not close the shift; "
                                               "Synchronise (Ctrl+S) when the insurance centre is reachable.")
                                       .replace("%1", getattr(exc, "message", None) or str(exc)))
            self.step_failed.emit("recovery", str(exc))

        self.tasks.run_db(self.state.desk.recover, self._recovered, failed, label="recovery")

    def _recovered(self, rep: dict) -> None:
        self._draining = False
        self.recovery_report = rep
        adjustments = (rep.get("drain") or {}).get("adjustments") or []
        if rep.get("clean"):
            self.recovery_banner.hide()
            resolved = sum((rep.get("resolved") or {}).values())
            if resolved or adjustments or rep.get("unpaid"):
                self.show_message(rep["message"], "info")
        else:
            self._show_recovery_banner(rep["message"] + "\n" + self.tr(
                "Items remain unresolved: do not settle these patients again; the shift cannot be closed "
                "until they are resolved."))
        if rep.get("unpaid"):
            self._show_recovery_banner(rep["message"])
        self._announce_adjustments(adjustments)
        self.check_connectivity()
        self.step_done.emit("recovery")

    def _show_recovery_banner(self, text: str) -> None:
        self.recovery_banner.setText(text)
        self.recovery_banner.show()

    def drain_outbox(self) -> None:
        if self._draining or self.operator is None:
            return
        self._draining = True

        def done(rep: dict) -> None:
            self._draining = False
            self.last_drain = rep
            if rep.get("acked"):
                self.st_busy.setText(self.tr("Offline settlements sent to the insurance centre: %1.")
                                     .replace("%1", str(rep["acked"])))
            bs = rep.get("backsettle") or {}
            if bs.get("settled"):
                self.show_message(self.tr("Insurance settled afterwards (医保补结算) for %1 offline self-pay visit(s); "
                                          "refund the fund's share to the patients (adjustment records, Ctrl+J).")
                                  .replace("%1", str(bs["settled"])), "info")
            if bs.get("refused"):
                self.show_message(self.tr("The insurance centre refused 补结算 of %1 visit(s); they stay full self-pay "
                                          "with the reason recorded (medsettle offline list).")
                                  .replace("%1", str(bs["refused"])), "error")
            if rep.get("needs_review"):
                self.show_message(self.tr("The insurance centre refused %1 offline settlement(s); they wait for the "
                                          "insurance office (the shift cannot be closed until resolved).")
                                  .replace("%1", str(rep["needs_review"])), "error")
            self._announce_adjustments(rep.get("adjustments") or [])
            self.check_connectivity()
            self.step_done.emit("drain")

        def failed(exc: BaseException) -> None:
            self._draining = False
            log.warning("drain failed: %s", exc)
            self.step_failed.emit("drain", str(exc))

        self.tasks.run_db(self.state.desk.drain, done, failed, label="drain")

    def _announce_adjustments(self, adjustments: list[dict]) -> None:
        owed = [a for a in adjustments if Decimal(str(a.get("amount") or "0")) != 0]
        if not owed:
            return
        lines = []
        for a in owed:
            what = self.tr("refund ¥ %1") if a["direction"] == "refund" else self.tr("collect ¥ %1")
            lines.append(f"{a.get('msgid')}: " + what.replace("%1", fmt_display(Decimal(a["amount"]))))
        self.show_message(self.tr("The insurance centre's result differs from the offline settlement — adjustment "
                                  "records created (Ctrl+J):") + "\n" + "\n".join(lines), "warning")

    # ================================================================== offline case
    def offline_mode(self) -> bool:
        """True when the platform is known to be unreachable: the window's last shown state, or the
        connectivity monitor's latest check (read directly: its result may still be on its way to the
        GUI thread). Identification then goes straight to the cache — no 1101 with retries first."""
        if self.online is False:
            return True
        monitor = self.state.monitor
        last = getattr(monitor, "last", None) if monitor is not None else None
        return last is not None and not last.reachable

    def identify_offline(self, kind: str, value: str) -> None:
        from client.services.offline import OfflineService

        if kind == "ecqr":
            msg = self.tr("OFFLINE: the e-voucher cannot be read without the insurance centre. Ask for the social "
                          "security card (F2) or the ID number (F3) to settle offline (离线应急结算).")
            self.show_message(msg, "warning")
            self.step_failed.emit("identify", msg)
            return
        svc = OfflineService(self.state.ctx)
        args = {"certno": value} if kind == "certno" else {"card": value}
        self.clear_message()
        self._begin("identify", self.tr("Identifying from the local cache (offline)…"))
        self.tasks.run_db(lambda: svc.identify(**args), self._identified_offline,
                          lambda exc: self.show_error("identify", exc), label="identify offline")

    def _identified_offline(self, person) -> None:
        self.state.counter.reset()
        self.clear_case()
        self.local_case = LocalCase(person, "offline")
        self.person = person.view
        self.patient.show_person(person.view)
        self._update_kind()
        self.show_message(self.tr("OFFLINE EMERGENCY SETTLEMENT — patient from this window's cache. Add the charges "
                                  "(Ctrl+F search, F4 HIS), F5 shows the provisional amount, F9 settles; the "
                                  "insurance centre's result is final and differences are refunded/collected later."),
                          "warning")
        self._busy_step = ""
        self.st_busy.setText(self.tr("Offline: patient identified from the cache."))
        self._update_buttons()
        self.step_done.emit("identify")

    def add_code_offline(self, code: str, cnt: str = "1") -> None:
        case = self.local_case
        store, admdvs = self.state.ctx.store, self.settings.site.admdvs

        def work():
            from client.services.errors import ServiceError
            from client.services.fees import FeeInput
            from offline_cache.catalog import get_item

            item = get_item(store, admdvs, code)
            if item is None:
                raise ServiceError("invalid_input", f"医疗目录编码“{code}”不在本机缓存的目录中，离线时不能收费。请核对编码。")
            if item.pric is None:
                raise ServiceError("invalid_input", f"目录中“{item.name}”没有价格，离线时不能收费。")
            n = Decimal(cnt)
            fee = FeeInput(item.med_list_codg, n, None, item.name)
            line = {"code": item.med_list_codg, "name": item.name, "spec": item.spec or "", "cnt": cnt,
                    "pric": format(item.pric, "f"), "det_item_fee_sumamt": f"{q2(n * item.pric):.2f}",
                    "chrgitm_lv": item.chrgitm_lv or ""}
            return fee, line

        def done(res) -> None:
            fee, line = res
            case.add(fee, line)
            self._offline_lines_changed()
            self._busy_step = ""
            self.st_busy.setText(self.tr("Added %1.").replace("%1", line["name"]))
            self._update_buttons()
            self.step_done.emit("add")

        self._begin("add", self.tr("Adding the item…"))
        self.tasks.run_db(work, done, lambda exc: self.show_error("add", exc), label="add line offline")

    def _offline_lines_changed(self) -> None:
        self.trial = None
        self.charges.set_lines(self.local_case.lines)
        for c in range(self.charges.columnCount()):
            if c != 2:
                self.table.resizeColumnToContents(c)
        self.payment.set_due(None)
        self._update_total()

    def load_his_local(self) -> None:
        """F4 for an offline or self-pay case: the HIS bills (the HIS may answer while the insurance
        centre does not), priced from the bill or the local catalogue; several: ticked in a list."""
        case = self.local_case
        counter = self.state.counter
        store, admdvs = self.state.ctx.store, self.settings.site.admdvs
        if case.fees:
            self.show_message(self.tr("The case already has charges; cancel it (Esc) to take other bills."), "warning")
            return

        def fetch():
            from client.services.errors import ServiceError

            if counter.his is None:
                raise ServiceError("config", "没有配置 HIS 接口，请用目录搜索（Ctrl+F）逐项录入费用。", system="his")
            visits = counter.his.pending(case.person.certno, getattr(case.person, "psn_no", "") or "")
            return [v for v in visits if not str(v.med_type).startswith("2")]

        def price(chosen):
            from client.services.errors import ServiceError
            from offline_cache.catalog import get_item

            out = []
            for fi in (fi for v in chosen for fi in v.lines):
                item = get_item(store, admdvs, fi.code)
                pric = fi.pric if fi.pric is not None else (item.pric if item else None)
                if pric is None:
                    raise ServiceError("invalid_input", f"HIS 费用 {fi.code} 不在本机目录中且没有单价，不能收费。", system="his")
                name = fi.name or (item.name if item else fi.code)
                out.append((fi, {"code": fi.code, "name": name, "spec": (item.spec if item else "") or "",
                                 "cnt": format(fi.cnt.normalize(), "f"), "pric": format(pric, "f"),
                                 "det_item_fee_sumamt": f"{q2(fi.cnt * pric):.2f}",
                                 "chrgitm_lv": (item.chrgitm_lv if item else "") or ""}))
            return out

        def listed(visits) -> None:
            self.clear_fault("his")
            self._busy_step = ""
            if not visits:
                self.show_message(self.tr("The HIS has no unpaid outpatient bill for this patient. Add the items with "
                                          "the catalogue search (Ctrl+F)."), "warning")
                self._update_buttons()
                self.step_failed.emit("his", "no bill")
                return
            chosen_nos = self.choose_bills(visits)
            if not chosen_nos:
                self._update_buttons()
                self.step_failed.emit("his", "cancelled")
                return
            chosen = [v for v in visits if v.ipt_otp_no in chosen_nos]

            def done(rows) -> None:
                case.bills = [v.ipt_otp_no for v in chosen]
                for fee, line in rows:
                    case.add(fee, line)
                self._offline_lines_changed()
                self._busy_step = ""
                self.st_busy.setText(self.tr("%1 charge lines from the HIS. F5 shows the amount due.")
                                     .replace("%1", str(len(rows))))
                self._update_buttons()
                self.step_done.emit("his")

            self._begin("his", self.tr("Pricing the bills…"))
            self.tasks.run_db(lambda: price(chosen), done, lambda exc: self.show_error("his", exc), label="his price")

        self._begin("his", self.tr("Fetching the bills from the HIS…"))
        self.tasks.run_db(fetch, listed, lambda exc: self.show_error("his", exc), label="his local")

    def presettle_offline(self) -> None:
        from client.services.offline import OfflineQuote, OfflineService

        case = self.local_case
        if not case.fees or self._busy_step:
            return
        svc = OfflineService(self.state.ctx)
        self.clear_message()
        if case.mode == "self_pay":
            def quote():
                lines = svc.price_lines(list(case.fees))
                return OfflineQuote(lines, q2(sum((ln.amount for ln in lines), Decimal("0.00"))))

            self._begin("presettle", self.tr("Totalling the full self-pay…"))
            self.tasks.run_db(quote, self._self_pay_quoted, lambda exc: self.show_error("presettle", exc),
                              label="self-pay quote")
            return
        self._begin("presettle", self.tr("Computing the provisional offline settlement…"))
        self.tasks.run_db(lambda: svc.quote(case.person, list(case.fees)), self._offline_quoted,
                          lambda exc: self.show_error("presettle", exc), label="offline quote")

    def _offline_quoted(self, q) -> None:
        case = self.local_case
        self._busy_step = ""
        if case is None:
            return
        case.quote = q
        if q.setlinfo is None and q.default_self_pay:
            # the default offline mode: full self-pay, settled with the insurance afterwards (补结算)
            case.self_pay = True
            self.settlement.clear()
            self.settlement.total.setText(fmt_display(q.total))
            self.settlement.cash.setText(fmt_display(q.total))
            self.settlement.state.setText(self.tr(
                "OFFLINE · FULL SELF-PAY (全自费) — the patient pays the whole amount; when the insurance centre is "
                "back the visit is settled afterwards (医保补结算) and the fund's share is refunded to the patient.")
                if q.backsettle else self.tr(
                "OFFLINE · FULL SELF-PAY (全自费) — not an insurance settlement; the receipt is the proof for "
                "reimbursement at the insured place."))
            due = q.total
        elif q.allowed and q.setlinfo is not None:
            case.self_pay = False
            self.settlement.show_amounts(q.setlinfo, self.tr(
                "OFFLINE · PROVISIONAL (离线·临时结算) — the insurance centre's result is final; any difference is "
                "refunded or collected later. The personal account is not used offline."))
            due = q.due
        else:
            reasons = "\n".join(f"• {r}" for r in q.reasons) or self.tr("• no cached policy for the insured place")
            offer = (self.tr("Charge the whole amount ¥ %1 as full self-pay (全自费)? The visit is settled with the "
                             "insurance afterwards (医保补结算) when the insurance centre is back and the fund's "
                             "share is refunded to the patient. Otherwise wait until the insurance centre is back.")
                     if q.backsettle else
                     self.tr("Charge the whole amount ¥ %1 as full self-pay (全自费)? The patient can claim "
                             "reimbursement at the insured place with the receipt. Otherwise wait until the "
                             "insurance centre is back."))
            text = (self.tr("Offline insurance settlement is not possible:") + "\n" + reasons + "\n\n"
                    + offer.replace("%1", fmt_display(q.total)))
            self.show_message(text.replace("\n\n", "\n"), "warning")
            box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Offline limits exceeded"), text,
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
            box.button(QMessageBox.StandardButton.Yes).setText(self.tr("Full self-pay"))
            box.button(QMessageBox.StandardButton.No).setText(self.tr("Wait"))
            box.setDefaultButton(QMessageBox.StandardButton.Yes)
            box.setObjectName("selfPayBox")
            self._dialog = box
            if box.exec() != QMessageBox.StandardButton.Yes:
                case.quote = None
                self._update_buttons()
                self.step_failed.emit("presettle", "offline limits")
                return
            case.self_pay = True
            self.settlement.clear()
            self.settlement.total.setText(fmt_display(q.total))
            self.settlement.cash.setText(fmt_display(q.total))
            self.settlement.state.setText(self.tr("FULL SELF-PAY (全自费) — not an insurance settlement; the receipt "
                                                  "is the proof for reimbursement at the insured place."))
            due = q.total
        self.payment.set_due(q2(due))
        self.st_busy.setText(self.tr("Offline: amount due ¥ %1. Type the tendered amount and press Enter or F9.")
                             .replace("%1", fmt_display(q2(due))))
        self._update_buttons()
        self.payment.tendered.setFocus()
        self.step_done.emit("presettle")

    def _self_pay_quoted(self, q) -> None:
        case = self.local_case
        self._busy_step = ""
        if case is None:
            return
        case.quote = q
        self.settlement.clear()
        self.settlement.total.setText(fmt_display(q.total))
        self.settlement.fund.setText("0.00")
        self.settlement.account.setText("0.00")
        self.settlement.cash.setText(fmt_display(q.total))
        self.settlement.state.setText(self.tr("FULL SELF-PAY (转自费) — no insurance transaction is sent; the patient "
                                              "pays ¥ %1.").replace("%1", fmt_display(q.total)))
        self.payment.set_due(q.total)
        self.st_busy.setText(self.tr("Full self-pay: amount due ¥ %1. Type the tendered amount and press Enter or F9.")
                             .replace("%1", fmt_display(q.total)))
        self._update_buttons()
        self.payment.tendered.setFocus()
        self.step_done.emit("presettle")

    def start_self_pay(self) -> None:
        """F8 转自费: the patient pays the whole amount, no insurance transaction (uninsured, suspended,
        refused by the insurance centre, or declining the insurance) — with the reason recorded."""
        from client.services.cashdesk import SELF_PAY_REASONS
        from client.services.offline import SelfPayPatient
        from client.ui import dialogs

        if self.operator is None or self.case_settled or self._busy_step:
            return
        if self.trial is not None or self.state.counter.visit_id is not None:
            self.show_message(self.tr("The charges are already with the insurance centre. Cancel the case (Esc), "
                                      "identify the patient again and choose self-pay (F8) before F5."), "warning")
            self.step_failed.emit("self_pay", "already sent")
            return
        counter = self.state.counter
        person = counter.person if self.person is not None and self.local_case is None else None
        if self.local_case is not None:
            person = self.local_case.person
        view = getattr(person, "view", None)
        default = "suspended" if view is not None and view.suspended else ("uninsured" if person is None else "declined")
        reasons = {k: v for k, v in _self_pay_labels().items() if k in SELF_PAY_REASONS}
        dlg = dialogs.SelfPayDialog(reasons, name=getattr(view, "name", "") or "",
                                    masked_certno=getattr(view, "masked_certno", "") or "", known=person is not None,
                                    default=default, parent=self)
        self._dialog = dlg
        if not dlg.exec():
            self.step_failed.emit("self_pay", "cancelled")
            return

        def go() -> None:
            patient = person if person is not None else SelfPayPatient(dlg.patient_name, dlg.patient_certno)
            lines = list(self.local_case.lines) if self.local_case is not None else []
            fees = list(self.local_case.fees) if self.local_case is not None else []
            counter.reset()
            self.clear_case()
            case = LocalCase(patient, "self_pay", reason_code=dlg.reason_code, note=dlg.note.text().strip())
            for fee, line in zip(fees, lines, strict=True):
                case.add(fee, line)
            self.local_case = case
            self.person = view
            if view is not None:
                self.patient.show_person(view)
            else:
                self.patient.name.setText(patient.psn_name)
                from client.domain.masking import mask_certno

                self.patient.certno.setText(mask_certno(patient.certno))
            if case.fees:
                self._offline_lines_changed()
            self._update_kind()
            self.show_message(self.tr("FULL SELF-PAY (转自费): %1. F4 takes the HIS bills (or Ctrl+F adds items), F5 "
                                      "shows the amount due, F9 takes the payment. Nothing is sent to the insurance "
                                      "centre.").replace("%1", dlg.reason.currentText()), "warning")
            self._update_buttons()
            self.step_done.emit("self_pay")

        self.with_shift("self_pay", go)

    def settle_offline(self, tenders) -> None:
        case = self.local_case
        state = self.state
        quote, self_pay = case.quote, case.self_pay
        self.clear_message()
        if case.mode == "self_pay":
            self._begin("settle", self.tr("Settling as full self-pay…"))
            self.tasks.run_db(lambda: state.desk.self_pay_settle(case.person, list(case.fees), tenders,
                                                            reason_code=case.reason_code, note=case.note,
                                                            bills=tuple(case.bills)),
                              self._settled_offline, lambda exc: self.show_error("settle", exc), label="self-pay settle")
            return
        self._begin("settle", self.tr("Settling offline…"))
        self.tasks.run_db(lambda: state.desk.offline_settle(case.person, list(case.fees), tenders, quote=quote,
                                                       self_pay=self_pay),
                          self._settled_offline, lambda exc: self.show_error("settle", exc), label="offline settle")

    def _settled_offline(self, record: dict) -> None:
        self.record = record
        self.last_print = record
        self.case_settled = True
        case = self.local_case
        if case is not None:
            case.quote = None
        change = self._change_of(record)
        self.payment.change.setText(f"¥ {fmt_display(change)}")
        self.payment.set_change_kind("change")
        if record.get("self_pay") and record.get("backsettle"):
            title = self.tr("SETTLED AS FULL SELF-PAY (全自费收据) — queued for 医保补结算; the fund's share is refunded "
                            "when the insurance centre is back.")
        elif record.get("self_pay"):
            title = self.tr("SETTLED AS FULL SELF-PAY (全自费) — not sent to the insurance centre.")
        else:
            title = self.tr("SETTLED OFFLINE (离线结算, provisional) — queued; sent when the insurance centre is "
                            "back.")
        self.settlement.state.setText(title)
        self._busy_step = ""
        self.confirmation.setText(title + " · " + self._confirmation_text(record, change))
        self.confirmation.show()
        self.st_busy.setText(self.tr("Settled. Esc: next patient."))
        if record.get("warnings"):
            self.show_message("\n".join(record["warnings"]), "warning")
        self._update_buttons()
        self.refresh_counts()
        self.step_done.emit("settle")

    # ================================================================== adjustments
    def show_adjustments(self) -> None:
        from client.ui import dialogs

        if self.operator is None:
            return
        dlg = dialogs.AdjustmentsDialog(self.state.desk.adjustments, self._settle_adjustment, self)
        self._dialog = dlg
        self.adjustments_dialog = dlg
        dlg.exec()

    def show_mappings(self) -> None:
        """日常 → 目录对照: the items not yet mapped (read on the database worker, shown read-only)."""
        from client.services import mapping
        from client.ui import dialogs

        store = self.state.ctx.store

        def done(rows) -> None:
            dlg = dialogs.MappingsDialog(rows, self)
            self._dialog = dlg
            self.mappings_dialog = dlg
            dlg.exec()

        def failed(exc: BaseException) -> None:
            self.show_message(getattr(exc, "message", None) or str(exc))

        self.tasks.run_db(lambda: [m.to_dict() for m in mapping.list_mappings(store, "unmapped")], done, failed,
                          label="mappings")

    def _settle_adjustment(self, adjustment_id: int, method: str, reply) -> None:
        """Called by the dialog: the record is closed on the database worker; ``reply(error)`` after."""
        def done(_r) -> None:
            reply("")
            self.step_done.emit("adjustment")

        def failed(exc: BaseException) -> None:
            msg = getattr(exc, "message", None) or str(exc)
            reply(msg)
            self.step_failed.emit("adjustment", msg)

        self.tasks.run_db(lambda: self.state.desk.settle_adjustment(adjustment_id, method), done, failed,
                          label="adjustment")

    # ================================================================== shifts
    def ensure_shift(self, opening_float: Decimal | None) -> None:
        """At sign-in: this operator's open shift at this window, or a new one with the opening float;
        ``None`` (开班 cancelled) opens nothing — the window asks again before the first patient."""
        code = self.operator.code
        state = self.state

        def work():
            sid = state.desk.current_shift(code)
            if sid is not None or opening_float is None:
                return sid, False
            return state.desk.open_shift(code, opening_float), True

        def done(res) -> None:
            sid, opened = res
            self.shift_id = sid
            self._show_shift()
            if opened:
                self.st_busy.setText(self.tr("Shift %1 opened, opening float ¥ %2.").replace("%1", str(sid)).replace(
                    "%2", fmt_display(q2(opening_float or Decimal("0")))))
            self.step_done.emit("shift_open")

        self.tasks.run_db(work, done, lambda exc: self.show_error("shift_open", exc), label="open shift")

    def shift_key(self) -> None:
        """Ctrl+K: open the shift when none is open, else close it (交班)."""
        if self.operator is None or self._busy_step:
            return
        if self.shift_id is None:
            self.with_shift("shift", lambda: self.step_done.emit("shift"))
        else:
            self.close_shift()

    def close_shift(self) -> None:
        if self.operator is None or self._busy_step:
            return
        code = self.operator.code
        self._begin("shift", self.tr("Preparing the shift close…"))
        self.tasks.run_db(lambda: self.state.desk.shift_state(code), self._shift_dialog,
                          lambda exc: self.show_error("shift", exc), label="shift state")

    def _shift_dialog(self, info: dict) -> None:
        from client.ui import dialogs

        self._busy_step = ""
        self.st_busy.setText("")
        self._update_buttons()
        dlg = dialogs.ShiftCloseDialog(info["summary"], info["blockers"],
                                       lambda reason: self._authorize("force_shift_close",
                                                                      self.tr("Force the shift close"),
                                                                      f"shift:{info['shift_id']}"),
                                       online=self.online is not False, parent=self)
        self._dialog = dlg
        self.shift_dialog = dlg
        if not dlg.exec():
            self.step_failed.emit("shift", "cancelled")
            return
        auth = dlg.authorization
        force_by = auth.authorized_by if auth is not None else None
        reason = (auth.reason if auth is not None else "") or dlg.reason
        counted = dlg.counted
        confirm = dlg.confirm_difference.isChecked()
        why = dlg.difference_reason.text().strip()
        reconcile = self.online is not False
        self._begin("shift", self.tr("Closing the shift and reconciling with the insurance centre…"))
        self.tasks.run_db(lambda: self.state.desk.close_shift(info["shift_id"], counted, force_by=force_by, reason=reason,
                                                         reconcile=reconcile, confirm_difference=confirm,
                                                         difference_reason=why),
                          self._shift_closed, lambda exc: self.show_error("shift", exc), label="close shift")

    def _shift_closed(self, out: dict) -> None:
        self._busy_step = ""
        self.shift_result = out
        self.shift_id = None            # 交班 done: the next patient needs a new shift (开班)
        self._show_shift()
        closing = out["closing"]["closing"]
        parts = [self.tr("Shift closed.")]
        if closing.get("forced"):
            parts.append(self.tr("FORCED by supervisor %1 with open items.").replace(
                "%1", str(out["closing"].get("forced_by"))))
        for m in closing.get("methods") or []:
            parts.append(self.tr("%1: expected ¥ %2, counted ¥ %3, difference ¥ %4").replace(
                "%1", m["method_name"]).replace("%2", fmt_display(Decimal(m["expected"]))).replace(
                "%3", fmt_display(Decimal(m["counted"]))).replace("%4", fmt_display(Decimal(m["difference"]))))
        if closing.get("difference_reason"):
            parts.append(self.tr("Over/short confirmed: %1").replace("%1", closing["difference_reason"]))
        recon = out.get("reconciliation")
        kind = "info"
        if recon is not None:
            if recon["clean"]:
                parts.append(self.tr("Reconciliation with the insurance centre (3201/3202): balanced, %1 records.")
                             .replace("%1", str(recon["records"])))
            else:
                kind = "warning"
                bad = []
                for d in recon.get("details") or []:
                    for m in d.get("mismatches") or []:
                        bad.append(f"{m.get('setl_id') or ''} ({m.get('msgid') or ''}) {m.get('memo') or ''}".strip())
                for t in recon.get("totals") or []:
                    if not t.get("balanced"):
                        bad.append(f"3201 {t.get('setl_optins')}: {t.get('stmt_rslt_dscr') or ''}")
                parts.append(self.tr("Reconciliation NOT balanced — settlements to check:") + "\n" + "\n".join(bad))
        elif out.get("recon_error"):
            kind = "warning"
            parts.append(self.tr("Reconciliation not done: %1").replace("%1", out["recon_error"]))
        else:
            kind = "warning"
            parts.append(self.tr("Reconciliation not done (offline); reconcile when the insurance centre is back."))
        if out.get("zreport_path"):
            parts.append(self.tr("Z report: %1").replace("%1", out["zreport_path"]))
        elif out.get("zreport_error"):
            parts.append(out["zreport_error"])
        self.show_message("\n".join(parts), kind)
        self._update_buttons()
        self.refresh_counts()
        self.step_done.emit("shift")
