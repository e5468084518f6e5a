"""client.logging_setup: masked, owner-only rotating log files."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from client.logging_setup import clear_secrets, mask_log_text, register_secret, setup_logging

ID18 = "330421198503150016"


@pytest.fixture
def log_path(tmp_path):
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    path = setup_logging(tmp_path / "logs", "DEBUG", window_id="w01", max_bytes=2000, backup_count=2)
    yield path
    for h in list(root.handlers):
        if getattr(h, "_medsettle_handler", False):
            root.removeHandler(h)
            h.close()
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    logging.captureWarnings(False)
    clear_secrets()


def read(path):
    for h in logging.getLogger().handlers:
        h.flush()
    return path.read_text(encoding="utf-8")


def test_id_number_and_registered_secret_are_masked_in_file(log_path):
    register_secret("gw-Secr3t-Value")
    log = logging.getLogger("client.api.test")
    log.info("1101 certno=%s sign with %s", ID18, "gw-Secr3t-Value")
    log.warning("legacy id 330421850315001 and card data 639900|%s|X00000019|639900D15600000500BF7C7A48FB4966|沈明|00|",
                ID18)
    log.info('{"mdtrt_cert_no": "X00000019", "ecToken": "330421ec0123456789abcdef0123456789abcd"}')
    text = read(log_path)
    assert ID18 not in text and "330421********0016" in text
    assert "gw-Secr3t-Value" not in text and "sign with ***" in text
    assert "330421850315001" not in text
    assert "X00000019" not in text and "X0*****19" in text
    assert "639900D15600000500BF7C7A48FB4966" not in text
    assert "沈明" not in text and "沈*" in text
    assert "0123456789abcdef0123456789abcd" not in text
    # msgids and catalogue codes (longer alphanumeric tokens) are left alone
    log.info("msgid H31011800001202403010900000001 code XJ01CRA006A001010104041")
    text = read(log_path)
    assert "H31011800001202403010900000001" in text and "XJ01CRA006A001010104041" in text


def test_exceptions_are_masked(log_path):
    register_secret("TopSecretKey99")
    try:
        raise ValueError(f"bad person {ID18} key TopSecretKey99")
    except ValueError:
        logging.getLogger("x").exception("failed for %s", ID18)
    text = read(log_path)
    assert "ValueError" in text and "Traceback" in text
    assert ID18 not in text and "TopSecretKey99" not in text


def test_files_owner_only_and_rotation_keeps_mode(log_path):
    log = logging.getLogger("rot")
    for i in range(100):
        log.info("line %03d %s", i, "x" * 40)
    read(log_path)
    files = sorted(p.name for p in log_path.parent.iterdir())
    assert files == ["medsettle-w01.log", "medsettle-w01.log.1", "medsettle-w01.log.2"]
    if os.name == "posix":
        assert stat.S_IMODE(log_path.parent.stat().st_mode) == 0o700
        for p in log_path.parent.iterdir():
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


def test_setup_twice_does_not_duplicate(log_path, tmp_path):
    setup_logging(log_path.parent, "INFO", window_id="w01")
    logging.getLogger("dup").info("only once")
    assert read(log_path).count("only once") == 1
    logging.getLogger("dup").debug("hidden debug")
    assert "hidden debug" not in read(log_path)


def test_bad_format_args_do_not_crash_or_leak(log_path):
    logging.getLogger("bad").info("two %s %s", ID18)
    text = read(log_path)
    assert "日志格式错误" in text and ID18 not in text


def test_mask_log_text_short_secrets_ignored():
    register_secret("ab")
    try:
        assert mask_log_text("about ab") == "about ab"
    finally:
        clear_secrets()
