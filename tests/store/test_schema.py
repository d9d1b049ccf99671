"""Migrations: create, re-run, upgrade, refuse a newer schema, read-only role."""

from __future__ import annotations

import psycopg2
import pytest
from scada_bridge import (
    SCHEMA_VERSION,
    SchemaVersionMismatch,
    check_schema,
    connect,
    current_version,
    insert_events,
    migrate,
)
from scada_bridge.store.schema import migrations

from tests.helpers import raised

CONTRACT = {
    "id": "bigint",
    "event_uid": "uuid",
    "kind": "text",
    "raise_uid": "uuid",
    "equipment_code": "text",
    "failure_code": "text",
    "description": "text",
    "severity": "text",
    "occurred_at": "timestamp with time zone",
    "recorded_at": "timestamp with time zone",
    "device": "text",
    "tx": "xid8",
    "payload": "jsonb",
}


def _columns(conn, table):
    with conn.cursor() as cur:
        cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'scada' AND table_name = %s",
            (table,),
        )
        return dict(cur.fetchall())


def test_migrate_empty_database_creates_the_contract(make_db):
    conn = connect(make_db())
    result = migrate(conn)
    assert result.from_version is None
    assert result.to_version == SCHEMA_VERSION
    assert result.applied == tuple(m.version for m in migrations())
    columns = _columns(conn, "equipment_failure")
    for name, kind in CONTRACT.items():
        assert columns.get(name) == kind, f"column {name}"
    assert {"device", "state", "state_since", "last_error", "consecutive_failures"} <= set(
        _columns(conn, "plc_status")
    )
    assert current_version(conn) == SCHEMA_VERSION


def test_migrate_twice_is_a_no_op(scada_uri):
    conn = connect(scada_uri)
    insert_events(conn, [raised()])
    conn.commit()
    result = migrate(conn)
    assert not result.changed
    assert result.from_version == SCHEMA_VERSION
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM scada.equipment_failure")
        assert cur.fetchone()[0] == 1
        cur.execute("SELECT count(*) FROM scada.schema_version")
        assert cur.fetchone()[0] == len(migrations())


