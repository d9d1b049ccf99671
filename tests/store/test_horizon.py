"""What holds the reader's horizon, and transaction ids that cannot be trusted (CursorAhead)."""

from __future__ import annotations

import pytest
from scada_bridge import (
    START,
    Cursor,
    CursorAhead,
    backlog,
    check_source,
    connect,
    horizon_holders,
    insert_events,
    read_events,
    record_reader_cursor,
)

from tests.helpers import raised, without_tx_stamp


def _next_tx(conn) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")
        return int(cur.fetchone()[0])


def test_an_idle_writer_is_named_with_its_pid_application_and_start(scada_uri, scada_conn):
    idle = connect(scada_uri, application_name="stuck-writer")
    try:
        insert_events(idle, [raised("held")])  # wrote, left idle in transaction
        insert_events(scada_conn, [raised("behind")])  # committed after it: waits
        with idle.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]

        holders = horizon_holders(scada_conn)
        assert [h.pid for h in holders] == [pid]
        holder = holders[0]
        assert holder.application == "stuck-writer"
        assert holder.state == "idle in transaction"
        assert holder.xact_start is not None and holder.since == holder.xact_start
        assert holder.gid is None and holder.database == scada_conn.info.dbname
        assert f"pg_terminate_backend({pid})" in holder.fix
        assert f"pid {pid}" in str(holder)

        pending = backlog(scada_conn)
        assert pending.count == 1 and pending.behind_horizon == 1
        assert pending.oldest_behind_at is not None
        assert [h.pid for h in pending.held_by] == [pid]
        assert read_events(scada_conn).events == ()
    finally:
        idle.rollback()
        idle.close()
    # Released: nothing holds, nothing waits.
    assert horizon_holders(scada_conn) == []
    pending = backlog(scada_conn)
    assert (pending.behind_horizon, pending.held_by) == (0, ())
    assert [e.equipment_code for e in read_events(scada_conn).events] == ["behind"]


def test_a_transaction_newer_than_every_row_holds_nothing(scada_uri, scada_conn):
    insert_events(scada_conn, [raised()])
    late = connect(scada_uri)
    try:
        insert_events(late, [raised("late")])  # running, but nothing committed after it
        assert horizon_holders(scada_conn) == []
        assert backlog(scada_conn).held_by == ()
    finally:
        late.rollback()
        late.close()


def test_a_cursor_beyond_the_servers_transaction_ids_is_refused_everywhere(scada_uri, scada_conn):
    insert_events(scada_conn, [raised()])
    ahead = Cursor(_next_tx(scada_conn) + 1_000_000, 7)
    with pytest.raises(CursorAhead, match=r"cursor .* is ahead of .*reset the reader's cursor"):
        read_events(scada_conn, ahead)
    with pytest.raises(CursorAhead) as info:
        backlog(scada_conn, ahead)
    assert info.value.reason == "cursor_ahead"
    assert info.value.cursor_tx == ahead.tx
    assert "\n" not in str(info.value)
    result = check_source(scada_uri, ahead)
    assert (result.ok, result.reason) == (False, "cursor_ahead")
    assert "Traceback" not in result.message and "reset the reader's cursor" in result.message
    # The same database read from a cursor it really gave out is fine.
    assert len(read_events(scada_conn, START).events) == 1


def test_rows_carrying_transaction_ids_from_another_server_are_refused(scada_conn):
    insert_events(scada_conn, [raised()])
    with scada_conn.cursor() as cur:  # as a restore leaves it: rows in before the trigger
        cur.execute(
            without_tx_stamp(
                "INSERT INTO scada.equipment_failure (event_uid, kind, equipment_code, "
                "occurred_at, tx) VALUES (gen_random_uuid(), 'raised', 'old', now(), %s)"
            ),
            (str(_next_tx(scada_conn) + 1_000_000),),
        )
    with pytest.raises(CursorAhead, match="holds rows with tx up to .* renumber"):
        read_events(scada_conn, START)
    with pytest.raises(CursorAhead):
        backlog(scada_conn, START)


