"""Readers' recorded cursors (``scada.reader_cursor``): how far each reader has read,
so ``scada-bridge prune`` deletes only events every reader has passed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg2.extensions import connection as Connection

from ..errors import ConfigError
from .horizon import check_position, execute
from .reader import Cursor


@dataclass(frozen=True)
class ReaderCursor:
    """One registered reader: its name, the cursor it recorded, who recorded it and when."""

    reader: str
    cursor: Cursor
    recorded_by: str
    updated_at: datetime


def record_reader_cursor(conn: Connection, name: str, cursor: Cursor) -> None:
    """Record that reader ``name`` has durably taken every event up to ``cursor``.

    Call it *after* the reader's own commit of what it made of those events (a
    crash in between only leaves the recorded cursor behind, which keeps more
    rows, never fewer). Works for the read-only role (through the SECURITY
    DEFINER function ``scada.record_reader_cursor``). Does not commit: use an
    autocommit connection or commit after it. A cursor beyond this server's
    transaction ids raises :class:`CursorAhead` instead of being recorded.
    """
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise ConfigError(
            f"reader name {name!r} is not valid: give 1 to 200 characters naming the reader "
            "(e.g. the Odoo database and source: 'odoo/Plant SCADA')"
        )
    check_position(conn, cursor.tx, str(cursor))
    execute(
        conn,
        "SELECT scada.record_reader_cursor(%(name)s, %(tx)s::text::xid8, %(id)s)",
        {"name": name, "tx": str(cursor.tx), "id": cursor.id},
    )


def reader_cursors(conn: Connection) -> list[ReaderCursor]:
    """Every registered reader, the one furthest behind first."""
    rows = execute(
        conn,
        "SELECT reader, cursor_tx::text, cursor_id, recorded_by, updated_at "
        "FROM scada.reader_cursor ORDER BY cursor_tx, cursor_id, reader",
    )
    return [ReaderCursor(r, Cursor(int(tx), id_), by, at) for r, tx, id_, by, at in rows]
