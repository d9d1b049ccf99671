"""The reader's horizon: which rows are safe to read, who holds it back, and when
transaction ids cannot be trusted at all (a hot standby, a restored database).

Rows of transactions below the horizon are all finished, so reading up to it and
moving the cursor there never skips a row. DESIGN.md's horizon is
``pg_snapshot_xmin(pg_current_snapshot())``, but transaction ids are cluster-wide:
an Odoo database (or a test) on the same server holding a transaction open would
stall every pull. A backend connected to another database cannot write this
table, so its transactions are left out; any transaction *not proven* foreign
(a prepared one of this database, one whose session the schema owner cannot
see) still holds the horizon back, which only ever delays rows.
``pg_stat_activity.backend_xid`` and ``datid`` are shown to every role, so the
read-only role needs no ``pg_read_all_stats`` for that.

The foreign ids are fetched by one statement and the rows read by the next, so
they are known *before* the reading snapshot is taken: a foreign transaction
that ends between the two cannot hold the horizon back for nothing (reading
them in the same statement, after its snapshot, did so under load). Soundness
does not depend on that order: an id seen running in another database is
foreign whenever it was seen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import psycopg2
from psycopg2.extensions import connection as Connection

from ..errors import CursorAhead, DatabaseError, StandbyRefused, first_line
from .connection import describe
from .schema import check_schema

_logger = logging.getLogger(__name__)

_XID32 = 4294967295

#: A CTE named ``horizon`` with one column ``h`` (xid8): read only ``tx < h``.
#: Parameter ``foreign``: :attr:`Position.foreign_xids`.
HORIZON_CTE = """
    WITH snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s),
    foreign_xids AS MATERIALIZED (SELECT unnest(%(foreign)s::bigint[]) AS x32),
    horizon AS (
        SELECT coalesce(
            (SELECT min(x)
               FROM snap, pg_snapshot_xip(snap.s) AS x
              WHERE (x::text::bigint & 4294967295) NOT IN (SELECT x32 FROM foreign_xids)),
            (SELECT pg_snapshot_xmax(s) FROM snap)
        ) AS h
    )
"""

_POSITION_SQL = """
    SELECT pg_is_in_recovery(),
           pg_snapshot_xmax(pg_current_snapshot())::text,
           (SELECT max(tx) FROM scada.equipment_failure)::text,
           array(
               SELECT a.backend_xid::text::bigint
                 FROM pg_stat_activity a
                WHERE a.backend_xid IS NOT NULL
                  AND a.datid IS DISTINCT FROM
                      (SELECT oid FROM pg_database WHERE datname = current_database())
               UNION ALL
               SELECT p.transaction::text::bigint
                 FROM pg_prepared_xacts p
                WHERE p.database <> current_database())
"""

# Transactions not proven foreign that are older than the newest stored row:
# the ones a reader waits for.
_HOLDING_SQL = f"""
    {HORIZON_CTE}
    SELECT x::text
      FROM snap, pg_snapshot_xip(snap.s) AS x
     WHERE x < (SELECT max(tx) FROM scada.equipment_failure)
       AND (x::text::bigint & 4294967295) NOT IN (SELECT x32 FROM foreign_xids)
  ORDER BY x
"""

# No query text: any open transaction's statement (an ALTER ROLE ... PASSWORD) would
# reach every reader, and Odoo's log (migration 0005 took it out of the function).
_SESSIONS_SQL = """
    SELECT xid, pid, current_database(), usename, application_name, xact_start, state
      FROM scada.xact_sessions()
"""

_PREPARED_SQL = """
    SELECT transaction::text::bigint, database, owner, gid, prepared FROM pg_prepared_xacts
"""

# Last resort for a holder the schema owner cannot see in pg_stat_activity:
# pg_locks and the public columns of pg_stat_activity still name its pid,
# database, user and application.
_LOCKS_SQL = """
    SELECT l.transactionid::text::bigint, l.pid, a.datname, a.usename, a.application_name
      FROM pg_locks l
      LEFT JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted
