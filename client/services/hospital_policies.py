"""Policy parameters once per hospital: IT publishes the bundle files into the hospital store;
every window imports what it lacks at its sync, through its own ``policies.import_paths`` (the
same validation, checksum, refusal rules and audit as ``medsettle policy import``).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from sqlalchemy import text as sql

from hospital_store import SCHEMA
from hospital_store.db import HospitalError, explain

from . import policies
from .errors import ServiceError


def publish(engine, paths: list[str | Path]) -> dict:
    """Check every file (all or nothing) and store the new ones; the same (place, version) with
    other content is refused — a correction is a new version."""
    files = policies._files_of(paths)
    parsed = [(p, policies.read_bundle_file(p)) for p in files]
    out = {"published": [], "unchanged": []}
    try:
        with engine.begin() as c:
            for p, bf in parsed:
                raw = Path(p).read_bytes()
                sha = hashlib.sha256(raw).hexdigest()
                row = c.execute(sql(f"SELECT sha256 FROM {SCHEMA}.policy_files WHERE insuplc_admdvs = :a AND ver = :v"),
                                {"a": bf.insuplc_admdvs, "v": bf.ver}).first()
                if row is not None:
                    if row[0] != sha:
                        raise ServiceError("refused", f"医院库已有参保地 {policies.place_name(bf.insuplc_admdvs)} 的政策参数版本 "
                                                      f"{bf.ver}（校验值 {row[0][:12]}…），文件 {bf.name} 的内容与它不同。"
                                                      "同一版本不能覆盖，请使用新的版本号。医院库没有任何改变。")
                    out["unchanged"].append({"file": bf.name, "insuplc_admdvs": bf.insuplc_admdvs, "ver": bf.ver})
                    continue
                c.execute(sql(f"INSERT INTO {SCHEMA}.policy_files (insuplc_admdvs, ver, sha256, filename, content, issuer, "
                              "valid_from, valid_to) VALUES (:a, :v, :s, :f, :b, :i, :vf, :vt)"),
                          {"a": bf.insuplc_admdvs, "v": bf.ver, "s": sha, "f": bf.name, "b": raw, "i": bf.issuer,
                           "vf": bf.valid_from, "vt": bf.valid_to})
                out["published"].append({"file": bf.name, "insuplc_admdvs": bf.insuplc_admdvs, "ver": bf.ver,
                                         "sha256": sha})
    except ServiceError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ServiceError("hospital", (exc if isinstance(exc, HospitalError) else explain(exc)).message) from None
    return out


def pull(store, engine, *, actor: str = "hospital-store") -> dict:
    """Import into the window's store the published bundles it does not hold (by place + version)."""
    with store.read_connection() as conn:
        have = {(a, v) for a, v in conn.exec_driver_sql("SELECT insuplc_admdvs, ver FROM policy_bundles")}
    try:
        with engine.connect() as c:
            rows = c.execute(sql(f"SELECT insuplc_admdvs, ver, filename, content FROM {SCHEMA}.policy_files "
                                 "ORDER BY insuplc_admdvs, valid_from, ver")).all()
    except Exception as exc:  # noqa: BLE001
        raise ServiceError("hospital", (exc if isinstance(exc, HospitalError) else explain(exc)).message) from None
    new = [r for r in rows if (r[0], r[1]) not in have]
    if not new:
        return {"imported": [], "unchanged": len(rows)}
    with tempfile.TemporaryDirectory(prefix="medsettle-policies-") as tmp:
        paths = []
        for i, (_a, _v, name, content) in enumerate(new):
            p = Path(tmp) / f"{i:04d}-{Path(name).name}"
            p.write_bytes(bytes(content))
            paths.append(p)
        rep = policies.import_paths(store, paths, actor=actor)
    return {"imported": [x for x in rep.imported], "unchanged": len(rows) - len(new)}
