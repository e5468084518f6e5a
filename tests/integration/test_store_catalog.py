"""Catalogue upsert (idempotent, atomic pages, FTS in sync) and ranked search on a real SQLite file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from offline_cache import catalog
from offline_cache.catalog import CatalogRowError, get_item, search, upsert_catalog_rows
from offline_cache.models import CatalogItem
from offline_cache.store import open_store
from offline_cache.sync import apply_catalog_page, get_sync_state

A = "310118"


def row(code, name, **kw):
    r = {"admdvs": A, "med_list_codg": code, "list_type": "101", "name": name, "spec": "0.25g*12粒", "unit": "盒",
         "chrgitm_lv": "01", "med_chrgitm_type": "09", "selfpay_prop": "0.10", "pric_uplmt_amt": "2.80",
         "pric": "3.10", "barcode": None, "begndate": "2020-01-01", "enddate": None, "vali_flag": "1",
         "ver": "V1", "rid": "R" + code}
    r.update(kw)
    return r


ROWS = [
    row("XJ01DCA001", "头孢克洛胶囊", barcode="6901234567892"),
    row("XJ01DCA0011", "头孢克洛缓释片"),
    row("XJ01DCA002", "注射用头孢曲松钠"),
    row("XJ01CAA004", "阿莫西林胶囊"),
    row("ZA01AAA001", "复方头孢克洛颗粒"),
    row("XJ01DCA003", "头孢克洛干混悬剂", vali_flag="0"),  # invalid → never found
    row("XJ01DCA004", "头孢克洛分散片", enddate="2021-12-31"),  # expired
    row("XJ01DCA005", "头孢克洛泡腾片", begndate="2030-01-01"),  # not yet valid
    row("001201000010000", "门诊诊查费", pric_uplmt_amt=None, pric="25.00"),
]


@pytest.fixture()
def store(tmp_path):
    s = open_store(tmp_path / "db.sqlite3")
    upsert_catalog_rows(s, ROWS, admdvs=A)
    upsert_catalog_rows(s, [row("XJ01DCA001", "头孢克洛胶囊-别区", admdvs="320509")], admdvs="320509")
    yield s
    s.close()


def codes(items):
    return [i.med_list_codg for i in items]


def test_upsert_is_idempotent_and_counts(tmp_path):
    s = open_store(tmp_path / "db.sqlite3")
    try:
        r1 = upsert_catalog_rows(s, ROWS, admdvs=A)
        assert (r1.inserted, r1.updated, r1.unchanged) == (len(ROWS), 0, 0)
        r2 = upsert_catalog_rows(s, ROWS, admdvs=A)
        assert (r2.inserted, r2.updated, r2.unchanged) == (0, 0, len(ROWS))
        changed = [row("XJ01DCA001", "头孢克洛胶囊", pric="3.20", ver="V2"), row("NEW0001", "布洛芬缓释胶囊")]
        r3 = upsert_catalog_rows(s, changed, admdvs=A, page_size=1)
        assert (r3.inserted, r3.updated, r3.unchanged) == (1, 1, 0)
        assert catalog.count_items(s, A) == len(ROWS) + 1
        it = get_item(s, A, "XJ01DCA001", at=date(2026, 11, 5))
        assert it.pric == Decimal("3.20") and it.ver == "V2" and it.pric_uplmt_amt == Decimal("2.80")
        # FTS stays in sync with renames
        upsert_catalog_rows(s, [row("NEW0001", "对乙酰氨基酚片")], admdvs=A)
        assert codes(search(s, A, "布洛芬", at=date(2026, 11, 5))) == []
        assert codes(search(s, A, "乙酰氨", at=date(2026, 11, 5))) == ["NEW0001"]
        with s.read_connection() as c:
            assert c.exec_driver_sql("INSERT INTO catalog_fts(catalog_fts) VALUES ('integrity-check')") is not None
    finally:
        s.close()


def test_invalid_row_writes_nothing_of_the_page(tmp_path):
    s = open_store(tmp_path / "db.sqlite3")
    try:
        bad = [row("OK1", "阿司匹林肠溶片"), row("BAD1", "二甲双胍片", pric="3.1x")]
        with pytest.raises(CatalogRowError) as ei:
            upsert_catalog_rows(s, bad, admdvs=A)
        assert "第 2 行" in str(ei.value) and "pric" in str(ei.value)
        with pytest.raises(CatalogRowError):
            upsert_catalog_rows(s, [row("X", "名称", admdvs="320509")], admdvs=A)
        with pytest.raises(CatalogRowError):
            upsert_catalog_rows(s, [row("X", "名称", begndate="2020-13-01")], admdvs=A)
        assert catalog.count_items(s) == 0
    finally:
        s.close()


D = date(2026, 11, 5)


def test_exact_code_first_then_code_prefix(store):
    res = search(store, A, "XJ01DCA001", at=D)
    assert codes(res) == ["XJ01DCA001", "XJ01DCA0011"]
    assert [i.match for i in res] == ["code", "code_prefix"]
    assert search(store, A, "xj01dca001", at=D)[0].med_list_codg == "XJ01DCA001"
    assert codes(search(store, A, "XJ01DCA", at=D)) == ["XJ01DCA001", "XJ01DCA0011", "XJ01DCA002"]


def test_name_prefix_then_substring(store):
    res = search(store, A, "头孢克洛", at=D)
    assert codes(res) == ["XJ01DCA0011", "XJ01DCA001", "ZA01AAA001"]
    assert [i.match for i in res] == ["name_prefix", "name_prefix", "name"]
    assert codes(search(store, A, "曲松", at=D)) == ["XJ01DCA002"]  # 2-char substring (grams)
    assert codes(search(store, A, "头孢曲松", at=D)) == ["XJ01DCA002"]
    assert codes(search(store, A, "诊", at=D)) == ["001201000010000"]  # 1 char


def test_pinyin_initials_and_full(store):
    res = search(store, A, "tbklj", at=D)
    assert codes(res)[:1] == ["XJ01DCA001"] and res[0].name == "头孢克洛胶囊" and res[0].match == "initials_prefix"
    assert "ZA01AAA001" in codes(search(store, A, "tbkl", at=D))  # fftbkl: initials substring
    assert codes(search(store, A, "TBKLJ", at=D)) == codes(search(store, A, "tbklj", at=D))
    res = search(store, A, "toubao", at=D)
    assert {i.name for i in res} == {"头孢克洛胶囊", "头孢克洛缓释片"} and {i.match for i in res} == {"pinyin_prefix"}
    assert codes(search(store, A, "amxl", at=D)) == ["XJ01CAA004"]


def test_barcode_and_validity_and_region(store):
    res = search(store, A, "6901234567892", at=D)
    assert codes(res) == ["XJ01DCA001"] and res[0].match == "barcode"
    found = codes(search(store, A, "头孢克洛", at=D))
    assert not {"XJ01DCA003", "XJ01DCA004", "XJ01DCA005"} & set(found)
    assert "XJ01DCA004" in codes(search(store, A, "头孢克洛分散", at=date(2021, 6, 1)))
    other = search(store, "320509", "XJ01DCA001", at=D)
    assert [i.name for i in other] == ["头孢克洛胶囊-别区"]
    assert search(store, A, "   ", at=D) == [] and search(store, A, "不存在的药品名", at=D) == []


def test_search_is_deterministic_and_limited(store):
    a = search(store, A, "tb", at=D, limit=2)
    assert len(a) == 2 and a == search(store, A, "tb", at=D, limit=2)


def test_orm_insert_gets_search_columns(store):
    with store.session() as s:
        s.add(CatalogItem(admdvs=A, med_list_codg="ORM1", name="蒙脱石散", vali_flag="1", pric=Decimal("12.50")))
    assert codes(search(store, A, "mtss", at=D)) == ["ORM1"]
    assert get_item(store, A, "ORM1").pric == Decimal("12.50")


def test_apply_page_advances_ver_in_the_same_transaction(tmp_path):
    s = open_store(tmp_path / "db.sqlite3")
    try:
        name = "catalog:1301:" + A
        assert get_sync_state(s, name) is None
        apply_catalog_page(s, name=name, admdvs=A, rows=ROWS[:3], ver="V1", page=1)
        st = get_sync_state(s, name)
        assert (st.ver, st.page, st.in_progress) == ("V1", 1, True)
        with pytest.raises(CatalogRowError):
            apply_catalog_page(s, name=name, admdvs=A, rows=[row("Z1", "好的"), row("Z2", "")], ver="V2", page=2)
        st = get_sync_state(s, name)
        assert (st.ver, st.page) == ("V1", 1) and catalog.count_items(s, A) == 3
        apply_catalog_page(s, name=name, admdvs=A, rows=ROWS[3:], ver="V3", page=2, done=True)
        st = get_sync_state(s, name)
        assert (st.ver, st.in_progress) == ("V3", False) and catalog.count_items(s, A) == len(ROWS)
    finally:
        s.close()


KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    from sqlalchemy import event
    from offline_cache.store import open_store
    from offline_cache.sync import apply_catalog_page
    s = open_store(sys.argv[1])
    calls = [0]

    def on_connect(dbapi_conn, _record):
        # SQLite progress handler: once the page transaction has run a while (the names of the
        # 60,000 rows are being inserted with their FTS entries), say so and stall until the test
        # SIGKILLs us.
        def progress():
            if dbapi_conn.in_transaction:
                calls[0] += 1
                if calls[0] == 20:
                    print("writing", flush=True)
                    time.sleep(120)
            return 0
        dbapi_conn.set_progress_handler(progress, 10000)

    event.listen(s.engine, "connect", on_connect)
    s.engine.dispose()
    rows = [{"med_list_codg": f"K{i:08d}", "name": f"阿莫西林胶囊{i}", "pric": "1.00"} for i in range(60000)]
    print("ready", flush=True)
    apply_catalog_page(s, name="catalog:kill", admdvs="310118", rows=rows, ver="V-NEW", page=7)
    print("done", flush=True)
""")


