"""Bounded storage: delete old events every registered reader has passed.

Events are deleted in small batches, each its own short transaction with a
``lock_timeout``: a DELETE takes the same table lock as the poller's INSERT (no
conflict), and the timeout makes prune give up rather than queue behind a
migration's exclusive lock (where the poller's inserts would queue behind it).

A condition failure still active (raised, never cleared) is kept however old:
the poller rebuilds its active failures from those rows at start. A clear is
deleted only together with its raise, so a raise never outlives its clear.

Which readers count: every row of ``scada.reader_cursor`` (a reader registered
but never recorded sits at position zero and keeps everything), and every
*reader role*, a login role that can read the events (SELECT on
``scada.equipment_failure``, itself or through a role it is a member of) but not
write them, that is neither a superuser nor the table's owner. A reader role with
no registered reader may be reading events nobody accounts for (its Odoo source
could not register), so prune refuses and names it, unless ``force``. Each batch
takes the smallest cursor afresh under a SHARE lock on ``scada.reader_cursor``, so
a reader that registers while prune runs is honoured from the next batch on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import psycopg2
from psycopg2.extensions import connection as Connection

from ..errors import ConfigError, DatabaseError, PruneRefused
from .connection import describe
from .horizon import check_position
from .reader import Cursor
from .reader_cursor import ReaderCursor, reader_cursors, sql_literal

_logger = logging.getLogger(__name__)

MAX_BATCH = 100_000

# "passed": every reader's cursor is at or after the row. %(bounded)s is false
# only under --force with no reader registered: age alone decides.
_PASSED = "(NOT %(bounded)s OR ({t}.tx, {t}.id) <= (%(tx)s::text::xid8, %(id)s))"
_OLD = "{t}.recorded_at < %(before)s"


def _gone(t: str) -> str:
    return f"({_OLD.format(t=t)} AND {_PASSED.format(t=t)})"


_BATCH_SQL = f"""
    WITH victims AS (
        SELECT e.id, e.kind, e.raise_uid
          FROM scada.equipment_failure e
         WHERE e.id > %(after)s
           AND {_gone("e")}
           AND CASE
               WHEN e.kind = 'raised' AND e.payload ->> 'source' = 'condition' THEN
                   -- still active unless a clear that goes too ends it
                   EXISTS (SELECT 1 FROM scada.equipment_failure c
                            WHERE c.raise_uid = e.event_uid AND c.kind = 'cleared'
                              AND {_gone("c")})
               WHEN e.kind = 'cleared' THEN
                   -- its raise goes with it (below), so it must be gone too
                   NOT EXISTS (SELECT 1 FROM scada.equipment_failure r
                                WHERE r.event_uid = e.raise_uid AND NOT {_gone("r")})
               ELSE true
               END
      ORDER BY e.id
         LIMIT %(n)s
    )
    DELETE FROM scada.equipment_failure d
     WHERE d.id IN (SELECT id FROM victims
                    UNION ALL
                    SELECT r.id FROM scada.equipment_failure r
                      JOIN victims v ON v.kind = 'cleared' AND r.event_uid = v.raise_uid)
 RETURNING d.id, d.id IN (SELECT id FROM victims)
"""

# Reader roles (module docstring) that own no row of scada.reader_cursor.
_UNREGISTERED_SQL = """
    WITH owner AS (SELECT relowner AS oid FROM pg_class
                    WHERE oid = 'scada.equipment_failure'::regclass)
    SELECT r.rolname
      FROM pg_roles r, owner
     WHERE r.rolcanlogin AND NOT r.rolsuper
       AND NOT pg_has_role(r.oid, owner.oid, 'MEMBER')
       AND has_database_privilege(r.oid, current_database(), 'CONNECT')
       AND EXISTS (SELECT 1 FROM pg_roles g
                    WHERE pg_has_role(r.oid, g.oid, 'MEMBER')
                      AND has_schema_privilege(g.oid, 'scada', 'USAGE')
                      AND has_table_privilege(g.oid, 'scada.equipment_failure', 'SELECT'))
       AND NOT has_table_privilege(r.oid, 'scada.equipment_failure', 'INSERT')
       AND NOT EXISTS (SELECT 1 FROM scada.reader_cursor c WHERE c.owner = r.rolname)
  ORDER BY r.rolname
"""

# The bound of one batch, read in the batch's own transaction after the lock.
_BOUND_SQL = """
    LOCK TABLE scada.reader_cursor IN SHARE MODE;
    SELECT cursor_tx::text, cursor_id FROM scada.reader_cursor
     ORDER BY cursor_tx, cursor_id LIMIT 1;
"""

_KEPT_ACTIVE_SQL = f"""
    SELECT count(*) FROM scada.equipment_failure e
     WHERE {_gone("e")} AND e.kind = 'raised' AND e.payload ->> 'source' = 'condition'
       AND NOT EXISTS (SELECT 1 FROM scada.equipment_failure c
                        WHERE c.raise_uid = e.event_uid AND c.kind = 'cleared')
