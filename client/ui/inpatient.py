"""住院 workspace (issue #19 scope 3): in-stay patients, admission, deposits, daily fee upload, mid-stay
and discharge settlement with deposit netting, reversal — the window's screen over
:class:`client.services.inpatient.StayService` (docs/cashier-guide.md "住院").

Opened from the counter with Ctrl+H (menu 收费 → 住院…). Keyboard-first; every key is on a button:

  Ctrl+F  search the in-stay list (住院号 / 姓名), ↑/↓ choose a stay
  F2      入院登记 of the patient identified at the counter (prefilled from the HIS)   → 2401
  F3      住院信息变更 (bed, department, doctor, diagnosis)                               → 2403
  F4      交预交金: type the amount; cash (tendered → change, Enter) or SCAN a payment code
  F5      退预交金 (supervisor)      F6  print the deposit receipt of the chosen ledger row
  F7      upload the chosen HIS day (Shift+F7: every day so far)                    → 2301
  F8      cancel the unsettled fee lines (2302)
  F9      结算: first F9 pre-settles (2303, 中途结算 while in the ward, 出院结算 after 出院), the
          figures and the deposit netting are shown; F9 / Enter again settles (2304). What the deposit
          does not cover: cash typed in 实收, or a payment code scanned
  F10     出院 (2402)                 F11  撤销结算 of the stay's last settlement (2305, supervisor)
  Ctrl+Del 撤销入院 (2404)             Esc  close (back to the counter)

Every service call runs on the window's database worker (``tasks.run_db``: StayService is not
thread-safe, its 2303 trial is kept for the 2304 of the same object). Every ServiceError is shown in
the screen's message line (its Chinese ``message``), nothing is lost and the screen stays usable.
The window's ``step_done`` / ``step_failed`` signals report each step (``inpt_*``) as the counter does.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from client.domain.money import fmt_display, parse_typed_amount

from .dialogs import ErrorLabel, _buttons

log = logging.getLogger("client.ui.inpatient")

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _money(v) -> str:
    try:
        return fmt_display(Decimal(str(v)))
    except Exception:  # noqa: BLE001 - a missing figure shows as —
        return "—"


def _table(name: str, headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels(headers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.verticalHeader().hide()
    t.setAlternatingRowColors(True)
    t.setWordWrap(False)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    return t


def _fill(t: QTableWidget, rows: list[list[str]], right: tuple[int, ...] = ()) -> None:
    t.setRowCount(len(rows))
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            it = QTableWidgetItem(v)
            if j in right:
                it.setTextAlignment(RIGHT)
            t.setItem(i, j, it)


# ============================================================================================ dialogs
class _FieldsDialog(QDialog):
    """Enter belongs to the fields (their returnPressed): it never presses the dialog's default
    button behind their back (which would submit a half-typed form)."""

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return
        super().keyPressEvent(event)


class StayFormDialog(_FieldsDialog):
    """入院登记 (admit=True: with the admission time) or 住院信息变更: department, bed, doctor,
    diagnosis. Enter in a field goes to the next one; Enter in the last one submits."""

    FIELDS = ("dept_code", "dept_name", "bed", "dr_code", "dr_name", "diag_code", "diag_name")

    def __init__(self, title: str, prefill: dict, *, admit: bool, note: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("stayForm")
        self.setWindowTitle(title)
        self.admit = admit
        lay = QVBoxLayout(self)
        if note:
            n = QLabel(note)
            n.setWordWrap(True)
            lay.addWidget(n)
        form = QFormLayout()
        labels = {"dept_code": self.tr("Department code"), "dept_name": self.tr("Department (ward)"),
                  "bed": self.tr("Bed"), "dr_code": self.tr("Doctor code"), "dr_name": self.tr("Doctor"),
                  "diag_code": self.tr("Diagnosis code"), "diag_name": self.tr("Diagnosis"),
                  "begntime": self.tr("Admission time")}
        self.edits: dict[str, QLineEdit] = {}
        keys = list(self.FIELDS) + (["begntime"] if admit else [])
        for k in keys:
            e = QLineEdit(str(prefill.get(k) or ""))
            e.setObjectName(f"stay_{k}")
            if k == "begntime":
                e.setPlaceholderText(self.tr("yyyy-MM-dd HH:mm:ss (empty: now)"))
            form.addRow(labels[k], e)
            self.edits[k] = e
        for a, b in zip(keys, keys[1:], strict=False):
            self.edits[a].returnPressed.connect(self.edits[b].setFocus)
        self.edits[keys[-1]].returnPressed.connect(self.accept)
        lay.addLayout(form)
        self.error = ErrorLabel(self)
        lay.addWidget(self.error)
        box = _buttons(self, self.tr("Admit (2401)") if admit else self.tr("Change (2403)"))
        lay.addWidget(box)
        self.edits[keys[0]].setFocus()
        self.setMinimumWidth(480)

    def values(self) -> dict:
        return {k: e.text().strip() for k, e in self.edits.items()}

    def accept(self) -> None:
        v = self.values()
        missing = [k for k in self.FIELDS if not v.get(k)]
        if missing:
            self.error.show_error(self.tr("Fill in every field (department, bed, doctor, diagnosis)."))
            self.edits[missing[0]].setFocus()
            return
        super().accept()


class AmountDialog(_FieldsDialog):
    """One amount (退预交金), typed; Enter submits."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None, *, name: str = "amountDialog"):
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        lay = QVBoxLayout(self)
        lab = QLabel(text)
        lab.setWordWrap(True)
        lay.addWidget(lab)
        self.amount = QLineEdit()
        self.amount.setObjectName("amountField")
        self.amount.returnPressed.connect(self.accept)
        lay.addWidget(self.amount)
        self.error = ErrorLabel(self)
        lay.addWidget(self.error)
        lay.addWidget(_buttons(self))
        self.value: Decimal | None = None
        self.amount.setFocus()

    def accept(self) -> None:
        try:
            v = parse_typed_amount(self.amount.text(), "金额")
        except ValueError as exc:
            self.error.show_error(str(exc))
            return
        if v is None or v <= 0:
            self.error.show_error(self.tr("Type an amount greater than 0."))
            return
        self.value = v
        super().accept()


