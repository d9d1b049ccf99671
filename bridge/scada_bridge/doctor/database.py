"""The doctor's SCADA database hop: reachable, schema version, backlog, oldest pending
event, and what holds the reader's horizon back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ..store.check import check_source
from ..store.reader import START, Backlog, Cursor
from ._check import Check, age, split_fix


def scada_db_checks(
    uri: str,
    cursor: Cursor = START,
    *,
    max_pending_age: timedelta | None = None,
    now: datetime | None = None,
    cursor_from: str = "",
) -> list[Check]:
    """Reachable, schema version, backlog after ``cursor`` and the age of its oldest event.

    ``cursor_from`` says whose cursor it is (e.g. "source 'Plant' in Odoo") in the row.
    """
    hop = "SCADA database"
    result = check_source(uri, cursor)
    if not result.ok:
        name = {
            "schema_missing": "schema",
            "schema_too_old": "schema version",
            "schema_too_new": "schema version",
            "standby": "primary server",
            "cursor_ahead": "cursor",
        }.get(result.reason, "reachable")
        detail, fix = split_fix(result.message)
        return [Check(hop, name, False, detail, fix)]
    assert result.backlog is not None
    now = now or datetime.now(timezone.utc)
    checks = [
        Check(hop, "reachable", True, result.where),
        Check(hop, "schema version", True, f"version {result.schema_version} (current)"),
    ]
    pending = result.backlog
    if cursor_from:
        after = f"after the cursor {cursor} of {cursor_from}"
    elif cursor != START:
        after = f"after cursor {cursor}"
    else:
        after = "in total (no cursor given)"
    checks.append(Check(hop, "backlog", True, f"{pending.count} event(s) {after}"))
    if pending.oldest_recorded_at is None:
        checks.append(Check(hop, "oldest pending event", True, "none pending"))
    else:
        waited = now - pending.oldest_recorded_at
        too_old = max_pending_age is not None and waited > max_pending_age
        checks.append(
            Check(
                hop,
                "oldest pending event",
                not too_old,
                f"recorded {age(pending.oldest_recorded_at, now)} ago",
                "Odoo is not pulling: check the scheduled action 'SCADA: pull failures' "
                "and the source's last error in Odoo (SCADA > Sources)"
                if too_old
                else "",
            )
        )
    checks.append(horizon_check(pending, now))
    return checks


def horizon_check(pending: Backlog, now: datetime) -> Check:
    """Whether committed events wait behind a transaction still open, and who holds it
    (worded by :class:`~scada_bridge.store.reader.HeldBack`, as Odoo words its note)."""
    hop, name = "SCADA database", "horizon"
    held = pending.held_back(now)
    if held is None:
        return Check(hop, name, True, "no event waits behind an open transaction")
    if not held.holders:  # it ended between the two reads
        return Check(hop, name, True, f"{held.count} event(s) released just now")
    detail = f"{held.count} event(s) wait {age(now - held.waited, now)} behind {held.holding}"
    return Check(hop, name, not held.stuck, detail, held.fix if held.stuck else "")
