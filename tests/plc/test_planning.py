"""Read planning: the fewest requests within each protocol's limits, every span covered."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scada_bridge.plc.modbus_tables import (
    COIL,
    HOLDING_REGISTER,
    INPUT_REGISTER,
    MAX_BITS,
    MAX_REGISTERS,
)
from scada_bridge.plc.planning import Read, Snapshot, plan_reads


def test_plan_reads_fewest_requests_within_protocol_limits():
    spans = [(HOLDING_REGISTER, a, 1) for a in range(0, 300, 3)]
    reads = plan_reads(spans)
    assert reads == [
        Read(HOLDING_REGISTER, 0, 124),
        Read(HOLDING_REGISTER, 126, 124),
        Read(HOLDING_REGISTER, 252, 46),
    ]
    assert all(r.count <= MAX_REGISTERS for r in reads)
    bits = plan_reads([(COIL, a, 1) for a in range(0, 4000, 7)])
    assert len(bits) == 2 and all(r.count <= MAX_BITS for r in bits)


def test_plan_reads_tables_apart_and_gaps_limited():
    spans = [
        (HOLDING_REGISTER, 0, 2),
        (INPUT_REGISTER, 0, 1),
        (HOLDING_REGISTER, 10, 1),
        (HOLDING_REGISTER, 1, 1),  # overlaps the first span
    ]
    assert plan_reads(spans) == [
        Read(HOLDING_REGISTER, 0, 11),
        Read(INPUT_REGISTER, 0, 1),
    ]
    assert plan_reads(spans, max_gap=0) == [
        Read(HOLDING_REGISTER, 0, 2),
        Read(HOLDING_REGISTER, 10, 1),
        Read(INPUT_REGISTER, 0, 1),
    ]


@given(
    st.lists(
        st.tuples(
            st.sampled_from([COIL, HOLDING_REGISTER]),
            st.integers(0, 3000),
            st.integers(1, 2),
        ),
        min_size=1,
        max_size=60,
    ),
    st.integers(0, 125),
)
def test_plan_reads_covers_every_span(spans, max_gap):
    reads = plan_reads(spans, max_gap=max_gap)
    for table, address, count in spans:
        assert any(
            r.area == table and r.address <= address and address + count <= r.address + r.count
            for r in reads
        )
    for r in reads:
        assert r.count <= (MAX_BITS if r.area == COIL else MAX_REGISTERS)


def test_snapshot_gives_back_what_a_read_covered_and_refuses_what_it_did_not():
    snap = Snapshot()
    snap.add(Read("DM", 8000, 23), list(range(23)))
    assert snap.get("DM", 8008, 2) == [8, 9]
    with pytest.raises(KeyError, match="DM 8022..8023 was not read"):
        snap.get("DM", 8022, 2)
    with pytest.raises(KeyError):
        snap.get("W", 8000)


def test_fins_limit_merges_up_to_999_words_or_the_configured_limit():
    spans = [("DM", 0, 1), ("DM", 998, 1), ("DM", 999, 1)]
    assert plan_reads(spans, max_words=999, max_gap=999, bit_areas=()) == [
        Read("DM", 0, 999),
        Read("DM", 999, 1),
    ]
    assert plan_reads(spans, max_words=500, max_gap=999, bit_areas=()) == [
        Read("DM", 0, 1),
        Read("DM", 998, 2),
    ]
