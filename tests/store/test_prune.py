"""scada-bridge prune: old events every reader has passed go; nothing a reader still
needs, no active failure, never a clear without its raise; short batches that do
not block the poller."""

from __future__ import annotations

import contextlib
import io
import threading
from datetime import timedelta

import psycopg2
import pytest
from scada_bridge import (
    START,
    CursorAhead,
    PruneRefused,
    connect,
    insert_events,
    read_events,
    record_reader_cursor,
)
from scada_bridge.cli import main as cli
from scada_bridge.store.prune import _BATCH_SQL, prune

from tests.helpers import cleared, raised, without_tx_stamp

DAYS = timedelta(days=30)


def _age(conn, uids, days: int = 40) -> None:
    """Make events look recorded ``days`` ago (recorded_at is the table's default),
    without the new tx an UPDATE gets (it would move them after every reader)."""
    with conn.cursor() as cur:
        cur.execute(
            without_tx_stamp(
                "UPDATE scada.equipment_failure SET recorded_at = now() - %s * interval '1 day' "
                "WHERE event_uid::text = ANY(%s)"
            ),
            (days, [str(u) for u in uids]),
        )


def _left(conn) -> list[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT equipment_code FROM scada.equipment_failure ORDER BY id")
        rows = [r[0] for r in cur.fetchall()]
    if not conn.autocommit:
        conn.rollback()
    return rows


def _read_all(conn):
    batch = read_events(conn, START, limit=1000)
    assert not batch.has_more
    return batch


def _condition(name: str):
    return raised(name, payload={"source": "condition"})


def test_refused_without_a_registered_reader_unless_forced(scada_uri, scada_conn):
    old = raised("old")
    insert_events(scada_conn, [old])
    _age(scada_conn, [old.event_uid])
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = cli(["prune", "--db", scada_uri, "--older-than", "30"])
    assert status == 1
    message = err.getvalue()
    assert message.count("\n") == 1 and "no reader has recorded its cursor" in message
    assert "--force" in message
    assert _left(scada_conn) == ["old"]
    with pytest.raises(PruneRefused):
        prune(connect(scada_uri), DAYS)

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli(["prune", "--db", scada_uri, "--older-than", "30", "--force"]) == 0
    assert "deleted 1 event(s)" in out.getvalue() and "by age alone" in out.getvalue()
    assert _left(scada_conn) == []


def test_an_event_one_reader_has_not_passed_is_kept(scada_uri, scada_conn):
    events = [raised(f"e{i}") for i in range(6)]
    insert_events(scada_conn, events[:2])
    ahead = _read_all(scada_conn).cursor  # e0, e1
    insert_events(scada_conn, events[2:4])
    behind = ahead
    ahead = _read_all(scada_conn).cursor  # e0..e3
    insert_events(scada_conn, events[4:])  # e4, e5: read by nobody
    _age(scada_conn, [e.event_uid for e in events])
    record_reader_cursor(scada_conn, "odoo/site-a", ahead)
    record_reader_cursor(scada_conn, "odoo/site-b", behind)

    result = prune(connect(scada_uri), DAYS)
    assert result.deleted == 2 and result.upto == behind
    assert _left(scada_conn) == ["e2", "e3", "e4", "e5"]  # site-b has not passed e2, e3

    record_reader_cursor(scada_conn, "odoo/site-b", ahead)
    assert prune(connect(scada_uri), DAYS).deleted == 2
    assert _left(scada_conn) == ["e4", "e5"]  # nobody has read them


def test_young_events_stay_though_read(scada_uri, scada_conn):
    old, young = raised("old"), raised("young")
    insert_events(scada_conn, [old, young])
    _age(scada_conn, [old.event_uid], days=31)
    record_reader_cursor(scada_conn, "odoo", _read_all(scada_conn).cursor)
    assert prune(connect(scada_uri), DAYS).deleted == 1
    assert _left(scada_conn) == ["young"]


def test_an_active_failure_is_kept_and_a_clear_never_outlives_its_raise(scada_uri, scada_conn):
    active = _condition("active")  # raised 40 days ago, never cleared
    ended = _condition("ended")
    ended_clear = cleared(ended)
    late = _condition("late")  # raised 40 days ago, cleared yesterday
    late_clear = cleared(late)
    insert_events(scada_conn, [active, ended, ended_clear, late, late_clear])
    _age(scada_conn, [active.event_uid, ended.event_uid, ended_clear.event_uid, late.event_uid])
    _age(scada_conn, [late_clear.event_uid], days=1)
    record_reader_cursor(scada_conn, "odoo", _read_all(scada_conn).cursor)

    result = prune(connect(scada_uri), DAYS, batch=1)
    assert result.deleted == 2  # 'ended' with its clear, in the same batch
    assert _left(scada_conn) == ["active", "late", "late"]
    assert result.kept_active == 1


def test_each_batch_is_its_own_short_transaction(scada_uri, scada_conn):
    events = [raised(f"e{i}") for i in range(7)]
    insert_events(scada_conn, events)
    _age(scada_conn, [e.event_uid for e in events])
    record_reader_cursor(scada_conn, "odoo", _read_all(scada_conn).cursor)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli(["prune", "--db", scada_uri, "--older-than", "30", "--batch", "2"]) == 0
    assert "deleted 7 event(s)" in out.getvalue() and "in 4 batch(es)" in out.getvalue()
    assert _left(scada_conn) == []


def test_a_batch_in_progress_never_blocks_the_pollers_inserts(scada_uri, scada_conn):
    """The DELETE's locks, held open on purpose, against a real insert and upsert."""
    from scada_bridge.store.plc_status import PlcStatus, write_status

    old = [raised(f"old{i}") for i in range(3)]
    insert_events(scada_conn, old)
    _age(scada_conn, [e.event_uid for e in old])
    upto = _read_all(scada_conn).cursor
    pruner = connect(scada_uri)
    with pruner.cursor() as cur:  # one batch, not committed yet
        cur.execute(
            _BATCH_SQL,
            {
                "before": "now",
                "bounded": True,
                "tx": str(upto.tx),
                "id": upto.id,
                "n": 10,
                "after": 0,
            },
        )
        assert cur.rowcount == 3
    poller = connect(scada_uri)
    try:
        with poller.cursor() as cur:  # a wait would fail here instead of hanging
            cur.execute("SET lock_timeout = '5s'")
        insert_events(poller, [raised("new")])
        status = PlcStatus("plc1", "127.0.0.1", 502)
        status.success()
        write_status(poller, [status])
        poller.commit()
    finally:
        poller.close()
        pruner.commit()
        pruner.close()
    assert _left(scada_conn) == ["new"]


def test_prune_gives_up_on_a_lock_instead_of_queueing_the_poller_behind_it(scada_uri, scada_conn):
    old = raised("old")
    insert_events(scada_conn, [old])
    _age(scada_conn, [old.event_uid])
    record_reader_cursor(scada_conn, "odoo", _read_all(scada_conn).cursor)
    migration = connect(scada_uri)  # e.g. an ALTER TABLE in progress
    with migration.cursor() as cur:
        cur.execute("LOCK TABLE scada.equipment_failure IN ACCESS EXCLUSIVE MODE")
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            prune(connect(scada_uri), DAYS, lock_timeout_ms=200)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=60)
    migration.rollback()
    migration.close()
    assert not thread.is_alive(), "prune waited for the lock instead of giving up"
    [error] = outcome
    assert "waited more than 200 ms for a lock on scada.equipment_failure" in str(error)
    assert "run it again later" in str(error) and "\n" not in str(error)
    assert _left(scada_conn) == ["old"]


