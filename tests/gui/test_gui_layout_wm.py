"""The window as the cashier sees it on a 1366×768 screen: a real X server (Xvfb) with a window manager
(openbox) drawing the title bar, the window maximised (client.ui.app.show_main_window). With the
12-warning inpatient case on screen (message bar full) and the confirmation line shown, every F-key
button, the panels and the status bar lie inside the screen's available area — in zh_CN and in English.
Xvfb and openbox come from dev.sh's Debian packages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_window_fits_1366x768_with_a_title_bar(lang):
    for tool in ("xvfb-run", "openbox"):
        assert shutil.which(tool), f"{tool} is missing: run ./dev.sh setup (Debian packages xvfb, openbox)"
    env = dict(os.environ, MEDSETTLE_NO_USER_DIRS="1", PYTHONPATH=str(ROOT))
    env.pop("QT_QPA_PLATFORM", None)
    script = f"openbox >/dev/null 2>&1 & sleep 1.5; {sys.executable} {ROOT / 'tests/gui/layout_probe.py'} {lang}"
    r = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1366x768x24", "sh", "-c", script], capture_output=True,
                       text=True, timeout=240, env=env, cwd=ROOT)
    line = next((x for x in r.stdout.splitlines() if x.startswith("LAYOUT ")), None)
    assert line, (r.returncode, r.stdout[-2000:], r.stderr[-3000:])
    out = json.loads(line[len("LAYOUT "):])
    assert out["maximized"] and out["screen"][1] <= 768
    assert out["warnings"] == 12 and out["message_visible"]
    assert out["problems"] == [], out
