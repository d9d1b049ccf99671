"""A PLC's status conditions as its poll loop evaluates them: each condition placed in
the block (planned read) that holds it, with its decoding and test resolved once
when the loop is built, and its debounce state.

Which blocks need evaluating is decided per block: see :class:`Block`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..config import Condition
from ..plc.planning import Read
from ..plc.registers import Decoder, Test, condition_decoder, condition_test


@dataclass(slots=True)
class Edge:
    """Debounce state of one condition."""

    streak: int = 0
    since: datetime | None = None


@dataclass(slots=True)
class Check:
    """One condition as the poll evaluates it: where its words sit in its block, its
    decoding and test resolved once, its debounce state."""

    index: int  # position in the configuration: events of one poll keep that order
    cond: Condition
    key: tuple[str, str]
    start: int  # offset of the condition's first word in its block
    end: int
    decode: Decoder
    test: Test
    edge: Edge


@dataclass(slots=True)
class Block:
    """One planned read, the conditions inside it, and the words it read last time.

    While ``words`` are what the PLC sent last time and no debounce is counting
    (``pending``), every condition of the block has already been evaluated on
    exactly these words and is settled: evaluating them again would change nothing.
    """

    read: Read
    checks: list[Check]
    words: list[int] | None = None
    pending: bool = False


def plan_checks(
    reads: Sequence[Read], conditions: Sequence[Condition], edges: Mapping[tuple[str, str], Edge]
) -> list[Block]:
    """Each condition in the block that reads it; blocks without a condition left out."""
    blocks = [Block(read, []) for read in reads]
    for index, cond in enumerate(conditions):
        width = cond.width
        for block in blocks:
            read = block.read
            if read.area == cond.table and read.address <= cond.address:
                start = cond.address - read.address
                if start + width <= read.count:
                    break
        else:  # plan_reads covers every span whole: a bug if not
            raise AssertionError(f"{cond.where} is not covered by the read plan {list(reads)}")
        decode, test = condition_decoder(cond), condition_test(cond)
        edge = edges[cond.key]
        block.checks.append(Check(index, cond, cond.key, start, start + width, decode, test, edge))
    return [block for block in blocks if block.checks]
