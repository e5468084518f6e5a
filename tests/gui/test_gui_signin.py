"""Sign-in through the real dialogs with the ONE set of training accounts (client.services.operators,
the same as the CLI): the hint names them, 0001's initial password must be changed at the first
sign-in (ChangePasswordDialog), cancelling the change leaves nobody signed in."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel

from tests.gui.conftest import CASHIER, CASHIER_INITIAL, SUPERVISOR, SUPERVISOR_PASSWORD


class DialogScript:
    """Answers modal dialogs as they open: ``handlers`` maps a dialog class to a list of callables,
    used in order, one per opening of that class (polled every 20 ms, gives up after ~20 s)."""

    def __init__(self, handlers: dict):
        self.handlers = {cls: list(fns) for cls, fns in handlers.items()}
        self.seen: list[str] = []
        self._done: set[int] = set()
        self._ticks = 0
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._poll)
        self.timer.start()

    def _poll(self) -> None:
        self._ticks += 1
        if self._ticks > 1000:
            self.timer.stop()
            w = QApplication.activeModalWidget()
            if w is not None:
                w.reject()
            return
        w = QApplication.activeModalWidget()
        if w is None or id(w) in self._done or not w.isVisible():
            return
        for cls, fns in self.handlers.items():
            if isinstance(w, cls) and fns:
                self._done.add(id(w))
                self.seen.append(cls.__name__)
                fns.pop(0)(w)
                return

    def stop(self) -> None:
        self.timer.stop()


def test_gui_first_sign_in_forces_password_change(qtbot, window, app_state):
    from client.services.operators import OperatorService, seed_training_operators
    from client.ui.dialogs import ChangePasswordDialog, OpenShiftDialog, SignInDialog

    # the window seeded exactly the CLI's training accounts: seeding again creates nothing
    assert seed_training_operators(app_state.ctx.store, app_state.settings) == []
    assert {o.code for o in app_state.operators.list_operators()} == {"0001", "0008", "0009"}
    assert app_state.operators.get_operator(CASHIER).must_change_password
    seen: dict = {}

    def sign_in_dlg(dlg: SignInDialog):
        hint = dlg.findChild(QLabel, "trainingHint")
        seen["hint"] = hint.text() if hint is not None else ""
        dlg.code.setText(CASHIER)
        dlg.password.setText("Super-0009")              # the old window-only password: refused now
        dlg.accept()
        seen["wrong"] = dlg.error.text()
        dlg.password.setText(CASHIER_INITIAL)
        dlg.accept()

    def change_dlg(dlg: ChangePasswordDialog):
        dlg.new_password.setText("Practice-0001")
        dlg.repeat.setText("Practice-0002")             # typed differently
        dlg.accept()
        seen["mismatch"] = dlg.error.text()
        dlg.new_password.setText("20260824")            # only digits: the policy refuses it
        dlg.repeat.setText("20260824")
        dlg.accept()
        seen["weak"] = dlg.error.text()
        dlg.new_password.setText("Practice-0001")
        dlg.repeat.setText("Practice-0001")
        dlg.accept()

    def shift_dlg(dlg: OpenShiftDialog):
        dlg.accept()

    script = DialogScript({SignInDialog: [sign_in_dlg], ChangePasswordDialog: [change_dlg],
                           OpenShiftDialog: [shift_dlg]})
    try:
        with qtbot.waitSignal(window.step_done, timeout=20000, check_params_cb=lambda s: s == "sign_in"):
            assert window.sign_in_dialog() is True
    finally:
        script.stop()
    assert script.seen == ["SignInDialog", "ChangePasswordDialog", "OpenShiftDialog"]
    assert "0001 / Train-0001" in seen["hint"] and "首次登录须修改密码" in seen["hint"]
    assert "0009 / Train-0009" in seen["hint"] and "0008 / Train-0008" in seen["hint"]
    assert "Super-0009" not in seen["hint"]
    assert "密码错误" in seen["wrong"]
    assert "不一致" in seen["mismatch"] or "不同" in seen["mismatch"]
    assert "数字" in seen["weak"]
    assert window.operator.code == CASHIER
    assert not app_state.operators.get_operator(CASHIER).must_change_password
    # the CLI's service on the same store accepts the changed password and the supervisors' passwords
    cli = OperatorService(app_state.ctx.store)
    assert not cli.sign_in(CASHIER, "Practice-0001").must_change_password
    assert cli.sign_in(SUPERVISOR, SUPERVISOR_PASSWORD).operator.role == "supervisor"
    with app_state.ctx.store.read_connection() as conn:
        acts = [r[0] for r in conn.exec_driver_sql("SELECT action FROM audit_events ORDER BY seq").fetchall()]
    assert "signin_failed" in acts and "password_change" in acts and "signin" in acts


def test_gui_cancelled_password_change_is_no_sign_in(qtbot, window, app_state):
    from client.ui.dialogs import ChangePasswordDialog, SignInDialog

    def sign_in_dlg(dlg):
        dlg.code.setText(CASHIER)
        dlg.password.setText(CASHIER_INITIAL)
        dlg.accept()

    script = DialogScript({SignInDialog: [sign_in_dlg, lambda d: d.reject()],
                           ChangePasswordDialog: [lambda d: d.reject()]})
    try:
        assert window.sign_in_dialog() is False
    finally:
        script.stop()
    assert script.seen == ["SignInDialog", "ChangePasswordDialog", "SignInDialog"]   # back to the sign-in
    assert window.operator is None
    assert app_state.operators.get_operator(CASHIER).must_change_password
