"""日常 → 目录对照 (issue 16 scope 5): the read-only list of items not yet mapped, in Chinese."""

from __future__ import annotations

from client.security.operators import Operator as SecOperator
from tests.gui.conftest import sign_in, when_modal


def test_gui_lists_unmapped_items(qtbot, window, app_state, tmp_path):
    from client.services import mapping
    from client.ui.dialogs import MappingsDialog

    it = SecOperator(code="IT01", name="信息科", role="admin", password_hash="x", must_change_password=False)
    f = tmp_path / "m.csv"
    f.write_text("院内编码,院内名称,医保编码,目录类别\nZL0001,普通门诊诊查费,001102000010000,201\n", encoding="utf-8")
    assert mapping.import_file(app_state.ctx, f, actor=it).added == 1
    win = window
    sign_in(qtbot, win)
    seen: dict = {}

    def fill(dlg: MappingsDialog) -> None:
        seen["title"] = dlg.windowTitle()
        seen["summary"] = dlg.summary.text()
        seen["row"] = [dlg.table.item(0, c).text() for c in range(dlg.table.columnCount())]
        seen["header"] = dlg.table.horizontalHeaderItem(0).text()
        dlg.reject()

    opened = when_modal(MappingsDialog, fill)
    win.act_mappings.trigger()
    qtbot.waitUntil(lambda: bool(opened) and "row" in seen, timeout=10000)
    assert seen["title"] == "目录对照（未对照项目）" and seen["header"] == "院内编码"
    assert "有 1 项未对照" in seen["summary"]
    assert seen["row"][:4] == ["ZL0001", "普通门诊诊查费", "001102000010000", "未上传"]
