"""Kill points for the fault drills: a process told by an environment variable to die at a named step
kills itself there with SIGKILL, as a power cut would, so that a test can prove the step's recovery.

Leaf module (no service imports), so that any service may name its kill points without import cycles.
"""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger("client.services.drills")


def kill_point(name: str, env: str, *, allowed: bool = True) -> None:
    """SIGKILL this process when ``env`` (comma-separated step names) names ``name`` and ``allowed``."""
    wanted = os.environ.get(env)
    if not wanted or not allowed or name not in {w.strip() for w in wanted.split(",")}:
        return
    log.warning("%s: dying at %s", env, name)
    os.kill(os.getpid(), signal.SIGKILL)
