"""Policy parameters (待遇政策参数) as site data: import, list, show, export, and the bundle in force.

The local engine (preview, pre-checks, offline provisional settlement) needs the insured place's
policy parameters as a ``policy-bundle/1`` document. The national interface has no transaction that
serves them (the earlier 9901 was an invention of ours; a real platform answers it with 未知交易编号),
so they are **site data**: the hospital's IT keeps one file per insured place and version, written
from the parameters the regional offices publish, and imports it with ``medsettle policy import``.

Import format: one UTF-8 JSON file per bundle (``resources/policies/*.json`` are the training ones)::

    {"format": "policy-bundle/1", "insuplc_admdvs": "310118", "insuplc_name": "上海市青浦区",
     "issuer": "上海市医疗保障局", "ver": "2027.1", "issued_at": "2026-12-20T00:00:00+08:00",
     "valid_from": "2027-01-01", "valid_to": null, "note": "...",
     "policies": [...], "zones": [...], "pools": {...}}

Rules (docs/operations.md, "Policy parameters"):

* the file is checked completely before anything is written: JSON, the header (``issuer``, ``ver``,
  ``insuplc_admdvs``, ``valid_from`` / ``valid_to``), and the schema of the policies
  (:func:`client.services.sync.check_bundle_schema`: the engine's own validation of a probe case);
  a directory is imported all or nothing;
* a bundle already held with the same place, version AND content is "unchanged"; the same place and
  version with DIFFERENT content is refused (a new version number is needed), unless the importer
  explicitly asks to replace it (``replace=True``; audited ``policy_replace`` with both checksums);
* every import records issuer, version, validity, source file name, the file's SHA-256, who imported
  it and when, and writes the audit event ``policy_import`` (operator, file, checksum) in the same
  transaction; a refused import writes ``policy_import_refused`` and nothing else;
* the bundle in force for a settlement (:func:`bundle_for`) is the one of the insured place whose
  validity covers the settlement date; where several do, the one with the latest ``valid_from``,
  then the newest import. Bundles fetched with 9901 (optional, ``platform.policy_bundles_9901``) have
  no validity dates of their own and count as valid on every date.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from client.domain import casebuild, engine

from .errors import ServiceError

FORMAT = "policy-bundle/1"
MAX_FILE_BYTES = 5 * 1024 * 1024
VER_RE = re.compile(r"^[0-9A-Za-z._-]{1,20}$")
ADMDVS_RE = re.compile(r"^\d{6}$")
SOURCE_LABELS = {"import": "信息科导入", "9901": "医保平台(9901)"}
TRAINING_ACTOR = "system"

__all__ = [
    "BundleFile", "ImportReport", "bundle_for", "check_bundle_schema", "bundles_via_9901", "export_bundle", "import_paths",
    "list_bundles", "missing_bundle_message", "no_bundle_message", "place_name", "read_bundle_file", "seed_training_policies", "show_bundle",
]


def place_name(adm: str) -> str:
    """"上海市青浦区(310118)" — the insured place as a cashier reads it."""
    from client.domain.regions import region_name

    try:
        return f"{region_name(adm)}({adm})"
    except ValueError:
        return f"参保地 {adm}"


def no_bundle_message(adm: str, on: str | date | None = None, *, expired: bool = False) -> str:
    """What the preview / pre-check says when no bundle covers the insured place (and date)."""
    what = (f"{place_name(adm)}在 {on} 有效的政策参数" if expired and on else f"{place_name(adm)}政策参数")
    return (f"无{what}，不能本地预算，预结算仅供参考、以医保平台结算为准（结算照常进行）。"
            "如需本地预算，请信息科导入该地区的政策参数（medsettle policy import）。")


def missing_bundle_message(store, adm: str, on: str | date | datetime | None = None) -> str:
    """:func:`no_bundle_message` for ``adm`` on ``on``: says whether bundles exist but none is valid then."""
    with store.read_connection() as conn:
        n = conn.exec_driver_sql("SELECT count(*) FROM policy_bundles WHERE insuplc_admdvs = ?",
                                 (adm or "",)).scalar_one()
    return no_bundle_message(adm, _as_date(on), expired=bool(n))


def bundles_via_9901(settings: Any) -> bool:
    """Does this site fetch bundles with the MedSettle extension 9901 (``platform.policy_bundles_9901``)?"""
    return bool(getattr(settings.platform, "policy_bundles_9901", False))


# ------------------------------------------------------------------------------------ schema
def check_bundle_schema(bundle: Any, insuplc_admdvs: str) -> None:
    """Schema check of a policy-bundle/1 (import and 9901): raises ServiceError('refused') with a Chinese
    reason (``detail`` = the reason alone)."""
    def bad(why: str) -> ServiceError:
        return ServiceError("refused", f"参保地 {insuplc_admdvs} 的政策包格式不正确（{why}），已拒绝使用，继续使用原政策包。"
                                       "请联系信息科或医保中心核查政策包。", detail=why)

    if not isinstance(bundle, dict) or bundle.get("format") != "policy-bundle/1":
        raise bad("format 不是 policy-bundle/1")
    if bundle.get("insuplc_admdvs") not in (None, insuplc_admdvs):
        raise bad(f"参保地为 {bundle.get('insuplc_admdvs')}")
    if not bundle.get("ver"):
        raise bad("缺少版本号 ver")
    if not isinstance(bundle.get("policies"), list) or not bundle["policies"]:
        raise bad("没有 policies")
    probe_visit = {"mdtrtarea_admvs": insuplc_admdvs, "hosp_lv": "2", "med_type": "11",
                   "begndate": date.today().isoformat(), "filing": "none"}
    probe_person = {"insuinfo": [{"insuplc_admdvs": insuplc_admdvs, "insutype": "310", "psn_type": "1101",
                                  "balc": "0.00"}], "brdy": "1980-01-01", "ytd": {}}
    probe_line = {"feedetl_sn": "1", "med_list_codg": "PROBE", "cnt": "1", "pric": "1.00"}
    try:
        case = casebuild.build_case(probe_visit, probe_person, [], [probe_line], bundle)
        engine.validate_case(case)
    except casebuild.CaseBuildError as exc:
        raise bad(exc.message) from None
    except engine.CaseError as exc:
        raise bad(exc.message) from None


# ------------------------------------------------------------------------------------ reading
@dataclass
class BundleFile:
    path: Path
    sha256: str
    bundle: dict
    insuplc_admdvs: str
    ver: str
    issuer: str
    valid_from: date
    valid_to: date | None

    @property
    def name(self) -> str:
        return self.path.name

    def canonical(self) -> str:
        return canonical_json(self.bundle)


def canonical_json(bundle: dict) -> str:
    return json.dumps(bundle, ensure_ascii=False, sort_keys=True)


def _bad_file(path: Path | str, why: str) -> ServiceError:
    name = Path(path).name
    return ServiceError("invalid_input", f"政策参数文件 {name} 不能导入：{why}。本机政策参数没有任何改变。", detail=why,
                        system="local")


def _date(v: Any, what: str, path: Path) -> date | None:
    if v in (None, ""):
        return None
    if not isinstance(v, str):
        raise _bad_file(path, f"{what} 应为 yyyy-MM-dd 格式的日期文本")
    try:
        return date.fromisoformat(v[:10]) if len(v) >= 10 and v[4] == "-" else date.fromisoformat(v)
    except ValueError:
        raise _bad_file(path, f"{what}“{v}”不是有效日期（应为 yyyy-MM-dd）") from None


def read_bundle_file(path: str | Path) -> BundleFile:
    """Read and check one import file completely; raises ServiceError('invalid_input') in Chinese."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _bad_file(path, f"文件大于 {MAX_FILE_BYTES // 1024 // 1024} MB，不像政策参数文件")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _bad_file(path, "文件不存在") from None
    except IsADirectoryError:
        raise _bad_file(path, "这是一个目录") from None
    except OSError as exc:
        raise _bad_file(path, f"无法读取文件（{exc.strerror or exc.__class__.__name__}）") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _bad_file(path, "文件不是 UTF-8 编码的文本") from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise _bad_file(path, f"不是有效的 JSON{f'（第 {line} 行附近）' if line else ''}") from None
    if not isinstance(doc, dict):
        raise _bad_file(path, "文件内容应为一个 JSON 对象")
    if doc.get("format") != FORMAT:
        raise _bad_file(path, f"format 应为 {FORMAT}")
    adm = doc.get("insuplc_admdvs")
    if not isinstance(adm, str) or not ADMDVS_RE.match(adm):
        raise _bad_file(path, "缺少参保地区划 insuplc_admdvs（6位数字）")
    issuer = doc.get("issuer")
    if not isinstance(issuer, str) or not issuer.strip():
        raise _bad_file(path, "缺少发布机构 issuer（如“上海市医疗保障局”）")
    if len(issuer) > 100:
        raise _bad_file(path, "发布机构 issuer 超过100个字符")
    ver = doc.get("ver")
    if not isinstance(ver, str) or not VER_RE.match(ver):
        raise _bad_file(path, "版本号 ver 应为1到20位的字母、数字、点、下划线或连字符（如 2027.1）")
    valid_from = _date(doc.get("valid_from"), "生效日期 valid_from", path)
    if valid_from is None:
        raise _bad_file(path, "缺少生效日期 valid_from（yyyy-MM-dd）")
    valid_to = _date(doc.get("valid_to"), "失效日期 valid_to", path)
    if valid_to is not None and valid_to < valid_from:
        raise _bad_file(path, f"失效日期 {valid_to} 早于生效日期 {valid_from}")
    try:
        check_bundle_schema(doc, adm)
    except ServiceError as exc:
        raise _bad_file(path, f"政策内容不正确（{exc.detail or exc.message}）") from None
    return BundleFile(path, hashlib.sha256(raw).hexdigest(), doc, adm, ver, issuer.strip(), valid_from, valid_to)


def _files_of(paths: list[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(x for x in p.iterdir() if x.is_file() and x.suffix.lower() == ".json")
            if not found:
                raise _bad_file(p, "目录中没有 .json 政策参数文件")
            out.extend(found)
        else:
            out.append(p)
    return out


# ------------------------------------------------------------------------------------ import
@dataclass
class ImportReport:
    imported: list[dict] = field(default_factory=list)     # newly stored (or replaced) bundles
    unchanged: list[dict] = field(default_factory=list)    # the same place/version/content already held

    def to_dict(self) -> dict:
        return {"imported": self.imported, "unchanged": self.unchanged}


def _summary(bf: BundleFile, status: str) -> dict:
    return {"insuplc_admdvs": bf.insuplc_admdvs, "ver": bf.ver, "issuer": bf.issuer,
            "valid_from": bf.valid_from.isoformat(), "valid_to": bf.valid_to.isoformat() if bf.valid_to else None,
            "file": bf.name, "sha256": bf.sha256, "status": status}


def import_paths(store, paths: list[str | Path], *, actor: str, replace: bool = False,
                 audit_refusal: bool = True) -> ImportReport:
    """Import FILEs / DIRs (all or nothing). Raises ServiceError with a Chinese message; nothing is
    written then except the audit event ``policy_import_refused``."""
    from . import audit

    try:
        files = _files_of(paths)
        parsed = [read_bundle_file(p) for p in files]
        seen: dict[tuple[str, str], BundleFile] = {}
        for bf in parsed:
            key = (bf.insuplc_admdvs, bf.ver)
            if key in seen and seen[key].canonical() != bf.canonical():
                raise _bad_file(bf.path, f"与同时导入的 {seen[key].name} 是同一参保地同一版本 {bf.ver}，内容却不同")
            seen[key] = bf
        report = ImportReport()
        now = datetime.now()
        with store.connection() as conn:
            for bf in seen.values():
                row = conn.exec_driver_sql(
                    "SELECT id, body_json, sha256, source FROM policy_bundles WHERE insuplc_admdvs = ? AND ver = ?",
                    (bf.insuplc_admdvs, bf.ver)).fetchone()
                body = bf.canonical()
                if row is not None and canonical_json(json.loads(row[1])) == body:
                    report.unchanged.append(_summary(bf, "unchanged"))
                    continue
                if row is not None and not replace:
                    raise ServiceError(
                        "refused",
                        f"参保地 {place_name(bf.insuplc_admdvs)} 的政策参数版本 {bf.ver} 已导入"
                        f"（校验值 {(row[2] or '')[:12]}…），文件 {bf.name} 的内容与它不同。同一版本不能覆盖："
                        "请核对文件，新的参数请使用新的版本号；确需更正同一版本时加 --replace。本机政策参数没有任何改变。",
                        detail=f"sha256 {bf.sha256}", system="local")
                params = (bf.issuer, bf.valid_from.isoformat(), bf.valid_to.isoformat() if bf.valid_to else None,
                          bf.name[:255], bf.sha256, actor[:30], str(bf.bundle.get("issued_at") or "")[:32], body, now)
                if row is None:
                    conn.exec_driver_sql(
                        "INSERT INTO policy_bundles (issuer, valid_from, valid_to, source_file, sha256, imported_by, "
                        "issued_at, body_json, fetched_at, insuplc_admdvs, ver, mac, verified_at, source) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', NULL, 'import')",
                        (*params, bf.insuplc_admdvs, bf.ver))
                    audit.record(conn, actor, "policy_import", {
                        "file": bf.name, "sha256": bf.sha256, "insuplc_admdvs": bf.insuplc_admdvs, "ver": bf.ver,
                        "issuer": bf.issuer, "valid_from": bf.valid_from.isoformat(),
                        "valid_to": bf.valid_to.isoformat() if bf.valid_to else None})
                    report.imported.append(_summary(bf, "imported"))
                else:
                    conn.exec_driver_sql(
                        "UPDATE policy_bundles SET issuer = ?, valid_from = ?, valid_to = ?, source_file = ?, sha256 = ?, "
                        "imported_by = ?, issued_at = ?, body_json = ?, fetched_at = ?, mac = '', verified_at = NULL, "
                        "source = 'import' WHERE id = ?", (*params, row[0]))
                    audit.record(conn, actor, "policy_replace", {
                        "file": bf.name, "sha256": bf.sha256, "old_sha256": row[2] or "", "old_source": row[3],
                        "insuplc_admdvs": bf.insuplc_admdvs, "ver": bf.ver, "issuer": bf.issuer})
                    report.imported.append(_summary(bf, "replaced"))
        return report
    except ServiceError as exc:
        if audit_refusal:
            audit.record(store, actor, "policy_import_refused",
                         {"files": [Path(p).name for p in paths], "reason": exc.detail or exc.message})
        raise


def seed_training_policies(store, regions: list[str] | None = None) -> list[str]:
    """Training mode: import the shipped demo bundles (resources/policies/*.json) whose place and
    version this store does not hold yet (a held one, however it arrived, is left alone). Returns the
    places imported."""
    from client.resources import resource

    files = sorted(resource("policies").glob("*.json"))
    if regions is not None:
        files = [f for f in files if f.stem in set(regions)]
    with store.read_connection() as conn:
        held = {(a, v) for a, v in conn.exec_driver_sql("SELECT insuplc_admdvs, ver FROM policy_bundles")}
    todo = []
    for f in files:
        try:
            doc = json.loads(f.read_text(encoding="utf-8"))
        except ValueError:
            todo.append(f)            # import_paths names the broken shipped file
            continue
        if (doc.get("insuplc_admdvs"), doc.get("ver")) not in held:
            todo.append(f)
    if not todo:
        return []
    rep = import_paths(store, todo, actor=TRAINING_ACTOR)
    return [r["insuplc_admdvs"] for r in rep.imported]


# ------------------------------------------------------------------------------------ reading back
_COLS = ("id", "insuplc_admdvs", "ver", "issuer", "valid_from", "valid_to", "source", "source_file", "sha256",
         "imported_by", "issued_at", "fetched_at", "verified_at")


def _row(r) -> dict:
    d = dict(zip(_COLS, r, strict=False))
    for k in ("valid_from", "valid_to", "fetched_at", "verified_at"):
        v = d.get(k)
        if v is not None and not isinstance(v, str):
            d[k] = v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat()
        elif isinstance(v, str) and k in ("valid_from", "valid_to"):
            d[k] = v[:10]
    d["imported_at"] = d.pop("fetched_at", None)          # when it arrived on this machine
    d["source_label"] = SOURCE_LABELS.get(d.get("source") or "", d.get("source"))
    d.pop("id", None)
    return d


def _as_date(on: str | date | datetime | None) -> str:
    if on is None:
        return date.today().isoformat()
    if isinstance(on, datetime):
        return on.date().isoformat()
    if isinstance(on, date):
        return on.isoformat()
    return str(on)[:10]


_IN_FORCE = ("FROM policy_bundles WHERE insuplc_admdvs = ? AND (valid_from IS NULL OR substr(valid_from, 1, 10) <= ?) "
             "AND (valid_to IS NULL OR substr(valid_to, 1, 10) >= ?) "
             "ORDER BY coalesce(substr(valid_from, 1, 10), '') DESC, fetched_at DESC, id DESC LIMIT 1")


def bundle_for(store, insuplc_admdvs: str, on: str | date | datetime | None = None) -> dict | None:
    """The bundle of ``insuplc_admdvs`` valid on ``on`` (default today), or None."""
    if not insuplc_admdvs:
        return None
    day = _as_date(on)
    with store.read_connection() as conn:
        r = conn.exec_driver_sql("SELECT body_json " + _IN_FORCE, (insuplc_admdvs, day, day)).fetchone()
    return json.loads(r[0]) if r else None


def list_bundles(store, insuplc_admdvs: str | None = None, *, on: str | date | None = None) -> list[dict]:
    """Every bundle held (newest first per place), each marked ``in_force`` for ``on`` (default today)."""
    day = _as_date(on)
    sql = f"SELECT {', '.join(_COLS)} FROM policy_bundles"
    args: tuple = ()
    if insuplc_admdvs:
        sql += " WHERE insuplc_admdvs = ?"
        args = (insuplc_admdvs,)
    sql += " ORDER BY insuplc_admdvs, coalesce(substr(valid_from, 1, 10), '') DESC, fetched_at DESC, id DESC"
    with store.read_connection() as conn:
        rows = conn.exec_driver_sql(sql, args).fetchall()
        in_force = {}
        for adm in {r[1] for r in rows}:
            x = conn.exec_driver_sql("SELECT id " + _IN_FORCE, (adm, day, day)).fetchone()
            if x:
                in_force[adm] = x[0]
    out = []
    for r in rows:
        d = _row(r)
        d["in_force"] = in_force.get(r[1]) == r[0]
        d["place"] = place_name(r[1])
        out.append(d)
    return out


def show_bundle(store, insuplc_admdvs: str, version: str | None = None, *,
                on: str | date | None = None) -> dict:
    """One bundle's record and body: ``version``, else the one in force on ``on`` (default today)."""
    if not ADMDVS_RE.match(insuplc_admdvs or ""):
        raise ServiceError("invalid_input", f"参保地区划“{insuplc_admdvs}”应为6位数字（如 310118）。", system="local")
    with store.read_connection() as conn:
        if version:
            r = conn.exec_driver_sql(f"SELECT {', '.join(_COLS)}, body_json FROM policy_bundles "
                                     "WHERE insuplc_admdvs = ? AND ver = ?", (insuplc_admdvs, version)).fetchone()
        else:
            day = _as_date(on)
            r = conn.exec_driver_sql(f"SELECT {', '.join(_COLS)}, body_json " + _IN_FORCE,
                                     (insuplc_admdvs, day, day)).fetchone()
    if r is None:
        what = f"版本 {version}" if version else f"在 {_as_date(on)} 有效的版本"
        raise ServiceError("not_found", f"本机没有{place_name(insuplc_admdvs)}政策参数的{what}。"
                                        "用 medsettle policy list 查看本机已有的政策参数。", system="local")
    d = _row(r[:-1])
    d["place"] = place_name(insuplc_admdvs)
    d["bundle"] = json.loads(r[-1])
    return d


def export_bundle(store, insuplc_admdvs: str, version: str | None, out: str | Path) -> dict:
    """Write a held bundle back as an import file (e.g. to copy it to another window)."""
    rec = show_bundle(store, insuplc_admdvs, version)
    body = dict(rec["bundle"])
    body.setdefault("issuer", rec.get("issuer") or "")
    body.setdefault("valid_from", rec.get("valid_from"))
    body.setdefault("valid_to", rec.get("valid_to"))
    text = json.dumps(body, ensure_ascii=False, indent=1) + "\n"
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ServiceError("invalid_input", f"无法写入文件 {out}（{exc.strerror or exc.__class__.__name__}），未导出。",
                           system="local") from None
    return {"insuplc_admdvs": insuplc_admdvs, "ver": rec["ver"], "file": str(out),
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
