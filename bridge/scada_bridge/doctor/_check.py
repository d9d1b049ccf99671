"""One row of the doctor's report, and the small helpers every hop uses to word it.

Imports nothing else of ``scada_bridge``: every hop module imports this one, and
the package's ``diagnose()`` imports the hops, so the hops never import each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Check:
    """One row of the doctor's report."""

    hop: str
    name: str
    ok: bool
    detail: str
    fix: str = ""
    #: Not checked (nothing to check it with); counts as fine for the exit status.
    skipped: bool = False

    def line(self) -> str:
        mark = "-" if self.skipped else "\u2713" if self.ok else "\u2717"
        text = f"{mark} {self.hop}: {self.name}: {self.detail}"
        if not self.ok and self.fix:
            text += f" \u2192 {self.fix}"
        return text


def age(since: datetime, now: datetime) -> str:
    """How long ago ``since`` was, in the unit a person would use."""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def split_fix(message: str) -> tuple[str, str]:
    """Split 'what failed: what to do' at the last ': ' before the advice."""
    head, sep, tail = message.rpartition(": ")
    if not sep:
        return message, ""
    return head, tail