def test_kill_during_page_never_leaves_half_a_page(tmp_path):
    path = tmp_path / "db.sqlite3"
    s = open_store(path)
    apply_catalog_page(s, name="catalog:kill", admdvs=A, rows=[row("K-OLD", "旧药品")], ver="V-OLD", page=6)
    s.close()
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(path)], cwd=root, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(root)})
    try:
        assert proc.stdout.readline().strip() == "ready"
        assert proc.stdout.readline().strip() == "writing"  # inside the page transaction, mid-merge
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    s = open_store(path)
    try:
        st = get_sync_state(s, "catalog:kill")
        assert (st.ver, st.page) == ("V-OLD", 6) and catalog.count_items(s, A) == 1
        with s.read_connection() as c:
            for t in ("catalog_fts", "catalog_pyfts", "catalog_grams"):
                c.exec_driver_sql(f"INSERT INTO {t}({t}) VALUES ('integrity-check')")
        assert codes(search(s, A, "阿莫西林", at=D)) == [] and codes(search(s, A, "旧药", at=D)) == ["K-OLD"]
        with s.read_connection() as c:  # the killed page's new names (and their FTS entries) are gone too
            assert c.exec_driver_sql("SELECT name FROM catalog_names").fetchall() == [("旧药品",)]
        # the interrupted page applies cleanly afterwards
        rows = [{"med_list_codg": f"K{i:08d}", "name": f"阿莫西林胶囊{i}", "pric": "1.00"} for i in range(3000)]
        apply_catalog_page(s, name="catalog:kill", admdvs=A, rows=rows, ver="V-NEW", page=7)
        assert catalog.count_items(s, A) == 3001 and get_sync_state(s, "catalog:kill").ver == "V-NEW"
    finally:
        s.close()


