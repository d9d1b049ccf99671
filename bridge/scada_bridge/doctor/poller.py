"""The doctor's poller hop, read from ``scada.plc_status``: is the poller running, and
what does it see of each PLC?

A PLC can answer the doctor while no poller reads it (the service is stopped):
then failures happen and nothing records them. The poller refreshes each PLC's
``last_poll_at`` every ``[poller] status_every`` seconds, so an old value means it
is not running, or it cannot write to this database.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import psycopg2

from ..errors import ScadaBridgeError, first_line
from ..store.connection import connect
from ..store.plc_status import read_status
from ._check import Check, age, split_fix

_logger = logging.getLogger(__name__)

HOP = "poller"
#: Least time without a refresh before the poller counts as stopped.
MIN_STALE = timedelta(seconds=30)

_START_HINT = (
    "start the poller (scada-bridge poll --config plant.toml, or docker compose up -d poller) "
    "and read its log"
)


def poller_checks(
    uri: str,
    plcs: Sequence[str] = (),
    *,
    status_every: float = 5.0,
    now: datetime | None = None,
) -> list[Check]:
    """One row per PLC: ``plcs`` from the config, else every PLC the table knows."""
    now = now or datetime.now(timezone.utc)
    stale = max(MIN_STALE, timedelta(seconds=3 * status_every))
    try:
        conn = connect(uri, autocommit=True)
    except ScadaBridgeError:
        return []  # the SCADA database rows say why
    try:
        rows = read_status(conn)
    except psycopg2.Error:
        return []  # schema missing or too old: the schema row says so
    finally:
        conn.close()
    names = list(plcs) or sorted(rows)
    if not names:
        return [
            Check(
                HOP,
                "running",
                False,
                "no PLC was ever polled into this database (scada.plc_status is empty)",
                _START_HINT,
            )
        ]
    checks = []
    for name in names:
        label = f"{name!r} polled"
        row = rows.get(name)
        if row is None:
            checks.append(
                Check(HOP, label, False, f"the poller never polled PLC {name!r}", _START_HINT)
            )
            continue
        state, since, last_poll = row.state, row.state_since, row.last_poll_at
        last_success, last_error, failures = (
            row.last_success_at,
            row.last_error,
            row.consecutive_failures,
        )
        if last_poll is None or now - last_poll > stale:
            when = f"{age(last_poll, now)} ago" if last_poll else "never"
            checks.append(
                Check(
                    HOP,
                    label,
                    False,
                    f"last poll of {name!r} {when}: the poller is not running "
                    "(or cannot write here)",
                    _START_HINT,
                )
            )
            continue
        if state != "ok":
            what, fix = split_fix(first_line(last_error or ""))
            success = f"last success {age(last_success, now)} ago" if last_success else "never"
            checks.append(
                Check(
                    HOP,
                    label,
                    False,
                    f"{name!r} {state} for {age(since, now) if since else 'an unknown time'} "
                    f"({failures} failed poll(s), "
                    f"{success}): {what or 'no error text'}",
                    fix or "see the PLC row above and the poller's log",
                )
            )
            continue
        checks.append(Check(HOP, label, True, f"{name!r} ok, last poll {age(last_poll, now)} ago"))
    return checks
