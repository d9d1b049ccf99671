"""Reading events in order without ever skipping one: the call Odoo pulls with.

``WHERE id > last_id`` loses rows, because ids are taken at insert but rows
become visible at commit, and two writers can commit out of order. This reader
keeps a cursor ``(tx, id)`` and only reads rows whose writer transaction is
older than every transaction still running in this database, so a row can be
late but never skipped. A long-running writer delays the rows behind it; it
never loses them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from psycopg2.extensions import connection as Connection

from ..errors import ConfigError
from ..events import CONTRACT_COLUMNS, Event, problem_with

_logger = logging.getLogger(__name__)

MAX_LIMIT = 100_000


@dataclass(frozen=True, order=True)
class Cursor:
    """Position after the last event read: writer transaction, then id."""

    tx: int = 0
    id: int = 0

    def __str__(self) -> str:
        return f"{self.tx}:{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        """Read the ``tx:id`` form printed by ``scada-bridge events``; empty means start."""
        if text is None or not str(text).strip():
            return cls()
        parts = str(text).strip().split(":")
        try:
            tx, id_ = (int(p) for p in parts)
        except ValueError:
            raise ConfigError(
                f"cursor {text!r} is not valid: expected 'TX:ID' as printed after "
                "'next-cursor:' (e.g. 7401:12), or nothing to start from the beginning"
            ) from None
        if tx < 0 or id_ < 0:
            raise ConfigError(f"cursor {text!r} is not valid: TX and ID are never negative")
        return cls(tx, id_)


START = Cursor()


@dataclass(frozen=True)
class RejectedRow:
    """A row the reader could not turn into an event, and why."""

    id: int
    event_uid: str | None
    reason: str


@dataclass(frozen=True)
class Batch:
    events: tuple[Event, ...]
    rejected: tuple[RejectedRow, ...]
    cursor: Cursor
    #: True when the batch was full: more rows may be ready right now.
    has_more: bool

    @property
    def rows(self) -> int:
        return len(self.events) + len(self.rejected)


@dataclass(frozen=True)
class Backlog:
    count: int
    oldest_recorded_at: datetime | None
    oldest_occurred_at: datetime | None


_COLUMNS = ", ".join(c if c != "tx" else "tx::text AS tx" for c in CONTRACT_COLUMNS)

# The horizon: rows of transactions below it are all finished (committed or
# aborted), so reading up to it and moving the cursor there can never skip a row.
# DESIGN.md's pg_snapshot_xmin(pg_current_snapshot()) is that horizon, but
# transaction ids are cluster-wide: an Odoo database (or a test) on the same
# PostgreSQL server holding a transaction open would stall every pull. A backend
# connected to another database cannot write to this table, so its xids are left
# out; any xid not proven foreign (including every one we may not see for lack of
# pg_read_all_stats) still holds the horizon back, which only ever delays rows.
_HORIZON_CTE = """
    WITH snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s),
    foreign_xids AS (
        SELECT a.backend_xid::text::bigint AS x32
          FROM pg_stat_activity a
         WHERE a.backend_xid IS NOT NULL
           AND a.datid IS DISTINCT FROM (
               SELECT oid FROM pg_database WHERE datname = current_database())
    ),
    horizon AS (
        SELECT coalesce(
            (SELECT min(x)
               FROM snap, pg_snapshot_xip(snap.s) AS x
              WHERE (x::text::bigint & 4294967295) NOT IN (SELECT x32 FROM foreign_xids)),
            (SELECT pg_snapshot_xmax(s) FROM snap)
        ) AS h
    )
"""

# Row comparison (tx, id) > (a, b) walks equipment_failure_tx_id_idx.
_READ_SQL = f"""
    {_HORIZON_CTE}
    SELECT {_COLUMNS}
      FROM scada.equipment_failure, horizon
     WHERE (tx, id) > (%(tx)s::text::xid8, %(id)s)
       AND tx < horizon.h
  ORDER BY tx, id
     LIMIT %(n)s
"""

_BACKLOG_SQL = """
    SELECT count(*), min(recorded_at), min(occurred_at)
      FROM scada.equipment_failure
     WHERE (tx, id) > (%(tx)s::text::xid8, %(id)s)
"""


def read_events(conn: Connection, cursor: Cursor = START, limit: int = 1000) -> Batch:
    """The next events after ``cursor``, in order, and the cursor after them.

    Only rows of transactions finished before every transaction still running
    are returned, so repeating the call with the returned cursor never skips
    nor repeats a row. Rows breaking the event rules come back in ``rejected``
    (with the cursor moved past them) instead of stopping the rows behind.
    The caller owns the transaction; with autocommit off each call should be
    followed by commit or rollback so the next call sees new rows.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ConfigError(f"batch limit {limit} is out of range: use 1 to {MAX_LIMIT}")
    with conn.cursor() as cur:
        cur.execute(_READ_SQL, {"tx": str(cursor.tx), "id": cursor.id, "n": limit})
        rows = cur.fetchall()
    events: list[Event] = []
    rejected: list[RejectedRow] = []
    for row in rows:
        record = dict(zip(CONTRACT_COLUMNS, row, strict=True))
        record["tx"] = int(record["tx"])
        for key in ("event_uid", "raise_uid"):
            if record[key] is not None:
                record[key] = str(record[key])
        problem = problem_with(
            record["kind"],
            record["equipment_code"],
            record["raise_uid"],
            record["severity"],
            record["occurred_at"],
        )
        if problem:
            _logger.warning("rejected row id=%s: %s", record["id"], problem)
            rejected.append(RejectedRow(record["id"], record["event_uid"], problem))
        else:
            events.append(Event(**record))
    next_cursor = (
        Cursor(int(rows[-1][CONTRACT_COLUMNS.index("tx")]), rows[-1][0]) if rows else cursor
    )
    return Batch(tuple(events), tuple(rejected), next_cursor, len(rows) == limit)


def backlog(conn: Connection, cursor: Cursor = START) -> Backlog:
    """How many rows wait after ``cursor`` (visible or not yet), and the oldest one's age.

    One index range scan with no row decoding: cheap enough for a status screen.
    """
    with conn.cursor() as cur:
        cur.execute(_BACKLOG_SQL, {"tx": str(cursor.tx), "id": cursor.id})
        count, oldest_recorded, oldest_occurred = cur.fetchone()
    return Backlog(count, oldest_recorded, oldest_occurred)