def _fts_integrity(s):
    with s.read_connection() as c:
        for t in ("catalog_fts", "catalog_pyfts", "catalog_grams"):
            c.exec_driver_sql(f"INSERT INTO {t}({t}) VALUES ('integrity-check')")


def test_bulk_load_keeps_every_search_tier(tmp_path):
    """A multi-page bulk load (staged pages merged by one statement each) indexes 1-2 character
    names, pinyin initials (prefix, 2-char and >=3-char substrings) and full pinyin like row writes."""
    s = open_store(tmp_path / "db.sqlite3")
    try:
        bulk = [row(f"B{i:05d}", f"{('阿莫西林胶囊', '注射用头孢曲松钠', '复方甘草片', '换药')[i % 4]}{i}")
                for i in range(2400)]
        bulk.append(row("C00001", "诊"))
        r = upsert_catalog_rows(s, bulk, admdvs=A, page_size=500)
        assert (r.inserted, r.updated, r.unchanged) == (len(bulk), 0, 0)
        _fts_integrity(s)
        # ids follow the input order (catalogue order used by substring tiers)
        with s.read_connection() as c:
            got = [x for (x,) in c.exec_driver_sql("SELECT med_list_codg FROM catalog_items ORDER BY id")]
        assert got == [b["med_list_codg"] for b in bulk]
        assert codes(search(s, A, "诊", at=D)) == ["C00001"]                      # 1 char (grams)
        res = search(s, A, "曲松", at=D, limit=3)                                  # 2 chars (grams)
        assert codes(res) == ["B00001", "B00005", "B00009"] and {i.match for i in res} == {"name"}
        assert {i.name[:2] for i in search(s, A, "换药", at=D, limit=50)} == {"换药"}
        res = search(s, A, "gcp", at=D, limit=5)                                  # initials substring (fgcp)
        assert res and all(i.name.startswith("复方甘草片") for i in res) and res[0].match == "initials"
        res = search(s, A, "qs", at=D, limit=5)  # 2-char initials substring (zsytbqsn)
        assert res and {i.match for i in res} == {"initials"} and all("曲松" in i.name for i in res)
        res = search(s, A, "amxljn", at=D, limit=5)
        assert res[0].match == "initials_prefix" and res[0].name.startswith("阿莫西林胶囊")
        res = search(s, A, "fufanggan", at=D, limit=5)
        assert res[0].match == "pinyin_prefix" and res[0].name.startswith("复方甘草片")
        # re-sync of the same rows writes nothing
        r = upsert_catalog_rows(s, bulk, admdvs=A, page_size=700)
        assert (r.inserted, r.updated, r.unchanged) == (0, 0, len(bulk))
    finally:
        s.close()