def test_a_database_still_at_version_2_is_told_to_migrate(scada_conn):
    with scada_conn.cursor() as cur:
        cur.execute("DROP FUNCTION scada.record_reader_cursor(text, xid8, bigint)")
        cur.execute("DELETE FROM scada.schema_version WHERE version >= 3")
    from scada_bridge import SchemaVersionMismatch

    with pytest.raises(SchemaVersionMismatch, match="run 'scada-bridge migrate'"):
        record_reader_cursor(scada_conn, "odoo", START)


def test_the_read_only_role_sees_holders_without_pg_read_all_stats(scada_uri, scada_conn):
    from scada_bridge import migrate

    migrate(scada_conn, readonly_role="scada_reader_h")
    reader = connect(scada_uri.replace("user=postgres", "user=scada_reader_h"), autocommit=True)
    idle = connect(scada_uri)
    try:
        with reader.cursor() as cur:
            cur.execute("SELECT pg_has_role('scada_reader_h', 'pg_read_all_stats', 'MEMBER')")
            assert cur.fetchone()[0] is False
        insert_events(idle, [raised("held")])
        insert_events(scada_conn, [raised("behind")])
        [holder] = horizon_holders(reader)
        assert holder.state == "idle in transaction" and holder.pid
        assert read_events(reader).events == ()
        with reader.cursor() as cur:  # what the role itself may see of that session
            cur.execute(
                "SELECT query, backend_xid FROM pg_stat_activity WHERE pid = %s", (holder.pid,)
            )
            assert cur.fetchone()[0] == "<insufficient privilege>"
    finally:
        idle.rollback()
        idle.close()
        reader.close()
        with scada_conn.cursor() as cur:
            cur.execute("DROP OWNED BY scada_reader_h; DROP ROLE scada_reader_h")


def test_the_read_only_role_is_not_stalled_by_another_databases_transaction(
    make_db, scada_uri, scada_conn
):
    """Without pg_read_all_stats: backend_xid and datid are shown to every role."""
    from scada_bridge import migrate

    migrate(scada_conn, readonly_role="scada_reader_o")
    reader = connect(scada_uri.replace("user=postgres", "user=scada_reader_o"), autocommit=True)
    other = connect(make_db())
    try:
        with other.cursor() as cur:  # another database, another role, a transaction id kept
            cur.execute("CREATE TABLE busy (x int); INSERT INTO busy VALUES (1)")
        insert_events(scada_conn, [raised("fresh")])
        assert [e.equipment_code for e in read_events(reader).events] == ["fresh"]
        assert horizon_holders(reader) == []
    finally:
        other.rollback()
        other.close()
        reader.close()
        with scada_conn.cursor() as cur:
            cur.execute("DROP OWNED BY scada_reader_o; DROP ROLE scada_reader_o")


def test_what_an_open_transaction_ran_never_reaches_the_reader(scada_uri, scada_conn):
    """Issue 18 point 11: the first 80 characters of the holder's statement reached every
    reader, the backlog note and Odoo's log (an ALTER ROLE ... PASSWORD left open)."""
    from scada_bridge import migrate

    migrate(scada_conn, readonly_role="scada_reader_q")
    reader = connect(scada_uri.replace("user=postgres", "user=scada_reader_q"), autocommit=True)
    idle = connect(scada_uri, application_name="console")
    try:
        insert_events(idle, [raised("held")])
        with idle.cursor() as cur:  # harmless, but carries the literal a password would
            cur.execute("SELECT 'secret-123' AS password")
        insert_events(scada_conn, [raised("behind")])
        for conn in (reader, scada_conn):
            [holder] = horizon_holders(conn)
            pending = backlog(conn)
            shown = [str(holder), holder.fix, repr(holder), repr(pending)]
            assert holder.application == "console" and holder.state == "idle in transaction"
            assert not [text for text in shown if "secret-123" in text], shown
        with reader.cursor() as cur:
            cur.execute("SELECT * FROM scada.xact_sessions()")
            rows = cur.fetchall()
        assert rows and "secret-123" not in repr(rows)
    finally:
        idle.rollback()
        idle.close()
        reader.close()
        with scada_conn.cursor() as cur:
            cur.execute("DROP OWNED BY scada_reader_q; DROP ROLE scada_reader_q")
