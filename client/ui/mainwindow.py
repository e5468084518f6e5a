"""The cashier window (issue #7): keyboard-first counter on top of ``client.services``.

Layout (legible at 1366×768): banners (training, offline, message bar) on top; left column = the
patient panel, the catalogue search box and the charges table; right column = settlement panel,
payment panel and the action buttons, each showing its shortcut; status bar at the bottom.

Every service call runs on the TaskManager (``run_db``: the window's one database writer — the
:class:`client.services.checkout.Counter` is not thread-safe and writes the store; ``run_net``:
read-only work). While a call runs, actions that would change the case are disabled and the
status bar says what is happening; the window never blocks.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStatusBar,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from client.domain.money import fmt2, fmt_display, q2
from client.ui import dialogs
from client.ui.daywork import DayworkMixin
from client.ui.models import CatalogListModel, ChargesModel
from client.ui.panels import PatientPanel, PaymentPanel, SettlementPanel
from client.ui.scanner_filter import ScannerFilter, scanner_config_from_settings
from client.ui.workers import TaskManager

log = logging.getLogger("client.ui.window")

IDENTIFY_KINDS = ("ecqr", "card_data", "certno")
# The warm-up starts right after the sign-in dialog is painted; a window shown without it (tests,
# screenshots) starts it this long after its own first paint.
WARMUP_DELAY_MS = 300


class _FirstPaint(QObject):
    """Application event filter: calls ``callback`` once, at the first Paint event of a widget of
    ``target``'s window, then removes itself."""

    def __init__(self, target: QWidget, callback):
        super().__init__(target)
        self._target = target
        self._callback = callback

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint and isinstance(obj, QWidget) and obj.window() is self._target:
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
            cb, self._callback = self._callback, None
            if cb is not None:
                cb()
        return False


def on_first_paint(widget: QWidget, callback) -> None:
    app = QApplication.instance()
    if app is not None:
        app.installEventFilter(_FirstPaint(widget, callback))


def _session_of(op):
    from client.services.operators import Session

    return Session(op, datetime.now())
CHARGE_KINDS = ("catalog_code", "barcode")


