"""The SCADA schema: versioned migrations, the version check, the read-only and writer roles.

Migrations are the numbered ``migrations/NNNN_name.sql`` files of this package.
``migrate`` applies the missing ones in one transaction under an advisory lock,
records each in ``scada.schema_version`` and refuses a database whose schema is
newer than this code.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

from psycopg2 import sql
from psycopg2.extensions import connection as Connection

from ..errors import ConfigError, SchemaMissing, SchemaVersionMismatch

_logger = logging.getLogger(__name__)

SCHEMA = "scada"
EVENTS_TABLE = "equipment_failure"
STATUS_TABLE = "plc_status"
VERSION_TABLE = "schema_version"

# Any constant: serialises concurrent 'migrate' runs against one database.
_MIGRATE_LOCK = 0x5CADA


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


@dataclass(frozen=True)
class MigrateResult:
    from_version: int | None
    to_version: int
    applied: tuple[int, ...]
    readonly_role: str | None = None
    writer_role: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def migrations() -> list[Migration]:
    """The migrations shipped with this package, in version order."""
    found = []
    for entry in resources.files("scada_bridge.store.migrations").iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    return found


#: The schema version this code reads and writes: the last migration's.
SCHEMA_VERSION = migrations()[-1].version


def current_version(conn: Connection) -> int | None:
    """The schema version recorded in the database, or None when never migrated."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.{VERSION_TABLE}",))
        if cur.fetchone()[0] is None:
            return None
        cur.execute(
            sql.SQL("SELECT max(version) FROM {}.{}").format(
                sql.Identifier(SCHEMA), sql.Identifier(VERSION_TABLE)
            )
        )
        return cur.fetchone()[0]


def check_schema(conn: Connection, where: str = "the SCADA database") -> int:
    """Raise unless the schema is exactly the version this code reads; return it."""
    version = current_version(conn)
    if version is None:
        raise SchemaMissing(
            f"schema '{SCHEMA}' is missing in {where}: run 'scada-bridge migrate --db URI' once"
        )
    if version < SCHEMA_VERSION:
        raise SchemaVersionMismatch(
            f"schema '{SCHEMA}' in {where} is at version {version}, older than the "
            f"{SCHEMA_VERSION} this scada-bridge needs: run 'scada-bridge migrate'",
            found=version,
            expected=SCHEMA_VERSION,
        )
    if version > SCHEMA_VERSION:
        raise SchemaVersionMismatch(
            f"schema '{SCHEMA}' in {where} is at version {version}, newer than the "
            f"{SCHEMA_VERSION} this scada-bridge knows: upgrade scada-bridge "
            "(pip install -U scada-bridge) on this machine",
            found=version,
            expected=SCHEMA_VERSION,
        )
    return version


def migrate(
    conn: Connection,
    *,
    readonly_role: str | None = None,
    readonly_password: str | None = None,
    writer_role: str | None = None,
    writer_password: str | None = None,
    where: str = "the SCADA database",
) -> MigrateResult:
    """Create or upgrade schema ``scada``; a no-op when already current.

    Runs in one transaction (PostgreSQL DDL is transactional), so a failed
    migration leaves the database as it was. Commits on success.
    """
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATE_LOCK,))
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)))
            cur.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {}.{} ("
                    " version integer PRIMARY KEY,"
                    " name text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())"
                ).format(sql.Identifier(SCHEMA), sql.Identifier(VERSION_TABLE))
            )
        before = current_version(conn)
        if before is not None and before > SCHEMA_VERSION:
            raise SchemaVersionMismatch(
                f"refusing to migrate {where}: its schema '{SCHEMA}' is at version {before}, "
                f"newer than the {SCHEMA_VERSION} this scada-bridge knows; upgrade scada-bridge "
                "instead of downgrading the database",
                found=before,
                expected=SCHEMA_VERSION,
            )
        applied = []
        with conn.cursor() as cur:
            for migration in migrations():
                if before is not None and migration.version <= before:
                    continue
                _logger.info("applying migration %04d_%s", migration.version, migration.name)
                cur.execute(migration.sql)
                cur.execute(
                    sql.SQL("INSERT INTO {}.{} (version, name) VALUES (%s, %s)").format(
                        sql.Identifier(SCHEMA), sql.Identifier(VERSION_TABLE)
                    ),
                    (migration.version, migration.name),
                )
                applied.append(migration.version)
        if readonly_role:
            grant_readonly(conn, readonly_role, readonly_password)
        if writer_role:
            grant_writer(conn, writer_role, writer_password)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return MigrateResult(before, SCHEMA_VERSION, tuple(applied), readonly_role, writer_role)


_ROLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

#: The functions a reader calls (migrations 0003, 0005): register itself, record
#: its cursor, and name the sessions of this database holding its horizon,
#: without pg_read_all_stats.
READER_FUNCTIONS = (
    "scada.register_reader(text)",
    "scada.record_reader_cursor(text, xid8, bigint)",
    "scada.xact_sessions()",
)


def _login_role(cur, role: str, password: str | None, flag: str) -> sql.Identifier:
    if not _ROLE_NAME.fullmatch(role):
        example = {"--readonly-role": "odoo_reader", "--writer-role": "scada_poller"}[flag]
        raise ConfigError(
            f"role name {role!r} given to {flag} is not valid: use letters, digits and '_' "
            f"(e.g. {flag} {example})"
        )
    ident = sql.Identifier(role)
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    if cur.fetchone() is None:
        cur.execute(sql.SQL("CREATE ROLE {} LOGIN").format(ident))
    if password:
        cur.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD %s").format(ident), (password,))
    cur.execute("SELECT current_database()")
    database = sql.Identifier(cur.fetchone()[0])
    cur.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, ident))
    cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(SCHEMA), ident))
    return ident


def grant_readonly(conn: Connection, role: str, password: str | None = None) -> None:
    """Create (or update) a login role that may only SELECT from schema ``scada``,
    and call the reader functions (record its cursor; name the sessions of this
    database holding the horizon). This is the role Odoo should pull with: it
    cannot change a single event.
    """
    schema = sql.Identifier(SCHEMA)
    with conn.cursor() as cur:
        ident = _login_role(cur, role, password, "--readonly-role")
        cur.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema, ident))
        cur.execute(
            sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(
                schema, ident
            )
        )
        for function in READER_FUNCTIONS:
            cur.execute(
                sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(sql.SQL(function), ident)
            )
        # Version 2 granted pg_read_all_stats (every session's query text, on
        # every database of the server) for nothing: take it back.
        cur.execute(
            "SELECT 1 FROM pg_auth_members m"
            " JOIN pg_roles g ON g.oid = m.roleid AND g.rolname = 'pg_read_all_stats'"
            " JOIN pg_roles r ON r.oid = m.member AND r.rolname = %s",
            (role,),
        )
        if cur.fetchone() is not None:
            cur.execute(sql.SQL("REVOKE pg_read_all_stats FROM {}").format(ident))


def grant_writer(conn: Connection, role: str, password: str | None = None) -> None:
    """Create (or update) the login role the poller writes with: it may append
    events and upsert ``scada.plc_status``, read what the poller reads at start,
    and nothing else (no UPDATE or DELETE of an event, no DDL).
    """
    with conn.cursor() as cur:
        ident = _login_role(cur, role, password, "--writer-role")
        grants = (
            # check_schema at connect; the active failures at start (migration 0004).
            "GRANT SELECT ON scada.schema_version, scada.equipment_failure TO {}",
            "GRANT SELECT ON scada.active_condition TO {}",
            "GRANT INSERT ON scada.equipment_failure TO {}",
            "GRANT SELECT, INSERT, UPDATE ON scada.plc_status TO {}",
            # So 'doctor' run with the poller's URI can name what holds the horizon.
            "GRANT EXECUTE ON FUNCTION scada.xact_sessions() TO {}",
        )
        for grant in grants:
            cur.execute(sql.SQL(grant).format(ident))
