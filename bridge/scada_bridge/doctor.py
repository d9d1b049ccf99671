"""``scada-bridge doctor``: check each hop and say, in one line each, what is wrong and the fix."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import TextIO

from .check import check_source
from .reader import START, Cursor


@dataclass(frozen=True)
class Check:
    """One row of the doctor's report."""

    hop: str
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = "\u2713" if self.ok else "\u2717"
        text = f"{mark} {self.hop}: {self.name}: {self.detail}"
        if not self.ok and self.fix:
            text += f" \u2192 {self.fix}"
        return text


def _age(since: datetime, now: datetime) -> str:
    seconds = int((now - since).total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def scada_db_checks(
    uri: str,
    cursor: Cursor = START,
    *,
    max_pending_age: timedelta | None = None,
    now: datetime | None = None,
) -> list[Check]:
    """Reachable, schema version, backlog after ``cursor`` and the age of its oldest event."""
    hop = "SCADA database"
    result = check_source(uri, cursor)
    if not result.ok:
        name = {
            "schema_missing": "schema",
            "schema_too_old": "schema version",
            "schema_too_new": "schema version",
        }.get(result.reason, "reachable")
        detail, fix = _split_fix(result.message)
        return [Check(hop, name, False, detail, fix)]
    assert result.backlog is not None
    now = now or datetime.now(timezone.utc)
    checks = [
        Check(hop, "reachable", True, result.where),
        Check(hop, "schema version", True, f"version {result.schema_version} (current)"),
    ]
    pending = result.backlog
    after = f"after cursor {cursor}" if cursor != START else "in total (no cursor given)"
    checks.append(Check(hop, "backlog", True, f"{pending.count} event(s) {after}"))
    if pending.oldest_recorded_at is None:
        checks.append(Check(hop, "oldest pending event", True, "none pending"))
    else:
        age = now - pending.oldest_recorded_at
        too_old = max_pending_age is not None and age > max_pending_age
        checks.append(
            Check(
                hop,
                "oldest pending event",
                not too_old,
                f"recorded {_age(pending.oldest_recorded_at, now)} ago",
                "Odoo is not pulling: check the scheduled action 'SCADA: pull failures' "
                "and the source's last error in Odoo (SCADA > Sources)"
                if too_old
                else "",
            )
        )
    return checks


def _split_fix(message: str) -> tuple[str, str]:
    """Split 'what failed: what to do' at the last ': ' before the advice."""
    head, sep, tail = message.rpartition(": ")
    if not sep:
        return message, ""
    return head, tail


def report(checks: list[Check], *, as_json: bool = False, out: TextIO = sys.stdout) -> int:
    """Print the checks and return the exit status: 0 when all are fine, 1 otherwise."""
    if as_json:
        json.dump(
            {"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]},
            out,
            indent=2,
            ensure_ascii=False,
        )
        out.write("\n")
    else:
        for check in checks:
            out.write(check.line() + "\n")
    return 0 if all(c.ok for c in checks) else 1
