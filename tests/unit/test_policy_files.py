"""Policy parameter files (the import format) and the unknown-infno rule, without a store.

The shipped training bundles must be valid import files (training mode imports them); the checksum
is the SHA-256 of the file bytes (computed here with hashlib). The unknown-infno rule is checked
against the recorded real refusal (tests/fixtures/real/error-unknown-infno-zjharness.json).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest

from client.api.errors import BusinessError, says_unknown_infno
from client.services.errors import ServiceError
from client.services.policies import read_bundle_file

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "resources" / "policies").glob("*.json"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_bundles_are_valid_import_files(path):
    bf = read_bundle_file(path)
    assert bf.insuplc_admdvs == path.stem and bf.ver == "2026.1"
    assert bf.issuer.endswith("医疗保障局（培训示例，非官方发布）")
    assert (bf.valid_from, bf.valid_to) == (date(2020, 1, 1), date(2027, 12, 31))
    assert bf.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_bom_is_accepted_and_a_non_object_refused(tmp_path):
    p = tmp_path / "bom.json"
    p.write_bytes(b"\xef\xbb\xbf" + SHIPPED[0].read_bytes())
    assert read_bundle_file(p).ver == "2026.1"
    p.write_text(json.dumps([1, 2]), encoding="utf-8")
    with pytest.raises(ServiceError) as ei:
        read_bundle_file(p)
    assert ei.value.code == "invalid_input" and "应为一个 JSON 对象" in ei.value.message
    p.write_bytes("政策".encode("gbk"))
    with pytest.raises(ServiceError) as ei:
        read_bundle_file(p)
    assert "不是 UTF-8" in ei.value.message


def test_the_recorded_unknown_infno_refusal_is_recognised():
    rec = json.loads((ROOT / "tests" / "fixtures" / "real" / "error-unknown-infno-zjharness.json")
                     .read_text(encoding="utf-8"))
    assert says_unknown_infno(rec["err_msg"])
    err = BusinessError(rec["infcode"], rec["err_msg"], "H3101180000120261204010101" + "0001", "9901")
    assert err.unknown_infno and not err.needs_sign_in
    assert not says_unknown_infno("经办人未签到或签到已失效，请先签到(9001)")
    assert not says_unknown_infno("")
