"""Dialogs of the cashier window: sign-in, lock, first run, settings, supervisor authorization,
manual ID entry, training card picker, settlement details, the "why this amount" trace, sync
progress, shift close, adjustments and the receipt.

Every dialog is keyboard-complete: Enter accepts (default button), Esc cancels, fields are in tab
order. Password fields opt out of scanner detection (``medsettle_no_scan``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from client.domain.identity import IdentityError, parse_resident_id
from client.domain.money import fmt_display, q2
from client.ui.scanner_filter import NO_SCAN_PROPERTY

# NHSA setlinfo field names with their Chinese labels (nhsa-interface.md, 2207 output).
SETLINFO_LABELS = [
    ("setl_id", "结算ID"), ("mdtrt_id", "就诊ID"), ("psn_no", "人员编号"), ("psn_name", "人员姓名"),
    ("insutype", "险种类型"), ("psn_type", "人员类别"), ("med_type", "医疗类别"), ("setl_time", "结算时间"),
    ("medfee_sumamt", "医疗费总额"), ("fulamt_ownpay_amt", "全自费金额"), ("overlmt_selfpay", "超限价自费费用"),
    ("preselfpay_amt", "先行自付金额"), ("inscp_scp_amt", "符合政策范围金额"), ("act_pay_dedc", "实际支付起付线"),
    ("hifp_pay", "基本医疗保险统筹基金支出"), ("pool_prop_selfpay", "基本医疗保险统筹基金支付比例"),
    ("cvlserv_pay", "公务员医疗补助资金支出"), ("hifes_pay", "企业补充医疗保险基金支出"),
    ("hifmi_pay", "居民大病保险资金支出"), ("hifob_pay", "职工大额医疗费用补助基金支出"),
    ("maf_pay", "医疗救助基金支出"), ("oth_pay", "其他支出"), ("fund_pay_sumamt", "基金支付总额"),
    ("psn_part_amt", "个人负担总金额"), ("acct_pay", "个人账户支出"), ("psn_cash_pay", "个人现金支出"),
    ("hosp_part_amt", "医院负担金额"), ("balc", "余额"), ("acct_mulaid_pay", "个人账户共济支付金额"),
    ("medins_setl_id", "医药机构结算ID"), ("clr_optins", "清算经办机构"), ("clr_way", "清算方式"),
    ("clr_type", "清算类别"),
]


def _password_field() -> QLineEdit:
    e = QLineEdit()
    e.setEchoMode(QLineEdit.EchoMode.Password)
    e.setProperty(NO_SCAN_PROPERTY, True)
    return e


def _buttons(dialog: QDialog, ok_text: str | None = None) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    if ok_text:
        box.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class ErrorLabel(QLabel):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dialogError")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_error(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))


# ---------------------------------------------------------------------------------------------
# sign-in and lock
# ---------------------------------------------------------------------------------------------

class SignInDialog(QDialog):
    """Operator code + password. ``check(code, password)`` is called on accept; it returns an error
    text (shown, dialog stays open) or "" (dialog closes)."""

    def __init__(self, check, *, institution: str, training_hint: str = "", locked_code: str = "",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._check = check
        self.setObjectName("signInDialog")
        self.setMinimumWidth(460)
        self.setWindowTitle(self.tr("Unlock") if locked_code else self.tr("Operator sign-in"))
        lay = QVBoxLayout(self)
        title = QLabel(institution)
        title.setObjectName("signInTitle")
        lay.addWidget(title)
        if locked_code:
            info = QLabel(self.tr("The window is locked. Operator %1 enters the password to continue.")
                          .replace("%1", locked_code))
            info.setWordWrap(True)
            lay.addWidget(info)
        form = QFormLayout()
        self.code = QLineEdit()
        self.code.setObjectName("signInCode")
        self.code.setProperty(NO_SCAN_PROPERTY, True)
        self.code.setMaxLength(30)
        self.password = _password_field()
        self.password.setObjectName("signInPassword")
        form.addRow(self.tr("Operator code"), self.code)
        form.addRow(self.tr("Password"), self.password)
        lay.addLayout(form)
        if locked_code:
            self.code.setText(locked_code)
            self.code.setReadOnly(True)
        if training_hint:
            hint = QLabel(training_hint)
            hint.setObjectName("trainingHint")
            hint.setWordWrap(True)
            lay.addWidget(hint)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        lay.addWidget(_buttons(self, self.tr("Sign in") if not locked_code else self.tr("Unlock")))
        (self.password if locked_code else self.code).setFocus()

    def accept(self) -> None:
        code, pw = self.code.text().strip(), self.password.text()
        if not code or not pw:
            self.error.show_error(self.tr("Enter the operator code and the password."))
            return
        err = self._check(code, pw)
        if err:
            self.password.clear()
            self.password.setFocus()
            self.error.show_error(err)
            return
        super().accept()

    def reject(self) -> None:
        super().reject()


class SupervisorDialog(QDialog):
    """A different supervisor authorizes an action (reversal, reprint…)."""

    def __init__(self, action_label: str, check, *, hint: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self._check = check
        self.setObjectName("supervisorDialog")
        self.setWindowTitle(self.tr("Supervisor authorization"))
        lay = QVBoxLayout(self)
        head = QLabel(self.tr("Action needing authorization: %1").replace("%1", action_label))
        head.setObjectName("dialogHeading")
        lay.addWidget(head)
        note = QLabel(self.tr("A supervisor other than the signed-in cashier enters their own code and password."))
        note.setWordWrap(True)
        lay.addWidget(note)
        form = QFormLayout()
        self.code = QLineEdit()
        self.code.setObjectName("supervisorCode")
        self.code.setProperty(NO_SCAN_PROPERTY, True)
        self.password = _password_field()
        self.password.setObjectName("supervisorPassword")
        self.reason = QLineEdit()
        self.reason.setObjectName("supervisorReason")
        form.addRow(self.tr("Supervisor code"), self.code)
        form.addRow(self.tr("Password"), self.password)
        form.addRow(self.tr("Reason"), self.reason)
        lay.addLayout(form)
        if hint:
            h = QLabel(hint)
            h.setObjectName("trainingHint")
            h.setWordWrap(True)
            lay.addWidget(h)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        lay.addWidget(_buttons(self, self.tr("Authorize")))
        self.authorization = None
        self.code.setFocus()

    def accept(self) -> None:
        if not self.code.text().strip() or not self.password.text():
            self.error.show_error(self.tr("Enter the supervisor code and password."))
            return
        result, err = self._check(self.code.text().strip(), self.password.text(), self.reason.text().strip())
        if err:
            self.password.clear()
            self.error.show_error(err)
            return
        self.authorization = result
        super().accept()


# ---------------------------------------------------------------------------------------------
# first run and settings
# ---------------------------------------------------------------------------------------------

class FirstRunDialog(QDialog):
    TRAINING = 1
    CONFIGURE = 2

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("MedSettle first start"))
        self.choice = 0
        lay = QVBoxLayout(self)
        text = QLabel(self.tr("This computer has no site configuration yet.\n\n"
                              "Start in training mode to practise with the built-in training platform "
                              "(上海市青浦区培训医院, nothing is sent to the real insurance centre), "
                              "or enter the site settings given by the IT department."))
        text.setWordWrap(True)
        lay.addWidget(text)
        row = QHBoxLayout()
        self.training = QPushButton(self.tr("Training mode (T)"))
        self.training.setShortcut("T")
        self.configure = QPushButton(self.tr("Enter site settings (S)"))
        self.configure.setShortcut("S")
        cancel = QPushButton(self.tr("Quit (Esc)"))
        row.addWidget(self.training)
        row.addWidget(self.configure)
        row.addWidget(cancel)
        lay.addLayout(row)
        self.training.clicked.connect(lambda: self._pick(self.TRAINING))
        self.configure.clicked.connect(lambda: self._pick(self.CONFIGURE))
        cancel.clicked.connect(self.reject)
        self.training.setDefault(True)

    def _pick(self, choice: int) -> None:
        self.choice = choice
        self.accept()


class SettingsDialog(QDialog):
    """Site settings written to the site TOML (validated by client.config before writing)."""

    def __init__(self, path, parent: QWidget | None = None):
        super().__init__(parent)
        self.path = path
        self.setWindowTitle(self.tr("Site settings"))
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.url = QLineEdit("https://")
        self.code = QLineEdit()
        self.code.setPlaceholderText("H31011800001")
        self.name = QLineEdit()
        self.admdvs = QLineEdit()
        self.admdvs.setPlaceholderText("310118")
        self.hosp_lv = QComboBox()
        self.hosp_lv.addItems(["1", "2", "3"])
        self.hosp_lv.setCurrentIndex(1)
        self.window_id = QLineEdit("01")
        self.printer = QLineEdit()
        self.printer.setPlaceholderText(self.tr("empty = system default printer"))
        self.inter_key = QSpinBox()
        self.inter_key.setRange(5, 500)
        self.inter_key.setValue(50)
        self.inter_key.setSuffix(" ms")
        self.suffix = QComboBox()
        for key, text in (("enter", self.tr("Enter")), ("tab", self.tr("Tab")), ("both", self.tr("Enter or Tab")),
                          ("none", self.tr("none (pause ends the scan)"))):
            self.suffix.addItem(text, key)
        self.min_len = QSpinBox()
        self.min_len.setRange(1, 64)
        self.min_len.setValue(6)
        self.large_font = QCheckBox(self.tr("Large font"))
        self.idle = QSpinBox()
        self.idle.setRange(0, 240)
        self.idle.setValue(10)
        self.idle.setSuffix(self.tr(" min"))
        form.addRow(self.tr("Platform URL"), self.url)
        form.addRow(self.tr("Institution code"), self.code)
        form.addRow(self.tr("Institution name"), self.name)
        form.addRow(self.tr("Region code (admdvs)"), self.admdvs)
        form.addRow(self.tr("Hospital level"), self.hosp_lv)
        form.addRow(self.tr("Window number"), self.window_id)
        form.addRow(self.tr("Receipt printer"), self.printer)
        form.addRow(self.tr("Scanner max gap"), self.inter_key)
        form.addRow(self.tr("Scanner suffix"), self.suffix)
        form.addRow(self.tr("Scanner min length"), self.min_len)
        form.addRow(self.tr("Idle lock"), self.idle)
        form.addRow("", self.large_font)
        lay.addLayout(form)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        lay.addWidget(_buttons(self, self.tr("Save")))

    def mapping(self) -> dict:
        return {
            "site": {"fixmedins_code": self.code.text().strip(), "fixmedins_name": self.name.text().strip(),
                     "admdvs": self.admdvs.text().strip(), "hosp_lv": int(self.hosp_lv.currentText())},
            "platform": {"url": self.url.text().strip()},
            "printers": {"receipt_printer": self.printer.text().strip()},
            "scanner": {"inter_key_ms": self.inter_key.value(), "suffix": self.suffix.currentData(),
                        "min_length": self.min_len.value()},
            "ui": {"large_font": self.large_font.isChecked(), "idle_lock_minutes": self.idle.value()},
        }

    def accept(self) -> None:
        from client.config import ConfigInvalid, settings_from_mapping

        data = self.mapping()
        try:
            settings_from_mapping(data)
        except ConfigInvalid as exc:
            self.error.show_error("\n".join(str(e) for e in exc.errors))
            return
        try:
            write_site_toml(self.path, data, self.window_id.text().strip())
        except OSError as exc:
            self.error.show_error(self.tr("Could not write %1: %2").replace("%1", str(self.path))
                                  .replace("%2", exc.strerror or str(exc)))
            return
        super().accept()


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


def write_site_toml(path, data: dict, window_id: str = "") -> None:
    """Write the site file (and the per-machine ``window-id`` file beside it)."""
    from pathlib import Path

    from client.fsutil import write_private_file

    p = Path(path)
    lines = ["# MedSettle site configuration (written by the window's settings dialog).",
             "# Check it with: medsettle config check", ""]
    for section, values in data.items():
        lines.append(f"[{section}]")
        for k, v in values.items():
            lines.append(f"{k} = {_toml_value(v)}")
        lines.append("")
    p.parent.mkdir(parents=True, exist_ok=True)
    write_private_file(p, "\n".join(lines))
    if window_id:
        write_private_file(p.parent / "window-id", window_id + "\n")


# ---------------------------------------------------------------------------------------------
# identification helpers
# ---------------------------------------------------------------------------------------------

class IdEntryDialog(QDialog):
    """Manual ID number entry with the GB 11643 check digit validated while typing."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("idEntryDialog")
        self.setWindowTitle(self.tr("Identify by ID number (F3)"))
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(self.tr("Type the 18-character resident ID number, or scan the e-voucher now.")))
        self.edit = QLineEdit()
        self.edit.setObjectName("idEntry")
        self.edit.setMaxLength(18)
        f = self.edit.font()
        f.setPointSizeF(f.pointSizeF() * 1.4)
        f.setFamily("monospace")
        self.edit.setFont(f)
        lay.addWidget(self.edit)
        self.feedback = QLabel(" ")
        self.feedback.setObjectName("idFeedback")
        lay.addWidget(self.feedback)
        self.box = _buttons(self, self.tr("Identify"))
        lay.addWidget(self.box)
        self.edit.textChanged.connect(self._validate)
        self.certno = ""
        self._validate("")

    def _validate(self, text: str) -> None:
        text = text.strip().upper()
        ok = False
        if len(text) < 18:
            self.feedback.setText(self.tr("%1 of 18 characters").replace("%1", str(len(text))))
            self.feedback.setProperty("state", "")
        else:
            try:
                rid = parse_resident_id(text, at=date.today())
                sex = self.tr("male") if rid.sex == "1" else self.tr("female")
                self.feedback.setText(self.tr("Valid: born %1, %2, age %3")
                                      .replace("%1", rid.birth_date.isoformat()).replace("%2", sex)
                                      .replace("%3", str(rid.age_at(date.today()))))
                self.feedback.setProperty("state", "ok")
                ok = True
            except IdentityError as exc:
                self.feedback.setText(exc.message)
                self.feedback.setProperty("state", "error")
        self.feedback.style().unpolish(self.feedback)
        self.feedback.style().polish(self.feedback)
        self.box.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def accept(self) -> None:
        text = self.edit.text().strip().upper()
        try:
            parse_resident_id(text, at=date.today())
        except IdentityError as exc:
            self.feedback.setText(exc.message)
            return
        self.certno = text
        super().accept()


