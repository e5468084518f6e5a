"""client.api.errors.reversal_finds_nothing: which 2601 refusals mean "nothing to reverse".

Expected values: the recorded Zhejiang refusal (tests/fixtures/real/2601-output-zjharness.json, a
2601 of a 2207A already cancelled by 2208) means nothing is in force; the training platform's
"no such original" wording (UNVERIFIED for real platforms) too; any other refusal does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from client.api import ApiConfigError
from client.api.errors import REVERSAL_VOID_WORDS, reversal_finds_nothing
from client.api.transactions import QuerySettlement
from training_platform.transactions import ALREADY_REFUNDED, NOTHING_TO_REVERSE

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


def test_the_recorded_already_cancelled_refusal_means_nothing_to_reverse():
    rec = json.loads((REAL / "2601-output-zjharness.json").read_text(encoding="utf-8"))
    assert rec["infcode"] == -1 and rec["output"] is None
    assert reversal_finds_nothing(rec["err_msg"])
    assert ALREADY_REFUNDED == rec["err_msg"]          # the training platform answers the recorded text


def test_training_no_such_original_means_nothing_and_other_refusals_do_not():
    assert reversal_finds_nothing(NOTHING_TO_REVERSE.format(omsgid="H31011800001202601010000000001"))
    for other in ("交易[2204]不允许冲正", "原交易编号不符：报文[X]是2204交易，不是2207", "经办人未签到或签到已失效，请先签到(9001)",
                  "冲正失败：原交易所在结算期间已对账", "", None):
        assert not reversal_finds_nothing(other), other


def test_the_words_are_configurable():
    assert "无需冲正" in REVERSAL_VOID_WORDS
    assert reversal_finds_nothing("无可冲正的交易", ("无可冲正",))
    assert not reversal_finds_nothing("原交易不存在，无需冲正", ("无可冲正",))   # the site's list replaces ours


def test_5203_needs_its_three_real_inputs():
    assert QuerySettlement("P", "S", "M").to_input() == {"data": {"psn_no": "P", "setl_id": "S", "mdtrt_id": "M"}}
    for kw in ({"psn_no": "P", "setl_id": "", "mdtrt_id": "M"}, {"psn_no": "P", "setl_id": "S", "mdtrt_id": ""},
               {"psn_no": "", "setl_id": "S", "mdtrt_id": "M"}):
        with pytest.raises(ApiConfigError) as ei:
            QuerySettlement(**kw)
        assert "5203" in str(ei.value)
