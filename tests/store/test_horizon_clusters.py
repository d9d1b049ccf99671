"""The horizon against what the shared server cannot show: a real hot standby, real
prepared transactions, and a real dump restored into a younger server.

One throwaway primary (max_prepared_transactions = 5) with a hot standby
streaming from it (pg_basebackup -R), started for this module and removed after.
"""

from __future__ import annotations

import subprocess
import time
import uuid

import psycopg2
import pytest
from scada_bridge import (
    START,
    CursorAhead,
    StandbyRefused,
    backlog,
    check_source,
    connect,
    horizon_holders,
    insert_events,
    migrate,
    read_events,
)

from tests.helpers import raised
from tests.pg_password_server import PG_BIN
from tests.store.clusters import primary_and_standby


@pytest.fixture(scope="module")
def clusters():
    with primary_and_standby() as pair:
        yield pair


def _new_db(cluster) -> str:
    name = f"scada_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(cluster.dsn())
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    admin.close()
    conn = connect(cluster.dsn(name))
    migrate(conn)
    conn.close()
    return cluster.dsn(name)


def _on_standby(standby, primary_dsn: str) -> str:
    """The same database on the standby, once it has replayed up to now (bounded)."""
    primary = psycopg2.connect(primary_dsn)
    primary.autocommit = True
    with primary.cursor() as cur:
        cur.execute("SELECT pg_current_wal_lsn()")
        lsn = cur.fetchone()[0]
    primary.close()
    dsn = " ".join(
        f"port={standby.port}" if part.startswith("port=") else part for part in primary_dsn.split()
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            conn = psycopg2.connect(dsn)
            with conn.cursor() as cur:
                cur.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,))
                done = cur.fetchone()[0]
            conn.close()
            if done:
                return dsn
        except psycopg2.OperationalError:  # the database is not replayed yet
            pass
        assert time.monotonic() < deadline, "the standby did not replay within 60 s"
        time.sleep(0.1)


