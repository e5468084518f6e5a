"""Training mode (`./dev.sh run` = `medsettle --training`) imports the shipped policy parameters.

A fresh training data directory, no sync: the window's store holds one bundle per shipped file
(resources/policies/*.json), each recorded with the SHA-256 of its file (hashlib, computed here)
and audited as imported by the training seed; opening it again imports nothing twice.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_training_start_imports_the_shipped_bundles(tmp_path):
    from client.services.policies import list_bundles
    from client.ui.app import start_training

    shipped = {p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in (ROOT / "resources" / "policies").glob("*.json")}
    for _ in range(2):
        state = start_training(tmp_path / "fresh")
        try:
            held = list_bundles(state.ctx.store)
            assert {b["insuplc_admdvs"]: b["sha256"] for b in held} == shipped
            assert all(b["in_force"] and b["source"] == "import" for b in held)
            with state.ctx.store.read_connection() as conn:
                n = conn.exec_driver_sql("SELECT count(*) FROM audit_events WHERE action = 'policy_import'").scalar_one()
            assert n == len(shipped)
        finally:
            state.close()
