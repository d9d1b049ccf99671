"""Connecting to the SCADA database, with one clear error per way it can fail."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

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
    first_line,
)

_logger = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT = 5


@dataclass(frozen=True)
class Target:
    """Where a connection string points, for messages; its ``uri`` (password and
    all) is kept only to redact libpq's messages, and never shown by repr or str."""

    host: str
    port: str
    dbname: str
    user: str
    uri: str = field(default="", repr=False, compare=False)

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
        raise ConfigError(
            f"SCADA database URI is not valid ({redact(first_line(exc), uri)}): expected "
            "postgresql://user:password@host:5432/dbname"
        ) from None
    host = params.get("host") or "local socket"
    return Target(
        host=host,
        port=params.get("port") or "5432",
        dbname=params.get("dbname") or params.get("user") or "(default)",
        user=params.get("user") or "(current user)",
        uri=uri,
    )


_URI_PASSWORD = re.compile(r"^(?P<head>[a-z]+://[^:@/?#]*:)(?P<pw>[^@/?#]*)(?=@)", re.I)
_KEYWORD_PASSWORD = re.compile(
    r"(?P<head>\bpassword\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|[^\s&]*)", re.I
)
_QUOTED = re.compile(r'"([^"]*)"')


def _passwords(uri: str) -> list[str]:
    """Every spelling of the password a URI or key=value string carries."""
    found = []
    for pattern in (_URI_PASSWORD, _KEYWORD_PASSWORD):
        for match in pattern.finditer(uri):
            raw = match["pw"].strip("'")
            found += [raw, unquote(raw)]
    return sorted({p for p in found if p}, key=len, reverse=True)


def mask_uri(uri: str) -> str:
    """The URI with its password replaced by ``***`` (safe to print)."""
    masked = _URI_PASSWORD.sub(lambda m: m["head"] + "***", uri)
    return _KEYWORD_PASSWORD.sub(lambda m: m["head"] + "***", masked)


def redact(text: str, uri: str) -> str:
    """libpq's message about ``uri`` without any fragment of its password.

    libpq quotes the piece it could not parse, which may be the password (a bad
    percent escape in it) or the whole URI: a quoted piece that is not part of
    the masked URI is hidden, and any spelling of the password left is masked.
    """
    masked = mask_uri(uri)
    text = text.replace(uri, masked)

    def quoted(match: re.Match[str]) -> str:
        safe = match[1] in masked or (len(match[1]) == 1 and not match[1].isalnum())
        return match[0] if safe else '"(hidden: part of the password?)"'

    text = _QUOTED.sub(quoted, text)
    for secret in _passwords(uri):
        if len(secret) >= 3:
            text = text.replace(secret, "***")
    return text


def describe(conn: psycopg2.extensions.connection) -> str:
    """Where an open connection points, for messages: database, host and port."""
    info = conn.info
    host = info.host if info.host and not info.host.startswith("/") else "local socket"
    return f"database {info.dbname!r} at {host}:{info.port}"


@dataclass(frozen=True)
class Keepalives:
    """TCP keepalives and ``tcp_user_timeout`` of a connection: a server that vanished
    without closing the link (power cut, cable, firewall) fails the next statement
    within about ``idle + interval * count`` seconds (or ``user_timeout_ms`` of
    unacknowledged data) instead of hanging it."""

    idle: int = 30
    interval: int = 10
    count: int = 3
    user_timeout_ms: int = 60_000


def connect(
    uri: str,
    *,
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
    application_name: str = "scada-bridge",
    autocommit: bool = False,
    statement_timeout_ms: int | None = None,
    lock_timeout_ms: int | None = None,
    keepalives: Keepalives | None = None,
) -> psycopg2.extensions.connection:
    """Open a connection, turning libpq's failures into :mod:`scada_bridge.errors`.

    The one connection policy of the bridge and of Odoo: ``statement_timeout_ms``
    and ``lock_timeout_ms`` are set for the whole session at connect time (added
    to the URI's own ``options``), ``keepalives`` bound how long a dead peer goes
    unnoticed. ``None`` leaves the server's default (or the URI's own setting).
    """
    target = parse_target(uri)
    settings: dict[str, object] = {}
    options = [
        f"-c {name}={value}"
        for name, value in (
            ("statement_timeout", statement_timeout_ms),
            ("lock_timeout", lock_timeout_ms),
        )
        if value is not None
    ]
    if options:
        own = psycopg2.extensions.parse_dsn(uri).get("options")
        settings["options"] = " ".join(filter(None, [own, *options]))
    if keepalives is not None:
        settings.update(
            keepalives=1,
            keepalives_idle=keepalives.idle,
            keepalives_interval=keepalives.interval,
            keepalives_count=keepalives.count,
            tcp_user_timeout=keepalives.user_timeout_ms,
        )
    try:
        conn = psycopg2.connect(
            uri, connect_timeout=connect_timeout, application_name=application_name, **settings
        )
    except psycopg2.OperationalError as exc:
        raise classify_connect_error(exc, target, uri) from None
    except psycopg2.ProgrammingError as exc:  # libpq refused an option's value
        raise ConfigError(
            f"SCADA database URI is not valid ({redact(first_line(exc), uri)}): expected "
            "postgresql://user:password@host:5432/dbname"
        ) from None
    conn.autocommit = autocommit
    return conn


def classify_connect_error(
    exc: psycopg2.OperationalError, target: Target, uri: str = ""
) -> DatabaseError:
    """Map libpq's connection failure text to one error with what to do about it.

    libpq may quote part of the URI (the password included): the message is
    redacted against ``uri`` (default: the target's).
    """
    uri = uri or target.uri
    text = redact(str(exc), uri) if uri else str(exc)
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
    first = first_line(text) or type(exc).__name__
    return DatabaseError(f"cannot connect to {target}: {first}")