def test_a_pull_while_a_fresh_servers_counter_passes_a_power_of_ten_reads_each_event_once(
    clusters,
):
    """What a fresh machine did to the first run of the suite, for real: the young
    cluster's transaction counter passes the next power of ten (1,000 here) while
    events are written one per transaction and read in small batches."""
    primary, _ = clusters
    uri = _new_db(primary)
    conn = connect(uri, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_current_xact_id()::text::bigint")
            now = cur.fetchone()[0]
        power = 10 ** len(str(now))
        assert power - now < 5000, f"counter {now}: the first test of a fresh cluster"
        with conn.cursor() as cur:
            for _ in range(power - now - 10):  # each statement its own transaction
                cur.execute("SELECT pg_current_xact_id()")
        written = [raised(f"e{i}") for i in range(30)]
        seen, cursor = [], START
        for start in range(0, 30, 6):  # 30 transactions: 10 below the power, 20 above
            for event in written[start : start + 6]:
                insert_events(conn, [event])
            batch = read_events(conn, cursor, limit=3)  # a pull between commits
            seen += [e.event_uid for e in batch.events]
            cursor = batch.cursor
        for _ in range(20):
            batch = read_events(conn, cursor, limit=3)
            seen += [e.event_uid for e in batch.events]
            cursor = batch.cursor
        assert cursor.tx >= power  # the counter did pass it
        assert seen == [e.event_uid for e in written]
    finally:
        conn.close()


def test_a_hot_standby_is_refused_because_its_snapshot_lists_no_running_transaction(clusters):
    primary, standby = clusters
    uri = _new_db(primary)
    writer = connect(uri)
    committed = connect(uri, autocommit=True)
    try:
        insert_events(writer, [raised("open")])  # running on the primary, holds its horizon
        insert_events(committed, [raised("after")])
        assert read_events(committed).events == ()  # the primary knows to wait
        standby_uri = _on_standby(standby, uri)
        conn = psycopg2.connect(standby_uri)
        conn.autocommit = True
        with conn.cursor() as cur:  # the premise: the standby's xip list is empty
            cur.execute("SELECT pg_snapshot_xip(pg_current_snapshot())")
            assert cur.fetchall() == []
            cur.execute("SELECT count(*) FROM scada.equipment_failure")
            assert cur.fetchone()[0] == 1  # 'after' is visible there: reading it would skip
        with pytest.raises(StandbyRefused, match="hot standby .* point the source at the primary"):
            read_events(conn)
        with pytest.raises(StandbyRefused):
            backlog(conn)
        conn.close()
        result = check_source(standby_uri)
        assert (result.ok, result.reason) == (False, "standby")
        assert "\n" not in result.message and f":{standby.port}" in result.message
    finally:
        writer.rollback()
        writer.close()
        committed.close()


def test_a_prepared_transaction_is_named_by_gid_with_its_fix(clusters):
    primary, _ = clusters
    uri = _new_db(primary)
    reader = connect(uri, autocommit=True)
    two_phase = connect(uri, autocommit=True)  # BEGIN / PREPARE by hand, as a 2PC manager
    try:
        with two_phase.cursor() as cur:
            cur.execute("BEGIN")
        insert_events(two_phase, [raised("prepared")])
        with two_phase.cursor() as cur:
            cur.execute("PREPARE TRANSACTION 'scada-test-gid'")
        insert_events(reader, [raised("after")])
        [holder] = horizon_holders(reader)
        assert holder.gid == "scada-test-gid" and holder.pid is None
        assert holder.prepared_at is not None and holder.since == holder.prepared_at
        assert holder.database == reader.info.dbname
        assert "COMMIT PREPARED 'scada-test-gid'" in holder.fix
        assert "ROLLBACK PREPARED 'scada-test-gid'" in holder.fix
        pending = backlog(reader)
        assert pending.behind_horizon == 1 and pending.held_by == (holder,)
        assert read_events(reader).events == ()
        with two_phase.cursor() as cur:
            cur.execute("COMMIT PREPARED 'scada-test-gid'")
        events = read_events(reader).events
        assert [e.equipment_code for e in events] == ["prepared", "after"]
    finally:
        reader.close()
        two_phase.close()


def test_a_prepared_transaction_of_another_database_holds_nothing(clusters):
    primary, _ = clusters
    uri, other_uri = _new_db(primary), _new_db(primary)
    other = psycopg2.connect(other_uri)
    other.autocommit = True
    reader = connect(uri, autocommit=True)
    try:
        with other.cursor() as cur:
            cur.execute("BEGIN; CREATE TABLE busy (x int); INSERT INTO busy VALUES (1)")
            cur.execute("PREPARE TRANSACTION 'scada-test-foreign'")
        insert_events(reader, [raised("fresh")])
        assert [e.equipment_code for e in read_events(reader).events] == ["fresh"]
        assert horizon_holders(reader) == []
    finally:
        with other.cursor() as cur:
            cur.execute("ROLLBACK PREPARED 'scada-test-foreign'")
        other.close()
        reader.close()


def test_a_dump_restored_into_a_younger_server_stops_the_reader_with_the_fix(
    clusters, scada_uri, scada_conn
):
    """The shared server's counter is far ahead of the throwaway's: a real restore."""
    primary, _ = clusters
    insert_events(scada_conn, [raised(f"before{i}") for i in range(3)])
    cursor = read_events(scada_conn).cursor  # what Odoo stored
    dump = subprocess.run(
        [str(PG_BIN / "pg_dump"), "-Fc", "--no-owner", "-d", scada_uri],
        check=True,
        capture_output=True,
        timeout=120,
    ).stdout
    name = f"scada_restored_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(primary.dsn())
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    admin.close()
    subprocess.run(
        [str(PG_BIN / "pg_restore"), "--no-owner", "-d", primary.dsn(name)],
        input=dump,
        check=True,
        capture_output=True,
        timeout=120,
    )
    restored = connect(primary.dsn(name), autocommit=True)
    try:
        insert_events(restored, [raised("after_restore")])  # a new, smaller tx
        with pytest.raises(CursorAhead, match="reset the reader's cursor") as info:
            read_events(restored, cursor)
        assert "renumber" in str(info.value)  # the old rows are ahead too
        result = check_source(primary.dsn(name), cursor)
        assert (result.ok, result.reason) == (False, "cursor_ahead")
        with pytest.raises(CursorAhead, match="holds rows with tx up to"):
            read_events(restored, START)
        # The fix the message gives, as written there.
        with restored.cursor() as cur:
            cur.execute(
                "UPDATE scada.equipment_failure SET tx = pg_current_xact_id() "
                "WHERE tx >= pg_snapshot_xmax(pg_current_snapshot())"
            )
        codes = [e.equipment_code for e in read_events(restored, START).events]
        assert sorted(codes) == ["after_restore", "before0", "before1", "before2"]
    finally:
        restored.close()
