"""PyInstaller runtime hook: make the frozen MedSettle find its bundled native pieces.

pyzbar on Linux looks for libzbar with ``ctypes.util.find_library('zbar')`` only, which never
looks inside the bundle (and needs ldconfig/gcc at run time). We wrap
``pyzbar.zbar_library.load`` so the bundled ``libzbar.so.0`` in ``sys._MEIPASS`` is tried first,
falling back to pyzbar's own search (the system libzbar0 package). On Windows pyzbar already looks
in its package directory, where ``collect_dynamic_libs('pyzbar')`` puts ``libzbar-64.dll`` and
``libiconv.dll``. The path that was loaded is recorded as ``_medsettle_loaded_from`` for
``medsettle selftest`` and ``medsettle diag``.
"""


def _install() -> None:
    import os
    import sys

    base = getattr(sys, "_MEIPASS", None)
    if not base or sys.platform == "win32":
        return
    try:
        from pyzbar import zbar_library
    except ImportError:
        return
    original = zbar_library.load

    def load():
        import ctypes

        for name in ("libzbar.so.0", "libzbar.0.dylib"):
            candidate = os.path.join(base, name)
            if os.path.exists(candidate):
                try:
                    lib = ctypes.cdll.LoadLibrary(candidate)
                except OSError:
                    continue
                zbar_library._medsettle_loaded_from = candidate
                return lib, []
        return original()

    zbar_library.load = load


_install()
del _install
