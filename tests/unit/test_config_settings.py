"""client.config: loading, per-window overrides, validation (all errors collected), defaults."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from client.api.settings import ApiSettings
from client.config import (
    ConfigInvalid,
    Settings,
    api_settings_kwargs,
    check_config,
    cli_overrides,
    default_config_path,
    load_settings,
    redacted,
    training_settings,
)
from client.resources import resource

EXAMPLE = resource("config", "site.example.toml")

MINIMAL = """
[site]
fixmedins_code = "H32050900007"
fixmedins_name = "苏州市吴江区第一人民医院"
admdvs = "320509"
hosp_lv = 3

[platform]
url = "https://hsa.example.gov.cn"
"""


def write(tmp_path: Path, text: str, name: str = "site.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def paths_of(report):
    return [e.path for e in report.errors]


def test_example_file_loads_without_errors_or_warnings():
    s = load_settings(EXAMPLE)
    assert isinstance(s, Settings)
    assert s.site.fixmedins_code == "H31011800001"
    assert s.site.mdtrtarea_admvs == "310118"
    assert s.site.hosp_lv == "2"
    assert s.offline.max_amount == Decimal("500.00")
    assert s.scanner.inter_key_ms == 50 and s.scanner.suffix == "enter"
    assert s.warnings == ()
    assert s.window_id is None


def test_minimal_file_defaults(tmp_path):
    s = load_settings(write(tmp_path, MINIMAL))
    assert s.site.hosp_lv == "3"
    assert s.platform.verify_tls is True
    assert s.platform.connect_timeout == 5.0
    assert s.security.lockout_attempts == 5 and s.security.lockout_minutes == 15
    assert s.security.min_password_length == 8
    assert s.ui.language == "zh_CN" and s.ui.large_font is False
    assert s.scanner.min_length == 6
    assert s.training.enabled is False
    # tests run with MEDSETTLE_NO_USER_DIRS=1: nothing under the real home directory
    assert str(Path.home()) not in str(s.data_dir) or "medsettle-nouserdirs" in str(s.data_dir)
    assert s.log_dir == s.data_dir / "logs"
    # policy bundles are imported site data: no 9901, so no MAC key is needed (issue 16 scope 4)
    assert s.platform.policy_bundles_9901 is False
    assert s.warnings == ()
    # fetching them with 9901 outside training without a MAC key is a warning, not an error
    s = load_settings(write(tmp_path, MINIMAL.replace("[platform]\n", "[platform]\npolicy_bundles_9901 = true\n")))
    assert s.platform.policy_bundles_9901 is True
    assert [w.path for w in s.warnings] == ["policy.mac_key_ref"]


def test_window_overrides_apply_only_to_selected_window(tmp_path):
    text = MINIMAL + """
[printers]
receipt_printer = "COMMON"
slip_width_mm = 80

[windows.w01]
label = "门诊1号"
[windows.w01.printers]
receipt_printer = "W1-PRINTER"

[windows.w02.printers]
slip_width_mm = 58
[windows.w02.platform]
paths = { "2207" = "/x/2207" }
"""
    p = write(tmp_path, text)
    base = load_settings(p)
    w1 = load_settings(p, window="w01")
    w2 = load_settings(p, window="w02")
    assert base.printers.receipt_printer == "COMMON"
    assert (w1.printers.receipt_printer, w1.printers.slip_width_mm, w1.window_label) == ("W1-PRINTER", 80, "门诊1号")
    assert (w2.printers.receipt_printer, w2.printers.slip_width_mm) == ("COMMON", 58)
    assert w2.platform.paths == {"2207": "/x/2207"}
    assert w2.window_id == "w02"


def test_window_selected_by_env_and_by_window_file(tmp_path, monkeypatch):
    p = write(tmp_path, MINIMAL + '\n[windows.w07.ui]\nlarge_font = true\n')
    monkeypatch.setenv("MEDSETTLE_WINDOW", "w07")
    assert load_settings(p).ui.large_font is True
    monkeypatch.delenv("MEDSETTLE_WINDOW")
    assert load_settings(p).ui.large_font is False
    (tmp_path / "window-id").write_text("w07\n", encoding="utf-8")
    s = load_settings(p)
    assert s.window_id == "w07" and s.ui.large_font is True


def test_unknown_window_is_an_error(tmp_path):
    p = write(tmp_path, MINIMAL + '\n[windows.w01.ui]\nlarge_font = true\n')
    with pytest.raises(ConfigInvalid) as ei:
        load_settings(p, window="w09")
    assert ei.value.errors[0].path == "windows.w09"
    assert "w01" in ei.value.errors[0].message


def test_all_errors_are_collected_with_paths_and_chinese_hints(tmp_path):
    text = """
