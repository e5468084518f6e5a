"""NationEcSdk (client.devices.identify) against a real shared library compiled from
eclib/fake_nationec.c, which answers the recorded ec.query stub (real-messages/ecquery-output-openhis.json)."""

from __future__ import annotations

import ctypes
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from client.api import Operator
from client.devices.identify import IdentifyDeviceError, NationEcSdk

SRC = Path(__file__).with_name("eclib") / "fake_nationec.c"
OP = Operator("T001", "培训收费员", "A03", "内科")
URL = "http://127.0.0.1:9/localcfc/api/hsecfc/localQrCodeQuery"

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    out = tmp_path_factory.mktemp("eclib") / ("NationECCode" + (".dll" if sys.platform == "win32" else ".so"))
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o", str(out), str(SRC)],
                   check=True, capture_output=True, text=True)
    return out


def _sdk(lib) -> NationEcSdk:
    # platform="win32": pretend to be the Windows cashier PC; stdcall=False loads the cdecl stand-in
    return NationEcSdk(lib, URL, org_id="H31011800001", operator=OP, device_type="", stdcall=False, platform="win32")


def _last(sdk) -> tuple[str, dict]:
    f = sdk._lib.LastPindata
    f.restype = ctypes.c_char_p
    u = sdk._lib.LastUrl
    u.restype = ctypes.c_char_p
    return u().decode(), json.loads(f().decode("gbk"))


def test_ec_query_without_qr_gives_01_and_the_recorded_token(lib):
    sdk = _sdk(lib)
    r = sdk.identify("ecvoucher")
    recorded = json.load(open("/work/shared/reference/real-messages/ecquery-output-openhis.json", encoding="utf-8"))
    assert (r.method, r.mdtrt_cert_type, r.mdtrt_cert_no) == ("ecvoucher", "01", recorded["data"]["ecToken"])
    assert (r.psn_name, r.certno, r.insu_org, r.ec_qr_code) == ("王*", "13030419841122***", "130300",
                                                                "4243754826492874240001130000")
    url, pin = _last(sdk)
    assert url == URL
    assert pin["transType"] == "ec.query" and pin["orgId"] == "H31011800001"
    assert pin["data"] == {"orgId": "H31011800001", "businessType": "01301", "operatorId": "T001",
                           "operatorName": "培训收费员", "officeId": "A03", "officeName": "内科", "deviceType": ""}


def test_face_auth_and_a_refusal(lib):
    sdk = _sdk(lib)
    r = sdk.identify("face")
    assert r.method == "face" and r.mdtrt_cert_type == "01" and r.auth_no == "AUTH0001"
    assert _last(sdk)[1]["data"]["gainWay"] == "FACE"
    with pytest.raises(IdentifyDeviceError, match="交易类型不支持"):
        sdk.check_token("130000ecmecib288580f0f1a0a0000e7328251")


def test_missing_library_and_not_windows(tmp_path):
    with pytest.raises(IdentifyDeviceError, match="不存在"):
        NationEcSdk(tmp_path / "none.dll", URL, org_id="H31011800001", operator=OP, platform="win32").identify("face")
    with pytest.raises(IdentifyDeviceError, match="Windows"):
        NationEcSdk(tmp_path / "none.dll", URL, org_id="H31011800001", operator=OP, platform="linux").identify("face")
