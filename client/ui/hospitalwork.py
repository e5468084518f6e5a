"""Hospital mode in the window: the journal is pushed to the hospital store in the background and
the status bar shows the replication backlog beside the platform state.

The push runs on a network worker every ``[hospital] push_interval_s`` seconds and right after a
settlement; it never blocks the counter and never shows a dialog — the hospital store being away
only turns the status label amber with its backlog (医院库：积压 12 条，连不上医院库…).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel

log = logging.getLogger("client.ui.hospital")


class HospitalMixin:
    def _setup_hospital(self) -> None:
        from client.services import hospital

        self.st_hospital = QLabel("")
        self.st_hospital.setObjectName("stHospital")
        self.hospital_on = hospital.enabled(self.settings)
        self.hospital_state: dict = {}
        self._pushing = False
        self.st_hospital.setVisible(self.hospital_on)
        self.statusBar().insertPermanentWidget(1, self.st_hospital)
        self._hospital_timer = QTimer(self)
        self._hospital_timer.setInterval(max(1, int(self.settings.hospital.push_interval_s)) * 1000)
        self._hospital_timer.timeout.connect(self.push_to_hospital)
        if self.hospital_on:
            self._hospital_timer.start()
            QTimer.singleShot(0, self.push_to_hospital)

    def push_to_hospital(self) -> None:
        if not self.hospital_on or self._pushing or self._shut:
            return
        self._pushing = True
        store = self.state.ctx.store
        settings = self.settings

        def work():
            from client.services import hospital

            out = hospital.push_now(settings, store)
            return {"error": out.error, **hospital.replication_status(store)}

        def done(state: dict) -> None:
            self._pushing = False
            self._show_hospital(state)
            self.step_done.emit("hospital_push")

        def failed(exc) -> None:
            self._pushing = False
            log.warning("hospital push: %s", exc)
            self._show_hospital({"error": str(exc), "backlog": self.hospital_state.get("backlog")})

        self.tasks.run_net(work, done, failed, label="hospital_push")

    def _show_hospital(self, state: dict) -> None:
        self.hospital_state = state
        backlog = state.get("backlog")
        if state.get("error"):
            text = self.tr("Hospital store: %1 waiting (unreachable)").replace("%1", str(backlog if backlog is not None else "?"))
            self.st_hospital.setToolTip(state["error"])
            self.st_hospital.setProperty("level", "warn")
        elif backlog:
            text = self.tr("Hospital store: %1 waiting").replace("%1", str(backlog))
            self.st_hospital.setToolTip("")
            self.st_hospital.setProperty("level", "info")
        else:
            text = self.tr("Hospital store: up to date")
            self.st_hospital.setToolTip("")
            self.st_hospital.setProperty("level", "ok")
        self.st_hospital.setText(text)
        self.st_hospital.style().unpolish(self.st_hospital)
        self.st_hospital.style().polish(self.st_hospital)

    def _stop_hospital(self) -> None:
        if getattr(self, "_hospital_timer", None) is not None:
            self._hospital_timer.stop()
