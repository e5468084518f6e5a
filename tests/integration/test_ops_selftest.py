"""`medsettle selftest`: every check passes on a good installation, and each check really fails
when what it checks is broken (a check that cannot fail is worthless)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from client.commands import selftest
from tests.integration.ops_helpers import make_0001_store, medsettle


def test_cli_selftest_passes_headless(tmp_path):
    r = medsettle("selftest", QT_QPA_PLATFORM="", DISPLAY="")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln[:1] in "✓✗"]
    assert [ln.split("：")[0] for ln in lines] == ["✓ 资源文件", "✓ 本机数据库", "✓ 医院库驱动", "✓ 二维码识别", "✓ 培训平台结算",
                                                  "✓ 票据打印"]
    assert "自检通过" in r.stdout and "330421198503150016" not in r.stdout


def test_selftest_with_data_dir_upgrades_an_old_store(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    make_0001_store(data / "medsettle.sqlite3")
    results = selftest.run_checks(tmp_path / "work", data)
    by = {r.name: r for r in results}
    assert by["本机数据库"].ok, by["本机数据库"].detail
    assert "结算记录 1 条" in by["本机数据库"].detail and "升级前已自动备份" in by["本机数据库"].detail
    assert list((data / "backups").glob("medsettle-0001-*.sqlite3"))


def test_selftest_reports_a_missing_store_and_exits_1(tmp_path):
    r = medsettle("selftest", "--data", str(tmp_path / "none"))
    assert r.returncode == 1
    assert "✗ 本机数据库" in r.stdout and "找不到本机数据库文件" in r.stdout and "自检未通过" in r.stdout
    assert "✓ 票据打印" in r.stdout          # the other checks still ran


def test_selftest_detects_missing_resources(tmp_path, monkeypatch):
    monkeypatch.setattr("client.resources.resources_dir", lambda: tmp_path / "nothing")
    st = selftest._State(work=tmp_path, data_dir=None)
    with pytest.raises(selftest.CheckFailed, match="缺少资源文件"):
        selftest.check_resources(st)


def test_qr_check_roundtrip_and_undecodable_image():
    from client.devices.qr import decode_image

    assert decode_image(selftest.qr_image("医保 4243754826492874240001130000")) == ["医保 4243754826492874240001130000"]
    from PIL import Image

    assert decode_image(Image.new("L", (200, 200), 255)) == []


def test_pdf_font_check_rejects_unembedded_fonts(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "helvetica.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("Helvetica", 12)
    c.drawString(50, 50, "not embedded")
    c.showPage()
    c.save()
    problems = selftest.pdf_font_problems(path.read_bytes())
    assert any("Helvetica" in p for p in problems)
    assert selftest.pdf_font_problems(b"hello") and "不是完整的 PDF 文件" in selftest.pdf_font_problems(b"hello")[0]


def _info(**kw):
    base = {f: Decimal("0.00") for f in selftest._SETL_FIELDS}
    base.update(kw)
    return SimpleNamespace(setlinfo=SimpleNamespace(**base))


def test_settlement_identity_check_catches_inconsistent_answers():
    good = dict(medfee_sumamt=Decimal("800.00"), inscp_scp_amt=Decimal("800.00"), hifp_pay=Decimal("150.00"),
                fund_pay_sumamt=Decimal("150.00"), psn_part_amt=Decimal("650.00"), psn_cash_pay=Decimal("650.00"))
    assert selftest.check_identities(_info(**good), _info(**good)) == []
    bad = dict(good, psn_cash_pay=Decimal("649.99"))
    assert any("个人账户 + 现金" in p for p in selftest.check_identities(_info(**bad), _info(**bad)))
    drift = dict(good, hifp_pay=Decimal("150.01"), fund_pay_sumamt=Decimal("150.01"), psn_part_amt=Decimal("649.99"),
                 psn_cash_pay=Decimal("649.99"))
    problems = selftest.check_identities(_info(**good), _info(**drift))
    assert any("预结算" in p for p in problems)