def test_a_reader_cursor_from_before_a_restore_stops_prune(scada_uri, scada_conn):
    from scada_bridge import Cursor

    insert_events(scada_conn, [raised()])
    with scada_conn.cursor() as cur:
        cur.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")
        next_tx = int(cur.fetchone()[0])
        # As a dump restored into a younger server leaves it (the function refuses it).
        cur.execute(
            "INSERT INTO scada.reader_cursor (reader, cursor_tx, cursor_id) VALUES (%s, %s, 1)",
            ("odoo", str(next_tx + 1_000_000)),
        )
    with pytest.raises(CursorAhead, match="reader 'odoo'"):
        prune(connect(scada_uri), DAYS)
    with pytest.raises(CursorAhead):
        record_reader_cursor(scada_conn, "odoo", Cursor(next_tx + 1_000_000, 1))


def test_the_read_only_role_records_its_cursor_and_nothing_else(scada_uri, scada_conn):
    from scada_bridge import migrate, reader_cursors

    insert_events(scada_conn, [raised()])
    migrate(scada_conn, readonly_role="scada_reader_p")
    reader = connect(scada_uri.replace("user=postgres", "user=scada_reader_p"), autocommit=True)
    try:
        cursor = read_events(reader).cursor
        record_reader_cursor(reader, "odoo/plant", cursor)
        [registered] = reader_cursors(scada_conn)
        assert (registered.reader, registered.cursor) == ("odoo/plant", cursor)
        assert registered.recorded_by == "scada_reader_p"
        with pytest.raises(psycopg2.errors.InsufficientPrivilege), reader.cursor() as cur:
            cur.execute("DELETE FROM scada.reader_cursor")
    finally:
        reader.close()
        with scada_conn.cursor() as cur:
            cur.execute("DROP OWNED BY scada_reader_p; DROP ROLE scada_reader_p")