def test_incremental_rename_updates_every_index(tmp_path):
    s = open_store(tmp_path / "db.sqlite3")
    try:
        upsert_catalog_rows(s, [row(f"R{i:04d}", f"布洛芬缓释胶囊{i}") for i in range(1000)], admdvs=A)
        renamed = [row(f"R{i:04d}", f"蒙脱石散{i}", ver="V2") for i in range(0, 1000, 100)]
        priced = [row(f"R{i:04d}", f"布洛芬缓释胶囊{i}", pric="9.99", ver="V2") for i in range(1, 1000, 100)]
        r = upsert_catalog_rows(s, renamed + priced + [row("R9999", "新药品")], admdvs=A)
        assert (r.inserted, r.updated, r.unchanged) == (1, 20, 0)
        _fts_integrity(s)
        assert set(codes(search(s, A, "蒙脱石", at=D, limit=50))) == {f"R{i:04d}" for i in range(0, 1000, 100)}
        assert set(codes(search(s, A, "mtss", at=D, limit=50))) == {f"R{i:04d}" for i in range(0, 1000, 100)}
        assert set(codes(search(s, A, "脱石", at=D, limit=50))) == {f"R{i:04d}" for i in range(0, 1000, 100)}
        assert "R0100" not in codes(search(s, A, "布洛芬", at=D, limit=1000))
        assert "R0100" not in codes(search(s, A, "blf", at=D, limit=1000))
        assert len(search(s, A, "布洛芬", at=D, limit=1000)) == 990
        assert get_item(s, A, "R0101", at=D).pric == Decimal("9.99")
        assert codes(search(s, A, "新药", at=D)) == ["R9999"]
    finally:
        s.close()


