"""Packaging (slow tier): build the one-dir and the .deb from a clean venv, install the .deb into a
scratch root, and run the *installed* `medsettle selftest` and an upgrade of an old store with it.

Skipped with ``MEDSETTLE_SKIP_PACKAGING=1`` (and off Linux / without dpkg-deb). Takes minutes: it
creates a fresh virtual environment, pip-installs the project and PyInstaller, and freezes.

Why ``dpkg-deb -x`` and not ``dpkg --root=DIR -i``: ``dpkg --root`` needs a complete dpkg database
in DIR (``var/lib/dpkg/status`` …) and checks Depends against it — an empty scratch root has no
libc6, so every dependency is "unsatisfied" — and it runs the maintainer scripts inside that root.
``dpkg-deb -x`` unpacks the data archive exactly where dpkg would put the files (``/opt/medsettle``,
``/usr/bin/medsettle``, the .desktop entry, the icon) without a database or root privileges; the
control fields and the maintainer scripts are checked separately (``dpkg-deb -f`` / ``-e``). The
host already has the Depends installed, so running the extracted binary is what an installed
package would do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.ops_helpers import ROOT, make_0001_store, medsettle

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(3000),
    pytest.mark.skipif(os.environ.get("MEDSETTLE_SKIP_PACKAGING", "") not in ("", "0"),
                       reason="MEDSETTLE_SKIP_PACKAGING is set"),
    pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("dpkg-deb") is None,
                       reason="the .deb is built on Debian-like Linux only"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("packaging")
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py"), "--build-dir", str(work / "build"),
                        "--dist-dir", str(work / "dist")], capture_output=True, text=True, encoding="utf-8",
                       timeout=2700, cwd=ROOT)
    duration = time.perf_counter() - t0
    print(r.stdout[-4000:])
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-6000:]
    report = json.loads((work / "dist" / "build-report.json").read_text(encoding="utf-8"))
    report["test_build_seconds"] = round(duration, 1)
    print(f"\npackaging build: {duration:.0f} s; installed {report['installed_mb']} MB; "
          f".deb {report['deb_mb']} MB; steps {report['steps']}")
    return work, report


def test_onedir_and_deb_are_built_within_size_goals(built):
    work, report = built
    onedir = Path(report["onedir"])
    assert (onedir / "medsettle").is_file() and os.access(onedir / "medsettle", os.X_OK)
    internal = onedir / "_internal"
    assert (internal / "resources" / "fonts" / "wqy-microhei.ttc").is_file()
    assert (internal / "offline_cache" / "migrations" / "env.py").is_file()
    assert sorted(p.name for p in (internal / "offline_cache" / "migrations" / "versions").glob("0*.py"))[:2] == [
        "0001_initial.py", "0002_persons_phone.py"]
    assert (internal / "libzbar.so.0").is_file()
    qt_tr = internal / "PySide6" / "Qt" / "translations"
    if qt_tr.is_dir():
        assert all(p.name.endswith(("_zh_CN.qm", "_en.qm")) for p in qt_tr.iterdir()), sorted(qt_tr.iterdir())[:5]
    assert report["installed_mb"] <= 235, report   # packaging/build.py GOAL_INSTALLED_MB
    assert report["deb_mb"] <= 90, report
    assert report["depends_check"]["undeclared"] == [], report["depends_check"]


def test_deb_control_and_layout(built, tmp_path):
    _, report = built
    deb = report["deb"]
    fields = subprocess.run(["dpkg-deb", "-f", deb, "Package", "Version", "Architecture", "Depends", "Installed-Size"],
                            capture_output=True, text=True, check=True).stdout
    assert "Package: medsettle" in fields and f"Version: {report['version']}" in fields
    for dep in ("libzbar0", "libxcb-cursor0", "libxkbcommon-x11-0", "libegl1", "libfontconfig1", "libdbus-1-3"):
        assert dep in fields
    contents = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True).stdout
    assert "root/root" in contents and "./opt/medsettle/medsettle" in contents    # --root-owner-group
    assert "./usr/bin/medsettle -> /opt/medsettle/medsettle" in contents
    assert "./usr/share/applications/medsettle.desktop" in contents
    assert "./usr/share/icons/hicolor/scalable/apps/medsettle.svg" in contents
    ctrl = tmp_path / "ctrl"
    subprocess.run(["dpkg-deb", "-e", deb, str(ctrl)], check=True)
    for script in ("postinst", "prerm", "postrm"):
        assert os.access(ctrl / script, os.X_OK)
        subprocess.run(["sh", "-n", str(ctrl / script)], check=True)             # syntax
    if shutil.which("desktop-file-validate"):
        root = tmp_path / "x"
        subprocess.run(["dpkg-deb", "-x", deb, str(root)], check=True)
        subprocess.run(["desktop-file-validate", str(root / "usr/share/applications/medsettle.desktop")], check=True)


def test_installed_package_passes_selftest_and_upgrades_an_old_store(built, tmp_path):
    _, report = built
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", report["deb"], str(root)], check=True)
    exe = root / "opt" / "medsettle" / "medsettle"
    env_free_of_qt = {"QT_QPA_PLATFORM": "", "DISPLAY": "", "PYTHONPATH": ""}
    t0 = time.perf_counter()
    r = medsettle("selftest", exe=[str(exe)], cwd=tmp_path, timeout=300, **env_free_of_qt)
    print(r.stdout, f"\ninstalled selftest: {time.perf_counter() - t0:.1f} s")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "（安装版）" in r.stdout and r.stdout.count("✓") == 6 and "医院库驱动" in r.stdout and "自检通过" in r.stdout
    assert str(root / "opt" / "medsettle" / "_internal" / "libzbar.so.0") in r.stdout   # the bundled zbar

    data = tmp_path / "data"
    data.mkdir()
    make_0001_store(data / "medsettle.sqlite3")
    r = medsettle("backup", "--data", str(data), "--out", str(tmp_path / "b.sqlite3"), exe=[str(exe)], cwd=tmp_path,
                  **env_free_of_qt)
    assert r.returncode == 0, r.stdout + r.stderr
    assert list((data / "backups").glob("medsettle-0001-*.sqlite3")), "pre-upgrade backup by the frozen app"
    import sqlite3

    c = sqlite3.connect(str(tmp_path / "b.sqlite3"))
    try:
        assert c.execute("SELECT version_num FROM alembic_version").fetchone()[0] != "0001"
        assert c.execute("SELECT psn_name FROM persons").fetchall() == [("沈明",)]
    finally:
        c.close()
    r = medsettle("diag", "--data", str(data), "--out", str(tmp_path / "d.zip"), exe=[str(exe)], cwd=tmp_path,
                  **env_free_of_qt)
    assert r.returncode == 0, r.stdout + r.stderr
