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
import re
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
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
    QScrollArea,
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
from client.ui.hospitalwork import HospitalMixin
from client.ui.models import CatalogListModel, ChargesModel
from client.ui.panels import PatientPanel, PaymentPanel, SettlementPanel
from client.ui.scanner_filter import ScannerFilter, scanner_config_from_settings
from client.ui.workers import TaskManager

log = logging.getLogger("client.ui.window")

IDENTIFY_KINDS = ("ecqr", "card_data", "certno")
MESSAGE_MAX_HEIGHT = 132
ACTIONS_PER_ROW = 6        # the F-key buttons in two rows: the right column fits 1366×768 with a title bar
# "3*阿莫" in the search box: three of the item found
QTY_PREFIX_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*[*×xX]\s*(.*)$")
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
        self.results_for: str | None = None      # the text the listed results answer

    def is_fresh(self) -> bool:
        """The popup lists the results for the text now in the box (not for what was typed before)."""
        return self.popup.isVisible() and self.results_for == self.text().strip()

    def set_results(self, items: list[dict]) -> None:
        self.results_for = self.text().strip()
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
                if self.results_for != self.text().strip():
                    # the list answers an older text (typed on after a pause): search again, add nothing
                    self._timer.stop()
                    self.query_changed.emit(self.text().strip())
                    return
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