"""


@dataclass(frozen=True)
class HorizonHolder:
    """A transaction holding the reader's horizon back: rows after it wait until it ends.

    A session has a ``pid``; a prepared transaction has a ``gid`` and
    ``prepared_at`` instead. What the session runs is never shown (its text may
    hold a password): pid, user, application, start and state identify it, and
    the schema owner can look it up in ``pg_stat_activity`` by its pid.
    """

    pid: int | None
    database: str | None
    user: str | None
    application: str | None
    xact_start: datetime | None
    state: str | None
    gid: str | None = None
    prepared_at: datetime | None = None
    #: The transaction id (32-bit, as pg_stat_activity.backend_xid shows it).
    xid: int = 0

    @property
    def since(self) -> datetime | None:
        """When the holding transaction began (or was prepared)."""
        return self.prepared_at if self.gid is not None else self.xact_start

    def __str__(self) -> str:
        if self.gid is not None:
            return (
                f"prepared transaction {self.gid!r} (xid {self.xid}) in database "
                f"{self.database!r}, owner {self.user!r}"
            )
        who = ", ".join(
            part
            for part in (
                f"user {self.user!r}" if self.user else "",
                f"database {self.database!r}" if self.database else "",
                f"application {self.application!r}" if self.application else "",
            )
            if part
        )
        text = f"pid {self.pid} ({who})" if self.pid is not None else f"transaction {self.xid}"
        if self.state:
            text += f", {self.state}"
        return text

    @property
    def fix(self) -> str:
        """What ends the hold, as one sentence."""
        if self.gid is not None:
            return (
                f"finish the prepared transaction in database {self.database!r}: "
                f"COMMIT PREPARED '{self.gid}' (or ROLLBACK PREPARED '{self.gid}')"
            )
        if self.pid is not None:
            return (
                f"commit or roll back the transaction of pid {self.pid} in its program, "
                f"or end it: SELECT pg_terminate_backend({self.pid})"
            )
        return (
            f"find transaction {self.xid} (SELECT * FROM pg_locks WHERE transactionid = "
            f"'{self.xid}') and end it"
        )


def execute(conn: Connection, statement: str, params: dict | None = None) -> list[tuple]:
    """Run a statement that uses the horizon functions; an older schema is told as such."""
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall()
    except (psycopg2.errors.UndefinedFunction, psycopg2.errors.UndefinedTable) as exc:
        if not conn.autocommit:
            conn.rollback()
        check_schema(conn, describe(conn))  # raises: schema missing, or too old
        raise DatabaseError(f"{describe(conn)}: {first_line(exc)}") from None


@dataclass(frozen=True)
class Position:
    """What :func:`check_position` learnt: the next transaction id, the largest
    stored ``tx``, and the transactions running in other databases."""

    next_tx: int
    max_tx: int | None
    foreign_xids: list[int]

    def params(self, **more: object) -> dict[str, object]:
        """Statement parameters for :data:`HORIZON_CTE`, plus ``more``."""
        return {"foreign": self.foreign_xids, **more}


def check_position(conn: Connection, cursor_tx: int, cursor_text: str) -> Position:
    """Refuse a hot standby, and a cursor (or rows) beyond this server's transaction ids.

    On a standby the snapshot lists no running transaction, so the horizon
    would pass rows still being written on the primary. After a restore or a
    logical move into another cluster, the stored ``tx`` values and the cursor
    come from the old server's counter while new rows get the new, smaller
    ones: they would sort before the cursor and never be read.
    """
    [(standby, xmax_text, max_tx_text, foreign)] = execute(conn, _POSITION_SQL)
    where = describe(conn)
    if standby:
        raise StandbyRefused(
            f"{where} is a hot standby (pg_is_in_recovery() is true): its snapshots do not "
            "list the primary's running transactions, so reading there could skip events: "
            "point the source at the primary server"
        )
    next_tx = int(xmax_text)
    max_tx = int(max_tx_text) if max_tx_text is not None else None
    if cursor_tx >= next_tx:
        raise CursorAhead(
            f"cursor {cursor_text} is ahead of {where}, whose next transaction id is "
            f"{next_tx} (restored or moved from another server?), so new events would sort "
            "before the cursor and never be read: reset the reader's cursor to the start "
            "(in Odoo, clear the source's cursor; events already pulled come back as "
            "duplicates and are skipped)"
            + (_restamp_hint(max_tx) if max_tx is not None and max_tx >= next_tx else ""),
            cursor_tx=cursor_tx,
            next_tx=next_tx,
            max_tx=max_tx,
        )
    if max_tx is not None and max_tx >= next_tx:
        raise CursorAhead(
            f"scada.equipment_failure in {where} holds rows with tx up to {max_tx}, beyond "
            f"this server's next transaction id {next_tx} (restored or moved from another "
            "server?), so they would wait until the counter passes them: "
            + _restamp_hint(max_tx).removeprefix(", then "),
            cursor_tx=cursor_tx,
            next_tx=next_tx,
            max_tx=max_tx,
        )
    return Position(next_tx, max_tx, list(foreign))


def _restamp_hint(max_tx: int) -> str:
    return (
        ", then, as the schema owner, renumber the rows from the old server once with "
        "UPDATE scada.equipment_failure SET tx = pg_current_xact_id() "
        "WHERE tx >= pg_snapshot_xmax(pg_current_snapshot()) and reset the cursor to the start"
    )


def horizon_holders(conn: Connection, position: Position | None = None) -> list[HorizonHolder]:
    """What holds the reader's horizon back right now, oldest first.

    The transactions of this database (or not proven to belong to another one)
    still running and older than the newest stored row: rows committed after
    them wait until they end. Empty when nothing waits.
    """
    position = position or check_position(conn, 0, "")
    xids = [int(row[0]) & _XID32 for row in execute(conn, _HOLDING_SQL, position.params())]
    if not xids:
        return []
    sessions = {row[0]: row for row in execute(conn, _SESSIONS_SQL)}
    prepared = {row[0]: row for row in execute(conn, _PREPARED_SQL)}
    locks: dict[int, tuple] = {}
    if any(x not in sessions and x not in prepared for x in xids):
        locks = {row[0]: row for row in execute(conn, _LOCKS_SQL)}
    # A holder found only through pg_locks in another database started after
    # the foreign ids were taken: the next read leaves it out, so it is no holder.
    own_database = conn.info.dbname
    holders = []
    for xid in xids:
        if xid in sessions:
            _, pid, database, user, application, start, state = sessions[xid]
            holders.append(HorizonHolder(pid, database, user, application, start, state, xid=xid))
        elif xid in prepared:
            _, database, owner, gid, at = prepared[xid]
            holders.append(
                HorizonHolder(None, database, owner, None, None, "prepared", gid, at, xid)
            )
        elif xid in locks and locks[xid][2] in (None, own_database):
            _, pid, database, user, application = locks[xid]
            holders.append(HorizonHolder(pid, database, user, application, None, None, xid=xid))
        # else: it ended between the two statements and holds nothing any more.
    return holders
