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
    QGridLayout,
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


class ChangePasswordDialog(QDialog):
    """The forced change of an initial password at first sign-in: the new password twice (the old
    one was just typed in the sign-in dialog). ``change(new_password)`` returns an error text (shown,
    dialog stays open) or "" (dialog closes). Cancelling means: not signed in."""

    def __init__(self, change, *, operator_label: str, min_length: int = 8, training: bool = False,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._change = change
        self.setObjectName("changePasswordDialog")
        self.setMinimumWidth(460)
        self.setWindowTitle(self.tr("Change your password"))
        lay = QVBoxLayout(self)
        head = QLabel(self.tr("%1: this is the first sign-in with an initial password. Set your own password "
                              "to continue.").replace("%1", operator_label))
        head.setObjectName("dialogHeading")
        head.setWordWrap(True)
        lay.addWidget(head)
        rules = QLabel(self.tr("At least %1 characters, not only digits, not your operator code, not the "
                               "initial password.").replace("%1", str(min_length)))
        rules.setWordWrap(True)
        lay.addWidget(rules)
        form = QFormLayout()
        self.new_password = _password_field()
        self.new_password.setObjectName("newPassword")
        self.repeat = _password_field()
        self.repeat.setObjectName("repeatPassword")
        form.addRow(self.tr("New password"), self.new_password)
        form.addRow(self.tr("Repeat"), self.repeat)
        lay.addLayout(form)
        if training:
            hint = QLabel(self.tr("Training mode: any password that follows the rules, e.g. your own practice "
                                  "password; remember it for the next sign-in."))
            hint.setObjectName("trainingHint")
            hint.setWordWrap(True)
            lay.addWidget(hint)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        lay.addWidget(_buttons(self, self.tr("Change password")))
        self.new_password.setFocus()

    def accept(self) -> None:
        new, again = self.new_password.text(), self.repeat.text()
        if not new:
            self.error.show_error(self.tr("Enter the new password twice."))
            return
        if new != again:
            self.repeat.clear()
            self.repeat.setFocus()
            self.error.show_error(self.tr("The two passwords differ; type the new password again."))
            return
        err = self._change(new)
        if err:
            self.new_password.clear()
            self.repeat.clear()
            self.new_password.setFocus()
            self.error.show_error(err)
            return
        super().accept()


class SupervisorDialog(QDialog):
    """A different supervisor authorizes an action (reversal, reprint…)."""

    def __init__(self, action_label: str, check, *, hint: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self._check = check
        self.action_label = action_label
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


class DiseasePickerDialog(QDialog):
    """门诊慢特病: choose the filed disease (5301, valid on the visit date) the visit is settled under."""

    def __init__(self, filings: list[dict], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("diseasePicker")
        self.setWindowTitle(self.tr("Chronic/special disease: choose the disease"))
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(self.tr("The patient has several chronic-disease filings valid today. "
                                     "Choose the disease of this visit (↑/↓, Enter).")))
        self.list = QListWidget()
        self.list.setObjectName("diseaseList")
        for f in filings:
            it = QListWidgetItem(f"{f['opsp_dise_code']}  {f['opsp_dise_name']}  "
                                 f"({f.get('begndate') or '…'} – {f.get('enddate') or '…'})")
            it.setData(Qt.ItemDataRole.UserRole, f["opsp_dise_code"])
            self.list.addItem(it)
        if filings:
            self.list.setCurrentRow(0)
        self.list.itemActivated.connect(lambda _it: self.accept())
        lay.addWidget(self.list)
        lay.addWidget(_buttons(self, self.tr("Choose")))
        self.code = ""
        self.list.setFocus()

    def accept(self) -> None:
        it = self.list.currentItem()
        if it is None:
            return
        self.code = it.data(Qt.ItemDataRole.UserRole)
        super().accept()


class ScanBoxPickerDialog(CardPickerDialog):
    """Training scan box: choose which demo person steps up to the box (e-voucher or face)."""

    def __init__(self, people: list[dict], parent: QWidget | None = None):
        super().__init__(people, parent)
        self.setObjectName("scanBoxPicker")
        self.setWindowTitle(self.tr("Training scan box: who shows the e-voucher / faces the camera"))

    @property
    def certno(self) -> str:
        parts = (self.card_data or "").split("|")
        return parts[1] if len(parts) > 1 else ""


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


class OpenShiftDialog(QDialog):
    """At sign-in, when no shift is open: the opening cash float (备用金), editable."""

    def __init__(self, operator_label: str, default: Decimal = Decimal("0.00"), parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("openShiftDialog")
        self.setWindowTitle(self.tr("Open shift"))
        lay = QVBoxLayout(self)
        head = QLabel(self.tr("Open a shift for %1").replace("%1", operator_label))
        head.setObjectName("dialogHeading")
        lay.addWidget(head)
        form = QFormLayout()
        self.float_edit = QLineEdit(f"{q2(default):.2f}")
        self.float_edit.setObjectName("openingFloat")
        self.float_edit.setProperty(NO_SCAN_PROPERTY, True)
        self.float_edit.selectAll()
        form.addRow(self.tr("Opening cash float (¥)"), self.float_edit)
        lay.addLayout(form)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        lay.addWidget(_buttons(self, self.tr("Open shift")))
        self.amount: Decimal | None = None
        self.float_edit.setFocus()

    def accept(self) -> None:
        amt = _amount(self.float_edit.text())
        if amt is None:
            self.error.show_error(self.tr("Enter the opening float as an amount, e.g. 200.00."))
            return
        self.amount = amt
        super().accept()


def _amount(text: str) -> Decimal | None:
    """A non-negative amount typed by the cashier (None when it is not one)."""
    t = (text or "").strip().replace(",", "").replace("¥", "")
    if not t:
        return None
    try:
        d = Decimal(t)
    except (InvalidOperation, ValueError):
        return None
    if not d.is_finite() or d < 0 or d.as_tuple().exponent < -2:
        return None
    return q2(d)


class ShiftCloseDialog(QDialog):
    """交班: the blockers (offline items not sent, unknown outcomes), the counted amount per payment
    method against the expected one, and the supervisor's force when something is still open."""

    def __init__(self, summary: dict, blockers: dict, authorize, *, online: bool = True,
                 parent: QWidget | None = None):
        from client.services.payments import METHODS

        super().__init__(parent)
        self.setObjectName("shiftCloseDialog")
        self.setWindowTitle(self.tr("Close shift"))
        self.setMinimumWidth(640)
        self._authorize = authorize
        self.summary = summary
        self.authorization = None
        self.reason = ""
        self.counted: dict[str, Decimal] = {}
        lay = QVBoxLayout(self)
        head = QLabel(self.tr("Shift %1 — opened %2, opening float ¥ %3").replace("%1", str(summary["shift_id"]))
                      .replace("%2", str(summary["opened_at"])[:16]).replace("%3", fmt_display(Decimal(summary["float"]))))
        head.setObjectName("dialogHeading")
        lay.addWidget(head)
        n_open = len(blockers.get("outbox") or []) + len(blockers.get("unknown_settlements") or [])
        self.blocked = n_open > 0
        self.blockers_label = QLabel("")
        self.blockers_label.setObjectName("shiftBlockers")
        self.blockers_label.setWordWrap(True)
        if self.blocked:
            items = []
            for o in blockers.get("outbox") or []:
                state = {"pending": self.tr("not sent yet"), "sending": self.tr("being sent"),
                         "failed": self.tr("send failed, retrying"),
                         "needs_review": self.tr("refused, needs the insurance office")}.get(o["state"], o["state"])
                items.append(f"• {o['msgid']}  {state}" + (f"  {o['last_error']}" if o.get("last_error") else ""))
            for u in blockers.get("unknown_settlements") or []:
                items.append(f"• {u['msgid']}  " + self.tr("result unknown"))
            shown = items[:8] + ([self.tr("… and %1 more").replace("%1", str(len(items) - 8))] if len(items) > 8 else [])
            self.blockers_label.setText(
                self.tr("The shift cannot be closed: %1 item(s) are still open. Restore the connection and let the "
                        "window send them (or run recovery). A supervisor may force the close.")
                .replace("%1", str(n_open)) + "\n" + "\n".join(shown))
        self.blockers_label.setVisible(self.blocked)
        lay.addWidget(self.blockers_label)

        grid = QGridLayout()
        grid.addWidget(QLabel(self.tr("Payment method")), 0, 0)
        grid.addWidget(QLabel(self.tr("Expected")), 0, 1)
        grid.addWidget(QLabel(self.tr("Counted")), 0, 2)
        grid.addWidget(QLabel(self.tr("Difference")), 0, 3)
        self.expected = {k: Decimal(v) for k, v in summary["expected"].items() if k != "account"}
        self.expected.setdefault("cash", Decimal("0.00"))
        self.edits: dict[str, QLineEdit] = {}
        self.diffs: dict[str, QLabel] = {}
        order = ["cash", "bank_card", "wechat", "alipay", "ecny"]
        methods = sorted(self.expected, key=lambda m: order.index(m) if m in order else 99)
        for r, m in enumerate(methods, 1):
            grid.addWidget(QLabel(METHODS.get(m, m)), r, 0)
            exp = QLabel(fmt_display(self.expected[m]))
            exp.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(exp, r, 1)
            e = QLineEdit()
            e.setObjectName(f"counted_{m}")
            e.setProperty(NO_SCAN_PROPERTY, True)     # amounts are typed, never scanned
            e.setPlaceholderText(f"{self.expected[m]:.2f}" if m != "cash" else "0.00")
            if m != "cash":
                e.setText(f"{self.expected[m]:.2f}")      # non-cash: the terminal's total, editable
            e.textChanged.connect(lambda _t, m=m: self._update(m))
            grid.addWidget(e, r, 2)
            d = QLabel("")
            d.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(d, r, 3)
            self.edits[m], self.diffs[m] = e, d
        lay.addLayout(grid)
        prefund = summary.get("partial_refunds") or {}
        if prefund:          # 部分退费 handed back in this shift: its own line (included in "Expected")
            self.partial_refunds = QLabel(self.tr("Partial refunds in this shift (included above): %1").replace(
                "%1", self.tr(", ").join(f"{METHODS.get(m, m)} ¥ {fmt_display(Decimal(v))}" for m, v in prefund.items())))
            self.partial_refunds.setObjectName("shiftPartialRefunds")
            self.partial_refunds.setWordWrap(True)
            lay.addWidget(self.partial_refunds)
        self.counted_cash = self.edits["cash"]
        self.counted_cash.setObjectName("countedCash")
        self.confirm_difference = QCheckBox(self.tr("Confirm the over/short (长短款): counted twice, the difference "
                                                    "is real"))
        self.confirm_difference.setObjectName("confirmDifference")
        lay.addWidget(self.confirm_difference)
        self.difference_reason = QLineEdit()
        self.difference_reason.setObjectName("differenceReason")
        self.difference_reason.setPlaceholderText(self.tr("Reason of the over/short, e.g. wrong change given"))
        lay.addWidget(self.difference_reason)
        if not online:
            note = QLabel(self.tr("Offline: the reconciliation with the insurance centre (3201/3202) is done later."))
            note.setWordWrap(True)
            lay.addWidget(note)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        box = QDialogButtonBox()
        self.ok = box.addButton(self.tr("Close shift"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("shiftCloseOk")
        self.force = box.addButton(self.tr("Supervisor: force close…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.force.setObjectName("shiftForce")
        cancel = box.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.ok.clicked.connect(self.accept)
        self.force.clicked.connect(self.force_close)
        cancel.clicked.connect(self.reject)
        self.ok.setEnabled(not self.blocked)
        self.ok.setDefault(not self.blocked)
        self.force.setVisible(self.blocked)
        lay.addWidget(box)
        self.counted_cash.setFocus()

    def _update(self, m: str) -> None:
        amt = _amount(self.edits[m].text())
        self.diffs[m].setText("" if amt is None else fmt_display(amt - self.expected[m]))

    def _read(self) -> bool:
        counted = {}
        for m, e in self.edits.items():
            amt = _amount(e.text())
            if amt is None:
                self.error.show_error(self.tr("Enter the counted amount for every payment method, e.g. 1234.50."))
                e.setFocus()
                return False
            counted[m] = amt
        self.counted = counted
        return True

    def differences(self) -> dict[str, Decimal]:
        """method → counted − expected, for the methods whose counted amount differs."""
        return {m: self.counted[m] - self.expected.get(m, Decimal("0.00")) for m in self.counted
                if self.counted[m] != self.expected.get(m, Decimal("0.00"))}

    def _difference_ok(self) -> bool:
        from client.services.payments import METHODS

        diffs = self.differences()
        if not diffs:
            return True
        listed = "; ".join(f"{METHODS.get(m, m)} {d:+.2f}".replace("+", "+") for m, d in diffs.items())
        if not self.confirm_difference.isChecked():
            self.error.show_error(self.tr("Over/short: %1. Count again; if it is right, tick “confirm the "
                                          "over/short” and give the reason.").replace("%1", listed))
            self.confirm_difference.setFocus()
            return False
        if not self.difference_reason.text().strip():
            self.error.show_error(self.tr("Give the reason of the over/short (it is printed on the Z report)."))
            self.difference_reason.setFocus()
            return False
        return True

    def accept(self) -> None:
        if self.blocked and self.authorization is None:
            self.error.show_error(self.tr("Open items remain: only a supervisor may force the close."))
            return
        if self._read() and self._difference_ok():
            super().accept()

    def force_close(self) -> None:
        if not self._read() or not self._difference_ok():
            return
        auth = self._authorize(self.reason)
        if auth is None:
            self.error.show_error(self.tr("Not authorized: the shift stays open."))
            return
        if not (auth.reason or "").strip():
            self.error.show_error(self.tr("A forced close needs a reason: authorize again and type the reason."))
            return
        self.authorization = auth
        self.reason = auth.reason
        super().accept()


class AdjustmentsDialog(QDialog):
    """退补差额: the adjustment records (pending first). Select one, choose how the money moved,
    and mark it done (refunded to / collected from the patient) — recorded in the audit trail."""

    def __init__(self, load, settle, parent: QWidget | None = None):
        from client.services.payments import METHODS

        super().__init__(parent)
        self.setObjectName("adjustmentsDialog")
        self.setWindowTitle(self.tr("Adjustment records (refunds / supplements)"))
        self.resize(900, 440)
        self._load = load
        self._settle = settle
        lay = QVBoxLayout(self)
        self.empty = QLabel(self.tr("No adjustment records."))
        lay.addWidget(self.empty)
        self.table = QTableWidget(0, 6)
        self.table.setObjectName("adjustmentsTable")
        self.table.setHorizontalHeaderLabels([self.tr("Settlement"), self.tr("Direction"), self.tr("Amount"),
                                              self.tr("State"), self.tr("Time"), self.tr("Reason")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        lay.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Paid out / taken by")))
        self.method = QComboBox()
        self.method.setObjectName("adjustmentMethod")
        for k in ("cash", "bank_card", "wechat", "alipay", "ecny"):
            self.method.addItem(METHODS.get(k, k), k)
        row.addWidget(self.method)
        self.done_button = QPushButton(self.tr("Mark done (money refunded / collected)"))
        self.done_button.setObjectName("adjustmentDone")
        self.done_button.clicked.connect(self.mark_done)
        row.addWidget(self.done_button)
        row.addStretch(1)
        lay.addLayout(row)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        lay.addWidget(box)
        self.rows: list[dict] = []
        self.reload()

    def reload(self) -> None:
        self.rows = self._load()
        self.table.setRowCount(len(self.rows))
        first_pending = -1
        for r, a in enumerate(self.rows):
            direction = self.tr("Refund to patient") if a["direction"] == "refund" else self.tr("Collect from patient")
            state = self.tr("pending") if a["state"] == "pending" else self.tr("done")
            for c, text in enumerate([a["setl_id"] or a["msgid"], direction, fmt_display(a["amount"]), state,
                                      a["created_at"], a["reason"]]):
                it = QTableWidgetItem(text)
                if c == 5:
                    it.setToolTip(text)
                self.table.setItem(r, c, it)
            if a["state"] == "pending" and first_pending < 0:
                first_pending = r
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(5, 360)
        self.empty.setVisible(not self.rows)
        if first_pending >= 0:
            self.table.selectRow(first_pending)
        self.done_button.setEnabled(first_pending >= 0)
        self.table.setFocus()

    def selected(self) -> dict | None:
        r = self.table.currentRow()
        return self.rows[r] if 0 <= r < len(self.rows) else None

    def mark_done(self) -> None:
        a = self.selected()
        if a is None or a["state"] != "pending":
            self.error.show_error(self.tr("Select a pending record first."))
            return
        self.done_button.setEnabled(False)

        def reply(err: str) -> None:
            if err:
                self.error.show_error(err)
            else:
                self.error.hide()
            self.reload()

        self._settle(a["adjustment_id"], self.method.currentData(), reply)


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


# ---------------------------------------------------------------------------------------------
# the counter's lists: 事前提醒, HIS bills, 今日结算, 转自费
# ---------------------------------------------------------------------------------------------

def _fit_to_screen(dialog: QDialog, share: float = 0.85) -> None:
    """No dialog taller (or wider) than the screen it opens on: at most ``share`` of the available area."""
    screen = dialog.screen() or (dialog.parentWidget().screen() if dialog.parentWidget() else None)
    if screen is None:
        return
    g = screen.availableGeometry()
    dialog.setMaximumSize(int(g.width() * share), int(g.height() * share))


class PrecheckDialog(QDialog):
    """事前提醒 before F9: the warnings grouped (same rule and item folded with a count) in a scrolling
    list; Enter confirms (recorded), Esc goes back to the case. Never taller than the screen."""

    def __init__(self, warnings, parent: QWidget | None = None):
        from client.domain.prechecks import group_warnings

        super().__init__(parent)
        self.setObjectName("precheckDialog")
        self.setWindowTitle(self.tr("Pre-settlement warnings (事前提醒)"))
        self.groups = group_warnings(warnings)
        lay = QVBoxLayout(self)
        head = QLabel(self.tr("Check these %1 warning(s) before settling; ask the patient or the doctor where "
                              "needed:").replace("%1", str(len(list(warnings)))))
        head.setObjectName("dialogHeading")
        head.setWordWrap(True)
        lay.addWidget(head)
        self.list = QListWidget()
        self.list.setObjectName("precheckList")
        self.list.setWordWrap(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for i, g in enumerate(self.groups, 1):
            it = QListWidgetItem(f"{i}. {g.text()}")
            self.list.addItem(it)
        lay.addWidget(self.list, 1)
        lay.addWidget(QLabel(self.tr("Enter: confirmed, settle. Esc: back to the case.")))
        box = QDialogButtonBox()
        self.ok = box.addButton(self.tr("Confirm and settle"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("precheckConfirm")
        back = box.addButton(self.tr("Back"), QDialogButtonBox.ButtonRole.RejectRole)
        self.ok.clicked.connect(self.accept)
        back.clicked.connect(self.reject)
        self.ok.setDefault(True)
        lay.addWidget(box)
        self.resize(760, min(560, 120 + 34 * len(self.groups)))
        _fit_to_screen(self)
        self.ok.setFocus()

    def grouped_text(self) -> str:
        return "\n".join(self.list.item(i).text() for i in range(self.list.count()))


class HisBillsDialog(QDialog):
    """F4 with several unpaid HIS bills: date, department, doctor, amount; Space ticks a bill, Enter
    takes the ticked ones (one settlement)."""

    def __init__(self, bills, checked: set[int] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("hisBillsDialog")
        self.setWindowTitle(self.tr("Unpaid HIS bills"))
        self.bills = list(bills)
        lay = QVBoxLayout(self)
        head = QLabel(self.tr("The patient has %1 unpaid bills. Tick the ones to pay now (Space), then Enter.")
                      .replace("%1", str(len(self.bills))))
        head.setWordWrap(True)
        lay.addWidget(head)
        self.table = QTableWidget(len(self.bills), 6)
        self.table.setObjectName("hisBillsTable")
        self.table.setHorizontalHeaderLabels([self.tr("Date"), self.tr("Department"), self.tr("Doctor"),
                                              self.tr("Amount"), self.tr("Bill no."), self.tr("Visit type")])
        from client.domain.codes import label as code_label

        for r, b in enumerate(self.bills):
            cells = [str(b.begntime)[:16], b.dept_name, b.doctor_name, f"{b.amount:.2f}", b.ipt_otp_no,
                     f"{b.med_type} {code_label('med_type', b.med_type, '') or ''}".strip()]
            for c, text in enumerate(cells):
                it = QTableWidgetItem(text)
                if c == 0:
                    it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    on = r in checked if checked is not None else r == 0
                    it.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                if c == 3:
                    it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, it)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.resizeColumnsToContents()
        if self.bills:
            self.table.setCurrentCell(0, 0)
        lay.addWidget(self.table, 1)
        self.total = QLabel("")
        self.total.setObjectName("hisBillsTotal")
        lay.addWidget(self.total)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        lay.addWidget(_buttons(self, self.tr("Take the ticked bills")))
        self.table.itemChanged.connect(lambda _it: self._update_total())
        self.chosen: list[str] = []
        self._update_total()
        self.resize(820, min(520, 200 + 32 * len(self.bills)))
        _fit_to_screen(self)
        self.table.setFocus()

    def rows_text(self) -> list[list[str]]:
        return [[self.table.item(r, c).text() for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]

    def checked_rows(self) -> list[int]:
        return [r for r in range(self.table.rowCount())
                if self.table.item(r, 0).checkState() == Qt.CheckState.Checked]

    def set_checked(self, rows) -> None:
        rows = set(rows)
        for r in range(self.table.rowCount()):
            self.table.item(r, 0).setCheckState(Qt.CheckState.Checked if r in rows else Qt.CheckState.Unchecked)

    def _update_total(self) -> None:
        rows = self.checked_rows()
        amount = sum((self.bills[r].amount for r in rows), Decimal("0.00"))
        self.total.setText(self.tr("%1 bill(s) ticked, total ¥ %2").replace("%1", str(len(rows)))
                           .replace("%2", fmt_display(amount)))

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Space and self.table.currentRow() >= 0:
            it = self.table.item(self.table.currentRow(), 0)
            it.setCheckState(Qt.CheckState.Unchecked if it.checkState() == Qt.CheckState.Checked
                             else Qt.CheckState.Checked)
            return
        super().keyPressEvent(event)

    def accept(self) -> None:
        rows = self.checked_rows()
        if not rows:
            self.error.show_error(self.tr("Tick at least one bill (Space)."))
            return
        self.chosen = [self.bills[r].ipt_otp_no for r in rows]
        super().accept()


class TodaySettlementsDialog(QDialog):
    """今日结算: today's settlements at this window, newest first, searchable by name, ID-number tail,
    settlement number; Enter chooses the selected one (for a reprint, a reversal, the details)."""

    def __init__(self, rows, *, purpose: str = "", preselect: int | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("todaySettlementsDialog")
        self.setWindowTitle(self.tr("Today's settlements (今日结算)"))
        self.rows = list(rows)
        self.visible: list = []
        lay = QVBoxLayout(self)
        if purpose:
            p = QLabel(purpose)
            p.setObjectName("dialogHeading")
            p.setWordWrap(True)
            lay.addWidget(p)
        self.search = QLineEdit()
        self.search.setObjectName("todaySearch")
        self.search.setProperty(NO_SCAN_PROPERTY, True)
        self.search.setPlaceholderText(self.tr("Search: name, last digits of the ID number, settlement number"))
        lay.addWidget(self.search)
        self.table = QTableWidget(0, 9)
        self.table.setObjectName("todayTable")
        self.table.setHorizontalHeaderLabels([self.tr("Time"), self.tr("Name"), self.tr("ID number"),
                                              self.tr("Settlement no."), self.tr("Kind"), self.tr("State"),
                                              self.tr("Total"), self.tr("Cash"), self.tr("Cashier")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.accept())
        lay.addWidget(self.table, 1)
        self.count = QLabel("")
        lay.addWidget(self.count)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        lay.addWidget(_buttons(self, self.tr("Choose")))
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.table.installEventFilter(self)
        self.chosen = None
        self.partial_refund = False       # Ctrl+T chose the settlement for a 部分退费
        self._filter("")
        if preselect is not None:
            for r, row in enumerate(self.visible):
                if row.settlement_id == preselect:
                    self.table.selectRow(r)
        self.resize(1000, 520)
        _fit_to_screen(self)
        self.search.setFocus()

    def _filter(self, text: str) -> None:
        self.visible = [r for r in self.rows if r.matches(text)]
        self.table.setRowCount(len(self.visible))
        for i, r in enumerate(self.visible):
            cells = [r.time, r.psn_name, r.masked_certno, r.setl_id or r.msgid, self._kind(r.kind),
                     self._state(r.state_words), r.medfee_sumamt, r.psn_cash_pay, r.opter]
            for c, text_ in enumerate(cells):
                it = QTableWidgetItem(text_)
                if c in (6, 7):
                    it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, c, it)
        if self.visible:
            self.table.selectRow(0)
        self.table.resizeColumnsToContents()
        self.count.setText(self.tr("%1 of %2 settlements today").replace("%1", str(len(self.visible)))
                           .replace("%2", str(len(self.rows))))

    def _kind(self, kind: str) -> str:
        return {"医保": self.tr("insurance"), "全自费": self.tr("full self-pay"), "离线": self.tr("offline")}.get(kind, kind)

    def _state(self, words: str) -> str:
        return {"已结算": self.tr("settled"), "已撤销": self.tr("reversed"), "离线待上传": self.tr("offline, to send"),
                "结果待确认": self.tr("result unknown")}.get(words, words)

    def row_count(self) -> int:
        return len(self.visible)

    def visible_states(self) -> list[str]:
        return [self._state(r.state_words) for r in self.visible]

    def selected(self):
        r = self.table.currentRow()
        return self.visible[r] if 0 <= r < len(self.visible) else None

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - ↑/↓ from the search box move the selection
        from PySide6.QtCore import QEvent

        if obj in (self.search, self.table) and event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_T and \
                event.modifiers() & Qt.KeyboardModifier.ControlModifier:       # Ctrl+T: 部分退费 of the selected
            self.partial_refund = True
            self.accept()
            return True
        if obj is self.search and event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Up,
                                                                                          Qt.Key.Key_Down):
            r = self.table.currentRow() + (1 if event.key() == Qt.Key.Key_Down else -1)
            if 0 <= r < self.table.rowCount():
                self.table.selectRow(r)
            return True
        return super().eventFilter(obj, event)

    def accept(self) -> None:
        row = self.selected()
        if row is None:
            self.error.show_error(self.tr("No settlement matches: change the search."))
            return
        self.chosen = row
        super().accept()


class SelfPayDialog(QDialog):
    """转自费 (F8): settle the whole amount as full self-pay at an online window — no insurance
    transaction. The reason is recorded with the settlement and printed on the receipt; a patient who
    could not be identified by the insurance gives name and ID number for the receipt and e-invoice."""

    def __init__(self, reasons: dict[str, str], *, name: str = "", masked_certno: str = "", known: bool = True,
                 default: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("selfPayDialog")
        self.setWindowTitle(self.tr("Full self-pay (转自费)"))
        lay = QVBoxLayout(self)
        note = QLabel(self.tr("The patient pays the whole amount; nothing is sent to the insurance centre. The "
                              "receipt is marked 全自费 and can be claimed at the insured place."))
        note.setWordWrap(True)
        lay.addWidget(note)
        form = QFormLayout()
        self.reason = QComboBox()
        self.reason.setObjectName("selfPayReason")
        for code, text in reasons.items():
            self.reason.addItem(text, code)
        if default and self.reason.findData(default) >= 0:
            self.reason.setCurrentIndex(self.reason.findData(default))
        form.addRow(self.tr("Reason"), self.reason)
        self.note = QLineEdit()
        self.note.setObjectName("selfPayNote")
        form.addRow(self.tr("Note"), self.note)
        self.known = known
        self.name = QLineEdit(name)
        self.name.setObjectName("selfPayName")
        self.certno = QLineEdit()
        self.certno.setObjectName("selfPayCertno")
        self.certno.setMaxLength(18)
        if known:
            form.addRow(self.tr("Patient"), QLabel(f"{name}  {masked_certno}"))
        else:
            form.addRow(self.tr("Name"), self.name)
            form.addRow(self.tr("ID number"), self.certno)
        lay.addLayout(form)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        lay.addWidget(_buttons(self, self.tr("Settle as self-pay")))
        self.reason_code = ""
        self.patient_name = name
        self.patient_certno = ""
        (self.reason if known else self.name).setFocus()

    def accept(self) -> None:
        if not self.known:
            name = self.name.text().strip()
            if not name:
                self.error.show_error(self.tr("Type the patient's name (for the receipt and the e-invoice)."))
                self.name.setFocus()
                return
            try:
                rid = parse_resident_id(self.certno.text().strip().upper(), at=date.today())
            except IdentityError as exc:
                self.error.show_error(exc.message)
                self.certno.setFocus()
                return
            self.patient_name, self.patient_certno = name, rid.certno
        self.reason_code = self.reason.currentData()
        super().accept()


# ---------------------------------------------------------------------------------------------
# 验密: the patient's password
# ---------------------------------------------------------------------------------------------

class PatientPasswordDialog(QDialog):
    """The patient types their 6-digit insurance password (PIN pad in keyboard mode, or the keyboard
    turned towards them). Never shown (password echo), never kept: :meth:`take` hands it over once
    and clears the field."""

    def __init__(self, masked_name: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("patientPasswordDialog")
        self.setWindowTitle(self.tr("Patient password"))
        lay = QVBoxLayout(self)
        who = f"{masked_name}: " if masked_name else ""
        lay.addWidget(QLabel(who + self.tr("Please ask the patient to type their 6-digit insurance password "
                                           "on the PIN pad, then Enter.")))
        self.edit = _password_field()
        self.edit.setObjectName("patientPassword")
        self.edit.setMaxLength(6)
        self.edit.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly | Qt.InputMethodHint.ImhSensitiveData
                                      | Qt.InputMethodHint.ImhNoPredictiveText)
        lay.addWidget(self.edit)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        self.box = _buttons(self, self.tr("Confirm"))
        lay.addWidget(self.box)
        self._value = ""

    def accept(self) -> None:
        text = self.edit.text()
        if len(text) != 6 or not text.isdigit():
            self.error.show_error(self.tr("The password is 6 digits. Please type it again."))
            self.edit.clear()
            return
        self._value = text
        self.edit.clear()
        super().accept()

    def reject(self) -> None:
        self.edit.clear()
        super().reject()

    def take(self) -> str:
        """The password, once."""
        value, self._value = self._value, ""
        return value


# ---------------------------------------------------------------------------------------------
# operator administration (系统 → 操作员管理)
# ---------------------------------------------------------------------------------------------

class OperatorsDialog(QDialog):
    """Operator administration for supervisors and admins (``OperatorAdmin``; the same rules and audit
    events as ``medsettle operator``). The person making changes first proves who they are with their
    own code and password; then the table lists the operators and the form below adds one or changes
    the selected one. Every refusal is shown in words and leaves everything as it was."""

    ROLES = ("cashier", "supervisor", "admin", "finance")

    def __init__(self, admin, *, actor_code: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.admin = admin
        self.actor = None
        self.setObjectName("operatorsDialog")
        self.setWindowTitle(self.tr("Operator administration"))
        self.resize(720, 520)
        lay = QVBoxLayout(self)
        who = QFormLayout()
        self.actor_code = QLineEdit(actor_code)
        self.actor_code.setObjectName("adminCode")
        self.actor_code.setProperty(NO_SCAN_PROPERTY, True)
        self.actor_password = _password_field()
        self.actor_password.setObjectName("adminPassword")
        self.actor_password.returnPressed.connect(self.authenticate)
        who.addRow(self.tr("Your code (supervisor or admin)"), self.actor_code)
        who.addRow(self.tr("Your password"), self.actor_password)
        lay.addLayout(who)
        self.btn_auth = QPushButton(self.tr("Confirm identity"))
        self.btn_auth.setObjectName("btnAdminAuth")
        self.btn_auth.clicked.connect(self.authenticate)
        lay.addWidget(self.btn_auth)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("operatorsTable")
        self.table.setHorizontalHeaderLabels([self.tr("Code"), self.tr("Name"), self.tr("Role"), self.tr("State")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table, 1)
        form = QFormLayout()
        self.code = QLineEdit()
        self.code.setObjectName("newCode")
        self.code.setProperty(NO_SCAN_PROPERTY, True)
        self.name = QLineEdit()
        self.name.setObjectName("newName")
        self.role = QComboBox()
        self.role.setObjectName("newRole")
        for r in self.ROLES:
            self.role.addItem(self._role_label(r), r)
        self.password = _password_field()
        self.password.setObjectName("newPassword")
        self.password2 = _password_field()
        self.password2.setObjectName("newPassword2")
        self.reason = QLineEdit()
        self.reason.setObjectName("changeReason")
        form.addRow(self.tr("Code"), self.code)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Role"), self.role)
        form.addRow(self.tr("Initial password"), self.password)
        form.addRow(self.tr("Initial password again"), self.password2)
        form.addRow(self.tr("Reason"), self.reason)
        lay.addLayout(form)
        row = QHBoxLayout()
        self.btn_add = QPushButton(self.tr("Add operator"))
        self.btn_add.setObjectName("btnOpAdd")
        self.btn_toggle = QPushButton(self.tr("Disable / enable selected"))
        self.btn_toggle.setObjectName("btnOpToggle")
        self.btn_reset = QPushButton(self.tr("Reset password of selected"))
        self.btn_reset.setObjectName("btnOpReset")
        self.btn_role = QPushButton(self.tr("Give selected the role above"))
        self.btn_role.setObjectName("btnOpRole")
        for b, slot in ((self.btn_add, self.add), (self.btn_toggle, self.toggle), (self.btn_reset, self.reset),
                        (self.btn_role, self.change_role)):
            b.clicked.connect(slot)
            b.setEnabled(False)
            row.addWidget(b)
        lay.addLayout(row)
        self.message = QLabel("")
        self.message.setObjectName("operatorsMessage")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay.addWidget(close)
        for b in self.findChildren(QPushButton):    # Enter confirms the identity field only, never a button
            b.setAutoDefault(False)
            b.setDefault(False)
        (self.actor_password if actor_code else self.actor_code).setFocus()

    def _role_label(self, role: str) -> str:
        return {"cashier": self.tr("Cashier"), "supervisor": self.tr("Supervisor"),
                "admin": self.tr("System administrator"), "finance": self.tr("Finance")}.get(role, role)

    def _run(self, fn):
        from client.security.operators import AuthFailure

        self.error.show_error("")
        self.message.setText("")
        try:
            return fn(), ""
        except AuthFailure as exc:
            self.error.show_error(str(exc))
            return None, str(exc)

    def authenticate(self) -> None:
        code, pw = self.actor_code.text().strip(), self.actor_password.text()
        self.actor_password.clear()
        if not code or not pw:
            self.error.show_error(self.tr("Enter your code and password."))
            return
        actor, err = self._run(lambda: self.admin.authenticate(code, pw))
        if err:
            return
        self.actor = actor
        for w in (self.actor_code, self.actor_password, self.btn_auth):
            w.setEnabled(False)
        for b in (self.btn_add, self.btn_toggle, self.btn_reset, self.btn_role):
            b.setEnabled(True)
        self.refresh()
        self.message.setText(self.tr("Signed in for administration: %1").replace("%1", f"{actor.name} {actor.code}"))
        self.code.setFocus()

    def refresh(self) -> None:
        rows = self.admin.listing()
        self.table.setRowCount(len(rows))
        for i, o in enumerate(rows):
            state = self.tr("Active") if o["active"] else self.tr("Disabled")
            if o["locked"]:
                state += self.tr(" (locked)")
            if o["must_change_password"]:
                state += self.tr(" (initial password)")
            for j, v in enumerate((o["code"], o["name"], self._role_label(o["role"]), state)):
                self.table.setItem(i, j, QTableWidgetItem(v))

    def _selected(self) -> str | None:
        items = self.table.selectedItems()
        if not items:
            self.error.show_error(self.tr("Select an operator in the table first."))
            return None
        return self.table.item(items[0].row(), 0).text()

    def _new_password(self) -> str | None:
        pw, pw2 = self.password.text(), self.password2.text()
        self.password.clear()
        self.password2.clear()
        if not pw:
            self.error.show_error(self.tr("Enter the initial password twice."))
            return None
        if pw != pw2:
            self.error.show_error(self.tr("The two passwords differ; nothing was changed."))
            return None
        return pw

    def _done(self, text: str) -> None:
        self.refresh()
        self.message.setText(text)

    def add(self) -> None:
        if self.actor is None:
            return
        pw = self._new_password()
        if pw is None:
            return
        code, name, role = self.code.text().strip(), self.name.text().strip(), self.role.currentData()
        op, err = self._run(lambda: self.admin.add(self.actor, code, name, role, pw))
        if not err:
            self.code.clear()
            self.name.clear()
            self._done(self.tr("Added %1; the initial password must be changed at the first sign-in.").replace(
                "%1", f"{op.name} {op.code}"))

    def toggle(self) -> None:
        code = self._selected() if self.actor is not None else None
        if code is None:
            return
        current = next(o for o in self.admin.listing() if o["code"] == code)
        op, err = self._run(lambda: self.admin.set_active(self.actor, code, not current["active"],
                                                          reason=self.reason.text().strip()))
        if not err:
            self._done((self.tr("Enabled %1.") if op.active else self.tr("Disabled %1.")).replace("%1", op.code))

    def reset(self) -> None:
        code = self._selected() if self.actor is not None else None
        if code is None:
            return
        pw = self._new_password()
        if pw is None:
            return
        op, err = self._run(lambda: self.admin.reset_password(self.actor, code, pw))
        if not err:
            self._done(self.tr("Password of %1 reset and unlocked; it must be changed at the next sign-in.").replace(
                "%1", op.code))

    def change_role(self) -> None:
        code = self._selected() if self.actor is not None else None
        if code is None:
            return
        role = self.role.currentData()
        op, err = self._run(lambda: self.admin.set_role(self.actor, code, role))
        if not err:
            self._done(self.tr("%1 is now: %2").replace("%1", op.code).replace("%2", self._role_label(op.role)))


class MappingsDialog(QDialog):
    """目录对照 (read-only): the HIS items not yet accepted by the platform — pending, refused (with the
    platform's reason) or revoked. IT fixes them with ``medsettle mapping import / upload``."""

    def __init__(self, rows: list[dict], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mappingsDialog")
        self.setWindowTitle(self.tr("Item code mapping (unmapped items)"))
        self.resize(900, 420)
        lay = QVBoxLayout(self)
        states = {"pending": self.tr("not uploaded"), "refused": self.tr("refused"), "revoked": self.tr("revoked"),
                  "uploaded": self.tr("mapped")}
        self.summary = QLabel(self.tr("All imported items are mapped.") if not rows else
                              self.tr("%1 items are not mapped. IT imports and uploads them "
                                      "(medsettle mapping import / upload).").replace("%1", str(len(rows))))
        self.summary.setObjectName("mappingsSummary")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.table = QTableWidget(len(rows), 5)
        self.table.setObjectName("mappingsTable")
        self.table.setHorizontalHeaderLabels([self.tr("Hospital code"), self.tr("Name"), self.tr("National code"),
                                              self.tr("State"), self.tr("Reason")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        for r, m in enumerate(rows):
            for c, text in enumerate([m["fixmedins_hilist_id"], m["fixmedins_hilist_name"], m["med_list_codg"],
                                      states.get(m["state"], m["state"]), m.get("err_msg") or ""]):
                it = QTableWidgetItem(text)
                if c == 4:
                    it.setToolTip(text)
                self.table.setItem(r, c, it)
        lay.addWidget(self.table, 1)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        lay.addWidget(box)
