"""Durable small JSON state files: atomic replace + fsync of file and directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from client.fsutil import write_private_file


def write_json_durable(path: Path, data: Any) -> None:
    """Atomic replace + fsync of the file and its directory, owner-only (client.fsutil)."""
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    write_private_file(path, payload)


def read_json(path: Path) -> Any | None:
    """The parsed content, or None when the file does not exist. Invalid JSON raises ValueError."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    return json.loads(raw.decode("utf-8"))
