"""Masking rules of docs/masking.md."""

import pytest

from client.domain.masking import mask_card_no, mask_certno, mask_name, mask_phone, mask_text


def test_certno():
    assert mask_certno("330421198503150016") == "330421********0016"
    assert mask_certno("11010519491231002X") == "110105********002X"
    assert mask_certno("330421850315001") == "330421*****5001"
    assert mask_certno("E1234567") == "E******7"
    assert mask_certno("12") == "**"
    assert mask_certno(None) == ""


@pytest.mark.parametrize("name,masked", [
    ("沈明", "沈*"), ("陆秀英", "陆*英"), ("欧阳春晓", "欧**晓"), ("王", "*"),
    ("阿卜杜·热合曼", "阿*****曼"), ("", ""),
])
def test_name(name, masked):
    assert mask_name(name) == masked


def test_card_no_and_phone():
    assert mask_card_no("X00000019") == "X0*****19"
    assert mask_card_no("AB12") == "****"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("051268881234") == "051*****1234"
    assert mask_phone("6888123") == "*****23"


@pytest.mark.parametrize("fn,value", [
    (mask_certno, "330421198503150016"), (mask_certno, "E1234567"), (mask_name, "沈明"),
    (mask_name, "陆秀英"), (mask_name, "王"), (mask_card_no, "X00000019"), (mask_phone, "13812345678"),
])
def test_idempotent(fn, value):
    once = fn(value)
    assert fn(once) == once
    assert once != value


def test_mask_text_finds_ids_in_free_text():
    line = "1101 certno=330421198503150016, 旧证 330421850315001; 另 11010519491231002x 结束"
    masked = mask_text(line)
    assert "330421198503150016" not in masked and "330421********0016" in masked
    assert "330421*****5001" in masked
    assert "110105********002x" in masked
    assert mask_text(masked) == masked


def test_mask_text_leaves_codes_and_msgids_alone():
    msgid = "H33042100001202406011230000001"
    text = f"msgid={msgid} item 001102000010000 drug XJ01CRA006A001010104041 amt 123456789012345.00"
    assert mask_text(text) == text
    assert mask_text(None) == ""
