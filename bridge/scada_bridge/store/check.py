"""One call that says whether a SCADA database can be pulled from, and if not, why."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg2

from ..errors import DatabaseError, first_line
from .connection import Keepalives, connect, parse_target, redact
from .reader import START, Backlog, Cursor, backlog
from .schema import SCHEMA_VERSION, check_schema


@dataclass(frozen=True)
class SourceCheck:
    """Outcome of :func:`check_source`.

    ``reason`` is ``"ok"`` or the ``reason`` of the error met: ``refused``,
    ``host_unknown``, ``timeout``, ``authentication``, ``database_missing``,
    ``schema_missing``, ``schema_too_old``, ``schema_too_new``, ``standby``,
    ``cursor_ahead`` (restored or moved database: reset the cursor) or ``error``.
    ``backlog.held_by`` names what holds rows back, when something does.
    """

    ok: bool
    reason: str
    message: str
    schema_version: int | None = None
    backlog: Backlog | None = None
    #: Where the URI points (host, port, database, user), never the password.
    where: str = ""


def check_source(
    uri: str,
    cursor: Cursor = START,
    *,
    connect_timeout: int = 5,
    statement_timeout_ms: int | None = None,
    lock_timeout_ms: int | None = None,
    keepalives: Keepalives | None = None,
) -> SourceCheck:
    """Connect, check the schema version and count the backlog after ``cursor``.

    The timeouts and keepalives are :func:`~.connection.connect`'s. Never raises
    for a problem a person can fix: it is returned, with the fix.
    """
    try:
        where = str(parse_target(uri))
        conn = connect(
            uri,
            connect_timeout=connect_timeout,
            autocommit=True,
            statement_timeout_ms=statement_timeout_ms,
            lock_timeout_ms=lock_timeout_ms,
            keepalives=keepalives,
        )
    except DatabaseError as exc:
        return SourceCheck(False, exc.reason, str(exc))
    except Exception as exc:  # ConfigError and anything libpq says about the URI
        return SourceCheck(False, "config", redact(str(exc), uri))
    try:
        version = check_schema(conn, where)
        pending = backlog(conn, cursor)
    except DatabaseError as exc:
        return SourceCheck(False, exc.reason, str(exc), where=where)
    except psycopg2.Error as exc:  # e.g. the server went away mid-check
        first = redact(first_line(exc), uri)
        return SourceCheck(
            False,
            "error",
            f"{where}: {first or type(exc).__name__}: run the check again",
            where=where,
        )
    finally:
        conn.close()
    return SourceCheck(
        True,
        "ok",
        f"{where}: schema version {version}, {pending.count} event(s) pending",
        version,
        pending,
        where,
    )


__all__ = ["SCHEMA_VERSION", "SourceCheck", "check_source"]
