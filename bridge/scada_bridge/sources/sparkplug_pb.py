# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The Sparkplug B payload, decoded (and encoded, for the simulator and tests) by hand.

Written from the Eclipse Sparkplug specification (``sparkplug_b.proto``,
``org.eclipse.tahu.protobuf.Payload``), only the subset a failure needs::

    Payload: 1 timestamp (uint64), 2 metrics (repeated Metric), 3 seq (uint64)
    Metric:  1 name (string), 2 alias (uint64), 3 timestamp (uint64), 4 datatype
             (uint32), 5 is_historical, 6 is_transient, 7 is_null (bool),
             10 int_value (uint32), 11 long_value (uint64), 12 float_value (float),
             13 double_value (double), 14 boolean_value (bool), 15 string_value

Protobuf wire format: a key varint ``field << 3 | wire type``; wire types 0
(varint), 1 (fixed64, little endian), 2 (length-delimited), 5 (fixed32). Fields
not listed are skipped, as protobuf readers do. Anything cut short or malformed
raises :class:`BadProtobuf` (one line), never another exception.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

#: Sparkplug B data types (the spec's DataType enum) this reader turns into values.
BOOLEAN = 11
INT_TYPES = {1: "Int8", 2: "Int16", 3: "Int32", 4: "Int64", 5: "UInt8", 6: "UInt16", 7: "UInt32"}
_SIGNED_BITS = {1: 8, 2: 16, 3: 32, 4: 64}


class BadProtobuf(ValueError):
    """The bytes are not a Sparkplug B payload (truncated, or a malformed field)."""


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    for _ in range(10):
        if pos >= len(buf):
            raise BadProtobuf(f"truncated protobuf: a varint runs past the end ({len(buf)} bytes)")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise BadProtobuf("malformed protobuf: a varint longer than 10 bytes")


def fields(buf: bytes) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) of one message: int for varints, bytes otherwise."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise BadProtobuf("malformed protobuf: field number 0")
        if wire == 0:
            value, pos = _varint(buf, pos)
            yield number, wire, value
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if pos + size > len(buf):
                raise BadProtobuf(f"truncated protobuf: field {number} needs {size} bytes")
            yield number, wire, buf[pos : pos + size]
            pos += size
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if pos + size > len(buf):
                raise BadProtobuf(
                    f"truncated protobuf: field {number} says {size} bytes, "
                    f"{len(buf) - pos} remain"
                )
            yield number, wire, buf[pos : pos + size]
            pos += size
        else:
            raise BadProtobuf(f"malformed protobuf: wire type {wire} of field {number}")


@dataclass
class Metric:
    name: str | None = None
    alias: int | None = None
    timestamp: int | None = None
    datatype: int | None = None
    is_historical: bool = False
    is_null: bool = False
    value: Any = None


@dataclass
class Payload:
    timestamp: int | None = None
    seq: int | None = None
    metrics: list[Metric] = field(default_factory=list)


def _want(wire: int, expected: int, what: str) -> None:
    if wire != expected:
        raise BadProtobuf(f"malformed protobuf: {what} has wire type {wire}, expected {expected}")


def _metric(buf: bytes) -> Metric:
    m = Metric()
    for number, wire, value in fields(buf):
        if number == 1:
            _want(wire, 2, "Metric.name")
            try:
                m.name = value.decode("utf-8")
            except UnicodeDecodeError:
                raise BadProtobuf("malformed protobuf: a metric name is not UTF-8") from None
        elif number in (2, 3, 4, 5, 7, 10, 11, 14):
            _want(wire, 0, f"Metric field {number}")
            if number == 2:
                m.alias = value
            elif number == 3:
                m.timestamp = value
            elif number == 4:
                m.datatype = value
            elif number == 5:
                m.is_historical = bool(value)
            elif number == 7:
                m.is_null = bool(value)
            elif number == 14:
                m.value = bool(value)
            else:
                m.value = value
        elif number == 12:
            _want(wire, 5, "Metric.float_value")
            m.value = struct.unpack("<f", value)[0]
        elif number == 13:
            _want(wire, 1, "Metric.double_value")
            m.value = struct.unpack("<d", value)[0]
        elif number == 15:
            _want(wire, 2, "Metric.string_value")
            m.value = value.decode("utf-8", "replace")
    bits = _SIGNED_BITS.get(m.datatype or 0)
    if bits and isinstance(m.value, int) and not isinstance(m.value, bool):
        m.value &= (1 << bits) - 1  # Int8..Int64 travel as unsigned two's complement
        if m.value >= 1 << (bits - 1):
            m.value -= 1 << bits
    return m


def decode_payload(buf: bytes) -> Payload:
    """A Sparkplug B payload; :class:`BadProtobuf` when the bytes are not one."""
    p = Payload()
    for number, wire, value in fields(buf):
        if number == 1:
            _want(wire, 0, "Payload.timestamp")
            p.timestamp = value
        elif number == 2:
            _want(wire, 2, "Payload.metrics")
            p.metrics.append(_metric(value))
        elif number == 3:
            _want(wire, 0, "Payload.seq")
            p.seq = value
    return p


# -- encoding (the simulator, the tests) ---------------------------------------------


def _enc_varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _enc_varint(number << 3 | wire)


def _enc_metric(m: Metric) -> bytes:
    out = bytearray()
    if m.name is not None:
        raw = m.name.encode("utf-8")
        out += _key(1, 2) + _enc_varint(len(raw)) + raw
    for number, value in ((2, m.alias), (3, m.timestamp), (4, m.datatype)):
        if value is not None:
            out += _key(number, 0) + _enc_varint(value)
    if m.is_historical:
        out += _key(5, 0) + b"\x01"
    if m.is_null:
        out += _key(7, 0) + b"\x01"
    if isinstance(m.value, bool):
        out += _key(14, 0) + _enc_varint(int(m.value))
    elif isinstance(m.value, int):
        out += _key(11 if m.datatype in (4, 8) else 10, 0) + _enc_varint(m.value)
    elif isinstance(m.value, float):
        out += _key(13, 1) + struct.pack("<d", m.value)
    elif isinstance(m.value, str):
        raw = m.value.encode("utf-8")
        out += _key(15, 2) + _enc_varint(len(raw)) + raw
    return bytes(out)


def encode_payload(p: Payload) -> bytes:
    out = bytearray()
    if p.timestamp is not None:
        out += _key(1, 0) + _enc_varint(p.timestamp)
    for m in p.metrics:
        raw = _enc_metric(m)
        out += _key(2, 2) + _enc_varint(len(raw)) + raw
    if p.seq is not None:
        out += _key(3, 0) + _enc_varint(p.seq)
    return bytes(out)