def test_names_are_indexed_once_and_shared(tmp_path):
    """One catalog_names row (and one FTS entry) per distinct name, shared by rows and regions;
    a rename points the item to another name and search follows; decimals stay exact text."""
    s = open_store(tmp_path / "db.sqlite3")
    try:
        rows = [row(f"S{i:03d}", ("阿莫西林胶囊", "头孢克洛胶囊")[i % 2], pric=p)
                for i, p in enumerate(("3.10", "0012.50", " 7.5 ", "0", "1E+1", "0.000001"))]
        upsert_catalog_rows(s, rows, admdvs=A)
        upsert_catalog_rows(s, [row("S900", "阿莫西林胶囊", admdvs="320509")], admdvs="320509")
        with s.read_connection() as c:
            assert c.exec_driver_sql("SELECT name FROM catalog_names ORDER BY id").fetchall() == [
                ("阿莫西林胶囊",), ("头孢克洛胶囊",)]
            assert c.exec_driver_sql("SELECT count(*) FROM catalog_fts").scalar_one() == 2
            prices = c.exec_driver_sql("SELECT pric FROM catalog_items WHERE admdvs = ? ORDER BY id", (A,)).fetchall()
        assert [p for (p,) in prices] == ["3.10", "12.50", "7.5", "0", "10", "0.000001"]
        assert get_item(s, A, "S004", at=D).pric == Decimal("10")
        assert codes(search(s, A, "莫西林", at=D)) == ["S000", "S002", "S004"]
        assert codes(search(s, "320509", "莫西林", at=D)) == ["S900"]
        r = upsert_catalog_rows(s, [row("S002", "蒙脱石散", pric=" 7.5 ")], admdvs=A)
        assert (r.inserted, r.updated, r.unchanged) == (0, 1, 0)
        assert codes(search(s, A, "莫西林", at=D)) == ["S000", "S004"]
        assert codes(search(s, A, "mtss", at=D)) == ["S002"] and codes(search(s, A, "脱石", at=D)) == ["S002"]
        _fts_integrity(s)
    finally:
        s.close()


def _converter_threads() -> list:
    import threading

    return [t for t in threading.enumerate() if t.name == "catalog-convert"]


