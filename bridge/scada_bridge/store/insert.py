"""Appending events to scada.equipment_failure: the only write path for events."""

from __future__ import annotations

from collections.abc import Iterable

from psycopg2.extensions import connection as Connection
from psycopg2.extras import Json, execute_values

from ..events import NewEvent

_PAGE = 500

_INSERT_SQL = """
    INSERT INTO scada.equipment_failure
        (event_uid, kind, raise_uid, equipment_code, failure_code, description,
         severity, occurred_at, device, payload)
    VALUES %s
    ON CONFLICT (event_uid) DO NOTHING
"""


def insert_events(conn: Connection, events: Iterable[NewEvent]) -> int:
    """Insert events in the given order; an ``event_uid`` already stored is skipped.

    Skipping makes a replay (a spool flushed twice, a crash between insert and
    bookkeeping) harmless. Does not commit: the caller decides when the events
    are durable. Returns how many rows were new.
    """
    rows = [
        (
            e.event_uid,
            e.kind,
            e.raise_uid,
            e.equipment_code,
            e.failure_code,
            e.description,
            e.severity,
            e.occurred_at,
            e.device,
            Json(e.payload) if e.payload is not None else None,
        )
        for e in events
    ]
    if not rows:
        return 0
    inserted = 0
    with conn.cursor() as cur:
        for start in range(0, len(rows), _PAGE):
            execute_values(cur, _INSERT_SQL, rows[start : start + _PAGE], page_size=_PAGE)
            inserted += cur.rowcount
    return inserted
