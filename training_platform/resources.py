"""The `resources/` folder for the training platform (demo data, policy bundles): beside the packages in
a checkout, under ``sys._MEIPASS`` in a frozen build. The platform is the other side of the wire and
imports nothing of the client but ``client.domain`` (import-linter contract), hence its own locator."""

from __future__ import annotations

import sys
from pathlib import Path


def resource(*parts: str) -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    base = Path(frozen) / "resources" if frozen else Path(__file__).resolve().parent.parent / "resources"
    return base.joinpath(*parts)
