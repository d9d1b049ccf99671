"""Registers a PLC's configuration reads twice by mistake: overlapping conditions and mailbox."""

from __future__ import annotations

from ..errors import ConfigError
from .model import Condition, Mailbox
from .tables import _Table


def check_overlaps(t: _Table, conditions: tuple[Condition, ...], mailbox: Mailbox | None) -> None:
    """Conditions may share a register only when they read exactly the same one(s).

    Several bits of one status word, or several values of one register, are
    normal; an int32 starting in the middle of another value is a typo.
    """
    seen_keys: dict[tuple[str, str], str] = {}
    for cond in conditions:
        if cond.key in seen_keys:
            raise ConfigError(
                f"{t.file}: {cond.where}: equipment {cond.equipment!r} with failure_code "
                f"{cond.failure_code!r} is already watched by {seen_keys[cond.key]}"
            )
        seen_keys[cond.key] = cond.where
    for i, a in enumerate(conditions):
        for b in conditions[:i]:
            if a.table != b.table:
                continue
            if (a.address, a.width) == (b.address, b.width):
                continue
            if a.address < b.address + b.width and b.address < a.address + a.width:
                raise ConfigError(
                    f"{t.file}: {a.where}.address: {a.table} {a.address}..."
                    f"{a.address + a.width - 1} ({a.type}) partly overlaps {b.where} "
                    f"({b.address}..{b.address + b.width - 1}, {b.type})"
                )
    if mailbox is None:
        return
    for cond in conditions:
        if cond.table != mailbox.area:
            continue
        for part, span in mailbox.spans().items():
            if cond.address < span.address + span.registers and span.address < (
                cond.address + cond.width
            ):
                what = cond.table.replace("_", " ")
                raise ConfigError(
                    f"{t.file}: {cond.where}.address: {what} {cond.address} is inside "
                    f"the mailbox {part} ({span.address}..{span.address + span.registers - 1})"
                )
