# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The hand-written Sparkplug B protobuf reader: byte-exact, and never anything but a
payload or one line of refusal."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from scada_bridge.sources.sparkplug_pb import (
    BadProtobuf,
    Metric,
    Payload,
    decode_payload,
    encode_payload,
)

#: Payload{timestamp 300, metrics [Metric{name "A", alias 1, datatype Boolean, true}], seq 2},
#: encoded by hand from the protobuf wire format (keys field << 3 | wire type).
KNOWN = bytes.fromhex("08ac02" + "1209" + "0a0141" + "1001" + "200b" + "7001" + "1802")


def test_a_known_payload_decodes_and_encodes_byte_exact():
    p = decode_payload(KNOWN)
    assert (p.timestamp, p.seq) == (300, 2)
    assert p.metrics == [Metric(name="A", alias=1, datatype=11, value=True)]
    assert encode_payload(p) == KNOWN


def test_unknown_fields_are_skipped_and_signed_types_read_signed():
    # Payload.uuid (field 4, string) is not needed: skipped. Int16 -2 travels as uint32.
    metric = bytes.fromhex("0a0158" + "2002" + "50feff03")
    raw = bytes.fromhex("2203616263") + bytes([0x12, len(metric)]) + metric
    p = decode_payload(raw)
    assert p.metrics[0].name == "X" and p.metrics[0].value == -2


def test_every_truncation_of_a_payload_is_refused_in_one_line():
    for cut in range(1, len(KNOWN)):
        try:
            decode_payload(KNOWN[:cut])
        except BadProtobuf as exc:
            assert "\n" not in str(exc)


METRICS = st.builds(
    Metric,
    name=st.none() | st.text(max_size=12),
    alias=st.none() | st.integers(0, 2**64 - 1),
    timestamp=st.none() | st.integers(0, 2**63),
    datatype=st.just(11),
    is_historical=st.booleans(),
    value=st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(
    st.builds(
        Payload,
        timestamp=st.none() | st.integers(0, 2**63),
        seq=st.none() | st.integers(0, 255),
        metrics=st.lists(METRICS, max_size=5),
    )
)
def test_what_is_encoded_decodes_the_same(payload):
    assert decode_payload(encode_payload(payload)) == payload


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_any_bytes_are_a_payload_or_a_refusal(raw):
    try:
        decode_payload(raw)
    except BadProtobuf as exc:
        assert "\n" not in str(exc)
