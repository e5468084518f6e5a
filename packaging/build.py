"""Build the MedSettle one-dir bundle and the Debian package from a clean virtual environment.

    python packaging/build.py [--reuse-venv] [--no-deb] [--no-selftest] [--build-dir DIR] [--dist-dir DIR]

Steps (each prints a ``>>`` line and its duration):

1. **venv** — ``python -m venv --clear build/venv``; ``pip install <repo> "pyinstaller>=6.5"``
   (the project is installed *non-editable*, so only its declared dependencies — PySide6-Essentials,
   not the Addons — end up in the bundle). Only PyPI (through pip's configuration) is used.
2. **translations** — ``python -m client.ui.i18n_build --release`` (``.ts`` → ``.qm``) when the UI
   translations exist.
3. **pyinstaller** — ``packaging/medsettle.spec`` → ``dist/medsettle/`` (one-dir, no UPX).
4. **prune** — Qt translations except zh_CN/en, Qt plugins the client never loads.
5. **selftest** — the frozen ``dist/medsettle/medsettle selftest`` (no display: the self-test never
   loads Qt) must exit 0.
6. **deb** (Linux) — ``build/deb-root/opt/medsettle`` (the one-dir), ``/usr/bin/medsettle`` (a
   symlink), the ``.desktop`` entry and the icon, ``DEBIAN/control`` from ``packaging/deb/control.in``
   with ``Installed-Size`` and ``Depends``, the maintainer scripts; ``dpkg-deb --build
   --root-owner-group`` → ``dist/medsettle_<version>_<arch>.deb``. The shared libraries the bundle
   takes from the system (``ldd`` over every ELF file in the bundle, minus what is bundled) are
   mapped to packages with ``dpkg -S`` and compared with ``Depends``.
7. **report** — sizes (installed MB, compressed .deb MB, against the goals ≤ 235 MB / ≤ 90 MB) and
   durations, printed and written to ``dist/build-report.json``.

Exit code 0 when every step passed; 1 otherwise (the failing step is named).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "packaging"
APP = "medsettle"
GOAL_INSTALLED_MB = 235   # 220 + the PostgreSQL driver of hospital mode (psycopg-binary: libpq with its
#                            own OpenSSL, Kerberos, LDAP and SASL libraries, about 12 MB installed)
GOAL_DEB_MB = 90

# Runtime packages of the .deb. libzbar0 although libzbar is bundled: the bundled copy is tried
# first and the system one is the fallback. The xcb/xkb/EGL/GL/fontconfig/dbus libraries are what
# Qt's xcb platform plugin loads from the system (PySide6 wheels do not ship them); poppler-utils
# provides pdftoppm, which client.printing.qtprint uses to print on Linux (no QtPdf in Essentials).
DEPENDS = [
    "libzbar0", "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-shape0", "libxcb-randr0",
    "libxcb-render-util0", "libxcb-image0", "libxcb-xkb1", "libxkbcommon-x11-0", "libxkbcommon0", "libegl1",
    "libgl1", "libfontconfig1", "libfreetype6", "libdbus-1-3", "libglib2.0-0", "libx11-xcb1", "poppler-utils",
    # found by the ldd check below (used from the system by the bundled Qt/X11/GL/Wayland libraries)
    "libxcb1", "libxau6", "libxdmcp6", "libbsd0", "libmd0", "libdrm2", "libglvnd0", "libglx0",
    "libwayland-client0", "libwayland-cursor0", "libwayland-egl1",
]
RECOMMENDS = ["fonts-wqy-microhei | fonts-noto-cjk", "cups-client"]

# Qt plugin directories kept (everything else under PySide6/Qt/plugins is removed).
KEEP_PLUGIN_DIRS = {"platforms", "platforminputcontexts", "imageformats", "printsupport", "xcbglintegrations",
                    "platformthemes", "iconengines", "styles", "wayland-shell-integration",
                    "wayland-decoration-client", "wayland-graphics-integration-client"}
# Single plugin files removed: framebuffer/VNC platforms (kiosk setups only); the GTK3 platform theme
# (needs the whole GTK stack, which billing PCs need not have; Qt falls back to its own theme);
# Vulkan server-side buffer integration.
DROP_PLUGIN_FILES = ("platforms/libqvnc", "platforms/libqlinuxfb", "platforms/libqeglfs", "platforms/libqvkkhrdisplay",
                     "platforms/libqminimalegl", "platforms/libqdirect2d", "platformthemes/libqgtk3",
                     "wayland-graphics-integration-client/libvulkan-server")
KEEP_TRANSLATIONS = ("qt_zh_CN.qm", "qt_en.qm", "qtbase_zh_CN.qm", "qtbase_en.qm")
# Loaded with dlopen/ctypes, never listed as NEEDED by another file: never pruned as "unreferenced".
DLOPENED = ("libpython", "libzbar", "libicudata")


def log(msg: str) -> None:
    print(msg, flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    log("   $ " + " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def venv_bin(venv: Path, name: str) -> Path:
    sub = "Scripts" if os.name == "nt" else "bin"
    ext = ".exe" if os.name == "nt" else ""
    return venv / sub / f"{name}{ext}"


def dir_size(path: Path) -> int:
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            total += p.stat().st_size
    return total


def mb(n: int) -> float:
    return round(n / 1024 / 1024, 1)


# ---------------------------------------------------------------------------------------------
# steps
# ---------------------------------------------------------------------------------------------

def make_venv(build: Path, reuse: bool) -> Path:
    venv = build / "venv"
    py = venv_bin(venv, "python")
    if reuse and py.exists():
        log(f"   reusing {venv}")
    else:
        run([sys.executable, "-m", "venv", "--clear", venv])
        run([py, "-m", "pip", "install", "-q", "--upgrade", "pip"])
    # Non-editable install of the project; its wheel is built in build/ (setuptools) from a clean copy.
    run([py, "-m", "pip", "install", "-q", "--progress-bar=off", str(ROOT), "pyinstaller>=6.5"], cwd=build)
    return venv


def compile_translations(venv: Path) -> None:
    if not (ROOT / "client" / "ui" / "i18n_build.py").exists() or not list((ROOT / "resources" / "translations").glob("*.ts")):
        log("   no UI translations (.ts) in resources/translations: skipped")
        return
    run([venv_bin(venv, "python"), "-m", "client.ui.i18n_build", "--release"], cwd=ROOT)


def pyinstaller(venv: Path, build: Path, dist: Path) -> Path:
    out = dist / APP
    if out.exists():
        shutil.rmtree(out)
    run([venv_bin(venv, "pyinstaller"), "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", dist, "--workpath", build / "pyinstaller", PKG / "medsettle.spec"], cwd=build)
    return out


def _internal(onedir: Path) -> Path:
    d = onedir / "_internal"
    return d if d.is_dir() else onedir


def prune_onedir(onedir: Path) -> dict[str, int]:
    """Remove Qt translations except zh_CN/en and Qt plugins the client never loads."""
    removed = {"files": 0, "bytes": 0}

    def rm(p: Path) -> None:
        size = dir_size(p) if p.is_dir() else p.stat().st_size
        removed["files"] += 1
        removed["bytes"] += size
        shutil.rmtree(p) if p.is_dir() else p.unlink()

    qt = _internal(onedir) / "PySide6" / "Qt"
    if not qt.is_dir():   # Windows wheels: PySide6/{translations,plugins} beside the DLLs
        qt = _internal(onedir) / "PySide6"
    tr = qt / "translations"
    if tr.is_dir():
        for p in list(tr.iterdir()):
            if p.is_file() and not p.name.endswith(KEEP_TRANSLATIONS):
                rm(p)
            elif p.is_dir():
                rm(p)   # qtwebengine_locales and friends
    plugins = qt / "plugins"
    if plugins.is_dir():
        for p in list(plugins.iterdir()):
            if p.is_dir() and p.name not in KEEP_PLUGIN_DIRS:
                rm(p)
        for p in list(plugins.rglob("*")):
            rel = p.relative_to(plugins).as_posix()
            if p.is_file() and rel.startswith(DROP_PLUGIN_FILES):
                rm(p)
    if sys.platform.startswith("linux"):
        for p in unreferenced_libraries(onedir):
            rm(p)
    return removed


def _needed(elf: Path) -> set[str]:
    r = subprocess.run(["readelf", "-d", str(elf)], capture_output=True, text=True)
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", r.stdout))


def unreferenced_libraries(onedir: Path) -> list[Path]:
    """Top-level shared libraries of the bundle that no remaining ELF file needs any more (they were
    collected only for the plugins removed above). Iterates to a fixpoint."""
    internal = _internal(onedir)
    needed = {elf: _needed(elf) for elf in _elf_files(onedir)}
    candidates = {p for p in internal.iterdir()
                  if ".so" in p.name and p.is_file() and not p.is_symlink() and ".cpython-" not in p.name
                  and not p.name.startswith(DLOPENED)}
    links = [p for p in onedir.rglob("*") if p.is_symlink()]
    removed: list[Path] = []
    while True:
        live = {elf: n for elf, n in needed.items() if elf not in removed}
        referenced = set().union(*live.values()) if live else set()
        for link in links:   # a NEEDED name that is a symlink keeps its target
            if link.name in referenced:
                referenced.add(link.resolve().name)
        drop = [p for p in candidates if p not in removed and p.name not in referenced]
        if not drop:
            return removed
        removed += drop


def frozen_selftest(onedir: Path) -> str:
    exe = onedir / (APP + (".exe" if os.name == "nt" else ""))
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY",
                                                             "PYTHONPATH", "MEDSETTLE_CONFIG", "MEDSETTLE_DATA")}
    env["MEDSETTLE_NO_USER_DIRS"] = "1"
    r = subprocess.run([str(exe), "selftest"], capture_output=True, text=True, encoding="utf-8", env=env,
                       timeout=300, cwd=onedir.parent)
    log(r.stdout.rstrip())
    if r.returncode != 0:
        log(r.stderr.rstrip())
        raise RuntimeError(f"frozen selftest failed (exit {r.returncode})")
    return r.stdout


# ---------------------------------------------------------------------------------------------
# .deb
# ---------------------------------------------------------------------------------------------

def deb_arch() -> str:
    try:
        return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def _elf_files(root: Path) -> list[Path]:
    out = []
    for p in root.rglob("*"):
        if p.is_file() and not p.is_symlink():
            try:
                with open(p, "rb") as fh:
                    if fh.read(4) == b"\x7fELF":
                        out.append(p)
            except OSError:
                continue
    return out


_LDD_RE = re.compile(r"^\s*(\S+)\s+=>\s+(not found|\S+)")


def system_libraries(onedir: Path) -> tuple[dict[str, str], list[str]]:
    """{soname: system path} of the libraries the bundle takes from the system, and the sonames
    ldd cannot find at all. Libraries that are in the bundle are not counted."""
    bundled = {p.name for p in onedir.rglob("*") if p.is_file() or p.is_symlink()}
    found: dict[str, str] = {}
    missing: set[str] = set()
    for elf in _elf_files(onedir):
        env = dict(os.environ, LD_LIBRARY_PATH=f"{_internal(onedir)}:{elf.parent}")
        r = subprocess.run(["ldd", str(elf)], capture_output=True, text=True, env=env)
        for line in r.stdout.splitlines():
            m = _LDD_RE.match(line)
            if not m:
                continue
            soname, where = m.groups()
            if soname in bundled:
                continue
            if where == "not found":
                missing.add(soname)
            elif not where.startswith(str(onedir)):
                found[soname] = where
    return found, sorted(missing)


def packages_of(paths: list[str]) -> dict[str, str]:
    """{path: debian package} via dpkg -S (paths are canonicalised for /lib → /usr/lib merges)."""
    out: dict[str, str] = {}
    for p in paths:
        for candidate in {p, os.path.realpath(p), p.replace("/usr/lib/", "/lib/", 1), p.replace("/lib/", "/usr/lib/", 1)}:
            r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if r.returncode == 0 and r.stdout:
                out[p] = r.stdout.split(":", 1)[0].strip()
                break
    return out


BASE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g", "libc-bin"}


def check_depends(onedir: Path) -> dict:
    libs, missing = system_libraries(onedir)
    pkgs = packages_of(sorted(set(libs.values())))
    needed = sorted(set(pkgs.values()) - BASE_PACKAGES)
    declared = {d.split()[0] for d in DEPENDS}
    undeclared = [p for p in needed if p.split(":")[0] not in declared]
    unknown = sorted(p for p in libs.values() if p not in pkgs)
    return {"system_packages_needed": needed, "undeclared": undeclared, "ldd_not_found": missing,
            "libraries_without_package": unknown}


def build_deb(onedir: Path, build: Path, dist: Path, version: str) -> Path:
    arch = deb_arch()
    root = build / "deb-root"
    if root.exists():
        shutil.rmtree(root)
    opt = root / "opt" / APP
    shutil.copytree(onedir, opt, symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    os.symlink(f"/opt/{APP}/{APP}", root / "usr" / "bin" / APP)
    apps = root / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    shutil.copy2(PKG / "deb" / "medsettle.desktop", apps / "medsettle.desktop")
    icon_src = ROOT / "resources" / "icons" / "medsettle.svg"
    if not icon_src.exists():
        icon_src = PKG / "deb" / "medsettle.svg"
    icons = root / "usr" / "share" / "icons" / "hicolor" / "scalable" / "apps"
    icons.mkdir(parents=True)
    shutil.copy2(icon_src, icons / "medsettle.svg")
    doc = root / "usr" / "share" / "doc" / APP
    doc.mkdir(parents=True)
    shutil.copy2(PKG / "deb" / "copyright", doc / "copyright")
    debian = root / "DEBIAN"
    debian.mkdir()
    installed_kb = (dir_size(root) + 1023) // 1024
    control = (PKG / "deb" / "control.in").read_text(encoding="utf-8").format(
        version=version, arch=arch, installed_size=installed_kb, depends=", ".join(DEPENDS),
        recommends=", ".join(RECOMMENDS))
    (debian / "control").write_text(control, encoding="utf-8")
    for script in ("postinst", "prerm", "postrm"):
        src = PKG / "deb" / script
        if src.exists():
            shutil.copy2(src, debian / script)
            os.chmod(debian / script, 0o755)
    # normalise modes: directories 0755, files 0644 except executables/shared objects 0755
    for p in root.rglob("*"):
        if p.is_symlink():
            continue
        if p.is_dir():
            os.chmod(p, 0o755)
        elif p.parent != debian:
            os.chmod(p, 0o755 if os.access(p, os.X_OK) else 0o644)
    deb = dist / f"{APP}_{version}_{arch}.deb"
    if deb.exists():
        deb.unlink()
    run(["dpkg-deb", "--build", "--root-owner-group", "-Zxz", root, deb], stdout=subprocess.DEVNULL)
    return deb


# ---------------------------------------------------------------------------------------------

def project_version() -> str:
    text = (ROOT / "client" / "__init__.py").read_text(encoding="utf-8")
    m = re.search(r'__version__\s*=\s*"([^"]+)"', text)
    return m.group(1) if m else "0.0.0"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reuse-venv", action="store_true", help="reuse build/venv if it exists (developer loop)")
    ap.add_argument("--no-deb", action="store_true", help="skip the .deb")
    ap.add_argument("--no-selftest", action="store_true", help="skip the frozen self-test")
    ap.add_argument("--build-dir", default=str(ROOT / "build"))
    ap.add_argument("--dist-dir", default=str(ROOT / "dist"))
    args = ap.parse_args(argv)
    build, dist = Path(args.build_dir).absolute(), Path(args.dist_dir).absolute()
    build.mkdir(parents=True, exist_ok=True)
    dist.mkdir(parents=True, exist_ok=True)
    version = project_version()
    report: dict = {"version": version, "platform": platform.platform(), "steps": {}}
    t_all = time.perf_counter()
    state: dict = {}

    def step(name: str, fn):
        log(f">> {name}")
        t0 = time.perf_counter()
        try:
            result = fn()
        except Exception as exc:
            report["steps"][name] = round(time.perf_counter() - t0, 1)
            report["failed"] = f"{name}: {exc}"
            raise
        report["steps"][name] = round(time.perf_counter() - t0, 1)
        log(f"   {name}: {report['steps'][name]} s")
        return result

    try:
        venv = step("venv", lambda: make_venv(build, args.reuse_venv))
        step("translations", lambda: compile_translations(venv))
        onedir = step("pyinstaller", lambda: pyinstaller(venv, build, dist))
        state["pruned"] = step("prune", lambda: prune_onedir(onedir))
        if not args.no_selftest:
            step("selftest", lambda: frozen_selftest(onedir))
        report["onedir"] = str(onedir)
        report["installed_mb"] = mb(dir_size(onedir))
        report["pruned_mb"] = mb(state["pruned"]["bytes"])
        if sys.platform.startswith("linux") and not args.no_deb:
            report["depends_check"] = step("ldd", lambda: check_depends(onedir))
            deb = step("deb", lambda: build_deb(onedir, build, dist, version))
            report["deb"] = str(deb)
            report["deb_mb"] = mb(deb.stat().st_size)
    except Exception as exc:  # noqa: BLE001 - report which step failed
        log(f"!! build failed: {report.get('failed') or exc}")
        report["total_s"] = round(time.perf_counter() - t_all, 1)
        (dist / "build-report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
        return 1
    report["total_s"] = round(time.perf_counter() - t_all, 1)
    (dist / "build-report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    log("")
    log(f"MedSettle {version} bundle: {report['onedir']}")
    log(f"  installed size : {report['installed_mb']} MB (goal <= {GOAL_INSTALLED_MB} MB)"
        f"{'' if report['installed_mb'] <= GOAL_INSTALLED_MB else '  OVER GOAL'}; pruned {report['pruned_mb']} MB")
    if "deb" in report:
        log(f"  .deb           : {report['deb']} {report['deb_mb']} MB (goal <= {GOAL_DEB_MB} MB)"
            f"{'' if report['deb_mb'] <= GOAL_DEB_MB else '  OVER GOAL'}")
        dc = report["depends_check"]
        if dc["undeclared"]:
            log(f"  WARNING system packages used by the bundle but not in Depends: {', '.join(dc['undeclared'])}")
        if dc["ldd_not_found"]:
            log(f"  note: libraries not found by ldd on this machine: {', '.join(dc['ldd_not_found'])}")
    log("  steps: " + ", ".join(f"{k} {v} s" for k, v in report["steps"].items()) + f"; total {report['total_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
