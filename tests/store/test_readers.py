"""Readers known from the moment they exist, bound to their role (issue 18 points 4, 5):
prune never deletes what a reader has not stored, whoever else calls the functions."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from scada_bridge import (
    START,
    Cursor,
    PruneRefused,
    ReaderNotOwned,
    connect,
    insert_events,
    migrate,
    read_events,
    reader_cursors,
    record_reader_cursor,
    register_reader,
)
from scada_bridge.cli import main as cli
from scada_bridge.store.prune import prune
from scada_bridge.store.reader_cursor import sql_literal

from tests.helpers import raised, without_tx_stamp

DAYS = timedelta(days=30)


def _ten_old_events(conn) -> None:
    events = [raised(f"e{i}") for i in range(10)]
    insert_events(conn, events)
    with conn.cursor() as cur:
        cur.execute(
            without_tx_stamp(
                "UPDATE scada.equipment_failure SET recorded_at = now() - interval '40 days'"
            )
        )


def _count(conn) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM scada.equipment_failure")
        return cur.fetchone()[0]


@contextlib.contextmanager
def _reader_role(scada_uri: str, owner_conn, role: str) -> Iterator:
    """A read-only role made by 'scada-bridge migrate --readonly-role', connected."""
    migrate(owner_conn, readonly_role=role)
    conn = connect(scada_uri.replace("user=postgres", f"user={role}"), autocommit=True)
    try:
        yield conn
    finally:
        conn.close()
        with owner_conn.cursor() as cur:
            cur.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")


def test_register_puts_a_reader_at_position_zero_once(scada_conn):
    assert register_reader(scada_conn, "odoo/db-uuid/source/1") == START
    insert_events(scada_conn, [raised()])
    cursor = read_events(scada_conn).cursor
    record_reader_cursor(scada_conn, "odoo/db-uuid/source/1", cursor)
    assert register_reader(scada_conn, "odoo/db-uuid/source/1") == cursor  # idempotent
    [row] = reader_cursors(scada_conn)
    assert (row.reader, row.cursor, row.owner) == ("odoo/db-uuid/source/1", cursor, "postgres")


def test_prune_keeps_everything_for_a_registered_reader_that_never_recorded(scada_uri, scada_conn):
    """Reader A registered and read everything, B registered and never recorded its
    cursor: prune deleted all 10 events and B then read 0."""
    _ten_old_events(scada_conn)
    register_reader(scada_conn, "A")
    register_reader(scada_conn, "B")
    record_reader_cursor(scada_conn, "A", read_events(scada_conn).cursor)
    result = prune(connect(scada_uri), DAYS)
    assert result.deleted == 0 and result.upto == START
    assert len(read_events(scada_conn, START).events) == 10  # what B reads


def test_prune_refuses_while_a_reader_role_has_no_registered_reader(scada_uri, scada_conn):
    """B's registration failed (or B never registered): prune names its role instead of
    deleting what B has not read."""
    _ten_old_events(scada_conn)
    with (
        _reader_role(scada_uri, scada_conn, "scada_reader_a") as a,
        _reader_role(scada_uri, scada_conn, "scada_reader_b") as b,
    ):
        register_reader(a, "A")
        record_reader_cursor(a, "A", read_events(a).cursor)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            assert cli(["prune", "--db", scada_uri, "--older-than", "30"]) == 1
        message = err.getvalue()
        assert message.count("\n") == 1 and '"scada_reader_b"' in message
        assert '"scada_reader_a"' not in message and "register" in message
        assert _count(scada_conn) == 10
        register_reader(b, "B")  # registered at zero: prune may run, and keeps B's events
        assert prune(connect(scada_uri), DAYS).deleted == 0
        assert len(read_events(b, START).events) == 10
        record_reader_cursor(b, "B", read_events(b).cursor)
        assert prune(connect(scada_uri), DAYS).deleted == 10


def test_force_prunes_by_the_registered_readers_only(scada_uri, scada_conn):
    _ten_old_events(scada_conn)
    with _reader_role(scada_uri, scada_conn, "scada_reader_f"):
        record_reader_cursor(scada_conn, "A", read_events(scada_conn).cursor)
        with pytest.raises(PruneRefused, match='"scada_reader_f"'):
            prune(connect(scada_uri), DAYS)
        assert prune(connect(scada_uri), DAYS, force=True).deleted == 10


def test_the_read_only_role_cannot_move_another_roles_reader(scada_uri, scada_conn):
    """Any client holding the read-only role pushed Odoo's cursor to the end, and prune
    then deleted 7 unstored events."""
    insert_events(scada_conn, [raised(f"e{i}") for i in range(7)])
    end = read_events(scada_conn).cursor
    with (
        _reader_role(scada_uri, scada_conn, "scada_reader_o") as odoo,
        _reader_role(scada_uri, scada_conn, "scada_reader_x") as other,
    ):
        register_reader(odoo, "odoo/plant")
        for call in (
            lambda: record_reader_cursor(other, "odoo/plant", end),
            lambda: register_reader(other, "odoo/plant"),
        ):
            with pytest.raises(ReaderNotOwned) as info:
                call()
            message = str(info.value)
            assert "\n" not in message and "belongs to role 'scada_reader_o'" in message
            assert info.value.owner == "scada_reader_o" and info.value.reason == "reader_not_owned"
        [row] = reader_cursors(scada_conn)
        assert (row.cursor, row.owner) == (START, "scada_reader_o")
        record_reader_cursor(odoo, "odoo/plant", end)  # its owner moves it
        assert reader_cursors(scada_conn)[0].cursor == end


def test_the_suggested_delete_quotes_a_reader_name_safely(scada_uri, scada_conn):
    name = "odoo/o'brien's db"
    register_reader(scada_conn, name)
    with scada_conn.cursor() as cur:  # a reader silent for 60 days
        cur.execute("UPDATE scada.reader_cursor SET updated_at = now() - interval '60 days'")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli(["prune", "--db", scada_uri, "--older-than", "30"]) == 0
    [statement] = [
        line[line.index("DELETE") :] for line in out.getvalue().splitlines() if "DELETE" in line
    ]
    assert statement == "DELETE FROM scada.reader_cursor WHERE reader = 'odoo/o''brien''s db'"
    with scada_conn.cursor() as cur:  # it deletes exactly that reader, nothing else
        cur.execute(statement)
        assert cur.rowcount == 1


def test_a_name_with_a_newline_stays_one_line_and_round_trips(scada_conn):
    name = "odoo\n'; DROP TABLE scada.reader_cursor; --"
    literal = sql_literal(name)
    assert "\n" not in literal
    with scada_conn.cursor() as cur:
        cur.execute(f"SELECT {literal}")
        assert cur.fetchone()[0] == name


def test_a_database_before_version_5_is_told_to_migrate(scada_conn):
    from scada_bridge import SchemaVersionMismatch

    with scada_conn.cursor() as cur:
        cur.execute("DROP FUNCTION scada.register_reader(text)")
        cur.execute("DELETE FROM scada.schema_version WHERE version >= 5")
    with pytest.raises(SchemaVersionMismatch, match="run 'scada-bridge migrate'"):
        register_reader(scada_conn, "odoo")
    assert Cursor() == START
