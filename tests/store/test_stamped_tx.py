"""Migration 0004: tx is stamped by the database whatever the writer sends (issue 18
point 6), and scada.active_condition answers the poller's start without reading the
history (point 12)."""

from __future__ import annotations

import psycopg2
from scada_bridge import START, backlog, connect, insert_events, migrate, read_events
from scada_bridge.poller.sink import _ACTIVE_SQL
from scada_bridge.store.schema import migrations

from tests.helpers import cleared, insert_raw, raised


def _tx_of(conn, row_id: int) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT tx::text FROM scada.equipment_failure WHERE id = %s", (row_id,))
        return int(cur.fetchone()[0])


def test_a_writer_sending_a_low_or_huge_tx_gets_the_real_one(scada_uri, scada_conn):
    migrate(scada_conn, writer_role="scada_poller_tx")
    writer = connect(scada_uri.replace("user=postgres", "user=scada_poller_tx"))
    try:
        with writer.cursor() as cur:
            cur.execute("SELECT pg_current_xact_id()::text")
            real = int(cur.fetchone()[0])
        low = insert_raw(writer, tx="3", equipment_code="low")
        huge = insert_raw(writer, tx=str(2**62), equipment_code="huge")
        writer.commit()
    finally:
        writer.close()
        with scada_conn.cursor() as cur:
            cur.execute("DROP OWNED BY scada_poller_tx; DROP ROLE scada_poller_tx")
    assert _tx_of(scada_conn, low) == real and _tx_of(scada_conn, huge) == real
    # Neither hides from the reader nor halts it (cursor_ahead), and both are counted.
    assert backlog(scada_conn).count == 2
    batch = read_events(scada_conn)
    assert [e.equipment_code for e in batch.events] == ["low", "huge"]


def test_a_row_repaired_in_place_is_read_again_after_every_cursor(scada_conn):
    bad = insert_raw(scada_conn, equipment_code="x" * 3_200)
    batch = read_events(scada_conn)
    assert [r.id for r in batch.rejected] == [bad]
    with scada_conn.cursor() as cur:  # what docs/troubleshooting.md tells an operator
        cur.execute(
            "UPDATE scada.equipment_failure SET equipment_code = 'silo101' WHERE id = %s", (bad,)
        )
    again = read_events(scada_conn, batch.cursor)
    assert [e.id for e in again.events] == [bad] and again.rejected == ()


def _active(conn, devices=("plc1",)) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(_ACTIVE_SQL, (list(devices),))
        return cur.fetchall()


def _condition(equipment: str, **kw):
    return raised(equipment, payload={"source": "condition"}, **kw)


def test_active_conditions_follow_raises_clears_replays_and_deletes(scada_conn):
    one, two, three = _condition("one"), _condition("two"), _condition("three")
    insert_events(scada_conn, [one, two, raised("mailbox", payload={"source": "mailbox"})])
    assert [row[1] for row in _active(scada_conn)] == ["one", "two"]
    insert_events(scada_conn, [cleared(one)])
    insert_events(scada_conn, [one])  # a replayed raise after its clear: skipped, not active
    assert [row[3] for row in _active(scada_conn)] == [two.event_uid]
    early = cleared(three)  # the clear committed before its raise
    insert_events(scada_conn, [early])
    insert_events(scada_conn, [three])
    both = _condition("both")
    insert_events(scada_conn, [both, cleared(both)])  # one statement
    assert [row[1] for row in _active(scada_conn)] == ["two"]
    with scada_conn.cursor() as cur:
        cur.execute("DELETE FROM scada.equipment_failure WHERE event_uid = %s", (two.event_uid,))
        cur.execute("SELECT count(*) FROM scada.active_condition")
        assert cur.fetchone()[0] == 0


def test_the_writer_role_cannot_write_the_active_conditions_itself(scada_uri, scada_conn):
    migrate(scada_conn, writer_role="scada_poller_ac")
    writer = connect(scada_uri.replace("user=postgres", "user=scada_poller_ac"))
    try:
        insert_events(writer, [_condition("oven")])  # through the trigger: allowed
        writer.commit()
        assert [row[1] for row in _active(writer)] == ["oven"]
        writer.rollback()
        with writer.cursor() as cur:
            try:
                cur.execute("DELETE FROM scada.active_condition")
            except psycopg2.errors.InsufficientPrivilege:
                pass
            else:
                raise AssertionError("the writer role deleted scada.active_condition rows")
    finally:
        writer.close()
        with scada_conn.cursor() as cur:
            cur.execute("DROP OWNED BY scada_poller_ac; DROP ROLE scada_poller_ac")


def test_migration_4_finds_the_active_conditions_of_the_history(make_db):
    conn = connect(make_db())
    with conn.cursor() as cur:  # a database left at version 3 with its history
        cur.execute("CREATE SCHEMA scada")
        cur.execute(
            "CREATE TABLE scada.schema_version (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for migration in migrations()[:3]:
            cur.execute(migration.sql)
            cur.execute(
                "INSERT INTO scada.schema_version VALUES (%s, %s)",
                (migration.version, migration.name),
            )
    ended, open_a, open_b = _condition("ended"), _condition("open_a"), _condition("open_b", n=1)
    other = _condition("other_plc", device="plc2")
    insert_events(conn, [ended, open_a, cleared(ended), open_b, other])
    conn.commit()
    assert migrate(conn).applied[0] == 4
    assert _active(conn, ["plc1", "plc2"]) == [
        ("plc1", "open_a", "START_FAILURE", open_a.event_uid),
        ("plc1", "open_b", "START_FAILURE", open_b.event_uid),
        ("plc2", "other_plc", "START_FAILURE", other.event_uid),
    ]
    assert read_events(conn, START).rejected == ()
    conn.close()
