"""FINS frames byte for byte, and answers as a PLC sends them.

The expected bytes are written out by hand from Omron's W342 (header ICF RSV GCT
DNA DA1 DA2 SNA SA1 SA2 SID, then MRC SRC and the parameters), not computed with
the code under test. The answers are frames as a CJ2 sends them back.
"""

from __future__ import annotations

import pytest
from scada_bridge.errors import PlcRefused
from scada_bridge.plc.fins_frames import (
    MEMORY_AREA_READ,
    MEMORY_AREA_WRITE,
    TCP_NODE_REQUEST,
    OtherAnswer,
    default_node,
    default_source_node,
    end_code_text,
    parse_response,
    read_request,
    tcp_frame,
    words_of,
    write_request,
)


def test_memory_area_read_of_the_mailbox_d8000_23_words():
    frame = read_request(1, 254, 1, "DM", 8000, 23)
    assert frame == bytes.fromhex("80 00 02 00 01 00 00 FE 00 01" "01 01" "82 1F40 00 0017")


@pytest.mark.parametrize(
    "area,code", [("DM", "82"), ("CIO", "B0"), ("W", "B1"), ("H", "B2"), ("A", "B3")]
)
def test_each_word_area_has_its_word_code(area, code):
    frame = read_request(10, 20, 255, area, 0x0102, 999)
    assert frame == bytes.fromhex(f"80 00 02 00 0A 00 00 14 00 FF 01 01 {code} 0102 00 03E7")


def test_memory_area_write_of_the_acknowledge_d8022_1():
    frame = write_request(1, 254, 2, "DM", 8022, [1])
    assert frame == bytes.fromhex("80 00 02 00 01 00 00 FE 00 02" "01 02" "82 1F56 00 0001 0001")


def test_a_word_area_name_that_fins_does_not_have_is_refused():
    with pytest.raises(PlcRefused, match="'D' is not a FINS word area"):
        read_request(1, 2, 3, "D", 0, 1)


def test_an_answer_with_data_is_parsed_into_words():
    answer = bytes.fromhex("C0 00 02 00 FE 00 00 01 00 01 01 01 0000 7369 6C6F")
    data = parse_response(answer, 1, MEMORY_AREA_READ)
    assert words_of(data, 2) == [0x7369, 0x6C6F]  # "silo"


def test_a_non_fatal_cpu_error_flag_still_brings_the_data():
    # SRES bit 6: the CPU has a non-fatal error (a battery low, say); the read completed.
    answer = bytes.fromhex("C0 00 02 00 FE 00 00 01 00 05 01 01 0040 0001")
    assert words_of(parse_response(answer, 5, MEMORY_AREA_READ), 1) == [1]


@pytest.mark.parametrize(
    "end,text",
    [
        ("1103", "1103 address range exceeded"),
        ("0401", "0401 command not supported"),
        ("1101", "1101 area does not exist"),
        ("2101", "2101 read only"),
        ("9103", "1103 address range exceeded"),  # relay error flag (MRES bit 7) masked
        ("1183", "1103 address range exceeded"),  # fatal CPU error flag masked
        ("5A0A", "5A0A unknown end code"),
    ],
)
def test_error_end_codes_are_one_line_errors(end, text):
    answer = bytes.fromhex(f"C0 00 02 00 FE 00 00 01 00 09 01 01 {end}")
    with pytest.raises(PlcRefused) as caught:
        parse_response(answer, 9, MEMORY_AREA_READ)
    assert str(caught.value) == text
    assert "\n" not in str(caught.value)


def test_an_answer_with_another_service_id_is_not_taken_for_ours():
    late = bytes.fromhex("C0 00 02 00 FE 00 00 01 00 07 01 01 0000 0001")
    with pytest.raises(OtherAnswer, match="service id 7 while waiting for 8"):
        parse_response(late, 8, MEMORY_AREA_READ)
    with pytest.raises(OtherAnswer, match="command 0101"):
        parse_response(late, 7, MEMORY_AREA_WRITE)
    with pytest.raises(OtherAnswer, match="not an answer"):
        parse_response(read_request(1, 254, 7, "DM", 0, 1) + b"\0\0", 7, MEMORY_AREA_READ)


def test_a_short_answer_is_an_error_not_a_crash():
    with pytest.raises(PlcRefused, match="too short"):
        parse_response(bytes.fromhex("C0 00 02 00 FE 00 00 01 00 01"), 1, MEMORY_AREA_READ)
    with pytest.raises(PlcRefused, match="holds 1 words, 2 were asked"):
        words_of(b"\x00\x01", 2)


def test_fins_tcp_node_address_request_asks_for_automatic_assignment():
    assert tcp_frame(TCP_NODE_REQUEST, (0).to_bytes(4, "big")) == bytes.fromhex(
        "46494E53 0000000C 00000000 00000000 00000000"
    )


def test_default_nodes_last_octet_and_a_source_that_differs():
    assert default_node("192.168.250.1") == 1
    assert default_node("10.0.0.254") == 254
    assert default_source_node(1) == 254
    assert default_source_node(254) == 253
    assert end_code_text(0) == "0000 normal completion"
