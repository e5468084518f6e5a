"""VendorCardReader against a real shared library compiled from cardlib/fake_heasec.c."""

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from client.devices.cardreader import CardReader, CardReaderError, SimulatedCardReader, VendorCardReader

SRC = Path(__file__).with_name("cardlib") / "fake_heasec.c"

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")


@pytest.fixture(scope="module")
def libdir(tmp_path_factory):
    return tmp_path_factory.mktemp("cardlib")


def build(libdir, name):
    """Each reader gets its own copy: the fake keeps its mode in process-global state."""
    suffix = ".dll" if sys.platform == "win32" else ".so"
    out = libdir / f"{name}{suffix}"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o", str(out), str(SRC)],
                   check=True, capture_output=True, text=True)
    return out


INIT = {"IP": "127.0.0.1", "PORT": "9001", "TIMEOUT": "30", "LOG_PATH": "D:\\医保\\log",
        "SFZ_DRIVER_TYPE": "1"}


def test_reads_card_with_gbk_name(libdir):
    reader = VendorCardReader(build(libdir, "ok"), {**INIT, "FAKE_MODE": "ok"})
    assert isinstance(reader, CardReader)
    card = reader.read_card()
    assert card.psn_name == "沈明"
    assert (card.admdvs, card.certno, card.card_no) == ("330421", "330421198503150016", "X00000019")
    assert card.card_sn == "330421D15600000500BF7C7A48FB4966"
    assert card.expiry_date == date(2099, 12, 31)
    assert card.resident.sex == "1"
    # the library received the init JSON (GBK-encoded, Chinese path intact)
    assert json.loads(card.busi_info)["LOG_PATH"] == "D:\\医保\\log"
    # a second read reuses the initialised library
    assert reader.read_card().card_no == "X00000019"


def test_utf8_output(libdir):
    card = VendorCardReader(build(libdir, "utf8"), {**INIT, "FAKE_MODE": "utf8"}).read_card()
    assert card.psn_name == "沈明"


def test_no_card_error_carries_library_message(libdir):
    reader = VendorCardReader(build(libdir, "nocard"), {**INIT, "FAKE_MODE": "nocard"})
    with pytest.raises(CardReaderError) as exc:
        reader.read_card()
    assert exc.value.code == -2
    assert "未检测到卡片" in exc.value.message and "返回码 -2" in exc.value.message


def test_init_failure(libdir):
    reader = VendorCardReader(build(libdir, "initfail"), {**INIT, "FAKE_MODE": "initfail"})
    with pytest.raises(CardReaderError) as exc:
        reader.read_card()
    assert exc.value.code == -1 and "读卡器未连接" in exc.value.message
    assert "初始化失败" in exc.value.message


def test_error_mode_from_environment(libdir, monkeypatch):
    monkeypatch.setenv("FAKE_HEASEC_MODE", "nocard")
    reader = VendorCardReader(build(libdir, "envmode"), INIT)
    with pytest.raises(CardReaderError, match="未检测到卡片"):
        reader.read_card()


def test_malformed_card_string_is_a_reader_error(libdir):
    reader = VendorCardReader(build(libdir, "garbage"), {**INIT, "FAKE_MODE": "garbage"})
    with pytest.raises(CardReaderError, match="应有11个") as exc:
        reader.read_card()
    assert exc.value.__cause__ is not None


def test_expired_card_rejected_by_date(libdir):
    reader = VendorCardReader(build(libdir, "future"), {**INIT, "FAKE_MODE": "ok"}, today=date(2100, 1, 1))
    with pytest.raises(CardReaderError, match="已过有效期"):
        reader.read_card()


def test_missing_and_invalid_library(tmp_path):
    with pytest.raises(CardReaderError, match="动态库不存在"):
        VendorCardReader(tmp_path / "nope.so", INIT).read_card()
    bogus = tmp_path / "bogus.so"
    bogus.write_bytes(b"not a shared object")
    with pytest.raises(CardReaderError, match="无法加载读卡器动态库"):
        VendorCardReader(bogus, INIT).read_card()


def test_library_without_entry_points(tmp_path):
    src = tmp_path / "empty.c"
    src.write_text("int Unrelated(void) { return 0; }\n")
    out = tmp_path / "empty.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(out), str(src)], check=True)
    with pytest.raises(CardReaderError, match="缺少接口函数"):
        VendorCardReader(out, INIT).read_card()


def test_simulated_reader_is_a_card_reader():
    line = ("330421|330421198503150016|X00000019|330421D15600000500BF7C7A48FB4966|沈明|3B|3.00|"
            "20180301|20991231|T1|D1|")
    sim = SimulatedCardReader([line])
    assert isinstance(sim, CardReader)
    assert sim.read_card().psn_name == "沈明"
    with pytest.raises(CardReaderError, match="未检测到社保卡"):
        sim.read_card()
