"""The leak scanner finds what it must (valid full IDs, given cards and secrets) and nothing else."""

from __future__ import annotations

import sqlite3

from client.security.leakscan import find_in_text, is_valid_resident_id, scan_file, scan_sqlite


def test_valid_ids_only():
    assert is_valid_resident_id("330421198503150016")
    assert is_valid_resident_id("11010519491231002X")
    assert not is_valid_resident_id("330421198503150017")        # wrong check character
    assert not is_valid_resident_id("330421198502300016")        # 30 February (check char irrelevant)
    text = "a 330421198503150016 b 330421********0016 c H33042100001202406011230000001 d 330421198503150017"
    leaks = find_in_text(text, "t")
    assert len(leaks) == 1 and leaks[0].kind == "certno"
    assert "330421198503150016" not in str(leaks[0])                # the report is masked too


def test_cards_and_secrets():
    leaks = find_in_text("card X00000019 key TRAINING-ONLY-x", "t", cards=["X00000019", "abc"],
                         secrets=["TRAINING-ONLY-x"])
    assert sorted(x.kind for x in leaks) == ["card", "secret"]
    assert find_in_text("X0*****19", "t", cards=["X00000019"]) == []


def test_sqlite_columns_and_exclusions(tmp_path):
    db = tmp_path / "s.sqlite3"
    c = sqlite3.connect(db)
    c.execute("CREATE TABLE persons (psn_no TEXT, certno TEXT)")
    c.execute("CREATE TABLE audit_events (seq INTEGER, detail_json TEXT)")
    c.execute("INSERT INTO persons VALUES ('P1', '330421198503150016')")
    c.execute("INSERT INTO audit_events VALUES (1, '{\"certno\":\"330421198503150016\"}')")
    c.commit()
    c.close()
    leaks = scan_sqlite(db)
    assert [x.where.split(":")[-1] for x in leaks] == ["audit_events.detail_json#1"]
    assert len(scan_sqlite(db, exclude={})) == 2
    assert [x.kind for x in scan_file(db)] == ["certno"]
    log = tmp_path / "a.log"
    log.write_text("ok 330421********0016\n", encoding="utf-8")
    assert scan_file(log) == []
