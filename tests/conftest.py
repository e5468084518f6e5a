"""Suite-wide settings: Qt runs offscreen; every test gets its own temporary data directory."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep the suite's own files away from the developer's real per-machine directories.
os.environ.setdefault("MEDSETTLE_NO_USER_DIRS", "1")
