"""Start the cashier window: ``medsettle`` (no subcommand) calls :func:`run_window`.

* ``--training`` starts the embedded training central platform on a free loopback port
  (``<data>/training-platform``), uses the training settings (H31011800001 上海市青浦区培训医院),
  seeds the documented training accounts (``client.services.operators.seed_training_operators``:
  cashier 0001, supervisors 0009 and 0008 — the same accounts as the CLI), imports the shipped
  training policy parameters (``client.services.policies.seed_training_policies``) and marks every
  screen and receipt 培训模式.
* Without a site configuration the first-run dialog offers training mode or the settings dialog.
* ``--lang en`` switches to English (the source language); zh_CN is the default.

:class:`AppState` holds what lives as long as the window: settings, the service context, the
counter, the operator repository, the embedded platform. Tests build it with
:func:`start_training` and drive the real :class:`~client.ui.mainwindow.MainWindow`.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from client.ui.runtime import bulk_gc, run_lowered

if TYPE_CHECKING:
    from collections.abc import Callable

    from client.config import Settings
    from client.devices.cardreader import SimulatedCardReader
    from client.services.cashdesk import CashDesk
    from client.services.checkout import Counter
    from client.services.connectivity import ConnectivityMonitor
    from client.services.context import ServiceContext
    from client.services.operators import OperatorService, StoreOperatorRepository
    from training_platform.server import EmbeddedPlatform

log = logging.getLogger("client.ui.app")


@dataclass
class AppState:
    """What lives as long as the window — nothing else. The use cases are services:
    :class:`~client.services.checkout.Counter` (one patient's checkout) and
    :class:`~client.services.cashdesk.CashDesk` (receipts, offline and 转自费, recovery, adjustments,
    shifts); the window's controllers call them on worker threads."""

    settings: Settings
    ctx: ServiceContext
    counter: Counter
    desk: CashDesk
    operators: StoreOperatorRepository
    operator_service: OperatorService | None = None     # audited sign-in
    platform: EmbeddedPlatform | None = None             # the training platform (培训模式 only)
    monitor: ConnectivityMonitor | None = None
    card_reader: SimulatedCardReader | None = None
    identify_device: Any = None     # client.devices.identify.PatientIdentifier for e-voucher / face
    closers: list[Callable[[], None]] = field(default_factory=list)

    # -- training -----------------------------------------------------------------------------
    @property
    def training(self) -> bool:
        return bool(self.settings.training.enabled)

    def training_hint(self) -> str:
        if not self.training:
            return ""
        from client.ui.accounts import training_hint

        return training_hint(self.settings.security.min_password_length)

    def training_supervisor_hint(self) -> str:
        if not self.training:
            return ""
        from client.ui.accounts import supervisor_hint

        return supervisor_hint()

    def scan_box(self):
        """The e-voucher / face device: in training mode the training scan box (the training menu or a
        test puts a training person in front of it), else the NHSA e-voucher SDK (Windows)."""
        from client.services.identify import ec_sdk, training_scan_box

        if self.identify_device is None:
            self.identify_device = training_scan_box(self.ctx) if self.training else ec_sdk(self.ctx)
        self.identify_device.operator = self.ctx.operator
        return self.identify_device

    def training_cards(self) -> list[dict]:
        """The training card deck from the training platform's device API, labelled for the picker."""
        from client.devices.cardreader import training_card_deck
        from client.domain.regions import region_name

        if self.platform is None:
            return []
        out = []
        for c in training_card_deck(self.settings.platform.url):
            try:
                place = region_name(c.get("insuplc_admdvs"))
            except ValueError:
                place = c.get("insuplc_admdvs") or ""
            out.append({"label": f"{c.get('psn_name')}  {c.get('certno_masked')}  {place}", "card_data": c["card_data"]})
        return out

    def run_sync(self, progress) -> str:
        from client.services.sync import PHASE_NAMES, SyncService

        def prog(done: int, total: int, phase: str) -> None:
            progress(PHASE_NAMES.get(phase, phase), done, total)
            time.sleep(0)        # between pages: hand the GIL to the GUI thread (releases it at once)

        from client.services.hospital_catalog import hospital_source

        def run():
            src = hospital_source(self.ctx)     # hospital mode: 13xx files and policy bundles from the hospital store
            with src:
                out = SyncService(self.ctx, prog).run()
                src.pull_policies()
                return out

        with bulk_gc():
            summary = run_lowered(run, name="medsettle-sync")
        try:
            from client.services.housekeeping import recover

            rep = recover(self.ctx)
            extra = rep.message() if hasattr(rep, "message") else ""
        except Exception as exc:  # noqa: BLE001 - shown to the cashier, sync itself succeeded
            log.exception("recovery after sync failed")
            extra = f"结果待确认的结算查询失败：{exc}"
        d = summary.to_dict() if hasattr(summary, "to_dict") else {}
        rows = d.get("catalog_rows")
        text = f"目录 {rows} 条" if rows is not None else ""
        failed = d.get("failed") or {}
        missing = f"未同步：{'；'.join(f'{k} {v}' for k, v in failed.items())}" if failed else ""
        return "；".join(x for x in (text, missing, extra) if x)

    def close(self) -> None:
        for c in reversed(self.closers):
            try:
                c()
            except Exception:  # noqa: BLE001 - closing must go on
                log.exception("error while closing")
        self.closers.clear()


def show_main_window(win) -> None:
    """The counter opens maximised: with a title bar and a panel on a 1366×768 screen nothing falls off
    the bottom (the window's minimum size fits the available area, not the whole screen)."""
    win.resize(1366, 768)
    win.showMaximized()


def _platform_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "training-platform"


def build_state(settings, *, platform=None) -> AppState:
    """Open the store, the service context and the counter for ``settings``. Nothing heavy is
    imported here (see :data:`PREIMPORT`): the window shows first."""
    from client.devices.cardreader import SimulatedCardReader
    from client.services.cashdesk import CashDesk
    from client.services.checkout import Counter
    from client.services.connectivity import ConnectivityMonitor
    from client.services.context import open_context
    from client.services.fees import HttpHisAdapter
    from client.ui.accounts import OperatorService, StoreOperatorRepository, seed_training_operators

    ctx = open_context(settings)
    try:
        repo = StoreOperatorRepository(ctx.store)
        service = OperatorService.from_settings(ctx.store, settings)
        if settings.training.enabled:
            # the documented training accounts, the same as the CLI's (docs/security.md)
            seed_training_operators(ctx.store, settings)
            # and the shipped training policy parameters (resources/policies, imported like a site's files)
            from client.services.policies import seed_training_policies

            seed_training_policies(ctx.store)
        his = HttpHisAdapter(settings.platform.url, settings.site.fixmedins_code) if settings.training.enabled else None
        counter = Counter(ctx, his=his, window=settings.window_id or "01")
        desk = CashDesk(ctx, counter=counter, send_to_printer=_qt_printer)
        monitor = ConnectivityMonitor.for_context(ctx)
        reader = SimulatedCardReader() if settings.training.enabled else None
        state = AppState(settings=settings, ctx=ctx, counter=counter, desk=desk, operators=repo,
                         operator_service=service, platform=platform, monitor=monitor, card_reader=reader)
    except BaseException:
        ctx.close()
        raise
    state.closers.append(ctx.close)
    return state


def _qt_printer(pdf: bytes, printer_name: str) -> str:
    """The receipt printer for the window's receipts (QPrinter or the spooler)."""
    from client.printing.qtprint import print_pdf

    return print_pdf(pdf, printer_name)


def start_training(data_dir: Path, *, window: str = "01", password_check: bool = False,
                   hospital_url: str | None = None) -> AppState:
    """Embedded training platform + training settings + state (also used by tests/screenshots).
    ``password_check``: the platform checks the patient's password (验密) and the window asks for it.
    ``hospital_url``: a training window of a hospital store (its role's password in the SecretStore
    as ``hospital-db``)."""
    from client.config import training_settings
    from training_platform.server import EmbeddedPlatform

    data_dir = Path(data_dir)
    platform = EmbeddedPlatform(_platform_dir(data_dir), password_check=password_check).start()
    try:
        settings = replace(training_settings(platform.url, data_dir), window_id=window)
        if hospital_url:
            settings = replace(settings, hospital=replace(settings.hospital, url=hospital_url))
        if password_check:
            key = data_dir / "training-password-key.pem"
            key.write_bytes(platform.platform.password.public_pem())
            settings = replace(settings, platform=replace(settings.platform, password_check=True,
                                                          password_public_key=str(key)))
        state = build_state(settings, platform=platform)
    except BaseException:
        platform.stop()
        raise
    state.closers.insert(0, platform.stop)
    return state


def _bundled_cjk_family() -> str | None:
    """Register the bundled WenQuanYi Micro Hei (the receipts' font, Apache-2.0) with Qt once and return
    its family: a fresh Linux machine may have no Chinese font, and the window must never show boxes."""
    from PySide6.QtGui import QFontDatabase

    from client.resources import resource

    global _CJK_FAMILY
    if _CJK_FAMILY is None:
        fid = QFontDatabase.addApplicationFont(str(resource("fonts", "wqy-microhei.ttc")))
        families = QFontDatabase.applicationFontFamilies(fid) if fid >= 0 else []
        _CJK_FAMILY = families[0] if families else ""
    return _CJK_FAMILY or None


_CJK_FAMILY: str | None = None


def _apply_look(app, settings) -> None:
    from PySide6.QtGui import QFont

    from client.resources import resource

    font = QFont(app.font())
    cjk = _bundled_cjk_family()
    if cjk:
        # the system's UI font first, the bundled Chinese font for every glyph it lacks
        font.setFamilies([*dict.fromkeys([*font.families(), cjk])])
    base = 11.0 if not settings.ui.large_font else 13.5
    font.setPointSizeF(base)
    app.setFont(font)
    parts = [resource("styles", "medsettle.qss")]
    if settings.ui.large_font:
        parts.append(resource("styles", "large.qss"))
    app.setStyleSheet("\n".join(p.read_text(encoding="utf-8") for p in parts if p.exists()))


def make_application(argv: list[str] | None = None, lang: str | None = None):
    """The QApplication with translators installed (returns (app, translators))."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from client.ui.i18n import install_translators
    from client.ui.qtcompat import check_binding

    check_binding()

    app = QApplication.instance()
    if app is None:
        QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv or [sys.argv[0]])
    app.setApplicationName("MedSettle")
    app.setOrganizationName("MedSettle")
    translators = install_translators(app, lang or "zh_CN")
    return app, translators


def _settings_for_args(args):
    """(settings or None, reason) from the CLI args; None = no configuration yet."""
    from client.config import ConfigInvalid, cli_overrides, default_config_path, load_settings

    config = getattr(args, "config", None)
    if config is None and default_config_path() is None:
        return None, ""
    try:
        return load_settings(config, overrides=cli_overrides(args)), ""
    except ConfigInvalid as exc:
        return None, str(exc)


def run_window(args) -> int:
    """Entry point for ``medsettle`` without a subcommand."""
    from PySide6.QtWidgets import QMessageBox

    from client.config import default_data_dir
    from client.services.errors import ServiceError
    from client.ui.dialogs import FirstRunDialog, SettingsDialog
    from client.ui.i18n import normalize_language

    try:
        lang = normalize_language(getattr(args, "lang", None))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    app, _translators = make_application(lang=lang)
    data_dir = Path(getattr(args, "data", None) or default_data_dir())
    state = None
    try:
        if getattr(args, "training", False):
            state = start_training(data_dir, window=getattr(args, "window", None) or "01",
                                   hospital_url=getattr(args, "hospital", None))
        else:
            settings, problem = _settings_for_args(args)
            if settings is None and problem:
                QMessageBox.critical(None, "MedSettle", f"站点配置有误，窗口无法启动：\n{problem}\n\n"
                                                        "请联系信息科用 medsettle config check 检查。")
                return 2
            if settings is None:
                first = FirstRunDialog()
                if not first.exec():
                    return 0
                if first.choice == FirstRunDialog.TRAINING:
                    state = start_training(data_dir)
                else:
                    from client.config import _config_candidates

                    path = Path(os.environ.get("MEDSETTLE_CONFIG") or _config_candidates()[-1])
                    dlg = SettingsDialog(path)
                    if not dlg.exec():
                        return 0
                    settings, problem = _settings_for_args(type("A", (), {"config": str(path),
                                                                          "data": getattr(args, "data", None)})())
                    if settings is None:
                        QMessageBox.critical(None, "MedSettle", problem or "配置写入后无法读取。")
                        return 2
            if state is None:
                state = build_state(settings)
    except ServiceError as exc:
        QMessageBox.critical(None, "MedSettle", f"{exc.message}\n\n请联系信息科。")
        if state is not None:
            state.close()
        return 2
    try:
        from client.ui.mainwindow import MainWindow

        _apply_look(app, state.settings)
        win = MainWindow(state)
        show_main_window(win)
        if not win.sign_in_dialog():
            win.close()
            return 0
        return int(app.exec())
    finally:
        try:
            win.shutdown()  # type: ignore[possibly-undefined]
        except NameError:
            pass
        state.close()
