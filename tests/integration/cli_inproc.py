"""`medsettle ARGS` in the test process: ``client.cli.main(argv)`` with its own stdin/stdout/stderr.

A subprocess costs an interpreter start and the imports (0.3-1.5 s each on the 2-core CI machine);
input validation does not need one. ``medsettle_inproc(*args, stdin=...)`` returns the same shape as
``subprocess.run(..., capture_output=True)`` (``returncode``, ``stdout``, ``stderr``; text, or bytes
with ``text=False``) so the assertions stay as they were. The differences from a real process, on
purpose: an uncaught exception propagates into the test (it fails with the traceback instead of
printing one), and ``main(argv)`` does not install the process-wide hooks (rotating log, crash
handler) — the few contract tests that keep a real subprocess cover those.
"""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass
from unittest import mock


@dataclass
class InProcessResult:
    args: list[str]
    returncode: int
    stdout: str | bytes
    stderr: str | bytes


def medsettle_inproc(*args: str, stdin: str | bytes = b"", text: bool = True,
                     env: dict[str, str] | None = None) -> InProcessResult:
    """Run ``medsettle *args`` through ``client.cli.main`` and capture what it writes."""
    from client.cli import main

    out, err = io.BytesIO(), io.BytesIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    stderr = io.TextIOWrapper(err, encoding="utf-8", newline="", write_through=True)
    raw_in = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    stdin_stream = io.TextIOWrapper(io.BytesIO(raw_in), encoding="utf-8", newline=None)
    environ = {"MEDSETTLE_NO_USER_DIRS": "1", **(env or {})}
    with mock.patch.dict(os.environ, environ), \
            mock.patch.object(sys, "stdin", stdin_stream), \
            mock.patch.object(sys, "stdout", stdout), \
            mock.patch.object(sys, "stderr", stderr):
        os.environ.pop("MEDSETTLE_CONFIG", None)
        try:
            code = main(list(args))
        except SystemExit as exc:          # argparse errors and explicit exits, as the process would end
            if exc.code is None:
                code = 0
            elif isinstance(exc.code, int):
                code = exc.code
            else:
                stderr.write(f"{exc.code}\n")
                code = 1
        stdout.flush()
        stderr.flush()
    o, e = out.getvalue(), err.getvalue()
    if text:
        return InProcessResult(list(args), int(code), o.decode("utf-8"), e.decode("utf-8"))
    return InProcessResult(list(args), int(code), o, e)