class CardPickerDialog(QDialog):
    """Training card reader: choose which demo person's card is 'inserted'."""

    def __init__(self, people: list[dict], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("cardPicker")
        self.setWindowTitle(self.tr("Training card reader: insert a card"))
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(self.tr("Training mode has no physical reader. Pick the card to insert (↑/↓, Enter).")))
        self.list = QListWidget()
        for p in people:
            it = QListWidgetItem(f"{p['label']}")
            it.setData(Qt.ItemDataRole.UserRole, p["card_data"])
            self.list.addItem(it)
        if people:
            self.list.setCurrentRow(0)
        self.list.itemActivated.connect(lambda _it: self.accept())
        lay.addWidget(self.list)
        lay.addWidget(_buttons(self, self.tr("Insert card")))
        self.card_data = ""
        self.list.setFocus()

    def accept(self) -> None:
        it = self.list.currentItem()
        if it is None:
            return
        self.card_data = it.data(Qt.ItemDataRole.UserRole)
        super().accept()


# ---------------------------------------------------------------------------------------------
# settlement details, trace
# ---------------------------------------------------------------------------------------------

def _fmt(v) -> str:
    if v is None:
        return ""
    return str(v)


class SettlementDetailsDialog(QDialog):
    """Every setlinfo field (NHSA name, Chinese label, value) and the fund breakdown (setldetail)."""

    def __init__(self, setlinfo: dict, setldetail: list[dict] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("setlDetails")
        self.setWindowTitle(self.tr("Settlement details"))
        self.resize(720, 640)
        lay = QVBoxLayout(self)
        known = [k for k, _ in SETLINFO_LABELS]
        keys = [k for k in known if k in setlinfo] + sorted(k for k in setlinfo if k not in known)
        labels = dict(SETLINFO_LABELS)
        self.table = QTableWidget(len(keys), 3)
        self.table.setObjectName("setlinfoTable")
        self.table.setHorizontalHeaderLabels([self.tr("Field"), self.tr("Meaning"), self.tr("Value")])
        for r, k in enumerate(keys):
            for c, text in enumerate((k, labels.get(k, ""), _fmt(setlinfo.get(k)))):
                item = QTableWidgetItem(text)
                if c == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        lay.addWidget(self.table)
        if setldetail:
            lay.addWidget(QLabel(self.tr("Fund payments (setldetail)")))
            det = QTableWidget(len(setldetail), 3)
            det.setHorizontalHeaderLabels([self.tr("Fund type"), self.tr("Name"), self.tr("Amount")])
            for r, d in enumerate(setldetail):
                det.setItem(r, 0, QTableWidgetItem(_fmt(d.get("fund_pay_type"))))
                det.setItem(r, 1, QTableWidgetItem(_fmt(d.get("fund_payamt_name") or d.get("fund_pay_type_name"))))
                det.setItem(r, 2, QTableWidgetItem(_fmt(d.get("fund_payamt"))))
            det.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
            det.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            det.setMaximumHeight(160)
            lay.addWidget(det)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        lay.addWidget(box)


class TraceDialog(QDialog):
    """"Why this amount": the settlement engine's trace, one sentence per step."""

    def __init__(self, trace: list[str], summary: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("traceDialog")
        self.setWindowTitle(self.tr("Why this amount"))
        self.resize(760, 560)
        lay = QVBoxLayout(self)
        if summary:
            s = QLabel(summary)
            s.setObjectName("dialogHeading")
            s.setWordWrap(True)
            lay.addWidget(s)
        self.text = QPlainTextEdit()
        self.text.setObjectName("traceText")
        self.text.setReadOnly(True)
        self.text.setPlainText("\n".join(f"{i}. {line}" for i, line in enumerate(trace, 1)))
        lay.addWidget(self.text)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        lay.addWidget(box)


# ---------------------------------------------------------------------------------------------
# sync, shift close, adjustments, receipt
# ---------------------------------------------------------------------------------------------

class SyncDialog(QDialog):
    """Progress of a sync running in the worker; closes itself when done."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("syncDialog")
        self.setWindowTitle(self.tr("Synchronising with the insurance centre"))
        self.setMinimumWidth(520)
        lay = QVBoxLayout(self)
        self.stage = QLabel(self.tr("Starting…"))
        self.stage.setWordWrap(True)
        lay.addWidget(self.stage)
        self.bar = QProgressBar()
        self.bar.setObjectName("syncProgress")
        self.bar.setRange(0, 0)
        lay.addWidget(self.bar)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(500)
        lay.addWidget(self.log)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.setEnabled(False)
        self.close_button.clicked.connect(self.accept)
        lay.addWidget(self.close_button)

    def on_progress(self, stage: str, done: int, total: int) -> None:
        self.stage.setText(stage)
        if total and total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
        else:
            self.bar.setRange(0, 0)

    def finish(self, text: str, ok: bool = True) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(1 if ok else 0)
        self.stage.setText(text)
        self.log.appendPlainText(text)
        self.close_button.setEnabled(True)
        self.close_button.setFocus()


class ShiftCloseDialog(QDialog):
    """Count the cash in the drawer; compare with the expected cash of the shift."""

    def __init__(self, expected: dict[str, Decimal], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Close shift"))
        self.expected = expected
        lay = QVBoxLayout(self)
        form = QFormLayout()
        from client.services.payments import METHODS

        for method, amount in expected.items():
            form.addRow(METHODS.get(method, method), QLabel(fmt_display(q2(amount))))
        self.counted = QLineEdit()
        self.counted.setObjectName("countedCash")
        self.counted.setPlaceholderText("0.00")
        form.addRow(self.tr("Cash counted in the drawer"), self.counted)
        lay.addLayout(form)
        self.diff = QLabel("")
        lay.addWidget(self.diff)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        lay.addWidget(_buttons(self, self.tr("Close shift")))
        self.counted.textChanged.connect(self._update)
        self.counted_amount: Decimal | None = None

    def _update(self, text: str) -> None:
        try:
            counted = q2(Decimal(text.strip()))
        except (InvalidOperation, ValueError):
            self.diff.setText("")
            return
        diff = counted - q2(self.expected.get("cash", Decimal("0")))
        self.diff.setText(self.tr("Difference: %1").replace("%1", fmt_display(diff)))

    def accept(self) -> None:
        try:
            d = Decimal(self.counted.text().strip())
            if not d.is_finite() or d < 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            self.error.show_error(self.tr("Enter the counted cash as an amount, e.g. 1234.50."))
            return
        self.counted_amount = q2(d)
        super().accept()


class TableDialog(QDialog):
    """A read-only table (adjustment records, outbox …)."""

    def __init__(self, title: str, headers: list[str], rows: list[list[str]], empty_text: str = "",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(760, 420)
        lay = QVBoxLayout(self)
        if not rows and empty_text:
            lay.addWidget(QLabel(empty_text))
        t = QTableWidget(len(rows), len(headers))
        t.setHorizontalHeaderLabels(headers)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                t.setItem(r, c, QTableWidgetItem(text))
        t.horizontalHeader().setStretchLastSection(True)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        lay.addWidget(t)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        lay.addWidget(box)


def error_box(parent: QWidget | None, title: str, message: str, hint: str = "") -> None:
    """A platform/business error shown verbatim with a plain hint of what to do."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(message)
    if hint:
        box.setInformativeText(hint)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.exec()


def big_font(widget: QWidget, factor: float = 1.6, bold: bool = True) -> None:
    f = QFont(widget.font())
    f.setPointSizeF(max(f.pointSizeF(), 9.0) * factor)
    f.setBold(bold)
    widget.setFont(f)
