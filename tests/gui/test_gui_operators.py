"""系统 → 操作员管理 in the window (issue #15 scope 7): a supervisor signed in at the window proves who
they are again, adds a cashier by typing at human speed, is refused what only an admin may do, and
disables the cashier; the screen says so and the store and audit trail record it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit

from tests.gui.conftest import SUPERVISOR, SUPERVISOR_PASSWORD, press, sign_in, type_keys, when_modal


def _events(store, action):
    from sqlalchemy import text

    with store.read_session() as s:
        return [dict(r._mapping) for r in s.execute(text("select actor, action, detail_json from audit_events "
                                                          "where action = :a order by seq"), {"a": action})]


def test_gui_supervisor_manages_a_cashier(qtbot, window, app_state):
    from client.ui.dialogs import OperatorsDialog

    win = window
    sign_in(qtbot, win, SUPERVISOR)
    seen: dict = {}

    def script(dlg: OperatorsDialog):
        try:
            steps(dlg)
        except BaseException as exc:     # never leave the modal dialog open: report after exec() returns
            seen["error"] = exc
            seen["disabled"] = None
            dlg.reject()

    def focus(w) -> None:
        dlg_ = w.window()
        dlg_.activateWindow()
        w.setFocus()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is w, timeout=5000)

    def steps(dlg: OperatorsDialog):
        assert dlg.actor_code.text() == SUPERVISOR              # the signed-in supervisor is prefilled
        assert dlg.actor_password.echoMode() == QLineEdit.EchoMode.Password
        focus(dlg.actor_password)
        type_keys(qtbot, "wrong-pass")
        qtbot.wait(200)
        press(Qt.Key.Key_Return)
        seen["wrong"] = dlg.error.text()
        assert not dlg.btn_add.isEnabled()
        focus(dlg.actor_password)
        type_keys(qtbot, SUPERVISOR_PASSWORD)
        qtbot.wait(200)
        press(Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dlg.btn_add.isEnabled(), timeout=5000)
        seen["rows_before"] = dlg.table.rowCount()
        for field, value in ((dlg.code, "0101"), (dlg.name, "Wang"), (dlg.password, "Counter-0101"),
                             (dlg.password2, "Counter-0101")):
            focus(field)
            type_keys(qtbot, value, "human")
            qtbot.wait(200)        # a person moves to the next field; the scanner filter delivers the last key
        QTest.mouseClick(dlg.btn_add, Qt.MouseButton.LeftButton)
        seen["added"] = dlg.message.text()
        assert not dlg.error.isVisible(), (dlg.error.text(), dlg.code.text(), dlg.name.text())
        seen["rows_after"] = dlg.table.rowCount()
        # a supervisor may not make anybody a supervisor
        row = next(i for i in range(dlg.table.rowCount()) if dlg.table.item(i, 0).text() == "0101")
        dlg.table.selectRow(row)
        dlg.role.setCurrentIndex(dlg.role.findData("supervisor"))
        QTest.mouseClick(dlg.btn_role, Qt.MouseButton.LeftButton)
        seen["role_refused"] = dlg.error.text()
        dlg.table.selectRow(row)
        focus(dlg.reason)
        type_keys(qtbot, "transfer", "human")
        qtbot.wait(200)
        QTest.mouseClick(dlg.btn_toggle, Qt.MouseButton.LeftButton)
        seen["disabled"] = dlg.message.text()
        seen["state_cell"] = dlg.table.item(row, 3).text()
        seen["labels"] = " ".join(w.text() for w in dlg.findChildren(QLabel))
        dlg.reject()

    when_modal(OperatorsDialog, script)
    win.act_operators.trigger()
    qtbot.waitUntil(lambda: "disabled" in seen, timeout=30000)
    assert QApplication.activeModalWidget() is None
    if "error" in seen:
        raise seen["error"]

    assert "密码错误" in seen["wrong"]
    assert seen["rows_after"] == seen["rows_before"] + 1
    assert "0101" in seen["added"] and "首次登录" in seen["added"]
    assert "只能管理收费员" in seen["role_refused"]
    assert "已停用" in seen["disabled"] and "停用" in seen["state_cell"]
    assert "Counter-0101" not in seen["labels"] and SUPERVISOR_PASSWORD not in seen["labels"]

    op = app_state.operators.get_operator("0101")
    assert op is not None and op.role == "cashier" and op.active is False and op.must_change_password
    store = app_state.ctx.store
    created = _events(store, "operator_create")
    assert any(e["actor"] == SUPERVISOR and "0101" in e["detail_json"] for e in created)
    assert [e["actor"] for e in _events(store, "operator_disable")] == [SUPERVISOR]
    refused = _events(store, "operator_admin_refused")
    assert {e["actor"] for e in refused} == {SUPERVISOR} and len(refused) == 2   # wrong password, role
    for e in created + refused:
        assert "Counter-0101" not in (e["detail_json"] or "")
