"""The local preview and the training platform receive the same input, for every demo policy.

The five fixed people × the three demo-zone institutions, outpatient (11) and inpatient (21): the
preview (engine on the locally synced catalogue and the MAC-verified policy bundle, person from
1101 + 5206) must give exactly the platform's 2206/2303 setlinfo, every money field. Where the
platform refuses (e.g. an insured place that requires filing), the preview must refuse as well.

What this proves: the training platform settles with the same ``client.domain.engine`` as the
preview, so equal figures mean both sides received the same input — the same catalogue rows (sync),
policy bundle, person and year-to-date (1101 + 5206), lines and hospital level. It does not prove
the figures are right; a wrong engine is wrong on both sides. The amounts are checked against the
spec's published examples (tests/oracles.py) and against hand-worked figures in the full-stack tests
(test_sandbox_outpatient.py, test_sandbox_inpatient.py, test_services_checkout.py).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from client.services import dayend
from client.services.checkout import MONEY_FIELDS, Counter, compare_setlinfo
from client.services.context import open_context, training_settings_for
from client.services.errors import ServiceError
from client.services.sync import SyncService
from training_platform.demo import generate

FIXED = ["330421198503150016", "320509195207080020", "310118199001010036", "110105197804120046",
         "330421201706010050"]
# People with identity labels (medical-assistance layers by idet), so that the client's reading of
# 1101 idetinfo is checked against the platform's as well.
IDET_PEOPLE = [p["certno"] for p in generate()["people"]
               if p.get("idet") and p["insuinfo"][0]["psn_insu_stas"] == "1"][:3]
assert IDET_PEOPLE, "the demo data must hold insured people with identity labels"
INSTITUTIONS = ["H31011800001", "H32050900001", "H33042100001"]
# A: 甲类 service, B: drug with a limit price, 乙类 test, 丙类 item, consumable
LINES = [("XJ01CRA006A001010104041", "24"), ("001102000010000", "1"), ("250601001", "2"), ("250401015", "1"),
         ("C14010203000000000000", "6"), ("310701008", "1")]


@pytest.fixture(scope="module")
def windows(platform_module, tmp_path_factory):
    ctxs = {}
    for code in INSTITUTIONS:
        ctx = open_context(training_settings_for(platform_module.url, tmp_path_factory.mktemp(code), code))
        SyncService(ctx).run()
        dayend.open_shift(ctx.store, ctx.operator.opter, Decimal("0.00"))   # no pre-settlement without a shift
        ctxs[code] = ctx
    yield ctxs
    for ctx in ctxs.values():
        ctx.close()


@pytest.mark.parametrize("med_type", ["11", "21"])
@pytest.mark.parametrize("code", INSTITUTIONS)
def test_preview_and_platform_receive_the_same_input(windows, code, med_type):
    """Same engine on both sides: equal setlinfo (and equal refusals) = equal input, per person."""
    ctx = windows[code]
    compared = refused = 0
    for certno in FIXED + IDET_PEOPLE:
        c = Counter(ctx)
        c.identify_certno(certno)
        if med_type == "11":
            c.start_outpatient("11")
        else:
            c.start_inpatient(med_type="21")
        for lc, cnt in LINES:
            c.add_line(lc, cnt)
        try:
            local = c.preview()
        except ServiceError as exc:
            local = exc
        try:
            trial = c.presettle()
        except ServiceError as exc:
            assert isinstance(local, ServiceError), (certno, code, med_type, exc.message)
            refused += 1
            continue
        assert not isinstance(local, ServiceError), (certno, code, med_type, local.message)
        assert compare_setlinfo(local["setlinfo"], trial.setlinfo) == []
        for k in MONEY_FIELDS:
            if k in trial.setlinfo and k != "balc":
                assert local["setlinfo"].get(k, "0.00") == trial.setlinfo[k], (certno, code, med_type, k)
        assert trial.differences == []
        compared += 1
    assert compared >= 3, (compared, refused)
