"""Turning PLC words (Modbus registers, FINS memory words) into values, and back.

Modbus registers and Omron memory words are 16-bit words sent high byte first. PLCs disagree about
everything above that, so two switches cover them:

* ``byte_order``: ``big`` keeps each register's bytes as sent; ``little`` swaps
  the two bytes of every register (also changes ASCII: low byte first).
* ``word_order``: for 32-bit values, ``big`` means the first register holds
  the high word (Modicon / "ABCD"), ``little`` the low word ("CDAB").

Values the PLC gets wrong never raise out of here unnoticed: ASCII keeps only
printable characters (others become ``?``), BCD raises :class:`BadBcd` naming
the raw word so the caller can fall back and keep the raw value.
"""

from __future__ import annotations

import functools
import operator
import struct
from collections.abc import Callable, Sequence
from datetime import datetime

from ..config import BIT_TABLES, Condition

_STRUCT = {"int16": "h", "uint16": "H", "int32": "i", "uint32": "I", "float32": "f"}

Value = float | int | bool
#: A condition's decoding, resolved once: the registers it reads -> its scaled value.
Decoder = Callable[[Sequence[int]], Value]
#: A condition's test, resolved once: its value -> whether the failure holds.
Test = Callable[[Value], bool]


class BadBcd(ValueError):
    """A register that should hold BCD digits holds a nibble above 9."""


def _bytes(registers: Sequence[int], byte_order: str, word_order: str) -> bytes:
    words = list(registers)
    if word_order == "little":
        words.reverse()
    raw = b"".join((w & 0xFFFF).to_bytes(2, "big") for w in words)
    if byte_order == "little":
        raw = b"".join(raw[i + 1 : i + 2] + raw[i : i + 1] for i in range(0, len(raw), 2))
    return raw


def encode_bytes(raw: bytes, byte_order: str = "big", word_order: str = "big") -> list[int]:
    """The inverse of the decoding: bytes (big-endian value) to registers."""
    if len(raw) % 2:
        raw += b"\0"
    if byte_order == "little":
        raw = b"".join(raw[i + 1 : i + 2] + raw[i : i + 1] for i in range(0, len(raw), 2))
    words = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
    if word_order == "little":
        words.reverse()
    return words


def decode_number(
    registers: Sequence[int], type_: str, byte_order: str = "big", word_order: str = "big"
) -> int | float:
    """int16, uint16, int32, uint32 or float32 from one or two registers."""
    if type_ == "bcd":
        return decode_bcd(_word(registers[0], byte_order))
    fmt = _STRUCT[type_]
    width = struct.calcsize(fmt) // 2
    if len(registers) != width:
        raise ValueError(f"{type_} needs {width} register(s), got {len(registers)}")
    return struct.unpack(">" + fmt, _bytes(registers, byte_order, word_order))[0]


def encode_number(
    value: int | float, type_: str, byte_order: str = "big", word_order: str = "big"
) -> list[int]:
    """Registers holding ``value`` (for the simulator and the tests)."""
    if type_ == "bcd":
        return [_word(encode_bcd(int(value)), byte_order)]
    fmt = _STRUCT[type_]
    if fmt != "f":
        value = int(value)
    return encode_bytes(struct.pack(">" + fmt, value), byte_order, word_order)


def _word(register: int, byte_order: str) -> int:
    register &= 0xFFFF
    return ((register & 0xFF) << 8 | register >> 8) if byte_order == "little" else register


def decode_bcd(register: int) -> int:
    """Four BCD digits (0x2026 -> 2026); :class:`BadBcd` on a nibble above 9."""
    register &= 0xFFFF
    result = 0
    for shift in (12, 8, 4, 0):
        digit = (register >> shift) & 0xF
        if digit > 9:
            raise BadBcd(f"0x{register:04X} is not BCD (digit {digit:X})")
        result = result * 10 + digit
    return result


def encode_bcd(value: int) -> int:
    if not 0 <= value <= 9999:
        raise ValueError(f"{value} does not fit four BCD digits")
    return int(str(value), 16)


def decode_ascii(registers: Sequence[int], byte_order: str = "big") -> str:
    """Two characters per register, high byte first; NUL padding removed.

    Any byte that is not printable ASCII becomes ``?``, so a PLC that sends
    garbage produces a readable, storable string instead of an exception.
    """
    raw = _bytes(registers, byte_order, "big")
    end = raw.find(b"\0")
    if end >= 0:
        raw = raw[:end]
    return "".join(chr(b) if 0x20 <= b < 0x7F else "?" for b in raw).strip()


def encode_ascii(text: str, registers: int, byte_order: str = "big") -> list[int]:
    """``text`` NUL-padded into ``registers`` registers (longer text is cut)."""
    raw = text.encode("ascii", "replace")[: registers * 2].ljust(registers * 2, b"\0")
    return encode_bytes(raw, byte_order)


def decode_bcd_time(
    registers: Sequence[int], byte_order: str = "big"
) -> tuple[int, int, int, int, int, int]:
    """Six BCD words (year, month, day, hour, minute, second) as integers.

    A two-digit year (``0x0026``) means 2026. Raises :class:`BadBcd`, or
    ValueError for fewer than six words.
    """
    year, month, day, hour, minute, second = (
        decode_bcd(_word(r, byte_order)) for r in registers[:6]
    )
    if year < 100:
        year += 2000
    return year, month, day, hour, minute, second


