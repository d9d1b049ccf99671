"""Migrations: create, re-run, upgrade, refuse a newer schema, read-only role."""

from __future__ import annotations

import psycopg2
import pytest
from scada_bridge import (
    SCHEMA_VERSION,
    SchemaVersionMismatch,
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


def test_migrate_refuses_a_newer_schema_and_changes_nothing(scada_uri):
    conn = connect(scada_uri)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO scada.schema_version VALUES (%s, 'from_the_future')", (99,))
    conn.commit()
    with pytest.raises(SchemaVersionMismatch, match="version 99, newer than the"):
        migrate(conn)
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
