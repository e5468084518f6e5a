"""The finance screen (日常 → 全院财务): the hospital's day from the hospital store — totals by
window and payment method, open items (unreplicated windows, unknown outcomes, invoices waiting),
the day's reconciliation — and the institution-level reconciliation at a key press.

Only for operators whose role has the ``reconcile`` permission (财务, 系统管理员); it connects
with this machine's finance database role (``[hospital] finance_url``), never the window's.
All database and platform work runs on worker threads; failures are shown in words.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from client.domain.codes import PAYMENT_METHOD_NAMES


class FinanceDialog(QDialog):
    #: emitted when a load or a reconciliation finished (tests wait on it): "summary" | "reconcile"
    done = Signal(str)

    def __init__(self, load, reconcile, *, parent: QWidget | None = None):
        """``load(day) -> summary dict`` and ``reconcile(day) -> result dict`` run on workers by the
        caller-provided ``run(fn, on_done, on_error)`` (set with ``set_runner``)."""
        super().__init__(parent)
        self._load, self._reconcile = load, reconcile
        self._runner = None
        self.setObjectName("financeDialog")
        self.setWindowTitle(self.tr("Hospital finance"))
        self.resize(860, 560)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Date")))
        self.day = QDateEdit(QDate.currentDate())
        self.day.setObjectName("financeDate")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        top.addWidget(self.day)
        self.btn_load = QPushButton(self.tr("Refresh (F5)"))
        self.btn_load.setObjectName("btnFinanceLoad")
        self.btn_load.setShortcut("F5")
        self.btn_load.setAutoDefault(False)
        self.btn_load.clicked.connect(self.load)
        top.addWidget(self.btn_load)
        self.btn_reconcile = QPushButton(self.tr("Reconcile the hospital (F9)"))
        self.btn_reconcile.setObjectName("btnFinanceReconcile")
        self.btn_reconcile.setShortcut("F9")
        self.btn_reconcile.setAutoDefault(False)
        self.btn_reconcile.clicked.connect(self.reconcile)
        top.addWidget(self.btn_reconcile)
        top.addStretch(1)
        lay.addLayout(top)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("financeTable")
        self.table.setHorizontalHeaderLabels([self.tr("Window"), self.tr("Payment method"), self.tr("Count"),
                                              self.tr("Amount (yuan)")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table, 1)
        self.open_items = QLabel("")
        self.open_items.setObjectName("financeOpenItems")
        self.open_items.setWordWrap(True)
        lay.addWidget(self.open_items)
        self.result = QLabel("")
        self.result.setObjectName("financeResult")
        self.result.setWordWrap(True)
        lay.addWidget(self.result)
        self.error = QLabel("")
        self.error.setObjectName("financeError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        lay.addWidget(self.error)

    def set_runner(self, run) -> None:
        self._runner = run

    def selected_day(self) -> date:
        q = self.day.date()
        return date(q.year(), q.month(), q.day())

    def _busy(self, on: bool) -> None:
        self.btn_load.setEnabled(not on)
        self.btn_reconcile.setEnabled(not on)

    def _fail(self, what: str):
        def on_error(exc) -> None:
            self._busy(False)
            self.error.setText(getattr(exc, "message", None) or str(exc))
            self.done.emit(what)
        return on_error

    def load(self) -> None:
        self.error.setText("")
        self._busy(True)
        day = self.selected_day()
        self._runner(lambda: self._load(day), self.show_summary, self._fail("summary"))

    def show_summary(self, doc: dict) -> None:
        self._busy(False)
        rows = [(w, m, v) for w, ms in sorted(doc["payments_by_window"].items()) for m, v in ms.items()]
        rows += [(self.tr("All windows"), m, {"count": "", "amount": v}) for m, v in doc["payments_total"].items()]
        self.table.setRowCount(len(rows))
        for i, (w, m, v) in enumerate(rows):
            for j, text in enumerate((w, PAYMENT_METHOD_NAMES.get(m, m), str(v["count"]), v["amount"])):
                self.table.setItem(i, j, QTableWidgetItem(text))
        oi = doc["open_items"]
        backlog = sum(b["backlog"] or 0 for b in oi["backlogs"])
        held = oi.get("deposits_held", [])
        held_total = sum((Decimal(h["balance"]) for h in held), Decimal("0.00"))
        self.open_items.setText(self.tr("Open items: %1 unknown outcomes, %2 entries not yet replicated, "
                                        "%3 invoices waiting, %4 shares owed, %5 partial refunds unfinished; "
                                        "deposits held for %6 in-stay patients: ¥ %7")
                                .replace("%1", str(len(oi["unknown_outcomes"])))
                                .replace("%2", str(backlog)).replace("%3", str(len(oi["owed_invoices"])))
                                .replace("%4", str(len(oi.get("owed_shares", []))))
                                .replace("%5", str(len(oi.get("partial_refunds_open", []))))
                                .replace("%6", str(len(held))).replace("%7", f"{held_total:,.2f}"))
        rec = doc["reconciliation"]
        if rec is None:
            self.result.setText(self.tr("Not reconciled yet."))
        else:
            self.result.setText((self.tr("Reconciled: balanced") if rec["clean"] else self.tr("Reconciled: NOT balanced"))
                                + f"（{rec['run_at'][:19]}，{rec['run_by']}）")
        self.done.emit("summary")

    def reconcile(self) -> None:
        self.error.setText("")
        self._busy(True)
        day = self.selected_day()
        self._runner(lambda: self._reconcile(day), self.show_result, self._fail("reconcile"))

    def show_result(self, res: dict) -> None:
        from client.services.hospital_dayend import mismatch_lines

        self._busy(False)
        lines = mismatch_lines(res)
        head = (self.tr("Hospital reconciliation balanced: %1 records.") if res["clean"]
                else self.tr("Hospital reconciliation NOT balanced: %1 records.")).replace("%1", str(res["records"]))
        self.result.setText("\n".join([head, *lines[:20]]))
        self.done.emit("reconcile")
        self.load()
