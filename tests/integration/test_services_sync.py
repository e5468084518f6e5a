"""Sync service against the training platform: idempotent catalogue sync; policy bundles (site data,
imported in training from resources/policies; 9901 only when ``platform.policy_bundles_9901`` is on:
MAC and schema refusals; a platform answering 9901 with 未知交易编号 — the recorded real shape — does
not fail the sync)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from client.resources import resource
from client.services.context import TRAINING_MAC_KEYS, open_context, training_settings_for
from client.services.errors import ServiceError
from client.services.sync import SyncService, fetch_bundle, read_state, stored_bundle
from training_platform import demo

from .conftest import platform_db


def test_training_mac_keys_are_the_demo_secrets():
    assert TRAINING_MAC_KEYS == {i["fixmedins_code"]: i["sign_secret"] for i in demo.FIXED_INSTITUTIONS}


def with_9901(settings, on: bool = True, training: bool | None = None):
    from dataclasses import replace

    s = replace(settings, platform=replace(settings.platform, policy_bundles_9901=on))
    if training is not None:
        s = replace(s, training=replace(s.training, enabled=training))
    return s


@pytest.fixture
def ctx(platform, tmp_path):
    c = open_context(training_settings_for(platform.url, tmp_path / "w"))
    yield c
    c.close()


@pytest.fixture
def ctx9901(platform, tmp_path):
    """A training window that also fetches bundles with 9901 (the training platform serves it)."""
    c = open_context(with_9901(training_settings_for(platform.url, tmp_path / "w9")))
    yield c
    c.close()


def _catalog(ctx) -> list[tuple]:
    with ctx.store.read_connection() as conn:
        return conn.exec_driver_sql("SELECT med_list_codg, name, chrgitm_lv, selfpay_prop, pric_uplmt_amt, pric, ver "
                                    "FROM catalog_items ORDER BY med_list_codg").fetchall()


def test_catalogue_sync_is_idempotent_and_matches_platform(ctx, platform):
    progress = []
    s1 = SyncService(ctx, lambda d, t, ph: progress.append((d, t, ph))).run()
    assert s1.catalog_rows > 100 and not s1.refused and set(s1.bundles) >= {"310118", "320509", "330421"}
    # training: the shipped bundles imported (one per file in resources/policies), no 9901 call
    assert sorted(s1.policy_imported) == sorted(p.stem for p in resource("policies").glob("*.json"))
    assert s1.policy_notes == []
    assert {ph for _, _, ph in progress} >= {"1301", "1305", "1306", "1312", "policy"}
    assert "9901" not in {ph for _, _, ph in progress}
    assert all(d <= t for d, t, _ in progress)
    before = _catalog(ctx)
    s2 = SyncService(ctx).run()
    # files and 1312: nothing new; 1318/1319 ask again from their chain's last updt_time (>=), so only
    # the rows of that last second come back, and change nothing
    assert sum(s.rows for s in s2.streams if not s.name.startswith(("lmtpric:", "selfpay:"))) == 0
    assert _catalog(ctx) == before and not s1.failed and not s2.failed
    last = {s.name: s.ver for s in s1.streams}
    for s in s2.streams:
        if s.name.startswith(("lmtpric:", "selfpay:")):
            assert s.ver == last[s.name] and 0 < s.rows < 100
    assert s2.policy_imported == [] and s2.bundles == s1.bundles
    assert read_state(ctx.store, "catalog:1301:310118")["ver"]
    conn = platform_db(platform)
    theirs = {r[0] for r in conn.execute("SELECT med_list_codg FROM catalog WHERE admdvs='310118'")}
    conn.close()
    assert {r[0] for r in before} == theirs


def _edit_platform(platform, sql: str, args: tuple) -> None:
    conn = platform_db(platform)
    conn.execute(sql, args)
    conn.commit()
    conn.close()


def test_bundle_failing_mac_is_refused_and_previous_kept(ctx9901, platform):
    ctx = ctx9901
    ver, changed = fetch_bundle(ctx, "330421")
    assert changed and stored_bundle(ctx.store, "330421")["ver"] == ver
    # The platform now signs with a key this institution does not trust (= a tampered bundle).
    conn = platform_db(platform)
    inst = json.loads(conn.execute("SELECT doc FROM institutions WHERE fixmedins_code='H31011800001'").fetchone()[0])
    bundle = json.loads(conn.execute("SELECT doc FROM bundles WHERE insuplc_admdvs='330421'").fetchone()[0])
    conn.close()
    inst["sign_secret"] = "SOMEONE-ELSE"
    bundle["ver"] = "2099.9"
    _edit_platform(platform, "UPDATE institutions SET doc=? WHERE fixmedins_code='H31011800001'",
                   (json.dumps(inst, ensure_ascii=False),))
    _edit_platform(platform, "UPDATE bundles SET doc=? WHERE insuplc_admdvs='330421'", (json.dumps(bundle, ensure_ascii=False),))
    with pytest.raises(ServiceError) as ei:
        fetch_bundle(ctx, "330421")
    assert ei.value.code == "refused" and "校验失败" in ei.value.message and "原政策包" in ei.value.message
    assert stored_bundle(ctx.store, "330421")["ver"] == ver
    summary = SyncService(ctx).run(catalog_infnos=(), hilist=False, bundles=["330421", "320509"])
    assert set(summary.refused) == {"330421", "320509"}     # a foreign key fails them all (9901 step)
    # what stays in force: the bundles held before (the imported training files, the same version)
    assert summary.bundles == {"330421": ver, "320509": "2026.1"}
    assert stored_bundle(ctx.store, "330421")["ver"] == ver


def test_bundle_failing_schema_is_refused_and_previous_kept(ctx9901, platform):
    ctx = ctx9901
    ver, _ = fetch_bundle(ctx, "320509")
    conn = platform_db(platform)
    bundle = json.loads(conn.execute("SELECT doc FROM bundles WHERE insuplc_admdvs='320509'").fetchone()[0])
    conn.close()
    bundle["ver"] = "2099.1"
    bundle["policies"][0]["deductible"] = "lots"            # correctly signed, but not a valid policy
    bundle["policies"][0].pop("id", None)
    _edit_platform(platform, "UPDATE bundles SET doc=? WHERE insuplc_admdvs='320509'", (json.dumps(bundle, ensure_ascii=False),))
    with pytest.raises(ServiceError) as ei:
        fetch_bundle(ctx, "320509")
    assert ei.value.code == "refused" and "政策包格式不正确" in ei.value.message
    assert stored_bundle(ctx.store, "320509")["ver"] == ver


def _set_fault(platform, **spec) -> None:
    import requests

    r = requests.post(platform.url + "/admin/fault", json=spec, timeout=5)
    assert r.status_code == 200, r.text


def _names(ctx, infno_types: tuple[str, ...]) -> list[str]:
    q = ",".join("?" * len(infno_types))
    with ctx.store.read_connection() as conn:
        return [n for (n,) in conn.exec_driver_sql(
            f"SELECT DISTINCT n.name FROM catalog_items c JOIN catalog_names n ON n.id = c.name_id "
            f"WHERE c.list_type IN ({q}) AND c.vali_flag = '1' ORDER BY n.id", infno_types)]


def test_search_index_is_built_after_the_download_even_when_it_fails_or_was_killed(ctx, platform):
    from offline_cache.catalog import pending_names, search, search_columns

    def found_by_initials(name: str) -> bool:
        return name in {i.name for i in search(ctx.store, ctx.admdvs, search_columns(name)[0], limit=50)}

    # 1301 commits, 1305 cannot be downloaded: the names of 1301 are still indexed before the error
    _set_fault(platform, mode="drop-before", infno="1305", next=20)
    try:
        with pytest.raises(ServiceError) as ei:
            SyncService(ctx).run(hilist=False, bundles=False)
    finally:
        _set_fault(platform, clear=True)
    assert ei.value.code == "offline" and "重新执行同步" in ei.value.message
    drugs = _names(ctx, ("101", "103", "104"))
    assert drugs and pending_names(ctx.store) == 0
    assert all(found_by_initials(n) for n in drugs[:10])
    # a sync killed between its files and its index step (= the download alone): names left pending,
    # found by name prefix only ...
    SyncService(ctx).sync_catalog("1305")
    services = _names(ctx, ("201",))
    assert services and pending_names(ctx.store) == len(services)
    assert not any(found_by_initials(n) for n in services)
    assert {i.match for i in search(ctx.store, ctx.admdvs, services[0])} >= {"name_prefix"}
    # ... until the next sync (nothing new to download) builds their index
    progress = []
    summary = SyncService(ctx, lambda d, t, ph: progress.append((d, t, ph))).run(catalog_infnos=("1305",), hilist=False,
                                                                             bundles=False)
    assert summary.index.rows == len(services) and pending_names(ctx.store) == 0
    assert all(found_by_initials(n) for n in services)
    assert [p for p in progress if p[2] == "index"][-1] == (len(services), len(services), "index")
    assert summary.to_dict()["index"]["rows"] == len(services)
    with ctx.store.connection() as conn:
        for t in ("catalog_fts", "catalog_pyfts", "catalog_grams"):
            conn.exec_driver_sql(f"INSERT INTO {t}({t}) VALUES ('integrity-check')")


def test_catalogue_download_that_keeps_asking_for_sign_in_stops(ctx, platform):
    """Issue #14: the download loop used to sign in again and retry for as long as the err_msg said 签到
    (no bound). Now the client signs in once per call and the sync reports the refusal."""
    SyncService(ctx).sync_catalog("1301")        # signed in, catalogue current
    conn = platform_db(platform)
    before = conn.execute("SELECT COUNT(*) FROM signins").fetchone()[0]
    conn.close()
    platform.faults.add({"mode": "refuse", "infno": "1301", "message": "经办人未签到或签到已失效，请先签到(9001)"})
    try:
        with pytest.raises(ServiceError) as ei:
            SyncService(ctx).sync_catalog("1301")
    finally:
        platform.faults.clear()
    assert ei.value.code == "refused" and "签到" in ei.value.message
    conn = platform_db(platform)
    after = conn.execute("SELECT COUNT(*) FROM signins").fetchone()[0]
    conn.close()
    assert after - before == 1                    # exactly one 9001


# ------------------------------------------------------------------------------------ 9901 unknown
def _recorded_unknown_infno() -> dict:
    """The recorded real refusal (tests/fixtures/real/, copied byte-for-byte from the reference)."""
    ref = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "error-unknown-infno-zjharness.json"
    return json.loads(ref.read_text(encoding="utf-8"))


def test_training_platform_answers_an_unknown_infno_in_the_recorded_shape(platform, nhsa):
    platform.platform.unknown_infnos = {"9901"}
    w = nhsa(platform)
    got = w.call("9901", {"data": {"insuplc_admdvs": "330421", "ver": ""}}, expect_ok=False)
    rec = _recorded_unknown_infno()
    assert set(got) == set(rec) == {"type", "infcode", "err_msg"}
    assert got["type"] == rec["type"] and int(got["infcode"]) == rec["infcode"] == -1
    head = rec["err_msg"].split("异常流水号")[0]
    assert got["err_msg"].startswith(head) and "未知交易编号" in got["err_msg"]


def test_sync_does_not_call_9901_by_default(platform, tmp_path):
    """A site (not training) with the default configuration against a platform that does not know 9901."""
    platform.platform.unknown_infnos = {"9901"}
    with open_context(with_9901(training_settings_for(platform.url, tmp_path / "site"), on=False,
                                training=False)) as c:
        s = SyncService(c).run(hilist=False)
        assert s.catalog_rows > 100 and s.policy_notes == [] and not s.refused and s.bundles == {}
        assert s.policy_imported == []          # outside training nothing is imported behind IT's back


def test_sync_with_9901_on_goes_on_when_the_platform_does_not_know_it(platform, tmp_path):
    """[platform] policy_bundles_9901 = true against a real-like platform: 9901 answered with the
    recorded 未知交易编号 refusal; the catalogues complete, the sync reports it once and goes on."""
    platform.platform.unknown_infnos = {"9901"}
    progress = []
    with open_context(with_9901(training_settings_for(platform.url, tmp_path / "site"), training=False)) as c:
        s = SyncService(c, lambda d, t, ph: progress.append(ph)).run()
        assert {"1301", "1305", "1306", "1312"} <= {ph for ph in progress}
        names = [x.name for x in s.streams]
        assert s.catalog_rows > 100 and {"catalog:1301:310118", "catalog:1305:310118", "catalog:1306:310118"} <= set(names)
        assert all(x.ver for x in s.streams if x.name.split(":")[1] in ("1301", "1305", "1306")) and not s.failed
        assert not s.refused and s.bundles == {}
        assert len(s.policy_notes) == 1 and "未知交易编号" in s.policy_notes[0] and "policy import" in s.policy_notes[0]
        # a second sync: nothing new, the same note, still no failure
        s2 = SyncService(c).run(hilist=False)
        assert sum(x.rows for x in s2.streams) == 0 and len(s2.policy_notes) == 1


def test_cli_sync_exits_0_when_9901_is_unknown(platform, tmp_path):
    """`medsettle sync` with a site file that turns 9901 on, against a platform that does not know it."""
    from tests.integration.cli_inproc import medsettle_inproc

    platform.platform.unknown_infnos = {"9901"}
    site = tmp_path / "site.toml"
    site.write_text(
        '[site]\nfixmedins_code = "H31011800001"\nfixmedins_name = "上海市青浦区培训医院"\nadmdvs = "310118"\nhosp_lv = 2\n'
        f'[platform]\nurl = "{platform.url}"\nallow_insecure_http = true\npolicy_bundles_9901 = true\n'
        '[policy]\nrequire_mac = false\n'
        f'[paths]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    r = medsettle_inproc("sync", "--config", str(site), "--no-hilist", "--quiet")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["catalog_rows"] > 100 and out["refused"] == {} and "未知交易编号" in out["policy_notes"][0]
    assert "注意：医保平台不提供政策包下载" in r.stderr