def test_migrate_upgrades_an_older_schema_and_keeps_its_rows(make_db):
    conn = connect(make_db())
    first = migrations()[0]
    with conn.cursor() as cur:  # a database left at version 1 by an older scada-bridge
        cur.execute("CREATE SCHEMA scada")
        cur.execute(
            "CREATE TABLE scada.schema_version (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cur.execute(first.sql)
        cur.execute("INSERT INTO scada.schema_version VALUES (%s, %s)", (first.version, first.name))
    insert_events(conn, [raised()])
    conn.commit()
    result = migrate(conn)
    assert result.from_version == first.version
    assert result.to_version == SCHEMA_VERSION
    assert result.applied == tuple(m.version for m in migrations()[1:])
    assert _columns(conn, "plc_status")
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM scada.equipment_failure")
        assert cur.fetchone()[0] == 1


_CATALOG_SQL = """
    SELECT 'relation ' || c.relname || ' ' || c.relkind::text || ' ' || coalesce(c.relacl::text, '')
      FROM pg_class c WHERE c.relnamespace = 'scada'::regnamespace
    UNION ALL
    SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid AND c.relnamespace = 'scada'::regnamespace
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
      FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
     WHERE c.relnamespace = 'scada'::regnamespace
    UNION ALL
    SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid)
      FROM pg_constraint WHERE connamespace = 'scada'::regnamespace
    UNION ALL
    SELECT 'function ' || pg_get_functiondef(p.oid) || coalesce(p.proacl::text, '')
      FROM pg_proc p WHERE p.pronamespace = 'scada'::regnamespace
    UNION ALL
    SELECT 'trigger ' || tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = 'scada'::regnamespace
    UNION ALL
    SELECT 'version ' || version || ' ' || name || ' ' || applied_at FROM scada.schema_version
    UNION ALL
    SELECT 'roles ' || count(*) FROM pg_roles
    UNION ALL
    SELECT 'events ' || count(*) FROM scada.equipment_failure
"""


def _catalog(conn) -> list[str]:
    """Everything of schema scada a migration could touch, as sorted lines."""
    with conn.cursor() as cur:
        cur.execute(_CATALOG_SQL)
        lines = sorted(row[0] for row in cur.fetchall())
    conn.rollback()
    return lines


def test_migrate_refuses_a_newer_schema_and_changes_nothing(scada_uri):
    conn = connect(scada_uri)
    insert_events(conn, [raised()])
    with conn.cursor() as cur:
        cur.execute("INSERT INTO scada.schema_version VALUES (%s, 'from_the_future')", (99,))
        # What a newer scada-bridge might have dropped: migrate must not put it back.
        cur.execute("DROP INDEX scada.active_condition_device_idx")
    conn.commit()
    before = _catalog(conn)
    assert any(line.startswith("index CREATE UNIQUE INDEX") for line in before)
    with pytest.raises(SchemaVersionMismatch, match="version 99, newer than the"):
        migrate(conn, readonly_role="odoo_reader_future", writer_role="poller_future")
    assert _catalog(conn) == before
    assert current_version(conn) == 99


def test_readonly_role_can_select_but_never_write(scada_uri):
    conn = connect(scada_uri)
    insert_events(conn, [raised()])
    conn.commit()
    migrate(conn, readonly_role="odoo_reader_test", readonly_password="s3cret-for-test")
    reader = psycopg2.connect(scada_uri.replace("user=postgres", "user=odoo_reader_test"))
    try:
        with reader.cursor() as cur:
            cur.execute("SELECT count(*) FROM scada.equipment_failure")
            assert cur.fetchone()[0] == 1
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute("DELETE FROM scada.equipment_failure")
    finally:
        reader.close()
        with conn.cursor() as cur:
            cur.execute("DROP OWNED BY odoo_reader_test")
            cur.execute("DROP ROLE odoo_reader_test")
        conn.commit()


def test_writer_role_appends_events_and_upserts_status_and_nothing_else(scada_uri):
    from scada_bridge.poller.sink import _ACTIVE_SQL
    from scada_bridge.store.plc_status import PlcStatus, read_status, write_status

    owner = connect(scada_uri)
    result = migrate(owner, writer_role="scada_poller_t", writer_password="s3cret-for-test")
    assert result.writer_role == "scada_poller_t"
    writer = connect(scada_uri.replace("user=postgres", "user=scada_poller_t"))
    try:
        # What the poller does: check the schema, find active failures, append, upsert.
        assert check_schema(writer) == SCHEMA_VERSION
        with writer.cursor() as cur:
            cur.execute(_ACTIVE_SQL, (["plc1"],))
        first = raised(payload={"source": "condition"})
        assert insert_events(writer, [first, first]) == 1
        status = PlcStatus("plc1", "127.0.0.1", 502)
        status.success()
        write_status(writer, [status])
        status.failure("unreachable", "no answer")
        write_status(writer, [status])  # the upsert's UPDATE branch
        writer.commit()
        assert read_status(writer)["plc1"].state == "unreachable"
        refused = [
            "UPDATE scada.equipment_failure SET kind = 'cleared'",
            "DELETE FROM scada.equipment_failure",
            "TRUNCATE scada.equipment_failure",
            "DELETE FROM scada.plc_status",
            "INSERT INTO scada.schema_version VALUES (99, 'x')",
            "CREATE TABLE scada.mine (x int)",
            "SELECT scada.record_reader_cursor('poller', '1', 1)",
            "SELECT scada.register_reader('poller')",
            "DELETE FROM scada.active_condition",
            "INSERT INTO scada.active_condition VALUES (gen_random_uuid(), 1, 'p', 'e', 'f')",
            "DELETE FROM scada.reader_cursor",
        ]
        for statement in refused:
            with pytest.raises(psycopg2.errors.InsufficientPrivilege), writer.cursor() as cur:
                cur.execute(statement)
            writer.rollback()
    finally:
        writer.close()
        with owner.cursor() as cur:
            cur.execute("DROP OWNED BY scada_poller_t; DROP ROLE scada_poller_t")
        owner.commit()


def test_migrate_takes_back_pg_read_all_stats_the_old_version_granted(scada_uri):
    conn = connect(scada_uri)
    with conn.cursor() as cur:
        cur.execute("CREATE ROLE odoo_reader_v2 LOGIN; GRANT pg_read_all_stats TO odoo_reader_v2")
    conn.commit()
    try:
        migrate(conn, readonly_role="odoo_reader_v2")
        with conn.cursor() as cur:
            cur.execute("SELECT pg_has_role('odoo_reader_v2', 'pg_read_all_stats', 'MEMBER')")
            assert cur.fetchone()[0] is False
    finally:
        conn.rollback()
        with conn.cursor() as cur:
            cur.execute("DROP OWNED BY odoo_reader_v2; DROP ROLE odoo_reader_v2")
        conn.commit()


def test_migrate_command_creates_the_writer_role_with_the_password_from_the_env(
    scada_uri, monkeypatch, capsys
):
    from scada_bridge.cli import main

    monkeypatch.setenv("SCADA_WRITER_PASSWORD", "s3cret-writer")
    assert main(["migrate", "--db", scada_uri, "--writer-role", "scada_poller_cli"]) == 0
    out = capsys.readouterr().out
    assert "writer role 'scada_poller_cli' may append events" in out
    assert "s3cret" not in out
    conn = connect(scada_uri)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'scada_poller_cli'"
            )
            assert cur.fetchone() == (True,)
            cur.execute(
                "SELECT has_table_privilege('scada_poller_cli', "
                "'scada.equipment_failure', 'INSERT')"
            )
            assert cur.fetchone() == (True,)
    finally:
        conn.rollback()
        with conn.cursor() as cur:
            cur.execute("DROP OWNED BY scada_poller_cli; DROP ROLE scada_poller_cli")
        conn.commit()
        conn.close()
