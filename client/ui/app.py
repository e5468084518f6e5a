"""Start the cashier window: ``medsettle`` (no subcommand) calls :func:`run_window`.

* ``--training`` starts the embedded training central platform on a free loopback port
  (``<data>/training-platform``), uses the training settings (H31011800001 上海市青浦区培训医院),
  seeds the documented training accounts (``client.services.operators.seed_training_operators``:
  cashier 0001, supervisors 0009 and 0008 — the same accounts as the CLI) and marks every screen and
  receipt 培训模式.
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
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from client.ui.runtime import bulk_gc, run_lowered

log = logging.getLogger("client.ui.app")


@dataclass
class AppState:
    settings: Any
    ctx: Any
    counter: Any
    operators: Any                       # client.services.operators.StoreOperatorRepository
    operator_service: Any = None         # client.services.operators.OperatorService (audited sign-in)
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
        from client.ui.accounts import training_hint

        return training_hint(self.settings.security.min_password_length)

    def training_supervisor_hint(self) -> str:
        if not self.training:
            return ""
        from client.ui.accounts import supervisor_hint

        return supervisor_hint()

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

    def receipt_path(self, rec: dict, count: int) -> Path:
        out_dir = self.receipts_dir or (Path(self.settings.data_dir) / "receipts")
        out_dir.mkdir(parents=True, exist_ok=True)
        suffix = f"-reprint{count}" if count else ""
        return out_dir / f"{rec.get('setl_id') or rec['msgid']}{suffix}.pdf"

    def _output(self, rec: dict, settlement_id: int) -> dict:
        """Count the print (invoicing.begin_print, committed first) and produce the slip: directly on
        the configured receipt printer, otherwise as a PDF file whose path is shown. The PDF is
        always kept in the receipts folder (the reprint source and the proof of what was printed)."""
        from client.printing.qtprint import print_document, render_document
        from client.services.invoicing import begin_print

        store = self.ctx.store
        counted: dict = {}

        def begin() -> dict:
            counted.update(begin_print(store, settlement_id))
            return counted

        printer = (self.settings.printers.receipt_printer or "").strip()
        via = "file"
        if printer:
            res = print_document(rec, "slip", begin, printers=self.settings.printers, mode="direct")
            via = res["via"]
            flags = res["flags"]
        else:
            flags = dict(rec.get("flags") or {})
            flags.update(begin())
        rec["flags"] = flags
        path = self.receipt_path(rec, int(flags.get("print_count") or 0) if flags.get("reprint") else 0)
        from client.printing.common import write_out

        write_out(render_document(rec, "slip"), path)
        self.audit("print", self.ctx.operator.opter, {"settlement_id": settlement_id, "reprint": bool(flags.get("reprint")),
                                                       "print_count": int(flags.get("print_count") or 0),
                                                       "path": str(path), "via": via, "printer": printer})
        rec["_receipt_path"] = str(path)
        rec["_printed_via"] = via
        return rec

    def print_receipt(self, settlement_id: int, *, reprint: bool = False) -> dict:
        """Render the slip (worker thread) after the local commit; the print is counted first
        (``invoicing.begin_print``): the second and later prints are marked 补打（第N次）."""
        from client.services.checkout import settlement_record
        from client.services.offline import SELF_PAY_INFNO

        with self.ctx.store.read_connection() as conn:
            row = conn.exec_driver_sql("SELECT offline, infno FROM settlements WHERE id = ?",
                                       (settlement_id,)).fetchone()
        if row is not None and (row[0] or row[1] == SELF_PAY_INFNO):
            return self._output(self.offline_record(settlement_id), settlement_id)
        rec = self._decorate(settlement_record(self.ctx, settlement_id), reprint=reprint, print_count=0)
        return self._output(rec, settlement_id)

    # -- offline (离线应急结算) -------------------------------------------------------------------
    def offline_record(self, settlement_id: int) -> dict:
        """The receipt record of an offline settlement (provisional or full self-pay): the stored
        provisional result until the platform's result is in, marked 离线结算."""
        import json as _json

        from client.services.invoicing import settlement_record as inv_record

        with self.ctx.store.read_connection() as conn:
            r = conn.exec_driver_sql("SELECT setlinfo_json, preview_json, infno, state, msgid, offline FROM settlements "
                                     "WHERE id = ?", (settlement_id,)).fetchone()
        if r[0]:
            rec = inv_record(self.ctx.store, settlement_id, self.settings)
        else:
            # provisional: the record of the stored rows with the provisional setlinfo, built in a
            # read transaction that is always rolled back (nothing is written)
            from offline_cache.models import Settlement

            prov = (_json.loads(r[1] or "{}").get("setlinfo")) or {}
            with self.ctx.store.read_session() as s:
                st = s.get(Settlement, settlement_id)
                st.setlinfo_json = _json.dumps(prov, ensure_ascii=False, sort_keys=True)
                rec = inv_record(s, settlement_id, self.settings)
        rec["msgid"] = r[4]
        rec["settlement_id"] = settlement_id
        rec["state"] = r[3]
        rec["infno"] = r[2]
        rec["self_pay"] = r[2] == "0000"
        info = dict(rec.get("setlinfo") or {})
        info.setdefault("balc", "0.00")
        rec["setlinfo"] = info
        rec["flags"] = dict(rec.get("flags") or {}, offline=bool(r[5]), training=self.training, self_pay=rec["self_pay"])
        rec["window"] = rec.get("window") or self.settings.window_id or "01"
        return rec

    def offline_settle(self, person, fees, tenders, *, quote=None, self_pay: bool = False, reason: str = "") -> dict:
        """Settle offline (worker thread) and print the receipt marked 离线结算; returns the record."""
        from client.services.offline import OfflineService

        svc = OfflineService(self.ctx)
        if self_pay:
            res = svc.settle_self_pay(person, fees, tenders, reason=reason)
        else:
            res = svc.settle(person, fees, tenders, quote=quote)
        try:
            rec = self.print_receipt(res.settlement_id)
        except Exception as exc:  # noqa: BLE001 - settled is settled; report the print problem
            log.exception("offline receipt printing failed")
            rec = {"settlement_id": res.settlement_id, "msgid": res.msgid, "setlinfo": res.setlinfo,
                   "payments": res.payments, "flags": {"offline": True, "training": self.training},
                   "warnings": [f"离线结算已完成，但票据打印失败：{exc}。请用补打（F12）重新打印。"]}
        rec["offline_note"] = res.receipt.get("note", "")
        rec["self_pay"] = res.self_pay
        rec["payments"] = res.payments
        return rec

    def self_pay_settle(self, person, fees, tenders, *, reason_code: str, note: str = "",
                        bills: tuple[str, ...] = ()) -> dict:
        """转自费 at the online window (worker thread): cashdesk.settle_self_pay, then the receipt."""
        from client.services.cashdesk import settle_self_pay

        res = settle_self_pay(self.ctx, person, fees, tenders, reason_code=reason_code, note=note,
                              his=self.counter.his, bills=bills, window=self.settings.window_id or None)
        try:
            rec = self.print_receipt(res.settlement_id)
        except Exception as exc:  # noqa: BLE001 - paid is paid; report the print problem
            log.exception("self-pay receipt printing failed")
            rec = {"settlement_id": res.settlement_id, "msgid": res.msgid, "setlinfo": res.setlinfo,
                   "payments": res.payments, "flags": {"self_pay": True, "training": self.training},
                   "warnings": [f"已按全自费收费，但票据打印失败：{exc}。请用补打（F12）重新打印。"]}
        rec["self_pay"] = True
        rec["payments"] = res.payments
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
            time.sleep(0)        # between pages: hand the GIL to the GUI thread (releases it at once)

        with bulk_gc():
            summary = run_lowered(lambda: SyncService(self.ctx, prog).run(), name="medsettle-sync")
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
        return "；".join(x for x in (text, extra) if x)

    # -- start-up recovery and store-and-forward -------------------------------------------------
    def recover(self) -> dict:
        """Start-up recovery (worker): resolve unknown outcomes (5203), reset stuck outbox items,
        drain the outbox. Returns ``RecoveryReport.to_dict()`` plus its Chinese ``message``.
        First (local work) finishes the catalogue search index a sync killed before its index step
        left pending, so those items are found by pinyin and substring again."""
        from client.services.housekeeping import recover
        from offline_cache.catalog import index_pending_names

        indexed = 0
        try:
            indexed = index_pending_names(self.ctx.store).names
        except Exception:  # noqa: BLE001 - the next sync retries; settlement recovery must still run
            log.exception("building the pending catalogue search index failed")
        rep = recover(self.ctx)
        out = rep.to_dict()
        out["message"] = rep.message()
        out["catalog_names_indexed"] = indexed
        return out

    def drain(self) -> dict:
        """Back online (worker): send the offline settlements (forward.drain), then the e-invoice
        uploads. Returns the drain report with ``adjustments`` created and the e-invoice result."""
        from client.services.housekeeping import drain

        rep = drain(self.ctx)
        return rep

    # -- adjustments (退补差额) ---------------------------------------------------------------------
    def adjustments(self) -> list[dict]:
        """Every adjustment (pending first), newest first within its state."""
        from offline_cache.types import from_fen

        with self.ctx.store.read_connection() as conn:
            rows = conn.exec_driver_sql(
                "SELECT a.id, s.setl_id, s.msgid, a.direction, a.amount, a.reason, a.state, a.created_at "
                "FROM adjustments a JOIN settlements s ON s.id = a.settlement_id "
                "ORDER BY a.state != 'pending', a.id DESC LIMIT 500").fetchall()
        return [{"adjustment_id": r[0], "setl_id": r[1] or "", "msgid": r[2], "direction": r[3],
                 "amount": from_fen(r[4] or 0), "reason": r[5] or "", "state": r[6], "created_at": str(r[7])[:19]}
                for r in rows]

    def settle_adjustment(self, adjustment_id: int, method: str) -> None:
        from client.services.forward import settle_adjustment

        settle_adjustment(self.ctx, adjustment_id, method=method, opter=self.ctx.operator.opter)

    # -- shifts (交班) ------------------------------------------------------------------------------
    def current_shift(self, opter: str) -> int | None:
        from client.services.dayend import current_shift

        return current_shift(self.ctx.store, opter)

    def open_shift(self, opter: str, float_amt: Decimal) -> int:
        from client.services.dayend import open_shift

        return open_shift(self.ctx.store, opter, float_amt)

    def shift_state(self, opter: str) -> dict:
        """For the shift-close dialog: the open shift's summary (expected per method) and the blockers."""
        from client.services.dayend import blockers, current_shift, shift_summary

        sid = current_shift(self.ctx.store, opter)
        if sid is None:
            from client.services.errors import ServiceError

            raise ServiceError("shift", f"收费员 {opter} 在本窗口没有开班，无需交班。")
        return {"shift_id": sid, "summary": shift_summary(self.ctx.store, sid), "blockers": blockers(self.ctx.store)}

    def close_shift(self, shift_id: int, counted: dict[str, Decimal], *, force_by: str | None = None,
                    reason: str = "", reconcile: bool = True, confirm_difference: bool = False,
                    difference_reason: str = "") -> dict:
        """Close the shift (dayend.close_shift), reconcile the day (3201/3202) when the platform
        answers, and write the Z report PDF. Returns {"closing", "reconciliation", "recon_error",
        "zreport_path"}."""
        from client.services import dayend
        from client.services.errors import ServiceError

        out: dict = {"closing": dayend.close_shift(self.ctx.store, shift_id, counted, force_by=force_by,
                                                   reason=reason, confirm_difference=confirm_difference,
                                                   difference_reason=difference_reason)}
        out["reconciliation"] = None
        out["recon_error"] = ""
        if reconcile:
            try:
                out["reconciliation"] = dayend.reconcile_day(self.ctx)
            except ServiceError as exc:
                out["recon_error"] = exc.message
        try:
            out["zreport_path"] = str(self.write_zreport(out["reconciliation"]))
        except Exception as exc:  # noqa: BLE001 - the shift is closed; the report can be printed later
            log.exception("Z report failed")
            out["zreport_path"] = ""
            out["zreport_error"] = f"日结报表生成失败：{exc}"
        return out

    def write_zreport(self, reconciliation: dict | None) -> Path:
        from client.printing.reports import render_zreport
        from client.services.reports import zreport

        recon = None
        if reconciliation:
            recon = [{"infno": "3201", "setl_optins": t.get("setl_optins"), "stmt_rslt": t.get("stmt_rslt"),
                      "stmt_rslt_dscr": t.get("stmt_rslt_dscr") or ("平" if t.get("balanced") else "不平")}
                     for t in reconciliation.get("totals") or []]
            recon += [{"infno": "3202", "setl_optins": d.get("setl_optins"),
                       "stmt_rslt": "0" if d.get("balanced") else "1",
                       "stmt_rslt_dscr": "明细一致" if d.get("balanced") else
                       "明细不符：" + "、".join(str(m.get("setl_id") or m.get("msgid")) for m in d.get("mismatches") or [])}
                      for d in reconciliation.get("details") or []]
        s = self.settings.site
        rep = zreport(self.ctx.store, date.today(), operator=self.ctx.operator.opter,
                      institution={"fixmedins_code": s.fixmedins_code, "fixmedins_name": s.fixmedins_name},
                      reconciliation=recon)
        out_dir = Path(self.settings.data_dir) / "reports"
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"zreport-{date.today():%Y%m%d}-{self.ctx.operator.opter}-{datetime.now():%H%M%S}.pdf"
        render_zreport(rep, path)
        return path

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
        his = HttpHisAdapter(settings.platform.url, settings.site.fixmedins_code) if settings.training.enabled else None
        counter = Counter(ctx, his=his, window=settings.window_id or "01")
        monitor = ConnectivityMonitor.for_context(ctx)
        reader = SimulatedCardReader() if settings.training.enabled else None
        state = AppState(settings=settings, ctx=ctx, counter=counter, operators=repo, operator_service=service,
                         platform=platform,
                         monitor=monitor, card_reader=reader)
    except BaseException:
        ctx.close()
        raise
    state.closers.append(ctx.close)
    return state


def start_training(data_dir: Path, *, window: str = "01") -> AppState:
    """Embedded training platform + training settings + state (also used by tests/screenshots)."""
    from client.config import training_settings
    from training_platform.server import EmbeddedPlatform

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
