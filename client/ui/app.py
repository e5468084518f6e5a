"""Start the cashier window: ``medsettle`` (no subcommand) calls :func:`run_window`.

* ``--training`` starts the embedded training central platform on a free loopback port
  (``<data>/training-platform``), uses the training settings (H31011800001 上海市青浦区培训医院),
  seeds the training cashier 0001 and supervisor 0009 and marks every screen and receipt 培训模式.
* Without a site configuration the first-run dialog offers training mode or the settings dialog.
* ``--lang en`` switches to English (the source language); zh_CN is the default.

:class:`AppState` holds what lives as long as the window: settings, the service context, the
counter, the operator repository, the embedded platform. Tests build it with
:func:`start_training` and drive the real :class:`~client.ui.mainwindow.MainWindow`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

log = logging.getLogger("client.ui.app")


@dataclass
class AppState:
    settings: Any
    ctx: Any
    counter: Any
    operators: Any
    platform: Any = None                 # EmbeddedPlatform in training
    monitor: Any = None
    card_reader: Any = None
    receipts_dir: Path | None = None
    closers: list = field(default_factory=list)

    # -- training -----------------------------------------------------------------------------
    @property
    def training(self) -> bool:
        return bool(self.settings.training.enabled)

    def training_hint(self) -> str:
        if not self.training:
            return ""
        from client.ui.accounts import training_accounts

        acc = "；".join(f"{a.name} {a.code} / {a.password}" for a in training_accounts())
        return f"培训模式账号（仅培训环境显示）：{acc}"

    def training_supervisor_hint(self) -> str:
        if not self.training:
            return ""
        from client.ui.accounts import training_accounts

        sup = [a for a in training_accounts() if a.role == "supervisor"]
        return "培训模式：组长账号 " + "、".join(f"{a.code} / {a.password}" for a in sup)

    def training_cards(self) -> list[dict]:
        from client.ui.mainwindow import read_training_people

        if self.platform is None:
            return []
        return read_training_people(Path(self.platform.data_dir) / "platform.sqlite3")

    # -- records ------------------------------------------------------------------------------
    def audit(self, action: str, actor: str, detail: dict | None = None) -> None:
        from offline_cache.audit import append

        try:
            with self.ctx.store.session() as s:
                append(s, actor=actor, action=f"ui.{action}", detail=detail or {})
        except Exception:  # noqa: BLE001 - the audit trail must not stop the counter; logged
            log.exception("audit append failed (%s)", action)

    def _decorate(self, record: dict, *, reprint: bool, print_count: int) -> dict:
        s = self.settings.site
        rec = dict(record)
        rec["institution"] = {"fixmedins_code": s.fixmedins_code, "fixmedins_name": s.fixmedins_name,
                              "admdvs": s.admdvs, "hosp_lv": s.hosp_lv}
        rec.setdefault("window", self.settings.window_id or "01")
        rec["window"] = rec["window"] or self.settings.window_id or "01"
        rec["flags"] = {"training": self.training, "offline": False, "reprint": reprint, "print_count": print_count}
        person = dict(rec.get("person") or {})
        person.setdefault("gend", (rec.get("setlinfo") or {}).get("gend"))
        rec["person"] = person
        rec.setdefault("einvoice", None)
        return rec

    def print_receipt(self, settlement_id: int, *, reprint: bool = False) -> dict:
        """Render the slip PDF (worker thread) after the local commit; count the print."""
        from client.printing.documents import render_slip
        from client.services.checkout import settlement_record

        with self.ctx.store.connection() as conn:
            conn.exec_driver_sql("UPDATE settlements SET print_count = print_count + 1 WHERE id = ?", (settlement_id,))
            count = conn.exec_driver_sql("SELECT print_count FROM settlements WHERE id = ?",
                                         (settlement_id,)).scalar_one()
        rec = self._decorate(settlement_record(self.ctx, settlement_id), reprint=reprint, print_count=int(count))
        out_dir = self.receipts_dir or (Path(self.settings.data_dir) / "receipts")
        out_dir.mkdir(parents=True, exist_ok=True)
        suffix = f"-reprint{count}" if reprint else ""
        path = out_dir / f"{rec.get('setl_id') or rec['msgid']}{suffix}.pdf"
        render_slip(rec, path)
        self.audit("print", self.ctx.operator.opter, {"settlement_id": settlement_id, "reprint": reprint,
                                                       "print_count": int(count), "path": str(path)})
        rec["_receipt_path"] = str(path)
        return rec

    def finish_settlement(self, record: dict) -> dict:
        """After Counter.settle (committed): print the receipt. A print failure never undoes the settlement."""
        try:
            return self.print_receipt(record["settlement_id"])
        except Exception as exc:  # noqa: BLE001 - settled is settled; report the print problem
            log.exception("receipt printing failed")
            rec = self._decorate(record, reprint=False, print_count=0)
            rec.setdefault("warnings", []).append(f"结算已完成，但票据打印失败：{exc}。请用补打（F12）重新打印。")
            return rec

    def last_settlement(self) -> dict | None:
        from client.services.checkout import settlement_record

        with self.ctx.store.read_connection() as conn:
            sid = conn.exec_driver_sql("SELECT id FROM settlements WHERE state IN ('confirmed', 'reversed') "
                                       "ORDER BY id DESC LIMIT 1").scalar()
        return None if sid is None else settlement_record(self.ctx, sid)

    def run_sync(self, progress) -> str:
        from client.services.sync import PHASE_NAMES, SyncService

        def prog(done: int, total: int, phase: str) -> None:
            progress(PHASE_NAMES.get(phase, phase), done, total)

        summary = SyncService(self.ctx, prog).run()
        try:
            from client.services.recovery import recover

            rep = recover(self.ctx)
            extra = rep.message() if hasattr(rep, "message") else ""
        except Exception as exc:  # noqa: BLE001 - shown to the cashier, sync itself succeeded
            log.exception("recovery after sync failed")
            extra = f"结果待确认的结算查询失败：{exc}"
        d = summary.to_dict() if hasattr(summary, "to_dict") else {}
        rows = d.get("catalog_rows")
        text = f"目录 {rows} 条" if rows is not None else ""
        return "；".join(x for x in (text, extra) if x)

    def adjustments(self) -> list[list[str]]:
        from offline_cache.types import from_fen

        with self.ctx.store.read_connection() as conn:
            rows = conn.exec_driver_sql(
                "SELECT s.setl_id, a.direction, a.amount, a.reason, a.state, a.created_at FROM adjustments a "
                "JOIN settlements s ON s.id = a.settlement_id ORDER BY a.id DESC LIMIT 500").fetchall()
        return [[str(r[0] or ""), {"refund": "退", "charge": "补"}.get(r[1], r[1]), f"{from_fen(r[2]):.2f}",
                 r[3] or "", r[4] or "", str(r[5])[:19]] for r in rows]

    def shift_expected(self, opter: str) -> dict[str, Decimal]:
        from offline_cache.types import from_fen

        today = date.today().isoformat()
        with self.ctx.store.read_connection() as conn:
            rows = conn.exec_driver_sql(
                "SELECT p.method, SUM(p.amount - COALESCE(p.change, 0)) FROM payments p JOIN settlements s "
                "ON s.id = p.settlement_id WHERE s.opter = ? AND substr(p.created_at, 1, 10) = ? GROUP BY p.method",
                (opter, today)).fetchall()
        out = {"cash": Decimal("0.00")}
        for method, total in rows:
            if method == "account":
                continue
            out[method] = from_fen(total or 0)
        return out

    def close_shift(self, opter: str, expected: dict[str, Decimal], counted: Decimal) -> None:
        now = datetime.now()
        counted_doc = {"cash_counted": f"{counted:.2f}", "expected": {k: f"{v:.2f}" for k, v in expected.items()},
                       "difference": f"{counted - expected.get('cash', Decimal('0')):.2f}"}
        with self.ctx.store.connection() as conn:
            open_id = conn.exec_driver_sql("SELECT id FROM shifts WHERE opter = ? AND closed_at IS NULL ORDER BY id DESC",
                                           (opter,)).scalar()
            if open_id is None:
                conn.exec_driver_sql("INSERT INTO shifts (opter, opened_at, closed_at, float_amt, counted_json) "
                                     "VALUES (?, ?, ?, 0, ?)", (opter, now, now, json.dumps(counted_doc)))
            else:
                conn.exec_driver_sql("UPDATE shifts SET closed_at = ?, counted_json = ? WHERE id = ?",
                                     (now, json.dumps(counted_doc), open_id))
        self.audit("shift_close", opter, counted_doc)

    def close(self) -> None:
        for c in reversed(self.closers):
            try:
                c()
            except Exception:  # noqa: BLE001 - closing must go on
                log.exception("error while closing")
        self.closers.clear()


def _platform_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "training-platform"


# Modules the workers use, imported on the GUI thread up front: importing C extensions (reportlab,
# PIL, pypinyin …) for the first time in a worker thread while the GUI thread runs shiboken crashed
# with "none_dealloc" under PySide6 6.12.
PREIMPORT = ("client.printing.documents", "client.printing.detail_list", "offline_cache.catalog",
             "offline_cache.audit", "client.services.sync", "client.services.recovery",
             "client.services.checkout", "client.services.connectivity", "client.devices.qr", "pypinyin",
             "PIL.Image")


def preimport() -> None:
    import importlib

    for name in PREIMPORT:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional part missing must not stop the window; logged
            log.warning("could not pre-import %s", name, exc_info=True)


def build_state(settings, *, platform=None) -> AppState:
    """Open the store, the service context and the counter for ``settings``."""
    preimport()
    from client.devices.cardreader import SimulatedCardReader
    from client.services.checkout import Counter
    from client.services.connectivity import ConnectivityMonitor
    from client.services.context import open_context
    from client.services.fees import HttpHisAdapter
    from client.ui.accounts import StoreOperatorRepository, seed_training_accounts

    ctx = open_context(settings)
    try:
        repo = StoreOperatorRepository(ctx.store)
        if settings.training.enabled:
            seed_training_accounts(repo)
        his = HttpHisAdapter(settings.platform.url, settings.site.fixmedins_code) if settings.training.enabled else None
        counter = Counter(ctx, his=his, window=settings.window_id or "01")
        monitor = ConnectivityMonitor.for_context(ctx)
        reader = SimulatedCardReader() if settings.training.enabled else None
        state = AppState(settings=settings, ctx=ctx, counter=counter, operators=repo, platform=platform,
                         monitor=monitor, card_reader=reader)
    except BaseException:
        ctx.close()
        raise
    state.closers.append(ctx.close)
    return state


def start_training(data_dir: Path, *, window: str = "01") -> AppState:
    """Embedded training platform + training settings + state (also used by tests/screenshots)."""
    from client.config import training_settings
    from client.sandbox.server import EmbeddedPlatform

    data_dir = Path(data_dir)
    platform = EmbeddedPlatform(_platform_dir(data_dir)).start()
    try:
        settings = replace(training_settings(platform.url, data_dir), window_id=window)
        state = build_state(settings, platform=platform)
    except BaseException:
        platform.stop()
        raise
    state.closers.insert(0, platform.stop)
    return state


def _apply_look(app, settings) -> None:
    from PySide6.QtGui import QFont

    from client.resources import resource

    font = QFont(app.font())
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
            state = start_training(data_dir)
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
        win.resize(1366, 768)
        win.show()
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
