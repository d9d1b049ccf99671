"""The doctor's SCADA database rows: the horizon row names who holds the pull back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from scada_bridge import START, Cursor, connect, insert_events
from scada_bridge.doctor import scada_db_checks

from tests.helpers import raised


def _rows(uri, cursor=START, now=None):
    return {c.name: c for c in scada_db_checks(uri, cursor, now=now)}


def test_nothing_held_is_a_good_horizon_row(scada_uri, scada_conn):
    insert_events(scada_conn, [raised()])
    row = _rows(scada_uri)["horizon"]
    assert row.ok and row.detail == "no event waits behind an open transaction"


def test_an_idle_in_transaction_writer_is_named_with_the_fix(scada_uri, scada_conn):
    idle = connect(scada_uri, application_name="hand-typed psql")
    try:
        insert_events(idle, [raised("held")])
        with idle.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
        insert_events(scada_conn, [raised("waiting")])
        # Just now: a writer's transaction in progress, not yet a problem.
        fresh = _rows(scada_uri)["horizon"]
        assert fresh.ok and f"pid {pid}" in fresh.detail and "1 event(s) wait" in fresh.detail
        # Two minutes later (the doctor's clock moved; the transaction did not end).
        later = datetime.now(timezone.utc) + timedelta(minutes=2)
        stuck = _rows(scada_uri, now=later)["horizon"]
        assert not stuck.ok
        assert "'hand-typed psql'" in stuck.detail and "idle in transaction" in stuck.detail
        assert f"pg_terminate_backend({pid})" in stuck.fix
        line = stuck.line()
        assert line.startswith("\u2717 SCADA database: horizon: 1 event(s) wait 2 min behind")
        assert "\n" not in line
    finally:
        idle.rollback()
        idle.close()


def test_a_cursor_ahead_is_its_own_row_with_the_fix(scada_uri, scada_conn):
    insert_events(scada_conn, [raised()])
    [row] = scada_db_checks(scada_uri, Cursor(10**12, 1))
    assert (row.name, row.ok) == ("cursor", False)
    assert row.fix.startswith("reset the reader's cursor to the start")