def test_pipeline_bad_row_in_page_3_of_5_commits_pages_1_2_only(tmp_path, monkeypatch):
    """Multi-page load (converter thread one page ahead): a bad row in page 3 of 5 leaves pages 1-2
    committed (each with its ver, via apply-style per-page commits), nothing of page 3 or later,
    the Chinese error raised here, and the converter thread joined — after failure and success."""
    import sys as _sys

    from offline_cache.sync import set_sync_state

    s = open_store(tmp_path / "db.sqlite3")
    try:
        pages = [[row(f"P{p}{i:03d}", f"阿莫西林胶囊{p}{i}", ver=f"V{p}") for i in range(200)] for p in range(1, 6)]
        pages[2][137]["pric"] = "3.1x"   # page 3, row 138
        flat = [r for page in pages for r in page]
        interval = _sys.getswitchinterval()
        committed_vers = []

        real = catalog.upsert_prepared

        def upsert_and_advance_ver(conn, prepared, **kw):   # each page + its ver in the same transaction
            res = real(conn, prepared, **kw)
            set_sync_state(conn, "catalog:pipeline", ver=prepared[0][15])
            committed_vers.append(prepared[0][15])
            return res

        monkeypatch.setattr(catalog, "upsert_prepared", upsert_and_advance_ver)
        with pytest.raises(CatalogRowError) as ei:
            upsert_catalog_rows(s, iter(flat), admdvs=A, page_size=200, pipeline=True)
        assert "第 138 行" in str(ei.value) and "pric" in str(ei.value) and "本页未写入" in str(ei.value)
        assert catalog.LAST_LOAD_STATS["pipelined"] == 1.0 and catalog.LAST_LOAD_STATS["pages"] == 2
        assert _converter_threads() == [] and _sys.getswitchinterval() == interval
        assert committed_vers == ["V1", "V2"]
        assert get_sync_state(s, "catalog:pipeline").ver == "V2"
        with s.read_connection() as c:
            got = [x for (x,) in c.exec_driver_sql("SELECT med_list_codg FROM catalog_items ORDER BY id")]
            names = c.exec_driver_sql("SELECT count(*) FROM catalog_names").scalar_one()
        assert got == [r["med_list_codg"] for r in flat[:400]] and names == 400
        _fts_integrity(s)
        assert codes(search(s, A, "阿莫西林胶囊3", at=D)) == []        # nothing of page 3
        # fixed, the same load completes: pages 1-2 unchanged, 3-5 inserted, same ids/order as input
        pages[2][137]["pric"] = "3.10"
        r = upsert_catalog_rows(s, iter(flat), admdvs=A, page_size=200, pipeline=True)
        assert (r.inserted, r.updated, r.unchanged) == (600, 0, 400)
        assert catalog.LAST_LOAD_STATS["pipelined"] == 1.0 and catalog.LAST_LOAD_STATS["pages"] == 5
        assert _converter_threads() == [] and _sys.getswitchinterval() == interval
        assert get_sync_state(s, "catalog:pipeline").ver == "V5"
        with s.read_connection() as c:
            got = [x for (x,) in c.exec_driver_sql("SELECT med_list_codg FROM catalog_items ORDER BY id")]
        assert got == [r["med_list_codg"] for r in flat]
        _fts_integrity(s)
    finally:
        s.close()


def test_pipeline_and_sequential_loads_are_identical(tmp_path):
    rows = [row(f"Q{i:05d}", f"{('头孢克洛胶囊', '复方甘草片', '换药')[i % 3]}{i % 700}") for i in range(2100)]
    dumps = []
    for pipeline in (True, False):
        s = open_store(tmp_path / f"{pipeline}.sqlite3")
        try:
            upsert_catalog_rows(s, rows, admdvs=A, page_size=300, pipeline=pipeline)
            assert catalog.LAST_LOAD_STATS["pipelined"] == float(pipeline)
            with s.read_connection() as c:
                dumps.append((c.exec_driver_sql("SELECT * FROM catalog_items ORDER BY id").fetchall(),
                              c.exec_driver_sql("SELECT * FROM catalog_names ORDER BY id").fetchall(),
                              [codes(search(s, A, q, at=D, limit=50)) for q in ("tbkl", "甘草", "换", "Q0001", "fufang")]))
        finally:
            s.close()
    assert dumps[0] == dumps[1] and dumps[0][2][0]


def test_prefetch_joins_its_thread_when_the_consumer_fails():
    import threading

    produced = []

    def produce():
        for i in range(1000):
            produced.append(i)
            yield i

    pf = catalog.Prefetch(produce, name="prefetch-test")
    with pytest.raises(RuntimeError), pf:
        for i in pf:
            if i == 2:
                raise RuntimeError("writer failed")
    assert not pf.thread.is_alive() and len(produced) <= 5
    assert [t for t in threading.enumerate() if t.name == "prefetch-test"] == []
