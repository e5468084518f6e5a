"""Translations: the zh_CN catalogue is complete and up to date with the sources; --lang en shows
the English source strings."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET

from client.ui import i18n_build


def _unfinished(ts_path) -> list[str]:
    root = ET.parse(ts_path).getroot()
    bad = []
    for m in root.iter("message"):
        tr = m.find("translation")
        if tr is None or tr.get("type") in ("unfinished", "vanished", "obsolete") or not (tr.text or "").strip():
            bad.append(m.find("source").text)
    return bad


def test_gui_zh_cn_translation_complete():
    assert _unfinished(i18n_build.ts_path("zh_CN")) == []


def test_gui_zh_cn_translation_up_to_date(tmp_path):
    """lupdate over the current sources adds nothing untranslated (run i18n_build after editing UI text)."""
    ts = tmp_path / "medsettle_zh_CN.ts"
    shutil.copy(i18n_build.ts_path("zh_CN"), ts)
    subprocess.run([*i18n_build._tool("lupdate"), "-silent", "-locations", "none",
                    *[str(s) for s in i18n_build.sources()], "-target-language", "zh_CN", "-ts", str(ts)], check=True)
    assert _unfinished(ts) == []


def test_gui_language_switch(qapp):
    from PySide6.QtCore import QCoreApplication

    from client.ui.i18n import normalize_language

    assert normalize_language(None) == "zh_CN"
    assert normalize_language("en_US") == "en"
    # the session fixture installed zh_CN
    assert QCoreApplication.translate("PaymentPanel", "Amount due") == "应收"
    assert QCoreApplication.translate("PaymentPanel", "no such source text") == "no such source text"
