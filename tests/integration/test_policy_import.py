"""Policy parameters as site data (issue 16 scope 4): `medsettle policy import|list|show|export`.

A production site file (the Qingpu example without its [training] section) on a real SQLite store;
the files imported are the shipped training bundles (resources/policies, the import format) and
copies of them changed the way IT could get them wrong. Expected checksums are computed here with
hashlib over the file bytes, independently of the code under test; the rules are the ones
docs/operations.md "Policy parameters" states (a bad file changes nothing, the same version with
other content is refused, the import is audited with operator, file and checksum).

The last tests run a checkout against the training platform for an insured place with no bundle:
the preview says so in Chinese and the settlement goes on with the platform's figures (worked by
hand in test_services_checkout.SHEN_FIGURES); offline provisional settlement is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.cli_inproc import medsettle_inproc as medsettle

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "resources" / "policies"


@pytest.fixture
def site(tmp_path):
    """The Qingpu example with its [training] section removed (production has none), an admin A01
    and a supervisor S01 who both set their own passwords."""
    text = (ROOT / "resources" / "config" / "site.qingpu.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[training\]\n.*?(?=^\[)", "", text)
    path = tmp_path / "site.toml"
    path.write_text(text + f'\n[paths]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    steps = [
        (("operator", "add", "A01", "--name", "信息科张", "--role", "admin", "--first-admin", "--password-stdin"),
         "Admin-first-1\n"),
        (("operator", "passwd", "A01", "--password-stdin"), "Admin-first-1\nAdmin-final-2\n"),
        (("operator", "add", "S01", "--name", "组长李", "--role", "supervisor", "--by", "A01", "--by-password-stdin",
          "--password-stdin"), "Admin-final-2\nSuper-init-3\n"),
        (("operator", "passwd", "S01", "--password-stdin"), "Super-init-3\nSuper-final-4\n"),
    ]
    for args, stdin in steps:
        r = medsettle(*args, "--config", str(path), stdin=stdin)
        assert r.returncode == 0, r.stderr
    return path


def pol(site, *args, by="A01", password="Admin-final-2"):
    extra = ("--by", by, "--by-password-stdin") if by and args[0] == "import" else ()
    return medsettle("policy", *args, *extra, "--config", str(site), stdin=f"{password}\n" if extra else "")


def rows(site) -> list[tuple]:
    c = sqlite3.connect(str(site.parent / "data" / "medsettle.sqlite3"))
    try:
        return c.execute("SELECT insuplc_admdvs, ver, issuer, valid_from, valid_to, source, source_file, sha256, "
                         "imported_by, body_json FROM policy_bundles ORDER BY insuplc_admdvs, ver").fetchall()
    finally:
        c.close()


def audit_rows(site, action: str) -> list[dict]:
    out = site.parent / "audit.jsonl"
    r = medsettle("audit", "export", "--config", str(site), "--out", str(out))
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [e for e in events if e.get("action") == action]


def detail(e: dict) -> dict:
    d = e.get("detail")
    return json.loads(d) if isinstance(d, str) else (d or {})


def copy_files(tmp_path: Path, *places: str) -> Path:
    d = tmp_path / "site-files"
    d.mkdir(exist_ok=True)
    for adm in places:
        shutil.copyfile(SHIPPED / f"{adm}.json", d / f"{adm}.json")
    return d


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------ import / list / show
def test_import_list_show_record_checksum_and_audit(site, tmp_path):
    d = copy_files(tmp_path, "330421", "320509")
    r = pol(site, "import", str(d))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert sorted((x["insuplc_admdvs"], x["sha256"], x["status"]) for x in out["imported"]) == [
        ("320509", sha(d / "320509.json"), "imported"), ("330421", sha(d / "330421.json"), "imported")]
    assert "已导入：嘉兴市嘉善县(330421) 版本 2026.1" in r.stderr
    # what is stored: issuer, version, validity, place, source file, checksum, who — from the file itself
    got = rows(site)
    assert len(got) == 2
    for adm, ver, issuer, vfrom, vto, source, fname, digest, by, body in got:
        doc = json.loads((d / f"{adm}.json").read_text(encoding="utf-8"))
        assert (ver, issuer, vfrom, vto) == (doc["ver"], doc["issuer"], doc["valid_from"], doc["valid_to"])
        assert (source, fname, digest, by) == ("import", f"{adm}.json", sha(d / f"{adm}.json"), "A01")
        assert json.loads(body) == doc
    # audited: operator, file, checksum (one event per bundle)
    ev = audit_rows(site, "policy_import")
    assert sorted((e["actor"], detail(e)["file"], detail(e)["sha256"]) for e in ev) == [
        ("A01", "320509.json", sha(d / "320509.json")), ("A01", "330421.json", sha(d / "330421.json"))]
    # list / show read it back; the version in force today is marked
    r = pol(site, "list")
    assert r.returncode == 0, r.stderr
    listed = json.loads(r.stdout)["bundles"]
    assert [(b["insuplc_admdvs"], b["ver"], b["in_force"], b["sha256"]) for b in listed] == [
        ("320509", "2026.1", True, sha(d / "320509.json")), ("330421", "2026.1", True, sha(d / "330421.json"))]
    r = pol(site, "show", "330421")
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["bundle"] == json.loads((d / "330421.json").read_text(encoding="utf-8"))
    assert shown["issuer"] == "嘉兴市嘉善县医疗保障局（培训示例，非官方发布）" and shown["imported_by"] == "A01"
    assert json.loads(pol(site, "show", "330421", "--version", "2026.1").stdout)["sha256"] == sha(d / "330421.json")
    r = pol(site, "show", "330421", "--version", "1999.9")
    assert r.returncode == 2 and "本机没有嘉兴市嘉善县(330421)政策参数的版本 1999.9" in r.stderr
    # importing the same files again: unchanged, no new event
    r = pol(site, "import", str(d))
    assert r.returncode == 0 and len(json.loads(r.stdout)["unchanged"]) == 2 and "未变化" in r.stderr
    assert len(audit_rows(site, "policy_import")) == 2 and len(rows(site)) == 2
    # export writes the import format back: it imports as "unchanged" (same content)
    r = pol(site, "export", "330421", "--out", str(tmp_path / "out.json"))
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8")) == shown["bundle"]


def _bad_variants(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    good = json.loads((SHIPPED / "330421.json").read_text(encoding="utf-8"))
    out = {}

    def write(name: str, doc=None, text: str | None = None, why: str = ""):
        p = tmp_path / "bad" / name
        p.parent.mkdir(exist_ok=True)
        p.write_text(text if text is not None else json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        out[name] = (p, why)

    write("truncated.json", text=(SHIPPED / "330421.json").read_text(encoding="utf-8")[:500], why="不是有效的 JSON")
    write("no-issuer.json", {k: v for k, v in good.items() if k != "issuer"}, why="缺少发布机构 issuer")
    write("no-place.json", {k: v for k, v in good.items() if k != "insuplc_admdvs"}, why="insuplc_admdvs")
    write("dates.json", dict(good, valid_from="2027-01-01", valid_to="2026-12-31"), why="早于生效日期")
    write("bad-date.json", dict(good, valid_from="2027-13-01"), why="不是有效日期")
    broken = json.loads(json.dumps(good))
    broken["policies"][0]["deductible"] = "lots"                # not a valid policy for the engine
    write("bad-policy.json", broken, why="政策内容不正确")
    write("other-format.json", dict(good, format="policy-bundle/2"), why="format 应为 policy-bundle/1")
    return out


def test_bad_files_are_refused_in_chinese_and_change_nothing(site, tmp_path):
    d = copy_files(tmp_path, "320509")
    assert pol(site, "import", str(d / "320509.json")).returncode == 0
    before = rows(site)
    for name, (path, why) in _bad_variants(tmp_path).items():
        r = pol(site, "import", str(path))
        assert r.returncode == 2, (name, r.stderr)
        assert f"政策参数文件 {name} 不能导入" in r.stderr and why in r.stderr and "没有任何改变" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
        assert rows(site) == before, name
    # a directory with one bad file among good ones: all or nothing
    mixed = copy_files(tmp_path, "330421", "310118")
    shutil.copyfile(_bad_variants(tmp_path)["no-issuer.json"][0], mixed / "zz-no-issuer.json")
    r = pol(site, "import", str(mixed))
    assert r.returncode == 2 and "zz-no-issuer.json" in r.stderr
    assert rows(site) == before
    refused = audit_rows(site, "policy_import_refused")
    assert len(refused) == len(_bad_variants(tmp_path)) + 1 and all(e["actor"] == "A01" for e in refused)
    assert len(audit_rows(site, "policy_import")) == 1
    # a missing file
    r = pol(site, "import", str(tmp_path / "nope.json"))
    assert r.returncode == 2 and "nope.json 不能导入：文件不存在" in r.stderr


def test_same_version_other_content_is_refused_unless_replaced_explicitly(site, tmp_path):
    d = copy_files(tmp_path, "330421")
    assert pol(site, "import", str(d / "330421.json")).returncode == 0
    first = rows(site)
    doc = json.loads((d / "330421.json").read_text(encoding="utf-8"))
    doc["policies"][0]["ratio"]["by_hosp_lv"]["2"] = "0.80"        # 0.75 in the shipped file, same ver 2026.1
    changed = tmp_path / "330421-fixed.json"
    changed.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    r = pol(site, "import", str(changed))
    assert r.returncode == 2
    assert "版本 2026.1 已导入" in r.stderr and "同一版本不能覆盖" in r.stderr and "--replace" in r.stderr
    assert rows(site) == first
    # a new version number is the normal way; --replace is the explicit, audited correction
    r = pol(site, "import", str(changed), "--replace")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["imported"][0]["status"] == "replaced"
    (_, ver, _, _, _, _, fname, digest, _, body), = rows(site)
    assert (ver, fname, digest) == ("2026.1", "330421-fixed.json", sha(changed)) and json.loads(body) == doc
    ev = audit_rows(site, "policy_replace")
    assert len(ev) == 1 and detail(ev[0])["sha256"] == sha(changed)
    assert detail(ev[0])["old_sha256"] == sha(d / "330421.json")


def test_import_needs_an_admin(site, tmp_path):
    d = copy_files(tmp_path, "330421")
    r = pol(site, "import", str(d), by="")
    assert r.returncode == 2 and "须由系统管理员授权" in r.stderr
    r = pol(site, "import", str(d), by="S01", password="Super-final-4")
    assert r.returncode == 2 and "无权导入政策参数" in r.stderr
    r = pol(site, "import", str(d), by="A01", password="wrong-password-9")
    assert r.returncode == 2
    assert rows(site) == []
    reasons = [detail(e)["reason"] for e in audit_rows(site, "policy_import_refused")]
    assert "forbidden" in reasons and len(reasons) >= 2


def test_the_bundle_in_force_follows_the_settlement_date(site, tmp_path):
    """2026.1 valid 2020-01-01..2026-12-31, 2027.1 from 2027-01-01 with no end (hand-made dates)."""
    d = tmp_path / "versions"
    d.mkdir()
    doc = json.loads((SHIPPED / "330421.json").read_text(encoding="utf-8"))
    (d / "a.json").write_text(json.dumps(dict(doc, valid_to="2026-12-31"), ensure_ascii=False), encoding="utf-8")
    (d / "b.json").write_text(json.dumps(dict(doc, ver="2027.1", valid_from="2027-01-01", valid_to=None),
                                         ensure_ascii=False), encoding="utf-8")
    assert pol(site, "import", str(d)).returncode == 0
    for on, ver in (("2026-06-30", "2026.1"), ("2026-12-31", "2026.1"), ("2027-01-01", "2027.1"),
                    ("2031-05-01", "2027.1")):
        r = pol(site, "show", "330421", "--on", on)
        assert r.returncode == 0 and json.loads(r.stdout)["ver"] == ver, on
        listed = json.loads(pol(site, "list", "--on", on).stdout)["bundles"]
        assert [b["ver"] for b in listed if b["in_force"]] == [ver]
    r = pol(site, "show", "330421", "--on", "2019-12-31")
    assert r.returncode == 2 and "在 2019-12-31 有效的版本" in r.stderr
    r = pol(site, "show", "330421", "--on", "2027/01/01")
    assert r.returncode == 2 and "格式错误" in r.stderr

    from client.services.policies import bundle_for, missing_bundle_message
    from offline_cache.store import open_store

    store = open_store(site.parent / "data" / "medsettle.sqlite3")
    try:
        assert bundle_for(store, "330421", "2027-03-01")["ver"] == "2027.1"
        assert bundle_for(store, "330421", "2019-01-01") is None and bundle_for(store, "310118") is None
        assert "在 2019-01-01 有效的政策参数" in missing_bundle_message(store, "330421", "2019-01-01")
        assert "无上海市青浦区(310118)政策参数" in missing_bundle_message(store, "310118")
    finally:
        store.close()


# ------------------------------------------------------------------------------------ no bundle: settle anyway
SHEN = "330421198503150016"          # insured in Jiashan 330421, treated in Qingpu (demo zone)


@pytest.fixture
def bare_window(platform, tmp_path):
    """A training window whose store holds the catalogue but NO policy parameters."""
    from client.services import dayend
    from client.services.context import open_context, training_settings_for
    from client.services.sync import SyncService

    ctx = open_context(training_settings_for(platform.url, tmp_path / "bare"))
    try:
        SyncService(ctx).run(hilist=False, bundles=False)
        with ctx.store.read_connection() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM policy_bundles").scalar_one() == 0
        dayend.open_shift(ctx.store, ctx.operator.opter, Decimal("200.00"))
        yield ctx
    finally:
        ctx.close()


def test_checkout_without_a_bundle_says_so_and_still_settles(bare_window):
    from client.services.checkout import Counter
    from client.services.errors import ServiceError
    from client.services.payments import Tender
    from tests.integration.test_services_checkout import LINES, SHEN_FIGURES
    from tests.oracles import assert_settlement_identities

    c = Counter(bare_window)
    view = c.identify_certno(SHEN)
    assert view.status.endswith("（无政策参数）")
    c.start_outpatient("11")
    for code, cnt in LINES:
        c.add_line(code, cnt)
    with pytest.raises(ServiceError) as ei:
        c.preview()
    msg = ei.value.message
    assert ei.value.code == "no_policy"
    assert "无嘉兴市嘉善县(330421)政策参数" in msg and "以医保平台结算为准" in msg
    trial = c.presettle("1")
    assert trial.preview is None and trial.differences == []
    assert msg in trial.warnings
    # the platform computes it: the hand-worked figures of test_services_checkout (SHEN_FIGURES)
    for k, v in SHEN_FIGURES.items():
        assert trial.setlinfo[k] == v, (k, trial.setlinfo[k], v)
    c.acknowledge_prechecks("all", bare_window.operator.opter)
    rec = c.settle([Tender("cash", Decimal("500"))])
    assert rec["state"] == "confirmed" and rec["setl_id"]
    for k, v in SHEN_FIGURES.items():
        assert rec["setlinfo"][k] == v, (k, rec["setlinfo"][k], v)
    assert_settlement_identities(rec["setlinfo"])


def test_offline_provisional_settlement_without_a_bundle_is_refused(bare_window, platform):
    from dataclasses import replace

    from client.services.identify import IdentifyService
    from client.services.offline import OfflineService
    from tests.integration.test_offline_forward import FEES

    IdentifyService(bare_window).by_certno(SHEN)          # online: the person cache is warm
    platform.stop()
    # provisional offline settlement is a per-region option (off by default: full self-pay + 补结算)
    s = bare_window.settings
    bare_window.settings = replace(s, offline=replace(s.offline, provisional_regions=("330421",)))
    svc = OfflineService(bare_window)
    person = svc.identify(certno=SHEN)
    q = svc.quote(person, FEES)
    assert not q.allowed and q.setlinfo is None
    assert any("无嘉兴市嘉善县(330421)政策参数" in r and "不能离线医保结算" in r for r in q.reasons), q.reasons
