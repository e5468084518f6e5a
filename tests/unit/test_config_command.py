"""`medsettle config ...` through the real CLI entry point."""

from __future__ import annotations

import io
import sys

from client.cli import main
from client.resources import resource

EXAMPLE = str(resource("config", "site.example.toml"))


def test_check_example_ok(capsys):
    assert main(["config", "check", "--config", EXAMPLE, "--window", "w02"]) == 0
    out = capsys.readouterr().out
    assert "窗口：w02（急诊收费窗口）" in out
    assert 'receipt_printer = "EPSON TM-T82 (急诊)"' in out
    assert "结论：配置可以使用" in out


def test_options_before_action_are_kept(capsys):
    assert main(["config", "--config", EXAMPLE, "check"]) == 0
    assert "fixmedins_code = \"H31011800001\"" in capsys.readouterr().out


def test_check_errors_exit_2_and_secret_refs_hidden(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "site.toml"
    bad.write_text('[site]\nfixmedins_code = "123"\nfixmedins_name = "某院"\nadmdvs = "310118"\n'
                   '[platform]\nurl = "https://a.example.cn"\nsecret_ref = "gw-key"\nsecret = "abc123"\n',
                   encoding="utf-8")
    assert main(["config", "check", "--config", str(bad)]) == 2
    out = capsys.readouterr().out
    assert "site.fixmedins_code" in out and "platform.secret" in out and "abc123" not in out
    good = tmp_path / "good.toml"
    good.write_text(bad.read_text(encoding="utf-8").replace('"123"', '"H31011800002"').replace('secret = "abc123"\n', ""),
                    encoding="utf-8")
    data = tmp_path / "data"
    # the secret it names is not in this machine's store yet: an error naming the set-secret command
    assert main(["config", "check", "--config", str(good), "--data", str(data)]) == 2
    out = capsys.readouterr().out
    assert "platform.secret_ref: 密钥“gw-key”尚未存入本机" in out and "medsettle config set-secret gw-key" in out
    monkeypatch.setattr(sys, "stdin", io.StringIO("gw-value-1\n"))
    assert main(["config", "set-secret", "gw-key", "--stdin", "--data", str(data)]) == 0
    capsys.readouterr()
    assert main(["config", "check", "--config", str(good), "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert 'secret_ref = "***"' in out and "gw-key" not in out and "gw-value-1" not in out
    # policy bundles are imported site data (no 9901 by default): no MAC key warning any more
    assert "警告" not in out or "policy.mac_key_ref" not in out


def test_cli_platform_override_is_validated(capsys):
    assert main(["config", "check", "--config", EXAMPLE, "--platform", "http://198.51.100.7/"]) == 2
    assert "(命令行).platform.url" in capsys.readouterr().out


def test_example_prints_the_file(capsys):
    assert main(["config", "example"]) == 0
    assert capsys.readouterr().out.startswith("# MedSettle site configuration")


def test_set_secret_from_stdin_into_encrypted_file(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("gw-value-1\n"))
    assert main(["config", "set-secret", "platform-gateway", "--stdin", "--data", str(tmp_path)]) == 0
    assert "已保存密钥 platform-gateway" in capsys.readouterr().out
    from client.secrets import SecretStore

    assert SecretStore(tmp_path, backend="file").get("platform-gateway") == "gw-value-1"
    monkeypatch.setattr(sys, "stdin", io.StringIO("x\n"))
    assert main(["config", "set-secret", "bad name", "--stdin", "--data", str(tmp_path)]) == 2
