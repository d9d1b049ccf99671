"""Decoding every data type in every byte/word order.

Byte patterns are written out by hand from the Modbus convention (register =
high byte first), not computed with the code under test. The end-to-end test
has the real poller read each type from the simulator's Modbus server and store it.
"""

from __future__ import annotations

import asyncio
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scada_bridge.config import (
    COIL,
    DISCRETE_INPUT,
    HOLDING_REGISTER,
    INPUT_REGISTER,
    Condition,
)
from scada_bridge.plc.registers import (
    BadBcd,
    condition_registers,
    condition_true,
    condition_value,
    decode_ascii,
    decode_bcd,
    decode_bcd_time,
    decode_number,
    encode_ascii,
    encode_number,
)

# value, type, {(byte_order, word_order): registers as the PLC sends them}
KNOWN = [
    (-2, "int16", {("big", "big"): [0xFFFE], ("little", "big"): [0xFEFF]}),
    (0x1234, "uint16", {("big", "big"): [0x1234], ("little", "big"): [0x3412]}),
    (
        0x12345678,
        "uint32",
        {
            ("big", "big"): [0x1234, 0x5678],  # ABCD
            ("big", "little"): [0x5678, 0x1234],  # CDAB
            ("little", "big"): [0x3412, 0x7856],  # BADC
            ("little", "little"): [0x7856, 0x3412],  # DCBA
        },
    ),
    (
        -100000,  # 0xFFFE7960
        "int32",
        {
            ("big", "big"): [0xFFFE, 0x7960],
            ("big", "little"): [0x7960, 0xFFFE],
            ("little", "big"): [0xFEFF, 0x6079],
            ("little", "little"): [0x6079, 0xFEFF],
        },
    ),
    (
        1.5,  # 0x3FC00000
        "float32",
        {
            ("big", "big"): [0x3FC0, 0x0000],
            ("big", "little"): [0x0000, 0x3FC0],
            ("little", "big"): [0xC03F, 0x0000],
            ("little", "little"): [0x0000, 0xC03F],
        },
    ),
    (1234, "bcd", {("big", "big"): [0x1234], ("little", "big"): [0x3412]}),
]

CASES = [
    (value, type_, byte_order, word_order, regs)
    for value, type_, orders in KNOWN
    for (byte_order, word_order), regs in orders.items()
]


@pytest.mark.parametrize("value,type_,byte_order,word_order,registers", CASES)
def test_decode_known_patterns(value, type_, byte_order, word_order, registers):
    assert decode_number(registers, type_, byte_order, word_order) == value
    assert encode_number(value, type_, byte_order, word_order) == registers


@given(
    st.sampled_from(["int16", "uint16", "int32", "uint32", "float32", "bcd"]),
    st.sampled_from(["big", "little"]),
    st.sampled_from(["big", "little"]),
    st.data(),
)
def test_encode_decode_round_trip(type_, byte_order, word_order, data):
    ranges = {
        "int16": st.integers(-(2**15), 2**15 - 1),
        "uint16": st.integers(0, 2**16 - 1),
        "int32": st.integers(-(2**31), 2**31 - 1),
        "uint32": st.integers(0, 2**32 - 1),
        "bcd": st.integers(0, 9999),
        "float32": st.floats(width=32, allow_nan=False),
    }
    value = data.draw(ranges[type_])
    registers = encode_number(value, type_, byte_order, word_order)
    assert all(0 <= r <= 0xFFFF for r in registers)
    assert decode_number(registers, type_, byte_order, word_order) == value


def test_ascii_two_chars_per_register_high_byte_first_nul_padded():
    assert decode_ascii([0x5349, 0x4C4F, 0x3130, 0x3100]) == "SILO101"
    assert decode_ascii([0x4953, 0x4F4C], "little") == "SILO"
    assert decode_ascii([0x4142, 0x0000, 0x4344]) == "AB"  # stops at the first NUL
    assert encode_ascii("SILO101", 4) == [0x5349, 0x4C4F, 0x3130, 0x3100]


def test_ascii_replaces_what_is_not_printable():
    assert decode_ascii([0x4107, 0xFF42, 0x0A43]) == "A??B?C"


