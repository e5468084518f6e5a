"""部分退费 dialog: the patient returns some lines of a same-day outpatient settlement.

Opened from 今日结算 (F7: choose the settlement, Ctrl+T) or the main window (Ctrl+T → choose). Keyboard
first: ↑/↓ move between the lines, Space marks / unmarks the whole line for return, typing a number
in 退回数量 (Tab) returns only that quantity of the current line; Enter confirms. The dialog shows the
original share (personal cash and account, and how it was paid); the new share and the refund per
channel are known after the insurance re-settles the kept lines (2206/2207) and are shown by the
window when the operation is done. A supervisor authorises next (client.services.partial_refund).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from client.domain.money import fmt_display, q2

from .dialogs import ErrorLabel, _buttons
from .scanner_filter import NO_SCAN_PROPERTY


def _num(text) -> str:
    return format(Decimal(str(text)).normalize(), "f")


class PartialRefundDialog(QDialog):
    """Choose the returned lines (or quantities) of ``info`` (partial_refund.settlement_lines)."""

    def __init__(self, info: dict, payments: list[dict] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("partialRefund")
        self.setWindowTitle(self.tr("Partial refund (部分退费)"))
        self.info = info
        self.lines = list(info.get("lines") or [])
        self.back: dict[int, Decimal] = {}          # row → quantity returned
        self.specs: list[str] | None = None
        lay = QVBoxLayout(self)
        head = QLabel(self.tr("Settlement %1 — %2. Original share: cash ¥ %3, personal account ¥ %4.").replace(
            "%1", str(info.get("setl_id"))).replace("%2", str(info.get("psn_name") or "")).replace(
            "%3", fmt_display(Decimal(info.get("psn_cash_pay") or "0"))).replace(
            "%4", fmt_display(Decimal(info.get("acct_pay") or "0"))))
        head.setObjectName("dialogHeading")
        head.setWordWrap(True)
        lay.addWidget(head)
        paid = "、".join(f"{p['label']} ¥ {fmt_display(Decimal(p['amount']))}" for p in payments or [])
        if paid:
            self.paid = QLabel(self.tr("Paid with: %1").replace("%1", paid))
            self.paid.setObjectName("partialPaid")
            lay.addWidget(self.paid)
        lay.addWidget(QLabel(self.tr("↑/↓ choose a line, Space marks the whole line as returned, Tab → type the "
                                     "quantity returned; Enter confirms. A supervisor authorises next.")))
        self.table = QTableWidget(len(self.lines), 6)
        self.table.setObjectName("partialTable")
        self.table.setHorizontalHeaderLabels([self.tr("Return"), self.tr("Item"), self.tr("Quantity"),
                                              self.tr("Price"), self.tr("Amount"), self.tr("Returned qty")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setTabKeyNavigation(False)        # Tab goes on to 退回数量
        for i, ln in enumerate(self.lines):
            for c, text in enumerate(["", ln.get("name") or ln.get("code") or "", _num(ln["cnt"]), str(ln["pric"]),
                                      fmt_display(Decimal(ln["amount"])), ""]):
                it = QTableWidgetItem(text)
                if c in (2, 3, 4, 5):
                    it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, c, it)
        self.table.resizeColumnsToContents()
        from PySide6.QtWidgets import QHeaderView

        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.installEventFilter(self)
        # Space and digits here are the cashier's keys, never the start of a scan: the window's scanner
        # filter must deliver them at once (holding Space for a scan's 50 ms left the mark unset)
        self.table.setProperty(NO_SCAN_PROPERTY, True)
        lay.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Returned qty of the current line")))
        self.qty = QLineEdit()
        self.qty.setObjectName("partialQty")
        self.qty.setProperty(NO_SCAN_PROPERTY, True)
        self.qty.textEdited.connect(self._qty_typed)
        self.qty.returnPressed.connect(self.accept)
        row.addWidget(self.qty)
        lay.addLayout(row)
        self.summary = QLabel("")
        self.summary.setObjectName("partialSummary")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        lay.addWidget(_buttons(self, self.tr("Refund")))
        self.table.currentCellChanged.connect(lambda r, *_: self._show_qty(r))
        if self.lines:
            self.table.selectRow(0)
        self._refresh()
        self.resize(760, 420)
        self.table.setFocus()

    # ----------------------------------------------------------------------------------- keys
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Space toggles the current line
        if obj is self.table and event.type() == QEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Space:
                self.toggle(self._current())
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.accept()
                return True
        return super().eventFilter(obj, event)

    def _current(self) -> int:
        """The line the cursor is on (the selected row when the view has no current index yet)."""
        r = self.table.currentRow()
        if r < 0:
            rows = self.table.selectionModel().selectedRows()
            r = rows[0].row() if rows else (0 if self.lines else -1)
            if r >= 0:
                self.table.setCurrentCell(r, 1)
        return r

    def toggle(self, r: int) -> None:
        if not 0 <= r < len(self.lines):
            return
        if r in self.back:
            del self.back[r]
        else:
            self.back[r] = Decimal(self.lines[r]["cnt"])
        self._show_qty(r)
        self._refresh()

    def _show_qty(self, r: int) -> None:
        self.qty.setText(_num(self.back[r]) if r in self.back else "")

    def _qty_typed(self, text: str) -> None:
        r = self._current()
        if not 0 <= r < len(self.lines):
            return
        self.error.show_error("")
        if not text.strip():
            self.back.pop(r, None)
            self._refresh()
            return
        try:
            self.back[r] = Decimal(text.strip())
        except InvalidOperation:
            self.back.pop(r, None)
        self._refresh()

    def _refresh(self) -> None:
        total = Decimal("0.00")
        for i, ln in enumerate(self.lines):
            q = self.back.get(i)
            self.table.item(i, 0).setText("✔" if q else "")
            self.table.item(i, 5).setText(_num(q) if q else "")
            if q and q > 0:
                total += q2(q * Decimal(ln["pric"])) if q != Decimal(ln["cnt"]) else Decimal(ln["amount"])
        n = sum(1 for q in self.back.values() if q)
        if n and hasattr(self, "error"):
            self.error.show_error("")
        self.summary.setText(self.tr("Returning %1 line(s), ¥ %2 of fees. The kept lines are settled again by the "
                                     "insurance; the difference of the patient's share goes back to the original "
                                     "payment methods in proportion.").replace("%1", str(n)).replace(
            "%2", fmt_display(total)))

    # ----------------------------------------------------------------------------------- result
    def accept(self) -> None:
        chosen = {i: q for i, q in self.back.items() if q is not None}
        if not chosen:
            self.error.show_error(self.tr("Mark at least one line to return (Space), or type a quantity."))
            return
        for i, q in chosen.items():
            ln = self.lines[i]
            if q <= 0:
                self.error.show_error(self.tr("The quantity returned of “%1” must be more than 0.").replace(
                    "%1", ln["name"]))
                return
            if q > Decimal(ln["cnt"]):
                self.error.show_error(self.tr("The quantity returned of “%1” is more than was settled (%2).")
                                      .replace("%1", ln["name"]).replace("%2", _num(ln["cnt"])))
                return
        if all(q == Decimal(self.lines[i]["cnt"]) for i, q in chosen.items()) and len(chosen) == len(self.lines):
            self.error.show_error(self.tr("Every line is returned: use the full reversal (Ctrl+R) instead."))
            return
        self.specs = [f"{self.lines[i]['feedetl_sn']}:{_num(q)}" for i, q in sorted(chosen.items())]
        super().accept()