"""


@dataclass(frozen=True)
class PruneResult:
    """What one prune run did."""

    deleted: int
    batches: int
    #: Events recorded before this were candidates.
    before: datetime
    #: The smallest reader cursor (None: --force with no reader registered).
    upto: Cursor | None
    readers: tuple[ReaderCursor, ...]
    #: Old condition failures kept because they are still active.
    kept_active: int


def prune(
    conn: Connection,
    older_than: timedelta,
    *,
    force: bool = False,
    batch: int = 1000,
    lock_timeout_ms: int = 2000,
    statement_timeout_ms: int = 60_000,
    now: datetime | None = None,
) -> PruneResult:
    """Delete events recorded before ``now - older_than`` that every registered
    reader has passed; see the module docstring for what is always kept.

    Refuses (:class:`PruneRefused`) when no reader has recorded its cursor, or
    a reader role has no registered reader (naming it), unless ``force``;
    refuses a reader cursor beyond the server's transaction ids
    (:class:`CursorAhead`: after a restore, "passed" means nothing).
    Commits after every batch: the connection must not be in a transaction.
    """
    if not 1 <= batch <= MAX_BATCH:
        raise ConfigError(f"prune batch {batch} is out of range: use 1 to {MAX_BATCH}")
    if older_than <= timedelta(0):
        raise ConfigError(f"--older-than must be more than 0 days (got {older_than})")
    conn.autocommit = False
    where = describe(conn)
    with conn.cursor() as cur:  # every statement of this session, the checks too
        cur.execute("SELECT set_config('lock_timeout', %s, false)", (f"{lock_timeout_ms}ms",))
        cur.execute(
            "SELECT set_config('statement_timeout', %s, false)", (f"{statement_timeout_ms}ms",)
        )
    conn.commit()
    progress = [0, 0]  # deleted, batches
    before = (now or datetime.now(timezone.utc)) - older_than
    try:
        readers, upto, kept_active = _prune(conn, where, before, force, batch, progress)
    except psycopg2.errors.LockNotAvailable:
        conn.rollback()
        raise DatabaseError(
            f"prune waited more than {lock_timeout_ms} ms for a lock on "
            f"scada.equipment_failure or scada.reader_cursor in {where} (a migration, "
            "VACUUM FULL or a reader's open registration?) "
            f"and stopped after deleting {progress[0]} event(s), so the poller's inserts never "
            "queue behind it: run it again later"
        ) from None
    except psycopg2.errors.QueryCanceled:
        conn.rollback()
        raise DatabaseError(
            f"a prune batch of {batch} took more than {statement_timeout_ms} ms in {where} "
            f"and was rolled back after {progress[0]} event(s) were deleted: run it again "
            "with a smaller --batch"
        ) from None
    deleted, batches = progress
    return PruneResult(deleted, batches, before, upto, readers, kept_active)


def _prune(
    conn: Connection,
    where: str,
    before: datetime,
    force: bool,
    batch: int,
    progress: list[int],
) -> tuple[tuple[ReaderCursor, ...], Cursor | None, int]:
    readers = tuple(reader_cursors(conn))
    with conn.cursor() as cur:
        cur.execute(_UNREGISTERED_SQL)
        unregistered = [row[0] for row in cur.fetchall()]
    conn.rollback()
    if not readers and not force:
        raise PruneRefused(
            f"no reader has recorded its cursor in scada.reader_cursor of {where}, so prune "
            "cannot know which events were read: let each reader record its cursor "
            "(scada_bridge.record_reader_cursor; Odoo does it on every pull), or pass "
            "--force to delete by age alone"
        )
    if unregistered and not force:
        roles = ", ".join(_identifier(role) for role in unregistered[:5])
        more = f" and {len(unregistered) - 5} more" if len(unregistered) > 5 else ""
        raise PruneRefused(
            f"role(s) {roles}{more} can read scada.equipment_failure in {where} but registered "
            "no reader in scada.reader_cursor, so prune cannot know what they have read: let "
            "each reader register (scada_bridge.register_reader; an Odoo source does when it "
            f"is created and before each pull), or, if {roles} reads nothing prune must keep, "
            f"REVOKE SELECT ON scada.equipment_failure FROM {_identifier(unregistered[0])}, "
            "or pass --force to prune by the registered readers only"
        )
    for role in unregistered:
        _logger.warning("prune --force: role %r reads events and registered no reader", role)
    for reader in readers[-1:]:  # the furthest ahead: after a restore every one is
        check_position(conn, reader.cursor.tx, f"{reader.cursor} of reader {reader.reader!r}")
    conn.rollback()
    upto = readers[0].cursor if readers else None
    params: dict = {"before": before, "n": batch, "after": 0}
    while True:
        with conn.cursor() as cur:
            cur.execute(_BOUND_SQL)
            bound = cur.fetchone()
            if bound is None and readers:  # every reader went away meanwhile: stop
                conn.rollback()
                break
            params.update(
                bounded=bound is not None,
                tx=bound[0] if bound else "0",
                id=bound[1] if bound else 0,
            )
            if bound is not None:
                upto = Cursor(int(bound[0]), bound[1])
            cur.execute(_BATCH_SQL, params)
            rows = cur.fetchall()
        conn.commit()
        progress[0] += len(rows)
        progress[1] += 1
        victims = [id_ for id_, is_victim in rows if is_victim]
        _logger.info("prune batch %d: %d event(s) deleted", progress[1], len(rows))
        if len(victims) < batch:
            break
        params["after"] = max(victims)
    kept_active = 0
    if "bounded" in params:
        with conn.cursor() as cur:
            cur.execute(_KEPT_ACTIVE_SQL, params)
            kept_active = cur.fetchone()[0]
        conn.rollback()
    return readers, upto, kept_active


def _identifier(name: str) -> str:
    """A role name as SQL writes it (always quoted: a reserved word or a capital stays itself)."""
    return '"' + name.replace('"', '""') + '"'


def delete_reader_statement(reader: str) -> str:
    """The statement a DBA runs to forget a reader that is gone, its name safely quoted."""
    return f"DELETE FROM scada.reader_cursor WHERE reader = {sql_literal(reader)}"
