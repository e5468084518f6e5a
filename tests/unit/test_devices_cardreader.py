"""SimulatedCardReader (training) and output decoding of the vendor adapter."""

import queue
import threading
from datetime import date

import pytest

from client.devices.cardreader import CardReaderError, SimulatedCardReader, decode_output

LINE = ("320509|320509197512310020|B12345678|320509D15600000500BF7C7A48FB4966|陆秀英|3B6D|3.00|"
        "20190101|20290101|T1|D1|")


def test_cards_read_in_insertion_order():
    sim = SimulatedCardReader([LINE], today=date(2025, 1, 1))
    sim.insert(LINE.replace("B12345678", "B87654321"))
    assert sim.read_card().card_no == "B12345678"
    second = sim.read_card()
    assert second.card_no == "B87654321" and second.resident.sex == "2"
    assert second.resident.birth_date == date(1975, 12, 31)


def test_no_card():
    with pytest.raises(CardReaderError) as exc:
        SimulatedCardReader().read_card()
    assert "未检测到社保卡" in exc.value.message


def test_queue_fed_by_another_thread():
    q = queue.Queue()
    sim = SimulatedCardReader(q, today=date(2025, 1, 1))
    t = threading.Thread(target=q.put, args=(LINE,))
    t.start()
    t.join()
    assert sim.read_card().psn_name == "陆秀英"


def test_bad_and_expired_cards_are_reader_errors():
    sim = SimulatedCardReader(["330421|x", 42, LINE], today=date(2030, 1, 1))
    with pytest.raises(CardReaderError, match="应有11个"):
        sim.read_card()
    with pytest.raises(CardReaderError, match="不是文本"):
        sim.read_card()
    with pytest.raises(CardReaderError, match="已过有效期"):
        sim.read_card()


def test_decode_output():
    assert decode_output("沈明|1".encode("gbk") + b"\x00junk") == "沈明|1"
    assert decode_output("沈明|1".encode() + b"\x00\x00") == "沈明|1"
    assert decode_output(b"\x00") == ""
    assert set(decode_output(b"\xff\xff")) == {"\ufffd"}  # undecodable bytes never raise
