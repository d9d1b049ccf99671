"""Read planning: cover every configured span with as few requests as the protocol allows,
and the :class:`Snapshot` of what one poll read.

Imports only :mod:`.modbus` (for its default limits); a FINS PLC passes its own.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from .modbus_tables import BIT_TABLES, MAX_BITS, MAX_REGISTERS


@dataclass(frozen=True)
class Read:
    """One read request: ``count`` words (or bits) of ``area`` from ``address``."""

    area: str
    address: int
    count: int


def plan_reads(
    spans: Iterable[tuple[str, int, int]],
    *,
    max_gap: int = MAX_REGISTERS,
    max_words: int = MAX_REGISTERS,
    max_bits: int = MAX_BITS,
    bit_areas: Collection[str] = BIT_TABLES,
) -> list[Read]:
    """Cover every ``(area, address, count)`` span with as few requests as possible.

    Spans of one area are merged while the request stays within ``max_words``
    (``max_bits`` for a bit area: Modbus 125 registers / 2000 bits, FINS 999
    words) and the hole between them is at most ``max_gap`` words (0 reads only
    configured addresses, for PLCs that reject reads of gaps). Greedy from the
    lowest address, which is optimal for covering sorted spans.
    """
    by_area: dict[str, list[tuple[int, int]]] = {}
    for area, address, count in spans:
        by_area.setdefault(area, []).append((address, address + count))
    reads: list[Read] = []
    for area in sorted(by_area):
        limit = max_bits if area in bit_areas else max_words
        gap = max_gap * 16 if area in bit_areas else max_gap
        start = end = None
        for lo, hi in sorted(by_area[area]):
            if start is not None and end is not None and hi - start <= limit and lo - end <= gap:
                end = max(end, hi)
                continue
            if start is not None and end is not None:
                reads.append(Read(area, start, end - start))
            start, end = lo, hi
        if start is not None and end is not None:
            reads.append(Read(area, start, end - start))
    return reads


class Snapshot:
    """The values one poll read, addressable by area and address."""

    def __init__(self) -> None:
        self._blocks: list[tuple[str, int, list[int]]] = []

    def add(self, read: Read, values: Sequence[int]) -> None:
        """Keep what ``read`` gave: words, or bits as 0/1 (the caller turns bools into ints,
        so 100 words a poll are not converted one by one: issue 23)."""
        self._blocks.append((read.area, read.address, list(values[: read.count])))

    def get(self, area: str, address: int, count: int = 1) -> list[int]:
        for blk_area, start, values in self._blocks:
            if blk_area == area and start <= address and address + count <= start + len(values):
                return values[address - start : address - start + count]
        raise KeyError(f"{area} {address}..{address + count - 1} was not read")
