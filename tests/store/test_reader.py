"""The reader: order, cursor, rows committed out of order, rejected rows, backlog."""

from __future__ import annotations

import pytest
from scada_bridge import (
    START,
    ConfigError,
    Cursor,
    backlog,
    check_source,
    connect,
    insert_events,
    read_events,
)

from tests.helpers import cleared, insert_raw, raised


def test_reads_every_event_once_in_insertion_order_across_batches(scada_conn):
    written = [raised(n=i) for i in range(25)]
    insert_events(scada_conn, written)
    seen, cursor = [], START
    for _ in range(10):
        batch = read_events(scada_conn, cursor, limit=7)
        seen += [e.event_uid for e in batch.events]
        assert batch.cursor >= cursor
        cursor = batch.cursor
        if not batch.has_more:
            break
    assert seen == [e.event_uid for e in written]
    again = read_events(scada_conn, cursor, limit=7)
    assert again.events == () and again.cursor == cursor and not again.has_more


def test_event_carries_every_contract_column(scada_conn):
    first = raised(payload={"register": 40001, "value": 3})
    insert_events(scada_conn, [first, cleared(first)])
    events = read_events(scada_conn).events
    assert [e.kind for e in events] == ["raised", "cleared"]
    got = events[0]
    assert got.event_uid == first.event_uid
    assert got.equipment_code == "silo101" and got.failure_code == "START_FAILURE"
    assert got.severity == "high" and got.device == "plc1"
    assert got.occurred_at == first.occurred_at
    assert got.payload == {"register": 40001, "value": 3}
    assert got.tx > 0 and got.id > 0 and got.recorded_at is not None
    assert events[1].raise_uid == first.event_uid


def test_a_row_committed_late_is_delayed_never_skipped(scada_uri, scada_conn):
    slow = connect(scada_uri)  # a writer whose transaction stays open
    insert_events(slow, [raised("slow")])
    insert_events(scada_conn, [raised("fast")])  # autocommit: committed at once, larger id

    batch = read_events(scada_conn, START)
    # 'fast' is committed, but a transaction older than it is still running:
    # reading it now would move the cursor past the slow row's id for good.
    assert batch.events == ()
    assert batch.cursor == START

    slow.commit()
    batch = read_events(scada_conn, START)
    assert [e.equipment_code for e in batch.events] == ["slow", "fast"]
    slow.close()


def test_an_id_based_reader_would_have_lost_the_late_row(scada_uri, scada_conn):
    """Why the cursor is (tx, id): the late row's id is below one already read."""
    slow = connect(scada_uri)
    insert_events(slow, [raised("slow")])
    insert_events(scada_conn, [raised("fast")])
    with scada_conn.cursor() as cur:
        cur.execute("SELECT max(id) FROM scada.equipment_failure")
        naive_last_id = cur.fetchone()[0]
    slow.commit()
    slow.close()
    with scada_conn.cursor() as cur:
        cur.execute("SELECT id FROM scada.equipment_failure WHERE equipment_code = 'slow'")
        assert cur.fetchone()[0] < naive_last_id
    assert "slow" in [e.equipment_code for e in read_events(scada_conn).events]


@pytest.mark.parametrize(
    ("columns", "reason"),
    [
        ({"kind": "exploded"}, "unknown kind 'exploded'"),
        ({"equipment_code": "  "}, "equipment_code is empty"),
        ({"kind": "cleared"}, "needs raise_uid"),
        ({"severity": "apocalyptic"}, "unknown severity 'apocalyptic'"),
    ],
)
def test_a_bad_row_is_rejected_with_its_reason_and_the_rows_behind_it_still_come(
    scada_conn, columns, reason
):
    insert_events(scada_conn, [raised("before")])
    bad_id = insert_raw(scada_conn, **columns)
    insert_events(scada_conn, [raised("after")])
    batch = read_events(scada_conn, START, limit=10)
    assert [e.equipment_code for e in batch.events] == ["before", "after"]
    assert len(batch.rejected) == 1
    assert batch.rejected[0].id == bad_id
    assert reason in batch.rejected[0].reason
    # The cursor moved past the bad row: it is reported once, not forever.
    assert read_events(scada_conn, batch.cursor).rejected == ()


def test_a_batch_of_only_rejected_rows_still_moves_the_cursor(scada_conn):
    insert_raw(scada_conn, kind="nonsense")
    batch = read_events(scada_conn, START, limit=1)
    assert batch.events == () and len(batch.rejected) == 1
    assert batch.cursor > START and batch.has_more