def test_bcd():
    assert decode_bcd(0x2026) == 2026
    assert decode_bcd(0x0009) == 9
    with pytest.raises(BadBcd, match="0x12A4 is not BCD"):
        decode_bcd(0x12A4)
    assert decode_bcd_time([0x2026, 0x02, 0x23, 0x20, 0x22, 0x35]) == (2026, 2, 23, 20, 22, 35)
    assert decode_bcd_time([0x26, 0x12, 0x31, 0x23, 0x59, 0x59])[0] == 2026  # two-digit year


def _cond(**kw) -> Condition:
    base: dict = dict(
        equipment="e",
        failure_code="f",
        description="d",
        severity="low",
        table=INPUT_REGISTER,
        address=0,
    )
    base.update(kw)
    return Condition(**base)


def test_scale_offset_and_comparisons():
    cond = _cond(type="int16", scale=0.1, offset=-40.0, when="above", value=80.0)
    assert condition_value(cond, [1205]) == pytest.approx(80.5)
    assert condition_true(cond, condition_value(cond, [1205]))
    assert not condition_true(cond, condition_value(cond, [1200]))
    below = _cond(type="uint16", when="below", value=10)
    assert condition_true(below, 9) and not condition_true(below, 10)
    equal = _cond(type="uint32", when="equal", value=9)
    assert condition_true(equal, condition_value(equal, [0, 9]))


def test_bit_of_a_word_respects_byte_order():
    cond = _cond(table=HOLDING_REGISTER, when="bit", bit=9)
    assert condition_value(cond, [0x0200]) is True
    swapped = _cond(table=HOLDING_REGISTER, when="bit", bit=9, byte_order="little")
    assert condition_value(swapped, [0x0002]) is True
    assert condition_value(swapped, [0x0200]) is False


@pytest.mark.parametrize(
    "kw",
    [
        dict(table=COIL, type="bool"),
        dict(table=DISCRETE_INPUT, type="bool", when="equal", value=0),
        dict(table=HOLDING_REGISTER, when="bit", bit=3),
        dict(type="int16", scale=0.1, when="below", value=4.5),
        dict(type="float32", word_order="little", when="above", value=250.0),
        dict(type="uint32", when="equal", value=9),
        dict(type="bcd", when="nonzero"),
    ],
)
def test_simulator_writes_make_each_condition_true_and_false(kw):
    cond = _cond(**kw)
    for active in (True, False):
        regs = condition_registers(cond, active, [0xFFFF] * cond.width)
        assert condition_true(cond, condition_value(cond, regs)) is active


def test_every_type_and_order_read_by_the_real_poller_from_the_simulator(tmp_path, scada_uri):
    """PLC-side patterns written into the simulator over its Modbus server; the poller
    itself (its read plan, its Modbus driver, its decoding) reads them and stores the
    value it decoded in each event's payload, in the SCADA database."""
    from tests.poller_fixtures import (
        Running,
        config_text,
        free_port,
        plc_block,
        rows,
        simulated,
        wait_until,
        write_config,
    )

    port = free_port()
    conditions = "".join(
        f"""
[[plc.condition]]
equipment = "e{i}"
failure_code = "F"
description = "{type_} {bo}/{wo}"
table = "input_register"
address = {i * 2}
type = "{type_}"
byte_order = "{bo}"
word_order = "{wo}"
"""
        for i, (_, type_, bo, wo, _) in enumerate(CASES)
    )
    config = write_config(
        tmp_path / "p.toml",
        config_text(scada_uri, tmp_path / "state", plc_block("p", port, conditions)),
    )
    stored = "SELECT equipment_code, payload FROM scada.equipment_failure ORDER BY id"

    async def scenario():
        async with simulated(config) as sim:
            for i, (_, _, _, _, regs) in enumerate(CASES):
                await sim.write("p", INPUT_REGISTER, i * 2, regs)
            async with Running(config):
                await wait_until(
                    lambda: len(rows(scada_uri, stored)) == len(CASES),
                    timeout=60,
                    what=f"{len(CASES)} raises (every value is nonzero)",
                )

    asyncio.run(scenario())
    decoded = {equipment: payload for equipment, payload in rows(scada_uri, stored)}
    for i, (value, type_, bo, wo, regs) in enumerate(CASES):
        payload = decoded[f"e{i}"]
        assert payload["registers"] == regs, (type_, bo, wo)
        assert payload["value"] == value, (type_, bo, wo)
    assert struct.pack(">f", 1.5) == b"\x3f\xc0\x00\x00"  # the pattern used above
