"""Readers' recorded cursors (``scada.reader_cursor``): how far each reader has read,
so ``scada-bridge prune`` deletes only events every reader has passed.

A reader is known from the moment it exists: :func:`register_reader` puts it at
position zero, so prune keeps every event until it records how far it has read.
Each row belongs to the role that registered it (``owner``): only that role moves
its cursor; resetting one is for the schema owner or a DBA (``DELETE FROM
scada.reader_cursor WHERE reader = ...``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg2
from psycopg2.extensions import connection as Connection

from ..errors import ConfigError, ReaderNotOwned
from .connection import describe
from .horizon import check_position, execute
from .reader import Cursor

#: SQLSTATE raised by the reader functions (migration 0005) for another role's reader.
_NOT_OWNED = "SB001"


@dataclass(frozen=True)
class ReaderCursor:
    """One registered reader: its name, the cursor it recorded, who recorded it and when,
    and the role it belongs to (the only one that may move it)."""

    reader: str
    cursor: Cursor
    recorded_by: str
    updated_at: datetime
    owner: str = ""


def sql_literal(text: str) -> str:
    """``text`` as a PostgreSQL string literal, safe to paste into psql (quotes doubled;
    anything not printable as a ``U&''`` escape, so the statement stays on one line)."""
    if text.isprintable():
        return "'" + text.replace("'", "''") + "'"
    escaped = "".join(
        c if c.isprintable() and c != "\\" else ("\\\\" if c == "\\" else f"\\+{ord(c):06X}")
        for c in text.replace("'", "''")
    )
    return "U&'" + escaped + "'"


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise ConfigError(
            f"reader name {name!r} is not valid: give 1 to 200 characters naming the reader "
            "(e.g. the Odoo database's uuid and the source: 'odoo/<database uuid>/source/3')"
        )
    return name


def _call(conn: Connection, name: str, statement: str, params: dict) -> list[tuple]:
    try:
        return execute(conn, statement, params)
    except psycopg2.Error as exc:
        if exc.pgcode != _NOT_OWNED:
            raise
        if not conn.autocommit:
            conn.rollback()
        owner = exc.diag.message_detail or "?"
        raise ReaderNotOwned(
            f"reader {name!r} in {describe(conn)} belongs to role {owner!r}, not to the role "
            "connected here: only its owner moves its cursor; give this reader a name of its "
            "own, or have the schema owner reset it (DELETE FROM scada.reader_cursor WHERE "
            f"reader = {sql_literal(name)})",
            reader=name,
            owner=owner,
        ) from None


def register_reader(conn: Connection, name: str) -> Cursor:
    """Make reader ``name`` known to the SCADA database, at position zero unless it is
    known already; return the cursor recorded for it.

    Call it when the reader is created (in Odoo: a source), and again before it
    reads (it is idempotent and cheap): until a reader records a cursor, prune
    keeps every event. The row belongs to the role connected here; a reader of
    that name registered by another role raises :class:`ReaderNotOwned`. Works
    for the read-only role (through the SECURITY DEFINER function
    ``scada.register_reader``). Does not commit: commit right after it (an open
    registration makes ``scada-bridge prune`` wait).
    """
    _check_name(name)
    [(tx, id_)] = _call(
        conn,
        name,
        "SELECT cursor_tx::text, cursor_id FROM scada.register_reader(%(name)s)",
        {"name": name},
    )
    return Cursor(int(tx), id_)


def record_reader_cursor(conn: Connection, name: str, cursor: Cursor) -> None:
    """Record that reader ``name`` has durably taken every event up to ``cursor``.

    Call it *after* the reader's own commit of what it made of those events (a
    crash in between only leaves the recorded cursor behind, which keeps more
    rows, never fewer). Works for the read-only role (through the SECURITY
    DEFINER function ``scada.record_reader_cursor``); a reader not registered yet
    is registered to the connected role. Raises :class:`ReaderNotOwned` for a
    reader another role registered. Does not commit: use an autocommit
    connection or commit after it. A cursor beyond this server's transaction
    ids raises :class:`CursorAhead` instead of being recorded.
    """
    _check_name(name)
    check_position(conn, cursor.tx, str(cursor))
    _call(
        conn,
        name,
        "SELECT scada.record_reader_cursor(%(name)s, %(tx)s::text::xid8, %(id)s)",
        {"name": name, "tx": str(cursor.tx), "id": cursor.id},
    )


def reader_cursors(conn: Connection) -> list[ReaderCursor]:
    """Every registered reader, the one furthest behind first."""
    rows = execute(
        conn,
        "SELECT reader, cursor_tx::text, cursor_id, recorded_by, updated_at, owner "
        "FROM scada.reader_cursor ORDER BY cursor_tx, cursor_id, reader",
    )
    return [
        ReaderCursor(r, Cursor(int(tx), id_), by, at, owner) for r, tx, id_, by, at, owner in rows
    ]
