"""欠费补收: collecting a patient's share that was left owed (a payment code refused, reversed or never
answered at the checkout — ``payments_owed``, client.services.codepay).

The dialog lists today's open owed shares (↑/↓). With one chosen, the cashier either scans the
patient's NEW payment code (the window's scanner routes a payment-code scan to this dialog through
:meth:`OwedCollectDialog.accept_scan`; a code is never typed) or types the cash received and presses
Enter. The window then asks a supervisor to authorise and runs ``codepay.resolve_owed`` on a worker:
a code is charged exactly once through the ordinary trade state machine; if it is refused the share
is owed again (one row), nothing is charged twice.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from client.devices.paycode import mask_code
from client.domain.money import fmt_display, q2
from client.services.payments import Tender

from .dialogs import ErrorLabel, _buttons


def owed_rows(store) -> list[dict]:
    """Open owed shares with the patient's name (from the settlement's own record)."""
    import json

    from client.services import codepay

    rows = codepay.owed_of(store)
    if not rows:
        return rows
    with store.read_connection() as conn:
        for r in rows:
            meta_js, info_js, setl_id = conn.exec_driver_sql(
                "SELECT preview_json, setlinfo_json, setl_id FROM settlements WHERE id = ?",
                (r["settlement_id"],)).one()
            person = (json.loads(meta_js or "{}").get("person") or {})
            info = json.loads(info_js) if info_js else {}
            r["psn_name"] = person.get("name") or info.get("psn_name") or ""
            r["setl_id"] = setl_id or ""
    return rows


class OwedCollectDialog(QDialog):
    """Choose the owed share, then scan the new payment code or type the cash received."""

    def __init__(self, rows: list[dict], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("owedCollect")
        self.setWindowTitle(self.tr("Collect an owed share"))
        self.rows = rows
        self.tender: Tender | None = None
        self.chosen: dict | None = None
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(self.tr("Shares not collected at the checkout (↑/↓ to choose). Then SCAN the patient's "
                                     "new payment code, or type the cash received and press Enter. A supervisor "
                                     "authorises next.")))
        self.table = QTableWidget(len(rows), 5)
        self.table.setObjectName("owedTable")
        self.table.setHorizontalHeaderLabels([self.tr("No."), self.tr("Settlement"), self.tr("Patient"),
                                              self.tr("Amount owed"), self.tr("Why")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for i, r in enumerate(rows):
            for j, v in enumerate((str(r["owed_id"]), r.get("setl_id") or str(r["settlement_id"]),
                                   r.get("psn_name") or "", fmt_display(Decimal(r["amount"])), r.get("reason") or "")):
                it = QTableWidgetItem(v)
                if j == 3:
                    it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, it)
        self.table.resizeColumnsToContents()
        if rows:
            self.table.selectRow(0)
        lay.addWidget(self.table)
        self.cash = QLineEdit()
        self.cash.setObjectName("owedCash")
        self.cash.setPlaceholderText(self.tr("Cash received, e.g. 27.54 (Enter)"))
        self.cash.returnPressed.connect(self._cash_entered)
        lay.addWidget(self.cash)
        self.error = ErrorLabel(self)
        lay.addWidget(self.error)
        box = _buttons(self, self.tr("Collect in cash"))
        box.accepted.disconnect()
        box.accepted.connect(self._cash_entered)
        lay.addWidget(box)
        self.cash.setFocus()

    def current(self) -> dict | None:
        i = self.table.currentRow()
        return self.rows[i] if 0 <= i < len(self.rows) else None

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        """↑/↓ move the choice while the focus stays in the cash field."""
        if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            i = self.table.currentRow() + (1 if event.key() == Qt.Key.Key_Down else -1)
            if 0 <= i < len(self.rows):
                self.table.selectRow(i)
            return
        super().keyPressEvent(event)

    def _fail(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def accept_scan(self, scan, raw: str) -> None:
        """Called by the window for every scan while this dialog is open."""
        row = self.current()
        if row is None:
            self._fail(self.tr("Nothing is owed."))
            return
        if scan.kind != "paycode":
            self._fail(self.tr("That was not a payment code. Ask the patient to open the payment code "
                               "(微信/支付宝/云闪付) and scan it."))
            return
        code = raw.strip()
        self.chosen, self.tender = row, Tender("code", Decimal(row["amount"]), code)
        self.setProperty("scanned", mask_code(code))
        super().accept()

    def _cash_entered(self) -> None:
        row = self.current()
        if row is None:
            self._fail(self.tr("Nothing is owed."))
            return
        try:
            amount = q2(Decimal(self.cash.text().strip()))
        except (InvalidOperation, ValueError):
            self._fail(self.tr("Type the cash received as an amount, e.g. 27.54 — or scan a payment code."))
            return
        if amount != Decimal(row["amount"]):
            self._fail(self.tr("The cash received (¥ %1) must equal the amount owed (¥ %2).").replace(
                "%1", fmt_display(amount)).replace("%2", fmt_display(Decimal(row["amount"]))))
            return
        self.chosen, self.tender = row, Tender("cash", amount)
        super().accept()