def bcd_time_registers(moment: datetime, byte_order: str = "big") -> list[int]:
    parts = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    return [_word(encode_bcd(p), byte_order) for p in parts]


def condition_value(cond: Condition, registers: Sequence[int]) -> float | int | bool:
    """The scaled value a condition compares (a bit table gives a bool)."""
    if cond.table in BIT_TABLES:
        return bool(registers[0])
    if cond.when == "bit":
        word = _word(registers[0], cond.byte_order)
        return bool((word >> (cond.bit or 0)) & 1)
    raw = decode_number(registers, cond.type, cond.byte_order, cond.word_order)
    if cond.scale == 1.0 and cond.offset == 0.0:
        return raw
    return raw * cond.scale + cond.offset


def condition_true(cond: Condition, value: float | int | bool) -> bool:
    """Whether the failure condition holds for ``value``."""
    if cond.when in ("nonzero", "bit"):
        return bool(value)
    assert cond.value is not None
    if cond.when == "equal":
        return value == cond.value
    if cond.when == "above":
        return value > cond.value
    return value < cond.value


def condition_decoder(cond: Condition) -> Decoder:
    """:func:`condition_value` for ``cond``, with its type, orders and scale resolved once.

    Same results (BadBcd included) for the registers the poller reads; made when
    the poller starts, so a changed block costs one call per condition, not a
    walk through the configuration. Conditions that decode alike share one
    decoder (a plant of 100,000 conditions has a handful of kinds).
    """
    if cond.table in BIT_TABLES:
        return _bit_of_table
    if cond.when == "bit":
        return _decoder("bit", cond.byte_order, "", cond.bit or 0, 1.0, 0.0)
    return _decoder(cond.type, cond.byte_order, cond.word_order, 0, cond.scale, cond.offset)


@functools.lru_cache(maxsize=1024)
def _decoder(
    type_: str, byte_order: str, word_order: str, bit: int, scale: float, offset: float
) -> Decoder:
    if type_ == "bit":
        # The byte swap of ``little`` moves bit b of the value to bit b +/- 8 of the word.
        mask = 1 << ((bit + 8) % 16 if byte_order == "little" else bit)
        return lambda registers: bool(registers[0] & mask)
    raw = _raw_decoder(type_, byte_order, word_order)
    if scale == 1.0 and offset == 0.0:
        return raw
    return lambda registers: raw(registers) * scale + offset


def _bit_of_table(registers: Sequence[int]) -> bool:
    return bool(registers[0])


def _raw_decoder(type_: str, byte_order: str, word_order: str) -> Decoder:
    if type_ == "bcd":
        return lambda registers: decode_bcd(_word(registers[0], byte_order))
    if type_ == "uint16" and byte_order == "big":
        return lambda registers: registers[0] & 0xFFFF
    fmt = _STRUCT[type_]
    width = struct.calcsize(fmt) // 2
    # Each register's two bytes as sent ("big") or swapped ("little"), then the value
    # read big-endian from them: what _bytes + struct.unpack do, as two precompiled steps.
    pack = struct.Struct(("<" if byte_order == "little" else ">") + "H" * width).pack
    unpack = struct.Struct(">" + fmt).unpack
    reverse = word_order == "little" and width > 1

    def decode(registers: Sequence[int]) -> int | float:
        if len(registers) != width:
            raise ValueError(f"{type_} needs {width} register(s), got {len(registers)}")
        words = [w & 0xFFFF for w in registers]
        if reverse:
            words.reverse()
        return unpack(pack(*words))[0]

    return decode


def condition_test(cond: Condition) -> Test:
    """:func:`condition_true` for ``cond``, its comparison resolved once (and shared)."""
    if cond.when in ("nonzero", "bit"):
        return bool
    assert cond.value is not None
    return _test(cond.when, cond.value)


@functools.lru_cache(maxsize=1024)
def _test(when: str, threshold: float) -> Test:
    compare = {"equal": operator.eq, "above": operator.gt}.get(when, operator.lt)
    return lambda value: bool(compare(value, threshold))


def condition_registers(cond: Condition, active: bool, current: Sequence[int]) -> list[int]:
    """Registers (or bits) that make the condition ``active`` or not: for simulators.

    ``current`` is what the table holds now, so setting one bit keeps the others.
    """
    if cond.table in BIT_TABLES:
        on = active if cond.when == "nonzero" else (cond.value != 0) == active
        return [int(on)]
    if cond.when == "bit":
        word = _word(current[0], cond.byte_order) if current else 0
        mask = 1 << (cond.bit or 0)
        word = word | mask if active else word & ~mask
        return [_word(word, cond.byte_order)]
    if cond.when == "nonzero":
        target = 1.0 * cond.scale + cond.offset if active else cond.offset
    else:
        assert cond.value is not None
        step = abs(cond.scale)
        if cond.when == "equal":
            target = cond.value if active else cond.value + step
        elif cond.when == "above":
            target = cond.value + step if active else cond.value
        else:
            target = cond.value - step if active else cond.value
    raw = (target - cond.offset) / cond.scale
    if cond.type != "float32":
        raw = round(raw)
    return encode_number(raw, cond.type, cond.byte_order, cond.word_order)
