"""Operator administration outside training (issue #15 scope 7), through `medsettle operator`.

A production site file (the Qingpu example, no [training] section) on a real SQLite store: IT
creates the first admin once, the admin adds a supervisor and a cashier, the supervisor manages the
cashier, and every refusal leaves the store as it was, with a Chinese message and an audit event.
Expected values are the rules as a head cashier states them (docs/operations.md §"Operators"), not
the service's output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.integration.cli_inproc import medsettle_inproc as medsettle

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = ("Admin-first-1", "Admin-final-2", "Super-init-3", "Super-final-4", "Cash-init-5", "Cash-reset-6")


@pytest.fixture
def site(tmp_path):
    """The Qingpu example with its [training] section removed altogether (production has none)."""
    text = (ROOT / "resources" / "config" / "site.qingpu.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[training\]\n.*?(?=^\[)", "", text)
    assert "[training]" not in text
    path = tmp_path / "site.toml"
    path.write_text(text + f'\n[paths]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    return path


def test_a_production_file_without_training_passes_config_check(site):
    import tomllib

    doc = tomllib.loads(site.read_text(encoding="utf-8"))
    refs = sorted({v for sec in doc.values() if isinstance(sec, dict) for k, v in sec.items()
                   if k.endswith("_ref")})
    assert refs, "the example names its secrets"
    for ref in refs:
        r = medsettle("config", "set-secret", ref, "--stdin", "--config", str(site), stdin="a-site-secret-123\n")
        assert r.returncode == 0, r.stderr
    r = medsettle("config", "check", "--config", str(site))
    assert r.returncode == 0, r.stdout
    assert "结论：配置可以使用" in r.stdout and "【培训模式】" not in r.stdout and "a-site-secret-123" not in r.stdout


def op(site, *args, stdin=""):
    return medsettle("operator", *args, "--config", str(site), stdin=stdin)


def listing(site) -> dict:
    r = op(site, "list")
    assert r.returncode == 0, r.stderr
    return {o["code"]: o for o in json.loads(r.stdout)["operators"]}


def audit_rows(site) -> list[dict]:
    out = site.parent / "audit.jsonl"
    r = medsettle("audit", "export", "--config", str(site), "--out", str(out))
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]


def bootstrap(site) -> None:
    r = op(site, "add", "A01", "--name", "信息科张", "--role", "admin", "--first-admin", "--password-stdin",
           stdin="Admin-first-1\n")
    assert r.returncode == 0, r.stderr
    r = op(site, "passwd", "A01", "--password-stdin", stdin="Admin-first-1\nAdmin-final-2\n")
    assert r.returncode == 0, r.stderr
    r = op(site, "add", "S01", "--name", "组长李", "--role", "supervisor", "--by", "A01", "--by-password-stdin",
           "--password-stdin", stdin="Admin-final-2\nSuper-init-3\n")
    assert r.returncode == 0, r.stderr
    r = op(site, "passwd", "S01", "--password-stdin", stdin="Super-init-3\nSuper-final-4\n")
    assert r.returncode == 0, r.stderr
    r = op(site, "add", "C01", "--name", "收费员王", "--role", "cashier", "--by", "S01", "--by-password-stdin",
           "--password-stdin", stdin="Super-final-4\nCash-init-5\n")
    assert r.returncode == 0, r.stderr


def test_an_empty_machine_to_its_first_people(site):
    assert listing(site) == {}
    bootstrap(site)
    people = listing(site)
    assert {c: (o["role"], o["active"], o["must_change_password"]) for c, o in people.items()} == {
        "A01": ("admin", True, False), "S01": ("supervisor", True, False), "C01": ("cashier", True, True)}
    # the bootstrap is possible once only
    r = op(site, "add", "A02", "--name", "另一人", "--role", "admin", "--first-admin", "--password-stdin",
           stdin="Admin-other-9\n")
    assert r.returncode == 2 and "本机已有系统管理员" in r.stderr
    assert set(listing(site)) == {"A01", "S01", "C01"}


def test_supervisor_manages_cashiers_only_and_every_change_is_audited(site):
    bootstrap(site)
    r = op(site, "disable", "C01", "--reason", "离职", "--by", "S01", "--by-password-stdin", stdin="Super-final-4\n")
    assert r.returncode == 0, r.stderr
    assert listing(site)["C01"]["active"] is False
    # a disabled cashier cannot sign in
    from client.security.operators import AuthFailure
    from client.services.operators import OperatorService
    from offline_cache.store import open_store

    store = open_store(site.parent / "data" / "medsettle.sqlite3")
    try:
        with pytest.raises(AuthFailure) as exc:
            OperatorService(store).sign_in("C01", "Cash-init-5")
        assert exc.value.code == "inactive" and "已停用" in str(exc.value)
    finally:
        store.close()
    r = op(site, "enable", "C01", "--by", "S01", "--by-password-stdin", stdin="Super-final-4\n")
    assert r.returncode == 0 and listing(site)["C01"]["active"] is True
    r = op(site, "reset-password", "C01", "--by", "S01", "--by-password-stdin", "--password-stdin",
           stdin="Super-final-4\nCash-reset-6\n")
    assert r.returncode == 0 and listing(site)["C01"]["must_change_password"] is True

    before = listing(site)
    refusals = [
        (("disable", "A01", "--by", "S01", "--by-password-stdin"), "Super-final-4\n", "只能管理收费员"),
        (("role", "C01", "supervisor", "--by", "S01", "--by-password-stdin"), "Super-final-4\n", "只能管理收费员"),
        (("add", "S02", "--name", "新组长", "--role", "supervisor", "--by", "S01", "--by-password-stdin",
          "--password-stdin"), "Super-final-4\nSuper-new-77\n", "只能管理收费员"),
        (("disable", "A01", "--by", "A01", "--by-password-stdin"), "Admin-final-2\n", "不能对自己的账号"),
        (("disable", "C01", "--by", "C01", "--by-password-stdin"), "Cash-reset-6\n", "仍在使用初始密码"),
        (("disable", "C01", "--by", "S01", "--by-password-stdin"), "wrong-password\n", "工号或密码错误"),
        (("disable", "NOBODY", "--by", "A01", "--by-password-stdin"), "Admin-final-2\n", "没有工号为 NOBODY"),
        (("disable", "C01"), "", "请用 --by 指定授权人"),
        (("add", "C02", "--name", "弱密码", "--role", "cashier", "--by", "A01", "--by-password-stdin",
          "--password-stdin"), "Admin-final-2\n12345678\n", "密码"),
    ]
    for args, stdin, words in refusals:
        r = op(site, *args, stdin=stdin)
        assert r.returncode == 2, (args, r.stdout)
        assert words in r.stderr, (args, r.stderr)
    after = listing(site)
    for c in before:
        assert {k: v for k, v in after[c].items() if k != "locked"} == \
               {k: v for k, v in before[c].items() if k != "locked"}, c
    assert set(after) == set(before)

    # the admin may change roles; the last admin cannot be demoted or disabled
    r = op(site, "role", "A01", "cashier", "--by", "A01", "--by-password-stdin", stdin="Admin-final-2\n")
    assert r.returncode == 2 and "不能对自己的账号" in r.stderr
    r = op(site, "role", "S01", "admin", "--by", "A01", "--by-password-stdin", stdin="Admin-final-2\n")
    assert r.returncode == 0 and listing(site)["S01"]["role"] == "admin"
    r = op(site, "role", "A01", "supervisor", "--by", "S01", "--by-password-stdin", stdin="Super-final-4\n")
    assert r.returncode == 0, r.stderr
    r = op(site, "disable", "S01", "--by", "A01", "--by-password-stdin", stdin="Admin-final-2\n")
    assert r.returncode == 2 and "只能管理收费员" in r.stderr   # A01 is now a supervisor

    rows = audit_rows(site)
    actions = [(e["actor"], e["action"]) for e in rows]
    for expected in [("site-admin", "operator_bootstrap"), ("A01", "operator_create"), ("S01", "operator_create"),
                     ("S01", "operator_disable"), ("S01", "operator_enable"), ("S01", "password_reset"),
                     ("A01", "operator_role"), ("S01", "operator_role")]:
        assert expected in actions, expected
    refused = [e for e in rows if e["action"] == "operator_admin_refused"]
    assert len(refused) >= 6
    dump = json.dumps(rows, ensure_ascii=False)
    for pw in PASSWORDS:
        assert pw not in dump
    r = medsettle("audit", "verify", "--config", str(site))
    assert r.returncode == 0, r.stdout


def test_no_password_is_printed(site):
    bootstrap(site)
    r = op(site, "reset-password", "C01", "--by", "A01", "--by-password-stdin", "--password-stdin",
           stdin="Admin-final-2\nCash-reset-6\n")
    assert r.returncode == 0
    for pw in PASSWORDS:
        assert pw not in r.stdout and pw not in r.stderr
    logs = list((site.parent / "data").rglob("*.log"))
    for f in logs:
        text = f.read_text(encoding="utf-8", errors="replace")
        for pw in PASSWORDS:
            assert pw not in text