class ActivityWatcher(QObject):
    """Application-wide: remembers the time of the last key/mouse input (idle lock)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.last = time.monotonic()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel):
            self.last = time.monotonic()
        return False


class CatalogSearch(QLineEdit):
    """Search box with a popup list: type (pinyin initials, name or code), ↓ into the list, Enter adds."""

    chosen = Signal(dict)
    query_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("catalogSearch")
        self.model = CatalogListModel(self)
        self.popup = QListView(self)      # owned by the box: view and model die together
        self.popup.setObjectName("catalogPopup")
        self.popup.setWindowFlags(Qt.WindowType.ToolTip)
        self.popup.setModel(self.model)
        self.popup.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.popup.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.popup.clicked.connect(lambda idx: self._choose(idx.row()))
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(lambda: self.query_changed.emit(self.text().strip()))
        self.textEdited.connect(lambda _t: self._timer.start())

    def set_results(self, items: list[dict]) -> None:
        self.model.set_items(items)
        if items and self.hasFocus():
            self.popup.setCurrentIndex(self.model.index(0))
            w = max(self.width(), 520)
            self.popup.setFixedWidth(w)
            self.popup.setFixedHeight(min(10, len(items)) * (self.fontMetrics().height() + 8) + 6)
            self.popup.move(self.mapToGlobal(self.rect().bottomLeft()))
            self.popup.show()
        else:
            self.popup.hide()

    def _choose(self, row: int) -> None:
        it = self.model.item(row)
        if it is not None:
            self.popup.hide()
            self.chosen.emit(it)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        key = event.key()
        if self.popup.isVisible():
            row = self.popup.currentIndex().row()
            if key == Qt.Key.Key_Down:
                self.popup.setCurrentIndex(self.model.index(min(row + 1, self.model.rowCount() - 1)))
                return
            if key == Qt.Key.Key_Up:
                self.popup.setCurrentIndex(self.model.index(max(row - 1, 0)))
                return
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._choose(max(row, 0))
                return
            if key == Qt.Key.Key_Escape:
                self.popup.hide()
                return
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.text().strip():
            self._timer.stop()
            self.query_changed.emit(self.text().strip())
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802
        self.popup.hide()
        super().focusOutEvent(event)


class MainWindow(DayworkMixin, QMainWindow):
    """The counter. ``app_state`` is a :class:`client.ui.app.AppState` (settings, context, platform)."""

    #: emitted after every finished step (tests wait on it): step name
    step_done = Signal(str)
    #: emitted when a step failed: (step, message)
    step_failed = Signal(str, str)
    #: the connectivity monitor's state changed (ConnStatus), relayed from the worker thread
    connectivity_changed = Signal(object)

    def __init__(self, app_state, parent: QWidget | None = None, *, poll_seconds: float | None = None):
        super().__init__(parent)
        self.state = app_state
        self.settings = app_state.settings
        self.training = bool(self.settings.training.enabled)
        self.tasks = TaskManager(self)
        self.tasks.failed.connect(self._on_task_failed)
        self.tasks.busy_changed.connect(self._on_busy)
        self.operator = None                   # client.security.operators.Operator
        self.person = None                     # PersonView
        self.trial = None                      # Presettlement
        self.record: dict | None = None        # last settlement record
        self.kind = "outpatient"
        self.online: bool | None = None
        self.last_sync = ""
        self.outbox_count = 0
        self.locked = False
        self._busy_step = ""
        self.setObjectName("mainWindow")
        self.setWindowIcon(QIcon(str(_icon_path())))
        self._build()
        self._update_title()
        self.scanner = ScannerFilter(scanner_config_from_settings(self.settings.scanner), parent=self)
        self.scanner.scanned.connect(self.on_scan)
        self.activity = ActivityWatcher(self)
        app = QApplication.instance()
        app.installEventFilter(self.scanner)
        app.installEventFilter(self.activity)
        self._idle_timer = QTimer(self)
        self._idle_timer.setInterval(15_000)
        self._idle_timer.timeout.connect(self._check_idle)
        self._idle_timer.start()
        self._conn_timer = QTimer(self)
        self._conn_timer.setInterval(20_000)
        self._conn_timer.timeout.connect(self.check_connectivity)
        self._shut = False
        self._warmup = None                    # client.ui.app.Warmup, started after the first paint
        on_first_paint(self, lambda: QTimer.singleShot(WARMUP_DELAY_MS, self.start_warmup))
        self._setup_connectivity(poll_seconds)
        self._conn_timer.start()
        self.set_signed_in(None)

    # ================================================================== construction
    def _build(self) -> None:
        central = QWidget()
        central.setObjectName("central")
        outer = QVBoxLayout(central)
        outer.setContentsMargins(8, 6, 8, 4)
        outer.setSpacing(6)
        self.training_banner = QLabel(self.tr("TRAINING MODE — practice data only, nothing is sent to the real "
                                              "insurance centre, receipts are marked 培训模式"))
        self.training_banner.setObjectName("trainingBanner")
        self.training_banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.training_banner.setVisible(self.training)
        outer.addWidget(self.training_banner)
        self.offline_banner = QLabel(self.tr("OFFLINE — the insurance centre cannot be reached. Offline emergency "
                                             "settlement: identify by card (F2) or ID number (F3) from the cache; "
                                             "amounts are provisional and sent when it is back."))
        self.offline_banner.setObjectName("offlineBanner")
        self.offline_banner.setWordWrap(True)
        self.offline_banner.hide()
        outer.addWidget(self.offline_banner)
        self.recovery_banner = QLabel("")
        self.recovery_banner.setObjectName("recoveryBanner")
        self.recovery_banner.setWordWrap(True)
        self.recovery_banner.hide()
        outer.addWidget(self.recovery_banner)
        self.message = QFrame()
        self.message.setObjectName("messageBar")
        ml = QHBoxLayout(self.message)
        ml.setContentsMargins(10, 6, 6, 6)
        self.message_text = QLabel("")
        self.message_text.setObjectName("messageText")
        self.message_text.setWordWrap(True)
        self.message_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        ml.addWidget(self.message_text, 1)
        close = QToolButton()
        close.setText("×")
        close.setToolTip(self.tr("Dismiss (Esc)"))
        close.clicked.connect(self.clear_message)
        ml.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.message.hide()
        outer.addWidget(self.message)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.patient = PatientPanel()
        ll.addWidget(self.patient)
        srow = QHBoxLayout()
        self.kind_label = QLabel("")
        self.kind_label.setObjectName("kindLabel")
        srow.addWidget(self.kind_label)
        self.search = CatalogSearch()
        self.search.setPlaceholderText(self.tr("Add an item: pinyin initials, name or code, ↓ to pick, Enter adds "
                                               "(Ctrl+F)"))
        self.search.query_changed.connect(self.search_catalog)
        self.search.chosen.connect(self.add_catalog_item)
        srow.addWidget(self.search, 1)
        ll.addLayout(srow)
        self.charges = ChargesModel(self)
        self.table = QTableView()
        self.table.setObjectName("chargesTable")
        self.table.setModel(self.charges)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        hh.setMinimumSectionSize(36)
        self.table.setMinimumWidth(360)
        self.table.hideColumn(1)
        ll.addWidget(self.table, 1)
        self.total_label = QLabel("")
        self.total_label.setObjectName("totalLabel")
        self.total_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        ll.addWidget(self.total_label)
        split.addWidget(left)

        right = QWidget()
        right.setObjectName("rightColumn")
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        self.settlement = SettlementPanel()
        self.details_button = QPushButton(self.tr("All fields (Ctrl+D)"))
        self.details_button.setObjectName("detailsButton")
        self.trace_button = QPushButton(self.tr("Why this amount? (Ctrl+W)"))
        self.trace_button.setObjectName("traceButton")
        self.settlement.buttons.addWidget(self.details_button)
        self.settlement.buttons.addWidget(self.trace_button)
        self.details_button.clicked.connect(self.show_details)
        self.trace_button.clicked.connect(self.show_trace)
        rl.addWidget(self.settlement)
        self.payment = PaymentPanel()
        rl.addWidget(self.payment)
        self.payment.tendered.returnPressed.connect(self.settle)
        rl.addWidget(self._action_grid())
        rl.addStretch(1)
        split.addWidget(right)
        # explicit minimums: the columns' size hints (long English words, a settlement number) must
        # never push the window beyond 1366 px
        left.setMinimumWidth(560)
        right.setMinimumWidth(440)
        for w in (self.settlement, self.payment, self.patient):
            w.setMinimumWidth(0)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([820, 520])
        outer.addWidget(split, 1)
        self.setCentralWidget(central)
        self._build_status()
        self._build_menu()
        self.clear_case()

    def _action(self, text: str, shortcut: str, slot, name: str) -> QAction:
        act = QAction(text, self)
        act.setObjectName(name)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.triggered.connect(slot)
        self.addAction(act)
        return act

    def _action_grid(self) -> QWidget:
        self.actions_by_name: dict[str, QAction] = {}
        specs = [
            ("help", self.tr("Help"), "F1", self.show_help),
            ("read_card", self.tr("Read card"), "F2", self.read_card),
            ("enter_id", self.tr("ID / scan"), "F3", self.enter_id),
            ("his", self.tr("HIS charges"), "F4", self.load_his),
            ("presettle", self.tr("Pre-settle"), "F5", self.presettle),
            ("settle", self.tr("Settle"), "F9", self.settle),
            ("reprint", self.tr("Reprint"), "F12", self.reprint),
            ("cancel", self.tr("Cancel"), "Esc", self.cancel),
        ]
        box = QFrame()
        box.setObjectName("actionBox")
        grid = QVBoxLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        row = None
        self.buttons: dict[str, QPushButton] = {}
        for i, (name, text, key, slot) in enumerate(specs):
            act = self._action(text, key, slot, f"act_{name}")
            self.actions_by_name[name] = act
            if i % 4 == 0:
                row = QHBoxLayout()
                grid.addLayout(row)
            b = QPushButton(f"{key}\n{text}")
            b.setObjectName(f"btn_{name}")
            b.setProperty("role", "action")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setMinimumHeight(54)
            b.clicked.connect(act.trigger)
            if name == "settle":
                b.setProperty("primary", True)
            self.buttons[name] = b
            row.addWidget(b)
        return box

    def _build_menu(self) -> None:
        mb = self.menuBar()
        case = mb.addMenu(self.tr("&Counter"))
        self.act_inpatient = self._action(self.tr("Inpatient discharge settlement"), "Ctrl+I", self.start_inpatient,
                                          "act_inpatient")
        self.act_reverse = self._action(self.tr("Reverse a settlement (supervisor)"), "Ctrl+R", self.reverse,
                                        "act_reverse")
        self.act_remove = self._action(self.tr("Remove selected line"), "Delete", self.remove_line, "act_remove")
        self.act_search = self._action(self.tr("Search the catalogue"), "Ctrl+F", self.focus_search, "act_search")
        self.act_qrfile = self._action(self.tr("Decode e-voucher from image file…"), "Ctrl+O", self.decode_qr_file,
                                       "act_qrfile")
        self.act_camera = self._action(self.tr("Scan with camera"), "", self.camera_scan, "act_camera")
        if not camera_available():
            self.act_camera.setEnabled(False)
            self.act_camera.setToolTip(self.tr("Camera scanning needs Qt Multimedia, which is not installed on this "
                                               "computer. Use the scanner or an image file."))
        self.act_details = self._action(self.tr("Settlement details"), "Ctrl+D", self.show_details, "act_details")
        self.act_trace = self._action(self.tr("Why this amount?"), "Ctrl+W", self.show_trace, "act_trace")
        for a in (self.act_inpatient, self.act_remove, self.act_search, self.act_qrfile, self.act_camera,
                  self.act_details, self.act_trace, self.act_reverse):
            case.addAction(a)
        case.addSeparator()
        for name in ("read_card", "enter_id", "his", "presettle", "settle", "reprint", "cancel"):
            case.addAction(self.actions_by_name[name])
        day = mb.addMenu(self.tr("&Day"))
        self.act_sync = self._action(self.tr("Synchronise now"), "Ctrl+S", self.sync, "act_sync")
        self.act_adjust = self._action(self.tr("Adjustment records"), "Ctrl+J", self.show_adjustments, "act_adjust")
        self.act_shift = self._action(self.tr("Close shift…"), "Ctrl+K", self.close_shift, "act_shift")
        self.act_lock = self._action(self.tr("Lock window"), "Ctrl+L", self.lock, "act_lock")
        self.act_signout = self._action(self.tr("Sign out"), "Ctrl+Q", self.sign_out, "act_signout")
        for a in (self.act_sync, self.act_adjust, self.act_shift, self.act_lock, self.act_signout):
            day.addAction(a)
        helpm = mb.addMenu(self.tr("&Help"))
        helpm.addAction(self.actions_by_name["help"])

    def _build_status(self) -> None:
        sb = QStatusBar()
        sb.setObjectName("statusBar")
        self.setStatusBar(sb)
        self.st_conn = QLabel("…")
        self.st_conn.setObjectName("stConn")
        self.st_outbox = QLabel("")
        self.st_sync = QLabel("")
        self.st_cache = QLabel("")
        self.st_cache.setObjectName("stCache")
        self.st_operator = QLabel("")
        self.st_operator.setObjectName("stOperator")
        self.st_window = QLabel("")
        self.st_training = QLabel(self.tr("TRAINING"))
        self.st_training.setObjectName("stTraining")
        self.st_training.setVisible(self.training)
        self.st_busy = QLabel("")
        self.st_busy.setObjectName("stBusy")
        # a long status text (a receipt path) must be clipped, never widen the window
        self.st_busy.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.st_busy.setMinimumWidth(1)
        sb.addWidget(self.st_busy, 1)
        for w in (self.st_conn, self.st_outbox, self.st_cache, self.st_sync, self.st_operator, self.st_window,
                  self.st_training):
            sb.addPermanentWidget(w)
        self.st_window.setText(self.tr("Window %1").replace("%1", self.settings.window_id or "01"))

    # ================================================================== state display
    def _update_title(self) -> None:
        title = self.tr("MedSettle cashier") + f" — {self.settings.site.fixmedins_name}"
        if self.training:
            title = "【培训模式】" + title + " 【培训模式】"
        self.setWindowTitle(title)

    def set_signed_in(self, operator) -> None:
        self.operator = operator
        signed = operator is not None
        for name, act in self.actions_by_name.items():
            if name != "help":
                act.setEnabled(signed)
        for a in (self.act_inpatient, self.act_reverse, self.act_remove, self.act_search, self.act_qrfile,
                  self.act_details, self.act_trace, self.act_sync, self.act_adjust, self.act_shift, self.act_lock,
                  self.act_signout):
            a.setEnabled(signed)
        self.search.setEnabled(signed)
        self.payment.setEnabled(signed)
        self.scanner.enabled = signed if hasattr(self, "scanner") else False
        if signed:
            self.st_operator.setText(self.tr("Operator %1 %2").replace("%1", operator.code).replace("%2", operator.name))
        else:
            self.st_operator.setText(self.tr("Not signed in"))
        self._update_buttons()

    def _update_buttons(self) -> None:
        signed = self.operator is not None
        for name in ("read_card", "enter_id", "reprint", "cancel"):
            self.buttons[name].setEnabled(signed)
            self.actions_by_name[name].setEnabled(signed)
        busy = bool(self._busy_step)
        has_person = self.person is not None
        self.buttons["his"].setEnabled(signed and has_person and not busy)
        self.actions_by_name["his"].setEnabled(signed and has_person and not busy)
        can_pre = signed and has_person and self.charges.rowCount() > 0 and not busy
        self.actions_by_name["presettle"].setEnabled(can_pre)
        self.buttons["presettle"].setEnabled(can_pre)
        case = getattr(self, "offline_case", None)
        if case is not None:
            can_pre = signed and bool(case.fees) and not busy
            self.actions_by_name["presettle"].setEnabled(can_pre)
            self.buttons["presettle"].setEnabled(can_pre)
        can_settle = signed and (self.trial is not None or (case is not None and case.quote is not None)) and not busy
        self.actions_by_name["settle"].setEnabled(can_settle)
        self.buttons["settle"].setEnabled(can_settle)
        self.details_button.setEnabled(self.trial is not None or self.record is not None)
        self.trace_button.setEnabled(self._trace() is not None)

    def _on_busy(self, n: int) -> None:
        if n == 0:
            self._busy_step = ""
            self.st_busy.setText("")
        self._update_buttons()

    def _begin(self, step: str, text: str) -> None:
        self._busy_step = step
        self.st_busy.setText(text)
        self._update_buttons()

    def show_message(self, text: str, kind: str = "error") -> None:
        self.message_text.setText(text)
        self.message.setProperty("kind", kind)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.show()

    def clear_message(self) -> None:
        self.message.hide()
        self.message_text.setText("")

    def show_error(self, step: str, exc: BaseException) -> None:
        """A service error shown verbatim with a plain hint of what to do."""
        from client.services.errors import ServiceError

        if isinstance(exc, ServiceError):
            hint = self._hint(exc.code)
            text = exc.message
            if exc.detail and exc.detail not in text:
                text += "\n" + self.tr("Insurance centre message: %1").replace("%1", exc.detail)
            self.show_message(f"{text}\n{hint}", "error")
            msg = exc.message
        else:
            log.error("step %s failed", step, exc_info=exc)
            msg = str(exc) or exc.__class__.__name__
            self.show_message(self.tr("Unexpected error: %1\nThe error was logged; tell the IT department if it "
                                      "happens again.").replace("%1", msg), "error")
        self._busy_step = ""
        self.st_busy.setText("")
        self._update_buttons()
        self.step_failed.emit(step, msg)

    def _hint(self, code: str) -> str:
        return {
            "refused": self.tr("What to do: the insurance centre refused this transaction (its message is shown "
                               "above). Check the data it names and try again; if it persists, call the insurance "
                               "office."),
            "offline": self.tr("What to do: the insurance centre cannot be reached. Check the network and try again. "
                               "Nothing was charged."),
            "unknown": self.tr("What to do: the result is UNKNOWN. Do NOT settle again and do not take money twice. "
                               "Run Synchronise (Ctrl+S); the settlement will be confirmed by query."),
            "invalid_input": self.tr("What to do: correct the input as described and try again."),
            "store": self.tr("What to do: the local database cannot be used. Call the IT department."),
            "config": self.tr("What to do: the configuration is incomplete. Call the IT department."),
        }.get(code, self.tr("What to do: try again; if it persists, call the IT department."))

    def _on_task_failed(self, exc: BaseException, label: str) -> None:
        self.show_error(label, exc)

    # ================================================================== sign-in / lock
    def sign_in_dialog(self) -> bool:
        """Modal sign-in (``OperatorService.sign_in``: audited, lockout). An operator whose password
        must be changed (initial password, e.g. training cashier 0001) changes it at once in
        :class:`~client.ui.dialogs.ChangePasswordDialog`; cancelling it returns to the sign-in.
        True when an operator signed in."""
        from client.security import operators as sec

        service = self.state.operator_service
        result: dict = {}

        def check(code: str, pw: str) -> str:
            try:
                session = service.sign_in(code, pw)
            except sec.AuthFailure as exc:
                return str(exc)
            result["session"] = session
            result["password"] = pw
            return ""

        while True:
            result.clear()
            dlg = dialogs.SignInDialog(check, institution=self.settings.site.fixmedins_name,
                                       training_hint=self.state.training_hint(), parent=self)
            self._dialog = dlg
            on_first_paint(dlg, lambda: QTimer.singleShot(0, self.start_warmup))
            if not dlg.exec() or "session" not in result:
                return False
            session = result["session"]
            op = session.operator
            if session.must_change_password:
                op = self.change_password_dialog(op, result.pop("password"))
                if op is None:
                    continue          # not changed: sign in again
            result.pop("password", None)
            opening = None
            if self.state.current_shift(op.code) is None:
                fdlg = dialogs.OpenShiftDialog(f"{op.code} {op.name}", parent=self)
                self._dialog = fdlg
                opening = fdlg.amount if fdlg.exec() else Decimal("0.00")
            self.complete_sign_in(op, opening_float=opening)
            return True

    def change_password_dialog(self, op, old_password: str):
        """The forced change of an initial password; returns the updated operator, or None when the
        operator cancelled (then they are not signed in)."""
        from client.security import operators as sec

        service = self.state.operator_service
        changed: dict = {}

        def change(new: str) -> str:
            try:
                changed["op"] = service.change_password(op.code, old_password, new)
            except sec.AuthFailure as exc:
                return str(exc)
            return ""

        dlg = dialogs.ChangePasswordDialog(change, operator_label=f"{op.code} {op.name}",
                                           min_length=self.settings.security.min_password_length,
                                           training=self.training, parent=self)
        self._dialog = dlg
        if dlg.exec() and "op" in changed:
            return changed["op"]           # the change itself is audited by OperatorService
        service.sign_out(_session_of(op), reason="password change cancelled")
        return None

    def start_warmup(self) -> None:
        """Import what the workers will need and freeze the start-up objects (client.ui.app.Warmup),
        on a background thread, once the first screen is painted. Idempotent."""
        if self._warmup is not None or self._shut:
            return
        from client.ui.app import Warmup

        self._warmup = Warmup().start()

    def complete_sign_in(self, op, *, opening_float: Decimal | None = None) -> None:
        """Local sign-in done: use this operator for the platform and sign in there (9001)."""
        from client.api import Operator as ApiOperator

        self.start_warmup()
        self.state.ctx.operator = ApiOperator(op.code, op.name, "A03", "内科")
        self.set_signed_in(op)
        self.activity.last = time.monotonic()
        self.state.audit("sign_in", op.code)

        def signin() -> str:
            return self.state.ctx.central.sign_in(self.state.ctx.operator)

        def done(sign_no: str) -> None:
            self.st_busy.setText(self.tr("Signed in at the insurance centre (9001), sign_no %1").replace("%1", sign_no))
            self.step_done.emit("sign_in")
            self.run_recovery()          # start-up recovery: unknown outcomes, queued offline items

        def failed(exc: BaseException) -> None:
            self.show_message(self.tr("Signed in locally, but the insurance centre sign-in (9001) failed: %1\n"
                                      "Work continues; the sign-in is repeated before the next transaction.")
                              .replace("%1", str(exc)), "warning")
            self._recovery_due = True    # recovery runs when the platform answers again
            self.step_done.emit("sign_in")

        self.ensure_shift(opening_float)

        self.tasks.run_net(signin, done, failed, label="9001")
        self.check_connectivity()
        if self._catalog_empty():
            # first start (e.g. a fresh training window): without the local catalogue and policy
            # bundles nothing can be priced or previewed — synchronise at once, with progress
            QTimer.singleShot(0, self.sync)

    def _catalog_empty(self) -> bool:
        from offline_cache.catalog import count_items

        try:
            return count_items(self.state.ctx.store, self.settings.site.admdvs) == 0
        except Exception:  # noqa: BLE001 - a broken store shows up at the first real step
            log.exception("could not count the local catalogue")
            return False

    def sign_out(self) -> None:
        if self.operator is None:
            return
        ctx = self.state.ctx
        op = ctx.operator
        code = self.operator.code
        self.clear_case()
        self.set_signed_in(None)
        self.state.audit("sign_out", code)

        def out() -> None:
            ctx.central.sign_out(op)

        self.tasks.run_net(out, lambda _r: self.step_done.emit("sign_out"),
                           lambda exc: self.show_message(self.tr("Sign-out at the insurance centre (9002) failed: %1")
                                                         .replace("%1", str(exc)), "warning"), label="9002")
        if not self._shut:
            QTimer.singleShot(0, self._sign_in_or_close)

    def _sign_in_or_close(self) -> None:
        if not self.isVisible() or self._shut:
            return
        if not self.sign_in_dialog():
            self.close()

    def _check_idle(self) -> None:
        minutes = self.settings.ui.idle_lock_minutes
        if not minutes or self.operator is None or self.locked:
            return
        if time.monotonic() - self.activity.last >= minutes * 60:
            self.lock()

    def lock(self) -> None:
        """Idle lock: only the same operator's password unlocks."""
        if self.operator is None or self.locked:
            return
        from client.security import operators as sec

        self.locked = True
        self.scanner.enabled = False
        self.centralWidget().setEnabled(False)
        op = self.operator
        repo = self.state.operators
        policy = sec.LockoutPolicy.from_settings(self.settings.security)

        def check(code: str, pw: str) -> str:
            try:
                sec.login(repo, op.code, pw, policy=policy)
            except sec.AuthFailure as exc:
                return str(exc)
            return ""

        dlg = dialogs.SignInDialog(check, institution=self.settings.site.fixmedins_name, locked_code=op.code,
                                   parent=self)
        self._dialog = dlg
        dlg.setWindowModality(Qt.WindowModality.WindowModal)

        def finished(ok: int) -> None:
            if ok:
                self.locked = False
                self.centralWidget().setEnabled(True)
                self.scanner.enabled = True
                self.activity.last = time.monotonic()
                self.step_done.emit("unlock")
            else:
                self.locked = False
                self.centralWidget().setEnabled(True)
                self.sign_out()

        dlg.finished.connect(finished)
        dlg.open()

    # ================================================================== the case
    def clear_case(self) -> None:
        self.offline_case = None
        self.person = None
        self.trial = None
        self.kind = "outpatient"
        self.charges.clear()
        self.patient.clear()
        self.settlement.clear()
        self.payment.clear()
        self.search.clear()
        self._update_total()
        self._update_kind()
        if hasattr(self, "buttons"):
            self._update_buttons()

    def _update_kind(self) -> None:
        if getattr(self, "offline_case", None) is not None:
            self.kind_label.setText(self.tr("Outpatient · OFFLINE"))
            self.kind_label.setProperty("kind", "offline")
            self.kind_label.style().unpolish(self.kind_label)
            self.kind_label.style().polish(self.kind_label)
            return
        self.kind_label.setText(self.tr("Outpatient") if self.kind == "outpatient" else self.tr("Inpatient discharge"))
        self.kind_label.setProperty("kind", self.kind)
        self.kind_label.style().unpolish(self.kind_label)
        self.kind_label.style().polish(self.kind_label)

    def _update_total(self) -> None:
        n = self.charges.rowCount()
        self.total_label.setText(self.tr("%1 items, total ¥ %2").replace("%1", str(n))
                                 .replace("%2", fmt_display(self.charges.total())))
        if self.trial is None:
            if n:
                self.settlement.show_total_only(self.charges.total())
            else:
                self.settlement.clear()

    def _counter_lines(self) -> list[dict]:
        out = []
        for ln in self.state.counter.lines:
            d = ln.to_dict()
            split = d.pop("split", None) or {}
            for k in ("fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt", "chrgitm_lv",
                      "selfpay_prop", "memo"):
                if split.get(k) not in (None, ""):
                    d[k] = split[k]
            if "chrgitm_lv" not in d:
                d["chrgitm_lv"] = ln.extra.get("chrgitm_lv") or self._catalog_level(ln.code)
            out.append(d)
        return out

    def _catalog_level(self, code: str) -> str:
        cache = self.__dict__.setdefault("_lv_cache", {})
        if code not in cache:
            try:
                item = self.state.counter._catalog_item(code)
            except Exception:  # noqa: BLE001 - display only
                item = None
            cache[code] = (item.chrgitm_lv if item else "") or ""
        return cache[code]

    def _refresh_lines(self) -> None:
        self.charges.set_lines(self._counter_lines())
        for c in range(self.charges.columnCount()):
            if c != 2:
                self.table.resizeColumnToContents(c)
        self._update_total()
        self._update_buttons()

    # ---------------------------------------------------------------- identification
    def on_scan(self, scan, raw: str) -> None:
        if self.operator is None or self.locked:
            return
        if QApplication.activeModalWidget() is not None:
            modal = QApplication.activeModalWidget()
            if isinstance(modal, dialogs.IdEntryDialog) and scan.kind in IDENTIFY_KINDS:
                modal.reject()
            else:
                self.show_message(self.tr("A scan arrived while a dialog was open; close the dialog and scan again."),
                                  "warning")
                return
        if scan.kind in IDENTIFY_KINDS:
            self.identify(scan.kind, raw.strip())
        elif scan.kind in CHARGE_KINDS:
            code = scan.value if isinstance(scan.value, str) else raw.strip()
            self.add_code(code)
        else:
            self.show_message(getattr(scan, "reason", "") or self.tr("Unrecognised scan: %1").replace("%1", raw[:40]),
                              "warning")

    def identify(self, kind: str, value: str) -> None:
        if self.offline_mode():
            self.identify_offline(kind, value)
            return
        counter = self.state.counter
        fn = {"ecqr": counter.identify_ecqr, "card_data": counter.identify_card,
              "certno": counter.identify_certno}[kind]
        label = {"ecqr": self.tr("Identifying by e-voucher…"), "card_data": self.tr("Identifying by card…"),
                 "certno": self.tr("Identifying by ID number…")}[kind]
        self.clear_message()
        self._begin("identify", label)
        self.tasks.run_db(lambda: fn(value), self._identified, lambda exc: self.show_error("identify", exc),
                          label="identify")

    def _identified(self, view) -> None:
        if view.from_cache and self.state.counter.person is not None:
            # the platform stopped answering between two checks: continue as an offline case
            self.online = False
            self.check_connectivity()
            self._identified_offline(self.state.counter.person)
            return
        self.clear_case()
        self.person = view
        self.patient.show_person(view)
        if view.from_cache:
            self.show_message(self.tr("Identified from the local cache (the insurance centre is not reachable)."),
                              "warning")
        self._busy_step = ""
        self.st_busy.setText(self.tr("Patient identified. F4 takes the HIS charges, or add items in the search box."))
        self._update_buttons()
        self.step_done.emit("identify")

    def read_card(self) -> None:
        reader = self.state.card_reader
        if reader is None:
            self.show_message(self.tr("No card reader is configured on this computer."), "warning")
            return
        if self.training:
            dlg = dialogs.CardPickerDialog(self.state.training_cards(), self)
            self._dialog = dlg
            if not dlg.exec():
                return
            reader.insert(dlg.card_data)
        from client.devices.cardreader import CardReaderError

        def done(card) -> None:
            self.identify("card_data", card.raw)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, CardReaderError):
                self.show_message(exc.message, "error")
                self.step_failed.emit("read_card", exc.message)
            else:
                self.show_error("read_card", exc)

        self.tasks.run_net(reader.read_card, done, failed, label="read_card")

    def enter_id(self) -> None:
        dlg = dialogs.IdEntryDialog(self)
        self._dialog = dlg
        if dlg.exec() and dlg.certno:
            self.identify("certno", dlg.certno)

    def decode_qr_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("E-voucher image"), "",
                                              self.tr("Images (*.png *.jpg *.jpeg *.bmp)"))
        if path:
            self.identify_from_image(path)

    def identify_from_image(self, path: str) -> None:
        from client.devices.qr import QrDecodeError, decode_image_file
        from client.domain.identity import classify_scan

        try:
            texts = decode_image_file(path)
        except QrDecodeError as exc:
            self.show_message(exc.message, "error")
            return
        for t in texts:
            scan = classify_scan(t)
            if scan.kind in IDENTIFY_KINDS:
                self.identify(scan.kind, t)
                return
        self.show_message(self.tr("No e-voucher QR code was found in the image. Take a sharper picture and try "
                                  "again."), "warning")

    def camera_scan(self) -> None:  # pragma: no cover - needs Qt Multimedia
        self.show_message(self.tr("Camera scanning is not available on this computer."), "warning")

    # ---------------------------------------------------------------- charges
    def load_his(self) -> None:
        if self.person is None:
            return
        if self.offline_case is not None:
            self.load_his_offline()
            return
        self._begin("his", self.tr("Fetching the charges from the HIS…"))
        counter = self.state.counter
        want_inpatient = self.kind == "inpatient"

        def work():
            ipt = None
            if counter.his is not None:
                visits = counter.his.pending(counter.person.certno, counter.person.psn_no)
                for v in visits:
                    if str(v.med_type).startswith("2") == want_inpatient:
                        ipt = v.ipt_otp_no
                        break
            return counter.load_his(ipt)

        self.tasks.run_db(work, self._his_loaded, lambda exc: self.show_error("his", exc), label="his")

    def _his_loaded(self, visit) -> None:
        counter = self.state.counter
        self.kind = counter.kind or "outpatient"
        self._update_kind()
        self.trial = None
        self._refresh_lines()
        if counter.warnings:
            self.show_message("\n".join(counter.warnings), "warning")
        self._busy_step = ""
        self.st_busy.setText(self.tr("%1 charge lines from the HIS. F5 pre-settles.").replace(
            "%1", str(len(counter.lines))))
        self._update_buttons()
        self.table.setFocus()
        self.step_done.emit("his")

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def search_catalog(self, query: str) -> None:
        if not query:
            self.search.set_results([])
            return
        store, admdvs = self.state.ctx.store, self.settings.site.admdvs

        def work():
            from offline_cache.catalog import search

            return [{"code": it.med_list_codg, "name": it.name, "spec": it.spec, "pric": it.pric,
                     "chrgitm_lv": it.chrgitm_lv} for it in search(store, admdvs, query, limit=20)]

        def done(items) -> None:
            if self.search.text().strip() == query:
                self.search.set_results(items)
                if not items:
                    self.st_busy.setText(self.tr("Nothing found for “%1”.").replace("%1", query))
            self.step_done.emit("search")

        self.tasks.run_net(work, done, lambda exc: self.show_error("search", exc), label="catalog search")

    def add_catalog_item(self, item: dict) -> None:
        self.search.clear()
        self.add_code(item["code"])

    def add_code(self, code: str, cnt: str = "1") -> None:
        if self.person is None:
            self.show_message(self.tr("Identify the patient first (scan the e-voucher, F2 card, F3 ID)."), "warning")
            return
        if self.offline_case is not None:
            self.add_code_offline(code, cnt)
            return
        counter = self.state.counter
        kind = self.kind

        def work():
            if counter.kind is None:
                if kind == "inpatient":
                    counter.start_inpatient()
                else:
                    counter.start_outpatient("11")
            return counter.add_line(code, cnt)

        self._begin("add", self.tr("Adding the item…"))
        self.tasks.run_db(work, self._line_added, lambda exc: self.show_error("add", exc), label="add line")

    def _line_added(self, line) -> None:
        self.trial = None
        self._refresh_lines()
        self.payment.set_due(None)
        self._busy_step = ""
        self.st_busy.setText(self.tr("Added %1.").replace("%1", line.name))
        self._update_buttons()
        self.step_done.emit("add")

    def remove_line(self) -> None:
        row = self.table.currentIndex().row()
        if self.offline_case is not None:
            if 0 <= row < len(self.offline_case.fees):
                self.offline_case.remove(row)
                self._offline_lines_changed()
                self._update_buttons()
            return
        counter = self.state.counter
        if row < 0 or row >= len(counter.lines):
            return
        if counter.lines[row].fee_line_id is not None:
            self.show_message(self.tr("This line is already uploaded to the insurance centre and cannot be removed "
                                      "here; cancel the case (Esc) and start again."), "warning")
            return
        del counter.lines[row]
        counter.trial = None
        self.trial = None
        self._refresh_lines()

    def start_inpatient(self) -> None:
        """Switch the case to inpatient discharge settlement (before charges are taken)."""
        if self.person is None:
            self.show_message(self.tr("Identify the patient first, then choose inpatient discharge (Ctrl+I)."),
                              "warning")
            return
        if self.charges.rowCount():
            self.show_message(self.tr("The case already has charges; cancel it (Esc) before switching to inpatient."),
                              "warning")
            return
        self.kind = "inpatient"
        self._update_kind()
        self.st_busy.setText(self.tr("Inpatient discharge: F4 takes the inpatient charges from the HIS."))
        self.step_done.emit("inpatient")

    # ---------------------------------------------------------------- settlement
    def presettle(self) -> None:
        if self.person is None or not self.charges.rowCount():
            return
        if self.offline_case is not None:
            self.presettle_offline()
            return
        counter = self.state.counter
        self.clear_message()
        self._begin("presettle", self.tr("Pre-settling with the insurance centre…"))
        self.tasks.run_db(lambda: counter.presettle("0"), self._presettled,
                          lambda exc: self.show_error("presettle", exc), label="presettle")

    def _presettled(self, trial) -> None:
        self.trial = trial
        self.record = None
        self._refresh_lines()
        info = trial.setlinfo
        self.settlement.show_amounts(info, self.tr("Pre-settled — not yet charged. Take the payment, then F9."))
        due = q2(Decimal(str(info.get("psn_cash_pay") or "0")))
        self.payment.set_due(due)
        shown = list(trial.warnings) + [f"事前提醒：{w.message}" for w in getattr(trial, "prechecks", [])]
        if shown:
            self.show_message("\n".join(shown), "warning")
        self._busy_step = ""
        self.st_busy.setText(self.tr("Amount due ¥ %1. Type the tendered amount and press Enter or F9.")
                             .replace("%1", fmt_display(due)))
        self._update_buttons()
        self.payment.tendered.setFocus()
        self.step_done.emit("presettle")

    def settle(self) -> None:
        offline = self.offline_case is not None and self.offline_case.quote is not None
        if (self.trial is None and not offline) or self._busy_step:
            return
        from client.services.payments import Tender

        due = self.payment.due_amount() or Decimal("0.00")
        method = self.payment.method()
        tendered = self.payment.tendered_amount()
        if method == "cash":
            amount = tendered if tendered is not None else due
            if amount < due:
                self.show_message(self.tr("The cash tendered (%1) is less than the amount due (%2).")
                                  .replace("%1", fmt_display(amount)).replace("%2", fmt_display(due)), "error")
                self.step_failed.emit("settle", "short")
                return
        else:
            amount = due
        tenders = [Tender(method, amount)] if due > 0 else []
        if offline:
            self.settle_offline(tenders)
            return
        counter = self.state.counter
        pending = list(getattr(self.trial, "pending_prechecks", []))
        if pending and not self.confirm_prechecks(pending):
            self.step_failed.emit("settle", "prechecks not confirmed")
            return
        by = self.operator.code if self.operator is not None else None
        self.clear_message()
        self._begin("settle", self.tr("Settling (this charges the insurance)…"))

        def work():
            if pending:        # the cashier confirmed the 事前提醒 list: recorded in the audit log
                counter.acknowledge_prechecks("all", by)
            return self.state.finish_settlement(counter.settle(tenders))

        self.tasks.run_db(work, self._settled, lambda exc: self.show_error("settle", exc), label="settle")

    def confirm_prechecks(self, warnings) -> bool:
        """事前提醒 before F9: the list of warnings; Enter confirms (recorded), Esc goes back to the case."""
        from client.domain.prechecks import SEVERITY_LABELS

        box = QMessageBox(QMessageBox.Icon.Warning, "事前提醒",
                          f"结算前请核对以下 {len(warnings)} 条事前提醒，必要时与患者或医生确认：\n\n"
                          + "\n".join(f"{i}.【{SEVERITY_LABELS.get(w.severity, w.severity)}】{w.message}"
                                      for i, w in enumerate(warnings, 1))
                          + "\n\n按 Enter 确认已核对并继续结算；按 Esc 返回修改。", parent=self)
        box.setObjectName("precheckDialog")
        ok = box.addButton("确认并结算", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("返回修改", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(ok)
        self._dialog = box
        box.exec()
        return box.clickedButton() is ok

    def _settled(self, record: dict) -> None:
        self.record = record
        self.trial = None
        info = record.get("setlinfo") or {}
        self.settlement.show_amounts(info, self.tr("SETTLED — settlement %1").replace("%1", str(record.get("setl_id"))))
        change = Decimal("0.00")
        for p in record.get("payments") or []:
            if p.get("change"):
                change += Decimal(p["change"])
        self.payment.change.setText(f"¥ {fmt_display(change)}")
        self._busy_step = ""
        msg = self.tr("Settled. Change ¥ %1. Receipt: %2").replace("%1", fmt_display(change)).replace(
            "%2", str(record.get("_receipt_path", "")))
        if record.get("warnings"):
            self.show_message("\n".join(record["warnings"]), "warning")
        self.st_busy.setText(msg)
        self._update_buttons()
        self.refresh_counts()
        self.step_done.emit("settle")

    def _trace(self) -> list[str] | None:
        src = None
        if self.trial is not None and self.trial.preview:
            src = self.trial.preview
        elif self.record is not None and self.record.get("preview"):
            src = self.record["preview"]
        if src and src.get("trace"):
            return list(src["trace"])
        return None

    def trace_dialog(self):
        """The "why this amount" dialog for the current pre-settlement or settlement (None: no trace)."""
        trace = self._trace()
        if not trace:
            return None
        info = (self.trial.setlinfo if self.trial is not None else (self.record or {}).get("setlinfo")) or {}
        summary = self.tr("Total ¥ %1 = fund ¥ %2 + account ¥ %3 + cash ¥ %4").replace(
            "%1", fmt_display(Decimal(str(info.get("medfee_sumamt") or "0")))).replace(
            "%2", fmt_display(Decimal(str(info.get("fund_pay_sumamt") or "0")))).replace(
            "%3", fmt_display(Decimal(str(info.get("acct_pay") or "0")))).replace(
            "%4", fmt_display(Decimal(str(info.get("psn_cash_pay") or "0"))))
        return dialogs.TraceDialog(trace, summary, self)

    def show_trace(self) -> None:
        dlg = self.trace_dialog()
        if dlg is None:
            self.show_message(self.tr("No calculation trace yet: pre-settle first (F5). The trace needs the local "
                                      "policy bundle (Ctrl+S synchronises)."), "warning")
            return
        self._dialog = dlg
        dlg.exec()

    def show_details(self) -> None:
        if self.trial is not None:
            info, det = self.trial.setlinfo, self.trial.setldetail
        elif self.record is not None:
            info, det = self.record.get("setlinfo") or {}, self.record.get("setldetail") or []
        else:
            return
        dlg = dialogs.SettlementDetailsDialog(info, det, self)
        self._dialog = dlg
        dlg.exec()

    def cancel(self) -> None:
        """Esc: dismiss the message, close the popup, or start over with the next patient."""
        if self.search.popup.isVisible():
            self.search.popup.hide()
            return
        if self.message.isVisible():
            self.clear_message()
            return
        if self._busy_step:
            return
        self.state.counter.reset()
        self.record = None
        self.clear_case()
        self.st_busy.setText(self.tr("Ready for the next patient."))
        self.step_done.emit("cancel")

    # ---------------------------------------------------------------- supervisor actions
    def _authorize(self, action: str, label: str, subject: str):
        from client.security import operators as sec

        op = self.operator
        service = self.state.operator_service

        def check(code: str, pw: str, reason: str):
            try:       # granted and refused authorizations are both written to the audit log
                auth = service.authorize(op, code, pw, action=action, reason=reason, subject=subject)
            except sec.AuthFailure as exc:
                return None, str(exc)
            return auth, ""

        hint = self.state.training_supervisor_hint()
        dlg = dialogs.SupervisorDialog(label, check, hint=hint, parent=self)
        self._dialog = dlg
        if dlg.exec():
            return dlg.authorization
        return None

    def _settlement_to_act_on(self) -> dict | None:
        if self.record is not None:
            return self.record
        rec = self.state.last_settlement()
        if rec is None:
            self.show_message(self.tr("There is no settlement at this window yet."), "warning")
        return rec

    def reverse(self) -> None:
        rec = self._settlement_to_act_on()
        if rec is None:
            return
        if rec.get("state") != "confirmed":
            self.show_message(self.tr("Settlement %1 is %2 and cannot be reversed.").replace(
                "%1", str(rec.get("setl_id"))).replace("%2", str(rec.get("state"))), "warning")
            return
        label = self.tr("Reverse settlement %1 (%2, ¥ %3)").replace("%1", str(rec.get("setl_id"))).replace(
            "%2", str((rec.get("person") or {}).get("psn_name") or "")).replace(
            "%3", fmt_display(Decimal(str((rec.get("setlinfo") or {}).get("medfee_sumamt") or "0"))))
        auth = self._authorize("reverse", label, str(rec.get("setl_id")))
        if auth is None:
            self.step_failed.emit("reverse", "not authorized")
            return
        counter = self.state.counter
        setl_id = rec["setl_id"]
        self._begin("reverse", self.tr("Reversing the settlement…"))
        self.tasks.run_db(lambda: counter.reverse(setl_id, auth, reason=auth.reason), self._reversed,
                          lambda exc: self.show_error("reverse", exc), label="reverse")

    def _reversed(self, record: dict) -> None:
        self.record = record
        self.settlement.show_amounts(record.get("setlinfo") or {}, self.tr("REVERSED — settlement %1 was cancelled; "
                                                                         "refund the patient.")
                                     .replace("%1", str(record.get("setl_id"))))
        self._busy_step = ""
        self.st_busy.setText(self.tr("Settlement reversed."))
        self._update_buttons()
        self.step_done.emit("reverse")

    def reprint(self) -> None:
        rec = self._settlement_to_act_on()
        if rec is None:
            return
        label = self.tr("Reprint the receipt of settlement %1").replace("%1", str(rec.get("setl_id")))
        auth = self._authorize("reprint", label, str(rec.get("setl_id")))
        if auth is None:
            self.step_failed.emit("reprint", "not authorized")
            return
        self._begin("reprint", self.tr("Printing…"))
        self.tasks.run_db(lambda: self.state.print_receipt(rec["settlement_id"], reprint=True), self._reprinted,
                          lambda exc: self.show_error("reprint", exc), label="reprint")

    def _reprinted(self, record: dict) -> None:
        self._busy_step = ""
        self.record = record
        self.st_busy.setText(self.tr("Reprinted (marked 补打, print %1): %2").replace(
            "%1", str(record["flags"]["print_count"])).replace("%2", str(record.get("_receipt_path"))))
        self._update_buttons()
        self.step_done.emit("reprint")

    # ---------------------------------------------------------------- day
    def sync(self) -> None:
        dlg = dialogs.SyncDialog(self)
        self._dialog = dlg
        self.sync_dialog = dlg
        relay = self.tasks.progress_relay(dlg.on_progress)
        self._begin("sync", self.tr("Synchronising…"))

        def done(summary) -> None:
            self._busy_step = ""
            self.st_busy.setText("")
            self.show_last_sync(datetime.now().strftime("%H:%M"))
            dlg.finish(self.tr("Synchronisation finished.") + (f"\n{summary}" if summary else ""))
            self._update_buttons()
            self.refresh_counts()
            self.step_done.emit("sync")

        def failed(exc: BaseException) -> None:
            dlg.finish(str(exc), ok=False)
            self.show_error("sync", exc)

        self.tasks.run_db(lambda: self.state.run_sync(relay), done, failed, label="sync")
        dlg.open()

    def show_last_sync(self, hhmm: str) -> None:
        self.last_sync = hhmm
        self.st_sync.setText(self.tr("Synced %1").replace("%1", hhmm))

    def show_help(self) -> None:
        text = self.tr(
            "<h3>Keyboard</h3><table>"
            "<tr><td><b>F1</b></td><td>this help</td></tr>"
            "<tr><td><b>F2</b></td><td>read the social-security card</td></tr>"
            "<tr><td><b>F3</b></td><td>type the ID number (the scanner works any time)</td></tr>"
            "<tr><td><b>F4</b></td><td>take the charges from the HIS</td></tr>"
            "<tr><td><b>Ctrl+F</b></td><td>search the catalogue (pinyin initials), Enter adds</td></tr>"
            "<tr><td><b>F5</b></td><td>pre-settle with the insurance centre</td></tr>"
            "<tr><td><b>Alt+1…5</b></td><td>cash, bank card, WeChat, Alipay, e-CNY</td></tr>"
            "<tr><td><b>F9 / Enter</b></td><td>settle (in the tendered field)</td></tr>"
            "<tr><td><b>F12</b></td><td>reprint (supervisor, marked 补打)</td></tr>"
            "<tr><td><b>Esc</b></td><td>dismiss a message / next patient</td></tr>"
            "<tr><td><b>Ctrl+I</b></td><td>inpatient discharge settlement</td></tr>"
            "<tr><td><b>Ctrl+R</b></td><td>reverse a same-day settlement (supervisor)</td></tr>"
            "<tr><td><b>Ctrl+D / Ctrl+W</b></td><td>all settlement fields / why this amount</td></tr>"
            "<tr><td><b>Ctrl+S</b></td><td>synchronise</td></tr>"
            "<tr><td><b>Ctrl+J / Ctrl+K</b></td><td>adjustment records / close shift</td></tr>"
            "<tr><td><b>Ctrl+L / Ctrl+Q</b></td><td>lock / sign out</td></tr></table>")
        box = QMessageBox(self)
        box.setWindowTitle(self.tr("Help"))
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(text)
        self._dialog = box
        box.open()

    # ---------------------------------------------------------------- shutdown
    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        if self._shut:
            return
        self._shut = True
        self._idle_timer.stop()
        self._conn_timer.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
        app = QApplication.instance()
        if app is not None:
            self.scanner.flush()
            app.removeEventFilter(self.scanner)
            app.removeEventFilter(self.activity)
        self.search.popup.close()
        self.tasks.shutdown(wait=True)
        if self._warmup is not None:
            self._warmup.join()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(1366, 768)


def _icon_path() -> Path:
    from client.resources import resource

    return resource("icons", "medsettle.svg")


def camera_available() -> bool:
    """Camera scanning needs QtMultimedia (PySide6-Addons), not part of the Essentials install."""
    try:
        import PySide6.QtMultimedia  # noqa: F401
    except ImportError:
        return False
    return True


def open_file(path: str) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(path))


def read_training_people(platform_db: Path) -> list[dict]:
    """The demo people's cards from the training platform's store (training card picker)."""
    import json

    if not platform_db.exists():
        return []
    conn = sqlite3.connect(f"file:{platform_db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT doc FROM people ORDER BY rowid LIMIT 40").fetchall()
    finally:
        conn.close()
    out = []
    for (doc,) in rows:
        d = json.loads(doc)
        card = (d.get("card") or {}).get("card_data")
        if not card:
            continue
        ins = (d.get("insuinfo") or [{}])[0]
        from client.domain.masking import mask_certno
        from client.domain.regions import region_name

        try:
            place = region_name(ins.get("insuplc_admdvs"))
        except ValueError:
            place = ins.get("insuplc_admdvs") or ""
        out.append({"label": f"{d.get('psn_name')}  {mask_certno(d.get('certno'))}  {place}", "card_data": card})
    return out


__all__ = ["MainWindow", "camera_available", "read_training_people", "fmt2"]