class DepositDialog(_FieldsDialog):
    """交预交金: the amount, then either the cash handed over (Enter: cash, change shown after) or a
    SCANNED payment code (the window's scanner routes it here through :meth:`accept_scan`; a code is
    never typed)."""

    def __init__(self, label: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("depositDialog")
        self.setWindowTitle(self.tr("Take a deposit"))
        lay = QVBoxLayout(self)
        head = QLabel(label)
        head.setObjectName("dialogHeading")
        head.setWordWrap(True)
        lay.addWidget(head)
        note = QLabel(self.tr("Type the deposit amount and press Enter. Then type the cash handed over and press "
                              "Enter — or SCAN the patient's payment code."))
        note.setWordWrap(True)
        lay.addWidget(note)
        form = QFormLayout()
        self.amount = QLineEdit()
        self.amount.setObjectName("depositAmount")
        self.tendered = QLineEdit()
        self.tendered.setObjectName("depositTendered")
        self.tendered.setPlaceholderText(self.tr("empty = exactly the amount"))
        form.addRow(self.tr("Deposit amount"), self.amount)
        form.addRow(self.tr("Cash tendered"), self.tendered)
        lay.addLayout(form)
        self.amount.returnPressed.connect(self._amount_entered)
        self.tendered.returnPressed.connect(self._cash)
        self.error = ErrorLabel(self)
        lay.addWidget(self.error)
        box = _buttons(self, self.tr("Take in cash"))
        box.accepted.disconnect()
        box.accepted.connect(self._cash)
        lay.addWidget(box)
        self.method = ""
        self.code = ""
        self.value: Decimal | None = None
        self.tendered_value: Decimal | None = None
        self.amount.setFocus()
        self.setMinimumWidth(440)

    def _read_amount(self) -> Decimal | None:
        try:
            v = parse_typed_amount(self.amount.text(), "预交金金额")
        except ValueError as exc:
            self.error.show_error(str(exc))
            self.amount.setFocus()
            return None
        if v is None or v <= 0:
            self.error.show_error(self.tr("Type the deposit amount first (greater than 0)."))
            self.amount.setFocus()
            return None
        return v

    def _amount_entered(self) -> None:
        if self._read_amount() is not None:
            self.error.show_error("")
            self.tendered.setFocus()

    def _cash(self) -> None:
        v = self._read_amount()
        if v is None:
            return
        try:
            t = parse_typed_amount(self.tendered.text(), "实收金额")
        except ValueError as exc:
            self.error.show_error(str(exc))
            self.tendered.setFocus()
            return
        if t is not None and t < v:
            self.error.show_error(self.tr("The cash tendered (¥ %1) is less than the deposit (¥ %2).").replace(
                "%1", fmt_display(t)).replace("%2", fmt_display(v)))
            self.tendered.setFocus()
            return
        self.method, self.value, self.tendered_value = "cash", v, t
        super().accept()

    def accept_scan(self, scan, raw: str) -> None:
        """Called by the window for every scan while this dialog is open."""
        if scan.kind != "paycode":
            self.error.show_error(self.tr("That was not a payment code. Ask the patient to open the payment code "
                                          "(微信/支付宝/云闪付) and scan it."))
            return
        v = self._read_amount()
        if v is None:
            return
        self.method, self.value, self.code = "code", v, raw.strip()
        super().accept()


# ============================================================================================ screen
class InpatientScreen(QDialog):
    """The 住院 workspace (window-modal, not blocking the window's code: opened with ``open()``)."""

    def __init__(self, win, parent: QWidget | None = None):
        super().__init__(parent or win)
        from client.services.inpatient import StayService

        self.win = win
        self.state = win.state
        ctx = win.state.ctx
        self.svc = StayService(ctx, his=getattr(win.state.counter, "his", None), window=win.settings.window_id or "")
        self.setObjectName("inpatientScreen")
        self.setWindowTitle(self.tr("Inpatient — admission, deposits, daily fees, discharge"))
        self.setModal(True)
        self.stays: list[dict] = []
        self.record: dict | None = None      # the chosen stay (stay_record)
        self.his_days: list[dict] = []       # [{day, date, amount, lines, uploaded, not_uploaded}]
        self.trial: dict | None = None       # the 2303 trial shown, waiting for F9 / Enter
        self.last_settle: dict | None = None
        self.busy = ""
        self._build()
        self.resize(1280, 720)
        self.refresh()

    # ------------------------------------------------------------------ construction
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 6)
        self.message = QLabel("")
        self.message.setObjectName("inptMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        outer.addWidget(self.message)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        # left: the in-stay list
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        cap = QLabel(self.tr("In-stay patients"))
        cap.setObjectName("dialogHeading")
        ll.addWidget(cap)
        self.search = QLineEdit()
        self.search.setObjectName("staySearch")
        self.search.setPlaceholderText(self.tr("Inpatient no. or name (Ctrl+F), ↑/↓ to choose"))
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        ll.addWidget(self.search)
        self.list = _table("stayList", [self.tr("Inpatient no."), self.tr("Name"), self.tr("State"),
                                        self.tr("Balance")])
        self.list.itemSelectionChanged.connect(self._chosen)
        ll.addWidget(self.list, 3)
        ll.addWidget(QLabel(self.tr("Fees by day (HIS)")))
        self.days = _table("daysTable", [self.tr("Day"), self.tr("Date"), self.tr("HIS amount"), self.tr("Uploaded"),
                                         self.tr("Not uploaded")])
        ll.addWidget(self.days, 2)
        self.patient_line = QLabel("")
        self.patient_line.setObjectName("counterPatient")
        self.patient_line.setWordWrap(True)
        ll.addWidget(self.patient_line)
        split.addWidget(left)
        # right: the stay
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        self.header = QLabel(self.tr("No stay chosen."))
        self.header.setObjectName("stayHeader")
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        rl.addWidget(self.header)
        self.books = QLabel("")
        self.books.setObjectName("stayBooks")
        self.books.setWordWrap(True)
        rl.addWidget(self.books)
        rl.addWidget(QLabel(self.tr("Deposit ledger")))
        self.ledger = _table("ledgerTable", [self.tr("Receipt"), self.tr("Kind"), self.tr("Channel"), self.tr("Amount"),
                                             self.tr("Balance"), self.tr("State"), self.tr("Time")])
        rl.addWidget(self.ledger, 1)
        # the settlement panel: the trial (2303) or the result (2304)
        self.setl_box = QFrame()
        self.setl_box.setObjectName("staySettlement")
        self.setl_box.setFrameShape(QFrame.Shape.StyledPanel)
        g = QGridLayout(self.setl_box)
        g.setContentsMargins(8, 6, 8, 6)
        self.setl_title = QLabel(self.tr("Settlement: F9 pre-settles (mid-stay while in the ward, final after discharge)."))
        self.setl_title.setObjectName("setlTitle")
        self.setl_title.setWordWrap(True)
        g.addWidget(self.setl_title, 0, 0, 1, 8)
        self.fig: dict[str, QLabel] = {}
        names = [("medfee_sumamt", self.tr("Total")), ("fund_pay_sumamt", self.tr("Fund")),
                 ("acct_pay", self.tr("Account")), ("psn_cash_pay", self.tr("Patient cash share")),
                 ("deposit_balance", self.tr("Deposit balance")), ("deposit_applied", self.tr("Deposit applied")),
                 ("to_collect", self.tr("To collect")), ("surplus", self.tr("Refund to patient"))]
        for i, (k, text) in enumerate(names):
            r, c = divmod(i, 4)
            cap = QLabel(text)
            cap.setProperty("role", "caption")
            v = QLabel("—")
            v.setObjectName(f"fig_{k}")
            v.setProperty("role", "value")
            v.setAlignment(RIGHT)
            g.addWidget(cap, 1 + r, c * 2)
            g.addWidget(v, 1 + r, c * 2 + 1)
            self.fig[k] = v
        trow = QHBoxLayout()
        trow.addWidget(QLabel(self.tr("Cash tendered (for the rest)")))
        self.tendered = QLineEdit()
        self.tendered.setObjectName("stayTendered")
        self.tendered.setPlaceholderText(self.tr("cash handed over, Enter settles — or scan a payment code"))
        self.tendered.returnPressed.connect(self.settle)
        trow.addWidget(self.tendered, 1)
        g.addLayout(trow, 3, 0, 1, 8)
        self.result_line = QLabel("")
        self.result_line.setObjectName("stayResult")
        self.result_line.setWordWrap(True)
        self.result_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        g.addWidget(self.result_line, 4, 0, 1, 8)
        rl.addWidget(self.setl_box)
        split.addWidget(right)
        left.setMinimumWidth(400)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 4)
        split.setSizes([440, 900])
        outer.addWidget(split, 1)
        # the keys, each on a button
        specs = [
            ("admit", self.tr("Admit"), "F2", self.admit),
            ("change", self.tr("Change"), "F3", self.change),
            ("deposit", self.tr("Deposit"), "F4", self.take_deposit),
            ("refund", self.tr("Refund deposit"), "F5", self.refund_deposit),
            ("receipt", self.tr("Print receipt"), "F6", self.print_receipt),
            ("upload", self.tr("Upload day"), "F7", self.upload_day),
            ("upload_all", self.tr("Upload all"), "Shift+F7", self.upload_all),
            ("cancel_fees", self.tr("Cancel fees"), "F8", self.cancel_fees),
            ("settle", self.tr("Settle"), "F9", self.settle),
            ("discharge", self.tr("Discharge"), "F10", self.discharge),
            ("reverse", self.tr("Reverse settlement"), "F11", self.reverse),
            ("cancel_stay", self.tr("Cancel admission"), "Ctrl+Del", self.cancel_stay),
            ("find", self.tr("Search"), "Ctrl+F", self.focus_search),
            ("close", self.tr("Close"), "Esc", self.reject),
        ]
        self.acts: dict[str, QAction] = {}
        self.btns: dict[str, QPushButton] = {}
        box = QGridLayout()
        for i, (name, text, key, slot) in enumerate(specs):
            act = QAction(text, self)
            act.setObjectName(f"inpt_{name}")
            if name != "close":                 # Esc: QDialog's own reject (never a shortcut clash)
                act.setShortcut(QKeySequence(key))
                act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
            self.acts[name] = act
            b = QPushButton(f"{key}\n{text}")
            b.setObjectName(f"inptBtn_{name}")
            b.setProperty("role", "action")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setMinimumHeight(42)
            b.clicked.connect(act.trigger)
            if name == "settle":
                b.setProperty("primary", True)
            self.btns[name] = b
            box.addWidget(b, i // 7, i % 7)
        outer.addLayout(box)
        self._update_buttons()

    # ------------------------------------------------------------------ helpers
    def say(self, text: str, kind: str = "info") -> None:
        self.message.setText(text)
        self.message.setProperty("kind", kind)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setVisible(bool(text))

    def _person(self):
        return getattr(self.state.counter, "person", None)

    def _stay_id(self) -> int | None:
        return self.record["stay_id"] if self.record else None

    def _update_buttons(self) -> None:
        st = (self.record or {}).get("state")
        idle = not self.busy
        person = self._person()
        on = {
            "admit": idle and person is not None,
            "change": idle and st == "admitted",
            "deposit": idle and st in ("admitted", "discharged"),
            "refund": idle and st in ("admitted", "discharged"),
            "receipt": idle and bool((self.record or {}).get("deposits")),
            "upload": idle and st == "admitted",
            "upload_all": idle and st == "admitted",
            "cancel_fees": idle and st == "admitted",
            "settle": idle and st in ("admitted", "discharged"),
            "discharge": idle and st == "admitted",
            "reverse": idle and any(s["state"] == "confirmed" for s in (self.record or {}).get("settlements") or []),
            "cancel_stay": idle and st == "admitted",
            "find": True, "close": True,
        }
        for k, v in on.items():
            self.acts[k].setEnabled(v)
            self.btns[k].setEnabled(v)

    def step_ok(self, step: str) -> None:
        self.win.step_done.emit(step)

    def _run(self, step: str, text: str, fn, done) -> None:
        """``fn`` on the window's database worker; ``done(result)`` back on the GUI thread; an error in
        the message line (step_failed)."""
        if self.busy:
            self.say(self.tr("Wait a moment: the screen is still busy (%1).").replace("%1", self.busy), "warning")
            self.win.step_failed.emit(step, "busy")
            return
        self.busy = text
        self.win.st_busy.setText(text)
        self._update_buttons()

        def ok(res) -> None:
            self.busy = ""
            self.win.st_busy.setText("")
            try:
                done(res)
            except Exception as exc:  # noqa: BLE001 - a display problem: said, logged, never a crash
                log.exception("inpatient step %s: showing the result failed", step)
                self.fail(step, exc)
                return
            self._update_buttons()

        self.win.tasks.run_db(fn, ok, lambda exc: self.fail(step, exc), label=step)

    def fail(self, step: str, exc: BaseException) -> None:
        from client.services.errors import ServiceError

        self.busy = ""
        self.win.st_busy.setText("")
        if isinstance(exc, ServiceError):
            text = exc.message
            if exc.detail and exc.detail not in text:
                text += "\n" + self.tr("Insurance centre message: %1").replace("%1", exc.detail)
            if exc.code == "unknown":
                text += "\n" + self.tr("The result is UNKNOWN: do not repeat it and do not take money twice. "
                                       "Synchronise (Ctrl+S at the counter) runs the recovery.")
            msg = exc.message
        else:
            log.error("inpatient step %s failed", step, exc_info=exc)
            msg = text = self.tr("Internal error: the step was not completed and the error was logged.")
        self.say(text, "error")
        self._update_buttons()
        self.win.step_failed.emit(step, msg)

    # ------------------------------------------------------------------ loading
    def refresh(self, stay_id: int | None = None, then=None) -> None:
        """Reload the in-stay list and the chosen stay (``stay_id``, else the one on screen, else the
        counter patient's active stay) in ONE worker task; ``then()`` after it is shown."""
        from client.services.inpatient import find_stays

        ctx = self.state.ctx
        person = self._person()
        want = stay_id or self._stay_id()

        def work():
            rows = find_stays(ctx)
            target = want
            if target is None and person is not None:
                mine = find_stays(ctx, psn_no=person.psn_no, active_only=True)
                target = mine[0]["stay_id"] if mine else None
            return rows, target, (self._load_work(target) if target is not None else None)

        def done(res) -> None:
            rows, target, loaded = res
            self.stays = [r for r in rows if r["state"] in ("admitting", "admitted", "discharged")
                          or r["stay_id"] == target]
            self._fill_list(self.search.text(), target)
            if person is not None:
                self.patient_line.setText(self.tr("At the counter: %1 (%2). F2 admits this patient.").replace(
                    "%1", person.psn_name).replace("%2", person.view.masked_certno))
            else:
                self.patient_line.setText(self.tr("No patient identified at the counter: identify first (scan / F2 "
                                                  "card / F3 ID) to admit."))
            if loaded is None:
                self.record, self.his_days = None, []
                self.show_record()
            else:
                self._show_loaded(loaded)
            self.step_ok("inpt_list")
            if then is not None:
                then()

        self._run("inpt_list", self.tr("Reading the in-stay patients…"), work, done)

    def _fill_list(self, text: str, select: int | None) -> int | None:
        """The list filtered by ``text``; ``select`` chosen when shown (else the first row). Returns
        the stay_id of the chosen row."""
        q = (text or "").strip().lower()
        shown = [r for r in self.stays if not q or q in (r["ipt_no"] or "").lower() or q in (r["psn_name"] or "").lower()]
        self.shown = shown
        self.list.blockSignals(True)
        _fill(self.list, [[r["ipt_no"], r["psn_name"], r["state_name"], _money(r["balance"])]
                          for r in shown], right=(3,))
        row = next((i for i, r in enumerate(shown) if r["stay_id"] == select), 0 if shown else -1)
        if row >= 0:
            self.list.selectRow(row)
        self.list.blockSignals(False)
        return shown[row]["stay_id"] if row >= 0 else None

    def _filter(self, text: str) -> None:
        sid = self._fill_list(text, self._stay_id())
        if sid is not None and sid != self._stay_id():
            self.trial = None
            self.load(sid)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - ↑/↓ in the search box move the choice
        from PySide6.QtCore import QEvent

        if obj is self.search and event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            i = self.list.currentRow() + (1 if event.key() == Qt.Key.Key_Down else -1)
            if 0 <= i < self.list.rowCount():
                self.list.selectRow(i)
            return True
        return super().eventFilter(obj, event)

    def _chosen(self) -> None:
        i = self.list.currentRow()
        shown = getattr(self, "shown", [])
        if 0 <= i < len(shown) and (self.record is None or self.record["stay_id"] != shown[i]["stay_id"]):
            self.trial = None
            self.load(shown[i]["stay_id"])

    def _load_work(self, stay_id: int):
        """(worker thread) the stay record, its HIS days, the HIS error if any."""
        from client.services.inpatient import stay_record

        rec = stay_record(self.state.ctx, stay_id)
        his, err = None, ""
        if rec["state"] in ("admitted", "discharged") and self.svc.his is not None:
            try:
                his = self.svc.his_stay(ipt_no=rec["ipt_no"])
            except Exception as exc:  # noqa: BLE001 - the HIS part of the screen only; said on screen
                err = getattr(exc, "message", None) or str(exc)
        return rec, self._days_of(rec, his), err

    def _show_loaded(self, loaded) -> None:
        rec, days, err = loaded
        self.record = rec
        self.his_days = days
        self.show_record()
        if err:
            self.say(self.tr("HIS fees could not be read: %1").replace("%1", err), "warning")

    def load(self, stay_id: int) -> None:
        """The stay ``stay_id`` chosen in the list."""
        def done(loaded) -> None:
            self._show_loaded(loaded)
            self.step_ok("inpt_load")

        self._run("inpt_load", self.tr("Reading the stay…"), lambda: self._load_work(stay_id), done)

    def _days_of(self, rec: dict, his: dict | None) -> list[dict]:
        """Per HIS day: its amount, what of it is uploaded (local lines) and what is not."""
        if his is None:
            return [{"day": i + 1, "date": d["date"], "amount": Decimal(d["amount"]), "uploaded": Decimal(d["amount"]),
                     "not_uploaded": Decimal("0.00")} for i, d in enumerate(rec["fees"]["days"])]
        from client.domain.money import q2

        with self.state.ctx.store.read_connection() as conn:
            have = {sn for (sn,) in conn.exec_driver_sql("SELECT feedetl_sn FROM fee_lines WHERE visit_id = ? AND "
                                                         "uploaded = 1", (rec["visit_id"],))}
        by: dict[str, dict] = {}
        for fi in his.get("lines") or []:
            at = str(fi.extra.get("fee_ocur_time") or "")[:10]
            e = by.setdefault(at, {"date": at, "amount": Decimal("0.00"), "uploaded": Decimal("0.00")})
            amt = Decimal(str(fi.extra.get("det_item_fee_sumamt"))) if fi.extra.get("det_item_fee_sumamt") else \
                q2(fi.cnt * (fi.pric or 0))
            e["amount"] += amt
            if str(fi.extra.get("feedetl_sn") or "") in have:
                e["uploaded"] += amt
        out = []
        for i, (_k, e) in enumerate(sorted(by.items()), 1):
            out.append(dict(e, day=i, not_uploaded=e["amount"] - e["uploaded"]))
        return out

    def show_record(self) -> None:
        rec = self.record
        if rec is None:
            self.header.setText(self.tr("No stay chosen. F2 admits the patient identified at the counter."))
            self.books.setText("")
            _fill(self.ledger, [])
            _fill(self.days, [])
            self._update_buttons()
            return
        p = rec["person"]
        self.header.setText(self.tr("%1  %2  Inpatient no. %3  [%4]\n%5 bed %6 · doctor %7 · %8 %9 · admitted %10%11")
                            .replace("%10", rec["begntime"] or "").replace("%11", (
                                self.tr(", discharged %1").replace("%1", rec["endtime"]) if rec["endtime"] else ""))
                            .replace("%1", p["psn_name"]).replace("%2", p["certno"] or "")
                            .replace("%3", rec["ipt_no"]).replace("%4", rec["state_name"])
                            .replace("%5", rec["dept_name"] or "").replace("%6", rec["bed"] or "")
                            .replace("%7", rec["dr_name"] or "").replace("%8", rec["diag_code"] or "")
                            .replace("%9", rec["diag_name"] or ""))
        b = rec["books"]
        self.books.setText(self.tr("Deposit: taken ¥ %1 − refunded ¥ %2 − applied ¥ %3 = balance ¥ %4   ·   fees "
                                   "uploaded ¥ %5 (%6 lines), not yet settled ¥ %7").replace("%1", _money(b["taken"]))
                           .replace("%2", _money(b["refunded"])).replace("%3", _money(b["applied_net"]))
                           .replace("%4", _money(b["balance"])).replace("%5", _money(rec["fees"]["amount"]))
                           .replace("%6", str(rec["fees"]["uploaded"]))
                           .replace("%7", _money(rec["fees"]["unsettled_amount"])))
        _fill(self.ledger, [[r["receipt_no"] or "", r["kind_name"], r["method_name"],
                             ("−" if r["kind"] in ("refund", "applied") else "") + _money(r["amount"]),
                             _money(r["balance"]), self._state_word(r["state"]), (r["created_at"] or "")[5:16]]
                            for r in rec["deposits"]], right=(3, 4))
        if rec["deposits"]:
            self.ledger.selectRow(len(rec["deposits"]) - 1)
        _fill(self.days, [[str(d["day"]), d["date"], _money(d["amount"]), _money(d["uploaded"]),
                           _money(d["not_uploaded"])] for d in self.his_days], right=(2, 3, 4))
        first = next((i for i, d in enumerate(self.his_days) if d["not_uploaded"] > 0), None)
        if first is not None:
            self.days.selectRow(first)
        self._update_buttons()

    def _state_word(self, state: str) -> str:
        return {"done": self.tr("done"), "pending": self.tr("pending"), "failed": self.tr("failed"),
                "unknown": self.tr("unknown")}.get(state, state)

    def after(self, step: str, text: str, kind: str = "info") -> None:
        """A step done: the message, the list and the stay reloaded, the step reported."""
        self.say(text, kind)
        self.refresh(self._stay_id(), then=lambda: self.step_ok(step))

    # ------------------------------------------------------------------ admission
    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def admit(self) -> None:
        person = self._person()
        if person is None:
            self.say(self.tr("Identify the patient at the counter first (scan the e-voucher, F2 card, F3 ID), then "
                             "open 住院 (Ctrl+H) and press F2."), "warning")
            self.win.step_failed.emit("inpt_admit", "no patient")
            return
        svc = self.svc

        def work():
            try:
                return svc.his_stay(person), ""
            except Exception as exc:  # noqa: BLE001 - no HIS record: the form is typed by hand
                return {}, getattr(exc, "message", None) or str(exc)

        self._run("inpt_admit", self.tr("Reading the admission from the HIS…"), work,
                  lambda res: self._admit_form(person, *res))

    def _admit_form(self, person, his: dict, err: str) -> None:
        pre = {"dept_code": his.get("dept_code"), "dept_name": his.get("dept_name"), "bed": his.get("bed"),
               "dr_code": his.get("dr_code"), "dr_name": his.get("dr_name"), "diag_code": his.get("dise_codg"),
               "diag_name": his.get("dise_name"), "begntime": his.get("adm_time")}
        note = (self.tr("From the HIS: inpatient no. %1. Check and press Enter through the fields.").replace(
            "%1", his.get("ipt_no") or "") if his else
            self.tr("The HIS has no admission for this patient (%1): type it.").replace("%1", err))
        dlg = StayFormDialog(self.tr("Admit %1").replace("%1", person.psn_name), pre, admit=True, note=note, parent=self)
        self.win._dialog = dlg
        if not dlg.exec():
            self.win.step_failed.emit("inpt_admit", "cancelled")
            return
        v = dlg.values()
        svc = self.svc
        ipt_no = his.get("ipt_no") or None
        med_type = his.get("med_type") or "21"

        def work():
            return svc.admit(person, dept_code=v["dept_code"], dept_name=v["dept_name"], bed=v["bed"],
                             dr_code=v["dr_code"], dr_name=v["dr_name"], diag_code=v["diag_code"],
                             diag_name=v["diag_name"], begntime=v.get("begntime") or None, ipt_no=ipt_no,
                             med_type=med_type)

        def done(rec) -> None:
            self.record = rec
            self.after("inpt_admit", self.tr("Admitted (2401): %1, inpatient no. %2, visit %3. F4 takes the deposit.")
                       .replace("%1", rec["person"]["psn_name"]).replace("%2", rec["ipt_no"])
                       .replace("%3", rec["mdtrt_id"] or ""))

        self._run("inpt_admit", self.tr("Admitting (2401)…"), work, done)

    def change(self) -> None:
        rec = self.record
        if rec is None:
            return
        dlg = StayFormDialog(self.tr("Change the admission of %1").replace("%1", rec["person"]["psn_name"]), rec,
                             admit=False, parent=self)
        self.win._dialog = dlg
        if not dlg.exec():
            self.win.step_failed.emit("inpt_change", "cancelled")
            return
        v = dlg.values()
        changes = {k: v[k] for k in StayFormDialog.FIELDS if v[k] != str(rec.get(k) or "")}
        if not changes:
            self.say(self.tr("Nothing was changed."), "info")
            self.win.step_failed.emit("inpt_change", "nothing")
            return
        svc, sid = self.svc, rec["stay_id"]
        self._run("inpt_change", self.tr("Changing the admission (2403)…"), lambda: svc.change(sid, **changes),
                  lambda r: self.after("inpt_change", self.tr("Admission changed (2403): bed %1, %2, doctor %3.")
                                       .replace("%1", r["bed"]).replace("%2", r["dept_name"])
                                       .replace("%3", r["dr_name"])))

    def _confirm(self, title: str, text: str, name: str, step: str) -> bool:
        """A Yes/No question defaulting to No (the window's _dialog while open); No reports ``step`` cancelled."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName(name)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        self.win._dialog = box
        if box.exec() != QMessageBox.StandardButton.Yes:
            self.win.step_failed.emit(step, "cancelled")
            return False
        return True

    def cancel_stay(self) -> None:
        rec = self.record
        if rec is None:
            return
        if not self._confirm(self.tr("Cancel admission"),
                             self.tr("Cancel the admission of %1 (inpatient no. %2) at the insurance centre (2404)?")
                             .replace("%1", rec["person"]["psn_name"]).replace("%2", rec["ipt_no"]),
                             "confirmCancelStay", "inpt_cancel"):
            return
        svc, sid = self.svc, rec["stay_id"]
        self._run("inpt_cancel", self.tr("Cancelling the admission (2404)…"), lambda: svc.cancel(sid, reason="收费窗口撤销"),
                  lambda r: self.after("inpt_cancel", self.tr("Admission cancelled (2404): %1.").replace(
                      "%1", r["ipt_no"])))

    # ------------------------------------------------------------------ deposits
    def take_deposit(self) -> None:
        rec = self.record
        if rec is None:
            return
        dlg = DepositDialog(self.tr("Deposit for %1 (inpatient no. %2), balance ¥ %3").replace(
            "%1", rec["person"]["psn_name"]).replace("%2", rec["ipt_no"]).replace(
            "%3", _money(rec["books"]["balance"])), parent=self)
        self.win._dialog = dlg
        self.deposit_dialog = dlg
        if not dlg.exec() or not dlg.method:
            self.win.step_failed.emit("inpt_deposit", "cancelled")
            return
        svc, sid = self.svc, rec["stay_id"]
        amount, method, code, tendered = dlg.value, dlg.method, dlg.code, dlg.tendered_value
        dlg.code = ""

        def work():
            if method == "code":
                return svc.take_deposit(sid, amount, "code", code=code)
            return svc.take_deposit(sid, amount, "cash", tendered=tendered)

        def done(row) -> None:
            if row["method"] == "cash":
                text = self.tr("Deposit taken: ¥ %1 cash, receipt %2; change ¥ %3. Balance ¥ %4. F6 prints the receipt.")\
                    .replace("%3", _money(row.get("change") or "0.00"))
            else:
                tr = row.get("trade") or {}
                text = self.tr("Deposit taken: ¥ %1 by %5 (trade %6), receipt %2. Balance ¥ %4. F6 prints the receipt.")\
                    .replace("%5", tr.get("channel_name") or row["method_name"]).replace(
                        "%6", tr.get("transaction_id") or tr.get("out_trade_no") or "")
            text = text.replace("%1", _money(row["amount"])).replace("%2", row["receipt_no"] or "").replace(
                "%4", _money(row["balance"]))
            self.last_deposit = row
            self.after("inpt_deposit", text)

        self._run("inpt_deposit", self.tr("Taking the deposit…"), work, done)

    def refund_deposit(self) -> None:
        rec = self.record
        if rec is None:
            return
        dlg = AmountDialog(self.tr("Refund deposit"), self.tr("Amount to refund to %1 (balance ¥ %2). Payment-code "
                                                              "deposits go back to their channel first, the rest in cash.")
                           .replace("%1", rec["person"]["psn_name"]).replace("%2", _money(rec["books"]["balance"])),
                           parent=self, name="refundAmount")
        self.win._dialog = dlg
        if not dlg.exec() or dlg.value is None:
            self.win.step_failed.emit("inpt_refund", "cancelled")
            return
        amount = dlg.value
        label = self.tr("Refund deposit ¥ %1 to %2 (inpatient no. %3)").replace("%1", fmt_display(amount)).replace(
            "%2", rec["person"]["psn_name"]).replace("%3", rec["ipt_no"])
        auth = self.win._authorize("reverse", label, f"deposit:{rec['ipt_no']}")
        if auth is None:
            self.say(self.tr("Not refunded: no supervisor authorization."), "warning")
            self.win.step_failed.emit("inpt_refund", "not authorized")
            return
        svc, sid = self.svc, rec["stay_id"]

        def done(out) -> None:
            parts = "；".join(f"{r['method_name']} ¥ {_money(r['amount'])}（{self._state_word(r['state'])}）"
                             for r in out["refunds"])
            self.after("inpt_refund", self.tr("Deposit refunded: %1. Balance ¥ %2.").replace("%1", parts).replace(
                "%2", _money(out["balance"])))

        self._run("inpt_refund", self.tr("Refunding the deposit…"),
                  lambda: svc.refund_deposit(sid, amount, auth, reason=getattr(auth, "reason", "") or ""), done)

    def print_receipt(self) -> None:
        rec = self.record
        if rec is None or not rec["deposits"]:
            return
        i = self.ledger.currentRow()
        rows = rec["deposits"]
        row = rows[i] if 0 <= i < len(rows) else rows[-1]
        if row["kind"] not in ("deposit", "refund"):
            row = next((r for r in reversed(rows) if r["kind"] in ("deposit", "refund")), row)
        svc, settings = self.svc, self.win.settings
        out_dir = Path(settings.data_dir) / "receipts"
        printer = (settings.printers.receipt_printer or "").strip()
        send = getattr(getattr(self.state.desk, "receipts", None), "send_to_printer", None)

        def work():
            out_dir.mkdir(parents=True, exist_ok=True)
            path = out_dir / f"{row['receipt_no'] or 'deposit-' + str(row['deposit_id'])}.pdf"
            pdf = svc.deposit_receipt(row["deposit_id"], out=path)
            via = send(pdf, printer) if printer and send is not None else "file"
            return str(path), via

        def done(res) -> None:
            path, via = res
            self.last_receipt = path
            self.say(self.tr("Receipt %1 printed (%2): %3").replace("%1", row["receipt_no"] or "").replace(
                "%2", via).replace("%3", path), "info")
            self.step_ok("inpt_receipt")

        self._run("inpt_receipt", self.tr("Printing the deposit receipt…"), work, done)

    # ------------------------------------------------------------------ fees
    def upload_day(self) -> None:
        rec = self.record
        if rec is None:
            return
        i = self.days.currentRow()
        if not 0 <= i < len(self.his_days):
            self.say(self.tr("Choose the day to upload in the fees table."), "warning")
            self.win.step_failed.emit("inpt_upload", "no day")
            return
        self._upload(self.his_days[i]["day"])

    def upload_all(self) -> None:
        if self.record is not None:
            self._upload(None)

    def _upload(self, day: int | None) -> None:
        svc, sid = self.svc, self.record["stay_id"]

        def done(out) -> None:
            what = self.tr("day %1").replace("%1", str(day)) if day else self.tr("all days so far")
            text = self.tr("Fees uploaded (2301, %1): %2 lines, ¥ %3; %4 already uploaded.").replace("%1", what) \
                .replace("%2", str(out["uploaded"])).replace("%3", _money(out["amount"])).replace("%4", str(out["skipped"]))
            if out.get("off_catalog"):
                text += "\n" + self.tr("Not in the catalogue: %1").replace("%1", "、".join(out["off_catalog"]))
            self.trial = None
            self.after("inpt_upload", text)

        self._run("inpt_upload", self.tr("Uploading the fees (2301)…"), lambda: svc.upload(sid, day=day), done)

    def cancel_fees(self) -> None:
        rec = self.record
        if rec is None:
            return
        if not self._confirm(self.tr("Cancel fees"),
                             self.tr("Cancel ALL unsettled uploaded fee lines of %1 (¥ %2) at the insurance centre "
                                     "(2302)?").replace("%1", rec["ipt_no"])
                             .replace("%2", _money(rec["fees"]["unsettled_amount"])),
                             "confirmCancelFees", "inpt_cancel_fees"):
            return
        svc, sid = self.svc, rec["stay_id"]
        self.trial = None
        self._run("inpt_cancel_fees", self.tr("Cancelling the fee lines (2302)…"), lambda: svc.cancel_fees(sid),
                  lambda out: self.after("inpt_cancel_fees", self.tr("Fee lines cancelled (2302): %1 lines, ¥ %2.")
                                         .replace("%1", str(out["cancelled"])).replace("%2", _money(out["amount"]))))

    # ------------------------------------------------------------------ discharge and settlement
    def discharge(self) -> None:
        rec = self.record
        if rec is None:
            return
        svc, sid = self.svc, rec["stay_id"]
        self.trial = None
        self._run("inpt_discharge", self.tr("Discharging (2402)…"), lambda: svc.discharge(sid),
                  lambda r: self.after("inpt_discharge", self.tr("Discharged (2402) at %1. F9 pre-settles the final "
                                                                 "settlement (出院结算).").replace("%1", r["endtime"] or "")))

    def settle(self) -> None:
        """F9 / Enter: pre-settle first (the figures and the netting shown), then settle."""
        if self.record is None:
            return
        if self.trial is None or self.trial["stay_id"] != self.record["stay_id"]:
            self._presettle()
            return
        tenders = self._tenders()
        if tenders is None:
            return
        self._settle(tenders)

    def _presettle(self) -> None:
        svc, sid = self.svc, self.record["stay_id"]

        def done(t) -> None:
            self.trial = t
            self.show_trial(t)
            self.say("\n".join(t.get("warnings") or []), "warning")
            self.step_ok("inpt_presettle")

        self._run("inpt_presettle", self.tr("Pre-settling (2303)…"), lambda: svc.presettle(sid), done)

    def show_trial(self, t: dict) -> None:
        info = t.get("setlinfo") or {}
        kind = self.tr("FINAL settlement (出院结算)") if t["final"] else self.tr("MID-STAY settlement (中途结算)")
        rest = Decimal(t["to_collect"])
        if rest > 0:
            what = self.tr("collect ¥ %1: type the cash in 实收 and press Enter, or scan a payment code.").replace(
                "%1", _money(rest))
        elif t["final"] and Decimal(t["surplus"]) > 0:
            what = self.tr("the deposit covers it; ¥ %1 goes back to the patient. F9 / Enter settles.").replace(
                "%1", _money(t["surplus"]))
        else:
            what = self.tr("the deposit covers it. F9 / Enter settles.")
        self.setl_title.setText(self.tr("%1 — pre-settled (2303), %2 lines: %3").replace("%1", kind).replace(
            "%2", str(t["lines"])).replace("%3", what))
        vals = {"medfee_sumamt": t["medfee_sumamt"], "fund_pay_sumamt": info.get("fund_pay_sumamt"),
                "acct_pay": info.get("acct_pay"), "psn_cash_pay": t["psn_cash_pay"],
                "deposit_balance": t["deposit_balance"], "deposit_applied": t["deposit_applied"],
                "to_collect": t["to_collect"], "surplus": t["surplus"]}
        for k, v in vals.items():
            self.fig[k].setText(_money(v))
        self.result_line.setText("")
        self.tendered.clear()
        if rest > 0:
            self.tendered.setFocus()

    def _tenders(self) -> list | None:
        from client.services.payments import Tender

        rest = Decimal(self.trial["to_collect"])
        if rest <= 0:
            return []
        try:
            t = parse_typed_amount(self.tendered.text(), "实收金额")
        except ValueError as exc:
            self.say(str(exc), "error")
            self.win.step_failed.emit("inpt_settle", "invalid tender")
            return None
        if t is None or t < rest:
            self.say(self.tr("Collect ¥ %1: type the cash handed over (at least that) and press Enter, or scan a "
                             "payment code.").replace("%1", _money(rest)), "error")
            self.tendered.setFocus()
            self.win.step_failed.emit("inpt_settle", "no tender")
            return None
        return [Tender("cash", t)]

    def accept_scan(self, scan, raw: str) -> None:
        """A scan while the screen is open: a payment code pays what the deposit does not cover."""
        if scan.kind != "paycode":
            self.say(self.tr("A scan arrived on the inpatient screen: only a payment code (for the rest of a "
                             "settlement) is taken here. Close the screen (Esc) to identify another patient."),
                     "warning")
            return
        if self.trial is None or Decimal(self.trial["to_collect"]) <= 0:
            self.say(self.tr("Nothing to collect now. To take a deposit by payment code press F4 first, then scan."),
                     "warning")
            return
        from client.services.payments import Tender

        self._settle([Tender("code", None, raw.strip())])

    def _settle(self, tenders: list) -> None:
        svc, sid = self.svc, self.record["stay_id"]
        receipts = getattr(self.state.desk, "receipts", None)

        def work():
            out = svc.settle(sid, tenders)
            form = None
            try:                               # the 出院结算单 / 中途结算单 (form), after the commit
                if receipts is not None:
                    form = receipts.print(out["settlement"]["settlement_id"], kind="form")["_receipt_path"]
            except Exception as exc:  # noqa: BLE001 - settled is settled; the print problem is said
                log.exception("inpatient settlement form printing failed")
                out.setdefault("warnings", []).append(f"结算已完成，但结算单打印失败：{exc}。可在今日结算中补打（F12）。")
            out["form_path"] = form
            return out

        def done(out) -> None:
            self.trial = None
            self.last_settle = out
            s = out["settlement"]
            info = s.get("setlinfo") or {}
            final = (info and out["stay"]["state"] == "settled")
            parts = [self.tr("SETTLED (2304) — settlement %1: total ¥ %2, fund ¥ %3, patient cash ¥ %4, from the "
                             "deposit ¥ %5, collected ¥ %6.").replace("%1", str(s.get("setl_id"))).replace(
                "%2", _money(info.get("medfee_sumamt"))).replace("%3", _money(info.get("fund_pay_sumamt"))).replace(
                "%4", _money(info.get("psn_cash_pay"))).replace("%5", _money(out["deposit_applied"])).replace(
                "%6", _money(out["collected"]))]
            change = sum((Decimal(p.get("change") or "0") for p in s.get("payments") or []), Decimal("0.00"))
            if change > 0:
                parts.append(self.tr("Change ¥ %1.").replace("%1", _money(change)))
            for r in out.get("refunds") or []:
                if r["state"] == "done" and r["method"] == "cash":
                    parts.append(self.tr("HAND BACK ¥ %1 in cash (deposit surplus).").replace("%1", _money(r["amount"])))
                elif r["state"] == "done":
                    parts.append(self.tr("¥ %1 refunded to %2 (deposit surplus).").replace("%1", _money(r["amount"]))
                                 .replace("%2", r["method_name"]))
                else:
                    parts.append(self.tr("¥ %1 to %2 NOT yet refunded (%3): recovery retries it, do not pay it in cash.")
                                 .replace("%1", _money(r["amount"])).replace("%2", r["method_name"])
                                 .replace("%3", r.get("err_msg") or r["state"]))
            parts.append(self.tr("Deposit balance now ¥ %1.").replace("%1", _money(out["stay"]["books"]["balance"])))
            if out.get("form_path"):
                parts.append(self.tr("Settlement form: %1").replace("%1", out["form_path"]))
            text = " ".join(parts)
            self.result_line.setText(text)
            self.setl_title.setText(self.tr("Settled: final (出院结算), the stay is closed.") if final
                                    else self.tr("Settled: mid-stay (中途结算); the patient stays in the ward."))
            self.tendered.clear()
            warn = out.get("warnings") or []
            self.after("inpt_settle", "\n".join(warn) if warn else self.tr("Settled (2304): the figures and what to "
                                                                         "hand back are in the settlement panel."),
                       "warning" if warn else "info")

        self._run("inpt_settle", self.tr("Settling (2304)…"), work, done)

    def reverse(self) -> None:
        rec = self.record
        if rec is None:
            return
        done_setl = [s for s in rec["settlements"] if s["state"] == "confirmed"]
        if not done_setl:
            return
        s = done_setl[-1]
        label = self.tr("Reverse stay settlement %1 (%2, ¥ %3; deposit applied ¥ %4 goes back to the balance)") \
            .replace("%1", s["setl_id"] or "").replace("%2", rec["person"]["psn_name"]) \
            .replace("%3", _money(s["medfee_sumamt"])).replace("%4", _money(s["deposit_applied"]))
        auth = self.win._authorize("reverse", label, s["setl_id"])
        if auth is None:
            self.say(self.tr("Not reversed: no supervisor authorization."), "warning")
            self.win.step_failed.emit("inpt_reverse", "not authorized")
            return
        svc, sid, setl_id = self.svc, rec["stay_id"], s["setl_id"]

        def done(out) -> None:
            st = out["stay"]
            refund = self.win.reversal_refund_text(out["settlement"])
            self.trial = None
            self.after("inpt_reverse", self.tr("REVERSED (2305) — settlement %1. Deposit restored: balance ¥ %2. "
                                               "Money collected on top: %3.").replace("%1", setl_id).replace(
                "%2", _money(st["books"]["balance"])).replace("%3", refund), "warning")

        self._run("inpt_reverse", self.tr("Reversing the settlement (2305)…"),
                  lambda: svc.reverse(sid, setl_id, auth, reason=getattr(auth, "reason", "") or "收费窗口撤销结算"), done)

    # ------------------------------------------------------------------ closing
    def reject(self) -> None:
        if self.busy:
            self.say(self.tr("Wait a moment: the screen is still busy (%1).").replace("%1", self.busy), "warning")
            return
        super().reject()
        self.win.step_done.emit("inpt_closed")
