"""The cashier identifies by e-voucher (training scan box) and by face check in the real window on the
training platform: the panel shows the person and the method (识别方式); a scan-box fault is a Chinese
message and no patient."""

from __future__ import annotations

from tests.gui.conftest import expect_step, scanner_types, sign_in, training_person

SHEN_MING = "330421198503150016"      # 沈明 (docs/demo-data.md)
ZHANG_WEI = "310118199001010036"      # 张伟


def test_gui_identify_by_e_voucher_face_and_wedge(qtbot, window, app_state):
    sign_in(qtbot, window)
    shen = training_person(app_state, SHEN_MING)
    assert len(shen["ecqr"]) == 28 and shen["ecqr"].isdigit()
    box = app_state.scan_box()
    box.present(ec_code=shen["ecqr"])                 # what the training menu does: 沈明 at the scan box
    with expect_step(qtbot, window, "identify") as r:
        window.act_ecvoucher.trigger()
    assert r.get("ok"), r
    assert window.patient.name.text() == "沈明"
    assert window.patient.certno.text() == "330421********0016"
    assert window.patient.method_caption.text().startswith("识别方式")
    assert window.patient.method.text() == "医保电子凭证"
    assert app_state.counter.person.mdtrt_cert_type == "01" and app_state.counter.person.method == "ecvoucher"

    box.present(certno=ZHANG_WEI)                     # 张伟 faces the camera
    with expect_step(qtbot, window, "identify") as r:
        window.act_face.trigger()
    assert r.get("ok"), r
    assert window.patient.name.text() == "张伟" and window.patient.method.text() == "刷脸"

    box.present(certno=SHEN_MING)
    box.arm("cancelled")
    with expect_step(qtbot, window, "identify") as r:
        window.act_face.trigger()
    assert not r.get("ok")
    assert "取消" in window.message_text.text() and window.patient.method.text() == "—"
    assert app_state.counter.person is None

    with expect_step(qtbot, window, "identify") as r:   # the keyboard-wedge path still works
        scanner_types(qtbot, shen["ecqr"])
    assert r.get("ok"), r
    assert window.patient.name.text() == "沈明" and window.patient.method.text() == "扫码枪"


def test_gui_training_menu_arms_the_scan_box_and_picks_the_person(qtbot, window, app_state):
    from client.ui.dialogs import ScanBoxPickerDialog
    from tests.gui.conftest import when_modal

    sign_in(qtbot, window)
    window.training_actions["box_timeout"].trigger()         # the trainer arms a fault from the menu
    app_state.scan_box().present(certno=SHEN_MING)
    with expect_step(qtbot, window, "identify") as r:
        window.act_ecvoucher.trigger()
    assert "超时" in r.get("failed", "") and app_state.counter.person is None
    with expect_step(qtbot, window, "identify") as r:        # nothing lost: 沈明 is still at the box
        window.act_ecvoucher.trigger()
    assert r.get("ok"), r
    assert window.patient.name.text() == "沈明"

    def pick(dlg):                                           # nobody at the box: the picker opens
        for i in range(dlg.list.count()):
            if dlg.list.item(i).data(256).split("|")[1] == ZHANG_WEI:
                dlg.list.setCurrentRow(i)
        dlg.accept()

    when_modal(ScanBoxPickerDialog, pick)
    with expect_step(qtbot, window, "identify") as r:
        window.act_face.trigger()
    assert r.get("ok"), r
    assert window.patient.name.text() == "张伟" and window.patient.method.text() == "刷脸"


def test_gui_identify_by_card_and_by_id_number_shows_the_method(qtbot, window, app_state):
    """F2 (training card reader) and F3 (ID number typed at human speed): the panel names the method."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from client.ui.dialogs import CardPickerDialog, IdEntryDialog
    from tests.gui.conftest import press, when_modal

    sign_in(qtbot, window)

    def pick(dlg):
        row = next(i for i in range(dlg.list.count()) if dlg.list.item(i).text().startswith("张伟"))
        dlg.list.setCurrentRow(row)
        QTest.keyClick(dlg.list, Qt.Key.Key_Return)

    when_modal(CardPickerDialog, pick)
    with expect_step(qtbot, window, "identify") as r:
        press(Qt.Key.Key_F2)
    assert r.get("ok"), r
    assert window.patient.name.text() == "张伟" and window.patient.method.text() == "社保卡"
    assert app_state.counter.person.mdtrt_cert_type == "03"

    press(Qt.Key.Key_Escape)

    def fill(dlg):
        dlg.activateWindow()
        dlg.edit.setFocus()
        for ch in SHEN_MING:
            QTest.keyClick(QApplication.focusWidget() or dlg.edit, ch)
            qtbot.wait(60)
        qtbot.wait(150)
        QTest.keyClick(QApplication.focusWidget() or dlg.edit, Qt.Key.Key_Return)

    when_modal(IdEntryDialog, fill)
    with expect_step(qtbot, window, "identify") as r:
        press(Qt.Key.Key_F3)
    assert r.get("ok"), r
    assert window.patient.name.text() == "沈明" and window.patient.method.text() == "身份证号"
    assert app_state.counter.person.mdtrt_cert_type == "02"
