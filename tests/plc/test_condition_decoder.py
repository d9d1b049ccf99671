"""The decoders the poller resolves once per condition give what ``condition_value`` and
``condition_true`` give, for every type, order, test, scale and register content.

``condition_value`` is checked against hand-written byte patterns in test_registers.py;
here the precomputed decoders are checked against it, over the whole input space.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scada_bridge.config import COIL, HOLDING_REGISTER, TYPE_WIDTH, Condition
from scada_bridge.plc.registers import (
    BadBcd,
    condition_decoder,
    condition_test,
    condition_true,
    condition_value,
)

_WORD = st.integers(0, 0xFFFF)
_ORDER = st.sampled_from(["big", "little"])
_THRESHOLD = st.one_of(st.integers(-70000, 70000).map(float), st.floats(allow_nan=False))


@st.composite
def _conditions(draw: st.DrawFn) -> Condition:
    base: dict = dict(
        equipment="e",
        failure_code="f",
        description="d",
        severity="low",
        table=HOLDING_REGISTER,
        address=0,
        byte_order=draw(_ORDER),
        word_order=draw(_ORDER),
    )
    kind = draw(st.sampled_from(["bits", "bit", "number"]))
    if kind == "bits":
        when = draw(st.sampled_from(["nonzero", "equal"]))
        value = float(draw(st.integers(0, 1))) if when == "equal" else None
        return Condition(**{**base, "table": COIL, "type": "bool", "when": when, "value": value})
    if kind == "bit":
        return Condition(
            **base,
            type=draw(st.sampled_from(["uint16", "int16"])),
            when="bit",
            bit=draw(st.integers(0, 15)),
        )
    type_ = draw(st.sampled_from(["int16", "uint16", "bcd", "int32", "uint32", "float32"]))
    when = draw(st.sampled_from(["nonzero", "equal", "above", "below"]))
    scaled = draw(st.booleans())
    return Condition(
        **base,
        type=type_,
        when=when,
        value=draw(_THRESHOLD) if when != "nonzero" else None,
        scale=draw(st.sampled_from([0.1, -2.0, 1.5])) if scaled else 1.0,
        offset=draw(st.sampled_from([-40.0, 0.5])) if scaled else 0.0,
    )


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return a == b and type(a) is type(b)


@given(cond=_conditions(), data=st.data())
def test_precomputed_decoder_and_test_match_condition_value_and_true(cond, data):
    width = 1 if cond.table == COIL else TYPE_WIDTH[cond.type]
    word = st.integers(0, 1) if cond.table == COIL else _WORD
    registers = data.draw(st.lists(word, min_size=width, max_size=width))
    decode, test = condition_decoder(cond), condition_test(cond)
    try:
        expected = condition_value(cond, registers)
    except BadBcd as exc:
        with pytest.raises(BadBcd, match=re.escape(str(exc))):
            decode(registers)
        return
    value = decode(registers)
    assert _same(value, expected), (value, expected)
    assert test(value) is condition_true(cond, expected)