def test_backlog_counts_what_waits_after_the_cursor(scada_conn):
    insert_events(scada_conn, [raised(n=i) for i in range(5)])
    assert backlog(scada_conn).count == 5
    batch = read_events(scada_conn, START, limit=3)
    pending = backlog(scada_conn, batch.cursor)
    assert pending.count == 2
    assert pending.oldest_recorded_at is not None
    assert backlog(scada_conn, read_events(scada_conn, batch.cursor).cursor).count == 0


def test_cursor_round_trips_through_its_text_form():
    assert Cursor.parse(str(Cursor(7401, 12))) == Cursor(7401, 12)
    assert Cursor.parse("") == START and Cursor.parse(None) == START
    for bad in ("12", "a:b", "1:2:3", "-1:5"):
        with pytest.raises(ConfigError, match="cursor"):
            Cursor.parse(bad)


def test_limit_out_of_range_is_refused(scada_conn):
    with pytest.raises(ConfigError, match="batch limit 0"):
        read_events(scada_conn, START, limit=0)


def test_an_open_transaction_in_another_database_does_not_stall_the_reader(make_db, scada_conn):
    """Odoo's own database often shares the PostgreSQL server with the SCADA one."""
    other = connect(make_db())
    with other.cursor() as cur:  # takes a transaction id and keeps it
        cur.execute("CREATE TABLE busy (x int); INSERT INTO busy VALUES (1)")
    insert_events(scada_conn, [raised("fresh")])
    try:
        assert [e.equipment_code for e in read_events(scada_conn).events] == ["fresh"]
    finally:
        other.rollback()
        other.close()


def test_the_read_only_role_reads_with_the_same_guarantees(scada_uri, scada_conn):
    from scada_bridge import migrate

    migrate(scada_conn, readonly_role="scada_reader_t")
    reader = connect(scada_uri.replace("user=postgres", "user=scada_reader_t"), autocommit=True)
    slow = connect(scada_uri)
    try:
        insert_events(slow, [raised("slow")])
        insert_events(scada_conn, [raised("fast")])
        assert read_events(reader).events == ()
        slow.commit()
        assert [e.equipment_code for e in read_events(reader).events] == ["slow", "fast"]
    finally:
        reader.close()
        slow.close()
        with scada_conn.cursor() as cur:
            cur.execute("DROP OWNED BY scada_reader_t; DROP ROLE scada_reader_t")


def test_rows_come_in_transaction_order_when_the_counter_passes_a_power_of_ten(scada_conn):
    """The bug behind "35 never read" and "9 of 6,000 read twice": the batch was sorted
    by tx as text, so '10000' came before '9999' once the server's counter passed it."""
    for tx in (98, 99, 100, 101, 999, 1000):  # any committed tx below the horizon will do
        insert_raw(scada_conn, tx=str(tx), equipment_code=f"tx{tx}")
    seen, cursor = [], START
    for _ in range(10):
        batch = read_events(scada_conn, cursor, limit=2)
        seen += [e.equipment_code for e in batch.events]
        cursor = batch.cursor
        if not batch.has_more:
            break
    assert seen == ["tx98", "tx99", "tx100", "tx101", "tx999", "tx1000"]


@pytest.mark.parametrize(
    ("columns", "reason"),
    [
        ({"occurred_at": "10000-01-01 00:00:00+00"}, "occurred_at '10000-01-01"),
        ({"occurred_at": "0044-03-15 00:00:00+00 BC"}, "BC' cannot be read as a time"),
        ({"occurred_at": "infinity"}, "occurred_at 'infinity'"),
        ({"recorded_at": "10000-01-01 00:00:00+00"}, "recorded_at '10000-01-01"),
        ({"payload": '{"value": ' + "9" * 5000 + "}"}, "payload cannot be read"),
        ({"payload": '{"value": ' + "9" * 400 + ".5}"}, "is too large"),
    ],
)
def test_a_row_psycopg2_cannot_convert_is_rejected_and_the_pull_goes_on(
    scada_uri, scada_conn, columns, reason
):
    """A foreign writer's year-10000 time or giant number used to raise ValueError at
    the same cursor on every pull."""
    insert_events(scada_conn, [raised("before")])
    bad_id = insert_raw(scada_conn, **columns)
    insert_events(scada_conn, [raised("after")])
    batch = read_events(scada_conn, START, limit=10)
    assert [e.equipment_code for e in batch.events] == ["before", "after"]
    assert [r.id for r in batch.rejected] == [bad_id]
    assert reason in batch.rejected[0].reason
    result = check_source(scada_uri)
    assert result.ok and result.backlog.count == 3, result.message