class MainWindow(DayworkMixin, HospitalMixin, QMainWindow):
    """The counter. ``app_state`` is a :class:`client.ui.app.AppState` (settings, context, platform)."""

    #: emitted after every finished step (tests wait on it): step name
    step_done = Signal(str)
    #: emitted when a step failed: (step, message)
    step_failed = Signal(str, str)
    #: the connectivity monitor's state changed (ConnStatus), relayed from the worker thread
    connectivity_changed = Signal(object)
    #: a payment code is USERPAYING (the patient types the password on the phone): out_trade_no,
    #: relayed from the settle worker (client.services.codepay polls; Esc cancels → reverse)
    pay_waiting = Signal(str)

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
        self.record: dict | None = None        # the settlement of the patient on screen (None: not settled)
        self.last_print: dict | None = None    # the last receipt printed or reprinted (any settlement)
        self.case_settled = False              # the case on screen is settled: only Esc (next patient) goes on
        self.acct_flag: str | None = None      # the patient's account choice (F6); None = the insured place's rule
        self.shift_id: int | None = None       # this operator's open shift at this window (None: 未开班)
        self.system_faults: dict[str, str] = {}  # system → what failed in its last real call (部分异常)
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
        self._warmup = None                    # client.ui.runtime.Warmup, started after the first paint
        on_first_paint(self, lambda: QTimer.singleShot(WARMUP_DELAY_MS, self.start_warmup))
        self._setup_connectivity(poll_seconds)
        self._conn_timer.start()
        self._setup_hospital()
        self._update_finance_action()
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
        self.offline_banner = QLabel(self.tr("OFFLINE — the insurance centre cannot be reached. Identify by card "
                                             "(F2) or ID number (F3) from the cache; the patient pays in full "
                                             "(全自费 receipt) and the visit is settled with the insurance afterwards "
                                             "(医保补结算) when it is back."))
        self.offline_banner.setObjectName("offlineBanner")
        self.offline_banner.setWordWrap(True)
        self.offline_banner.hide()
        outer.addWidget(self.offline_banner)
        self.recovery_banner = QLabel("")
        self.recovery_banner.setObjectName("recoveryBanner")
        self.recovery_banner.setWordWrap(True)
        self.recovery_banner.hide()
        # the recovery banner and the message bar live in the left column (above the stretching charges
        # table): however long they are, they never push the F-keys or the status bar off the screen
        self.message = QFrame()
        self.message.setObjectName("messageBar")
        ml = QHBoxLayout(self.message)
        ml.setContentsMargins(10, 6, 6, 6)
        self.message_text = QLabel("")
        self.message_text.setObjectName("messageText")
        self.message_text.setWordWrap(True)
        self.message_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_scroll = QScrollArea()
        self.message_scroll.setObjectName("messageScroll")
        self.message_scroll.setWidget(self.message_text)
        self.message_scroll.setWidgetResizable(True)
        self.message_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.message_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # a long message (twelve 事前提醒, a refusal with its reason) scrolls: it never pushes the F-keys off screen
        self.message_scroll.setMaximumHeight(MESSAGE_MAX_HEIGHT)
        ml.addWidget(self.message_scroll, 1)
        close = QToolButton()
        close.setText("×")
        close.setToolTip(self.tr("Dismiss (Esc)"))
        close.clicked.connect(self.clear_message)
        ml.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.message.hide()

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.patient = PatientPanel()
        ll.addWidget(self.recovery_banner)
        ll.addWidget(self.message)
        ll.addWidget(self.patient)
        srow = QHBoxLayout()
        self.kind_label = QLabel("")
        self.kind_label.setObjectName("kindLabel")
        srow.addWidget(self.kind_label)
        self.med_type_box = QComboBox()
        self.med_type_box.setObjectName("medTypeBox")
        self.med_type_box.setToolTip(self.tr("Visit type of items added by hand (HIS bills bring their own)"))
        # visit types a cashier may choose for items added by hand (HIS bills carry their own med_type)
        for code, text in (("11", self.tr("general outpatient")), ("13", self.tr("emergency")),
                           ("14", self.tr("chronic/special disease outpatient"))):
            self.med_type_box.addItem(f"{code} {text}", code)
        self.med_type_box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        srow.addWidget(self.med_type_box)
        self.search = CatalogSearch()
        self.search.setPlaceholderText(self.tr("Add an item: pinyin initials, name or code (3*… for 3 of it), ↓ to "
                                               "pick, Enter adds (Ctrl+F)"))
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
        self.confirmation = QLabel("")
        self.confirmation.setObjectName("confirmationLine")
        self.confirmation.setWordWrap(True)
        self.confirmation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.confirmation.hide()
        rl.addWidget(self.confirmation)
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
            ("his", self.tr("HIS bills"), "F4", self.load_his),
            ("presettle", self.tr("Pre-settle"), "F5", self.presettle),
            ("account", self.tr("Account"), "F6", self.toggle_account),
            ("today", self.tr("Today's list"), "F7", self.show_today),
            ("self_pay", self.tr("Self-pay"), "F8", self.start_self_pay),
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
            if i % ACTIONS_PER_ROW == 0:
                row = QHBoxLayout()
                grid.addLayout(row)
            b = QPushButton(f"{key}\n{text}")
            b.setObjectName(f"btn_{name}")
            b.setProperty("role", "action")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setMinimumHeight(44)
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
        self.act_stays = self._action(self.tr("Inpatient: admission, deposits, discharge…"), "Ctrl+H",
                                      self.open_inpatient, "act_stays")
        self.act_reverse = self._action(self.tr("Reverse a settlement (supervisor)"), "Ctrl+R", self.reverse,
                                        "act_reverse")
        self.act_owed = self._action(self.tr("Collect an owed share (supervisor)…"), "Ctrl+U", self.collect_owed,
                                     "act_owed")
        self.act_partial = self._action(self.tr("Partial refund (supervisor)…"), "Ctrl+T", self.partial_refund,
                                        "act_partial")
        self.act_remove = self._action(self.tr("Remove selected line"), "Delete", self.remove_line, "act_remove")
        self.act_search = self._action(self.tr("Search the catalogue"), "Ctrl+F", self.focus_search, "act_search")
        self.act_qrfile = self._action(self.tr("Decode e-voucher from image file…"), "Ctrl+O", self.decode_qr_file,
                                       "act_qrfile")
        self.act_ecvoucher = self._action(self.tr("Identify by e-voucher (scan box)"), "Ctrl+E",
                                          lambda: self.identify_device("ecvoucher"), "act_ecvoucher")
        self.act_face = self._action(self.tr("Identify by face check"), "Ctrl+G",
                                     lambda: self.identify_device("face"), "act_face")
        self.act_camera = self._action(self.tr("Scan with camera"), "", self.camera_scan, "act_camera")
        if not camera_available():
            self.act_camera.setEnabled(False)
            self.act_camera.setToolTip(self.tr("Camera scanning needs Qt Multimedia, which is not installed on this "
                                               "computer. Use the scanner or an image file."))
        self.act_details = self._action(self.tr("Settlement details"), "Ctrl+D", self.show_details, "act_details")
        self.act_trace = self._action(self.tr("Why this amount?"), "Ctrl+W", self.show_trace, "act_trace")
        for a in (self.act_stays, self.act_inpatient, self.act_remove, self.act_search, self.act_ecvoucher, self.act_face,
                  self.act_qrfile, self.act_camera,
                  self.act_details, self.act_trace, self.act_reverse, self.act_partial, self.act_owed):
            case.addAction(a)
        case.addSeparator()
        for name in ("read_card", "enter_id", "his", "presettle", "account", "today", "self_pay", "settle", "reprint",
                     "cancel"):
            case.addAction(self.actions_by_name[name])
        day = mb.addMenu(self.tr("&Day"))
        self.act_sync = self._action(self.tr("Synchronise now"), "Ctrl+S", self.sync, "act_sync")
        self.act_adjust = self._action(self.tr("Adjustment records"), "Ctrl+J", self.show_adjustments, "act_adjust")
        self.act_shift = self._action(self.tr("Open / close shift…"), "Ctrl+K", self.shift_key, "act_shift")
        self.act_lock = self._action(self.tr("Lock window"), "Ctrl+L", self.lock, "act_lock")
        self.act_signout = self._action(self.tr("Sign out"), "Ctrl+Q", self.sign_out, "act_signout")
        self.act_operators = self._action(self.tr("Operator administration…"), "", self.manage_operators,
                                          "act_operators")
        self.act_finance = self._action(self.tr("Hospital finance…"), "", self.open_finance, "act_finance")
        self.act_mappings = self._action(self.tr("Item code mapping…"), "", self.show_mappings, "act_mappings")
        for a in (self.act_sync, self.act_adjust, self.act_shift, self.act_lock, self.act_signout):
            day.addAction(a)
        day.addSeparator()
        day.addAction(self.act_operators)
        day.addAction(self.act_finance)
        day.addAction(self.act_mappings)
        self.training_menu = None
        if self.training:
            self._build_training_menu(mb)
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
        self.st_shift = QLabel("")
        self.st_shift.setObjectName("stShift")
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
        for w in (self.st_conn, self.st_outbox, self.st_cache, self.st_sync, self.st_operator, self.st_shift,
                  self.st_window, self.st_training):
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
        for a in (self.act_stays, self.act_inpatient, self.act_reverse, self.act_partial, self.act_owed, self.act_remove,
                  self.act_search, self.act_qrfile,
                  self.act_details, self.act_trace, self.act_sync, self.act_adjust, self.act_shift, self.act_lock,
                  self.act_signout):
            a.setEnabled(signed)
        self.search.setEnabled(signed)
        self.payment.setEnabled(signed)
        self._update_finance_action()
        self.scanner.enabled = signed if hasattr(self, "scanner") else False
        if signed:
            self.st_operator.setText(self.tr("Operator %1 %2").replace("%1", operator.code).replace("%2", operator.name))
        else:
            self.st_operator.setText(self.tr("Not signed in"))
            self.shift_id = None
        self._show_shift()
        self._update_buttons()

    def _enable(self, name: str, on: bool) -> None:
        self.actions_by_name[name].setEnabled(on)
        self.buttons[name].setEnabled(on)

    def _update_buttons(self) -> None:
        """Only what makes sense now is enabled: once the case is settled, nothing may change it —
        Esc starts the next patient; reprint, reversal and the details go through 今日结算."""
        signed = self.operator is not None
        busy = bool(self._busy_step)
        for name in ("read_card", "enter_id", "reprint", "cancel", "today"):
            self._enable(name, signed)
        has_person = self.person is not None
        settled = self.case_settled
        case = getattr(self, "local_case", None)
        open_case = signed and not busy and not settled
        rows = self.charges.rowCount()
        self._enable("his", open_case and (has_person or case is not None) and rows == 0)
        if case is not None:
            can_pre = open_case and bool(case.fees)
        else:
            can_pre = open_case and has_person and rows > 0
        self._enable("presettle", can_pre)
        self._enable("account", open_case and has_person and case is None and self._account_balance() > 0)
        self._enable("self_pay", open_case and (case is None or case.mode == "offline"))
        can_settle = open_case and (self.trial is not None or (case is not None and case.quote is not None))
        self._enable("settle", can_settle)
        self.act_remove.setEnabled(signed and not settled)
        self.search.setEnabled(signed and not settled)
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
        """A service error shown verbatim, naming the system that failed, with a hint that fits it.
        Never a class name: an unexpected error says so and is logged with its traceback."""
        from client.services.errors import ServiceError

        if isinstance(exc, ServiceError):
            hint = self._hint(exc.code, exc.system)
            text = exc.message
            if exc.detail and exc.detail not in text:
                where = {"his": self.tr("HIS message: %1"), "einvoice": self.tr("E-invoice platform message: %1")}.get(
                    exc.system, self.tr("Insurance centre message: %1"))
                text += "\n" + where.replace("%1", exc.detail)
            self.show_message(f"{text}\n{hint}", "error")
            msg = exc.message
            if exc.code in ("offline", "unknown") and exc.system in ("insurance", "his", "einvoice"):
                self.note_fault(exc.system, exc.message)
        else:
            log.error("step %s failed", step, exc_info=exc)
            msg = self.tr("Internal error: the step was not completed and the error was logged.")
            self.show_message(msg + "\n" + self.tr("What to do: try again; if it happens again, tell the IT "
                                                   "department (the log has the details)."), "error")
        self._busy_step = ""
        self.st_busy.setText("")
        self._update_buttons()
        self.step_failed.emit(step, msg)

    def _hint(self, code: str, system: str = "insurance") -> str:
        if system == "his":
            return {
                "offline": self.tr("What to do: the HIS does not answer. Press F4 again in a moment, or add the items "
                                   "with the catalogue search (Ctrl+F); if it persists, call the IT department."),
                "refused": self.tr("What to do: the HIS refused (reason above). Check the bill in the HIS, or call "
                                   "the IT department."),
            }.get(code, self.tr("What to do: check the bill in the HIS; if it persists, call the IT department."))
        if system == "einvoice":
            return self.tr("What to do: the e-invoice platform cannot be used now. The settlement is not affected; "
                           "the e-invoice is issued automatically later.")
        if system == "device":
            return self.tr("What to do: check the card reader / scanner and its cable, or identify the patient "
                           "another way (F2 card, F3 ID number, scan).")
        return {
            "refused": self.tr("What to do: the insurance centre refused this transaction (its message is shown "
                               "above). Check the data it names and try again; if it persists, call the insurance "
                               "office."),
            "offline": self.tr("What to do: the insurance centre cannot be reached. Check the network and try again. "
                               "Nothing was charged."),
            "unknown": self.tr("What to do: the result is UNKNOWN. Do NOT settle again and do not take money twice. "
                               "Run Synchronise (Ctrl+S): recovery reverses the lost settlement at the insurance "
                               "centre (2601) and then tells you to settle the patient again."),
            "invalid_input": self.tr("What to do: correct the input as described and try again."),
            "store": self.tr("What to do: the local database cannot be used. Call the IT department."),
            "config": self.tr("What to do: the configuration is incomplete. Call the IT department."),
            "shift": self.tr("What to do: open your shift (Ctrl+K, type the opening float), then serve the patient."),
        }.get(code, self.tr("What to do: try again; if it persists, call the IT department."))

    # ---------------------------------------------------------------- partial outages (部分异常)
    def note_fault(self, system: str, text: str) -> None:
        """The last real call to ``system`` failed: the status bar says 部分异常 (naming it) until a call
        to it succeeds again, whatever the health probe says."""
        self.system_faults[system] = text
        if self.conn_status is not None:
            self._show_status(self.conn_status)

    def clear_fault(self, system: str) -> None:
        if self.system_faults.pop(system, None) is not None and self.conn_status is not None:
            self._show_status(self.conn_status)

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
            if self.state.desk.current_shift(op.code) is None:
                fdlg = dialogs.OpenShiftDialog(f"{op.code} {op.name}", parent=self)
                self._dialog = fdlg
                # cancelled: no shift — the window asks again before the first patient (no money without one)
                opening = fdlg.amount if fdlg.exec() else None
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
        """Import what the workers will need and freeze the start-up objects (client.ui.runtime.Warmup),
        on a background thread, once the first screen is painted. Idempotent."""
        if self._warmup is not None or self._shut:
            return
        from client.ui.runtime import Warmup

        self._warmup = Warmup().start()

    def complete_sign_in(self, op, *, opening_float: Decimal | None = None) -> None:
        """Local sign-in done: use this operator for the platform and sign in there (9001)."""
        from client.api import Operator as ApiOperator

        self.start_warmup()
        self.state.ctx.operator = ApiOperator(op.code, op.name, "A03", "内科")
        self.set_signed_in(op)
        self.activity.last = time.monotonic()
        self.state.desk.audit("sign_in", op.code)

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
        self.state.desk.audit("sign_out", code)

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
        """Forget every trace of the patient on screen (the next patient starts clean)."""
        self.local_case = None
        self.person = None
        self.trial = None
        self.record = None
        self.case_settled = False
        self.acct_flag = None
        self.kind = "outpatient"
        self.charges.clear()
        self.patient.clear()
        self.settlement.clear()
        self.payment.clear()
        self.search.clear()
        if hasattr(self, "confirmation"):
            self.confirmation.setText("")
            self.confirmation.hide()
        self._update_total()
        self._update_kind()
        if hasattr(self, "buttons"):
            self._show_account()
            self._update_buttons()

    def _update_kind(self) -> None:
        case = getattr(self, "local_case", None)
        if case is not None:
            if case.mode == "self_pay":
                self.kind_label.setText(self.tr("Outpatient · FULL SELF-PAY"))
                self.kind_label.setProperty("kind", "self_pay")
            else:
                self.kind_label.setText(self.tr("Outpatient · OFFLINE"))
                self.kind_label.setProperty("kind", "offline")
            self.kind_label.style().unpolish(self.kind_label)
            self.kind_label.style().polish(self.kind_label)
            return
        self.kind_label.setText(self.tr("Outpatient") if self.kind == "outpatient" else self.tr("Inpatient discharge"))
        opsp = getattr(self.state.counter, "opsp", None)
        if self.kind == "outpatient" and opsp:
            self.kind_label.setText(self.tr("Outpatient · chronic disease %1 %2").replace("%1", opsp["opsp_dise_code"])
                                    .replace("%2", opsp["opsp_dise_name"]))
        self.kind_label.setProperty("kind", self.kind)
        # the visit type of hand-added items; a case started (HIS bill or first item) shows its own, fixed
        counter = self.state.counter
        self.med_type_box.setVisible(self.kind == "outpatient")
        started = counter.kind is not None
        if started:
            i = self.med_type_box.findData(counter.med_type)
            if i < 0:
                self.med_type_box.addItem(counter.med_type, counter.med_type)
                i = self.med_type_box.count() - 1
            self.med_type_box.setCurrentIndex(i)
        elif self.med_type_box.currentIndex() < 0 or not self.med_type_box.isEnabled():
            self.med_type_box.setCurrentIndex(0)
        self.med_type_box.setEnabled(not started)
        self.kind_label.style().unpolish(self.kind_label)
        self.kind_label.style().polish(self.kind_label)

    def _update_total(self) -> None:
        n = self.charges.rowCount()
        self.total_label.setText(self.tr("%1 items, total ¥ %2").replace("%1", str(n))
                                 .replace("%2", fmt_display(self.charges.total())))
        if self.trial is None and not self.case_settled:
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

    def _select_row(self, row: int) -> None:
        n = self.charges.rowCount()
        if n:
            self.table.selectRow(max(0, min(row, n - 1)))

    # ---------------------------------------------------------------- shifts at the counter
    def _show_shift(self) -> None:
        if self.operator is None:
            self.st_shift.setText("")
            return
        if self.shift_id is None:
            self.st_shift.setText(self.tr("NO SHIFT (Ctrl+K opens)"))
            self.st_shift.setProperty("open", False)
        else:
            self.st_shift.setText(self.tr("Shift %1").replace("%1", str(self.shift_id)))
            self.st_shift.setProperty("open", True)
        self.st_shift.style().unpolish(self.st_shift)
        self.st_shift.style().polish(self.st_shift)

    def with_shift(self, step: str, then) -> None:
        """Run ``then()`` once this operator has an open shift at this window: no patient is served
        (and no money taken) without one. With none, the 开班 dialog asks for the opening float;
        cancelled, nothing happens and the window says why."""
        if self.shift_id is not None:
            then()
            return
        op = self.operator
        dlg = dialogs.OpenShiftDialog(f"{op.code} {op.name}", parent=self)
        self._dialog = dlg
        if not dlg.exec():
            msg = self.tr("No shift is open: nobody can be served or charged. Open the shift (Ctrl+K) with the "
                          "opening float, then serve the patient.")
            self.show_message(msg, "warning")
            self.step_failed.emit(step, "no shift")
            return
        amount = dlg.amount
        code = op.code

        def done(sid) -> None:
            self.shift_id = sid
            self._show_shift()
            self.step_done.emit("shift_open")
            then()

        self.tasks.run_db(lambda: self.state.desk.open_shift(code, amount), done,
                          lambda exc: self.show_error(step, exc), label="open shift")

    # ---------------------------------------------------------------- identification
    def on_scan(self, scan, raw: str) -> None:
        if self.operator is None or self.locked:
            return
        if QApplication.activeModalWidget() is not None:
            modal = QApplication.activeModalWidget()
            if isinstance(modal, dialogs.IdEntryDialog) and scan.kind in IDENTIFY_KINDS:
                modal.reject()
            elif hasattr(modal, "accept_scan"):          # a dialog that takes scans (欠费补收: the new code)
                modal.accept_scan(scan, raw)
                return
            else:
                self.show_message(self.tr("A scan arrived while a dialog was open; close the dialog and scan again."),
                                  "warning")
                return
        if scan.kind in IDENTIFY_KINDS:
            self.identify(scan.kind, raw.strip())
        elif scan.kind == "paycode":
            self.pay_by_code(raw.strip())
        elif scan.kind in CHARGE_KINDS:
            code = scan.value if isinstance(scan.value, str) else raw.strip()
            self.add_code(code)
        else:
            self.show_message(getattr(scan, "reason", "") or self.tr("Unrecognised scan: %1").replace("%1", raw[:40]),
                              "warning")

    def identify(self, kind: str, value: str) -> None:
        """A new patient: the previous one's every trace goes first (screen, case, record)."""
        self.with_shift("identify", lambda: self._identify(kind, value))

    def _identify(self, kind: str, value: str) -> None:
        if self._busy_step:
            self.show_message(self.tr("Wait a moment: the window is still busy (%1). Then scan again.")
                              .replace("%1", self._busy_step), "warning")
            self.step_failed.emit("identify", "busy")
            return
        self.state.counter.reset()
        self.clear_case()
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

    def identify_device(self, method: str) -> None:
        """E-voucher / face through the identification device (client.devices.identify): the scan box
        reads the code or the face itself; the panel shows which method identified the patient."""
        self.with_shift("identify", lambda: self._identify_device(method))

    def _identify_device(self, method: str) -> None:
        if self._busy_step:
            self.show_message(self.tr("Wait a moment: the window is still busy (%1). Then scan again.")
                              .replace("%1", self._busy_step), "warning")
            self.step_failed.emit("identify", "busy")
            return
        if self.offline_mode():
            self.show_message(self.tr("The e-voucher and the face check need the insurance centre: identify by "
                                      "card (F2) or ID number (F3) while offline."), "warning")
            self.step_failed.emit("identify", "offline")
            return
        try:
            device = self.state.scan_box()
        except Exception as exc:  # noqa: BLE001 - shown in Chinese, never a crash
            self.show_error("identify", exc)
            return
        if self.training and not getattr(device, "has_person", True) and not self.pick_scan_box_person():
            return
        self.state.counter.reset()
        self.clear_case()
        counter = self.state.counter
        label = self.tr("Identifying by face check…") if method == "face" else \
            self.tr("Identifying by e-voucher (scan box)…")
        self.clear_message()
        self._begin("identify", label)
        self.tasks.run_db(lambda: counter.identify_device(device, method), self._identified,
                          lambda exc: self.show_error("identify", exc), label="identify")

    def _identified(self, view) -> None:
        if view.from_cache and self.state.counter.person is not None:
            # the platform stopped answering between two checks: continue as an offline case
            self.online = False
            self.note_fault("insurance", self.tr("the insurance centre did not answer (1101): the patient came "
                                                 "from this window's cache"))
            self.check_connectivity()
            self._identified_offline(self.state.counter.person)
            return
        self.clear_fault("insurance")
        self.clear_case()
        self.person = view
        self.patient.show_person(view)
        self._show_account()
        if view.from_cache:
            self.show_message(self.tr("Identified from the local cache (the insurance centre is not reachable)."),
                              "warning")
        self._busy_step = ""
        if view.suspended:
            self.st_busy.setText(self.tr("Insurance suspended: F8 settles the patient as full self-pay."))
        else:
            self.st_busy.setText(self.tr("Patient identified. F4 takes the HIS bills, or add items in the search box."))
        self._update_buttons()
        self.step_done.emit("identify")

    def read_card(self) -> None:
        reader = self.state.card_reader
        if reader is None:
            self.show_message(self.tr("No card reader is configured on this computer."), "warning")
            return
        from client.devices.cardreader import CardReaderError

        if self.training:
            try:
                cards = self.state.training_cards()
            except CardReaderError as exc:
                self.show_message(exc.message, "error")
                self.step_failed.emit("read_card", exc.message)
                return
            dlg = dialogs.CardPickerDialog(cards, self)
            self._dialog = dlg
            if not dlg.exec():
                return
            reader.insert(dlg.card_data)

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
        """F4: the patient's unpaid HIS bills. One: taken. Several: listed (date, department, doctor,
        amount) to tick one or several. None: said so."""
        if self.local_case is not None:
            self.load_his_local()
            return
        if self.person is None or self.case_settled or self._busy_step:
            return
        self._begin("his", self.tr("Fetching the bills from the HIS…"))
        counter = self.state.counter
        self.tasks.run_db(counter.pending_bills, self._bills_listed, lambda exc: self.show_error("his", exc),
                          label="his bills")

    def choose_bills(self, bills) -> list[str] | None:
        """The bills to take: the only one, or the ticked ones (None: cancelled)."""
        if len(bills) == 1:
            return [bills[0].ipt_otp_no]
        from client.services.checkout import is_inpatient_med_type

        want_inpatient = self.kind == "inpatient"
        first = next((b for b in bills if is_inpatient_med_type(b.med_type) == want_inpatient), bills[0])
        checked = {i for i, b in enumerate(bills) if b.med_type == first.med_type}
        dlg = dialogs.HisBillsDialog(bills, checked, parent=self)
        self._dialog = dlg
        return dlg.chosen if dlg.exec() else None

    def _bills_listed(self, bills) -> None:
        self.clear_fault("his")
        self._busy_step = ""
        self.st_busy.setText("")
        if not bills:
            self.show_message(self.tr("The HIS has no unpaid bill for this patient. Add the items with the catalogue "
                                      "search (Ctrl+F)."), "warning")
            self._update_buttons()
            self.step_failed.emit("his", "no bill")
            return
        chosen = self.choose_bills(bills)
        if not chosen:
            self._update_buttons()
            self.step_failed.emit("his", "cancelled")
            return
        counter = self.state.counter
        self._begin("his", self.tr("Taking the bills from the HIS…"))
        self.tasks.run_db(lambda: counter.load_his(chosen), self._his_loaded, lambda exc: self.show_error("his", exc),
                          label="his")

    def _his_loaded(self, visit) -> None:
        counter = self.state.counter
        self.kind = counter.kind or "outpatient"
        self._update_kind()
        self.trial = None
        self._refresh_lines()
        if counter.warnings:
            self.show_message("\n".join(counter.warnings), "warning")
        self._busy_step = ""
        left = len(counter.his_left)
        text = self.tr("%1 charge lines from the HIS. F5 pre-settles.").replace("%1", str(len(counter.lines)))
        if left:
            text += " " + self.tr("%1 more unpaid bill(s) not taken.").replace("%1", str(left))
        self.st_busy.setText(text)
        self._update_buttons()
        self.table.setFocus()
        self.ask_disease()
        self.step_done.emit("his")

    def ask_disease(self) -> None:
        """门诊慢特病 (med_type 14) with several valid filings and none chosen: the cashier picks one."""
        counter = self.state.counter
        if counter.kind != "outpatient" or counter.med_type != "14" or counter.opsp is not None:
            return
        filings = counter.chronic_filings()
        if not filings:
            return
        dlg = dialogs.DiseasePickerDialog(filings, self)
        self._dialog = dlg
        if not dlg.exec() or not dlg.code:
            self.show_message(self.tr("Choose the chronic disease before pre-settling (F5 asks again)."), "warning")
            return
        code = dlg.code
        self.tasks.run_db(lambda: counter.choose_disease(code), self._disease_chosen,
                          lambda exc: self.show_error("disease", exc), label="choose disease")

    def _disease_chosen(self, opsp) -> None:
        self._update_kind()
        self.st_busy.setText(self.tr("Chronic disease: %1 %2.").replace("%1", opsp["opsp_dise_code"])
                             .replace("%2", opsp["opsp_dise_name"]))
        self.step_done.emit("disease")

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _search_query(self, text: str) -> tuple[str, str]:
        """("3*阿莫") → ("3", "阿莫"): the quantity prefix of the search box."""
        m = QTY_PREFIX_RE.match(text or "")
        if m and m.group(2).strip():
            return m.group(1), m.group(2).strip()
        return "1", (text or "").strip()

    def search_catalog(self, query: str) -> None:
        _cnt, query = self._search_query(query)
        if not query:
            self.search.set_results([])
            return
        store, admdvs = self.state.ctx.store, self.settings.site.admdvs

        def work():
            from offline_cache.catalog import search

            return [{"code": it.med_list_codg, "name": it.name, "spec": it.spec, "pric": it.pric,
                     "chrgitm_lv": it.chrgitm_lv} for it in search(store, admdvs, query, limit=20)]

        def done(items) -> None:
            if self._search_query(self.search.text())[1] == query:
                self.search.set_results(items)
                if not items:
                    self.st_busy.setText(self.tr("Nothing found for “%1”.").replace("%1", query))
            self.step_done.emit("search")

        self.tasks.run_net(work, done, lambda exc: self.show_error("search", exc), label="catalog search")

    def add_catalog_item(self, item: dict) -> None:
        cnt, _q = self._search_query(self.search.text())
        self.search.clear()
        self.add_code(item["code"], cnt)

    def add_code(self, code: str, cnt: str = "1") -> None:
        if self.person is None and self.local_case is None:
            self.show_message(self.tr("Identify the patient first (scan the e-voucher, F2 card, F3 ID)."), "warning")
            return
        if self.case_settled:
            self.show_message(self.tr("This case is settled. Press Esc for the next patient."), "warning")
            return
        if self.local_case is not None:
            self.add_code_offline(code, cnt)
            return
        counter = self.state.counter
        kind = self.kind
        med_type = self.med_type_box.currentData() or "11"

        def work():
            if counter.kind is None:
                if kind == "inpatient":
                    counter.start_inpatient()
                else:
                    counter.start_outpatient(med_type)
            return counter.add_line(code, cnt)

        self._begin("add", self.tr("Adding the item…"))
        self.tasks.run_db(work, self._line_added, lambda exc: self.show_error("add", exc), label="add line")

    def _line_added(self, line) -> None:
        self.trial = None
        self._update_kind()
        self.ask_disease()
        self._refresh_lines()
        self.payment.set_due(None)
        self._busy_step = ""
        self.st_busy.setText(self.tr("Added %1 × %2.").replace("%1", line.name).replace("%2", format(line.cnt.normalize(), "f")))
        self._select_row(self.charges.rowCount() - 1)
        self._update_buttons()
        self.step_done.emit("add")

    def remove_line(self) -> None:
        if self.case_settled:
            return
        row = self.table.currentIndex().row()
        if self.local_case is not None:
            if 0 <= row < len(self.local_case.fees):
                self.local_case.remove(row)
                self._offline_lines_changed()
                self._select_row(row)
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
        self._select_row(row)

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
        self._show_account()
        self.st_busy.setText(self.tr("Inpatient discharge: F4 takes the inpatient charges from the HIS."))
        self.step_done.emit("inpatient")

    # ---------------------------------------------------------------- the personal account (F6)
    def open_inpatient(self) -> None:
        """Ctrl+H 住院: the inpatient workspace (client/ui/inpatient.py) — admission of the patient
        identified here, deposits, daily fee upload, mid-stay and discharge settlement, reversal."""
        self.with_shift("inpt_open", self._open_inpatient)

    def _open_inpatient(self) -> None:
        from .inpatient import InpatientScreen

        if self._busy_step:
            self.show_message(self.tr("Wait a moment: the window is still busy (%1).").replace("%1", self._busy_step),
                              "warning")
            self.step_failed.emit("inpt_open", "busy")
            return
        screen = InpatientScreen(self)
        self.inpatient_screen = screen
        self._dialog = screen
        screen.open()
        self.step_done.emit("inpt_open")

    def _account_balance(self) -> Decimal:
        try:
            return Decimal(str(getattr(self.person, "balance", "0") or "0"))
        except ArithmeticError:
            return Decimal("0")

    def account_flag(self) -> str:
        """acct_used_flag of this visit: the patient's choice (F6), else the insured place's rule."""
        if self.acct_flag is not None:
            return self.acct_flag
        if self.person is None:
            return "0"
        from client.services.cashdesk import account_flag

        return account_flag(self.settings.counter, self.person.insuplc_admdvs, self.kind, self._account_balance())

    def _show_account(self) -> None:
        if self.person is None or self.local_case is not None:
            self.payment.show_account(None, None)
            return
        balance = self._account_balance()
        self.payment.show_account(self.account_flag() == "1" if balance > 0 else None, balance)

    def toggle_account(self) -> None:
        """F6: the patient uses the personal account, or not. After a pre-settlement, it is done again
        (2206 with the new acct_used_flag) — the amounts on screen are always the platform's."""
        if self.person is None or self.local_case is not None or self.case_settled or self._busy_step:
            return
        if self._account_balance() <= 0:
            return
        self.acct_flag = "0" if self.account_flag() == "1" else "1"
        self._show_account()
        if self.trial is not None:
            self.presettle()
        else:
            self.step_done.emit("account")

    # ---------------------------------------------------------------- settlement
    def presettle(self) -> None:
        if self.local_case is not None:
            self.presettle_offline()
            return
        if self.person is None or not self.charges.rowCount() or self.case_settled or self._busy_step:
            return
        counter = self.state.counter
        if counter.kind == "outpatient" and counter.med_type == "14" and counter.opsp is None:
            self.ask_disease()             # 门诊慢特病: the disease first; F5 again pre-settles
            return
        flag = self.account_flag()
        self.clear_message()
        self._begin("presettle", self.tr("Pre-settling with the insurance centre…"))
        self.tasks.run_db(lambda: counter.presettle(flag), self._presettled,
                          lambda exc: self.show_error("presettle", exc), label="presettle")

    def _presettled(self, trial) -> None:
        self.clear_fault("insurance")
        self.trial = trial
        self.record = None
        self._refresh_lines()
        info = trial.setlinfo
        self.settlement.show_amounts(info, self.tr("Pre-settled — not yet charged. Take the payment, then F9."))
        due = q2(Decimal(str(info.get("psn_cash_pay") or "0")))
        self.payment.set_due(due)
        self._show_account()
        shown = list(trial.warnings)
        if getattr(trial, "prechecks", None):
            from client.domain.prechecks import group_warnings

            shown += [f"事前提醒：{g.text()}" for g in group_warnings(trial.prechecks)]
        if shown:
            self.show_message("\n".join(shown), "warning")
        self._busy_step = ""
        self.st_busy.setText(self.tr("Amount due ¥ %1. Type the tendered amount and press Enter or F9.")
                             .replace("%1", fmt_display(due)))
        self._update_buttons()
        self.payment.tendered.setFocus()
        self.step_done.emit("presettle")

    def read_tenders(self, due: Decimal) -> list | None:
        """The tender as typed: amounts only (full-width digits accepted); cash below the amount due, or
        no cash typed, is refused with 还差 in red. None = refused (the message says why)."""
        from client.services.payments import Tender

        method = self.payment.method()
        try:
            tendered = self.payment.tendered_amount()
        except ValueError as exc:
            self.show_message(str(exc), "error")
            self.payment.tendered.setFocus()
            self.payment.tendered.selectAll()
            self.step_failed.emit("settle", "invalid tender")
            return None
        if due <= 0:
            return []
        if method != "cash":
            return self._recorded_tender(method, due)
        if tendered is None:
            self.show_message(self.tr("Type the cash handed over in “Tendered” (amount due ¥ %1), then F9.")
                              .replace("%1", fmt_display(due)), "error")
            self.payment.tendered.setFocus()
            self.step_failed.emit("settle", "no tender")
            return None
        if tendered < due:
            self.show_message(self.tr("The cash tendered (¥ %1) is short by ¥ %2 of the amount due (¥ %3).")
                              .replace("%1", fmt_display(tendered)).replace("%2", fmt_display(due - tendered))
                              .replace("%3", fmt_display(due)), "error")
            self.payment.tendered.setFocus()
            self.payment.tendered.selectAll()
            self.step_failed.emit("settle", "short")
            return None
        return [Tender("cash", tendered)]

    def _recorded_tender(self, method: str, due: Decimal) -> list | None:
        """Bank card (POS terminal) or a channel payment the window does not charge: booked only with its
        reference. With the aggregate-payment gateway on, WeChat / Alipay / e-CNY are charged by scanning
        the patient's code — never only recorded (no money would move)."""
        from client.services.payments import Tender

        from .tenders import ReferenceDialog

        names = {"bank_card": self.tr("Bank card"), "wechat": self.tr("WeChat Pay"), "alipay": self.tr("Alipay"),
                 "ecny": self.tr("e-CNY")}
        local = self.local_case is not None            # offline / self-pay cases are not charged through the gateway
        if method != "bank_card" and self.settings.payment.enabled and not local:
            self.show_message(self.tr("Scan the patient's payment code (%1): with the payment gateway it is charged "
                                      "by scanning, never only recorded. Nothing was settled.").replace(
                                          "%1", names[method]), "error")
            self.step_failed.emit("settle", "scan the code")
            return None
        dlg = ReferenceDialog(names[method], due, card=method == "bank_card", parent=self)
        self._dialog = dlg
        if not dlg.exec() or not dlg.value:
            self.show_message(self.tr("Not settled: the payment reference was not entered."), "warning")
            self.step_failed.emit("settle", "no reference")
            return None
        return [Tender(method, due, dlg.value)]

    def pay_by_code(self, code: str) -> None:
        """A payment code scanned while the amount is due: it pays the patient's share through the
        aggregate-payment gateway (docs/payments.md), then the settlement is confirmed as with F9."""
        from client.services.payments import Tender

        if self.trial is None or self.case_settled or self._busy_step or self.local_case is not None:
            self.show_message(self.tr("A payment code was scanned, but nothing is due now: presettle first (F5), "
                                      "then scan the patient's payment code."), "warning")
            return
        self.settle([Tender("code", None, code)])

    def _on_pay_waiting(self, otn: str) -> None:
        if self._busy_step == "settle":
            self._pay_wait_seen = True
            self.st_busy.setText(self.tr("Waiting for the patient to enter the password (Esc: cancel)"))
            self.pay_waiting.emit(otn)

    def settle(self, tenders: list | None = None) -> None:
        case = self.local_case
        offline = case is not None and case.quote is not None
        if (self.trial is None and not offline) or self._busy_step or self.case_settled:
            return
        due = self.payment.due_amount() or Decimal("0.00")
        if not isinstance(tenders, list):         # F9 / the button (a triggered(bool) may pass False)
            tenders = self.read_tenders(due)
        if tenders is None:
            return
        if offline:
            self.settle_offline(tenders)
            return
        counter = self.state.counter
        pending = list(getattr(self.trial, "pending_prechecks", []))
        if pending and not self.confirm_prechecks(pending):
            self.step_failed.emit("settle", "prechecks not confirmed")
            return
        password = None
        if counter.password_required():          # 验密 (client.api.password): the patient types it
            box = dialogs.PatientPasswordDialog(parent=self)
            self._dialog = box
            if not box.exec():
                self.show_message(self.tr("Not settled: the patient did not enter the password."), "warning")
                self.step_failed.emit("settle", "no patient password")
                return
            password = box.take()
        by = self.operator.code if self.operator is not None else None
        self.clear_message()
        self._begin("settle", self.tr("Settling (this charges the insurance)…"))

        import threading

        cancel = self._pay_cancel = threading.Event()
        self._pay_wait_seen = False

        if getattr(self, "_pay_relay", None) is None:
            self._pay_relay = self.tasks.progress_relay(self._on_pay_waiting)
        relay = self._pay_relay

        def waiting(otn: str) -> bool:              # called by the worker while USERPAYING is polled
            relay(otn)                              # → the GUI thread
            return not cancel.is_set()

        counter.on_pay_wait = waiting

        def work():
            if pending:        # the cashier confirmed the 事前提醒 list: recorded in the audit log
                counter.acknowledge_prechecks("all", by)
            return self.state.desk.finish_settlement(counter.settle(tenders, password=password))

        self.tasks.run_db(work, self._settled, lambda exc: self.show_error("settle", exc), label="settle")

    def show_prechecks(self, warnings) -> None:
        """事前提醒 in the message bar: grouped, the bar scrolls (it never grows past its height)."""
        from client.domain.prechecks import group_warnings

        self.show_message("\n".join(f"事前提醒：{g.text()}" for g in group_warnings(warnings)), "warning")

    def confirm_prechecks(self, warnings) -> bool:
        """事前提醒 before F9: grouped and scrollable; Enter confirms (recorded), Esc goes back to the case."""
        box = dialogs.PrecheckDialog(warnings, parent=self)
        self._dialog = box
        return bool(box.exec())

    def _confirmation_text(self, record: dict, change: Decimal) -> str:
        setl = record.get("setl_id") or record.get("msgid") or ""
        parts = [self.tr("SETTLED · settlement %1").replace("%1", str(setl)),
                 self.tr("change ¥ %1").replace("%1", fmt_display(change))]
        for tr in record.get("pay_trades") or []:
            if tr.get("state") == "paid":
                parts.append(self.tr("%1 ¥ %2 · trade %3").replace("%1", tr.get("channel_name") or "")
                             .replace("%2", str(tr.get("amount"))).replace("%3", tr.get("transaction_id") or ""))
        inv = record.get("invoice") or {}
        if inv.get("EInvoiceNumber"):
            parts.append(self.tr("e-invoice %1-%2").replace("%1", str(inv.get("EInvoiceCode") or ""))
                         .replace("%2", str(inv.get("EInvoiceNumber") or "")))
        via = record.get("_printed_via")
        path = record.get("_receipt_path")
        if via and via != "file":
            parts.append(self.tr("receipt printed"))
        elif path:
            parts.append(self.tr("receipt %1").replace("%1", Path(path).name))
        left = self.state.counter.his_left
        if left:
            from client.services.checkout import bill_summary

            parts.append(self.tr("%1 more unpaid bill(s): %2").replace("%1", str(len(left)))
                         .replace("%2", "；".join(bill_summary(b) for b in left)))
        return " · ".join(parts)

    def _change_of(self, record: dict) -> Decimal:
        change = Decimal("0.00")
        for p in record.get("payments") or []:
            if p.get("change"):
                change += Decimal(p["change"])
        return change

    def _settled(self, record: dict) -> None:
        self.clear_fault("insurance")
        self.record = record
        self.last_print = record
        self.trial = None
        self.case_settled = True
        info = record.get("setlinfo") or {}
        review = record.get("review")
        title = (self.tr("SETTLED (needs review) — settlement %1") if review
                 else self.tr("SETTLED — settlement %1"))
        self.settlement.show_amounts(info, title.replace("%1", str(record.get("setl_id"))))
        change = self._change_of(record)
        self.payment.change.setText(f"¥ {fmt_display(change)}")
        self.payment.set_change_kind("change")
        self._busy_step = ""
        self.confirmation.setText(self._confirmation_text(record, change))
        self.confirmation.show()
        if record.get("warnings"):     # includes the platform's warn_msg / review err_msg, verbatim
            self.show_message("\n".join(record["warnings"]), "warning")
        self.st_busy.setText(self.tr("Settled — needs review: check with the platform. Esc: next patient.")
                             if review else self.tr("Settled. Esc: next patient."))
        self._update_buttons()
        self.refresh_counts()
        self.push_to_hospital()
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
        """Ctrl+D: every field of the patient's pre-settlement or settlement; with neither, of one chosen
        from 今日结算 — never another patient's by default."""
        if self.trial is not None:
            self._details_dialog(self.trial.setlinfo, self.trial.setldetail)
        elif self.record is not None:
            self._details_dialog(self.record.get("setlinfo") or {}, self.record.get("setldetail") or [])
        else:
            self.choose_settlement(self.tr("Choose the settlement to show (Enter)."), "details", self._show_details_of)

    def _details_dialog(self, info: dict, det: list) -> None:
        dlg = dialogs.SettlementDetailsDialog(info, det, self)
        self._dialog = dlg
        dlg.exec()

    def _show_details_of(self, row) -> None:
        from client.services.checkout import settlement_record

        store = self.state.ctx.store

        def done(rec) -> None:
            self._busy_step = ""
            self._update_buttons()
            self._details_dialog(rec.get("setlinfo") or {}, rec.get("setldetail") or [])
            self.step_done.emit("details")

        self._begin("details", self.tr("Reading the settlement…"))
        self.tasks.run_db(lambda: settlement_record(store, row.settlement_id), done,
                          lambda exc: self.show_error("details", exc), label="details")

    def cancel(self) -> None:
        """Esc: dismiss the message, close the popup, or start over with the next patient."""
        if self.search.popup.isVisible():
            self.search.popup.hide()
            return
        cancel = getattr(self, "_pay_cancel", None)
        if (self._busy_step == "settle" and getattr(self, "_pay_wait_seen", False) and cancel is not None
                and not cancel.is_set()):
            cancel.set()                  # USERPAYING: stop waiting, the order is reversed (撤销)
            self.st_busy.setText(self.tr("Cancelling the payment-code order…"))
            return
        if self.message.isVisible():
            self.clear_message()
            return
        if self._busy_step:
            return
        self.state.counter.reset()
        self.clear_case()
        self.st_busy.setText(self.tr("Ready for the next patient."))
        self.step_done.emit("cancel")

    # ---------------------------------------------------------------- 今日结算 and supervisor actions
    def manage_operators(self) -> None:
        """系统 → 操作员管理: supervisors (cashiers) and admins (everyone), same rules as ``medsettle operator``.
        The signed-in operator's code is prefilled; a supervisor may come to a cashier's window and
        type their own."""
        from client.services.operators import OperatorAdmin

        service = self.state.operator_service
        if service is None:
            return
        op = self.operator
        code = op.code if op is not None and op.role in ("supervisor", "admin") else ""
        dlg = dialogs.OperatorsDialog(OperatorAdmin(service), actor_code=code, parent=self)
        self._dialog = dlg
        dlg.exec()

    def open_finance(self) -> None:
        """日常 → 全院财务 (finance and admin roles, hospital mode): see client.ui.finance."""
        from client.security.operators import has_permission
        from client.services import hospital, hospital_dayend
        from client.ui.finance import FinanceDialog

        op = self.operator
        if op is None or not has_permission(op.role, "reconcile"):
            self.show_message(self.tr("Only finance staff and administrators may open the hospital finance view."),
                              "warning")
            return
        settings, ctx = self.settings, self.state.ctx

        def load(day):
            engine = hospital.finance_engine_for(settings)
            try:
                return hospital_dayend.summary(engine, day)
            finally:
                engine.dispose()

        def reconcile(day):
            engine = hospital.finance_engine_for(settings)
            try:
                return hospital_dayend.reconcile(ctx, engine, day)
            finally:
                engine.dispose()

        dlg = FinanceDialog(load, reconcile, parent=self)
        dlg.set_runner(lambda fn, ok, err: self.tasks.run_net(fn, ok, err, label="finance"))
        self._dialog = dlg
        dlg.load()
        dlg.exec()

    def _update_finance_action(self) -> None:
        from client.security.operators import has_permission

        op = self.operator
        ok = bool(getattr(self, "hospital_on", False)) and op is not None and has_permission(op.role, "reconcile")
        self.act_finance.setVisible(bool(getattr(self, "hospital_on", False)))
        self.act_finance.setEnabled(ok)

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

    def choose_settlement(self, purpose: str, step: str, then) -> None:
        """今日结算: load today's settlements (db worker), let the cashier choose one, then ``then(row)``.
        The patient's own settlement, if the case on screen is settled, is preselected."""
        from client.services.cashdesk import today_settlements

        store = self.state.ctx.store
        pre = (self.record or {}).get("settlement_id")

        def shown(rows) -> None:
            self._busy_step = ""
            self._update_buttons()
            if not rows:
                self.show_message(self.tr("There is no settlement at this window today."), "warning")
                self.step_failed.emit(step, "none today")
                return
            dlg = dialogs.TodaySettlementsDialog(rows, purpose=purpose, preselect=pre, parent=self)
            self._dialog = dlg
            self.today_dialog = dlg
            if not dlg.exec() or dlg.chosen is None:
                self.step_failed.emit(step, "cancelled")
                return
            if getattr(dlg, "partial_refund", False):        # Ctrl+T in 今日结算: 部分退费 of the chosen one
                self._partial_refund_row(dlg.chosen)
                return
            then(dlg.chosen)

        self._begin(step, self.tr("Reading today's settlements…"))
        self.tasks.run_db(lambda: today_settlements(store), shown, lambda exc: self.show_error(step, exc),
                          label="today")

    def show_today(self) -> None:
        """F7: 今日结算 — Enter shows every field of the chosen settlement."""
        self.choose_settlement(self.tr("Today's settlements at this window. Enter shows all fields; F12 reprints, "
                                       "Ctrl+T partial refund; Ctrl+R reverses (from the main window)."), "today",
                               self._show_details_of)

    def reverse(self) -> None:
        self.choose_settlement(self.tr("Choose the settlement to REVERSE (Enter). A supervisor authorizes it next."),
                               "reverse", self._reverse_row)

    def _reverse_row(self, row) -> None:
        if not row.reversible:
            self.show_message(self.tr("Settlement %1 (%2, %3) cannot be reversed here.").replace(
                "%1", row.setl_id or row.msgid).replace("%2", row.psn_name).replace("%3", row.state_words), "warning")
            self.step_failed.emit("reverse", "not reversible")
            return
        label = self.tr("Reverse settlement %1 (%2, ¥ %3)").replace("%1", row.setl_id).replace(
            "%2", row.psn_name).replace("%3", fmt_display(Decimal(row.medfee_sumamt)))
        auth = self._authorize("reverse", label, row.setl_id)
        if auth is None:
            self.step_failed.emit("reverse", "not authorized")
            return
        counter = self.state.counter
        self._begin("reverse", self.tr("Reversing the settlement…"))
        self.tasks.run_db(lambda: counter.reverse(row.setl_id, auth, reason=auth.reason), self._reversed,
                          lambda exc: self.show_error("reverse", exc), label="reverse")

    def partial_refund(self) -> None:
        """Ctrl+T 部分退费: choose the settlement in 今日结算, then the returned lines (PartialRefundDialog)."""
        self.choose_settlement(self.tr("Choose the settlement for a PARTIAL REFUND (Enter): the returned lines are "
                                       "chosen next, a supervisor authorizes it."), "partial_refund",
                               self._partial_refund_row)

    def _partial_refund_row(self, row) -> None:
        from client.services import partial_refund as pr
        from client.services.checkout import settlement_record

        from .partialrefund import PartialRefundDialog

        ctx = self.state.ctx

        def load():
            pr.check(ctx, row.setl_id)
            info = pr.settlement_lines(ctx, row.setl_id)
            rec = settlement_record(ctx, info["settlement_id"])
            from client.domain.codes import PAYMENT_CHANNEL_NAMES, PAYMENT_METHOD_NAMES

            paid = [{"label": PAYMENT_CHANNEL_NAMES.get(p.get("channel") or "") or PAYMENT_METHOD_NAMES.get(
                p["method"], p["method"]), "amount": p["amount"]} for p in rec.get("payments") or []
                    if p["method"] != "account" and Decimal(p["amount"]) > 0]
            return info, paid

        def loaded(res) -> None:
            info, paid = res
            self._busy_step = ""
            self._update_buttons()
            dlg = PartialRefundDialog(info, paid, parent=self)
            self._dialog = dlg
            self.partial_dialog = dlg
            if not dlg.exec() or not dlg.specs:
                self.step_failed.emit("partial_refund", "cancelled")
                return
            label = self.tr("Partial refund of settlement %1 (%2, ¥ %3)").replace("%1", row.setl_id).replace(
                "%2", row.psn_name).replace("%3", fmt_display(Decimal(row.medfee_sumamt)))
            auth = self._authorize("reverse", label, row.setl_id)
            if auth is None:
                self.step_failed.emit("partial_refund", "not authorized")
                return
            specs = dlg.specs
            window_id = getattr(self.state.counter, "window", "") or ""
            self._begin("partial_refund", self.tr("Partial refund: reversing and settling the kept lines again…"))
            desk = self.state.desk

            def run():
                op = pr.start(ctx, row.setl_id, pr.Choice.parse(specs), auth, reason=auth.reason or "",
                              window=window_id)
                try:           # the paper after the commit; a print failure never undoes the refund
                    op["_receipt_path"] = desk.receipts.partial_refund(op["id"])
                except Exception as exc:  # noqa: BLE001 - reported on screen
                    op["_receipt_error"] = str(exc)
                return op

            self.tasks.run_db(run, self._partial_refunded, lambda exc: self.show_error("partial_refund", exc),
                              label="partial_refund")

        self._begin("partial_refund", self.tr("Reading the settlement's lines…"))
        self.tasks.run_db(load, loaded, lambda exc: self.show_error("partial_refund", exc), label="partial_refund")

    def _partial_refunded(self, op: dict) -> None:
        from client.services import partial_refund as pr

        old, new = op.get("old") or {}, op.get("new") or {}
        oi, ni = old.get("setlinfo") or {}, new.get("setlinfo") or {}
        text = self.tr("PARTIAL REFUND done — settlement %1 reversed, kept lines settled again as %2. Patient's cash "
                       "share ¥ %3 → ¥ %4, personal account ¥ %5 → ¥ %6 (the account difference goes back by the "
                       "insurance). Refund ¥ %7: %8.").replace("%1", str(op.get("old_setl_id"))).replace(
            "%2", str(op.get("new_setl_id"))).replace("%3", fmt_display(Decimal(op["old_psn_cash_pay"]))).replace(
            "%4", fmt_display(Decimal(op["new_psn_cash_pay"]))).replace(
            "%5", fmt_display(Decimal(oi.get("acct_pay") or "0"))).replace(
            "%6", fmt_display(Decimal(ni.get("acct_pay") or "0"))).replace(
            "%7", fmt_display(Decimal(op["refund_amount"]))).replace("%8", self.tr("; ").join(pr.refund_lines(op)))
        if op.get("_receipt_path"):
            text += " " + self.tr("Receipt %1.").replace("%1", Path(op["_receipt_path"]).name)
        elif op.get("_receipt_error"):
            text += " " + self.tr("The receipt could not be printed (%1).").replace("%1", op["_receipt_error"])
        self.confirmation.setText(text)
        self.confirmation.show()
        self.show_message(text, "warning")
        self._busy_step = ""
        self.st_busy.setText(self.tr("Partial refund done."))
        self._update_buttons()
        self.step_done.emit("partial_refund")

    def reversal_refund_text(self, record: dict) -> str:
        """What the cashier hands back after a reversal, and what went back by itself: cash from the
        drawer; payment-code shares refunded to their channels by the gateway (never from the drawer);
        other cards at their terminal. The personal account is restored by the platform."""
        trades = record.get("pay_trades") or []
        by_otn = {t["out_trade_no"]: t for t in trades}
        zero = Decimal("0.00")
        cash = other = zero
        for p in record.get("payments") or []:
            a = Decimal(p["amount"])
            if a <= 0 or p.get("method") == "account" or (p.get("ref") or "") in by_otn:
                continue
            if p.get("method") == "cash":
                cash += a
            else:
                other += a
        parts = [self.tr("refund the patient ¥ %1 in cash").replace("%1", fmt_display(cash))]
        for t in trades:
            if t["state"] in ("paid", "refunded"):
                back = Decimal(t["refunded"])
                if back >= Decimal(t["amount"]):
                    parts.append(self.tr("¥ %1 refunded to %2 (order %3)").replace("%1", fmt_display(back)).replace(
                        "%2", t["channel_name"]).replace("%3", t["out_trade_no"]))
                else:
                    parts.append(self.tr("¥ %1 to %2 NOT yet refunded (order %3; recovery retries it — do not pay "
                                         "it in cash)").replace("%1", fmt_display(Decimal(t["amount"]) - back)).replace(
                        "%2", t["channel_name"]).replace("%3", t["out_trade_no"]))
        if other > 0:
            parts.append(self.tr("¥ %1 by card: refund it at the POS terminal").replace("%1", fmt_display(other)))
        return self.tr("; ").join(parts)

    def _reversed(self, record: dict) -> None:
        text = self.tr("REVERSED — settlement %1 (%2) was cancelled; %3.").replace(
            "%1", str(record.get("setl_id"))).replace("%2", str((record.get("person") or {}).get("psn_name") or "")) \
            .replace("%3", self.reversal_refund_text(record))
        if self.record is not None and self.record.get("settlement_id") == record.get("settlement_id"):
            self.record = record
            self.settlement.show_amounts(record.get("setlinfo") or {}, text)
            self.confirmation.setText(text)
            self.confirmation.show()
        self.show_message(text, "warning")
        self._busy_step = ""
        self.st_busy.setText(self.tr("Settlement reversed."))
        self._update_buttons()
        self.step_done.emit("reverse")

    def collect_owed(self) -> None:
        """Ctrl+U 欠费补收: choose an owed share, scan the new payment code (or type the cash), a supervisor
        authorises, the share is charged exactly once (client.services.codepay.resolve_owed)."""
        from .owed import OwedCollectDialog, owed_rows

        store = self.state.ctx.store

        def shown(rows) -> None:
            self._busy_step = ""
            self._update_buttons()
            if not rows:
                self.show_message(self.tr("No share is owed at this window."), "info")
                self.step_failed.emit("owed", "nothing owed")
                return
            dlg = OwedCollectDialog(rows, parent=self)
            self._dialog = dlg
            if not dlg.exec() or dlg.tender is None or dlg.chosen is None:
                self.step_failed.emit("owed", "cancelled")
                return
            row, tender = dlg.chosen, dlg.tender
            label = self.tr("Collect the owed share of %1 (%2, ¥ %3)").replace(
                "%1", row.get("setl_id") or str(row["settlement_id"])).replace("%2", row.get("psn_name") or "") \
                .replace("%3", fmt_display(Decimal(row["amount"])))
            auth = self._authorize("reverse", label, f"owed:{row['owed_id']}")
            if auth is None:
                self.step_failed.emit("owed", "not authorized")
                return
            from client.services import codepay

            ctx = self.state.ctx
            self._begin("owed", self.tr("Collecting the owed share…"))
            self.tasks.run_db(lambda: codepay.resolve_owed(ctx, row["owed_id"], tender, by=str(auth.authorized_by)),
                              self._owed_collected, lambda exc: self.show_error("owed", exc), label="owed")

        self._begin("owed", self.tr("Reading the owed shares…"))
        self.tasks.run_db(lambda: owed_rows(store), shown, lambda exc: self.show_error("owed", exc), label="owed")

    def _owed_collected(self, doc: dict) -> None:
        self._busy_step = ""
        self._update_buttons()
        tr = doc.get("trade")
        if doc.get("method") == "code" and not doc.get("collected"):
            text = self.tr("NOT collected: %1 order %2 — %3. The ¥ %4 stays owed; ask for another code or cash.").replace(
                "%1", tr["channel_name"]).replace("%2", tr["out_trade_no"]).replace(
                "%3", tr.get("err_msg") or tr["state"]).replace("%4", doc["amount"])
            self.show_message(text, "warning")
            self.step_failed.emit("owed", "not collected")
            return
        how = (self.tr("%1, order %2").replace("%1", tr["channel_name"]).replace("%2", tr["out_trade_no"])
               if tr else self.tr("cash"))
        text = self.tr("Owed share collected: ¥ %1 (%2), authorised by %3.").replace("%1", doc["amount"]).replace(
            "%2", how).replace("%3", str(doc["resolved_by"]))
        self.show_message(text, "info")
        self.st_busy.setText(text)
        self.step_done.emit("owed")

    def reprint(self) -> None:
        self.choose_settlement(self.tr("Choose the settlement to REPRINT (Enter). A supervisor authorizes it next."),
                               "reprint", self._reprint_row)

    def _reprint_row(self, row) -> None:
        label = self.tr("Reprint the receipt of settlement %1 (%2)").replace("%1", row.setl_id or row.msgid).replace(
            "%2", row.psn_name)
        auth = self._authorize("reprint", label, row.setl_id or row.msgid)
        if auth is None:
            self.step_failed.emit("reprint", "not authorized")
            return
        self._begin("reprint", self.tr("Printing…"))
        self.tasks.run_db(lambda: self.state.desk.print_receipt(row.settlement_id, reprint=True), self._reprinted,
                          lambda exc: self.show_error("reprint", exc), label="reprint")

    def _reprinted(self, record: dict) -> None:
        self._busy_step = ""
        self.last_print = record
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
            "<tr><td><b>F4</b></td><td>the patient's unpaid HIS bills (several: tick with Space)</td></tr>"
            "<tr><td><b>Ctrl+F</b></td><td>search the catalogue (pinyin initials; 3*… for three), Enter adds</td></tr>"
            "<tr><td><b>F5</b></td><td>pre-settle with the insurance centre</td></tr>"
            "<tr><td><b>F6</b></td><td>personal account: use / do not use</td></tr>"
            "<tr><td><b>F7</b></td><td>today's settlements (search, all fields)</td></tr>"
            "<tr><td><b>F8</b></td><td>full self-pay (转自费), with the reason</td></tr>"
            "<tr><td><b>Alt+1…5</b></td><td>cash, bank card, WeChat, Alipay, e-CNY</td></tr>"
            "<tr><td><b>F9 / Enter</b></td><td>settle (in the tendered field)</td></tr>"
            "<tr><td><b>F12</b></td><td>reprint from today's list (supervisor, marked 补打)</td></tr>"
            "<tr><td><b>Esc</b></td><td>dismiss a message / next patient</td></tr>"
            "<tr><td><b>Ctrl+I</b></td><td>inpatient discharge settlement</td></tr>"
            "<tr><td><b>Ctrl+H</b></td><td>inpatient screen: admission, deposits, daily fees, discharge</td></tr>"
            "<tr><td><b>Ctrl+R</b></td><td>reverse a same-day settlement from today's list (supervisor)</td></tr>"
            "<tr><td><b>Ctrl+T</b></td><td>partial refund: return some lines of a same-day settlement (supervisor)</td></tr>"
            "<tr><td><b>Ctrl+U</b></td><td>collect an owed share (scan a new payment code, or cash)</td></tr>"
            "<tr><td><b>Ctrl+D / Ctrl+W</b></td><td>all settlement fields / why this amount</td></tr>"
            "<tr><td><b>Ctrl+S</b></td><td>synchronise</td></tr>"
            "<tr><td><b>Ctrl+J / Ctrl+K</b></td><td>adjustment records / open or close the shift</td></tr>"
            "<tr><td><b>Ctrl+L / Ctrl+Q</b></td><td>lock / sign out</td></tr></table>")
        box = QMessageBox(self)
        box.setWindowTitle(self.tr("Help"))
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(text)
        self._dialog = box
        box.open()

    # ---------------------------------------------------------------- training controls (培训)
    def _build_training_menu(self, mb) -> None:
        """培训: a trainer simulates outages of the training platform from the window (no shell)."""
        menu = mb.addMenu(self.tr("&Training"))
        self.training_menu = menu
        specs = [
            ("train_down", self.tr("Simulate: insurance centre offline"), [{"mode": "down"}]),
            ("train_slow", self.tr("Simulate: insurance centre slow (4 s)"), [{"mode": "latency", "delay_ms": 4000}]),
            ("train_his", self.tr("Simulate: HIS disconnected"), [{"mode": "drop-before", "infno": "his.*"}]),
            # the training payment gateway (docs/payments.md §4): the next payment code's charge
            ("train_pay_drop", self.tr("Simulate: payment gateway charges but the answer is lost"),
             [{"mode": "drop-after-commit", "infno": "pay.micropay", "next": 1}]),
            ("train_pay_slow", self.tr("Simulate: payment gateway slow (3 s)"),
             [{"mode": "latency", "infno": "pay.*", "delay_ms": 3000}]),
            ("train_pay_5xx", self.tr("Simulate: payment gateway error (HTTP 500)"),
             [{"mode": "http-500", "infno": "pay.micropay", "next": 1}]),
            ("train_ok", self.tr("Restore normal service"), []),
        ]
        self.training_actions = {}
        for name, text, rules in specs:
            act = QAction(text, self)
            act.setObjectName(f"act_{name}")
            act.triggered.connect(lambda _c=False, r=rules, t=text: self.training_fault(r, t))
            menu.addAction(act)
            self.training_actions[name] = act
        menu.addSeparator()
        box_specs = [
            ("box_person", self.tr("Scan box: a training person steps up…"), None),
            ("box_busy", self.tr("Scan box: busy"), "busy"),
            ("box_timeout", self.tr("Scan box: times out"), "timeout"),
            ("box_cancelled", self.tr("Scan box: the patient cancels"), "cancelled"),
        ]
        for name, text, fault in box_specs:
            act = QAction(text, self)
            act.setObjectName(f"act_{name}")
            if fault is None:
                act.triggered.connect(lambda _c=False: self.pick_scan_box_person())
            else:
                act.triggered.connect(lambda _c=False, f=fault, t=text: self.arm_scan_box(f, t))
            menu.addAction(act)
            self.training_actions[name] = act

    def pick_scan_box_person(self) -> bool:
        """培训: choose the training person at the training scan box (from the training card deck)."""
        from client.devices.cardreader import CardReaderError

        try:
            people = self.state.training_cards()
        except CardReaderError as exc:
            self.show_message(exc.message, "error")
            self.step_failed.emit("identify", exc.message)
            return False
        dlg = dialogs.ScanBoxPickerDialog(people, self)
        self._dialog = dlg
        if not dlg.exec() or not dlg.certno:
            return False
        self.state.scan_box().present(certno=dlg.certno)
        return True

    def arm_scan_box(self, fault: str, text: str) -> None:
        """培训: the training scan box's next try fails with ``fault`` (busy / timeout / cancelled)."""
        self.state.scan_box().arm(fault)
        self.show_message(self.tr("Training: %1 (next e-voucher / face try).").replace("%1", text), "info")

    def training_fault(self, rules: list[dict], text: str) -> None:
        """Replace the training platform's fault rules (clear, then add ``rules``) on the network pool."""
        platform = self.state.platform
        if platform is None:
            return
        import requests

        url = platform.url.rstrip("/") + "/admin/fault"

        def work():
            from client.services.errors import ServiceError

            try:
                requests.post(url, json={"clear": True}, timeout=5).raise_for_status()
                for r in rules:
                    requests.post(url, json=r, timeout=5).raise_for_status()
            except requests.RequestException:
                raise ServiceError("offline", "培训平台没有应答，模拟故障未能设置。") from None
            return text

        def done(t) -> None:
            self.st_busy.setText(self.tr("Training: %1.").replace("%1", t))
            if not rules:
                self.system_faults.clear()
            self.check_connectivity()
            self.step_done.emit("training_fault")

        self.tasks.run_net(work, done, lambda exc: self.show_error("training_fault", exc), label="training fault")

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
        self._stop_hospital()
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


__all__ = ["MainWindow", "camera_available", "fmt2"]
