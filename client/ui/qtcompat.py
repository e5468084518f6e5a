"""Guards against known-bad versions of the Qt binding.

PySide6 6.12.0 under CPython 3.11 loses one reference to ``None`` (and to ``True``/``False``) on
many ordinary calls — a Python slot returning ``None``, ``QObject.property()`` of an unset
property, ``QCoreApplication.processEvents()`` … CPython 3.11's singletons are not immortal
(they are from 3.12 on, PEP 683), so the interpreter aborts with "none_dealloc" after a while.
6.9–6.11 do not have the defect (measured: 0 references lost over 10,000 calls), so
``pyproject.toml`` pins ``PySide6-Essentials>=6.9,<6.12``. :func:`check_binding` refuses to start
on the bad combination instead of crashing at the counter hours later.
"""

from __future__ import annotations

import sys

BAD_VERSIONS = {"6.12.0"}


class QtBindingError(RuntimeError):
    pass


def binding_problem(version: str | None = None, python: tuple[int, int] | None = None) -> str | None:
    """A Chinese explanation if this PySide6/CPython combination is known to crash, else None."""
    if version is None:
        import PySide6

        version = PySide6.__version__
    python = python or sys.version_info[:2]
    if version in BAD_VERSIONS and python < (3, 12):
        return (f"当前 PySide6 {version} 与 Python {python[0]}.{python[1]} 组合存在已知缺陷（引用计数错误，"
                "窗口运行一段时间后会崩溃）。请安装 PySide6-Essentials 6.9–6.11（pip install "
                "'PySide6-Essentials>=6.9,<6.12'）后再启动。")
    return None


def check_binding() -> None:
    problem = binding_problem()
    if problem:
        raise QtBindingError(problem)
