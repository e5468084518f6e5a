"""Update and compile the UI translations.

    python -m client.ui.i18n_build            # lupdate (merge new strings into the .ts) + lrelease
    python -m client.ui.i18n_build --release  # only compile .ts → .qm

lupdate scans ``client/ui/*.py`` (``self.tr()`` / ``QCoreApplication.translate``) and merges into
``resources/translations/medsettle_zh_CN.ts`` and ``medsettle_en.ts`` (English is the source
language; its .ts exists so translators have the full list). New strings arrive in zh_CN as
"unfinished": translate them (Qt Linguist, ``pyside6-linguist``) — a test fails while any zh_CN
entry is unfinished or empty. lrelease writes the ``.qm`` files next to the ``.ts`` (git-ignored).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from client.resources import resource

LANGS = ("zh_CN", "en")


def _tool(name: str) -> list[str]:
    exe = Path(sys.executable).with_name(f"pyside6-{name}")
    if exe.exists():
        return [str(exe)]
    found = shutil.which(f"pyside6-{name}")
    if found:
        return [found]
    raise SystemExit(f"找不到 pyside6-{name}，请先安装 PySide6（dev.sh setup）")


def sources() -> list[Path]:
    ui = Path(__file__).resolve().parent
    return sorted(p for p in ui.glob("*.py") if p.name not in ("i18n_build.py",))


def ts_path(lang: str) -> Path:
    return resource("translations", f"medsettle_{lang}.ts")


def update() -> None:
    for lang in LANGS:
        ts = ts_path(lang)
        ts.parent.mkdir(parents=True, exist_ok=True)
        cmd = [*_tool("lupdate"), "-silent", "-no-obsolete", "-locations", "none",
               *[str(s) for s in sources()], "-target-language", lang, "-ts", str(ts)]
        if lang == "en":
            cmd.insert(-2, "-source-language")
            cmd.insert(-2, "en")
        subprocess.run(cmd, check=True)


def release() -> None:
    for lang in LANGS:
        ts = ts_path(lang)
        if not ts.exists():
            continue
        subprocess.run([*_tool("lrelease"), "-silent", str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True)


def build(merge: bool = True) -> None:
    if merge:
        update()
    release()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m client.ui.i18n_build", description=__doc__.splitlines()[0])
    p.add_argument("--release", action="store_true", help="only compile .ts to .qm")
    args = p.parse_args(argv)
    build(merge=not args.release)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
