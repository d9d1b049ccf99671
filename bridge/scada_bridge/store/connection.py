"""Connecting to the SCADA database, with one clear error per way it can fail."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg2
import psycopg2.extensions

from ..errors import (
    AuthenticationFailed,
    ConfigError,
    ConnectionRefused,
    ConnectionTimeout,
    DatabaseError,
    DatabaseMissing,
    HostUnknown,
)

_logger = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT = 5


@dataclass(frozen=True)
class Target:
    """Where a connection string points, for messages (never holds the password)."""

    host: str
    port: str
    dbname: str
    user: str

    def __str__(self) -> str:
        return f"database {self.dbname!r} at {self.host}:{self.port} as user {self.user!r}"


def parse_target(uri: str) -> Target:
    """Read host, port, database and user out of a libpq URI or key=value string."""
    if not uri or not uri.strip():
        raise ConfigError(
            "no SCADA database given: pass --db URI or set SCADA_DB_URI "
            "(e.g. postgresql://scada@127.0.0.1:5432/scada)"
        )
    try:
        params = psycopg2.extensions.parse_dsn(uri)
    except psycopg2.ProgrammingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        raise ConfigError(
            f"SCADA database URI is not valid ({first}): expected "
            "postgresql://user:password@host:5432/dbname"
        ) from None
    host = params.get("host") or "local socket"
    return Target(
        host=host,
        port=params.get("port") or "5432",
        dbname=params.get("dbname") or params.get("user") or "(default)",
        user=params.get("user") or "(current user)",
    )


def connect(
    uri: str,
    *,
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
    application_name: str = "scada-bridge",
    autocommit: bool = False,
) -> psycopg2.extensions.connection:
    """Open a connection, turning libpq's failures into :mod:`scada_bridge.errors`."""
    target = parse_target(uri)
    try:
        conn = psycopg2.connect(
            uri, connect_timeout=connect_timeout, application_name=application_name
        )
    except psycopg2.OperationalError as exc:
        raise classify_connect_error(exc, target) from None
    conn.autocommit = autocommit
    return conn


def classify_connect_error(exc: psycopg2.OperationalError, target: Target) -> DatabaseError:
    """Map libpq's connection failure text to one error with what to do about it."""
    text = str(exc)
    where = f"{target.host}:{target.port}"
    if "does not exist" in text and "database" in text:
        return DatabaseMissing(
            f"database {target.dbname!r} does not exist on the PostgreSQL server at {where}: "
            f"create it (createdb {target.dbname}) and run 'scada-bridge migrate', "
            "or fix the database name in the URI"
        )
    if (
        "password authentication failed" in text
        or "no password supplied" in text
        or ("role" in text and "does not exist" in text)
        or "authentication failed" in text
    ):
        return AuthenticationFailed(
            f"PostgreSQL at {where} refused user {target.user!r} (wrong user or password): "
            "check the user and password in the URI and the server's pg_hba.conf"
        )
    if "could not translate host name" in text or "Name or service not known" in text:
        return HostUnknown(
            f"host {target.host!r} of the SCADA database does not resolve: "
            "check the host name in the URI (or use an IP address)"
        )
    if "timeout expired" in text:
        return ConnectionTimeout(
            f"no answer from PostgreSQL at {where} within the connect timeout: "
            "check the host is up and no firewall drops port " + target.port
        )
    if "Connection refused" in text or "No such file or directory" in text:
        return ConnectionRefused(
            f"connection refused at {where}: no PostgreSQL listens there; check the server "
            "is running (pg_ctlcluster 15 main start / docker compose ps) and the host "
            "and port in the URI"
        )
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return DatabaseError(f"cannot connect to {target}: {first}")
