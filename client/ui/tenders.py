"""The reference of a payment the window does not charge itself (client.services.payments.require_references).

A bank card paid at the POS terminal is booked with the terminal slip's 参考号; a WeChat / Alipay /
e-CNY payment made outside the aggregate-payment gateway (the hospital's static QR, the merchant app)
with the transaction number the merchant app shows. The cashier types it (keyboard only: type, Enter)."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QVBoxLayout, QWidget

from client.domain.money import fmt_display

from .dialogs import ErrorLabel, _buttons


class ReferenceDialog(QDialog):
    def __init__(self, method_name: str, amount: Decimal, *, card: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("tenderReference")
        self.setWindowTitle(self.tr("Payment reference"))
        lay = QVBoxLayout(self)
        if card:
            what = self.tr("Charge ¥ %1 on the POS terminal, then type the reference number (参考号) printed on "
                           "its slip and press Enter.")
        else:
            what = self.tr("¥ %1 by %2 outside the payment gateway: type the transaction number the merchant app "
                           "shows and press Enter.")
        lay.addWidget(QLabel(what.replace("%1", fmt_display(amount)).replace("%2", method_name)))
        self.ref = QLineEdit()
        self.ref.setObjectName("tenderRef")
        self.ref.setMaxLength(64)
        lay.addWidget(self.ref)
        self.error = ErrorLabel(self)
        lay.addWidget(self.error)
        lay.addWidget(_buttons(self, self.tr("Book the payment")))
        self.value = ""
        self.ref.setFocus()

    def accept(self) -> None:
        text = self.ref.text().strip()
        if len(text) < 4 or any(c.isspace() for c in text):
            self.error.setText(self.tr("Type the whole reference number (at least 4 characters, no spaces)."))
            self.error.show()
            self.ref.setFocus()
            return
        self.value = text
        super().accept()
