"""The counter panels: patient, settlement, payment. Display only — the window feeds them."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from client.domain.money import fmt_display, parse_typed_amount, q2
from client.ui import words
from client.ui.models import dec, money_text


def _value_label(name: str) -> QLabel:
    lab = QLabel("—")
    lab.setObjectName(name)
    lab.setProperty("role", "value")
    lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return lab


def _caption(text: str) -> QLabel:
    lab = QLabel(text)
    lab.setProperty("role", "caption")
    return lab


def _repolish(w: QWidget) -> None:
    w.style().unpolish(w)
    w.style().polish(w)


class PatientPanel(QFrame):
    """Name, masked ID, sex/age, insured place, insurance type, person type, balance,
    cross-region status in words and what it does to benefits; suspension and warnings in red."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("patientPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        top = QHBoxLayout()
        self.name = QLabel(self.tr("No patient — scan the e-voucher, read the card (F2) or enter the ID (F3)"))
        self.name.setObjectName("patientName")
        self.name.setWordWrap(True)
        top.addWidget(self.name, 1)
        self.status_badge = QLabel("")
        self.status_badge.setObjectName("statusBadge")
        self.status_badge.hide()
        top.addWidget(self.status_badge, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(top)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(3)
        self.certno = _value_label("patientCertno")
        self.sex_age = _value_label("patientSexAge")
        self.insured = _value_label("patientInsured")
        self.insutype = _value_label("patientInsutype")
        self.psn_type = _value_label("patientPsnType")
        self.balance = _value_label("patientBalance")
        self.method = _value_label("patientMethod")
        self.method_caption = _caption(self.tr("Identified by"))
        rows = [
            (self.tr("ID number"), self.certno, self.tr("Sex / age"), self.sex_age),
            (self.tr("Insured place"), self.insured, self.tr("Insurance"), self.insutype),
            (self.tr("Person type"), self.psn_type, self.tr("Account balance"), self.balance),
        ]
        for r, (c1, v1, c2, v2) in enumerate(rows):
            grid.addWidget(_caption(c1), r, 0)
            grid.addWidget(v1, r, 1)
            grid.addWidget(_caption(c2), r, 2)
            grid.addWidget(v2, r, 3)
        grid.addWidget(self.method_caption, len(rows), 0)
        grid.addWidget(self.method, len(rows), 1, 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        lay.addLayout(grid)
        self.meaning = QLabel("")
        self.meaning.setObjectName("statusMeaning")
        self.meaning.setWordWrap(True)
        lay.addWidget(self.meaning)
        self.warnings = QLabel("")
        self.warnings.setObjectName("patientWarnings")
        self.warnings.setWordWrap(True)
        self.warnings.hide()
        lay.addWidget(self.warnings)

    def clear(self) -> None:
        self.name.setText(self.tr("No patient — scan the e-voucher, read the card (F2) or enter the ID (F3)"))
        self.name.setProperty("empty", True)
        _repolish(self.name)
        for w in (self.certno, self.sex_age, self.insured, self.insutype, self.psn_type, self.balance, self.method):
            w.setText("—")
        self.status_badge.hide()
        self.meaning.setText("")
        self.warnings.hide()

    def method_words(self, method: str) -> str:
        """Which method identified the patient (client.devices.identify.METHODS), in the UI language."""
        return {"ecvoucher": self.tr("Medical insurance e-voucher"), "face": self.tr("Face check"),
                "card": self.tr("Social-security card"), "certno": self.tr("ID number"),
                "wedge": self.tr("Barcode scanner")}.get(method, "—")

    def show_person(self, v) -> None:
        """``v``: client.services.identify.PersonView."""
        self.name.setText(v.name)
        self.name.setProperty("empty", False)
        _repolish(self.name)
        self.certno.setText(v.masked_certno)
        age = "" if v.age is None else self.tr("%1 years").replace("%1", str(v.age))
        self.sex_age.setText(" / ".join(x for x in (words.sex(v.sex), age) if x))
        self.insured.setText(f"{v.insuplc_name}（{v.insuplc_admdvs}）")
        self.insutype.setText(words.insutype(v.insutype, v.insutype_label))
        self.psn_type.setText(words.psn_type(v.psn_type, v.psn_type_label))
        self.balance.setText(f"¥ {money_text(v.balance)}")
        self.method.setText(self.method_words(getattr(v, "id_method", "")))
        self.status_badge.setText(words.status(v.status_code, v.status))
        kind = "bad" if (v.suspended or v.status_code == "unfiled" or v.status_code is None) else \
            ("zone" if v.status_code == "zone_exempt" else "ok")
        self.status_badge.setProperty("kind", kind)
        _repolish(self.status_badge)
        self.status_badge.show()
        self.meaning.setText(words.status_meaning(v.status_code, v.status_meaning))
        warnings = list(v.warnings)
        if v.suspended:
            warnings.insert(0, self.tr("Insurance SUSPENDED: the insurance cannot pay. Settle as self-pay or "
                                       "ask the patient to contact the insurance office."))
        if warnings:
            self.warnings.setText("\n".join(f"⚠ {w}" for w in warnings))
            self.warnings.show()
        else:
            self.warnings.hide()


class SettlementPanel(QFrame):
    """Total, fund, personal account, cash; the window adds the details/trace buttons."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("settlementPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        self.title = QLabel(self.tr("Settlement"))
        self.title.setObjectName("panelTitle")
        lay.addWidget(self.title)
        grid = QGridLayout()
        grid.setVerticalSpacing(4)
        self.total = _value_label("setlTotal")
        self.fund = _value_label("setlFund")
        self.account = _value_label("setlAccount")
        self.cash = _value_label("setlCash")
        self.cash.setProperty("role", "due")
        for r, (cap, w) in enumerate(((self.tr("Total fee"), self.total), (self.tr("Fund pays"), self.fund),
                                      (self.tr("Personal account"), self.account),
                                      (self.tr("Patient pays (cash part)"), self.cash))):
            grid.addWidget(_caption(cap), r, 0)
            w.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(w, r, 1)
        lay.addLayout(grid)
        self.state = QLabel("")
        self.state.setObjectName("setlState")
        self.state.setWordWrap(True)
        lay.addWidget(self.state)
        self.buttons = QHBoxLayout()
        lay.addLayout(self.buttons)

    def clear(self) -> None:
        for w in (self.total, self.fund, self.account, self.cash):
            w.setText("—")
        self.state.setText("")

    def show_amounts(self, setlinfo: dict, state_text: str) -> None:
        self.total.setText(money_text(setlinfo.get("medfee_sumamt")))
        self.fund.setText(money_text(setlinfo.get("fund_pay_sumamt")))
        self.account.setText(money_text(setlinfo.get("acct_pay")))
        self.cash.setText(money_text(setlinfo.get("psn_cash_pay")))
        self.state.setText(state_text)

    def show_total_only(self, total: Decimal) -> None:
        self.clear()
        self.total.setText(fmt_display(q2(total)))
        self.state.setText(self.tr("Not pre-settled yet (F5)"))


METHOD_KEYS = ("cash", "bank_card", "wechat", "alipay", "ecny")


class PaymentPanel(QFrame):
    """Amount due, tendered, change; the payment method (Alt+1…5)."""

    tendered_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("paymentPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        t = QLabel(self.tr("Payment"))
        t.setObjectName("panelTitle")
        lay.addWidget(t)
        grid = QGridLayout()
        self.due = _value_label("payDue")
        self.due.setProperty("role", "due")
        self.due.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.tendered = QLineEdit()
        self.tendered.setObjectName("payTendered")
        self.tendered.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.tendered.setPlaceholderText("0.00")
        self.change = _value_label("payChange")
        self.change.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(_caption(self.tr("Amount due")), 0, 0)
        grid.addWidget(self.due, 0, 1)
        grid.addWidget(_caption(self.tr("Tendered")), 1, 0)
        grid.addWidget(self.tendered, 1, 1)
        grid.addWidget(_caption(self.tr("Change")), 2, 0)
        grid.addWidget(self.change, 2, 1)
        lay.addLayout(grid)
        self.account_label = QLabel("")
        self.account_label.setObjectName("accountChoice")
        self.account_label.setWordWrap(True)
        lay.addWidget(self.account_label)
        methods = QGridLayout()
        self.group = QButtonGroup(self)
        labels = {"cash": self.tr("Cash"), "bank_card": self.tr("Bank card"), "wechat": self.tr("WeChat Pay"),
                  "alipay": self.tr("Alipay"), "ecny": self.tr("e-CNY")}
        self.method_buttons: dict[str, QRadioButton] = {}
        for i, key in enumerate(METHOD_KEYS):
            b = QRadioButton(f"{labels[key]} ({i + 1})")
            b.setToolTip(f"Alt+{i + 1}")
            b.setObjectName(f"method_{key}")
            b.setShortcut(f"Alt+{i + 1}")
            self.group.addButton(b, i)
            self.method_buttons[key] = b
            methods.addWidget(b, i // 3, i % 3)
        self.method_buttons["cash"].setChecked(True)
        lay.addLayout(methods)
        self.tendered.textChanged.connect(self._update_change)
        self.group.idToggled.connect(lambda *_: self._update_change())
        # Alt+1…5 moves the focus to the radio button (Qt's shortcut click): give it back to 实收 so
        # the cashier types the amount next, as on the keyboard-only counter
        self.group.idClicked.connect(lambda *_: self.tendered.setFocus(Qt.FocusReason.ShortcutFocusReason))
        self._due: Decimal | None = None

    def method(self) -> str:
        return METHOD_KEYS[max(0, self.group.checkedId())]

    def set_due(self, due: Decimal | None) -> None:
        self._due = None if due is None else q2(due)
        self.due.setText("—" if due is None else f"¥ {fmt_display(q2(due))}")
        self.tendered.clear()
        self._update_change()

    def due_amount(self) -> Decimal | None:
        return self._due

    def tendered_amount(self) -> Decimal | None:
        """The amount typed in 实收 (full-width digits accepted); None when empty; ValueError (Chinese
        message quoting the text) when it is not an amount — "1OO" is never taken as "exact"."""
        return parse_typed_amount(self.tendered.text(), self.tr("Tendered"))

    def set_change_kind(self, kind: str) -> None:
        """"short" (还差, red), "change" (找零, green) or "" (nothing to say)."""
        self.change.setProperty("kind", kind)
        _repolish(self.change)

    def _update_change(self) -> None:
        try:
            t = self.tendered_amount()
        except ValueError:
            self.change.setText(self.tr("not an amount"))
            self.set_change_kind("short")
            self.tendered_changed.emit()
            return
        if self._due is None or t is None or self.method() != "cash":
            self.change.setText("—")
            self.set_change_kind("")
        elif t < self._due:
            self.change.setText(self.tr("short by ¥ %1").replace("%1", fmt_display(self._due - t)))
            self.set_change_kind("short")
        else:
            self.change.setText(f"¥ {fmt_display(t - self._due)}")
            self.set_change_kind("change")
        self.tendered_changed.emit()

    def show_account(self, used: bool | None, balance: Decimal | None) -> None:
        """The personal-account choice of this visit: used (True), not used (False), no account (None)."""
        if balance is None:
            self.account_label.setText("")
            self.account_label.setProperty("used", "")
        elif used is None:
            self.account_label.setText(self.tr("Personal account: none or empty"))
            self.account_label.setProperty("used", "")
        elif used:
            self.account_label.setText(self.tr("Personal account: USED (balance ¥ %1) — F6: do not use")
                                       .replace("%1", fmt_display(q2(balance))))
            self.account_label.setProperty("used", "yes")
        else:
            self.account_label.setText(self.tr("Personal account: not used (balance ¥ %1) — F6: use it")
                                       .replace("%1", fmt_display(q2(balance))))
            self.account_label.setProperty("used", "no")
        _repolish(self.account_label)

    def clear(self) -> None:
        self.set_due(None)
        self.method_buttons["cash"].setChecked(True)
        self.show_account(None, None)


def parse_amount_text(text: str) -> Decimal | None:
    d = dec(text.replace(",", "").strip() or None)
    return None if d is None or not d.is_finite() else q2(d)
