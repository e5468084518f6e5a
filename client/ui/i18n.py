"""UI language: English source strings (``self.tr()``), Chinese (zh_CN) by default.

Translations live in ``resources/translations/medsettle_<lang>.ts`` (committed) and are compiled
to ``.qm`` by ``python -m client.ui.i18n_build`` (dev.sh runs it; ``.qm`` files are git-ignored).
:func:`install_translators` loads ours plus Qt's own ``qtbase_<lang>`` (standard buttons such as
OK/Cancel). When the ``.qm`` is missing in a source checkout it is built on the fly.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from client.resources import resource

log = logging.getLogger("client.ui.i18n")

LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"


def normalize_language(lang: str | None) -> str:
    if not lang:
        return DEFAULT_LANGUAGE
    low = lang.replace("-", "_").lower()
    if low.startswith("en"):
        return "en"
    if low.startswith("zh"):
        return "zh_CN"
    raise ValueError(f"不支持的界面语言 {lang!r}，可选 zh_CN 或 en")


def qm_path(lang: str):
    return resource("translations", f"medsettle_{lang}.qm")


def install_translators(app: QCoreApplication, lang: str) -> list[QTranslator]:
    """Install the translators for ``lang``; returns them (keep a reference for the app's life)."""
    lang = normalize_language(lang)
    QLocale.setDefault(QLocale("zh_CN" if lang == "zh_CN" else "en_US"))
    out: list[QTranslator] = []
    if lang == "en":
        return out                      # English is the source language
    path = qm_path(lang)
    if not path.exists():
        try:
            from client.ui.i18n_build import build

            build(merge=False)
        except Exception:  # noqa: BLE001 - a missing toolchain must not stop the window
            log.exception("could not build the translations")
    ours = QTranslator(app)
    if ours.load(str(path)):
        app.installTranslator(ours)
        out.append(ours)
    else:
        log.error("translation file %s could not be loaded; the window will show English", path)
    qt = QTranslator(app)
    if qt.load(f"qtbase_{lang}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        out.append(qt)
    return out