[site]
fixmedins_code = "31011800001"
fixmedins_name = "某医院"
admdvs = "31011"
hosp_lv = 4

[platform]
url = "ftp://example"
connect_timeout = "5"
verify_tls = "yes"
gateway = "x-tif"

[offline]
max_amount = 500.5

[scanner]
suffix = "space"

[windows.w01.site]
fixmedins_code = "bad"
"""
    report = check_config(write(tmp_path, text))
    assert not report.ok
    got = paths_of(report)
    for expected in ["site.fixmedins_code", "site.admdvs", "site.hosp_lv", "platform.url",
                     "platform.connect_timeout", "platform.verify_tls", "offline.max_amount",
                     "scanner.suffix", "windows.w01.site.fixmedins_code", "platform.paasid",
                     "platform.secret_ref"]:
        assert expected in got, (expected, got)
    msg = {e.path: e.message for e in report.errors}
    assert "12位" in msg["site.fixmedins_code"] and "H31011800001" in msg["site.fixmedins_code"]
    assert "\"500.50\"" in msg["offline.max_amount"]
    assert "true 或 false" in msg["platform.verify_tls"]
    with pytest.raises(ConfigInvalid) as ei:
        load_settings(write(tmp_path, text))
    assert len(ei.value.errors) == len(report.errors)
    assert "site.admdvs" in str(ei.value)


def test_missing_required_keys(tmp_path):
    report = check_config(write(tmp_path, "[site]\nhosp_lv = 1\n"))
    assert set(paths_of(report)) == {"site.fixmedins_code", "site.fixmedins_name", "site.admdvs", "platform.url"}
    assert all("缺少必填项" in e.message for e in report.errors)


def test_unknown_keys_are_warnings_with_suggestion(tmp_path):
    text = MINIMAL.replace("hosp_lv = 3", "hosp_lv = 3\nhospLv = 2") + '\n[colour]\nx = 1\n[windows.w01.foo]\nx = 1\n'
    s = load_settings(write(tmp_path, text))
    warn = {w.path: w.message for w in s.warnings}
    assert "site.hospLv" in warn and "hosp_lv" in warn["site.hospLv"]
    assert "colour" in warn
    assert "windows.w01.foo" in warn


@pytest.mark.parametrize("key,section", [("secret", "platform"), ("password", "einvoice"), ("mac_key", "policy")])
def test_literal_secret_in_file_is_an_error(tmp_path, key, section):
    text = MINIMAL + f'\n[{section}]\n{key} = "s3cr3t-value"\n' if section != "platform" else \
        MINIMAL.replace('url = "https://hsa.example.gov.cn"', f'url = "https://hsa.example.gov.cn"\n{key} = "s3cr3t"')
    report = check_config(write(tmp_path, text))
    err = [e for e in report.errors if e.path == f"{section}.{key}"]
    assert err and "set-secret" in err[0].message
    # the secret value itself never appears in any message
    assert all("s3cr3t" not in e.message for e in report.errors + report.warnings)


def test_secret_ref_that_looks_like_a_key_is_refused(tmp_path):
    text = MINIMAL.replace('url = "https://hsa.example.gov.cn"',
                           'url = "https://hsa.example.gov.cn"\nsecret_ref = "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9"')
    report = check_config(write(tmp_path, text))
    assert paths_of(report) == ["platform.secret_ref"]
    ok = check_config(write(tmp_path, MINIMAL.replace('url = "https://hsa.example.gov.cn"',
                                                      'url = "https://hsa.example.gov.cn"\nsecret_ref = "platform-gateway"')))
    assert ok.ok


def test_http_rules(tmp_path):
    base = MINIMAL.replace('url = "https://hsa.example.gov.cn"', 'url = "{url}"{extra}')
    # loopback is fine
    for url in ("http://127.0.0.1:8765", "http://localhost:80", "http://[::1]:9000"):
        assert check_config(write(tmp_path, base.format(url=url, extra=""))).ok, url
    # remote http refused
    report = check_config(write(tmp_path, base.format(url="http://10.1.2.3/fsi", extra="")))
    assert paths_of(report) == ["platform.url"] and "https" in report.errors[0].message
    # ... unless explicitly allowed: then it is a warning
    s = load_settings(write(tmp_path, base.format(url="http://10.1.2.3/fsi", extra="\nallow_insecure_http = true")))
    assert "platform.url" in [w.path for w in s.warnings]


def test_cli_overrides_beat_window_and_file(tmp_path):
    class Args:
        platform = "https://other.example.cn"
        institution = "H31011899999"
        data = str(tmp_path / "d")

    p = write(tmp_path, MINIMAL + '\n[windows.w01.platform]\nurl = "https://w1.example.cn"\n')
    s = load_settings(p, window="w01", overrides=cli_overrides(Args))
    assert s.platform.url == "https://other.example.cn"
    assert s.site.fixmedins_code == "H31011899999"
    assert s.data_dir == tmp_path / "d"
    assert s.log_dir == tmp_path / "d" / "logs"
    bad = type("A", (), {"platform": "nonsense", "institution": None, "data": None})
    report = check_config(p, overrides=cli_overrides(bad))
    assert paths_of(report) == ["(命令行).platform.url"]


def test_relative_data_dir_is_relative_to_site_file(tmp_path):
    p = write(tmp_path, MINIMAL + '\n[paths]\ndata_dir = "data"\nlog_dir = "/var/tmp/ms-logs"\n')
    s = load_settings(p)
    assert s.data_dir == tmp_path / "data"
    assert s.log_dir == Path("/var/tmp/ms-logs")


def test_file_problems_are_reported_not_raised(tmp_path):
    r = check_config(tmp_path / "missing.toml")
    assert not r.ok and "不存在" in r.errors[0].message
    r = check_config(write(tmp_path, "[site\nx=1"))
    assert "TOML 语法错误" in r.errors[0].message
    bad = tmp_path / "gbk.toml"
    bad.write_bytes('[site]\nfixmedins_name = "上海市青浦区培训医院"\n'.encode("gbk"))
    assert "UTF-8" in check_config(bad).errors[0].message


def test_no_default_path_under_no_user_dirs(monkeypatch):
    monkeypatch.setenv("MEDSETTLE_NO_USER_DIRS", "1")
    monkeypatch.delenv("MEDSETTLE_CONFIG", raising=False)
    assert default_config_path() is None
    r = check_config()
    assert not r.ok and "--config" in r.errors[0].message
    monkeypatch.setenv("MEDSETTLE_CONFIG", str(EXAMPLE))
    assert load_settings().site.fixmedins_code == "H31011800001"


def test_training_settings(tmp_path):
    s = training_settings("http://127.0.0.1:5000", tmp_path)
    assert (s.site.fixmedins_code, s.site.fixmedins_name, s.site.admdvs, s.site.hosp_lv) == (
        "H31011800001", "上海市青浦区培训医院", "310118", "2")
    assert s.training.enabled is True
    assert s.data_dir == tmp_path
    with pytest.raises(ConfigInvalid):
        training_settings("http://203.0.113.9:5000", tmp_path)


def test_redacted_and_api_kwargs(tmp_path):
    text = MINIMAL.replace('url = "https://hsa.example.gov.cn"',
                           'url = "https://hsa.example.gov.cn"\ngateway = "x-tif"\npaasid = "app01"\n'
                           'secret_ref = "platform-gateway"')
    s = load_settings(write(tmp_path, text))
    red = redacted(s)
    assert red["platform"]["secret_ref"] == "***"
    assert red["offline"]["max_amount"] == "500.00"
    kw = api_settings_kwargs(s, secret="k")
    assert kw["mdtrtarea_admvs"] == "320509" and kw["gateway"] == "x-tif" and kw["secret"] == "k"
    api = ApiSettings(**kw)
    assert api.fixmedins_code == "H32050900007"


def test_rollout_example_in_docs_is_valid(tmp_path):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    block = doc.split("```toml")[1].split("```")[0]
    text = "\n".join(ln[3:] if ln.startswith("   ") else ln for ln in block.splitlines())
    pem = tmp_path / "yb-ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    text = text.replace("C:/ProgramData/MedSettle/yb-ca.pem", pem.as_posix())
    p = write(tmp_path, text)
    for w, width in (("w01", 80), ("w02", 80), ("er", 58)):
        s = load_settings(p, window=w)
        assert s.printers.slip_width_mm == width and s.warnings == ()
    assert load_settings(p, window="er").ui.large_font is True


def test_zhejiang_xca_gateway_in_the_site_file(tmp_path):
    """A Jiashan site: gateway = "x-ca" needs the gateway secret; its options reach ApiSettings."""
    bare = MINIMAL.replace('url = "https://hsa.example.gov.cn"', 'url = "https://hsa.example.gov.cn"\ngateway = "x-ca"')
    report = check_config(write(tmp_path, bare))
    assert not report.ok and "platform.secret_ref" in paths_of(report)
    assert any("x-ca" in e.message for e in report.errors)
    text = bare.replace('gateway = "x-ca"', 'gateway = "x-ca"\nsecret_ref = "platform-gateway"\n'
                                           'xca_timestamp_ms = false\nxca_hex_upper = false')
    s = load_settings(write(tmp_path, text, "ok.toml"))
    kw = api_settings_kwargs(s, secret="k")
    assert (kw["gateway"], kw["xca_key"], kw["xca_timestamp_ms"], kw["xca_hex_upper"]) == ("x-ca", "", False, False)
    api = ApiSettings(**kw)
    from client.api.signing import XCaSigner, make_signer

    signer = make_signer(api)
    assert isinstance(signer, XCaSigner)
    h = signer.headers("9001", b"{}")
    assert h["x-ca-key"] == api.fixmedins_code and h["x-ca-signature"].split(":")[1].islower()


def test_success_err_msgs_in_the_site_file(tmp_path):
    """The region's success word for err_msg reaches ApiSettings; a non-list is a Chinese error."""
    s = load_settings(write(tmp_path, MINIMAL))
    assert ApiSettings(**api_settings_kwargs(s, secret="")).success_err_msgs == (
        "success", "成功", "交易成功", "处理成功", "ok")
    text = MINIMAL.replace('url = "https://hsa.example.gov.cn"',
                           'url = "https://hsa.example.gov.cn"\nsuccess_err_msgs = ["success", "办理成功"]')
    api = ApiSettings(**api_settings_kwargs(load_settings(write(tmp_path, text, "w.toml")), secret=""))
    assert api.success_err_msgs == ("success", "办理成功")
    bad = MINIMAL.replace('url = "https://hsa.example.gov.cn"',
                          'url = "https://hsa.example.gov.cn"\nsuccess_err_msgs = "success"')
    report = check_config(write(tmp_path, bad, "bad.toml"))
    assert not report.ok and "platform.success_err_msgs" in paths_of(report)


def test_reversal_void_words_in_the_site_file(tmp_path):
    """[platform] reversal_void_words ("nothing to reverse" words of a 2601 refusal, UNVERIFIED per
    region) reaches ApiSettings; a non-list is a Chinese error."""
    s = load_settings(write(tmp_path, MINIMAL))
    assert ApiSettings(**api_settings_kwargs(s, secret="")).reversal_void_words == (
        "无需冲正", "退费结算标志不为未退费", "原交易不存在", "未找到原交易")
    text = MINIMAL.replace('url = "https://hsa.example.gov.cn"',
                           'url = "https://hsa.example.gov.cn"\nreversal_void_words = ["无可冲正的交易"]')
    api = ApiSettings(**api_settings_kwargs(load_settings(write(tmp_path, text, "w.toml")), secret=""))
    assert api.reversal_void_words == ("无可冲正的交易",)
    bad = MINIMAL.replace('url = "https://hsa.example.gov.cn"',
                          'url = "https://hsa.example.gov.cn"\nreversal_void_words = "无需冲正"')
    report = check_config(write(tmp_path, bad, "bad.toml"))
    assert not report.ok and "platform.reversal_void_words" in paths_of(report)
